/* jail_test_cg.c: `lodged jail-test` cases for the cgroups: a CPU cap and weights measured from the groups'
 * CPU accounting, a memory limit against an allocation bomb, a pids limit. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mgr/jail_test.h"
#include "mgr/mgr.h"

/* ---- Cgroups -------------------------------------------------------------------------------------- */

int jt_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* `jail-test busy --secs N [--cpu C]`: spins (pinned to CPU C) for N seconds of wall time. */
int jt_busy(int argc, char **argv)
{
    double secs = atof(jt_arg(argc, argv, "--secs", "5"));
    const char *cpu = jt_arg(argc, argv, "--cpu", NULL);
    if (cpu) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(atoi(cpu), &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0)
            return 3;
    }
    double end = jt_now() + secs;
    volatile uint64_t x = 0;
    while (jt_now() < end)
        for (int i = 0; i < 100000; i++)
            x += (uint64_t)i;
    return x == 1 ? 1 : 0; /* read once, so the sum is used */
}

/* `jail-test bomb`: allocates and touches 16 MiB at a time up to 4 GiB. */
int jt_bomb(int argc, char **argv)
{
    for (int i = 0; i < 256; i++) {
        char *p = malloc(16 << 20);
        if (!p) {
            printf("allocation failed after %d MiB\n", i * 16);
            return 3;
        }
        memset(p, 1, 16 << 20);
    }
    printf("allocated 4 GiB\n");
    return 0;
}

static void *idle_thread(void *p)
{
    pause();
    return NULL;
}

/* `jail-test threads --n N`: starts N threads; prints how many started. */
int jt_threads(int argc, char **argv)
{
    int n = atoi(jt_arg(argc, argv, "--n", "64")), ok = 0;
    for (int i = 0; i < n; i++) {
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 64 << 10);
        if (pthread_create(&th, &at, idle_thread, NULL) == 0)
            ok++;
        pthread_attr_destroy(&at);
    }
    printf("started %d of %d threads\n", ok, n);
    fflush(stdout);
    /* Out at once: the threads stay parked, and at the pids limit a sanitizer's exit check could not start
     * its tracer process. */
    _exit(0);
}

JailCgroups *jt_cgroups_open(T *t)
{
    char err[256], parent[64];
    snprintf(parent, sizeof parent, "lodge-test-%d", (int)getpid());
    JailCgroups *cg = jail_cgroups_open(parent, err, sizeof err);
    if (!cg)
        printf("FAIL: %s\n", err);
    else
        printf("cgroups: %s\n", jail_cgroups_describe(cg));
    return cg;
}

void jt_cgroups_close(JailCgroups *cg)
{
    /* The parent group goes too: the tests leave nothing behind. */
    char err[256];
    if (jail_cgroups_usable(cg))
        jail_cgroup_remove_parent(cg, err, sizeof err);
    jail_cgroups_close(cg);
}

static bool spawn_in(const JailCgroups *cg, const char *name, const JailLimits *lim, char **args, JailChild *jc,
                     T *t)
{
    JailSpec spec = {.name = name, .cgroups = cg, .limits = *lim, .stdio_set = true, .stdio = {-1, 1, 2}};
    char err[1024];
    if (!jail_spawn(&spec, args, jc, err, sizeof err)) {
        jt_check(t, false, "spawn %s: %s", name, err);
        return false;
    }
    printf("%s: %s\n", name, jc->report);
    return true;
}

static bool usage_ns(const JailCgroups *cg, const char *name, uint64_t *ns)
{
    JailUsage u;
    char err[256];
    if (!jail_cgroup_usage(cg, name, &u, err, sizeof err) || !(u.have & JAIL_CG_CPU))
        return false;
    *ns = u.cpu_ns;
    return true;
}

/* Share of one CPU used by the group over secs (percent). */
static double measure_pct(const JailCgroups *cg, const char *name, double secs)
{
    uint64_t a, b;
    double t0 = jt_now();
    if (!usage_ns(cg, name, &a))
        return -1;
    nanosleep(&(struct timespec){(time_t)secs, (long)((secs - (time_t)secs) * 1e9)}, NULL);
    double t1 = jt_now();
    if (!usage_ns(cg, name, &b))
        return -1;
    return (double)(b - a) / 1e9 / (t1 - t0) * 100;
}

/* `jail-test cpu-cap --pct P --secs S`: a busy loop capped at P% holds within 5 points; then lowered to P/2
 * while it runs. */
int jt_cpu_cap(int argc, char **argv)
{
    T t = {0};
    int pct = atoi(jt_arg(argc, argv, "--pct", "20"));
    double secs = atof(jt_arg(argc, argv, "--secs", "3"));
    JailCgroups *cg = jt_cgroups_open(&t);
    if (!cg)
        return MGR_EXIT_ERROR;
    if ((jail_cgroups_usable(cg) & JAIL_CG_CPU) == 0) {
        jt_skip(&t, "CPU cap", jail_cgroups_describe(cg));
        jt_cgroups_close(cg);
        return jt_finish(&t);
    }
    /* A high weight for the test's parent group: the cap, not the neighbours on this host, should decide. */
    char err[256];
    jail_set_cpu(cg, NULL, 10000, 0, err, sizeof err);
    JailLimits lim = {.cpu_max_pct = (unsigned)pct};
    char total[16];
    snprintf(total, sizeof total, "%g", secs * 1.7 + 2);
    char *args[] = {"lodged", "jail-test", "busy", "--secs", total, NULL};
    JailChild jc;
    if (spawn_in(cg, "capped", &lim, args, &jc, &t)) {
        jt_check(&t, jc.in_force & JAIL_CG_CPU, "the guest's CPU group is in force");
        nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
        double m = measure_pct(cg, "capped", secs);
        if (m < 0)
            jt_skip(&t, "CPU cap measure", "no CPU accounting (cpuacct / cpu.stat) readable");
        else
            jt_check(&t, m >= pct - 5 && m <= pct + 5, "a CPU cap of %d%% holds within 5 points over %gs: measured %.1f%%",
                  pct, secs, m);
        int low = pct / 2;
        bool set = jail_set_cpu(cg, "capped", 0, (unsigned)low, err, sizeof err);
        jt_check(&t, set, "the cap changes while it runs (%s)", set ? "written" : err);
        m = measure_pct(cg, "capped", secs / 2);
        if (m >= 0)
            jt_check(&t, m >= low - 5 && m <= low + 5, "the new cap of %d%% holds over %gs: measured %.1f%%", low,
                  secs / 2, m);
        kill(jc.pid, SIGKILL);
        jt_wait(jc.pid, 5);
        err[0] = '\0';
        bool rm = jail_cgroup_remove(cg, "capped", err, sizeof err);
        jt_check(&t, rm, "the guest's group is removed%s%s", rm ? "" : ": ", rm ? "" : err);
    }
    jt_cgroups_close(cg);
    return jt_finish(&t);
}

/* `jail-test cpu-weight --secs S`: two busy loops pinned to one CPU with weights 200 and 100 share it 2:1. */
int jt_cpu_weight(int argc, char **argv)
{
    T t = {0};
    double secs = atof(jt_arg(argc, argv, "--secs", "3"));
    JailCgroups *cg = jt_cgroups_open(&t);
    if (!cg)
        return MGR_EXIT_ERROR;
    if ((jail_cgroups_usable(cg) & JAIL_CG_CPU) == 0) {
        jt_skip(&t, "CPU weight", jail_cgroups_describe(cg));
        jt_cgroups_close(cg);
        return jt_finish(&t);
    }
    char err[256];
    jail_set_cpu(cg, NULL, 10000, 0, err, sizeof err);
    char total[16];
    snprintf(total, sizeof total, "%g", secs + 2);
    char *args[] = {"lodged", "jail-test", "busy", "--secs", total, "--cpu", "0", NULL};
    JailLimits heavy = {.cpu_weight = 200}, light = {.cpu_weight = 100};
    JailChild a, b;
    bool okA = spawn_in(cg, "heavy", &heavy, args, &a, &t);
    bool okB = okA && spawn_in(cg, "light", &light, args, &b, &t);
    if (okA && okB) {
        nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
        uint64_t a0, b0, a1, b1;
        bool r = usage_ns(cg, "heavy", &a0) && usage_ns(cg, "light", &b0);
        nanosleep(&(struct timespec){(time_t)secs, (long)((secs - (time_t)secs) * 1e9)}, NULL);
        r = r && usage_ns(cg, "heavy", &a1) && usage_ns(cg, "light", &b1);
        if (!r) {
            jt_skip(&t, "CPU weight measure", "no CPU accounting readable");
        } else {
            double ra = (double)(a1 - a0) / 1e9, rb = (double)(b1 - b0) / 1e9;
            double ratio = rb > 0 ? ra / rb : 0;
            jt_check(&t, ratio >= 1.6 && ratio <= 2.5,
                  "weights 200:100 on one CPU share it %.2f:1 (%.2fs and %.2fs of CPU over %gs)", ratio, ra, rb, secs);
        }
    }
    if (okA) {
        kill(a.pid, SIGKILL);
        jt_wait(a.pid, 5);
    }
    if (okB) {
        kill(b.pid, SIGKILL);
        jt_wait(b.pid, 5);
    }
    jail_cgroup_remove(cg, "heavy", err, sizeof err);
    jail_cgroup_remove(cg, "light", err, sizeof err);
    jt_cgroups_close(cg);
    return jt_finish(&t);
}

/* `jail-test mem-bomb --mib M`: an allocation bomb in a group limited to M MiB dies or fails; we live on. */
int jt_mem_bomb(int argc, char **argv)
{
    T t = {0};
    uint64_t mib = strtoull(jt_arg(argc, argv, "--mib", "64"), NULL, 10);
    JailCgroups *cg = jt_cgroups_open(&t);
    if (!cg)
        return MGR_EXIT_ERROR;
    if ((jail_cgroups_usable(cg) & JAIL_CG_MEM) == 0) {
        jt_skip(&t, "memory limit", jail_cgroups_describe(cg));
        jt_cgroups_close(cg);
        return jt_finish(&t);
    }
    JailLimits lim = {.mem_max = mib << 20};
    char *args[] = {"lodged", "jail-test", "bomb", NULL};
    JailChild jc;
    char err[256];
    if (spawn_in(cg, "bomb", &lim, args, &jc, &t)) {
        jt_check(&t, jc.in_force & JAIL_CG_MEM, "the guest's memory group is in force");
        int st = jt_wait(jc.pid, 20);
        bool died = st >= 0 && ((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) || (WIFEXITED(st) && WEXITSTATUS(st) == 3));
        JailUsage u;
        bool have = jail_cgroup_usage(cg, "bomb", &u, err, sizeof err);
        jt_check(&t, died, "an allocation bomb under a %" PRIu64 " MiB limit is killed or refused (status %#x, %s%" PRIu64
              " OOM kills, peak %" PRIu64 " MiB)", mib, st, have ? "" : "? ", u.oom_kills, u.mem_peak >> 20);
        jt_check(&t, have && u.mem_peak <= (mib << 20), "its peak charge stayed within the limit");
        jt_check(&t, jail_cgroup_remove(cg, "bomb", err, sizeof err), "the guest's group is removed");
    }
    jt_cgroups_close(cg);
    return jt_finish(&t);
}

/* `jail-test pids --max N`: a process limited to N tasks cannot start more threads. */
int jt_pids_case(int argc, char **argv)
{
    T t = {0};
    int max = atoi(jt_arg(argc, argv, "--max", "16"));
    JailCgroups *cg = jt_cgroups_open(&t);
    if (!cg)
        return MGR_EXIT_ERROR;
    if ((jail_cgroups_usable(cg) & JAIL_CG_PIDS) == 0) {
        jt_skip(&t, "pids limit", jail_cgroups_describe(cg));
        jt_cgroups_close(cg);
        return jt_finish(&t);
    }
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return MGR_EXIT_ERROR;
    JailLimits lim = {.pids_max = (uint64_t)max};
    JailSpec spec = {.name = "pids", .cgroups = cg, .limits = lim, .stdio_set = true, .stdio = {-1, out[1], 2}};
    char *args[] = {"lodged", "jail-test", "threads", "--n", "64", NULL};
    JailChild jc;
    char err[1024];
    bool ok = jail_spawn(&spec, args, &jc, err, sizeof err);
    close(out[1]);
    if (ok) {
        char buf[256] = "";
        ssize_t n = read(out[0], buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = '\0';
        int started = -1;
        sscanf(buf, "started %d", &started);
        jt_check(&t, started >= 1 && started < max, "with pids.max %d, %d of 64 threads started", max, started);
        jt_wait(jc.pid, 10);
        jail_cgroup_remove(cg, "pids", err, sizeof err);
    } else {
        jt_check(&t, false, "spawn: %s", err);
    }
    close(out[0]);
    jt_cgroups_close(cg);
    return jt_finish(&t);
}


/* `jail-test spawn-rate --n N`: how long jail_spawn takes from the call to the program's exec, in the full
 * jail and, interleaved (so both see the same load), with every protection turned off (milliseconds). */
int jt_spawn_rate(int argc, char **argv)
{
    T t = {0};
    int n = atoi(jt_arg(argc, argv, "--n", "50"));
    if (n < 1 || n > 10000)
        n = 50;
    double *full = calloc((size_t)n, sizeof *full), *bare = calloc((size_t)n, sizeof *bare);
    JailSpec spec = {.name = "jail-test-rate", .stdio_set = true, .stdio = {-1, -1, 2},
                     .disable = jt_prot_list(jt_arg(argc, argv, "--disable", ""))};
    JailSpec none = spec;
    none.disable = ~0u;
    char *args[] = {"lodged", "jail-test", "busy", "--secs", "0", NULL};
    char err[1024], report[1024] = "";
    int done = 0;
    for (int i = 0; full && bare && i < n; i++) {
        JailChild jc, jn;
        double t0 = jt_now();
        if (!jail_spawn(&spec, args, &jc, err, sizeof err)) {
            jt_check(&t, false, "spawn: %s", err);
            break;
        }
        double t1 = jt_now();
        jt_wait(jc.pid, 10);
        double t2 = jt_now();
        if (!jail_spawn(&none, args, &jn, err, sizeof err)) {
            jt_check(&t, false, "spawn without protections: %s", err);
            break;
        }
        double t3 = jt_now();
        jt_wait(jn.pid, 10);
        full[i] = (t1 - t0) * 1e3;
        bare[i] = (t3 - t2) * 1e3;
        snprintf(report, sizeof report, "%s", jc.report);
        done++;
    }
    if (done == n) {
        qsort(full, (size_t)n, sizeof *full, jt_cmp_double);
        qsort(bare, (size_t)n, sizeof *bare, jt_cmp_double);
        printf("jail: %s\n", report);
        /* Only a bound for regressions (a sleep or a timeout on the way): timings on a shared, loaded host
         * vary tenfold. Quiet, the jail takes about 1.3 ms and a bare spawn 0.5 ms. */
        jt_check(&t, full[n / 2] < 100.0,
                 "%d spawns to exec: jailed median %.2f ms (slowest %.2f), without protections median %.2f ms "
                 "(slowest %.2f)", n, full[n / 2], full[n - 1], bare[n / 2], bare[n - 1]);
    }
    free(full);
    free(bare);
    return jt_finish(&t);
}
