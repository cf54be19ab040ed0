/* A disk image file as a block backend: positioned reads and writes, flush to stable storage, discard. */
#ifndef LODGE_SYSVM_BACKEND_BLOCKFILE_H
#define LODGE_SYSVM_BACKEND_BLOCKFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sysvm/vmerr.h"

typedef struct BlockFile {
    int fd;
    bool ro;
    uint64_t size;               /* bytes */
    uint64_t reads, writes, flushes, discards;
} BlockFile;

/* Opens path read-write (or read-only) and locks it so two machines cannot share a writable image. */
bool blockfile_open(BlockFile *b, const char *path, bool ro, VmError *err);
/* Flushes and closes. */
void blockfile_close(BlockFile *b);
bool blockfile_read(BlockFile *b, uint64_t off, void *buf, size_t len);
bool blockfile_write(BlockFile *b, uint64_t off, const void *buf, size_t len);
bool blockfile_flush(BlockFile *b);
/* Deallocates (discard) or zeroes a range; zeroes are written when the file system cannot punch holes. */
bool blockfile_discard(BlockFile *b, uint64_t off, uint64_t len);
bool blockfile_write_zeroes(BlockFile *b, uint64_t off, uint64_t len);

#endif
