/* hash.c: integer hashing over a buffer: table-driven CRC-32 (byte loads, table lookups) and a
 * 64-bit multiply-rotate hash over words (i64 arithmetic). */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 1000

#define BUF_BYTES (64u * 1024)
static uint8_t buf[BUF_BYTES];
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static BENCH_NOINLINE uint32_t crc32(const uint8_t *p, uint32_t len)
{
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < len; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

static BENCH_NOINLINE uint64_t hash64(const uint8_t *p, uint32_t len, uint64_t seed)
{
    uint64_t h = seed ^ (len * 0x9E3779B97F4A7C15ull);
    for (uint32_t i = 0; i + 8 <= len; i += 8) {
        uint64_t w = 0;
        for (int k = 7; k >= 0; k--)
            w = w << 8 | p[i + (uint32_t)k];
        w *= 0x87C37B91114253D5ull;
        w = w << 31 | w >> 33;
        h ^= w * 0x4CF5AD432745937Full;
        h = (h << 27 | h >> 37) * 5 + 0x52DCE729;
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    return h ^ (h >> 33);
}

uint32_t run(uint32_t n)
{
    uint32_t seed = 2463534242u;
    for (uint32_t i = 0; i < BUF_BYTES; i++)
        buf[i] = (uint8_t)bench_rand(&seed);
    crc_init();
    uint32_t h = 0;
    for (uint32_t i = 0; i < n; i++) {
        buf[i % BUF_BYTES] ^= (uint8_t)i;
        h = bench_mix(h, crc32(buf, BUF_BYTES));
        uint64_t x = hash64(buf, BUF_BYTES, i);
        h = bench_mix(h, (uint32_t)x ^ (uint32_t)(x >> 32));
    }
    return h;
}
