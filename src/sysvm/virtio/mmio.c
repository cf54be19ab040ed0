/* virtio-mmio register file (version 2). Config space accesses go to the device's config bytes. */
#include "sysvm/virtio/mmio.h"

#include <stdio.h>

enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c, DEV_FEATURES = 0x010,
    DEV_FEATURES_SEL = 0x014, DRV_FEATURES = 0x020, DRV_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030,
    QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INT_STATUS = 0x060,
    INT_ACK = 0x064, STATUS = 0x070, QUEUE_DESC_LO = 0x080, QUEUE_DESC_HI = 0x084, QUEUE_DRIVER_LO = 0x090,
    QUEUE_DRIVER_HI = 0x094, QUEUE_DEVICE_LO = 0x0a0, QUEUE_DEVICE_HI = 0x0a4, SHM_SEL = 0x0ac,
    SHM_LEN_LO = 0x0b0, SHM_LEN_HI = 0x0b4, SHM_BASE_LO = 0x0b8, SHM_BASE_HI = 0x0bc, CONFIG_GEN = 0x0fc,
    CONFIG = 0x100
};
#define MAGIC_VALUE 0x74726976u        /* "virt" */
#define VENDOR_VALUE 0x45444f4cu       /* "LODE" */

static void mmio_irq(void *t, bool level)
{
    VirtioMmio *m = t;
    irq_set(&m->irq, level);
}

void virtio_mmio_init(VirtioMmio *m, VirtioDevice *dev, IrqLine irq)
{
    m->dev = dev;
    m->irq = irq;
    m->dev_features_sel = m->drv_features_sel = m->queue_sel = 0;
    dev->irq = mmio_irq;
    dev->transport = m;
}

static VirtQueue *cur_queue(VirtioMmio *m)
{
    return m->queue_sel < m->dev->nqueues ? &m->dev->vq[m->queue_sel] : NULL;
}

static bool config_read(VirtioDevice *vd, uint64_t off, unsigned size, uint64_t *val)
{
    *val = 0;
    if (off + size > vd->config_len)
        return true;                    /* beyond the config space: reads as zero */
    for (unsigned i = 0; i < size; i++)
        *val |= (uint64_t)vd->config[off + i] << (8 * i);
    return true;
}

static bool mmio_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    VirtioMmio *m = dev;
    VirtioDevice *vd = m->dev;
    if (off >= CONFIG)
        return config_read(vd, off - CONFIG, size, val);
    *val = 0;
    if (size != 4 || (off & 3))
        return false;
    VirtQueue *q = cur_queue(m);
    switch (off) {
    case MAGIC: *val = MAGIC_VALUE; break;
    case VERSION: *val = 2; break;
    case DEVICE_ID: *val = vd->ops->device_id; break;
    case VENDOR_ID: *val = VENDOR_VALUE; break;
    case DEV_FEATURES: *val = m->dev_features_sel < 2 ? (uint32_t)(vd->features >> (32 * m->dev_features_sel)) : 0; break;
    case QUEUE_NUM_MAX: *val = q ? q->max : 0; break;
    case QUEUE_READY: *val = q ? q->ready : 0; break;
    case INT_STATUS: *val = vd->isr; break;
    case STATUS: *val = vd->status; break;
    case CONFIG_GEN: *val = vd->config_gen; break;
    case SHM_LEN_LO: case SHM_LEN_HI: *val = 0xffffffffu; break;   /* no shared memory regions */
    default: break;
    }
    return true;
}

static void set_addr(uint64_t *a, bool hi, uint64_t v)
{
    *a = hi ? (*a & 0xffffffffull) | v << 32 : (*a & ~0xffffffffull) | (uint32_t)v;
}

static void write_status(VirtioMmio *m, uint32_t v)
{
    VirtioDevice *vd = m->dev;
    if (v == 0) {
        virtio_dev_reset(vd);
        return;
    }
    if ((v & VIRTIO_STATUS_FEATURES_OK) && !(vd->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* A driver may only accept what was offered, and must accept VERSION_1 (no legacy interface). */
        if ((vd->driver_features & ~vd->features) || !(vd->driver_features & VIRTIO_F_VERSION_1))
            v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
    }
    vd->status = v | (vd->status & VIRTIO_STATUS_NEEDS_RESET);
}

static bool mmio_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    VirtioMmio *m = dev;
    VirtioDevice *vd = m->dev;
    if (off >= CONFIG) {
        /* Config is read-only except where the device model says otherwise (virtio-input's selector). */
        if (vd->ops->config_write && off - CONFIG + size <= vd->config_len)
            vd->ops->config_write(vd, off - CONFIG, size, val);
        return true;
    }
    if (size != 4 || (off & 3))
        return false;
    VirtQueue *q = cur_queue(m);
    uint32_t v = (uint32_t)val;
    switch (off) {
    case DEV_FEATURES_SEL: m->dev_features_sel = v; break;
    case DRV_FEATURES_SEL: m->drv_features_sel = v; break;
    case DRV_FEATURES:
        if (m->drv_features_sel < 2 && !(vd->status & VIRTIO_STATUS_FEATURES_OK)) {
            unsigned sh = 32 * m->drv_features_sel;
            vd->driver_features = (vd->driver_features & ~(0xffffffffull << sh)) | (uint64_t)v << sh;
        }
        break;
    case QUEUE_SEL: m->queue_sel = v; break;
    case QUEUE_NUM: if (q && !q->ready) q->num = v; break;
    case QUEUE_DESC_LO: case QUEUE_DESC_HI: if (q && !q->ready) set_addr(&q->desc, off == QUEUE_DESC_HI, v); break;
    case QUEUE_DRIVER_LO: case QUEUE_DRIVER_HI: if (q && !q->ready) set_addr(&q->avail, off == QUEUE_DRIVER_HI, v); break;
    case QUEUE_DEVICE_LO: case QUEUE_DEVICE_HI: if (q && !q->ready) set_addr(&q->used, off == QUEUE_DEVICE_HI, v); break;
    case QUEUE_READY:
        if (!q) break;
        if (v & 1) {
            VmError err;
            if (!virtio_queue_check(q, vd->mem, &err)) {
                char why[200];
                snprintf(why, sizeof why, "queue %u: %.150s", m->queue_sel, err.msg);
                virtio_dev_fail(vd, why);
                break;
            }
            q->ready = true;
            q->last_avail = q->used_idx = 0;
        } else {
            q->ready = false;
        }
        break;
    case QUEUE_NOTIFY:
        vd->notifies++;
        if (v < vd->nqueues && virtio_dev_live(vd) && vd->ops->notify)
            vd->ops->notify(vd, v);
        break;
    case INT_ACK:
        vd->isr &= ~v;
        virtio_dev_update_irq(vd);
        break;
    case STATUS: write_status(m, v); break;
    case SHM_SEL: break;
    default: break;
    }
    return true;
}

static void mmio_reset(void *dev)
{
    VirtioMmio *m = dev;
    m->dev_features_sel = m->drv_features_sel = m->queue_sel = 0;
    virtio_dev_reset(m->dev);
}

const DevOps virtio_mmio_ops = {.name = "virtio-mmio", .read = mmio_read, .write = mmio_write, .reset = mmio_reset};
