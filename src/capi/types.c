/* types.c: type objects (value, function, global, table, memory, extern, import and export types) and
 * their translation to and from Lodge's descriptions. Types are plain owned data, never store objects. */
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"

wasm_valkind_t capi_types_kind(lodge_valtype_t t)
{
    switch (t) {
    case LODGE_I32: return WASM_I32;
    case LODGE_I64: return WASM_I64;
    case LODGE_F32: return WASM_F32;
    case LODGE_F64: return WASM_F64;
    case LODGE_FUNCREF: return WASM_FUNCREF;
    case LODGE_EXTERNREF: return WASM_EXTERNREF;
    default: return CAPI_V128;
    }
}

bool capi_types_lodge(wasm_valkind_t k, lodge_valtype_t *out)
{
    switch (k) {
    case WASM_I32: *out = LODGE_I32; return true;
    case WASM_I64: *out = LODGE_I64; return true;
    case WASM_F32: *out = LODGE_F32; return true;
    case WASM_F64: *out = LODGE_F64; return true;
    case WASM_FUNCREF: *out = LODGE_FUNCREF; return true;
    case WASM_EXTERNREF: *out = LODGE_EXTERNREF; return true;
    case CAPI_V128: *out = LODGE_V128; return true;
    default: return false;
    }
}

wasm_limits_t capi_types_limits(lodge_limits_t l)
{
    return (wasm_limits_t){l.min, l.has_max ? l.max : wasm_limits_max_default};
}

lodge_limits_t capi_types_lodge_limits(const wasm_limits_t *l)
{
    return (lodge_limits_t){l->min, l->max, l->max != wasm_limits_max_default};
}

/* ---- Value types ---- */

wasm_valtype_t *wasm_valtype_new(wasm_valkind_t k)
{
    wasm_valtype_t *t = malloc(sizeof *t);
    if (t)
        t->kind = k;
    return t;
}

void wasm_valtype_delete(wasm_valtype_t *t) { free(t); }
wasm_valtype_t *wasm_valtype_copy(const wasm_valtype_t *t) { return wasm_valtype_new(t->kind); }
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *t) { return t->kind; }

/* ---- Function types ---- */

static bool all_set(const wasm_valtype_vec_t *v)
{
    for (size_t i = 0; i < v->size; i++)
        if (!v->data[i])
            return false;
    return true;
}

wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results)
{
    /* A value type that could not be allocated leaves a NULL in the vector: no type then. */
    wasm_functype_t *t = all_set(params) && all_set(results) ? malloc(sizeof *t) : NULL;
    if (!t) {
        wasm_valtype_vec_delete(params);
        wasm_valtype_vec_delete(results);
        return NULL;
    }
    t->ext.kind = WASM_EXTERN_FUNC;
    /* The vectors' contents move into the type; the caller's vectors are left empty. */
    t->params = *params;
    t->results = *results;
    wasm_valtype_vec_new_empty(params);
    wasm_valtype_vec_new_empty(results);
    return t;
}

void wasm_functype_delete(wasm_functype_t *t)
{
    if (!t)
        return;
    wasm_valtype_vec_delete(&t->params);
    wasm_valtype_vec_delete(&t->results);
    free(t);
}

wasm_functype_t *wasm_functype_copy(const wasm_functype_t *t)
{
    wasm_valtype_vec_t p, r;
    wasm_valtype_vec_copy(&p, &t->params);
    wasm_valtype_vec_copy(&r, &t->results);
    return wasm_functype_new(&p, &r);
}

const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *t) { return &t->params; }
const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *t) { return &t->results; }

static bool valtypes_from_lodge(wasm_valtype_vec_t *out, uint32_t n, const lodge_valtype_t *types)
{
    wasm_valtype_vec_new_uninitialized(out, n);
    if (out->size != n)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!(out->data[i] = wasm_valtype_new(capi_types_kind(types[i]))))
            return false;
    return true;
}

wasm_functype_t *capi_types_functype(const lodge_functype_t *t)
{
    wasm_valtype_vec_t p, r;
    bool ok = valtypes_from_lodge(&p, t->nparams, t->params);
    ok = valtypes_from_lodge(&r, t->nresults, t->results) && ok;
    if (!ok) {
        wasm_valtype_vec_delete(&p);
        wasm_valtype_vec_delete(&r);
        return NULL;
    }
    return wasm_functype_new(&p, &r);
}

/* ---- Global types ---- */

wasm_globaltype_t *wasm_globaltype_new(wasm_valtype_t *content, wasm_mutability_t mut)
{
    wasm_globaltype_t *t = content ? malloc(sizeof *t) : NULL;
    if (!t) {
        wasm_valtype_delete(content);
        return NULL;
    }
    t->ext.kind = WASM_EXTERN_GLOBAL;
    t->content = content;
    t->mutability = mut;
    return t;
}

void wasm_globaltype_delete(wasm_globaltype_t *t)
{
    if (!t)
        return;
    wasm_valtype_delete(t->content);
    free(t);
}

wasm_globaltype_t *wasm_globaltype_copy(const wasm_globaltype_t *t)
{
    return wasm_globaltype_new(wasm_valtype_copy(t->content), t->mutability);
}

const wasm_valtype_t *wasm_globaltype_content(const wasm_globaltype_t *t) { return t->content; }
wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t *t) { return t->mutability; }

/* ---- Table types ---- */

wasm_tabletype_t *wasm_tabletype_new(wasm_valtype_t *elem, const wasm_limits_t *limits)
{
    wasm_tabletype_t *t = elem ? malloc(sizeof *t) : NULL;
    if (!t) {
        wasm_valtype_delete(elem);
        return NULL;
    }
    t->ext.kind = WASM_EXTERN_TABLE;
    t->element = elem;
    t->limits = *limits;
    return t;
}

void wasm_tabletype_delete(wasm_tabletype_t *t)
{
    if (!t)
        return;
    wasm_valtype_delete(t->element);
    free(t);
}

wasm_tabletype_t *wasm_tabletype_copy(const wasm_tabletype_t *t)
{
    return wasm_tabletype_new(wasm_valtype_copy(t->element), &t->limits);
}

const wasm_valtype_t *wasm_tabletype_element(const wasm_tabletype_t *t) { return t->element; }
const wasm_limits_t *wasm_tabletype_limits(const wasm_tabletype_t *t) { return &t->limits; }

/* ---- Memory types ---- */

wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *limits)
{
    wasm_memorytype_t *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    t->ext.kind = WASM_EXTERN_MEMORY;
    t->limits = *limits;
    return t;
}

void wasm_memorytype_delete(wasm_memorytype_t *t) { free(t); }
wasm_memorytype_t *wasm_memorytype_copy(const wasm_memorytype_t *t) { return wasm_memorytype_new(&t->limits); }
const wasm_limits_t *wasm_memorytype_limits(const wasm_memorytype_t *t) { return &t->limits; }

/* ---- Extern types: the four above behind their common first member ---- */

wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *t) { return t->kind; }

void wasm_externtype_delete(wasm_externtype_t *t)
{
    if (!t)
        return;
    switch (t->kind) {
    case WASM_EXTERN_FUNC: wasm_functype_delete((wasm_functype_t *)t); break;
    case WASM_EXTERN_GLOBAL: wasm_globaltype_delete((wasm_globaltype_t *)t); break;
    case WASM_EXTERN_TABLE: wasm_tabletype_delete((wasm_tabletype_t *)t); break;
    default: wasm_memorytype_delete((wasm_memorytype_t *)t); break;
    }
}

wasm_externtype_t *wasm_externtype_copy(const wasm_externtype_t *t)
{
    switch (t->kind) {
    case WASM_EXTERN_FUNC: return (wasm_externtype_t *)wasm_functype_copy((const wasm_functype_t *)t);
    case WASM_EXTERN_GLOBAL: return (wasm_externtype_t *)wasm_globaltype_copy((const wasm_globaltype_t *)t);
    case WASM_EXTERN_TABLE: return (wasm_externtype_t *)wasm_tabletype_copy((const wasm_tabletype_t *)t);
    default: return (wasm_externtype_t *)wasm_memorytype_copy((const wasm_memorytype_t *)t);
    }
}

#define CAPI_EXTERNTYPE_CASTS(name, KIND)                                                          \
    wasm_externtype_t *wasm_##name##_as_externtype(wasm_##name##_t *t) { return &t->ext; }          \
    const wasm_externtype_t *wasm_##name##_as_externtype_const(const wasm_##name##_t *t)            \
    {                                                                                               \
        return &t->ext;                                                                             \
    }                                                                                               \
    wasm_##name##_t *wasm_externtype_as_##name(wasm_externtype_t *t)                                \
    {                                                                                               \
        return t && t->kind == KIND ? (wasm_##name##_t *)t : NULL;                                  \
    }                                                                                               \
    const wasm_##name##_t *wasm_externtype_as_##name##_const(const wasm_externtype_t *t)            \
    {                                                                                               \
        return t && t->kind == KIND ? (const wasm_##name##_t *)t : NULL;                            \
    }

CAPI_EXTERNTYPE_CASTS(functype, WASM_EXTERN_FUNC)
CAPI_EXTERNTYPE_CASTS(globaltype, WASM_EXTERN_GLOBAL)
CAPI_EXTERNTYPE_CASTS(tabletype, WASM_EXTERN_TABLE)
CAPI_EXTERNTYPE_CASTS(memorytype, WASM_EXTERN_MEMORY)

/* ---- Import and export types ---- */

struct wasm_importtype_t {
    wasm_name_t module, name;
    wasm_externtype_t *type;
};

struct wasm_exporttype_t {
    wasm_name_t name;
    wasm_externtype_t *type;
};

wasm_importtype_t *wasm_importtype_new(wasm_name_t *module, wasm_name_t *name, wasm_externtype_t *type)
{
    wasm_importtype_t *t = type ? malloc(sizeof *t) : NULL;
    if (!t) {
        wasm_name_delete(module);
        wasm_name_delete(name);
        wasm_externtype_delete(type);
        return NULL;
    }
    t->module = *module;
    t->name = *name;
    t->type = type;
    wasm_name_new_empty(module);
    wasm_name_new_empty(name);
    return t;
}

void wasm_importtype_delete(wasm_importtype_t *t)
{
    if (!t)
        return;
    wasm_name_delete(&t->module);
    wasm_name_delete(&t->name);
    wasm_externtype_delete(t->type);
    free(t);
}

wasm_importtype_t *wasm_importtype_copy(const wasm_importtype_t *t)
{
    wasm_name_t m, n;
    wasm_name_copy(&m, &t->module);
    wasm_name_copy(&n, &t->name);
    return wasm_importtype_new(&m, &n, wasm_externtype_copy(t->type));
}

const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *t) { return &t->module; }
const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *t) { return &t->name; }
const wasm_externtype_t *wasm_importtype_type(const wasm_importtype_t *t) { return t->type; }

wasm_exporttype_t *wasm_exporttype_new(wasm_name_t *name, wasm_externtype_t *type)
{
    wasm_exporttype_t *t = type ? malloc(sizeof *t) : NULL;
    if (!t) {
        wasm_name_delete(name);
        wasm_externtype_delete(type);
        return NULL;
    }
    t->name = *name;
    t->type = type;
    wasm_name_new_empty(name);
    return t;
}

void wasm_exporttype_delete(wasm_exporttype_t *t)
{
    if (!t)
        return;
    wasm_name_delete(&t->name);
    wasm_externtype_delete(t->type);
    free(t);
}

wasm_exporttype_t *wasm_exporttype_copy(const wasm_exporttype_t *t)
{
    wasm_name_t n;
    wasm_name_copy(&n, &t->name);
    return wasm_exporttype_new(&n, wasm_externtype_copy(t->type));
}

const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *t) { return &t->name; }
const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *t) { return t->type; }
