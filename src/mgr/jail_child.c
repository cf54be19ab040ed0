/* jail_child.c: the child side of jail_spawn(): in fresh namespaces, builds the private root, sets the
 * rlimits, drops every capability and execs. It runs in a copy of a possibly multithreaded process, so it
 * calls only async-signal-safe functions (system calls) on data the parent prepared (jail_int.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mgr/jail_int.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

const char *jail_stage_name(int stage)
{
    static const char *const names[] = {
        "waiting for the parent", "setsid", "making mounts private", "staging the new root", "bind mount",
        "mounting /proc", "pivot_root", "making the root read-only", "sethostname", "chdir", "setrlimit",
        "passing file descriptors", "dropping capabilities", "no_new_privs", "exec", "changing uid/gid", "the baseline seccomp filter",
    };
    return stage >= 0 && stage < (int)(sizeof names / sizeof names[0]) ? names[stage] : "?";
}

static void record(const JailPlan *p, int fatal, JailStage stage, int err, unsigned lost, const char *path)
{
    JailRecord r;
    memset(&r, 0, sizeof r);
    r.fatal = fatal;
    r.stage = stage;
    r.err = err;
    r.lost = lost;
    if (path) {
        size_t n = strlen(path);
        if (n >= sizeof r.path)
            path += n - (sizeof r.path - 1); /* keep the end of a long path: it names the file */
        memcpy(r.path, path, strlen(path));
    }
    ssize_t w = write(p->report_fd, &r, sizeof r);
    (void)w;
}

static int fail(const JailPlan *p, JailStage stage, const char *path)
{
    record(p, 1, stage, errno, 0, path);
    _exit(127);
}

/* mkdir -p for the directories above path (path itself is not created). */
static int make_parents(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return errno = ENAMETOOLONG, -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        buf[i] = '/';
    }
    return 0;
}

/* The per-mount flags a remount must repeat: in a user namespace the kernel refuses to clear flags locked by
 * the more privileged namespace the mount came from (nosuid, nodev, noexec, read-only, the atime mode). */
static unsigned long locked_flags(const char *path)
{
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(path, &sv) < 0)
        return 0;
    if (sv.f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    if (sv.f_flag & ST_RDONLY)
        f |= MS_RDONLY;
    if (sv.f_flag & ST_NOATIME)
        f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        f |= MS_RELATIME;
    return f;
}

static void bind_one(const JailPlan *p, const JailMountOp *op)
{
    struct stat st;
    if (stat(op->src, &st) < 0) {
        if (op->flags & JAIL_BIND_OPT)
            return;
        fail(p, JAIL_ST_BIND, op->src);
    }
    if (make_parents(op->dst) < 0)
        fail(p, JAIL_ST_BIND, op->dst);
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(op->dst, 0755) < 0 && errno != EEXIST)
            fail(p, JAIL_ST_BIND, op->dst);
    } else {
        int fd = open(op->dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            fail(p, JAIL_ST_BIND, op->dst);
        close(fd);
    }
    /* Recursive: in a user namespace a plain bind of a tree with locked submounts is refused. */
    if (mount(op->src, op->dst, NULL, MS_BIND | MS_REC, NULL) < 0)
        fail(p, JAIL_ST_BIND, op->src);
    if (op->flags & JAIL_BIND_DEV)
        return; /* device nodes keep their mount's flags: nodev would make them useless */
    unsigned long f = locked_flags(op->dst) | MS_NOSUID | MS_NODEV;
    if (!(op->flags & JAIL_BIND_RW))
        f |= MS_RDONLY;
    if (!(op->flags & JAIL_BIND_EXEC))
        f |= MS_NOEXEC;
    if (mount(NULL, op->dst, NULL, MS_REMOUNT | MS_BIND | f, NULL) < 0)
        fail(p, JAIL_ST_REMOUNT, op->dst);
}

/* bubblewrap's two pivots: a tmpfs on /tmp becomes the root for a moment (the host's root under OLDROOT, so
 * binds can name any host path, even under /tmp), the jail's root is built on a second tmpfs under NEWROOT,
 * then NEWROOT becomes the root and everything else is detached. */
static void build_root(const JailPlan *p)
{
    if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0)
        fail(p, JAIL_ST_STAGING, "/tmp");
    if (chdir("/tmp") < 0 || mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0)
        fail(p, JAIL_ST_STAGING, "/tmp");
    if (syscall(SYS_pivot_root, "/tmp", "oldroot") < 0)
        fail(p, JAIL_ST_PIVOT, "/tmp");
    if (chdir("/") < 0)
        fail(p, JAIL_ST_STAGING, "/");
    /* Only mount points live here; 1 MiB bounds what a mistake could write. */
    if (mount("tmpfs", JAIL_NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
        fail(p, JAIL_ST_STAGING, JAIL_NEWROOT);
    for (size_t i = 0; i < p->nops; i++)
        bind_one(p, &p->ops[i]);
    if (p->proc) {
        if (mkdir(JAIL_NEWROOT "/proc", 0555) < 0 ||
            mount("proc", JAIL_NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            record(p, 0, JAIL_ST_PROC, errno, JAIL_PROC, "/proc");
    }
    /* The old root must not propagate our unmount to the host's namespace. */
    if (mount(JAIL_OLDROOT, JAIL_OLDROOT, NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        umount2(JAIL_OLDROOT, MNT_DETACH) < 0)
        fail(p, JAIL_ST_PIVOT, JAIL_OLDROOT);
    int oldfd = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldfd < 0 || chdir(JAIL_NEWROOT) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || fchdir(oldfd) < 0 ||
        umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        fail(p, JAIL_ST_PIVOT, JAIL_NEWROOT);
    close(oldfd);
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked_flags("/"),
              NULL) < 0)
        fail(p, JAIL_ST_REMOUNT, "/");
}

static void setup_fds(const JailPlan *p)
{
    if (p->stdio_set) {
        /* Through high copies first, so a source that is itself 0, 1 or 2 is not overwritten early. */
        int tmp[3];
        for (int i = 0; i < 3; i++)
            if ((tmp[i] = fcntl(p->stdio[i], F_DUPFD_CLOEXEC, 10)) < 0)
                fail(p, JAIL_ST_FDS, NULL);
        for (int i = 0; i < 3; i++)
            if (dup2(tmp[i], i) < 0)
                fail(p, JAIL_ST_FDS, NULL);
    }
    if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
        struct rlimit rl;
        int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
        for (int fd = 3; fd < max; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    for (size_t i = 0; i < p->nkeep; i++)
        if (fcntl(p->keep[i], F_SETFD, 0) < 0)
            fail(p, JAIL_ST_FDS, NULL);
}

static void drop_caps(const JailPlan *p)
{
    bool ok = true;
    for (int c = 0; c <= p->cap_last; c++)
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            ok = false; /* EPERM without CAP_SETPCAP: fine if nothing is permitted (checked below) */
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capset, &h, d) < 0)
        ok = false;
    /* What counts: nothing permitted now, and no_new_privs (set next) stops exec from granting any. */
    if (syscall(SYS_capget, &h, d) < 0 || d[0].permitted || d[1].permitted || d[0].effective || d[1].effective)
        record(p, 0, JAIL_ST_CAPS, ok ? 0 : errno, JAIL_CAPS, NULL);
}

static bool become(const JailPlan *p)
{
    /* Only a root caller may drop groups (an unprivileged one had setgroups denied to map its gid). */
    return (!p->drop_groups || setgroups(0, NULL) == 0) && setresgid(p->gid, p->gid, p->gid) == 0 && setresuid(p->uid, p->uid, p->uid) == 0;
}

int jail_child_main(void *arg)
{
    const JailPlan *p = arg;
    char c;
    /* The parent writes the id maps and places us in the cgroup first; EOF means it gave up. */
    if (read(p->sync_fd, &c, 1) != 1)
        _exit(127);
    close(p->sync_fd);
    if (setsid() < 0)
        fail(p, JAIL_ST_SETSID, NULL);
    /* In a user namespace only the mapped ids exist: become them first, keeping this namespace's
     * capabilities for the mounts (files made in the new root need an owner the namespace can name). */
    if (p->set_ids && (p->nsflags & CLONE_NEWUSER)) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || !become(p) || syscall(SYS_capget, &h, d) < 0)
            fail(p, JAIL_ST_IDS, NULL);
        d[0].effective = d[0].permitted;
        d[1].effective = d[1].permitted;
        if (syscall(SYS_capset, &h, d) < 0)
            fail(p, JAIL_ST_IDS, NULL);
    }
    if (p->nsflags & CLONE_NEWNS) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            fail(p, JAIL_ST_PRIVATE, "/");
        if (p->root)
            build_root(p);
        else if (p->proc && (p->nsflags & CLONE_NEWPID) &&
                 mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            record(p, 0, JAIL_ST_PROC, errno, JAIL_PROC, "/proc");
    }
    if ((p->nsflags & CLONE_NEWUTS) && sethostname(p->hostname, strlen(p->hostname)) < 0)
        record(p, 0, JAIL_ST_HOSTNAME, errno, JAIL_UTSNS, NULL);
    if (chdir(p->workdir) < 0)
        fail(p, JAIL_ST_CHDIR, p->workdir);
    for (int i = 0; i < p->nrl; i++) {
        struct rlimit rl = {p->rl_val[i], p->rl_val[i]};
        if (setrlimit(p->rl_res[i], &rl) < 0) {
            /* Above our hard limit without privilege: the lower one holds, which is stricter. */
            struct rlimit cur;
            if (getrlimit(p->rl_res[i], &cur) < 0 || cur.rlim_max > p->rl_val[i])
                record(p, 0, JAIL_ST_RLIMIT, errno, JAIL_RLIMITS, NULL);
            else
                setrlimit(p->rl_res[i], &(struct rlimit){cur.rlim_max, cur.rlim_max});
        }
    }
    setup_fds(p);
    /* Without a user namespace: a root caller changes ids last, after the mounts that need root. */
    if (p->set_ids && !(p->nsflags & CLONE_NEWUSER) && !become(p))
        fail(p, JAIL_ST_IDS, NULL);
    drop_caps(p);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        record(p, 0, JAIL_ST_NNP, errno, JAIL_NNP, NULL);
    /* Last: from here on the program's own calls are filtered (execve stays allowed by the baseline). */
    struct sock_fprog prog = {p->baseline_len, (struct sock_filter *)p->baseline};
    if (p->baseline && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        record(p, 0, JAIL_ST_SECCOMP, errno, JAIL_SECCOMP, NULL);
    /* The parent blocked every signal around clone(); start the program with default dispositions. */
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(p->exe, p->argv, p->envp);
    return fail(p, JAIL_ST_EXEC, p->exe);
}
