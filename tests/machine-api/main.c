/* The public system-VM API as an embedder sees it (lodge.h only): boots the default guest with a STREAM
 * console, types at its shell, pauses and resumes it, reads its figures, stops it from another thread, runs
 * two machines at once, asks one to power off, deletes one that runs. Every wait is bounded.
 * Usage: machine-api-tests GUEST_DIR WORK_DIR. Prints "PASS name", "FAIL name: why" or "SKIP name: why". */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lodge.h"

static int passed, failed, skipped;
static const char *guest_dir, *work_dir;
static char kernel[4096], initrd[4096], disk_src[4096];
static int boot_timeout_ms = 180000;

static void pass(const char *name) { printf("PASS %s\n", name); passed++; fflush(stdout); }
static void skip(const char *name, const char *why) { printf("SKIP %s: %s\n", name, why); skipped++; fflush(stdout); }

static bool fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failed++;
    fflush(stdout);
    return false;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* ---- the console as a byte stream ---- */

/* What a machine's console has said, kept whole (guest output in these tests is small) so that a search
 * can start after a mark. */
typedef struct Console {
    lodge_machine_t *m;
    int fd;
    char *buf;
    size_t len, cap;
} Console;

static void con_init(Console *c, lodge_machine_t *m)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    c->fd = lodge_machine_console_fd(m);
}

static void con_free(Console *c)
{
    free(c->buf);
    c->buf = NULL;
}

/* Reads what is there now, waiting at most wait_ms for the first byte. */
static void con_pump(Console *c, int wait_ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, wait_ms) <= 0)
        return;
    for (;;) {
        if (c->cap - c->len < 4096) {
            size_t cap = c->cap ? c->cap * 2 : 65536;
            char *b = realloc(c->buf, cap + 1);
            if (!b)
                return;
            c->buf = b;
            c->cap = cap;
        }
        ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (n <= 0)
            break;
        c->len += (size_t)n;
    }
    c->buf[c->len] = '\0';
}

/* True once needle shows in the output after byte `from`, within timeout_ms. */
static bool con_expect(Console *c, size_t from, const char *needle, int timeout_ms)
{
    uint64_t end = now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        if (c->len > from && memmem(c->buf + from, c->len - from, needle, strlen(needle)))
            return true;
        uint64_t t = now_ms();
        if (t >= end || lodge_machine_state(c->m) == LODGE_STATE_STOPPED)
            return false;
        con_pump(c, (int)(end - t < 100 ? end - t : 100));
    }
}

static bool con_type(Console *c, const char *text)
{
    size_t n = strlen(text), off = 0;
    uint64_t end = now_ms() + 5000;
    while (off < n && now_ms() < end) {
        ssize_t w = write(c->fd, text + off, n - off);
        if (w > 0)
            off += (size_t)w;
        else
            sleep_ms(5);
    }
    return off == n;
}

/* The last bytes of the output, with control characters shown as '.', for failure messages. */
static const char *con_tail(const Console *c)
{
    static char out[161];
    size_t n = c->len < 160 ? c->len : 160, k = 0;
    for (size_t i = c->len - n; i < c->len; i++)
        out[k++] = (c->buf[i] >= 32 && c->buf[i] < 127) ? c->buf[i] : '.';
    out[k] = '\0';
    return out;
}

/* Keeps the whole console output in WORK_DIR/NAME.console for a failure's post-mortem. */
static void con_save(const Console *c, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.console", work_dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(c->buf, 1, c->len, f);
        fclose(f);
    }
}

/* Types a shell command and waits for its answer. */
static bool con_run(Console *c, const char *cmd, const char *answer, int timeout_ms)
{
    size_t mark = c->len;
    return con_type(c, cmd) && con_expect(c, mark, answer, timeout_ms);
}

/* ---- machines ---- */

static lodge_machine_config_t default_config(void)
{
    lodge_machine_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mem_bytes = 128ull << 20;
    cfg.kernel = kernel;
    cfg.initrd = initrd;
    cfg.cmdline = "console=ttyS0 quiet";
    cfg.console = LODGE_CONSOLE_STREAM;
    return cfg;
}

/* Starts a machine and waits for its shell prompt. NULL after reporting a failure under `name`. *overhead
 * (may be NULL) gets the machine's overhead before it started. */
static lodge_machine_t *boot(const char *name, const lodge_machine_config_t *cfg, Console *c, uint64_t *overhead)
{
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_machine_t *m = lodge_machine_new(cfg, &err);
    if (!m) {
        fail(name, "lodge_machine_new: %s", err.message);
        return NULL;
    }
    if (lodge_machine_console_fd(m) < 0) {
        fail(name, "no console fd in STREAM mode");
        lodge_machine_delete(m);
        return NULL;
    }
    lodge_machine_stats_t s0;
    lodge_machine_stats(m, &s0);
    if (overhead)
        *overhead = s0.overhead_bytes;
    if (!lodge_machine_start(m, &err)) {
        fail(name, "lodge_machine_start: %s", err.message);
        lodge_machine_delete(m);
        return NULL;
    }
    con_init(c, m);
    if (!con_expect(c, 0, "/ # ", boot_timeout_ms)) {
        fail(name, "no shell prompt within %d s (state %s): ...%s", boot_timeout_ms / 1000,
             lodge_state_name(lodge_machine_state(m)), con_tail(c));
        lodge_machine_delete(m);
        con_free(c);
        return NULL;
    }
    sleep_ms(300);      /* the shell's terminal-size query must not eat what is typed next */
    con_pump(c, 0);
    return m;
}

/* ---- tests without a guest ---- */

static void test_bad_config(void)
{
    const char *name = "bad-config";
    lodge_error_t err;
    lodge_machine_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.console = LODGE_CONSOLE_NONE;
    memset(&err, 0, sizeof err);
    if (lodge_machine_new(&cfg, &err) || err.status != LODGE_ERR_ARG || !strstr(err.message, "kernel"))
        return (void)fail(name, "no kernel: status %d '%s'", err.status, err.message);
    cfg.kernel = "/nonexistent/Image";
    cfg.cpus = 9;
    memset(&err, 0, sizeof err);
    if (lodge_machine_new(&cfg, &err) || err.status != LODGE_ERR_ARG || !strstr(err.message, "cpus"))
        return (void)fail(name, "9 cpus: status %d '%s'", err.status, err.message);
    cfg.cpus = 1;
    cfg.mem_bytes = 4ull << 20;
    memset(&err, 0, sizeof err);
    if (lodge_machine_new(&cfg, &err) || err.status != LODGE_ERR_ARG || !strstr(err.message, "MiB"))
        return (void)fail(name, "4 MiB: status %d '%s'", err.status, err.message);
    cfg.mem_bytes = 0;
    memset(&err, 0, sizeof err);
    if (lodge_machine_new(&cfg, &err) || err.status != LODGE_ERR_IO || !strstr(err.message, "/nonexistent/Image"))
        return (void)fail(name, "missing kernel: status %d '%s'", err.status, err.message);
    cfg.max_overhead = 1024;
    memset(&err, 0, sizeof err);
    if (lodge_machine_new(&cfg, &err) || err.status != LODGE_ERR_NOMEM || !strstr(err.message, "overhead limit"))
        return (void)fail(name, "max_overhead 1 KiB: status %d '%s'", err.status, err.message);
    cfg.max_overhead = 0;
    cfg.console = (lodge_console_mode_t)42;
    memset(&err, 0, sizeof err);
    if (lodge_machine_new(&cfg, &err) || err.status != LODGE_ERR_ARG)
        return (void)fail(name, "console mode 42: status %d '%s'", err.status, err.message);
    if (strcmp(lodge_state_name(LODGE_STATE_PAUSED), "paused") || strcmp(lodge_machine_exit_name(LODGE_MACHINE_POWEROFF), "poweroff"))
        return (void)fail(name, "names");
    pass(name);
}

/* A machine that was made but never started: nothing runs, control calls refuse, delete frees it. */
static void test_created(void)
{
    const char *name = "created-not-started";
    lodge_machine_config_t cfg = default_config();
    cfg.console = LODGE_CONSOLE_NONE;
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_machine_t *m = lodge_machine_new(&cfg, &err);
    if (!m)
        return (void)fail(name, "lodge_machine_new: %s", err.message);
    lodge_machine_stats_t s;
    lodge_machine_stats(m, &s);
    lodge_machine_exit_t ex = LODGE_MACHINE_POWEROFF;
    bool ok = lodge_machine_state(m) == LODGE_STATE_CREATED && s.state == LODGE_STATE_CREATED && s.instructions == 0
              && s.mem_bytes == cfg.mem_bytes && s.overhead_bytes > 0 && lodge_machine_console_fd(m) == -1
              && !lodge_machine_pause(m, &err) && !lodge_machine_resume(m, &err) && !lodge_machine_wait(m, 50, &ex)
              && ex == LODGE_MACHINE_NOT_EXITED;
    lodge_machine_delete(m);
    if (!ok)
        return (void)fail(name, "state %d instructions %llu mem %llu overhead %llu", s.state,
                          (unsigned long long)s.instructions, (unsigned long long)s.mem_bytes,
                          (unsigned long long)s.overhead_bytes);
    pass(name);
}

/* ---- one guest, many checks ---- */

static bool read_uptime(Console *c, double *up)
{
    size_t mark = c->len;
    if (!con_type(c, "cat /proc/uptime | sed 's/^/UP=/'\n") || !con_expect(c, mark, "\nUP=", 10000))
        return false;
    con_expect(c, mark, "/ # ", 10000);
    const char *p = memmem(c->buf + mark, c->len - mark, "\nUP=", 4);
    return p && sscanf(p + 4, "%lf", up) == 1;
}

static void test_pause(lodge_machine_t *m, Console *c)
{
    const char *name = "pause-resume";
    lodge_error_t err;
    double up0, up1;
    uint64_t h0 = now_ms();
    if (!read_uptime(c, &up0))
        return (void)fail(name, "no uptime: %s", con_tail(c));
    if (!lodge_machine_pause(m, &err))
        return (void)fail(name, "pause: %s", err.message);
    lodge_machine_stats_t a, b, d;
    lodge_machine_stats(m, &a);
    sleep_ms(1000);
    lodge_machine_stats(m, &b);
    if (a.state != LODGE_STATE_PAUSED || lodge_machine_state(m) != LODGE_STATE_PAUSED)
        return (void)fail(name, "state %s while paused", lodge_state_name(a.state));
    if (b.instructions != a.instructions)
        return (void)fail(name, "instructions went on while paused: %llu -> %llu", (unsigned long long)a.instructions,
                          (unsigned long long)b.instructions);
    if (b.run_ns != a.run_ns)
        return (void)fail(name, "run time counted while paused");
    if (lodge_machine_pause(m, &err))
        return (void)fail(name, "a second pause succeeded");
    if (!lodge_machine_resume(m, &err))
        return (void)fail(name, "resume: %s", err.message);
    if (lodge_machine_resume(m, &err))
        return (void)fail(name, "resume of a running machine succeeded");
    sleep_ms(200);
    lodge_machine_stats(m, &d);
    if (d.instructions <= b.instructions || d.state != LODGE_STATE_RUNNING)
        return (void)fail(name, "no progress after resume (%llu -> %llu)", (unsigned long long)b.instructions,
                          (unsigned long long)d.instructions);
    if (!read_uptime(c, &up1))
        return (void)fail(name, "no uptime after resume: %s", con_tail(c));
    double host = (now_ms() - h0) / 1000.0;
    /* The guest's clock stood still for the second it was paused: between the two readings it advanced about
     * the host's time minus that second (a clock that ran on would show the host's whole time). */
    if (up1 - up0 > host - 0.5)
        return (void)fail(name, "guest uptime advanced %.2f s in %.2f s of host time with a 1 s pause", up1 - up0, host);
    printf("  paused 1 s: guest uptime advanced %.2f s in %.2f s of host time\n", up1 - up0, host);
    pass(name);
}

static void test_stats(lodge_machine_t *m, Console *c, uint64_t overhead0)
{
    const char *name = "stats";
    /* Disk traffic both ways on the writable copy: 64 KiB read, 16 KiB written and synced. */
    if (!con_run(c, "dd if=/dev/vda of=/dev/null bs=4k count=16 2>/dev/null; dd if=/dev/zero of=/dev/vda bs=4k "
                    "count=4 seek=8000 conv=fsync 2>/dev/null; echo DISK-DONE-$((1+1))\n", "DISK-DONE-2", 20000))
        return (void)fail(name, "disk commands: %s", con_tail(c));
    sleep_ms(50);
    lodge_machine_stats_t s;
    lodge_machine_stats(m, &s);
    struct { const char *what; uint64_t v; } need[] = {
        {"instructions", s.instructions}, {"run_ns", s.run_ns}, {"mem_bytes", s.mem_bytes},
        {"mem_resident", s.mem_resident}, {"overhead_bytes", s.overhead_bytes}, {"disk_reads", s.disk_reads},
        {"disk_writes", s.disk_writes}, {"traps", s.traps}, {"interrupts", s.interrupts},
        {"sbi_calls", s.sbi_calls}, {"mmio_accesses", s.mmio_accesses},
    };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!need[i].v)
            return (void)fail(name, "%s is 0", need[i].what);
    /* Everything the machine needs is allocated when it is made: running allocates nothing more. */
    if (s.overhead_bytes != overhead0)
        return (void)fail(name, "overhead grew from %llu to %llu bytes while running", (unsigned long long)overhead0,
                          (unsigned long long)s.overhead_bytes);
    if (s.disk_read_bytes < 65536 || s.disk_write_bytes < 16384 || s.mem_resident > s.mem_bytes || s.state != LODGE_STATE_RUNNING)
        return (void)fail(name, "disk %llu B read, %llu B written; resident %llu of %llu",
                          (unsigned long long)s.disk_read_bytes, (unsigned long long)s.disk_write_bytes,
                          (unsigned long long)s.mem_resident, (unsigned long long)s.mem_bytes);
    printf("  %llu instructions in %.2f s, %llu traps, %llu interrupts, %llu SBI calls, %llu MMIO accesses, "
           "disk %llu/%llu B in %llu/%llu requests, RAM resident %.1f MiB, overhead %.1f MiB\n",
           (unsigned long long)s.instructions, s.run_ns / 1e9, (unsigned long long)s.traps,
           (unsigned long long)s.interrupts, (unsigned long long)s.sbi_calls, (unsigned long long)s.mmio_accesses,
           (unsigned long long)s.disk_read_bytes, (unsigned long long)s.disk_write_bytes,
           (unsigned long long)s.disk_reads, (unsigned long long)s.disk_writes, s.mem_resident / 1048576.0,
           s.overhead_bytes / 1048576.0);
    pass(name);
}

/* A reader that falls behind costs console output, never the guest's progress: with an endless writer in the
 * guest and nobody reading, bytes are dropped and counted while instructions keep retiring. */
static void test_console_flood(lodge_machine_t *m, Console *c)
{
    const char *name = "console-unread";
    lodge_machine_stats_t a, b;
    if (!con_type(c, "while :; do cat /proc/interrupts /proc/meminfo; done\n"))
        return (void)fail(name, "cannot type");
    uint64_t end = now_ms() + 60000;
    memset(&a, 0, sizeof a);
    while (now_ms() < end && a.console_dropped == 0) {       /* do not read: let the socket fill */
        sleep_ms(200);
        lodge_machine_stats(m, &a);
    }
    if (a.console_dropped == 0)
        return (void)fail(name, "nothing dropped in 60 s while the console was not read");
    sleep_ms(500);
    lodge_machine_stats(m, &b);
    if (b.instructions <= a.instructions || b.console_dropped <= a.console_dropped)
        return (void)fail(name, "the guest stalled while its output was not read (%llu -> %llu instructions, "
                          "%llu -> %llu dropped)", (unsigned long long)a.instructions, (unsigned long long)b.instructions,
                          (unsigned long long)a.console_dropped, (unsigned long long)b.console_dropped);
    /* Ctrl-C ends the writer (input flows while output is full); then the console works again. */
    int tries = 0;
    bool prompt = false;
    while (!prompt && tries++ < 20) {
        if (!con_type(c, "\003"))
            return (void)fail(name, "cannot type Ctrl-C");
        size_t mark = c->len;
        prompt = con_expect(c, mark, "/ # ", 1000);
    }
    printf("  Ctrl-C typed %d time(s) before the prompt came back\n", tries);
    /* As after boot, give the shell's terminal-size query time before typing; retry once with a fresh Ctrl-C. */
    bool answered = false;
    for (int i = 0; i < 3 && !answered; i++) {
        sleep_ms(300);
        con_pump(c, 0);
        answered = con_run(c, "echo after-flood-$((5*5))\n", "after-flood-25", 10000);
        if (!answered)
            con_type(c, "\003");
    }
    if (!answered) {
        con_save(c, name);
        return (void)fail(name, "console dead after the flood (output in %s/%s.console): %s", work_dir, name,
                          con_tail(c));
    }
    printf("  %llu bytes dropped while unread; the guest ran on\n", (unsigned long long)b.console_dropped);
    pass(name);
}

static double process_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A guest idling at its prompt sleeps on the host: its harts wait in WFI and the machine thread in ppoll. */
static void test_idle_cpu(lodge_machine_t *m)
{
    const char *name = "idle-costs-no-cpu";
    lodge_machine_stats_t a, b;
    sleep_ms(500);                       /* let the last command's echo settle */
    lodge_machine_stats(m, &a);
    double c0 = process_cpu_s();
    sleep_ms(2000);
    double used = process_cpu_s() - c0;
    lodge_machine_stats(m, &b);
    if (used > 0.1)
        return (void)fail(name, "%.3f s of host CPU in 2 s of an idle guest", used);
    printf("  idle guest: %.1f ms of host CPU in 2 s, %llu instructions\n", used * 1000,
           (unsigned long long)(b.instructions - a.instructions));
    pass(name);
}

/* virtio-net's byte counters, on a tap run.sh made (LODGE_TEST_TAP, host address LODGE_TEST_NET + "1"). */
static void test_net(lodge_machine_t *m, Console *c, const char *tap, const char *net)
{
    const char *name = "net-stats";
    if (!tap)
        return (void)skip(name, "no tap device (run.sh could not create one: needs root or CAP_NET_ADMIN)");
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ip link set eth0 up && ip addr add %s2/24 dev eth0 && ping -c 2 -W 5 %s1 | "
                              "grep -c 'bytes from' | sed 's/^/PINGS-/'\n", net, net);
    if (!con_run(c, cmd, "PINGS-2", 20000))
        return (void)fail(name, "no ping answers from the host: %s", con_tail(c));
    lodge_machine_stats_t s;
    lodge_machine_stats(m, &s);
    /* Two echo requests and replies of 98 bytes, plus ARP. */
    if (s.net_tx_bytes < 2 * 98 || s.net_rx_bytes < 2 * 98)
        return (void)fail(name, "net bytes %llu received, %llu sent", (unsigned long long)s.net_rx_bytes,
                          (unsigned long long)s.net_tx_bytes);
    printf("  network: %llu bytes received, %llu sent\n", (unsigned long long)s.net_rx_bytes,
           (unsigned long long)s.net_tx_bytes);
    pass(name);
}

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    bool ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = false;
    return ok;
}

static void test_one_guest(void)
{
    char disk[4096];
    snprintf(disk, sizeof disk, "%s/disk-rw.img", work_dir);
    if (!copy_file(disk_src, disk))
        return (void)fail("console-echo", "cannot copy %s to %s", disk_src, disk);
    lodge_machine_config_t cfg = default_config();
    cfg.disks[0] = (lodge_machine_disk_t){.path = disk, .read_only = false};
    cfg.ndisks = 1;
    const char *tap = getenv("LODGE_TEST_TAP"), *net = getenv("LODGE_TEST_NET");
    if (tap && *tap && net && *net)
        cfg.tap = tap;
    else
        tap = NULL;
    Console c;
    uint64_t t0 = now_ms();
    uint64_t overhead0 = 0;
    lodge_machine_t *m = boot("console-echo", &cfg, &c, &overhead0);
    if (!m)
        return;
    printf("  shell prompt after %.1f s\n", (now_ms() - t0) / 1000.0);
    if (!con_run(&c, "echo hello-$((6*7))\n", "hello-42", 20000))
        fail("console-echo", "no hello-42: %s", con_tail(&c));
    else
        pass("console-echo");
    test_stats(m, &c, overhead0);
    test_net(m, &c, tap, net);
    test_idle_cpu(m);
    test_pause(m, &c);
    test_console_flood(m, &c);

    const char *name = "shutdown-poweroff";
    lodge_error_t err;
    lodge_machine_exit_t ex = LODGE_MACHINE_NOT_EXITED;
    /* A guest built before the power button (kernel without virtio-input, init without its listener) cannot
     * act on it: say so rather than fail. */
    size_t mark = c.len;
    bool listens = con_run(&c, "echo PB-$(grep -l 'Lodge power button' /init /sys/class/input/event*/device/name "
                               "2>/dev/null | wc -l)-X$((4+4))\n", "-X8", 10000)
                   && memmem(c.buf + mark, c.len - mark, "PB-2-X8", 7);
    t0 = now_ms();
    if (!listens)
        skip(name, "the guest predates the power button (no virtio-input driver or no listener in /init): "
                   "rebuild it with `make guest`");
    else if (!lodge_machine_shutdown(m, &err))
        fail(name, "lodge_machine_shutdown: %s", err.message);
    else if (!lodge_machine_wait(m, 30000, &ex) || ex != LODGE_MACHINE_POWEROFF)
        fail(name, "exit %s after 30 s: %s", lodge_machine_exit_name(ex), con_tail(&c));
    else {
        printf("  powered off %.2f s after the request\n", (now_ms() - t0) / 1000.0);
        pass(name);
    }
    lodge_machine_delete(m);
    con_free(&c);
    unlink(disk);
}

/* ---- two guests at once; stop from a thread; delete while running ---- */

typedef struct StopArg {
    lodge_machine_t *m;
    unsigned after_ms;
} StopArg;

static void *stopper(void *p)
{
    StopArg *a = p;
    sleep_ms(a->after_ms);
    lodge_machine_stop(a->m);
    return NULL;
}

static void test_two_guests(void)
{
    lodge_machine_config_t cfg = default_config();
    lodge_machine_t *m[2] = {NULL, NULL};
    Console c[2];
    lodge_error_t err;
    for (int i = 0; i < 2; i++) {
        memset(&err, 0, sizeof err);
        if (!(m[i] = lodge_machine_new(&cfg, &err)) || !lodge_machine_start(m[i], &err)) {
            fail("two-machines", "machine %d: %s", i, err.message);
            lodge_machine_delete(m[0]);
            lodge_machine_delete(m[1]);
            return;
        }
        con_init(&c[i], m[i]);
    }
    bool ok = true;
    for (int i = 0; i < 2 && ok; i++)
        if (!con_expect(&c[i], 0, "/ # ", boot_timeout_ms))
            ok = fail("two-machines", "machine %d: no prompt: %s", i, con_tail(&c[i]));
    sleep_ms(300);
    con_pump(&c[0], 0);
    con_pump(&c[1], 0);
    /* Each answers its own console, and only its own. */
    if (ok && (!con_type(&c[0], "echo first-$((100+1))\n") || !con_type(&c[1], "echo second-$((200+2))\n")))
        ok = fail("two-machines", "cannot type");
    if (ok && !con_expect(&c[0], 0, "first-101", 20000))
        ok = fail("two-machines", "machine 0 did not answer: %s", con_tail(&c[0]));
    if (ok && !con_expect(&c[1], 0, "second-202", 20000))
        ok = fail("two-machines", "machine 1 did not answer: %s", con_tail(&c[1]));
    if (ok && (memmem(c[0].buf, c[0].len, "second-202", 10) || memmem(c[1].buf, c[1].len, "first-101", 9)))
        ok = fail("two-machines", "output crossed between the machines");
    if (ok)
        pass("two-machines");

    /* Machine 0: stopped by another thread while the embedder waits. */
    if (ok) {
        StopArg a = {m[0], 200};
        pthread_t t;
        lodge_machine_exit_t ex = LODGE_MACHINE_NOT_EXITED;
        pthread_create(&t, NULL, stopper, &a);
        bool ended = lodge_machine_wait(m[0], 10000, &ex);
        pthread_join(t, NULL);
        lodge_machine_stats_t s;
        lodge_machine_stats(m[0], &s);
        if (!ended || ex != LODGE_MACHINE_STOPPED || s.state != LODGE_STATE_STOPPED || s.exit != LODGE_MACHINE_STOPPED)
            fail("stop-from-thread", "ended %d exit %s state %s", ended, lodge_machine_exit_name(ex),
                 lodge_state_name(s.state));
        else if (lodge_machine_pause(m[0], &err))
            fail("stop-from-thread", "a stopped machine paused");
        else
            pass("stop-from-thread");
        /* Machine 1 still runs after its neighbour stopped. */
        if (!con_run(&c[1], "echo still-$((7*7))\n", "still-49", 20000))
            fail("two-machines-independent", "machine 1 stopped answering: %s", con_tail(&c[1]));
        else
            pass("two-machines-independent");
    }
    /* Machine 1: deleted while it runs. */
    uint64_t t0 = now_ms();
    lodge_machine_delete(m[1]);
    uint64_t took = now_ms() - t0;
    if (ok) {
        if (took > 5000)
            fail("delete-running", "took %llu ms", (unsigned long long)took);
        else
            pass("delete-running");
    }
    lodge_machine_delete(m[0]);
    con_free(&c[0]);
    con_free(&c[1]);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s GUEST_DIR WORK_DIR\n", argv[0]);
        return 2;
    }
    guest_dir = argv[1];
    work_dir = argv[2];
    const char *bt = getenv("BOOT_TIMEOUT");
    if (bt && atoi(bt) > 0)
        boot_timeout_ms = atoi(bt) * 1000;
    snprintf(kernel, sizeof kernel, "%s/Image", guest_dir);
    snprintf(initrd, sizeof initrd, "%s/initramfs.cpio", guest_dir);
    snprintf(disk_src, sizeof disk_src, "%s/disk.ext4", guest_dir);
    test_bad_config();
    if (access(kernel, R_OK) != 0 || access(initrd, R_OK) != 0 || access(disk_src, R_OK) != 0) {
        char why[4200];
        snprintf(why, sizeof why, "no default guest in %s (build it with `make guest`, or set LODGE_GUEST_DIR)", guest_dir);
        const char *names[] = {"created-not-started", "console-echo", "stats", "net-stats", "idle-costs-no-cpu",
                               "pause-resume",
                               "console-unread",
                               "shutdown-poweroff", "two-machines", "stop-from-thread", "two-machines-independent",
                               "delete-running"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            skip(names[i], why);
    } else {
        test_created();
        test_one_guest();
        test_two_guests();
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
