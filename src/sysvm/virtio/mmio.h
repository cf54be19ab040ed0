/* The virtio-mmio transport, version 2 (virtio 1.x, 4.2): a register window on the bus in front of one
 * VirtioDevice, and the device's interrupt line. */
#ifndef LODGE_SYSVM_VIRTIO_MMIO_H
#define LODGE_SYSVM_VIRTIO_MMIO_H

#include <stdint.h>

#include "sysvm/bus.h"
#include "sysvm/irq.h"
#include "sysvm/virtio/device.h"

#define VIRTIO_MMIO_SIZE 0x1000

typedef struct VirtioMmio {
    VirtioDevice *dev;                /* borrowed */
    IrqLine irq;
    uint32_t dev_features_sel, drv_features_sel, queue_sel;
} VirtioMmio;

extern const DevOps virtio_mmio_ops;

void virtio_mmio_init(VirtioMmio *m, VirtioDevice *dev, IrqLine irq);

#endif
