/* virtio-net: frames from the guest's transmit queue go to the tap; frames from the tap fill receive
 * buffers. Without negotiated offloads the 12-byte virtio_net_hdr is all zeroes (num_buffers = 1). */
#include "sysvm/virtio/net.h"

#include <string.h>

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
        VirtqChain c;
        if (virtio_dev_pop(vd, RXQ, &c) <= 0)
            return;                  /* no buffer yet: keep the frame for later */
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
    VirtqChain c;
    static const size_t cap = VIRTIO_NET_FRAME_MAX;
    while (virtio_dev_pop(vd, TXQ, &c) > 0) {
        if (c.out_len > HDR && c.out_len - HDR <= cap) {
            /* The receive staging buffer may hold a frame; transmit through a buffer of its own. */
            uint8_t buf[2048];
            uint64_t len = c.out_len - HDR;
            if (len <= sizeof buf) {
                virtio_queue_chain_read(&c, vd->mem, HDR, buf, len);
                tap_write(n->tap, buf, (size_t)len);
                n->tx_frames++;
                n->tx_bytes += len;
            }
        }
        virtio_dev_push(vd, TXQ, &c, 0);
    }
}

static void net_notify(VirtioDevice *vd, unsigned q)
{
    if (q == TXQ)
        net_tx(vd);
    else
        net_rx(vd);
}

static void net_reset(VirtioDevice *vd)
{
    VirtioNet *n = vd->impl;
    n->frame_len = 0;
}

static int net_wait_fd(VirtioDevice *vd)
{
    VirtioNet *n = vd->impl;
    return virtio_dev_live(vd) ? n->tap->fd : -1;
}

static const VirtioOps net_ops = {
    .name = "virtio-net", .device_id = 1, .notify = net_notify, .reset = net_reset, .poll = net_rx,
    .wait_fd = net_wait_fd,
};

void virtio_net_init(VirtioNet *n, const GuestMem *mem, Tap *tap, const uint8_t mac[6])
{
    virtio_dev_init(&n->vdev, &net_ops, n, mem, 1ull << F_MAC, 2, 256);
    n->tap = tap;
    n->frame_len = 0;
    n->rx_frames = n->tx_frames = n->rx_dropped = 0;
    n->rx_bytes = n->tx_bytes = 0;
    memcpy(n->vdev.config, mac, 6);
    n->vdev.config_len = 8;
}
