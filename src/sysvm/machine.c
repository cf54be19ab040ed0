/* The machine: builds the board from a MachineConfig (RAM, bus, devices, images, device tree, harts), wires
 * interrupt lines and the SBI, and runs harts round-robin in slices on the calling thread, polling timers and
 * backends between slices and sleeping when every hart waits for an interrupt. */
#include "sysvm/machine.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/alloc.h"
#include "sysvm/backend/blockfile.h"
#include "sysvm/backend/entropy.h"
#include "sysvm/backend/host.h"
#include "sysvm/backend/tap.h"
#include "sysvm/bus.h"
#include "sysvm/dev/clint.h"
#include "sysvm/dev/plic.h"
#include "sysvm/dev/rtc.h"
#include "sysvm/dev/syscon.h"
#include "sysvm/dev/uart.h"
#include "sysvm/devtree.h"
#include "sysvm/guestmem.h"
#include "sysvm/loader.h"
#include "sysvm/riscv/hart.h"
#include "sysvm/riscv/sbi.h"
#include "sysvm/virtio/blk.h"
#include "sysvm/virtio/console.h"
#include "sysvm/virtio/input.h"
#include "sysvm/virtio/mmio.h"
#include "sysvm/virtio/net.h"
#include "sysvm/virtio/rng.h"

#define SLICE_INSNS 20000          /* instructions per hart per turn */
#define IO_POLL_NS 1000000         /* poll backends at most this often while harts are busy */
#define MAX_IDLE_WAIT_NS 50000000  /* re-check stop requests at least this often while idle */
#define PENDING_OUT_WAIT_NS 5000000 /* retry console output the stream's reader has not taken yet */

#define POWER_PRESS_NS 1000000000ull /* a shutdown request presses the power button again this often */

enum { REQ_STOP = 1, REQ_PAUSE = 2, REQ_SHUTDOWN = 4, REQ_LIMITS = 8 };

enum { CSR_MEDELEG = 0x302, CSR_MIDELEG = 0x303, CSR_MCOUNTEREN = 0x306, CSR_PMPCFG0 = 0x3a0,
       CSR_PMPADDR0 = 0x3b0 };

struct Machine {
    MachineConfig cfg;
    GuestMem mem;
    Bus bus;
    Hart *harts[MACHINE_MAX_HARTS];
    unsigned nharts;
    Clint clint;
    Plic plic;
    Uart uart;
    Syscon syscon;
    Rtc rtc;
    Term term;
    bool term_open;
    BlockFile disk[MACHINE_MAX_DISKS];
    VirtioBlk blk[MACHINE_MAX_DISKS];
    unsigned ndisks;
    Tap tap;
    bool tap_open;
    VirtioNet *net;
    VirtioConsole vcon;
    VirtioRng rng;
    VirtioInput power;                 /* the power button lodge_machine_shutdown presses */
    uint64_t shutdown_ns;              /* when the power button was last pressed for a shutdown; 0: never */
    VirtioDevice *vdev[MACHINE_VIRTIO_SLOTS];
    VirtioMmio mmio[MACHINE_VIRTIO_SLOTS];
    unsigned nvirtio;
    SbiHost sbi;
    SbiStats sbi_stats;
    uint64_t t0_ns;
    uint64_t sbi_getc_ns;              /* when the guest last polled the SBI console */
    uint64_t kernel_entry, dtb_addr, fw_info_addr, initrd_start, initrd_end;
    bool stop;
    MachineExit exit;
    uint32_t fail_code;
    uint64_t rounds, idle_waits, io_polls;
    uint64_t start_ns, run_ns, paused_ns;
    /* Control from other threads: request bits, and an eventfd that wakes the idle wait and a pause. */
    atomic_uint req;
    int wake_fd;
    /* The published figures (machine_stats), guarded by stats_lock. */
    pthread_mutex_t stats_lock;
    MachineStats snap;
    /* Rate limits set from other threads, applied by the run loop (REQ_LIMITS), guarded by limit_lock. */
    pthread_mutex_t limit_lock;
    RateLimitConfig disk_limit[MACHINE_MAX_DISKS], net_rx_limit, net_tx_limit;
    unsigned limits_changed;           /* bit i: disk i; bit MACHINE_MAX_DISKS: the network */
    Alloc alloc;                       /* Lodge's own allocations for this machine, bounded by max_overhead */
};

static void publish_stats(Machine *m, uint64_t now);

/* ---- clocks and lines ---- */

static uint64_t mtime(void *opaque)
{
    Machine *m = opaque;
    return (host_monotonic_ns() - m->t0_ns) / (1000000000u / MACHINE_TIMEBASE_HZ);
}

static uint64_t wall_ns(void *opaque)
{
    return host_realtime_ns();
}

static void set_hart_line(void *opaque, unsigned hart, unsigned line, bool level)
{
    Machine *m = opaque;
    if (hart < m->nharts)
        hart_set_mip(m->harts[hart], 1ull << line, level);
}

/* ---- the bus as the hart sees it ---- */

static bool hb_read(void *opaque, uint64_t paddr, unsigned size, uint64_t *val)
{
    Machine *m = opaque;
    return bus_read(&m->bus, paddr, size, val);
}

static bool hb_write(void *opaque, uint64_t paddr, unsigned size, uint64_t val)
{
    Machine *m = opaque;
    return bus_write(&m->bus, paddr, size, val);
}

static bool hb_ecall(void *opaque, Hart *h)
{
    Machine *m = opaque;
    return sbi_handle(&m->sbi, h, &m->sbi_stats);
}

static void dma_written(void *opaque, uint64_t addr, uint64_t len)
{
    Machine *m = opaque;
    for (unsigned i = 0; i < m->nharts; i++)
        hart_invalidate_code(m->harts[i], addr, len);
}

/* ---- SBI services ---- */

static Hart *sbi_hart(void *opaque, unsigned id)
{
    Machine *m = opaque;
    return m->harts[id];
}

static void con_putc(void *opaque, uint8_t c)
{
    Machine *m = opaque;
    term_putc(&m->term, c);
}

/* SBI console_getchar (the kernel's hvc_riscv_sbi console polls it). */
static int con_getc(void *opaque)
{
    Machine *m = opaque;
    m->sbi_getc_ns = host_monotonic_ns();
    return term_getc(&m->term);
}

/* Console input goes to the UART while the guest listens there (receive interrupt enabled), to the SBI console
 * while the guest polls it, and otherwise to virtio-console: a guest on any of the three can be typed at. */
static bool uart_listens(const Machine *m)
{
    return (m->uart.ier & 1) || !m->cfg.vconsole || !virtio_dev_live(&m->vcon.vdev);
}

static int uart_getc(void *opaque)
{
    Machine *m = opaque;
    return uart_listens(m) ? term_getc(&m->term) : -1;
}

static int vcon_getc(void *opaque)
{
    Machine *m = opaque;
    if (uart_listens(m) || host_monotonic_ns() - m->sbi_getc_ns < 200000000u)
        return -1;
    return term_getc(&m->term);
}

static void con_write(void *opaque, const uint8_t *buf, size_t n)
{
    Machine *m = opaque;
    term_write(&m->term, buf, n);
}

static void sbi_set_timer(void *opaque, unsigned hart, uint64_t when)
{
    Machine *m = opaque;
    clint_set_stimecmp(&m->clint, hart, when);
}

static bool sbi_read_mem(void *opaque, uint64_t paddr, void *buf, size_t len)
{
    Machine *m = opaque;
    return guestmem_read(&m->mem, paddr, buf, len);
}

/* Puts a hart in S-mode as a firmware would leave it for Linux: exceptions and supervisor interrupts
 * delegated, counters readable, all of memory open through PMP. */
static void enter_supervisor(Hart *h, uint64_t pc, uint64_t a0, uint64_t a1)
{
    hart_reset(h, pc);
    hart_set_csr(h, CSR_MEDELEG, 0xb1ff);      /* all but ecalls from S/M (and reserved causes) */
    hart_set_csr(h, CSR_MIDELEG, MIP_SSIP | MIP_STIP | MIP_SEIP);
    hart_set_csr(h, CSR_MCOUNTEREN, 7);
    hart_set_csr(h, CSR_PMPADDR0, ~0ull >> 10);
    hart_set_csr(h, CSR_PMPCFG0, 0x1f);        /* NAPOT, read/write/execute */
    hart_set_priv(h, HART_PRIV_S);
    hart_set_reg(h, 10, a0);
    hart_set_reg(h, 11, a1);
}

static void sbi_hart_start(void *opaque, unsigned id, uint64_t addr, uint64_t arg)
{
    Machine *m = opaque;
    enter_supervisor(m->harts[id], addr, id, arg);
    hart_set_stopped(m->harts[id], false);
}

static void request_exit(Machine *m, MachineExit why, uint32_t code)
{
    if (m->stop)
        return;
    m->stop = true;
    m->exit = why;
    m->fail_code = code;
    /* Power is off: no hart runs another instruction (the one asking may be inside an SBI call). */
    for (unsigned i = 0; i < m->nharts; i++)
        hart_set_stopped(m->harts[i], true);
}

static void sbi_reset(void *opaque, uint32_t type, uint32_t reason)
{
    Machine *m = opaque;
    if (type == SBI_RESET_SHUTDOWN)
        request_exit(m, reason == SBI_REASON_FAILURE ? MACHINE_EXIT_FAIL : MACHINE_EXIT_POWEROFF, reason);
    else
        request_exit(m, MACHINE_EXIT_REBOOT, 0);
}

static void syscon_request(void *opaque, unsigned what, uint32_t code)
{
    Machine *m = opaque;
    if (what == SYSCON_POWEROFF) request_exit(m, MACHINE_EXIT_POWEROFF, 0);
    else if (what == SYSCON_REBOOT) request_exit(m, MACHINE_EXIT_REBOOT, 0);
    else request_exit(m, MACHINE_EXIT_FAIL, code);
}

/* ---- construction ---- */

static bool add_virtio(Machine *m, VirtioDevice *vd, VmError *err)
{
    unsigned i = m->nvirtio;
    if (i == MACHINE_VIRTIO_SLOTS)
        return vmerr_set(err, "too many virtio devices (max %d)", MACHINE_VIRTIO_SLOTS);
    IrqLine line = {.set = plic_set_irq, .opaque = &m->plic, .num = 1 + i};
    virtio_mmio_init(&m->mmio[i], vd, line);
    if (!bus_add(&m->bus, MACHINE_VIRTIO_BASE + i * VIRTIO_MMIO_SIZE, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, &m->mmio[i],
                 err))
        return false;
    m->vdev[i] = vd;
    m->nvirtio++;
    return true;
}

static bool load_images(Machine *m, VmError *err)
{
    const MachineConfig *c = &m->cfg;
    uint64_t len;
    int fd;
    LoadedImage fw = {0}, k;
    if (c->bios) {
        if ((fd = host_open_file(c->bios, "firmware", &len, err)) < 0)
            return false;
        bool ok = loader_load_raw_fd(&m->mem, fd, len, MACHINE_RAM_BASE, c->bios, &fw, err);
        close(fd);
        if (!ok)
            return false;
        if (fw.end > MACHINE_RAM_BASE + MACHINE_KERNEL_OFFSET)
            return vmerr_set(err, "firmware %s: larger than the 2 MiB below the kernel", c->bios);
    }
    if ((fd = host_open_file(c->kernel, "kernel", &len, err)) < 0)
        return false;
    bool ok = loader_load_kernel_fd(&m->mem, fd, len, MACHINE_RAM_BASE + MACHINE_KERNEL_OFFSET, c->kernel, &k, err);
    close(fd);
    if (!ok)
        return false;
    m->kernel_entry = k.entry;

    /* From the top of RAM down: the device tree (2 MiB aligned, as QEMU does) with the firmware info
     * after it, then the initrd just below. */
    uint64_t ram_end = MACHINE_RAM_BASE + c->ram_size;
    uint8_t seed[64];
    bool have_seed = entropy_fill(seed, sizeof seed);
    uint64_t initrd_len = 0;
    int initrd = -1;
    if (c->initrd && (initrd = host_open_file(c->initrd, "initrd", &initrd_len, err)) < 0)
        return false;
    /* The initrd's address goes into the device tree, whose size does not depend on it: build once to learn
     * the size, then place everything. */
    DevtreeInfo info = {.ram_base = MACHINE_RAM_BASE, .ram_size = c->ram_size, .nharts = m->nharts,
                        .bootargs = c->append, .nvirtio = m->nvirtio, .rng_seed = have_seed ? seed : NULL,
                        .rng_seed_len = have_seed ? sizeof seed : 0,
                        .initrd_start = initrd >= 0 ? 1 : 0, .initrd_end = initrd >= 0 ? 2 : 0, .alloc = &m->alloc};
    size_t dtb_len;
    uint8_t *dtb = devtree_build(&info, &dtb_len, err);
    if (!dtb)
        goto fail;
    alloc_free(&m->alloc, dtb, dtb_len);
    m->dtb_addr = (ram_end - dtb_len - 64) & ~((2ull << 20) - 1);
    m->fw_info_addr = (m->dtb_addr + dtb_len + 7) & ~7ull;
    if (initrd >= 0) {
        m->initrd_end = m->dtb_addr;
        m->initrd_start = (m->dtb_addr - initrd_len) & ~4095ull;
        if (m->initrd_start > m->dtb_addr || m->initrd_start < MACHINE_RAM_BASE ||
            (k.start < m->dtb_addr + dtb_len && m->initrd_start < k.end)) {
            vmerr_set(err, "not enough memory: kernel, initrd (%llu KiB) and device tree need more than --mem %llu MiB",
                      (unsigned long long)(initrd_len >> 10), (unsigned long long)(c->ram_size >> 20));
            goto fail;
        }
        m->initrd_end = m->initrd_start + initrd_len;
        LoadedImage li;
        if (initrd_len && !loader_load_raw_fd(&m->mem, initrd, initrd_len, m->initrd_start, c->initrd, &li, err))
            goto fail;
    } else if (k.start < m->dtb_addr + dtb_len && m->dtb_addr < k.end) {
        vmerr_set(err, "not enough memory for the kernel and device tree: use more --mem");
        goto fail;
    }
    info.initrd_start = m->initrd_start;
    info.initrd_end = m->initrd_end;
    dtb = devtree_build(&info, &dtb_len, err);
    if (!dtb)
        goto fail;
    guestmem_write(&m->mem, m->dtb_addr, dtb, dtb_len);
    alloc_free(&m->alloc, dtb, dtb_len);
    /* struct fw_dynamic_info (OpenSBI): magic, version 2, next_addr, next_mode (1 = S), options, boot_hart. */
    uint64_t fwinfo[6] = {0x4942534f, 2, m->kernel_entry, 1, 0, 0};
    for (int i = 0; i < 6; i++)
        for (int b = 0; b < 8; b++) {
            uint8_t byte = (uint8_t)(fwinfo[i] >> (8 * b));
            guestmem_write(&m->mem, m->fw_info_addr + 8 * (uint64_t)i + (uint64_t)b, &byte, 1);
        }
    if (initrd >= 0)
        close(initrd);
    return true;
fail:
    if (initrd >= 0)
        close(initrd);
    return false;
}

/* An allocation for the machine failed: say whether its budget or the host ran out. */
static bool nomem(const Alloc *a, VmError *err, const char *what)
{
    if (a->limit)
        return vmerr_setk(err, VMERR_NOMEM, "out of memory for %s (the machine's overhead limit is %zu bytes, %zu in use)",
                          what, a->limit, a->used);
    return vmerr_setk(err, VMERR_NOMEM, "out of memory for %s", what);
}

static void reset_harts(Machine *m)
{
    for (unsigned i = 0; i < m->nharts; i++) {
        Hart *h = m->harts[i];
        if (m->cfg.bios) {
            /* Firmware boots every hart in M-mode and picks the boot hart itself. */
            hart_reset(h, MACHINE_RAM_BASE);
            hart_set_reg(h, 10, i);
            hart_set_reg(h, 11, m->dtb_addr);
            hart_set_reg(h, 12, m->fw_info_addr);
            hart_set_stopped(h, false);
        } else {
            enter_supervisor(h, m->kernel_entry, i, m->dtb_addr);
            hart_set_stopped(h, i != 0);        /* the others wait for SBI HSM hart_start */
        }
    }
}

Machine *machine_new(const MachineConfig *cfg, VmError *err)
{
    if (cfg->nharts < 1 || cfg->nharts > MACHINE_MAX_HARTS) {
        vmerr_set(err, "--cpus %u: between 1 and %d", cfg->nharts, MACHINE_MAX_HARTS);
        return NULL;
    }
    if (cfg->ram_size < MACHINE_MIN_RAM || cfg->ram_size > MACHINE_MAX_RAM || (cfg->ram_size & 0xfffff)) {
        vmerr_set(err, "--mem %llu bytes: need a whole number of MiB from %llu MiB to %llu GiB",
                  (unsigned long long)cfg->ram_size, (unsigned long long)(MACHINE_MIN_RAM >> 20),
                  (unsigned long long)(MACHINE_MAX_RAM >> 30));
        return NULL;
    }
    if (!cfg->kernel) {
        vmerr_set(err, "no kernel given");
        return NULL;
    }
    if (cfg->ndisks > MACHINE_MAX_DISKS) {
        vmerr_set(err, "too many disks (max %d)", MACHINE_MAX_DISKS);
        return NULL;
    }
    /* Everything Lodge allocates for the machine, the Machine itself first, goes through its Alloc. */
    Alloc a;
    alloc_init(&a, cfg->max_overhead);
    a.fail_at = cfg->fail_alloc_at;
    Machine *m = alloc_calloc(&a, 1, sizeof *m);
    if (!m) {
        nomem(&a, err, "the machine");
        return NULL;
    }
    m->alloc = a;
    m->wake_fd = -1;
    m->cfg = *cfg;
    m->nharts = cfg->nharts;
    m->t0_ns = host_monotonic_ns();
    atomic_init(&m->req, 0);
    pthread_mutex_init(&m->stats_lock, NULL);
    pthread_mutex_init(&m->limit_lock, NULL);
    bus_init(&m->bus);
    m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m->wake_fd < 0) {
        vmerr_setk(err, VMERR_IO, "eventfd: %s", strerror(errno));
        goto fail;
    }
    if (!guestmem_init(&m->mem, MACHINE_RAM_BASE, cfg->ram_size, err))
        goto fail;
    m->mem.on_write = dma_written;
    m->mem.opaque = m;

    HartBus hb = {.opaque = m, .ram = m->mem.host, .ram_base = m->mem.base, .ram_size = m->mem.size,
                  .mmio_read = hb_read, .mmio_write = hb_write, .get_time = mtime,
                  .sbi_ecall = cfg->bios ? NULL : hb_ecall, .alloc = &m->alloc};
    for (unsigned i = 0; i < m->nharts; i++)
        if (!(m->harts[i] = hart_new(&hb, i))) {
            nomem(&m->alloc, err, "a hart");
            goto fail;
        }
    for (unsigned i = 0; i < m->nharts && m->nharts > 1; i++)
        hart_set_peers(m->harts[i], m->harts, m->nharts);

    if (!term_open(&m->term, cfg->console, cfg->console_file, err))
        goto fail;
    m->term_open = true;

    clint_init(&m->clint, m->nharts, mtime, set_hart_line, m);
    plic_init(&m->plic, m->nharts, set_hart_line, m);
    uart_init(&m->uart, (IrqLine){plic_set_irq, &m->plic, MACHINE_UART_IRQ}, con_putc, uart_getc, m);
    m->syscon = (Syscon){.request = syscon_request, .opaque = m};
    rtc_init(&m->rtc, (IrqLine){plic_set_irq, &m->plic, MACHINE_RTC_IRQ}, wall_ns, m);
    if (!bus_add(&m->bus, MACHINE_TEST_BASE, SYSCON_SIZE, &syscon_ops, &m->syscon, err) ||
        !bus_add(&m->bus, MACHINE_RTC_BASE, RTC_SIZE, &rtc_ops, &m->rtc, err) ||
        !bus_add(&m->bus, MACHINE_CLINT_BASE, CLINT_SIZE, &clint_ops, &m->clint, err) ||
        !bus_add(&m->bus, MACHINE_PLIC_BASE, PLIC_SIZE, &plic_ops, &m->plic, err) ||
        !bus_add(&m->bus, MACHINE_UART_BASE, UART_SIZE, &uart_ops, &m->uart, err))
        goto fail;

    for (unsigned i = 0; i < cfg->ndisks; i++) {
        BlockOpts bo = {.ro = cfg->disk[i].ro, .max_host_bytes = cfg->disk[i].max_host_bytes, .alloc = &m->alloc};
        if (!blockfile_open_opts(&m->disk[i], cfg->disk[i].path, &bo, err))
            goto fail;
        m->ndisks++;
        char id[24];
        snprintf(id, sizeof id, "lodge-disk%u", i);
        virtio_blk_init(&m->blk[i], &m->mem, &m->disk[i], id);
        if (!add_virtio(m, &m->blk[i].vdev, err))
            goto fail;
    }
    if (cfg->tap) {
        if (!tap_open(&m->tap, cfg->tap, err))
            goto fail;
        m->tap_open = true;
        if (!(m->net = alloc_calloc(&m->alloc, 1, sizeof *m->net))) {
            nomem(&m->alloc, err, "virtio-net");
            goto fail;
        }
        static const uint8_t dflt[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};  /* locally administered */
        static const uint8_t zero[6];
        virtio_net_init(m->net, &m->mem, &m->tap, memcmp(cfg->mac, zero, 6) ? cfg->mac : dflt);
        if (!add_virtio(m, &m->net->vdev, err))
            goto fail;
    }
    if (cfg->rng) {
        virtio_rng_init(&m->rng, &m->mem);
        if (!add_virtio(m, &m->rng.vdev, err))
            goto fail;
    }
    if (cfg->vconsole) {
        virtio_console_init(&m->vcon, &m->mem, con_write, vcon_getc, m);
        if (!add_virtio(m, &m->vcon.vdev, err))
            goto fail;
    }
    virtio_input_init(&m->power, &m->mem);
    if (!add_virtio(m, &m->power.vdev, err))
        goto fail;

    m->sbi = (SbiHost){.opaque = m, .nharts = m->nharts, .hart = sbi_hart, .putc = con_putc, .getc = con_getc,
                       .set_timer = sbi_set_timer, .read_mem = sbi_read_mem, .hart_start = sbi_hart_start,
                       .reset = sbi_reset};
    if (!load_images(m, err))
        goto fail;
    reset_harts(m);
    publish_stats(m, host_monotonic_ns());
    return m;
fail:
    machine_delete(m);
    return NULL;
}

void machine_delete(Machine *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->ndisks; i++)
        blockfile_close(&m->disk[i]);
    if (m->tap_open)
        tap_close(&m->tap);
    alloc_free(&m->alloc, m->net, sizeof *m->net);
    if (m->term_open)
        term_close(&m->term);
    for (unsigned i = 0; i < m->nharts; i++)
        if (m->harts[i])
            hart_delete(m->harts[i]);
    guestmem_fini(&m->mem);
    if (m->wake_fd >= 0)
        close(m->wake_fd);
    pthread_mutex_destroy(&m->stats_lock);
    pthread_mutex_destroy(&m->limit_lock);
    Alloc a = m->alloc;
    alloc_free(&a, m, sizeof *m);
}

void machine_restore_terminal(const Machine *m)
{
    if (m && m->term_open)
        term_restore(&m->term);
}

uint32_t machine_fail_code(const Machine *m)
{
    return m->fail_code;
}

uint64_t machine_kernel_entry(const Machine *m)
{
    return m->kernel_entry;
}

/* ---- the run loop ---- */

/* Rate limits other threads set (machine_set_rate_limit) reach the devices here, on the machine's thread. */
static void apply_limits(Machine *m)
{
    if (!(atomic_load_explicit(&m->req, memory_order_acquire) & REQ_LIMITS))
        return;
    atomic_fetch_and(&m->req, ~(unsigned)REQ_LIMITS);
    pthread_mutex_lock(&m->limit_lock);
    unsigned changed = m->limits_changed;
    m->limits_changed = 0;
    RateLimitConfig disk[MACHINE_MAX_DISKS], rx = m->net_rx_limit, tx = m->net_tx_limit;
    memcpy(disk, m->disk_limit, sizeof disk);
    pthread_mutex_unlock(&m->limit_lock);
    for (unsigned i = 0; i < m->ndisks; i++)
        if (changed & (1u << i))
            virtio_blk_set_rate_limit(&m->blk[i], &disk[i]);
    if (m->net && (changed & (1u << MACHINE_MAX_DISKS)))
        virtio_net_set_rate_limit(m->net, &rx, &tx);
}

bool machine_set_rate_limit(Machine *m, const char *device, const RateLimitConfig *io, const RateLimitConfig *rx,
                            const RateLimitConfig *tx, VmError *err)
{
    static const RateLimitConfig none;
    unsigned bit;
    char what[32];
    if (!device)
        return vmerr_set(err, "no device named");
    if (!strncmp(device, "disk", 4) && device[4] >= '0' && device[4] <= '9' && !device[5]) {
        unsigned i = (unsigned)(device[4] - '0');
        if (i >= m->ndisks)
            return vmerr_set(err, "%s: the machine has %u disk%s (disk0..)", device, m->ndisks, m->ndisks == 1 ? "" : "s");
        snprintf(what, sizeof what, "%s", device);
        if (io && !ratelimit_check(io, what, err))
            return false;
        bit = i;
    } else if (!strcmp(device, "net0")) {
        if (!m->net)
            return vmerr_set(err, "net0: the machine has no network interface");
        if ((rx && !ratelimit_check(rx, "net0 rx", err)) || (tx && !ratelimit_check(tx, "net0 tx", err)))
            return false;
        bit = MACHINE_MAX_DISKS;
    } else {
        return vmerr_set(err, "%s: no such device (disk0..disk3, net0)", device);
    }
    pthread_mutex_lock(&m->limit_lock);
    if (bit < MACHINE_MAX_DISKS) {
        m->disk_limit[bit] = io ? *io : none;
    } else {
        m->net_rx_limit = rx ? *rx : none;
        m->net_tx_limit = tx ? *tx : none;
    }
    m->limits_changed |= 1u << bit;
    pthread_mutex_unlock(&m->limit_lock);
    atomic_fetch_or(&m->req, REQ_LIMITS);
    uint64_t one = 1;
    ssize_t r = write(m->wake_fd, &one, sizeof one);
    (void)r;
    return true;
}

static void poll_io(Machine *m)
{
    m->io_polls++;
    apply_limits(m);
    term_flush(&m->term);
    term_poll(&m->term);
    if (m->term.quit)
        request_exit(m, MACHINE_EXIT_STOPPED, 0);
    uart_poll(&m->uart);
    rtc_poll(&m->rtc);
    for (unsigned i = 0; i < m->nvirtio; i++)
        if (m->vdev[i]->ops->poll)
            m->vdev[i]->ops->poll(m->vdev[i]);
}

/* ---- control from other threads ---- */

void machine_request_stop(Machine *m)
{
    atomic_fetch_or(&m->req, REQ_STOP);
    uint64_t one = 1;
    ssize_t r = write(m->wake_fd, &one, sizeof one);   /* only fails when the counter is already huge */
    (void)r;
}

void machine_request_pause(Machine *m, bool pause)
{
    if (pause)
        atomic_fetch_or(&m->req, REQ_PAUSE);
    else
        atomic_fetch_and(&m->req, ~(unsigned)REQ_PAUSE);
    uint64_t one = 1;
    ssize_t r = write(m->wake_fd, &one, sizeof one);
    (void)r;
}

void machine_request_shutdown(Machine *m)
{
    atomic_fetch_or(&m->req, REQ_SHUTDOWN);
    uint64_t one = 1;
    ssize_t r = write(m->wake_fd, &one, sizeof one);
    (void)r;
}

/* A shutdown request presses the power button, and again every second until the guest powers off: a press
 * made before the guest's driver or its listener is up would otherwise be lost. */
static void press_power(Machine *m, uint64_t now)
{
    if (!(atomic_load_explicit(&m->req, memory_order_relaxed) & REQ_SHUTDOWN))
        return;
    if (m->shutdown_ns && now - m->shutdown_ns < POWER_PRESS_NS)
        return;
    if (virtio_input_press_power(&m->power))
        m->shutdown_ns = now;
}

static void drain_wake(Machine *m)
{
    uint64_t v;
    ssize_t r = read(m->wake_fd, &v, sizeof v);
    (void)r;
}

/* Sums the counters of harts, bus and devices into the snapshot other threads read. Runs on the machine's
 * thread, every I/O poll (about once a millisecond while busy) and when a run pauses or ends. */
static void publish_stats(Machine *m, uint64_t now)
{
    MachineStats s = {0};
    for (unsigned i = 0; i < m->nharts; i++) {
        HartStats h;
        hart_stats(m->harts[i], &h);
        s.instructions += h.instret;
        s.sbi_calls += h.sbi_calls;
        for (int c = 0; c < 16; c++) {
            s.traps += h.exc[c];
            s.interrupts += h.irq[c];
        }
    }
    for (unsigned i = 0; i < m->bus.n; i++)
        s.mmio_accesses += m->bus.region[i].reads + m->bus.region[i].writes;
    s.mmio_accesses += m->bus.faults;
    for (unsigned i = 0; i < m->ndisks; i++) {
        s.disk_reads += m->blk[i].reads;
        s.disk_writes += m->blk[i].writes;
        s.disk_read_bytes += m->blk[i].read_bytes;
        s.disk_write_bytes += m->blk[i].write_bytes;
        s.disk_io_errors += m->blk[i].ioerrs;
        s.disk_limit_refusals += blockfile_limit_refusals(&m->disk[i]);
        s.rate_limited += m->blk[i].throttled;
    }
    if (m->net) {
        s.net_rx_bytes = m->net->rx_bytes;
        s.net_tx_bytes = m->net->tx_bytes;
        s.rate_limited += m->net->throttled;
    }
    s.console_dropped = m->term.dropped;
    s.overhead_bytes = m->alloc.used;
    s.run_ns = m->start_ns ? now - m->start_ns - m->paused_ns : 0;
    pthread_mutex_lock(&m->stats_lock);
    m->snap = s;
    pthread_mutex_unlock(&m->stats_lock);
}

void machine_stats(Machine *m, MachineStats *out)
{
    pthread_mutex_lock(&m->stats_lock);
    *out = m->snap;
    pthread_mutex_unlock(&m->stats_lock);
}

uint64_t machine_ram_size(const Machine *m)
{
    return m->mem.size;
}

uint64_t machine_ram_resident(const Machine *m)
{
    return host_resident_bytes(m->mem.host, m->mem.size);
}

int machine_console_fd(const Machine *m)
{
    return m->term.peer_fd;
}

/* A pause: no hart runs until the request is withdrawn or a stop comes. The guest's clock (mtime, the time
 * CSR) stands still meanwhile, so the guest sees no jump in time and no burst of overdue timers; the RTC keeps
 * host wall-clock time. Console output the embedder reads meanwhile keeps flowing out of the buffer. */
static void pause_run(Machine *m)
{
    uint64_t t = host_monotonic_ns();
    term_flush(&m->term);
    publish_stats(m, t);
    if (m->cfg.on_pause)
        m->cfg.on_pause(m->cfg.hook_opaque, true);
    for (;;) {
        unsigned r = atomic_load(&m->req);
        if (!(r & REQ_PAUSE) || (r & REQ_STOP))
            break;
        int fds[2] = {m->wake_fd, -1};
        host_wait(fds, 1, term_pending(&m->term) ? PENDING_OUT_WAIT_NS : MAX_IDLE_WAIT_NS);
        drain_wake(m);
        term_flush(&m->term);
    }
    uint64_t d = host_monotonic_ns() - t;
    m->t0_ns += d;
    m->paused_ns += d;
    if (m->cfg.on_pause)
        m->cfg.on_pause(m->cfg.hook_opaque, false);
}

static void idle_wait(Machine *m, uint64_t deadline)
{
    int fds[2 + MACHINE_VIRTIO_SLOTS];
    unsigned n = 0;
    fds[n++] = m->wake_fd;
    fds[n++] = term_wait_fd(&m->term);
    for (unsigned i = 0; i < m->nvirtio; i++)
        if (m->vdev[i]->ops->wait_fd)
            fds[n++] = m->vdev[i]->ops->wait_fd(m->vdev[i]);
    uint64_t now = mtime(m), wait_ns = term_pending(&m->term) ? PENDING_OUT_WAIT_NS : MAX_IDLE_WAIT_NS;
    if (deadline != UINT64_MAX) {
        uint64_t d = deadline > now ? (deadline - now) * (1000000000u / MACHINE_TIMEBASE_HZ) : 0;
        if (d < wait_ns)
            wait_ns = d;
    }
    /* A request a rate limiter holds back is due then. */
    uint64_t host_now = host_monotonic_ns();
    for (unsigned i = 0; i < m->nvirtio; i++) {
        uint64_t w = m->vdev[i]->ops->wake_at ? m->vdev[i]->ops->wake_at(m->vdev[i]) : 0;
        if (w) {
            uint64_t d = w > host_now ? w - host_now : 0;
            if (d < wait_ns)
                wait_ns = d;
        }
    }
    if (wait_ns) {
        term_flush(&m->term);
        m->idle_waits++;
        if (host_wait(fds, n, wait_ns))
            drain_wake(m);
    }
}

MachineExit machine_run(Machine *m)
{
    uint64_t last_io = host_monotonic_ns();
    m->start_ns = last_io;
    apply_limits(m);                   /* those set before the start */
    while (!m->stop) {
        uint64_t ran = 0;
        bool any_running = false;
        for (unsigned i = 0; i < m->nharts && !m->stop; i++) {
            Hart *h = m->harts[i];
            if (hart_is_stopped(h))
                continue;
            any_running = true;
            ran += hart_run(h, SLICE_INSNS);
        }
        m->rounds++;
        unsigned req = atomic_load_explicit(&m->req, memory_order_acquire);
        if (req & REQ_STOP)
            request_exit(m, MACHINE_EXIT_STOPPED, 0);
        else if (req & REQ_PAUSE) {
            pause_run(m);
            last_io = host_monotonic_ns();
            continue;
        }
        if (!any_running)
            request_exit(m, MACHINE_EXIT_HALTED, 0);
        if (m->stop)
            break;
        uint64_t deadline = clint_poll(&m->clint);
        uint64_t now = host_monotonic_ns();
        if (ran == 0 || now - last_io >= IO_POLL_NS) {
            poll_io(m);
            press_power(m, now);
            publish_stats(m, now);
            last_io = now;
        }
        if (ran == 0 && !m->stop) {
            /* Every hart sits in WFI: sleep until the next timer deadline or host input. */
            idle_wait(m, deadline);
            clint_poll(&m->clint);
            poll_io(m);
            last_io = host_monotonic_ns();
        }
    }
    uint64_t end = host_monotonic_ns();
    m->run_ns = end - m->start_ns - m->paused_ns;
    term_flush(&m->term);
    for (unsigned i = 0; i < m->ndisks; i++)
        blockfile_flush(&m->disk[i]);
    publish_stats(m, end);
    return m->exit;
}

bool machine_disasm(Machine *m, uint64_t addr, unsigned count, FILE *out)
{
    if (addr == 0)
        addr = m->kernel_entry;
    for (unsigned i = 0; i < count; i++) {
        uint8_t b[4] = {0};
        if (!guestmem_read(&m->mem, addr, b, 2))
            return i > 0;
        bool wide = (b[0] & 3) == 3;
        if (wide && !guestmem_read(&m->mem, addr + 2, b + 2, 2))
            return i > 0;
        uint32_t insn = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        char text[96];
        int len = riscv_disasm(insn, addr, text, sizeof text);
        if (len == 2)
            fprintf(out, "%016llx:     %04x  %s\n", (unsigned long long)addr, insn & 0xffff, text);
        else
            fprintf(out, "%016llx: %08x  %s\n", (unsigned long long)addr, insn, text);
        addr += len == 2 ? 2 : 4;
    }
    return true;
}

bool machine_write_dtb(const Machine *m, const char *path, VmError *err)
{
    uint32_t total;
    uint8_t hdr[8];
    if (!guestmem_read(&m->mem, m->dtb_addr, hdr, sizeof hdr))
        return vmerr_set(err, "device tree not in RAM");
    total = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 | (uint32_t)hdr[6] << 8 | hdr[7];
    const uint8_t *p = guestmem_ptr(&m->mem, m->dtb_addr, total);
    if (!p)
        return vmerr_set(err, "device tree size %u runs out of RAM", total);
    FILE *f = fopen(path, "wb");
    if (!f)
        return vmerr_set(err, "%s: cannot create", path);
    bool ok = fwrite(p, 1, total, f) == total;
    ok &= fclose(f) == 0;
    return ok || vmerr_set(err, "%s: write error", path);
}

unsigned machine_report_device_errors(const Machine *m, FILE *out)
{
    unsigned n = 0;
    for (unsigned v = 0; v < m->nvirtio; v++)
        if (m->vdev[v]->errors) {
            fprintf(out, "lodge boot: %s at 0x%llx refused the guest's driver (%llu time%s): %s\n",
                    m->vdev[v]->ops->name, (unsigned long long)(MACHINE_VIRTIO_BASE + v * VIRTIO_MMIO_SIZE),
                    (unsigned long long)m->vdev[v]->errors, m->vdev[v]->errors == 1 ? "" : "s",
                    m->vdev[v]->error[0] ? m->vdev[v]->error : "(reset since)");
            n++;
        }
    /* Disk requests that failed on the host side: the guest saw an I/O error; say why here. */
    for (unsigned i = 0; i < m->ndisks; i++) {
        uint64_t refused = blockfile_limit_refusals(&m->disk[i]);
        const char *why = m->disk[i].qcow2 ? qcow2_error(m->disk[i].qcow2) : "";
        if (!refused && !why[0])
            continue;
        fprintf(out, "lodge boot: disk%u (%s): %llu request%s failed with an I/O error", i, m->cfg.disk[i].path,
                (unsigned long long)m->blk[i].ioerrs, m->blk[i].ioerrs == 1 ? "" : "s");
        if (refused)
            fprintf(out, "; %llu write%s needed clusters past max_host_bytes (%llu bytes)", (unsigned long long)refused,
                    refused == 1 ? "" : "s", (unsigned long long)m->cfg.disk[i].max_host_bytes);
        if (why[0])
            fprintf(out, "; first host failure: %s", why);
        fputc('\n', out);
        n++;
    }
    return n;
}

static const char *const exc_names[16] = {
    "misaligned fetch", "fetch access", "illegal instruction", "breakpoint", "misaligned load", "load access",
    "misaligned store", "store access", "ecall from U", "ecall from S", "cause 10", "ecall from M",
    "fetch page fault", "load page fault", "cause 14", "store page fault",
};
static const char *const irq_names[16] = {
    "irq 0", "S software", "irq 2", "M software", "irq 4", "S timer", "irq 6", "M timer",
    "irq 8", "S external", "irq 10", "M external", "irq 12", "irq 13", "irq 14", "irq 15",
};

void machine_print_trace(Machine *m, FILE *out)
{
    fprintf(out, "--- lodge trace: %u hart(s), %llu MiB, ran %.3f s\n", m->nharts,
            (unsigned long long)(m->cfg.ram_size >> 20), m->run_ns / 1e9);
    for (unsigned i = 0; i < m->nharts; i++) {
        HartStats s;
        hart_stats(m->harts[i], &s);
        fprintf(out, "hart %u: %llu instructions, %llu page-table walks, %llu SBI calls\n", i,
                (unsigned long long)s.instret, (unsigned long long)s.tlb_miss, (unsigned long long)s.sbi_calls);
        for (int c = 0; c < 16; c++)
            if (s.exc[c])
                fprintf(out, "  trap %-22s %llu\n", exc_names[c], (unsigned long long)s.exc[c]);
        for (int c = 0; c < 16; c++)
            if (s.irq[c])
                fprintf(out, "  interrupt %-18s %llu\n", irq_names[c], (unsigned long long)s.irq[c]);
    }
    const SbiStats *b = &m->sbi_stats;
    fprintf(out, "SBI calls: base %llu, time %llu, ipi %llu, rfence %llu, hsm %llu, srst %llu, dbcn %llu, "
                 "legacy %llu, unknown %llu\n",
            (unsigned long long)b->base, (unsigned long long)b->time, (unsigned long long)b->ipi,
            (unsigned long long)b->rfence, (unsigned long long)b->hsm, (unsigned long long)b->srst,
            (unsigned long long)b->dbcn, (unsigned long long)b->legacy, (unsigned long long)b->unknown);
    fprintf(out, "device accesses (reads/writes):\n");
    for (unsigned i = 0; i < m->bus.n; i++) {
        const BusRegion *r = &m->bus.region[i];
        const char *name = r->ops->name;
        for (unsigned v = 0; v < m->nvirtio; v++)
            if (r->dev == &m->mmio[v])
                name = m->vdev[v]->ops->name;
        fprintf(out, "  %-16s @0x%08llx %10llu / %llu\n", name, (unsigned long long)r->base,
                (unsigned long long)r->reads, (unsigned long long)r->writes);
    }
    fprintf(out, "  unmapped accesses %llu; PLIC claims %llu\n", (unsigned long long)m->bus.faults,
            (unsigned long long)m->plic.raised);
    for (unsigned v = 0; v < m->nvirtio; v++) {
        const VirtioDevice *vd = m->vdev[v];
        fprintf(out, "%s: %llu notifies, %llu requests, %llu driver errors%s%s\n", vd->ops->name,
                (unsigned long long)vd->notifies, (unsigned long long)vd->requests, (unsigned long long)vd->errors,
                vd->broken ? "; broken: " : "", vd->broken ? vd->error : "");
    }
    uint64_t rss = host_rss_bytes(), guest = host_resident_bytes(m->mem.host, m->mem.size);
    fprintf(out, "host memory: RSS %.1f MiB = guest RAM in use %.1f MiB + Lodge %.1f MiB; peak RSS %.1f MiB\n",
            rss / 1048576.0, guest / 1048576.0, (rss > guest ? rss - guest : 0) / 1048576.0,
            host_peak_rss_bytes() / 1048576.0);
    fprintf(out, "run loop: %llu rounds, %llu idle sleeps, %llu I/O polls\n", (unsigned long long)m->rounds,
            (unsigned long long)m->idle_waits, (unsigned long long)m->io_polls);
}
