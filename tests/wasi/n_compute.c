/* n_compute.c: the C library and the arithmetic underneath: formatted floats, 64-bit integers,
 * sorting, a growing heap (memory.grow), string handling, strtod. Built both as WASI bytecode and
 * natively: the outputs must match. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    double v[] = {0.1, 1.0 / 3, 1e300, -2.5e-300, 123456789.125, 0.0, -0.0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        printf("%.17g %e %.3f %a\n", v[i], v[i], v[i], v[i]);
    printf("sqrt2 %.17g floor %.1f fmod %.17g\n", sqrt(2.0), floor(-2.5), fmod(10.5, 3.0));
    printf("sin %.9f exp %.9f log %.9f pow %.9f\n", sin(1.0), exp(1.0), log(10.0), pow(2.0, 0.5));
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int64_t s = -1234567890123456789ll;
    printf("u64 %" PRIu64 " %" PRIx64 " i64 %" PRId64 " div %" PRId64 " mod %" PRId64 "\n", x * 31, x >> 7, s,
           s / 7, s % 7);
    printf("rotl %" PRIx64 " clz %d popcount %d\n", (x << 13) | (x >> 51), __builtin_clzll(x >> 9),
           __builtin_popcountll(x));
    /* An 8 MB heap, filled and sorted. */
    size_t n = 2 * 1000 * 1000;
    uint32_t *a = malloc(n * sizeof *a);
    if (!a)
        return 1;
    uint32_t r = 1;
    for (size_t i = 0; i < n; i++) {
        r ^= r << 13;
        r ^= r >> 17;
        r ^= r << 5;
        a[i] = r;
    }
    qsort(a, n, sizeof *a, cmp);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i += 1000)
        sum += a[i];
    printf("sorted min %u max %u sample-sum %" PRIu64 "\n", a[0], a[n - 1], sum);
    free(a);
    char buf[128];
    snprintf(buf, sizeof buf, "%-8s|%8s|%08.3f|%+d|%x", "left", "right", 3.14159, 42, 0xBEEFu);
    printf("%s\n", buf);
    printf("strtod %.17g %.17g %.17g\n", strtod("1e-5", NULL), strtod("0x1.8p3", NULL), strtod("  -7.25e2xyz", NULL));
    char *dup = strdup("The quick brown fox");
    for (char *p = dup; *p; p++)
        if (*p == ' ')
            *p = '_';
    printf("%s %zu %s\n", dup, strlen(dup), strstr(dup, "brown"));
    free(dup);
    return 0;
}
