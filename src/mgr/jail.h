/* mgr/jail.h: the jail every guest process runs in (a machine process, a wasm worker): namespaces, a private
 * root, rlimits and no_new_privs at spawn (jail.c, jail_child.c); a cgroup per guest for CPU, memory and pids
 * (cgroup.c); seccomp allow-lists per thread kind (seccomp.c). Nothing needs root where the host allows
 * unprivileged user namespaces; whatever the host refuses is left out and reported, never silently. */
#ifndef LODGE_MGR_JAIL_H
#define LODGE_MGR_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- Protections: bits of JailChild.in_force and of JailSpec.require / .disable -------------------- */
#define JAIL_PROTECTIONS(X)                                                                             \
    X(USERNS,  0, "userns")      /* a user namespace: the caller's uid/gid mapped to themselves */        \
    X(MOUNTNS, 1, "mountns")     /* a mount namespace of its own */                                       \
    X(ROOT,    2, "root")        /* a private root (tmpfs, pivot_root) holding only what the spec binds */ \
    X(PIDNS,   3, "pidns")       /* a PID namespace: the program is its PID 1 */                          \
    X(NETNS,   4, "netns")       /* a network namespace with only lo (left out when a tap is asked for) */ \
    X(IPCNS,   5, "ipcns")                                                                                 \
    X(UTSNS,   6, "utsns")       /* hostname = the spec's name */                                          \
    X(PROC,    7, "proc")        /* /proc of its own PID namespace (only when asked for) */                \
    X(RLIMITS, 8, "rlimits")     /* NOFILE, NPROC, CORE=0, FSIZE/AS/DATA as asked */                       \
    X(NNP,     9, "nnp")         /* no_new_privs */                                                        \
    X(CAPS,   10, "nocaps")      /* no capability left: bounding, ambient, permitted sets empty */         \
    X(CG_CPU, 11, "cgroup-cpu")  /* its cgroup's CPU weight and cap apply */                               \
    X(CG_MEM, 12, "cgroup-memory")                                                                         \
    X(CG_PIDS,13, "cgroup-pids")                                                                           \
    X(NONROOT,14, "nonroot")     /* its uid on the host is not 0 (a root caller sets JailSpec.uid) */     \
    X(SECCOMP,15, "seccomp")     /* a process-wide baseline filter from exec on: no new namespaces, mounts, \
                                  * ptrace, bpf, keys, modules, kexec... (EPERM); threads narrow it further */

enum {
#define JAIL_X(name, bit, text) JAIL_##name = 1u << bit,
    JAIL_PROTECTIONS(JAIL_X)
#undef JAIL_X
};

/* Writes the names of the protections in bits ("userns mountns root ...", "none") into buf. */
void jail_protections_text(unsigned bits, char *buf, size_t len);

/* ---- Cgroups: one group per guest under a Lodge parent group -------------------------------------- */

/* The hierarchies found on this host and the Lodge parent group in each. Immutable once opened: any thread
 * may use it. cgroup v1 (a hierarchy per controller, as on many hosts) and v2 (unified) are both handled,
 * controller by controller (a hybrid host mixes them). */
typedef struct JailCgroups JailCgroups;

/* parent: the Lodge parent group. NULL: "lodge" under the caller's own cgroup in each hierarchy (so the
 * guests stay inside whatever bounds the caller itself is in); a name starting with '/' is taken from each
 * hierarchy's root. The parent group is created if missing. Returns a handle even when no controller is
 * usable (jail_cgroups_describe() says why); NULL only when out of memory (err filled). */
JailCgroups *jail_cgroups_open(const char *parent, char *err, size_t errlen);
void jail_cgroups_close(JailCgroups *cg);
/* "cpu: v1 /sys/fs/cgroup/cpu/lodge; memory: v1 ...; pids: not available (no hierarchy)". Owned by cg. */
const char *jail_cgroups_describe(const JailCgroups *cg);
/* JAIL_CG_* bits of the controllers whose parent group this process can write. */
unsigned jail_cgroups_usable(const JailCgroups *cg);

/* A guest's shares. Zero fields mean "no limit" (weight: the default, 100). */
typedef struct JailLimits {
    unsigned cpu_weight;     /* 1..10000, relative (cgroup v2 scale; v1 cpu.shares = weight * 1024 / 100) */
    unsigned cpu_max_pct;    /* cap in percent of one CPU (150: one and a half CPUs); 0: no cap */
    uint64_t mem_max;        /* bytes: guest RAM + the process's overhead; 0: no limit */
    uint64_t pids_max;       /* tasks (threads count); 0: no limit */
} JailLimits;

typedef struct JailUsage {
    uint64_t cpu_ns;         /* CPU time used by the group (cpuacct.usage / cpu.stat usage_usec) */
    uint64_t throttled_ns;   /* time held back by the CPU cap */
    uint64_t mem_bytes;      /* memory charged now */
    uint64_t mem_peak;       /* highest charge seen (0 when the host does not say) */
    uint64_t oom_kills;      /* processes the memory limit killed */
    uint64_t pids;           /* tasks in the group now */
    unsigned have;           /* JAIL_CG_* bits of the fields above that were read */
} JailUsage;

/* name: the guest's id, [A-Za-z0-9_.-]{1,64}. Creates (or finds again, after a restart) the guest's group in
 * each usable hierarchy and applies lim. *in_force gets the JAIL_CG_* bits that hold; why (may be NULL)
 * the reason for each that does not. False only for a bad name. */
bool jail_cgroup_create(const JailCgroups *cg, const char *name, const JailLimits *lim, unsigned *in_force,
                        char *why, size_t whylen);
/* Moves pid (with its threads) into the guest's group in each hierarchy; *in_force as above. */
bool jail_cgroup_attach(const JailCgroups *cg, const char *name, pid_t pid, unsigned *in_force, char *why,
                        size_t whylen);
/* Changes a running guest's shares. False with err when the group cannot be written. name NULL: the Lodge
 * parent group itself, so all guests together get that weight or cap against the rest of the host. */
bool jail_set_cpu(const JailCgroups *cg, const char *name, unsigned weight, unsigned max_pct, char *err,
                  size_t errlen);
bool jail_set_memory(const JailCgroups *cg, const char *name, uint64_t max_bytes, char *err, size_t errlen);
bool jail_set_pids(const JailCgroups *cg, const char *name, uint64_t max, char *err, size_t errlen);
bool jail_cgroup_usage(const JailCgroups *cg, const char *name, JailUsage *out, char *err, size_t errlen);
/* The pids in the guest's group (to find a guest's process again after a restart); returns how many were
 * written (at most max), or -1 when there is no group. */
int jail_cgroup_pids(const JailCgroups *cg, const char *name, pid_t *pids, int max);
/* Kills what is left in the guest's group (SIGKILL), waits up to a second for it to empty and removes it.
 * The caller still reaps its children. */
bool jail_cgroup_remove(const JailCgroups *cg, const char *name, char *err, size_t errlen);

/* Removes the Lodge parent group (it must be empty: every guest's group removed first). */
bool jail_cgroup_remove_parent(const JailCgroups *cg, char *err, size_t errlen);

/* ---- Spawning a jailed process -------------------------------------------------------------------- */

enum {
    JAIL_BIND_RW   = 1u << 0,   /* writable (default: read-only) */
    JAIL_BIND_EXEC = 1u << 1,   /* programs may run from it (default: noexec) */
    JAIL_BIND_DEV  = 1u << 2,   /* a device node: bound as it is */
    JAIL_BIND_OPT  = 1u << 3,   /* skipped when the source does not exist */
};

typedef struct JailBind {
    const char *src;         /* host path: a file, directory or device node */
    const char *dst;         /* absolute path inside the jail; NULL: the same as src */
    unsigned flags;          /* JAIL_BIND_* */
} JailBind;

typedef struct JailRlimits {  /* 0: Lodge's default, in brackets */
    uint64_t nofile;          /* [1024] */
    uint64_t nproc;           /* [1024] tasks of the jailed user (threads count) */
    uint64_t fsize;           /* largest file it may write, e.g. its biggest disk [unlimited] */
    uint64_t as;              /* address space [unlimited: wasm reserves 8 GiB per memory] */
    uint64_t data;            /* [unlimited] */
} JailRlimits;                /* RLIMIT_CORE is always 0 */

typedef struct JailSpec {
    const char *name;         /* the guest's id ([A-Za-z0-9_.-]{1,64}): the cgroup's name and the hostname */
    const char *exe;          /* the program (host path); NULL: this program. Bound read-only at the same path,
                               * with every shared library this process has loaded (lodged jails lodged) */
    char *const *envp;        /* the environment; NULL: empty */
    const JailBind *binds;    /* made in order, after the program, its libraries and /dev/{null,zero,urandom} */
    size_t nbinds;
    const char *workdir;      /* the working directory inside the jail; NULL: "/" */
    bool tap;                 /* it opens a host tap: no network namespace, /dev/net/tun bound */
    bool proc;                /* mount a /proc of its own PID namespace (for /proc/self/fd) */
    bool stdio_set;           /* false: fds 0, 1, 2 are the caller's; true: stdio[] below */
    int stdio[3];             /* fds to become its 0, 1, 2; -1: /dev/null */
    const int *keep_fds;      /* more fds it inherits, at the same numbers (each >= 3); all others close */
    size_t nkeep;
    JailRlimits rlimits;
    const JailCgroups *cgroups; /* NULL: no cgroup */
    JailLimits limits;        /* with cgroups: the guest's group is created with these */
    bool set_ids;             /* run as uid/gid below, not as the caller (a root caller's way to an unprivileged
                               * user: the files it binds must be that user's to use); supplementary groups
                               * are dropped */
    uid_t uid;
    gid_t gid;
    unsigned require;         /* JAIL_* protections without which the spawn fails instead of degrading */
    unsigned disable;         /* JAIL_* protections not to attempt (e.g. JAIL_USERNS) */
} JailSpec;

typedef struct JailChild {
    pid_t pid;                /* in the caller's PID namespace */
    unsigned in_force;        /* JAIL_* bits */
    char report[1024];        /* "in force: userns mountns ...; missing: netns (a tap needs the host's
                               * network), cgroup-memory (EACCES on ...)": for the operator (`info`) */
} JailChild;

/* Starts argv[0..] (argv[0] is only its name; the program is spec->exe) in a new jail. Detached: a session
 * of its own, it survives the caller; the caller is its parent and reaps it (waitpid). With a PID namespace
 * the program is its PID 1: only signals it handles reach it from outside, except SIGKILL and SIGSTOP, so a
 * graceful stop needs a SIGTERM handler. Returns once the program has been exec'd in the jail (or failed to
 * be). A protection the host refuses is left out and named in out->report, unless spec->require has it: then
 * the spawn fails and err says why. False with err also when the program cannot be started.
 * Thread-safe; safe in a multithreaded caller (the child only makes system calls before exec). */
bool jail_spawn(const JailSpec *spec, char *const argv[], JailChild *out, char *err, size_t errlen);

/* ---- Seccomp: an allow-list per thread kind ------------------------------------------------------- */

typedef enum JailThreadKind {
    JAIL_THREAD_CONTROL,      /* a process's API/control thread: its sockets, files in its dir, poll, threads */
    JAIL_THREAD_HART,         /* a RISC-V hart: almost nothing (futex, clocks, sleeping, reads and writes) */
    JAIL_THREAD_IO,           /* a machine's device thread: file and tap I/O, polling, timers */
    JAIL_THREAD_WASM,         /* a wasm interpreter thread: memory growth, futex, clocks, WASI's file calls,
                               * signals for traps */
    JAIL_THREAD_NKINDS
} JailThreadKind;

/* "hart" -> JAIL_THREAD_HART (the names lodge_machine_config_t.on_thread passes); false when unknown. */
bool jail_thread_kind(const char *name, JailThreadKind *out);
const char *jail_thread_kind_name(JailThreadKind kind);

/* The baseline every jailed process gets at exec (jail_spawn installs it): the calls no guest process has a
 * use for and that widen the kernel's surface (unshare, setns, mount, ptrace, bpf, keyctl, perf_event_open,
 * userfaultfd, kexec, modules, clone with namespace flags...), answered EPERM. As a classic BPF program:
 * *filter (malloc'd; free it) and *len instructions. */
bool jail_seccomp_baseline(void **filter, unsigned short *len, char *err, size_t errlen);

/* Installs kind's allow-list on the calling thread only (threads it creates later inherit it; filters stack,
 * so a thread's list must be a subset of its creator's). Any other system call kills the whole process
 * (SIGSYS), so a violation is visible. Sets no_new_privs for the thread. False with err when the kernel
 * refuses the filter. */
bool jail_seccomp_apply(JailThreadKind kind, char *err, size_t errlen);

#endif
