/* virtio-net: frames from the guest's transmit queue go to the tap; frames from the tap fill receive
 * buffers. Without negotiated offloads the 12-byte virtio_net_hdr is all zeroes (num_buffers = 1).
 * Rate limits: a received frame the rx limiter holds back stays staged (and the tap unread) until the
 * limiter's time; a transmit request the tx limiter holds back stays taken, and the queue waits behind it. */
#include "sysvm/virtio/net.h"

#include <string.h>

#include "sysvm/backend/host.h"

enum { RXQ = 0, TXQ = 1, HDR = 12, F_MAC = 5 };

static void net_rx(VirtioDevice *vd)
{
    VirtioNet *n = vd->impl;
    for (int budget = 64; budget > 0 && virtio_dev_live(vd); budget--) {
        if (!n->frame_len) {
            ssize_t r = tap_read(n->tap, n->frame, sizeof n->frame);
            if (r <= 0)
                return;
            n->frame_len = (size_t)r;
        }
        /* Charge the limiter only for a frame that has somewhere to go. */
        if (!virtio_queue_has_work(&vd->vq[RXQ], vd->mem))
            return;                  /* no buffer yet: keep the frame for later */
        bool waiting = n->rx_wake != 0;
        if (ratelimit_enabled(&n->rx_rl) &&
            !ratelimit_take(&n->rx_rl, n->frame_len, 1, host_monotonic_ns(), &n->rx_wake)) {
            n->throttled += !waiting;
            return;
        }
        n->rx_wake = 0;
        VirtqChain c;
        if (virtio_dev_pop(vd, RXQ, &c) <= 0)
            return;
        uint8_t hdr[HDR] = {0};
        hdr[10] = 1;                 /* num_buffers */
        if (c.in_len < HDR + n->frame_len) {
            n->rx_dropped++;         /* buffer too small for this frame: drop it, return the buffer empty */
            virtio_dev_push(vd, RXQ, &c, 0);
        } else {
            virtio_queue_chain_write(&c, vd->mem, 0, hdr, HDR);
            virtio_queue_chain_write(&c, vd->mem, HDR, n->frame, n->frame_len);
            virtio_dev_push(vd, RXQ, &c, (uint32_t)(HDR + n->frame_len));
            n->rx_frames++;
            n->rx_bytes += n->frame_len;
        }
        n->frame_len = 0;
    }
}

static void net_tx(VirtioDevice *vd)
{
    VirtioNet *n = vd->impl;
    VirtqChain *c = &n->tx_held;
    static const size_t cap = VIRTIO_NET_FRAME_MAX;
    for (;;) {
        if (!n->tx_holding && virtio_dev_pop(vd, TXQ, c) <= 0)
            return;
        uint64_t len = c->out_len > HDR ? c->out_len - HDR : 0;
        if (ratelimit_enabled(&n->tx_rl) && !ratelimit_take(&n->tx_rl, len, 1, host_monotonic_ns(), &n->tx_wake)) {
            n->throttled += !n->tx_holding;
            n->tx_holding = true;
            return;
        }
        n->tx_holding = false;
        if (len && len <= cap) {
            /* The receive staging buffer may hold a frame; transmit through a buffer of its own. */
            uint8_t buf[2048];
            if (len <= sizeof buf) {
                virtio_queue_chain_read(c, vd->mem, HDR, buf, len);
                tap_write(n->tap, buf, (size_t)len);
                n->tx_frames++;
                n->tx_bytes += len;
            }
        }
        virtio_dev_push(vd, TXQ, c, 0);
    }
}

static void net_notify(VirtioDevice *vd, unsigned q)
{
    if (q == TXQ)
        net_tx(vd);
    else
        net_rx(vd);
}

static void net_poll(VirtioDevice *vd)
{
    VirtioNet *n = vd->impl;
    net_rx(vd);
    if (n->tx_holding)
        net_tx(vd);
}

static void net_reset(VirtioDevice *vd)
{
    VirtioNet *n = vd->impl;
    n->frame_len = 0;
    n->rx_wake = 0;
    n->tx_holding = false;
}

/* The tap is watched only while no frame is staged: a staged frame waits for a guest buffer (the driver's
 * notify brings it) or for the rx limiter (wake_at), and watching the tap then would wake the loop for
 * nothing, again and again. */
static int net_wait_fd(VirtioDevice *vd)
{
    VirtioNet *n = vd->impl;
    return virtio_dev_live(vd) && !n->frame_len ? n->tap->fd : -1;
}

static uint64_t net_wake_at(VirtioDevice *vd)
{
    VirtioNet *n = vd->impl;
    uint64_t rx = n->frame_len ? n->rx_wake : 0, tx = n->tx_holding ? n->tx_wake : 0;
    if (!rx || (tx && tx < rx))
        return tx;
    return rx;
}

void virtio_net_set_rate_limit(VirtioNet *n, const RateLimitConfig *rx, const RateLimitConfig *tx)
{
    uint64_t now = host_monotonic_ns();
    ratelimit_set(&n->rx_rl, rx, now);
    ratelimit_set(&n->tx_rl, tx, now);
    if (n->rx_wake)
        n->rx_wake = now;               /* what waits is tried again under the new limits */
    n->tx_wake = now;
}

static const VirtioOps net_ops = {
    .name = "virtio-net", .device_id = 1, .notify = net_notify, .reset = net_reset, .poll = net_poll,
    .wait_fd = net_wait_fd, .wake_at = net_wake_at,
};

void virtio_net_init(VirtioNet *n, const GuestMem *mem, Tap *tap, const uint8_t mac[6])
{
    virtio_dev_init(&n->vdev, &net_ops, n, mem, 1ull << F_MAC, 2, 256);
    n->tap = tap;
    n->frame_len = 0;
    n->rx_frames = n->tx_frames = n->rx_dropped = 0;
    n->rx_bytes = n->tx_bytes = n->throttled = 0;
    n->rx_wake = 0;
    n->tx_holding = false;
    ratelimit_init(&n->rx_rl);
    ratelimit_init(&n->tx_rl);
    memcpy(n->vdev.config, mac, 6);
    n->vdev.config_len = 8;
}
