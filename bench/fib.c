/* fib.c: deep call chains: doubly recursive Fibonacci, a call and a return for almost every add. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 38

static BENCH_NOINLINE uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

uint32_t run(uint32_t n)
{
    return fib(n);
}
