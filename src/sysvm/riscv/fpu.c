/* The F and D extensions' arithmetic: IEEE-754 single and double on the host's FPU, with the host rounding
 * mode set from frm or the instruction's rm and the host exception flags copied into fflags. RISC-V's own
 * rules are applied by hand: NaN boxing, canonical NaNs, fmin/fmax (spec 2.2), compare and fcvt saturation.
 * Built with -frounding-math; volatile operands keep each operation between setting the mode and reading
 * the flags. */
#include "sysvm/riscv/cpu.h"

#include <fenv.h>
#include <math.h>
#include <string.h>

#define FF_NX 1u
#define FF_UF 2u
#define FF_OF 4u
#define FF_DZ 8u
#define FF_NV 16u

#define CANON_S 0x7fc00000u
#define CANON_D 0x7ff8000000000000ull
#define BOX 0xffffffff00000000ull

enum { RM_RNE, RM_RTZ, RM_RDN, RM_RUP, RM_RMM };

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint64_t d2u(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static double u2d(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

static uint32_t get_s_bits(const Hart *h, unsigned r)
{
    uint64_t v = h->f[r];
    return (v >> 32) == 0xffffffffu ? (uint32_t)v : CANON_S;
}
static float get_s(const Hart *h, unsigned r) { return u2f(get_s_bits(h, r)); }
static double get_d(const Hart *h, unsigned r) { return u2d(h->f[r]); }

static void set_s(Hart *h, unsigned r, float v)
{
    uint32_t u = isnan(v) ? CANON_S : f2u(v);
    h->f[r] = BOX | u;
}
static void set_d(Hart *h, unsigned r, double v) { h->f[r] = isnan(v) ? CANON_D : d2u(v); }

static bool issnan_s(uint32_t u) { return (u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffff) && !(u & 0x400000); }
static bool issnan_d(uint64_t u)
{
    return (u & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (u & 0xfffffffffffffull) &&
           !(u & 0x8000000000000ull);
}

static const int host_rm[5] = { FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD, FE_TONEAREST };

static unsigned flags_of_host(int e)
{
    return ((e & FE_INEXACT) ? FF_NX : 0) | ((e & FE_UNDERFLOW) ? FF_UF : 0) | ((e & FE_OVERFLOW) ? FF_OF : 0) |
           ((e & FE_DIVBYZERO) ? FF_DZ : 0) | ((e & FE_INVALID) ? FF_NV : 0);
}

static int host_of_flags(unsigned f)
{
    return ((f & FF_NX) ? FE_INEXACT : 0) | ((f & FF_UF) ? FE_UNDERFLOW : 0) | ((f & FF_OF) ? FE_OVERFLOW : 0) |
           ((f & FF_DZ) ? FE_DIVBYZERO : 0) | ((f & FF_NV) ? FE_INVALID : 0);
}

/* Round x to an integer in mode rm (exact; sets nothing). */
static double round_int(double x, unsigned rm)
{
    switch (rm) {
    case RM_RTZ: return trunc(x);
    case RM_RDN: return floor(x);
    case RM_RUP: return ceil(x);
    case RM_RMM: return round(x);
    default: return nearbyint(x);   /* the host mode is round-to-nearest-even here */
    }
}

/* fcvt to integer: `bits` 32 or 64, `sign` signed. Saturates; NaN gives the largest positive value. */
static uint64_t cvt_to_int_raw(double x, unsigned rm, int bits, bool sign, unsigned *fl)
{
    if (isnan(x)) {
        *fl |= FF_NV;
        return sign ? (bits == 32 ? 0x7fffffffull : 0x7fffffffffffffffull) : (bits == 32 ? 0xffffffffu : ~0ull);
    }
    double r = round_int(x, rm);
    double lo = sign ? (bits == 32 ? -2147483648.0 : -9223372036854775808.0) : 0.0;
    double hi = sign ? (bits == 32 ? 2147483648.0 : 9223372036854775808.0)
                     : (bits == 32 ? 4294967296.0 : 18446744073709551616.0);
    if (r < lo || r >= hi) {
        *fl |= FF_NV;
        if (r < lo) return sign ? (bits == 32 ? (uint64_t)(int64_t)INT32_MIN : (uint64_t)INT64_MIN) : 0;
        return sign ? (bits == 32 ? 0x7fffffffull : 0x7fffffffffffffffull) : (bits == 32 ? 0xffffffffu : ~0ull);
    }
    if (r != x) *fl |= FF_NX;
    if (sign) return bits == 32 ? (uint64_t)(int64_t)(int32_t)r : (uint64_t)(int64_t)r;
    return bits == 32 ? (uint64_t)(int64_t)(int32_t)(uint32_t)r : (uint64_t)r;
}

/* RV64 sign-extends every 32-bit result, fcvt.wu's included. */
static uint64_t cvt_to_int(double x, unsigned rm, int bits, bool sign, unsigned *fl)
{
    uint64_t v = cvt_to_int_raw(x, rm, bits, sign, fl);
    return bits == 32 ? (uint64_t)(int64_t)(int32_t)(uint32_t)v : v;
}

/* fclass from the bits alone: host classification may touch the FPU and flag a signaling NaN. */
static unsigned fclass_bits(bool neg, uint64_t exp, uint64_t exp_max, uint64_t frac, uint64_t quiet_bit)
{
    if (exp == exp_max) {
        if (frac == 0) return neg ? 1u << 0 : 1u << 7;
        return (frac & quiet_bit) ? 1u << 9 : 1u << 8;
    }
    if (exp == 0) {
        if (frac == 0) return neg ? 1u << 3 : 1u << 4;
        return neg ? 1u << 2 : 1u << 5;
    }
    return neg ? 1u << 1 : 1u << 6;
}

/* RMM (round to nearest, ties away from zero) differs from RNE, which the host did, only on exact ties, where
 * RNE picked the even neighbour. Division and square root never land exactly on a tie in binary, so only
 * add, subtract, multiply and narrowing need this. r is the RNE result, err the exact value minus r. */
static double rmm_fix_d(double r, double err)
{
    if (err == 0 || isnan(r) || isinf(r)) return r;
    double nb = nextafter(r, err > 0 ? INFINITY : -INFINITY);
    return (nb - r == 2 * err && fabs(nb) > fabs(r)) ? nb : r;
}

/* The same for a single rounded from `exact`, a double holding the exact result (or one too far from any tie
 * for the difference to matter). */
static float rmm_fix_s(float r, double exact)
{
    if (isnan(r) || isinf(r) || (double)r == exact) return r;
    float nb = nextafterf(r, exact > (double)r ? INFINITY : -INFINITY);
    return (((double)r + (double)nb) / 2 == exact && fabsf(nb) > fabsf(r)) ? nb : r;
}

/* RMM for an integer x converted to r (rounded to nearest-even): on a tie, the neighbour away from zero.
 * Integers up to 2^64 and these results are exact in __int128. */
static double rmm_fix_int(double r, __int128 x, bool single)
{
    __int128 ir = (__int128)r;
    if (ir == x) return r;
    double nb = single ? (double)nextafterf((float)r, x > ir ? INFINITY : -INFINITY)
                       : nextafter(r, x > ir ? INFINITY : -INFINITY);
    __int128 dr = x - ir, dn = (__int128)nb - x;
    if (dr < 0) dr = -dr;
    if (dn < 0) dn = -dn;
    return (dr == dn && fabs(nb) > fabs(r)) ? nb : r;
}

/* Exact error of a + b = s (TwoSum; s already rounded to nearest). */
static double two_sum_err(double a, double b, double s)
{
    double bb = s - a;
    return (a - (s - bb)) + (b - bb);
}

static double minmax_d(double a, double b, bool is_max, bool sa, bool sb, unsigned *fl)
{
    if (sa || sb) *fl |= FF_NV;
    if (isnan(a) && isnan(b)) return u2d(CANON_D);
    if (isnan(a)) return b;
    if (isnan(b)) return a;
    if (a == 0 && b == 0 && signbit(a) != signbit(b)) return (signbit(a) != 0) != is_max ? a : b;
    return is_max ? (a > b ? a : b) : (a < b ? a : b);
}

static float minmax_s(float a, float b, bool is_max, bool sa, bool sb, unsigned *fl)
{
    if (sa || sb) *fl |= FF_NV;
    if (isnan(a) && isnan(b)) return u2f(CANON_S);
    if (isnan(a)) return b;
    if (isnan(b)) return a;
    if (a == 0 && b == 0 && signbit(a) != signbit(b)) return (signbit(a) != 0) != is_max ? a : b;
    return is_max ? (a > b ? a : b) : (a < b ? a : b);
}

bool riscv_fpu_exec(Hart *h, const RvInsn *in)
{
    if (!(h->mstatus & MSTATUS_FS)) goto illegal;
    unsigned rm = RV_FP_RM(in) == 7 ? h->frm : RV_FP_RM(in);
    unsigned op = in->op;
    unsigned rd = in->rd, r1 = in->rs1, r2 = in->rs2, r3 = RV_FP_RS3(in);
    unsigned fl = 0;
    /* Only instructions with a rounding-mode field check it; the others use funct3 for something else. */
    bool uses_rm = riscv_decode_format(op) == RV_FMT_FR4 ||
                   (riscv_decode_format(op) != RV_FMT_FCMP &&
                    !(op >= RV_OP_FSGNJ_S && op <= RV_OP_FMAX_S) && !(op >= RV_OP_FSGNJ_D && op <= RV_OP_FMAX_D) &&
                    op != RV_OP_FMV_X_W && op != RV_OP_FMV_X_D && op != RV_OP_FMV_W_X && op != RV_OP_FMV_D_X &&
                    op != RV_OP_FCLASS_S && op != RV_OP_FCLASS_D);
    if (uses_rm && rm > RM_RMM) goto illegal;

    if (uses_rm && rm != RM_RNE) fesetround(host_rm[rm]);
    /* Clearing host flags is slow (it reloads the x87 environment), so it is done only when needed: the
     * host's sticky flags may stay set as long as the guest's fflags hold them too, since setting them again
     * changes nothing. Flags the guest has cleared (or that other host code set) are cleared here. */
    int stray = fetestexcept(FE_ALL_EXCEPT) & ~host_of_flags(h->fflags);
    if (stray) feclearexcept(stray);
    switch (op) {
    /* ---- single ---- */
    case RV_OP_FADD_S: case RV_OP_FSUB_S: case RV_OP_FMUL_S: {
        volatile float a = get_s(h, r1), b = get_s(h, r2);
        if (op == RV_OP_FSUB_S) b = -b;
        volatile float r = op == RV_OP_FMUL_S ? a * b : a + b;
        float v = r;
        /* Singles are exact in double for a product, and for a sum whenever a tie is possible. */
        if (rm == RM_RMM) v = rmm_fix_s(v, op == RV_OP_FMUL_S ? (double)a * (double)b : (double)a + (double)b);
        set_s(h, rd, v);
        break;
    }
    case RV_OP_FDIV_S: { volatile float a = get_s(h, r1), b = get_s(h, r2); volatile float r = a / b; set_s(h, rd, r); break; }
    case RV_OP_FSQRT_S: { volatile float a = get_s(h, r1); volatile float r = sqrtf(a); set_s(h, rd, r); break; }
    case RV_OP_FMADD_S: case RV_OP_FMSUB_S: case RV_OP_FNMSUB_S: case RV_OP_FNMADD_S: {
        float a = get_s(h, r1), b = get_s(h, r2), c = get_s(h, r3);
        if (op == RV_OP_FNMSUB_S || op == RV_OP_FNMADD_S) a = -a;
        if (op == RV_OP_FMSUB_S || op == RV_OP_FNMADD_S) c = -c;
        if ((isinf(a) && b == 0) || (a == 0 && isinf(b))) {
            /* inf * 0 is invalid even when the addend is a quiet NaN. */
            feraiseexcept(FE_INVALID);
            set_s(h, rd, NAN);
            break;
        }
        volatile float va = a, vb = b, vc = c;
        volatile float r = fmaf(va, vb, vc);
        set_s(h, rd, r);
        break;
    }
    case RV_OP_FSGNJ_S: case RV_OP_FSGNJN_S: case RV_OP_FSGNJX_S: {
        uint32_t a = get_s_bits(h, r1), b = get_s_bits(h, r2);
        uint32_t s = op == RV_OP_FSGNJ_S ? b : op == RV_OP_FSGNJN_S ? ~b : a ^ b;
        h->f[rd] = BOX | (a & 0x7fffffffu) | (s & 0x80000000u);
        break;
    }
    case RV_OP_FMIN_S: case RV_OP_FMAX_S: {
        uint32_t a = get_s_bits(h, r1), b = get_s_bits(h, r2);
        set_s(h, rd, minmax_s(u2f(a), u2f(b), op == RV_OP_FMAX_S, issnan_s(a), issnan_s(b), &fl));
        break;
    }
    case RV_OP_FCVT_W_S: h->x[rd] = cvt_to_int(get_s(h, r1), rm, 32, true, &fl); break;
    case RV_OP_FCVT_WU_S: h->x[rd] = cvt_to_int(get_s(h, r1), rm, 32, false, &fl); break;
    case RV_OP_FCVT_L_S: h->x[rd] = cvt_to_int(get_s(h, r1), rm, 64, true, &fl); break;
    case RV_OP_FCVT_LU_S: h->x[rd] = cvt_to_int(get_s(h, r1), rm, 64, false, &fl); break;
    case RV_OP_FMV_X_W: h->x[rd] = (uint64_t)(int64_t)(int32_t)(uint32_t)h->f[r1]; break;
    case RV_OP_FCLASS_S: {
        uint32_t a = get_s_bits(h, r1);
        h->x[rd] = fclass_bits(a >> 31, (a >> 23) & 0xff, 0xff, a & 0x7fffff, 0x400000);
        break;
    }
    case RV_OP_FEQ_S: case RV_OP_FLT_S: case RV_OP_FLE_S: {
        uint32_t ua = get_s_bits(h, r1), ub = get_s_bits(h, r2);
        float a = u2f(ua), b = u2f(ub);
        if (isnan(a) || isnan(b)) {
            if (op != RV_OP_FEQ_S || issnan_s(ua) || issnan_s(ub)) fl |= FF_NV;
            h->x[rd] = 0;
        } else {
            h->x[rd] = op == RV_OP_FEQ_S ? a == b : op == RV_OP_FLT_S ? a < b : a <= b;
        }
        break;
    }
    case RV_OP_FCVT_S_W: case RV_OP_FCVT_S_WU: case RV_OP_FCVT_S_L: case RV_OP_FCVT_S_LU: {
        __int128 x = op == RV_OP_FCVT_S_W ? (__int128)(int32_t)h->x[r1]
                   : op == RV_OP_FCVT_S_WU ? (__int128)(uint32_t)h->x[r1]
                   : op == RV_OP_FCVT_S_L ? (__int128)(int64_t)h->x[r1] : (__int128)h->x[r1];
        volatile float r;
        if (op == RV_OP_FCVT_S_L) { volatile int64_t a = (int64_t)x; r = (float)a; }
        else if (op == RV_OP_FCVT_S_LU) { volatile uint64_t a = (uint64_t)x; r = (float)a; }
        else { volatile int64_t a = (int64_t)x; r = (float)a; }     /* 32-bit values: int64 holds them */
        set_s(h, rd, rm == RM_RMM ? (float)rmm_fix_int(r, x, true) : r);
        break;
    }
    case RV_OP_FMV_W_X: h->f[rd] = BOX | (uint32_t)h->x[r1]; break;
    /* ---- double ---- */
    case RV_OP_FADD_D: case RV_OP_FSUB_D: case RV_OP_FMUL_D: {
        volatile double a = get_d(h, r1), b = get_d(h, r2);
        if (op == RV_OP_FSUB_D) b = -b;
        volatile double r = op == RV_OP_FMUL_D ? a * b : a + b;
        double v = r;
        if (rm == RM_RMM) v = rmm_fix_d(v, op == RV_OP_FMUL_D ? fma(a, b, -v) : two_sum_err(a, b, v));
        set_d(h, rd, v);
        break;
    }
    case RV_OP_FDIV_D: { volatile double a = get_d(h, r1), b = get_d(h, r2); volatile double r = a / b; set_d(h, rd, r); break; }
    case RV_OP_FSQRT_D: { volatile double a = get_d(h, r1); volatile double r = sqrt(a); set_d(h, rd, r); break; }
    case RV_OP_FMADD_D: case RV_OP_FMSUB_D: case RV_OP_FNMSUB_D: case RV_OP_FNMADD_D: {
        double a = get_d(h, r1), b = get_d(h, r2), c = get_d(h, r3);
        if (op == RV_OP_FNMSUB_D || op == RV_OP_FNMADD_D) a = -a;
        if (op == RV_OP_FMSUB_D || op == RV_OP_FNMADD_D) c = -c;
        if ((isinf(a) && b == 0) || (a == 0 && isinf(b))) {
            feraiseexcept(FE_INVALID);
            set_d(h, rd, NAN);
            break;
        }
        volatile double va = a, vb = b, vc = c;
        volatile double r = fma(va, vb, vc);
        set_d(h, rd, r);
        break;
    }
    case RV_OP_FSGNJ_D: case RV_OP_FSGNJN_D: case RV_OP_FSGNJX_D: {
        uint64_t a = h->f[r1], b = h->f[r2];
        uint64_t s = op == RV_OP_FSGNJ_D ? b : op == RV_OP_FSGNJN_D ? ~b : a ^ b;
        h->f[rd] = (a & ~(1ull << 63)) | (s & (1ull << 63));
        break;
    }
    case RV_OP_FMIN_D: case RV_OP_FMAX_D: {
        uint64_t a = h->f[r1], b = h->f[r2];
        set_d(h, rd, minmax_d(u2d(a), u2d(b), op == RV_OP_FMAX_D, issnan_d(a), issnan_d(b), &fl));
        break;
    }
    case RV_OP_FCVT_S_D: {
        volatile double a = get_d(h, r1);
        volatile float r = (float)a;
        set_s(h, rd, rm == RM_RMM ? rmm_fix_s(r, a) : r);
        break;
    }
    case RV_OP_FCVT_D_S: { volatile float a = get_s(h, r1); volatile double r = (double)a; set_d(h, rd, r); break; }
    case RV_OP_FEQ_D: case RV_OP_FLT_D: case RV_OP_FLE_D: {
        uint64_t ua = h->f[r1], ub = h->f[r2];
        double a = u2d(ua), b = u2d(ub);
        if (isnan(a) || isnan(b)) {
            if (op != RV_OP_FEQ_D || issnan_d(ua) || issnan_d(ub)) fl |= FF_NV;
            h->x[rd] = 0;
        } else {
            h->x[rd] = op == RV_OP_FEQ_D ? a == b : op == RV_OP_FLT_D ? a < b : a <= b;
        }
        break;
    }
    case RV_OP_FCLASS_D: {
        uint64_t a = h->f[r1];
        h->x[rd] = fclass_bits(a >> 63, (a >> 52) & 0x7ff, 0x7ff, a & 0xfffffffffffffull, 0x8000000000000ull);
        break;
    }
    case RV_OP_FCVT_W_D: h->x[rd] = cvt_to_int(get_d(h, r1), rm, 32, true, &fl); break;
    case RV_OP_FCVT_WU_D: h->x[rd] = cvt_to_int(get_d(h, r1), rm, 32, false, &fl); break;
    case RV_OP_FCVT_L_D: h->x[rd] = cvt_to_int(get_d(h, r1), rm, 64, true, &fl); break;
    case RV_OP_FCVT_LU_D: h->x[rd] = cvt_to_int(get_d(h, r1), rm, 64, false, &fl); break;
    case RV_OP_FMV_X_D: h->x[rd] = h->f[r1]; break;
    case RV_OP_FCVT_D_W: { volatile int32_t a = (int32_t)h->x[r1]; volatile double r = (double)a; set_d(h, rd, r); break; }
    case RV_OP_FCVT_D_WU: { volatile uint32_t a = (uint32_t)h->x[r1]; volatile double r = (double)a; set_d(h, rd, r); break; }
    case RV_OP_FCVT_D_L: {
        volatile int64_t a = (int64_t)h->x[r1];
        volatile double r = (double)a;
        set_d(h, rd, rm == RM_RMM ? rmm_fix_int(r, (int64_t)h->x[r1], false) : r);
        break;
    }
    case RV_OP_FCVT_D_LU: {
        volatile uint64_t a = h->x[r1];
        volatile double r = (double)a;
        set_d(h, rd, rm == RM_RMM ? rmm_fix_int(r, h->x[r1], false) : r);
        break;
    }
    case RV_OP_FMV_D_X: h->f[rd] = h->x[r1]; break;
    default:
        if (uses_rm && rm != RM_RNE) fesetround(FE_TONEAREST);
        goto illegal;
    }
    fl |= flags_of_host(fetestexcept(FE_ALL_EXCEPT));
    if (uses_rm && rm != RM_RNE) fesetround(FE_TONEAREST);
    h->fflags |= (uint8_t)fl;
    h->mstatus |= MSTATUS_FS;
    return true;
illegal:
    riscv_trap_raise(h, RV_EXC_ILLEGAL, 0);
    return false;
}
