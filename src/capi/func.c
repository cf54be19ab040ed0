/* func.c: functions: host functions (a trampoline from Lodge's host calling convention to the
 * interface's callbacks, traps passing both ways), their types, and calls into guest code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"

/* What Lodge keeps as a host function's env; freed by Lodge's store through host_finalize. */
typedef struct CapiHost {
    wasm_store_t *store;
    wasm_func_callback_t cb;
    wasm_func_callback_with_env_t cb_env;
    void *env;
    void (*finalizer)(void *);
    uint32_t nparams, nresults;
} CapiHost;

static void host_finalize(void *p)
{
    CapiHost *h = p;
    if (h->finalizer)
        h->finalizer(h->env);
    free(h);
}

static bool host_fail(lodge_error_t *err, const char *msg)
{
    lodge_error_set(err, LODGE_ERR_TRAP, "%s", msg);
    err->trap = LODGE_TRAP_HOST;
    return false;
}

static bool host_call(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                      lodge_error_t *err)
{
    (void)caller;
    CapiHost *h = env;
    wasm_val_vec_t a, r;
    wasm_val_vec_new_uninitialized(&a, h->nparams);
    wasm_val_vec_new_uninitialized(&r, h->nresults);
    bool ok = a.size == h->nparams && r.size == h->nresults;
    for (uint32_t i = 0; ok && i < h->nparams; i++)
        ok = capi_val_from_lodge(h->store, args[i], &a.data[i]);
    if (!ok) {
        wasm_val_vec_delete(&a);
        wasm_val_vec_delete(&r);
        return host_fail(err, "out of memory passing arguments to a host function");
    }
    /* Results start as zeros of the right kinds, so a callback that leaves one unset returns zero. */
    for (uint32_t i = 0; i < h->nresults; i++) {
        memset(&r.data[i], 0, sizeof r.data[i]);
        r.data[i].kind = capi_types_kind(results[i].type);
    }
    wasm_trap_t *trap = h->cb ? h->cb(&a, &r) : h->cb_env(h->env, &a, &r);
    wasm_val_vec_delete(&a);
    if (trap) {
        lodge_error_set(err, LODGE_ERR_TRAP, "%s", trap->message.size ? trap->message.data : "host trap");
        err->trap = LODGE_TRAP_HOST;
        wasm_trap_delete(trap);
        wasm_val_vec_delete(&r);
        return false;
    }
    for (uint32_t i = 0; ok && i < h->nresults; i++)
        ok = capi_val_to_lodge(h->store, &r.data[i], results[i].type, &results[i]);
    wasm_val_vec_delete(&r);
    return ok || host_fail(err, "host function returned a value of the wrong type");
}

static wasm_func_t *func_new(wasm_store_t *s, const wasm_functype_t *type, wasm_func_callback_t cb,
                             wasm_func_callback_with_env_t cb_env, void *env, void (*finalizer)(void *))
{
    if (!s || !type || (!cb && !cb_env))
        return NULL;
    size_t np = type->params.size, nr = type->results.size;
    lodge_valtype_t *buf = malloc(np + nr + 1);
    CapiHost *h = calloc(1, sizeof *h);
    if (!buf || !h)
        goto fail;
    for (size_t i = 0; i < np + nr; i++) {
        const wasm_valtype_t *vt = i < np ? type->params.data[i] : type->results.data[i - np];
        if (!capi_types_lodge(vt->kind, &buf[i]) || buf[i] == LODGE_V128)
            goto fail;
    }
    h->store = s;
    h->cb = cb;
    h->cb_env = cb_env;
    h->env = env;
    h->finalizer = finalizer;
    h->nparams = (uint32_t)np;
    h->nresults = (uint32_t)nr;
    lodge_functype_t lt = {(uint32_t)np, (uint32_t)nr, buf, buf + np};
    lodge_func_t *f = lodge_func_new(s->store, &lt, host_call, h, host_finalize);
    if (!f)
        goto fail;
    free(buf);
    return (wasm_func_t *)capi_ref_new(s, CAPI_FUNC, f);
fail:
    free(buf);
    free(h);
    return NULL;
}

wasm_func_t *wasm_func_new_with_env(wasm_store_t *s, const wasm_functype_t *type,
                                    wasm_func_callback_with_env_t cb, void *env, void (*finalizer)(void *))
{
    return cb ? func_new(s, type, NULL, cb, env, finalizer) : NULL;
}

wasm_func_t *wasm_func_new(wasm_store_t *s, const wasm_functype_t *type, wasm_func_callback_t cb)
{
    return cb ? func_new(s, type, cb, NULL, NULL, NULL) : NULL;
}

wasm_functype_t *wasm_func_type(const wasm_func_t *f)
{
    lodge_functype_t t;
    lodge_func_type(f->r.of.func, &t);
    return capi_types_functype(&t);
}

size_t wasm_func_param_arity(const wasm_func_t *f)
{
    lodge_functype_t t;
    lodge_func_type(f->r.of.func, &t);
    return t.nparams;
}

size_t wasm_func_result_arity(const wasm_func_t *f)
{
    lodge_functype_t t;
    lodge_func_type(f->r.of.func, &t);
    return t.nresults;
}

wasm_trap_t *wasm_func_call(const wasm_func_t *f, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    wasm_store_t *s = f->r.store;
    lodge_functype_t t;
    lodge_func_type(f->r.of.func, &t);
    size_t nargs = args ? args->size : 0, nres = results ? results->size : 0;
    char msg[128];
    if (nargs != t.nparams) {
        snprintf(msg, sizeof msg, "function takes %u arguments, called with %zu", t.nparams, nargs);
        return capi_trap_new(s, msg);
    }
    lodge_val_t *a = calloc(t.nparams + t.nresults + 1, sizeof *a), *r = a + t.nparams;
    if (!a)
        return capi_trap_new(s, "out of memory");
    for (uint32_t i = 0; i < t.nparams; i++)
        if (!capi_val_to_lodge(s, &args->data[i], t.params[i], &a[i])) {
            free(a);
            snprintf(msg, sizeof msg, "argument %u is not of the parameter's type", i);
            return capi_trap_new(s, msg);
        }
    lodge_error_t err;
    wasm_trap_t *trap = NULL;
    if (!lodge_func_call(s->store, f->r.of.func, a, t.nparams, r, t.nresults, &err)) {
        trap = capi_trap_from_error(s, &err, NULL);
    } else {
        /* Results that do not fit in `results` are dropped: some programs pass an empty vector for
         * results they do not want, and other engines run those calls. */
        for (uint32_t i = 0; i < t.nresults && i < nres; i++)
            if (!capi_val_from_lodge(s, r[i], &results->data[i]) && !trap)
                trap = capi_trap_new(s, "a result cannot be represented (v128)");
    }
    free(a);
    return trap;
}
