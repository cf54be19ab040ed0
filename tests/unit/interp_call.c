/* interp_call.c: unit tests of calls: direct and recursive calls, multiple results, deep recursion
 * ending in "call stack exhausted" (frame limit and value-stack limit), host functions (plain, trapping,
 * exiting, calling back into wasm), and traps carrying a backtrace with names from the name section. */
#include <stdio.h>
#include <string.h>

#include "wasmgen.h"

static void direct_calls(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    /* fac(n) = n <= 1 ? 1 : n * fac(n - 1), on i64 */
    uint32_t fac = WFUNC(&w, "l:l", "", LOCAL_GET, 0, I64C(1), I64_LE_S, IF, T_I64, I64C(1), ELSE, LOCAL_GET, 0,
                         LOCAL_GET, 0, I64C(1), I64_SUB, CALL, 0, I64_MUL, END);
    wm_export(&w, "fac", LODGE_EXTERN_FUNC, fac);
    /* fib(n), doubly recursive */
    uint32_t fib = WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32C(2), I32_LT_U, IF, T_I32, LOCAL_GET, 0, ELSE, LOCAL_GET,
                         0, I32C(1), I32_SUB, CALL, 1, LOCAL_GET, 0, I32C(2), I32_SUB, CALL, 1, I32_ADD, END);
    wm_export(&w, "fib", LODGE_EXTERN_FUNC, fib);
    /* multiple results: divmod(a, b) -> (a / b, a % b), then a caller combining them */
    uint32_t divmod = WFUNC(&w, "ii:ii", "", LOCAL_GET, 0, LOCAL_GET, 1, I32_DIV_U, LOCAL_GET, 0, LOCAL_GET, 1,
                            I32_REM_U);
    wm_export(&w, "divmod", LODGE_EXTERN_FUNC, divmod);
    uint32_t combine = WFUNC(&w, "ii:i", "", LOCAL_GET, 0, LOCAL_GET, 1, CALL, (uint8_t)divmod, I32C(1000),
                             I32_MUL, I32_ADD);
    wm_export(&w, "combine", LODGE_EXTERN_FUNC, combine);
    /* many parameters of mixed types keep their order */
    uint32_t mix = WFUNC(&w, "ildfi:d", "", LOCAL_GET, 0, F64_CONVERT_I32_S, LOCAL_GET, 1, F64_CONVERT_I64_S, F64_ADD,
                         LOCAL_GET, 2, F64_ADD, LOCAL_GET, 3, F64_PROMOTE_F32, F64_ADD, LOCAL_GET, 4,
                         F64_CONVERT_I32_S, F64_MUL);
    uint32_t callmix = WFUNC(&w, ":d", "", I32C(1), I64C(2), F64C(0x4008000000000000ull), F32C(0x40800000), I32C(10),
                             CALL, (uint8_t)mix);
    wm_export(&w, "callmix", LODGE_EXTERN_FUNC, callmix);
    Bytes b = wm_finish(&w);
    wm_free(&w);
    Rig r;
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        CHECK_I64(rig_call(&r, "fac", 1, vi64(20)), 2432902008176640000ll);
        CHECK_I64(rig_call(&r, "fac", 1, vi64(0)), 1);
        CHECK_I32(rig_call(&r, "fib", 1, vi32(20)), 6765);
        Call c = rig_call(&r, "divmod", 2, vi32(47), vi32(10));
        CHECK(c.ok && c.r[0].of.i32 == 4 && c.r[1].of.i32 == 7 && c.r[1].type == LODGE_I32);
        CHECK_I32(rig_call(&r, "combine", 2, vi32(47), vi32(10)), 7004);
        CHECK_F64(rig_call(&r, "callmix", 0), f64_bits(100.0));
    }
    rig_close(&r);
    bytes_free(&b);
}

/* rec(n) = rec(n + 1): unbounded recursion. depth(n) recurses n levels then returns n. */
static Bytes recursion_module(void)
{
    WMod w;
    wm_init(&w);
    wm_export(&w, "rec", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32C(1), I32_ADD, CALL, 0));
    wm_export(&w, "depth", LODGE_EXTERN_FUNC,
              WFUNC(&w, "i:i", "", LOCAL_GET, 0, IF, T_I32, LOCAL_GET, 0, I32C(1), I32_SUB, CALL, 1, I32C(1), I32_ADD,
                    ELSE, I32C(0), END));
    /* a function with a big frame: 2000 locals */
    wm_export(&w, "fat", LODGE_EXTERN_FUNC,
              WFUNC(&w, "i:i", "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
                               "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll",
                    LOCAL_GET, 0, I32C(1), I32_ADD, CALL, 2));
    Bytes b = wm_finish(&w);
    wm_free(&w);
    return b;
}

static void stack_exhaustion(UnitCtx *t)
{
    Bytes b = recursion_module();
    Rig r;
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        Call c = rig_call(&r, "rec", 1, vi32(0));
        CHECK_TRAP(c, LODGE_TRAP_STACK_EXHAUSTED);
        CHECK_STR(c.err.message, "call stack exhausted");
        CHECK_TRAP(rig_call(&r, "fat", 1, vi32(0)), LODGE_TRAP_STACK_EXHAUSTED);
        /* the store is usable afterwards, and moderate recursion works */
        CHECK_I32(rig_call(&r, "depth", 1, vi32(5000)), 5000);
        CHECK_TRAP(rig_call(&r, "rec", 1, vi32(0)), LODGE_TRAP_STACK_EXHAUSTED);
    }
    rig_close(&r);
    /* the frame limit is configurable */
    lodge_config_t cfg = {.max_call_depth = 100};
    RigOpts o = {.cfg = &cfg};
    if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
        CHECK_I32(rig_call(&r, "depth", 1, vi32(90)), 90);
        CHECK_TRAP(rig_call(&r, "depth", 1, vi32(150)), LODGE_TRAP_STACK_EXHAUSTED);
    }
    rig_close(&r);
    /* so is the value stack: 64 KiB holds few frames of 150 slots */
    lodge_config_t cfg2 = {.max_value_stack = 64 * 1024};
    o.cfg = &cfg2;
    if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
        CHECK_I32(rig_call(&r, "depth", 1, vi32(10)), 10);
        CHECK_TRAP(rig_call(&r, "fat", 1, vi32(0)), LODGE_TRAP_STACK_EXHAUSTED);
        CHECK_TRAP(rig_call(&r, "depth", 1, vi32(100000)), LODGE_TRAP_STACK_EXHAUSTED);
    }
    rig_close(&r);
    bytes_free(&b);
}

/* ---- Host functions ---- */

static bool host_add(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                     lodge_error_t *err)
{
    int *calls = env;
    (*calls)++;
    results[0].of.i64 = args[0].of.i64 + args[1].of.i32;
    return true;
}

static bool host_fail(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                      lodge_error_t *err)
{
    if (args[0].of.i32 == 0)
        return true;
    lodge_error_set(err, LODGE_ERR_TRAP, "host says no to %d", args[0].of.i32);
    err->trap = LODGE_TRAP_HOST;
    return false;
}

static bool host_exit(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                      lodge_error_t *err)
{
    err->status = LODGE_ERR_EXIT;
    err->exit_code = args[0].of.i32;
    return false;
}

/* Calls the caller's export "twice" with its argument, through the caller view, and adds one. */
static bool host_reenter(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                         lodge_error_t *err)
{
    lodge_extern_t e;
    if (!lodge_caller_export(caller, "twice", &e) || e.kind != LODGE_EXTERN_FUNC)
        return lodge_error_set(err, LODGE_ERR_TRAP, "no export twice");
    lodge_val_t r[1];
    if (!lodge_func_call(lodge_caller_store(caller), e.of.func, args, 1, r, 1, err))
        return false; /* err already says why (a trap in the nested call) */
    results[0] = vi32(r[0].of.i32 + 1);
    return true;
}

static void finalize(void *env) { (*(int *)env) += 1000; }

static void host_functions(UnitCtx *t)
{
    lodge_engine_t *engine = lodge_engine_new(NULL);
    lodge_store_t *store = lodge_store_new(engine, NULL);
    int calls = 0, finalized = 0;
    static const lodge_valtype_t li[] = {LODGE_I64, LODGE_I32}, l[] = {LODGE_I64}, i[] = {LODGE_I32};
    lodge_functype_t add_t = {2, 1, li, l}, fail_t = {1, 0, i, i}, reenter_t = {1, 1, i, i};
    lodge_func_t *add = lodge_func_new(store, &add_t, host_add, &calls, NULL);
    lodge_func_t *fail = lodge_func_new(store, &fail_t, host_fail, &finalized, finalize);
    lodge_func_t *ex = lodge_func_new(store, &fail_t, host_exit, NULL, NULL);
    lodge_func_t *reenter = lodge_func_new(store, &reenter_t, host_reenter, NULL, NULL);
    REQUIRE(add && fail && ex && reenter);
    /* a host function called directly from the host */
    lodge_val_t res[1];
    lodge_error_t err;
    CHECK(lodge_func_call(store, add, (lodge_val_t[]){vi64(40), vi32(2)}, 2, res, 1, &err) && res[0].of.i64 == 42);
    CHECK_INT(res[0].type, LODGE_I64);

    WMod w;
    wm_init(&w);
    wm_import_func(&w, "host", "add", "li:l");
    wm_import_func(&w, "host", "fail", "i:");
    wm_import_func(&w, "host", "exit", "i:");
    wm_import_func(&w, "host", "reenter", "i:i");
    wm_export(&w, "add3", LODGE_EXTERN_FUNC,
              WFUNC(&w, "l:l", "", LOCAL_GET, 0, I32C(1), CALL, 0, I32C(2), CALL, 0, I32C(3), CALL, 0));
    wm_export(&w, "fail", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, CALL, 1, I32C(7)));
    wm_export(&w, "exit", LODGE_EXTERN_FUNC, WFUNC(&w, "i:", "", LOCAL_GET, 0, CALL, 2, UNREACHABLE));
    wm_export(&w, "twice", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32C(2), I32_MUL));
    wm_export(&w, "viahost", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, CALL, 3, I32C(100), I32_ADD));
    /* mutual recursion through the host: pingpong(n) = n ? reenter-chain : 0 */
    wm_export(&w, "deep", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, CALL, 3));
    wm_export(&w, "re_export", LODGE_EXTERN_FUNC, 0);
    Bytes b = wm_finish(&w);
    wm_free(&w);
    lodge_extern_t imports[4] = {{LODGE_EXTERN_FUNC, {.func = add}}, {LODGE_EXTERN_FUNC, {.func = fail}},
                                 {LODGE_EXTERN_FUNC, {.func = ex}}, {LODGE_EXTERN_FUNC, {.func = reenter}}};
    RigOpts o = {.engine = engine, .store = store, .imports = imports, .nimports = 4};
    Rig r;
    if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
        CHECK_I64(rig_call(&r, "add3", 1, vi64(100)), 106);
        CHECK_INT(calls, 4);
        CHECK_I32(rig_call(&r, "fail", 1, vi32(0)), 7);
        Call c = rig_call(&r, "fail", 1, vi32(5));
        CHECK_TRAP(c, LODGE_TRAP_HOST);
        CHECK_HAS(c.err.message, "host says no to 5");
        c = rig_call(&r, "exit", 1, vi32(3));
        CHECK(!c.ok && c.err.status == LODGE_ERR_EXIT && c.err.exit_code == 3);
        CHECK_I32(rig_call(&r, "viahost", 1, vi32(20)), 141); /* 20*2 + 1 + 100 */
        /* an imported function re-exported is the same function */
        lodge_func_t *re = rig_func(&r, "re_export");
        CHECK(re == add);
        /* a trap inside the nested call comes out of the outer one with its kind */
        c = rig_call(&r, "fail", 1, vi32(1));
        CHECK_TRAP(c, LODGE_TRAP_HOST);
    }
    rig_close(&r);
    bytes_free(&b);
    CHECK_INT(finalized, 0);
    lodge_store_delete(store);
    CHECK_INT(finalized, 1000); /* the finalizer ran once, with the store */
    lodge_engine_delete(engine);
}

/* wasm -> host -> wasm -> host ... without end: a clean "call stack exhausted", not a host crash. */
static bool host_bounce(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                        lodge_error_t *err)
{
    lodge_extern_t e;
    if (!lodge_caller_export(caller, "bounce", &e))
        return lodge_error_set(err, LODGE_ERR_TRAP, "no export bounce");
    lodge_val_t r[1];
    if (!lodge_func_call(lodge_caller_store(caller), e.of.func, args, 1, r, 1, err))
        return false;
    results[0] = r[0];
    return true;
}

static void host_reentry_depth(UnitCtx *t)
{
    lodge_engine_t *engine = lodge_engine_new(NULL);
    lodge_store_t *store = lodge_store_new(engine, NULL);
    static const lodge_valtype_t i[] = {LODGE_I32};
    lodge_functype_t ty = {1, 1, i, i};
    lodge_func_t *bounce = lodge_func_new(store, &ty, host_bounce, NULL, NULL);
    WMod w;
    wm_init(&w);
    wm_import_func(&w, "host", "bounce", "i:i");
    /* bounce(n) = n < 0 ? n : host_bounce(n + 1) */
    wm_export(&w, "bounce", LODGE_EXTERN_FUNC,
              WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32C(0), I32_LT_S, IF, T_I32, LOCAL_GET, 0, ELSE, LOCAL_GET, 0,
                    I32C(1), I32_ADD, CALL, 0, END));
    Bytes b = wm_finish(&w);
    wm_free(&w);
    lodge_extern_t imp = {LODGE_EXTERN_FUNC, {.func = bounce}};
    RigOpts o = {.engine = engine, .store = store, .imports = &imp, .nimports = 1};
    Rig r;
    if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
        Call c = rig_call(&r, "bounce", 1, vi32(0));
        CHECK_TRAP(c, LODGE_TRAP_STACK_EXHAUSTED);
        /* the store still runs code afterwards; a host function called from the host has no caller
         * instance, so its lodge_caller_export finds nothing */
        CHECK_I32(rig_call(&r, "bounce", 1, vi32(0x7fffffff)), INT32_MIN);
        lodge_val_t res[1];
        lodge_error_t err;
        CHECK(!lodge_func_call(store, bounce, (lodge_val_t[]){vi32(0)}, 1, res, 1, &err));
        CHECK_INT(err.status, LODGE_ERR_TRAP);
        CHECK_INT(err.trap, LODGE_TRAP_HOST);
        CHECK_STR(err.message, "no export bounce");
    }
    rig_close(&r);
    bytes_free(&b);
    lodge_store_delete(store);
    lodge_engine_delete(engine);
}

/* A trap carries a backtrace, innermost frame first, with names from the name section (or, failing
 * that, export names, then func[index]). */
static void backtraces(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    uint32_t inner = WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32C(0), I32_DIV_U);
    uint32_t middle = WFUNC(&w, "i:i", "", LOCAL_GET, 0, CALL, (uint8_t)inner);
    uint32_t outer = WFUNC(&w, "i:i", "", LOCAL_GET, 0, CALL, (uint8_t)middle);
    uint32_t anon = WFUNC(&w, "i:i", "", LOCAL_GET, 0, CALL, (uint8_t)outer);
    uint32_t entry = WFUNC(&w, "i:i", "", LOCAL_GET, 0, CALL, (uint8_t)anon);
    wm_func_name(&w, inner, "inner");
    wm_func_name(&w, middle, "middle");
    wm_func_name(&w, outer, "outer");
    wm_export(&w, "entry_export", LODGE_EXTERN_FUNC, entry);
    Bytes b = wm_finish(&w);
    wm_free(&w);
    Rig r;
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        Call c = rig_call(&r, "entry_export", 1, vi32(1));
        CHECK_TRAP(c, LODGE_TRAP_DIV_ZERO);
        const char *bt = c.err.backtrace;
        const char *p0 = strstr(bt, "0: inner"), *p1 = strstr(bt, "1: middle"), *p2 = strstr(bt, "2: outer");
        char want3[32];
        snprintf(want3, sizeof want3, "3: func[%u]", anon);
        const char *p3 = strstr(bt, want3), *p4 = strstr(bt, "4: entry_export");
        CHECKF(p0 && p1 && p2 && p3 && p4 && p0 < p1 && p1 < p2 && p2 < p3 && p3 < p4, "backtrace:\n%s", bt);
        CHECK_STR(lodge_func_name(rig_func(&r, "entry_export")), "entry_export");
    }
    rig_close(&r);
    bytes_free(&b);
    /* a guard-page fault deep in a call chain has a backtrace too */
    wm_init(&w);
    wm_memory(&w, 1, -1);
    inner = WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32_LOAD, MEMARG(2, 0));
    outer = WFUNC(&w, "i:i", "", LOCAL_GET, 0, CALL, (uint8_t)inner);
    wm_func_name(&w, inner, "load");
    wm_func_name(&w, outer, "caller");
    wm_export(&w, "f", LODGE_EXTERN_FUNC, outer);
    b = wm_finish(&w);
    wm_free(&w);
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        Call c = rig_call(&r, "f", 1, vi32(-4));
        CHECK_TRAP(c, LODGE_TRAP_MEMORY_OOB);
        const char *p0 = strstr(c.err.backtrace, "0: load"), *p1 = strstr(c.err.backtrace, "1: caller");
        CHECKF(p0 && p1 && p0 < p1, "backtrace:\n%s", c.err.backtrace);
    }
    rig_close(&r);
    bytes_free(&b);
}

UNIT_SUITE(interp_call, UNIT_TEST(direct_calls), UNIT_TEST(stack_exhaustion), UNIT_TEST(host_functions),
           UNIT_TEST(host_reentry_depth), UNIT_TEST(backtraces));
