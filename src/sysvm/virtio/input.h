/* virtio-input (device 18) as a power button: one key, KEY_POWER, which the host presses to ask the guest to
 * shut down (lodge_machine_shutdown). A guest acts on it as on any power button: systemd-logind powers off,
 * Lodge's default guest's init runs its shutdown (guests/init). */
#ifndef LODGE_SYSVM_VIRTIO_INPUT_H
#define LODGE_SYSVM_VIRTIO_INPUT_H

#include "sysvm/virtio/device.h"

#define VIRTIO_INPUT_PENDING 16

typedef struct VirtioInput {
    VirtioDevice vdev;
    uint8_t pending[VIRTIO_INPUT_PENDING][8];   /* events waiting for a buffer from the driver */
    unsigned npending;
    uint64_t presses;
} VirtioInput;

void virtio_input_init(VirtioInput *in, const GuestMem *mem);
/* Presses and releases the power key. False when the driver has not set the device up (nothing listens). */
bool virtio_input_press_power(VirtioInput *in);

#endif
