/* qcow2 images (QEMU's format, versions 2 and 3) as a block backend: reads through L1/L2 tables, writes that
 * allocate clusters at the end of the file with refcounts kept exact (`qemu-img check` finds no error),
 * zero clusters, and a backing file (raw or qcow2, read-only) for thin copy-on-write clones. What is refused
 * (compressed clusters, encryption, external data files, extended L2 entries, writing to images with internal
 * snapshots) is refused at open, with the reason. One thread at a time (the machine's). */
#ifndef LODGE_SYSVM_BACKEND_QCOW2_H
#define LODGE_SYSVM_BACKEND_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "sysvm/vmerr.h"

struct BlockFile;
typedef struct Qcow2 Qcow2;

#define QCOW2_MAX_CHAIN 16      /* backing files below an image, at most */

/* True when the first 4 bytes of a file are qcow2's magic ("QFI\xfb"). */
bool qcow2_probe(const uint8_t *first4);
/* Reads and checks the header and tables of the image open on fd (borrowed: the caller closes it after
 * qcow2_close) and opens its backing file. max_host_bytes bounds the file's length (0: no bound): a write
 * that would need a cluster past it fails. alloc (may be NULL) accounts the tables and caches. depth: how
 * many images sit above this one. NULL with a message naming path. *size: the virtual disk size. */
Qcow2 *qcow2_open(int fd, const char *path, bool ro, uint64_t max_host_bytes, Alloc *alloc, unsigned depth,
                  uint64_t *size, VmError *err);
/* Writes back cached metadata (as qcow2_flush) and frees everything, the backing file included. */
void qcow2_close(Qcow2 *q);
/* Guest-visible bytes [off, off+len) of the virtual disk; false on a host I/O error or a refused cluster. */
bool qcow2_read(Qcow2 *q, uint64_t off, void *buf, size_t len);
bool qcow2_write(Qcow2 *q, uint64_t off, const void *buf, size_t len);
/* Reads of [off, off+len) return zeroes afterwards; whole clusters become zero clusters (version 3). */
bool qcow2_write_zeroes(Qcow2 *q, uint64_t off, uint64_t len);
/* Makes everything written so far durable: data, then refcounts, then L2 tables, then L1, each step
 * fdatasync'ed before the next, so a crash at any point leaves at worst leaked clusters. */
bool qcow2_flush(Qcow2 *q);
/* The file's length as allocation sees it (the end of the last cluster). */
uint64_t qcow2_host_bytes(const Qcow2 *q);
/* Writes refused because they would need clusters past max_host_bytes. */
uint64_t qcow2_limit_refusals(const Qcow2 *q);
/* The first runtime failure (a read of a refused cluster, a host I/O error), for reports; "" if none. */
const char *qcow2_error(const Qcow2 *q);

#endif
