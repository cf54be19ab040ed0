/* store.c: stores: the world of one guest (its instances and objects) and its memory budget. */
#include <stdlib.h>
#include <string.h>

#include "os/mem.h"
#include "wasm/engine.h"
#include "wasm/interp/code.h"
#include "wasm/runtime.h"
#include "wasm/store.h"

lodge_store_t *lodge_store_new(lodge_engine_t *engine, const lodge_store_limits_t *limits)
{
    /* The store is the first block of its own budget, charged whatever the limit (a store handle always
     * exists; a limit smaller than the store itself then refuses everything else). */
    Alloc a;
    alloc_init(&a, 0);
    lodge_store_t *s = alloc_calloc(&a, 1, sizeof *s);
    if (!s)
        return NULL;
    a.limit = limits ? limits->max_memory : 0;
    s->alloc = a;
    s->engine = engine;
    if (limits && limits->fuel) {
        s->fuel = limits->fuel;
        s->fuel_limited = true;
    }
    atomic_init(&s->interrupt, false);
    return s;
}

bool store_track(lodge_store_t *s, ObjKind kind, void *p)
{
    if (s->nobjs == s->capobjs) {
        uint32_t nc = s->capobjs ? s->capobjs * 2 : 32;
        Obj *o = alloc_realloc(&s->alloc, s->objs, s->capobjs * sizeof *o, nc * sizeof *o);
        if (!o)
            return false;
        s->objs = o;
        s->capobjs = nc;
    }
    s->objs[s->nobjs++] = (Obj){kind, p};
    if (kind == OBJ_MEMORY) {
        if (s->nmems == s->capmems) {
            uint32_t nc = s->capmems ? s->capmems * 2 : 4;
            lodge_memory_t **m = alloc_realloc(&s->alloc, s->mems, s->capmems * sizeof *m, nc * sizeof *m);
            if (!m) {
                s->nobjs--;
                return false;
            }
            s->mems = m;
            s->capmems = nc;
        }
        s->mems[s->nmems++] = p;
    }
    return true;
}

Alloc *store_alloc(lodge_store_t *s)
{
    return &s->alloc;
}

bool store_on_delete(lodge_store_t *s, void (*fn)(void *data), void *data)
{
    StoreFinalizer *fin = alloc_malloc(&s->alloc, sizeof *fin);
    if (!fin)
        return false;
    *fin = (StoreFinalizer){fn, data};
    if (!store_track(s, OBJ_FINALIZER, fin)) {
        alloc_free(&s->alloc, fin, sizeof *fin);
        return false;
    }
    return true;
}

static void free_obj(lodge_store_t *s, Obj *o)
{
    switch (o->kind) {
    case OBJ_FUNC: {
        lodge_func_t *f = o->p;
        if (f->finalizer)
            f->finalizer(f->env);
        alloc_free(&s->alloc, f, sizeof *f);
        break;
    }
    case OBJ_TABLE: {
        lodge_table_t *t = o->p;
        alloc_free(&s->alloc, t->elems, (size_t)t->cap * sizeof(Slot));
        alloc_free(&s->alloc, t, sizeof *t);
        break;
    }
    case OBJ_MEMORY:
        memory_free(o->p);
        break;
    case OBJ_GLOBAL:
        alloc_free(&s->alloc, o->p, sizeof(lodge_global_t));
        break;
    case OBJ_FINALIZER: {
        StoreFinalizer *fin = o->p;
        fin->fn(fin->data);
        alloc_free(&s->alloc, fin, sizeof *fin);
        break;
    }
    case OBJ_INSTANCE: {
        lodge_instance_t *in = o->p;
        alloc_free(&s->alloc, in, in->bytes);
        break;
    }
    }
}

void lodge_store_delete(lodge_store_t *s)
{
    if (!s)
        return;
    for (uint32_t i = s->nobjs; i-- > 0;)
        free_obj(s, &s->objs[i]);
    alloc_free(&s->alloc, s->objs, (size_t)s->capobjs * sizeof *s->objs);
    alloc_free(&s->alloc, s->mems, (size_t)s->capmems * sizeof *s->mems);
    exec_free(s);
    Alloc a = s->alloc; /* the store's own block is accounted in it: free it through a copy */
    alloc_free(&a, s, sizeof *s);
}

void lodge_store_interrupt(lodge_store_t *s)
{
    atomic_store_explicit(&s->interrupt, true, memory_order_relaxed);
}

size_t lodge_store_memory_used(const lodge_store_t *s)
{
    return s->alloc.used;
}

void lodge_store_set_fuel(lodge_store_t *s, uint64_t fuel)
{
    s->fuel = fuel;
    s->fuel_limited = fuel != 0;
}

uint64_t lodge_store_fuel(const lodge_store_t *s)
{
    return s->fuel_limited ? s->fuel : 0;
}

void lodge_store_set_interrupt_handler(lodge_store_t *s, lodge_interrupt_fn fn, void *data)
{
    s->on_interrupt = fn;
    s->on_interrupt_data = data;
}

void lodge_store_set_data(lodge_store_t *s, void *data)
{
    s->data = data;
}

void *lodge_store_data(const lodge_store_t *s)
{
    return s->data;
}
