/* The disassembler: prints one instruction from the decoded form, so it reads the same table as the
 * decoder and the interpreter. Compressed instructions print as the instruction they expand to. */
#include "sysvm/riscv/cpu.h"

#include <stdio.h>

static const char *const xname[33] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6", "zero",
};
static const char *const fname[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4",
    "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9",
    "ft10", "ft11",
};

int riscv_disasm(uint32_t insn, uint64_t pc, char *buf, size_t n)
{
    RvInsn d;
    int len = riscv_decode((insn & 3) == 3 ? insn : (insn & 0xffff), &d);
    if (n == 0) return len;
    const char *nm = riscv_decode_name(d.op);
    const char *c = len == 2 ? "c." : "";
    const char *rd = xname[d.rd], *rs1 = xname[d.rs1 & 31], *rs2 = xname[d.rs2 & 31];
    if (d.op == RV_OP_ILLEGAL) {
        snprintf(buf, n, "%s0x%0*x  (illegal)", c, len * 2, len == 4 ? insn : (insn & 0xffff));
        return len;
    }
    switch (riscv_decode_format(d.op)) {
    case RV_FMT_R: snprintf(buf, n, "%s%s %s, %s, %s", c, nm, rd, rs1, rs2); break;
    case RV_FMT_AMO: snprintf(buf, n, "%s %s, %s, (%s)", nm, rd, rs2, rs1); break;
    case RV_FMT_I: snprintf(buf, n, "%s%s %s, %s, %d", c, nm, rd, rs1, d.imm); break;
    case RV_FMT_SH6: case RV_FMT_SH5: snprintf(buf, n, "%s%s %s, %s, 0x%x", c, nm, rd, rs1, (unsigned)d.imm); break;
    case RV_FMT_LD: case RV_FMT_JR: snprintf(buf, n, "%s%s %s, %d(%s)", c, nm, rd, d.imm, rs1); break;
    case RV_FMT_ST: snprintf(buf, n, "%s%s %s, %d(%s)", c, nm, rs2, d.imm, rs1); break;
    case RV_FMT_B:
        snprintf(buf, n, "%s%s %s, %s, 0x%llx", c, nm, rs1, rs2, (unsigned long long)(pc + (int64_t)d.imm));
        break;
    case RV_FMT_U: snprintf(buf, n, "%s%s %s, 0x%x", c, nm, rd, (uint32_t)d.imm >> 12); break;
    case RV_FMT_J: snprintf(buf, n, "%s%s %s, 0x%llx", c, nm, rd, (unsigned long long)(pc + (int64_t)d.imm)); break;
    case RV_FMT_CSR: snprintf(buf, n, "%s %s, 0x%x, %s", nm, rd, (unsigned)d.imm & 0xfff, rs1); break;
    case RV_FMT_CSRI: snprintf(buf, n, "%s %s, 0x%x, %u", nm, rd, (unsigned)d.imm & 0xfff, d.rs1); break;
    case RV_FMT_LR: snprintf(buf, n, "%s %s, (%s)", nm, rd, rs1); break;
    case RV_FMT_SFV: snprintf(buf, n, "%s %s, %s", nm, rs1, rs2); break;
    case RV_FMT_FLD: snprintf(buf, n, "%s%s %s, %d(%s)", c, nm, fname[d.rd], d.imm, rs1); break;
    case RV_FMT_FST: snprintf(buf, n, "%s%s %s, %d(%s)", c, nm, fname[d.rs2], d.imm, rs1); break;
    case RV_FMT_FR: snprintf(buf, n, "%s %s, %s, %s", nm, fname[d.rd], fname[d.rs1], fname[d.rs2]); break;
    case RV_FMT_FR1: snprintf(buf, n, "%s %s, %s", nm, fname[d.rd], fname[d.rs1]); break;
    case RV_FMT_FR4:
        snprintf(buf, n, "%s %s, %s, %s, %s", nm, fname[d.rd], fname[d.rs1], fname[d.rs2], fname[RV_FP_RS3(&d)]);
        break;
    case RV_FMT_FX: snprintf(buf, n, "%s %s, %s", nm, rd, fname[d.rs1]); break;
    case RV_FMT_XF: snprintf(buf, n, "%s %s, %s", nm, fname[d.rd], rs1); break;
    case RV_FMT_FCMP: snprintf(buf, n, "%s %s, %s, %s", nm, rd, fname[d.rs1], fname[d.rs2]); break;
    default: snprintf(buf, n, "%s%s", c, nm); break;
    }
    return len;
}
