/* Hart life cycle and the machine-facing calls of hart.h: creation, reset, registers, running a slice,
 * interrupt lines, code invalidation after DMA, HSM stop/start and the trace counters. */
#include "sysvm/riscv/cpu.h"

#include <stdlib.h>
#include <string.h>

Hart *hart_new(const HartBus *bus, uint32_t hartid)
{
    Hart *h = alloc_calloc(bus->alloc, 1, sizeof *h);
    if (!h) return NULL;
    h->bus = *bus;
    h->hartid = hartid;
    uint64_t pages = (bus->ram_size + 4095) >> 12;
    h->own_code_words = (size_t)((pages + 63) / 64 + 1);
    h->own_code_bits = alloc_calloc(bus->alloc, h->own_code_words, sizeof(uint64_t));
    if (!h->own_code_bits) {
        alloc_free(bus->alloc, h, sizeof *h);
        return NULL;
    }
    h->code_bits = h->own_code_bits;
    if (!riscv_codecache_init(h)) {
        alloc_free(bus->alloc, h->own_code_bits, h->own_code_words * sizeof(uint64_t));
        alloc_free(bus->alloc, h, sizeof *h);
        return NULL;
    }
    hart_reset(h, bus->ram_base);
    return h;
}

void hart_delete(Hart *h)
{
    if (!h) return;
    riscv_codecache_free(h);
    Alloc *a = h->bus.alloc;
    alloc_free(a, h->own_code_bits, h->own_code_words * sizeof(uint64_t));
    alloc_free(a, h, sizeof *h);
}

void hart_reset(Hart *h, uint64_t pc)
{
    memset(h->x, 0, sizeof h->x);
    memset(h->f, 0, sizeof h->f);
    h->pc = pc;
    h->priv = HART_PRIV_M;
    h->mstatus = 0;
    h->mip = h->mie = 0;
    h->fflags = h->frm = 0;
    h->idle = h->stopped = false;
    h->resv_valid = false;
    h->medeleg = h->mideleg = h->mtvec = h->mscratch = h->mepc = h->mcause = h->mtval = 0;
    h->stvec = h->sscratch = h->sepc = h->scause = h->stval = h->satp = 0;
    h->menvcfg = h->senvcfg = h->mcountinhibit = 0;
    /* Counters readable from S and U from the start: with Lodge's own SBI no firmware would grant it. */
    h->mcounteren = h->scounteren = 7;
    memset(h->pmpcfg, 0, sizeof h->pmpcfg);
    memset(h->pmpaddr, 0, sizeof h->pmpaddr);
    for (int c = 0; c < RV_CTX_COUNT; c++)
        for (int a = 0; a < 3; a++)
            for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
                h->tlb[c][a][i].tag = RV_TLB_EMPTY;
                h->vtlb[c][a][i].tag = RV_TLB_EMPTY;
                h->tlb[c][a][i].addend = 0;
            }
    h->nsuper = 0;
    riscv_codecache_flush(h);
    for (int i = 0; i < 4; i++) {
        memset(&h->xslot[i], 0, sizeof h->xslot[i]);
        h->xslot[i].op = RV_OP_PAGE_END;
        h->xslot[i].hoff = h->hoff_page_end;      /* 0 before the first run; the interpreter sets it */
    }
    riscv_trap_update_mode(h);
}

void hart_set_priv(Hart *h, int priv)
{
    h->priv = priv == HART_PRIV_U || priv == HART_PRIV_S ? priv : HART_PRIV_M;
    riscv_trap_update_mode(h);
}

uint64_t hart_get_reg(const Hart *h, int reg) { return (reg > 0 && reg < 32) ? h->x[reg] : 0; }

void hart_set_reg(Hart *h, int reg, uint64_t val)
{
    if (reg > 0 && reg < 32) h->x[reg] = val;
}

uint64_t hart_get_pc(const Hart *h) { return h->pc; }
void hart_set_pc(Hart *h, uint64_t pc) { h->pc = pc & ~1ull; }

uint64_t hart_run(Hart *h, uint64_t max_insns)
{
    if (h->stopped || max_insns == 0) return 0;
    if (h->idle) {
        if (!(h->mip & h->mie)) return 0;
        h->idle = false;
    }
    h->resv_valid = false;      /* other harts ran since our last slice */
    return riscv_interp_run(h, max_insns);
}

bool hart_is_idle(const Hart *h) { return h->idle; }

void hart_set_mip(Hart *h, uint64_t mask, bool level)
{
    mask &= MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP;
    h->mip = level ? (h->mip | mask) : (h->mip & ~mask);
    if (h->mip & h->mie) h->idle = false;
}

uint64_t hart_get_mip(const Hart *h) { return h->mip; }

void hart_invalidate_code(Hart *h, uint64_t paddr, uint64_t len) { riscv_codecache_store(h, paddr, len); }

void hart_set_stopped(Hart *h, bool stopped)
{
    h->stopped = stopped;
    if (!stopped) h->idle = false;
}

bool hart_is_stopped(const Hart *h) { return h->stopped; }

void hart_stats(const Hart *h, HartStats *out)
{
    *out = h->stats;
    out->instret = h->instret;
}

void hart_flush_tlb(Hart *h) { riscv_mmu_flush(h); }

uint32_t hart_id(const Hart *h) { return h->hartid; }

void hart_snoop_store(Hart *h, uint64_t paddr)
{
    if (h->resv_valid && (h->resv_addr >> 3) == (paddr >> 3)) h->resv_valid = false;
}

void hart_set_peers(Hart *h, Hart *const *peers, unsigned n)
{
    h->peers = peers;
    h->npeers = n;
    /* All harts share the first hart's code bitmap, so any hart's store sees any hart's code. */
    h->code_bits = n ? peers[0]->own_code_bits : h->own_code_bits;
}

bool hart_get_csr(const Hart *h, unsigned csr, uint64_t *val)
{
    return riscv_csr_read((Hart *)h, csr & 0xfff, val);
}

bool hart_set_csr(Hart *h, unsigned csr, uint64_t val) { return riscv_csr_write(h, csr & 0xfff, val); }
