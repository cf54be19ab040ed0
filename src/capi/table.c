/* table.c: tables of references: made by the embedder or exported by instances; they live in the
 * store. Growing one goes through a helper module (see grower()). */
#include <string.h>

#include "capi/capi.h"

wasm_table_t *wasm_table_new(wasm_store_t *s, const wasm_tabletype_t *type, wasm_ref_t *init)
{
    lodge_valtype_t t;
    lodge_val_t v = {0};
    if (!s || !type || !capi_types_lodge(type->element->kind, &t) || (t != LODGE_FUNCREF && t != LODGE_EXTERNREF))
        return NULL;
    v.type = t;
    if (!capi_val_ref_to_lodge(s, init, t, &v.of.ext))
        return NULL;
    lodge_error_t err;
    lodge_table_t *tab = lodge_table_new(s->store, t, capi_types_lodge_limits(&type->limits), v, &err);
    return tab ? (wasm_table_t *)capi_ref_new(s, CAPI_TABLE, tab) : NULL;
}

wasm_tabletype_t *wasm_table_type(const wasm_table_t *t)
{
    lodge_valtype_t elem;
    lodge_limits_t l;
    lodge_table_type(t->r.of.table, &elem, &l);
    wasm_limits_t wl = capi_types_limits(l);
    return wasm_tabletype_new(wasm_valtype_new(capi_types_kind(elem)), &wl);
}

wasm_ref_t *wasm_table_get(const wasm_table_t *t, wasm_table_size_t i)
{
    lodge_val_t v;
    if (!lodge_table_get(t->r.of.table, i, &v))
        return NULL;
    return capi_val_ref_from_lodge(t->r.store, v.type, v.of.ext);
}

bool wasm_table_set(wasm_table_t *t, wasm_table_size_t i, wasm_ref_t *ref)
{
    lodge_valtype_t elem;
    lodge_limits_t l;
    lodge_val_t v = {0};
    lodge_table_type(t->r.of.table, &elem, &l);
    v.type = elem;
    if (i >= lodge_table_size(t->r.of.table) || !capi_val_ref_to_lodge(t->r.store, ref, elem, &v.of.ext))
        return false;
    return lodge_table_set(t->r.of.table, i, v);
}

wasm_table_size_t wasm_table_size(const wasm_table_t *t) { return lodge_table_size(t->r.of.table); }

/* (module (import "" "t" (table 0 T)) (func (export "g") (param T i32) (result i32)
 *   local.get 0 local.get 1 table.grow 0)), with T patched in at the two marked offsets. */
static const uint8_t grow_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x70 /* T */, 0x7f,
    0x01, 0x7f, 0x02, 0x08, 0x01, 0x00, 0x01, 0x74, 0x01, 0x70 /* T */, 0x00, 0x00, 0x03, 0x02, 0x01,
    0x00, 0x07, 0x05, 0x01, 0x01, 0x67, 0x00, 0x00, 0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x20,
    0x01, 0xfc, 0x0f, 0x00, 0x0b,
};
enum { GROW_PARAM_AT = 13, GROW_TABLE_AT = 24 };

/* lodge.h has no table grow (requested in the API notes): the helper instance imports the table and
 * runs table.grow, which Lodge implements with all its checks. One helper per table, kept by the
 * store; the compiled helper module is shared by the store's tables of one element type. */
static lodge_func_t *grower(wasm_store_t *s, lodge_table_t *t, lodge_valtype_t elem)
{
    for (size_t i = 0; i < s->ngrowers; i++)
        if (s->growers[i].table == t)
            return s->growers[i].grow;
    int k = elem == LODGE_EXTERNREF;
    lodge_error_t err;
    if (!s->grow_modules[k]) {
        uint8_t bytes[sizeof grow_wasm];
        memcpy(bytes, grow_wasm, sizeof bytes);
        bytes[GROW_PARAM_AT] = bytes[GROW_TABLE_AT] = elem;
        s->grow_modules[k] = lodge_module_new(s->engine->engine, bytes, sizeof bytes, &err);
        if (!s->grow_modules[k])
            return NULL;
    }
    lodge_extern_t imp = {.kind = LODGE_EXTERN_TABLE, .of.table = t};
    lodge_instance_t *in = lodge_instance_new(s->store, s->grow_modules[k], &imp, 1, &err);
    lodge_extern_t g;
    if (!in || !lodge_instance_export(in, "g", &g))
        return NULL;
    CapiGrower rec = {t, g.of.func};
    if (!capi_engine_push((void **)&s->growers, &s->ngrowers, &s->capgrowers, sizeof rec, &rec))
        return NULL;
    return g.of.func;
}

bool wasm_table_grow(wasm_table_t *t, wasm_table_size_t delta, wasm_ref_t *init)
{
    wasm_store_t *s = t->r.store;
    lodge_valtype_t elem;
    lodge_limits_t l;
    lodge_table_type(t->r.of.table, &elem, &l);
    lodge_val_t args[2] = {{.type = elem}, {.type = LODGE_I32, .of.i32 = (int32_t)delta}}, res;
    if (!capi_val_ref_to_lodge(s, init, elem, &args[0].of.ext))
        return false;
    lodge_func_t *g = grower(s, t->r.of.table, elem);
    lodge_error_t err;
    if (!g || !lodge_func_call(s->store, g, args, 2, &res, 1, &err))
        return false;
    return res.of.i32 != -1;
}
