/* instance.c: instantiation (link errors and start-function traps become a trap out-parameter) and an
 * instance's exports. */
#include <stdio.h>
#include <stdlib.h>

#include "capi/capi.h"

static CapiKind kind_of(lodge_extern_kind_t k)
{
    switch (k) {
    case LODGE_EXTERN_FUNC: return CAPI_FUNC;
    case LODGE_EXTERN_TABLE: return CAPI_TABLE;
    case LODGE_EXTERN_MEMORY: return CAPI_MEMORY;
    default: return CAPI_GLOBAL;
    }
}

static void *payload(const lodge_extern_t *x)
{
    switch (x->kind) {
    case LODGE_EXTERN_FUNC: return x->of.func;
    case LODGE_EXTERN_TABLE: return x->of.table;
    case LODGE_EXTERN_MEMORY: return x->of.memory;
    default: return x->of.global;
    }
}

static wasm_instance_t *fail(wasm_store_t *s, wasm_trap_t **trap, const lodge_error_t *err, const CapiModule *m,
                             const char *msg)
{
    if (trap)
        *trap = err ? capi_trap_from_error(s, err, m) : capi_trap_new(s, msg);
    return NULL;
}

wasm_instance_t *wasm_instance_new(wasm_store_t *s, const wasm_module_t *module, const wasm_extern_vec_t *imports,
                                   wasm_trap_t **trap)
{
    if (trap)
        *trap = NULL;
    if (!s || !module)
        return NULL;
    CapiModule *m = module->m;
    if (m->engine != s->engine->engine)
        return fail(s, trap, NULL, NULL, "the module was compiled by another engine");
    size_t n = lodge_module_num_imports(m->module), given = imports ? imports->size : 0;
    char msg[96];
    if (given != n) {
        snprintf(msg, sizeof msg, "the module has %zu imports, %zu were given", n, given);
        return fail(s, trap, NULL, NULL, msg);
    }
    lodge_extern_t *x = calloc(n ? n : 1, sizeof *x);
    if (!x)
        return fail(s, trap, NULL, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const wasm_extern_t *e = imports->data[i];
        if (!e || e->r.kind > CAPI_MEMORY || e->r.store != s) {
            free(x);
            snprintf(msg, sizeof msg, "import %zu is %s", i,
                     e && e->r.kind <= CAPI_MEMORY ? "an object of another store"
                                                   : "not a function, global, table or memory");
            return fail(s, trap, NULL, NULL, msg);
        }
        switch (e->r.kind) {
        case CAPI_FUNC: x[i].kind = LODGE_EXTERN_FUNC; x[i].of.func = e->r.of.func; break;
        case CAPI_GLOBAL: x[i].kind = LODGE_EXTERN_GLOBAL; x[i].of.global = e->r.of.global; break;
        case CAPI_TABLE: x[i].kind = LODGE_EXTERN_TABLE; x[i].of.table = e->r.of.table; break;
        default: x[i].kind = LODGE_EXTERN_MEMORY; x[i].of.memory = e->r.of.memory; break;
        }
    }
    lodge_error_t err;
    lodge_instance_t *in = lodge_instance_new(s->store, m->module, x, n, &err);
    free(x);
    if (!in)
        return fail(s, trap, &err, m, NULL);
    CapiInstanceRec rec = {in, capi_module_retain(m)};
    if (!capi_engine_push((void **)&s->instances, &s->ninstances, &s->capinstances, sizeof rec, &rec)) {
        capi_module_release(m);
        return fail(s, trap, NULL, NULL, "out of memory");
    }
    wasm_instance_t *w = (wasm_instance_t *)capi_ref_new(s, CAPI_INSTANCE, in);
    return w ? w : fail(s, trap, NULL, NULL, "out of memory");
}

void wasm_instance_exports(const wasm_instance_t *instance, wasm_extern_vec_t *out)
{
    lodge_instance_t *in = instance->r.of.instance;
    const lodge_module_t *m = lodge_instance_module(in);
    uint32_t n = lodge_module_num_exports(m);
    wasm_extern_vec_new_uninitialized(out, n);
    if (out->size != n)
        return;
    for (uint32_t i = 0; i < n; i++) {
        lodge_export_desc_t d;
        lodge_extern_t x;
        lodge_module_export(m, i, &d);
        if (!lodge_instance_export_n(in, d.name, d.name_len, &x) ||
            !(out->data[i] = (wasm_extern_t *)capi_ref_new(instance->r.store, kind_of(x.kind), payload(&x)))) {
            wasm_extern_vec_delete(out);
            return;
        }
    }
}
