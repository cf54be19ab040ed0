/* memwalk.c: memory access patterns: a dependent random walk (pointer chasing through a permutation),
 * strided sums at several strides, and block copies word by word and byte by byte, over a 4 MiB area. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 20

#define WORDS (1u << 20)
static uint32_t next[WORDS];
static uint32_t data[WORDS];
static uint8_t bytes[1u << 16];
static uint8_t bytes_out[1u << 16];

/* Sattolo's shuffle: one single cycle through every slot, so the walk visits all of them. */
static void make_cycle(uint32_t seed)
{
    for (uint32_t i = 0; i < WORDS; i++)
        next[i] = i;
    for (uint32_t i = WORDS - 1; i > 0; i--) {
        uint32_t j = bench_rand(&seed) % i;
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
}

static BENCH_NOINLINE uint32_t chase(uint32_t steps)
{
    uint32_t p = 0, h = 0;
    for (uint32_t i = 0; i < steps; i++) {
        p = next[p];
        h += p;
    }
    return h ^ p;
}

static BENCH_NOINLINE uint32_t strided(uint32_t stride)
{
    uint32_t s = 0;
    for (uint32_t start = 0; start < stride; start++)
        for (uint32_t i = start; i < WORDS; i += stride)
            s += data[i] ^ i;
    return s;
}

static BENCH_NOINLINE void copy_words(uint32_t *dst, const uint32_t *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        dst[i] = src[i] + 1;
}

static BENCH_NOINLINE void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
    /* The xor keeps this a loop of byte loads and stores rather than a call to memcpy. */
    for (uint32_t i = 0; i < n; i++)
        dst[i] = src[i] ^ (uint8_t)i;
}

uint32_t run(uint32_t n)
{
    make_cycle(2463534242u);
    uint32_t seed = 7;
    for (uint32_t i = 0; i < WORDS; i++)
        data[i] = bench_rand(&seed);
    for (uint32_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)bench_rand(&seed);
    uint32_t h = 0;
    for (uint32_t r = 0; r < n; r++) {
        h = bench_mix(h, chase(WORDS / 4));
        h = bench_mix(h, strided(1 + (r % 3) * 7));
        h = bench_mix(h, strided(64));
        copy_words(data + (r & 1) * (WORDS / 2), data + (~r & 1) * (WORDS / 2), WORDS / 2);
        for (int k = 0; k < 4; k++) {
            copy_bytes(bytes_out, bytes, sizeof bytes);
            copy_bytes(bytes, bytes_out, sizeof bytes);
        }
        h = bench_mix(h, data[r % WORDS] ^ bytes[r % sizeof bytes]);
    }
    return h;
}
