/* api_instances.c: /v1/instances, WebAssembly guests on the worker pool (mgr/workers.h). The pool owns
 * the running instances; the daemon owns their records. The pool's events (an instance that ended, a worker
 * that died) arrive on the pool's thread and are applied under the daemon's lock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgr/daemon.h"
#include "mgr/jsonv.h"

#define MAX_ARGS 1024

static bool check_dirs(const cJSON *dirs, HttpResponse *r)
{
    static const char *const fields[] = {"host", "guest", "read_only", NULL};
    int n = cJSON_GetArraySize(dirs);
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(dirs, i);
        char where[32];
        snprintf(where, sizeof where, "dirs[%d]", i);
        const char *host = NULL, *guest = NULL;
        bool ro = false;
        if (!cJSON_IsObject(e))
            return http_fault(r, 400, "field '%s' must be an object", where);
        if (!jsonv_only(e, fields, where, r) || !jsonv_string(e, "host", where, &host, r) ||
            !jsonv_string(e, "guest", where, &guest, r) || !jsonv_bool(e, "read_only", where, &ro, r))
            return false;
        if (!host)
            return http_fault(r, 400, "field '%s.host' is required", where);
        struct stat st;
        if (host[0] != '/')
            return http_fault(r, 400, "field '%s.host' must be an absolute path, not '%s'", where, host);
        if (stat(host, &st) != 0 || !S_ISDIR(st.st_mode))
            return http_fault(r, 400, "field '%s.host': %s is not a directory", where, host);
        const char *gp = guest ? guest : host;
        if (!*gp)
            return http_fault(r, 400, "field '%s.guest' is empty", where);
        for (int j = 0; j < i; j++) {
            const cJSON *o = cJSON_GetArrayItem(dirs, j);
            const cJSON *og = cJSON_GetObjectItemCaseSensitive(o, "guest");
            const char *ogp = og ? og->valuestring : cJSON_GetObjectItemCaseSensitive(o, "host")->valuestring;
            if (strcmp(ogp, gp) == 0)
                return http_fault(r, 400, "dirs[%d] and dirs[%d] both appear to the guest as '%s'", j, i, gp);
        }
    }
    return true;
}

static bool check_create(Daemon *d, cJSON *o, char *id, size_t idlen, uint64_t *mem, bool *start, HttpResponse *r)
{
    static const char *const fields[] = {"id", "module", "args", "env", "dirs", "max_memory_bytes", "fuel",
                                         "cpu_weight", "start", NULL};
    const char *gid = NULL, *module = NULL;
    const cJSON *args, *env, *dirs;
    uint64_t fuel = 0, weight = 100;
    *mem = d->instance_default_memory;
    *start = false;
    if (!jsonv_only(o, fields, NULL, r) || !jsonv_string(o, "id", NULL, &gid, r) ||
        !jsonv_string(o, "module", NULL, &module, r) || !jsonv_member(o, "args", NULL, cJSON_Array, &args, r) ||
        !jsonv_member(o, "env", NULL, cJSON_Object, &env, r) || !jsonv_member(o, "dirs", NULL, cJSON_Array, &dirs, r) ||
        !jsonv_uint(o, "max_memory_bytes", NULL, 65536, d->host_memory, mem, r) ||
        !jsonv_uint(o, "fuel", NULL, 0, UINT64_MAX >> 11, &fuel, r) ||
        !jsonv_uint(o, "cpu_weight", NULL, 1, 10000, &weight, r) || !jsonv_bool(o, "start", NULL, start, r))
        return false;
    if (gid && !jsonv_valid_id(gid))
        return http_fault(r, 400, "field 'id' must match [A-Za-z0-9_.-]{1,64}");
    if (!module)
        return http_fault(r, 400, "field 'module' is required (a module id from POST /v1/modules)");
    if (cJSON_GetArraySize(args) > MAX_ARGS)
        return http_fault(r, 400, "field 'args' has more than %d entries", MAX_ARGS);
    int i = 0;
    for (const cJSON *a = args ? args->child : NULL; a; a = a->next, i++)
        if (!cJSON_IsString(a))
            return http_fault(r, 400, "field 'args[%d]' must be a string", i);
    for (const cJSON *e = env ? env->child : NULL; e; e = e->next) {
        if (!cJSON_IsString(e))
            return http_fault(r, 400, "field 'env.%s' must be a string", e->string);
        if (!*e->string || strchr(e->string, '='))
            return http_fault(r, 400, "environment variable name '%s' is empty or holds '='", e->string);
    }
    if (dirs && !check_dirs(dirs, r))
        return false;
    if (gid && guests_find(d, GUEST_INSTANCE, gid))
        return http_fault(r, 409, "an instance named '%s' exists already", gid);
    char path[4400];
    snprintf(path, sizeof path, "%s/modules/%s.wasm", d->state_dir, module);
    if (!jsonv_valid_id(module) || access(path, R_OK) != 0)
        return http_fault(r, 404, "no such module: '%s'", module);
    if (gid)
        snprintf(id, idlen, "%s", gid);
    else
        guests_new_id(d, GUEST_INSTANCE, "wi-", id, idlen);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "start");
    if (!cJSON_GetObjectItemCaseSensitive(o, "max_memory_bytes"))
        cJSON_AddNumberToObject(o, "max_memory_bytes", (double)*mem);
    if (!cJSON_GetObjectItemCaseSensitive(o, "cpu_weight"))
        cJSON_AddNumberToObject(o, "cpu_weight", (double)weight);
    return true;
}

static void log_path(const Daemon *d, const Guest *g, char *out, size_t len)
{
    char dir[4200];
    guests_dir(d, g, dir, sizeof dir);
    snprintf(out, len, "%s/output.log", dir);
}

/* The record's config as the pool's InstanceSpec (pointers into g->config, valid while it lives). */
static bool place(Daemon *d, Guest *g, bool start, char *err, size_t errlen)
{
    const cJSON *c = g->config;
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(c, "args");
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(c, "env");
    const cJSON *dirs = cJSON_GetObjectItemCaseSensitive(c, "dirs");
    int argc = 1 + cJSON_GetArraySize(args), envc = cJSON_GetArraySize(env), ndirs = cJSON_GetArraySize(dirs);
    const char **argv = calloc((size_t)argc, sizeof *argv);
    char **envv = calloc((size_t)envc + 1, sizeof *envv);
    lodge_wasi_dir_t *dv = calloc((size_t)ndirs + 1, sizeof *dv);
    char modpath[4400], log[4400];
    bool ok = false;
    if (!argv || !envv || !dv) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    argv[0] = g->module;
    int i = 1;
    for (const cJSON *a = args ? args->child : NULL; a; a = a->next)
        argv[i++] = a->valuestring;
    i = 0;
    for (const cJSON *e = env ? env->child : NULL; e; e = e->next, i++)
        if (asprintf(&envv[i], "%s=%s", e->string, e->valuestring) < 0) {
            envv[i] = NULL;
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    i = 0;
    for (const cJSON *e = dirs ? dirs->child : NULL; e; e = e->next, i++) {
        const cJSON *gp = cJSON_GetObjectItemCaseSensitive(e, "guest");
        dv[i].host_path = cJSON_GetObjectItemCaseSensitive(e, "host")->valuestring;
        dv[i].guest_path = gp ? gp->valuestring : NULL;
        dv[i].read_only = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "read_only"));
    }
    snprintf(modpath, sizeof modpath, "%s/modules/%s.wasm", d->state_dir, g->module);
    log_path(d, g, log, sizeof log);
    InstanceSpec spec = {
        .id = g->id,
        .module_path = modpath,
        .argc = argc,
        .argv = argv,
        .envc = envc,
        .env = (const char *const *)envv,
        .ndirs = ndirs,
        .dirs = dv,
        .max_memory = (size_t)cJSON_GetObjectItemCaseSensitive(c, "max_memory_bytes")->valuedouble,
        .fuel = cJSON_GetObjectItemCaseSensitive(c, "fuel")
                    ? (uint64_t)cJSON_GetObjectItemCaseSensitive(c, "fuel")->valuedouble : 0,
        .cpu_weight = (unsigned)cJSON_GetObjectItemCaseSensitive(c, "cpu_weight")->valuedouble,
        .stdout_path = log,
        .stderr_path = log,
        .start = start,
    };
    ok = workers_create(d->pool, &spec, err, errlen);
out:
    for (int k = 0; envv && k < envc; k++)
        free(envv[k]);
    free(envv);
    free(argv);
    free(dv);
    return ok;
}

/* Apply what the pool says about an instance to its record. */
static void apply_status(Daemon *d, Guest *g, const InstanceStatus *st)
{
    g->inst = *st;
    if (st->state == LODGE_STATE_STOPPED)
        g->exit_code = st->exit_code;
    if (st->error[0])
        snprintf(g->error, sizeof g->error, "%s", st->error);
    if (g->state != st->state && !(g->state >= LODGE_STATE_STOPPED)) /* an ended record stays ended */
        guests_set_state(d, g, st->state);
}

/* On the pool's thread: queue and wake the API thread. Never the daemon's lock here: the API thread holds
 * it while it waits on the pool, and the pool's thread must stay free to read its workers' events. */
void api_instances_event(void *opaque, const InstanceStatus *st)
{
    Daemon *d = opaque;
    pthread_mutex_lock(&d->evlock);
    if (d->nev == d->capev) {
        size_t cap = d->capev ? d->capev * 2 : 256;
        InstanceStatus *q = realloc(d->evq, cap * sizeof *q);
        if (q) {
            d->evq = q;
            d->capev = cap;
        }
    }
    if (d->nev < d->capev)
        d->evq[d->nev++] = *st;
    pthread_mutex_unlock(&d->evlock);
    if (d->server)
        http_server_wake(d->server);
}

void api_instances_drain(Daemon *d)
{
    pthread_mutex_lock(&d->evlock);
    InstanceStatus *q = d->evq;
    size_t n = d->nev;
    d->evq = NULL;
    d->nev = d->capev = 0;
    pthread_mutex_unlock(&d->evlock);
    for (size_t i = 0; i < n; i++) {
        Guest *g = guests_find(d, GUEST_INSTANCE, q[i].id);
        if (g)
            apply_status(d, g, &q[i]);
    }
    free(q);
}

static bool pool_ready(Daemon *d, HttpResponse *r)
{
    if (d->pool)
        return true;
    return http_fault(r, 503, "instances are unavailable: %s", d->pool_error);
}

static void create(Daemon *d, const HttpRequest *req, HttpResponse *r)
{
    cJSON *o = jsonv_parse_object(req->body, req->body_len, r);
    if (!o)
        return;
    char id[72], err[512], dir[4200], what[256];
    uint64_t mem;
    bool start;
    if (!check_create(d, o, id, sizeof id, &mem, &start, r) || !pool_ready(d, r)) {
        cJSON_Delete(o);
        return;
    }
    snprintf(what, sizeof what, "instance '%s' (max_memory_bytes)", id);
    if (!host_admit(d, what, mem, r)) {
        cJSON_Delete(o);
        return;
    }
    Guest *g = calloc(1, sizeof *g);
    if (!g) {
        cJSON_Delete(o);
        http_fault(r, 500, "out of memory");
        return;
    }
    g->kind = GUEST_INSTANCE;
    snprintf(g->id, sizeof g->id, "%s", id);
    snprintf(g->module, sizeof g->module, "%s", cJSON_GetObjectItemCaseSensitive(o, "module")->valuestring);
    g->config = o;
    g->created_at = api_now();
    g->charged = mem;
    g->state = LODGE_STATE_CREATED;
    guests_dir(d, g, dir, sizeof dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        http_fault(r, 500, "cannot create %s: %s", dir, strerror(errno));
        guests_free(g);
        return;
    }
    if (!place(d, g, start, err, sizeof err)) {
        http_fault(r, 400, "instance '%s': %s", id, err);
        rmdir(dir);
        guests_free(g);
        return;
    }
    /* Started before its record is written, so that create + start writes the record once (each write is
     * a new file renamed over the old one, the costliest step of a fresh instance on a journaling file
     * system). The pool's events wait in its queue until this request is answered, so "stopped" cannot
     * overtake "running". */
    bool started = start && !err[0];
    if (start && !started)
        http_fault(r, 409, "instance '%s' created but not started: %s", id, err);
    if (started) {
        g->state = LODGE_STATE_RUNNING;
        g->started_at = api_now();
    }
    if (!guests_add(d, g) || !guests_save(d, g)) {
        char e2[512];
        workers_kill(d->pool, id, e2, sizeof e2);
        workers_remove(d->pool, id, e2, sizeof e2);
        http_fault(r, 500, "cannot record instance '%s' in %s", id, dir);
        return;
    }
    if (start && !started)
        return;
    jsonv_respond(r, 201, guests_json(g));
}

static void action(Daemon *d, Guest *g, const HttpRequest *req, HttpResponse *r)
{
    GuestAction act;
    uint64_t timeout_s = 0;
    char err[512] = "";
    if (!api_parse_action(req, &act, &timeout_s, r) || !api_state_allows(g, act, r) || !pool_ready(d, r))
        return;
    bool ok = false;
    lodge_guest_state_t next = g->state;
    switch (act) {
    case ACT_START: ok = workers_start(d->pool, g->id, err, sizeof err), next = LODGE_STATE_RUNNING; break;
    case ACT_PAUSE: ok = workers_pause(d->pool, g->id, err, sizeof err), next = LODGE_STATE_PAUSED; break;
    case ACT_RESUME: ok = workers_resume(d->pool, g->id, err, sizeof err), next = LODGE_STATE_RUNNING; break;
    case ACT_STOP:
        /* Graceful: the guest ends as by proc_exit(143); the pool reports it. */
        ok = workers_stop(d->pool, g->id, err, sizeof err);
        break;
    case ACT_KILL: ok = workers_kill(d->pool, g->id, err, sizeof err), next = LODGE_STATE_STOPPED; break;
    }
    if (!ok) {
        http_fault(r, 409, "instance '%s': %s", g->id, err);
        return;
    }
    if (act == ACT_KILL) {
        g->exit_code = 137;
        snprintf(g->error, sizeof g->error, "killed");
    }
    InstanceStatus st;
    if (workers_status(d->pool, g->id, &st) && act != ACT_KILL)
        apply_status(d, g, &st);
    else
        guests_set_state(d, g, next);
    jsonv_respond(r, 200, guests_json(g));
}

static void stats(Daemon *d, Guest *g, HttpResponse *r)
{
    InstanceStatus st;
    if (d->pool && g->state <= LODGE_STATE_PAUSED && workers_status(d->pool, g->id, &st))
        apply_status(d, g, &st);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", g->id);
    cJSON_AddStringToObject(o, "state", lodge_state_name(g->state));
    cJSON_AddNumberToObject(o, "memory_bytes", (double)g->inst.memory_bytes);
    cJSON_AddNumberToObject(o, "cpu_ns", (double)g->inst.cpu_ns);
    cJSON_AddNumberToObject(o, "fuel_used", (double)g->inst.fuel_used);
    jsonv_respond(r, 200, o);
}

static void delete_instance(Daemon *d, Guest *g, const HttpRequest *req, HttpResponse *r)
{
    bool force = false;
    char err[512];
    static const char *const params[] = {"force", NULL};
    if (!api_query_only(req, params, r) || !api_query_bool(req, "force", &force, r))
        return;
    if (g->state <= LODGE_STATE_PAUSED && !force) {
        http_fault(r, 409, "instance '%s' is %s: stop or kill it first, or delete with ?force=true", g->id,
                   lodge_state_name(g->state));
        return;
    }
    if (d->pool) {
        if (g->state <= LODGE_STATE_PAUSED)
            workers_kill(d->pool, g->id, err, sizeof err);
        workers_remove(d->pool, g->id, err, sizeof err); /* the pool may have forgotten it already */
    }
    guests_remove(d, g);
    r->status = 204;
}

void api_instances(Daemon *d, const HttpRequest *req, HttpResponse *r, const char *rest)
{
    static const char *const subs[] = {"", "/actions", "/stats", "/logs"};
    const char *m = req->method, *sub;
    Guest *g;
    if (!api_collection(d, GUEST_INSTANCE, req, r, rest, subs, sizeof subs / sizeof subs[0], create, &g, &sub))
        return;
    if (!*sub && strcmp(m, "DELETE") == 0)
        return delete_instance(d, g, req, r);
    if (strcmp(sub, "/actions") == 0 && strcmp(m, "POST") == 0)
        return action(d, g, req, r);
    if (strcmp(sub, "/stats") == 0 && strcmp(m, "GET") == 0)
        return stats(d, g, r);
    if (strcmp(sub, "/logs") == 0) {
        char path[4400];
        log_path(d, g, path, sizeof path);
        return api_logs(d, g, path, req, r);
    }
    http_fault(r, 405, "%s is not served on %s", m, req->path);
}

void api_instances_recover(Daemon *d)
{
    size_t max = d->nguests + 16, n = 0;
    InstanceStatus *all = d->pool ? calloc(max, sizeof *all) : NULL;
    if (all)
        n = workers_list(d->pool, all, max);
    for (size_t i = 0; i < d->nguests; i++) {
        Guest *g = d->guests[i];
        if (g->kind != GUEST_INSTANCE || g->state > LODGE_STATE_PAUSED)
            continue;
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            if (strcmp(all[k].id, g->id) == 0) {
                apply_status(d, g, &all[k]);
                found = true;
            }
        if (!found) {
            snprintf(g->error, sizeof g->error, "its worker is gone (found missing when the daemon restarted)");
            guests_set_state(d, g, LODGE_STATE_CRASHED);
        }
    }
    free(all);
}
