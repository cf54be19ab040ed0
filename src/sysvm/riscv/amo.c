/* The A extension: LR/SC and the AMOs. Harts of a machine run one at a time on one host thread, so an
 * AMO is a plain read-modify-write; an LR reservation ends at the end of the hart's time slice (hart_run
 * clears it), which is how a store by another hart breaks it. */
#include "sysvm/riscv/cpu.h"

#include <string.h>

static uint64_t amo_op(unsigned op, uint64_t a, uint64_t b, bool w)
{
    if (w) { a = (uint64_t)(int64_t)(int32_t)a; b = (uint64_t)(int64_t)(int32_t)b; }
    switch (op) {
    case RV_OP_AMOSWAP_W: case RV_OP_AMOSWAP_D: return b;
    case RV_OP_AMOADD_W: case RV_OP_AMOADD_D: return a + b;
    case RV_OP_AMOXOR_W: case RV_OP_AMOXOR_D: return a ^ b;
    case RV_OP_AMOAND_W: case RV_OP_AMOAND_D: return a & b;
    case RV_OP_AMOOR_W: case RV_OP_AMOOR_D: return a | b;
    case RV_OP_AMOMIN_W: case RV_OP_AMOMIN_D: return (int64_t)a < (int64_t)b ? a : b;
    case RV_OP_AMOMAX_W: case RV_OP_AMOMAX_D: return (int64_t)a > (int64_t)b ? a : b;
    case RV_OP_AMOMINU_W: case RV_OP_AMOMINU_D:
        if (w) return (uint32_t)a < (uint32_t)b ? a : b;
        return a < b ? a : b;
    default:
        if (w) return (uint32_t)a > (uint32_t)b ? a : b;
        return a > b ? a : b;
    }
}

bool riscv_amo_exec(Hart *h, const RvInsn *in)
{
    unsigned op = in->op;
    bool w = op >= RV_OP_LR_W && op <= RV_OP_AMOMAXU_W;
    unsigned size = w ? 4 : 8;
    uint64_t addr = h->x[in->rs1];
    if (op == RV_OP_LR_W || op == RV_OP_LR_D) {
        uint8_t *p = riscv_mmu_atomic_ptr(h, addr, size, RV_ACC_R);
        if (!p) return false;
        uint64_t v = 0;
        memcpy(&v, p, size);
        h->x[in->rd] = w ? (uint64_t)(int64_t)(int32_t)v : v;
        h->resv_valid = true;
        h->resv_addr = addr;
        return true;
    }
    if (op == RV_OP_SC_W || op == RV_OP_SC_D) {
        /* Address translation (and its faults) come first, as for any store. */
        uint8_t *p = riscv_mmu_atomic_ptr(h, addr, size, RV_ACC_W);
        if (!p) return false;
        bool ok = h->resv_valid && h->resv_addr == addr;
        h->resv_valid = false;
        if (ok) {
            uint64_t v = h->x[in->rs2];
            memcpy(p, &v, size);
        }
        h->x[in->rd] = ok ? 0 : 1;
        return true;
    }
    uint8_t *p = riscv_mmu_atomic_ptr(h, addr, size, RV_ACC_W);
    if (!p) return false;
    uint64_t old = 0;
    memcpy(&old, p, size);
    uint64_t b = h->x[in->rs2];
    uint64_t nv = amo_op(op, old, b, w);
    memcpy(p, &nv, size);
    h->x[in->rd] = w ? (uint64_t)(int64_t)(int32_t)old : old;
    return true;
}
