/* worker.c: `lodged worker --socket PATH`: one process hosting many WebAssembly instances for the daemon's
 * pool (mgr/workers.h). It serves the protocol of mgr/wproto.h on its socket, keeps its instances while
 * daemons come and go, and runs them on the scheduler of mgr/wsched.h. A fault here ends this process
 * only; the pool restarts it and reports its instances as crashed. */
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mgr/jail.h"
#include "mgr/mgr.h"
#include "mgr/wproto.h"
#include "mgr/wsched.h"
#include "mgr/wstore.h"

#define MAX_SUBSCRIBERS 8
#define MAX_QUEUED_EVENTS 200000
/* The start function runs on the control thread at create: a guest that loops there is cut off. */
#define START_TIMEOUT_MS 2000
/* stop and kill answer once the guest has ended, or after this long (a guest inside a host call). */
#define STOP_WAIT_MS 1000

typedef struct Event {
    struct Event *next;
    size_t len;
    char bytes[];  /* framed: length prefix and JSON */
} Event;

typedef struct Worker {
    lodge_engine_t *engine;
    WShared *shared;
    WSched *sched;
    size_t default_max_memory;
    /* The id table (under the scheduler's lock). */
    WInst **buckets;
    size_t nbuckets, count;
    pthread_mutex_t create_mu;   /* one instantiation at a time: the start-function watchdog has one slot */
    /* Events (under ev_mu). */
    pthread_mutex_t ev_mu;
    pthread_cond_t ev_cv;
    Event *ev_head, **ev_tail;
    size_t ev_queued, ev_dropped;
    int subs[MAX_SUBSCRIBERS];
    unsigned nsubs;
    int listen_fd;
    unsigned threads;
    bool seccomp;                /* asked for (--seccomp) */
    atomic_bool seccomp_failed;  /* a thread could not install its list */
} Worker;

static Worker *the_worker; /* for the scheduler's thread hook, which takes no argument */

/* The scheduler's threads run guest code: the wasm allow-list (mgr/seccomp.c). */
static void wasm_thread_init(void)
{
    char err[256];
    if (the_worker->seccomp && !jail_seccomp_apply(JAIL_THREAD_WASM, err, sizeof err)) {
        fprintf(stderr, "lodged worker: %s\n", err);
        atomic_store(&the_worker->seccomp_failed, true);
    }
}

/* ---- The id table ---- */

static size_t hash_id(const char *id)
{
    size_t h = 1469598103934665603ull;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return h;
}

static WInst *find(Worker *w, const char *id)
{
    for (WInst *in = w->buckets[hash_id(id) & (w->nbuckets - 1)]; in; in = in->hnext)
        if (strcmp(in->id, id) == 0)
            return in;
    return NULL;
}

static bool insert(Worker *w, WInst *in)
{
    if (w->count + 1 > w->nbuckets) {
        size_t nb = w->nbuckets * 2;
        WInst **b = calloc(nb, sizeof *b);
        if (!b)
            return false;
        for (size_t i = 0; i < w->nbuckets; i++)
            for (WInst *x = w->buckets[i], *n; x; x = n) {
                n = x->hnext;
                x->hnext = b[hash_id(x->id) & (nb - 1)];
                b[hash_id(x->id) & (nb - 1)] = x;
            }
        free(w->buckets);
        w->buckets = b;
        w->nbuckets = nb;
    }
    size_t i = hash_id(in->id) & (w->nbuckets - 1);
    in->hnext = w->buckets[i];
    w->buckets[i] = in;
    w->count++;
    return true;
}

static void unlink_inst(Worker *w, WInst *in)
{
    for (WInst **pp = &w->buckets[hash_id(in->id) & (w->nbuckets - 1)]; *pp; pp = &(*pp)->hnext)
        if (*pp == in) {
            *pp = in->hnext;
            w->count--;
            return;
        }
}

/* ---- Status and events ---- */

static void status_of(Worker *w, const WInst *in, InstanceStatus *st)
{
    memset(st, 0, sizeof *st);
    snprintf(st->id, sizeof st->id, "%s", in->id);
    st->state = wsched_state(in);
    st->exit_code = in->exit_code;
    snprintf(st->error, sizeof st->error, "%s", in->error);
    st->memory_bytes = in->st == WI_CREATED && in->store ? lodge_store_memory_used(in->store) : in->mem_bytes;
    st->cpu_ns = wsched_cpu_ns(w->sched, in);
    st->fuel_used = in->fuel_used;
}

static Event *frame(const cJSON *msg)
{
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return NULL;
    size_t len = strlen(text);
    Event *e = malloc(sizeof *e + len + 4);
    if (e) {
        e->next = NULL;
        e->len = len + 4;
        e->bytes[0] = (char)(len >> 24);
        e->bytes[1] = (char)(len >> 16);
        e->bytes[2] = (char)(len >> 8);
        e->bytes[3] = (char)len;
        memcpy(e->bytes + 4, text, len);
    }
    cJSON_free(text);
    return e;
}

/* The scheduler's event hook (its lock held): queue the new status for the sender thread. */
static void on_event(void *opaque, WInst *in)
{
    Worker *w = opaque;
    if (in->st == WI_DONE && in->remove_when_done) {
        unlink_inst(w, in); /* removed by the daemon already: it wants no event */
        free(in);
        return;
    }
    pthread_mutex_lock(&w->ev_mu);
    bool want = w->nsubs > 0 && w->ev_queued < MAX_QUEUED_EVENTS;
    if (w->nsubs && !want)
        w->ev_dropped++;
    pthread_mutex_unlock(&w->ev_mu);
    if (!want)
        return; /* nobody listens (no daemon): the next daemon lists instead */
    InstanceStatus st;
    status_of(w, in, &st);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "event", "state");
    cJSON_AddItemToObject(msg, "status", wproto_status_json(&st));
    Event *e = frame(msg);
    cJSON_Delete(msg);
    if (!e)
        return;
    pthread_mutex_lock(&w->ev_mu);
    *w->ev_tail = e;
    w->ev_tail = &e->next;
    w->ev_queued++;
    pthread_cond_signal(&w->ev_cv);
    pthread_mutex_unlock(&w->ev_mu);
}

static void *sender_main(void *arg)
{
    Worker *w = arg;
    pthread_mutex_lock(&w->ev_mu);
    for (;;) {
        while (!w->ev_head)
            pthread_cond_wait(&w->ev_cv, &w->ev_mu);
        Event *list = w->ev_head;
        w->ev_head = NULL;
        w->ev_tail = &w->ev_head;
        w->ev_queued = 0;
        int subs[MAX_SUBSCRIBERS];
        unsigned n = w->nsubs;
        memcpy(subs, w->subs, sizeof subs);
        pthread_mutex_unlock(&w->ev_mu);
        for (Event *e = list, *next; e; e = next) {
            next = e->next;
            for (unsigned i = 0; i < n; i++)
                if (subs[i] >= 0 && send(subs[i], e->bytes, e->len, MSG_NOSIGNAL) != (ssize_t)e->len) {
                    /* A daemon that stopped reading: its connection ends; it lists when it reconnects. */
                    shutdown(subs[i], SHUT_RDWR);
                    subs[i] = -1;
                }
            free(e);
        }
        pthread_mutex_lock(&w->ev_mu);
    }
    return NULL;
}

static void release(void *opaque, WInst *in)
{
    Worker *w = opaque;
    wshared_module_release(w->shared, in->module);
    wshared_out_release(w->shared, in->out);
    wshared_out_release(w->shared, in->err);
    in->module = NULL;
    in->out = in->err = NULL;
}

/* ---- Requests ---- */

static cJSON *fail(const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddBoolToObject(r, "ok", false);
    cJSON_AddStringToObject(r, "error", msg);
    return r;
}

static cJSON *ok_status(Worker *w, const WInst *in)
{
    InstanceStatus st;
    status_of(w, in, &st);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddBoolToObject(r, "ok", true);
    cJSON_AddItemToObject(r, "status", wproto_status_json(&st));
    return r;
}

/* A JSON array of strings as a vector (pointers into the message); NULL when absent or malformed. */
static const char **strings(const cJSON *o, const char *name, int *count, bool *bad)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);
    *count = 0;
    if (!a)
        return NULL;
    int n = cJSON_GetArraySize(a);
    if (!cJSON_IsArray(a) || n > 65536) {
        *bad = true;
        return NULL;
    }
    const char **v = calloc((size_t)n + 1, sizeof *v);
    if (!v) {
        *bad = true;
        return NULL;
    }
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        if (!cJSON_IsString(x)) {
            *bad = true;
            free(v);
            return NULL;
        }
        v[i++] = x->valuestring;
    }
    *count = n;
    return v;
}

static void drop_unstarted(Worker *w, WInst *in)
{
    if (in->store)
        lodge_store_delete(in->store);
    release(w, in);
    free(in);
}

/* The descriptor a create request names as "fds".name (-1 when absent), taken out of fds[] (the request's
 * descriptors; what is not taken is closed by the caller). */
static int fd_of(const cJSON *fdmap, const char *name, int *fds, size_t nfds)
{
    unsigned long long i = wproto_num(fdmap, name, ~0ull);
    if (i >= nfds)
        return -1;
    int fd = fds[i];
    fds[i] = -1;
    return fd;
}

/* A preopen given as a descriptor is opened again by name through /proc/self/fd, so WASI sees an ordinary
 * directory; the guest is shown the daemon's path. */
static void dir_by_fd(lodge_wasi_dir_t *d, const cJSON *fdmap, int i, int *fds, size_t nfds, char *buf, size_t len)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(fdmap, "dirs");
    const cJSON *x = cJSON_GetArrayItem(a, i);
    if (!cJSON_IsNumber(x) || x->valuedouble < 0 || (size_t)x->valuedouble >= nfds || fds[(size_t)x->valuedouble] < 0)
        return;
    snprintf(buf, len, "/proc/self/fd/%d", fds[(size_t)x->valuedouble]);
    if (access(buf, F_OK) != 0)
        return; /* no /proc here: the path itself (an unjailed worker sees the daemon's files) */
    if (!d->guest_path)
        d->guest_path = d->host_path;
    d->host_path = buf;
}

/* {"op":"create","spec":{...},"fds":{...}}: everything up to a CREATED instance, on this (the control)
 * thread. */
static cJSON *create(Worker *w, const cJSON *spec, const cJSON *fdmap, int *fds, size_t nfds)
{
    if (!cJSON_IsObject(spec))
        return fail("%s", "create needs a \"spec\" object");
    const char *id = wproto_str(spec, "id"), *path = wproto_str(spec, "module");
    if (!wproto_valid_id(id))
        return fail("%s", "the instance id must be 1 to 64 of [A-Za-z0-9_.-]");
    if (!path)
        return fail("%s", "create needs a \"module\" path");
    wsched_lock(w->sched);
    bool dup = find(w, id) != NULL;
    wsched_unlock(w->sched);
    if (dup)
        return fail("instance '%s' exists", id);

    bool bad = false;
    int argc = 0, envc = 0, mod_fd = fd_of(fdmap, "module", fds, nfds), out_fd = fd_of(fdmap, "stdout", fds, nfds),
        err_fd = fd_of(fdmap, "stderr", fds, nfds);
    char (*dirbuf)[32] = NULL;
    const char **argv = strings(spec, "argv", &argc, &bad), **env = strings(spec, "env", &envc, &bad);
    const cJSON *dirs_j = cJSON_GetObjectItemCaseSensitive(spec, "dirs");
    int ndirs = cJSON_GetArraySize(dirs_j);
    lodge_wasi_dir_t *dirs = ndirs > 0 && ndirs < 1024 ? calloc((size_t)ndirs, sizeof *dirs) : NULL;
    if ((dirs_j && !cJSON_IsArray(dirs_j)) || ndirs >= 1024 || (ndirs > 0 && !dirs) ||
        (ndirs > 0 && !(dirbuf = calloc((size_t)ndirs, sizeof *dirbuf))))
        bad = true;
    for (int i = 0; !bad && i < ndirs; i++) {
        const cJSON *d = cJSON_GetArrayItem(dirs_j, i);
        dirs[i].host_path = wproto_str(d, "host");
        dirs[i].guest_path = wproto_str(d, "guest");
        dirs[i].read_only = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "ro"));
        if (!dirs[i].host_path)
            bad = true;
        else
            dir_by_fd(&dirs[i], fdmap, i, fds, nfds, dirbuf[i], sizeof dirbuf[i]);
    }
    cJSON *r = NULL;
    char err[512] = "";
    WInst *in = bad ? NULL : calloc(1, sizeof *in);
    if (bad || !in) {
        r = fail("%s", bad ? "malformed argv, env or dirs" : "out of memory");
        goto out;
    }
    snprintf(in->id, sizeof in->id, "%s", id);
    unsigned long long weight = wproto_num(spec, "cpu_weight", 100);
    in->weight = weight == 0 ? 100 : weight > 10000 ? 10000 : (unsigned)weight;
    in->fuel0 = wproto_num(spec, "fuel", 0);
    size_t max_memory = (size_t)wproto_num(spec, "max_memory", 0);
    const char *outp = wproto_str(spec, "stdout"), *errp = wproto_str(spec, "stderr");
    in->module = mod_fd >= 0 ? wshared_module_fd(w->shared, mod_fd, path, err, sizeof err)
                             : wshared_module(w->shared, path, err, sizeof err);
    if (in->module && (out_fd >= 0 || outp)) {
        in->out = out_fd >= 0 ? wshared_out_take(w->shared, out_fd, err, sizeof err) : wshared_out(w->shared, outp, err, sizeof err);
        out_fd = -1;
    }
    if (in->module && (!outp || in->out) && (err_fd >= 0 || errp)) {
        in->err = err_fd >= 0 ? wshared_out_take(w->shared, err_fd, err, sizeof err) : wshared_out(w->shared, errp, err, sizeof err);
        err_fd = -1;
    }
    if (!in->module || ((outp || out_fd >= 0) && !in->out) || ((errp || err_fd >= 0) && !in->err)) {
        r = fail("%s", err);
        goto out;
    }
    lodge_store_limits_t lim = {.max_memory = max_memory ? max_memory : w->default_max_memory, .fuel = in->fuel0};
    lodge_error_t e;
    memset(&e, 0, sizeof e);
    in->store = lodge_store_new(w->engine, &lim);
    lodge_wasi_config_t wc = {
        .argc = argc, .argv = argv, .envc = envc, .env = env, .ndirs = ndirs, .dirs = dirs,
        .stdin_fd = -1, .stdout_fd = wshared_out_fd(in->out), .stderr_fd = wshared_out_fd(in->err),
    };
    if (!in->store || !(in->wasi = lodge_wasi_new(in->store, &wc, &e))) {
        r = fail("%s", in->store ? e.message : "out of memory");
        if (!in->store || e.status == LODGE_ERR_NOMEM)
            cJSON_AddBoolToObject(r, "full", true);
        goto out;
    }
    const lodge_module_t *m = wshared_module_get(in->module);
    pthread_mutex_lock(&w->create_mu);
    wsched_guard(w->sched, in->store, START_TIMEOUT_MS);
    in->instance = wsched_instantiate(w->sched, in, m, &e);
    wsched_unguard(w->sched);
    pthread_mutex_unlock(&w->create_mu);
    if (!in->instance) {
        if (e.status == LODGE_ERR_TRAP && e.trap == LODGE_TRAP_INTERRUPTED)
            snprintf(e.message, sizeof e.message, "the start function ran longer than %d ms (interrupted)",
                     START_TIMEOUT_MS);
        r = fail("%s", e.message);
        /* Out of address space or memory here: another worker may have room (the pool tries it). */
        if (e.status == LODGE_ERR_NOMEM)
            cJSON_AddBoolToObject(r, "full", true);
        goto out;
    }
    in->st = WI_CREATED;
    wsched_lock(w->sched);
    if (find(w, id))
        r = fail("instance '%s' exists", id);
    else if (!insert(w, in))
        r = fail("%s", "out of memory");
    else {
        /* Asked to start too: the instance exists whatever happens next, so a refusal is told, not failed. */
        char why[256] = "";
        bool start = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "start"));
        bool started = !start || wsched_start(w->sched, in, why, sizeof why);
        r = ok_status(w, in);
        if (!started)
            cJSON_AddStringToObject(r, "start_error", why);
    }
    wsched_unlock(w->sched);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")))
        in = NULL;
out:
    if (in)
        drop_unstarted(w, in);
    if (mod_fd >= 0)
        close(mod_fd);
    if (out_fd >= 0)
        close(out_fd);
    if (err_fd >= 0)
        close(err_fd);
    free(dirbuf);
    free(argv);
    free(env);
    free(dirs);
    return r;
}

static cJSON *by_id(Worker *w, const char *op, const char *id)
{
    char err[256];
    cJSON *r = NULL;
    wsched_lock(w->sched);
    WInst *in = id ? find(w, id) : NULL;
    if (!in) {
        wsched_unlock(w->sched);
        return fail("no instance '%s'", id ? id : "");
    }
    bool ok = true;
    if (strcmp(op, "start") == 0)
        ok = wsched_start(w->sched, in, err, sizeof err);
    else if (strcmp(op, "pause") == 0)
        ok = wsched_pause(w->sched, in, err, sizeof err);
    else if (strcmp(op, "resume") == 0)
        ok = wsched_resume(w->sched, in, err, sizeof err);
    else if (strcmp(op, "stop") == 0 || strcmp(op, "kill") == 0) {
        ok = wsched_stop(w->sched, in, op[0] == 'k', err, sizeof err);
        /* The reply comes once it has ended (microseconds: the next interrupt check), unless the guest is
         * inside a long host call: then after a second, still running, and it ends when the call returns. */
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (ok && (in = find(w, id)) && in->st != WI_DONE) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
            if (ms >= STOP_WAIT_MS)
                break;
            wsched_wait(w->sched, (unsigned)(STOP_WAIT_MS - ms));
        }
        if (!in) {
            wsched_unlock(w->sched);
            return fail("instance '%s' was removed while it ended", id);
        }
    } else if (strcmp(op, "remove") == 0) {
        if (in->st != WI_DONE && in->st != WI_CREATED &&
            (atomic_load(&in->stop_req) || atomic_load(&in->kill_req))) {
            /* Ending: forgotten as soon as it has ended. */
            in->remove_when_done = true;
            r = ok_status(w, in);
            wsched_unlock(w->sched);
            return r;
        }
        if (in->st != WI_DONE && in->st != WI_CREATED) {
            snprintf(err, sizeof err, "instance %s is %s: stop or kill it first", in->id,
                     wproto_state_name(wsched_state(in)));
            ok = false;
        } else {
            unlink_inst(w, in);
            r = ok_status(w, in);
            wsched_unlock(w->sched);
            if (in->st == WI_CREATED)
                drop_unstarted(w, in);
            else
                free(in);
            return r;
        }
    }
    r = ok ? ok_status(w, in) : fail("%s", err);
    wsched_unlock(w->sched);
    return r;
}

static cJSON *list(Worker *w)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddBoolToObject(r, "ok", true);
    cJSON *a = cJSON_AddArrayToObject(r, "instances");
    wsched_lock(w->sched);
    for (size_t i = 0; i < w->nbuckets; i++)
        for (WInst *in = w->buckets[i]; in; in = in->hnext) {
            InstanceStatus st;
            status_of(w, in, &st);
            cJSON_AddItemToArray(a, wproto_status_json(&st));
        }
    wsched_unlock(w->sched);
    return r;
}

/* A "Name:   N kB" line of /proc/self/status (getrusage is not on the control allow-list), or 0. */
static unsigned long status_kib(const char *name)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    unsigned long v = 0;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0) {
            v = strtoul(line + n, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

static cJSON *info(Worker *w)
{
    WSchedInfo si;
    wsched_info(w->sched, &si);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddBoolToObject(r, "ok", true);
    cJSON_AddNumberToObject(r, "pid", getpid());
    wsched_lock(w->sched);
    cJSON_AddNumberToObject(r, "instances", (double)w->count);
    wsched_unlock(w->sched);
    cJSON_AddNumberToObject(r, "threads", si.runners);
    cJSON_AddNumberToObject(r, "stacks", (double)si.stacks);
    cJSON_AddNumberToObject(r, "runnable", (double)si.runnable);
    cJSON_AddNumberToObject(r, "sleeping", (double)si.sleeping);
    cJSON_AddNumberToObject(r, "switches", (double)si.switches);
    cJSON_AddNumberToObject(r, "modules", (double)wshared_modules(w->shared));
    cJSON_AddNumberToObject(r, "output_files", (double)wshared_outs(w->shared));
    cJSON_AddNumberToObject(r, "max_rss_kib", (double)status_kib("VmHWM:"));
    cJSON_AddNumberToObject(r, "rss_kib", (double)status_kib("VmRSS:"));
    cJSON_AddBoolToObject(r, "seccomp", w->seccomp && !atomic_load(&w->seccomp_failed));
    pthread_mutex_lock(&w->ev_mu);
    cJSON_AddNumberToObject(r, "events_dropped", (double)w->ev_dropped);
    pthread_mutex_unlock(&w->ev_mu);
    return r;
}

static cJSON *handle(Worker *w, const cJSON *req, int *fds, size_t nfds, bool *quit)
{
    const char *op = wproto_str(req, "op");
    if (!op)
        return fail("%s", "a request needs an \"op\"");
    if (strcmp(op, "create") == 0)
        return create(w, cJSON_GetObjectItemCaseSensitive(req, "spec"), cJSON_GetObjectItemCaseSensitive(req, "fds"),
                      fds, nfds);
    if (strcmp(op, "list") == 0)
        return list(w);
    if (strcmp(op, "info") == 0 || strcmp(op, "hello") == 0)
        return info(w);
    if (strcmp(op, "shutdown") == 0) {
        *quit = true;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddBoolToObject(r, "ok", true);
        return r;
    }
    static const char *const ops[] = {"start", "pause", "resume", "stop", "kill", "remove", "status"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(op, ops[i]) == 0)
            return by_id(w, op, wproto_str(req, "id"));
    return fail("unknown op '%s'", op);
}

/* ---- Connections ---- */

typedef struct Conn {
    Worker *w;
    int fd;
} Conn;

static void subscribe(Worker *w, int fd, bool on)
{
    pthread_mutex_lock(&w->ev_mu);
    if (on && w->nsubs < MAX_SUBSCRIBERS) {
        w->subs[w->nsubs++] = fd;
    } else if (!on) {
        for (unsigned i = 0; i < w->nsubs; i++)
            if (w->subs[i] == fd) {
                w->subs[i] = w->subs[--w->nsubs];
                break;
            }
    }
    pthread_mutex_unlock(&w->ev_mu);
}

static void *conn_main(void *arg)
{
    Conn *c = arg;
    Worker *w = c->w;
    char err[256];
    cJSON *hello = wproto_recv(c->fd, WPROTO_MAX_REQUEST, 10000, err, sizeof err);
    const char *op = hello ? wproto_str(hello, "op") : NULL, *role = hello ? wproto_str(hello, "role") : NULL;
    bool events = role && strcmp(role, "events") == 0;
    if (!op || strcmp(op, "hello") != 0 || !role || (!events && strcmp(role, "control") != 0)) {
        cJSON *r = fail("%s", "the first message must be {\"op\":\"hello\",\"role\":\"control\"|\"events\"}");
        wproto_send(c->fd, r);
        cJSON_Delete(r);
        goto out;
    }
    cJSON *r = info(w);
    bool sent = wproto_send(c->fd, r);
    cJSON_Delete(r);
    if (!sent)
        goto out;
    if (events) {
        /* Events are written by the sender thread; this one only waits for the daemon to hang up. A
         * send timeout keeps a daemon that stopped reading from holding the sender. */
        struct timeval tv = {.tv_sec = 5};
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        subscribe(w, c->fd, true);
        char buf[256];
        while (recv(c->fd, buf, sizeof buf, 0) > 0 || errno == EINTR)
            ;
        subscribe(w, c->fd, false);
        goto out;
    }
    for (;;) {
        int fds[WPROTO_MAX_FDS];
        size_t nfds = 0;
        cJSON *req = wproto_recv_fds(c->fd, WPROTO_MAX_REQUEST, -1, fds, &nfds, err, sizeof err);
        if (!req)
            break;
        bool quit = false;
        cJSON *rep = handle(w, req, fds, nfds, &quit);
        cJSON_Delete(req);
        for (size_t i = 0; i < nfds; i++) /* descriptors the request did not use */
            if (fds[i] >= 0)
                close(fds[i]);
        bool ok = rep && wproto_send(c->fd, rep);
        cJSON_Delete(rep);
        if (quit) {
            /* Everything goes with the process: stores, stacks, open files. */
            fprintf(stderr, "lodged worker %d: shut down by request\n", (int)getpid());
            _exit(0);
        }
        if (!ok)
            break;
    }
out:
    cJSON_Delete(hello);
    close(c->fd);
    free(c);
    return NULL;
}

static int listen_on(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        fprintf(stderr, "lodged worker: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(a.sun_path, path);
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof a) == 0) {
        fprintf(stderr, "lodged worker: a worker already listens on %s\n", path);
        close(probe);
        return -1;
    }
    if (probe >= 0)
        close(probe);
    unlink(path); /* a socket left by a worker that died */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0) {
        fprintf(stderr, "lodged worker: cannot listen on %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Many instances, each with its output files open: use every descriptor the hard limit allows. A core
 * dump of a worker would hold every guest's memory: none. */
static void set_limits(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
}

static const char worker_usage[] =
    "usage: lodged worker --socket PATH [--threads N] [--stack-kib N] [--max-memory BYTES] [--seccomp]\n"
    "One worker process of the daemon's pool: it hosts many WebAssembly instances and serves the pool's\n"
    "protocol on PATH (docs/workers.md). The daemon starts workers itself; run one by hand to debug.\n"
    "  --threads N       runner threads shared by the instances (default: the number of CPUs)\n"
    "  --stack-kib N     host stack of each started instance (default 256)\n"
    "  --max-memory N    an instance's memory budget when its spec gives none (default 128 MiB)\n"
    "  --seccomp         each thread under its system-call allow-list (the pool's jailed workers)\n";

/* A whole decimal number in lo..hi, or false with a message naming the option. */
static bool number_opt(const char *opt, const char *text, unsigned long long lo, unsigned long long hi,
                       unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "lodged worker: %s wants a whole number from %llu to %llu, not '%s'\n", opt, lo, hi, text);
        return false;
    }
    *out = v;
    return true;
}

int mgr_cmd_worker(int argc, char **argv)
{
    const char *sock = NULL;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned long long threads = cpus > 0 && cpus <= 256 ? (unsigned long long)cpus : 1, stack_kib = 256,
                       max_memory = 128ull << 20;
    bool seccomp = false;
    for (int i = 1; i < argc; i++) {
        bool more = i + 1 < argc, ok = true;
        if (mgr_is_help(argv[i])) {
            fputs(worker_usage, stdout);
            return MGR_EXIT_OK;
        } else if (strcmp(argv[i], "--seccomp") == 0) {
            seccomp = true;
        } else if (strcmp(argv[i], "--socket") == 0 && more) {
            sock = argv[++i];
        } else if (strcmp(argv[i], "--threads") == 0 && more) {
            ok = number_opt("--threads", argv[++i], 1, 256, &threads);
        } else if (strcmp(argv[i], "--stack-kib") == 0 && more) {
            ok = number_opt("--stack-kib", argv[++i], 64, 65536, &stack_kib);
        } else if (strcmp(argv[i], "--max-memory") == 0 && more) {
            ok = number_opt("--max-memory", argv[++i], 65536, 1ull << 48, &max_memory);
        } else {
            fprintf(stderr, "lodged worker: unknown or incomplete option '%s'\n", argv[i]);
            ok = false;
        }
        if (!ok) {
            fputs(worker_usage, stderr);
            return MGR_EXIT_USAGE;
        }
    }
    if (!sock) {
        fputs("lodged worker: --socket PATH is required\n", stderr);
        fputs(worker_usage, stderr);
        return MGR_EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    set_limits();
    static Worker w;
    the_worker = &w;
    w.seccomp = seccomp;
    w.default_max_memory = (size_t)max_memory;
    w.threads = (unsigned)threads;
    pthread_mutex_init(&w.create_mu, NULL);
    pthread_mutex_init(&w.ev_mu, NULL);
    pthread_cond_init(&w.ev_cv, NULL);
    w.ev_tail = &w.ev_head;
    w.nbuckets = 1024;
    w.buckets = calloc(w.nbuckets, sizeof *w.buckets);
    /* Guest wasm frames live in each store's own stacks; 1 MiB of value stack is plenty for the
     * programs a worker hosts and keeps thousands of them cheap. */
    lodge_config_t cfg = {.max_value_stack = 1u << 20};
    w.engine = lodge_engine_new(&cfg);
    w.shared = w.engine ? wshared_new(w.engine) : NULL;
    char err[256] = "out of memory";
    w.sched = w.shared && w.buckets ? wsched_new(w.engine, w.threads, (size_t)stack_kib << 10, on_event, release, &w,
                                                wasm_thread_init, err, sizeof err)
                                    : NULL;
    if (!w.sched) {
        fprintf(stderr, "lodged worker: %s\n", err);
        return MGR_EXIT_ERROR;
    }
    w.listen_fd = listen_on(sock);
    if (w.listen_fd < 0)
        return MGR_EXIT_ERROR;
    /* This thread and those it starts from now on (the event sender, one per connection) serve the
     * protocol: the control allow-list. */
    if (seccomp && !jail_seccomp_apply(JAIL_THREAD_CONTROL, err, sizeof err)) {
        fprintf(stderr, "lodged worker: %s\n", err);
        atomic_store(&w.seccomp_failed, true);
    }
    pthread_t sender;
    if (pthread_create(&sender, NULL, sender_main, &w) != 0) {
        fprintf(stderr, "lodged worker: cannot start a thread\n");
        return MGR_EXIT_ERROR;
    }
    pthread_detach(sender);
    for (;;) {
        int fd = accept4(w.listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
                if (errno == EMFILE || errno == ENFILE)
                    usleep(10000);
                continue;
            }
            fprintf(stderr, "lodged worker: accept: %s\n", strerror(errno));
            return MGR_EXIT_ERROR;
        }
        Conn *c = malloc(sizeof *c);
        pthread_t t;
        if (!c) {
            close(fd);
            continue;
        }
        c->w = &w;
        c->fd = fd;
        if (pthread_create(&t, NULL, conn_main, c) != 0) {
            close(fd);
            free(c);
            continue;
        }
        pthread_detach(t);
    }
}
