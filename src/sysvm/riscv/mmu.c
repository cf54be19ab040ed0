/* The MMU: Sv39/Sv48 page walks (permissions, SUM, MXR, A/D bits set by the walker), the TLB fill and flush,
 * and the slow paths of loads and stores: TLB misses, misaligned accesses (emulated bytewise), MMIO, and
 * stores that hit decoded code. */
#include "sysvm/riscv/cpu.h"

#include <string.h>

#define PTE_V (1u << 0)
#define PTE_R (1u << 1)
#define PTE_W (1u << 2)
#define PTE_X (1u << 3)
#define PTE_U (1u << 4)
#define PTE_A (1u << 6)
#define PTE_D (1u << 7)

static const uint8_t page_fault[3] = { RV_EXC_LOAD_PAGE, RV_EXC_STORE_PAGE, RV_EXC_INSN_PAGE };
static const uint8_t access_fault[3] = { RV_EXC_LOAD_ACCESS, RV_EXC_STORE_ACCESS, RV_EXC_INSN_ACCESS };

static int data_priv(const Hart *h)
{
    if (h->priv == HART_PRIV_M && (h->mstatus & MSTATUS_MPRV)) return (int)((h->mstatus >> 11) & 3);
    return h->priv;
}

static uint8_t *host_of(const Hart *h, uint64_t pa)
{
    /* SAFETY: callers checked riscv_is_ram(pa). */
    return h->bus.ram + (pa - h->bus.ram_base);
}

/* Remember the virtual range of a superpage the TLB caches, so that sfence.vma of one address inside it
 * flushes every entry it produced. */
static void note_superpage(Hart *h, uint64_t va, int level)
{
    uint64_t size = 1ull << (12 + 9 * level);
    uint64_t base = va & ~(size - 1);
    unsigned known = h->nsuper < RV_MAX_SUPER ? h->nsuper : RV_MAX_SUPER;
    for (unsigned i = 0; i < known; i++)
        if (h->super_base[i] == base && h->super_size[i] == size) return;
    if (h->nsuper < RV_MAX_SUPER) {
        h->super_base[h->nsuper] = base;
        h->super_size[h->nsuper] = size;
    }
    h->nsuper++;     /* past RV_MAX_SUPER: unknown, every sfence.vma flushes all */
}

bool riscv_mmu_translate(Hart *h, uint64_t va, int acc, uint64_t *pa)
{
    int priv = acc == RV_ACC_X ? h->priv : data_priv(h);
    uint64_t mode = h->satp >> 60;
    if (priv == HART_PRIV_M || mode == 0) {
        *pa = va;
        return true;
    }
    int levels = mode == 8 ? 3 : 4;
    int vabits = 12 + 9 * levels;
    if ((uint64_t)((int64_t)(va << (64 - vabits)) >> (64 - vabits)) != va) goto fault;

    uint64_t table = (h->satp & ((1ull << 44) - 1)) << 12;
    uint64_t pte = 0, pte_addr = 0;
    int level;
    for (level = levels - 1;; level--) {
        pte_addr = table + ((va >> (12 + 9 * level)) & 511) * 8;
        if (!riscv_is_ram(h, pte_addr, 8)) {
            riscv_trap_raise(h, access_fault[acc], va);
            return false;
        }
        memcpy(&pte, host_of(h, pte_addr), 8);
        h->stats.tlb_miss += level == levels - 1;
        if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W))) goto fault;
        if (pte >> 54) goto fault;                     /* reserved bits, Svpbmt, Svnapot: not implemented */
        if (pte & (PTE_R | PTE_X)) break;
        if (level == 0) goto fault;
        table = ((pte >> 10) & ((1ull << 44) - 1)) << 12;
    }
    uint64_t ppn = (pte >> 10) & ((1ull << 44) - 1);
    if (level > 0 && (ppn & ((1ull << (9 * level)) - 1))) goto fault;   /* misaligned superpage */
    if (priv == HART_PRIV_U) {
        if (!(pte & PTE_U)) goto fault;
    } else if (pte & PTE_U) {
        if (acc == RV_ACC_X || !(h->mstatus & MSTATUS_SUM)) goto fault;
    }
    if (acc == RV_ACC_R && !((pte & PTE_R) || ((h->mstatus & MSTATUS_MXR) && (pte & PTE_X)))) goto fault;
    if (acc == RV_ACC_W && !(pte & PTE_W)) goto fault;
    if (acc == RV_ACC_X && !(pte & PTE_X)) goto fault;
    uint64_t want = PTE_A | (acc == RV_ACC_W ? PTE_D : 0);
    if ((pte & want) != want) {
        pte |= want;
        memcpy(host_of(h, pte_addr), &pte, 8);
        riscv_codecache_store(h, pte_addr, 8);
    }
    uint64_t off_mask = (1ull << (12 + 9 * level)) - 1;
    *pa = ((ppn << 12) & ~off_mask) | (va & off_mask);
    if (level > 0) note_superpage(h, va, level);
    return true;
fault:
    riscv_trap_raise(h, page_fault[acc], va);
    return false;
}

static RvTlbEntry *victim_of(Hart *h, const RvTlbEntry *e)
{
    uintptr_t k = ((uintptr_t)e - (uintptr_t)h->tlb) / sizeof *e;
    return (RvTlbEntry *)((uintptr_t)h->vtlb + k * sizeof *e);
}

static void tlb_fill(Hart *h, RvTlbEntry *tlb, uint64_t va, uint64_t pa)
{
    RvTlbEntry *e = &tlb[(va >> 12) & (RV_TLB_SIZE - 1)];
    if (e->tag != RV_TLB_EMPTY && e->tag != (va & ~4095ull)) *victim_of(h, e) = *e;
    e->tag = va & ~4095ull;
    e->addend = (uintptr_t)host_of(h, pa & ~4095ull) - (uintptr_t)(va & ~4095ull);
}

/* The victim entry holds va's page: swap it into the primary entry and return that, else NULL. */
static const RvTlbEntry *victim_hit(Hart *h, RvTlbEntry *tlb, uint64_t va)
{
    RvTlbEntry *e = &tlb[(va >> 12) & (RV_TLB_SIZE - 1)], *v = victim_of(h, e);
    if (v->tag != (va & ~4095ull)) return NULL;
    RvTlbEntry t = *e;
    *e = *v;
    *v = t;
    return e;
}

bool riscv_mmu_load_slow(Hart *h, uint64_t va, unsigned size, uint64_t *val)
{
    if (va & (size - 1)) {
        /* Misaligned: assemble from bytes (each byte translated, so page crossings work). */
        uint64_t v = 0, b;
        for (unsigned i = 0; i < size; i++) {
            if (!riscv_mmu_load_slow(h, va + i, 1, &b)) return false;
            v |= b << (8 * i);
        }
        *val = v;
        return true;
    }
    const RvTlbEntry *ve = victim_hit(h, h->tlb_r, va);
    if (ve) {
        uint64_t v = 0;
        /* SAFETY: victim entries map whole RAM pages, like primary ones; the access is aligned. */
        memcpy(&v, (const void *)(uintptr_t)(va + ve->addend), size);
        *val = v;
        return true;
    }
    uint64_t pa;
    if (!riscv_mmu_translate(h, va, RV_ACC_R, &pa)) return false;
    if (riscv_is_ram(h, pa, size)) {
        tlb_fill(h, h->tlb_r, va, pa);
        uint64_t v = 0;
        memcpy(&v, host_of(h, pa), size);       /* little-endian host */
        *val = v;
        return true;
    }
    if (h->bus.mmio_read && h->bus.mmio_read(h->bus.opaque, pa, size, val)) return true;
    riscv_trap_raise(h, RV_EXC_LOAD_ACCESS, va);
    return false;
}

static bool store_ram(Hart *h, uint64_t va, uint64_t pa, unsigned size, uint64_t val)
{
    if (riscv_is_code_page(h, pa)) riscv_codecache_store(h, pa, size);
    if (!riscv_is_code_page(h, pa)) tlb_fill(h, h->tlb_w, va, pa);
    memcpy(host_of(h, pa), &val, size);
    return true;
}

bool riscv_mmu_store_slow(Hart *h, uint64_t va, unsigned size, uint64_t val)
{
    uint64_t pa;
    if (va & (size - 1)) {
        /* Misaligned: check both ends first, so a fault leaves memory untouched. */
        uint64_t pb;
        if (!riscv_mmu_translate(h, va, RV_ACC_W, &pa) || !riscv_mmu_translate(h, va + size - 1, RV_ACC_W, &pb))
            return false;
        for (unsigned i = 0; i < size; i++)
            if (!riscv_mmu_store_slow(h, va + i, 1, (val >> (8 * i)) & 0xff)) return false;
        return true;
    }
    const RvTlbEntry *ve = victim_hit(h, h->tlb_w, va);
    if (ve) {
        /* SAFETY: as for loads; write entries (victims too) never map pages holding decoded code. */
        memcpy((void *)(uintptr_t)(va + ve->addend), &val, size);
        return true;
    }
    if (!riscv_mmu_translate(h, va, RV_ACC_W, &pa)) return false;
    if (riscv_is_ram(h, pa, size)) return store_ram(h, va, pa, size, val);
    if (h->bus.mmio_write && h->bus.mmio_write(h->bus.opaque, pa, size, val)) return true;
    riscv_trap_raise(h, RV_EXC_STORE_ACCESS, va);
    return false;
}

void *riscv_mmu_atomic_ptr(Hart *h, uint64_t va, unsigned size, int acc)
{
    uint64_t pa;
    if (va & (size - 1)) {
        riscv_trap_raise(h, acc == RV_ACC_R ? RV_EXC_LOAD_MISALIGNED : RV_EXC_STORE_MISALIGNED, va);
        return NULL;
    }
    if (!riscv_mmu_translate(h, va, acc, &pa)) return NULL;
    if (!riscv_is_ram(h, pa, size)) {
        riscv_trap_raise(h, access_fault[acc], va);
        return NULL;
    }
    if (acc == RV_ACC_W && riscv_is_code_page(h, pa)) riscv_codecache_store(h, pa, size);
    return host_of(h, pa);
}

bool riscv_mmu_fetch16(Hart *h, uint64_t va, uint16_t *val)
{
    uint64_t pa;
    if (!riscv_mmu_translate(h, va, RV_ACC_X, &pa)) return false;
    if (!riscv_is_ram(h, pa, 2)) {
        riscv_trap_raise(h, RV_EXC_INSN_ACCESS, va);
        return false;
    }
    memcpy(val, host_of(h, pa), 2);
    return true;
}

static void flush_ctx(Hart *h, int ctx)
{
    for (int a = 0; a < 3; a++)
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            h->tlb[ctx][a][i].tag = RV_TLB_EMPTY;
            h->tlb[ctx][a][i].addend = 0;
            h->vtlb[ctx][a][i].tag = RV_TLB_EMPTY;
        }
}

void riscv_mmu_flush(Hart *h)
{
    flush_ctx(h, RV_CTX_U);
    flush_ctx(h, RV_CTX_S);
    flush_ctx(h, RV_CTX_S_SUM);
    h->nsuper = 0;
}

void riscv_mmu_flush_page(Hart *h, uint64_t va)
{
    if (h->nsuper > RV_MAX_SUPER) { riscv_mmu_flush(h); return; }
    for (unsigned i = 0; i < h->nsuper; i++)
        if (va - h->super_base[i] < h->super_size[i]) { riscv_mmu_flush(h); return; }
    uint64_t tag = va & ~4095ull;
    unsigned idx = (va >> 12) & (RV_TLB_SIZE - 1);
    for (int c = RV_CTX_U; c <= RV_CTX_S_SUM; c++)
        for (int a = 0; a < 3; a++) {
            if (h->tlb[c][a][idx].tag == tag) {
                h->tlb[c][a][idx].tag = RV_TLB_EMPTY;
                h->tlb[c][a][idx].addend = 0;
            }
            if (h->vtlb[c][a][idx].tag == tag) h->vtlb[c][a][idx].tag = RV_TLB_EMPTY;
        }
}

void riscv_mmu_unmap_write(Hart *h, const uint8_t *host)
{
    for (int c = 0; c < RV_CTX_COUNT; c++)
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            RvTlbEntry *e = &h->tlb[c][RV_ACC_W][i], *v = &h->vtlb[c][RV_ACC_W][i];
            if (e->tag != RV_TLB_EMPTY && (uintptr_t)e->tag + e->addend == (uintptr_t)host) e->tag = RV_TLB_EMPTY;
            if (v->tag != RV_TLB_EMPTY && (uintptr_t)v->tag + v->addend == (uintptr_t)host) v->tag = RV_TLB_EMPTY;
        }
}
