/* virtio-rng (device 4): fills the guest's buffers from the host's entropy. */
#ifndef LODGE_SYSVM_VIRTIO_RNG_H
#define LODGE_SYSVM_VIRTIO_RNG_H

#include "sysvm/virtio/device.h"

typedef struct VirtioRng {
    VirtioDevice vdev;
    uint64_t bytes;
} VirtioRng;

void virtio_rng_init(VirtioRng *r, const GuestMem *mem);

#endif
