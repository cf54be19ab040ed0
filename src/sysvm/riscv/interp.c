/* The interpreter: runs pre-decoded instructions of the current page with computed-goto dispatch.
 * Loads and stores hit the TLB inline; everything rare (traps, CSRs, FP arithmetic, AMOs, TLB misses, MMIO)
 * is an out-of-line call. pc is kept in a local and ip points at the current page's slot for it. */
#include "sysvm/riscv/cpu.h"

#include <string.h>

static inline uint64_t sx32(uint64_t v) { return (uint64_t)(int64_t)(int32_t)(uint32_t)v; }

#if !defined(__GNUC__) && !defined(__clang__)
#error "the interpreter dispatches with computed goto (GCC or Clang)"
#endif

/* The dispatch veneer: each decoded slot holds the address of its handler (direct threading); OP names a
 * handler for the current LEN, NEXT steps over LEN bytes and jumps to the next slot's handler. */
#define RV_STEP_TAIL 64
#define RV_LBL2(name, len) L_##name##_##len
#define RV_LBL(name, len) RV_LBL2(name, len)
#define OP(name) RV_LBL(name, LEN):
#define DISPATCH() goto *(const void *)(base + (uintptr_t)(intptr_t)ip->hoff)
#define NEXT() do { n++; pc += LEN; ip += LEN / 2; DISPATCH(); } while (0)

/* Control transfer: stay on the decoded page when the target is on it, else look the target up. */
#define JUMP(target) do { \
        uint64_t t_ = (target); n++; \
        if (RV_LIKELY(((t_ ^ pc) >> 12) == 0 && n < near_end)) { \
            pc = t_; ip = &slots[(t_ & 4095) >> 1]; DISPATCH(); } \
        h->pc = t_; goto refetch; } while (0)
/* Branches and JAL whose target is on their own page (decided when decoding) step ip by the offset; the
 * others run the FAR handler. Slots copied to xslot (stepping) always take the n >= near_end exit first. */
#define NEAR_JUMP() do { \
        int32_t off_ = ip->imm; n++; pc += (uint64_t)(int64_t)off_; \
        if (RV_UNLIKELY(n >= near_end)) { h->pc = pc; goto refetch; } \
        ip += off_ / 2; DISPATCH(); } while (0)
#define BRANCH(cond) do { if (cond) NEAR_JUMP(); NEXT(); } while (0)

#define RS1 x[ip->rs1]
#define RS2 x[ip->rs2]
#define RD x[ip->rd]

/* The TLB compare includes the low address bits of a misaligned access, so those miss and go slow. */
#define TLB_HIT(e, a, size) ((e)->tag == ((a) & ~(uint64_t)(4095 & ~((size) - 1))))

#define LOAD(T, dst) do { \
        uint64_t a_ = RS1 + (uint64_t)(int64_t)ip->imm; \
        const RvTlbEntry *e_ = &tlb_r[(a_ >> 12) & (RV_TLB_SIZE - 1)]; T v_; \
        if (RV_LIKELY(TLB_HIT(e_, a_, sizeof(T)))) { \
            /* SAFETY: a TLB entry maps a whole guest RAM page; the access lies inside it. */ \
            memcpy(&v_, (const void *)(uintptr_t)(a_ + e_->addend), sizeof v_); \
        } else { \
            uint64_t w_; h->pc = pc; \
            if (!riscv_mmu_load_slow(h, a_, sizeof(T), &w_)) goto trap; \
            v_ = (T)w_; } \
        dst = v_; } while (0)

#define STORE(T, val) do { \
        uint64_t a_ = RS1 + (uint64_t)(int64_t)ip->imm; \
        const RvTlbEntry *e_ = &tlb_w[(a_ >> 12) & (RV_TLB_SIZE - 1)]; T v_ = (T)(val); \
        if (RV_LIKELY(TLB_HIT(e_, a_, sizeof(T)))) { \
            /* SAFETY: as for loads; write entries never map pages holding decoded code. */ \
            memcpy((void *)(uintptr_t)(a_ + e_->addend), &v_, sizeof v_); \
        } else { \
            h->pc = pc; \
            if (!riscv_mmu_store_slow(h, a_, sizeof(T), (uint64_t)v_)) goto trap; \
            /* An MMIO store may have raised an interrupt line (a self-IPI, say): look at once. */ \
            if (RV_UNLIKELY(h->mip & h->mie)) { h->pc = pc + LEN; n++; goto refetch; } } \
    } while (0)

#define FP_ENABLED() ((h->mstatus & MSTATUS_FS) != 0)

uint64_t riscv_interp_run(Hart *h, uint64_t max)
{
    static const void *const labels4[256] = {
        [RV_OP_DECODE] = &&L_DECODE, [RV_OP_PAGE_END] = &&L_PAGE_END, [RV_OP_CROSS] = &&L_CROSS,
        [RV_OP_ILLEGAL] = &&L_ILLEGAL,
#define INSN(name, text, mask, match, fmt, handler) [RV_OP_##name] = &&L_##handler##_4,
#include "sysvm/riscv/insns.def"
#undef INSN
    };
    static const void *const labels2[256] = {
        [RV_OP_DECODE] = &&L_DECODE, [RV_OP_PAGE_END] = &&L_PAGE_END, [RV_OP_CROSS] = &&L_CROSS,
        [RV_OP_ILLEGAL] = &&L_ILLEGAL,
#define INSN(name, text, mask, match, fmt, handler) [RV_OP_##name] = &&L_##handler##_2,
#include "sysvm/riscv/insns.def"
#undef INSN
    };
    const uintptr_t base = (uintptr_t)&&L_DECODE;
    h->h_base = base;
    h->hoff_page_end = (int32_t)((intptr_t)(uintptr_t)&&L_PAGE_END - (intptr_t)base);
    h->h_labels4 = labels4;
    h->h_labels2 = labels2;
    h->h_far4 = &&L_FAR_4;
    h->h_far2 = &&L_FAR_2;
    for (int i = 1; i < 4; i++) h->xslot[i].hoff = h->hoff_page_end;
    uint64_t *const x = h->x;
    uint64_t n = 0, pc = h->pc;
    /* Straight-line code is not counted against max until it branches or leaves the page, so a slice may
     * overrun by up to one page of instructions. The last RV_STEP_TAIL instructions of a slice are stepped
     * one at a time instead, so small max values (single-stepping) are exact. */
    const uint64_t near_end = max > RV_STEP_TAIL ? max - RV_STEP_TAIL : 0;
    RvCodePage *page = NULL;
    RvInsn *slots = NULL;                /* page->slot */
    /* The data TLBs of the current mode; mode changes all pass through refetch, which reloads them. */
    const RvTlbEntry *tlb_r = h->tlb_r, *tlb_w = h->tlb_w;
    const RvInsn *ip = NULL;

refetch:
    /* h->pc is the next instruction. Interrupts are taken only here: every event that can make one
     * pending and enabled (CSR writes, xRET, the machine between slices) comes through here. */
    if (RV_UNLIKELY(h->mip & h->mie)) riscv_trap_interrupt(h);
    pc = h->pc;
    tlb_r = h->tlb_r;
    tlb_w = h->tlb_w;
    if (RV_UNLIKELY(n >= max)) goto out;
    {
        const RvTlbEntry *e = &h->tlb_x[(pc >> 12) & (RV_TLB_SIZE - 1)];
        if (RV_LIKELY(e->tag == (pc & ~4095ull) && e->addend)) {
            page = (RvCodePage *)e->addend;
            page->referenced = true;
        } else {
            page = riscv_codecache_fetch(h, pc);
            if (!page) goto trap;
        }
    }
    slots = page->slot;
    ip = &slots[(pc & 4095) >> 1];
    if (RV_UNLIKELY(n >= near_end)) {
        /* Step: run a copy of the slot followed by PAGE_END sentinels, which come back here. */
        if (ip->op == RV_OP_DECODE) riscv_codecache_decode(h, page, (unsigned)(ip - page->slot));
        h->xslot[0] = *ip;
        ip = h->xslot;
    }
    DISPATCH();

trap:
    /* A trap was raised and h->pc is its handler. It counts as a step so a trap loop still ends the slice. */
    n++;
    goto refetch;

L_DECODE:
    riscv_codecache_decode(h, page, (unsigned)(ip - page->slot));
    DISPATCH();
L_PAGE_END:
    h->pc = pc;
    goto refetch;
L_CROSS: {
        uint16_t lo, hi;
        h->pc = pc;
        if (!riscv_mmu_fetch16(h, pc, &lo) || !riscv_mmu_fetch16(h, pc + 2, &hi)) goto trap;
        int len = riscv_decode((uint32_t)lo | (uint32_t)hi << 16, &h->xslot[0]);
        riscv_codecache_set_handler(h, &h->xslot[0], len, 0);
        ip = h->xslot;
        DISPATCH();
    }
L_ILLEGAL:
    h->pc = pc;
    riscv_trap_raise(h, RV_EXC_ILLEGAL, (uint32_t)ip->imm);
    goto trap;
illegal:
    h->pc = pc;
    riscv_trap_raise(h, RV_EXC_ILLEGAL, 0);
    goto trap;

#define LEN 4
#include "sysvm/riscv/handlers.h"
#undef LEN
#define LEN 2
#include "sysvm/riscv/handlers.h"
#undef LEN

out:
    h->pc = pc;
    h->instret += n;
    h->stats.instret = h->instret;
    return n;
}
