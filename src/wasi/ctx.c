/* wasi/ctx.c: the WASI context (arguments, environment, the fd table with its rights and preopens),
 * and linking: the function table in funcs.def becomes host functions behind one trampoline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys.h"
#include "wasi/internal.h"

#define WASI_MODULE "wasi_snapshot_preview1"
#define WASI_MAX_FDS 4096 /* the guest's own open-file limit; the host's limit applies as well */

typedef struct WasiFnDesc {
    const char *name, *params, *results;
    WasiHandler handler;
} WasiFnDesc;

static const WasiFnDesc wasi_table[] = {
#define WASI_FN(name, params, results, handler) {#name, params, results, handler},
#include "wasi/funcs.def"
#undef WASI_FN
};
#define WASI_NFUNCS (sizeof wasi_table / sizeof wasi_table[0])

size_t wasi_ctx_num_functions(void)
{
    return WASI_NFUNCS;
}

const char *wasi_ctx_function_name(size_t i)
{
    return i < WASI_NFUNCS ? wasi_table[i].name : NULL;
}

/* ---- the fd table ----------------------------------------------------------------------------- */

uint8_t wasi_ctx_filetype(OsFileType t, int host_fd)
{
    switch (t) {
    case OS_FT_BLOCK: return WASI_FT_BLOCK;
    case OS_FT_CHAR: return WASI_FT_CHAR;
    case OS_FT_DIR: return WASI_FT_DIR;
    case OS_FT_FILE: return WASI_FT_FILE;
    case OS_FT_SYMLINK: return WASI_FT_SYMLINK;
    case OS_FT_SOCK_DGRAM: return WASI_FT_SOCK_DGRAM;
    case OS_FT_SOCK_STREAM: return os_sys_is_socket(host_fd) ? WASI_FT_SOCK_STREAM : WASI_FT_UNKNOWN;
    default: return WASI_FT_UNKNOWN; /* pipes have no WASI type */
    }
}

uint64_t wasi_ctx_rights_for(uint8_t type, bool tty)
{
    switch (type) {
    case WASI_FT_DIR: return WASI_RIGHTS_DIR;
    case WASI_FT_SOCK_STREAM:
    case WASI_FT_SOCK_DGRAM: return WASI_RIGHTS_SOCK;
    case WASI_FT_CHAR: return tty ? WASI_RIGHTS_TTY : WASI_RIGHTS_FILE;
    case WASI_FT_UNKNOWN: return WASI_RIGHTS_FILE; /* pipes: the host answers seeks with SPIPE, as natively */
    default: return WASI_RIGHTS_FILE;
    }
}

WasiFd *wasi_ctx_fd(WasiCtx *ctx, uint32_t fd, uint64_t rights, int *e)
{
    if (fd >= ctx->nfds || ctx->fds[fd].host < 0) {
        *e = WASI_EBADF;
        return NULL;
    }
    WasiFd *f = &ctx->fds[fd];
    if ((f->base & rights) != rights) {
        *e = WASI_ENOTCAPABLE;
        return NULL;
    }
    return f;
}

int wasi_ctx_fd_add(WasiCtx *ctx, const WasiFd *entry)
{
    uint32_t i = 0;
    while (i < ctx->nfds && ctx->fds[i].host != WASI_FD_FREE)
        i++;
    if (i == ctx->nfds) {
        if (ctx->nfds >= WASI_MAX_FDS)
            return -1;
        uint32_t n = ctx->nfds ? ctx->nfds * 2 : 8;
        WasiFd *nf = alloc_realloc(ctx->alloc, ctx->fds, ctx->nfds * sizeof *nf, n * sizeof *nf);
        if (!nf)
            return -1;
        for (uint32_t j = ctx->nfds; j < n; j++)
            nf[j] = (WasiFd){.host = -1};
        ctx->fds = nf;
        ctx->nfds = n;
    }
    ctx->fds[i] = *entry;
    return (int)i;
}

void wasi_ctx_fd_release(WasiCtx *ctx, uint32_t fd)
{
    WasiFd *f = &ctx->fds[fd];
    if (f->owned && f->host >= 0)
        os_fs_close(f->host);
    if (f->preopen)
        wasi_str_free(ctx, f->preopen);
    *f = (WasiFd){.host = -1};
}

char *wasi_strdup(WasiCtx *ctx, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = wasi_alloc(ctx, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void wasi_str_free(WasiCtx *ctx, char *s)
{
    if (s)
        wasi_free(ctx, s, strlen(s) + 1);
}

/* ---- life cycle ------------------------------------------------------------------------------- */

static char *pack_strings(WasiCtx *ctx, int n, const char *const *s, uint32_t *len)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += strlen(s[i]) + 1;
    if (total > UINT32_MAX / 2)
        return NULL;
    char *buf = wasi_alloc(ctx, total ? total : 1);
    if (!buf)
        return NULL;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(s[i]) + 1;
        memcpy(buf + off, s[i], l);
        off += l;
    }
    *len = (uint32_t)total;
    return buf;
}

static bool add_host_fd(WasiCtx *ctx, int host, bool owned, uint64_t mask, const char *preopen)
{
    OsFileType t = OS_FT_UNKNOWN;
    os_fs_type_of(host, &t);
    uint8_t type = wasi_ctx_filetype(t, host);
    bool tty = type == WASI_FT_CHAR && os_fs_isatty(host);
    uint64_t rights = wasi_ctx_rights_for(type, tty);
    WasiFd f = {
        .host = host,
        .type = type,
        .owned = owned,
        .base = rights & mask,
        .inheriting = type == WASI_FT_DIR ? ((WASI_RIGHTS_DIR | WASI_RIGHTS_FILE) & mask) : 0,
        .preopen = NULL,
    };
    if (preopen && !(f.preopen = wasi_strdup(ctx, preopen)))
        return false;
    if (wasi_ctx_fd_add(ctx, &f) < 0) {
        wasi_str_free(ctx, f.preopen);
        return false;
    }
    return true;
}

WasiCtx *wasi_ctx_new(const WasiConfig *cfg, Alloc *alloc, lodge_error_t *err)
{
    WasiCtx *ctx = alloc_calloc(alloc, 1, sizeof *ctx);
    if (!ctx)
        goto nomem;
    ctx->alloc = alloc;
    ctx->resolver = cfg->portable_resolver ? OS_RESOLVE_WALK : OS_RESOLVE_AUTO;
    ctx->argc = (uint32_t)cfg->argc;
    ctx->envc = (uint32_t)cfg->envc;
    if (!(ctx->args = pack_strings(ctx, cfg->argc, cfg->argv, &ctx->args_len)))
        goto nomem;
    if (!(ctx->env = pack_strings(ctx, cfg->envc, cfg->envp, &ctx->env_len)))
        goto nomem;
    if (!(ctx->bindings = wasi_calloc(ctx, WASI_NFUNCS, sizeof *ctx->bindings)))
        goto nomem;
    for (int i = 0; i < 3; i++) {
        /* A closed stdio fd (not given, or not open in this process) stays a hole, so that later
         * fds keep their numbers and the guest gets BADF for it. */
        OsFileType t;
        if (cfg->stdio[i] < 0 || os_fs_type_of(cfg->stdio[i], &t) < 0) {
            WasiFd hole = {.host = WASI_FD_HOLE};
            if (wasi_ctx_fd_add(ctx, &hole) < 0)
                goto nomem;
            continue;
        }
        if (!add_host_fd(ctx, cfg->stdio[i], false, WASI_RIGHTS_ALL, NULL))
            goto nomem;
    }
    for (int i = 0; i < cfg->nlisten; i++) {
        int fd = os_sys_tcp_listen(cfg->listen[i]);
        if (fd < 0) {
            lodge_error_set(err, LODGE_ERR_IO, "cannot listen on %s: %s", cfg->listen[i],
                            fd == -EINVAL ? "want HOST:PORT with an IPv4 address" : strerror(-fd));
            wasi_ctx_delete(ctx);
            return NULL;
        }
        if (!add_host_fd(ctx, fd, true, WASI_RIGHTS_ALL, NULL)) {
            os_fs_close(fd);
            goto nomem;
        }
    }
    for (int i = 0; i < cfg->ndirs; i++) {
        const WasiDir *d = &cfg->dirs[i];
        int fd = os_fs_open_dir(d->host);
        if (fd < 0) {
            lodge_error_set(err, LODGE_ERR_IO, "cannot open directory %s: %s", d->host,
                            strerror(-fd));
            wasi_ctx_delete(ctx);
            return NULL;
        }
        uint64_t mask = d->readonly ? ~WASI_RIGHTS_WRITING : WASI_RIGHTS_ALL;
        if (!add_host_fd(ctx, fd, true, mask, d->guest ? d->guest : d->host)) {
            os_fs_close(fd);
            goto nomem;
        }
    }
    return ctx;
nomem:
    wasi_ctx_delete(ctx);
    lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory setting up WASI");
    return NULL;
}

void wasi_ctx_delete(WasiCtx *ctx)
{
    if (!ctx)
        return;
    for (uint32_t i = 0; i < ctx->nfds; i++)
        wasi_ctx_fd_release(ctx, i);
    Alloc *a = ctx->alloc;
    alloc_free(a, ctx->fds, ctx->nfds * sizeof *ctx->fds);
    /* args/env are NULL until packed; with no strings at all their length is 0 and 1 byte was allocated. */
    if (ctx->args)
        alloc_free(a, ctx->args, ctx->args_len ? ctx->args_len : 1);
    if (ctx->env)
        alloc_free(a, ctx->env, ctx->env_len ? ctx->env_len : 1);
    alloc_free(a, ctx->bindings, WASI_NFUNCS * sizeof *ctx->bindings);
    alloc_free(a, ctx, sizeof *ctx);
}

/* ---- linking ---------------------------------------------------------------------------------- */

static lodge_valtype_t valtype_of(char c)
{
    return c == 'I' ? LODGE_I64 : LODGE_I32;
}

/* Every WASI call enters here: find guest memory, run the handler, return its errno. */
static bool wasi_trampoline(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                            lodge_error_t *err)
{
    WasiBinding *b = env;
    WasiCtx *ctx = b->ctx;
    const WasiFnDesc *d = &wasi_table[b->index];
    if (!ctx->memory) {
        lodge_extern_t ext;
        if (lodge_caller_export(caller, "memory", &ext) && ext.kind == LODGE_EXTERN_MEMORY)
            ctx->memory = ext.of.memory;
    }
    WasiCall c = {.ctx = ctx, .err = err};
    if (ctx->memory) {
        c.mem = lodge_memory_data(ctx->memory);
        c.memsize = lodge_memory_size(ctx->memory);
    }
    int r = d->handler(&c, args);
    if (r < 0)
        return false;
    if (d->results[0])
        results[0].of.i32 = r;
    return true;
}

static bool type_matches(const lodge_functype_t *t, const WasiFnDesc *d)
{
    size_t np = strlen(d->params), nr = strlen(d->results);
    if (t->nparams != np || t->nresults != nr)
        return false;
    for (size_t i = 0; i < np; i++)
        if (t->params[i] != valtype_of(d->params[i]))
            return false;
    for (size_t i = 0; i < nr; i++)
        if (t->results[i] != valtype_of(d->results[i]))
            return false;
    return true;
}

bool wasi_ctx_link(WasiCtx *ctx, lodge_store_t *store, const lodge_module_t *module, lodge_extern_t *imports,
                   bool *linked, lodge_error_t *err)
{
    uint32_t n = lodge_module_num_imports(module);
    for (uint32_t i = 0; i < n; i++) {
        lodge_import_desc_t imp;
        lodge_module_import(module, i, &imp);
        if (strcmp(imp.module, WASI_MODULE) != 0)
            continue;
        size_t k = 0;
        while (k < WASI_NFUNCS && strcmp(wasi_table[k].name, imp.name) != 0)
            k++;
        if (k == WASI_NFUNCS || imp.kind != LODGE_EXTERN_FUNC)
            return lodge_error_set(err, LODGE_ERR_UNLINKABLE, "unknown import: %s::%s", imp.module, imp.name);
        const WasiFnDesc *d = &wasi_table[k];
        if (!type_matches(&imp.func, d))
            return lodge_error_set(err, LODGE_ERR_UNLINKABLE, "incompatible import type for %s::%s",
                                   imp.module, imp.name);
        lodge_valtype_t params[16], results[1];
        size_t np = strlen(d->params), nr = strlen(d->results);
        for (size_t j = 0; j < np; j++)
            params[j] = valtype_of(d->params[j]);
        for (size_t j = 0; j < nr; j++)
            results[j] = valtype_of(d->results[j]);
        lodge_functype_t ft = {(uint32_t)np, (uint32_t)nr, params, results};
        ctx->bindings[k] = (WasiBinding){ctx, (uint32_t)k};
        lodge_func_t *f = lodge_func_new(store, &ft, wasi_trampoline, &ctx->bindings[k], NULL);
        if (!f)
            return lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory linking %s::%s", imp.module, imp.name);
        imports[i].kind = LODGE_EXTERN_FUNC;
        imports[i].of.func = f;
        if (linked)
            linked[i] = true;
    }
    return true;
}
