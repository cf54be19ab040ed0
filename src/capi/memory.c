/* memory.c: linear memories: made by the embedder or exported by instances; they live in the store. */
#include "capi/capi.h"

#define CAPI_PAGE 65536u

wasm_memory_t *wasm_memory_new(wasm_store_t *s, const wasm_memorytype_t *type)
{
    if (!s || !type)
        return NULL;
    lodge_error_t err;
    lodge_memory_t *m = lodge_memory_new(s->store, capi_types_lodge_limits(&type->limits), &err);
    return m ? (wasm_memory_t *)capi_ref_new(s, CAPI_MEMORY, m) : NULL;
}

wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *m)
{
    lodge_limits_t l;
    lodge_memory_type(m->r.of.memory, &l);
    wasm_limits_t wl = capi_types_limits(l);
    return wasm_memorytype_new(&wl);
}

byte_t *wasm_memory_data(wasm_memory_t *m) { return (byte_t *)lodge_memory_data(m->r.of.memory); }
size_t wasm_memory_data_size(const wasm_memory_t *m) { return lodge_memory_size(m->r.of.memory); }

wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *m)
{
    return (wasm_memory_pages_t)(lodge_memory_size(m->r.of.memory) / CAPI_PAGE);
}

bool wasm_memory_grow(wasm_memory_t *m, wasm_memory_pages_t delta)
{
    return lodge_memory_grow(m->r.of.memory, delta) >= 0;
}
