/* calls.c: indirect calls through a function table (call_indirect in wasm), the shape of virtual
 * dispatch and callbacks; each callee is small, so the cost is the call itself. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 11000000

typedef uint32_t (*Op)(uint32_t acc, uint32_t x);

static BENCH_NOINLINE uint32_t op_add(uint32_t acc, uint32_t x) { return acc + x; }
static BENCH_NOINLINE uint32_t op_xor(uint32_t acc, uint32_t x) { return acc ^ (x * 2654435761u); }
static BENCH_NOINLINE uint32_t op_rot(uint32_t acc, uint32_t x) { return (acc << 5 | acc >> 27) + x; }
static BENCH_NOINLINE uint32_t op_mul(uint32_t acc, uint32_t x) { return acc * 33u + x; }
static BENCH_NOINLINE uint32_t op_sub(uint32_t acc, uint32_t x) { return acc - (x >> 3); }
static BENCH_NOINLINE uint32_t op_mix(uint32_t acc, uint32_t x) { return bench_mix(acc, x); }
static BENCH_NOINLINE uint32_t op_neg(uint32_t acc, uint32_t x) { return ~acc + (x & 0xff); }
static BENCH_NOINLINE uint32_t op_shr(uint32_t acc, uint32_t x) { return acc ^ (acc >> 11) ^ x; }

/* Not const: the table must stay a real table in memory, read on every call. */
static Op table[8] = { op_add, op_xor, op_rot, op_mul, op_sub, op_mix, op_neg, op_shr };

/* Forwards through a chain of direct calls, so direct calls with arguments are in the mix too. */
static BENCH_NOINLINE uint32_t apply3(Op f, uint32_t acc, uint32_t x)
{
    return f(f(f(acc, x), x + 1), x + 2);
}

uint32_t run(uint32_t n)
{
    uint32_t acc = 1, seed = 12345;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = bench_rand(&seed);
        acc = apply3(table[r & 7], acc, r >> 8);
        acc = table[(r >> 3) & 7](acc, i);
    }
    return acc;
}
