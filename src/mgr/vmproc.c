/* vmproc.c: `lodged machine`: one RISC-V machine in a process of its own, configured through Firecracker's
 * API on --api-sock (or at once from --config-file), as `firecracker --api-sock` is. Threads: the main one
 * (signals, waiting for the guest, the orderly end), the API server, the machine's own, the console pump.
 * The process ends when the guest does, or on SIGTERM/SIGINT/SIGHUP (the machine stopped, its disks
 * flushed); its exit status is `lodge boot`'s. The signal handlers' few statics live here, as in cli/boot.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mgr/conpump.h"
#include "mgr/fcapi.h"
#include "mgr/http.h"
#include "mgr/jail.h"
#include "mgr/mgr.h"

static const char usage_text[] =
    "usage: lodged machine --api-sock PATH [--config-file FILE] [--id ID] [--console-log PATH]\n"
    "                      [--console-sock PATH] [--exit-file PATH] [--seccomp]\n"
    "       lodged machine --config-file FILE [...]        (also: lodge boot --api-sock PATH ...)\n"
    "\n"
    "Runs one RISC-V machine in this process, configured through Firecracker's API on a Unix socket, as\n"
    "`firecracker --api-sock PATH` does (docs/firecracker-api.md): PUT /boot-source, /drives/ID,\n"
    "/machine-config, then PUT /actions {\"action_type\": \"InstanceStart\"}.\n"
    "  --api-sock PATH      serve the API on this Unix socket (removed when the process ends)\n"
    "  --config-file FILE   Firecracker's JSON configuration: boot at once, without API calls\n"
    "  --id ID              the instance id GET / reports (default anonymous-instance)\n"
    "  --console-log PATH   append the guest's console output to PATH\n"
    "  --console-sock PATH  a Unix socket: each client gets the console output from then on, its input\n"
    "                       goes to the guest (several may attach); without this and --console-log the\n"
    "                       output goes to stdout\n"
    "  --exit-file PATH     when the guest ends, write {\"exit\": \"poweroff|reboot|fail|stopped|halted\",\n"
    "                       \"fail_code\": N} there (atomically)\n"
    "  --seccomp            each thread under its system-call allow-list: the process's threads the\n"
    "                       control list, the machine's threads their kind's (the daemon's jailed machines)\n"
    "\n"
    "Exit status: 0 the guest powered off; 1 error; 2 usage; 3 reboot; 4 the guest reported failure;\n"
    "5 every hart stopped; 128+N stopped by signal N (143: SIGTERM); 130 stopped through the API.\n";

/* What a fatal signal handler must remove: no socket file outlives the process. */
static char api_sock_path[256], console_sock_path[256];

static void on_fatal(int sig)
{
    if (api_sock_path[0])
        unlink(api_sock_path);
    if (console_sock_path[0])
        unlink(console_sock_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_fatal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    /* SIGSEGV too: the machine's own fault handlers, installed later, chain to this one for faults that
     * are not theirs. */
    int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

typedef struct Opts {
    const char *api_sock, *config_file, *id, *console_log, *console_sock, *exit_file;
    bool seccomp;
} Opts;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "lodged machine: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see lodged machine --help)\n");
    return MGR_EXIT_USAGE;
}

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

/* -1 to go on, else the exit status (help or a usage error). */
static int parse_opts(int argc, char **argv, Opts *o)
{
    *o = (Opts){.id = "anonymous-instance"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (mgr_is_help(a)) {
            fputs(usage_text, stdout);
            return MGR_EXIT_OK;
        }
        if (!strcmp(a, "--seccomp")) {
            o->seccomp = true;
            continue;
        }
        if (i + 1 >= argc)
            return usage_error(strncmp(a, "--", 2) == 0 ? "%s needs a value" : "unexpected argument %s", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--api-sock")) o->api_sock = v;
        else if (!strcmp(a, "--config-file")) o->config_file = v;
        else if (!strcmp(a, "--id")) o->id = v;
        else if (!strcmp(a, "--console-log")) o->console_log = v;
        else if (!strcmp(a, "--console-sock")) o->console_sock = v;
        else if (!strcmp(a, "--exit-file")) o->exit_file = v;
        else return usage_error("unknown option %s", a);
        if (!*v)
            return usage_error("%s needs a non-empty value", a);
    }
    if (!o->api_sock && !o->config_file)
        return usage_error("%s", "give --api-sock PATH, --config-file FILE, or both");
    if (!valid_id(o->id))
        return usage_error("--id %s: 1 to 64 letters, digits, '_', '.' or '-'", o->id);
    if ((o->api_sock && strlen(o->api_sock) >= sizeof api_sock_path)
        || (o->console_sock && strlen(o->console_sock) >= sizeof console_sock_path))
        return usage_error("%s", "socket paths are limited to 107 bytes");
    return -1;
}

/* The exit file appears whole or not at all: written beside it, then renamed. */
static bool write_exit_file(const char *path, lodge_machine_exit_t exit, uint32_t fail_code)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "we");
    if (!f)
        return false;
    fprintf(f, "{\"exit\": \"%s\", \"fail_code\": %u}\n", lodge_machine_exit_name(exit), (unsigned)fail_code);
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    return true;
}

static cJSON *read_config_file(const char *path, char *err, size_t n)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, n, "--config-file %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    if (buf)
        len = fread(buf, 1, cap + 1, f);
    fclose(f);
    if (!buf || len > cap) {
        snprintf(err, n, "--config-file %s: %s", path, buf ? "larger than 1 MiB" : "out of memory");
        free(buf);
        return NULL;
    }
    char why[256];
    cJSON *doc = fcres_parse(buf, len, why, sizeof why);
    free(buf);
    if (!doc)
        snprintf(err, n, "--config-file %s: %s", path, why);
    return doc;
}

typedef struct Proc {
    Opts opts;
    FcApi api;
    ConPump *pump;
    HttpServer *server;
    pthread_t server_thread;
    bool server_running;
} Proc;

static void on_machine_start(void *opaque, lodge_machine_t *m)
{
    Proc *p = opaque;
    conpump_attach(p->pump, lodge_machine_console_fd(m));
}

/* lodge_machine_config_t.on_thread: the machine's threads take their kind's list (mgr/seccomp.c). A thread
 * that cannot be confined ends the process: it must not run the guest unconfined. */
static void confine_thread(void *opaque, const char *kind)
{
    JailThreadKind k;
    char err[256];
    if (!jail_thread_kind(kind, &k)) {
        fprintf(stderr, "lodged machine: no system-call list for a '%s' thread\n", kind);
        _exit(MGR_EXIT_ERROR);
    }
    if (!jail_seccomp_apply(k, err, sizeof err)) {
        fprintf(stderr, "lodged machine: %s\n", err);
        _exit(MGR_EXIT_ERROR);
    }
}

static void *server_main(void *opaque)
{
    Proc *p = opaque;
    if (!http_server_run(p->server))
        fprintf(stderr, "lodged machine: the API server failed\n");
    return NULL;
}

static int exit_status(lodge_machine_exit_t why, int sig)
{
    switch (why) {
    case LODGE_MACHINE_POWEROFF: return 0;
    case LODGE_MACHINE_REBOOT: return 3;
    case LODGE_MACHINE_FAIL: return 4;
    case LODGE_MACHINE_HALTED: return 5;
    default: return sig ? 128 + sig : 130;
    }
}

static uint64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

/* Waits for the guest to end or a stop signal; returns the signal (0: the guest ended by itself). Meanwhile
 * a metrics line every minute, as Firecracker writes one. */
static int wait_for_end(Proc *p, const sigset_t *stops)
{
    const struct timespec zero = {0, 0}, tick = {0, 100 * 1000 * 1000};
    for (uint64_t last = now_s();;) {
        if (now_s() - last >= 60) {
            fcapi_flush_metrics(&p->api, NULL);
            last = now_s();
        }
        lodge_machine_t *m = fcapi_machine(&p->api);
        int sig = sigtimedwait(stops, NULL, m ? &zero : &tick);
        if (sig > 0)
            return sig;
        if (m && lodge_machine_wait(m, 100, NULL))
            return 0;
    }
}

/* Everything the process set up, undone in reverse; the machine is stopped and its disks flushed before the
 * exit file says the guest has ended. */
static int finish(Proc *p, int sig, int status)
{
    lodge_machine_t *m = fcapi_close(&p->api);
    if (m && sig)
        lodge_machine_stop(m);
    lodge_machine_exit_t why = sig ? LODGE_MACHINE_STOPPED : LODGE_MACHINE_NOT_EXITED;
    uint32_t fail_code = 0;
    if (m) {
        lodge_machine_wait(m, -1, &why);
        lodge_machine_stats_t st;
        lodge_machine_stats(m, &st);
        fail_code = st.fail_code;
        fcapi_flush_metrics(&p->api, m);
    }
    if (p->server_running) {
        http_server_stop(p->server);
        pthread_join(p->server_thread, NULL);
    }
    if (p->server)
        http_server_delete(p->server);   /* removes the socket file */
    conpump_delete(p->pump);             /* the guest's last output, before the machine goes */
    if (m) {
        fcapi_log(&p->api, FCLOG_INFO, "The guest ended: %s (fail code %u)", lodge_machine_exit_name(why),
                  (unsigned)fail_code);
        lodge_machine_delete(m);
        if (status < 0)
            status = exit_status(why, sig);
    } else if (status < 0) {
        status = sig ? 128 + sig : MGR_EXIT_OK;
    }
    if (p->opts.exit_file && (m || sig) && !write_exit_file(p->opts.exit_file, why, fail_code)) {
        fprintf(stderr, "lodged machine: --exit-file %s: %s\n", p->opts.exit_file, strerror(errno));
        status = MGR_EXIT_ERROR;
    }
    fcapi_free(&p->api);
    api_sock_path[0] = console_sock_path[0] = '\0';
    return status;
}

int mgr_cmd_machine(int argc, char **argv)
{
    Proc p;
    memset(&p, 0, sizeof p);
    int st = parse_opts(argc, argv, &p.opts);
    if (st >= 0)
        return st;
    /* The stop signals are taken by the main thread with sigtimedwait; every thread started from here on
     * inherits the mask, so none of them is interrupted by one. */
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stops, NULL);
    if (p.opts.api_sock)
        snprintf(api_sock_path, sizeof api_sock_path, "%s", p.opts.api_sock);
    if (p.opts.console_sock)
        snprintf(console_sock_path, sizeof console_sock_path, "%s", p.opts.console_sock);
    install_fatal_handlers();

    char err[512];
    /* Before any thread exists, so every one of them starts under the control list at least. */
    if (p.opts.seccomp && !jail_seccomp_apply(JAIL_THREAD_CONTROL, err, sizeof err)) {
        fprintf(stderr, "lodged machine: %s\n", err);
        return MGR_EXIT_ERROR;
    }
    fcapi_init(&p.api, p.opts.id);
    p.api.on_start = on_machine_start;
    p.api.on_start_opaque = &p;
    if (p.opts.seccomp)
        p.api.on_thread = confine_thread;
    cJSON *doc = NULL;
    if (p.opts.config_file) {
        doc = read_config_file(p.opts.config_file, err, sizeof err);
        bool ok = doc && fcapi_load(&p.api, doc, err, sizeof err);
        cJSON_Delete(doc);
        if (!ok) {
            fprintf(stderr, "lodged machine: %s\n", err);
            fcapi_free(&p.api);
            return MGR_EXIT_ERROR;
        }
    }
    if (!(p.pump = conpump_new(p.opts.console_log, p.opts.console_sock, err, sizeof err))) {
        fprintf(stderr, "lodged machine: %s\n", err);
        fcapi_free(&p.api);
        return MGR_EXIT_ERROR;
    }
    if (p.opts.api_sock) {
        p.server = http_server_new_unix(p.opts.api_sock, fcapi_handle, &p.api, err, sizeof err);
        if (!p.server) {
            fprintf(stderr, "lodged machine: --api-sock %s: %s\n", p.opts.api_sock, err);
            return finish(&p, 0, MGR_EXIT_ERROR);
        }
        if (pthread_create(&p.server_thread, NULL, server_main, &p) != 0) {
            fprintf(stderr, "lodged machine: cannot start the API thread\n");
            return finish(&p, 0, MGR_EXIT_ERROR);
        }
        p.server_running = true;
    }
    fcapi_log(&p.api, FCLOG_INFO, "Running Lodge v%s machine process%s%s", FCAPI_VMM_VERSION,
              p.opts.api_sock ? ", API on " : "", p.opts.api_sock ? p.opts.api_sock : "");
    if (p.opts.config_file && !fcapi_start(&p.api, err, sizeof err)) {
        fprintf(stderr, "lodged machine: %s\n", err);
        return finish(&p, 0, MGR_EXIT_ERROR);
    }
    int sig = wait_for_end(&p, &stops);
    return finish(&p, sig, -1);
}
