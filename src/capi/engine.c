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
    for (size_t i = 0; i < s->capinfos; i++)
        if (s->infos[i].identity && s->infos[i].finalizer)
            s->infos[i].finalizer(s->infos[i].info);
    /* Lodge's store runs the host functions' finalizers, which may still look at nothing of ours. */
    lodge_store_delete(s->store);
    lodge_module_delete(s->grow_modules[0]);
    lodge_module_delete(s->grow_modules[1]);
    for (size_t i = 0; i < s->capcells; i++)
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

/* Cells and host information are found by pointer in open-addressing tables (a NULL key is an empty
 * slot; nothing is removed before the store goes), so a store with many objects stays fast. */
static size_t slot_of(const void *key, size_t cap)
{
    return (size_t)((((uint64_t)(uintptr_t)key) >> 3) * 0x9E3779B97F4A7C15ull >> 32) & (cap - 1);
}

static bool cells_grow(wasm_store_t *s)
{
    size_t nc = s->capcells ? s->capcells * 2 : 64;
    CapiCell **t = calloc(nc, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < s->capcells; i++)
        if (s->cells[i]) {
            size_t k = slot_of(s->cells[i]->payload, nc);
            while (t[k])
                k = (k + 1) & (nc - 1);
            t[k] = s->cells[i];
        }
    free(s->cells);
    s->cells = t;
    s->capcells = nc;
    return true;
}

CapiCell *capi_engine_cell(wasm_store_t *s, uint8_t kind, void *payload)
{
    /* A foreign object's cell is its identity and is made by wasm_foreign_new; any other reference gets
     * one cell per object, so the same object always crosses as the same externref. */
    if (kind != CAPI_FOREIGN && s->capcells)
        for (size_t k = slot_of(payload, s->capcells); s->cells[k]; k = (k + 1) & (s->capcells - 1))
            if (s->cells[k]->kind == kind && s->cells[k]->payload == payload)
                return s->cells[k];
    if ((s->ncells + 1) * 2 > s->capcells && !cells_grow(s))
        return NULL;
    CapiCell *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    c->kind = kind;
    c->payload = kind == CAPI_FOREIGN ? (void *)c : payload;
    size_t k = slot_of(c->payload, s->capcells);
    while (s->cells[k])
        k = (k + 1) & (s->capcells - 1);
    s->cells[k] = c;
    s->ncells++;
    return c;
}

static bool infos_grow(wasm_store_t *s)
{
    size_t nc = s->capinfos ? s->capinfos * 2 : 64;
    CapiInfo *t = calloc(nc, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < s->capinfos; i++)
        if (s->infos[i].identity) {
            size_t k = slot_of(s->infos[i].identity, nc);
            while (t[k].identity)
                k = (k + 1) & (nc - 1);
            t[k] = s->infos[i];
        }
    free(s->infos);
    s->infos = t;
    s->capinfos = nc;
    return true;
}

CapiInfo *capi_engine_info(wasm_store_t *s, const void *identity, bool create)
{
    if (s->capinfos) {
        size_t k = slot_of(identity, s->capinfos);
        for (; s->infos[k].identity; k = (k + 1) & (s->capinfos - 1))
            if (s->infos[k].identity == identity)
                return &s->infos[k];
    }
    if (!create || ((s->ninfos + 1) * 2 > s->capinfos && !infos_grow(s)))
        return NULL;
    size_t k = slot_of(identity, s->capinfos);
    while (s->infos[k].identity)
        k = (k + 1) & (s->capinfos - 1);
    s->infos[k] = (CapiInfo){identity, NULL, NULL};
    s->ninfos++;
    return &s->infos[k];
}
