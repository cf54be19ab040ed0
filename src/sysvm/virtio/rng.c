/* virtio-rng: every writable byte of a request is filled from the host entropy backend. */
#include "sysvm/virtio/rng.h"

#include "sysvm/backend/entropy.h"

static void rng_notify(VirtioDevice *vd, unsigned q)
{
    VirtioRng *r = vd->impl;
    VirtqChain c;
    while (virtio_dev_pop(vd, 0, &c) > 0) {
        uint8_t buf[256];
        uint64_t want = c.in_len < 4096 ? c.in_len : 4096, done = 0;
        while (done < want) {
            uint64_t n = want - done < sizeof buf ? want - done : sizeof buf;
            if (!entropy_fill(buf, (size_t)n))
                break;
            done += virtio_queue_chain_write(&c, vd->mem, done, buf, n);
        }
        r->bytes += done;
        virtio_dev_push(vd, 0, &c, (uint32_t)done);
    }
}

static const VirtioOps rng_ops = {.name = "virtio-rng", .device_id = 4, .notify = rng_notify};

void virtio_rng_init(VirtioRng *r, const GuestMem *mem)
{
    virtio_dev_init(&r->vdev, &rng_ops, r, mem, 0, 1, 64);
    r->bytes = 0;
}
