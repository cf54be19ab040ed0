/* table.c: tables of references (funcref, externref). */
#include <stdlib.h>
#include <string.h>

#include "wasm/runtime.h"

lodge_table_t *table_new(lodge_store_t *s, ValType elem, Limits lim, void *init, lodge_error_t *err)
{
    if (lim.min > WASM_MAX_TABLE) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "table of %u elements exceeds the limit of %u", lim.min, WASM_MAX_TABLE);
        err->trap = LODGE_TRAP_MEMORY_LIMIT;
        return NULL;
    }
    lodge_table_t *t = alloc_calloc(&s->alloc, 1, sizeof *t);
    if (!t)
        goto nomem;
    t->elems = alloc_malloc(&s->alloc, (size_t)lim.min * sizeof(Slot));
    if (!t->elems)
        goto nomem;
    for (uint32_t i = 0; i < lim.min; i++)
        t->elems[i].ref = init;
    t->size = t->cap = lim.min;
    t->elem = elem;
    t->lim = lim;
    t->store = s;
    if (!store_track(s, OBJ_TABLE, t)) {
        alloc_free(&s->alloc, t->elems, (size_t)t->cap * sizeof(Slot));
        goto nomem;
    }
    return t;
nomem:
    alloc_free(&s->alloc, t, sizeof *t);
    lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory or over the memory limit (table)");
    err->trap = LODGE_TRAP_MEMORY_LIMIT;
    return NULL;
}

int64_t table_grow(lodge_table_t *t, uint32_t delta, void *init)
{
    uint64_t old = t->size;
    uint64_t max = t->lim.has_max ? t->lim.max : UINT32_MAX;
    if (max > WASM_MAX_TABLE)
        max = WASM_MAX_TABLE;
    if (old + delta > max)
        return -1;
    uint32_t n = (uint32_t)(old + delta);
    if (n > t->cap) {
        Slot *p = alloc_realloc(&t->store->alloc, t->elems, (size_t)t->cap * sizeof(Slot), (size_t)n * sizeof(Slot));
        if (!p)
            return -1;
        t->elems = p;
        t->cap = n;
    }
    for (uint32_t i = t->size; i < n; i++)
        t->elems[i].ref = init;
    t->size = n;
    return (int64_t)old;
}

lodge_table_t *lodge_table_new(lodge_store_t *s, lodge_valtype_t elem, lodge_limits_t limits, lodge_val_t init,
                               lodge_error_t *err)
{
    if (elem != LODGE_FUNCREF && elem != LODGE_EXTERNREF) {
        lodge_error_set(err, LODGE_ERR_ARG, "table element type must be funcref or externref");
        return NULL;
    }
    Limits l = {limits.min, limits.max, limits.has_max};
    if (l.has_max && l.max < l.min) {
        lodge_error_set(err, LODGE_ERR_ARG, "invalid table limits");
        return NULL;
    }
    return table_new(s, elem, l, init.of.ext, err);
}

uint32_t lodge_table_size(const lodge_table_t *t) { return t->size; }

bool lodge_table_get(const lodge_table_t *t, uint32_t i, lodge_val_t *out)
{
    if (i >= t->size)
        return false;
    out->type = t->elem;
    out->of.ext = t->elems[i].ref;
    return true;
}

bool lodge_table_set(lodge_table_t *t, uint32_t i, lodge_val_t v)
{
    if (i >= t->size)
        return false;
    t->elems[i].ref = v.of.ext;
    return true;
}

void lodge_table_type(const lodge_table_t *t, lodge_valtype_t *elem, lodge_limits_t *lim)
{
    *elem = t->elem;
    lim->min = t->size;
    lim->max = t->lim.max;
    lim->has_max = t->lim.has_max;
}

int64_t lodge_table_grow(lodge_table_t *t, uint32_t delta, lodge_val_t init)
{
    return table_grow(t, delta, init.of.ext);
}
