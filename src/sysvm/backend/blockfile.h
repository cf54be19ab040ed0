/* A disk image as a block backend: positioned reads and writes, flush to stable storage, discard. The
 * format is chosen by the file's first bytes: qcow2 (backend/qcow2.h) or raw. */
#ifndef LODGE_SYSVM_BACKEND_BLOCKFILE_H
#define LODGE_SYSVM_BACKEND_BLOCKFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "sysvm/backend/qcow2.h"
#include "sysvm/vmerr.h"

typedef struct BlockOpts {
    bool ro;
    uint64_t max_host_bytes;     /* bound on the image file's length on the host; 0: none */
    Alloc *alloc;                /* accounts a qcow2 image's tables and caches; NULL: unaccounted */
} BlockOpts;

typedef struct BlockFile {
    int fd;
    bool ro;
    uint64_t size;               /* bytes the guest sees */
    Qcow2 *qcow2;                /* NULL: a raw image */
    uint64_t reads, writes, flushes, discards;
} BlockFile;

/* Opens path read-write (or read-only) and locks it so two machines cannot share a writable image (read-only
 * users share it, as overlays share their base). A raw image larger than max_host_bytes is refused; a qcow2
 * image may grow up to it. */
bool blockfile_open_opts(BlockFile *b, const char *path, const BlockOpts *o, VmError *err);
bool blockfile_open(BlockFile *b, const char *path, bool ro, VmError *err);
/* For qcow2 backing files: read-only, format "raw", "qcow2" or NULL (from the magic), depth images above. */
bool blockfile_open_backing(BlockFile *b, const char *path, const char *format, Alloc *alloc, unsigned depth,
                            VmError *err);
/* Flushes and closes. */
void blockfile_close(BlockFile *b);
bool blockfile_read(BlockFile *b, uint64_t off, void *buf, size_t len);
bool blockfile_write(BlockFile *b, uint64_t off, const void *buf, size_t len);
bool blockfile_flush(BlockFile *b);
/* Deallocates (discard) or zeroes a range; either way the range reads back as zeroes. */
bool blockfile_discard(BlockFile *b, uint64_t off, uint64_t len);
bool blockfile_write_zeroes(BlockFile *b, uint64_t off, uint64_t len);
/* Writes refused because the image reached max_host_bytes. */
uint64_t blockfile_limit_refusals(const BlockFile *b);

#endif
