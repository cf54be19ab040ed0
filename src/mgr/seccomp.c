/* seccomp.c: the system calls each kind of thread may make, as one table (name, kinds, why), installed with
 * libseccomp on the calling thread only. Anything else kills the whole process with SIGSYS, so a violation
 * is seen (the daemon reports the guest as crashed) instead of being an error a compromised thread could
 * probe. The lists come from running the real processes under `strace -f` (docs/hypervisor.md, Isolation). */
#include <errno.h>
#include <linux/filter.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "mgr/jail_int.h"

#define KC (1u << JAIL_THREAD_CONTROL)
#define KH (1u << JAIL_THREAD_HART)
#define KI (1u << JAIL_THREAD_IO)
#define KW (1u << JAIL_THREAD_WASM)
#define ALL (KC | KH | KI | KW)

typedef enum ArgRule {
    ANY,          /* no condition on the arguments */
    NOEXEC2,      /* argument 2 (prot) without PROT_EXEC: no new machine code, ever (W^X without a JIT) */
    THREAD0,      /* argument 0 (clone flags) with CLONE_THREAD: threads, never a new process */
    PRCTL0,       /* argument 0 one of PR_SET_NO_NEW_PRIVS, PR_SET_NAME, PR_GET_NAME */
    UNIX0,        /* argument 0 (domain) AF_UNIX: local sockets only, so no network even where the host
                   * granted no network namespace */
    ENOSYS_RULE,  /* answered ENOSYS instead of allowed (clone3: its flags are out of a filter's reach, so
                   * glibc falls back to clone, whose flags THREAD0 checks) */
} ArgRule;

typedef struct SysRule {
    const char *name;
    unsigned kinds;
    ArgRule arg;
    const char *why;
} SysRule;

/* Every thread, whatever it does: what glibc, pthreads, the allocator and signal handling need. */
static const SysRule rules[] = {
    {"futex", ALL, ANY, "mutexes, condition variables, pthread_join, the wait for work"},
    {"exit", ALL, ANY, "a thread ends"},
    {"exit_group", ALL, ANY, "the process ends (also abort's last step)"},
    {"rt_sigreturn", ALL, ANY, "return from a signal handler: wasm guard-page traps, a hart's kick"},
    {"rt_sigprocmask", ALL, ANY, "siglongjmp out of a trap restores the mask; pthreads block signals around clone"},
    {"rt_sigaction", KC | KW, ANY, "pthread_create installs its cancel handler on first use; the wasm trap handler is installed on first use"},
    {"sigaltstack", ALL, ANY, "the SIGSEGV handler runs on an alternate stack, set per thread"},
    {"restart_syscall", ALL, ANY, "the kernel resumes a sleep interrupted by a signal"},
    {"clock_gettime", ALL, ANY, "clocks, when the vDSO falls back to the system call"},
    {"gettimeofday", ALL, ANY, "the same fallback for gettimeofday"},
    {"clock_nanosleep", ALL, ANY, "sleeping (WFI with a timer, WASI sleep, backoff)"},
    {"nanosleep", ALL, ANY, "sleeping"},
    {"sched_yield", ALL, ANY, "spin-then-yield waits"},
    {"mmap", ALL, NOEXEC2, "allocator arenas, thread stacks, wasm memory reservations (never executable)"},
    {"munmap", ALL, ANY, "the allocator gives memory back"},
    {"memfd_create", KC | KW, ANY, "the copy-on-write image of a module's initial memory (wasm/image.c)"},
    {"mremap", ALL, ANY, "realloc of a large block moves its mapping (keeps its protection: never executable)"},
    {"mprotect", ALL, NOEXEC2, "wasm memory growth commits pages; allocator arenas grow (never executable)"},
    {"madvise", ALL, ANY, "the allocator and freed thread stacks release pages (MADV_DONTNEED)"},
    {"brk", ALL, ANY, "the allocator's main arena"},
    {"getpid", ALL, ANY, "raise() and abort() name the process"},
    {"gettid", ALL, ANY, "raise() and pthread_kill name the thread"},
    {"tgkill", ALL, ANY, "raise(), abort(), pthread_kill to kick a hart out of its loop"},
    {"getrandom", ALL, ANY, "the allocator's randomisation; WASI random_get; virtio-rng"},
    {"read", ALL, ANY, "console input, event fds, files already open"},
    {"write", ALL, ANY, "console output, logs, event fds, files already open"},
    {"readv", ALL, ANY, "the same, scattered"},
    {"writev", ALL, ANY, "the same, gathered (stdio uses it)"},
    {"pread64", KH | KI | KW | KC, ANY, "virtio-blk reads at an offset; WASI fd_pread"},
    {"pwrite64", KH | KI | KW | KC, ANY, "virtio-blk writes at an offset; WASI fd_pwrite"},
    {"preadv", KH | KI | KW | KC, ANY, "the same, scattered"},
    {"pwritev", KH | KI | KW | KC, ANY, "the same, gathered"},
    {"fdatasync", KH | KI | KW | KC, ANY, "a guest's flush request; WASI fd_datasync"},
    {"fsync", KH | KI | KW | KC, ANY, "the same; WASI fd_sync"},
    {"ppoll", ALL, ANY, "waiting on the console, a tap or an event fd with a timeout"},
    {"poll", ALL, ANY, "the same"},
    {"fstat", ALL, ANY, "stdio asks whether its stream is a terminal"},
    {"newfstatat", ALL, ANY, "the same through fstatat; WASI fd_filestat_get, path_filestat_get"},
    {"lseek", ALL, ANY, "WASI fd_seek; disk images"},
    {"close", ALL, ANY, "a thread closes what it opened (WASI fd_close; a console detaching)"},
    {"fcntl", ALL, ANY, "non-blocking flags; WASI fd_fdstat_set_flags"},
    {"ioctl", KC | KI | KW, ANY, "isatty (TCGETS); the tap's TUNSETIFF and offloads; FIONREAD"},

    /* The control thread: its API socket, files in its own directory, and the threads it starts. */
    {"clone", KC, THREAD0, "start hart, device and interpreter threads; never a process"},
    {"clone3", ALL, ENOSYS_RULE, "answered ENOSYS so pthread_create falls back to clone (filterable flags)"},
    {"set_robust_list", KC, ANY, "a new thread registers its robust futex list (inherits the creator's filter)"},
    {"rseq", KC, ANY, "a new thread registers restartable sequences (same)"},
    {"prctl", KC, PRCTL0, "a new thread names itself and sets no_new_privs before its own filter"},
    {"seccomp", KC, ANY, "a new thread installs its own, narrower list (filters only ever narrow)"},
    {"sched_getaffinity", KC | KW, ANY, "how many CPUs there are (sysconf)"},
    {"socket", KC, UNIX0, "the API socket; AF_UNIX only"},
    {"bind", KC, ANY, "the API socket's path in the guest's directory"},
    {"listen", KC, ANY, "the API socket"},
    {"accept4", KC | KI | KW, ANY, "API clients; a console client (a console pump thread); WASI sock_accept"},
    {"connect", KC, ANY, "a worker reaches its daemon"},
    {"recvfrom", KC | KI | KW, ANY, "API requests; WASI sock_recv"},
    {"sendto", KC | KI | KW, ANY, "API answers; WASI sock_send"},
    {"recvmsg", KC | KI | KW, ANY, "fds passed over the API socket; WASI sock_recv"},
    {"sendmsg", KC | KI | KW, ANY, "the same, sending"},
    {"shutdown", KC | KW, ANY, "an API connection or a WASI socket is shut"},
    {"setsockopt", KC, ANY, "socket options on the API socket"},
    {"getsockopt", KC, ANY, "SO_ERROR, SO_PEERCRED"},
    {"getsockname", KC, ANY, "the API socket"},
    {"getpeername", KC, ANY, "the API client"},
    {"socketpair", KC, ANY, "the console stream between the machine and its API"},
    {"pipe2", KC, ANY, "wakeups between threads"},
    {"eventfd2", KC, ANY, "wakeups between threads"},
    {"epoll_create1", KC | KI, ANY, "the API and device threads' event loops"},
    {"epoll_ctl", KC | KI, ANY, "the same"},
    {"epoll_wait", KC | KI, ANY, "the same"},
    {"epoll_pwait", KC | KI, ANY, "the same"},
    {"timerfd_create", KC | KI, ANY, "device timers"},
    {"timerfd_settime", KC | KI, ANY, "device timers"},
    {"openat", KC | KW, ANY, "files in the guest's directory (state, logs, disks given later); WASI path_open"},
    {"openat2", KW, ANY, "WASI path_open: the kernel keeps the lookup beneath the preopen (RESOLVE_BENEATH)"},
    {"dup", KC, ANY, "stdio redirection"},
    {"dup3", KC, ANY, "stdio redirection"},
    {"statx", KC | KW, ANY, "file metadata; WASI path_filestat_get"},
    {"getdents64", KC | KW, ANY, "the guest's directory; WASI fd_readdir"},
    {"unlinkat", KC | KW, ANY, "a stale API socket; WASI path_unlink_file, path_remove_directory"},
    {"mkdirat", KC | KW, ANY, "the guest's directory; WASI path_create_directory"},
    {"renameat", KC | KW, ANY, "state files replaced atomically; WASI path_rename"},
    {"renameat2", KC | KW, ANY, "the same through glibc's rename"},
    {"readlinkat", KC | KW, ANY, "WASI path_readlink; /proc/self/exe"},
    {"linkat", KW, ANY, "WASI path_link"},
    {"symlinkat", KW, ANY, "WASI path_symlink"},
    {"faccessat", KC, ANY, "access() on the guest's files"},
    {"faccessat2", KC, ANY, "the same, newer glibc"},
    {"flock", KC, ANY, "disk images are locked (shared read-only, exclusive writable) against a second machine"},
    {"ftruncate", KC | KW, ANY, "state files; WASI fd_filestat_set_size"},
    {"fallocate", KC | KH | KI | KW, ANY, "a guest's discard punches a hole in its disk (on the hart); WASI fd_allocate"},
    {"utimensat", KW, ANY, "WASI fd_filestat_set_times, path_filestat_set_times"},
    {"fadvise64", KW, ANY, "WASI fd_advise"},
    {"getrusage", KC | KW, ANY, "a worker reports its instances' CPU time"},
    {"unlink", KC, ANY, "glibc's unlink(): a stale socket (x86-64 keeps the old path calls)"},
    {"rename", KC, ANY, "glibc's rename(): state files replaced atomically"},
    {"mkdir", KC, ANY, "glibc's mkdir()"},
    {"rmdir", KC, ANY, "glibc's rmdir()"},
    {"access", KC, ANY, "glibc's access()"},
    {"readlink", KC, ANY, "glibc's readlink(): /proc/self/exe"},
    {"fchmod", KC, ANY, "a socket or state file made private"},
    {"rt_sigtimedwait", KC, ANY, "the machine process's main thread waits for its stop signals"},
    {"mincore", KC, ANY, "a machine's stats count the guest RAM the host has backed"},
    {"chmod", KC, ANY, "glibc's chmod(): the API socket made private (0600) once bound"},
    {"getuid", KC, ANY, "identity in logs"},
    {"geteuid", KC, ANY, "identity in logs"},
    {"uname", KC, ANY, "glibc asks the kernel version once"},
};

/* The baseline (jail_seccomp_baseline): calls a guest process never needs, whose kernel code is a common
 * way up for an exploit. EPERM rather than a kill: libraries probe some of them and cope. */
static const char *const baseline_deny[] = {
    "unshare", "setns",                                         /* no new namespaces: their code is large */
    "mount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick",                            /* the jail's file system view is final */
#ifndef JAIL_SANITIZED
    "ptrace",                                                   /* (a sanitizer's leak check needs it) */
#endif
    "process_vm_readv", "process_vm_writev",                    /* no reaching into other processes */
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "quotactl", "syslog", "iopl", "ioperm", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "open_by_handle_at", "name_to_handle_at",
    "fanotify_init", "lookup_dcookie", "vhangup",
};

bool jail_seccomp_baseline(void **filter, unsigned short *len, char *err, size_t errlen)
{
    *filter = NULL;
    *len = 0;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        snprintf(err, errlen, "seccomp: out of memory");
        return false;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof baseline_deny / sizeof baseline_deny[0] && rc >= 0; i++) {
        int nr = seccomp_syscall_resolve_name(baseline_deny[i]);
        if (nr != __NR_SCMP_ERROR)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    /* clone with a namespace flag: each flag its own rule (a filter compares masked values for equality). */
    static const unsigned long nsflags[] = {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                                            CLONE_NEWUTS, CLONE_NEWCGROUP};
    for (size_t i = 0; i < sizeof nsflags / sizeof nsflags[0] && rc >= 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, nsflags[i], nsflags[i]));
    /* clone3's flags are out of reach: ENOSYS makes glibc fall back to clone. */
    if (rc >= 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc < 0) {
        snprintf(err, errlen, "seccomp: baseline rule: %s", strerror(-rc));
        seccomp_release(ctx);
        return false;
    }
    /* libseccomp writes the program to an fd: a memory file, read back whole. */
    int fd = memfd_create("lodge-seccomp", MFD_CLOEXEC);
    off_t size;
    void *buf = NULL;
    if (fd < 0 || (rc = seccomp_export_bpf(ctx, fd)) < 0 || (size = lseek(fd, 0, SEEK_END)) <= 0 ||
        size % sizeof(struct sock_filter) || size / sizeof(struct sock_filter) > 0xffff || !(buf = malloc((size_t)size)) ||
        pread(fd, buf, (size_t)size, 0) != size) {
        snprintf(err, errlen, "seccomp: cannot export the baseline: %s", rc < 0 ? strerror(-rc) : strerror(errno));
        free(buf);
        if (fd >= 0)
            close(fd);
        seccomp_release(ctx);
        return false;
    }
    close(fd);
    seccomp_release(ctx);
    *filter = buf;
    *len = (unsigned short)(size / sizeof(struct sock_filter));
    return true;
}

bool jail_thread_kind(const char *name, JailThreadKind *out)
{
    for (int k = 0; k < JAIL_THREAD_NKINDS; k++)
        if (name && strcmp(name, jail_thread_kind_name((JailThreadKind)k)) == 0) {
            *out = (JailThreadKind)k;
            return true;
        }
    return false;
}

const char *jail_thread_kind_name(JailThreadKind kind)
{
    static const char *const names[JAIL_THREAD_NKINDS] = {"control", "hart", "io", "wasm"};
    return (unsigned)kind < JAIL_THREAD_NKINDS ? names[kind] : "?";
}

static int add_rule(scmp_filter_ctx ctx, const SysRule *r, int nr)
{
    switch (r->arg) {
    case ANY:
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    case NOEXEC2:
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    case THREAD0:
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    case PRCTL0: {
        static const int ops[] = {PR_SET_NO_NEW_PRIVS, PR_SET_NAME, PR_GET_NAME};
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
            int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)ops[i], 0));
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    case UNIX0:
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_UNIX, 0));
    case ENOSYS_RULE:
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
    }
    return -EINVAL;
}

#ifdef JAIL_SANITIZED
/* LeakSanitizer's check at exit stops the world with ptrace from a tracer process: nothing a filtered
 * process may do. Run the check now instead (it also turns the one at exit off), before the first filter. */
void __lsan_do_leak_check(void);
#endif

bool jail_seccomp_apply(JailThreadKind kind, char *err, size_t errlen)
{
#ifdef JAIL_SANITIZED
    __lsan_do_leak_check();
#endif
    if ((unsigned)kind >= JAIL_THREAD_NKINDS) {
        snprintf(err, errlen, "seccomp: unknown thread kind %d", (int)kind);
        return false;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        snprintf(err, errlen, "seccomp: cannot make a filter (out of memory)");
        return false;
    }
    int rc = 0;
    /* Only this thread (no TSYNC): each thread kind gets its own list. */
    if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 0)) < 0 ||
        (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) < 0)
        goto fail;
    unsigned bit = 1u << kind;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (!(rules[i].kinds & bit))
            continue;
        int nr = seccomp_syscall_resolve_name(rules[i].name);
        if (nr == __NR_SCMP_ERROR)
            continue; /* not a system call on this architecture (e.g. a newer one on an older libseccomp) */
        if ((rc = add_rule(ctx, &rules[i], nr)) < 0) {
            snprintf(err, errlen, "seccomp: rule for %s: %s", rules[i].name, strerror(-rc));
            seccomp_release(ctx);
            return false;
        }
    }
    if ((rc = seccomp_load(ctx)) < 0)
        goto fail;
    seccomp_release(ctx);
    return true;
fail:
    snprintf(err, errlen, "seccomp: cannot install the %s list: %s", jail_thread_kind_name(kind), strerror(-rc));
    seccomp_release(ctx);
    return false;
}
