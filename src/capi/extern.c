/* extern.c: externals: a function, global, table or memory seen as one type, its kind and its type. */
#include "capi/capi.h"

wasm_externkind_t wasm_extern_kind(const wasm_extern_t *e)
{
    switch (e->r.kind) {
    case CAPI_FUNC: return WASM_EXTERN_FUNC;
    case CAPI_GLOBAL: return WASM_EXTERN_GLOBAL;
    case CAPI_TABLE: return WASM_EXTERN_TABLE;
    default: return WASM_EXTERN_MEMORY;
    }
}

wasm_externtype_t *wasm_extern_type(const wasm_extern_t *e)
{
    switch (e->r.kind) {
    case CAPI_FUNC: return (wasm_externtype_t *)wasm_func_type((const wasm_func_t *)e);
    case CAPI_GLOBAL: return (wasm_externtype_t *)wasm_global_type((const wasm_global_t *)e);
    case CAPI_TABLE: return (wasm_externtype_t *)wasm_table_type((const wasm_table_t *)e);
    default: return (wasm_externtype_t *)wasm_memory_type((const wasm_memory_t *)e);
    }
}

/* The same object under the other type: every one of them starts with its CapiRef. */
#define CAPI_EXTERN_CASTS(name, KIND)                                                               \
    wasm_extern_t *wasm_##name##_as_extern(wasm_##name##_t *x) { return (wasm_extern_t *)x; }       \
    const wasm_extern_t *wasm_##name##_as_extern_const(const wasm_##name##_t *x)                    \
    {                                                                                               \
        return (const wasm_extern_t *)x;                                                            \
    }                                                                                               \
    wasm_##name##_t *wasm_extern_as_##name(wasm_extern_t *e)                                        \
    {                                                                                               \
        return e && e->r.kind == KIND ? (wasm_##name##_t *)e : NULL;                                \
    }                                                                                               \
    const wasm_##name##_t *wasm_extern_as_##name##_const(const wasm_extern_t *e)                    \
    {                                                                                               \
        return e && e->r.kind == KIND ? (const wasm_##name##_t *)e : NULL;                          \
    }

CAPI_EXTERN_CASTS(func, CAPI_FUNC)
CAPI_EXTERN_CASTS(global, CAPI_GLOBAL)
CAPI_EXTERN_CASTS(table, CAPI_TABLE)
CAPI_EXTERN_CASTS(memory, CAPI_MEMORY)
