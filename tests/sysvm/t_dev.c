/* The bus, the platform devices, the loader and the SBI. */
#include <stdlib.h>
#include <string.h>

#include "sysvm/bus.h"
#include "sysvm/dev/clint.h"
#include "sysvm/dev/plic.h"
#include "sysvm/dev/rtc.h"
#include "sysvm/dev/syscon.h"
#include "sysvm/dev/uart.h"
#include "sysvm/guestmem.h"
#include "sysvm/loader.h"
#include "sysvm/riscv/hart.h"
#include "sysvm/riscv/sbi.h"
#include "test.h"

/* A scratch device that records its last access. */
typedef struct Probe { uint64_t off, val; unsigned size; int reads, writes, resets; } Probe;
static bool probe_read(void *d, uint64_t off, unsigned size, uint64_t *val)
{
    Probe *p = d; p->off = off; p->size = size; p->reads++; *val = 0xab00 + off; return true;
}
static bool probe_write(void *d, uint64_t off, unsigned size, uint64_t val)
{
    Probe *p = d; p->off = off; p->size = size; p->val = val; p->writes++; return true;
}
static void probe_reset(void *d) { ((Probe *)d)->resets++; }
static const DevOps probe_ops = {"probe", probe_read, probe_write, probe_reset};

static void t_bus(void)
{
    Bus bus;
    bus_init(&bus);
    Probe a = {0}, b = {0};
    CHECK(bus_add(&bus, 0x1000, 0x100, &probe_ops, &a, NULL));
    CHECK(bus_add(&bus, 0x1100, 0x100, &probe_ops, &b, NULL));              /* adjacent is fine */
    CHECK(!bus_add(&bus, 0x10ff, 2, &probe_ops, &b, NULL));                 /* overlap */
    CHECK(!bus_add(&bus, 0x0, 0x2000, &probe_ops, &b, NULL));               /* covering */
    CHECK(!bus_add(&bus, 0x5000, 0, &probe_ops, &b, NULL));                 /* empty */
    CHECK(!bus_add(&bus, UINT64_MAX - 4, 16, &probe_ops, &b, NULL));        /* wraps */
    uint64_t v;
    CHECK(bus_read(&bus, 0x1010, 4, &v) && v == 0xab10 && a.off == 0x10 && a.size == 4);
    CHECK(bus_write(&bus, 0x11f8, 8, 0x1122334455667788ull) && b.off == 0xf8 && b.val == 0x1122334455667788ull);
    CHECK(bus_write(&bus, 0x1100, 1, 0x1ff) && b.val == 0xff);              /* narrowed to the size */
    CHECK(!bus_read(&bus, 0x10fe, 4, &v));                                  /* straddles two devices */
    CHECK(!bus_read(&bus, 0x11fc, 8, &v));                                  /* runs off the end */
    CHECK(!bus_read(&bus, 0x3000, 4, &v) && bus.faults == 2 + 1);
    CHECK(!bus_read(&bus, 0x1000, 3, &v));                                  /* no such size */
    CHECK(a.reads == 1 && b.writes == 2);
    bus_reset(&bus);
    CHECK(a.resets == 1 && b.resets == 1);
    for (unsigned i = bus.n; i < BUS_MAX_REGIONS; i++)
        bus_add(&bus, 0x100000 + 0x1000ull * i, 0x10, &probe_ops, &a, NULL);
    CHECK(!bus_add(&bus, 0x900000, 0x10, &probe_ops, &a, NULL));            /* full */
}

static uint64_t lines;     /* bit (hart * 16 + line) */
static void set_line(void *o, unsigned hart, unsigned line, bool level)
{
    uint64_t bit = 1ull << (hart * 16 + line);
    lines = level ? lines | bit : lines & ~bit;
}

static uint32_t rd32(const DevOps *ops, void *d, uint64_t off)
{
    uint64_t v = 0;
    ops->read(d, off, 4, &v);
    return (uint32_t)v;
}

static void t_plic(void)
{
    Plic p;
    lines = 0;
    plic_init(&p, 2, set_line, NULL);
    const DevOps *o = &plic_ops;
    o->write(&p, 4 * 5, 4, 3);                  /* priority of source 5 */
    o->write(&p, 4 * 7, 4, 6);                  /* priority of source 7 */
    o->write(&p, 0x2000 + 0x80 * 1, 4, 1u << 5 | 1u << 7);   /* hart 0 S context enables 5 and 7 */
    plic_set_irq(&p, 5, true);
    CHECK(lines == 1ull << PLIC_LINE_SEIP);
    CHECK(rd32(o, &p, 0x1000) == 1u << 5);
    o->write(&p, 0x200000 + 0x1000 * 1, 4, 3);  /* threshold 3 masks priority 3 */
    CHECK(lines == 0);
    o->write(&p, 0x200000 + 0x1000 * 1, 4, 0);
    plic_set_irq(&p, 7, true);
    CHECK(rd32(o, &p, 0x200004 + 0x1000) == 7);                 /* higher priority first */
    CHECK(rd32(o, &p, 0x200004 + 0x1000) == 5);
    CHECK(rd32(o, &p, 0x200004 + 0x1000) == 0);                 /* both in service */
    CHECK(lines == 0);
    plic_set_irq(&p, 7, false);
    o->write(&p, 0x200004 + 0x1000, 4, 7);                      /* complete 7: line low, stays quiet */
    o->write(&p, 0x200004 + 0x1000, 4, 5);                      /* complete 5: line still high, pending again */
    CHECK(lines == 1ull << PLIC_LINE_SEIP && rd32(o, &p, 0x1000) == 1u << 5);
    o->write(&p, 0x200004 + 0x1000, 4, 63);                     /* completing what was never claimed: ignored */
    o->write(&p, 0x200004 + 0x1000, 4, 1000);
    /* hart 1's M context (context 2) */
    o->write(&p, 0x2000 + 0x80 * 2, 4, 1u << 5);
    CHECK(lines & 1ull << (16 + PLIC_LINE_MEIP));
    /* out-of-range contexts and sources are harmless */
    CHECK(rd32(o, &p, 0x200004 + 0x1000 * 31) == 0);
    plic_set_irq(&p, 64, true);
    plic_set_irq(&p, 0, true);
    uint64_t v;
    CHECK(!o->read(&p, 0x1001, 4, &v));
}

static uint8_t txbuf[64];
static unsigned txn;
static const char *rx_src;
static void tx(void *o, uint8_t c) { if (txn < sizeof txbuf) txbuf[txn++] = c; }
static int rx(void *o) { return rx_src && *rx_src ? (uint8_t)*rx_src++ : -1; }
static bool irq_on;
static void irq_fn(void *o, unsigned n, bool level) { irq_on = level; }

static uint8_t u8r(Uart *u, uint64_t off) { uint64_t v; uart_ops.read(u, off, 1, &v); return (uint8_t)v; }

static void t_uart(void)
{
    Uart u;
    txn = 0; rx_src = NULL; irq_on = false;
    uart_init(&u, (IrqLine){irq_fn, NULL, 10}, tx, rx, NULL);
    uart_ops.write(&u, 0, 1, 'h');
    uart_ops.write(&u, 0, 1, 'i');
    CHECK(txn == 2 && !memcmp(txbuf, "hi", 2));
    CHECK(u8r(&u, 5) & 0x60);                       /* THRE and TEMT */
    CHECK((u8r(&u, 2) & 0x0f) == 1 && !irq_on);     /* no interrupt enabled */
    uart_ops.write(&u, 1, 1, 0x02);                 /* THRI */
    CHECK(irq_on && (u8r(&u, 2) & 0x0f) == 2);      /* THRE interrupt, acknowledged by the read */
    CHECK((u8r(&u, 2) & 0x0f) == 1 && !irq_on);
    uart_ops.write(&u, 1, 1, 0x01);                 /* receive interrupt only */
    rx_src = "abc";
    uart_poll(&u);
    CHECK(irq_on && (u8r(&u, 5) & 1) && (u8r(&u, 2) & 0x0f) == 4);
    CHECK(u8r(&u, 0) == 'a' && u8r(&u, 0) == 'b' && u8r(&u, 0) == 'c');
    CHECK(!(u8r(&u, 5) & 1) && !irq_on);
    /* the FIFO holds 16; the rest waits at the source */
    rx_src = "0123456789abcdefXYZ";
    uart_poll(&u);
    int n = 0;
    while (u8r(&u, 5) & 1) { u8r(&u, 0); n++; }
    CHECK(n == 19);                                 /* reading refills from the source */
    /* divisor latch */
    uart_ops.write(&u, 3, 1, 0x80);
    uart_ops.write(&u, 0, 1, 0x01);
    CHECK(u8r(&u, 0) == 1 && txn == 2);
    uart_ops.write(&u, 3, 1, 0x03);
    /* scratch */
    uart_ops.write(&u, 7, 1, 0x5a);
    CHECK(u8r(&u, 7) == 0x5a);
}

static uint64_t fake_now;
static uint64_t now_fn(void *o) { return fake_now; }

static void t_clint(void)
{
    Clint c;
    lines = 0; fake_now = 1000;
    clint_init(&c, 2, now_fn, set_line, NULL);
    uint64_t v;
    CHECK(clint_ops.read(&c, 0xbff8, 8, &v) && v == 1000);
    CHECK(clint_ops.read(&c, 0xbffc, 4, &v) && v == 0);
    clint_ops.write(&c, 0x4008, 8, 1500);           /* hart 1 mtimecmp */
    CHECK(clint_poll(&c) == 1500 && lines == 0);
    fake_now = 1500;
    clint_poll(&c);
    CHECK(lines == 1ull << (16 + CLINT_LINE_MTIP));
    clint_ops.write(&c, 0x400c, 4, 1);              /* high half: far future */
    CHECK(lines == 0);
    clint_ops.write(&c, 0x4, 4, 1);                 /* msip of hart 1 */
    CHECK(lines == 1ull << (16 + CLINT_LINE_MSIP));
    clint_ops.write(&c, 0x4, 4, 0);
    clint_set_stimecmp(&c, 0, 1400);                /* already due */
    CHECK(lines == 1ull << CLINT_LINE_STIP);
    clint_set_stimecmp(&c, 0, 2000);
    CHECK(lines == 0 && clint_poll(&c) == 2000);
    CHECK(!clint_ops.write(&c, 0x4002, 4, 0));      /* misaligned */
    clint_set_stimecmp(&c, 7, 0);                   /* no such hart */
}

static unsigned syscon_what;
static uint32_t syscon_code;
static void syscon_req(void *o, unsigned what, uint32_t code) { syscon_what = what; syscon_code = code; }

static uint64_t wall;
static uint64_t wall_fn(void *o) { return wall; }

static void t_syscon_rtc(void)
{
    Syscon s = {syscon_req, NULL};
    syscon_what = 0;
    syscon_ops.write(&s, 0, 4, 0x1234);
    CHECK(syscon_what == 0);
    syscon_ops.write(&s, 0, 4, 0x5555);
    CHECK(syscon_what == SYSCON_POWEROFF);
    syscon_ops.write(&s, 0, 4, 42u << 16 | 0x3333);
    CHECK(syscon_what == SYSCON_FAIL && syscon_code == 42);
    syscon_ops.write(&s, 0, 2, 0x7777);             /* OpenSBI writes 16 bits */
    CHECK(syscon_what == SYSCON_REBOOT);

    Rtc r;
    irq_on = false;
    wall = 0x0000000500000010ull;
    rtc_init(&r, (IrqLine){irq_fn, NULL, 11}, wall_fn, NULL);
    CHECK(rd32(&rtc_ops, &r, 0) == 0x10 && rd32(&rtc_ops, &r, 4) == 5);   /* low latches high */
    rtc_ops.write(&r, 0x10, 4, 1);                  /* irq enable */
    rtc_ops.write(&r, 0x0c, 4, 5);
    rtc_ops.write(&r, 0x08, 4, 0x100);              /* alarm at 5:0x100 */
    CHECK(!irq_on && rd32(&rtc_ops, &r, 0x18) == 1);
    wall += 0x100;
    rtc_poll(&r);
    CHECK(irq_on && rd32(&rtc_ops, &r, 0x18) == 0);
    rtc_ops.write(&r, 0x1c, 4, 1);
    CHECK(!irq_on);
    rtc_ops.write(&r, 0x04, 4, 9);                  /* set the clock to 9:0 */
    rtc_ops.write(&r, 0x00, 4, 0);
    CHECK(rd32(&rtc_ops, &r, 0) == 0 && rd32(&rtc_ops, &r, 4) == 9);
}

static void t_loader(void)
{
    GuestMem gm;
    guestmem_init(&gm, 0x80000000, 4u << 20, NULL);
    uint8_t img[128] = {0};
    LoadedImage li;
    VmError err;
    CHECK(!loader_load_kernel(&gm, img, sizeof img, 0x80200000, "zero", &li, &err));    /* no magic */
    memcpy(img + 56, "RSC\x05", 4);
    img[16] = 0x00; img[17] = 0x10;                 /* image_size 4 KiB */
    CHECK(loader_load_kernel(&gm, img, sizeof img, 0x80200000, "img", &li, &err));
    CHECK(li.entry == 0x80200000 && li.end == 0x80201000);
    img[19] = 0x40;                                 /* image_size 1 GiB: too big */
    CHECK(!loader_load_kernel(&gm, img, sizeof img, 0x80200000, "big", &li, &err) && strstr(err.msg, "--mem"));
    uint8_t elf[64] = {0x7f, 'E', 'L', 'F', 2, 1};
    elf[18] = 62;                                   /* x86-64 */
    CHECK(!loader_load_kernel(&gm, elf, sizeof elf, 0x80200000, "elf", &li, &err) && strstr(err.msg, "not RISC-V"));
    elf[18] = 243;
    elf[32] = 0xff; elf[33] = 0xff;                 /* program headers out of the file */
    elf[54] = 56; elf[56] = 1;
    CHECK(!loader_load_kernel(&gm, elf, sizeof elf, 0x80200000, "elf", &li, &err));
    CHECK(!loader_load_raw(&gm, img, 0, 0x80000000, "empty", &li, &err));
    CHECK(!loader_load_raw(&gm, img, sizeof img, 0x80400000 - 64, "edge", &li, &err));
    guestmem_fini(&gm);
}

/* SBI calls made on a real hart's registers. */
typedef struct SbiWorld {
    Hart *h[2];
    char out[64];
    unsigned outn;
    uint64_t timer;
    uint32_t reset_type;
    int started;
} SbiWorld;
static Hart *w_hart(void *o, unsigned id) { return ((SbiWorld *)o)->h[id]; }
static void w_putc(void *o, uint8_t c) { SbiWorld *w = o; if (w->outn < sizeof w->out) w->out[w->outn++] = (char)c; }
static int w_getc(void *o) { return 'k'; }
static void w_timer(void *o, unsigned h, uint64_t t) { ((SbiWorld *)o)->timer = t; }
static bool w_read(void *o, uint64_t a, void *buf, size_t n)
{
    if (a != 0x80001000 || n > 5) return false;
    memcpy(buf, "hello", n);
    return true;
}
static void w_start(void *o, unsigned id, uint64_t addr, uint64_t arg)
{
    SbiWorld *w = o;
    w->started++;
    hart_set_stopped(w->h[id], false);
}
static void w_reset(void *o, uint32_t type, uint32_t reason) { ((SbiWorld *)o)->reset_type = type + 1; }

static int64_t call(const SbiHost *host, Hart *h, uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2,
                    uint64_t *val)
{
    SbiStats st = {0};
    hart_set_reg(h, 17, ext);
    hart_set_reg(h, 16, fid);
    hart_set_reg(h, 10, a0);
    hart_set_reg(h, 11, a1);
    hart_set_reg(h, 12, a2);
    sbi_handle(host, h, &st);
    if (val) *val = hart_get_reg(h, 11);
    return (int64_t)hart_get_reg(h, 10);
}

static void t_sbi(void)
{
    static uint8_t ram[4096];
    HartBus hb = {.ram = ram, .ram_base = 0x80000000, .ram_size = sizeof ram};
    SbiWorld w = {0};
    w.h[0] = hart_new(&hb, 0);
    w.h[1] = hart_new(&hb, 1);
    if (!w.h[0] || !w.h[1]) { CHECK(0); return; }
    hart_set_stopped(w.h[1], true);
    SbiHost host = {&w, 2, w_hart, w_putc, w_getc, w_timer, w_read, w_start, w_reset};
    Hart *h = w.h[0];
    uint64_t v;
    CHECK(call(&host, h, 0x10, 0, 0, 0, 0, &v) == 0 && v == 2u << 24);             /* spec version 2.0 */
    CHECK(call(&host, h, 0x10, 3, 0x48534D, 0, 0, &v) == 0 && v == 1);            /* HSM present */
    CHECK(call(&host, h, 0x10, 3, 0x504D55, 0, 0, &v) == 0 && v == 0);            /* PMU absent */
    CHECK(call(&host, h, 0x54494D45, 0, 12345, 0, 0, &v) == 0 && w.timer == 12345);
    CHECK(call(&host, h, 0x48534D, 2, 1, 0, 0, &v) == 0 && v == 1);               /* hart 1 stopped */
    CHECK(call(&host, h, 0x48534D, 0, 1, 0x80200000, 7, &v) == 0 && w.started == 1);
    CHECK(call(&host, h, 0x48534D, 2, 1, 0, 0, &v) == 0 && v == 0);
    CHECK(call(&host, h, 0x48534D, 0, 1, 0x80200000, 7, &v) == -6);               /* already started */
    CHECK(call(&host, h, 0x48534D, 0, 9, 0, 0, &v) == -3);                        /* no hart 9 */
    CHECK(call(&host, h, 0x735049, 0, 0x2, 0, 0, &v) == 0 && (hart_get_mip(w.h[1]) & MIP_SSIP));
    CHECK(call(&host, h, 0x735049, 0, 0x4, 0, 0, &v) == -3);                      /* hart 2 does not exist */
    CHECK(call(&host, h, 0x735049, 0, 1, 1ull << 63, 0, &v) == -3);               /* base + bit wraps */
    CHECK(call(&host, h, 0x52464E43, 1, 0, UINT64_MAX, 0, &v) == 0);              /* sfence all harts */
    CHECK(call(&host, h, 0x4442434E, 0, 5, 0x80001000, 0, &v) == 0 && v == 5);    /* DBCN write */
    CHECK(call(&host, h, 0x4442434E, 0, 5, 0x12, 0, &v) == -3);                   /* bad address */
    CHECK(call(&host, h, 0x4442434E, 2, '!', 0, 0, &v) == 0);
    CHECK(call(&host, h, 0x01, 0, '?', 0, 0, NULL) == 0);                         /* legacy putchar */
    CHECK(w.outn == 7 && !memcmp(w.out, "hello!?", 7));
    CHECK(call(&host, h, 0x02, 0, 0, 0, 0, NULL) == 'k');                         /* legacy getchar */
    CHECK(call(&host, h, 0x53525354, 0, 5, 0, 0, &v) == -3 && w.reset_type == 0); /* bad reset type */
    CHECK(call(&host, h, 0x53525354, 0, 1, 0, 0, &v) == 0 && w.reset_type == 2);  /* cold reboot */
    CHECK(call(&host, h, 0x12345678, 0, 0, 0, 0, &v) == -2);                      /* unknown extension */
    hart_delete(w.h[0]);
    hart_delete(w.h[1]);
}

const TestCase t_dev_tests[] = {
    {"bus_routing", t_bus},
    {"plic_claim_complete", t_plic},
    {"uart_16550", t_uart},
    {"clint_timers", t_clint},
    {"syscon_and_rtc", t_syscon_rtc},
    {"loader_images", t_loader},
    {"sbi_calls", t_sbi},
    {NULL, NULL},
};
