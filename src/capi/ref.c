/* ref.c: what every reference type shares: delete, copy, same, host information and the views as
 * wasm_ref_t, written once for all of them. */
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"

static bool in_store(CapiKind k)
{
    return k != CAPI_TRAP && k != CAPI_MODULE;
}

CapiRef *capi_ref_new(wasm_store_t *s, CapiKind kind, void *payload)
{
    CapiRef *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->kind = kind;
    r->store = s;
    r->of.any = payload;
    return r;
}

void capi_ref_release(CapiRef *r)
{
    if (!r)
        return;
    if (r->kind == CAPI_TRAP) {
        wasm_trap_t *t = (wasm_trap_t *)r;
        if (t->finalizer)
            t->finalizer(t->info);
        wasm_byte_vec_delete(&t->message);
        wasm_frame_vec_delete(&t->trace);
    } else if (r->kind == CAPI_MODULE) {
        capi_module_release(((wasm_module_t *)r)->m);
    }
    /* A store object stays in its store: only this reference goes. */
    free(r);
}

static CapiRef *ref_copy(const CapiRef *r)
{
    if (!r)
        return NULL;
    if (r->kind == CAPI_TRAP) {
        const wasm_trap_t *t = (const wasm_trap_t *)r;
        wasm_trap_t *c = calloc(1, sizeof *c);
        if (!c)
            return NULL;
        c->r = t->r;
        wasm_byte_vec_copy(&c->message, &t->message);
        wasm_frame_vec_copy(&c->trace, &t->trace);
        return &c->r;
    }
    if (r->kind == CAPI_MODULE) {
        wasm_module_t *c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->r = *r;
        c->m = capi_module_retain(((const wasm_module_t *)r)->m);
        return &c->r;
    }
    return capi_ref_new(r->store, r->kind, r->of.any);
}

static const void *identity(const CapiRef *r)
{
    if (r->kind == CAPI_TRAP)
        return r;
    if (r->kind == CAPI_MODULE)
        return ((const wasm_module_t *)r)->m;
    return r->of.any;
}

static bool ref_same(const CapiRef *a, const CapiRef *b)
{
    if (!a || !b)
        return a == b;
    return a->kind == b->kind && identity(a) == identity(b);
}

static void *ref_get_info(const CapiRef *r)
{
    if (r->kind == CAPI_TRAP)
        return ((const wasm_trap_t *)r)->info;
    if (r->kind == CAPI_MODULE)
        return ((const wasm_module_t *)r)->m->info;
    CapiInfo *i = capi_engine_info(r->store, identity(r), false);
    return i ? i->info : NULL;
}

/* Replacing host information does not run the old finalizer: the interface leaves that to the
 * embedder, and the other engines do the same. */
static void ref_set_info(CapiRef *r, void *info, void (*fin)(void *))
{
    if (r->kind == CAPI_TRAP) {
        ((wasm_trap_t *)r)->info = info;
        ((wasm_trap_t *)r)->finalizer = fin;
    } else if (r->kind == CAPI_MODULE) {
        ((wasm_module_t *)r)->m->info = info;
        ((wasm_module_t *)r)->m->finalizer = fin;
    } else if (in_store(r->kind)) {
        CapiInfo *i = capi_engine_info(r->store, identity(r), true);
        if (i) {
            i->info = info;
            i->finalizer = fin;
        }
    }
}

#define CAPI_REF_BASE(name)                                                                         \
    void wasm_##name##_delete(wasm_##name##_t *x) { capi_ref_release((CapiRef *)x); }               \
    wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *x)                                   \
    {                                                                                               \
        return (wasm_##name##_t *)ref_copy((const CapiRef *)x);                                     \
    }                                                                                               \
    bool wasm_##name##_same(const wasm_##name##_t *a, const wasm_##name##_t *b)                     \
    {                                                                                               \
        return ref_same((const CapiRef *)a, (const CapiRef *)b);                                    \
    }                                                                                               \
    void *wasm_##name##_get_host_info(const wasm_##name##_t *x)                                     \
    {                                                                                               \
        return ref_get_info((const CapiRef *)x);                                                    \
    }                                                                                               \
    void wasm_##name##_set_host_info(wasm_##name##_t *x, void *info)                                \
    {                                                                                               \
        ref_set_info((CapiRef *)x, info, NULL);                                                     \
    }                                                                                               \
    void wasm_##name##_set_host_info_with_finalizer(wasm_##name##_t *x, void *info,                 \
                                                    void (*fin)(void *))                            \
    {                                                                                               \
        ref_set_info((CapiRef *)x, info, fin);                                                      \
    }

/* `accepts` says which kinds a generic reference may be seen as this type. */
#define CAPI_REF(name, accepts)                                                                     \
    CAPI_REF_BASE(name)                                                                             \
    wasm_ref_t *wasm_##name##_as_ref(wasm_##name##_t *x) { return (wasm_ref_t *)x; }                \
    const wasm_ref_t *wasm_##name##_as_ref_const(const wasm_##name##_t *x)                          \
    {                                                                                               \
        return (const wasm_ref_t *)x;                                                               \
    }                                                                                               \
    wasm_##name##_t *wasm_ref_as_##name(wasm_ref_t *r)                                              \
    {                                                                                               \
        return r && accepts(r->r.kind) ? (wasm_##name##_t *)r : NULL;                               \
    }                                                                                               \
    const wasm_##name##_t *wasm_ref_as_##name##_const(const wasm_ref_t *r)                          \
    {                                                                                               \
        return r && accepts(r->r.kind) ? (const wasm_##name##_t *)r : NULL;                         \
    }

static bool is_func(CapiKind k) { return k == CAPI_FUNC; }
static bool is_global(CapiKind k) { return k == CAPI_GLOBAL; }
static bool is_table(CapiKind k) { return k == CAPI_TABLE; }
static bool is_memory(CapiKind k) { return k == CAPI_MEMORY; }
static bool is_instance(CapiKind k) { return k == CAPI_INSTANCE; }
static bool is_foreign(CapiKind k) { return k == CAPI_FOREIGN; }
static bool is_trap(CapiKind k) { return k == CAPI_TRAP; }
static bool is_module(CapiKind k) { return k == CAPI_MODULE; }
static bool is_extern(CapiKind k) { return k <= CAPI_MEMORY; }

CAPI_REF_BASE(ref)
CAPI_REF(func, is_func)
CAPI_REF(global, is_global)
CAPI_REF(table, is_table)
CAPI_REF(memory, is_memory)
CAPI_REF(extern, is_extern)
CAPI_REF(instance, is_instance)
CAPI_REF(foreign, is_foreign)
CAPI_REF(trap, is_trap)
CAPI_REF(module, is_module)

wasm_foreign_t *wasm_foreign_new(wasm_store_t *s)
{
    CapiCell *c = capi_engine_cell(s, CAPI_FOREIGN, NULL);
    return c ? (wasm_foreign_t *)capi_ref_new(s, CAPI_FOREIGN, c) : NULL;
}
