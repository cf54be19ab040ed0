/* sieve.c: the sieve of Eratosthenes over a byte array, repeated: an integer loop with byte stores
 * at growing strides. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 50

#define LIMIT (1u << 20)
static uint8_t composite[LIMIT];

static BENCH_NOINLINE uint32_t sieve(uint32_t limit)
{
    for (uint32_t i = 0; i < limit; i++)
        composite[i] = 0;
    uint32_t count = 0, sum = 0;
    for (uint32_t i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        sum += i;
        for (uint32_t j = i * 2; j < limit; j += i)
            composite[j] = 1;
    }
    return count * 31u + sum;
}

uint32_t run(uint32_t n)
{
    uint32_t h = 0;
    for (uint32_t i = 0; i < n; i++)
        h = bench_mix(h, sieve(LIMIT - (i & 255)));
    return h;
}
