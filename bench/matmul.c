/* matmul.c: memory access patterns: a dense f64 matrix product the naive way (B walked down columns,
 * a stride of a whole row per step), then an integer transpose-and-add that strides the other way. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 450

#define MAXN 512
static double A[MAXN * MAXN], B[MAXN * MAXN], C[MAXN * MAXN];
static uint32_t P[MAXN * MAXN], Q[MAXN * MAXN];

uint32_t run(uint32_t n)
{
    if (n > MAXN)
        n = MAXN;
    uint32_t seed = 88172645u;
    for (uint32_t i = 0; i < n * n; i++) {
        A[i] = (double)(bench_rand(&seed) & 1023) / 512.0 - 1.0;
        B[i] = (double)(bench_rand(&seed) & 1023) / 512.0 - 1.0;
        P[i] = bench_rand(&seed);
    }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            double s = 0;
            for (uint32_t k = 0; k < n; k++)
                s += A[i * n + k] * B[k * n + j];
            C[i * n + j] = s;
        }
    for (uint32_t r = 0; r < 8; r++)
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t j = 0; j < n; j++)
                Q[j * n + i] = P[i * n + j] + Q[i * n + j] * 3 + r;
    uint32_t h = 0;
    for (uint32_t i = 0; i < n * n; i += 7) {
        h = bench_mix(h, (uint32_t)(int32_t)(C[i] * 1024.0));
        h = bench_mix(h, Q[i]);
    }
    return h;
}
