/* jail.c: jail_spawn(), the spawning side: works out what the jail holds (the program, its libraries,
 * devices, the spec's binds), clones the child into as many namespaces as the host grants, maps its ids,
 * places it in its cgroup, and collects what the child reports until it execs. Whatever the host refuses
 * is dropped and named in the report; jail_child.c is the other side. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mgr/mgr.h"
#include "mgr/jail_int.h"

#define CHILD_STACK (256 * 1024)
#define SPAWN_TIMEOUT_MS 10000

static const struct {
    unsigned bit;
    const char *name;
} prot_names[] = {
#define JAIL_X(name, bit, text) {1u << bit, text},
    JAIL_PROTECTIONS(JAIL_X)
#undef JAIL_X
};

void jail_protections_text(unsigned bits, char *buf, size_t len)
{
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof prot_names / sizeof prot_names[0]; i++)
        if (bits & prot_names[i].bit)
            mgr_appendf(buf, len, "%s%s", buf[0] ? " " : "", prot_names[i].name);
    if (!buf[0])
        mgr_appendf(buf, len, "none");
}

/* Why each protection is missing: one short reason per bit, the first one recorded wins. */
typedef struct Missing {
    unsigned bits;
    char text[1024];
} Missing;

static void missing(Missing *m, unsigned bits, const char *fmt, ...)
{
    unsigned fresh = bits & ~m->bits;
    if (!fresh)
        return;
    m->bits |= fresh;
    char names[256], why[800];
    jail_protections_text(fresh, names, sizeof names);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    mgr_appendf(m->text, sizeof m->text, "%s%s (%s)", m->text[0] ? "; " : "", names, why);
}

static const struct {
    int flag;
    unsigned bit;
} ns_bits[] = {
    {CLONE_NEWUSER, JAIL_USERNS}, {CLONE_NEWNS, JAIL_MOUNTNS}, {CLONE_NEWPID, JAIL_PIDNS},
    {CLONE_NEWNET, JAIL_NETNS},   {CLONE_NEWIPC, JAIL_IPCNS},  {CLONE_NEWUTS, JAIL_UTSNS},
};

static unsigned ns_to_bits(int flags)
{
    unsigned b = 0;
    for (size_t i = 0; i < sizeof ns_bits / sizeof ns_bits[0]; i++)
        if (flags & ns_bits[i].flag)
            b |= ns_bits[i].bit;
    return b;
}

/* ---- The plan ------------------------------------------------------------------------------------- */

typedef struct PlanBuf {
    JailPlan plan;
    size_t cap;
    char exe[PATH_MAX];
    char seccomp_why[256];   /* why there is no baseline filter */
} PlanBuf;

static char *const empty_env[] = {NULL};

static bool add_op(PlanBuf *b, const char *src, const char *dst, unsigned flags, char *err, size_t errlen)
{
    char real[PATH_MAX];
    if (!realpath(src, real)) {
        if ((flags & JAIL_BIND_OPT) && errno == ENOENT)
            return true;
        snprintf(err, errlen, "jail: %s: %s", src, strerror(errno));
        return false;
    }
    if (!dst)
        dst = src;
    if (dst[0] != '/' || strstr(dst, "/../") || strcmp(dst, "/") == 0) {
        snprintf(err, errlen, "jail: bind target '%s' is not an absolute path below /", dst);
        return false;
    }
    if (b->plan.nops == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        JailMountOp *ops = realloc(b->plan.ops, cap * sizeof *ops);
        if (!ops)
            goto nomem;
        b->plan.ops = ops;
        b->cap = cap;
    }
    JailMountOp *op = &b->plan.ops[b->plan.nops];
    size_t ls = strlen(JAIL_OLDROOT) + strlen(real) + 1, ld = strlen(JAIL_NEWROOT) + strlen(dst) + 1;
    op->src = malloc(ls);
    op->dst = malloc(ld);
    if (!op->src || !op->dst) {
        free(op->src);
        free(op->dst);
        goto nomem;
    }
    snprintf(op->src, ls, "%s%s", JAIL_OLDROOT, real);
    snprintf(op->dst, ld, "%s%s", JAIL_NEWROOT, dst);
    op->flags = flags;
    b->plan.nops++;
    return true;
nomem:
    snprintf(err, errlen, "jail: out of memory");
    return false;
}

typedef struct LibList {
    PlanBuf *b;
    bool ok;
    char *err;
    size_t errlen;
} LibList;

/* Every shared object this process has loaded, at the path the loader found it: the jailed program is
 * this very binary (lodged starts lodged), so these are exactly the libraries it needs. */
static int add_lib(struct dl_phdr_info *info, size_t size, void *arg)
{
    LibList *l = arg;
    const char *name = info->dlpi_name;
    if (!name || name[0] != '/' || !l->ok)
        return 0;
    if (!add_op(l->b, name, name, JAIL_BIND_EXEC, l->err, l->errlen))
        l->ok = false;
    return 0;
}

static void plan_free(PlanBuf *b)
{
    free((void *)b->plan.baseline);
    for (size_t i = 0; i < b->plan.nops; i++) {
        free(b->plan.ops[i].src);
        free(b->plan.ops[i].dst);
    }
    free(b->plan.ops);
}

static bool plan_build(PlanBuf *b, const JailSpec *spec, char *const argv[], char *err, size_t errlen)
{
    JailPlan *p = &b->plan;
    if (spec->exe) {
        snprintf(b->exe, sizeof b->exe, "%s", spec->exe);
    } else {
        ssize_t n = readlink("/proc/self/exe", b->exe, sizeof b->exe - 1);
        if (n <= 0) {
            snprintf(err, errlen, "jail: cannot find this program's path: %s", strerror(errno));
            return false;
        }
        b->exe[n] = '\0';
        if (n > 10 && strcmp(b->exe + n - 10, " (deleted)") == 0) {
            snprintf(err, errlen, "jail: this program (%s) was replaced on disk; restart it", b->exe);
            return false;
        }
    }
    if (!add_op(b, b->exe, NULL, JAIL_BIND_EXEC, err, errlen))
        return false;
    LibList l = {b, true, err, errlen};
    dl_iterate_phdr(add_lib, &l);
    if (!l.ok)
        return false;
    /* The loader finds libraries faster with its cache; harmless when missing. */
    static const JailBind base[] = {
        {"/etc/ld.so.cache", NULL, JAIL_BIND_OPT},
        {"/dev/null", NULL, JAIL_BIND_DEV},
        {"/dev/zero", NULL, JAIL_BIND_DEV},
        {"/dev/urandom", NULL, JAIL_BIND_DEV},
    };
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        if (!add_op(b, base[i].src, base[i].dst, base[i].flags, err, errlen))
            return false;
    if (spec->tap && !add_op(b, "/dev/net/tun", NULL, JAIL_BIND_DEV, err, errlen))
        return false;
    for (size_t i = 0; i < spec->nbinds; i++)
        if (!add_op(b, spec->binds[i].src, spec->binds[i].dst, spec->binds[i].flags, err, errlen))
            return false;
    p->hostname = spec->name;
    p->workdir = spec->workdir ? spec->workdir : "/";
    p->exe = b->exe;
    p->argv = argv;
    p->envp = spec->envp ? spec->envp : empty_env;
    p->set_ids = spec->set_ids;
    p->drop_groups = geteuid() == 0;
    p->uid = spec->uid;
    p->gid = spec->gid;
    p->proc = spec->proc;
#ifdef JAIL_SANITIZED
    p->proc = true;
#endif
    p->stdio_set = spec->stdio_set;
    p->keep = spec->keep_fds;
    p->nkeep = spec->nkeep;
    for (size_t i = 0; i < spec->nkeep; i++)
        if (spec->keep_fds[i] < 3 || fcntl(spec->keep_fds[i], F_GETFD) < 0) {
            snprintf(err, errlen, "jail: fd %d to pass is not open or is 0, 1 or 2", spec->keep_fds[i]);
            return false;
        }
    const JailRlimits *r = &spec->rlimits;
    int n = 0;
#define RL(res, v)                                                                                     \
    do {                                                                                               \
        p->rl_res[n] = res;                                                                            \
        p->rl_val[n++] = v;                                                                            \
    } while (0)
    RL(RLIMIT_CORE, 0);
    RL(RLIMIT_NOFILE, r->nofile ? r->nofile : 1024);
    RL(RLIMIT_NPROC, r->nproc ? r->nproc : 1024);
    if (r->fsize)
        RL(RLIMIT_FSIZE, r->fsize);
    if (r->as)
        RL(RLIMIT_AS, r->as);
    if (r->data)
        RL(RLIMIT_DATA, r->data);
#undef RL
    p->nrl = n;
    void *bpf = NULL;
    if (!(spec->disable & JAIL_SECCOMP) &&
        jail_seccomp_baseline(&bpf, &p->baseline_len, b->seccomp_why, sizeof b->seccomp_why))
        p->baseline = bpf;
    p->cap_last = 63;
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
    if (f) {
        if (fscanf(f, "%d", &p->cap_last) != 1 || p->cap_last < 0 || p->cap_last > 63)
            p->cap_last = 63;
        fclose(f);
    }
    return true;
}

/* ---- Cloning -------------------------------------------------------------------------------------- */

static int probe_child(void *arg)
{
    _exit(0);
}

/* Which of the namespaces in want the host grants, one at a time (a nested container may refuse some only);
 * the others are named in m. The user namespace is tried first: the rest depend on it without root. */
static int probe_namespaces(int want, void *stack, Missing *m)
{
    int ok = 0;
    for (size_t i = 0; i < sizeof ns_bits / sizeof ns_bits[0]; i++) {
        int f = ns_bits[i].flag;
        if (!(want & f))
            continue;
        pid_t pid = clone(probe_child, (char *)stack + CHILD_STACK, ok | f | SIGCHLD, NULL);
        if (pid < 0) {
            missing(m, ns_bits[i].bit, "the host refuses it: %s", strerror(errno));
            continue;
        }
        waitpid(pid, NULL, 0);
        ok |= f;
    }
    return ok;
}

static bool write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text);
}

/* The jailed ids (the caller's, or spec's) mapped to themselves: files the user owns stay its files inside.
 * An unprivileged caller may map only its own ids, and must deny setgroups first; a root caller keeps
 * setgroups, so the child can drop root's supplementary groups. */
static bool map_ids(const JailPlan *p, pid_t pid, char *why, size_t whylen)
{
    char path[64], map[64];
    uid_t uid = p->set_ids ? p->uid : getuid();
    gid_t gid = p->set_ids ? p->gid : getgid();
    if (geteuid() != 0) {
        snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
        write_file(path, "deny"); /* absent on old kernels, where it is not needed */
    }
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (!write_file(path, map))
        goto fail;
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if (!write_file(path, map))
        goto fail;
    return true;
fail:
    snprintf(why, whylen, "writing %s: %s", path, strerror(errno));
    return false;
}

/* Reads the child's records until EOF (it exec'd) or a fatal one. Returns the fatal record's stage, or -1
 * when the program runs; *lost collects non-fatal losses. */
static int collect(int fd, pid_t pid, unsigned *lost, Missing *m, JailRecord *fatal)
{
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, SPAWN_TIMEOUT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            memset(fatal, 0, sizeof *fatal);
            fatal->stage = JAIL_ST_EXEC;
            fatal->err = ETIMEDOUT;
            kill(pid, SIGKILL);
            return JAIL_ST_EXEC;
        }
        JailRecord rec;
        ssize_t n = read(fd, &rec, sizeof rec);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return -1;
        if (n != (ssize_t)sizeof rec) {
            memset(fatal, 0, sizeof *fatal);
            fatal->stage = JAIL_ST_EXEC;
            fatal->err = EIO;
            return JAIL_ST_EXEC;
        }
        rec.path[sizeof rec.path - 1] = '\0';
        if (rec.fatal) {
            *fatal = rec;
            return rec.stage;
        }
        *lost |= rec.lost;
        missing(m, rec.lost, "%s: %s", jail_stage_name(rec.stage), strerror(rec.err));
    }
}

static void reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

typedef enum { TRY_OK, TRY_AGAIN, TRY_FAIL } TryResult;

/* One attempt with plan->nsflags and plan->root. TRY_AGAIN after dropping what failed. */
static TryResult try_spawn(JailPlan *p, const JailSpec *spec, void *stack, pid_t *pidp, unsigned *lost,
                           unsigned *cg_bits, Missing *m, char *err, size_t errlen)
{
    int syncp[2], rep[2];
    if (pipe2(syncp, O_CLOEXEC) < 0)
        goto sysfail;
    if (pipe2(rep, O_CLOEXEC) < 0) {
        close(syncp[0]);
        close(syncp[1]);
        goto sysfail;
    }
    p->sync_fd = syncp[0];
    p->report_fd = rep[1];
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = clone(jail_child_main, (char *)stack + CHILD_STACK, p->nsflags | SIGCHLD, p);
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(syncp[0]);
    close(rep[1]);
    if (pid < 0) {
        close(syncp[1]);
        close(rep[0]);
        if (p->nsflags && (e == EPERM || e == EINVAL || e == ENOSPC || e == EUSERS || e == ENOSYS)) {
            p->nsflags = probe_namespaces(p->nsflags, stack, m);
            return TRY_AGAIN;
        }
        snprintf(err, errlen, "jail: clone: %s", strerror(e));
        return TRY_FAIL;
    }
    char why[256];
    if ((p->nsflags & CLONE_NEWUSER) && !map_ids(p, pid, why, sizeof why)) {
        close(syncp[1]);
        close(rep[0]);
        kill(pid, SIGKILL);
        reap(pid);
        missing(m, JAIL_USERNS, "%s", why);
        p->nsflags &= ~CLONE_NEWUSER;
        if (getuid() != 0) /* without it an unprivileged caller gets none of the others */
            p->nsflags = probe_namespaces(p->nsflags, stack, m);
        return TRY_AGAIN;
    }
    *cg_bits = 0;
    if (spec->cgroups) {
        why[0] = '\0';
        jail_cgroup_attach(spec->cgroups, spec->name, pid, cg_bits, why, sizeof why);
        if (why[0])
            missing(m, (JAIL_CG_CPU | JAIL_CG_MEM | JAIL_CG_PIDS) & ~*cg_bits, "%s", why);
    }
    ssize_t w = write(syncp[1], "g", 1);
    (void)w;
    close(syncp[1]);
    JailRecord fatal;
    *lost = 0;
    int st = collect(rep[0], pid, lost, m, &fatal);
    close(rep[0]);
    if (st < 0) {
        *pidp = pid;
        return TRY_OK;
    }
    reap(pid);
    const char *what = jail_stage_name(fatal.stage);
    if (p->root && (st == JAIL_ST_STAGING || st == JAIL_ST_BIND || st == JAIL_ST_PIVOT || st == JAIL_ST_REMOUNT)) {
        /* A private root the host will not build: keep the mount namespace, lose the root. */
        missing(m, JAIL_ROOT, "%s %s: %s", what, fatal.path, strerror(fatal.err));
        p->root = false;
        return TRY_AGAIN;
    }
    if ((p->nsflags & CLONE_NEWNS) && st == JAIL_ST_PRIVATE) {
        missing(m, JAIL_MOUNTNS | JAIL_ROOT, "%s: %s", what, strerror(fatal.err));
        p->nsflags &= ~CLONE_NEWNS;
        p->root = false;
        return TRY_AGAIN;
    }
    snprintf(err, errlen, "jail: %s%s%s: %s", what, fatal.path[0] ? " " : "", fatal.path, strerror(fatal.err));
    return TRY_FAIL;
sysfail:
    snprintf(err, errlen, "jail: pipe: %s", strerror(errno));
    return TRY_FAIL;
}

static bool valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

bool jail_spawn(const JailSpec *spec, char *const argv[], JailChild *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->pid = -1;
    if (!valid_name(spec->name)) {
        snprintf(err, errlen, "jail: bad name '%s' (1 to 64 of A-Z a-z 0-9 _ . -)", spec->name ? spec->name : "");
        return false;
    }
    if (!argv || !argv[0]) {
        snprintf(err, errlen, "jail: no argv[0]");
        return false;
    }
    PlanBuf b;
    memset(&b, 0, sizeof b);
    Missing m;
    memset(&m, 0, sizeof m);
    bool ok = false;
    int devnull = -1;
    void *stack = MAP_FAILED;
    if (!plan_build(&b, spec, argv, err, errlen))
        goto done;
    if (spec->stdio_set) {
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; i < 3; i++) {
            b.plan.stdio[i] = spec->stdio[i] >= 0 ? spec->stdio[i] : devnull;
            if (b.plan.stdio[i] < 0 || fcntl(b.plan.stdio[i], F_GETFD) < 0) {
                snprintf(err, errlen, "jail: stdio fd %d is not open", spec->stdio[i]);
                goto done;
            }
        }
    }
    stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        snprintf(err, errlen, "jail: out of memory");
        goto done;
    }
    unsigned dis = spec->disable;
    int want = 0;
    for (size_t i = 0; i < sizeof ns_bits / sizeof ns_bits[0]; i++)
        if (!(dis & ns_bits[i].bit))
            want |= ns_bits[i].flag;
    if (spec->tap && (want & CLONE_NEWNET)) {
        want &= ~CLONE_NEWNET;
        missing(&m, JAIL_NETNS, "a tap needs the host's network");
    }
    missing(&m, dis & (JAIL_USERNS | JAIL_MOUNTNS | JAIL_ROOT | JAIL_PIDNS | JAIL_NETNS | JAIL_IPCNS | JAIL_UTSNS),
            "disabled");
    b.plan.nsflags = want;
    b.plan.root = (want & CLONE_NEWNS) && !(dis & JAIL_ROOT);
    if (!b.plan.root && b.plan.proc && !(want & CLONE_NEWPID))
        b.plan.proc = false;

    unsigned cg_bits = 0;
    char cgwhy[768] = "";
    if (spec->cgroups && !jail_cgroup_create(spec->cgroups, spec->name, &spec->limits, &cg_bits, cgwhy,
                                             sizeof cgwhy)) {
        snprintf(err, errlen, "jail: %s", cgwhy);
        goto done;
    }
    pid_t pid = -1;
    unsigned lost = 0, attach_bits = 0;
    TryResult tr = TRY_AGAIN;
    for (int attempt = 0; attempt < 8 && tr == TRY_AGAIN; attempt++)
        tr = try_spawn(&b.plan, spec, stack, &pid, &lost, &attach_bits, &m, err, errlen);
    if (tr != TRY_OK) {
        if (tr == TRY_AGAIN)
            snprintf(err, errlen, "jail: could not start the program in any jail the host allows");
        if (spec->cgroups)
            jail_cgroup_rmdir_empty(spec->cgroups, spec->name);
        goto done;
    }
    unsigned in = ns_to_bits(b.plan.nsflags) | JAIL_RLIMITS | JAIL_NNP | JAIL_CAPS;
    if (b.plan.baseline)
        in |= JAIL_SECCOMP;
    else
        missing(&m, JAIL_SECCOMP, "%s", dis & JAIL_SECCOMP ? "disabled" : b.seccomp_why);
    if ((spec->set_ids ? spec->uid : getuid()) != 0)
        in |= JAIL_NONROOT;
    else
        missing(&m, JAIL_NONROOT, "runs as root on the host: set JailSpec.uid");
    if (b.plan.root && (b.plan.nsflags & CLONE_NEWNS))
        in |= JAIL_ROOT;
    else if (!(dis & JAIL_ROOT))
        missing(&m, JAIL_ROOT, "no mount namespace to build it in");
    if (b.plan.proc && (b.plan.nsflags & CLONE_NEWPID))
        in |= JAIL_PROC;
    in &= ~lost;
    if (spec->cgroups) {
        in |= cg_bits & attach_bits;
        if (cgwhy[0])
            missing(&m, (JAIL_CG_CPU | JAIL_CG_MEM | JAIL_CG_PIDS) & ~in, "%s", cgwhy);
    } else {
        missing(&m, JAIL_CG_CPU | JAIL_CG_MEM | JAIL_CG_PIDS, "no cgroups given");
    }
    missing(&m, ns_to_bits(want) & ~in, "refused");
    out->pid = pid;
    out->in_force = in;
    char have[256];
    jail_protections_text(in, have, sizeof have);
    if (snprintf(out->report, sizeof out->report, "in force: %s%s%s", have, m.text[0] ? "; missing: " : "",
                 m.text) >= (int)sizeof out->report)
        memcpy(out->report + sizeof out->report - 4, "...", 4);
    unsigned need = spec->require & ~in & ~(spec->proc ? 0 : JAIL_PROC);
    if (need) {
        char names[256];
        jail_protections_text(need, names, sizeof names);
        snprintf(err, errlen, "jail: required protections not available: %s (%s)", names, out->report);
        kill(pid, SIGKILL);
        reap(pid);
        out->pid = -1;
        if (spec->cgroups)
            jail_cgroup_rmdir_empty(spec->cgroups, spec->name);
        goto done;
    }
    ok = true;
done:
    if (stack != MAP_FAILED)
        munmap(stack, CHILD_STACK);
    if (devnull >= 0)
        close(devnull);
    plan_free(&b);
    return ok;
}
