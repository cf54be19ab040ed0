/* Control and status registers: which exist, who may touch them, their WARL masks and views
 * (sstatus/sie/sip over mstatus/mie/mip), counters, and the Zicsr instructions. */
#include "sysvm/riscv/cpu.h"

#define MISA_VALUE ((2ull << 62) | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 5) | (1u << 8) | (1u << 12) | \
                    (1u << 18) | (1u << 20))   /* RV64 A C D F I M S U */
#define MSTATUS_WMASK (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | \
                       MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | \
                       MSTATUS_TSR)
#define SSTATUS_RMASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR | \
                       MSTATUS_UXL | MSTATUS_SD)
#define SSTATUS_WMASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR)
#define SIP_MASK (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIE_MASK (MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP)
#define MEDELEG_MASK 0xb3ffull   /* all but ecall-from-M and the reserved causes */

static uint64_t mstatus_read(const Hart *h)
{
    uint64_t s = h->mstatus | (2ull << 32) | (2ull << 34);   /* UXL = SXL = 64 */
    if ((s & MSTATUS_FS) == MSTATUS_FS) s |= MSTATUS_SD;
    return s;
}

static void mstatus_write(Hart *h, uint64_t v, uint64_t wmask)
{
    uint64_t old = h->mstatus;
    uint64_t s = (old & ~wmask) | (v & wmask);
    if (((s >> 11) & 3) == 2) s &= ~MSTATUS_MPP;          /* MPP is WARL: H-mode does not exist */
    h->mstatus = s;
    if ((old ^ s) & MSTATUS_MXR) riscv_mmu_flush(h);      /* cached read permissions depend on MXR */
    riscv_trap_update_mode(h);
}

/* Counter access from S/U: mcounteren (and scounteren for U) must grant it. */
static bool counter_ok(const Hart *h, unsigned csr)
{
    unsigned bitn = csr & 31;
    if (h->priv == HART_PRIV_M) return true;
    if (!((h->mcounteren >> bitn) & 1)) return false;
    if (h->priv == HART_PRIV_U && !((h->scounteren >> bitn) & 1)) return false;
    return true;
}

static uint64_t time_now(const Hart *h)
{
    return h->bus.get_time ? h->bus.get_time(h->bus.opaque) : h->stats.instret;
}

bool riscv_csr_read(Hart *h, unsigned csr, uint64_t *val)
{
    uint64_t v;
    switch (csr) {
    case 0x001: v = h->fflags; break;
    case 0x002: v = h->frm; break;
    case 0x003: v = (uint64_t)h->frm << 5 | h->fflags; break;
    case 0xc00: if (!counter_ok(h, csr)) return false; v = h->stats.instret + h->mcycle_off; break;
    case 0xc01: if (!counter_ok(h, csr)) return false; v = time_now(h); break;
    case 0xc02: if (!counter_ok(h, csr)) return false; v = h->stats.instret + h->minstret_off; break;
    case 0x100: v = mstatus_read(h) & SSTATUS_RMASK; break;
    case 0x104: v = h->mie & h->mideleg; break;
    case 0x105: v = h->stvec; break;
    case 0x106: v = h->scounteren; break;
    case 0x10a: v = h->senvcfg; break;
    case 0x140: v = h->sscratch; break;
    case 0x141: v = h->sepc; break;
    case 0x142: v = h->scause; break;
    case 0x143: v = h->stval; break;
    case 0x144: v = h->mip & h->mideleg; break;
    case 0x180:
        if (h->priv == HART_PRIV_S && (h->mstatus & MSTATUS_TVM)) return false;
        v = h->satp;
        break;
    case 0xf11: case 0xf12: case 0xf13: case 0xf15: v = 0; break;
    case 0xf14: v = h->hartid; break;
    case 0x300: v = mstatus_read(h); break;
    case 0x301: v = MISA_VALUE; break;
    case 0x302: v = h->medeleg; break;
    case 0x303: v = h->mideleg; break;
    case 0x304: v = h->mie; break;
    case 0x305: v = h->mtvec; break;
    case 0x306: v = h->mcounteren; break;
    case 0x30a: v = h->menvcfg; break;
    case 0x320: v = h->mcountinhibit; break;
    case 0x340: v = h->mscratch; break;
    case 0x341: v = h->mepc; break;
    case 0x342: v = h->mcause; break;
    case 0x343: v = h->mtval; break;
    case 0x344: v = h->mip; break;
    case 0xb00: v = h->stats.instret + h->mcycle_off; break;
    case 0xb02: v = h->stats.instret + h->minstret_off; break;
    default:
        if (csr >= 0xc03 && csr <= 0xc1f) { if (!counter_ok(h, csr)) return false; v = 0; break; }
        if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) { v = 0; break; }
        if (csr >= 0x7a0 && csr <= 0x7a3) { v = 0; break; }   /* tselect, tdata1-3: no triggers */
        if (csr >= 0x3a0 && csr <= 0x3af) {
            if (csr & 1) return false;                 /* RV64 has only the even pmpcfg registers */
            v = h->pmpcfg[csr - 0x3a0];
            break;
        }
        if (csr >= 0x3b0 && csr <= 0x3ef) { v = h->pmpaddr[csr - 0x3b0]; break; }
        return false;
    }
    *val = v;
    return true;
}

bool riscv_csr_write(Hart *h, unsigned csr, uint64_t v)
{
    switch (csr) {
    case 0x001: h->fflags = v & 31; h->mstatus |= MSTATUS_FS; break;
    case 0x002: h->frm = v & 7; h->mstatus |= MSTATUS_FS; break;
    case 0x003: h->fflags = v & 31; h->frm = (v >> 5) & 7; h->mstatus |= MSTATUS_FS; break;
    case 0x100: mstatus_write(h, v, SSTATUS_WMASK); break;
    case 0x104: h->mie = (h->mie & ~h->mideleg) | (v & h->mideleg & MIE_MASK); break;
    case 0x105: h->stvec = v & ~2ull; break;
    case 0x106: h->scounteren = v & 0xffffffffu; break;
    case 0x10a: h->senvcfg = v & 1; break;
    case 0x140: h->sscratch = v; break;
    case 0x141: h->sepc = v & ~1ull; break;
    case 0x142: h->scause = v; break;
    case 0x143: h->stval = v; break;
    case 0x144: h->mip = (h->mip & ~(h->mideleg & MIP_SSIP)) | (v & h->mideleg & MIP_SSIP); break;
    case 0x180: {
        if (h->priv == HART_PRIV_S && (h->mstatus & MSTATUS_TVM)) return false;
        uint64_t mode = v >> 60;
        if (mode != 0 && mode != 8 && mode != 9) break;   /* unsupported modes: the write is ignored */
        /* No ASIDs (ASIDLEN = 0): every satp write flushes the TLB anyway. */
        h->satp = (mode << 60) | (v & ((1ull << 44) - 1));
        riscv_mmu_flush(h);
        break;
    }
    case 0x300: mstatus_write(h, v, MSTATUS_WMASK); break;
    case 0x301: break;                                   /* misa: fixed */
    case 0x302: h->medeleg = v & MEDELEG_MASK; break;
    case 0x303: h->mideleg = v & SIP_MASK; break;
    case 0x304: h->mie = v & MIE_MASK; break;
    case 0x305: h->mtvec = v & ~2ull; break;
    case 0x306: h->mcounteren = v & 0xffffffffu; break;
    case 0x30a: h->menvcfg = v & 1; break;
    case 0x320: h->mcountinhibit = v & 0xfffffffdu; break;
    case 0x340: h->mscratch = v; break;
    case 0x341: h->mepc = v & ~1ull; break;
    case 0x342: h->mcause = v; break;
    case 0x343: h->mtval = v; break;
    case 0x344: h->mip = (h->mip & ~SIP_MASK) | (v & SIP_MASK); break;
    /* The writing instruction itself does not count: the next one reads the value written. */
    case 0xb00: h->mcycle_off = v - h->stats.instret - 1; break;
    case 0xb02: h->minstret_off = v - h->stats.instret - 1; break;
    default:
        if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) break;
        if (csr >= 0x7a0 && csr <= 0x7a3) break;
        if (csr >= 0x3a0 && csr <= 0x3af) {
            if (csr & 1) return false;
            h->pmpcfg[csr - 0x3a0] = v;
            break;
        }
        if (csr >= 0x3b0 && csr <= 0x3ef) { h->pmpaddr[csr - 0x3b0] = v & ((1ull << 54) - 1); break; }
        return false;
    }
    return true;
}

bool riscv_csr_exec(Hart *h, const RvInsn *in)
{
    unsigned csr = (unsigned)in->imm & 0xfff;
    unsigned f3 = ((unsigned)in->imm >> 12) & 7;    /* funct3: 1 rw, 2 rs, 3 rc, 5-7 immediate forms */
    bool imm = f3 >= 5;
    uint64_t src = imm ? in->rs1 : h->x[in->rs1];
    bool writes = (f3 & 3) == 1 || in->rs1 != 0;
    bool reads = (f3 & 3) != 1 || in->rd != RV_XSINK;
    uint64_t old = 0;

    if ((int)((csr >> 8) & 3) > h->priv) goto illegal;
    if (writes && (csr >> 10) == 3) goto illegal;         /* read-only */
    if (csr <= 3 && !(h->mstatus & MSTATUS_FS)) goto illegal;
    if (reads || csr == 0x180) {
        if (!riscv_csr_read(h, csr, &old)) goto illegal;
    }
    if (writes) {
        uint64_t v = src;
        if ((f3 & 3) == 2) v = old | src;
        else if ((f3 & 3) == 3) v = old & ~src;
        if (!riscv_csr_write(h, csr, v)) goto illegal;
    }
    h->x[in->rd] = old;
    return true;
illegal:
    riscv_trap_raise(h, RV_EXC_ILLEGAL, 0);
    return false;
}
