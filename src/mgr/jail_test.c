/* jail_test.c: `lodged jail-test CASE ...`, the jail's test driver (tests/jail/run.sh), not listed in --help.
 * Each case starts real jailed lodged processes through jail_spawn(), measures from outside, and prints
 * one line per check: "ok: ...", "FAIL: ..." or "skip: ... (reason)". Exit status 1 when a check failed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "mgr/jail.h"
#include "mgr/mgr.h"

typedef struct T {
    int pass, fail, skip;
} T;

static void check(T *t, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(T *t, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", ok ? "ok" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    ok ? t->pass++ : t->fail++;
}

static void skip(T *t, const char *what, const char *why)
{
    printf("skip: %s (%s)\n", what, why);
    fflush(stdout);
    t->skip++;
}

static int finish(const T *t)
{
    printf("checks: %d ok, %d failed, %d skipped\n", t->pass, t->fail, t->skip);
    return t->fail ? MGR_EXIT_ERROR : MGR_EXIT_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *arg(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

static bool flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

/* Waits for pid up to timeout_s; kills it past that. Returns the wait status, or -1. */
static int wait_for(pid_t pid, double timeout_s)
{
    double end = now_s() + timeout_s;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0)
            return -1;
        if (now_s() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
}

static unsigned parse_prot_list(const char *s)
{
    unsigned bits = 0;
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
#define JAIL_X(name, bit, text) {text, JAIL_##name},
        JAIL_PROTECTIONS(JAIL_X)
#undef JAIL_X
    };
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s ? s : "");
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(tok, names[i].name) == 0)
                bits |= names[i].bit;
    return bits;
}

/* ---- Inside the jail ------------------------------------------------------------------------------ */

/* `jail-test inside --port P --sock PATH`: reports what it sees, one "key value" line each, then serves one
 * connection on a Unix socket bound in its writable directory (so the test shows it is reachable). */
static int inside(int argc, char **argv)
{
    int port = atoi(arg(argc, argv, "--port", "0"));
    const char *sock = arg(argc, argv, "--sock", NULL);
    printf("pid %d\n", (int)getpid());
    int fd = open("/etc/passwd", O_RDONLY);
    printf("passwd %s\n", fd >= 0 ? "readable" : strerror(errno));
    if (fd >= 0)
        close(fd);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    printf("connect %s\n", s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0 ? "connected" : strerror(errno));
    if (s >= 0)
        close(s);
    struct if_nameindex *ifs = if_nameindex();
    printf("ifaces");
    for (struct if_nameindex *i = ifs; i && i->if_index; i++)
        printf(" %s", i->if_name);
    printf("\n");
    if (ifs)
        if_freenameindex(ifs);
    static const struct {
        const char *name;
        int res;
    } rls[] = {{"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"core", RLIMIT_CORE}, {"fsize", RLIMIT_FSIZE}};
    for (size_t i = 0; i < sizeof rls / sizeof rls[0]; i++) {
        struct rlimit rl;
        getrlimit(rls[i].res, &rl);
        printf("rlimit-%s %lld %lld\n", rls[i].name, rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur,
               rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max);
    }
    printf("nnp %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {{0}};
    syscall(SYS_capget, &h, d);
    printf("caps %x%08x %x%08x\n", d[1].permitted, d[0].permitted, d[1].effective, d[0].effective);
    char host[128] = "";
    gethostname(host, sizeof host);
    printf("hostname %s\n", host);
    /* Exclusive and removed at once: without a private root this is the host's /, left as it was. */
    fd = open("/lodge-jail-write-probe", O_WRONLY | O_CREAT | O_EXCL, 0644);
    printf("write-root %s\n", fd >= 0 ? "written" : strerror(errno));
    if (fd >= 0) {
        close(fd);
        unlink("/lodge-jail-write-probe");
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    printf("proc %s\n", n > 0 ? "mounted" : strerror(errno));
    fd = open("/dev/null", O_WRONLY);
    printf("devnull %s\n", fd >= 0 && write(fd, "x", 1) == 1 ? "writable" : strerror(errno));
    fflush(stdout);
    if (!sock)
        return 0;
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    snprintf(su.sun_path, sizeof su.sun_path, "%s", sock);
    unlink(sock);
    if (l < 0 || bind(l, (struct sockaddr *)&su, sizeof su) < 0 || listen(l, 1) < 0) {
        printf("socket %s\n", strerror(errno));
        return 1;
    }
    printf("socket listening\n");
    fflush(stdout);
    struct pollfd pfd = {l, POLLIN, 0};
    if (poll(&pfd, 1, 5000) == 1) {
        int c = accept(l, NULL, NULL);
        if (c >= 0 && write(c, "hello", 5) == 5)
            printf("socket served\n");
    }
    return 0;
}

/* ---- Outside: isolation --------------------------------------------------------------------------- */

typedef struct Seen {
    char lines[32][160];
    int n;
} Seen;

static const char *seen(const Seen *s, const char *key)
{
    size_t k = strlen(key);
    for (int i = 0; i < s->n; i++)
        if (strncmp(s->lines[i], key, k) == 0 && s->lines[i][k] == ' ')
            return s->lines[i] + k + 1;
    return NULL;
}

static int tcp_listener(int *port)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 8) < 0 ||
        getsockname(l, (struct sockaddr *)&sa, &len) < 0)
        return -1;
    *port = ntohs(sa.sin_port);
    return l;
}

static bool unix_connect_read(const char *path, char *buf, size_t len)
{
    for (int tries = 0; tries < 200; tries++) {
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un su = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof su.sun_path)
            return false;
        memcpy(su.sun_path, path, strlen(path) + 1);
        if (c >= 0 && connect(c, (struct sockaddr *)&su, sizeof su) == 0) {
            struct pollfd pfd = {c, POLLIN, 0};
            ssize_t n = poll(&pfd, 1, 3000) == 1 ? read(c, buf, len - 1) : -1;
            close(c);
            buf[n > 0 ? n : 0] = '\0';
            return n > 0;
        }
        if (c >= 0)
            close(c);
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return false;
}

/* A check that holds only with protection bit. When the host (or the test, through --disable) left it out,
 * the report must say so, and when the test left it out on purpose the check must indeed fail: the report
 * is then shown to tell the truth. */
static void need(T *t, const JailChild *jc, unsigned disabled, unsigned bit, bool ok, const char *what,
                 const char *detail)
{
    char name[64];
    jail_protections_text(bit, name, sizeof name);
    if (jc->in_force & bit) {
        check(t, ok, "%s (%s)", what, detail ? detail : "missing");
    } else if (disabled & bit) {
        check(t, !ok && strstr(jc->report, name), "without %s (reported missing): not so: %s (%s)", name, what,
              detail ? detail : "missing");
    } else {
        char why[128];
        snprintf(why, sizeof why, "%s not in force on this host: see the report", name);
        skip(t, what, why);
    }
}

/* `jail-test isolate --state DIR [--disable LIST] [--require LIST] [--proc]` */
static int isolate(int argc, char **argv)
{
    T t = {0};
    const char *state = arg(argc, argv, "--state", NULL);
    if (!state) {
        fprintf(stderr, "jail-test isolate: --state DIR required\n");
        return MGR_EXIT_USAGE;
    }
    int port = 0;
    int l = tcp_listener(&port);
    int ctl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ctl_ok = l >= 0 && ctl >= 0 && connect(ctl, (struct sockaddr *)&sa, sizeof sa) == 0;
    check(&t, ctl_ok, "control: the test's loopback listener on port %d is reachable from outside", port);
    if (ctl >= 0)
        close(ctl);
    check(&t, access("/etc/passwd", R_OK) == 0, "control: /etc/passwd is readable outside the jail");

    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return MGR_EXIT_ERROR;
    /* At its own path: the socket has one name inside and out, and the binds hold without a private root. */
    JailBind binds[] = {{state, NULL, JAIL_BIND_RW}};
    JailSpec spec = {
        .name = arg(argc, argv, "--name", "jail-test"),
        .binds = binds,
        .nbinds = 1,
        .workdir = state,
        .proc = flag(argc, argv, "--proc"),
        .stdio_set = true,
        .stdio = {-1, out[1], 2},
        .rlimits = {.nofile = 100, .nproc = 64, .fsize = 1 << 20},
        .disable = parse_prot_list(arg(argc, argv, "--disable", "")),
        .require = parse_prot_list(arg(argc, argv, "--require", "")),
    };
    char portstr[16], sockpath[4096];
    snprintf(portstr, sizeof portstr, "%d", port);
    snprintf(sockpath, sizeof sockpath, "%s/probe.sock", state);
    char *args[] = {"lodged", "jail-test", "inside", "--port", portstr, "--sock", sockpath, NULL};
    JailChild jc;
    char err[1024];
    bool ok = jail_spawn(&spec, args, &jc, err, sizeof err);
    close(out[1]);
    if (flag(argc, argv, "--expect-fail")) {
        check(&t, !ok, "spawn refused when a required protection is missing: %s", ok ? jc.report : err);
        if (ok) {
            kill(jc.pid, SIGKILL);
            wait_for(jc.pid, 5);
        }
        close(out[0]);
        return finish(&t);
    }
    if (!ok) {
        check(&t, false, "spawn: %s", err);
        return finish(&t);
    }
    printf("report: %s\n", jc.report);
    unsigned dis = spec.disable;
    if (dis) {
        char names[256];
        jail_protections_text(dis, names, sizeof names);
        check(&t, !(jc.in_force & dis) && strstr(jc.report, "disabled"),
              "disabled protections (%s) are reported missing, with the reason", names);
    }
    char got[64];
    bool served = unix_connect_read(sockpath, got, sizeof got);
    Seen s = {0};
    FILE *f = fdopen(out[0], "r");
    char line[160];
    while (f && s.n < 32 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(s.lines[s.n++], sizeof s.lines[0], "%s", line);
        printf("  inside: %s\n", line);
    }
    if (f)
        fclose(f);
    int st = wait_for(jc.pid, 10);
    check(&t, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the jailed program ran to its end (status %#x)", st);
    const char *v;
    v = seen(&s, "passwd");
    need(&t, &jc, dis, JAIL_ROOT, v && strcmp(v, "readable") != 0, "open(\"/etc/passwd\") fails inside", v);
    v = seen(&s, "write-root");
    need(&t, &jc, dis, JAIL_ROOT, v && strcmp(v, "written") != 0, "the jail's root is read-only", v);
    v = seen(&s, "connect");
    need(&t, &jc, dis, JAIL_NETNS, v && strcmp(v, "connected") != 0, "connect to the test's loopback listener fails", v);
    v = seen(&s, "ifaces");
    need(&t, &jc, dis, JAIL_NETNS, v && strcmp(v, "lo") == 0, "no network interface but lo", v);
    v = seen(&s, "pid");
    need(&t, &jc, dis, JAIL_PIDNS, v && (atoi(v) == 1 || atoi(v) == 2), "it is PID 1 or 2 in its namespace", v);
    v = seen(&s, "hostname");
    need(&t, &jc, dis, JAIL_UTSNS, v && strcmp(v, spec.name) == 0, "its hostname is the guest's name", v);
    v = seen(&s, "rlimit-nofile");
    need(&t, &jc, dis, JAIL_RLIMITS, v && strcmp(v, "100 100") == 0, "RLIMIT_NOFILE 100", v);
    v = seen(&s, "rlimit-nproc");
    need(&t, &jc, dis, JAIL_RLIMITS, v && strcmp(v, "64 64") == 0, "RLIMIT_NPROC 64", v);
    v = seen(&s, "rlimit-core");
    need(&t, &jc, dis, JAIL_RLIMITS, v && strcmp(v, "0 0") == 0, "RLIMIT_CORE 0", v);
    v = seen(&s, "rlimit-fsize");
    need(&t, &jc, dis, JAIL_RLIMITS, v && strcmp(v, "1048576 1048576") == 0, "RLIMIT_FSIZE 1 MiB", v);
    v = seen(&s, "nnp");
    need(&t, &jc, dis, JAIL_NNP, v && strcmp(v, "1") == 0, "no_new_privs set", v);
    v = seen(&s, "caps");
    need(&t, &jc, dis, JAIL_CAPS, v && strcmp(v, "000000000 000000000") == 0, "no capabilities (permitted, effective)", v);
    v = seen(&s, "devnull");
    check(&t, v && strcmp(v, "writable") == 0, "/dev/null is there and writable (%s)", v ? v : "missing");
    if (spec.proc) {
        v = seen(&s, "proc");
        need(&t, &jc, dis, JAIL_PROC, v && strcmp(v, "mounted") == 0, "/proc of its own is mounted", v);
    }
    check(&t, served && strcmp(got, "hello") == 0,
          "a Unix socket it binds in its writable directory is reachable from outside at %s", sockpath);
    if (l >= 0)
        close(l);
    return finish(&t);
}

/* ---- Seccomp -------------------------------------------------------------------------------------- */

typedef struct SecArgs {
    JailThreadKind kind;
    const char *call;
} SecArgs;

/* Work every thread kind legitimately does, then the named call. */
static void *sec_thread(void *p)
{
    const SecArgs *a = p;
    char err[256];
    if (!jail_seccomp_apply(a->kind, err, sizeof err)) {
        printf("apply failed: %s\n", err);
        fflush(stdout);
        _exit(3);
    }
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
    void *mem = malloc(1 << 20); /* a fresh arena for this thread: mmap, mprotect */
    free(mem);
    printf("legit work done\n");
    fflush(stdout);
    if (strcmp(a->call, "socket") == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        printf("socket returned %d\n", s);
    } else if (strcmp(a->call, "execve") == 0) {
        char *args[] = {"/bin/true", NULL};
        execve(args[0], args, args + 1);
        printf("execve returned: %s\n", strerror(errno));
    } else if (strcmp(a->call, "open") == 0) {
        int fd = open("/dev/null", O_RDONLY);
        printf("open returned %d\n", fd);
    } else if (strcmp(a->call, "mprotect-exec") == 0) {
        void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int r = mprotect(page, 4096, PROT_READ | PROT_EXEC);
        printf("mprotect returned %d\n", r);
    } else if (strcmp(a->call, "fork") == 0) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        printf("fork returned %d\n", (int)pid);
    }
    fflush(stdout);
    return NULL;
}

/* `jail-test seccomp-child --kind K --call C`: the main thread takes the control list (as a machine process
 * does), starts a thread that takes K's and then makes the call. */
static int seccomp_child(int argc, char **argv)
{
    SecArgs a = {JAIL_THREAD_HART, arg(argc, argv, "--call", "none")};
    if (!jail_thread_kind(arg(argc, argv, "--kind", "hart"), &a.kind)) {
        fprintf(stderr, "unknown kind\n");
        return MGR_EXIT_USAGE;
    }
    char err[256];
    if (!jail_seccomp_apply(JAIL_THREAD_CONTROL, err, sizeof err)) {
        printf("control apply failed: %s\n", err);
        return 3;
    }
    pthread_t th;
    if (pthread_create(&th, NULL, sec_thread, &a) != 0) {
        printf("pthread_create failed\n");
        return 4;
    }
    pthread_join(th, NULL);
    printf("survived\n");
    return 0;
}

/* `jail-test seccomp --kind K --call C --expect sigsys|exit0` */
static int seccomp_case(int argc, char **argv)
{
    T t = {0};
    const char *kind = arg(argc, argv, "--kind", "hart"), *call = arg(argc, argv, "--call", "none");
    bool expect_kill = strcmp(arg(argc, argv, "--expect", "sigsys"), "sigsys") == 0;
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return MGR_EXIT_ERROR;
    JailSpec spec = {.name = "jail-test-sec", .stdio_set = true, .stdio = {-1, out[1], 2}};
    char *args[] = {"lodged", "jail-test", "seccomp-child", "--kind", (char *)kind, "--call", (char *)call, NULL};
    JailChild jc;
    char err[1024];
    bool ok = jail_spawn(&spec, args, &jc, err, sizeof err);
    close(out[1]);
    if (!ok) {
        check(&t, false, "spawn: %s", err);
        return finish(&t);
    }
    char buf[1024] = "";
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(out[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(out[0]);
    int st = wait_for(jc.pid, 10);
    bool legit = strstr(buf, "legit work done") != NULL;
    for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
        printf("  child: %s\n", p);
    check(&t, legit, "a %s thread does its ordinary work under its list", kind);
    if (expect_kill)
        check(&t, st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
              "%s on a %s thread kills the process with SIGSYS (status %#x)", call, kind, st);
    else
        check(&t, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s on a %s thread is allowed (status %#x)",
              call, kind, st);
    return finish(&t);
}

/* ---- Cgroups -------------------------------------------------------------------------------------- */

/* `jail-test busy --secs N [--cpu C]`: spins (pinned to CPU C) for N seconds of wall time. */
static int busy(int argc, char **argv)
{
    double secs = atof(arg(argc, argv, "--secs", "5"));
    const char *cpu = arg(argc, argv, "--cpu", NULL);
    if (cpu) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(atoi(cpu), &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0)
            return 3;
    }
    double end = now_s() + secs;
    volatile uint64_t x = 0;
    while (now_s() < end)
        for (int i = 0; i < 100000; i++)
            x += (uint64_t)i;
    return 0;
}

/* `jail-test bomb`: allocates and touches 16 MiB at a time up to 4 GiB. */
static int bomb(int argc, char **argv)
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
static int threads(int argc, char **argv)
{
    int n = atoi(arg(argc, argv, "--n", "64")), ok = 0;
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
    return 0;
}

static JailCgroups *test_cgroups(T *t)
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

static void test_cgroups_close(JailCgroups *cg)
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
        check(t, false, "spawn %s: %s", name, err);
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
    double t0 = now_s();
    if (!usage_ns(cg, name, &a))
        return -1;
    nanosleep(&(struct timespec){(time_t)secs, (long)((secs - (time_t)secs) * 1e9)}, NULL);
    double t1 = now_s();
    if (!usage_ns(cg, name, &b))
        return -1;
    return (double)(b - a) / 1e9 / (t1 - t0) * 100;
}

/* `jail-test cpu-cap --pct P --secs S`: a busy loop capped at P% holds within 5 points; then lowered to P/2
 * while it runs. */
static int cpu_cap(int argc, char **argv)
{
    T t = {0};
    int pct = atoi(arg(argc, argv, "--pct", "20"));
    double secs = atof(arg(argc, argv, "--secs", "3"));
    JailCgroups *cg = test_cgroups(&t);
    if (!cg)
        return MGR_EXIT_ERROR;
    if ((jail_cgroups_usable(cg) & JAIL_CG_CPU) == 0) {
        skip(&t, "CPU cap", jail_cgroups_describe(cg));
        test_cgroups_close(cg);
        return finish(&t);
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
        check(&t, jc.in_force & JAIL_CG_CPU, "the guest's CPU group is in force");
        nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
        double m = measure_pct(cg, "capped", secs);
        if (m < 0)
            skip(&t, "CPU cap measure", "no CPU accounting (cpuacct / cpu.stat) readable");
        else
            check(&t, m >= pct - 5 && m <= pct + 5, "a CPU cap of %d%% holds within 5 points over %gs: measured %.1f%%",
                  pct, secs, m);
        int low = pct / 2;
        bool set = jail_set_cpu(cg, "capped", 0, (unsigned)low, err, sizeof err);
        check(&t, set, "the cap changes while it runs (%s)", set ? "written" : err);
        m = measure_pct(cg, "capped", secs / 2);
        if (m >= 0)
            check(&t, m >= low - 5 && m <= low + 5, "the new cap of %d%% holds over %gs: measured %.1f%%", low,
                  secs / 2, m);
        kill(jc.pid, SIGKILL);
        wait_for(jc.pid, 5);
        err[0] = '\0';
        bool rm = jail_cgroup_remove(cg, "capped", err, sizeof err);
        check(&t, rm, "the guest's group is removed%s%s", rm ? "" : ": ", rm ? "" : err);
    }
    test_cgroups_close(cg);
    return finish(&t);
}

/* `jail-test cpu-weight --secs S`: two busy loops pinned to one CPU with weights 200 and 100 share it 2:1. */
static int cpu_weight(int argc, char **argv)
{
    T t = {0};
    double secs = atof(arg(argc, argv, "--secs", "3"));
    JailCgroups *cg = test_cgroups(&t);
    if (!cg)
        return MGR_EXIT_ERROR;
    if ((jail_cgroups_usable(cg) & JAIL_CG_CPU) == 0) {
        skip(&t, "CPU weight", jail_cgroups_describe(cg));
        test_cgroups_close(cg);
        return finish(&t);
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
            skip(&t, "CPU weight measure", "no CPU accounting readable");
        } else {
            double ra = (double)(a1 - a0) / 1e9, rb = (double)(b1 - b0) / 1e9;
            double ratio = rb > 0 ? ra / rb : 0;
            check(&t, ratio >= 1.6 && ratio <= 2.5,
                  "weights 200:100 on one CPU share it %.2f:1 (%.2fs and %.2fs of CPU over %gs)", ratio, ra, rb, secs);
        }
    }
    if (okA) {
        kill(a.pid, SIGKILL);
        wait_for(a.pid, 5);
    }
    if (okB) {
        kill(b.pid, SIGKILL);
        wait_for(b.pid, 5);
    }
    jail_cgroup_remove(cg, "heavy", err, sizeof err);
    jail_cgroup_remove(cg, "light", err, sizeof err);
    test_cgroups_close(cg);
    return finish(&t);
}

/* `jail-test mem-bomb --mib M`: an allocation bomb in a group limited to M MiB dies or fails; we live on. */
static int mem_bomb(int argc, char **argv)
{
    T t = {0};
    uint64_t mib = strtoull(arg(argc, argv, "--mib", "64"), NULL, 10);
    JailCgroups *cg = test_cgroups(&t);
    if (!cg)
        return MGR_EXIT_ERROR;
    if ((jail_cgroups_usable(cg) & JAIL_CG_MEM) == 0) {
        skip(&t, "memory limit", jail_cgroups_describe(cg));
        test_cgroups_close(cg);
        return finish(&t);
    }
    JailLimits lim = {.mem_max = mib << 20};
    char *args[] = {"lodged", "jail-test", "bomb", NULL};
    JailChild jc;
    char err[256];
    if (spawn_in(cg, "bomb", &lim, args, &jc, &t)) {
        check(&t, jc.in_force & JAIL_CG_MEM, "the guest's memory group is in force");
        int st = wait_for(jc.pid, 20);
        bool died = st >= 0 && ((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) || (WIFEXITED(st) && WEXITSTATUS(st) == 3));
        JailUsage u;
        bool have = jail_cgroup_usage(cg, "bomb", &u, err, sizeof err);
        check(&t, died, "an allocation bomb under a %" PRIu64 " MiB limit is killed or refused (status %#x, %s%" PRIu64
              " OOM kills, peak %" PRIu64 " MiB)", mib, st, have ? "" : "? ", u.oom_kills, u.mem_peak >> 20);
        check(&t, have && u.mem_peak <= (mib << 20), "its peak charge stayed within the limit");
        check(&t, jail_cgroup_remove(cg, "bomb", err, sizeof err), "the guest's group is removed");
    }
    test_cgroups_close(cg);
    return finish(&t);
}

/* `jail-test pids --max N`: a process limited to N tasks cannot start more threads. */
static int pids_case(int argc, char **argv)
{
    T t = {0};
    int max = atoi(arg(argc, argv, "--max", "16"));
    JailCgroups *cg = test_cgroups(&t);
    if (!cg)
        return MGR_EXIT_ERROR;
    if ((jail_cgroups_usable(cg) & JAIL_CG_PIDS) == 0) {
        skip(&t, "pids limit", jail_cgroups_describe(cg));
        test_cgroups_close(cg);
        return finish(&t);
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
        check(&t, started >= 1 && started < max, "with pids.max %d, %d of 64 threads started", max, started);
        wait_for(jc.pid, 10);
        jail_cgroup_remove(cg, "pids", err, sizeof err);
    } else {
        check(&t, false, "spawn: %s", err);
    }
    close(out[0]);
    test_cgroups_close(cg);
    return finish(&t);
}

int mgr_cmd_jail_test(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cases[] = {
        {"inside", inside},     {"isolate", isolate},     {"seccomp", seccomp_case}, {"seccomp-child", seccomp_child},
        {"busy", busy},         {"bomb", bomb},           {"threads", threads},      {"cpu-cap", cpu_cap},
        {"cpu-weight", cpu_weight}, {"mem-bomb", mem_bomb}, {"pids", pids_case},
    };
    if (argc < 2) {
        fprintf(stderr, "usage: lodged jail-test CASE [OPTIONS]\n");
        return MGR_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(argv[1], cases[i].name) == 0)
            return cases[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "lodged jail-test: unknown case '%s'\n", argv[1]);
    return MGR_EXIT_USAGE;
}
