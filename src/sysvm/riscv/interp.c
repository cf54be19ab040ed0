/* The interpreter: runs pre-decoded instructions of the current page with computed-goto dispatch.
 * Loads and stores hit the TLB inline; everything rare (traps, CSRs, FP arithmetic, AMOs, TLB misses, MMIO)
 * is an out-of-line call. pc is kept in a local and ip points at the current page's slot for it. */
#include "sysvm/riscv/cpu.h"

#include <string.h>

static inline uint64_t sx32(uint64_t v) { return (uint64_t)(int64_t)(int32_t)(uint32_t)v; }

#if defined(__GNUC__) || defined(__clang__)
#define RV_COMPUTED_GOTO 1
#endif

/* The dispatch veneer: handlers are labels L_<handler>; DISPATCH jumps to the current slot's handler. */
#define RV_STEP_TAIL 64
#define OP(name) L_##name:
#ifdef RV_COMPUTED_GOTO
#define DISPATCH() goto *labels[ip->op]
#else
#define DISPATCH() goto dispatch_switch
#endif
#define NEXT() do { unsigned len_ = ip->len; n++; pc += len_; ip += len_ >> 1; DISPATCH(); } while (0)

/* Control transfer: stay on the decoded page when the target is on it, else look the target up. */
#define JUMP(target) do { \
        uint64_t t_ = (target); n++; \
        if (RV_LIKELY(((t_ ^ pc) >> 12) == 0 && n < near_end)) { \
            pc = t_; ip = &page->slot[(t_ & 4095) >> 1]; DISPATCH(); } \
        h->pc = t_; goto refetch; } while (0)
#define BRANCH(cond) do { if (cond) JUMP(pc + (int64_t)ip->imm); NEXT(); } while (0)

#define RS1 x[ip->rs1]
#define RS2 x[ip->rs2]
#define RD x[ip->rd]

/* The TLB compare includes the low address bits of a misaligned access, so those miss and go slow. */
#define TLB_HIT(e, a, size) ((e)->tag == ((a) & ~(uint64_t)(4095 & ~((size) - 1))))

#define LOAD(T, dst) do { \
        uint64_t a_ = RS1 + (uint64_t)(int64_t)ip->imm; \
        const RvTlbEntry *e_ = &h->tlb_r[(a_ >> 12) & (RV_TLB_SIZE - 1)]; T v_; \
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
        const RvTlbEntry *e_ = &h->tlb_w[(a_ >> 12) & (RV_TLB_SIZE - 1)]; T v_ = (T)(val); \
        if (RV_LIKELY(TLB_HIT(e_, a_, sizeof(T)))) { \
            /* SAFETY: as for loads; write entries never map pages holding decoded code. */ \
            memcpy((void *)(uintptr_t)(a_ + e_->addend), &v_, sizeof v_); \
        } else { \
            h->pc = pc; \
            if (!riscv_mmu_store_slow(h, a_, sizeof(T), (uint64_t)v_)) goto trap; \
            /* An MMIO store may have raised an interrupt line (a self-IPI, say): look at once. */ \
            if (RV_UNLIKELY(h->mip & h->mie)) { h->pc = pc + ip->len; n++; goto refetch; } } \
    } while (0)

#define FP_ENABLED() ((h->mstatus & MSTATUS_FS) != 0)

uint64_t riscv_interp_run(Hart *h, uint64_t max)
{
#ifdef RV_COMPUTED_GOTO
    static const void *const labels[256] = {
        [RV_OP_DECODE] = &&L_DECODE, [RV_OP_PAGE_END] = &&L_PAGE_END, [RV_OP_CROSS] = &&L_CROSS,
        [RV_OP_ILLEGAL] = &&L_ILLEGAL,
#define INSN(name, text, mask, match, fmt, handler) [RV_OP_##name] = &&L_##handler,
#include "sysvm/riscv/insns.def"
#undef INSN
    };
#endif
    uint64_t *const x = h->x;
    uint64_t n = 0, pc = h->pc;
    /* Straight-line code is not counted against max until it branches or leaves the page, so a slice may
     * overrun by up to one page of instructions. The last RV_STEP_TAIL instructions of a slice are stepped
     * one at a time instead, so small max values (single-stepping) are exact. */
    const uint64_t near_end = max > RV_STEP_TAIL ? max - RV_STEP_TAIL : 0;
    RvCodePage *page = NULL;
    const RvInsn *ip = NULL;

refetch:
    /* h->pc is the next instruction. Interrupts are taken only here: every event that can make one
     * pending and enabled (CSR writes, xRET, the machine between slices) comes through here. */
    if (RV_UNLIKELY(h->mip & h->mie)) riscv_trap_interrupt(h);
    pc = h->pc;
    if (RV_UNLIKELY(n >= max)) goto out;
    {
        const RvTlbEntry *e = &h->tlb_x[(pc >> 12) & (RV_TLB_SIZE - 1)];
        if (RV_LIKELY(e->tag == (pc & ~4095ull) && e->code)) {
            page = e->code;
        } else {
            page = riscv_codecache_fetch(h, pc);
            if (!page) goto trap;
        }
    }
    ip = &page->slot[(pc & 4095) >> 1];
    if (RV_UNLIKELY(n >= near_end)) {
        /* Step: run a copy of the slot followed by PAGE_END sentinels, which come back here. */
        if (ip->op == RV_OP_DECODE) riscv_codecache_decode(h, page, (unsigned)(ip - page->slot));
        h->xslot[0] = *ip;
        ip = h->xslot;
    }
    DISPATCH();

#ifndef RV_COMPUTED_GOTO
dispatch_switch:
    switch (ip->op) {
    case RV_OP_DECODE: goto L_DECODE;
    case RV_OP_PAGE_END: goto L_PAGE_END;
    case RV_OP_CROSS: goto L_CROSS;
#define INSN(name, text, mask, match, fmt, handler) case RV_OP_##name: goto L_##handler;
#include "sysvm/riscv/insns.def"
#undef INSN
    default: goto L_ILLEGAL;
    }
#endif

trap:
    /* A trap was raised and h->pc is its handler. It counts as a step so a trap loop still ends the slice. */
    n++;
    goto refetch;

OP(DECODE)
    riscv_codecache_decode(h, page, (unsigned)(ip - page->slot));
    DISPATCH();
OP(PAGE_END)
    h->pc = pc;
    goto refetch;
OP(CROSS) {
        uint16_t lo, hi;
        h->pc = pc;
        if (!riscv_mmu_fetch16(h, pc, &lo) || !riscv_mmu_fetch16(h, pc + 2, &hi)) goto trap;
        riscv_decode((uint32_t)lo | (uint32_t)hi << 16, &h->xslot[0]);
        ip = h->xslot;
        DISPATCH();
    }
OP(ILLEGAL)
    h->pc = pc;
    riscv_trap_raise(h, RV_EXC_ILLEGAL, (uint32_t)ip->imm);
    goto trap;
illegal:
    h->pc = pc;
    riscv_trap_raise(h, RV_EXC_ILLEGAL, 0);
    goto trap;

OP(LUI)   RD = (uint64_t)(int64_t)ip->imm; NEXT();
OP(AUIPC) RD = pc + (uint64_t)(int64_t)ip->imm; NEXT();
OP(JAL)   { uint64_t link = pc + ip->len; RD = link; JUMP(pc + (uint64_t)(int64_t)ip->imm); }
OP(JALR)  { uint64_t t = (RS1 + (uint64_t)(int64_t)ip->imm) & ~1ull; RD = pc + ip->len; JUMP(t); }
OP(BEQ)   BRANCH(RS1 == RS2);
OP(BNE)   BRANCH(RS1 != RS2);
OP(BLT)   BRANCH((int64_t)RS1 < (int64_t)RS2);
OP(BGE)   BRANCH((int64_t)RS1 >= (int64_t)RS2);
OP(BLTU)  BRANCH(RS1 < RS2);
OP(BGEU)  BRANCH(RS1 >= RS2);

OP(LB)  LOAD(int8_t, RD); NEXT();
OP(LH)  LOAD(int16_t, RD); NEXT();
OP(LW)  LOAD(int32_t, RD); NEXT();
OP(LD)  LOAD(uint64_t, RD); NEXT();
OP(LBU) LOAD(uint8_t, RD); NEXT();
OP(LHU) LOAD(uint16_t, RD); NEXT();
OP(LWU) LOAD(uint32_t, RD); NEXT();
OP(SB)  STORE(uint8_t, RS2); NEXT();
OP(SH)  STORE(uint16_t, RS2); NEXT();
OP(SW)  STORE(uint32_t, RS2); NEXT();
OP(SD)  STORE(uint64_t, RS2); NEXT();

OP(ADDI)  RD = RS1 + (uint64_t)(int64_t)ip->imm; NEXT();
OP(SLTI)  RD = (int64_t)RS1 < (int64_t)ip->imm; NEXT();
OP(SLTIU) RD = RS1 < (uint64_t)(int64_t)ip->imm; NEXT();
OP(XORI)  RD = RS1 ^ (uint64_t)(int64_t)ip->imm; NEXT();
OP(ORI)   RD = RS1 | (uint64_t)(int64_t)ip->imm; NEXT();
OP(ANDI)  RD = RS1 & (uint64_t)(int64_t)ip->imm; NEXT();
OP(SLLI)  RD = RS1 << ip->imm; NEXT();
OP(SRLI)  RD = RS1 >> ip->imm; NEXT();
OP(SRAI)  RD = (uint64_t)((int64_t)RS1 >> ip->imm); NEXT();
OP(ADD)   RD = RS1 + RS2; NEXT();
OP(SUB)   RD = RS1 - RS2; NEXT();
OP(SLL)   RD = RS1 << (RS2 & 63); NEXT();
OP(SLT)   RD = (int64_t)RS1 < (int64_t)RS2; NEXT();
OP(SLTU)  RD = RS1 < RS2; NEXT();
OP(XOR)   RD = RS1 ^ RS2; NEXT();
OP(SRL)   RD = RS1 >> (RS2 & 63); NEXT();
OP(SRA)   RD = (uint64_t)((int64_t)RS1 >> (RS2 & 63)); NEXT();
OP(OR)    RD = RS1 | RS2; NEXT();
OP(AND)   RD = RS1 & RS2; NEXT();
OP(ADDIW) RD = sx32(RS1 + (uint64_t)(int64_t)ip->imm); NEXT();
OP(SLLIW) RD = sx32((uint32_t)RS1 << ip->imm); NEXT();
OP(SRLIW) RD = sx32((uint32_t)RS1 >> ip->imm); NEXT();
OP(SRAIW) RD = (uint64_t)(int64_t)((int32_t)(uint32_t)RS1 >> ip->imm); NEXT();
OP(ADDW)  RD = sx32(RS1 + RS2); NEXT();
OP(SUBW)  RD = sx32(RS1 - RS2); NEXT();
OP(SLLW)  RD = sx32((uint32_t)RS1 << (RS2 & 31)); NEXT();
OP(SRLW)  RD = sx32((uint32_t)RS1 >> (RS2 & 31)); NEXT();
OP(SRAW)  RD = (uint64_t)(int64_t)((int32_t)(uint32_t)RS1 >> (RS2 & 31)); NEXT();

OP(MUL)    RD = RS1 * RS2; NEXT();
OP(MULH)   RD = (uint64_t)(((__int128)(int64_t)RS1 * (__int128)(int64_t)RS2) >> 64); NEXT();
OP(MULHSU) RD = (uint64_t)(((__int128)(int64_t)RS1 * (__int128)(unsigned __int128)RS2) >> 64); NEXT();
OP(MULHU)  RD = (uint64_t)(((unsigned __int128)RS1 * RS2) >> 64); NEXT();
OP(DIV) {
        int64_t a = (int64_t)RS1, b = (int64_t)RS2;
        RD = b == 0 ? ~0ull : (a == INT64_MIN && b == -1) ? (uint64_t)a : (uint64_t)(a / b);
        NEXT();
    }
OP(DIVU) { uint64_t a = RS1, b = RS2; RD = b == 0 ? ~0ull : a / b; NEXT(); }
OP(REM) {
        int64_t a = (int64_t)RS1, b = (int64_t)RS2;
        RD = b == 0 ? (uint64_t)a : (a == INT64_MIN && b == -1) ? 0 : (uint64_t)(a % b);
        NEXT();
    }
OP(REMU) { uint64_t a = RS1, b = RS2; RD = b == 0 ? a : a % b; NEXT(); }
OP(MULW) RD = sx32(RS1 * RS2); NEXT();
OP(DIVW) {
        int32_t a = (int32_t)RS1, b = (int32_t)RS2;
        RD = b == 0 ? ~0ull : (a == INT32_MIN && b == -1) ? (uint64_t)(int64_t)a : (uint64_t)(int64_t)(a / b);
        NEXT();
    }
OP(DIVUW) { uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2; RD = b == 0 ? ~0ull : sx32(a / b); NEXT(); }
OP(REMW) {
        int32_t a = (int32_t)RS1, b = (int32_t)RS2;
        RD = b == 0 ? (uint64_t)(int64_t)a : (a == INT32_MIN && b == -1) ? 0 : (uint64_t)(int64_t)(a % b);
        NEXT();
    }
OP(REMUW) { uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2; RD = sx32(b == 0 ? a : a % b); NEXT(); }

OP(FENCE) NEXT();
OP(FENCE_I)
    /* Stores to decoded pages already invalidated them, so only the refetch is left to do. */
    h->pc = pc + ip->len; n++;
    goto refetch;
OP(ECALL)
    h->pc = pc;
    if (h->priv == HART_PRIV_S && h->bus.sbi_ecall) {
        h->stats.instret = h->instret + n;
        if (h->bus.sbi_ecall(h->bus.opaque, h)) {
            h->stats.sbi_calls++;
            h->pc += 4; n++;
            if (h->stopped) { pc = h->pc; goto out; }
            goto refetch;
        }
    }
    riscv_trap_raise(h, h->priv == HART_PRIV_U ? RV_EXC_ECALL_U :
                        h->priv == HART_PRIV_S ? RV_EXC_ECALL_S : RV_EXC_ECALL_M, 0);
    goto trap;
OP(EBREAK)
    h->pc = pc;
    riscv_trap_raise(h, RV_EXC_BREAKPOINT, pc);
    goto trap;
OP(SRET)
    if (h->priv < HART_PRIV_S || (h->priv == HART_PRIV_S && (h->mstatus & MSTATUS_TSR))) goto illegal;
    riscv_trap_sret(h); n++;
    goto refetch;
OP(MRET)
    if (h->priv != HART_PRIV_M) goto illegal;
    riscv_trap_mret(h); n++;
    goto refetch;
OP(WFI)
    if (h->priv == HART_PRIV_U || (h->priv == HART_PRIV_S && (h->mstatus & MSTATUS_TW))) goto illegal;
    h->pc = pc + 4; n++;
    if (!(h->mip & h->mie)) { h->idle = true; pc = h->pc; goto out; }
    goto refetch;
OP(SFENCE_VMA)
    if (h->priv == HART_PRIV_U || (h->priv == HART_PRIV_S && (h->mstatus & MSTATUS_TVM))) goto illegal;
    if (ip->rs1) riscv_mmu_flush_page(h, x[ip->rs1]); else riscv_mmu_flush(h);
    h->pc = pc + 4; n++;
    goto refetch;
OP(CSR)
    h->pc = pc;
    h->stats.instret = h->instret + n;       /* instret/cycle reads see the count so far */
    if (!riscv_csr_exec(h, ip)) goto trap;
    h->pc = pc + ip->len; n++;
    goto refetch;

OP(AMO)
    h->pc = pc;
    if (!riscv_amo_exec(h, ip)) goto trap;
    NEXT();
OP(FPU)
    h->pc = pc;
    if (!riscv_fpu_exec(h, ip)) goto trap;
    NEXT();
OP(FLW) {
        if (!FP_ENABLED()) goto illegal;
        uint32_t v; LOAD(uint32_t, v);
        h->f[ip->rd] = 0xffffffff00000000ull | v; h->mstatus |= MSTATUS_FS;
        NEXT();
    }
OP(FLD) {
        if (!FP_ENABLED()) goto illegal;
        uint64_t v; LOAD(uint64_t, v);
        h->f[ip->rd] = v; h->mstatus |= MSTATUS_FS;
        NEXT();
    }
OP(FSW) if (!FP_ENABLED()) goto illegal; STORE(uint32_t, h->f[ip->rs2]); NEXT();
OP(FSD) if (!FP_ENABLED()) goto illegal; STORE(uint64_t, h->f[ip->rs2]); NEXT();

out:
    h->pc = pc;
    h->instret += n;
    h->stats.instret = h->instret;
    return n;
}
