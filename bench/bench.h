/* bench.h: what every benchmark program shares: the exported entry's attribute, a seeded generator,
 * and the few libc routines the compiler may call, defined here because the wasm build has no libc.
 * Each program defines `uint32_t run(uint32_t n)` returning a checksum every engine must agree on. */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_EXPORT __attribute__((visibility("default")))
#define BENCH_NOINLINE __attribute__((noinline))

/* The one entry point; n scales the work (bench/run.sh picks it per program). */
BENCH_EXPORT uint32_t run(uint32_t n);

/* xorshift32: cheap, deterministic and identical on every engine, so inputs need no data section. */
static inline uint32_t bench_rand(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* Mixes a value into a running checksum (FNV-1a over the four bytes, folded into one step). */
static inline uint32_t bench_mix(uint32_t h, uint32_t v)
{
    return (h ^ v) * 16777619u + (v >> 7);
}

#ifdef __wasm__
/* Without libc the compiler still lowers copy and clear loops to these calls; natively libc has them.
 * A function named memset or memcpy is never turned back into a call to itself by clang. */
void *memset(void *dst, int c, size_t len);
void *memcpy(void *restrict dst, const void *restrict src, size_t len);
__attribute__((weak)) void *memset(void *dst, int c, size_t len)
{
    unsigned char *d = dst;
    while (len--)
        *d++ = (unsigned char)c;
    return dst;
}
__attribute__((weak)) void *memcpy(void *restrict dst, const void *restrict src, size_t len)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (len--)
        *d++ = *s++;
    return dst;
}
#endif

#endif
