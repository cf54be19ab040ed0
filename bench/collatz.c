/* collatz.c: a tight integer loop on 64-bit values (i64 in wasm): Collatz sequence lengths. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 1000000

uint32_t run(uint32_t n)
{
    uint32_t total = 0, best = 0, best_start = 0;
    for (uint32_t start = 1; start <= n; start++) {
        uint64_t x = start;
        uint32_t steps = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            steps++;
        }
        total += steps;
        if (steps > best) {
            best = steps;
            best_start = start;
        }
    }
    return total ^ (best << 20) ^ best_start;
}
