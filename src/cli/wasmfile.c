/* wasmfile.c: decoding a module file for the inspecting verbs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/wasmfile.h"

Module *wasmfile_open(lodge_engine_t *engine, const char *path)
{
    size_t len;
    uint8_t *bytes = cli_load_module_bytes(path, &len);
    if (!bytes)
        return NULL;
    lodge_error_t err;
    Module *m = module_decode(engine, NULL, bytes, len, &err);
    free(bytes);
    if (!m)
        fprintf(stderr, "lodge: %s: malformed: %s\n", path, err.message);
    return m;
}

void wasmfile_close(Module *m)
{
    module_free(m);
}

const char *wasmfile_valtype(ValType t)
{
    switch (t) {
    case LODGE_I32: return "i32";
    case LODGE_I64: return "i64";
    case LODGE_F32: return "f32";
    case LODGE_F64: return "f64";
    case LODGE_V128: return "v128";
    case LODGE_FUNCREF: return "funcref";
    case LODGE_EXTERNREF: return "externref";
    default: return "?";
    }
}

void wasmfile_functype(const FuncType *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
#define PUT(...) (used += (size_t)snprintf(buf + used, used < n ? n - used : 0, __VA_ARGS__))
    if (t->nparams) {
        PUT("(param");
        for (uint32_t i = 0; i < t->nparams && used < n; i++)
            PUT(" %s", wasmfile_valtype(t->types[i]));
        PUT(")");
    }
    if (t->nresults) {
        PUT("%s(result", t->nparams ? " " : "");
        for (uint32_t i = 0; i < t->nresults && used < n; i++)
            PUT(" %s", wasmfile_valtype(t->types[t->nparams + i]));
        PUT(")");
    }
#undef PUT
}

const char *wasmfile_func_name(const Module *m, uint32_t idx)
{
    if (m->func_names && idx < m->nfuncs && m->func_names[idx])
        return m->func_names[idx];
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == LODGE_EXTERN_FUNC && m->exports[i].index == idx)
            return m->exports[i].name;
    for (uint32_t i = 0, f = 0; i < m->nimports; i++)
        if (m->imports[i].kind == LODGE_EXTERN_FUNC && f++ == idx)
            return m->imports[i].name;
    return NULL;
}
