/* sweep.c: every allocation of a whole WASI run fails in turn. One run is: engine, module (decode and
 * validate a clang-built program), store, WASI context (lodge_wasi_*, on the store's account), linking,
 * instantiation, then _start to the end
 * (functions are lowered on their first call, inside the run). Two sweeps:
 *   raw:    the k-th malloc/calloc/realloc of the run returns NULL (the linker's --wrap), for every k;
 *   charge: the store's allocator refuses its k-th charge (Alloc.fail_at), for every k: that covers the
 *           pages of linear memory and of the guest's stacks, which are charged without a malloc.
 * Each failing run must end in a NOMEM error or an "out of memory" trap, or (when the failure was
 * absorbed, e.g. by a host function reporting ENOMEM to the guest) with the guest's own exit; never a
 * crash, and a run that completes prints what the reference run printed. Leaks are the sanitizer's to
 * find (build-san). When the runs would take longer than the time budget, k is sampled evenly and the
 * output says so. Usage: sweep [-t SECONDS] [-b] [-p] PROGRAM.wasm [ARGS...] (-b: explicit bounds
 * checks instead of guard pages; -p: one engine for all runs, so memories and stacks come from its pools);
 * prints "N passed, N failed". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lodge.h"
#include "wasm/runtime.h"

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t k);
void *__wrap_realloc(void *p, size_t n);

static bool bounds_checks; /* -b: the engine uses explicit bounds checks, not guard pages */
static lodge_engine_t *shared_engine; /* -p: one engine for every run (its pools of memories and stacks
                                       * warm), created before the runs, so not swept itself */
static long raw_calls;     /* allocations since the run was armed */
static long raw_fail_at;   /* fail this one (1-based); 0: none */
static int armed;

static int fail_now(void)
{
    if (!armed)
        return 0;
    return ++raw_calls == raw_fail_at;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t k) { return fail_now() ? NULL : __real_calloc(n, k); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }

typedef enum Result { R_DONE, R_NOMEM, R_OOM_TRAP, R_GUEST_EXIT, R_BAD } Result;
static const char *result_name[] = {"completed", "NOMEM error", "out-of-memory trap", "guest exit", "WRONG"};

typedef struct Run {
    Result result;
    char why[300];           /* for R_BAD: the step and its error */
    uint64_t store_charges;  /* the store's allocator calls, at the end */
    int exit_code;
} Run;

typedef struct Prog {
    uint8_t *bytes;
    size_t len;
    int argc;
    const char *const *argv;
    int out_fd;              /* the guest's stdout: a file, compared with the reference */
    int null_fd;
} Prog;

static Result bad(Run *r, const char *step, const lodge_error_t *err)
{
    snprintf(r->why, sizeof r->why, "%s: status %d trap %d: %s", step, err->status, err->trap, err->message);
    return R_BAD;
}

/* A step that failed: out of memory is the only acceptable reason. */
static Result failed_step(Run *r, const char *step, const lodge_error_t *err)
{
    if (err->status == LODGE_ERR_NOMEM)
        return R_NOMEM;
    if (err->status == LODGE_ERR_TRAP && (err->trap == LODGE_TRAP_OUT_OF_MEMORY || err->trap == LODGE_TRAP_MEMORY_LIMIT))
        return R_OOM_TRAP;
    return bad(r, step, err);
}

static Result run_steps(const Prog *p, uint64_t store_fail_at, Run *r, lodge_engine_t *e)
{
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    Result res;
    lodge_module_t *m = lodge_module_new(e, p->bytes, p->len, &err);
    if (!m)
        return failed_step(r, "module", &err);
    lodge_store_t *s = lodge_store_new(e, NULL);
    if (!s) {
        res = R_NOMEM; /* NULL only when out of memory */
        goto out;
    }
    if (store_fail_at) /* the store's own block was its first charge (the raw sweep fails that one) */
        s->alloc.fail_at = s->alloc.calls + store_fail_at;
    lodge_wasi_config_t cfg = {.argc = p->argc, .argv = p->argv, .stdin_fd = p->null_fd, .stdout_fd = p->out_fd,
                               .stderr_fd = p->null_fd};
    lodge_wasi_t *w = lodge_wasi_new(s, &cfg, &err);
    if (!w) {
        res = failed_step(r, "wasi context", &err);
        goto out;
    }
    lodge_instance_t *in = lodge_wasi_instantiate(w, m, &err);
    if (!in) {
        res = failed_step(r, "instantiate", &err);
        goto out;
    }
    int code = 0;
    if (!lodge_wasi_run(w, in, &code, &err))
        res = failed_step(r, "_start", &err);
    else if (code == 0)
        res = R_DONE;
    else {
        r->exit_code = code;
        res = R_GUEST_EXIT;
    }
out:
    if (s)
        r->store_charges = s->alloc.calls;
    lodge_store_delete(s); /* the WASI context goes with it */
    lodge_module_delete(m);
    return res;
}

/* One whole run with the k-th raw allocation failing (0: none) and the store's k-th charge failing. */
static Run run_once(const Prog *p, long raw_k, uint64_t store_k)
{
    Run r;
    memset(&r, 0, sizeof r);
    if (ftruncate(p->out_fd, 0) != 0 || lseek(p->out_fd, 0, SEEK_SET) != 0) {
        snprintf(r.why, sizeof r.why, "cannot reset the output file");
        r.result = R_BAD;
        return r;
    }
    raw_calls = 0;
    raw_fail_at = raw_k;
    armed = 1;
    lodge_config_t cfg = {.bounds_checks = bounds_checks};
    lodge_engine_t *e = shared_engine ? shared_engine : lodge_engine_new(&cfg);
    if (!e)
        r.result = R_NOMEM;
    else
        r.result = run_steps(p, store_k, &r, e);
    if (e != shared_engine)
        lodge_engine_delete(e);
    armed = 0;
    return r;
}

static char *slurp_fd(int fd, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return NULL;
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return NULL;
    ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
    *len = n < 0 ? 0 : (size_t)n;
    buf[*len] = 0;
    return buf;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct Tally {
    long runs, counts[5];
} Tally;

/* Sweep k over 1..n (every `step`-th), failing the raw allocation (raw) or the store's charge. */
static int sweep(const Prog *p, bool raw, long n, long step, const char *ref, size_t ref_len, Tally *t)
{
    int bad_runs = 0;
    for (long k = 1; k <= n; k += step) {
        Run r = run_once(p, raw ? k : 0, raw ? 0 : (uint64_t)k);
        t->runs++;
        t->counts[r.result]++;
        if (r.result == R_DONE) {
            size_t len;
            char *out = slurp_fd(p->out_fd, &len);
            if (!out || len != ref_len || memcmp(out, ref, len) != 0) {
                snprintf(r.why, sizeof r.why, "completed with different output (%zu bytes, reference %zu)", len,
                         ref_len);
                r.result = R_BAD;
            }
            free(out);
        }
        if (getenv("SWEEP_VERBOSE") && r.result == R_DONE)
            printf("  %s allocation %ld failed and the run completed\n", raw ? "raw" : "store", k);
        if (r.result == R_BAD) {
            if (bad_runs++ < 10)
                printf("FAIL %s allocation %ld: %s\n", raw ? "raw" : "store", k, r.why);
        }
    }
    return bad_runs;
}

int main(int argc, char **argv)
{
    double budget = 40;
    bool shared = false;
    int a = 1;
    for (;;) {
        if (a + 1 < argc && strcmp(argv[a], "-t") == 0) {
            budget = atof(argv[a + 1]);
            a += 2;
        } else if (a < argc && strcmp(argv[a], "-b") == 0) {
            bounds_checks = true;
            a++;
        } else if (a < argc && strcmp(argv[a], "-p") == 0) {
            shared = true;
            a++;
        } else {
            break;
        }
    }
    if (a >= argc) {
        fprintf(stderr, "usage: %s [-t SECONDS] [-b] [-p] PROGRAM.wasm [ARGS...]\n", argv[0]);
        return 2;
    }
    Prog p = {.argc = argc - a, .argv = (const char *const *)argv + a};
    FILE *f = fopen(argv[a], "rb");
    if (!f) {
        fprintf(stderr, "sweep: cannot open %s: %s\n", argv[a], strerror(errno));
        return 2;
    }
    fseek(f, 0, SEEK_END);
    p.len = (size_t)ftell(f);
    rewind(f);
    p.bytes = malloc(p.len);
    if (!p.bytes || fread(p.bytes, 1, p.len, f) != p.len) {
        fprintf(stderr, "sweep: cannot read %s\n", argv[a]);
        return 2;
    }
    fclose(f);
    const char *tmpdir = getenv("TMPDIR");
    char tpath[4096];
    snprintf(tpath, sizeof tpath, "%s/lodge-sweep.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    p.out_fd = mkstemp(tpath);
    p.null_fd = open("/dev/null", O_RDWR);
    if (p.out_fd < 0 || p.null_fd < 0) {
        fprintf(stderr, "sweep: cannot create the output file: %s\n", strerror(errno));
        return 2;
    }
    unlink(tpath);

    if (shared) {
        lodge_config_t cfg = {.bounds_checks = bounds_checks};
        shared_engine = lodge_engine_new(&cfg);
        Run warm = run_once(&p, 0, 0); /* fills the engine's type registry and its pools */
        if (!shared_engine || warm.result != R_DONE) {
            printf("FAIL warm-up run: %s\n", warm.why);
            printf("0 passed, 1 failed\n");
            return 1;
        }
    }
    /* The reference: nothing fails. It counts the allocations to sweep over. */
    double t0 = now();
    Run ref = run_once(&p, 0, 0);
    double per_run = now() - t0;
    long nraw = raw_calls;
    uint64_t ncharges = ref.store_charges - 1;
    size_t ref_len;
    char *ref_out = slurp_fd(p.out_fd, &ref_len);
    if (ref.result != R_DONE || !ref_out || ref_len == 0) {
        printf("FAIL reference run: %s %s\n", result_name[ref.result], ref.why);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    long total = nraw + (long)ncharges;
    long step = 1;
    if (per_run * (double)total > budget)
        step = (long)(per_run * (double)total / budget) + 1;
    printf("%s: %ld allocations, %llu store charges in one run (%.1f ms a run)%s\n", argv[a], nraw,
           (unsigned long long)ncharges, per_run * 1e3,
           step > 1 ? "" : "; every one fails in turn");
    if (step > 1)
        printf("sampling: every %ld-th allocation fails (evenly spread, within a %.0f s budget)\n", step, budget);

    Tally traw = {0}, tstore = {0};
    int bad_raw = sweep(&p, true, nraw, step, ref_out, ref_len, &traw);
    int bad_store = sweep(&p, false, (long)ncharges, step, ref_out, ref_len, &tstore);
    for (int i = 0; i < 2; i++) {
        Tally *t = i ? &tstore : &traw;
        printf("%s sweep: %ld runs:", i ? "store-charge" : "raw-allocation", t->runs);
        for (int k = 0; k < 5; k++)
            if (t->counts[k])
                printf(" %ld %s,", t->counts[k], result_name[k]);
        printf("\n");
    }
    free(ref_out);
    free(p.bytes);
    lodge_engine_delete(shared_engine);
    close(p.out_fd);
    close(p.null_fd);
    int pass = (bad_raw == 0) + (bad_store == 0);
    printf("%d passed, %d failed\n", pass, 2 - pass);
    return pass == 2 ? 0 : 1;
}
