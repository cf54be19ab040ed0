/* The decode cache: decoded instructions per physical RAM page, one slot per halfword, filled lazily as
 * slots are first executed. Pages holding decoded code are marked in a bitmap shared by the machine's harts;
 * their write-TLB entries are dropped, so every store to them takes the slow path and invalidates them. */
#include "sysvm/riscv/cpu.h"

#include <stdlib.h>
#include <string.h>

/* At most this many decoded pages per hart (32 KiB each); past it, pages are evicted one at a time by the
 * clock (second-chance) algorithm. Linux boot touches ~500 code pages but its hot set at any moment is small. */
#define RV_CC_MAX_PAGES RV_CC_PAGES

static unsigned bucket_of(uint64_t ppn) { return (unsigned)((ppn ^ (ppn >> 10)) & 1023); }

static RvCodePage *lookup(const Hart *h, uint64_t ppn)
{
    for (RvCodePage *p = h->cc_bucket[bucket_of(ppn)]; p; p = p->next)
        if (p->ppn == ppn) return p;
    return NULL;
}

static void reset_slots(const Hart *h, RvCodePage *p)
{
    /* Only op and handler change: a store may invalidate the page of the very instruction doing it, whose
     * handler is still running. */
    for (unsigned i = 0; i < RV_PAGE_SLOTS; i++) {
        p->slot[i].op = RV_OP_DECODE;
        p->slot[i].handler = h->h_decode;
    }
    p->live = false;
}

void riscv_codecache_set_handler(const Hart *h, RvInsn *in, int len, unsigned near)
{
    in->handler = (len == 4 ? h->h_labels4 : h->h_labels2)[in->op];
    bool pc_rel = (in->op >= RV_OP_BEQ && in->op <= RV_OP_BGEU) || in->op == RV_OP_JAL;
    if (pc_rel) {
        int64_t target = (int64_t)near - 1 + in->imm;
        if (near == 0 || target < 0 || target >= 4096) in->handler = len == 4 ? h->h_far4 : h->h_far2;
    }
}

static void unlink_page(Hart *h, RvCodePage *p)
{
    RvCodePage **pp = &h->cc_bucket[bucket_of(p->ppn)];
    while (*pp && *pp != p) pp = &(*pp)->next;
    if (*pp) *pp = p->next;
    p->next = NULL;
    p->ppn = ~0ull;
    p->referenced = false;
}

void riscv_codecache_flush(Hart *h)
{
    /* Pages stay allocated in the ring, unlinked, for the clock to reuse. */
    for (unsigned i = 0; i < h->cc_count; i++) {
        h->cc_ring[i]->next = NULL;
        h->cc_ring[i]->ppn = ~0ull;
        h->cc_ring[i]->referenced = false;
    }
    memset(h->cc_bucket, 0, sizeof h->cc_bucket);
    for (int c = 0; c < RV_CTX_COUNT; c++)
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) h->tlb[c][RV_ACC_X][i].addend = 0;
    /* The code bitmap keeps its bits: they may belong to other harts, and a stale bit only costs one slow
     * store. */
}

void riscv_codecache_free(Hart *h)
{
    for (unsigned i = 0; i < h->cc_count; i++) free(h->cc_ring[i]);
    h->cc_count = 0;
    memset(h->cc_bucket, 0, sizeof h->cc_bucket);
}

/* A page for a new ppn: a fresh one while under the cap, else the clock's victim (never the page the
 * interpreter runs on: this is only called when it is leaving that page). NULL when out of memory. */
static RvCodePage *take_page(Hart *h)
{
    if (h->cc_count < RV_CC_MAX_PAGES) {
        RvCodePage *p = malloc(sizeof *p);
        if (p) {
            h->cc_ring[h->cc_count++] = p;
            return p;
        }
        if (h->cc_count == 0) return NULL;
    }
    for (;;) {
        RvCodePage *p = h->cc_ring[h->cc_hand];
        h->cc_hand = (h->cc_hand + 1) % h->cc_count;
        if (p->referenced) {
            p->referenced = false;
            continue;
        }
        if (p->ppn != ~0ull) {
            unlink_page(h, p);
            h->stats.code_evictions++;
            if (p->nrefs <= 4) {
                for (unsigned i = 0; i < p->nrefs; i++)
                    if (p->refs[i]->addend == (uintptr_t)p) p->refs[i]->addend = 0;
            } else {
                for (int c = 0; c < RV_CTX_COUNT; c++)
                    for (unsigned i = 0; i < RV_TLB_SIZE; i++)
                        if (h->tlb[c][RV_ACC_X][i].addend == (uintptr_t)p) h->tlb[c][RV_ACC_X][i].addend = 0;
            }
        }
        return p;
    }
}

RvCodePage *riscv_codecache_fetch(Hart *h, uint64_t pc)
{
    uint64_t pa;
    if (!riscv_mmu_translate(h, pc, RV_ACC_X, &pa)) return NULL;
    uint64_t base = pa & ~4095ull;
    if (!riscv_is_ram(h, base, 4096)) {
        riscv_trap_raise(h, RV_EXC_INSN_ACCESS, pc);
        return NULL;
    }
    uint64_t ppn = pa >> 12;
    RvCodePage *p = lookup(h, ppn);
    if (!p) {
        p = take_page(h);
        if (!p) {
            riscv_trap_raise(h, RV_EXC_INSN_ACCESS, pc);    /* out of host memory */
            return NULL;
        }
        for (unsigned i = 0; i < RV_PAGE_SLOTS; i++) {
            p->slot[i].op = RV_OP_DECODE;
            p->slot[i].handler = h->h_decode;
        }
        for (unsigned i = RV_PAGE_SLOTS; i < RV_PAGE_SLOTS + 2; i++) {
            p->slot[i].op = RV_OP_PAGE_END;
            p->slot[i].handler = h->h_page_end;
        }
        p->ppn = ppn;
        p->nrefs = 0;
        p->host = h->bus.ram + (base - h->bus.ram_base);
        p->live = false;
        unsigned b = bucket_of(ppn);
        p->next = h->cc_bucket[b];
        h->cc_bucket[b] = p;
    }
    p->referenced = true;
    RvTlbEntry *e = &h->tlb_x[(pc >> 12) & (RV_TLB_SIZE - 1)];
    e->tag = pc & ~4095ull;
    e->addend = (uintptr_t)p;
    if (p->nrefs < 4) p->refs[p->nrefs] = e;
    if (p->nrefs <= 4) p->nrefs++;
    return p;
}

void riscv_codecache_decode(Hart *h, RvCodePage *p, unsigned slot)
{
    if (!p->live) {
        p->live = true;
        uint64_t n = p->ppn - (h->bus.ram_base >> 12);
        if (!((h->code_bits[n >> 6] >> (n & 63)) & 1)) {
            /* Newly code: no hart may keep a write-TLB entry for it. (While the bit is set, none is made.) */
            h->code_bits[n >> 6] |= 1ull << (n & 63);
            if (h->npeers == 0) riscv_mmu_unmap_write(h, p->host);
            for (unsigned i = 0; i < h->npeers; i++) riscv_mmu_unmap_write(h->peers[i], p->host);
        }
    }
    unsigned off = slot * 2;
    uint32_t word = (uint32_t)p->host[off] | (uint32_t)p->host[off + 1] << 8;
    if ((word & 3) == 3) {
        if (off == 4094) {
            RvInsn *in = &p->slot[slot];
            memset(in, 0, sizeof *in);
            in->op = RV_OP_CROSS;
            riscv_codecache_set_handler(h, in, 4, 0);
            return;
        }
        word |= (uint32_t)p->host[off + 2] << 16 | (uint32_t)p->host[off + 3] << 24;
    }
    /* Re-decoding the same word is common (evicted pages, copies of code): keep recent results. */
    unsigned k = (word ^ (word >> 11) ^ (word >> 21)) & (RV_DCACHE_SIZE - 1);
    RvDecoded *d = &h->dcache[k];
    if (d->len == 0 || d->word != word) {
        d->word = word;
        d->len = (uint8_t)riscv_decode(word, &d->in);
    }
    p->slot[slot] = d->in;
    riscv_codecache_set_handler(h, &p->slot[slot], d->len, off + 1);
}

static void invalidate_page(Hart *h, uint64_t ppn)
{
    RvCodePage *p = lookup(h, ppn);
    if (p && p->live) reset_slots(h, p);
}

void riscv_codecache_store(Hart *h, uint64_t paddr, uint64_t len)
{
    if (len == 0 || !riscv_is_ram(h, paddr, 1)) return;
    uint64_t end = paddr + len - 1;
    uint64_t ram_end = h->bus.ram_base + h->bus.ram_size - 1;
    if (end > ram_end || end < paddr) end = ram_end;
    for (uint64_t ppn = paddr >> 12; ppn <= end >> 12; ppn++) {
        uint64_t n = ppn - (h->bus.ram_base >> 12);
        if (!((h->code_bits[n >> 6] >> (n & 63)) & 1)) continue;
        h->code_bits[n >> 6] &= ~(1ull << (n & 63));
        if (h->npeers == 0) invalidate_page(h, ppn);
        for (unsigned i = 0; i < h->npeers; i++) invalidate_page(h->peers[i], ppn);
    }
}
