/* virtio-net (device 1) over a tap backend: one receive and one transmit queue, a fixed MAC address, rate
 * limits per direction (bytes and frames per second). */
#ifndef LODGE_SYSVM_VIRTIO_NET_H
#define LODGE_SYSVM_VIRTIO_NET_H

#include "sysvm/backend/ratelimit.h"
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
    uint64_t throttled;              /* frames the rate limiters held back */
    RateLimiter rx_rl, tx_rl;
    uint64_t rx_wake;                /* the staged frame waits for the rx limiter until then; 0: not waiting */
    VirtqChain tx_held;              /* a transmit request held back by the tx limiter, when tx_holding */
    bool tx_holding;
    uint64_t tx_wake;
} VirtioNet;

void virtio_net_init(VirtioNet *n, const GuestMem *mem, Tap *tap, const uint8_t mac[6]);
/* Sets (NULL: removes) the receive and transmit rate limits; the machine's thread only. */
void virtio_net_set_rate_limit(VirtioNet *n, const RateLimitConfig *rx, const RateLimitConfig *tx);

#endif
