/* Hart life cycle and the machine-facing calls of hart.h (stub until the interpreter lands). */
#include "sysvm/riscv/hart.h"

#include <stdlib.h>
#include <string.h>

struct Hart {
    HartBus bus;
    uint32_t hartid;
    uint64_t x[32], pc, mip;
    int priv;
    bool stopped, idle;
    HartStats stats;
};

Hart *hart_new(const HartBus *bus, uint32_t hartid)
{
    Hart *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->bus = *bus;
    h->hartid = hartid;
    hart_reset(h, bus->ram_base);
    return h;
}

void hart_delete(Hart *h) { free(h); }

void hart_reset(Hart *h, uint64_t pc)
{
    memset(h->x, 0, sizeof h->x);
    h->pc = pc;
    h->priv = HART_PRIV_M;
    h->mip = 0;
    h->idle = false;
}

void hart_set_priv(Hart *h, int priv) { h->priv = priv; }
uint64_t hart_get_reg(const Hart *h, int reg) { return (reg > 0 && reg < 32) ? h->x[reg] : 0; }
void hart_set_reg(Hart *h, int reg, uint64_t val) { if (reg > 0 && reg < 32) h->x[reg] = val; }
uint64_t hart_get_pc(const Hart *h) { return h->pc; }
void hart_set_pc(Hart *h, uint64_t pc) { h->pc = pc; }
uint64_t hart_run(Hart *h, uint64_t max_insns) { (void)max_insns; h->idle = true; return 0; }
bool hart_is_idle(const Hart *h) { return h->idle; }
void hart_set_mip(Hart *h, uint64_t mask, bool level) { h->mip = level ? (h->mip | mask) : (h->mip & ~mask); }
uint64_t hart_get_mip(const Hart *h) { return h->mip; }
void hart_invalidate_code(Hart *h, uint64_t paddr, uint64_t len) { (void)h; (void)paddr; (void)len; }
void hart_set_stopped(Hart *h, bool stopped) { h->stopped = stopped; }
bool hart_is_stopped(const Hart *h) { return h->stopped; }
void hart_stats(const Hart *h, HartStats *out) { *out = h->stats; }
uint32_t hart_id(const Hart *h) { return h->hartid; }
void hart_snoop_store(Hart *h, uint64_t paddr) { (void)h; (void)paddr; }
void hart_set_peers(Hart *h, Hart *const *peers, unsigned n) { (void)h; (void)peers; (void)n; }
bool hart_get_csr(const Hart *h, unsigned csr, uint64_t *val) { (void)h; (void)csr; *val = 0; return false; }
bool hart_set_csr(Hart *h, unsigned csr, uint64_t val) { (void)h; (void)csr; (void)val; return false; }

int riscv_disasm(uint32_t insn, uint64_t pc, char *buf, size_t n)
{
    (void)pc;
    if (n) buf[0] = 0;
    return (insn & 3) == 3 ? 4 : 2;
}
