/* api.c: the daemon's routes (docs/api.yaml), and what the two kinds of guest share: the state machine's
 * rules for actions, query parameters, and logs. Every handler runs with the daemon's lock held. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mgr/daemon.h"
#include "mgr/jsonv.h"

long long api_now(void)
{
    return (long long)time(NULL);
}

long long api_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Find name=value in the query; *val points into a static copy. Unknown parameters are refused by the
 * callers' lists, so a typo (?folow=true) is a 400, not a silent default. */
static bool query_get(const HttpRequest *req, const char *name, char *val, size_t vlen)
{
    size_t nl = strlen(name);
    for (const char *p = req->query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            snprintf(val, vlen, "%.*s", (int)(len - nl - 1), p + nl + 1);
            return true;
        }
        if (len == nl && strncmp(p, name, nl) == 0) {
            val[0] = '\0';
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

bool api_query_only(const HttpRequest *req, const char *const *allowed, HttpResponse *r)
{
    for (const char *p = req->query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t nl = eq ? (size_t)(eq - p) : len;
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strlen(*a) == nl && strncmp(*a, p, nl) == 0;
        if (!known && len)
            return http_fault(r, 400, "unknown query parameter '%.*s'", (int)nl, p);
        p = amp ? amp + 1 : NULL;
    }
    return true;
}

bool api_query_bool(const HttpRequest *req, const char *name, bool *out, HttpResponse *r)
{
    char v[16];
    if (!query_get(req, name, v, sizeof v))
        return true;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || v[0] == '\0')
        *out = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return http_fault(r, 400, "query parameter '%s' must be true or false", name);
    return true;
}

bool api_query_uint(const HttpRequest *req, const char *name, uint64_t *out, bool *present, HttpResponse *r)
{
    char v[32];
    *present = false;
    if (!query_get(req, name, v, sizeof v))
        return true;
    if (!v[0] || strspn(v, "0123456789") != strlen(v) || strlen(v) > 18)
        return http_fault(r, 400, "query parameter '%s' must be a non-negative integer", name);
    *out = strtoull(v, NULL, 10);
    *present = true;
    return true;
}

static const char *const action_names[] = {"start", "pause", "resume", "stop", "kill"};

bool api_parse_action(const HttpRequest *req, GuestAction *act, uint64_t *timeout_s, HttpResponse *r)
{
    cJSON *o = jsonv_parse_object(req->body, req->body_len, r);
    if (!o)
        return false;
    static const char *const fields[] = {"action", "timeout_s", NULL};
    const char *a = NULL;
    bool ok = jsonv_only(o, fields, NULL, r) && jsonv_string(o, "action", NULL, &a, r);
    if (ok && !a)
        ok = http_fault(r, 400, "field 'action' is required (start, pause, resume, stop or kill)");
    int found = -1;
    for (int i = 0; ok && i < 5; i++)
        if (strcmp(a, action_names[i]) == 0)
            found = i;
    if (ok && found < 0)
        ok = http_fault(r, 400, "unknown action '%s' (start, pause, resume, stop or kill)", a);
    bool has_timeout = cJSON_GetObjectItemCaseSensitive(o, "timeout_s") != NULL;
    if (ok && has_timeout && found != ACT_STOP)
        ok = http_fault(r, 400, "field 'timeout_s' applies to stop only, not to %s", a);
    if (ok)
        ok = jsonv_uint(o, "timeout_s", NULL, 0, 3600, timeout_s, r);
    if (ok)
        *act = (GuestAction)found;
    cJSON_Delete(o);
    return ok;
}

bool api_state_allows(const Guest *g, GuestAction act, HttpResponse *r)
{
    lodge_guest_state_t s = g->state;
    bool ok;
    const char *need;
    switch (act) {
    case ACT_START: ok = s == LODGE_STATE_CREATED; need = "created"; break;
    case ACT_PAUSE: ok = s == LODGE_STATE_RUNNING; need = "running"; break;
    case ACT_RESUME: ok = s == LODGE_STATE_PAUSED; need = "paused"; break;
    default:
        ok = s == LODGE_STATE_CREATED || s == LODGE_STATE_RUNNING || s == LODGE_STATE_PAUSED;
        need = "created, running or paused";
        break;
    }
    if (!ok)
        return http_fault(r, 409, "%s '%s' is %s: %s needs it %s", guests_kind_name(g->kind), g->id,
                          lodge_state_name(s), action_names[act], need);
    return true;
}

/* ---- logs ---- */

typedef struct LogStream {
    Daemon *d;
    GuestKind kind;
    char id[72];
    char path[4300];
    int fd;
    off_t pos;
    bool follow;
} LogStream;

static int log_pull(void *opaque, char *buf, size_t cap, size_t *len)
{
    LogStream *ls = opaque;
    *len = 0;
    if (ls->fd < 0)
        ls->fd = open(ls->path, O_RDONLY | O_CLOEXEC);
    if (ls->fd >= 0) {
        ssize_t n = pread(ls->fd, buf, cap, ls->pos);
        if (n > 0) {
            ls->pos += n;
            *len = (size_t)n;
            return HTTP_PULL_MORE;
        }
    }
    if (!ls->follow)
        return HTTP_PULL_END;
    /* At the end of what is written: done once the guest has ended (its output is complete then). */
    pthread_mutex_lock(&ls->d->lock);
    Guest *g = guests_find(ls->d, ls->kind, ls->id);
    bool ended = !g || g->state == LODGE_STATE_STOPPED || g->state == LODGE_STATE_CRASHED;
    pthread_mutex_unlock(&ls->d->lock);
    if (!ended)
        return HTTP_PULL_MORE;
    /* One last read: output written between our read and the state change. */
    if (ls->fd >= 0) {
        ssize_t n = pread(ls->fd, buf, cap, ls->pos);
        if (n > 0) {
            ls->pos += n;
            *len = (size_t)n;
            return HTTP_PULL_MORE;
        }
    }
    return HTTP_PULL_END;
}

static void log_free(void *opaque)
{
    LogStream *ls = opaque;
    if (ls->fd >= 0)
        close(ls->fd);
    free(ls);
}

void api_logs(Daemon *d, Guest *g, const char *path, const HttpRequest *req, HttpResponse *r)
{
    static const char *const params[] = {"follow", "tail", NULL};
    bool follow = false, has_tail = false;
    uint64_t tail = 0;
    if (strcmp(req->method, "GET") != 0) {
        http_fault(r, 405, "%s is not served on logs (GET only)", req->method);
        return;
    }
    if (!api_query_only(req, params, r) || !api_query_bool(req, "follow", &follow, r) ||
        !api_query_uint(req, "tail", &tail, &has_tail, r))
        return;
    LogStream *ls = calloc(1, sizeof *ls);
    if (!ls) {
        http_fault(r, 500, "out of memory");
        return;
    }
    ls->d = d;
    ls->kind = g->kind;
    snprintf(ls->id, sizeof ls->id, "%s", g->id);
    snprintf(ls->path, sizeof ls->path, "%s", path);
    ls->follow = follow;
    ls->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (has_tail && ls->fd >= 0 && fstat(ls->fd, &st) == 0 && (uint64_t)st.st_size > tail)
        ls->pos = st.st_size - (off_t)tail;
    http_respond_stream(r, "text/plain; charset=utf-8", log_pull, ls, log_free);
}

/* ---- the router ---- */

static void route(Daemon *d, const HttpRequest *req, HttpResponse *r)
{
    const char *p = req->path;
    static const struct {
        const char *prefix;
        void (*fn)(Daemon *, const HttpRequest *, HttpResponse *, const char *);
    } collections[] = {
        {"/v1/machines", api_machines},
        {"/v1/modules", api_modules},
        {"/v1/instances", api_instances},
    };
    if (strcmp(p, "/v1/host") == 0 || strcmp(p, "/v1/host/") == 0)
        return host_handle(d, req, r);
    if (strcmp(p, "/metrics") == 0)
        return host_metrics(d, req, r);
    for (size_t i = 0; i < sizeof collections / sizeof collections[0]; i++) {
        size_t n = strlen(collections[i].prefix);
        if (strncmp(p, collections[i].prefix, n) == 0 && (p[n] == '\0' || p[n] == '/'))
            return collections[i].fn(d, req, r, p + n);
    }
    http_fault(r, 404, "no such path: %s", p);
}

void api_handle(void *opaque, const HttpRequest *req, HttpResponse *r)
{
    Daemon *d = opaque;
    pthread_mutex_lock(&d->lock);
    api_instances_drain(d); /* answers reflect every event the pool has reported */
    route(d, req, r);
    pthread_mutex_unlock(&d->lock);
}

bool api_collection(Daemon *d, GuestKind kind, const HttpRequest *req, HttpResponse *r, const char *rest,
                    const char *const *subs, size_t nsubs,
                    void (*create)(Daemon *, const HttpRequest *, HttpResponse *), Guest **g, const char **sub)
{
    const char *m = req->method, *kname = guests_kind_name(kind);
    if (rest[0] == '\0' || strcmp(rest, "/") == 0) {
        if (strcmp(m, "GET") == 0) {
            cJSON *a = cJSON_CreateArray();
            for (size_t i = 0; i < d->nguests; i++)
                if (d->guests[i]->kind == kind)
                    cJSON_AddItemToArray(a, guests_json(d->guests[i]));
            jsonv_respond(r, 200, a);
        } else if (strcmp(m, "POST") == 0) {
            create(d, req, r);
        } else {
            http_fault(r, 405, "%s is not served on /v1/%ss (GET, POST)", m, kname);
        }
        return false;
    }
    char id[80];
    const char *slash = strchr(rest + 1, '/');
    size_t idlen = slash ? (size_t)(slash - rest - 1) : strlen(rest + 1);
    *sub = slash ? slash : "";
    bool known = false;
    for (size_t i = 0; i < nsubs; i++)
        known |= strcmp(*sub, subs[i]) == 0;
    if (idlen >= sizeof id || !known)
        return http_fault(r, 404, "no such path: %s", req->path);
    memcpy(id, rest + 1, idlen);
    id[idlen] = '\0';
    if (!(*g = guests_find(d, kind, id)))
        return http_fault(r, 404, "no such %s: '%s'", kname, id);
    if (!**sub && strcmp(m, "GET") == 0) {
        jsonv_respond(r, 200, guests_json(*g));
        return false;
    }
    return true;
}
