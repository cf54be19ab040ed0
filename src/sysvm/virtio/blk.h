/* virtio-blk (device 2): read, write, flush, get-id, discard and write-zeroes on a BlockFile, under a rate
 * limit (bytes and requests per second). */
#ifndef LODGE_SYSVM_VIRTIO_BLK_H
#define LODGE_SYSVM_VIRTIO_BLK_H

#include "sysvm/backend/blockfile.h"
#include "sysvm/backend/ratelimit.h"
#include "sysvm/virtio/device.h"

typedef struct VirtioBlk {
    VirtioDevice vdev;
    BlockFile *file;             /* borrowed */
    char id[21];                 /* VIRTIO_BLK_ID_BYTES = 20, NUL-padded */
    uint64_t ioerrs;
    uint64_t reads, writes, read_bytes, write_bytes;   /* completed data requests, for machine stats */
    uint64_t throttled;          /* requests the rate limiter held back */
    RateLimiter rl;
    VirtqChain held;             /* the request being held back, when holding */
    bool holding;
    uint64_t wake_ns;            /* when the held request fits the rate limit */
} VirtioBlk;

void virtio_blk_init(VirtioBlk *b, const GuestMem *mem, BlockFile *file, const char *id);
/* Sets (NULL: removes) the disk's rate limit; the machine's thread only. */
void virtio_blk_set_rate_limit(VirtioBlk *b, const RateLimitConfig *cfg);

#endif
