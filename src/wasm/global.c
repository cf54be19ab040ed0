/* global.c: globals and the conversions between lodge_val_t and Slot. */
#include <stdlib.h>

#include "wasm/runtime.h"
#include "wasm/value.h"

Slot value_to_slot(lodge_val_t v)
{
    Slot s;
    s.i64 = 0;
    switch (v.type) {
    case LODGE_I32: case LODGE_F32: s.i32 = (uint32_t)v.of.i32; break;
    case LODGE_I64: case LODGE_F64: s.i64 = (uint64_t)v.of.i64; break;
    default: s.ref = v.of.ext; break;
    }
    return s;
}

lodge_val_t value_from_slot(ValType t, Slot s)
{
    lodge_val_t v;
    v.type = t;
    v.of.i64 = 0;
    switch (t) {
    case LODGE_I32: case LODGE_F32: v.of.i32 = (int32_t)s.i32; break;
    case LODGE_I64: case LODGE_F64: v.of.i64 = (int64_t)s.i64; break;
    default: v.of.ext = s.ref; break;
    }
    return v;
}

lodge_global_t *lodge_global_new(lodge_store_t *s, lodge_valtype_t type, bool mut, lodge_val_t init)
{
    lodge_global_t *g = alloc_calloc(&s->alloc, 1, sizeof *g);
    if (!g)
        return NULL;
    g->type = type;
    g->mut = mut;
    init.type = type;
    g->val = value_to_slot(init);
    if (!store_track(s, OBJ_GLOBAL, g)) {
        alloc_free(&s->alloc, g, sizeof *g);
        return NULL;
    }
    return g;
}

lodge_val_t lodge_global_get(const lodge_global_t *g)
{
    return value_from_slot(g->type, g->val);
}

bool lodge_global_set(lodge_global_t *g, lodge_val_t v, lodge_error_t *err)
{
    if (!g->mut)
        return lodge_error_set(err, LODGE_ERR_ARG, "global is immutable");
    if (v.type != g->type)
        return lodge_error_set(err, LODGE_ERR_ARG, "value type does not match the global's type");
    g->val = value_to_slot(v);
    return true;
}

void lodge_global_type(const lodge_global_t *g, lodge_valtype_t *type, bool *mut)
{
    *type = g->type;
    *mut = g->mut;
}
