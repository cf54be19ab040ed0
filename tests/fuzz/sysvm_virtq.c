/* libFuzzer target: a hostile driver. The input becomes guest RAM (descriptor table, rings, buffers) and a
 * queue layout, or a sequence of virtio-mmio register writes in front of a virtio-blk disk. Nothing may crash
 * or touch memory outside guest RAM (ASan checks), and every loop must end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysvm/guestmem.h"
#include "sysvm/virtio/blk.h"
#include "sysvm/virtio/mmio.h"
#include "sysvm/virtio/queue.h"

#define BASE 0x80000000ull
#define RAM 0x10000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rd(const uint8_t **p, size_t *n, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && *n; i++, (*p)++, (*n)--)
        v |= (uint64_t)**p << (8 * i);
    return v;
}

static void irq_nop(void *o, unsigned n, bool level) {}

static void raw_queue(const uint8_t *p, size_t n, GuestMem *gm)
{
    VirtQueue q;
    virtio_queue_reset(&q, VIRTQ_MAX_SIZE);
    q.num = (uint32_t)rd(&p, &n, 2);
    /* Offsets mostly inside RAM, sometimes anywhere. */
    q.desc = BASE + (rd(&p, &n, 2) << 4);
    q.avail = BASE + (rd(&p, &n, 2) << 1);
    q.used = BASE + (rd(&p, &n, 2) << 2);
    if (rd(&p, &n, 1) == 0xff)
        q.desc = rd(&p, &n, 8);
    q.last_avail = (uint16_t)rd(&p, &n, 2);
    q.used_idx = q.last_avail;
    memcpy(gm->host, p, n < RAM ? n : RAM);
    if (!virtio_queue_check(&q, gm, NULL))
        return;
    q.ready = true;
    for (int i = 0; i < 64; i++) {
        VirtqChain c;
        VmError err;
        int r = virtio_queue_pop(&q, gm, &c, &err);
        if (r <= 0)
            break;
        uint8_t buf[512];
        virtio_queue_chain_read(&c, gm, 3, buf, sizeof buf);
        virtio_queue_chain_write(&c, gm, 5, buf, sizeof buf);
        virtio_queue_push(&q, gm, c.head, (uint32_t)c.in_len);
    }
}

static char disk_path[64];

static void blk_mmio(const uint8_t *p, size_t n, GuestMem *gm)
{
    if (!disk_path[0]) {
        snprintf(disk_path, sizeof disk_path, "/tmp/lodge-fuzz-disk-%d", (int)getpid());
        FILE *f = fopen(disk_path, "wb");
        if (!f) return;
        static uint8_t zero[8192];
        fwrite(zero, 1, sizeof zero, f);
        fclose(f);
    }
    BlockFile bf;
    if (!blockfile_open(&bf, disk_path, false, NULL))
        return;
    VirtioBlk blk;
    virtio_blk_init(&blk, gm, &bf, "fuzz");
    VirtioMmio m;
    virtio_mmio_init(&m, &blk.vdev, (IrqLine){irq_nop, NULL, 1});
    size_t ram_part = n / 2 < RAM ? n / 2 : RAM;
    memcpy(gm->host, p, ram_part);
    p += ram_part;
    n -= ram_part;
    /* The rest: (offset byte, 32-bit value) register writes, with reads in between. */
    for (int steps = 0; n >= 5 && steps < 256; steps++) {
        uint64_t off = (uint64_t)p[0] << 2;
        uint32_t v = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
        p += 5;
        n -= 5;
        /* Queue addresses point into RAM more often than not. */
        if (off >= 0x80 && off <= 0xa4 && !(off & 4) && (v & 0x80000000u))
            v = (uint32_t)BASE + (v & (RAM - 1));
        if (off >= 0x80 && off <= 0xa4 && (off & 4) && (v & 1))
            v = 0;
        virtio_mmio_ops.write(&m, off, 4, v);
        uint64_t out;
        virtio_mmio_ops.read(&m, (uint64_t)(p[-5] ^ 0x5a) << 2, 4, &out);
    }
    blockfile_close(&bf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GuestMem gm;
    if (!gm.host && !guestmem_init(&gm, BASE, RAM, NULL))
        return 0;
    memset(gm.host, 0, RAM);
    if (size < 1)
        return 0;
    if (data[0] & 1)
        blk_mmio(data + 1, size - 1, &gm);
    else
        raw_queue(data + 1, size - 1, &gm);
    return 0;
}
