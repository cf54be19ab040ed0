/* virtio-blk (device 2): read, write, flush, get-id, discard and write-zeroes on a BlockFile. */
#ifndef LODGE_SYSVM_VIRTIO_BLK_H
#define LODGE_SYSVM_VIRTIO_BLK_H

#include "sysvm/backend/blockfile.h"
#include "sysvm/virtio/device.h"

typedef struct VirtioBlk {
    VirtioDevice vdev;
    BlockFile *file;             /* borrowed */
    char id[21];                 /* VIRTIO_BLK_ID_BYTES = 20, NUL-padded */
    uint64_t ioerrs;
    uint64_t reads, writes, read_bytes, write_bytes;   /* completed data requests, for machine stats */
} VirtioBlk;

void virtio_blk_init(VirtioBlk *b, const GuestMem *mem, BlockFile *file, const char *id);

#endif
