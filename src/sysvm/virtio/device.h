/* The transport-independent part of a virtio device: features, status, queues, config space, the
 * interrupt status, and the device-error state a lying driver gets. Transports (MMIO now) drive it;
 * device models (blk, net, console, rng) implement VirtioOps and use the pop/push helpers. */
#ifndef LODGE_SYSVM_VIRTIO_DEVICE_H
#define LODGE_SYSVM_VIRTIO_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "sysvm/guestmem.h"
#include "sysvm/virtio/queue.h"

#define VIRTIO_MAX_QUEUES 4
#define VIRTIO_CONFIG_MAX 136          /* virtio-input's, the largest here */
#define VIRTIO_F_VERSION_1 (1ull << 32)

enum { VIRTIO_STATUS_ACK = 1, VIRTIO_STATUS_DRIVER = 2, VIRTIO_STATUS_DRIVER_OK = 4, VIRTIO_STATUS_FEATURES_OK = 8,
       VIRTIO_STATUS_NEEDS_RESET = 0x40, VIRTIO_STATUS_FAILED = 0x80 };
enum { VIRTIO_ISR_QUEUE = 1, VIRTIO_ISR_CONFIG = 2 };

typedef struct VirtioDevice VirtioDevice;

typedef struct VirtioOps {
    const char *name;
    uint32_t device_id;
    void (*notify)(VirtioDevice *vd, unsigned queue);     /* the driver kicked a queue */
    void (*reset)(VirtioDevice *vd);                      /* optional: drop device-private state */
    void (*poll)(VirtioDevice *vd);                       /* optional: backend input, between slices */
    int (*wait_fd)(VirtioDevice *vd);                     /* optional: fd whose input poll() would take */
    /* optional: host monotonic ns at which poll() has work again although no fd says so (a request held back
     * by a rate limiter); 0: none. The run loop's idle wait ends by then. */
    uint64_t (*wake_at)(VirtioDevice *vd);
    /* optional: the driver wrote config bytes [off, off+size) (value little-endian); without it config is
     * read-only */
    void (*config_write)(VirtioDevice *vd, uint64_t off, unsigned size, uint64_t val);
} VirtioOps;

struct VirtioDevice {
    const VirtioOps *ops;
    void *impl;                         /* the device model */
    const GuestMem *mem;
    uint64_t features, driver_features;
    uint32_t status;
    unsigned nqueues;
    VirtQueue vq[VIRTIO_MAX_QUEUES];
    uint8_t config[VIRTIO_CONFIG_MAX];
    uint32_t config_len, config_gen;
    uint32_t isr;
    void (*irq)(void *transport, bool level);     /* set by the transport */
    void *transport;
    bool broken;                        /* a driver error was seen; nothing runs until reset */
    char error[160];
    uint64_t notifies, requests, errors;  /* --trace */
};

/* Fills the common part. features must not include VERSION_1 (added here). */
void virtio_dev_init(VirtioDevice *vd, const VirtioOps *ops, void *impl, const GuestMem *mem, uint64_t features,
                     unsigned nqueues, uint32_t queue_max);
void virtio_dev_reset(VirtioDevice *vd);
/* True once the driver has finished set-up (DRIVER_OK) and the device is not broken. */
bool virtio_dev_live(const VirtioDevice *vd);
/* Takes a chain from queue q: 1 got one, 0 none, -1 the driver lied (the device is now broken). */
int virtio_dev_pop(VirtioDevice *vd, unsigned q, VirtqChain *chain);
/* Returns a chain to the driver and raises the queue interrupt if wanted. */
void virtio_dev_push(VirtioDevice *vd, unsigned q, const VirtqChain *chain, uint32_t written);
/* Marks the device as needing a reset (the driver sees NEEDS_RESET and a config interrupt). */
void virtio_dev_fail(VirtioDevice *vd, const char *why);
void virtio_dev_update_irq(VirtioDevice *vd);

#endif
