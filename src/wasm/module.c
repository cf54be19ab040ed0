/* module.c: the public module API: decode, validate and lower once; describe imports and exports. */
#include <stdlib.h>
#include <string.h>

#include "wasm/engine.h"
#include "wasm/interp/code.h"
#include "wasm/module.h"

struct lodge_module {
    Module m;
};

static void clear(lodge_error_t *err)
{
    if (err) {
        err->status = LODGE_OK;
        err->trap = LODGE_TRAP_NONE;
        err->exit_code = 0;
        err->offset = 0;
        err->message[0] = 0;
        err->backtrace[0] = 0;
    }
}

static void free_codes(Module *m)
{
    if (!m->bodies)
        return;
    for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++)
        if (m->bodies[i].code) {
            interp_code_free(m, m->bodies[i].code);
            m->bodies[i].code = NULL;
        }
}

bool lodge_module_validate(lodge_engine_t *engine, const uint8_t *bytes, size_t len, lodge_error_t *err)
{
    lodge_error_t local;
    if (!err)
        err = &local;
    clear(err);
    Module *m = module_decode(engine, NULL, bytes, len, err);
    if (!m)
        return false;
    bool ok = module_validate(m, err);
    module_free(m);
    return ok;
}

lodge_module_t *lodge_module_new(lodge_engine_t *engine, const uint8_t *bytes, size_t len, lodge_error_t *err)
{
    lodge_error_t local;
    if (!err)
        err = &local;
    clear(err);
    Module *m = module_decode(engine, NULL, bytes, len, err);
    if (!m)
        return NULL;
    if (!module_validate(m, err)) {
        module_free(m);
        return NULL;
    }
    /* Functions are lowered to threaded code on their first call (interp_code_get), so a large module
     * whose program uses a small part of it starts quickly; validation above covered all of them. */
    return (lodge_module_t *)m;
}

void lodge_module_delete(lodge_module_t *module)
{
    if (!module)
        return;
    free_codes(&module->m);
    module_free(&module->m);
}

size_t lodge_module_memory_used(const lodge_module_t *module)
{
    Module *m = (Module *)&module->m; /* the lock and the allocator are the module's mutable part */
    pthread_mutex_lock(&m->lock);
    size_t n = m->alloc.used;
    pthread_mutex_unlock(&m->lock);
    return n;
}

const Module *module_of(const lodge_module_t *module)
{
    return &module->m;
}

uint32_t lodge_module_num_imports(const lodge_module_t *module) { return module->m.nimports; }
uint32_t lodge_module_num_exports(const lodge_module_t *module) { return module->m.nexports; }

void lodge_module_import(const lodge_module_t *module, uint32_t i, lodge_import_desc_t *out)
{
    const Module *m = &module->m;
    const Import *im = &m->imports[i];
    memset(out, 0, sizeof *out);
    out->module = im->module;
    out->name = im->name;
    out->module_len = im->module_len;
    out->name_len = im->name_len;
    out->kind = im->kind;
    switch (im->kind) {
    case LODGE_EXTERN_FUNC: {
        const FuncType *t = &m->types[im->of.type_idx];
        out->func.nparams = t->nparams;
        out->func.nresults = t->nresults;
        out->func.params = t->types;
        out->func.results = t->types + t->nparams;
        break;
    }
    case LODGE_EXTERN_TABLE:
        out->valtype = im->of.table.elem;
        out->limits = (lodge_limits_t){im->of.table.lim.min, im->of.table.lim.max, im->of.table.lim.has_max};
        break;
    case LODGE_EXTERN_MEMORY:
        out->limits = (lodge_limits_t){im->of.mem.min, im->of.mem.max, im->of.mem.has_max};
        break;
    case LODGE_EXTERN_GLOBAL:
        out->valtype = im->of.global.type;
        out->mutable_ = im->of.global.mut;
        break;
    }
}

void lodge_module_export(const lodge_module_t *module, uint32_t i, lodge_export_desc_t *out)
{
    const Export *e = &module->m.exports[i];
    out->name = e->name;
    out->name_len = e->name_len;
    out->kind = e->kind;
    out->index = e->index;
}
