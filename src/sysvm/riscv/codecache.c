/* The decode cache: decoded instructions per physical RAM page, one slot per halfword, filled lazily as
 * slots are first executed. Pages holding decoded code are marked in a bitmap shared by the machine's harts;
 * their write-TLB entries are dropped, so every store to them takes the slow path and invalidates them. */
#include "sysvm/riscv/cpu.h"

#include <string.h>

#include "os/mem.h"

/* At most RV_CC_PAGES decoded pages per hart; past that, pages are evicted one at a time by the clock
 * (second-chance) algorithm. Linux boot touches ~500 code pages, its hot set at any moment is much smaller.
 * A slot array costs host memory only for the parts (512 bytes of guest code per 4 KiB) that ran. */

static unsigned bucket_of(uint64_t ppn) { return (unsigned)((ppn ^ (ppn >> 10)) & 1023); }

static RvCodePage *lookup(const Hart *h, uint64_t ppn)
{
    for (RvCodePage *p = h->cc_bucket[bucket_of(ppn)]; p; p = p->next)
        if (p->ppn == ppn) return p;
    return NULL;
}

/* Zero a page's slots (all "not decoded"), giving their host memory back, then set the sentinels. A store
 * may invalidate the page of the very instruction doing it: that handler only steps to the next slot, which
 * is then decoded afresh. False if the memory could not be made accessible again (the page is then dead). */
static bool wipe_slots(const Hart *h, RvCodePage *p)
{
    if (p->touched & ~(1u << (RV_PAGE_SLOTS / 256))) {
        if (!os_mem_decommit(p->slot, RV_SLOT_BYTES)) {
            for (unsigned c = 0; c < RV_SLOT_CHUNKS; c++)
                if (p->touched & (1u << c)) memset(p->slot + c * 256, 0, 256 * sizeof(RvInsn));
        } else if (!os_mem_commit(p->slot, RV_SLOT_BYTES)) {
            p->dead = true;
            return false;
        }
    }
    for (unsigned i = RV_PAGE_SLOTS; i < RV_PAGE_SLOTS + 2; i++) {
        p->slot[i].op = RV_OP_PAGE_END;
        p->slot[i].hoff = h->hoff_page_end;
    }
    p->touched = 1u << (RV_PAGE_SLOTS / 256);
    p->live = false;
    return true;
}

void riscv_codecache_set_handler(const Hart *h, RvInsn *in, int len, unsigned near)
{
    const void *handler = (len == 4 ? h->h_labels4 : h->h_labels2)[in->op];
    bool pc_rel = (in->op >= RV_OP_BEQ && in->op <= RV_OP_BGEU) || in->op == RV_OP_JAL;
    if (pc_rel) {
        int64_t target = (int64_t)near - 1 + in->imm;
        if (near == 0 || target < 0 || target >= 4096) handler = len == 4 ? h->h_far4 : h->h_far2;
    }
    in->hoff = (int32_t)((intptr_t)(uintptr_t)handler - (intptr_t)h->h_base);
}

static void unlink_page(Hart *h, RvCodePage *p)
{
    RvCodePage **pp = &h->cc_bucket[bucket_of(p->ppn)];
    while (*pp && *pp != p) pp = &(*pp)->next;
    if (*pp) *pp = p->next;
    p->next = NULL;
    p->ppn = ~0ull;
    p->referenced = false;
    /* No fetch-TLB entry may lead to it any more. */
    if (p->nrefs <= 4) {
        for (unsigned i = 0; i < p->nrefs; i++)
            if (p->refs[i]->addend == (uintptr_t)p) p->refs[i]->addend = 0;
    } else {
        for (int c = 0; c < RV_CTX_COUNT; c++)
            for (unsigned i = 0; i < RV_TLB_SIZE; i++)
                if (h->tlb[c][RV_ACC_X][i].addend == (uintptr_t)p) h->tlb[c][RV_ACC_X][i].addend = 0;
    }
    p->nrefs = 0;
}

bool riscv_codecache_init(Hart *h)
{
    /* Mapped, not malloc'd, but the machine's all the same: the whole region counts against its budget. */
    if (!alloc_charge(h->bus.alloc, (size_t)RV_CC_PAGES * RV_SLOT_BYTES)) return false;
    h->cc_region = os_mem_reserve((size_t)RV_CC_PAGES * RV_SLOT_BYTES);
    if (!h->cc_region || !os_mem_commit(h->cc_region, (size_t)RV_CC_PAGES * RV_SLOT_BYTES)) {
        if (h->cc_region) os_mem_release(h->cc_region, (size_t)RV_CC_PAGES * RV_SLOT_BYTES);
        h->cc_region = NULL;
        alloc_uncharge(h->bus.alloc, (size_t)RV_CC_PAGES * RV_SLOT_BYTES);
        return false;
    }
    return true;
}

void riscv_codecache_flush(Hart *h)
{
    /* Pages stay in the ring, unlinked, for the clock to reuse. */
    for (unsigned i = 0; i < h->cc_count; i++) {
        h->cc_pages[i].next = NULL;
        h->cc_pages[i].ppn = ~0ull;
        h->cc_pages[i].referenced = false;
    }
    memset(h->cc_bucket, 0, sizeof h->cc_bucket);
    for (int c = 0; c < RV_CTX_COUNT; c++)
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) h->tlb[c][RV_ACC_X][i].addend = 0;
    /* The code bitmap keeps its bits: they may belong to other harts, and a stale bit only costs one slow
     * store. */
}

void riscv_codecache_free(Hart *h)
{
    if (h->cc_region) {
        os_mem_release(h->cc_region, (size_t)RV_CC_PAGES * RV_SLOT_BYTES);
        alloc_uncharge(h->bus.alloc, (size_t)RV_CC_PAGES * RV_SLOT_BYTES);
    }
    h->cc_region = NULL;
    h->cc_count = 0;
    memset(h->cc_bucket, 0, sizeof h->cc_bucket);
}

/* A page for a new ppn: a fresh one while under the cap, else the clock's victim (never the page the
 * interpreter runs on: this is only called when it is leaving that page). */
static RvCodePage *take_page(Hart *h)
{
    if (h->cc_count < RV_CC_PAGES) {
        RvCodePage *p = &h->cc_pages[h->cc_count];
        memset(p, 0, sizeof *p);
        p->slot = (RvInsn *)(void *)(h->cc_region + (size_t)h->cc_count * RV_SLOT_BYTES);
        h->cc_count++;
        return p;
    }
    for (unsigned tries = 0; tries < 2 * RV_CC_PAGES + 1; tries++) {
        RvCodePage *p = &h->cc_pages[h->cc_hand];
        h->cc_hand = (h->cc_hand + 1) % h->cc_count;
        if (p->dead) continue;
        if (p->referenced) {
            p->referenced = false;
            continue;
        }
        if (p->ppn != ~0ull) {
            unlink_page(h, p);
            h->stats.code_evictions++;
        }
        return p;
    }
    return NULL;
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
        if (!p || !wipe_slots(h, p)) {
            riscv_trap_raise(h, RV_EXC_INSN_ACCESS, pc);    /* host out of memory */
            return NULL;
        }
        p->ppn = ppn;
        p->nrefs = 0;
        p->host = h->bus.ram + (base - h->bus.ram_base);
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
    p->touched |= (uint16_t)(1u << (slot >> 8));
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
    if (p && p->live && !wipe_slots(h, p)) unlink_page(h, p);
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
