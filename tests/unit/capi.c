/* capi.c: unit tests of the public C API (include/lodge.h): import and export introspection, globals,
 * tables and memories made by the host and shared between instances, linking errors, argument errors,
 * start functions, and the error values' fields. */
#include <string.h>

#include "wasmgen.h"

static void introspection(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    wm_import_func(&w, "env", "f", "il:d");
    wm_import_table(&w, "env", "t", 'r', 2, 9);
    wm_import_memory(&w, "env", "m", 1, -1);
    wm_import_global(&w, "env", "g", 'l', true);
    uint32_t f = WFUNC(&w, ":", "", NOP);
    wm_export(&w, "run", LODGE_EXTERN_FUNC, f);
    wm_export(&w, "tab", LODGE_EXTERN_TABLE, 0);
    wm_export(&w, "mem", LODGE_EXTERN_MEMORY, 0);
    wm_export(&w, "glob", LODGE_EXTERN_GLOBAL, 0);
    Bytes b = wm_finish(&w);
    wm_free(&w);
    /* a name with a NUL byte inside */
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    lodge_module_t *m = lodge_module_new(e, b.p, b.len, &err);
    if (!CHECKF(m != NULL, "compile: %s", err.message))
        goto out;
    CHECK_INT(lodge_module_num_imports(m), 4);
    CHECK_INT(lodge_module_num_exports(m), 4);
    lodge_import_desc_t d;
    lodge_module_import(m, 0, &d);
    CHECK_STR(d.module, "env");
    CHECK_STR(d.name, "f");
    CHECK_INT(d.module_len, 3);
    CHECK_INT(d.kind, LODGE_EXTERN_FUNC);
    CHECK(d.func.nparams == 2 && d.func.nresults == 1);
    CHECK(d.func.params[0] == LODGE_I32 && d.func.params[1] == LODGE_I64 && d.func.results[0] == LODGE_F64);
    lodge_module_import(m, 1, &d);
    CHECK(d.kind == LODGE_EXTERN_TABLE && d.valtype == LODGE_FUNCREF);
    CHECK(d.limits.min == 2 && d.limits.has_max && d.limits.max == 9);
    lodge_module_import(m, 2, &d);
    CHECK(d.kind == LODGE_EXTERN_MEMORY && d.limits.min == 1 && !d.limits.has_max);
    lodge_module_import(m, 3, &d);
    CHECK(d.kind == LODGE_EXTERN_GLOBAL && d.valtype == LODGE_I64 && d.mutable_);
    lodge_export_desc_t x;
    lodge_module_export(m, 0, &x);
    CHECK(strcmp(x.name, "run") == 0 && x.kind == LODGE_EXTERN_FUNC && x.index == f);
    lodge_module_export(m, 3, &x);
    CHECK(strcmp(x.name, "glob") == 0 && x.kind == LODGE_EXTERN_GLOBAL && x.index == 0 && x.name_len == 4);
    lodge_module_delete(m);
out:
    lodge_engine_delete(e);
    bytes_free(&b);
}

static void nul_in_names(UnitCtx *t)
{
    /* export "a\0b": found with lodge_instance_export_n, not with the NUL-terminated lookup of "a" */
    Bytes b = RAW_MODULE(1, 5, 1, 0x60, 0, 1, T_I32,            /* type ():(i32) */
                         3, 2, 1, 0,                            /* one function */
                         7, 7, 1, 3, 'a', 0, 'b', 0, 0,         /* export "a\0b" func 0 */
                         10, 6, 1, 4, 0, I32_CONST, 9, END);
    Rig r;
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        lodge_extern_t e;
        CHECK(!lodge_instance_export(r.inst, "a", &e));
        CHECK(lodge_instance_export_n(r.inst, "a\0b", 3, &e) && e.kind == LODGE_EXTERN_FUNC);
        lodge_export_desc_t x;
        lodge_module_export(r.module, 0, &x);
        CHECK(x.name_len == 3 && memcmp(x.name, "a\0b", 3) == 0);
    }
    rig_close(&r);
    bytes_free(&b);
}

static void globals(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_store_t *s = lodge_store_new(e, NULL);
    lodge_global_t *gi = lodge_global_new(s, LODGE_I64, true, vi64(-7));
    lodge_global_t *gc = lodge_global_new(s, LODGE_F32, false, vf32b(0x7fa00001u));
    REQUIRE(gi && gc);
    lodge_valtype_t vt;
    bool mut;
    lodge_global_type(gi, &vt, &mut);
    CHECK(vt == LODGE_I64 && mut);
    lodge_global_type(gc, &vt, &mut);
    CHECK(vt == LODGE_F32 && !mut);
    CHECK_INT(lodge_global_get(gi).of.i64, -7);
    CHECK_U64(lodge_global_get(gc).of.f32_bits, 0x7fa00001u);
    lodge_error_t err;
    CHECK(!lodge_global_set(gc, vf32(1.0f), &err));
    CHECK_INT(err.status, LODGE_ERR_ARG);
    CHECK(!lodge_global_set(gi, vi32(1), &err)); /* wrong type */
    CHECK_INT(err.status, LODGE_ERR_ARG);
    CHECK(lodge_global_set(gi, vi64(41), &err));
    /* a module importing the mutable global sees and changes the same cell */
    WMod w;
    wm_init(&w);
    wm_import_global(&w, "env", "g", 'l', true);
    WGLOBAL(&w, 'i', true, I32C(5));
    wm_export(&w, "inc", LODGE_EXTERN_FUNC,
              WFUNC(&w, ":l", "", GLOBAL_GET, 0, I64C(1), I64_ADD, GLOBAL_SET, 0, GLOBAL_GET, 0));
    wm_export(&w, "own", LODGE_EXTERN_GLOBAL, 1);
    wm_export(&w, "imp", LODGE_EXTERN_GLOBAL, 0);
    Bytes b = wm_finish(&w);
    wm_free(&w);
    lodge_extern_t imp = {LODGE_EXTERN_GLOBAL, {.global = gi}};
    RigOpts o = {.engine = e, .store = s, .imports = &imp, .nimports = 1};
    Rig r;
    if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
        CHECK_I64(rig_call(&r, "inc", 0), 42);
        CHECK_INT(lodge_global_get(gi).of.i64, 42);
        lodge_extern_t x;
        CHECK(lodge_instance_export(r.inst, "imp", &x) && x.of.global == gi);
        CHECK(lodge_instance_export(r.inst, "own", &x) && x.kind == LODGE_EXTERN_GLOBAL);
        CHECK_INT(lodge_global_get(x.of.global).of.i32, 5);
        CHECK(lodge_global_set(x.of.global, vi32(6), &err));
        CHECK_INT(lodge_global_get(x.of.global).of.i32, 6);
    }
    rig_close(&r);
    /* an immutable global where a mutable one is imported, or of another type: unlinkable */
    lodge_extern_t bad = {LODGE_EXTERN_GLOBAL, {.global = lodge_global_new(s, LODGE_I64, false, vi64(0))}};
    o.imports = &bad;
    CHECK(!rig_open(&r, &b, &o));
    CHECK_INT(r.err.status, LODGE_ERR_UNLINKABLE);
    rig_close(&r);
    bad.of.global = lodge_global_new(s, LODGE_I32, true, vi32(0));
    CHECK(!rig_open(&r, &b, &o));
    CHECK_INT(r.err.status, LODGE_ERR_UNLINKABLE);
    rig_close(&r);
    bytes_free(&b);
    lodge_store_delete(s);
    lodge_engine_delete(e);
}

static void tables_and_memories(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_store_t *s = lodge_store_new(e, NULL);
    lodge_error_t err;
    lodge_table_t *tab = lodge_table_new(s, LODGE_FUNCREF, (lodge_limits_t){2, 4, true}, vref(LODGE_FUNCREF, NULL),
                                         &err);
    lodge_memory_t *mem = lodge_memory_new(s, (lodge_limits_t){1, 3, true}, &err);
    REQUIRE(tab && mem);
    CHECK(lodge_table_new(s, LODGE_I32, (lodge_limits_t){1, 0, false}, vi32(0), &err) == NULL);
    CHECK_INT(err.status, LODGE_ERR_ARG);
    CHECK(lodge_memory_new(s, (lodge_limits_t){2, 1, true}, &err) == NULL);
    CHECK_INT(err.status, LODGE_ERR_ARG);
    CHECK(lodge_memory_new(s, (lodge_limits_t){65537, 0, false}, &err) == NULL);
    CHECK_INT(lodge_table_size(tab), 2);
    lodge_valtype_t et;
    lodge_limits_t lim;
    lodge_table_type(tab, &et, &lim);
    CHECK(et == LODGE_FUNCREF && lim.min == 2 && lim.has_max && lim.max == 4);
    CHECK_INT(lodge_memory_size(mem), 65536);
    lodge_memory_type(mem, &lim);
    CHECK(lim.min == 1 && lim.max == 3);
    CHECK_INT(lodge_memory_grow(mem, 1), 1);
    CHECK_INT(lodge_memory_grow(mem, 2), -1);
    CHECK_INT(lodge_memory_size(mem), 2 * 65536);
    uint8_t *data = lodge_memory_data(mem);
    data[70000] = 0x5a;
    lodge_val_t v;
    CHECK(!lodge_table_get(tab, 2, &v));
    CHECK(!lodge_table_set(tab, 2, vref(LODGE_FUNCREF, NULL)));

    /* a module writing the imported memory and filling the imported table with its own function */
    WMod w;
    wm_init(&w);
    wm_import_table(&w, "env", "t", 'r', 2, 4);
    wm_import_memory(&w, "env", "m", 1, 3);
    uint32_t seven = WFUNC(&w, ":i", "", I32C(7));
    wm_elem_funcs(&w, 1, &seven, 1);
    wm_data(&w, 0, "hi", 2);
    wm_export(&w, "peek", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32_LOAD8_U, MEMARG(0, 0)));
    wm_export(&w, "grow", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, MEMORY_GROW, 0));
    Bytes b = wm_finish(&w);
    wm_free(&w);
    lodge_extern_t imps[2] = {{LODGE_EXTERN_TABLE, {.table = tab}}, {LODGE_EXTERN_MEMORY, {.memory = mem}}};
    RigOpts o = {.engine = e, .store = s, .imports = imps, .nimports = 2};
    Rig r1, r2;
    bool ok1 = rig_open(&r1, &b, &o);
    bool ok2 = rig_open(&r2, &b, &o); /* a second instance over the same memory and table */
    if (CHECKF(ok1 && ok2, "instantiate: %s / %s", r1.err.message, r2.err.message)) {
        CHECK(memcmp(data, "hi", 2) == 0);
        CHECK_I32(rig_call(&r1, "peek", 1, vi32(70000)), 0x5a);
        CHECK(lodge_table_get(tab, 1, &v) && v.of.func != NULL);
        lodge_val_t res[1];
        CHECK(lodge_func_call(s, v.of.func, NULL, 0, res, 1, &err) && res[0].of.i32 == 7);
        /* growth by one instance is seen by the other and by the host */
        CHECK_I32(rig_call(&r1, "grow", 1, vi32(1)), 2);
        CHECK_INT(lodge_memory_size(mem), 3 * 65536);
        data = lodge_memory_data(mem);
        data[3 * 65536 - 1] = 0x77;
        CHECK_I32(rig_call(&r2, "peek", 1, vi32(3 * 65536 - 1)), 0x77);
        CHECK_I32(rig_call(&r2, "grow", 1, vi32(1)), -1);
    }
    rig_close(&r1);
    rig_close(&r2);
    /* imports that do not match */
    lodge_memory_t *small = lodge_memory_new(s, (lodge_limits_t){1, 0, false}, &err); /* no max: too loose */
    lodge_extern_t bad[2] = {{LODGE_EXTERN_TABLE, {.table = tab}}, {LODGE_EXTERN_MEMORY, {.memory = small}}};
    o.imports = bad;
    CHECK(!rig_open(&r1, &b, &o));
    CHECK_INT(r1.err.status, LODGE_ERR_UNLINKABLE);
    rig_close(&r1);
    bad[1] = (lodge_extern_t){LODGE_EXTERN_TABLE, {.table = tab}}; /* wrong kind */
    CHECK(!rig_open(&r1, &b, &o));
    CHECK_INT(r1.err.status, LODGE_ERR_UNLINKABLE);
    CHECK_HAS(r1.err.message, "env");
    rig_close(&r1);
    o.nimports = 1; /* too few */
    CHECK(!rig_open(&r1, &b, &o));
    CHECK_INT(r1.err.status, LODGE_ERR_UNLINKABLE);
    rig_close(&r1);
    bytes_free(&b);
    lodge_store_delete(s);
    lodge_engine_delete(e);
}

static bool host_nop(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                     lodge_error_t *err)
{
    return true;
}

static void call_errors(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    wm_import_func(&w, "env", "h", "i:");
    wm_export(&w, "f", LODGE_EXTERN_FUNC, WFUNC(&w, "il:i", "", LOCAL_GET, 0));
    Bytes b = wm_finish(&w);
    wm_free(&w);
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_store_t *s = lodge_store_new(e, NULL);
    static const lodge_valtype_t i[] = {LODGE_I32}, l[] = {LODGE_I64};
    lodge_func_t *good = lodge_func_new(s, &(lodge_functype_t){1, 0, i, i}, host_nop, NULL, NULL);
    lodge_func_t *wrong = lodge_func_new(s, &(lodge_functype_t){1, 0, l, l}, host_nop, NULL, NULL);
    CHECK(lodge_func_new(s, &(lodge_functype_t){1, 0, i, i}, NULL, NULL, NULL) == NULL);
    lodge_extern_t imp = {LODGE_EXTERN_FUNC, {.func = wrong}};
    RigOpts o = {.engine = e, .store = s, .imports = &imp, .nimports = 1};
    Rig r;
    CHECK(!rig_open(&r, &b, &o));
    CHECK_INT(r.err.status, LODGE_ERR_UNLINKABLE);
    CHECK_HAS(r.err.message, "incompatible import type");
    rig_close(&r);
    imp.of.func = good;
    if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
        lodge_func_t *f = rig_func(&r, "f");
        lodge_functype_t ft;
        lodge_func_type(f, &ft);
        CHECK(ft.nparams == 2 && ft.nresults == 1 && ft.params[1] == LODGE_I64 && ft.results[0] == LODGE_I32);
        lodge_val_t res[1];
        lodge_error_t err;
        CHECK(!lodge_func_call(s, f, (lodge_val_t[]){vi32(1)}, 1, res, 1, &err));
        CHECK_INT(err.status, LODGE_ERR_ARG);
        CHECK(!lodge_func_call(s, f, (lodge_val_t[]){vi32(1), vi32(2)}, 2, res, 1, &err));
        CHECK_INT(err.status, LODGE_ERR_ARG);
        CHECK(!lodge_func_call(s, f, (lodge_val_t[]){vi32(1), vi64(2)}, 2, res, 0, &err)); /* no room */
        CHECK_INT(err.status, LODGE_ERR_ARG);
        CHECK(lodge_func_call(s, f, (lodge_val_t[]){vi32(1), vi64(2)}, 2, res, 1, &err) && res[0].of.i32 == 1);
        CHECK_INT(err.status, LODGE_OK);
        CHECK(lodge_func_call(s, f, (lodge_val_t[]){vi32(3), vi64(2)}, 2, res, 1, NULL)); /* err may be NULL */
        CHECK(lodge_instance_module(r.inst) == r.module);
    }
    rig_close(&r);
    bytes_free(&b);
    lodge_store_delete(s);
    lodge_engine_delete(e);
}

static void start_function(UnitCtx *t)
{
    /* the start function runs at instantiation: it sets a global */
    WMod w;
    wm_init(&w);
    WGLOBAL(&w, 'i', true, I32C(0));
    uint32_t st = WFUNC(&w, ":", "", I32C(99), GLOBAL_SET, 0);
    wm_start(&w, st);
    wm_export(&w, "get", LODGE_EXTERN_FUNC, WFUNC(&w, ":i", "", GLOBAL_GET, 0));
    Bytes b = wm_finish(&w);
    wm_free(&w);
    Rig r;
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message))
        CHECK_I32(rig_call(&r, "get", 0), 99);
    rig_close(&r);
    bytes_free(&b);
    /* a trapping start function fails the instantiation with the trap; the imported memory keeps what
     * the data segments wrote before it ran */
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_store_t *s = lodge_store_new(e, NULL);
    lodge_error_t err;
    lodge_memory_t *mem = lodge_memory_new(s, (lodge_limits_t){1, 0, false}, &err);
    wm_init(&w);
    wm_import_memory(&w, "env", "m", 1, -1);
    wm_data(&w, 10, "kept", 4);
    st = WFUNC(&w, ":", "", UNREACHABLE);
    wm_func_name(&w, st, "boot");
    wm_start(&w, st);
    b = wm_finish(&w);
    wm_free(&w);
    lodge_extern_t imp = {LODGE_EXTERN_MEMORY, {.memory = mem}};
    RigOpts o = {.engine = e, .store = s, .imports = &imp, .nimports = 1};
    CHECK(!rig_open(&r, &b, &o));
    CHECK_INT(r.err.status, LODGE_ERR_TRAP);
    CHECK_INT(r.err.trap, LODGE_TRAP_UNREACHABLE);
    CHECK_HAS(r.err.backtrace, "boot");
    CHECK(memcmp(lodge_memory_data(mem) + 10, "kept", 4) == 0);
    rig_close(&r);
    bytes_free(&b);
    lodge_store_delete(s);
    lodge_engine_delete(e);
}

static void error_values(UnitCtx *t)
{
    static const struct { lodge_trap_kind_t k; const char *name; } names[] = {
        {LODGE_TRAP_UNREACHABLE, "unreachable"},
        {LODGE_TRAP_MEMORY_OOB, "out of bounds memory access"},
        {LODGE_TRAP_TABLE_OOB, "out of bounds table access"},
        {LODGE_TRAP_INDIRECT_NULL, "uninitialized element"},
        {LODGE_TRAP_INDIRECT_TYPE, "indirect call type mismatch"},
        {LODGE_TRAP_DIV_ZERO, "integer divide by zero"},
        {LODGE_TRAP_INT_OVERFLOW, "integer overflow"},
        {LODGE_TRAP_INVALID_CONV, "invalid conversion to integer"},
        {LODGE_TRAP_STACK_EXHAUSTED, "call stack exhausted"},
        {LODGE_TRAP_UNDEFINED_ELEMENT, "undefined element"},
        {LODGE_TRAP_OUT_OF_MEMORY, "out of memory"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK_STR(lodge_trap_name(names[i].k), names[i].name);
    for (int k = LODGE_TRAP_NONE; k <= LODGE_TRAP_OUT_OF_MEMORY; k++)
        CHECKF(lodge_trap_name((lodge_trap_kind_t)k)[0] != 0, "trap %d has an empty name", k);
    CHECK(lodge_trap_name((lodge_trap_kind_t)999) != NULL);
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    CHECK(!lodge_error_set(&err, LODGE_ERR_IO, "file %s, code %d", "x", 5));
    CHECK_INT(err.status, LODGE_ERR_IO);
    CHECK_STR(err.message, "file x, code 5");
    CHECK(!lodge_error_set(NULL, LODGE_ERR_IO, "nothing"));
    /* long messages are cut, never overflow */
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    lodge_error_set(&err, LODGE_ERR_ARG, "%s", big);
    CHECK_INT(strlen(err.message), LODGE_ERROR_MSG_MAX - 1);
    /* store data */
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_store_t *s = lodge_store_new(e, NULL);
    int x;
    CHECK(lodge_store_data(s) == NULL);
    lodge_store_set_data(s, &x);
    CHECK(lodge_store_data(s) == &x);
    lodge_store_delete(s);
    lodge_engine_delete(e);
    lodge_store_delete(NULL);
    lodge_engine_delete(NULL);
    lodge_module_delete(NULL);
}

/* Instances of one module share its compiled code but not their state. */
static void instances_are_separate(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    WGLOBAL(&w, 'i', true, I32C(0));
    wm_export(&w, "bump", LODGE_EXTERN_FUNC,
              WFUNC(&w, ":i", "", GLOBAL_GET, 0, I32C(1), I32_ADD, GLOBAL_SET, 0, GLOBAL_GET, 0));
    Bytes b = wm_finish(&w);
    wm_free(&w);
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_store_t *s = lodge_store_new(e, NULL);
    lodge_error_t err;
    lodge_module_t *m = lodge_module_new(e, b.p, b.len, &err);
    REQUIRE(m);
    lodge_instance_t *a = lodge_instance_new(s, m, NULL, 0, &err), *c = lodge_instance_new(s, m, NULL, 0, &err);
    REQUIRE(a && c);
    lodge_extern_t fa, fc;
    REQUIRE(lodge_instance_export(a, "bump", &fa) && lodge_instance_export(c, "bump", &fc));
    lodge_val_t res[1];
    for (int i = 0; i < 3; i++)
        lodge_func_call(s, fa.of.func, NULL, 0, res, 1, &err);
    CHECK_INT(res[0].of.i32, 3);
    CHECK(lodge_func_call(s, fc.of.func, NULL, 0, res, 1, &err));
    CHECK_INT(res[0].of.i32, 1);
    lodge_store_delete(s);
    lodge_module_delete(m);
    lodge_engine_delete(e);
    bytes_free(&b);
}

/* An empty parameter or result list may be given as NULL. */
static void func_new_null_lists(UnitCtx *t)
{
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_store_t *s = lodge_store_new(e, NULL);
    lodge_functype_t ty = {0, 0, NULL, NULL};
    lodge_func_t *f = lodge_func_new(s, &ty, host_nop, NULL, NULL);
    CHECK(f != NULL);
    lodge_error_t err;
    CHECK(f && lodge_func_call(s, f, NULL, 0, NULL, 0, &err));
    /* counts too large for any function type are refused, without wrapping around */
    static const lodge_valtype_t i[] = {LODGE_I32};
    lodge_functype_t huge = {UINT32_MAX, 2, i, i};
    CHECK(lodge_func_new(s, &huge, host_nop, NULL, NULL) == NULL);
    lodge_store_delete(s);
    lodge_engine_delete(e);
}

UNIT_SUITE(capi, UNIT_TEST(introspection), UNIT_TEST(nul_in_names), UNIT_TEST(globals),
           UNIT_TEST(tables_and_memories), UNIT_TEST(call_errors), UNIT_TEST(start_function),
           UNIT_TEST(error_values), UNIT_TEST(instances_are_separate), UNIT_TEST(func_new_null_lists));
