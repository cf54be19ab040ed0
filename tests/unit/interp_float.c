/* interp_float.c: unit tests of the interpreter's floating-point operators and conversions: IEEE results
 * bit for bit, min/max with zeros and NaNs, nearest's ties-to-even, sign operations that keep NaN
 * payloads, comparisons with NaN, float-to-int traps and saturation, int-to-float rounding. */
#include <math.h>
#include <string.h>

#include "wasmgen.h"

#define F32_NAN 0x7fc00000u
#define F32_SNAN 0x7fa00001u  /* a signalling NaN with a payload */
#define F32_NNAN 0xffc00000u
#define F64_NAN 0x7ff8000000000000ull
#define F64_SNAN 0x7ff4000000000001ull
#define F32_INF 0x7f800000u
#define F64_INF 0x7ff0000000000000ull

#define BINF(op, a, b) run_code("ff:f", CODE(LOCAL_GET, 0, LOCAL_GET, 1, op), NULL, 2, vf32b(a), vf32b(b))
#define BIND(op, a, b) run_code("dd:d", CODE(LOCAL_GET, 0, LOCAL_GET, 1, op), NULL, 2, vf64b(a), vf64b(b))
#define UNF(op, a) run_code("f:f", CODE(LOCAL_GET, 0, op), NULL, 1, vf32b(a))
#define UND(op, a) run_code("d:d", CODE(LOCAL_GET, 0, op), NULL, 1, vf64b(a))
#define CMPF(op, a, b) run_code("ff:i", CODE(LOCAL_GET, 0, LOCAL_GET, 1, op), NULL, 2, vf32b(a), vf32b(b))
#define CMPD(op, a, b) run_code("dd:i", CODE(LOCAL_GET, 0, LOCAL_GET, 1, op), NULL, 2, vf64b(a), vf64b(b))

/* An arithmetic NaN (quiet bit set), the spec's result for operations on NaNs. */
static bool quiet32(Call c) { return c.ok && (c.r[0].of.f32_bits & 0x7fc00000u) == 0x7fc00000u; }
static bool quiet64(Call c) { return c.ok && (c.r[0].of.f64_bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull; }

static void arithmetic(UnitCtx *t)
{
    CHECK_F32(BINF(F32_ADD, f32_bits(1.5f), f32_bits(2.25f)), f32_bits(3.75f));
    CHECK_F32(BINF(F32_SUB, f32_bits(1.0f), f32_bits(1.0f)), 0);
    CHECK_F32(BINF(F32_MUL, f32_bits(-2.0f), f32_bits(0.0f)), 0x80000000u);
    CHECK_F32(BINF(F32_DIV, f32_bits(1.0f), f32_bits(0.0f)), F32_INF);
    CHECK_F32(BINF(F32_DIV, f32_bits(1.0f), f32_bits(3.0f)), 0x3eaaaaabu);
    CHECK(quiet32(BINF(F32_DIV, 0, 0)));
    CHECK(quiet32(BINF(F32_ADD, F32_SNAN, f32_bits(1.0f))));
    CHECK(quiet32(BINF(F32_SUB, F32_INF, F32_INF)));
    CHECK_F32(UNF(F32_SQRT, f32_bits(2.0f)), 0x3fb504f3u);
    CHECK(quiet32(UNF(F32_SQRT, f32_bits(-1.0f))));
    CHECK_F32(UNF(F32_SQRT, 0x80000000u), 0x80000000u); /* sqrt(-0) = -0 */
    CHECK_F64(BIND(F64_ADD, f64_bits(0.1), f64_bits(0.2)), 0x3fd3333333333334ull);
    CHECK_F64(BIND(F64_MUL, f64_bits(1e308), f64_bits(10.0)), F64_INF);
    CHECK_F64(BIND(F64_DIV, f64_bits(-1.0), 0), 0xfff0000000000000ull);
    CHECK(quiet64(BIND(F64_DIV, 0, 0)));
    CHECK(quiet64(BIND(F64_MUL, F64_SNAN, f64_bits(2.0))));
    CHECK_F64(UND(F64_SQRT, f64_bits(16.0)), f64_bits(4.0));
    /* subnormals are not flushed */
    CHECK_F32(BINF(F32_MUL, 0x00800000u, f32_bits(0.5f)), 0x00400000u);
    CHECK_F64(BIND(F64_DIV, 0x0010000000000000ull, f64_bits(4.0)), 0x0004000000000000ull);
}

static void min_max(UnitCtx *t)
{
    CHECK_F32(BINF(F32_MIN, 0x80000000u, 0), 0x80000000u); /* min(-0, +0) = -0 */
    CHECK_F32(BINF(F32_MIN, 0, 0x80000000u), 0x80000000u);
    CHECK_F32(BINF(F32_MAX, 0x80000000u, 0), 0);           /* max(-0, +0) = +0 */
    CHECK_F32(BINF(F32_MAX, 0, 0x80000000u), 0);
    CHECK_F32(BINF(F32_MIN, f32_bits(1.0f), f32_bits(-3.0f)), f32_bits(-3.0f));
    CHECK_F32(BINF(F32_MAX, F32_INF, f32_bits(1.0f)), F32_INF);
    /* any NaN operand gives a NaN, a quiet one even from a signalling input */
    CHECK(quiet32(BINF(F32_MIN, F32_NAN, f32_bits(1.0f))));
    CHECK(quiet32(BINF(F32_MIN, f32_bits(1.0f), F32_NAN)));
    CHECK(quiet32(BINF(F32_MAX, F32_SNAN, f32_bits(1.0f))));
    CHECK(quiet32(BINF(F32_MAX, f32_bits(-1.0f), F32_SNAN)));
    CHECK(quiet32(BINF(F32_MIN, F32_INF, F32_NNAN)));
    CHECK_F64(BIND(F64_MIN, 0x8000000000000000ull, 0), 0x8000000000000000ull);
    CHECK_F64(BIND(F64_MAX, 0x8000000000000000ull, 0), 0);
    CHECK_F64(BIND(F64_MAX, 0, 0x8000000000000000ull), 0);
    CHECK(quiet64(BIND(F64_MIN, F64_NAN, f64_bits(1.0))));
    CHECK(quiet64(BIND(F64_MAX, f64_bits(1.0), F64_SNAN)));
    CHECK(quiet64(BIND(F64_MIN, F64_SNAN, F64_INF)));
}

static void rounding(UnitCtx *t)
{
    /* nearest: ties to even, keeping the sign of zero */
    CHECK_F32(UNF(F32_NEAREST, f32_bits(2.5f)), f32_bits(2.0f));
    CHECK_F32(UNF(F32_NEAREST, f32_bits(3.5f)), f32_bits(4.0f));
    CHECK_F32(UNF(F32_NEAREST, f32_bits(-2.5f)), f32_bits(-2.0f));
    CHECK_F32(UNF(F32_NEAREST, f32_bits(0.5f)), 0);
    CHECK_F32(UNF(F32_NEAREST, f32_bits(-0.5f)), 0x80000000u);
    CHECK_F32(UNF(F32_NEAREST, f32_bits(8388609.0f)), f32_bits(8388609.0f)); /* already integral */
    CHECK(quiet32(UNF(F32_NEAREST, F32_SNAN)));
    CHECK_F64(UND(F64_NEAREST, f64_bits(4.5)), f64_bits(4.0));
    CHECK_F64(UND(F64_NEAREST, f64_bits(-0.5)), 0x8000000000000000ull);
    CHECK_F64(UND(F64_NEAREST, f64_bits(4503599627370497.0)), f64_bits(4503599627370497.0));
    CHECK_F32(UNF(F32_CEIL, f32_bits(-0.5f)), 0x80000000u);
    CHECK_F32(UNF(F32_CEIL, f32_bits(1.1f)), f32_bits(2.0f));
    CHECK_F32(UNF(F32_FLOOR, f32_bits(-0.5f)), f32_bits(-1.0f));
    CHECK_F32(UNF(F32_TRUNC, f32_bits(-1.9f)), f32_bits(-1.0f));
    CHECK_F32(UNF(F32_TRUNC, f32_bits(-0.9f)), 0x80000000u);
    CHECK_F64(UND(F64_CEIL, f64_bits(-0.5)), 0x8000000000000000ull);
    CHECK_F64(UND(F64_FLOOR, f64_bits(1.9)), f64_bits(1.0));
    CHECK_F64(UND(F64_TRUNC, f64_bits(-2.5)), f64_bits(-2.0));
    CHECK(quiet64(UND(F64_FLOOR, F64_SNAN)));
}

/* abs, neg and copysign touch only the sign bit: NaN payloads, signalling ones too, pass unchanged. */
static void sign_ops(UnitCtx *t)
{
    CHECK_F32(UNF(F32_NEG, F32_SNAN), 0xffa00001u);
    CHECK_F32(UNF(F32_ABS, 0xffa00001u), F32_SNAN);
    CHECK_F32(UNF(F32_NEG, 0), 0x80000000u);
    CHECK_F32(UNF(F32_ABS, f32_bits(-3.0f)), f32_bits(3.0f));
    CHECK_F32(BINF(F32_COPYSIGN, F32_SNAN, f32_bits(-1.0f)), 0xffa00001u);
    CHECK_F32(BINF(F32_COPYSIGN, f32_bits(2.0f), 0x80000000u), f32_bits(-2.0f));
    CHECK_F32(BINF(F32_COPYSIGN, f32_bits(-2.0f), F32_NAN), f32_bits(2.0f));
    CHECK_F64(UND(F64_NEG, F64_SNAN), 0xfff4000000000001ull);
    CHECK_F64(UND(F64_ABS, 0xfff4000000000001ull), F64_SNAN);
    CHECK_F64(BIND(F64_COPYSIGN, f64_bits(5.0), f64_bits(-0.0)), f64_bits(-5.0));
    /* reinterpretations are bit-exact */
    CHECK_I32(run_code("f:i", CODE(LOCAL_GET, 0, I32_REINTERPRET_F32), NULL, 1, vf32b(F32_SNAN)), (int32_t)F32_SNAN);
    CHECK_F32(run_code("i:f", CODE(LOCAL_GET, 0, F32_REINTERPRET_I32), NULL, 1, vi32((int32_t)0xffa00001u)),
              0xffa00001u);
    CHECK_I64(run_code("d:l", CODE(LOCAL_GET, 0, I64_REINTERPRET_F64), NULL, 1, vf64b(F64_SNAN)), (int64_t)F64_SNAN);
    CHECK_F64(run_code("l:d", CODE(LOCAL_GET, 0, F64_REINTERPRET_I64), NULL, 1, vi64((int64_t)0xfff4000000000001ull)),
              0xfff4000000000001ull);
    /* constants keep their NaN payloads too */
    CHECK_F32(run_code(":f", CODE(F32C(F32_SNAN)), NULL, 0), F32_SNAN);
    CHECK_F64(run_code(":d", CODE(F64C(F64_SNAN)), NULL, 0), F64_SNAN);
}

static void compare(UnitCtx *t)
{
    CHECK_I32(CMPF(F32_EQ, F32_NAN, F32_NAN), 0);
    CHECK_I32(CMPF(F32_NE, F32_NAN, F32_NAN), 1);
    CHECK_I32(CMPF(F32_LT, F32_NAN, f32_bits(1.0f)), 0);
    CHECK_I32(CMPF(F32_GE, f32_bits(1.0f), F32_NAN), 0);
    CHECK_I32(CMPF(F32_EQ, 0, 0x80000000u), 1); /* +0 == -0 */
    CHECK_I32(CMPF(F32_LT, 0x80000000u, 0), 0);
    CHECK_I32(CMPF(F32_LE, f32_bits(-1.0f), f32_bits(-1.0f)), 1);
    CHECK_I32(CMPF(F32_GT, F32_INF, f32_bits(3.4e38f)), 1);
    CHECK_I32(CMPD(F64_EQ, F64_NAN, F64_NAN), 0);
    CHECK_I32(CMPD(F64_NE, F64_SNAN, f64_bits(0.0)), 1);
    CHECK_I32(CMPD(F64_LT, f64_bits(-1.0), f64_bits(1.0)), 1);
    CHECK_I32(CMPD(F64_GT, F64_NAN, f64_bits(1.0)), 0);
    CHECK_I32(CMPD(F64_LE, 0x8000000000000000ull, 0), 1);
    CHECK_I32(CMPD(F64_GE, f64_bits(2.0), f64_bits(2.0)), 1);
}

#define TF(sig, op, arg) run_code(sig, CODE(LOCAL_GET, 0, op), NULL, 1, arg)

static void float_to_int(UnitCtx *t)
{
    CHECK_I32(TF("f:i", I32_TRUNC_F32_S, vf32(-1.9f)), -1);
    CHECK_I32(TF("f:i", I32_TRUNC_F32_S, vf32(-2147483648.0f)), INT32_MIN);
    CHECK_TRAP(TF("f:i", I32_TRUNC_F32_S, vf32(2147483648.0f)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_TRAP(TF("f:i", I32_TRUNC_F32_S, vf32b(F32_NAN)), LODGE_TRAP_INVALID_CONV);
    CHECK_TRAP(TF("f:i", I32_TRUNC_F32_S, vf32b(F32_INF)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_I32(TF("f:i", I32_TRUNC_F32_U, vf32(-0.9f)), 0); /* truncates to -0, which fits */
    CHECK_I32(TF("f:i", I32_TRUNC_F32_U, vf32(4294967040.0f)), (int32_t)4294967040u);
    CHECK_TRAP(TF("f:i", I32_TRUNC_F32_U, vf32(-1.0f)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_TRAP(TF("f:i", I32_TRUNC_F32_U, vf32(4294967296.0f)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_I32(TF("d:i", I32_TRUNC_F64_S, vf64(2147483647.9)), INT32_MAX);
    CHECK_I32(TF("d:i", I32_TRUNC_F64_S, vf64(-2147483648.9)), INT32_MIN);
    CHECK_TRAP(TF("d:i", I32_TRUNC_F64_S, vf64(2147483648.0)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_TRAP(TF("d:i", I32_TRUNC_F64_S, vf64(-2147483649.0)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_TRAP(TF("d:i", I32_TRUNC_F64_U, vf64b(F64_NAN)), LODGE_TRAP_INVALID_CONV);
    CHECK_I32(TF("d:i", I32_TRUNC_F64_U, vf64(4294967295.9)), -1);
    CHECK_TRAP(TF("d:i", I32_TRUNC_F64_U, vf64(4294967296.0)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_I64(TF("f:l", I64_TRUNC_F32_S, vf32(-9223372036854775808.0f)), INT64_MIN);
    CHECK_TRAP(TF("f:l", I64_TRUNC_F32_S, vf32(9223372036854775808.0f)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_I64(TF("f:l", I64_TRUNC_F32_U, vf32(18446742974197923840.0f)), (int64_t)18446742974197923840ull);
    CHECK_TRAP(TF("f:l", I64_TRUNC_F32_U, vf32(18446744073709551616.0f)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_I64(TF("d:l", I64_TRUNC_F64_S, vf64(-9223372036854775808.0)), INT64_MIN);
    CHECK_TRAP(TF("d:l", I64_TRUNC_F64_S, vf64(9223372036854775808.0)), LODGE_TRAP_INT_OVERFLOW);
    CHECK_TRAP(TF("d:l", I64_TRUNC_F64_S, vf64b(F64_SNAN)), LODGE_TRAP_INVALID_CONV);
    CHECK_I64(TF("d:l", I64_TRUNC_F64_U, vf64(18446744073709549568.0)), (int64_t)18446744073709549568ull);
    CHECK_TRAP(TF("d:l", I64_TRUNC_F64_U, vf64(-1.0)), LODGE_TRAP_INT_OVERFLOW);
    Call c = TF("f:i", I32_TRUNC_F32_S, vf32b(F32_NAN));
    CHECK_STR(c.err.message, "invalid conversion to integer");
}

static void saturating(UnitCtx *t)
{
    CHECK_I32(TF("f:i", I32_TRUNC_SAT_F32_S, vf32b(F32_NAN)), 0);
    CHECK_I32(TF("f:i", I32_TRUNC_SAT_F32_S, vf32b(F32_INF)), INT32_MAX);
    CHECK_I32(TF("f:i", I32_TRUNC_SAT_F32_S, vf32(-3e9f)), INT32_MIN);
    CHECK_I32(TF("f:i", I32_TRUNC_SAT_F32_S, vf32(-7.5f)), -7);
    CHECK_I32(TF("f:i", I32_TRUNC_SAT_F32_U, vf32(-7.5f)), 0);
    CHECK_I32(TF("f:i", I32_TRUNC_SAT_F32_U, vf32(5e9f)), -1);
    CHECK_I32(TF("d:i", I32_TRUNC_SAT_F64_S, vf64(1e10)), INT32_MAX);
    CHECK_I32(TF("d:i", I32_TRUNC_SAT_F64_U, vf64b(F64_NAN)), 0);
    CHECK_I32(TF("d:i", I32_TRUNC_SAT_F64_U, vf64(4294967295.5)), -1);
    CHECK_I64(TF("f:l", I64_TRUNC_SAT_F32_S, vf32b(0xff800000u)), INT64_MIN);
    CHECK_I64(TF("f:l", I64_TRUNC_SAT_F32_U, vf32b(F32_INF)), -1);
    CHECK_I64(TF("d:l", I64_TRUNC_SAT_F64_S, vf64(1e19)), INT64_MAX);
    CHECK_I64(TF("d:l", I64_TRUNC_SAT_F64_S, vf64b(F64_SNAN)), 0);
    CHECK_I64(TF("d:l", I64_TRUNC_SAT_F64_U, vf64(-1e300)), 0);
    CHECK_I64(TF("d:l", I64_TRUNC_SAT_F64_U, vf64(123.9)), 123);
}

static void int_to_float(UnitCtx *t)
{
    CHECK_F32(TF("i:f", F32_CONVERT_I32_S, vi32(16777217)), f32_bits(16777216.0f)); /* ties to even */
    CHECK_F32(TF("i:f", F32_CONVERT_I32_S, vi32(-1)), f32_bits(-1.0f));
    CHECK_F32(TF("i:f", F32_CONVERT_I32_U, vi32(-1)), f32_bits(4294967296.0f));
    CHECK_F32(TF("l:f", F32_CONVERT_I64_U, vi64(-1)), 0x5f800000u);
    /* no double rounding through f64: 0x0020000020000001 -> 0x1.000002p+53 */
    CHECK_F32(TF("l:f", F32_CONVERT_I64_S, vi64(0x0020000020000001ll)), 0x5a000001u);
    CHECK_F32(TF("l:f", F32_CONVERT_I64_U, vi64((int64_t)0x8000008000000001ull)), 0x5f000001u);
    CHECK_F64(TF("i:d", F64_CONVERT_I32_U, vi32(-1)), f64_bits(4294967295.0));
    CHECK_F64(TF("i:d", F64_CONVERT_I32_S, vi32(INT32_MIN)), f64_bits(-2147483648.0));
    CHECK_F64(TF("l:d", F64_CONVERT_I64_S, vi64(9007199254740993ll)), f64_bits(9007199254740992.0));
    CHECK_F64(TF("l:d", F64_CONVERT_I64_U, vi64((int64_t)0x8000000000000401ull)), 0x43e0000000000001ull);
    CHECK_F64(TF("l:d", F64_CONVERT_I64_U, vi64(-1)), f64_bits(18446744073709551616.0));
    /* demote and promote */
    CHECK_F32(TF("d:f", F32_DEMOTE_F64, vf64(1e300)), F32_INF);
    CHECK_F32(TF("d:f", F32_DEMOTE_F64, vf64(0.1)), f32_bits(0.1f));
    CHECK_F32(TF("d:f", F32_DEMOTE_F64, vf64b(0x8000000000000001ull)), 0x80000000u);
    CHECK(quiet32(TF("d:f", F32_DEMOTE_F64, vf64b(F64_SNAN))));
    CHECK_F64(TF("f:d", F64_PROMOTE_F32, vf32(0.1f)), f64_bits((double)0.1f));
    CHECK_F64(TF("f:d", F64_PROMOTE_F32, vf32b(0x00000001u)), 0x36a0000000000000ull);
    CHECK(quiet64(TF("f:d", F64_PROMOTE_F32, vf32b(F32_SNAN))));
}

UNIT_SUITE(interp_float, UNIT_TEST(arithmetic), UNIT_TEST(min_max), UNIT_TEST(rounding), UNIT_TEST(sign_ops),
           UNIT_TEST(compare), UNIT_TEST(float_to_int), UNIT_TEST(saturating), UNIT_TEST(int_to_float));
