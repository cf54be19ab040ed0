/* mproc.c: machine processes. Each machine runs in `lodged machine`, a process of its own (as each
 * Firecracker microVM does), so a machine that faults takes down only itself, and the daemon can die and
 * come back while its machines keep running. The process is its own session leader: no terminal signal
 * and no death of the daemon reaches it. The daemon drives it over its Firecracker API socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
#include "mgr/jsonv.h"
#include "mgr/mproc.h"

#define MPROC_CALL_TIMEOUT_MS 5000
#define MPROC_START_TIMEOUT_MS 10000
#define MPROC_STATS_TIMEOUT_MS 1000

void mproc_file(const Daemon *d, const Guest *g, const char *name, char *out, size_t len)
{
    char dir[4200];
    guests_dir(d, g, dir, sizeof dir);
    /* What the machine process writes lives in io/, the one directory of ours its jail can write: the
     * record next to it (guest.json) stays out of its reach. */
    bool io = strcmp(name, "console.log") == 0 || strcmp(name, "exit.json") == 0 || strcmp(name, "io") == 0;
    snprintf(out, len, "%s/%s%s", dir, io && strcmp(name, "io") ? "io/" : "", name);
}

void mproc_run_dir(const Daemon *d, const Guest *g, char *out, size_t len)
{
    snprintf(out, len, "%s/machines/%s", d->run_dir, g->id);
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fields of /proc/PID/stat after the command name; false for no such process. */
static bool proc_stat(int pid, char *state, unsigned long long *utime, unsigned long long *stime,
                      unsigned long long *start, long long *rss_pages)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return false;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
     * priority nice threads itrealvalue starttime vsize rss */
    return sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %*u %lld",
                  state, utime, stime, start, rss_pages) == 5;
}

unsigned long long mproc_start_time(int pid)
{
    char st;
    unsigned long long u, s, start;
    long long rss;
    if (pid <= 0 || !proc_stat(pid, &st, &u, &s, &start, &rss) || st == 'Z' || st == 'X')
        return 0;
    return start;
}

bool mproc_alive(Guest *g)
{
    if (g->pid <= 0)
        return false;
    if (g->is_child) {
        int status;
        pid_t w = waitpid(g->pid, &status, WNOHANG);
        if (w == g->pid) {
            if (WIFSIGNALED(status))
                snprintf(g->death, sizeof g->death, "killed by signal %d (%s)", WTERMSIG(status),
                         strsignal(WTERMSIG(status)));
            else
                snprintf(g->death, sizeof g->death, "exited with status %d", WEXITSTATUS(status));
            g->is_child = false;
            return false;
        }
    }
    return mproc_start_time(g->pid) == g->pid_start && g->pid_start != 0;
}

void mproc_kill(Guest *g)
{
    if (g->pid > 0 && mproc_start_time(g->pid) == g->pid_start)
        kill(-g->pid, SIGKILL), kill(g->pid, SIGKILL);
}

static char *read_small(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc(max + 1);
    ssize_t n = buf ? read(fd, buf, max) : -1;
    close(fd);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

bool mproc_read_exit(const Daemon *d, Guest *g)
{
    char path[4300];
    mproc_file(d, g, "exit.json", path, sizeof path);
    char *text = read_small(path, 4096);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "exit");
    bool ok = cJSON_IsString(e);
    if (ok) {
        snprintf(g->exit_reason, sizeof g->exit_reason, "%s", e->valuestring);
        const cJSON *fc = cJSON_GetObjectItemCaseSensitive(o, "fail_code");
        g->fail_code = cJSON_IsNumber(fc) ? (unsigned)fc->valuedouble : 0;
    }
    cJSON_Delete(o);
    return ok;
}

/* The first line the process wrote to its stderr: the best clue to why it did not come up (what follows
 * is usually a usage text). */
static void first_line(const Daemon *d, const Guest *g, char *out, size_t len)
{
    char path[4300];
    mproc_file(d, g, "process.log", path, sizeof path);
    char *text = read_small(path, 65536);
    out[0] = '\0';
    if (!text)
        return;
    char *p = text + strspn(text, "\r\n");
    p[strcspn(p, "\r\n")] = '\0';
    snprintf(out, len, "%s", p);
    free(text);
}

static int unix_connect(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* The jail's view: its program, the guest's images, and two writable directories of its own. */
static pid_t spawn_jailed(Daemon *d, Guest *g, char *const argv[], int in, int out, char *err, size_t errlen)
{
    JailBind binds[4 + LODGE_MACHINE_MAX_DISKS];
    size_t nb = 0;
    char io[4300], run[4300];
    mproc_file(d, g, "io", io, sizeof io);
    mproc_run_dir(d, g, run, sizeof run);
    binds[nb++] = (JailBind){io, NULL, JAIL_BIND_RW};
    binds[nb++] = (JailBind){run, NULL, JAIL_BIND_RW};
    const cJSON *c = g->config;
    binds[nb++] = (JailBind){cJSON_GetObjectItemCaseSensitive(c, "kernel")->valuestring, NULL, 0};
    const cJSON *initrd = cJSON_GetObjectItemCaseSensitive(c, "initrd");
    if (initrd)
        binds[nb++] = (JailBind){initrd->valuestring, NULL, 0};
    const cJSON *disks = cJSON_GetObjectItemCaseSensitive(c, "disks");
    /* A clone's overlay is in io/ (bound writable above); its base is bound read-only at its own path,
     * which is where the overlay's header says its backing file is. */
    for (const cJSON *dk = disks ? disks->child : NULL; dk && nb < sizeof binds / sizeof binds[0]; dk = dk->next) {
        bool ro = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dk, "read_only")) ||
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dk, "clone"));
        const char *path = cJSON_GetObjectItemCaseSensitive(dk, "path")->valuestring;
        bool seen = false;
        for (size_t k = 0; k < nb && !seen; k++)
            seen = strcmp(binds[k].src, path) == 0; /* one base under two clones: bound once */
        if (!seen)
            binds[nb++] = (JailBind){path, NULL, ro ? 0u : JAIL_BIND_RW};
    }
    const cJSON *limits = cJSON_GetObjectItemCaseSensitive(c, "limits");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(limits, "cpu_weight");
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(limits, "cpu_max_percent");
    JailSpec spec = {
        .name = g->id,
        .binds = binds,
        .nbinds = nb,
        .tap = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "net")) > 0,
        .proc = true,
        .stdio_set = true,
        .stdio = {in, out, out},
        .cgroups = d->cgroups,
        .limits = {.cpu_weight = w ? (unsigned)w->valuedouble : 0,
                   .cpu_max_pct = cap ? (unsigned)cap->valuedouble : 0,
                   .mem_max = g->charged, /* the guest's RAM and the overhead admission counted */
                   .pids_max = 256},
    };
    JailChild child;
    if (!jail_spawn(&spec, argv, &child, err, errlen))
        return -1;
    snprintf(g->jail, sizeof g->jail, "%s", child.report);
    return child.pid;
}

static pid_t spawn_plain(char *const argv[], int in, int out, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls from here to exec: the daemon has other threads. */
        setsid();
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        signal(SIGPIPE, SIG_DFL); /* an ignored signal would stay ignored across exec */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        static const char msg[] = "lodged: cannot exec the machine process\n";
        if (write(2, msg, sizeof msg - 1) < 0) {
        }
        _exit(127);
    }
    return pid;
}

bool mproc_spawn(Daemon *d, Guest *g, char *err, size_t errlen)
{
    char log[4300], exitf[4300], plog[4300], io[4300], run[4300];
    mproc_file(d, g, "console.log", log, sizeof log);
    mproc_file(d, g, "exit.json", exitf, sizeof exitf);
    mproc_file(d, g, "process.log", plog, sizeof plog);
    mproc_file(d, g, "io", io, sizeof io);
    mproc_run_dir(d, g, run, sizeof run);
    int a = snprintf(g->api_sock, sizeof g->api_sock, "%s/api.sock", run);
    int c = snprintf(g->console_sock, sizeof g->console_sock, "%s/console.sock", run);
    if (a < 0 || c < 0 || (size_t)a >= sizeof g->api_sock || (size_t)c >= sizeof g->console_sock) {
        snprintf(err, errlen, "the machine's socket path under %s would be too long for id '%s'", d->run_dir,
                 g->id);
        return false;
    }
    if ((mkdir(io, 0700) != 0 && errno != EEXIST) || (mkdir(run, 0700) != 0 && errno != EEXIST)) {
        snprintf(err, errlen, "cannot create %s or %s: %s", io, run, strerror(errno));
        return false;
    }
    unlink(g->api_sock);
    unlink(g->console_sock);
    unlink(exitf);
    /* Jailed machines also confine their threads (mgr/seccomp.c). */
    char *argv[] = {d->lodged_path, "machine", "--id", g->id, "--api-sock", g->api_sock, "--console-log", log,
                    "--console-sock", g->console_sock, "--exit-file", exitf, d->jail ? "--seccomp" : NULL, NULL};
    int out = open(plog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0) {
        snprintf(err, errlen, "cannot open %s: %s", plog, strerror(errno));
        if (out >= 0)
            close(out);
        if (in >= 0)
            close(in);
        return false;
    }
    g->jail[0] = '\0';
    pid_t pid = d->jail ? spawn_jailed(d, g, argv, in, out, err, errlen) : spawn_plain(argv, in, out, err, errlen);
    close(out);
    close(in);
    if (pid < 0)
        return false;
    g->pid = pid;
    g->is_child = true;
    g->pid_start = mproc_start_time(pid);
    g->death[0] = '\0';
    long long deadline = mono_ms() + MPROC_START_TIMEOUT_MS;
    for (;;) {
        char e2[256];
        int fd = unix_connect(g->api_sock, e2, sizeof e2);
        if (fd >= 0) {
            close(fd);
            return true;
        }
        if (!mproc_alive(g)) {
            char why[300];
            first_line(d, g, why, sizeof why);
            snprintf(err, errlen, "the machine process %s before serving its API%s%s", g->death[0] ? g->death : "ended",
                     why[0] ? ": " : "", why);
            g->pid = 0;
            return false;
        }
        if (mono_ms() > deadline) {
            snprintf(err, errlen, "the machine process did not serve its API within %d ms", MPROC_START_TIMEOUT_MS);
            mproc_kill(g);
            mproc_alive(g);
            g->pid = 0;
            return false;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Wait for fd to be ready for events until deadline; false on timeout or error. */
static bool wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - mono_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
    }
}

static bool call(const Guest *g, const char *method, const char *path, const char *body, int *status, char **resp,
                 int timeout_ms, char *err, size_t errlen);

bool mproc_call(const Guest *g, const char *method, const char *path, const char *body, int *status,
                char **resp, char *err, size_t errlen)
{
    return call(g, method, path, body, status, resp, MPROC_CALL_TIMEOUT_MS, err, errlen);
}

static bool call(const Guest *g, const char *method, const char *path, const char *body, int *status, char **resp,
                 int timeout_ms, char *err, size_t errlen)
{
    *status = 0;
    if (resp)
        *resp = NULL;
    int fd = unix_connect(g->api_sock, err, errlen);
    if (fd < 0)
        return false;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    long long deadline = mono_ms() + timeout_ms;
    size_t blen = body ? strlen(body) : 0;
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      method, path, blen);
    char *req = malloc((size_t)hl + blen);
    char *buf = NULL;
    bool ok = false;
    if (!req)
        goto out;
    memcpy(req, head, (size_t)hl);
    if (blen)
        memcpy(req + hl, body, blen);
    for (size_t sent = 0; sent < (size_t)hl + blen;) {
        if (!wait_fd(fd, POLLOUT, deadline)) {
            snprintf(err, errlen, "%s %s: the machine process did not take the request in time", method, path);
            goto out;
        }
        ssize_t w = send(fd, req + sent, (size_t)hl + blen - sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "%s %s: %s", method, path, strerror(errno));
            goto out;
        }
        if (w > 0)
            sent += (size_t)w;
    }
    size_t len = 0, cap = 8192;
    buf = malloc(cap);
    for (;;) {
        if (!buf)
            goto out;
        /* Complete once the head is in and Content-Length bytes follow it. */
        buf[len] = '\0';
        char *he = strstr(buf, "\r\n\r\n");
        if (he) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            size_t want = cl && cl < he ? (size_t)strtoull(cl + 17, NULL, 10) : (size_t)-1;
            if (want != (size_t)-1 && len >= (size_t)(he + 4 - buf) + want)
                break;
        }
        if (!wait_fd(fd, POLLIN, deadline)) {
            snprintf(err, errlen, "%s %s: no answer from the machine process within %d ms", method, path,
                     timeout_ms);
            goto out;
        }
        if (len + 4096 >= cap) {
            char *p = cap < (1 << 24) ? realloc(buf, cap *= 2) : NULL;
            if (!p)
                goto out;
            buf = p;
        }
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r == 0)
            break;
        if (r < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "%s %s: %s", method, path, strerror(errno));
            goto out;
        }
        if (r > 0)
            len += (size_t)r;
    }
    buf[len] = '\0';
    if (sscanf(buf, "HTTP/1.%*d %d", status) != 1) {
        snprintf(err, errlen, "%s %s: the machine process answered something that is not HTTP", method, path);
        goto out;
    }
    char *he = strstr(buf, "\r\n\r\n");
    if (resp)
        *resp = strdup(he ? he + 4 : "");
    ok = true;
out:
    free(req);
    free(buf);
    close(fd);
    return ok;
}

void mproc_cleanup(const Daemon *d, Guest *g)
{
    char run[4300], err[256];
    unlink(g->api_sock);
    unlink(g->console_sock);
    /* The directory the sockets were made in (a daemon restarted with another --socket has another). */
    snprintf(run, sizeof run, "%s", g->api_sock);
    char *slash = strrchr(run, '/');
    if (slash && slash != run) {
        *slash = '\0';
        rmdir(run);
    }
    if (d->cgroups)
        jail_cgroup_remove(d->cgroups, g->id, err, sizeof err);
}

static void stat_field(const cJSON *o, const char *name, uint64_t *out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsNumber(m) && m->valuedouble >= 0)
        *out = (uint64_t)m->valuedouble;
}

bool mproc_refresh_stats(Guest *g)
{
    char st;
    unsigned long long ut, stt, start;
    long long rss;
    if (g->pid > 0 && proc_stat(g->pid, &st, &ut, &stt, &start, &rss) && start == g->pid_start) {
        long hz = sysconf(_SC_CLK_TCK);
        g->proc_cpu_ns = (ut + stt) * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
        g->proc_rss = (uint64_t)(rss > 0 ? rss : 0) * (uint64_t)sysconf(_SC_PAGESIZE);
    }
    int status;
    char *body = NULL, err[256];
    /* Short: /metrics asks every machine in turn, and one that is slow must not hold up the others long. */
    if (!call(g, "GET", "/lodge/stats", NULL, &status, &body, MPROC_STATS_TIMEOUT_MS, err, sizeof err) ||
        status != 200) {
        free(body);
        return false;
    }
    cJSON *o = cJSON_Parse(body);
    free(body);
    if (!o)
        return false;
    lodge_machine_stats_t *s = &g->stats;
#define F(name) stat_field(o, #name, &s->name)
    F(instructions), F(run_ns), F(mem_bytes), F(mem_resident), F(overhead_bytes), F(disk_read_bytes),
        F(disk_write_bytes), F(disk_reads), F(disk_writes), F(net_rx_bytes), F(net_tx_bytes), F(traps),
        F(interrupts), F(sbi_calls), F(mmio_accesses), F(console_dropped);
#undef F
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(o, "state");
    if (cJSON_IsString(state))
        for (int i = LODGE_STATE_CREATED; i <= LODGE_STATE_CRASHED; i++)
            if (strcmp(state->valuestring, lodge_state_name((lodge_guest_state_t)i)) == 0)
                s->state = (lodge_guest_state_t)i;
    cJSON_Delete(o);
    return true;
}
