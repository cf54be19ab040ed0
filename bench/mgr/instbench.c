/* instbench.c: how fast a new guest starts, and how many idle guests a GiB holds, through lodge.h only.
 *   instantiation: p50/p99 of lodge_store_new + instantiation (lodge_instance_new, or lodge_wasi_new +
 *   lodge_wasi_instantiate for a WASI program), deletion timed apart; each case in two modes of the same
 *   run (a baseline and the mode under test) with the ratio of their medians.
 *   requests: p50/p99 of a whole fresh-guest request for the WASI program: create, run, delete.
 *   density: N idle instances (created, never run) kept at once; the resident-set growth per instance and
 *   the instances per GiB that makes.
 * Usage: instbench [-n ITERATIONS] [-d INSTANCES] [WASI_PROGRAM.wasm]. Prints one line per figure. */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lodge.h"

/* (module (memory 1) (global (mut i32) (i32.const 0)) (func (export "f") (result i32) (i32.const 42))) */
static const uint8_t tiny_mem[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,             /* header */
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,                   /* type: [] -> [i32] */
    0x03, 0x02, 0x01, 0x00,                                     /* func 0: type 0 */
    0x05, 0x03, 0x01, 0x00, 0x01,                               /* memory min 1 */
    0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b,             /* global mut i32 = 0 */
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,                   /* export "f" func 0 */
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,             /* code: i32.const 42 */
};
/* The same without the memory. */
static const uint8_t tiny[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b,
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static void die(const char *what, const lodge_error_t *err)
{
    fprintf(stderr, "instbench: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

typedef struct Case {
    const char *name;
    lodge_engine_t *engine;
    lodge_module_t *module;
    bool wasi;
} Case;

/* One guest: a store and its instance (and WASI context). NULL store on failure. */
static lodge_store_t *make(const Case *c, lodge_error_t *err)
{
    lodge_store_t *s = lodge_store_new(c->engine, NULL);
    if (!s)
        return NULL;
    lodge_instance_t *in;
    if (c->wasi) {
        static const char *const argv[] = {"prog"};
        lodge_wasi_config_t cfg = {.argc = 1, .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
        lodge_wasi_t *w = lodge_wasi_new(s, &cfg, err);
        in = w ? lodge_wasi_instantiate(w, c->module, err) : NULL;
    } else {
        in = lodge_instance_new(s, c->module, NULL, 0, err);
    }
    if (!in) {
        lodge_store_delete(s);
        return NULL;
    }
    return s;
}

typedef struct Times {
    double create_p50, create_p99, delete_p50;
} Times;

static Times time_case(const Case *c, int iters)
{
    double *cr = malloc(sizeof *cr * (size_t)iters), *de = malloc(sizeof *de * (size_t)iters);
    lodge_error_t err;
    for (int i = 0; i < iters / 10 + 10; i++) { /* warm up (lowering, caches, the pools) */
        lodge_store_t *s = make(c, &err);
        if (!s)
            die(c->name, &err);
        lodge_store_delete(s);
    }
    for (int i = 0; i < iters; i++) {
        double t0 = now_ns();
        lodge_store_t *s = make(c, &err);
        double t1 = now_ns();
        if (!s)
            die(c->name, &err);
        lodge_store_delete(s);
        double t2 = now_ns();
        cr[i] = t1 - t0;
        de[i] = t2 - t1;
    }
    Times t = {pct(cr, (size_t)iters, 0.5), pct(cr, (size_t)iters, 0.99), pct(de, (size_t)iters, 0.5)};
    free(cr);
    free(de);
    return t;
}

/* A fresh guest per request: create, run _start to its end (output to /dev/null), delete. */
static void time_requests(const Case *c, int iters)
{
    double *v = malloc(sizeof *v * (size_t)iters);
    int null = open("/dev/null", O_RDWR);
    lodge_error_t err;
    for (int i = -iters / 10 - 10; i < iters; i++) {
        double t0 = now_ns();
        lodge_store_t *s = lodge_store_new(c->engine, NULL);
        static const char *const argv[] = {"prog"};
        lodge_wasi_config_t cfg = {.argc = 1, .argv = argv, .stdin_fd = null, .stdout_fd = null, .stderr_fd = null};
        lodge_wasi_t *w = s ? lodge_wasi_new(s, &cfg, &err) : NULL;
        lodge_instance_t *in = w ? lodge_wasi_instantiate(w, c->module, &err) : NULL;
        int code;
        if (!in || !lodge_wasi_run(w, in, &code, &err))
            die(c->name, &err);
        lodge_store_delete(s);
        if (i >= 0)
            v[i] = now_ns() - t0;
    }
    double p50 = pct(v, (size_t)iters, 0.5), p99 = pct(v, (size_t)iters, 0.99);
    printf("run    %-34s p50 %7.2f us  p99 %7.2f us  (create, _start to the end, delete: %.0f per second)\n",
           c->name, p50 / 1e3, p99 / 1e3, 1e9 / p50);
    close(null);
    free(v);
}

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

/* N idle guests at once: resident bytes per guest (RSS growth / N). Measured in a child process, with the
 * heap trimmed first, so that memory freed by earlier cases cannot hide the growth. */
static void density(const Case *c, int n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("instbench: fork");
        return;
    }
    if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
        return;
    }
    lodge_store_t **all = calloc((size_t)n, sizeof *all);
    lodge_error_t err;
    malloc_trim(0);
    long before = rss_bytes();
    double t0 = now_ns();
    int made = 0;
    for (; made < n; made++) {
        all[made] = make(c, &err);
        if (!all[made]) {
            printf("density %-34s stopped at instance %d: %s\n", c->name, made, err.message);
            break;
        }
    }
    double t1 = now_ns();
    long after = rss_bytes();
    double per = made ? (double)(after - before) / made : 0;
    printf("density %-34s %7d idle instances: %8.0f bytes each (resident), %7.0f per GiB, %.1f us each to create\n",
           c->name, made, per, per > 0 ? (double)(1u << 30) / per : 0, made ? (t1 - t0) / made / 1e3 : 0);
    fflush(stdout);
    _exit(0);
}

static lodge_module_t *load(lodge_engine_t *e, const uint8_t *b, size_t n, const char *what)
{
    lodge_error_t err;
    lodge_module_t *m = lodge_module_new(e, b, n, &err);
    if (!m)
        die(what, &err);
    return m;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    uint8_t *b = malloc(*n);
    if (b && fread(b, 1, *n, f) != *n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static void compare(const char *what, Case *base, Case *test, int iters)
{
    Times a = time_case(base, iters), b = time_case(test, iters);
    printf("create %-34s p50 %7.2f us  p99 %7.2f us  (delete p50 %6.2f us)\n", base->name, a.create_p50 / 1e3,
           a.create_p99 / 1e3, a.delete_p50 / 1e3);
    printf("create %-34s p50 %7.2f us  p99 %7.2f us  (delete p50 %6.2f us)\n", test->name, b.create_p50 / 1e3,
           b.create_p99 / 1e3, b.delete_p50 / 1e3);
    printf("ratio  %-34s %.2fx faster at p50 (%s)\n", what, a.create_p50 / b.create_p50, "baseline / test");
}

int main(int argc, char **argv)
{
    int iters = 20000, dens = 10000;
    const char *prog = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            iters = atoi(argv[++i]);
        else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
            dens = atoi(argv[++i]);
        else
            prog = argv[i];
    }
    if (iters < 10)
        iters = 10;
    lodge_config_t copy_cfg = {.copy_data_segments = true}, checked_cfg = {.bounds_checks = true},
                   checked_copy_cfg = {.bounds_checks = true, .copy_data_segments = true};
    lodge_engine_t *e = lodge_engine_new(NULL), *ecopy = lodge_engine_new(&copy_cfg);
    lodge_engine_t *echk = lodge_engine_new(&checked_cfg), *echkcopy = lodge_engine_new(&checked_copy_cfg);
    Case t_nomem = {"tiny module, no memory", e, load(e, tiny, sizeof tiny, "tiny"), false};
    Case t_mem = {"tiny module, 1-page memory", e, load(e, tiny_mem, sizeof tiny_mem, "tiny_mem"), false};
    Times a = time_case(&t_nomem, iters), b = time_case(&t_mem, iters);
    printf("create %-34s p50 %7.2f us  p99 %7.2f us  (delete p50 %6.2f us)\n", t_nomem.name, a.create_p50 / 1e3,
           a.create_p99 / 1e3, a.delete_p50 / 1e3);
    printf("create %-34s p50 %7.2f us  p99 %7.2f us  (delete p50 %6.2f us)\n", t_mem.name, b.create_p50 / 1e3,
           b.create_p99 / 1e3, b.delete_p50 / 1e3);
    if (prog) {
        size_t n;
        uint8_t *bytes = slurp(prog, &n);
        if (!bytes) {
            fprintf(stderr, "instbench: cannot read %s\n", prog);
            return 1;
        }
        Case w_copy = {"WASI program, copying segments", ecopy, load(ecopy, bytes, n, prog), true};
        Case w_cow = {"WASI program, copy-on-write image", e, load(e, bytes, n, prog), true};
        compare("WASI program: image vs copy", &w_copy, &w_cow, iters / 4);
        time_requests(&w_cow, iters / 4);
        if (dens > 0) {
            density(&t_nomem, dens * 10);
            density(&t_mem, dens);
            density(&w_copy, dens);
            density(&w_cow, dens);
            /* Guarded memories take 8 GiB of address space each (16,384 fill 128 TiB), and every mapping
             * counts against vm.max_map_count: ten times as many, with bounds checks (compact). */
            Case c_copy = {"WASI, bounds checks, copying", echkcopy, load(echkcopy, bytes, n, prog), true};
            Case c_cow = {"WASI, bounds checks, image", echk, load(echk, bytes, n, prog), true};
            density(&c_copy, dens * 10);
            density(&c_cow, dens * 10);
            lodge_module_delete(c_copy.module);
            lodge_module_delete(c_cow.module);
        }
        lodge_module_delete(w_copy.module);
        lodge_module_delete(w_cow.module);
        free(bytes);
    } else if (dens > 0) {
        density(&t_nomem, dens * 10);
        density(&t_mem, dens);
    }
    lodge_module_delete(t_nomem.module);
    lodge_module_delete(t_mem.module);
    lodge_engine_delete(e);
    lodge_engine_delete(ecopy);
    lodge_engine_delete(echk);
    lodge_engine_delete(echkcopy);
    return 0;
}
