# F and D: results and the five fflags, static and dynamic rounding modes, NaN boxing and canonical NaNs,
# fmin/fmax (IEEE 754-2019 minimumNumber), saturating conversions, fused multiply-add, quiet and signaling
# compares, fclass, sign injection, and the illegal cases (FS off, reserved rounding modes).
#include "test.h"
.macro LD_D freg, bits
    li t0, \bits
    fmv.d.x \freg, t0
.endm
.macro LD_S freg, bits
    li t0, \bits
    fmv.w.x \freg, t0
.endm
.macro FLAGS n, val
    csrrw t1, fflags, zero
    li gp, \n
    li t4, \val
    bne t1, t4, fail
.endm
#define NV 16
#define DZ 8
#define OF 4
#define UF 2
#define NX 1
TEST_START
main:
    csrw fcsr, zero
    LD_S fa0, 0x3f800000              # 1.0f
    LD_S fa1, 0x40000000              # 2.0f
    fadd.s fa2, fa0, fa1
    fmv.x.w a1, fa2
    CHECK 1, a1, 0x40400000
    FLAGS 2, 0
    LD_S fa1, 0x30800000              # 2^-30
    fadd.s fa2, fa0, fa1              # rne: 1.0, inexact
    fmv.x.w a1, fa2
    CHECK 3, a1, 0x3f800000
    FLAGS 4, NX
    fadd.s fa2, fa0, fa1, rup
    fmv.x.w a1, fa2
    CHECK 5, a1, 0x3f800001
    FLAGS 6, NX
    # double: divide by zero, invalid, overflow, underflow
    LD_D fa0, 0x3ff0000000000000
    fmv.d.x fa1, zero
    fdiv.d fa2, fa0, fa1
    fmv.x.d a1, fa2
    CHECK 7, a1, 0x7ff0000000000000
    FLAGS 8, DZ
    LD_D fa0, 0xbff0000000000000      # -1
    fsqrt.d fa2, fa0
    fmv.x.d a1, fa2
    CHECK 9, a1, 0x7ff8000000000000   # canonical NaN
    FLAGS 10, NV
    LD_D fa0, 0x7e37e43c8800759c      # 1e300
    fmul.d fa2, fa0, fa0
    fmv.x.d a1, fa2
    CHECK 11, a1, 0x7ff0000000000000
    FLAGS 12, OF | NX
    fmul.d fa2, fa0, fa0, rtz         # toward zero: the largest finite
    fmv.x.d a1, fa2
    CHECK 13, a1, 0x7fefffffffffffff
    FLAGS 14, OF | NX
    LD_D fa0, 0x0170000000000000      # 2^-1000
    LD_D fa1, 0x39b0000000000000      # 2^-100
    fmul.d fa2, fa0, fa1
    fmv.x.d a1, fa2
    CHECK 15, a1, 0
    FLAGS 16, UF | NX
    # NaN boxing: a single read from a register that is not boxed is the canonical NaN
    li t0, 0x3f800000
    fmv.d.x fa0, t0
    fadd.s fa2, fa0, fa0
    fmv.x.d a1, fa2
    CHECK 17, a1, 0xffffffff7fc00000
    FLAGS 18, 0
    la t0, fdata
    flw fa3, 0(t0)
    fmv.x.d a1, fa3
    CHECK 19, a1, 0xffffffff40490fdb
    fmv.x.w a1, fa3
    CHECK 20, a1, 0x40490fdb
    LD_S fa3, 0xbf800000
    fmv.x.w a1, fa3                   # fmv.x.w sign-extends
    CHECK 21, a1, 0xffffffffbf800000
    # fmin/fmax
    LD_S fa0, 0x80000000              # -0
    LD_S fa1, 0x00000000              # +0
    fmin.s fa2, fa0, fa1
    fmv.x.w a1, fa2
    CHECK 22, a1, 0xffffffff80000000
    fmax.s fa2, fa0, fa1
    fmv.x.w a1, fa2
    CHECK 23, a1, 0
    LD_D fa0, 0x7ff8000000000000      # qNaN
    LD_D fa1, 0x3ff0000000000000
    fmin.d fa2, fa0, fa1
    fmv.x.d a1, fa2
    CHECK 24, a1, 0x3ff0000000000000
    FLAGS 25, 0
    LD_D fa0, 0x7ff0000000000001      # sNaN
    fmax.d fa2, fa1, fa0
    fmv.x.d a1, fa2
    CHECK 26, a1, 0x3ff0000000000000
    FLAGS 27, NV
    fmax.d fa2, fa0, fa0
    fmv.x.d a1, fa2
    CHECK 28, a1, 0x7ff8000000000000
    FLAGS 29, NV
    # conversions to integer: rounding modes, saturation, NaN
    LD_D fa0, 0x4004000000000000      # 2.5
    fcvt.w.d a1, fa0, rne
    CHECK 30, a1, 2
    FLAGS 31, NX
    fcvt.w.d a1, fa0, rmm
    CHECK 32, a1, 3
    LD_D fa0, 0xc004000000000000      # -2.5
    fcvt.w.d a1, fa0, rdn
    CHECK 33, a1, -3
    fcvt.w.d a1, fa0, rup
    CHECK 34, a1, -2
    fcvt.l.d a1, fa0, rtz
    CHECK 35, a1, -2
    FLAGS 36, NX
    LD_D fa0, 0x4202a05f20000000      # 1e10
    fcvt.w.d a1, fa0, rtz
    CHECK 37, a1, 0x7fffffff
    FLAGS 38, NV
    fcvt.wu.d a1, fa0, rtz
    CHECK 39, a1, -1                  # 0xffffffff, sign-extended
    FLAGS 40, NV
    LD_D fa0, 0xbff0000000000000      # -1
    fcvt.wu.d a1, fa0, rtz
    CHECK 41, a1, 0
    FLAGS 42, NV
    LD_D fa0, 0xbfe0000000000000      # -0.5
    fcvt.wu.d a1, fa0, rtz
    CHECK 43, a1, 0
    FLAGS 44, NX
    LD_D fa0, 0x7ff8000000000000
    fcvt.l.d a1, fa0, rtz
    CHECK 45, a1, 0x7fffffffffffffff
    fcvt.w.s a1, fa0, rtz             # unboxed single: NaN too
    CHECK 46, a1, 0x7fffffff
    FLAGS 47, NV
    LD_D fa0, 0x7ff0000000000000      # +inf
    fcvt.lu.d a1, fa0, rtz
    CHECK 48, a1, -1
    FLAGS 49, NV
    # dynamic rounding mode from frm
    csrwi frm, 2                      # rdn
    LD_D fa0, 0xbfe0000000000000
    fcvt.w.d a1, fa0
    CHECK 50, a1, -1
    csrwi frm, 0
    FLAGS 51, NX
    # conversions from integer and between formats
    li a0, -1
    fcvt.d.lu fa0, a0
    fmv.x.d a1, fa0
    CHECK 52, a1, 0x43f0000000000000
    FLAGS 53, NX
    li a0, -7
    fcvt.s.w fa0, a0
    fmv.x.w a1, fa0
    CHECK 54, a1, 0xffffffffc0e00000
    LD_D fa0, 0x3ff0000000400000      # 1 + 2^-30
    fcvt.s.d fa1, fa0
    fmv.x.w a1, fa1
    CHECK 55, a1, 0x3f800000
    FLAGS 56, NX
    fcvt.s.d fa1, fa0, rup
    fmv.x.w a1, fa1
    CHECK 57, a1, 0x3f800001
    fcvt.d.s fa2, fa1
    fmv.x.d a1, fa2
    CHECK 58, a1, 0x3ff0000020000000
    FLAGS 59, NX
    # fused multiply-add keeps the unrounded product
    LD_D fa0, 0x3ff0000000400000      # x = 1 + 2^-30
    LD_D fa1, 0x3ff0000000800000      # 1 + 2^-29
    fmsub.d fa2, fa0, fa0, fa1        # x*x - (1 + 2^-29) = 2^-60 exactly
    fmv.x.d a1, fa2
    CHECK 60, a1, 0x3c30000000000000
    FLAGS 61, 0
    fnmadd.d fa2, fa0, fa0, fa1       # -(x*x) - c
    fmv.x.d a1, fa2
    CHECK 62, a1, 0xc000000000800000
    FLAGS 63, NX
    LD_D fa0, 0x7ff0000000000000      # inf * 0 + qNaN: invalid
    fmv.d.x fa1, zero
    LD_D fa3, 0x7ff8000000000000
    fmadd.d fa2, fa0, fa1, fa3
    fmv.x.d a1, fa2
    CHECK 64, a1, 0x7ff8000000000000
    FLAGS 65, NV
    LD_S fa0, 0x40000000
    LD_S fa1, 0x40400000
    LD_S fa3, 0x3f800000
    fmadd.s fa2, fa0, fa1, fa3        # 2*3+1
    fmv.x.w a1, fa2
    CHECK 66, a1, 0x40e00000
    fnmsub.s fa2, fa0, fa1, fa3       # -(2*3)+1
    fmv.x.w a1, fa2
    CHECK 67, a1, 0xffffffffc0a00000
    # compares
    LD_D fa0, 0x7ff8000000000000
    LD_D fa1, 0x3ff0000000000000
    feq.d a1, fa0, fa1
    CHECK 68, a1, 0
    FLAGS 69, 0
    flt.d a1, fa0, fa1
    CHECK 70, a1, 0
    FLAGS 71, NV
    fle.d a1, fa1, fa1
    CHECK 72, a1, 1
    LD_D fa0, 0x7ff0000000000001
    feq.d a1, fa0, fa0
    FLAGS 73, NV
    LD_S fa0, 0xbf800000
    LD_S fa1, 0x3f800000
    flt.s a1, fa0, fa1
    CHECK 74, a1, 1
    # fclass
    LD_D fa0, 0xfff0000000000000
    fclass.d a1, fa0
    CHECK 75, a1, 1
    fmv.d.x fa0, zero
    fclass.d a1, fa0
    CHECK 76, a1, 16
    LD_D fa0, 0x7ff0000000000001
    fclass.d a1, fa0
    CHECK 77, a1, 256
    LD_S fa0, 0x7fc00000
    fclass.s a1, fa0
    CHECK 78, a1, 512
    LD_S fa0, 0x00000001
    fclass.s a1, fa0
    CHECK 79, a1, 32
    LD_S fa0, 0xbf800000
    fclass.s a1, fa0
    CHECK 80, a1, 2
    # sign injection
    LD_D fa0, 0x3ff0000000000000
    fneg.d fa1, fa0
    fmv.x.d a1, fa1
    CHECK 81, a1, 0xbff0000000000000
    fabs.d fa2, fa1
    fmv.x.d a1, fa2
    CHECK 82, a1, 0x3ff0000000000000
    fsgnjx.d fa2, fa1, fa1
    fmv.x.d a1, fa2
    CHECK 83, a1, 0x3ff0000000000000
    LD_S fa0, 0x3f800000
    fneg.s fa1, fa0
    fmv.x.d a1, fa1
    CHECK 84, a1, 0xffffffffbf800000
    FLAGS 85, 0
    # fflags accumulate; fsflags/frflags
    LD_D fa0, 0x3ff0000000000000
    fmv.d.x fa1, zero
    fdiv.d fa2, fa0, fa1
    LD_D fa0, 0xbff0000000000000
    fsqrt.d fa2, fa0
    FLAGS 86, NV | DZ
    # illegal: reserved static rm, reserved frm with dynamic rm, FS off
    li s10, -1
    .word (3 << 20) | (2 << 15) | (5 << 12) | (1 << 7) | 0x53    # fadd.s f1, f2, f3 with rm = 5
    CHECK_MTRAP 87, 2
    csrwi frm, 6
    fadd.d fa2, fa0, fa0              # dynamic rm
    CHECK_MTRAP 88, 2
    csrwi frm, 0
    li t0, MSTATUS_FS
    csrc mstatus, t0
    fadd.d fa2, fa0, fa0
    CHECK_MTRAP 89, 2
    fld fa2, 0(sp)
    CHECK_MTRAP 90, 2
    li t0, MSTATUS_FS
    csrs mstatus, t0
    # RMM: ties go away from zero (RNE would keep the even 1.0)
    LD_S fa0, 0x3f800000              # 1.0f
    LD_S fa1, 0x33800000              # 2^-24: 1 + 2^-24 is halfway between 1 and 1 + 2^-23
    fadd.s fa2, fa0, fa1, rmm
    fmv.x.w a1, fa2
    CHECK 92, a1, 0x3f800001
    fadd.s fa2, fa0, fa1, rne
    fmv.x.w a1, fa2
    CHECK 93, a1, 0x3f800000
    fneg.s fa0, fa0
    fneg.s fa1, fa1
    fadd.s fa2, fa0, fa1, rmm
    fmv.x.w a1, fa2
    CHECK 94, a1, 0xffffffffbf800001
    LD_D fa0, 0x3ff0000000000000      # 1.0
    LD_D fa1, 0x3ca0000000000000      # 2^-53
    fadd.d fa2, fa0, fa1, rmm
    fmv.x.d a1, fa2
    CHECK 95, a1, 0x3ff0000000000001
    fsub.d fa2, fa0, fa1, rmm         # 1 - 2^-53 is representable: no tie
    fmv.x.d a1, fa2
    CHECK 96, a1, 0x3fefffffffffffff
    LD_D fa0, 0x3ff0000010000000      # 1 + 2^-24, to single
    fcvt.s.d fa2, fa0, rmm
    fmv.x.w a1, fa2
    CHECK 97, a1, 0x3f800001
    LD_D fa0, 0x3ff0000008000000      # 1 + 2^-25: below the tie
    fcvt.s.d fa2, fa0, rmm
    fmv.x.w a1, fa2
    CHECK 98, a1, 0x3f800000
    LD_D fa0, 0x3ff0000000000003      # (1 + 3 * 2^-52) * 1.5 = 1.5 + 4.5 * 2^-52: a tie
    LD_D fa1, 0x3ff8000000000000
    fmul.d fa2, fa0, fa1, rmm
    fmv.x.d a1, fa2
    CHECK 99, a1, 0x3ff8000000000005
    fmul.d fa2, fa0, fa1, rne
    fmv.x.d a1, fa2
    CHECK 100, a1, 0x3ff8000000000004
    li a0, 16777217                   # 2^24 + 1: halfway between two singles
    fcvt.s.w fa2, a0, rmm
    fmv.x.w a1, fa2
    CHECK 101, a1, 0x4b800001
    fcvt.s.w fa2, a0, rne
    fmv.x.w a1, fa2
    CHECK 102, a1, 0x4b800000
    li a0, -16777217
    fcvt.s.l fa2, a0, rmm
    fmv.x.w a1, fa2
    CHECK 103, a1, 0xffffffffcb800001
    li a0, 0x20000000000001           # 2^53 + 1: halfway between two doubles
    fcvt.d.lu fa2, a0, rmm
    fmv.x.d a1, fa2
    CHECK 104, a1, 0x4340000000000001
    fcvt.d.l fa2, a0, rne
    fmv.x.d a1, fa2
    CHECK 105, a1, 0x4340000000000000
    csrw fflags, zero
    # writing an FP register marks mstatus.FS dirty
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, (1 << 13)                  # initial
    csrs mstatus, t0
    fmv.d.x fa0, zero
    csrr a1, mstatus
    li t0, MSTATUS_FS
    and a1, a1, t0
    CHECK 91, a1, MSTATUS_FS
    j pass
TEST_HANDLERS
.data
.align 3
fdata: .word 0x40490fdb
