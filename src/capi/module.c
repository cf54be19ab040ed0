/* module.c: modules: compiled once by Lodge, kept with their bytes (the serialized form) and shared by
 * counted references between wasm_module_t and wasm_shared_module_t. */
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"

CapiModule *capi_module_retain(CapiModule *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void capi_module_release(CapiModule *m)
{
    if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (m->finalizer)
        m->finalizer(m->info);
    lodge_module_delete(m->module);
    wasm_byte_vec_delete(&m->bytes);
    free(m);
}

static wasm_module_t *module_ref(wasm_store_t *s, CapiModule *m)
{
    wasm_module_t *w = malloc(sizeof *w);
    if (!w) {
        capi_module_release(m);
        return NULL;
    }
    w->r.kind = CAPI_MODULE;
    w->r.store = s;
    w->r.of.any = NULL;
    w->m = m;
    return w;
}

wasm_module_t *wasm_module_new(wasm_store_t *s, const wasm_byte_vec_t *binary)
{
    if (!s || !binary)
        return NULL;
    CapiModule *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    wasm_byte_vec_copy(&m->bytes, binary);
    lodge_error_t err;
    if (m->bytes.size != binary->size ||
        !(m->module = lodge_module_new(s->engine->engine, (const uint8_t *)binary->data, binary->size, &err))) {
        wasm_byte_vec_delete(&m->bytes);
        free(m);
        return NULL;
    }
    m->engine = s->engine->engine;
    return module_ref(s, m);
}

bool wasm_module_validate(wasm_store_t *s, const wasm_byte_vec_t *binary)
{
    lodge_error_t err;
    return s && binary && lodge_module_validate(s->engine->engine, (const uint8_t *)binary->data, binary->size, &err);
}

void wasm_module_serialize(const wasm_module_t *module, wasm_byte_vec_t *out)
{
    wasm_byte_vec_copy(out, &module->m->bytes);
}

wasm_module_t *wasm_module_deserialize(wasm_store_t *s, const wasm_byte_vec_t *bytes)
{
    return wasm_module_new(s, bytes);
}

wasm_shared_module_t *wasm_module_share(const wasm_module_t *module)
{
    wasm_shared_module_t *sh = malloc(sizeof *sh);
    if (sh)
        sh->m = capi_module_retain(module->m);
    return sh;
}

void wasm_shared_module_delete(wasm_shared_module_t *sh)
{
    if (!sh)
        return;
    capi_module_release(sh->m);
    free(sh);
}

/* A shared module may be obtained by a store of any engine: Lodge's compiled code is tied to the engine
 * that made it, so a store of another engine compiles the bytes again. */
wasm_module_t *wasm_module_obtain(wasm_store_t *s, const wasm_shared_module_t *sh)
{
    if (!s || !sh)
        return NULL;
    if (sh->m->engine != s->engine->engine)
        return wasm_module_new(s, &sh->m->bytes);
    return module_ref(s, capi_module_retain(sh->m));
}
