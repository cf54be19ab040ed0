/* validate.c: unit tests of the validator (wasm/validate.c): the typing rules of each instruction family,
 * unknown indices, constant expressions, exports, the start function and limits. Errors inside a body
 * must carry the offset of the offending instruction. */
#include <stdio.h>
#include <string.h>

#include "wasm/module.h"
#include "wasmgen.h"

#define NO_OFFSET (-1)

/* The offset of byte `k` of the code of the last defined function (after its locals). */
static size_t code_offset(lodge_engine_t *e, const Bytes *b, int k)
{
    lodge_error_t err;
    Module *m = module_decode(e, NULL, b->p, b->len, &err);
    if (!m)
        return (size_t)-1;
    uint32_t n = m->nfuncs - m->nimported_funcs;
    size_t off = n ? m->bodies[n - 1].code_start + (size_t)k : (size_t)-1;
    module_free(m);
    return off;
}

/* The module in w must be invalid with message msg; when at >= 0, at the instruction at byte `at` of the
 * last function's code. Frees w. */
static void expect_invalid(UnitCtx *t, const char *what, WMod *w, const char *msg, int at)
{
    Bytes b = wm_finish(w);
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    bool ok = lodge_module_validate(e, b.p, b.len, &err);
    CHECKF(!ok && err.status == LODGE_ERR_INVALID, "%s: status %d \"%s\", expected INVALID", what, err.status,
           err.message);
    CHECKF(strncmp(err.message, msg, strlen(msg)) == 0, "%s: message \"%s\", expected \"%s\"", what, err.message, msg);
    if (at >= 0) {
        size_t want = code_offset(e, &b, at);
        CHECKF(err.offset == want, "%s: offset %zu, expected %zu", what, err.offset, want);
    }
    lodge_engine_delete(e);
    bytes_free(&b);
    wm_free(w);
}

static void expect_valid(UnitCtx *t, const char *what, WMod *w)
{
    Bytes b = wm_finish(w);
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    bool ok = lodge_module_validate(e, b.p, b.len, &err);
    CHECKF(ok, "%s: rejected: %s", what, err.message);
    /* and it compiles */
    lodge_module_t *m = lodge_module_new(e, b.p, b.len, &err);
    CHECKF(m != NULL, "%s: lodge_module_new: %s", what, err.message);
    lodge_module_delete(m);
    lodge_engine_delete(e);
    bytes_free(&b);
    wm_free(w);
}

#define INVALID(msg, at, ...)                                  \
    do {                                                       \
        WMod w_;                                               \
        wm_init(&w_);                                          \
        WMod *w = &w_;                                         \
        __VA_ARGS__;                                           \
        expect_invalid(t, #__VA_ARGS__, w, (msg), (at));       \
    } while (0)
#define VALID(...)                                             \
    do {                                                       \
        WMod w_;                                               \
        wm_init(&w_);                                          \
        WMod *w = &w_;                                         \
        __VA_ARGS__;                                           \
        expect_valid(t, #__VA_ARGS__, w);                      \
    } while (0)

static void numeric(UnitCtx *t)
{
    VALID(WFUNC(w, "ii:i", "", LOCAL_GET, 0, LOCAL_GET, 1, I32_ADD));
    INVALID("type mismatch", 4, WFUNC(w, "il:i", "", LOCAL_GET, 0, LOCAL_GET, 1, I32_ADD));
    INVALID("type mismatch", 0, WFUNC(w, ":i", "", I32_ADD));
    INVALID("type mismatch", 2, WFUNC(w, "f:i", "", LOCAL_GET, 0, I32_EQZ));
    INVALID("type mismatch", 2, WFUNC(w, "d:f", "", LOCAL_GET, 0, F32_NEG));
    INVALID("type mismatch", 3, WFUNC(w, "i:i", "", LOCAL_GET, 0, I64_EXTEND_I32_S));  /* at end: i64 */
    INVALID("type mismatch", 2, WFUNC(w, "i:l", "", LOCAL_GET, 0, I32_TRUNC_SAT_F32_S));
    VALID(WFUNC(w, "d:l", "", LOCAL_GET, 0, I64_TRUNC_SAT_F64_U));
    VALID(WFUNC(w, "f:i", "", LOCAL_GET, 0, I32_REINTERPRET_F32));
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, ":i", "", I64C(1)));                  /* wrong result */
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, ":i", "", I32C(1), I32C(2)));         /* too many values */
}

static void control(UnitCtx *t)
{
    VALID(WFUNC(w, ":i", "", BLOCK, T_I32, I32C(1), END));
    VALID(WFUNC(w, "i:i", "", LOCAL_GET, 0, IF, T_I32, I32C(1), ELSE, I32C(2), END));
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, "i:i", "", LOCAL_GET, 0, IF, T_I32, I32C(1), END));
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, ":", "", BLOCK, T_I32, END));
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, ":", "", BLOCK, T_EMPTY, I32C(1), END));
    INVALID("type mismatch", 0, WFUNC(w, ":", "", IF, T_EMPTY, END));                  /* no condition */
    INVALID("unknown label", 0, WFUNC(w, ":", "", BR, 1));
    INVALID("unknown label", 8, WFUNC(w, ":", "", BLOCK, T_EMPTY, I32C(0), BR_IF, 2, END));
    INVALID("unknown label", NO_OFFSET, WFUNC(w, ":", "", I32C(0), BR_TABLE, 1, 0, 5));
    /* br_table targets of different arity */
    INVALID("type mismatch", NO_OFFSET,
            WFUNC(w, ":i", "", BLOCK, T_I32, BLOCK, T_EMPTY, I32C(1), I32C(0), BR_TABLE, 1, 0, 1, END, I32C(1),
                  END));
    /* unreachable code is polymorphic */
    VALID(WFUNC(w, ":i", "", UNREACHABLE, I32_ADD));
    VALID(WFUNC(w, ":l", "", UNREACHABLE, SELECT));
    VALID(WFUNC(w, ":i", "", BLOCK, T_I32, I32C(1), BR, 0, I32_ADD, END));
    INVALID("type mismatch", 11, WFUNC(w, ":i", "", BLOCK, T_I32, I32C(1), BR, 0, I64_ADD, END)); /* i64 at end */
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, ":i", "", UNREACHABLE, I64C(0), I32_ADD));
    /* multi-value blocks with a type index: [i32 i32] -> [i32] */
    VALID(wm_type(w, "ii:i"), WFUNC(w, ":i", "", I32C(1), I32C(2), BLOCK, 0, I32_ADD, END));
    VALID(wm_type(w, "i:i"), WFUNC(w, ":i", "", I32C(10), LOOP, 0, I32C(1), I32_SUB, END));
    INVALID("type mismatch", NO_OFFSET, wm_type(w, "ii:i"), WFUNC(w, ":i", "", I32C(1), BLOCK, 0, I32_ADD, END));
    INVALID("unknown type", NO_OFFSET, WFUNC(w, ":", "", BLOCK, 9, END));
    VALID(WFUNC(w, "i:i", "", LOCAL_GET, 0, RETURN, I32_ADD));
    VALID(WFUNC(w, "i:i", "", LOCAL_GET, 0, RETURN, DROP, DROP, I32C(0)));
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, ":i", "", I64C(0), RETURN));
    /* nesting */
    VALID(WFUNC(w, ":", "", BLOCK, T_EMPTY, LOOP, T_EMPTY, BLOCK, T_EMPTY, BR, 2, END, END, END));
}

static void select_and_drop(UnitCtx *t)
{
    VALID(WFUNC(w, "ffi:f", "", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, SELECT));
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, "fdi:f", "", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, SELECT));
    /* the untyped select does not take references */
    INVALID("type mismatch", NO_OFFSET,
            WFUNC(w, "rri:r", "", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, SELECT));
    VALID(WFUNC(w, "rri:r", "", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, SELECT_T, 1, T_FUNCREF));
    INVALID("invalid result arity", NO_OFFSET,
            WFUNC(w, "iii:i", "", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, SELECT_T, 2, T_I32, T_I32));
    INVALID("type mismatch", 0, WFUNC(w, ":", "", DROP));
}

static void variables(UnitCtx *t)
{
    VALID(WFUNC(w, "i:l", "ld", LOCAL_GET, 1, LOCAL_GET, 0, LOCAL_SET, 0));
    INVALID("unknown local", 0, WFUNC(w, "i:i", "l", LOCAL_GET, 2));
    INVALID("type mismatch", 6, WFUNC(w, "i:", "l", I32C(0), LOCAL_SET, 1) /* i32 into an i64 local */);
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, "i:", "", F32C(0), LOCAL_TEE, 0, DROP));
    VALID(WGLOBAL(w, 'i', true, I32C(0)), WFUNC(w, ":", "", I32C(1), GLOBAL_SET, 0));
    INVALID("global is immutable", NO_OFFSET, WGLOBAL(w, 'i', false, I32C(0)), WFUNC(w, ":", "", I32C(1), GLOBAL_SET, 0));
    INVALID("unknown global", 0, WFUNC(w, ":i", "", GLOBAL_GET, 0));
    INVALID("type mismatch", NO_OFFSET, WGLOBAL(w, 'l', true, I64C(0)), WFUNC(w, ":", "", I32C(1), GLOBAL_SET, 0));
}

static void memory(UnitCtx *t)
{
    VALID(wm_memory(w, 1, -1), WFUNC(w, "i:l", "", LOCAL_GET, 0, I64_LOAD, MEMARG(3, 8)));
    INVALID("unknown memory", 2, WFUNC(w, "i:i", "", LOCAL_GET, 0, I32_LOAD, MEMARG(2, 0)));
    INVALID("alignment must not be larger than natural", NO_OFFSET, wm_memory(w, 1, -1),
            WFUNC(w, "i:i", "", LOCAL_GET, 0, I32_LOAD, MEMARG(3, 0)));
    INVALID("alignment must not be larger than natural", NO_OFFSET, wm_memory(w, 1, -1),
            WFUNC(w, "i:i", "", LOCAL_GET, 0, I32_LOAD8_U, MEMARG(1, 0)));
    INVALID("type mismatch", NO_OFFSET, wm_memory(w, 1, -1),
            WFUNC(w, "l:i", "", LOCAL_GET, 0, I32_LOAD, MEMARG(2, 0)));   /* address must be i32 */
    INVALID("type mismatch", NO_OFFSET, wm_memory(w, 1, -1),
            WFUNC(w, "i:", "", LOCAL_GET, 0, I64C(0), I32_STORE, MEMARG(2, 0)));
    INVALID("unknown memory", NO_OFFSET, WFUNC(w, ":i", "", MEMORY_SIZE, 0));
    INVALID("unknown memory", NO_OFFSET, WFUNC(w, ":i", "", I32C(1), MEMORY_GROW, 0));
    VALID(wm_memory(w, 1, -1), WFUNC(w, ":", "", I32C(0), I32C(0), I32C(0), MEMORY_FILL, 0));
    INVALID("unknown memory", NO_OFFSET, WFUNC(w, ":", "", I32C(0), I32C(0), I32C(0), MEMORY_COPY, 0, 0));
    INVALID("unknown data segment", NO_OFFSET, wm_memory(w, 1, -1), wm_datacount(w),
            WFUNC(w, ":", "", DATA_DROP, 0));
    VALID(wm_memory(w, 1, -1), wm_datacount(w), wm_data_passive(w, "a", 1),
          WFUNC(w, ":", "", I32C(0), I32C(0), I32C(1), MEMORY_INIT, 0, 0, DATA_DROP, 0));
}

/* memory.init and data.drop need the data count section: a binary-format rule, hence "malformed". */
static void data_count_required(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    wm_memory(&w, 1, -1);
    wm_data_passive(&w, "a", 1);
    WFUNC(&w, ":", "", DATA_DROP, 0);
    Bytes b = wm_finish(&w);
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    CHECK(!lodge_module_validate(e, b.p, b.len, &err));
    CHECK_INT(err.status, LODGE_ERR_MALFORMED);
    CHECK_HAS(err.message, "data count section required");
    lodge_engine_delete(e);
    bytes_free(&b);
    wm_free(&w);
}

static void calls(UnitCtx *t)
{
    VALID(uint32_t f = WFUNC(w, "i:i", "", LOCAL_GET, 0); WFUNC(w, ":i", "", I32C(1), CALL, f));
    INVALID("unknown function", NO_OFFSET, WFUNC(w, ":", "", CALL, 5));
    INVALID("type mismatch", NO_OFFSET, uint32_t f = WFUNC(w, "i:i", "", LOCAL_GET, 0); WFUNC(w, ":i", "", CALL, f));
    VALID(wm_type(w, "i:i"), wm_table(w, 'r', 1, -1), WFUNC(w, ":i", "", I32C(1), I32C(0), CALL_INDIRECT, 0, 0));
    INVALID("unknown table", NO_OFFSET, wm_type(w, "i:i"),
            WFUNC(w, ":i", "", I32C(1), I32C(0), CALL_INDIRECT, 0, 0));
    INVALID("unknown type", NO_OFFSET, wm_table(w, 'r', 1, -1), WFUNC(w, ":i", "", I32C(0), CALL_INDIRECT, 7, 0));
    INVALID("type mismatch", NO_OFFSET, wm_type(w, ":"), wm_table(w, 'x', 1, -1),
            WFUNC(w, ":", "", I32C(0), CALL_INDIRECT, 0, 0)); /* the table must hold funcref */
}

static void references_and_tables(UnitCtx *t)
{
    /* ref.func needs the function declared: in an element segment, an export or a global */
    INVALID("undeclared function reference", NO_OFFSET, WFUNC(w, ":r", "", REF_FUNC, 0));
    VALID(uint32_t f = WFUNC(w, ":r", "", REF_FUNC, 0); wm_export(w, "f", LODGE_EXTERN_FUNC, f));
    VALID(WFUNC(w, ":r", "", REF_FUNC, 0); WELEM(w, 3, 0x00, 1, 0));
    VALID(WFUNC(w, "x:i", "", LOCAL_GET, 0, REF_IS_NULL));
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, "i:i", "", LOCAL_GET, 0, REF_IS_NULL));
    VALID(WFUNC(w, ":x", "", REF_NULL, T_EXTERNREF));
    INVALID("type mismatch", NO_OFFSET, WFUNC(w, ":x", "", REF_NULL, T_FUNCREF));
    VALID(wm_table(w, 'x', 1, -1), WFUNC(w, "i:x", "", LOCAL_GET, 0, TABLE_GET, 0));
    INVALID("unknown table", NO_OFFSET, WFUNC(w, "i:x", "", LOCAL_GET, 0, TABLE_GET, 0));
    INVALID("type mismatch", NO_OFFSET, wm_table(w, 'r', 1, -1), WFUNC(w, "i:x", "", LOCAL_GET, 0, TABLE_GET, 0));
    INVALID("type mismatch", NO_OFFSET, wm_table(w, 'r', 1, -1),
            WFUNC(w, "ix:", "", LOCAL_GET, 0, LOCAL_GET, 1, TABLE_SET, 0));
    VALID(wm_table(w, 'x', 1, -1), WFUNC(w, "x:i", "", LOCAL_GET, 0, I32C(1), TABLE_GROW, 0));
    VALID(wm_table(w, 'x', 1, -1), WFUNC(w, ":i", "", TABLE_SIZE, 0));
    INVALID("unknown table", NO_OFFSET, WFUNC(w, ":i", "", TABLE_SIZE, 0));
    INVALID("unknown elem segment", NO_OFFSET, wm_table(w, 'r', 1, -1),
            WFUNC(w, ":", "", I32C(0), I32C(0), I32C(0), TABLE_INIT, 0, 0));
    INVALID("unknown elem segment", NO_OFFSET, WFUNC(w, ":", "", ELEM_DROP, 0));
    /* table.copy between tables of different element types */
    INVALID("type mismatch", NO_OFFSET, wm_table(w, 'r', 1, -1), wm_table(w, 'x', 1, -1),
            WFUNC(w, ":", "", I32C(0), I32C(0), I32C(0), TABLE_COPY, 0, 1));
    /* table.init of an externref segment into a funcref table */
    INVALID("type mismatch", NO_OFFSET, wm_table(w, 'r', 1, -1), WELEM(w, 5, T_EXTERNREF, 0),
            WFUNC(w, ":", "", I32C(0), I32C(0), I32C(0), TABLE_INIT, 0, 0));
}

static void constant_expressions(UnitCtx *t)
{
    VALID(WGLOBAL(w, 'i', false, I32C(5)));
    INVALID("constant expression required", NO_OFFSET, WGLOBAL(w, 'i', false, I32C(1), I32C(2), I32_ADD));
    INVALID("type mismatch", NO_OFFSET, WGLOBAL(w, 'i', false, I64C(5)));
    INVALID("constant expression required", NO_OFFSET, WGLOBAL(w, 'i', false, NOP));
    INVALID("type mismatch", NO_OFFSET, put_raw(&w->globals, (const uint8_t[]){T_I32, 0, END}, 3), w->nglobals++,
            w->ndef_globals++); /* an empty initializer */
    /* global.get in a constant expression: only imported globals (Wasm 2.0) */
    VALID(wm_import_global(w, "m", "g", 'i', false), WGLOBAL(w, 'i', false, GLOBAL_GET, 0));
    INVALID("unknown global", NO_OFFSET, WGLOBAL(w, 'i', false, I32C(0)), WGLOBAL(w, 'i', false, GLOBAL_GET, 0));
    INVALID("constant expression required", NO_OFFSET, wm_import_global(w, "m", "g", 'i', true),
            WGLOBAL(w, 'i', false, GLOBAL_GET, 0)); /* a mutable global is not constant */
    INVALID("unknown function", NO_OFFSET, WGLOBAL(w, 'r', false, REF_FUNC, 3));
    /* segment offsets */
    INVALID("type mismatch", NO_OFFSET, wm_memory(w, 1, -1),
            put_raw(&w->datas, (const uint8_t[]){0, I64_CONST, 0, END, 0}, 5), w->ndatas++);
    INVALID("constant expression required", NO_OFFSET, wm_memory(w, 1, -1),
            put_raw(&w->datas, (const uint8_t[]){0, I32_CONST, 0, I32_CONST, 0, I32_ADD, END, 0}, 8), w->ndatas++);
    INVALID("unknown memory", NO_OFFSET, wm_data(w, 0, "x", 1));
    INVALID("unknown table", NO_OFFSET, uint32_t f = WFUNC(w, ":", "", NOP); wm_elem_funcs(w, 0, &f, 1));
    INVALID("unknown function", NO_OFFSET, wm_table(w, 'r', 1, -1), WELEM(w, 0, I32C(0), END, 1, 4));
}

static void module_rules(UnitCtx *t)
{
    INVALID("duplicate export name", NO_OFFSET, uint32_t f = WFUNC(w, ":", "", NOP);
            wm_export(w, "a", LODGE_EXTERN_FUNC, f); wm_export(w, "a", LODGE_EXTERN_FUNC, f));
    VALID(uint32_t f = WFUNC(w, ":", "", NOP); wm_export(w, "a", LODGE_EXTERN_FUNC, f);
          wm_export(w, "b", LODGE_EXTERN_FUNC, f));
    INVALID("unknown function", NO_OFFSET, wm_export(w, "a", LODGE_EXTERN_FUNC, 0));
    INVALID("unknown table", NO_OFFSET, wm_export(w, "a", LODGE_EXTERN_TABLE, 0));
    INVALID("unknown memory", NO_OFFSET, wm_export(w, "a", LODGE_EXTERN_MEMORY, 0));
    INVALID("unknown global", NO_OFFSET, wm_export(w, "a", LODGE_EXTERN_GLOBAL, 0));
    VALID(uint32_t f = WFUNC(w, ":", "", NOP); wm_start(w, f));
    INVALID("start function", NO_OFFSET, uint32_t f = WFUNC(w, "i:", "", NOP); wm_start(w, f));
    INVALID("start function", NO_OFFSET, uint32_t f = WFUNC(w, ":i", "", I32C(0)); wm_start(w, f));
    INVALID("unknown function", NO_OFFSET, wm_start(w, 0));
    INVALID("multiple memories", NO_OFFSET, wm_memory(w, 1, -1), wm_memory(w, 1, -1));
    INVALID("multiple memories", NO_OFFSET, wm_import_memory(w, "m", "m", 1, -1), wm_memory(w, 1, -1));
    INVALID("memory size must be at most 65536 pages (4GiB)", NO_OFFSET, wm_memory(w, 65537, -1));
    INVALID("memory size must be at most 65536 pages (4GiB)", NO_OFFSET, wm_memory(w, 0, 65537));
    INVALID("size minimum must not be greater than maximum", NO_OFFSET, wm_memory(w, 2, 1));
    INVALID("size minimum must not be greater than maximum", NO_OFFSET, wm_table(w, 'r', 2, 1));
    VALID(wm_memory(w, 65536, 65536));
    INVALID("unknown type", NO_OFFSET, put_uleb(&w->funcs, 3), w->nfuncs++,
            put_raw(&w->code, (const uint8_t[]){2, 0, END}, 3));
    INVALID("unknown type", NO_OFFSET, wm_import_func(w, "m", "f", ":"), w->imports.p[w->imports.len - 1] = 9);
    VALID(WFUNC(w, ":", "", NOP); wm_import_table(w, "m", "t", 'r', 0, -1); wm_table(w, 'x', 0, -1));
}

/* Deep nesting is bounded, so a hostile module cannot exhaust the validator's memory or the host stack. */
static void deep_nesting(UnitCtx *t)
{
    Bytes code = {0};
    for (int i = 0; i < 5000; i++)
        put_raw(&code, (const uint8_t[]){BLOCK, T_EMPTY}, 2);
    for (int i = 0; i < 5000; i++)
        put_u8(&code, END);
    WMod w;
    wm_init(&w);
    wm_func(&w, ":", "", code.p, code.len);
    expect_valid(t, "5000 nested blocks", &w);
    bytes_free(&code);
    /* 200,000 blocks: rejected (the validator's depth limit), cleanly */
    for (int i = 0; i < 200000; i++)
        put_raw(&code, (const uint8_t[]){BLOCK, T_EMPTY}, 2);
    for (int i = 0; i < 200000; i++)
        put_u8(&code, END);
    wm_init(&w);
    wm_func(&w, ":", "", code.p, code.len);
    Bytes b = wm_finish(&w);
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    CHECK(!lodge_module_validate(e, b.p, b.len, &err));
    CHECK_HAS(err.message, "nested too deeply");
    lodge_engine_delete(e);
    bytes_free(&b);
    bytes_free(&code);
    wm_free(&w);
}

UNIT_SUITE(validate, UNIT_TEST(numeric), UNIT_TEST(control), UNIT_TEST(select_and_drop), UNIT_TEST(variables),
           UNIT_TEST(memory), UNIT_TEST(data_count_required), UNIT_TEST(calls), UNIT_TEST(references_and_tables),
           UNIT_TEST(constant_expressions), UNIT_TEST(module_rules), UNIT_TEST(deep_nesting));
