/* Instruction decoding, driven by insns.def: a 32-bit word becomes an RvInsn (opcode, registers, immediate);
 * a 16-bit RVC word is first expanded to the 32-bit instruction it stands for. */
#include "sysvm/riscv/cpu.h"

typedef struct RvInsnDesc {
    const char *name;
    uint32_t mask, match;
    uint8_t fmt;
} RvInsnDesc;

static const RvInsnDesc rv_insns[] = {
#define INSN(name, text, mask, match, fmt, handler) { text, mask, match, RV_FMT_##fmt },
#include "sysvm/riscv/insns.def"
#undef INSN
};

#define RV_FIRST_TABLE_OP (RV_OP_ILLEGAL + 1)

const char *riscv_decode_name(unsigned op)
{
    static const char *const internal[] = { "<decode>", "<page-end>", "<cross>", "<illegal>" };
    if (op < RV_FIRST_TABLE_OP) return internal[op];
    if (op >= RV_OP_COUNT) return "?";
    return rv_insns[op - RV_FIRST_TABLE_OP].name;
}

int riscv_decode_format(unsigned op)
{
    if (op < RV_FIRST_TABLE_OP || op >= RV_OP_COUNT) return RV_FMT_NONE;
    return rv_insns[op - RV_FIRST_TABLE_OP].fmt;
}

/* ---- RVC expansion ------------------------------------------------------------------------------------ */

static uint32_t bit(uint32_t v, int hi, int lo) { return (v >> lo) & ((1u << (hi - lo + 1)) - 1); }

static uint32_t enc_i(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned opc)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
static uint32_t enc_s(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned opc)
{
    uint32_t u = (uint32_t)imm;
    return bit(u, 11, 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | bit(u, 4, 0) << 7 | opc;
}
static uint32_t enc_b(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3)
{
    uint32_t u = (uint32_t)imm;
    return bit(u, 12, 12) << 31 | bit(u, 10, 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | bit(u, 4, 1) << 8 |
           bit(u, 11, 11) << 7 | 0x63;
}
static uint32_t enc_j(int32_t imm, unsigned rd)
{
    uint32_t u = (uint32_t)imm;
    return bit(u, 20, 20) << 31 | bit(u, 10, 1) << 21 | bit(u, 11, 11) << 20 | bit(u, 19, 12) << 12 | rd << 7 |
           0x6f;
}
static uint32_t enc_r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd, unsigned opc)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
static int32_t sext(uint32_t v, int bits) { return (int32_t)(v << (32 - bits)) >> (32 - bits); }

uint32_t riscv_decode_expand_c(uint16_t c)
{
    unsigned f3 = bit(c, 15, 13);
    unsigned rd = bit(c, 11, 7), rs2 = bit(c, 6, 2);
    unsigned rdp = bit(c, 4, 2) + 8, rs1p = bit(c, 9, 7) + 8;
    int32_t imm6 = sext(bit(c, 12, 12) << 5 | bit(c, 6, 2), 6);
    switch (c & 3) {
    case 0:
        switch (f3) {
        case 0: { /* c.addi4spn */
            uint32_t u = bit(c, 12, 11) << 4 | bit(c, 10, 7) << 6 | bit(c, 6, 6) << 2 | bit(c, 5, 5) << 3;
            return u ? enc_i((int32_t)u, 2, 0, rdp, 0x13) : 0;
        }
        case 1: return enc_i((int32_t)(bit(c, 12, 10) << 3 | bit(c, 6, 5) << 6), rs1p, 3, rdp, 0x07); /* c.fld */
        case 2: return enc_i((int32_t)(bit(c, 12, 10) << 3 | bit(c, 6, 6) << 2 | bit(c, 5, 5) << 6), rs1p, 2, rdp,
                             0x03);                                                               /* c.lw */
        case 3: return enc_i((int32_t)(bit(c, 12, 10) << 3 | bit(c, 6, 5) << 6), rs1p, 3, rdp, 0x03); /* c.ld */
        case 5: return enc_s((int32_t)(bit(c, 12, 10) << 3 | bit(c, 6, 5) << 6), rdp, rs1p, 3, 0x27); /* c.fsd */
        case 6: return enc_s((int32_t)(bit(c, 12, 10) << 3 | bit(c, 6, 6) << 2 | bit(c, 5, 5) << 6), rdp, rs1p, 2,
                             0x23);                                                               /* c.sw */
        case 7: return enc_s((int32_t)(bit(c, 12, 10) << 3 | bit(c, 6, 5) << 6), rdp, rs1p, 3, 0x23); /* c.sd */
        default: return 0;
        }
    case 1:
        switch (f3) {
        case 0: return enc_i(imm6, rd, 0, rd, 0x13);                  /* c.addi, c.nop */
        case 1: return rd ? enc_i(imm6, rd, 0, rd, 0x1b) : 0;         /* c.addiw */
        case 2: return enc_i(imm6, 0, 0, rd, 0x13);                   /* c.li */
        case 3:
            if (rd == 2) { /* c.addi16sp */
                int32_t v = sext(bit(c, 12, 12) << 9 | bit(c, 6, 6) << 4 | bit(c, 5, 5) << 6 | bit(c, 4, 3) << 7 |
                                 bit(c, 2, 2) << 5, 10);
                return v ? enc_i(v, 2, 0, 2, 0x13) : 0;
            }
            if (imm6 == 0) return 0; /* c.lui with zero immediate is reserved */
            return ((uint32_t)imm6 << 12) | rd << 7 | 0x37;       /* c.lui */
        case 4: {
            unsigned sh = bit(c, 12, 12) << 5 | bit(c, 6, 2);
            switch (bit(c, 11, 10)) {
            case 0: return enc_i((int32_t)sh, rs1p, 5, rs1p, 0x13);               /* c.srli */
            case 1: return enc_i((int32_t)(sh | 0x400), rs1p, 5, rs1p, 0x13);     /* c.srai */
            case 2: return enc_i(imm6, rs1p, 7, rs1p, 0x13);                      /* c.andi */
            default: {
                static const uint8_t f3s[4] = { 0, 4, 6, 7 };
                unsigned k = bit(c, 6, 5);
                if (!bit(c, 12, 12))
                    return enc_r(k == 0 ? 0x20 : 0, rdp, rs1p, f3s[k], rs1p, 0x33); /* sub xor or and */
                if (k == 0) return enc_r(0x20, rdp, rs1p, 0, rs1p, 0x3b);         /* c.subw */
                if (k == 1) return enc_r(0, rdp, rs1p, 0, rs1p, 0x3b);            /* c.addw */
                return 0;
            }
            }
        }
        case 5: { /* c.j */
            int32_t v = sext(bit(c, 12, 12) << 11 | bit(c, 11, 11) << 4 | bit(c, 10, 9) << 8 | bit(c, 8, 8) << 10 |
                             bit(c, 7, 7) << 6 | bit(c, 6, 6) << 7 | bit(c, 5, 3) << 1 | bit(c, 2, 2) << 5, 12);
            return enc_j(v, 0);
        }
        default: { /* c.beqz, c.bnez */
            int32_t v = sext(bit(c, 12, 12) << 8 | bit(c, 11, 10) << 3 | bit(c, 6, 5) << 6 | bit(c, 4, 3) << 1 |
                             bit(c, 2, 2) << 5, 9);
            return enc_b(v, 0, rs1p, f3 == 6 ? 0 : 1);
        }
        }
    case 2:
        switch (f3) {
        case 0: return enc_i((int32_t)(bit(c, 12, 12) << 5 | rs2), rd, 1, rd, 0x13);   /* c.slli */
        case 1: return enc_i((int32_t)(bit(c, 12, 12) << 5 | bit(c, 6, 5) << 3 | bit(c, 4, 2) << 6), 2, 3, rd,
                             0x07);                                                       /* c.fldsp */
        case 2: return rd ? enc_i((int32_t)(bit(c, 12, 12) << 5 | bit(c, 6, 4) << 2 | bit(c, 3, 2) << 6), 2, 2,
                                  rd, 0x03) : 0;                                          /* c.lwsp */
        case 3: return rd ? enc_i((int32_t)(bit(c, 12, 12) << 5 | bit(c, 6, 5) << 3 | bit(c, 4, 2) << 6), 2, 3,
                                  rd, 0x03) : 0;                                          /* c.ldsp */
        case 4:
            if (!bit(c, 12, 12)) {
                if (rs2 == 0) return rd ? enc_i(0, rd, 0, 0, 0x67) : 0;                  /* c.jr */
                return enc_r(0, rs2, 0, 0, rd, 0x33);                                     /* c.mv */
            }
            if (rs2 == 0) return rd ? enc_i(0, rd, 0, 1, 0x67) : 0x00100073;            /* c.jalr, c.ebreak */
            return enc_r(0, rs2, rd, 0, rd, 0x33);                                        /* c.add */
        case 5: return enc_s((int32_t)(bit(c, 12, 10) << 3 | bit(c, 9, 7) << 6), rs2, 2, 3, 0x27);  /* c.fsdsp */
        case 6: return enc_s((int32_t)(bit(c, 12, 9) << 2 | bit(c, 8, 7) << 6), rs2, 2, 2, 0x23);   /* c.swsp */
        default: return enc_s((int32_t)(bit(c, 12, 10) << 3 | bit(c, 9, 7) << 6), rs2, 2, 3, 0x23); /* c.sdsp */
        }
    default:
        return 0;
    }
}

/* ---- 32-bit decoding ---------------------------------------------------------------------------------- */

static uint8_t xreg(uint32_t r) { return r ? (uint8_t)r : RV_XSINK; }

int riscv_decode(uint32_t word, RvInsn *out)
{
    RvInsn in = { 0 };
    int len = 4;
    if ((word & 3) != 3) {
        len = 2;
        word = riscv_decode_expand_c((uint16_t)word);
    }
    unsigned op = RV_OP_ILLEGAL;
    if (word != 0) {
        for (unsigned i = 0; i < sizeof rv_insns / sizeof rv_insns[0]; i++) {
            if ((word & rv_insns[i].mask) == rv_insns[i].match) {
                op = RV_FIRST_TABLE_OP + i;
                break;
            }
        }
    }
    in.op = (uint8_t)op;
    if (op == RV_OP_ILLEGAL) {
        in.imm = (int32_t)word;
        *out = in;
        return len;
    }
    uint32_t rd = bit(word, 11, 7), rs1 = bit(word, 19, 15), rs2 = bit(word, 24, 20);
    int32_t imm_i = (int32_t)word >> 20;
    int32_t imm_s = ((int32_t)word >> 25) * 32 + (int32_t)bit(word, 11, 7);
    in.rs1 = (uint8_t)rs1;
    in.rs2 = (uint8_t)rs2;
    uint32_t rm = bit(word, 14, 12);
    in.rd = RV_XSINK;
    switch (rv_insns[op - RV_FIRST_TABLE_OP].fmt) {
    case RV_FMT_R: case RV_FMT_LR: case RV_FMT_AMO:
        in.rd = xreg(rd);
        break;
    case RV_FMT_FCMP: case RV_FMT_FX:
        in.rd = xreg(rd);
        in.imm = (int32_t)rm;
        break;
    case RV_FMT_I: case RV_FMT_LD: case RV_FMT_JR:
        in.rd = xreg(rd);
        in.imm = imm_i;
        break;
    case RV_FMT_SH6: in.rd = xreg(rd); in.imm = (int32_t)bit(word, 25, 20); break;
    case RV_FMT_SH5: in.rd = xreg(rd); in.imm = (int32_t)bit(word, 24, 20); break;
    case RV_FMT_ST: case RV_FMT_FST: in.imm = imm_s; break;
    case RV_FMT_B:
        in.imm = sext(bit(word, 31, 31) << 12 | bit(word, 7, 7) << 11 | bit(word, 30, 25) << 5 |
                      bit(word, 11, 8) << 1, 13);
        break;
    case RV_FMT_U: in.rd = xreg(rd); in.imm = (int32_t)(word & 0xfffff000u); break;
    case RV_FMT_J:
        in.rd = xreg(rd);
        in.imm = sext(bit(word, 31, 31) << 20 | bit(word, 19, 12) << 12 | bit(word, 20, 20) << 11 |
                      bit(word, 30, 21) << 1, 21);
        break;
    case RV_FMT_CSR: case RV_FMT_CSRI:
        in.rd = xreg(rd);
        in.imm = (int32_t)(bit(word, 31, 20) | rm << 12);
        break;
    case RV_FMT_FLD: in.rd = (uint8_t)rd; in.imm = imm_i; break;
    case RV_FMT_FR: case RV_FMT_FR1: case RV_FMT_XF: in.rd = (uint8_t)rd; in.imm = (int32_t)rm; break;
    case RV_FMT_FR4: in.rd = (uint8_t)rd; in.imm = (int32_t)(rm | bit(word, 31, 27) << 3); break;
    default: break; /* NONE, SFV */
    }
    *out = in;
    return len;
}
