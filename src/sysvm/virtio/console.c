/* virtio-console: queue 0 receives (host to guest), queue 1 transmits (guest to host). */
#include "sysvm/virtio/console.h"

enum { RXQ = 0, TXQ = 1 };

static void console_rx(VirtioDevice *vd)
{
    VirtioConsole *c = vd->impl;
    if (!c->in || !virtio_dev_live(vd) || !virtio_queue_has_work(&vd->vq[RXQ], vd->mem))
        return;
    int ch = c->in(c->opaque);
    if (ch < 0)
        return;
    VirtqChain ch_;
    if (virtio_dev_pop(vd, RXQ, &ch_) <= 0)
        return;
    uint8_t buf[256];
    size_t n = 0;
    buf[n++] = (uint8_t)ch;
    while (n < sizeof buf && n < ch_.in_len && (ch = c->in(c->opaque)) >= 0)
        buf[n++] = (uint8_t)ch;
    uint64_t w = virtio_queue_chain_write(&ch_, vd->mem, 0, buf, n);
    c->bytes_in += w;
    virtio_dev_push(vd, RXQ, &ch_, (uint32_t)w);
}

static void console_notify(VirtioDevice *vd, unsigned q)
{
    VirtioConsole *c = vd->impl;
    if (q != TXQ) {
        console_rx(vd);
        return;
    }
    VirtqChain ch;
    while (virtio_dev_pop(vd, TXQ, &ch) > 0) {
        uint8_t buf[512];
        for (uint64_t off = 0; off < ch.out_len;) {
            uint64_t n = virtio_queue_chain_read(&ch, vd->mem, off, buf, sizeof buf);
            if (n == 0)
                break;
            c->out(c->opaque, buf, (size_t)n);
            c->bytes_out += n;
            off += n;
        }
        virtio_dev_push(vd, TXQ, &ch, 0);
    }
}

static const VirtioOps console_ops = {
    .name = "virtio-console", .device_id = 3, .notify = console_notify, .poll = console_rx,
};

void virtio_console_init(VirtioConsole *c, const GuestMem *mem, void (*out)(void *, const uint8_t *, size_t),
                         int (*in)(void *), void *opaque)
{
    virtio_dev_init(&c->vdev, &console_ops, c, mem, 0, 2, 64);
    c->out = out;
    c->in = in;
    c->opaque = opaque;
    c->bytes_out = c->bytes_in = 0;
    c->vdev.config_len = 12;        /* cols, rows, max_nr_ports, emerg_wr: unused without features */
}
