/* wasi/embed.c: the public WASI API (lodge_wasi_* in lodge.h) over the context: a context lives in a
 * store, allocates on the store's account and is freed with it; linking, instantiation and running a
 * command or a reactor the way every embedder (lodge run, the hypervisor's workers) needs them. */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi.h"
#include "wasm/store.h"

#define WASI_MODULE "wasi_snapshot_preview1"

struct lodge_wasi {
    WasiCtx *ctx;
    lodge_store_t *store;
    Alloc *alloc;
};

static void wasi_finalize(void *p)
{
    lodge_wasi_t *w = p;
    Alloc *a = w->alloc;
    wasi_ctx_delete(w->ctx);
    alloc_free(a, w, sizeof *w);
}

/* A debugging and test knob, not an API: LODGE_WASI_RESOLVER=walk forces the portable path resolver
 * (no openat2), so that one host can test both. */
static bool portable_resolver(void)
{
    const char *r = getenv("LODGE_WASI_RESOLVER");
    return r && strcmp(r, "walk") == 0;
}

lodge_wasi_t *lodge_wasi_new(lodge_store_t *store, const lodge_wasi_config_t *cfg, lodge_error_t *err)
{
    if (!store || !cfg || cfg->argc < 0 || cfg->envc < 0 || cfg->ndirs < 0 || cfg->nlisten < 0 ||
        (cfg->argc && !cfg->argv) || (cfg->envc && !cfg->env) || (cfg->ndirs && !cfg->dirs) ||
        (cfg->nlisten && !cfg->listen)) {
        lodge_error_set(err, LODGE_ERR_ARG, "lodge_wasi_new: missing store or inconsistent configuration");
        return NULL;
    }
    Alloc *a = store_alloc(store);
    lodge_wasi_t *w = alloc_calloc(a, 1, sizeof *w);
    /* The directory list is converted on the account too: a configuration is the embedder's, but its
     * size is not bounded by anything else. */
    WasiDir *dirs = cfg->ndirs ? alloc_calloc(a, (size_t)cfg->ndirs, sizeof *dirs) : NULL;
    if (!w || (cfg->ndirs && !dirs)) {
        alloc_free(a, w, sizeof *w);
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory setting up WASI");
        return NULL;
    }
    for (int i = 0; i < cfg->ndirs; i++)
        dirs[i] = (WasiDir){cfg->dirs[i].host_path, cfg->dirs[i].guest_path, cfg->dirs[i].read_only};
    WasiConfig wc = {
        .argc = cfg->argc, .argv = cfg->argv, .envc = cfg->envc, .envp = cfg->env,
        .ndirs = cfg->ndirs, .dirs = dirs, .nlisten = cfg->nlisten, .listen = cfg->listen,
        .stdio = {cfg->stdin_fd, cfg->stdout_fd, cfg->stderr_fd},
        .portable_resolver = portable_resolver(),
    };
    w->ctx = wasi_ctx_new(&wc, a, err);
    alloc_free(a, dirs, (size_t)cfg->ndirs * sizeof *dirs);
    w->store = store;
    w->alloc = a;
    if (!w->ctx) {
        alloc_free(a, w, sizeof *w);
        return NULL;
    }
    if (!store_on_delete(store, wasi_finalize, w)) {
        wasi_finalize(w);
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory setting up WASI");
        return NULL;
    }
    return w;
}

bool lodge_wasi_link(lodge_wasi_t *wasi, const lodge_module_t *module, lodge_extern_t *imports, bool *linked,
                     lodge_error_t *err)
{
    if (!wasi || !module || (!imports && lodge_module_num_imports(module)))
        return lodge_error_set(err, LODGE_ERR_ARG, "lodge_wasi_link: missing context, module or imports");
    return wasi_ctx_link(wasi->ctx, wasi->store, module, imports, linked, err);
}

lodge_instance_t *lodge_wasi_instantiate(lodge_wasi_t *wasi, const lodge_module_t *module, lodge_error_t *err)
{
    if (!wasi || !module) {
        lodge_error_set(err, LODGE_ERR_ARG, "lodge_wasi_instantiate: missing context or module");
        return NULL;
    }
    uint32_t n = lodge_module_num_imports(module);
    /* Scratch for the call only: the instance keeps its own copy of what it imports. */
    lodge_extern_t *imports = alloc_calloc(wasi->alloc, (size_t)n + 1, sizeof *imports);
    bool *linked = alloc_calloc(wasi->alloc, (size_t)n + 1, sizeof *linked);
    lodge_instance_t *inst = NULL;
    if (!imports || !linked) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory linking WASI imports");
        goto out;
    }
    if (!wasi_ctx_link(wasi->ctx, wasi->store, module, imports, linked, err))
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        if (!linked[i]) {
            lodge_import_desc_t d;
            lodge_module_import(module, i, &d);
            lodge_error_set(err, LODGE_ERR_UNLINKABLE, "unknown import: %s::%s (only %s is provided)", d.module,
                            d.name, WASI_MODULE);
            goto out;
        }
    }
    inst = lodge_instance_new(wasi->store, module, imports, n, err);
out:
    alloc_free(wasi->alloc, imports, ((size_t)n + 1) * sizeof *imports);
    alloc_free(wasi->alloc, linked, ((size_t)n + 1) * sizeof *linked);
    return inst;
}

bool lodge_wasi_run(lodge_wasi_t *wasi, lodge_instance_t *instance, int *exit_code, lodge_error_t *err)
{
    if (!wasi || !instance)
        return lodge_error_set(err, LODGE_ERR_ARG, "lodge_wasi_run: missing context or instance");
    lodge_extern_t ext;
    const char *entry = "_start";
    if (!lodge_instance_export(instance, entry, &ext) || ext.kind != LODGE_EXTERN_FUNC) {
        entry = "_initialize";
        if (!lodge_instance_export(instance, entry, &ext) || ext.kind != LODGE_EXTERN_FUNC)
            return lodge_error_set(err, LODGE_ERR_ARG, "the module exports neither _start nor _initialize");
    }
    lodge_functype_t ft;
    lodge_func_type(ext.of.func, &ft);
    if (ft.nparams || ft.nresults)
        return lodge_error_set(err, LODGE_ERR_ARG, "%s takes parameters or returns results", entry);
    lodge_error_t local;
    lodge_error_t *e = err ? err : &local;
    memset(e, 0, sizeof *e);
    if (lodge_func_call(wasi->store, ext.of.func, NULL, 0, NULL, 0, e)) {
        if (exit_code)
            *exit_code = 0;
        return true;
    }
    if (e->status != LODGE_ERR_EXIT)
        return false;
    if (exit_code)
        *exit_code = e->exit_code;
    /* A normal end: the error is no error. */
    memset(e, 0, sizeof *e);
    return true;
}
