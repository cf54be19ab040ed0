/* virtio-console (device 3), a single port (hvc0): output to a byte sink, input from a byte source. */
#ifndef LODGE_SYSVM_VIRTIO_CONSOLE_H
#define LODGE_SYSVM_VIRTIO_CONSOLE_H

#include "sysvm/virtio/device.h"

typedef struct VirtioConsole {
    VirtioDevice vdev;
    void (*out)(void *opaque, const uint8_t *buf, size_t n);
    int (*in)(void *opaque);           /* next input byte or -1; NULL: no input */
    void *opaque;
    uint64_t bytes_out, bytes_in;
} VirtioConsole;

void virtio_console_init(VirtioConsole *c, const GuestMem *mem, void (*out)(void *, const uint8_t *, size_t),
                         int (*in)(void *), void *opaque);

#endif
