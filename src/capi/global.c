/* global.c: globals: made by the embedder or exported by instances; they live in the store. */
#include <stdlib.h>

#include "capi/capi.h"

wasm_global_t *wasm_global_new(wasm_store_t *s, const wasm_globaltype_t *type, const wasm_val_t *val)
{
    lodge_valtype_t t;
    lodge_val_t v;
    if (!s || !type || !val || !capi_types_lodge(type->content->kind, &t) || t == LODGE_V128 ||
        !capi_val_to_lodge(s, val, t, &v))
        return NULL;
    lodge_global_t *g = lodge_global_new(s->store, t, type->mutability == WASM_VAR, v);
    return g ? (wasm_global_t *)capi_ref_new(s, CAPI_GLOBAL, g) : NULL;
}

wasm_globaltype_t *wasm_global_type(const wasm_global_t *g)
{
    lodge_valtype_t t;
    bool mut;
    lodge_global_type(g->r.of.global, &t, &mut);
    return wasm_globaltype_new(wasm_valtype_new(capi_types_kind(t)), mut ? WASM_VAR : WASM_CONST);
}

void wasm_global_get(const wasm_global_t *g, wasm_val_t *out)
{
    /* A v128 global, or no memory for a reference, reads as a zero of its kind. */
    capi_val_from_lodge(g->r.store, lodge_global_get(g->r.of.global), out);
}

void wasm_global_set(wasm_global_t *g, const wasm_val_t *val)
{
    lodge_valtype_t t;
    bool mut;
    lodge_val_t v;
    lodge_error_t err;
    lodge_global_type(g->r.of.global, &t, &mut);
    if (capi_val_to_lodge(g->r.store, val, t, &v))
        lodge_global_set(g->r.of.global, v, &err);
}
