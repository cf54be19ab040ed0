/* virtio-net (device 1) over a tap backend: one receive and one transmit queue, a fixed MAC address. */
#ifndef LODGE_SYSVM_VIRTIO_NET_H
#define LODGE_SYSVM_VIRTIO_NET_H

#include "sysvm/backend/tap.h"
#include "sysvm/virtio/device.h"

#define VIRTIO_NET_FRAME_MAX 65550

typedef struct VirtioNet {
    VirtioDevice vdev;
    Tap *tap;                        /* borrowed */
    uint8_t frame[VIRTIO_NET_FRAME_MAX];
    size_t frame_len;                /* a received frame waiting for a guest buffer (0: none) */
    uint64_t rx_frames, tx_frames, rx_dropped;
    uint64_t rx_bytes, tx_bytes;     /* frame bytes, without the virtio header */
} VirtioNet;

void virtio_net_init(VirtioNet *n, const GuestMem *mem, Tap *tap, const uint8_t mac[6]);

#endif
