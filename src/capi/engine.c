/* engine.c: configurations, engines and stores, and what a store keeps for this interface besides
 * Lodge's own store: the cells that stand for references, host information, table grow helpers and
 * the instances made here. */
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"

/* Lodge's defaults; the interface defines no settings of its own. */
struct wasm_config_t {
    lodge_config_t cfg;
};

wasm_config_t *wasm_config_new(void)
{
    return calloc(1, sizeof(wasm_config_t));
}

void wasm_config_delete(wasm_config_t *c) { free(c); }

wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *c)
{
    wasm_engine_t *e = malloc(sizeof *e);
    if (e && !(e->engine = lodge_engine_new(c ? &c->cfg : NULL))) {
        free(e);
        e = NULL;
    }
    wasm_config_delete(c);
    return e;
}

wasm_engine_t *wasm_engine_new(void) { return wasm_engine_new_with_config(NULL); }

void wasm_engine_delete(wasm_engine_t *e)
{
    if (!e)
        return;
    lodge_engine_delete(e->engine);
    free(e);
}

wasm_store_t *wasm_store_new(wasm_engine_t *e)
{
    if (!e)
        return NULL;
    wasm_store_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->engine = e;
    if (!(s->store = lodge_store_new(e->engine, NULL))) {
        free(s);
        return NULL;
    }
    return s;
}

void wasm_store_delete(wasm_store_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ninfos; i++)
        if (s->infos[i].finalizer)
            s->infos[i].finalizer(s->infos[i].info);
    /* Lodge's store runs the host functions' finalizers, which may still look at nothing of ours. */
    lodge_store_delete(s->store);
    lodge_module_delete(s->grow_modules[0]);
    lodge_module_delete(s->grow_modules[1]);
    for (size_t i = 0; i < s->ncells; i++)
        free(s->cells[i]);
    for (size_t i = 0; i < s->ninstances; i++)
        capi_module_release(s->instances[i].module);
    free(s->cells);
    free(s->infos);
    free(s->growers);
    free(s->instances);
    free(s);
}

bool capi_engine_push(void **arr, size_t *n, size_t *cap, size_t size, const void *elem)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        void *p = realloc(*arr, nc * size);
        if (!p)
            return false;
        *arr = p;
        *cap = nc;
    }
    memcpy((char *)*arr + *n * size, elem, size);
    (*n)++;
    return true;
}

CapiCell *capi_engine_cell(wasm_store_t *s, uint8_t kind, void *payload)
{
    /* A foreign object's cell is its identity and is made by wasm_foreign_new; any other reference gets
     * one cell per object, so the same object always crosses as the same externref. */
    if (kind != CAPI_FOREIGN)
        for (size_t i = 0; i < s->ncells; i++)
            if (s->cells[i]->kind == kind && s->cells[i]->payload == payload)
                return s->cells[i];
    CapiCell *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    c->kind = kind;
    c->payload = kind == CAPI_FOREIGN ? (void *)c : payload;
    if (!capi_engine_push((void **)&s->cells, &s->ncells, &s->capcells, sizeof c, &c)) {
        free(c);
        return NULL;
    }
    return c;
}

CapiInfo *capi_engine_info(wasm_store_t *s, const void *identity, bool create)
{
    for (size_t i = 0; i < s->ninfos; i++)
        if (s->infos[i].identity == identity)
            return &s->infos[i];
    if (!create)
        return NULL;
    CapiInfo info = {identity, NULL, NULL};
    if (!capi_engine_push((void **)&s->infos, &s->ninfos, &s->capinfos, sizeof info, &info))
        return NULL;
    return &s->infos[s->ninfos - 1];
}
