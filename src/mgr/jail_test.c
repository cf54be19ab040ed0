/* jail_test.c: `lodged jail-test CASE ...`, the jail's test driver (tests/jail/run.sh), not listed in --help.
 * Each case starts real jailed lodged processes through jail_spawn(), measures from outside, and prints
 * one line per check: "ok: ...", "FAIL: ..." or "skip: ... (reason)". Exit status 1 when a check failed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
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
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "lodge.h"
#include "mgr/jail_int.h"
#include "mgr/jail_test.h"
#include "mgr/mgr.h"

void jt_check(T *t, bool ok, const char *fmt, ...)
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

void jt_skip(T *t, const char *what, const char *why)
{
    printf("skip: %s (%s)\n", what, why);
    fflush(stdout);
    t->skip++;
}

int jt_finish(const T *t)
{
    printf("checks: %d ok, %d failed, %d skipped\n", t->pass, t->fail, t->skip);
    return t->fail ? MGR_EXIT_ERROR : MGR_EXIT_OK;
}

double jt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *jt_arg(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

bool jt_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

/* Waits for pid up to timeout_s; kills it past that. Returns the wait status, or -1. */
int jt_wait(pid_t pid, double timeout_s)
{
    double end = jt_now() + timeout_s;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0)
            return -1;
        if (jt_now() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
}

unsigned jt_prot_list(const char *s)
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
    int port = atoi(jt_arg(argc, argv, "--port", "0"));
    const char *sock = jt_arg(argc, argv, "--sock", NULL);
    printf("pid %d\n", (int)getpid());
    printf("uid %d %d\n", (int)getuid(), (int)getgid());
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
    /* Without the baseline filter, a user namespace inside the jail is there for the asking. In a child,
     * which exits at once: the probes must not change what this process reports. */
    fflush(stdout);
    pid_t probe = fork();
    if (probe == 0) {
        printf("unshare %s\n", unshare(CLONE_NEWUSER) == 0 ? "done" : strerror(errno));
        /* No such process: ESRCH when ptrace may be called at all, EPERM under the filter. */
        printf("ptrace %s\n", ptrace(PTRACE_ATTACH, 0x3fffffff, NULL, NULL) == 0 ? "done" : strerror(errno));
        fflush(stdout);
        _exit(0);
    }
    if (probe > 0)
        waitpid(probe, NULL, 0);
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
        jt_check(t, ok, "%s (%s)", what, detail ? detail : "missing");
    } else if (disabled & bit) {
        jt_check(t, !ok && strstr(jc->report, name), "%s reported missing, and truly absent: \"%s\" does not hold (%s)",
                 name, what, detail ? detail : "missing");
    } else {
        char why[128];
        snprintf(why, sizeof why, "%s not in force on this host: see the report", name);
        jt_skip(t, what, why);
    }
}

/* `jail-test isolate --state DIR [--disable LIST] [--require LIST] [--proc]` */
static int isolate(int argc, char **argv)
{
    T t = {0};
    const char *state = jt_arg(argc, argv, "--state", NULL);
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
    jt_check(&t, ctl_ok, "control: the test's loopback listener on port %d is reachable from outside", port);
    if (ctl >= 0)
        close(ctl);
    jt_check(&t, access("/etc/passwd", R_OK) == 0, "control: /etc/passwd is readable outside the jail");

    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return MGR_EXIT_ERROR;
    /* At its own path: the socket has one name inside and out, and the binds hold without a private root. */
    JailBind binds[] = {{state, NULL, JAIL_BIND_RW}};
    JailSpec spec = {
        .name = jt_arg(argc, argv, "--name", "jail-test"),
        .binds = binds,
        .nbinds = 1,
        .workdir = state,
        .proc = jt_flag(argc, argv, "--proc"),
        .stdio_set = true,
        .stdio = {-1, out[1], 2},
        .rlimits = {.nofile = 100, .nproc = 64, .fsize = 1 << 20},
        .disable = jt_prot_list(jt_arg(argc, argv, "--disable", "")),
        .require = jt_prot_list(jt_arg(argc, argv, "--require", "")),
    };
    const char *uid = jt_arg(argc, argv, "--uid", NULL);
    if (uid) {
        spec.set_ids = true;
        spec.uid = (uid_t)atoi(uid);
        spec.gid = (gid_t)atoi(uid);
    }
    JailCgroups *cg = jt_flag(argc, argv, "--cgroups") ? jt_cgroups_open(&t) : NULL;
    spec.cgroups = cg;
    spec.limits = (JailLimits){.mem_max = 256 << 20, .pids_max = 64};
    char portstr[16], sockpath[4096];
    snprintf(portstr, sizeof portstr, "%d", port);
    snprintf(sockpath, sizeof sockpath, "%s/probe.sock", state);
    char *args[] = {"lodged", "jail-test", "inside", "--port", portstr, "--sock", sockpath, NULL};
    JailChild jc;
    char err[1024];
    bool ok = jail_spawn(&spec, args, &jc, err, sizeof err);
    close(out[1]);
    if (jt_flag(argc, argv, "--expect-fail")) {
        jt_check(&t, !ok, "spawn refused when a required protection is missing: %s", ok ? jc.report : err);
        if (ok) {
            kill(jc.pid, SIGKILL);
            jt_wait(jc.pid, 5);
        }
        close(out[0]);
        return jt_finish(&t);
    }
    if (!ok) {
        jt_check(&t, false, "spawn: %s", err);
        return jt_finish(&t);
    }
    printf("report: %s\n", jc.report);
    if (cg) {
        /* Where this process may not write cgroups (an unprivileged user), the report must say so. */
        unsigned usable = jail_cgroups_usable(cg);
        const unsigned all = JAIL_CG_CPU | JAIL_CG_MEM | JAIL_CG_PIDS;
        jt_check(&t, (jc.in_force & all) == usable, "the cgroup controllers in force are those this process may write");
        if (usable != all)
            jt_check(&t, strstr(jc.report, "missing: ") && strstr(jc.report, "cgroup-"),
                  "controllers it may not write are reported missing, with the reason");
    }
    unsigned dis = spec.disable;
    if (dis) {
        char names[256];
        jail_protections_text(dis, names, sizeof names);
        jt_check(&t, !(jc.in_force & dis) && strstr(jc.report, "disabled"),
              "disabled protections (%s) are reported missing, with the reason", names);
    }
    /* Protections the host is known to refuse here (the script arranges it): each must be named. */
    unsigned refused = jt_prot_list(jt_arg(argc, argv, "--expect-missing", ""));
    if (refused) {
        char names[256];
        jail_protections_text(refused, names, sizeof names);
        bool named = true;
        for (unsigned b = 1; b; b <<= 1)
            if (refused & b) {
                char one[64], key[80];
                jail_protections_text(b, one, sizeof one);
                snprintf(key, sizeof key, "%s", one);
                const char *miss = strstr(jc.report, "missing: ");
                named = named && miss && strstr(miss, key);
            }
        jt_check(&t, !(jc.in_force & refused) && named, "protections the host refuses (%s) are reported missing",
                 names);
        dis |= refused;
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
    int st = jt_wait(jc.pid, 10);
    jt_check(&t, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the jailed program ran to its end (status %#x)", st);
    const char *v;
    v = seen(&s, "passwd");
    need(&t, &jc, dis, JAIL_ROOT, v && strcmp(v, "readable") != 0, "open(\"/etc/passwd\") fails inside", v);
    v = seen(&s, "write-root");
    if (jc.in_force & JAIL_ROOT) /* without it, the host's own permissions decide: no telling either way */
        jt_check(&t, v && strcmp(v, "written") != 0, "the jail's root is read-only (%s)", v ? v : "missing");
    v = seen(&s, "connect");
    need(&t, &jc, dis, JAIL_NETNS, v && strcmp(v, "connected") != 0, "connect to the test's loopback listener fails", v);
    v = seen(&s, "ifaces");
    need(&t, &jc, dis, JAIL_NETNS, v && strcmp(v, "lo") == 0, "no network interface but lo", v);
    v = seen(&s, "pid");
    need(&t, &jc, dis, JAIL_PIDNS, v && (atoi(v) == 1 || atoi(v) == 2), "it is PID 1 or 2 in its namespace", v);
    v = seen(&s, "uid");
    /* A root caller that sets no uid keeps root on purpose: then "nonroot" must be reported missing. */
    need(&t, &jc, dis | (!uid && getuid() == 0 ? JAIL_NONROOT : 0), JAIL_NONROOT, v && atoi(v) != 0, "it is not root on the host", v);
    if (uid) {
        char want[32];
        snprintf(want, sizeof want, "%s %s", uid, uid);
        jt_check(&t, v && strcmp(v, want) == 0, "it runs as the uid and gid asked for (%s)", v ? v : "missing");
    }
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
    v = seen(&s, "unshare");
    need(&t, &jc, dis, JAIL_SECCOMP, v && strcmp(v, "done") != 0, "it cannot make a namespace of its own", v);
#ifndef JAIL_SANITIZED
    v = seen(&s, "ptrace");
    need(&t, &jc, dis, JAIL_SECCOMP, v && strcmp(v, strerror(EPERM)) == 0, "it cannot ptrace", v);
#endif
    v = seen(&s, "caps");
    need(&t, &jc, dis, JAIL_CAPS, v && strcmp(v, "000000000 000000000") == 0, "no capabilities (permitted, effective)", v);
    v = seen(&s, "devnull");
    jt_check(&t, v && strcmp(v, "writable") == 0, "/dev/null is there and writable (%s)", v ? v : "missing");
    if (spec.proc) {
        v = seen(&s, "proc");
        need(&t, &jc, dis, JAIL_PROC, v && strcmp(v, "mounted") == 0, "/proc of its own is mounted", v);
    }
    jt_check(&t, served && strcmp(got, "hello") == 0,
          "a Unix socket it binds in its writable directory is reachable from outside at %s", sockpath);
    if (l >= 0)
        close(l);
    if (cg) {
        char e2[256];
        jail_cgroup_remove(cg, spec.name, e2, sizeof e2);
        jt_cgroups_close(cg);
    }
    return jt_finish(&t);
}

/* `jail-test detach`: a jailed program outlives the process that started it, in a session of its own. An
 * intermediate process spawns it and exits; this one, a subreaper, inherits and reaps it. */
int jt_detach(int argc, char **argv)
{
    T t = {0};
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return MGR_EXIT_ERROR;
    pid_t mid = fork();
    if (mid == 0) {
        JailSpec spec = {.name = "jail-test-detach", .stdio_set = true, .stdio = {-1, -1, 2}};
        char *args[] = {"lodged", "jail-test", "busy", "--secs", "3", NULL};
        JailChild jc;
        char err[1024];
        pid_t pid = jail_spawn(&spec, args, &jc, err, sizeof err) ? jc.pid : -1;
        if (write(p[1], &pid, sizeof pid) != sizeof pid)
            _exit(1);
        _exit(0); /* the spawner is gone from here on */
    }
    close(p[1]);
    pid_t pid = -1;
    if (read(p[0], &pid, sizeof pid) != sizeof pid)
        pid = -1;
    close(p[0]);
    int st;
    waitpid(mid, &st, 0);
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    bool alive = pid > 0 && kill(pid, 0) == 0;
    jt_check(&t, alive, "the jailed program runs on after the process that spawned it exited (pid %d)", (int)pid);
    jt_check(&t, alive && getsid(pid) == pid && getsid(pid) != getsid(0),
             "it leads a session of its own (sid %d, ours %d)", alive ? (int)getsid(pid) : -1, (int)getsid(0));
    if (pid > 0) {
        kill(pid, SIGKILL);
        jt_wait(pid, 5);
    }
    return jt_finish(&t);
}

/* `jail-test inside-tap --tap NAME`: opens the host tap NAME through /dev/net/tun, as a machine does. */
static int inside_tap(int argc, char **argv)
{
    const char *name = jt_arg(argc, argv, "--tap", "");
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("tap open /dev/net/tun: %s\n", strerror(errno));
        return 1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        printf("tap TUNSETIFF %s: %s\n", name, strerror(errno));
        return 1;
    }
    printf("tap attached %s\n", ifr.ifr_name);
    return 0;
}

/* `jail-test tap --tap NAME`: a jail asked for a tap keeps the host's network (reported) and can attach to
 * a tap the operator made for it (`ip tuntap add NAME mode tap user UID`). */
static int tap_case(int argc, char **argv)
{
    T t = {0};
    const char *name = jt_arg(argc, argv, "--tap", NULL);
    if (!name) {
        fprintf(stderr, "jail-test tap: --tap NAME\n");
        return MGR_EXIT_USAGE;
    }
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return MGR_EXIT_ERROR;
    JailSpec spec = {.name = "jail-test-tap", .tap = true, .stdio_set = true, .stdio = {-1, out[1], 2}};
    char *args[] = {"lodged", "jail-test", "inside-tap", "--tap", (char *)name, NULL};
    JailChild jc;
    char err[1024], buf[512] = "";
    bool ok = jail_spawn(&spec, args, &jc, err, sizeof err);
    close(out[1]);
    if (!ok) {
        jt_check(&t, false, "spawn: %s", err);
        close(out[0]);
        return jt_finish(&t);
    }
    printf("report: %s\n", jc.report);
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(out[0]);
    int st = jt_wait(jc.pid, 10);
    printf("  inside: %s", buf);
    jt_check(&t, !(jc.in_force & JAIL_NETNS) && strstr(jc.report, "netns (a tap needs the host's network)"),
             "with a tap there is no network namespace, and the report says why");
    jt_check(&t, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(buf, "tap attached"),
             "the jailed process attaches to its tap %s through the bound /dev/net/tun", name);
    return jt_finish(&t);
}

/* `jail-test errors`: bad specs are refused with a message that names the problem, and start nothing. */
static int errors_case(int argc, char **argv)
{
    T t = {0};
    char *args[] = {"lodged", "jail-test", "busy", "--secs", "0", NULL};
    static const JailBind missing_src[] = {{"/nonexistent/lodge-disk.img", NULL, 0}};
    static const JailBind relative_dst[] = {{"/dev/null", "relative/path", JAIL_BIND_DEV}};
    static const int low_fd[] = {1};
    static const struct {
        const char *what;
        JailSpec spec;
        const char *expect;
    } cases[] = {
        {"a bad name", {.name = "../escape"}, "bad name"},
        {"an empty name", {.name = ""}, "bad name"},
        {"a missing bind source", {.name = "e1", .binds = missing_src, .nbinds = 1}, "/nonexistent/lodge-disk.img"},
        {"a relative bind target", {.name = "e2", .binds = relative_dst, .nbinds = 1}, "relative/path"},
        {"a missing program", {.name = "e3", .exe = "/nonexistent/lodged"}, "/nonexistent/lodged"},
        {"fd 1 as an extra fd", {.name = "e4", .keep_fds = low_fd, .nkeep = 1}, "fd 1"},
        {"a missing working directory", {.name = "e5", .workdir = "/nonexistent-dir"}, "chdir /nonexistent-dir"},
    };
    /* With cgroups: a spawn that fails leaves no group behind. */
    JailCgroups *cg = jt_cgroups_open(&t);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        JailChild jc;
        char err[1024] = "";
        bool ok = jail_spawn(&cases[i].spec, args, &jc, err, sizeof err);
        if (ok)
            jt_wait(jc.pid, 5);
        jt_check(&t, !ok && jc.pid == -1 && strstr(err, cases[i].expect), "%s is refused: %s", cases[i].what,
                 ok ? "it started" : err);
    }
    if (cg) {
        JailSpec late = {.name = "e6", .workdir = "/nonexistent-dir", .cgroups = cg};
        JailChild jc;
        char err[1024];
        bool ok = jail_spawn(&late, args, &jc, err, sizeof err);
        pid_t pids[4];
        jt_check(&t, !ok && jail_cgroup_pids(cg, "e6", pids, 4) < 0,
                 "a spawn that fails in the child leaves no cgroup behind");
        jt_cgroups_close(cg);
    }
    return jt_finish(&t);
}

int mgr_cmd_jail_test(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cases[] = {
        {"inside", inside},     {"isolate", isolate},     {"seccomp", jt_seccomp_case}, {"seccomp-child", jt_seccomp_child},
        {"busy", jt_busy},         {"bomb", jt_bomb},           {"threads", jt_threads},      {"cpu-cap", jt_cpu_cap},
        {"cpu-weight", jt_cpu_weight}, {"mem-bomb", jt_mem_bomb}, {"pids", jt_pids_case}, {"machine", jt_machine_case},
        {"machine-child", jt_machine_child}, {"spawn-rate", jt_spawn_rate},
        {"detach", jt_detach}, {"tap", tap_case}, {"errors", errors_case}, {"inside-tap", inside_tap},
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
