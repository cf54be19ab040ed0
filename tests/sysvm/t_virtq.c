/* Virtqueue core and virtio devices against hostile drivers: every lie must end in a clean error. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysvm/guestmem.h"
#include "sysvm/virtio/blk.h"
#include "sysvm/virtio/mmio.h"
#include "sysvm/virtio/queue.h"
#include "sysvm/virtio/rng.h"
#include "test.h"

#define BASE 0x80000000ull
#define RAM (1u << 20)
#define DESC (BASE + 0x1000)
#define AVAIL (BASE + 0x2000)
#define USED (BASE + 0x3000)
#define DATA (BASE + 0x10000)
#define QN 8

static GuestMem gm;

static void setup(void)
{
    guestmem_fini(&gm);
    guestmem_init(&gm, BASE, RAM, NULL);
}

static void put_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *d = guestmem_ptr(&gm, DESC + 16ull * i, 16);
    for (int b = 0; b < 8; b++) d[b] = (uint8_t)(addr >> (8 * b));
    for (int b = 0; b < 4; b++) d[8 + b] = (uint8_t)(len >> (8 * b));
    d[12] = (uint8_t)flags; d[13] = (uint8_t)(flags >> 8);
    d[14] = (uint8_t)next; d[15] = (uint8_t)(next >> 8);
}

/* Makes `head` the next available entry and bumps avail->idx. */
static void offer(uint16_t head)
{
    uint16_t idx;
    guestmem_read_u16(&gm, AVAIL + 2, &idx);
    guestmem_write_u16(&gm, AVAIL + 4 + 2ull * (idx % QN), head);
    guestmem_write_u16(&gm, AVAIL + 2, (uint16_t)(idx + 1));
}

static VirtQueue fresh_queue(void)
{
    VirtQueue q;
    virtio_queue_reset(&q, QN);
    q.desc = DESC; q.avail = AVAIL; q.used = USED;
    q.ready = true;
    return q;
}

static int pop(VirtQueue *q, VirtqChain *c)
{
    VmError err;
    return virtio_queue_pop(q, &gm, c, &err);
}

static void t_chain_ok(void)
{
    setup();
    VirtQueue q = fresh_queue();
    VirtqChain c;
    CHECK(virtio_queue_check(&q, &gm, NULL));
    CHECK(pop(&q, &c) == 0);                         /* empty ring */
    put_desc(0, DATA, 16, 1, 3);
    put_desc(3, DATA + 100, 10, 1 | 2, 5);
    put_desc(5, DATA + 200, 5, 2, 0);
    offer(0);
    CHECK(pop(&q, &c) == 1);
    CHECK(c.head == 0 && c.n == 3 && c.out_len == 16 && c.in_len == 15);
    CHECK(!c.buf[0].write && c.buf[1].write && c.buf[2].write);
    /* chain_write spans the two writable buffers */
    const char msg[] = "0123456789abcde";
    CHECK(virtio_queue_chain_write(&c, &gm, 0, msg, 15) == 15);
    CHECK(memcmp(guestmem_ptr(&gm, DATA + 100, 10), "0123456789", 10) == 0);
    CHECK(memcmp(guestmem_ptr(&gm, DATA + 200, 5), "abcde", 5) == 0);
    CHECK(virtio_queue_chain_write(&c, &gm, 14, msg, 15) == 1);    /* short at the end */
    memcpy(guestmem_ptr(&gm, DATA, 16), "readable-part-xy", 16);
    char out[20] = {0};
    CHECK(virtio_queue_chain_read(&c, &gm, 9, out, 20) == 7 && memcmp(out, "part-xy", 7) == 0);
    CHECK(virtio_queue_push(&q, &gm, c.head, 15));
    uint16_t used_idx; uint32_t id, len;
    guestmem_read_u16(&gm, USED + 2, &used_idx);
    guestmem_read_u32(&gm, USED + 4, &id);
    guestmem_read_u32(&gm, USED + 8, &len);
    CHECK(used_idx == 1 && id == 0 && len == 15);
    CHECK(pop(&q, &c) == 0);
}

static void t_wraparound(void)
{
    setup();
    VirtQueue q = fresh_queue();
    /* Start the indices near 65535 so they wrap while in use. */
    q.last_avail = q.used_idx = 65533;
    guestmem_write_u16(&gm, AVAIL + 2, 65533);
    put_desc(1, DATA, 8, 0, 0);
    VirtqChain c;
    int got = 0;
    for (int i = 0; i < 6; i++) {
        offer(1);
        if (pop(&q, &c) == 1 && c.head == 1) got++;
        virtio_queue_push(&q, &gm, c.head, 0);
    }
    uint16_t used_idx;
    guestmem_read_u16(&gm, USED + 2, &used_idx);
    CHECK(got == 6 && used_idx == 3 && q.last_avail == 3);
}

static void t_hostile_indices(void)
{
    setup();
    VirtQueue q = fresh_queue();
    VirtqChain c;
    /* avail->idx far ahead of what the queue can hold */
    guestmem_write_u16(&gm, AVAIL + 2, QN + 1);
    CHECK(pop(&q, &c) == -1);
    /* head beyond the queue */
    setup(); q = fresh_queue();
    offer(QN);
    CHECK(pop(&q, &c) == -1);
    /* next beyond the queue */
    setup(); q = fresh_queue();
    put_desc(0, DATA, 4, 1, QN + 3);
    offer(0);
    CHECK(pop(&q, &c) == -1);
}

static void t_hostile_loops(void)
{
    setup();
    VirtQueue q = fresh_queue();
    VirtqChain c;
    put_desc(0, DATA, 4, 1, 1);
    put_desc(1, DATA, 4, 1, 0);              /* 0 -> 1 -> 0 -> ... */
    offer(0);
    CHECK(pop(&q, &c) == -1);
    setup(); q = fresh_queue();
    put_desc(2, DATA, 4, 1, 2);              /* self loop */
    offer(2);
    CHECK(pop(&q, &c) == -1);
    /* the longest legal chain: every descriptor once */
    setup(); q = fresh_queue();
    for (unsigned i = 0; i < QN; i++)
        put_desc(i, DATA, 1, i + 1 < QN ? 1 : 0, (uint16_t)(i + 1));
    offer(0);
    CHECK(pop(&q, &c) == 1 && c.n == QN);
}

static void t_hostile_buffers(void)
{
    struct { uint64_t addr; uint32_t len; } bad[] = {
        {BASE + RAM, 1},                /* just past the end */
        {BASE + RAM - 4, 8},            /* straddles the end */
        {BASE - 1, 2},                  /* straddles the start */
        {0, 16},                        /* below RAM: MMIO space */
        {0xfffffffffffffff0ull, 0x20},  /* wraps around */
        {BASE, 0xffffffffu},            /* larger than RAM */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setup();
        VirtQueue q = fresh_queue();
        VirtqChain c;
        put_desc(0, bad[i].addr, bad[i].len, 2, 0);
        offer(0);
        CHECK(pop(&q, &c) == -1);
    }
    setup();
    VirtQueue q = fresh_queue();
    VirtqChain c;
    put_desc(0, BASE + RAM - 8, 8, 0, 0);    /* the last bytes of RAM are fine */
    offer(0);
    CHECK(pop(&q, &c) == 1);
    /* readable after writable, and indirect descriptors (not negotiated) */
    setup(); q = fresh_queue();
    put_desc(0, DATA, 4, 1 | 2, 1);
    put_desc(1, DATA, 4, 0, 0);
    offer(0);
    CHECK(pop(&q, &c) == -1);
    setup(); q = fresh_queue();
    put_desc(0, DATA, 16, 4, 0);
    offer(0);
    CHECK(pop(&q, &c) == -1);
}

static void t_queue_placement(void)
{
    setup();
    VirtQueue q = fresh_queue();
    CHECK(virtio_queue_check(&q, &gm, NULL));
    q.desc = BASE + RAM - 16;                     /* table runs past RAM */
    CHECK(!virtio_queue_check(&q, &gm, NULL));
    q = fresh_queue(); q.desc = DESC + 8;         /* misaligned */
    CHECK(!virtio_queue_check(&q, &gm, NULL));
    q = fresh_queue(); q.used = 0x1000;           /* not RAM */
    CHECK(!virtio_queue_check(&q, &gm, NULL));
    q = fresh_queue(); q.num = 0;
    CHECK(!virtio_queue_check(&q, &gm, NULL));
    q = fresh_queue(); q.num = QN + 1;
    CHECK(!virtio_queue_check(&q, &gm, NULL));
    /* rings in RAM but the used ring moved outside after the check: push reports failure */
    q = fresh_queue(); q.used = BASE + RAM;
    CHECK(!virtio_queue_push(&q, &gm, 0, 0));
}

/* ---- through the MMIO transport, as a driver would ---- */

static bool irq_level;
static void irq_set_fn(void *o, unsigned n, bool level) { irq_level = level; }

static void mw(VirtioMmio *m, uint64_t off, uint32_t v) { virtio_mmio_ops.write(m, off, 4, v); }
static uint32_t mr(VirtioMmio *m, uint64_t off) { uint64_t v; virtio_mmio_ops.read(m, off, 4, &v); return (uint32_t)v; }

/* Negotiates VERSION_1 and sets up queue 0 at DESC/AVAIL/USED. Returns the status after FEATURES_OK. */
static uint32_t driver_setup(VirtioMmio *m, bool version1)
{
    mw(m, 0x70, 0);
    memset(guestmem_ptr(&gm, AVAIL, 0x2000), 0, 0x2000);     /* a driver starts with fresh rings */
    mw(m, 0x70, 1 | 2);
    mw(m, 0x24, 1);
    mw(m, 0x20, version1 ? 1 : 0);
    mw(m, 0x70, 1 | 2 | 8);
    uint32_t st = mr(m, 0x70);
    mw(m, 0x30, 0);
    mw(m, 0x38, QN);
    mw(m, 0x80, (uint32_t)DESC); mw(m, 0x84, (uint32_t)(DESC >> 32));
    mw(m, 0x90, (uint32_t)AVAIL); mw(m, 0x94, (uint32_t)(AVAIL >> 32));
    mw(m, 0xa0, (uint32_t)USED); mw(m, 0xa4, (uint32_t)(USED >> 32));
    mw(m, 0x44, 1);
    mw(m, 0x70, 1 | 2 | 4 | 8);
    return st;
}

static char tmpl[] = "/tmp/lodge-sysvm-blk-XXXXXX";

static bool make_disk(BlockFile *bf, bool ro)
{
    strcpy(tmpl, "/tmp/lodge-sysvm-blk-XXXXXX");
    int fd = mkstemp(tmpl);
    if (fd < 0) return false;
    uint8_t sector[512];
    for (int s = 0; s < 16; s++) {
        memset(sector, 'a' + s, sizeof sector);
        if (write(fd, sector, sizeof sector) != (ssize_t)sizeof sector) return false;
    }
    close(fd);
    return blockfile_open(bf, tmpl, ro, NULL);
}

/* A blk request: header at DATA, data buffer at DATA+0x100 (len, writable or not), status at DATA+0x80. */
static uint8_t blk_request(VirtioMmio *m, uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
    uint8_t *h = guestmem_ptr(&gm, DATA, 16);
    memset(h, 0, 16);
    h[0] = (uint8_t)type;
    for (int b = 0; b < 8; b++) h[8 + b] = (uint8_t)(sector >> (8 * b));
    *guestmem_ptr(&gm, DATA + 0x80, 1) = 0xee;
    if (len) {
        put_desc(0, DATA, 16, 1, 1);
        put_desc(1, DATA + 0x100, len, 1 | (data_writable ? 2 : 0), 2);
        put_desc(2, DATA + 0x80, 1, 2, 0);
    } else {
        put_desc(0, DATA, 16, 1, 2);
        put_desc(2, DATA + 0x80, 1, 2, 0);
    }
    offer(0);
    mw(m, 0x50, 0);
    return *guestmem_ptr(&gm, DATA + 0x80, 1);
}

static void t_blk_requests(void)
{
    setup();
    BlockFile bf;
    CHECK(make_disk(&bf, false));
    VirtioBlk blk;
    virtio_blk_init(&blk, &gm, &bf, "unit-disk");
    VirtioMmio m;
    virtio_mmio_init(&m, &blk.vdev, (IrqLine){irq_set_fn, NULL, 1});
    CHECK(mr(&m, 0) == 0x74726976 && mr(&m, 4) == 2 && mr(&m, 8) == 2);
    CHECK((driver_setup(&m, true) & 8) != 0);
    CHECK(mr(&m, 0x100) == 16);                               /* capacity in sectors */
    CHECK(blk_request(&m, 0, 2, 1024, true) == 0);            /* read sectors 2-3 */
    CHECK(guestmem_ptr(&gm, DATA + 0x100, 1024)[0] == 'c' && guestmem_ptr(&gm, DATA + 0x100, 1024)[1023] == 'd');
    CHECK(irq_level && (mr(&m, 0x60) & 1));
    mw(&m, 0x64, 1);
    CHECK(!irq_level);
    memset(guestmem_ptr(&gm, DATA + 0x100, 512), 'Z', 512);
    CHECK(blk_request(&m, 1, 15, 512, false) == 0);           /* write the last sector */
    CHECK(blk_request(&m, 4, 0, 0, false) == 0);              /* flush */
    uint8_t back[512];
    CHECK(blockfile_read(&bf, 15 * 512, back, 512) && back[0] == 'Z' && back[511] == 'Z');
    CHECK(blk_request(&m, 0, 15, 1024, true) == 1);           /* read past the end: I/O error */
    CHECK(blk_request(&m, 0, 0xffffffffffffffull, 512, true) == 1);   /* sector * 512 overflows */
    CHECK(blk_request(&m, 0, 0, 100, true) == 1);             /* not a whole sector */
    CHECK(blk_request(&m, 8, 0, 20, true) == 0);              /* get-id */
    CHECK(memcmp(guestmem_ptr(&gm, DATA + 0x100, 9), "unit-disk", 9) == 0);
    CHECK(blk_request(&m, 99, 0, 0, false) == 2);             /* unsupported */
    /* discard of sector 3 reads back as zeroes */
    uint8_t *seg = guestmem_ptr(&gm, DATA + 0x100, 16);
    memset(seg, 0, 16); seg[0] = 3; seg[8] = 1;
    CHECK(blk_request(&m, 11, 0, 16, false) == 0);
    CHECK(blockfile_read(&bf, 3 * 512, back, 512) && back[0] == 0 && back[511] == 0);
    seg[0] = 16;                                             /* discard beyond the disk */
    CHECK(blk_request(&m, 11, 0, 16, false) == 2);
    CHECK(!blk.vdev.broken);
    /* A request with no status byte cannot be answered: the device needs a reset, and nothing else breaks */
    put_desc(0, DATA, 16, 0, 0);
    offer(0);
    mw(&m, 0x50, 0);
    CHECK(blk.vdev.broken && (mr(&m, 0x70) & 0x40) && (mr(&m, 0x60) & 2));
    CHECK(blk_request(&m, 0, 0, 512, true) == 0xee);          /* ignored while broken */
    CHECK((driver_setup(&m, true) & 8) && !blk.vdev.broken);  /* a reset recovers it */
    CHECK(blk_request(&m, 0, 0, 512, true) == 0);
    blockfile_close(&bf);
    unlink(tmpl);
}

static void t_blk_readonly(void)
{
    setup();
    BlockFile bf;
    CHECK(make_disk(&bf, true));
    VirtioBlk blk;
    virtio_blk_init(&blk, &gm, &bf, "ro");
    VirtioMmio m;
    virtio_mmio_init(&m, &blk.vdev, (IrqLine){irq_set_fn, NULL, 1});
    CHECK(mr(&m, 0x10) & (1u << 5));                          /* VIRTIO_BLK_F_RO offered */
    driver_setup(&m, true);
    CHECK(blk_request(&m, 1, 0, 512, false) == 1);            /* write refused */
    CHECK(blk_request(&m, 0, 0, 512, true) == 0);
    blockfile_close(&bf);
    unlink(tmpl);
}

static void t_transport_rules(void)
{
    setup();
    VirtioRng rng;
    virtio_rng_init(&rng, &gm);
    VirtioMmio m;
    virtio_mmio_init(&m, &rng.vdev, (IrqLine){irq_set_fn, NULL, 1});
    CHECK((driver_setup(&m, false) & 8) == 0);                /* no VERSION_1: FEATURES_OK refused */
    mw(&m, 0x70, 0);
    mw(&m, 0x24, 0); mw(&m, 0x20, 0xffffffffu);               /* features never offered */
    mw(&m, 0x24, 1); mw(&m, 0x20, 1);
    mw(&m, 0x70, 1 | 2 | 8);
    CHECK((mr(&m, 0x70) & 8) == 0);
    /* a queue placed outside RAM is not enabled and the device asks for a reset */
    mw(&m, 0x70, 0);
    mw(&m, 0x30, 0);
    mw(&m, 0x80, 0x1000); mw(&m, 0x84, 0);
    mw(&m, 0x44, 1);
    CHECK(mr(&m, 0x44) == 0 && (mr(&m, 0x70) & 0x40));
    /* notify of a queue that does not exist, and queue select beyond the device: harmless */
    driver_setup(&m, true);
    mw(&m, 0x50, 77);
    mw(&m, 0x30, 9);
    CHECK(mr(&m, 0x34) == 0);
    /* rng fills the writable buffer */
    put_desc(0, DATA, 64, 2, 0);
    memset(guestmem_ptr(&gm, DATA, 64), 0, 64);
    offer(0);
    mw(&m, 0x50, 0);
    uint32_t len;
    guestmem_read_u32(&gm, USED + 8, &len);
    int nonzero = 0;
    for (int i = 0; i < 64; i++) nonzero += guestmem_ptr(&gm, DATA, 64)[i] != 0;
    CHECK(len == 64 && nonzero > 32 && rng.bytes == 64);
    /* non-4-byte register access is a fault, config space reads past its end are zero */
    uint64_t v;
    CHECK(!virtio_mmio_ops.read(&m, 0x70, 2, &v));
    CHECK(virtio_mmio_ops.read(&m, 0x1f0, 4, &v) && v == 0);
}

static void t_guestmem_bounds(void)
{
    setup();
    CHECK(guestmem_contains(&gm, BASE, RAM));
    CHECK(guestmem_contains(&gm, BASE + RAM, 0));
    CHECK(!guestmem_contains(&gm, BASE + RAM, 1));
    CHECK(!guestmem_contains(&gm, BASE - 1, 1));
    CHECK(!guestmem_contains(&gm, BASE + 1, UINT64_MAX));
    CHECK(!guestmem_contains(&gm, UINT64_MAX, 2));
    CHECK(guestmem_ptr(&gm, BASE + RAM - 1, 1) != NULL);
    CHECK(guestmem_ptr(&gm, BASE + RAM - 1, 2) == NULL);
    uint32_t v;
    CHECK(!guestmem_read_u32(&gm, BASE + RAM - 2, &v));
    CHECK(!guestmem_write(&gm, BASE + RAM - 2, "abcd", 4));
    guestmem_fini(&gm);
    CHECK(!guestmem_init(&gm, BASE, 0, NULL));
    CHECK(!guestmem_init(&gm, UINT64_MAX - 4095, 8192, NULL));     /* wraps the address space */
}

const TestCase t_virtq_tests[] = {
    {"virtq_chain_ok", t_chain_ok},
    {"virtq_index_wraparound", t_wraparound},
    {"virtq_hostile_indices", t_hostile_indices},
    {"virtq_hostile_loops", t_hostile_loops},
    {"virtq_hostile_buffers", t_hostile_buffers},
    {"virtq_queue_placement", t_queue_placement},
    {"virtio_blk_requests", t_blk_requests},
    {"virtio_blk_readonly", t_blk_readonly},
    {"virtio_mmio_transport_rules", t_transport_rules},
    {"guestmem_bounds", t_guestmem_bounds},
    {NULL, NULL},
};
