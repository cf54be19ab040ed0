/* engine.c: engine life cycle and the function type registry. */
#include <stdlib.h>
#include <string.h>

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
