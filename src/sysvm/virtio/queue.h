/* Split virtqueues (virtio 1.x, 2.7): taking descriptor chains from the available ring and returning them on
 * the used ring. Every index, length, address and chain read from guest memory is checked here; a lie is
 * reported as an error for the device to turn into "needs reset", never followed. */
#ifndef LODGE_SYSVM_VIRTIO_QUEUE_H
#define LODGE_SYSVM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "sysvm/guestmem.h"
#include "sysvm/vmerr.h"

#define VIRTQ_MAX_SIZE 256

typedef struct VirtQueue {
    uint32_t num;                  /* size chosen by the driver, 1..max */
    uint32_t max;                  /* what the device offers */
    bool ready;
    uint64_t desc, avail, used;    /* guest physical addresses of the three areas */
    uint16_t last_avail;           /* next available-ring entry to take */
    uint16_t used_idx;             /* our copy of used->idx */
} VirtQueue;

typedef struct VirtqBuf {
    uint64_t addr;
    uint32_t len;
    bool write;                    /* device-writable */
} VirtqBuf;

/* One request: its buffers, readable ones first. in_len/out_len: total writable/readable bytes. */
typedef struct VirtqChain {
    uint16_t head;
    unsigned n;
    VirtqBuf buf[VIRTQ_MAX_SIZE];
    uint64_t out_len, in_len;
} VirtqChain;

void virtio_queue_reset(VirtQueue *q, uint32_t max);
/* Checks that a queue the driver wants to enable is well placed: size, alignment, all of it inside RAM. */
bool virtio_queue_check(const VirtQueue *q, const GuestMem *gm, VmError *err);
/* Takes the next chain. Returns 1 with *chain filled, 0 when the ring is empty, -1 when the guest lied
 * (message in err). */
int virtio_queue_pop(VirtQueue *q, const GuestMem *gm, VirtqChain *chain, VmError *err);
/* Returns a chain with `written` bytes written into it. False if the used ring is outside RAM. */
bool virtio_queue_push(VirtQueue *q, const GuestMem *gm, uint16_t head, uint32_t written);
/* True unless the driver asked for no interrupts (VIRTQ_AVAIL_F_NO_INTERRUPT). */
bool virtio_queue_wants_irq(const VirtQueue *q, const GuestMem *gm);
/* True when the available ring holds chains not yet taken. */
bool virtio_queue_has_work(const VirtQueue *q, const GuestMem *gm);

/* Copy out of the readable part / into the writable part of a chain, starting `off` bytes into that part.
 * Return the bytes copied (short at the end of the part). */
uint64_t virtio_queue_chain_read(const VirtqChain *c, const GuestMem *gm, uint64_t off, void *buf, uint64_t len);
uint64_t virtio_queue_chain_write(const VirtqChain *c, const GuestMem *gm, uint64_t off, const void *buf,
                                  uint64_t len);

#endif
