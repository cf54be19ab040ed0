/* num.h: the numeric semantics that C does not give directly: IEEE min/max with signed zeros and NaN
 * propagation, round-half-even, and float-to-int conversions (trapping and saturating). */
#ifndef LODGE_WASM_INTERP_NUM_H
#define LODGE_WASM_INTERP_NUM_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float num_fminf(float a, float b)
{
    if (a != a || b != b)
        return a + b;
    if (a == 0 && b == 0)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static inline float num_fmaxf(float a, float b)
{
    if (a != a || b != b)
        return a + b;
    if (a == 0 && b == 0)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

static inline double num_fmin(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == 0 && b == 0)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static inline double num_fmax(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == 0 && b == 0)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* Conversion outcome: 0 ok, 1 NaN (invalid conversion), 2 out of range (integer overflow). */
#define NUM_TRUNC(name, FT, IT, lo_ok, hi_ok)                 \
    static inline int name(FT x, IT *out)                     \
    {                                                         \
        if (x != x)                                           \
            return 1;                                         \
        if (!(lo_ok) || !(hi_ok))                             \
            return 2;                                         \
        *out = (IT)x;                                         \
        return 0;                                             \
    }
NUM_TRUNC(num_i32_trunc_f32_s, float, int32_t, x >= -2147483648.0f, x < 2147483648.0f)
NUM_TRUNC(num_i32_trunc_f32_u, float, uint32_t, x > -1.0f, x < 4294967296.0f)
NUM_TRUNC(num_i32_trunc_f64_s, double, int32_t, x > -2147483649.0, x < 2147483648.0)
NUM_TRUNC(num_i32_trunc_f64_u, double, uint32_t, x > -1.0, x < 4294967296.0)
NUM_TRUNC(num_i64_trunc_f32_s, float, int64_t, x >= -9223372036854775808.0f, x < 9223372036854775808.0f)
NUM_TRUNC(num_i64_trunc_f32_u, float, uint64_t, x > -1.0f, x < 18446744073709551616.0f)
NUM_TRUNC(num_i64_trunc_f64_s, double, int64_t, x >= -9223372036854775808.0, x < 9223372036854775808.0)
NUM_TRUNC(num_i64_trunc_f64_u, double, uint64_t, x > -1.0, x < 18446744073709551616.0)
#undef NUM_TRUNC

#define NUM_SAT(name, FT, IT, lo_ok, hi_ok, lo, hi)           \
    static inline IT name(FT x)                               \
    {                                                         \
        if (x != x)                                           \
            return 0;                                         \
        if (!(lo_ok))                                         \
            return lo;                                        \
        if (!(hi_ok))                                         \
            return hi;                                        \
        return (IT)x;                                         \
    }
NUM_SAT(num_i32_sat_f32_s, float, int32_t, x >= -2147483648.0f, x < 2147483648.0f, INT32_MIN, INT32_MAX)
NUM_SAT(num_i32_sat_f32_u, float, uint32_t, x > -1.0f, x < 4294967296.0f, 0, UINT32_MAX)
NUM_SAT(num_i32_sat_f64_s, double, int32_t, x > -2147483649.0, x < 2147483648.0, INT32_MIN, INT32_MAX)
NUM_SAT(num_i32_sat_f64_u, double, uint32_t, x > -1.0, x < 4294967296.0, 0, UINT32_MAX)
NUM_SAT(num_i64_sat_f32_s, float, int64_t, x >= -9223372036854775808.0f, x < 9223372036854775808.0f, INT64_MIN, INT64_MAX)
NUM_SAT(num_i64_sat_f32_u, float, uint64_t, x > -1.0f, x < 18446744073709551616.0f, 0, UINT64_MAX)
NUM_SAT(num_i64_sat_f64_s, double, int64_t, x >= -9223372036854775808.0, x < 9223372036854775808.0, INT64_MIN, INT64_MAX)
NUM_SAT(num_i64_sat_f64_u, double, uint64_t, x > -1.0, x < 18446744073709551616.0, 0, UINT64_MAX)
#undef NUM_SAT

static inline uint32_t num_rotl32(uint32_t x, uint32_t n) { n &= 31; return n ? (x << n) | (x >> (32 - n)) : x; }
static inline uint32_t num_rotr32(uint32_t x, uint32_t n) { n &= 31; return n ? (x >> n) | (x << (32 - n)) : x; }
static inline uint64_t num_rotl64(uint64_t x, uint64_t n) { n &= 63; return n ? (x << n) | (x >> (64 - n)) : x; }
static inline uint64_t num_rotr64(uint64_t x, uint64_t n) { n &= 63; return n ? (x >> n) | (x << (64 - n)) : x; }

static inline uint32_t num_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float num_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint64_t num_f64_bits(double f) { uint64_t u; memcpy(&u, &f, 8); return u; }
static inline double num_bits_f64(uint64_t u) { double f; memcpy(&f, &u, 8); return f; }

#endif
