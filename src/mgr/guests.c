/* guests.c: the daemon's registry of guests and their records in the state directory. Each guest owns
 * state_dir/{machines,instances}/ID/, whose guest.json is rewritten (temp file, then rename) on every
 * change, so a daemon killed at any instant restarts with each record either old or new, never torn. The
 * records are not fsync'd: they survive the daemon's death, which is what they are for; a host that loses
 * power loses its guests anyway. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgr/daemon.h"
#include "mgr/jsonv.h"

const char *guests_kind_name(GuestKind kind)
{
    return kind == GUEST_MACHINE ? "machine" : "instance";
}

void guests_dir(const Daemon *d, const Guest *g, char *out, size_t len)
{
    snprintf(out, len, "%s/%s/%s", d->state_dir, g->kind == GUEST_MACHINE ? "machines" : "instances", g->id);
}

/* ---- the index: open addressing, linear probing, tombstones ---- */

static Guest tombstone;

static size_t hash_id(GuestKind kind, const char *id)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

static bool index_put(Daemon *d, Guest *g);

static bool index_grow(Daemon *d)
{
    size_t old_cap = d->index_cap;
    Guest **old = d->index;
    size_t cap = old_cap ? old_cap * 2 : 1024;
    while (cap < 2 * d->nguests + 2)
        cap *= 2;
    d->index = calloc(cap, sizeof *d->index);
    if (!d->index) {
        d->index = old;
        return false;
    }
    d->index_cap = cap;
    d->index_used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] && old[i] != &tombstone)
            index_put(d, old[i]);
    free(old);
    return true;
}

static bool index_put(Daemon *d, Guest *g)
{
    if ((d->index_used + 1) * 4 > d->index_cap * 3 && !index_grow(d))
        return false;
    size_t mask = d->index_cap - 1;
    for (size_t i = hash_id(g->kind, g->id) & mask;; i = (i + 1) & mask)
        if (!d->index[i] || d->index[i] == &tombstone) {
            if (!d->index[i])
                d->index_used++;
            d->index[i] = g;
            return true;
        }
}

static Guest **index_slot(Daemon *d, GuestKind kind, const char *id)
{
    if (!d->index_cap)
        return NULL;
    size_t mask = d->index_cap - 1;
    for (size_t i = hash_id(kind, id) & mask;; i = (i + 1) & mask) {
        Guest *g = d->index[i];
        if (!g)
            return NULL;
        if (g != &tombstone && g->kind == kind && strcmp(g->id, id) == 0)
            return &d->index[i];
    }
}

Guest *guests_find(Daemon *d, GuestKind kind, const char *id)
{
    Guest **slot = index_slot(d, kind, id);
    return slot ? *slot : NULL;
}

static bool holds(lodge_guest_state_t s)
{
    return s == LODGE_STATE_CREATED || s == LODGE_STATE_RUNNING || s == LODGE_STATE_PAUSED;
}

bool guests_add(Daemon *d, Guest *g)
{
    if (d->nguests == d->capguests) {
        size_t cap = d->capguests ? d->capguests * 2 : 64;
        Guest **p = realloc(d->guests, cap * sizeof *p);
        if (!p)
            return false;
        d->guests = p;
        d->capguests = cap;
    }
    if (!index_put(d, g))
        return false;
    d->guests[d->nguests++] = g;
    if (holds(g->state))
        d->allocated[g->kind] += g->charged;
    return true;
}

void guests_free(Guest *g)
{
    if (g) {
        cJSON_Delete(g->config);
        free(g);
    }
}

static void remove_tree(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    char path[4608];
    while ((e = readdir(dp))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR)
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(dp);
    rmdir(dir);
}

void guests_remove(Daemon *d, Guest *g)
{
    char dir[4200];
    guests_dir(d, g, dir, sizeof dir);
    remove_tree(dir);
    Guest **slot = index_slot(d, g->kind, g->id);
    if (slot && *slot == g)
        *slot = &tombstone;
    if (holds(g->state))
        d->allocated[g->kind] -= g->charged;
    /* From the back: the newest guests are the likeliest to go (a create that failed, short jobs). */
    for (size_t i = d->nguests; i-- > 0;)
        if (d->guests[i] == g) {
            memmove(&d->guests[i], &d->guests[i + 1], (d->nguests - i - 1) * sizeof *d->guests);
            d->nguests--;
            break;
        }
    guests_free(g);
}

void guests_new_id(Daemon *d, GuestKind kind, const char *prefix, char *out, size_t len)
{
    do {
        uint32_t r = 0;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
            r = (uint32_t)rand();
        snprintf(out, len, "%s%08x", prefix, r);
    } while (guests_find(d, kind, out));
}

static cJSON *record_json(const Guest *g, bool persist)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", g->id);
    cJSON_AddStringToObject(o, "kind", guests_kind_name(g->kind));
    cJSON_AddStringToObject(o, "state", lodge_state_name(g->state));
    if (g->config)
        cJSON_AddItemToObject(o, "config", cJSON_Duplicate(g->config, true));
    cJSON_AddNumberToObject(o, "created_at", (double)g->created_at);
    cJSON_AddNumberToObject(o, "started_at", (double)g->started_at);
    cJSON_AddNumberToObject(o, "ended_at", (double)g->ended_at);
    cJSON_AddNumberToObject(o, "charged_memory_bytes", (double)g->charged);
    if (g->error[0])
        cJSON_AddStringToObject(o, "error", g->error);
    if (g->kind == GUEST_MACHINE) {
        cJSON_AddNumberToObject(o, "pid", g->pid);
        cJSON_AddStringToObject(o, "api_socket", g->api_sock);
        if (g->jail[0])
            cJSON_AddStringToObject(o, "jail", g->jail);
        if (g->exit_reason[0]) {
            cJSON *e = cJSON_AddObjectToObject(o, "exit");
            cJSON_AddStringToObject(e, "reason", g->exit_reason);
            cJSON_AddNumberToObject(e, "fail_code", g->fail_code);
        }
        if (persist) {
            cJSON_AddNumberToObject(o, "pid_start", (double)g->pid_start);
            cJSON_AddStringToObject(o, "console_socket", g->console_sock);
            cJSON_AddNumberToObject(o, "cpus", (double)g->cpus);
            cJSON_AddBoolToObject(o, "kill_requested", g->kill_requested);
            cJSON_AddNumberToObject(o, "stop_deadline_ms", (double)g->stop_deadline_ms);
        }
    } else {
        if (g->state == LODGE_STATE_STOPPED)
            cJSON_AddNumberToObject(o, "exit_code", g->exit_code);
        if (persist)
            cJSON_AddStringToObject(o, "module", g->module);
    }
    return o;
}

cJSON *guests_json(const Guest *g)
{
    return record_json(g, false);
}

bool guests_save(Daemon *d, Guest *g)
{
    char dir[4200], path[4300], tmp[4300];
    guests_dir(d, g, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/guest.json", dir);
    snprintf(tmp, sizeof tmp, "%s/guest.json.tmp", dir);
    cJSON *o = record_json(g, true);
    char *text = jsonv_print(o);
    cJSON_Delete(o);
    if (!text)
        return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    size_t len = strlen(text);
    if (ok)
        ok = write(fd, text, len) == (ssize_t)len;
    if (fd >= 0)
        ok = close(fd) == 0 && ok;
    if (ok)
        ok = rename(tmp, path) == 0;
    if (!ok)
        fprintf(stderr, "lodged: cannot save %s: %s\n", path, strerror(errno));
    free(text);
    return ok;
}

void guests_set_state(Daemon *d, Guest *g, lodge_guest_state_t state)
{
    if (g->state == state)
        return;
    if (holds(g->state) && !holds(state))
        d->allocated[g->kind] -= g->charged;
    else if (!holds(g->state) && holds(state))
        d->allocated[g->kind] += g->charged;
    g->state = state;
    if (state == LODGE_STATE_RUNNING && !g->started_at)
        g->started_at = api_now();
    if (state == LODGE_STATE_STOPPED || state == LODGE_STATE_CRASHED) {
        g->ended_at = api_now();
        g->stop_deadline_ms = 0;
        if (state == LODGE_STATE_CRASHED)
            d->crashes[g->kind]++;
    }
    guests_save(d, g);
}

static lodge_guest_state_t state_from_name(const char *s)
{
    for (int i = LODGE_STATE_CREATED; i <= LODGE_STATE_CRASHED; i++)
        if (s && strcmp(s, lodge_state_name((lodge_guest_state_t)i)) == 0)
            return (lodge_guest_state_t)i;
    return LODGE_STATE_CRASHED;
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(m) ? m->valuedouble : 0;
}

static void str(const cJSON *o, const char *name, char *out, size_t len)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
    snprintf(out, len, "%s", cJSON_IsString(m) ? m->valuestring : "");
}

static Guest *load_one(const char *path, GuestKind kind)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 > cap) {
            char *p = realloc(text, cap = cap * 2 + 8192);
            if (!p)
                break;
            text = p;
        }
        size_t n = fread(text + len, 1, cap - len - 1, f);
        if (!n)
            break;
        len += n;
    }
    fclose(f);
    cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    Guest *g = o ? calloc(1, sizeof *g) : NULL;
    if (!g) {
        cJSON_Delete(o);
        return NULL;
    }
    g->kind = kind;
    str(o, "id", g->id, sizeof g->id);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "state");
    g->state = state_from_name(cJSON_IsString(st) ? st->valuestring : NULL);
    g->config = cJSON_DetachItemFromObjectCaseSensitive(o, "config");
    g->created_at = (long long)num(o, "created_at");
    g->started_at = (long long)num(o, "started_at");
    g->ended_at = (long long)num(o, "ended_at");
    g->charged = (uint64_t)num(o, "charged_memory_bytes");
    str(o, "error", g->error, sizeof g->error);
    g->pid = (int)num(o, "pid");
    g->pid_start = (unsigned long long)num(o, "pid_start");
    g->cpus = (uint64_t)num(o, "cpus");
    str(o, "api_socket", g->api_sock, sizeof g->api_sock);
    str(o, "console_socket", g->console_sock, sizeof g->console_sock);
    str(o, "jail", g->jail, sizeof g->jail);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "exit");
    if (e) {
        str(e, "reason", g->exit_reason, sizeof g->exit_reason);
        g->fail_code = (unsigned)num(e, "fail_code");
    }
    g->kill_requested = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "kill_requested"));
    g->stop_deadline_ms = (long long)num(o, "stop_deadline_ms");
    str(o, "module", g->module, sizeof g->module);
    g->exit_code = (int)num(o, "exit_code");
    cJSON_Delete(o);
    if (!jsonv_valid_id(g->id)) {
        guests_free(g);
        return NULL;
    }
    return g;
}

static void load_kind(Daemon *d, GuestKind kind)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", d->state_dir, kind == GUEST_MACHINE ? "machines" : "instances");
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4500];
        snprintf(path, sizeof path, "%s/%s/guest.json", dir, e->d_name);
        Guest *g = load_one(path, kind);
        if (!g) {
            fprintf(stderr, "lodged: skipping %s/%s: no readable guest.json\n", dir, e->d_name);
            continue;
        }
        if (guests_find(d, kind, g->id) || !guests_add(d, g))
            guests_free(g);
    }
    closedir(dp);
}

static int by_creation(const void *a, const void *b)
{
    const Guest *x = *(Guest *const *)a, *y = *(Guest *const *)b;
    if (x->created_at != y->created_at)
        return x->created_at < y->created_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

void guests_load_all(Daemon *d)
{
    load_kind(d, GUEST_MACHINE);
    load_kind(d, GUEST_INSTANCE);
    if (d->nguests > 1)
        qsort(d->guests, d->nguests, sizeof *d->guests, by_creation);
}
