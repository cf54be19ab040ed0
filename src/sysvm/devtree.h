/* The device tree of the machine: what Linux (or OpenSBI) learns about the board at boot. */
#ifndef LODGE_SYSVM_DEVTREE_H
#define LODGE_SYSVM_DEVTREE_H

#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "sysvm/vmerr.h"

typedef struct DevtreeInfo {
    uint64_t ram_base, ram_size;
    unsigned nharts;
    const char *bootargs;                 /* may be NULL */
    uint64_t initrd_start, initrd_end;    /* 0, 0: none */
    unsigned nvirtio;                     /* virtio-mmio slots in use, from slot 0 */
    const uint8_t *rng_seed;              /* optional /chosen/rng-seed */
    size_t rng_seed_len;
    Alloc *alloc;                         /* the machine's; NULL: plain malloc */
} DevtreeInfo;

/* Returns the DTB allocated from info->alloc (free it with alloc_free(alloc, dtb, *len)), or NULL with a
 * message. */
uint8_t *devtree_build(const DevtreeInfo *info, size_t *len, VmError *err);

#endif
