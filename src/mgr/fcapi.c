/* fcapi.c: the routes of a machine process's API. Requests are checked and applied under one lock; the
 * machine is built only by InstanceStart, from resources that every earlier request already validated, so
 * a refused request changes nothing. Status codes and messages follow Firecracker's (400 for every client
 * error, its wording where it has one). */
#include "mgr/fcapi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define FCAPI_FC_VERSION "1.10.0" /* the Firecracker API this one follows, field for field (GET /version) */

static const char after_start[] = "The requested operation is not supported after starting the microVM.";
static const char before_start[] = "The requested operation is not supported before starting the microVM.";

void fcapi_init(FcApi *a, const char *id)
{
    memset(a, 0, sizeof *a);
    /* Recursive: fcapi_log takes the lock and is called from handlers that hold it. */
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&a->lock, &at);
    pthread_mutexattr_destroy(&at);
    fcres_init(&a->res);
    snprintf(a->id, sizeof a->id, "%s", id);
}

void fcapi_free(FcApi *a)
{
    if (a->log)
        fclose(a->log);
    if (a->metrics)
        fclose(a->metrics);
    fcres_free(&a->res);
    pthread_mutex_destroy(&a->lock);
}

void fcapi_log(FcApi *a, FcLogLevel level, const char *fmt, ...)
{
    static const char *const names[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
    pthread_mutex_lock(&a->lock);
    if (level <= a->res.log_level && a->res.log_level != FCLOG_OFF) {
        FILE *f = a->log ? a->log : stderr;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(f, "%s.%09ld [%s%s%s%s] ", when, ts.tv_nsec, a->id, a->res.log_show_level ? ":" : "",
                a->res.log_show_level ? names[level] : "", a->res.log_show_origin ? ":fcapi" : "");
        va_list ap;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fputc('\n', f);
        fflush(f);
    }
    pthread_mutex_unlock(&a->lock);
}

static const char *fc_state(lodge_machine_t *m)
{
    if (!m)
        return "Not started";
    switch (lodge_machine_state(m)) {
    case LODGE_STATE_CREATED: return "Not started";
    case LODGE_STATE_RUNNING: return "Running";
    case LODGE_STATE_PAUSED: return "Paused";
    default: return "Stopped";   /* only until the process ends, a moment later */
    }
}

static void respond_json(HttpResponse *resp, int status, cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text) {
        http_fault(resp, 500, "out of memory");
        return;
    }
    http_respond(resp, status, "application/json", text, strlen(text));
    free(text);
}

static void no_content(HttpResponse *resp)
{
    http_respond(resp, 204, NULL, NULL, 0);
}

/* The body as a JSON object, or a 400 already written. */
static cJSON *body_of(const HttpRequest *req, HttpResponse *resp)
{
    char err[256];
    cJSON *doc = fcres_parse(req->body, req->body_len, err, sizeof err);
    if (!doc)
        http_fault(resp, 400, "%s", err);
    return doc;
}

typedef bool (*SetFn)(FcRes *, const cJSON *, char *, size_t);

/* The common shape of a pre-boot PUT: refused once started, else parsed and applied whole or not at all. */
static void pre_boot_put(FcApi *a, const HttpRequest *req, HttpResponse *resp, SetFn set)
{
    if (a->machine) {
        http_fault(resp, 400, "%s", after_start);
        return;
    }
    cJSON *doc = body_of(req, resp);
    if (!doc)
        return;
    char err[512];
    if (set(&a->res, doc, err, sizeof err))
        no_content(resp);
    else
        http_fault(resp, 400, "%s", err);
    cJSON_Delete(doc);
}

static bool set_mc_put(FcRes *r, const cJSON *b, char *e, size_t n) { return fcres_set_machine_config(r, b, false, e, n); }
static bool set_mc_patch(FcRes *r, const cJSON *b, char *e, size_t n) { return fcres_set_machine_config(r, b, true, e, n); }

static void get_info(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", a->id);
    cJSON_AddStringToObject(o, "state", fc_state(a->machine));
    cJSON_AddStringToObject(o, "vmm_version", FCAPI_VMM_VERSION);
    cJSON_AddStringToObject(o, "app_name", FCAPI_APP_NAME);
    respond_json(resp, 200, o);
}

static void get_version(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "firecracker_version", FCAPI_FC_VERSION);
    respond_json(resp, 200, o);
}

static void get_machine_config(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    respond_json(resp, 200, fcres_machine_config_json(&a->res));
}

static void get_vm_config(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    respond_json(resp, 200, fcres_vm_config_json(&a->res));
}

static void put_machine_config(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    pre_boot_put(a, req, resp, set_mc_put);
}

static void patch_machine_config(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    pre_boot_put(a, req, resp, set_mc_patch);
}

static void put_boot_source(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    pre_boot_put(a, req, resp, fcres_set_boot_source);
}

static void put_entropy(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    pre_boot_put(a, req, resp, fcres_set_entropy);
}

typedef bool (*SetIdFn)(FcRes *, const char *, const cJSON *, char *, size_t);
typedef bool (*PatchIdFn)(const FcRes *, const char *, const cJSON *, lodge_rate_limit_t *, char[16], char *, size_t);

static void put_with_id(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp, SetIdFn set)
{
    if (a->machine) {
        http_fault(resp, 400, "%s", after_start);
        return;
    }
    cJSON *doc = body_of(req, resp);
    if (!doc)
        return;
    char err[512];
    if (set(&a->res, id, doc, err, sizeof err))
        no_content(resp);
    else
        http_fault(resp, 400, "%s", err);
    cJSON_Delete(doc);
}

/* PATCH of a drive or interface: post-boot only, as Firecracker: its rate limiters change at once. */
static void patch_with_id(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp, PatchIdFn patch)
{
    if (!a->machine) {
        http_fault(resp, 400, "%s", before_start);
        return;
    }
    cJSON *doc = body_of(req, resp);
    if (!doc)
        return;
    char err[512], device[16];
    lodge_rate_limit_t rl;
    lodge_error_t e;
    memset(&e, 0, sizeof e);
    if (!patch(&a->res, id, doc, &rl, device, err, sizeof err)) {
        http_fault(resp, 400, "%s", err);
    } else if (!lodge_machine_set_rate_limit(a->machine, device, &rl, &e)) {
        http_fault(resp, 400, "%s: %s", device, e.message);
    } else {
        fcres_commit_limits(&a->res, device, &rl);
        no_content(resp);
    }
    cJSON_Delete(doc);
}

static void put_drive(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    put_with_id(a, req, id, resp, fcres_set_drive);
}

static void patch_drive(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    patch_with_id(a, req, id, resp, fcres_drive_patch);
}

static void put_net(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    put_with_id(a, req, id, resp, fcres_set_net);
}

static void patch_net(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    patch_with_id(a, req, id, resp, fcres_net_patch);
}

/* Logger and metrics open their files at once, so a path that cannot be written is refused now. */
static bool open_append(const char *path, FILE **out, const char *what, char *err, size_t n)
{
    /* Non-blocking open: a named pipe nobody reads yet (Firecracker's clients often pass one) must not hang
     * the API thread; it is refused instead, and the writes after a good open block as usual. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
    FILE *f = NULL;
    if (fd >= 0 && fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) == 0)
        f = fdopen(fd, "a");
    if (!f) {
        snprintf(err, n, "%s %s: %s", what, path, errno == ENXIO ? "a named pipe with no reader" : strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    if (*out)
        fclose(*out);
    *out = f;
    return true;
}

static void put_logger(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    cJSON *doc = body_of(req, resp);
    if (!doc)
        return;
    char err[512];
    FcRes t = a->res;      /* checked on a copy of the scalars: fcres_set_logger replaces only log fields */
    t.log_path = NULL;
    FILE *f = NULL;
    bool ok = fcres_set_logger(&t, doc, err, sizeof err);
    if (ok && t.log_path)
        ok = open_append(t.log_path, &f, "log_path", err, sizeof err);
    cJSON_Delete(doc);
    if (!ok) {
        free(t.log_path);
        http_fault(resp, 400, "%s", err);
        return;
    }
    if (a->log)
        fclose(a->log);
    a->log = f;
    free(a->res.log_path);
    a->res.log_path = t.log_path;
    a->res.log_level = t.log_level;
    a->res.log_show_level = t.log_show_level;
    a->res.log_show_origin = t.log_show_origin;
    no_content(resp);
}

static void put_metrics(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    cJSON *doc = body_of(req, resp);
    if (!doc)
        return;
    char err[512];
    FcRes t;
    fcres_init(&t);
    FILE *f = NULL;
    bool ok = fcres_set_metrics(&t, doc, err, sizeof err)
              && open_append(t.metrics_path, &f, "metrics_path", err, sizeof err);
    cJSON_Delete(doc);
    if (!ok) {
        fcres_free(&t);
        http_fault(resp, 400, "%s", err);
        return;
    }
    if (a->metrics)
        fclose(a->metrics);
    a->metrics = f;
    free(a->res.metrics_path);
    a->res.metrics_path = t.metrics_path;
    no_content(resp);
}

char *fcapi_stats_json(const lodge_machine_stats_t *s)
{
    char *buf = malloc(1024);
    if (!buf)
        return NULL;
#define U(x) (unsigned long long)(x)
    snprintf(buf, 1024,
             "{\"state\":\"%s\",\"exit\":\"%s\",\"fail_code\":%u,\"instructions\":%llu,\"run_ns\":%llu,"
             "\"mem_bytes\":%llu,\"mem_resident\":%llu,\"overhead_bytes\":%llu,\"disk_read_bytes\":%llu,"
             "\"disk_write_bytes\":%llu,\"disk_reads\":%llu,\"disk_writes\":%llu,\"net_rx_bytes\":%llu,"
             "\"net_tx_bytes\":%llu,\"traps\":%llu,\"interrupts\":%llu,\"sbi_calls\":%llu,"
             "\"mmio_accesses\":%llu,\"console_dropped\":%llu,\"disk_io_errors\":%llu,"
             "\"disk_limit_refusals\":%llu,\"rate_limited\":%llu}",
             lodge_state_name(s->state), lodge_machine_exit_name(s->exit), (unsigned)s->fail_code,
             U(s->instructions), U(s->run_ns), U(s->mem_bytes), U(s->mem_resident), U(s->overhead_bytes),
             U(s->disk_read_bytes), U(s->disk_write_bytes), U(s->disk_reads), U(s->disk_writes),
             U(s->net_rx_bytes), U(s->net_tx_bytes), U(s->traps), U(s->interrupts), U(s->sbi_calls),
             U(s->mmio_accesses), U(s->console_dropped), U(s->disk_io_errors), U(s->disk_limit_refusals),
             U(s->rate_limited));
#undef U
    return buf;
}

static void machine_stats(FcApi *a, lodge_machine_stats_t *s)
{
    if (a->machine) {
        lodge_machine_stats(a->machine, s);
    } else {
        memset(s, 0, sizeof *s);
        s->state = LODGE_STATE_CREATED;
        s->mem_bytes = (uint64_t)a->res.mem_mib << 20;
    }
}

void fcapi_flush_metrics(FcApi *a, lodge_machine_t *m)
{
    pthread_mutex_lock(&a->lock);
    if (a->metrics) {
        lodge_machine_stats_t s;
        if (m)
            lodge_machine_stats(m, &s);
        else
            machine_stats(a, &s);
        char *j = fcapi_stats_json(&s);
        struct timeval tv;
        gettimeofday(&tv, NULL);
        if (j)
            fprintf(a->metrics, "{\"utc_timestamp_ms\":%llu,\"id\":\"%s\",\"lodge\":%s}\n",
                    (unsigned long long)tv.tv_sec * 1000 + (unsigned long long)tv.tv_usec / 1000, a->id, j);
        fflush(a->metrics);
        free(j);
    }
    pthread_mutex_unlock(&a->lock);
}

static void get_stats(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    lodge_machine_stats_t s;
    machine_stats(a, &s);
    char *j = fcapi_stats_json(&s);
    if (!j) {
        http_fault(resp, 500, "out of memory");
        return;
    }
    http_respond(resp, 200, "application/json", j, strlen(j));
    free(j);
}

typedef struct LimitCtx {
    lodge_machine_t *m;
    bool ok;
    char *err;
    size_t n;
} LimitCtx;

static void apply_limit(void *opaque, const char *device, const lodge_rate_limit_t *rl)
{
    LimitCtx *c = opaque;
    lodge_error_t e;
    memset(&e, 0, sizeof e);
    if (c->ok && !lodge_machine_set_rate_limit(c->m, device, rl, &e)) {
        snprintf(c->err, c->n, "Failed to start microVM: %s: %s", device, e.message);
        c->ok = false;
    }
}

bool fcapi_start(FcApi *a, char *err, size_t n)
{
    pthread_mutex_lock(&a->lock);
    bool ok = false;
    lodge_machine_config_t cfg;
    if (a->closing) {
        snprintf(err, n, "the machine process is ending");
    } else if (a->machine) {
        snprintf(err, n, "%s", after_start);
    } else if (fcres_machine_config(&a->res, &cfg, a->cmdline, sizeof a->cmdline, err, n)) {
        lodge_error_t e;
        memset(&e, 0, sizeof e);
        cfg.on_thread = a->on_thread;
        cfg.on_thread_opaque = a->on_thread_opaque;
        lodge_machine_t *m = lodge_machine_new(&cfg, &e);
        LimitCtx lc = {m, true, err, n};
        if (m)
            fcres_each_limit(&a->res, apply_limit, &lc);   /* set before the start: they hold from the first I/O */
        if (!m) {
            snprintf(err, n, "Failed to start microVM: %s", e.message);
        } else if (!lc.ok) {
            lodge_machine_delete(m);
        } else if (!lodge_machine_start(m, &e)) {
            snprintf(err, n, "Failed to start microVM: %s", e.message);
            lodge_machine_delete(m);
        } else {
            a->machine = m;
            if (a->on_start)
                a->on_start(a->on_start_opaque, m);
            ok = true;
        }
    }
    pthread_mutex_unlock(&a->lock);
    if (ok)
        fcapi_log(a, FCLOG_INFO, "Instance started: %u vCPUs, %u MiB, kernel %s, command line \"%s\"",
                  a->res.vcpus, a->res.mem_mib, a->res.kernel, a->cmdline);
    return ok;
}

bool fcapi_load(FcApi *a, const cJSON *doc, char *err, size_t n)
{
    pthread_mutex_lock(&a->lock);
    bool ok = fcres_load(&a->res, doc, err, n);
    if (ok && a->res.log_path)
        ok = open_append(a->res.log_path, &a->log, "log_path", err, n);
    if (ok && a->res.metrics_path)
        ok = open_append(a->res.metrics_path, &a->metrics, "metrics_path", err, n);
    pthread_mutex_unlock(&a->lock);
    return ok;
}

lodge_machine_t *fcapi_machine(FcApi *a)
{
    pthread_mutex_lock(&a->lock);
    lodge_machine_t *m = a->machine;
    pthread_mutex_unlock(&a->lock);
    return m;
}

lodge_machine_t *fcapi_close(FcApi *a)
{
    pthread_mutex_lock(&a->lock);
    a->closing = true;
    lodge_machine_t *m = a->machine;
    pthread_mutex_unlock(&a->lock);
    return m;
}

/* The action's name from {"action_type": NAME} and nothing else, or a 400 written. */
static const char *action_of(const cJSON *doc, const char *const *names, HttpResponse *resp)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "action_type");
    for (const cJSON *c = doc->child; c; c = c->next)
        if (strcmp(c->string, "action_type") != 0) {
            http_fault(resp, 400, "actions: unknown field `%s`, expected action_type", c->string);
            return NULL;
        }
    if (!t) {
        http_fault(resp, 400, "actions: missing required field `action_type`");
        return NULL;
    }
    if (!cJSON_IsString(t)) {
        http_fault(resp, 400, "actions: field `action_type` must be a string");
        return NULL;
    }
    for (int i = 0; names[i]; i++)
        if (strcmp(t->valuestring, names[i]) == 0)
            return names[i];
    char list[128] = "";
    for (int i = 0; names[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    http_fault(resp, 400, "action_type `%s`: expected one of %s", t->valuestring, list);
    return NULL;
}

static bool machine_ended(lodge_machine_t *m)
{
    lodge_guest_state_t s = lodge_machine_state(m);
    return s == LODGE_STATE_STOPPED || s == LODGE_STATE_CRASHED;
}

static void put_actions(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    static const char *const names[] = {"InstanceStart", "SendCtrlAltDel", "FlushMetrics", NULL};
    cJSON *doc = body_of(req, resp);
    if (!doc)
        return;
    const char *act = action_of(doc, names, resp);
    cJSON_Delete(doc);
    if (!act)
        return;
    char err[512];
    lodge_error_t e;
    memset(&e, 0, sizeof e);
    if (strcmp(act, "InstanceStart") == 0) {
        if (fcapi_start(a, err, sizeof err))
            no_content(resp);
        else
            http_fault(resp, 400, "%s", err);
    } else if (strcmp(act, "SendCtrlAltDel") == 0) {
        if (!a->machine || machine_ended(a->machine))
            http_fault(resp, 400, "%s", before_start);
        else if (!lodge_machine_shutdown(a->machine, &e))
            http_fault(resp, 400, "SendCtrlAltDel: %s", e.message);
        else
            no_content(resp);
    } else {
        if (!a->metrics) {
            http_fault(resp, 400, "FlushMetrics: the metrics system is not initialized (PUT /metrics first)");
            return;
        }
        fcapi_flush_metrics(a, a->machine);
        no_content(resp);
    }
}

static void put_lodge_actions(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    static const char *const names[] = {"Stop", "Shutdown", NULL};
    cJSON *doc = body_of(req, resp);
    if (!doc)
        return;
    const char *act = action_of(doc, names, resp);
    cJSON_Delete(doc);
    if (!act)
        return;
    if (!a->machine || machine_ended(a->machine)) {
        http_fault(resp, 400, "%s: the machine is not running", act);
        return;
    }
    lodge_error_t e;
    memset(&e, 0, sizeof e);
    if (strcmp(act, "Stop") == 0)
        lodge_machine_stop(a->machine);
    else if (!lodge_machine_shutdown(a->machine, &e)) {
        http_fault(resp, 400, "Shutdown: %s", e.message);
        return;
    }
    no_content(resp);
}

static void patch_vm(FcApi *a, const HttpRequest *req, const char *id, HttpResponse *resp)
{
    cJSON *doc = body_of(req, resp);
    if (!doc)
        return;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "state");
    const char *want = cJSON_IsString(st) ? st->valuestring : NULL;
    const cJSON *extra = NULL;
    for (const cJSON *c = doc->child; c && !extra; c = c->next)
        if (strcmp(c->string, "state") != 0)
            extra = c;
    if (extra)
        http_fault(resp, 400, "vm: unknown field `%s`, expected state", extra->string);
    else if (!st)
        http_fault(resp, 400, "vm: missing required field `state`");
    else if (!want)
        http_fault(resp, 400, "vm: field `state` must be a string");
    else if (strcmp(want, "Paused") != 0 && strcmp(want, "Resumed") != 0)
        http_fault(resp, 400, "vm: state `%s`: expected one of Paused, Resumed", want);
    else if (!a->machine || machine_ended(a->machine))
        http_fault(resp, 400, "%s", before_start);
    else {
        bool pause = want[0] == 'P';
        lodge_guest_state_t now = lodge_machine_state(a->machine);
        lodge_error_t e;
        memset(&e, 0, sizeof e);
        /* Asking for the state the machine is already in succeeds and changes nothing. */
        bool ok = (pause ? now == LODGE_STATE_PAUSED : now == LODGE_STATE_RUNNING)
                  || (pause ? lodge_machine_pause(a->machine, &e) : lodge_machine_resume(a->machine, &e));
        if (ok)
            no_content(resp);
        else
            http_fault(resp, 400, "vm: cannot %s the machine: %s", pause ? "pause" : "resume", e.message);
    }
    cJSON_Delete(doc);
}

/* Firecracker resources Lodge does not have, with the reason (a 400 rather than "invalid path", so a
 * client learns why). */
static const struct {
    const char *prefix, *why;
} unsupported[] = {
    {"/balloon", "the balloon device is not supported by Lodge"},
    {"/cpu-config", "CPU templates describe x86 and Arm CPUs; Lodge's harts are RV64GC"},
    {"/mmds", "the microVM metadata service (MMDS) is not supported by Lodge"},
    {"/vsock", "vsock devices are not supported by Lodge"},
    {"/snapshot", "snapshots are not supported by Lodge"},
    {"/pmem", "virtio-pmem devices are not supported by Lodge"},
    {"/serial", "the serial console is configured with lodged machine --console-log/--console-sock"},
    {"/hotplug", "memory hot-plug is not supported by Lodge"},
};

typedef void (*RouteFn)(FcApi *, const HttpRequest *, const char *, HttpResponse *);
static const struct {
    const char *method, *path;
    bool with_id;            /* path is a prefix "/drives/" followed by an id */
    RouteFn fn;
} routes[] = {
    {"GET", "/", false, get_info},
    {"GET", "/version", false, get_version},
    {"GET", "/machine-config", false, get_machine_config},
    {"PUT", "/machine-config", false, put_machine_config},
    {"PATCH", "/machine-config", false, patch_machine_config},
    {"PUT", "/boot-source", false, put_boot_source},
    {"PUT", "/drives/", true, put_drive},
    {"PATCH", "/drives/", true, patch_drive},
    {"PUT", "/network-interfaces/", true, put_net},
    {"PATCH", "/network-interfaces/", true, patch_net},
    {"PUT", "/entropy", false, put_entropy},
    {"PUT", "/logger", false, put_logger},
    {"PUT", "/metrics", false, put_metrics},
    {"PUT", "/actions", false, put_actions},
    {"PATCH", "/vm", false, patch_vm},
    {"GET", "/vm/config", false, get_vm_config},
    {"GET", "/lodge/stats", false, get_stats},
    {"PUT", "/lodge/actions", false, put_lodge_actions},
};

static void route(FcApi *a, const HttpRequest *req, HttpResponse *resp)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        size_t plen = strlen(routes[i].path);
        bool match = routes[i].with_id ? strncmp(req->path, routes[i].path, plen) == 0 && req->path[plen]
                                       : strcmp(req->path, routes[i].path) == 0;
        if (match && strcmp(req->method, routes[i].method) == 0) {
            routes[i].fn(a, req, routes[i].with_id ? req->path + plen : NULL, resp);
            return;
        }
    }
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        size_t plen = strlen(unsupported[i].prefix);
        if (strncmp(req->path, unsupported[i].prefix, plen) == 0
            && (req->path[plen] == '\0' || req->path[plen] == '/')) {
            http_fault(resp, 400, "%s %s: %s", req->method, req->path, unsupported[i].why);
            return;
        }
    }
    http_fault(resp, 400, "Invalid request method and/or path: %s %s.", req->method, req->path);
}

void fcapi_handle(void *opaque, const HttpRequest *req, HttpResponse *resp)
{
    FcApi *a = opaque;
    fcapi_log(a, FCLOG_DEBUG, "The API server received a %s request on \"%s\".", req->method, req->path);
    pthread_mutex_lock(&a->lock);
    route(a, req, resp);
    pthread_mutex_unlock(&a->lock);
    if (resp->status >= 400) {
        int len = resp->body ? (int)resp->body_len : 0;
        while (len > 0 && resp->body[len - 1] == '\n')
            len--;
        fcapi_log(a, FCLOG_ERROR, "%s %s: %d %.*s", req->method, req->path, resp->status, len,
                  resp->body ? resp->body : "");
    }
}
