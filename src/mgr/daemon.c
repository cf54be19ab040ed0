/* daemon.c: `lodged daemon`: the hypervisor's API server in the foreground. It owns a state directory
 * (the guests' records, modules, logs) and listens on a Unix socket; a daemon restarted on the same state
 * directory picks up every guest, and the machines, being processes of their own, keep running meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgr/daemon.h"
#include "mgr/jail.h"
#include "mgr/sha256.h"
#include "mgr/mgr.h"

#define MODULE_MAX_BYTES (64u << 20)
#define JSON_MAX_BYTES (1u << 20)

static HttpServer *volatile g_server; /* for the signal handler only */

static void on_signal(int sig)
{
    (void)sig;
    if (g_server)
        http_server_stop(g_server);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lodged daemon [--socket PATH] [--state-dir DIR] [--overcommit RATIO]\n"
            "                     [--machine-overhead BYTES] [--workers N] [--jail on|off]\n\n"
            "Runs the hypervisor's API (docs/api.yaml) in the foreground until SIGINT or SIGTERM; guests keep\n"
            "running when it ends and are found again by the next daemon on the same state directory.\n\n"
            "  --socket PATH             default: $LODGE_SOCKET, else $XDG_RUNTIME_DIR/lodge/lodged.sock,\n"
            "                            else /run/user/UID/lodge/lodged.sock, else /tmp/lodge-UID/lodged.sock\n"
            "  --state-dir DIR           default: $XDG_STATE_HOME/lodge, else ~/.local/state/lodge\n"
            "  --overcommit RATIO        guests may be promised host memory x RATIO (default 1.0)\n"
            "  --machine-overhead BYTES  charged per machine beyond its RAM (default 33554432)\n"
            "  --workers N               WebAssembly worker processes (default: the host's cores)\n"
            "  --jail on|off             start each machine process and wasm worker jailed (default on:\n"
            "                            namespaces, private root, rlimits, a cgroup per machine, seccomp;\n"
            "                            what the host refuses is reported per machine and per worker)\n");
}

static void default_state_dir(char *out, size_t len)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(out, len, "%s/lodge", xdg);
    else
        snprintf(out, len, "%s/.local/state/lodge", home && *home ? home : "/tmp");
}

/* mkdir -p, private to the user. */
static bool make_dirs(const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
                return false;
            }
            *p = c;
            if (!c)
                break;
        }
    }
    return true;
}

/* The socket's and the state's directories must be ours and closed to others: in a shared /tmp, someone
 * else could have made /tmp/lodge-UID first and would then see (or replace) our sockets. */
static bool private_dir(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022)) {
        snprintf(err, errlen, "%s must be a directory of user %u that others cannot write (it is %s, owner %u, mode %o)",
                 path, (unsigned)getuid(), S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
                 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        return false;
    }
    return true;
}

static bool absolute(const char *in, char *out, size_t len)
{
    if (in[0] == '/') {
        snprintf(out, len, "%s", in);
        return true;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return false;
    return snprintf(out, len, "%s/%s", cwd, in) < (int)len;
}

static size_t body_limit(void *opaque, const char *method, const char *path)
{
    (void)opaque;
    if (strcmp(method, "POST") == 0 && (strcmp(path, "/v1/modules") == 0 || strcmp(path, "/v1/modules/") == 0))
        return MODULE_MAX_BYTES;
    return JSON_MAX_BYTES;
}

static void tick(void *opaque)
{
    Daemon *d = opaque;
    pthread_mutex_lock(&d->lock);
    api_instances_drain(d);
    api_machines_tick(d);
    pthread_mutex_unlock(&d->lock);
}

static bool parse_args(int argc, char **argv, Daemon *d, unsigned *nworkers, int *status)
{
    char sock[4096] = "", state[4096] = "";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (mgr_is_help(a)) {
            usage(stdout);
            *status = MGR_EXIT_OK;
            return false;
        }
        bool takes = strcmp(a, "--socket") == 0 || strcmp(a, "--state-dir") == 0 || strcmp(a, "--overcommit") == 0 ||
                     strcmp(a, "--machine-overhead") == 0 || strcmp(a, "--workers") == 0 ||
                     strcmp(a, "--jail") == 0;
        if (!takes) {
            fprintf(stderr, "lodged daemon: unknown option '%s'\n", a);
            usage(stderr);
            return false;
        }
        if (!v) {
            fprintf(stderr, "lodged daemon: %s needs a value\n", a);
            return false;
        }
        i++;
        char *end = NULL;
        if (strcmp(a, "--socket") == 0)
            snprintf(sock, sizeof sock, "%s", v);
        else if (strcmp(a, "--state-dir") == 0)
            snprintf(state, sizeof state, "%s", v);
        else if (strcmp(a, "--jail") == 0) {
            if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
                fprintf(stderr, "lodged daemon: --jail '%s': give on or off\n", v);
                return false;
            }
            d->jail = strcmp(v, "on") == 0;
        } else if (strcmp(a, "--overcommit") == 0) {
            d->overcommit = strtod(v, &end);
            if (!*v || *end || !(d->overcommit >= 0.1 && d->overcommit <= 100)) {
                fprintf(stderr, "lodged daemon: --overcommit '%s': give a ratio from 0.1 to 100 (1.0: none)\n", v);
                return false;
            }
        } else if (strcmp(a, "--machine-overhead") == 0) {
            unsigned long long n = strtoull(v, &end, 10);
            if (!*v || *end || v[0] == '-' || n > (1ull << 40)) {
                fprintf(stderr, "lodged daemon: --machine-overhead '%s': give a number of bytes\n", v);
                return false;
            }
            d->machine_overhead = n;
        } else {
            unsigned long n = strtoul(v, &end, 10);
            if (!*v || *end || n < 1 || n > 256) {
                fprintf(stderr, "lodged daemon: --workers '%s': give a count from 1 to 256\n", v);
                return false;
            }
            *nworkers = (unsigned)n;
        }
    }
    if (!sock[0])
        mgr_default_socket(sock, sizeof sock);
    if (!state[0])
        default_state_dir(state, sizeof state);
    if (!absolute(sock, d->socket_path, sizeof d->socket_path) || !absolute(state, d->state_dir, sizeof d->state_dir)) {
        fprintf(stderr, "lodged daemon: path too long\n");
        return false;
    }
    snprintf(d->run_dir, sizeof d->run_dir, "%s", d->socket_path);
    char *slash = strrchr(d->run_dir, '/');
    if (slash == d->run_dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    return true;
}

/* The state directory is one daemon's: a second one would run every guest twice. */
static int lock_state_dir(const Daemon *d)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/lock", d->state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "lodged daemon: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "lodged daemon: another daemon uses the state directory %s\n", d->state_dir);
        close(fd);
        return -1;
    }
    return fd;
}

static bool self_path(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n <= 0)
        return false;
    out[n] = '\0';
    /* Rebuilt while we run: the new file at the same path is the one to start. */
    char *del = strstr(out, " (deleted)");
    if (del && del[10] == '\0')
        *del = '\0';
    return true;
}

int mgr_cmd_daemon(int argc, char **argv)
{
    static Daemon d; /* one per process; static so the signal handler's server pointer outlives main's frame */
    int status = MGR_EXIT_USAGE;
    unsigned nworkers = 0;
    char err[8400];
    d.overcommit = 1.0;
    d.machine_overhead = 32u << 20;
    d.instance_default_memory = 64u << 20;
    d.jail = true;
    if (!parse_args(argc, argv, &d, &nworkers, &status))
        return status;
    pthread_mutex_init(&d.lock, NULL);
    pthread_mutex_init(&d.evlock, NULL);
    char sub[4200];
    static const char *const subdirs[] = {"", "/machines", "/instances", "/modules", "/workers"};
    char runm[4200];
    snprintf(runm, sizeof runm, "%s/machines", d.run_dir);
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        snprintf(sub, sizeof sub, "%s%s", d.state_dir, subdirs[i]);
        if (!make_dirs(sub, err, sizeof err)) {
            fprintf(stderr, "lodged daemon: %s\n", err);
            return MGR_EXIT_ERROR;
        }
    }
    if (!make_dirs(runm, err, sizeof err) || !private_dir(d.run_dir, err, sizeof err) ||
        !private_dir(d.state_dir, err, sizeof err)) {
        fprintf(stderr, "lodged daemon: %s\n", err);
        return MGR_EXIT_ERROR;
    }
    int lockfd = lock_state_dir(&d);
    if (lockfd < 0)
        return MGR_EXIT_ERROR;
    if (!self_path(d.lodged_path, sizeof d.lodged_path)) {
        fprintf(stderr, "lodged daemon: cannot find this program's path\n");
        return MGR_EXIT_ERROR;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    d.host_cpus = cpus > 0 ? (unsigned)cpus : 1;
    d.host_memory = (uint64_t)(pages > 0 ? pages : 0) * (uint64_t)(psz > 0 ? psz : 4096);
    d.started_at = api_now();
    signal(SIGPIPE, SIG_IGN);

    /* Listen first: a daemon that cannot have the socket must not start workers or touch guests. */
    d.server = http_server_new_unix(d.socket_path, api_handle, &d, err, sizeof err);
    if (!d.server) {
        fprintf(stderr, "lodged daemon: %s\n", err);
        close(lockfd);
        return MGR_EXIT_ERROR;
    }
    if (d.jail) {
        /* One parent group per state directory: two daemons on one host (each with its own "vm1")
         * must never share a guest's group, and a restarted daemon must find its own again. */
        char digest[65], parent[64];
        sha256_hex(d.state_dir, strlen(d.state_dir), digest);
        snprintf(parent, sizeof parent, "lodge-machines-%.12s", digest);
        d.cgroups = jail_cgroups_open(parent, err, sizeof err);
        if (!d.cgroups)
            fprintf(stderr, "lodged daemon: machines get no cgroup: %s\n", err);
    }
    guests_load_all(&d);
    api_modules_load(&d);
    WorkersOptions wopt = {.no_jail = !d.jail}; /* --jail off: plain worker processes too */
    d.pool = workers_new_opts(d.lodged_path, d.state_dir, nworkers ? nworkers : d.host_cpus, &wopt,
                              api_instances_event, &d, d.pool_error, sizeof d.pool_error);
    if (!d.pool)
        fprintf(stderr, "lodged daemon: WebAssembly instances unavailable: %s\n", d.pool_error);
    pthread_mutex_lock(&d.lock);
    api_machines_recover(&d);
    api_instances_drain(&d);
    api_instances_recover(&d);
    pthread_mutex_unlock(&d.lock);

    http_server_set_limits(d.server, 0, JSON_MAX_BYTES, body_limit);
    http_server_set_tick(d.server, 200, tick, &d);
    g_server = d.server;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("lodged: listening on %s (state in %s; %zu guests found)\n", d.socket_path, d.state_dir, d.nguests);
    fflush(stdout);
    status = http_server_run(d.server) ? MGR_EXIT_OK : MGR_EXIT_ERROR;
    g_server = NULL;
    if (d.pool)
        workers_delete(d.pool); /* first: its thread may still wake the server */
    http_server_delete(d.server);
    printf("lodged: stopped; guests keep running\n");
    if (d.cgroups) {
        /* Gone only when no machine is left in it: the next daemon finds running machines' groups. */
        bool live = false;
        for (size_t i = 0; i < d.nguests && !live; i++)
            live = d.guests[i]->kind == GUEST_MACHINE && d.guests[i]->pid > 0;
        if (!live)
            jail_cgroup_remove_parent(d.cgroups, err, sizeof err);
        jail_cgroups_close(d.cgroups);
    }
    pthread_mutex_lock(&d.lock);
    while (d.nguests)
        guests_free(d.guests[--d.nguests]);
    free(d.guests);
    free(d.index);
    free(d.evq);
    for (size_t i = 0; i < d.nmodules; i++) {
        cJSON_Delete(d.modules[i]->info);
        free(d.modules[i]);
    }
    free(d.modules);
    pthread_mutex_unlock(&d.lock);
    close(lockfd);
    return status;
}
