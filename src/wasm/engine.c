/* engine.c: engine life cycle and the function type registry. */
#include <stdlib.h>
#include <string.h>

#include "os/mem.h"
#include "wasm/engine.h"

lodge_engine_t *lodge_engine_new(const lodge_config_t *cfg)
{
    lodge_engine_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (cfg)
        e->cfg = *cfg;
    if (!e->cfg.max_call_depth)
        e->cfg.max_call_depth = 10000;
    if (!e->cfg.max_value_stack)
        e->cfg.max_value_stack = 8u << 20;
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->pool.lock, NULL);
    return e;
}

void lodge_engine_delete(lodge_engine_t *e)
{
    if (!e)
        return;
    for (uint32_t i = 0; i < e->ntypes; i++)
        free(e->types[i]);
    free(e->types);
    free(e->next);
    pthread_mutex_destroy(&e->lock);
    for (uint32_t i = 0; i < e->pool.n; i++)
        os_mem_release(e->pool.slot[i].base, e->pool.slot[i].size);
    for (uint32_t i = 0; i < e->pool.nstacks; i++)
        os_mem_release(e->pool.stacks[i].base, e->pool.stacks[i].size);
    pthread_mutex_destroy(&e->pool.lock);
    free(e);
}

uint32_t engine_intern_type(lodge_engine_t *e, const ValType *types, uint32_t np, uint32_t nr)
{
    uint32_t id = UINT32_MAX;
    size_t n = (size_t)np + nr;
    uint32_t h = np * 31u + nr;
    for (size_t k = 0; k < n; k++)
        h = h * 131u + types[k];
    h %= 1024;
    pthread_mutex_lock(&e->lock);
    for (uint32_t i = e->buckets[h]; i; i = e->next[i - 1]) {
        FuncType *t = e->types[i - 1];
        if (t->nparams == np && t->nresults == nr && (n == 0 || memcmp(t->types, types, n) == 0)) {
            id = i - 1;
            goto out;
        }
    }
    if (e->ntypes == e->cap) {
        uint32_t ncap = e->cap ? e->cap * 2 : 32;
        FuncType **nt = realloc(e->types, ncap * sizeof *nt);
        if (!nt)
            goto out;
        e->types = nt;
        uint32_t *nn = realloc(e->next, ncap * sizeof *nn);
        if (!nn)
            goto out;
        e->next = nn;
        e->cap = ncap;
    }
    /* one block: the record, then its value types */
    FuncType *rec = malloc(sizeof *rec + (n ? n : 1));
    if (!rec)
        goto out;
    ValType *copy = (ValType *)(rec + 1);
    if (n)
        memcpy(copy, types, n);
    id = e->ntypes++;
    *rec = (FuncType){np, nr, copy, id};
    e->types[id] = rec;
    e->next[id] = e->buckets[h];
    e->buckets[h] = id + 1;
out:
    pthread_mutex_unlock(&e->lock);
    return id;
}

const FuncType *engine_type(lodge_engine_t *e, uint32_t id)
{
    pthread_mutex_lock(&e->lock);
    const FuncType *t = id < e->ntypes ? e->types[id] : NULL;
    pthread_mutex_unlock(&e->lock);
    return t;
}

bool engine_reservation_take(lodge_engine_t *e, PoolSlot *want)
{
    PoolSlot got = {0};
    bool exact = false;
    pthread_mutex_lock(&e->pool.lock);
    uint32_t pick = UINT32_MAX;
    for (uint32_t i = e->pool.n; i-- > 0;) {
        const PoolSlot *p = &e->pool.slot[i];
        if (p->size != want->size)
            continue;
        if (p->committed == want->committed && p->image == want->image && p->image_size == want->image_size) {
            pick = i;
            exact = true;
            break;
        }
        if (pick == UINT32_MAX)
            pick = i;
    }
    if (pick != UINT32_MAX) {
        got = e->pool.slot[pick];
        e->pool.slot[pick] = e->pool.slot[--e->pool.n];
    }
    pthread_mutex_unlock(&e->pool.lock);
    want->base = got.base;
    if (got.base && !exact && !os_mem_decommit(got.base, got.committed)) {
        os_mem_release(got.base, got.size);
        want->base = NULL;
    }
    return exact;
}

bool engine_reservation_give(lodge_engine_t *e, const PoolSlot *slot)
{
    bool kept = false;
    pthread_mutex_lock(&e->pool.lock);
    if (e->pool.n < ENGINE_POOL_MAX) {
        e->pool.slot[e->pool.n++] = *slot;
        kept = true;
    }
    pthread_mutex_unlock(&e->pool.lock);
    return kept;
}

void *engine_stack_take(lodge_engine_t *e, size_t size)
{
    void *p = NULL;
    pthread_mutex_lock(&e->pool.lock);
    for (uint32_t i = e->pool.nstacks; i-- > 0;)
        if (e->pool.stacks[i].size == size) {
            p = e->pool.stacks[i].base;
            e->pool.stacks[i] = e->pool.stacks[--e->pool.nstacks];
            break;
        }
    pthread_mutex_unlock(&e->pool.lock);
    return p;
}

bool engine_stack_give(lodge_engine_t *e, void *base, size_t size)
{
    bool kept = false;
    pthread_mutex_lock(&e->pool.lock);
    if (e->pool.nstacks < ENGINE_STACKS_MAX) {
        e->pool.stacks[e->pool.nstacks].base = base;
        e->pool.stacks[e->pool.nstacks].size = size;
        e->pool.nstacks++;
        kept = true;
    }
    pthread_mutex_unlock(&e->pool.lock);
    return kept;
}

uint64_t engine_image_id(lodge_engine_t *e)
{
    pthread_mutex_lock(&e->pool.lock);
    uint64_t id = ++e->pool.next_image;
    pthread_mutex_unlock(&e->pool.lock);
    return id;
}

void engine_image_forget(lodge_engine_t *e, uint64_t id)
{
    pthread_mutex_lock(&e->pool.lock);
    for (uint32_t i = e->pool.n; i-- > 0;)
        if (e->pool.slot[i].image == id) {
            os_mem_release(e->pool.slot[i].base, e->pool.slot[i].size);
            e->pool.slot[i] = e->pool.slot[--e->pool.n];
        }
    pthread_mutex_unlock(&e->pool.lock);
}
