/* val.c: values: copy and delete, and the conversions between wasm_val_t and lodge_val_t. A funcref
 * crosses as Lodge's function itself; an externref crosses as the store's cell for the reference. */
#include <string.h>

#include "capi/capi.h"

void wasm_val_delete(wasm_val_t *v)
{
    if (v && wasm_valkind_is_ref(v->kind) && v->of.ref) {
        wasm_ref_delete(v->of.ref);
        v->of.ref = NULL;
    }
}

void wasm_val_copy(wasm_val_t *out, const wasm_val_t *v)
{
    *out = *v;
    if (wasm_valkind_is_ref(v->kind) && v->of.ref)
        out->of.ref = wasm_ref_copy(v->of.ref);
}

bool capi_val_ref_to_lodge(wasm_store_t *s, const wasm_ref_t *r, lodge_valtype_t t, void **out)
{
    *out = NULL;
    if (!r)
        return true;
    if (r->r.store != s && r->r.kind != CAPI_TRAP && r->r.kind != CAPI_MODULE)
        return false;   /* another store's object would outlive its store in this one */
    if (t == LODGE_FUNCREF) {
        if (r->r.kind != CAPI_FUNC)
            return false;
        *out = r->r.of.func;
        return true;
    }
    /* Traps and modules are not store objects: a cell could outlive them, so they do not cross. */
    if (t != LODGE_EXTERNREF || r->r.kind == CAPI_TRAP || r->r.kind == CAPI_MODULE)
        return false;
    if (r->r.kind == CAPI_FOREIGN) {
        *out = r->r.of.foreign;
        return true;
    }
    *out = capi_engine_cell(s, (uint8_t)r->r.kind, r->r.of.any);
    return *out != NULL;
}

wasm_ref_t *capi_val_ref_from_lodge(wasm_store_t *s, lodge_valtype_t t, void *p)
{
    if (!p)
        return NULL;
    if (t == LODGE_FUNCREF)
        return (wasm_ref_t *)capi_ref_new(s, CAPI_FUNC, p);
    /* Every non-null externref in a store used through this interface is one of its cells. */
    const CapiCell *c = p;
    return (wasm_ref_t *)capi_ref_new(s, (CapiKind)c->kind, c->payload);
}

bool capi_val_to_lodge(wasm_store_t *s, const wasm_val_t *v, lodge_valtype_t t, lodge_val_t *out)
{
    memset(out, 0, sizeof *out);
    out->type = t;
    if (v->kind != capi_types_kind(t) || t == LODGE_V128)
        return false;
    switch (v->kind) {
    case WASM_I32: out->of.i32 = v->of.i32; return true;
    case WASM_I64: out->of.i64 = v->of.i64; return true;
    case WASM_F32: memcpy(&out->of.f32_bits, &v->of.f32, 4); return true;
    case WASM_F64: memcpy(&out->of.f64_bits, &v->of.f64, 8); return true;
    default: return capi_val_ref_to_lodge(s, v->of.ref, t, &out->of.ext);
    }
}

bool capi_val_from_lodge(wasm_store_t *s, lodge_val_t v, wasm_val_t *out)
{
    memset(out, 0, sizeof *out);
    out->kind = capi_types_kind(v.type);
    switch (v.type) {
    case LODGE_I32: out->of.i32 = v.of.i32; return true;
    case LODGE_I64: out->of.i64 = v.of.i64; return true;
    case LODGE_F32: memcpy(&out->of.f32, &v.of.f32_bits, 4); return true;
    case LODGE_F64: memcpy(&out->of.f64, &v.of.f64_bits, 8); return true;
    case LODGE_FUNCREF:
    case LODGE_EXTERNREF:
        out->of.ref = capi_val_ref_from_lodge(s, v.type, v.of.ext);
        return !v.of.ext || out->of.ref;
    default:
        return false;
    }
}
