/* api_wasm.c: /v1/modules and /v1/instances. A module is validated once, when it is uploaded, and kept in
 * the state directory; instances are created from it on the worker pool (mgr/workers.h), which reports
 * their state changes on its own thread (api_instances_event, under the daemon's lock). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgr/daemon.h"
#include "mgr/jsonv.h"
#include "mgr/sha256.h"

/* ---- modules ---- */

static const char *kind_name(lodge_extern_kind_t k)
{
    static const char *const names[] = {"func", "table", "memory", "global"};
    return k <= LODGE_EXTERN_GLOBAL ? names[k] : "unknown";
}

static Module *module_find(Daemon *d, const char *id)
{
    for (size_t i = 0; i < d->nmodules; i++)
        if (strcmp(d->modules[i]->id, id) == 0)
            return d->modules[i];
    return NULL;
}

static unsigned module_users(const Daemon *d, const char *id, bool live_only)
{
    unsigned n = 0;
    for (size_t i = 0; i < d->nguests; i++) {
        const Guest *g = d->guests[i];
        if (g->kind == GUEST_INSTANCE && strcmp(g->module, id) == 0 &&
            (!live_only || g->state <= LODGE_STATE_PAUSED))
            n++;
    }
    return n;
}

static cJSON *module_json(const Daemon *d, const Module *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddNumberToObject(o, "size_bytes", (double)m->size);
    cJSON_AddStringToObject(o, "sha256", m->sha256);
    cJSON_AddNumberToObject(o, "created_at", (double)m->created_at);
    for (const cJSON *f = m->info ? m->info->child : NULL; f; f = f->next)
        if (strcmp(f->string, "imports") == 0 || strcmp(f->string, "exports") == 0)
            cJSON_AddItemToObject(o, f->string, cJSON_Duplicate(f, true));
    cJSON_AddNumberToObject(o, "instances", module_users(d, m->id, false));
    return o;
}

static void module_path(const Daemon *d, const char *id, const char *ext, char *out, size_t len)
{
    snprintf(out, len, "%s/modules/%s%s", d->state_dir, id, ext);
}

static bool write_file_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    const char *p = data;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return false;
        }
        off += (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    return true;
}

static bool modules_add(Daemon *d, Module *m)
{
    if (d->nmodules == d->capmodules) {
        size_t cap = d->capmodules ? d->capmodules * 2 : 16;
        Module **p = realloc(d->modules, cap * sizeof *p);
        if (!p)
            return false;
        d->modules = p;
        d->capmodules = cap;
    }
    d->modules[d->nmodules++] = m;
    return true;
}

static void module_free(Module *m)
{
    if (m) {
        cJSON_Delete(m->info);
        free(m);
    }
}

/* Validate and describe: the imports and exports are what a client needs to know to run it. */
static cJSON *describe(const uint8_t *bytes, size_t len, char *err, size_t errlen)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t le = {0};
    lodge_module_t *mod = e ? lodge_module_new(e, bytes, len, &le) : NULL;
    if (!mod) {
        snprintf(err, errlen, "%s", e ? le.message : "out of memory");
        lodge_engine_delete(e);
        return NULL;
    }
    cJSON *info = cJSON_CreateObject();
    cJSON *imps = cJSON_AddArrayToObject(info, "imports"), *exps = cJSON_AddArrayToObject(info, "exports");
    for (uint32_t i = 0; i < lodge_module_num_imports(mod); i++) {
        lodge_import_desc_t im;
        lodge_module_import(mod, i, &im);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "module", im.module);
        cJSON_AddStringToObject(o, "name", im.name);
        cJSON_AddStringToObject(o, "kind", kind_name(im.kind));
        cJSON_AddItemToArray(imps, o);
    }
    for (uint32_t i = 0; i < lodge_module_num_exports(mod); i++) {
        lodge_export_desc_t ex;
        lodge_module_export(mod, i, &ex);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", ex.name);
        cJSON_AddStringToObject(o, "kind", kind_name(ex.kind));
        cJSON_AddItemToArray(exps, o);
    }
    lodge_module_delete(mod);
    lodge_engine_delete(e);
    return info;
}

static void module_create(Daemon *d, const HttpRequest *req, HttpResponse *r)
{
    char id[72] = "", sha[65], err[300], path[4400];
    static const char *const params[] = {"id", NULL};
    const char *q = req->query;
    if (!api_query_only(req, params, r))
        return;
    if (*q) {
        if (strncmp(q, "id=", 3) != 0 || strchr(q, '&')) {
            http_fault(r, 400, "query parameter 'id' given without a value, or twice");
            return;
        }
        snprintf(id, sizeof id, "%s", q + 3);
        if (!jsonv_valid_id(id)) {
            http_fault(r, 400, "query parameter 'id' must match [A-Za-z0-9_.-]{1,64}");
            return;
        }
    }
    if (req->body_len == 0) {
        http_fault(r, 400, "the body must be the module's bytes (a WebAssembly binary); it is empty");
        return;
    }
    sha256_hex(req->body, req->body_len, sha);
    if (!id[0])
        snprintf(id, sizeof id, "m-%.16s", sha);
    Module *old = module_find(d, id);
    if (old && strcmp(old->sha256, sha) == 0)
        return jsonv_respond(r, 200, module_json(d, old)); /* the same bytes again: nothing to do */
    if (old) {
        http_fault(r, 409, "a different module named '%s' exists already", id);
        return;
    }
    cJSON *info = describe((const uint8_t *)req->body, req->body_len, err, sizeof err);
    if (!info) {
        http_fault(r, 400, "not a valid WebAssembly module: %s", err);
        return;
    }
    Module *m = calloc(1, sizeof *m);
    if (!m) {
        cJSON_Delete(info);
        http_fault(r, 500, "out of memory");
        return;
    }
    snprintf(m->id, sizeof m->id, "%s", id);
    memcpy(m->sha256, sha, sizeof sha);
    m->size = req->body_len;
    m->created_at = api_now();
    m->info = info;
    cJSON_AddStringToObject(info, "id", m->id);
    cJSON_AddStringToObject(info, "sha256", sha);
    cJSON_AddNumberToObject(info, "size_bytes", (double)m->size);
    cJSON_AddNumberToObject(info, "created_at", (double)m->created_at);
    char *text = jsonv_print(info);
    module_path(d, id, ".wasm", path, sizeof path);
    bool ok = text && write_file_atomic(path, req->body, req->body_len);
    module_path(d, id, ".json", path, sizeof path);
    ok = ok && write_file_atomic(path, text, strlen(text));
    free(text);
    if (!ok || !modules_add(d, m)) {
        http_fault(r, 500, "cannot store module '%s' under %s/modules: %s", id, d->state_dir, strerror(errno));
        module_path(d, id, ".wasm", path, sizeof path);
        unlink(path);
        module_path(d, id, ".json", path, sizeof path);
        unlink(path);
        module_free(m);
        return;
    }
    jsonv_respond(r, 201, module_json(d, m));
}

void api_modules(Daemon *d, const HttpRequest *req, HttpResponse *r, const char *rest)
{
    const char *m = req->method;
    if (rest[0] == '\0' || strcmp(rest, "/") == 0) {
        if (strcmp(m, "GET") == 0) {
            cJSON *a = cJSON_CreateArray();
            for (size_t i = 0; i < d->nmodules; i++)
                cJSON_AddItemToArray(a, module_json(d, d->modules[i]));
            return jsonv_respond(r, 200, a);
        }
        if (strcmp(m, "POST") == 0)
            return module_create(d, req, r);
        http_fault(r, 405, "%s is not served on /v1/modules (GET, POST)", m);
        return;
    }
    if (strchr(rest + 1, '/')) {
        http_fault(r, 404, "no such path: %s", req->path);
        return;
    }
    Module *mod = module_find(d, rest + 1);
    if (!mod) {
        http_fault(r, 404, "no such module: '%s'", rest + 1);
        return;
    }
    if (strcmp(m, "GET") == 0)
        return jsonv_respond(r, 200, module_json(d, mod));
    if (strcmp(m, "DELETE") != 0) {
        http_fault(r, 405, "%s is not served on %s (GET, DELETE)", m, req->path);
        return;
    }
    unsigned users = module_users(d, mod->id, true);
    if (users) {
        http_fault(r, 409, "module '%s' is used by %u created, running or paused instance%s", mod->id, users,
                   users == 1 ? "" : "s");
        return;
    }
    char path[4400];
    module_path(d, mod->id, ".wasm", path, sizeof path);
    unlink(path);
    module_path(d, mod->id, ".json", path, sizeof path);
    unlink(path);
    for (size_t i = 0; i < d->nmodules; i++)
        if (d->modules[i] == mod) {
            d->modules[i] = d->modules[--d->nmodules];
            break;
        }
    module_free(mod);
    r->status = 204;
}

void api_modules_load(Daemon *d)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/modules", d->state_dir);
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        char buf[1 << 16];
        size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[len] = '\0';
        cJSON *info = cJSON_Parse(buf);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(info, "id");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(info, "sha256");
        Module *m = info && cJSON_IsString(id) && cJSON_IsString(sha) && jsonv_valid_id(id->valuestring)
                        ? calloc(1, sizeof *m) : NULL;
        if (!m) {
            fprintf(stderr, "lodged: skipping %s: not a module record\n", path);
            cJSON_Delete(info);
            continue;
        }
        snprintf(m->id, sizeof m->id, "%s", id->valuestring);
        snprintf(m->sha256, sizeof m->sha256, "%s", sha->valuestring);
        const cJSON *sz = cJSON_GetObjectItemCaseSensitive(info, "size_bytes");
        const cJSON *ca = cJSON_GetObjectItemCaseSensitive(info, "created_at");
        m->size = cJSON_IsNumber(sz) ? (uint64_t)sz->valuedouble : 0;
        m->created_at = cJSON_IsNumber(ca) ? (long long)ca->valuedouble : 0;
        m->info = info;
        if (module_find(d, m->id) || !modules_add(d, m))
            module_free(m);
    }
    closedir(dp);
}
