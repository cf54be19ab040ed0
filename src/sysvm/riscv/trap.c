/* Traps and interrupts: taking an exception or interrupt into M- or S-mode (medeleg/mideleg, direct or
 * vectored xtvec), MRET/SRET, and choosing the TLB contexts that follow from the privilege and mstatus. */
#include "sysvm/riscv/cpu.h"

static int ctx_of(const Hart *h, int priv)
{
    if (priv == HART_PRIV_M) return RV_CTX_M;
    if (priv == HART_PRIV_U) return RV_CTX_U;
    return (h->mstatus & MSTATUS_SUM) ? RV_CTX_S_SUM : RV_CTX_S;
}

void riscv_trap_update_mode(Hart *h)
{
    int dpriv = h->priv;
    if (h->priv == HART_PRIV_M && (h->mstatus & MSTATUS_MPRV)) dpriv = (int)((h->mstatus >> 11) & 3);
    h->tlb_x = h->tlb[ctx_of(h, h->priv)][RV_ACC_X];
    h->tlb_r = h->tlb[ctx_of(h, dpriv)][RV_ACC_R];
    h->tlb_w = h->tlb[ctx_of(h, dpriv)][RV_ACC_W];
}

static void take(Hart *h, uint64_t cause, uint64_t tval, bool irq)
{
    uint64_t deleg = irq ? h->mideleg : h->medeleg;
    uint64_t mcause = cause | (irq ? 1ull << 63 : 0);
    if (h->priv <= HART_PRIV_S && ((deleg >> cause) & 1)) {
        h->scause = mcause;
        h->sepc = h->pc;
        h->stval = tval;
        uint64_t s = h->mstatus & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);
        if (h->mstatus & MSTATUS_SIE) s |= MSTATUS_SPIE;
        if (h->priv == HART_PRIV_S) s |= MSTATUS_SPP;
        h->mstatus = s;
        h->priv = HART_PRIV_S;
        h->pc = (h->stvec & ~3ull) + ((irq && (h->stvec & 1)) ? 4 * cause : 0);
    } else {
        h->mcause = mcause;
        h->mepc = h->pc;
        h->mtval = tval;
        uint64_t s = h->mstatus & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);
        if (h->mstatus & MSTATUS_MIE) s |= MSTATUS_MPIE;
        s |= (uint64_t)h->priv << 11;
        h->mstatus = s;
        h->priv = HART_PRIV_M;
        h->pc = (h->mtvec & ~3ull) + ((irq && (h->mtvec & 1)) ? 4 * cause : 0);
    }
    riscv_trap_update_mode(h);
}

void riscv_trap_raise(Hart *h, uint64_t cause, uint64_t tval)
{
    h->stats.exc[cause & 15]++;
    take(h, cause, tval, false);
}

bool riscv_trap_interrupt(Hart *h)
{
    uint64_t pend = h->mip & h->mie;
    if (!pend) return false;
    uint64_t m = pend & ~h->mideleg, s = pend & h->mideleg;
    bool m_on = h->priv < HART_PRIV_M || (h->mstatus & MSTATUS_MIE);
    bool s_on = h->priv < HART_PRIV_S || (h->priv == HART_PRIV_S && (h->mstatus & MSTATUS_SIE));
    uint64_t pick = (m_on && m) ? m : (s_on && s) ? s : 0;
    if (!pick) return false;
    /* Priority order of the privileged spec: MEI, MSI, MTI, SEI, SSI, STI. */
    static const uint8_t order[6] = { 11, 3, 7, 9, 1, 5 };
    for (int i = 0; i < 6; i++) {
        if (pick & (1ull << order[i])) {
            h->stats.irq[order[i]]++;
            h->idle = false;
            take(h, order[i], 0, true);
            return true;
        }
    }
    return false;
}

void riscv_trap_mret(Hart *h)
{
    int mpp = (int)((h->mstatus >> 11) & 3);
    uint64_t s = h->mstatus & ~(MSTATUS_MIE | MSTATUS_MPP);
    if (h->mstatus & MSTATUS_MPIE) s |= MSTATUS_MIE;
    s |= MSTATUS_MPIE;
    if (mpp != HART_PRIV_M) s &= ~MSTATUS_MPRV;
    h->mstatus = s;
    h->priv = mpp;
    h->pc = h->mepc;
    riscv_trap_update_mode(h);
}

void riscv_trap_sret(Hart *h)
{
    int spp = (h->mstatus & MSTATUS_SPP) ? HART_PRIV_S : HART_PRIV_U;
    uint64_t s = h->mstatus & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
    if (h->mstatus & MSTATUS_SPIE) s |= MSTATUS_SIE;
    s |= MSTATUS_SPIE;
    h->mstatus = s;
    h->priv = spp;
    h->pc = h->sepc;
    riscv_trap_update_mode(h);
}
