/* wasi/wasi.h: WASI preview1 for an embedder: a context holding what the guest may touch (arguments,
 * environment, stdio, preopened directories and sockets), and the linking of a module's
 * wasi_snapshot_preview1 imports to host functions bound to that context.
 * Ownership: the context copies everything in WasiConfig; it owns the host fds it opens (preopens,
 * listening sockets, files the guest opens) and closes them in wasi_ctx_delete, but never closes the
 * stdio fds it was given. One context serves one instance, on one thread at a time. */
#ifndef LODGE_WASI_H
#define LODGE_WASI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/alloc.h"
#include "lodge.h"

typedef struct WasiCtx WasiCtx;

typedef struct WasiDir {
    const char *host;    /* host directory */
    const char *guest;   /* name the guest sees (fd_prestat_dir_name) */
    bool readonly;       /* drop every right that would change the tree or a file */
} WasiDir;

typedef struct WasiConfig {
    int argc;
    const char *const *argv;
    int envc;
    const char *const *envp;    /* "KEY=VALUE" */
    int ndirs;
    const WasiDir *dirs;        /* become fds 3+nlisten, 4+nlisten, ... in order */
    int nlisten;
    const char *const *listen;  /* "HOST:PORT": listening TCP sockets the context opens, fds 3, 4, ... */
    int stdio[3];               /* host fds for guest fds 0, 1, 2 (borrowed) */
    bool portable_resolver;     /* resolve paths with the portable walk, never openat2 */
} WasiConfig;

/* Opens the preopened directories and listening sockets. Every allocation of the context, now and in its
 * calls, goes through `alloc` (a store's, so its max_memory bounds them; NULL: unaccounted), which must
 * outlive the context. NULL on failure with err (LODGE_ERR_IO naming the directory or address, or
 * LODGE_ERR_NOMEM). */
WasiCtx *wasi_ctx_new(const WasiConfig *cfg, Alloc *alloc, lodge_error_t *err);
void wasi_ctx_delete(WasiCtx *ctx);

/* For every import of `module` from wasi_snapshot_preview1, create the host function in `store` and
 * put it in imports[i] (setting linked[i] = true); other imports are left alone. Fails with
 * LODGE_ERR_UNLINKABLE when a WASI import has an unknown name or the wrong type. The context must
 * outlive the store's use of these functions. */
bool wasi_ctx_link(WasiCtx *ctx, lodge_store_t *store, const lodge_module_t *module, lodge_extern_t *imports,
                   bool *linked, lodge_error_t *err);
/* linked may be NULL. */

/* Number of functions in the table and the name of the i-th (for listings and tests). */
size_t wasi_ctx_num_functions(void);
const char *wasi_ctx_function_name(size_t i);

#endif
