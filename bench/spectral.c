/* spectral.c: floating point with division in the inner loop: the spectral norm of an infinite matrix,
 * by power iteration (A times u, then A transposed). */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 1400

#define MAXN 2000
static double u[MAXN], v[MAXN], tmp[MAXN];

static inline double a(uint32_t i, uint32_t j)
{
    return 1.0 / ((double)((i + j) * (i + j + 1) / 2 + i + 1));
}

static BENCH_NOINLINE void mul_av(uint32_t n, const double *x, double *y)
{
    for (uint32_t i = 0; i < n; i++) {
        double s = 0;
        for (uint32_t j = 0; j < n; j++)
            s += a(i, j) * x[j];
        y[i] = s;
    }
}

static BENCH_NOINLINE void mul_atv(uint32_t n, const double *x, double *y)
{
    for (uint32_t i = 0; i < n; i++) {
        double s = 0;
        for (uint32_t j = 0; j < n; j++)
            s += a(j, i) * x[j];
        y[i] = s;
    }
}

static void mul_atav(uint32_t n, const double *x, double *y)
{
    mul_av(n, x, tmp);
    mul_atv(n, tmp, y);
}

uint32_t run(uint32_t n)
{
    if (n > MAXN)
        n = MAXN;
    for (uint32_t i = 0; i < n; i++)
        u[i] = 1;
    for (int k = 0; k < 10; k++) {
        mul_atav(n, u, v);
        mul_atav(n, v, u);
    }
    double vbv = 0, vv = 0;
    for (uint32_t i = 0; i < n; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    return (uint32_t)(int64_t)(__builtin_sqrt(vbv / vv) * 1e9);
}
