/* A bare-metal test machine for the hart: RAM at 0x80000000 holding a flat binary, a test finisher, a byte
 * console, interrupt-line and timer registers, and optionally a riscv-tests style `tohost` word.
 * usage: harness [--harts N] [--max N] [--tohost ADDR] [--trace N] [--step] [--bench] [--mem MiB] FILE.bin
 *        (--step runs everything one hart_run(h, 1) at a time and fails if any call ran more than one)
 *        harness --disasm      (reads hex instruction words from stdin, prints "word: text" for each)
 * Exit status: 0 the program passed, 1 it failed, 2 it did not finish or bad usage. */
#include "sysvm/riscv/hart.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RAM_BASE 0x80000000ull
#define FINISHER 0x00100000ull   /* write 0x5555: pass; (code << 16) | 0x3333: fail */
#define CONSOLE  0x10000000ull   /* write a byte: print it */
#define IRQ_SET  0x02100000ull   /* write mask: hart_set_mip(mask, 1) on hart (addr bits 8..11) */
#define IRQ_CLR  0x02100008ull   /* write mask: hart_set_mip(mask, 0) */
#define DMA      0x02200000ull   /* +0 dst, +8 src, +16 len (write: copy in RAM as a device would) */
#define MTIMECMP 0x02004000ull   /* 8 bytes per hart: MTIP when mtime >= mtimecmp */
#define MTIME    0x0200bff8ull
#define MSIP     0x02000000ull   /* 4 bytes per hart: bit 0 drives MSIP */

typedef struct Machine {
    uint8_t *ram;
    uint64_t ram_size;
    Hart *harts[8];
    unsigned nharts;
    uint64_t mtime, mtimecmp[8];
    int done;          /* 0 running, 1 pass, 2 fail */
    unsigned fail_code;
    uint64_t dma_dst, dma_src;
    bool step_violation;
} Machine;

static void update_timer(Machine *m)
{
    for (unsigned i = 0; i < m->nharts; i++) hart_set_mip(m->harts[i], MIP_MTIP, m->mtime >= m->mtimecmp[i]);
}

static bool mmio_read(void *opaque, uint64_t pa, unsigned size, uint64_t *val)
{
    Machine *m = opaque;
    if (pa == MTIME && size == 8) { *val = m->mtime; return true; }
    if (pa >= MTIMECMP && pa < MTIMECMP + 8 * m->nharts && size == 8) {
        *val = m->mtimecmp[(pa - MTIMECMP) / 8];
        return true;
    }
    if (pa >= MSIP && pa < MSIP + 4 * m->nharts && size == 4) {
        *val = (hart_get_mip(m->harts[(pa - MSIP) / 4]) & MIP_MSIP) ? 1 : 0;
        return true;
    }
    if (pa == FINISHER || pa == CONSOLE) { *val = 0; return true; }
    return false;
}

static bool mmio_write(void *opaque, uint64_t pa, unsigned size, uint64_t val)
{
    Machine *m = opaque;
    if (pa == FINISHER) {
        if ((val & 0xffff) == 0x5555) m->done = 1;
        else { m->done = 2; m->fail_code = (unsigned)(val >> 16); }
        return true;
    }
    if (pa == CONSOLE) { putchar((int)(val & 0xff)); fflush(stdout); return true; }
    if ((pa & ~0xf00ull) == IRQ_SET || (pa & ~0xf00ull) == IRQ_CLR) {
        unsigned h = (unsigned)((pa >> 8) & 15);
        if (h >= m->nharts) return false;
        hart_set_mip(m->harts[h], val, (pa & ~0xf00ull) == IRQ_SET);
        return true;
    }
    if (pa >= MTIMECMP && pa < MTIMECMP + 8 * m->nharts && size == 8) {
        m->mtimecmp[(pa - MTIMECMP) / 8] = val;
        update_timer(m);
        return true;
    }
    if (pa >= MSIP && pa < MSIP + 4 * m->nharts && size == 4) {
        hart_set_mip(m->harts[(pa - MSIP) / 4], MIP_MSIP, val & 1);
        return true;
    }
    if (pa == DMA && size == 8) { m->dma_dst = val; return true; }
    if (pa == DMA + 8 && size == 8) { m->dma_src = val; return true; }
    if (pa == DMA + 16 && size == 8) {
        /* A device writing guest RAM behind the harts' backs; they are told through hart_invalidate_code. */
        uint64_t end = RAM_BASE + m->ram_size;
        if (m->dma_dst < RAM_BASE || m->dma_src < RAM_BASE || val > m->ram_size || m->dma_dst > end - val ||
            m->dma_src > end - val)
            return false;
        memmove(m->ram + (m->dma_dst - RAM_BASE), m->ram + (m->dma_src - RAM_BASE), val);
        for (unsigned i = 0; i < m->nharts; i++) hart_invalidate_code(m->harts[i], m->dma_dst, val);
        return true;
    }
    return false;
}

static uint64_t get_time(void *opaque) { return ((Machine *)opaque)->mtime; }

static int usage(void)
{
    fprintf(stderr, "usage: harness [--harts N] [--max N] [--tohost ADDR] [--trace N] [--step] [--bench] [--mem MiB] "
                    "FILE\n");
    return 2;
}

static int disasm_stdin(void)
{
    char line[64], buf[96];
    while (fgets(line, sizeof line, stdin)) {
        char *end;
        unsigned long w = strtoul(line, &end, 16);
        if (end == line) continue;
        riscv_disasm((uint32_t)w, 0, buf, sizeof buf);
        printf("%08lx: %s\n", w, buf);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--disasm")) return disasm_stdin();
    uint64_t max = 200000000, tohost = 0, trace = 0, mem_mib = 32;
    unsigned nharts = 1;
    bool bench = false, step = false;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max") && i + 1 < argc) max = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--tohost") && i + 1 < argc) tohost = strtoull(argv[++i], NULL, 16);
        else if (!strcmp(argv[i], "--trace") && i + 1 < argc) trace = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--harts") && i + 1 < argc) nharts = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mem") && i + 1 < argc) mem_mib = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--bench")) bench = true;
        else if (!strcmp(argv[i], "--step")) step = true;
        else if (argv[i][0] == '-' || file) return usage();
        else file = argv[i];
    }
    if (!file || nharts < 1 || nharts > 8 || mem_mib < 1 || mem_mib > 4096) return usage();

    Machine m = { 0 };
    m.ram_size = mem_mib << 20;
    m.ram = calloc(1, m.ram_size);
    if (!m.ram) { fprintf(stderr, "harness: out of memory\n"); return 2; }
    FILE *f = fopen(file, "rb");
    if (!f) { perror(file); return 2; }
    size_t got = fread(m.ram, 1, m.ram_size, f);
    fclose(f);
    if (got == 0) { fprintf(stderr, "harness: %s is empty\n", file); return 2; }
    for (unsigned i = 0; i < 8; i++) m.mtimecmp[i] = ~0ull;

    HartBus bus = { .opaque = &m, .ram = m.ram, .ram_base = RAM_BASE, .ram_size = m.ram_size,
                    .mmio_read = mmio_read, .mmio_write = mmio_write, .get_time = get_time };
    m.nharts = nharts;
    for (unsigned i = 0; i < nharts; i++) {
        m.harts[i] = hart_new(&bus, i);
        if (!m.harts[i]) { fprintf(stderr, "harness: out of memory\n"); return 2; }
        hart_set_reg(m.harts[i], 10, i);   /* a0 = hartid */
    }
    for (unsigned i = 0; i < nharts; i++) hart_set_peers(m.harts[i], m.harts, nharts);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t total = 0;
    while (!m.done && total < max) {
        bool all_idle = true;
        for (unsigned i = 0; i < nharts && !m.done; i++) {
            Hart *h = m.harts[i];
            if (trace) {
                char buf[96];
                uint64_t pc = hart_get_pc(h);
                if (pc >= RAM_BASE && pc + 4 <= RAM_BASE + m.ram_size) {
                    uint32_t w;
                    memcpy(&w, m.ram + (pc - RAM_BASE), 4);
                    riscv_disasm(w, pc, buf, sizeof buf);
                    fprintf(stderr, "[%u] %016" PRIx64 ": %s\n", i, pc, buf);
                } else {
                    uint64_t mc = 0, sc = 0;
                    hart_get_csr(h, 0x342, &mc);
                    hart_get_csr(h, 0x142, &sc);
                    fprintf(stderr, "[%u] %016" PRIx64 ": (virtual) mcause %" PRIx64 " scause %" PRIx64 "\n", i, pc,
                            mc, sc);
                }
                trace--;
                total += hart_run(h, 1);
            } else if (step) {
                uint64_t ran = hart_run(h, 1);
                if (ran > 1) m.step_violation = true;
                total += ran;
            } else {
                total += hart_run(h, nharts > 1 ? 1000 + 37 * i : 100000);
            }
            if (!hart_is_idle(h) && !hart_is_stopped(h)) all_idle = false;
        }
        /* mtime advances with work done, or jumps ahead when every hart waits. */
        m.mtime = all_idle ? (m.mtime + 1000) : total / 16;
        update_timer(&m);
        if (tohost) {
            uint64_t v;
            memcpy(&v, m.ram + (tohost - RAM_BASE), 8);
            if (v) { if (v == 1) m.done = 1; else { m.done = 2; m.fail_code = (unsigned)(v >> 1); } }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (bench)
        fprintf(stderr, "%" PRIu64 " instructions in %.3f s: %.1f M instructions/s\n", total, secs,
                (double)total / secs / 1e6);
    int rc = m.done == 1 ? 0 : m.done == 2 ? 1 : 2;
    if (m.step_violation) {
        fprintf(stderr, "harness: hart_run(h, 1) ran more than one instruction\n");
        rc = 1;
    }
    if (m.done == 2)
        fprintf(stderr, "harness: %s failed with code %u (pc %016" PRIx64 ", s10 %" PRIx64 ", s8 %" PRIx64
                ", a1 %" PRIx64 ")\n", file, m.fail_code, hart_get_pc(m.harts[0]), hart_get_reg(m.harts[0], 26),
                hart_get_reg(m.harts[0], 24), hart_get_reg(m.harts[0], 11));
    if (!m.done) fprintf(stderr, "harness: %s did not finish in %" PRIu64 " instructions (pc %016" PRIx64 ")\n",
                         file, total, hart_get_pc(m.harts[0]));
    for (unsigned i = 0; i < nharts; i++) hart_delete(m.harts[i]);
    free(m.ram);
    return rc;
}
