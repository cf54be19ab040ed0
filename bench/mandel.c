/* mandel.c: floating point in a data-dependent loop: the Mandelbrot set, escape counts summed. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 960

static BENCH_NOINLINE uint32_t escape(double cr, double ci, uint32_t limit)
{
    double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
    uint32_t k = 0;
    while (k < limit && zr2 + zi2 <= 4.0) {
        zi = 2 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        k++;
    }
    return k;
}

uint32_t run(uint32_t n)
{
    uint32_t h = 0, inside = 0;
    for (uint32_t y = 0; y < n; y++) {
        double ci = 2.0 * y / n - 1.0;
        for (uint32_t x = 0; x < n; x++) {
            double cr = 2.5 * x / n - 2.0;
            uint32_t k = escape(cr, ci, 200);
            inside += k == 200;
            h += k;
        }
    }
    return h ^ (inside << 16);
}
