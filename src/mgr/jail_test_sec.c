/* jail_test_sec.c: `lodged jail-test` cases for the seccomp lists: a forbidden call per thread kind kills
 * the process with SIGSYS, ordinary work survives, a wasm store and a real machine run under their lists. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lodge.h"
#include "mgr/jail_test.h"
#include "mgr/mgr.h"

/* ---- Seccomp -------------------------------------------------------------------------------------- */

typedef struct SecArgs {
    JailThreadKind kind;
    const char *call;
} SecArgs;

/* (memory 1) (func (export "grow") (result i32) (memory.grow (i32.const 1)))
 * (func (export "oob") (result i32) (i32.load (i32.const 0x7fffffff))) */
static const uint8_t grow_oob_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x03, 0x02,
    0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x0e, 0x02, 0x04, 'g',  'r',  'o',  'w',  0x00, 0x00, 0x03,
    'o',  'o',  'b',  0x00, 0x01, 0x0a, 0x14, 0x02, 0x06, 0x00, 0x41, 0x01, 0x40, 0x00, 0x0b, 0x0b, 0x00, 0x41,
    0xff, 0xff, 0xff, 0xff, 0x07, 0x28, 0x02, 0x00, 0x0b,
};

/* The interpreter's own work on this thread: decode, validate, instantiate (an 8 GiB reservation), grow the
 * memory, and an out-of-bounds load caught by the guard pages (SIGSEGV, its handler, the jump back). */
static void wasm_run(void)
{
    lodge_error_t e = {0};
    lodge_engine_t *eng = lodge_engine_new(NULL);
    lodge_module_t *mod = eng ? lodge_module_new(eng, grow_oob_wasm, sizeof grow_oob_wasm, &e) : NULL;
    lodge_store_t *st = mod ? lodge_store_new(eng, NULL) : NULL;
    lodge_instance_t *in = st ? lodge_instance_new(st, mod, NULL, 0, &e) : NULL;
    lodge_extern_t grow, oob;
    if (!in || !lodge_instance_export(in, "grow", &grow) || !lodge_instance_export(in, "oob", &oob)) {
        printf("wasm: cannot instantiate: %s\n", e.message);
    } else {
        lodge_val_t r[1];
        for (int i = 0; i < 3; i++)
            if (lodge_func_call(st, grow.of.func, NULL, 0, r, 1, &e))
                printf("wasm: memory.grow -> %d pages before\n", (int)r[0].of.i32);
        bool ok = lodge_func_call(st, oob.of.func, NULL, 0, r, 1, &e);
        printf("wasm: out-of-bounds load %s: %s\n", ok ? "did not trap" : "trapped", ok ? "" : e.message);
    }
    if (st)
        lodge_store_delete(st);
    if (mod)
        lodge_module_delete(mod);
    if (eng)
        lodge_engine_delete(eng);
}

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
    } else if (strcmp(a->call, "unix-socket") == 0) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
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
    } else if (strcmp(a->call, "wasm-run") == 0) {
        wasm_run();
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
int jt_seccomp_child(int argc, char **argv)
{
    SecArgs a = {JAIL_THREAD_HART, jt_arg(argc, argv, "--call", "none")};
    if (!jail_thread_kind(jt_arg(argc, argv, "--kind", "hart"), &a.kind)) {
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
int jt_seccomp_case(int argc, char **argv)
{
    T t = {0};
    const char *kind = jt_arg(argc, argv, "--kind", "hart"), *call = jt_arg(argc, argv, "--call", "none");
    bool expect_kill = strcmp(jt_arg(argc, argv, "--expect", "sigsys"), "sigsys") == 0;
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
        jt_check(&t, false, "spawn: %s", err);
        return jt_finish(&t);
    }
    char buf[1024] = "";
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(out[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(out[0]);
    int st = jt_wait(jc.pid, 10);
    bool legit = strstr(buf, "legit work done") != NULL;
    if (strcmp(call, "wasm-run") == 0)
        jt_check(&t, strstr(buf, "3 pages before") && strstr(buf, "trapped: out of bounds memory access"),
              "wasm under its list: memory grows and a guard-page fault becomes a trap");
    for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
        printf("  child: %s\n", p);
    jt_check(&t, legit, "a %s thread does its ordinary work under its list", kind);
    if (expect_kill)
        jt_check(&t, st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
              "%s on a %s thread kills the process with SIGSYS (status %#x)", call, kind, st);
    else
        jt_check(&t, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s on a %s thread is allowed (status %#x)",
              call, kind, st);
    return jt_finish(&t);
}

/* ---- A real machine under the jail and the hart list ---------------------------------------------- */

static void machine_thread_hook(void *opaque, const char *kind)
{
    JailThreadKind k;
    char err[256];
    if (!jail_thread_kind(kind, &k) || !jail_seccomp_apply(k, err, sizeof err)) {
        printf("on_thread(%s): %s\n", kind, jail_thread_kind(kind, &k) ? err : "unknown kind");
        fflush(stdout);
        _exit(3);
    }
    printf("on_thread(%s): filter installed\n", kind);
    fflush(stdout);
}

/* `jail-test machine-child --kernel K --initrd I --disk D --cmd C --console FILE [--no-seccomp]`: boots the
 * guest through lodge_machine_*, its main thread under the control list and the machine's thread under the
 * list of its kind, and waits for it to power off. */
int jt_machine_child(int argc, char **argv)
{
    bool sec = !jt_flag(argc, argv, "--no-seccomp");
    char err[256];
    if (sec && !jail_seccomp_apply(JAIL_THREAD_CONTROL, err, sizeof err)) {
        printf("control: %s\n", err);
        return 3;
    }
    char cmdline[1024];
    snprintf(cmdline, sizeof cmdline, "console=ttyS0 quiet lodge_cmd=\"%s\"", jt_arg(argc, argv, "--cmd", "true"));
    lodge_machine_config_t cfg = {
        .mem_bytes = 128 << 20,
        .kernel = jt_arg(argc, argv, "--kernel", NULL),
        .initrd = jt_arg(argc, argv, "--initrd", NULL),
        .cmdline = cmdline,
        .console = LODGE_CONSOLE_FILE,
        .console_file = jt_arg(argc, argv, "--console", NULL),
        .on_thread = sec ? machine_thread_hook : NULL,
    };
    const char *disk = jt_arg(argc, argv, "--disk", NULL);
    if (disk)
        cfg.disks[cfg.ndisks++] = (lodge_machine_disk_t){.path = disk, .read_only = true};
    const char *scratch = jt_arg(argc, argv, "--scratch", NULL);
    if (scratch)
        cfg.disks[cfg.ndisks++] = (lodge_machine_disk_t){.path = scratch, .read_only = false};
    lodge_error_t e = {0};
    lodge_machine_t *m = lodge_machine_new(&cfg, &e);
    if (!m || !lodge_machine_start(m, &e)) {
        printf("machine: %s\n", e.message);
        return 4;
    }
    lodge_machine_exit_t why = LODGE_MACHINE_NOT_EXITED;
    bool ended = lodge_machine_wait(m, 60000, &why);
    printf("exit %s\n", ended ? lodge_machine_exit_name(why) : "timeout");
    fflush(stdout);
    lodge_machine_delete(m);
    return ended && why == LODGE_MACHINE_POWEROFF ? 0 : 5;
}

/* `jail-test machine --guest DIR --state DIR`: a jailed machine process (kernel, initrd and disk bound
 * read-only, its state dir writable, a cgroup of RAM + overhead) boots Linux, reads its disk and powers off
 * with the hart list on its machine thread. */
int jt_machine_case(int argc, char **argv)
{
    T t = {0};
    const char *guest = jt_arg(argc, argv, "--guest", NULL), *state = jt_arg(argc, argv, "--state", NULL);
    if (!guest || !state) {
        fprintf(stderr, "jail-test machine: --guest DIR --state DIR\n");
        return MGR_EXIT_USAGE;
    }
    char kernel[4096], initrd[4096], disk[4096], console[4096], scratch[4096];
    snprintf(kernel, sizeof kernel, "%s/Image", guest);
    snprintf(initrd, sizeof initrd, "%s/initramfs.cpio", guest);
    snprintf(disk, sizeof disk, "%s/disk.ext4", guest);
    snprintf(console, sizeof console, "%s/console.log", state);
    snprintf(scratch, sizeof scratch, "%s/scratch.img", state);
    if (access(kernel, R_OK) || access(initrd, R_OK) || access(disk, R_OK)) {
        jt_skip(&t, "a jailed machine boots",
                "no default guest (Image, initramfs.cpio, disk.ext4) there: make guest, or set LODGE_GUEST_DIR");
        return jt_finish(&t);
    }
    JailCgroups *cg = jt_cgroups_open(&t);
    /* A writable scratch disk, zeroed, made for this run. */
    int sfd = open(scratch, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (sfd < 0 || ftruncate(sfd, 1 << 20) < 0) {
        jt_check(&t, false, "cannot make %s: %s", scratch, strerror(errno));
        return jt_finish(&t);
    }
    fchmod(sfd, 0666); /* the jailed user may be another */
    close(sfd);
    JailBind binds[] = {{kernel, NULL, 0}, {initrd, NULL, 0}, {disk, NULL, 0}, {state, NULL, JAIL_BIND_RW}};
    JailSpec spec = {
        .name = "jail-test-machine", .binds = binds, .nbinds = 4, .workdir = state,
        .stdio_set = true, .stdio = {-1, 1, 2},
        .rlimits = {.fsize = 64 << 20},
        .cgroups = cg,
        .limits = {.mem_max = (128 + 128) << 20, .pids_max = 64},
    };
    const char *uid = jt_arg(argc, argv, "--uid", NULL);
    if (uid) {
        spec.set_ids = true;
        spec.uid = (uid_t)atoi(uid);
        spec.gid = (gid_t)atoi(uid);
    }
    /* The sleep idles the hart (WFI): the wait for the timer runs under the list too. */
    const char *cmd = "echo guest-says-hello; dd if=/dev/vda of=/dev/null bs=64k count=64 2>/dev/null && "
                      "echo disk-read-ok; echo lodge-was-here | dd of=/dev/vdb bs=512 seek=8 conv=fsync 2>/dev/null && "
                      "echo disk-write-ok; sleep 1; echo slept";
    char *args[] = {"lodged", "jail-test", "machine-child", "--kernel", kernel, "--initrd", initrd, "--disk", disk,
                    "--scratch", scratch, "--cmd", (char *)cmd, "--console", console, NULL};
    JailChild jc;
    char err[1024];
    fflush(stdout);
    unlink(console); /* the log must be this run's */
    double t0 = jt_now();
    if (!jail_spawn(&spec, args, &jc, err, sizeof err)) {
        jt_check(&t, false, "spawn: %s", err);
    } else {
        printf("machine: %s\n", jc.report);
        int st = jt_wait(jc.pid, 90);
        double took = jt_now() - t0;
        char log[65536] = "";
        int fd = open(console, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, log, sizeof log - 1) : -1;
        log[n > 0 ? n : 0] = '\0';
        if (fd >= 0)
            close(fd);
        jt_check(&t, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "the jailed machine process boots Linux to poweroff in %.1fs, its machine thread under the hart "
              "list (status %#x%s)", took, st, st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS ? ": SIGSYS" : "");
        char block[32] = "";
        int dfd = open(scratch, O_RDONLY | O_CLOEXEC);
        if (dfd >= 0 && pread(dfd, block, 14, 4096) != 14)
            block[0] = '\0';
        if (dfd >= 0)
            close(dfd);
        jt_check(&t, strstr(log, "disk-write-ok") && memcmp(block, "lodge-was-here", 14) == 0,
                 "the guest's write to its writable disk reached the host file (written and flushed on the hart)");
        jt_check(&t, strstr(log, "guest-says-hello") && strstr(log, "disk-read-ok") && strstr(log, "slept"),
              "the guest ran its command, read its read-only disk and idled a second (console in the bound state "
              "dir)");
        if (cg) {
            char e2[256];
            jail_cgroup_remove(cg, spec.name, e2, sizeof e2);
        }
    }
    if (cg)
        jt_cgroups_close(cg);
    return jt_finish(&t);
}

