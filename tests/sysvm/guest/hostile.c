/* A hostile guest: it lies to virtio-blk (queues outside RAM, buffers outside RAM, descriptor loops, runaway
 * indices), pokes unmapped addresses, and calls the SBI with bad arguments. Lodge must answer each lie with a
 * device error or a trap, keep running, and still serve honest requests. Ends with SBI shutdown (all checks
 * passed) or the test device's failure code = the number of the first failed check. */
#include <stdint.h>

#define VIRTIO 0x10001000ul
#define TEST_DEV 0x100000ul

volatile uint64_t last_cause;

static inline uint32_t rd(unsigned off) { return *(volatile uint32_t *)(VIRTIO + off); }
static inline void wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(VIRTIO + off) = v; }

struct sbiret { long err, val; };
static struct sbiret sbi(long ext, long fid, long a0, long a1, long a2)
{
    register long r0 asm("a0") = a0, r1 asm("a1") = a1, r2 asm("a2") = a2;
    register long r6 asm("a6") = fid, r7 asm("a7") = ext;
    asm volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){r0, r1};
}

static void puts_(const char *s) { while (*s) sbi(0x4442434E, 2, *s++, 0, 0); }

static void fail(unsigned n)
{
    puts_("hostile-guest: FAILED check ");
    char d[4] = {(char)('0' + n / 10), (char)('0' + n % 10), '\n', 0};
    puts_(d);
    *(volatile uint32_t *)TEST_DEV = (n << 16) | 0x3333;
    for (;;) {}
}

static unsigned checks;
#define CHECK(c) do { checks++; if (!(c)) fail(checks); } while (0)

#define QN 8
struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
static struct desc dtab[QN] __attribute__((aligned(4096)));
static struct { uint16_t flags, idx, ring[QN], event; } avail __attribute__((aligned(4096)));
static struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QN]; uint16_t event; } used __attribute__((aligned(4096)));
static uint8_t hdr[16] __attribute__((aligned(16)));
static uint8_t data[4096] __attribute__((aligned(4096)));
static volatile uint8_t status;
static uint8_t code[4096] __attribute__((aligned(4096)));

static void zero(void *p, unsigned n) { for (unsigned i = 0; i < n; i++) ((volatile uint8_t *)p)[i] = 0; }

/* Resets the device and sets it up honestly with queue 0 on our rings. */
static void setup(void)
{
    wr(0x70, 0);
    zero(&avail, sizeof avail);
    zero(&used, sizeof used);
    wr(0x70, 1 | 2);
    wr(0x24, 1); wr(0x20, 1);            /* VERSION_1 */
    wr(0x24, 0); wr(0x20, 0);
    wr(0x70, 1 | 2 | 8);
    wr(0x30, 0);
    wr(0x38, QN);
    wr(0x80, (uint32_t)(uintptr_t)dtab); wr(0x84, 0);
    wr(0x90, (uint32_t)(uintptr_t)&avail); wr(0x94, 0);
    wr(0xa0, (uint32_t)(uintptr_t)&used); wr(0xa4, 0);
    wr(0x44, 1);
    wr(0x70, 1 | 2 | 4 | 8);
}

static void offer(uint16_t head)
{
    avail.ring[avail.idx % QN] = head;
    asm volatile("fence rw, rw" ::: "memory");
    avail.idx++;
    asm volatile("fence rw, rw" ::: "memory");
    wr(0x50, 0);
}

/* An honest request: type, sector, data buffer (len bytes at buf), status. Returns the status byte. */
static uint8_t request(uint32_t type, uint64_t sector, void *buf, uint32_t len, int device_writes)
{
    for (int i = 0; i < 16; i++) hdr[i] = 0;
    hdr[0] = (uint8_t)type;
    for (int i = 0; i < 8; i++) hdr[8 + i] = (uint8_t)(sector >> (8 * i));
    status = 0xee;
    dtab[0] = (struct desc){(uintptr_t)hdr, 16, 1, 1};
    dtab[1] = (struct desc){(uintptr_t)buf, len, (uint16_t)(1 | (device_writes ? 2 : 0)), 2};
    dtab[2] = (struct desc){(uintptr_t)&status, 1, 2, 0};
    offer(0);
    return status;
}

static int broken(void) { return (rd(0x70) & 0x40) != 0; }

typedef long (*fn)(void);

int main(void)
{
    puts_("hostile-guest: start\n");
    CHECK(rd(0) == 0x74726976 && rd(4) == 2 && rd(8) == 2);

    /* 1. a queue outside RAM is refused */
    wr(0x70, 0); wr(0x70, 3); wr(0x24, 1); wr(0x20, 1); wr(0x70, 11);
    wr(0x30, 0); wr(0x38, QN); wr(0x80, 0x1000); wr(0x84, 0); wr(0x44, 1);
    CHECK(rd(0x44) == 0 && broken());
    /* a queue bigger than offered */
    setup();
    CHECK(!broken());
    wr(0x70, 0); wr(0x38, 4096); wr(0x44, 1);
    CHECK(rd(0x44) == 0);

    /* 2. a buffer outside RAM, one that wraps, one that covers the MMIO space: each breaks the device */
    uint64_t bad[3] = {0x7ffff000ul, 0xfffffffffffff000ul, 0x10000000ul};
    for (int i = 0; i < 3; i++) {
        setup();
        dtab[0] = (struct desc){(uintptr_t)hdr, 16, 1, 1};
        dtab[1] = (struct desc){bad[i], 4096, 3, 2};
        dtab[2] = (struct desc){(uintptr_t)&status, 1, 2, 0};
        status = 0xee;
        offer(0);
        CHECK(broken() && used.idx == 0 && status == 0xee);
        CHECK(rd(0x60) & 2);                /* configuration-change interrupt */
    }
    /* 3. a descriptor loop, a next beyond the queue, a head beyond the queue, a runaway index */
    setup();
    dtab[0] = (struct desc){(uintptr_t)hdr, 16, 1, 1};
    dtab[1] = (struct desc){(uintptr_t)data, 16, 1, 0};
    offer(0);
    CHECK(broken());
    setup();
    dtab[0] = (struct desc){(uintptr_t)hdr, 16, 1, 200};
    offer(0);
    CHECK(broken());
    setup();
    offer(QN + 3);
    CHECK(broken());
    setup();
    avail.idx = 1000;
    wr(0x50, 0);
    CHECK(broken());
    /* 4. requests the disk cannot serve are answered, not obeyed */
    setup();
    CHECK(request(0, 1ul << 60, data, 512, 1) == 1);          /* beyond the disk */
    CHECK(request(0, 0, data, 100, 1) == 1);                  /* part of a sector */
    CHECK(request(77, 0, data, 512, 1) == 2);                 /* unknown type */
    CHECK(!broken());

    /* 5. honest I/O still works, and DMA into code is seen by the hart: run a function, overwrite it by
     * reading the disk into it, run it again */
    static const uint32_t ret42[2] = {0x02a00513, 0x00008067};   /* li a0, 42; ret */
    static const uint32_t ret1[2] = {0x00100513, 0x00008067};    /* li a0, 1; ret */
    for (int i = 0; i < 2; i++) ((volatile uint32_t *)data)[i] = ret42[i];
    CHECK(request(1, 8, data, 512, 0) == 0);                  /* sector 8 := ret42 */
    dtab[0] = (struct desc){(uintptr_t)hdr, 16, 1, 2};           /* flush: header and status only */
    hdr[0] = 4;
    status = 0xee;
    offer(0);
    CHECK(status == 0);
    for (int i = 0; i < 2; i++) ((volatile uint32_t *)code)[i] = ret1[i];
    asm volatile("fence.i" ::: "memory");
    CHECK(((fn)(uintptr_t)code)() == 1);
    CHECK(request(0, 8, code, 512, 1) == 0);                  /* DMA over the decoded function */
    asm volatile("fence.i" ::: "memory");
    CHECK(((fn)(uintptr_t)code)() == 42);
    CHECK(used.idx >= 4 && !broken());

    /* 6. unmapped physical addresses fault; the trap handler skips the access */
    last_cause = 0;
    asm volatile(".option push\n.option norvc\nlw t0, 0(%0)\n.option pop" :: "r"(0x30000000ul) : "t0", "memory");
    CHECK(last_cause == 5);
    last_cause = 0;
    asm volatile(".option push\n.option norvc\nsw zero, 0(%0)\n.option pop" :: "r"(0x40000000ul) : "memory");
    CHECK(last_cause == 7);
    last_cause = 0;
    asm volatile(".option push\n.option norvc\nlw t0, 2(%0)\n.option pop" :: "r"(VIRTIO) : "t0", "memory");
    CHECK(last_cause == 4 || last_cause == 5);                /* misaligned MMIO: misaligned or access fault */

    /* 7. the SBI answers nonsense with errors */
    CHECK(sbi(0x4442434E, 0, 16, 0x1000, 0).err == -3);        /* console write from outside RAM */
    CHECK(sbi(0x4442434E, 0, 16, -1, 0).err == -3);
    CHECK(sbi(0x48534D, 0, 99, 0x80200000, 0).err == -3);      /* start a hart that does not exist */
    CHECK(sbi(0x735049, 0, 1, 1000, 0).err == -3);             /* IPI to hart 1000 */
    CHECK(sbi(0x53525354, 0, 9, 0, 0).err == -3);              /* reset type 9 */
    CHECK(sbi(0x7a7a7a7a, 5, 0, 0, 0).err == -2);
    CHECK(sbi(0x10, 0, 0, 0, 0).val == 2l << 24);

    puts_("hostile-guest: all checks passed\n");
    sbi(0x53525354, 0, 0, 0, 0);                               /* shutdown */
    return 0;
}
