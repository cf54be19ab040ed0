/* instance.c: instantiation: import matching, the index spaces of an instance, globals, element and
 * data segments in the spec's order, and the start function. */
#include <stdlib.h>
#include <string.h>

#include "wasm/engine.h"
#include "wasm/interp/code.h"
#include "wasm/runtime.h"

static const char *kind_name(lodge_extern_kind_t k)
{
    static const char *const n[] = {"function", "table", "memory", "global"};
    return n[k];
}

/* Import subtyping of limits: the provided size at least the required minimum, and a maximum no larger
 * than the required maximum, if one is required. */
static bool limits_match(uint64_t have_min, bool have_has_max, uint64_t have_max, const Limits *want)
{
    if (have_min < want->min)
        return false;
    if (want->has_max && (!have_has_max || have_max > want->max))
        return false;
    return true;
}

static bool link_import(lodge_instance_t *in, const Module *m, uint32_t i, const lodge_extern_t *ext,
                        uint32_t *nf, uint32_t *nt, uint32_t *ng, lodge_error_t *err)
{
    const Import *im = &m->imports[i];
    if (ext->kind != im->kind)
        return lodge_error_set(err, LODGE_ERR_UNLINKABLE, "incompatible import type: %s::%s expects a %s, got a %s",
                               im->module, im->name, kind_name(im->kind), kind_name(ext->kind));
    switch (im->kind) {
    case LODGE_EXTERN_FUNC: {
        lodge_func_t *f = ext->of.func;
        if (!f || f->type_id != m->types[im->of.type_idx].id)
            return lodge_error_set(err, LODGE_ERR_UNLINKABLE, "incompatible import type: %s::%s function type differs",
                                   im->module, im->name);
        in->funcs[(*nf)++] = f;
        break;
    }
    case LODGE_EXTERN_TABLE: {
        lodge_table_t *t = ext->of.table;
        if (!t || t->elem != im->of.table.elem ||
            !limits_match(t->size, t->lim.has_max, t->lim.max, &im->of.table.lim))
            return lodge_error_set(err, LODGE_ERR_UNLINKABLE, "incompatible import type: %s::%s table type differs",
                                   im->module, im->name);
        in->tables[(*nt)++] = t;
        break;
    }
    case LODGE_EXTERN_MEMORY: {
        lodge_memory_t *mem = ext->of.memory;
        if (!mem || !limits_match(mem->size / WASM_PAGE_SIZE, mem->lim.has_max, mem->lim.max, &im->of.mem))
            return lodge_error_set(err, LODGE_ERR_UNLINKABLE, "incompatible import type: %s::%s memory type differs",
                                   im->module, im->name);
        in->mem = mem;
        break;
    }
    case LODGE_EXTERN_GLOBAL: {
        lodge_global_t *g = ext->of.global;
        if (!g || g->type != im->of.global.type || g->mut != im->of.global.mut)
            return lodge_error_set(err, LODGE_ERR_UNLINKABLE, "incompatible import type: %s::%s global type differs",
                                   im->module, im->name);
        in->globals[(*ng)++] = g;
        break;
    }
    }
    return true;
}

static bool init_segments(lodge_store_t *s, lodge_instance_t *in, bool data_in_image, lodge_error_t *err)
{
    const Module *m = in->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const ElemSeg *es = &m->elems[i];
        if (es->mode == SEG_ACTIVE) {
            uint32_t off = interp_const_expr(in, &es->offset).i32;
            if (!interp_table_init(in, i, es->table, off, 0, es->count)) {
                lodge_error_set(err, LODGE_ERR_TRAP, "%s", lodge_trap_name(LODGE_TRAP_TABLE_OOB));
                err->trap = LODGE_TRAP_TABLE_OOB;
                return false;
            }
        }
        if (es->mode != SEG_PASSIVE)
            in->elem_dropped[i] = true;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const DataSeg *ds = &m->datas[i];
        if (ds->mode != SEG_ACTIVE)
            continue;
        if (data_in_image) { /* the memory was made from the module's image: it holds them all */
            in->data_dropped[i] = true;
            continue;
        }
        uint32_t off = interp_const_expr(in, &ds->offset).i32;
        if (!interp_memory_init(in, i, off, 0, ds->len)) {
            lodge_error_set(err, LODGE_ERR_TRAP, "%s", lodge_trap_name(LODGE_TRAP_MEMORY_OOB));
            err->trap = LODGE_TRAP_MEMORY_OOB;
            return false;
        }
        in->data_dropped[i] = true;
    }
    (void)s;
    return true;
}

/* One block from the store's allocator holds the instance and all its arrays: instantiation is then
 * one allocation, and the store frees it as one object. */
static lodge_instance_t *instance_alloc(lodge_store_t *s, const Module *m)
{
    uint32_t ndef = m->nfuncs - m->nimported_funcs, ndefg = m->nglobals - m->nimported_globals;
    size_t bytes = sizeof(lodge_instance_t);
    size_t at_funcs = bytes;
    bytes += (size_t)m->nfuncs * sizeof(lodge_func_t *);
    size_t at_tables = bytes;
    bytes += (size_t)m->ntables * sizeof(lodge_table_t *);
    size_t at_globals = bytes;
    bytes += (size_t)m->nglobals * sizeof(lodge_global_t *);
    size_t at_own_funcs = bytes;
    bytes += (size_t)ndef * sizeof(lodge_func_t);
    size_t at_own_globals = bytes;
    bytes += (size_t)ndefg * sizeof(lodge_global_t);
    size_t at_elem = bytes;
    bytes += m->nelems;
    size_t at_data = bytes;
    bytes += m->ndatas;
    uint8_t *p = alloc_calloc(&s->alloc, 1, bytes);
    if (!p)
        return NULL;
    lodge_instance_t *in = (lodge_instance_t *)p;
    if (!store_track(s, OBJ_INSTANCE, in)) {
        alloc_free(&s->alloc, p, bytes);
        return NULL;
    }
    in->module = m;
    in->store = s;
    in->bytes = bytes;
    in->funcs = (lodge_func_t **)(p + at_funcs);
    in->tables = (lodge_table_t **)(p + at_tables);
    in->globals = (lodge_global_t **)(p + at_globals);
    in->own_funcs = (lodge_func_t *)(p + at_own_funcs);
    in->own_globals = (lodge_global_t *)(p + at_own_globals);
    in->elem_dropped = (bool *)(p + at_elem);
    in->data_dropped = (bool *)(p + at_data);
    return in;
}

lodge_instance_t *lodge_instance_new(lodge_store_t *s, const lodge_module_t *module, const lodge_extern_t *imports,
                                     size_t nimports, lodge_error_t *err)
{
    const Module *m = (const Module *)module;
    lodge_error_t local;
    if (!err)
        err = &local;
    err->status = LODGE_OK;
    err->trap = LODGE_TRAP_NONE;
    err->message[0] = err->backtrace[0] = 0;
    if (nimports != m->nimports) {
        lodge_error_set(err, LODGE_ERR_UNLINKABLE, "module needs %u imports, %zu given", m->nimports, nimports);
        return NULL;
    }
    lodge_instance_t *in = instance_alloc(s, m);
    if (!in) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
        err->trap = LODGE_TRAP_OUT_OF_MEMORY;
        return NULL;
    }
    uint32_t ndef = m->nfuncs - m->nimported_funcs;
    uint32_t nf = 0, nt = 0, ng = 0;
    bool data_in_image = false;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (!link_import(in, m, i, &imports[i], &nf, &nt, &ng, err))
            return NULL;
    for (uint32_t i = 0; i < ndef; i++) {
        lodge_func_t *f = &in->own_funcs[i];
        const FuncType *t = module_func_type(m, m->nimported_funcs + i);
        f->type_id = t->id;
        f->type = t; /* the module's copy: same id as the engine's, and it outlives the instance */
        f->inst = in;
        f->index = m->nimported_funcs + i;
        f->code = m->bodies[i].code;
        f->store = s;
        in->funcs[nf++] = f;
    }
    for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
        in->tables[nt] = table_new(s, m->tables[i].elem, m->tables[i].lim, NULL, err);
        if (!in->tables[nt++])
            return NULL;
    }
    if (m->nmems > m->nimported_mems) {
        MemImage image;
        bool has_image = !s->engine->cfg.copy_data_segments && image_get(m, &image.fd, &image.size, &image.id);
        in->mem = memory_new(s, m->mems[m->nimported_mems], has_image ? &image : NULL, err);
        if (!in->mem)
            return NULL;
        data_in_image = in->mem->image != 0;
    }
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
        lodge_global_t *g = &in->own_globals[i - m->nimported_globals];
        g->type = m->globals[i].type;
        g->mut = m->globals[i].mut;
        g->val = interp_const_expr(in, &m->global_inits[i - m->nimported_globals]);
        in->globals[ng++] = g;
    }
    if (!init_segments(s, in, data_in_image, err))
        return NULL;
    if (m->has_start) {
        if (!exec_call(s, in->funcs[m->start], NULL, NULL, err))
            return NULL;
    }
    return in;
}

bool lodge_instance_export(const lodge_instance_t *in, const char *name, lodge_extern_t *out)
{
    return lodge_instance_export_n(in, name, strlen(name), out);
}

bool lodge_instance_export_n(const lodge_instance_t *in, const char *name, size_t len, lodge_extern_t *out)
{
    const Module *m = in->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const Export *e = &m->exports[i];
        if (e->name_len != len || memcmp(e->name, name, len) != 0)
            continue;
        out->kind = e->kind;
        switch (e->kind) {
        case LODGE_EXTERN_FUNC: out->of.func = in->funcs[e->index]; break;
        case LODGE_EXTERN_TABLE: out->of.table = in->tables[e->index]; break;
        case LODGE_EXTERN_MEMORY: out->of.memory = in->mem; break;
        case LODGE_EXTERN_GLOBAL: out->of.global = in->globals[e->index]; break;
        }
        return true;
    }
    return false;
}

const lodge_module_t *lodge_instance_module(const lodge_instance_t *in)
{
    return (const lodge_module_t *)in->module;
}
