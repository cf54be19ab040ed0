/* pool_test.c: the worker pool end to end, through mgr/workers.h as the daemon uses it: real `lodged
 * worker` processes on real sockets. Usage: pool-test LODGED STATE_DIR WASM_DIR N
 * WASM_DIR holds n_exit.wasm (clang-built WASI), loop, bomb, recurse, divzero, idle .wasm.
 * Prints PASS/FAIL/SKIP lines and ends with "N passed, N failed, N skipped". */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mgr/jail.h"
#include "mgr/workers.h"
#include "mgr/wproto.h"

static int npass, nfail, nskip;
static const char *wasm_dir, *state_dir;

static void check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    ok ? npass++ : nfail++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Events from the pool's thread. */
static pthread_mutex_t ev_mu = PTHREAD_MUTEX_INITIALIZER;
static int crashed_events, crashed_sig9, stopped_events;

static void on_event(void *opaque, const InstanceStatus *st)
{
    (void)opaque;
    pthread_mutex_lock(&ev_mu);
    if (st->state == LODGE_STATE_CRASHED) {
        crashed_events++;
        if (strstr(st->error, "signal 9"))
            crashed_sig9++;
    } else if (st->state == LODGE_STATE_STOPPED) {
        stopped_events++;
    }
    pthread_mutex_unlock(&ev_mu);
}

static char *path_of(const char *dir, const char *name, const char *ext)
{
    char *p;
    if (asprintf(&p, "%s/%s%s", dir, name, ext) < 0)
        abort();
    return p;
}

static bool create(WorkerPool *p, const char *id, const char *module, int argc, const char *const *argv,
                   size_t max_memory, unsigned weight, const char *out)
{
    char *mod = path_of(wasm_dir, module, ".wasm"), err[256];
    InstanceSpec s = {.id = id, .module_path = mod, .argc = argc, .argv = argv, .max_memory = max_memory,
                      .cpu_weight = weight, .stdout_path = out, .stderr_path = out};
    bool ok = workers_create(p, &s, err, sizeof err) && workers_start(p, id, err, sizeof err);
    if (!ok)
        printf("    create %s: %s\n", id, err);
    free(mod);
    return ok;
}

static lodge_guest_state_t state_of(WorkerPool *p, const char *id, InstanceStatus *st)
{
    InstanceStatus local;
    if (!st)
        st = &local;
    return workers_status(p, id, st) ? st->state : (lodge_guest_state_t)-1;
}

/* Waits until id is no longer running (or the deadline); returns its state. */
static lodge_guest_state_t wait_end(WorkerPool *p, const char *id, double deadline, InstanceStatus *st)
{
    for (;;) {
        lodge_guest_state_t s = state_of(p, id, st);
        if (s != LODGE_STATE_RUNNING && s != LODGE_STATE_CREATED)
            return s;
        if (now_s() > deadline)
            return s;
        usleep(5000);
    }
}

static bool file_is(const char *path, const char *want)
{
    FILE *f = fopen(path, "r");
    char buf[256] = "";
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return strcmp(buf, want) == 0;
}

/* Thousands of clang-built WASI programs on 2 workers, hostile guests among them. */
static void many_with_hostiles(WorkerPool *p, int n, const char *outdir)
{
    const char *hostile_argv[] = {"h"};
    bool ok = create(p, "loop-a", "loop", 1, hostile_argv, 0, 100, NULL) &&
              create(p, "loop-b", "loop", 1, hostile_argv, 0, 100, NULL) &&
              create(p, "loop-c", "loop", 1, hostile_argv, 0, 100, NULL) &&
              create(p, "bomb", "bomb", 1, hostile_argv, 16u << 20, 100, NULL) &&
              create(p, "recurse", "recurse", 1, hostile_argv, 0, 100, NULL);
    int storm = 0;
    for (int i = 0; i < 200; i++) {
        char id[32];
        snprintf(id, sizeof id, "trap-%d", i);
        storm += create(p, id, "divzero", 1, hostile_argv, 0, 100, NULL);
    }
    check(ok && storm == 200, "hostile guests created and started (3 loops, a memory bomb, a recursion, 200 traps)");

    double t0 = now_s();
    int created = 0;
    for (int i = 0; i < n; i++) {
        char id[32], code[16], *out;
        snprintf(id, sizeof id, "good-%d", i);
        snprintf(code, sizeof code, "%d", i % 200);
        out = path_of(outdir, id, ".out");
        const char *argv[] = {"n_exit", "exit", code};
        created += create(p, id, "n_exit", 3, argv, 0, 100, out);
        free(out);
    }
    double t1 = now_s();
    check(created == n, "%d of %d WASI instances created and started in %.2f s (%.0f us each)", created, n, t1 - t0,
          (t1 - t0) * 1e6 / n);
    int right = 0, finished = 0;
    double deadline = now_s() + 120;
    for (int i = 0; i < n; i++) {
        char id[32], want[64], *out;
        snprintf(id, sizeof id, "good-%d", i);
        InstanceStatus st;
        if (wait_end(p, id, deadline, &st) != LODGE_STATE_STOPPED)
            continue;
        finished++;
        out = path_of(outdir, id, ".out");
        snprintf(want, sizeof want, "mode exit, code %d\n", i % 200);
        if (st.exit_code == i % 200 && file_is(out, want))
            right++;
        else if (right + 3 > finished)
            printf("    %s: exit %d, error '%s'\n", id, st.exit_code, st.error);
        free(out);
    }
    double t2 = now_s();
    check(finished == n && right == n, "%d of %d finished with the right exit code and output, %.2f s after the "
          "last start, while 3 infinite loops ran", right, n, t2 - t1);

    InstanceStatus st;
    lodge_guest_state_t s = wait_end(p, "bomb", now_s() + 20, &st);
    check(s == LODGE_STATE_STOPPED && st.exit_code == 134 && strstr(st.error, "unreachable") &&
          st.memory_bytes <= (16u << 20), "memory bomb stopped at its 16 MiB budget (%llu bytes, '%.*s')",
          (unsigned long long)st.memory_bytes, (int)strcspn(st.error, "\n"), st.error);
    s = wait_end(p, "recurse", now_s() + 20, &st);
    check(s == LODGE_STATE_STOPPED && strstr(st.error, "call stack exhausted"), "deep recursion: '%.*s'", (int)strcspn(st.error, "\n"),
          st.error);
    int traps = 0;
    for (int i = 0; i < 200; i++) {
        char id[32];
        snprintf(id, sizeof id, "trap-%d", i);
        if (wait_end(p, id, now_s() + 20, &st) == LODGE_STATE_STOPPED && strstr(st.error, "integer divide by zero"))
            traps++;
    }
    check(traps == 200, "trap storm: %d of 200 ended with 'integer divide by zero'", traps);
    InstanceStatus la, lb;
    check(state_of(p, "loop-a", &la) == LODGE_STATE_RUNNING && state_of(p, "loop-b", &lb) == LODGE_STATE_RUNNING &&
          la.cpu_ns > 0 && lb.cpu_ns > 0, "infinite loops still running (%.2f s and %.2f s of CPU)", la.cpu_ns / 1e9,
          lb.cpu_ns / 1e9);
}

static void pause_resume_stop(WorkerPool *p)
{
    char err[256];
    InstanceStatus a, b;
    bool ok = workers_pause(p, "loop-a", err, sizeof err);
    usleep(100000);
    state_of(p, "loop-a", &a);
    usleep(300000);
    state_of(p, "loop-a", &b);
    check(ok && b.state == LODGE_STATE_PAUSED && b.cpu_ns == a.cpu_ns,
          "pause: loop-a parked (cpu %.3f s then %.3f s)", a.cpu_ns / 1e9, b.cpu_ns / 1e9);
    ok = workers_resume(p, "loop-a", err, sizeof err);
    usleep(300000);
    state_of(p, "loop-a", &b);
    check(ok && b.state == LODGE_STATE_RUNNING && b.cpu_ns > a.cpu_ns, "resume: loop-a runs again (cpu %.3f s)",
          b.cpu_ns / 1e9);
    check(!workers_resume(p, "loop-a", err, sizeof err) && strstr(err, "not paused"), "resume of a running "
          "instance refused: %s", err);
    /* stop and kill answer once the guest has ended: no polling needed */
    ok = workers_stop(p, "loop-a", err, sizeof err);
    lodge_guest_state_t s = state_of(p, "loop-a", &b);
    check(ok && s == LODGE_STATE_STOPPED && b.exit_code == 143, "stop: loop-a ended as by proc_exit(143) (exit %d)",
          b.exit_code);
    ok = workers_kill(p, "loop-b", err, sizeof err);
    s = state_of(p, "loop-b", &b);
    check(ok && s == LODGE_STATE_STOPPED && b.exit_code == 137, "kill: loop-b dropped (exit %d, '%s')", b.exit_code,
          b.error);
    const char *argv[] = {"k"};
    /* fuel: a loop with a budget of 1,000,000 ends with a trap, having used it all */
    char *loop = path_of(wasm_dir, "loop", ".wasm");
    InstanceSpec fs = {.id = "fuelled", .module_path = loop, .argc = 1, .argv = argv, .fuel = 1000000};
    ok = workers_create(p, &fs, err, sizeof err) && workers_start(p, "fuelled", err, sizeof err);
    free(loop);
    s = wait_end(p, "fuelled", now_s() + 10, &b);
    check(ok && s == LODGE_STATE_STOPPED && strstr(b.error, "fuel") && b.fuel_used == 1000000 && b.memory_bytes > 0,
          "fuel 1000000: '%.*s', %llu used, %llu bytes", (int)strcspn(b.error, "\n"), b.error,
          (unsigned long long)b.fuel_used, (unsigned long long)b.memory_bytes);
    /* a start function runs at create, on the worker's control thread: cut off after 2 s */
    char *sl = path_of(wasm_dir, "startloop", ".wasm");
    InstanceSpec ss = {.id = "startloop", .module_path = sl};
    double t0 = now_s();
    ok = !workers_create(p, &ss, err, sizeof err) && strstr(err, "interrupted");
    double took = now_s() - t0;
    free(sl);
    check(ok && took < 10 && !workers_status(p, "startloop", &b), "a start function that loops: create refused "
          "after %.1f s ('%s')", took, err);
    ok = create(p, "kill-rm", "loop", 1, argv, 0, 100, NULL) && workers_kill(p, "kill-rm", err, sizeof err) &&
         workers_remove(p, "kill-rm", err, sizeof err);
    check(ok && !workers_status(p, "kill-rm", &b), "kill then remove at once: the instance is gone");
    check(!workers_start(p, "loop-b", err, sizeof err), "start of a stopped instance refused: %s", err);
    check(!workers_status(p, "no-such", &b), "status of an unknown id refused");
    InstanceSpec bad = {.id = "bad/id", .module_path = "x"};
    check(!workers_create(p, &bad, err, sizeof err), "bad id refused: %s", err);
    char *missing = path_of(wasm_dir, "missing", ".wasm");
    InstanceSpec nofile = {.id = "nofile", .module_path = missing};
    check(!workers_create(p, &nofile, err, sizeof err) && strstr(err, "missing"), "missing module refused: %s", err);
    free(missing);
    InstanceSpec dup = {.id = "loop-c", .module_path = "x"};
    check(!workers_create(p, &dup, err, sizeof err) && strstr(err, "exists"), "duplicate id refused: %s", err);
}

/* Forgets every ended instance; returns how many are left. */
static size_t remove_ended(WorkerPool *p)
{
    size_t cap = 100000, left = 0;
    InstanceStatus *all = calloc(cap, sizeof *all);
    size_t n = workers_list(p, all, cap);
    char err[256];
    for (size_t i = 0; i < n; i++) {
        if (all[i].state == LODGE_STATE_STOPPED || all[i].state == LODGE_STATE_CRASHED)
            workers_remove(p, all[i].id, err, sizeof err);
        else
            left++;
    }
    free(all);
    return left;
}

static void crash_and_restart(WorkerPool *p, const char *lodged)
{
    size_t left = remove_ended(p);
    const char *argv[] = {"l"};
    int made = 0;
    for (int i = 0; i < 6; i++) {
        char id[32];
        snprintf(id, sizeof id, "victim-%d", i);
        made += create(p, id, "loop", 1, argv, 0, 100, NULL);
    }
    WorkerInfo w0, w1;
    bool infos = workers_info(p, 0, &w0) && workers_info(p, 1, &w1);
    check(made == 6 && infos && w0.instances + w1.instances == left + 6 && w0.instances && w1.instances,
          "6 more loops placed on both workers (%llu + %llu instances)", (unsigned long long)w0.instances,
          (unsigned long long)w1.instances);
    pthread_mutex_lock(&ev_mu);
    crashed_events = crashed_sig9 = 0;
    pthread_mutex_unlock(&ev_mu);
    kill(w0.pid, SIGKILL);
    double deadline = now_s() + 10;
    int crashed = 0, sig9 = 0;
    while (now_s() < deadline) {
        pthread_mutex_lock(&ev_mu);
        crashed = crashed_events;
        sig9 = crashed_sig9;
        pthread_mutex_unlock(&ev_mu);
        if ((uint64_t)crashed >= w0.instances)
            break;
        usleep(10000);
    }
    check((uint64_t)crashed == w0.instances && sig9 == crashed,
          "kill -9 worker 0 (pid %d): %d instance(s) reported CRASHED with 'killed by signal 9'", w0.pid, crashed);
    size_t cap = 1000;
    InstanceStatus *all = calloc(cap, sizeof *all);
    size_t n = workers_list(p, all, cap), ncrashed = 0, nrunning = 0;
    for (size_t i = 0; i < n; i++) {
        ncrashed += all[i].state == LODGE_STATE_CRASHED;
        nrunning += all[i].state == LODGE_STATE_RUNNING;
    }
    check(ncrashed == w0.instances && nrunning == w1.instances,
          "the other worker's %zu instance(s) still run; %zu listed as crashed", nrunning, ncrashed);
    WorkerInfo n0 = {0};
    deadline = now_s() + 10;
    while (now_s() < deadline && !(workers_info(p, 0, &n0) && n0.pid != w0.pid))
        usleep(20000);
    check(n0.up && n0.pid != w0.pid && n0.instances == 0, "a new worker 0 replaced it (pid %d)", n0.pid);
    made = 0;
    for (int i = 0; i < 4; i++) {
        char id[32];
        snprintf(id, sizeof id, "after-%d", i);
        made += create(p, id, "loop", 1, argv, 0, 100, NULL);
    }
    check(made == 4, "4 instances created after the restart");

    /* A daemon restart: the pool goes, the workers stay; a new pool finds what they run. */
    size_t before = workers_list(p, all, cap);
    size_t running_before = 0;
    for (size_t i = 0; i < before; i++)
        running_before += all[i].state == LODGE_STATE_RUNNING;
    workers_delete(p);
    char err[256];
    WorkerPool *q = workers_new(lodged, state_dir, 2, on_event, NULL, err, sizeof err);
    check(q != NULL, "pool re-created (a daemon restart) %s", q ? "" : err);
    if (!q) {
        free(all);
        return;
    }
    WorkerInfo r0, r1;
    bool same = workers_info(q, 0, &r0) && workers_info(q, 1, &r1) && r0.pid == n0.pid && r1.pid == w1.pid;
    size_t after = workers_list(q, all, cap), running_after = 0;
    for (size_t i = 0; i < after; i++)
        running_after += all[i].state == LODGE_STATE_RUNNING;
    check(same && running_after == running_before && running_after >= 4 + w1.instances,
          "reconnected to the same workers; %zu running instance(s) listed (%zu before)", running_after,
          running_before);
    InstanceStatus st = {0};
    bool stopped = workers_stop(q, "after-0", err, sizeof err) &&
                   wait_end(q, "after-0", now_s() + 5, &st) == LODGE_STATE_STOPPED;
    check(stopped && st.exit_code == 143, "the new pool controls a reconnected instance (stop: exit %d)",
          st.exit_code);
    free(all);
    pid_t pids[2] = {r0.pid, r1.pid};
    workers_shutdown(q);
    usleep(200000);
    while (waitpid(-1, NULL, WNOHANG) > 0) /* this process started them through the first pool */
        ;
    check(kill(pids[0], 0) != 0 && kill(pids[1], 0) != 0, "workers_shutdown ended both workers");
}

static int threads_of(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

/* Guests asleep in poll_oneoff hold no host thread; other polls go to WASI's own poll_oneoff. */
static void sleepers(WorkerPool *p, int n)
{
    remove_ended(p);
    WorkerInfo a0, a1, b0, b1;
    workers_info(p, 0, &a0);
    workers_info(p, 1, &a1);
    const char *argv[] = {"s"};
    char *mod = path_of(wasm_dir, "sleep", ".wasm"), err[256];
    int made = 0;
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "sleep-%d", i);
        InstanceSpec sp = {.id = id, .module_path = mod, .argc = 1, .argv = argv};
        made += workers_create(p, &sp, err, sizeof err);
    }
    free(mod);
    /* Created first, started together: most of them sleep at the same time. */
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "sleep-%d", i);
        made -= !workers_start(p, id, err, sizeof err);
    }
    double t1 = now_s();
    workers_info(p, 0, &b0);
    workers_info(p, 1, &b1);
    int th0 = threads_of(b0.pid), th1 = threads_of(b1.pid);
    uint64_t asleep = b0.stacks + b1.stacks;
    check(made == n && th0 > 0 && th0 <= 8 && th1 > 0 && th1 <= 8,
          "%d guests started in %.2f s, %llu of them asleep at once with a stack each, on %d + %d host threads",
          made, t1 - t0, (unsigned long long)asleep, th0, th1);
    int right = 0;
    double deadline = now_s() + 60;
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "sleep-%d", i);
        InstanceStatus st;
        right += wait_end(p, id, deadline, &st) == LODGE_STATE_STOPPED && st.exit_code == 5;
    }
    double t2 = now_s();
    double grew = (double)(b0.max_rss_bytes - a0.max_rss_bytes) + (double)(b1.max_rss_bytes - a1.max_rss_bytes);
    check(right == n, "%d of %d woke after their 300 ms and exited 5, %.2f s after the last start; %.0f bytes of "
          "resident memory per sleeping guest", right, n, t2 - t1, asleep ? grew / (double)asleep : 0.0);

    InstanceStatus st = {0};
    bool ok = create(p, "pollfd", "pollfd", 1, argv, 0, 100, NULL);
    ok = ok && wait_end(p, "pollfd", now_s() + 10, &st) == LODGE_STATE_STOPPED;
    check(ok && st.exit_code == 8, "poll_oneoff on a closed fd: WASI's own poll answered EBADF (exit %d)",
          st.exit_code);
    ok = create(p, "forever", "sleepforever", 1, argv, 0, 100, NULL);
    usleep(100000);
    lodge_guest_state_t s1 = state_of(p, "forever", NULL);
    bool paused = workers_pause(p, "forever", err, sizeof err);
    lodge_guest_state_t s2 = state_of(p, "forever", NULL);
    double ts = now_s();
    ok = ok && workers_stop(p, "forever", err, sizeof err);
    lodge_guest_state_t s3 = wait_end(p, "forever", now_s() + 5, &st);
    double ms = (now_s() - ts) * 1e3;
    check(ok && s1 == LODGE_STATE_RUNNING && paused && s2 == LODGE_STATE_PAUSED && s3 == LODGE_STATE_STOPPED &&
              st.exit_code == 143, "a guest asleep until 2500 (state %d), paused (%d), then stopped (%d): exit %d "
          "after %.1f ms", s1, s2, s3, st.exit_code, ms);
}

/* cpu_weight: four loops on one worker's two runner threads, weights 100, 100, 300, 300: each 300 gets
 * about three times the CPU of each 100 (two of each, so that the host taking a runner thread away from
 * the worker now and then hurts both kinds alike). */
static void weights(const char *lodged)
{
    char *dir = path_of(state_dir, "weights", ""), err[256];
    mkdir(dir, 0700);
    /* Two runners whatever the host, and the worker in a cgroup of its own where the host allows. */
    JailCgroups *cg = jail_cgroups_open("lodge-workers-test", err, sizeof err);
    WorkersOptions opt = {.threads = 2, .cgroups = cg, .cpu_weight = 100};
    WorkerPool *p = workers_new_opts(lodged, dir, 1, &opt, NULL, NULL, err, sizeof err);
    check(p != NULL, "a pool of one worker with 2 runner threads %s", p ? "" : err);
    if (!p) {
        free(dir);
        jail_cgroups_close(cg);
        return;
    }
    WorkerInfo wi;
    workers_info(p, 0, &wi);
    const char *missing = strstr(wi.jail, "missing:");
    const char *cpu = strstr(wi.jail, "cgroup-cpu");
    if (!cg || !(jail_cgroups_usable(cg) & JAIL_CG_CPU)) {
        printf("SKIP worker in a cgroup: %s\n", cg ? jail_cgroups_describe(cg) : err);
        nskip++;
    } else {
        check(cpu && (!missing || cpu < missing), "the worker runs in its own cgroup (%s)", jail_cgroups_describe(cg));
    }
    const char *argv[] = {"w"};
    bool ok = create(p, "w100a", "loop", 1, argv, 0, 100, NULL) && create(p, "w100b", "loop", 1, argv, 0, 100, NULL) &&
              create(p, "w300a", "loop", 1, argv, 0, 300, NULL) && create(p, "w300b", "loop", 1, argv, 0, 300, NULL);
    usleep(2000000);
    InstanceStatus a, b, c, d;
    ok = ok && workers_status(p, "w100a", &a) && workers_status(p, "w100b", &b) && workers_status(p, "w300a", &c) &&
         workers_status(p, "w300b", &d);
    double light = (a.cpu_ns + b.cpu_ns) / 2.0, heavy = (c.cpu_ns + d.cpu_ns) / 2.0;
    double ratio = light > 0 ? heavy / light : 0;
    check(ok && ratio > 2.0 && ratio < 4.5, "weight 300 vs 100: %.2f and %.2f s vs %.2f and %.2f s of CPU (ratio "
          "%.2f, ideal 3)", c.cpu_ns / 1e9, d.cpu_ns / 1e9, a.cpu_ns / 1e9, b.cpu_ns / 1e9, ratio);
    workers_shutdown(p);
    if (cg) {
        jail_cgroup_remove(cg, "worker-0", err, sizeof err);
        jail_cgroup_remove_parent(cg, err, sizeof err);
        jail_cgroups_close(cg);
    }
    free(dir);

    /* Without the jail (a host that has none): the same worker as a plain process. */
    char *dir2 = path_of(state_dir, "nojail", "");
    mkdir(dir2, 0700);
    WorkersOptions plain = {.threads = 1, .no_jail = true};
    WorkerPool *q = workers_new_opts(lodged, dir2, 1, &plain, NULL, NULL, err, sizeof err);
    InstanceStatus st = {0};
    const char *args[] = {"n_exit", "exit", "42"};
    bool ok2 = q && create(q, "plain", "n_exit", 3, args, 0, 100, NULL) &&
               wait_end(q, "plain", now_s() + 10, &st) == LODGE_STATE_STOPPED;
    bool info2 = q && workers_info(q, 0, &wi);
    check(ok2 && st.exit_code == 42 && info2 && !wi.seccomp && strstr(wi.jail, "none"),
          "no_jail: a plain worker process runs a WASI program (exit %d; jail: %s)", st.exit_code, info2 ? wi.jail : err);
    if (q)
        workers_shutdown(q);
    free(dir2);
}

/* Bad input on a worker's socket (a confused or hostile client): each gets an error or a closed
 * connection, and the worker keeps serving the pool. */
static int raw_connect(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends raw bytes (a frame or garbage) and reads the answer: 1 an error reply, 0 the connection closed,
 * -1 anything else (an ok reply, a timeout). */
static int raw_try(int fd, const void *bytes, size_t n)
{
    if (send(fd, bytes, n, MSG_NOSIGNAL) != (ssize_t)n)
        return 0;
    char err[200];
    cJSON *rep = wproto_recv(fd, 1 << 20, 3000, err, sizeof err);
    if (!rep)
        return strstr(err, "closed") ? 0 : -1;
    int r = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rep, "ok")) && wproto_str(rep, "error") ? 1 : -1;
    cJSON_Delete(rep);
    return r;
}

static int frame_try(int fd, const char *json)
{
    size_t n = strlen(json);
    char buf[1024];
    buf[0] = (char)(n >> 24), buf[1] = (char)(n >> 16), buf[2] = (char)(n >> 8), buf[3] = (char)n;
    memcpy(buf + 4, json, n);
    return raw_try(fd, buf, n + 4);
}

static void bad_input(WorkerPool *p)
{
    char *sock = path_of(state_dir, "workers/w0", ".sock");
    WorkerInfo before, after;
    workers_info(p, 0, &before);
    int answered = 0, total = 0;
    /* Before hello: each of these must end the connection (or be refused). */
    static const char *const first[] = {"{\"op\":\"create\"}", "[1,2,3]", "not json", "{\"op\":\"hello\",\"role\":\"x\"}"};
    for (size_t i = 0; i < sizeof first / sizeof first[0]; i++) {
        int fd = raw_connect(sock);
        total++;
        answered += fd >= 0 && frame_try(fd, first[i]) >= 0;
        if (fd >= 0)
            close(fd);
    }
    int fd = raw_connect(sock);
    total++;
    static const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff, '{'};
    answered += fd >= 0 && raw_try(fd, huge, sizeof huge) >= 0; /* a 4 GiB length: refused, cut off */
    if (fd >= 0)
        close(fd);
    /* After hello: every bad request gets an error reply on a connection that stays usable. */
    static const char *const reqs[] = {
        "{}", "{\"op\":42}", "{\"op\":\"nope\"}", "{\"op\":\"start\"}", "{\"op\":\"start\",\"id\":\"ghost\"}",
        "{\"op\":\"create\"}", "{\"op\":\"create\",\"spec\":[]}", "{\"op\":\"create\",\"spec\":{\"id\":\"../x\",\"module\":\"m\"}}",
        "{\"op\":\"create\",\"spec\":{\"id\":\"x\"}}", "{\"op\":\"create\",\"spec\":{\"id\":\"x\",\"module\":\"/nonexistent\"}}",
        "{\"op\":\"create\",\"spec\":{\"id\":\"x\",\"module\":\"/\",\"argv\":\"notalist\"}}",
        "{\"op\":\"create\",\"spec\":{\"id\":\"x\",\"module\":\"/dev/null\",\"dirs\":[{\"ro\":true}]}}",
        "{\"op\":\"create\",\"spec\":{\"id\":\"x\",\"module\":\"/dev/null\"},\"fds\":{\"module\":7}}",
        "{\"op\":\"remove\",\"id\":\"loop-c\"}",
    };
    fd = raw_connect(sock);
    bool hello_ok = fd >= 0 && frame_try(fd, "{\"op\":\"hello\",\"role\":\"control\"}") == -1;
    int refused = 0;
    for (size_t i = 0; hello_ok && i < sizeof reqs / sizeof reqs[0]; i++) {
        int r = frame_try(fd, reqs[i]);
        refused += r == 1;
        if (r != 1)
            printf("    not refused (%d): %s\n", r, reqs[i]);
    }
    if (fd >= 0)
        close(fd);
    bool alive = workers_info(p, 0, &after) && after.pid == before.pid;
    check(answered == total && hello_ok && refused == (int)(sizeof reqs / sizeof reqs[0]) && alive,
          "bad input on a worker's socket: %d of %d bad openings cut off, %d of %zu bad requests refused with "
          "a message; the worker (pid %d) still serves", answered, total, refused, sizeof reqs / sizeof reqs[0],
          after.pid);
    free(sock);
}

/* A full worker (no address space left for another linear memory) sends the create to the other one. */
static void failover(const char *lodged)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)lodged;
    printf("SKIP failover to a worker with room: AddressSanitizer's shadow memory needs an unlimited address "
           "space\n");
    nskip++;
#else
    char *dir = path_of(state_dir, "failover", ""), err[256] = "";
    mkdir(dir, 0700);
    /* 40 GiB: room for a few 8 GiB memory reservations per worker. */
    WorkersOptions opt = {.threads = 1, .max_address_space = 40ull << 30};
    WorkerPool *p = workers_new_opts(lodged, dir, 2, &opt, NULL, NULL, err, sizeof err);
    if (!p) {
        check(false, "a pool with a bounded address space: %s", err);
        free(dir);
        return;
    }
    char *idle = path_of(wasm_dir, "idle", ".wasm"), *mem = path_of(wasm_dir, "loop", ".wasm");
    /* Ten instances without memory each; then worker 1's are removed, so worker 0 counts as the busier
     * and every create goes to worker 1 first, until it is full. */
    for (int i = 0; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof id, "pad-%d", i);
        InstanceSpec s = {.id = id, .module_path = idle};
        workers_create(p, &s, err, sizeof err);
    }
    WorkerInfo a;
    workers_info(p, 1, &a);
    size_t cap = 64, n;
    InstanceStatus *all = calloc(cap, sizeof *all);
    n = workers_list(p, all, cap);
    /* the list is worker 0's then worker 1's */
    for (size_t i = n - a.instances; i < n; i++)
        workers_remove(p, all[i].id, err, sizeof err);
    int made = 0;
    for (int i = 0; i < 40; i++) {
        char id[32];
        snprintf(id, sizeof id, "mem-%d", i);
        InstanceSpec s = {.id = id, .module_path = mem};
        if (!workers_create(p, &s, err, sizeof err))
            break;
        made++;
    }
    WorkerInfo w0, w1;
    bool info = workers_info(p, 0, &w0) && workers_info(p, 1, &w1);
    uint64_t on0 = info ? w0.instances - 10 : 0, on1 = info ? w1.instances : 0;
    check(info && strstr(err, "reserve") && on1 > 0 && on0 > 0 && on0 + on1 == (uint64_t)made,
          "worker 1 full after %llu memories, the pool went on with worker 0 (%llu more); then '%s'",
          (unsigned long long)on1, (unsigned long long)on0, err);
    free(all);
    free(idle);
    free(mem);
    workers_shutdown(p);
    free(dir);
#endif
}

/* How many created (idle) instances a worker holds, and what each costs in resident memory. */
static void measure_idle(WorkerPool *p, int n)
{
    remove_ended(p);
    WorkerInfo a0, a1, b0, b1;
    workers_info(p, 0, &a0);
    workers_info(p, 1, &a1);
    char err[256];
    char *mod = path_of(wasm_dir, "idle", ".wasm");
    double t0 = now_s();
    int made = 0;
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "idle-%d", i);
        InstanceSpec s = {.id = id, .module_path = mod};
        if (!workers_create(p, &s, err, sizeof err)) {
            printf("    %s: %s\n", id, err);
            break;
        }
        made++;
    }
    double t1 = now_s();
    free(mod);
    workers_info(p, 0, &b0);
    workers_info(p, 1, &b1);
    double grew = (double)(b0.max_rss_bytes - a0.max_rss_bytes) + (double)(b1.max_rss_bytes - a1.max_rss_bytes);
    check(made == n, "%d idle instances held by 2 workers; %.0f bytes of resident memory each; %.1f us per create "
          "through the pool", made, grew / (made ? made : 1), (t1 - t0) * 1e6 / (made ? made : 1));
    remove_ended(p);
    int removed = 0;
    for (int i = 0; i < made; i++) {
        char id[32];
        snprintf(id, sizeof id, "idle-%d", i);
        removed += workers_remove(p, id, err, sizeof err);
    }
    check(removed == made, "%d created instances removed", removed);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: pool-test LODGED STATE_DIR WASM_DIR OUT_DIR N\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *lodged = argv[1];
    state_dir = argv[2];
    wasm_dir = argv[3];
    int n = atoi(argv[5]);
    char err[256];
    WorkerPool *p = workers_new(lodged, state_dir, 2, on_event, NULL, err, sizeof err);
    check(p != NULL, "pool of 2 workers started %s", p ? "" : err);
    if (!p) {
        printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
        return 1;
    }
    WorkerInfo wi;
    bool info = workers_info(p, 0, &wi);
    check(info && wi.seccomp && wi.threads > 0, "worker 0 (pid %d) jailed, %u runner threads, seccomp on every "
          "thread; the jail: %s", wi.pid, wi.threads, info ? wi.jail : "?");
    many_with_hostiles(p, n, argv[4]);
    pause_resume_stop(p);
    bad_input(p);
    measure_idle(p, 4 * n);
    sleepers(p, n);
    weights(lodged);
    failover(lodged);
    crash_and_restart(p, lodged);
    printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
    return nfail ? 1 : 0;
}
