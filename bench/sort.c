/* sort.c: branchy code over memory: quicksort (median of three, insertion sort for short ranges)
 * and a bottom-up merge sort, on pseudo-random keys, with the result checked for order. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 13

#define MAXN (1u << 18)
static int32_t keys[MAXN], work[MAXN];

static void insertion(int32_t *a, int32_t lo, int32_t hi)
{
    for (int32_t i = lo + 1; i <= hi; i++) {
        int32_t v = a[i], j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static BENCH_NOINLINE void quicksort(int32_t *a, int32_t lo, int32_t hi)
{
    while (hi - lo > 16) {
        int32_t mid = lo + (hi - lo) / 2, t;
        if (a[mid] < a[lo]) { t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
        if (a[hi] < a[lo]) { t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
        if (a[hi] < a[mid]) { t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
        int32_t pivot = a[mid], i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                t = a[i]; a[i] = a[j]; a[j] = t;
                i++;
                j--;
            }
        }
        /* Recurse into the smaller side, loop on the larger: the depth stays logarithmic. */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion(a, lo, hi);
}

/* Returns the buffer that holds the sorted keys: each pass swaps the roles of a and tmp. */
static BENCH_NOINLINE int32_t *mergesort(int32_t *a, int32_t *tmp, uint32_t n)
{
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        int32_t *s = a;
        a = tmp;
        tmp = s;
    }
    return a;
}

static uint32_t checksum(const int32_t *a, uint32_t n)
{
    uint32_t h = 0, ordered = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (i && a[i - 1] > a[i])
            ordered = 0;
        h = bench_mix(h, (uint32_t)a[i]);
    }
    return ordered ? h : ~h;
}

uint32_t run(uint32_t n)
{
    uint32_t seed = 19, h = 0;
    uint32_t size = MAXN;
    for (uint32_t r = 0; r < n; r++) {
        for (uint32_t i = 0; i < size; i++)
            keys[i] = (int32_t)(bench_rand(&seed) % 1000000u) - 500000;
        if (r & 1) {
            h = bench_mix(h, checksum(mergesort(keys, work, size), size));
        } else {
            quicksort(keys, 0, (int32_t)size - 1);
            h = bench_mix(h, checksum(keys, size));
        }
    }
    return h;
}
