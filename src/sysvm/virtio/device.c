/* Transport-independent virtio device state and the device-error path. */
#include "sysvm/virtio/device.h"

#include <stdio.h>
#include <string.h>

void virtio_dev_init(VirtioDevice *vd, const VirtioOps *ops, void *impl, const GuestMem *mem, uint64_t features,
                     unsigned nqueues, uint32_t queue_max)
{
    memset(vd, 0, sizeof *vd);
    vd->ops = ops;
    vd->impl = impl;
    vd->mem = mem;
    vd->features = features | VIRTIO_F_VERSION_1;
    vd->nqueues = nqueues > VIRTIO_MAX_QUEUES ? VIRTIO_MAX_QUEUES : nqueues;
    for (unsigned i = 0; i < vd->nqueues; i++)
        virtio_queue_reset(&vd->vq[i], queue_max);
}

void virtio_dev_update_irq(VirtioDevice *vd)
{
    if (vd->irq)
        vd->irq(vd->transport, vd->isr != 0);
}

void virtio_dev_reset(VirtioDevice *vd)
{
    vd->status = 0;
    vd->driver_features = 0;
    vd->isr = 0;
    vd->broken = false;
    for (unsigned i = 0; i < vd->nqueues; i++)
        virtio_queue_reset(&vd->vq[i], vd->vq[i].max);
    if (vd->ops->reset)
        vd->ops->reset(vd);
    virtio_dev_update_irq(vd);
}

bool virtio_dev_live(const VirtioDevice *vd)
{
    return (vd->status & VIRTIO_STATUS_DRIVER_OK) && !vd->broken;
}

void virtio_dev_fail(VirtioDevice *vd, const char *why)
{
    if (!vd->errors)
        snprintf(vd->error, sizeof vd->error, "%s", why);      /* the first one explains the rest */
    vd->broken = true;
    vd->errors++;
    vd->status |= VIRTIO_STATUS_NEEDS_RESET;
    if (vd->status & VIRTIO_STATUS_DRIVER_OK) {
        vd->isr |= VIRTIO_ISR_CONFIG;
        virtio_dev_update_irq(vd);
    }
}

int virtio_dev_pop(VirtioDevice *vd, unsigned q, VirtqChain *chain)
{
    if (!virtio_dev_live(vd) || q >= vd->nqueues)
        return 0;
    VmError err;
    int r = virtio_queue_pop(&vd->vq[q], vd->mem, chain, &err);
    if (r < 0) {
        char why[200];
        snprintf(why, sizeof why, "queue %u: %.150s", q, err.msg);
        virtio_dev_fail(vd, why);
    } else if (r > 0) {
        vd->requests++;
    }
    return r;
}

void virtio_dev_push(VirtioDevice *vd, unsigned q, const VirtqChain *chain, uint32_t written)
{
    if (q >= vd->nqueues || vd->broken)
        return;
    VirtQueue *vq = &vd->vq[q];
    if (written > chain->in_len)
        written = (uint32_t)chain->in_len;
    if (!virtio_queue_push(vq, vd->mem, chain->head, written)) {
        virtio_dev_fail(vd, "used ring outside guest RAM");
        return;
    }
    if (virtio_queue_wants_irq(vq, vd->mem)) {
        vd->isr |= VIRTIO_ISR_QUEUE;
        virtio_dev_update_irq(vd);
    }
}
