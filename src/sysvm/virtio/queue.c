/* Split virtqueue core: the one place devices read descriptors, so the one place they are checked. */
#include "sysvm/virtio/queue.h"

#include <string.h>

enum { DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4, AVAIL_F_NO_INTERRUPT = 1 };

void virtio_queue_reset(VirtQueue *q, uint32_t max)
{
    memset(q, 0, sizeof *q);
    q->max = max > VIRTQ_MAX_SIZE ? VIRTQ_MAX_SIZE : max;
    q->num = q->max;
}

bool virtio_queue_check(const VirtQueue *q, const GuestMem *gm, VmError *err)
{
    if (q->num == 0 || q->num > q->max)
        return vmerr_set(err, "queue size %u (max %u)", q->num, q->max);
    if ((q->desc & 15) || (q->avail & 1) || (q->used & 3))
        return vmerr_set(err, "misaligned queue areas");
    if (!guestmem_contains(gm, q->desc, 16ull * q->num) || !guestmem_contains(gm, q->avail, 6 + 2ull * q->num) ||
        !guestmem_contains(gm, q->used, 6 + 8ull * q->num))
        return vmerr_set(err, "queue areas outside guest RAM");
    return true;
}

bool virtio_queue_has_work(const VirtQueue *q, const GuestMem *gm)
{
    uint16_t idx;
    return q->ready && guestmem_read_u16(gm, q->avail + 2, &idx) && idx != q->last_avail;
}

int virtio_queue_pop(VirtQueue *q, const GuestMem *gm, VirtqChain *c, VmError *err)
{
    if (!q->ready)
        return 0;
    uint16_t avail_idx;
    if (!guestmem_read_u16(gm, q->avail + 2, &avail_idx)) {
        vmerr_set(err, "available ring outside guest RAM");
        return -1;
    }
    uint16_t waiting = (uint16_t)(avail_idx - q->last_avail);
    if (waiting == 0)
        return 0;
    if (waiting > q->num) {
        vmerr_set(err, "available index %u runs %u entries ahead of a %u-entry queue", avail_idx, waiting, q->num);
        return -1;
    }
    uint16_t head;
    if (!guestmem_read_u16(gm, q->avail + 4 + 2ull * (q->last_avail % q->num), &head)) {
        vmerr_set(err, "available ring outside guest RAM");
        return -1;
    }
    if (head >= q->num) {
        vmerr_set(err, "chain head %u beyond queue size %u", head, q->num);
        return -1;
    }
    c->head = head;
    c->n = 0;
    c->in_len = c->out_len = 0;
    uint16_t i = head;
    /* A chain visits each descriptor at most once, so more than num steps means a loop. */
    for (;;) {
        if (c->n >= q->num) {
            vmerr_set(err, "descriptor chain from %u loops or is longer than the queue", head);
            return -1;
        }
        uint8_t d[16];
        if (!guestmem_read(gm, q->desc + 16ull * i, d, sizeof d)) {
            vmerr_set(err, "descriptor table outside guest RAM");
            return -1;
        }
        uint64_t addr = 0;
        for (int b = 7; b >= 0; b--)
            addr = addr << 8 | d[b];
        uint32_t len = (uint32_t)d[8] | (uint32_t)d[9] << 8 | (uint32_t)d[10] << 16 | (uint32_t)d[11] << 24;
        uint16_t flags = (uint16_t)(d[12] | d[13] << 8), next = (uint16_t)(d[14] | d[15] << 8);
        if (flags & DESC_F_INDIRECT) {
            vmerr_set(err, "indirect descriptor %u (not negotiated)", i);
            return -1;
        }
        if (!guestmem_contains(gm, addr, len)) {
            vmerr_set(err, "descriptor %u: buffer 0x%llx+%u outside guest RAM", i, (unsigned long long)addr, len);
            return -1;
        }
        bool w = flags & DESC_F_WRITE;
        if (!w && c->in_len) {
            vmerr_set(err, "descriptor %u: readable buffer after a writable one", i);
            return -1;
        }
        c->buf[c->n++] = (VirtqBuf){.addr = addr, .len = len, .write = w};
        if (w) c->in_len += len;
        else c->out_len += len;
        if (!(flags & DESC_F_NEXT))
            break;
        if (next >= q->num) {
            vmerr_set(err, "descriptor %u: next %u beyond queue size %u", i, next, q->num);
            return -1;
        }
        i = next;
    }
    q->last_avail++;
    return 1;
}

bool virtio_queue_push(VirtQueue *q, const GuestMem *gm, uint16_t head, uint32_t written)
{
    uint64_t e = q->used + 4 + 8ull * (q->used_idx % q->num);
    if (!guestmem_write_u32(gm, e, head) || !guestmem_write_u32(gm, e + 4, written))
        return false;
    q->used_idx++;
    /* Harts run on this same thread between device calls, so plain stores are ordered enough. */
    return guestmem_write_u16(gm, q->used + 2, q->used_idx);
}

bool virtio_queue_wants_irq(const VirtQueue *q, const GuestMem *gm)
{
    uint16_t flags = 0;
    guestmem_read_u16(gm, q->avail, &flags);
    return !(flags & AVAIL_F_NO_INTERRUPT);
}

static uint64_t chain_copy(const VirtqChain *c, const GuestMem *gm, bool write_part, uint64_t off, uint8_t *buf,
                           uint64_t len, bool to_guest)
{
    uint64_t done = 0;
    for (unsigned k = 0; k < c->n && done < len; k++) {
        const VirtqBuf *b = &c->buf[k];
        if (b->write != write_part)
            continue;
        if (off >= b->len) {
            off -= b->len;
            continue;
        }
        uint64_t n = b->len - off;
        if (n > len - done)
            n = len - done;
        bool ok = to_guest ? guestmem_write(gm, b->addr + off, buf + done, (size_t)n)
                           : guestmem_read(gm, b->addr + off, buf + done, (size_t)n);
        if (!ok)
            break;          /* cannot happen for a chain that passed pop; stop short if it does */
        done += n;
        off = 0;
    }
    return done;
}

uint64_t virtio_queue_chain_read(const VirtqChain *c, const GuestMem *gm, uint64_t off, void *buf, uint64_t len)
{
    return chain_copy(c, gm, false, off, buf, len, false);
}

uint64_t virtio_queue_chain_write(const VirtqChain *c, const GuestMem *gm, uint64_t off, const void *buf,
                                  uint64_t len)
{
    return chain_copy(c, gm, true, off, (uint8_t *)(uintptr_t)buf, len, true);
}
