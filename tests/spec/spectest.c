/* spectest.c: the `spectest` host module of the spec scripts (the spec interpreter's spectest.ml), made
 * from Lodge's public host-object constructors. */
#include <string.h>

#include "spec.h"

/* The print functions only have to exist with the right types; the output would drown the results. */
static bool spectest_print(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                           lodge_error_t *err)
{
    return true;
}

static bool spectest_add_func(Spectest *st, lodge_store_t *store, const char *name, uint32_t nparams,
                              const lodge_valtype_t *params)
{
    lodge_functype_t ft = {.nparams = nparams, .nresults = 0, .params = params, .results = NULL};
    lodge_func_t *f = lodge_func_new(store, &ft, spectest_print, NULL, NULL);
    if (!f)
        return false;
    st->exports[st->n++] = (HostExport){name, {.kind = LODGE_EXTERN_FUNC, .of.func = f}};
    return true;
}

static bool spectest_add_global(Spectest *st, lodge_store_t *store, const char *name, lodge_val_t v)
{
    lodge_global_t *g = lodge_global_new(store, v.type, false, v);
    if (!g)
        return false;
    st->exports[st->n++] = (HostExport){name, {.kind = LODGE_EXTERN_GLOBAL, .of.global = g}};
    return true;
}

/* Builds the host module every spec script may import: print*, four globals (666, 666.6), a funcref
 * table 10..20 and a memory 1..2 pages (the spec interpreter's spectest.ml). */
bool spectest_init(Spectest *st, lodge_store_t *store, lodge_error_t *err)
{
    static const lodge_valtype_t p_i32[] = {LODGE_I32}, p_i64[] = {LODGE_I64}, p_f32[] = {LODGE_F32},
                                 p_f64[] = {LODGE_F64}, p_i32_f32[] = {LODGE_I32, LODGE_F32},
                                 p_f64_f64[] = {LODGE_F64, LODGE_F64};
    float f32 = 666.6f;
    double f64 = 666.6;
    lodge_val_t g;
    st->n = 0;
    if (!spectest_add_func(st, store, "print", 0, NULL) || !spectest_add_func(st, store, "print_i32", 1, p_i32) ||
        !spectest_add_func(st, store, "print_i64", 1, p_i64) || !spectest_add_func(st, store, "print_f32", 1, p_f32) ||
        !spectest_add_func(st, store, "print_f64", 1, p_f64) ||
        !spectest_add_func(st, store, "print_i32_f32", 2, p_i32_f32) ||
        !spectest_add_func(st, store, "print_f64_f64", 2, p_f64_f64))
        return lodge_error_set(err, LODGE_ERR_NOMEM, "spectest: cannot create host functions");
    g = (lodge_val_t){.type = LODGE_I32, .of.i32 = 666};
    if (!spectest_add_global(st, store, "global_i32", g))
        return lodge_error_set(err, LODGE_ERR_NOMEM, "spectest: cannot create globals");
    g = (lodge_val_t){.type = LODGE_I64, .of.i64 = 666};
    if (!spectest_add_global(st, store, "global_i64", g))
        return lodge_error_set(err, LODGE_ERR_NOMEM, "spectest: cannot create globals");
    g = (lodge_val_t){.type = LODGE_F32};
    memcpy(&g.of.f32_bits, &f32, sizeof f32);
    if (!spectest_add_global(st, store, "global_f32", g))
        return lodge_error_set(err, LODGE_ERR_NOMEM, "spectest: cannot create globals");
    g = (lodge_val_t){.type = LODGE_F64};
    memcpy(&g.of.f64_bits, &f64, sizeof f64);
    if (!spectest_add_global(st, store, "global_f64", g))
        return lodge_error_set(err, LODGE_ERR_NOMEM, "spectest: cannot create globals");

    lodge_limits_t tl = {.min = 10, .max = 20, .has_max = true};
    lodge_table_t *t = lodge_table_new(store, LODGE_FUNCREF, tl, (lodge_val_t){.type = LODGE_FUNCREF}, err);
    if (!t)
        return false;
    st->exports[st->n++] = (HostExport){"table", {.kind = LODGE_EXTERN_TABLE, .of.table = t}};
    lodge_limits_t ml = {.min = 1, .max = 2, .has_max = true};
    lodge_memory_t *m = lodge_memory_new(store, ml, err);
    if (!m)
        return false;
    st->exports[st->n++] = (HostExport){"memory", {.kind = LODGE_EXTERN_MEMORY, .of.memory = m}};
    return true;
}

bool spectest_export(const Spectest *st, const char *name, lodge_extern_t *out)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->exports[i].name, name) == 0) {
            *out = st->exports[i].ext;
            return true;
        }
    return false;
}
