/* tak.c: the Takeuchi function, an Ackermann-like recursion with three arguments and nested calls,
 * then Ackermann itself at a depth that every engine's default stack holds. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 350

static BENCH_NOINLINE int32_t tak(int32_t x, int32_t y, int32_t z)
{
    if (y >= x)
        return z;
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

static BENCH_NOINLINE uint32_t ack(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

uint32_t run(uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++) {
        h = bench_mix(h, (uint32_t)tak(18 + (int32_t)(i & 1), 12, 6));
        h = bench_mix(h, ack(2, 300 + (i & 7)));
    }
    return h;
}
