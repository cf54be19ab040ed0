/* func.c: host functions, function introspection and the caller view host functions get. */
#include <stdlib.h>
#include <string.h>

#include "wasm/engine.h"
#include "wasm/runtime.h"

lodge_func_t *lodge_func_new(lodge_store_t *s, const lodge_functype_t *type, lodge_host_fn fn, void *env,
                             void (*finalizer)(void *))
{
    ValType buf[256];
    /* Two comparisons, not one sum, so huge counts cannot wrap around; memcpy from NULL is undefined
     * even for 0 bytes, and NULL is a fine empty list. */
    if (!fn || type->nparams > sizeof buf || type->nresults > sizeof buf - type->nparams)
        return NULL;
    if (type->nparams)
        memcpy(buf, type->params, type->nparams);
    if (type->nresults)
        memcpy(buf + type->nparams, type->results, type->nresults);
    uint32_t id = engine_intern_type(s->engine, buf, type->nparams, type->nresults);
    if (id == UINT32_MAX)
        return NULL;
    lodge_func_t *f = alloc_calloc(&s->alloc, 1, sizeof *f);
    if (!f)
        return NULL;
    f->type = engine_type(s->engine, id);
    f->type_id = id;
    f->host = fn;
    f->env = env;
    f->finalizer = finalizer;
    f->store = s;
    if (!store_track(s, OBJ_FUNC, f)) {
        alloc_free(&s->alloc, f, sizeof *f);
        return NULL;
    }
    return f;
}

void lodge_func_type(const lodge_func_t *f, lodge_functype_t *out)
{
    out->nparams = f->type->nparams;
    out->nresults = f->type->nresults;
    out->params = f->type->types;
    out->results = f->type->types + f->type->nparams;
}

const char *lodge_func_name(const lodge_func_t *f)
{
    if (!f->inst)
        return NULL;
    const Module *m = f->inst->module;
    if (m->func_names && m->func_names[f->index])
        return m->func_names[f->index];
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == LODGE_EXTERN_FUNC && m->exports[i].index == f->index)
            return m->exports[i].name;
    return NULL;
}

bool lodge_caller_export(lodge_caller_t *caller, const char *name, lodge_extern_t *out)
{
    lodge_func_t *f = (lodge_func_t *)caller;
    if (!f || !f->inst)
        return false;
    return lodge_instance_export(f->inst, name, out);
}

lodge_store_t *lodge_caller_store(lodge_caller_t *caller)
{
    lodge_func_t *f = (lodge_func_t *)caller;
    return f ? f->store : NULL;
}

lodge_memory_t *lodge_caller_memory(lodge_caller_t *caller)
{
    lodge_func_t *f = (lodge_func_t *)caller;
    return f && f->inst ? f->inst->mem : NULL;
}
