/* interp_int.c: unit tests of the interpreter's integer operators and control flow, each through
 * lodge_func_call on a small hand-assembled module: arithmetic wrap-around, division and remainder traps,
 * shifts and rotates with masked counts, bit counts, comparisons, sign extension, blocks, loops,
 * br_table, select, locals and globals. */
#include <string.h>

#include "wasmgen.h"

#define BIN32(op, a, b) run_code("ii:i", CODE(LOCAL_GET, 0, LOCAL_GET, 1, op), NULL, 2, vi32(a), vi32(b))
#define BIN64(op, a, b) run_code("ll:l", CODE(LOCAL_GET, 0, LOCAL_GET, 1, op), NULL, 2, vi64(a), vi64(b))
#define CMP64(op, a, b) run_code("ll:i", CODE(LOCAL_GET, 0, LOCAL_GET, 1, op), NULL, 2, vi64(a), vi64(b))
#define UN32(op, a) run_code("i:i", CODE(LOCAL_GET, 0, op), NULL, 1, vi32(a))
#define UN64(op, a) run_code("l:l", CODE(LOCAL_GET, 0, op), NULL, 1, vi64(a))

static void i32_arith(UnitCtx *t)
{
    CHECK_I32(BIN32(I32_ADD, 1, 2), 3);
    CHECK_I32(BIN32(I32_ADD, INT32_MAX, 1), INT32_MIN);
    CHECK_I32(BIN32(I32_SUB, 0, 1), -1);
    CHECK_I32(BIN32(I32_SUB, INT32_MIN, 1), INT32_MAX);
    CHECK_I32(BIN32(I32_MUL, 0x10000, 0x10000), 0);
    CHECK_I32(BIN32(I32_MUL, 0x12345678, 0x10), 0x23456780);
    CHECK_I32(BIN32(I32_MUL, -3, 7), -21);
    CHECK_I32(BIN32(I32_AND, 0xff00ff, 0x0ff0f0), 0x0f00f0);
    CHECK_I32(BIN32(I32_OR, 0xf0, 0x0f), 0xff);
    CHECK_I32(BIN32(I32_XOR, -1, 0x55555555), (int32_t)0xaaaaaaaa);
}

static void i32_division(UnitCtx *t)
{
    CHECK_I32(BIN32(I32_DIV_S, 7, 2), 3);
    CHECK_I32(BIN32(I32_DIV_S, -7, 2), -3); /* truncates toward zero */
    CHECK_I32(BIN32(I32_DIV_S, INT32_MIN, 2), -0x40000000);
    CHECK_I32(BIN32(I32_DIV_U, -1, 2), 0x7fffffff);
    CHECK_I32(BIN32(I32_REM_S, -7, 2), -1); /* takes the dividend's sign */
    CHECK_I32(BIN32(I32_REM_S, 7, -2), 1);
    CHECK_I32(BIN32(I32_REM_S, INT32_MIN, -1), 0); /* no overflow trap for rem */
    CHECK_I32(BIN32(I32_REM_U, -1, 10), 5);
    CHECK_TRAP(BIN32(I32_DIV_S, 1, 0), LODGE_TRAP_DIV_ZERO);
    CHECK_TRAP(BIN32(I32_DIV_U, 1, 0), LODGE_TRAP_DIV_ZERO);
    CHECK_TRAP(BIN32(I32_REM_S, 1, 0), LODGE_TRAP_DIV_ZERO);
    CHECK_TRAP(BIN32(I32_REM_U, 1, 0), LODGE_TRAP_DIV_ZERO);
    CHECK_TRAP(BIN32(I32_DIV_S, INT32_MIN, -1), LODGE_TRAP_INT_OVERFLOW);
    CHECK_TRAP(BIN32(I32_DIV_S, 0, 0), LODGE_TRAP_DIV_ZERO);
    /* the message is the spec's wording */
    Call c = BIN32(I32_DIV_U, 5, 0);
    CHECK_STR(c.err.message, "integer divide by zero");
    c = BIN32(I32_DIV_S, INT32_MIN, -1);
    CHECK_STR(c.err.message, "integer overflow");
}

static void i32_shifts_and_bits(UnitCtx *t)
{
    CHECK_I32(BIN32(I32_SHL, 1, 31), INT32_MIN);
    CHECK_I32(BIN32(I32_SHL, 1, 32), 1);  /* count mod 32 */
    CHECK_I32(BIN32(I32_SHL, 1, 33), 2);
    CHECK_I32(BIN32(I32_SHR_S, INT32_MIN, 31), -1);
    CHECK_I32(BIN32(I32_SHR_S, -8, -1), -1); /* count 31 */
    CHECK_I32(BIN32(I32_SHR_U, INT32_MIN, 31), 1);
    CHECK_I32(BIN32(I32_SHR_U, -1, 36), 0x0fffffff);
    CHECK_I32(BIN32(I32_ROTL, (int32_t)0x80000001, 1), 3);
    CHECK_I32(BIN32(I32_ROTL, 0x12345678, 36), 0x23456781);
    CHECK_I32(BIN32(I32_ROTR, 3, 1), (int32_t)0x80000001);
    CHECK_I32(BIN32(I32_ROTR, 0x12345678, 0), 0x12345678);
    CHECK_I32(UN32(I32_CLZ, 0), 32);
    CHECK_I32(UN32(I32_CLZ, 1), 31);
    CHECK_I32(UN32(I32_CLZ, -1), 0);
    CHECK_I32(UN32(I32_CTZ, 0), 32);
    CHECK_I32(UN32(I32_CTZ, INT32_MIN), 31);
    CHECK_I32(UN32(I32_POPCNT, 0), 0);
    CHECK_I32(UN32(I32_POPCNT, -1), 32);
    CHECK_I32(UN32(I32_POPCNT, 0x01010101), 4);
    CHECK_I32(UN32(I32_EXTEND8_S, 0x80), -128);
    CHECK_I32(UN32(I32_EXTEND8_S, 0x17f), 127);
    CHECK_I32(UN32(I32_EXTEND16_S, 0x8000), -32768);
    CHECK_I32(UN32(I32_EXTEND16_S, 0x12347fff), 0x7fff);
}

static void i32_compare(UnitCtx *t)
{
    CHECK_I32(UN32(I32_EQZ, 0), 1);
    CHECK_I32(UN32(I32_EQZ, INT32_MIN), 0);
    CHECK_I32(BIN32(I32_EQ, -1, -1), 1);
    CHECK_I32(BIN32(I32_NE, -1, -1), 0);
    CHECK_I32(BIN32(I32_LT_S, -1, 0), 1);
    CHECK_I32(BIN32(I32_LT_U, -1, 0), 0);
    CHECK_I32(BIN32(I32_GT_S, -1, 0), 0);
    CHECK_I32(BIN32(I32_GT_U, -1, 0), 1);
    CHECK_I32(BIN32(I32_LE_S, 5, 5), 1);
    CHECK_I32(BIN32(I32_LE_U, INT32_MIN, INT32_MAX), 0);
    CHECK_I32(BIN32(I32_GE_S, INT32_MIN, INT32_MAX), 0);
    CHECK_I32(BIN32(I32_GE_U, INT32_MIN, INT32_MAX), 1);
}

static void i64_ops(UnitCtx *t)
{
    CHECK_I64(BIN64(I64_ADD, INT64_MAX, 1), INT64_MIN);
    CHECK_I64(BIN64(I64_SUB, 0, 1), -1);
    CHECK_I64(BIN64(I64_MUL, 0x100000000ll, 0x100000000ll), 0);
    CHECK_I64(BIN64(I64_MUL, 0x0123456789abcdefll, 0xfedcba9876543210ull), 0x2236d88fe5618cf0ll);
    CHECK_I64(BIN64(I64_DIV_S, -7, 2), -3);
    CHECK_I64(BIN64(I64_DIV_U, -1, 2), INT64_MAX);
    CHECK_I64(BIN64(I64_REM_S, INT64_MIN, -1), 0);
    CHECK_I64(BIN64(I64_REM_U, -1, 10), 5);
    CHECK_TRAP(BIN64(I64_DIV_S, 1, 0), LODGE_TRAP_DIV_ZERO);
    CHECK_TRAP(BIN64(I64_DIV_U, 1, 0), LODGE_TRAP_DIV_ZERO);
    CHECK_TRAP(BIN64(I64_REM_S, 1, 0), LODGE_TRAP_DIV_ZERO);
    CHECK_TRAP(BIN64(I64_REM_U, 1, 0), LODGE_TRAP_DIV_ZERO);
    CHECK_TRAP(BIN64(I64_DIV_S, INT64_MIN, -1), LODGE_TRAP_INT_OVERFLOW);
    CHECK_I64(BIN64(I64_SHL, 1, 63), INT64_MIN);
    CHECK_I64(BIN64(I64_SHL, 1, 64), 1);
    CHECK_I64(BIN64(I64_SHR_S, INT64_MIN, 127), -1);
    CHECK_I64(BIN64(I64_SHR_U, INT64_MIN, 63), 1);
    CHECK_I64(BIN64(I64_ROTL, (int64_t)0x8000000000000001ull, 1), 3);
    CHECK_I64(BIN64(I64_ROTR, 1, 65), INT64_MIN);
    CHECK_I64(BIN64(I64_AND, -1, 0x00ff00ff00ff00ffll), 0x00ff00ff00ff00ffll);
    CHECK_I64(BIN64(I64_OR, 0x0f00000000000000ll, 0xf0), 0x0f000000000000f0ll);
    CHECK_I64(BIN64(I64_XOR, -1, 0), -1);
    CHECK_I64(UN64(I64_CLZ, 0), 64);
    CHECK_I64(UN64(I64_CLZ, 1), 63);
    CHECK_I64(UN64(I64_CTZ, 0), 64);
    CHECK_I64(UN64(I64_CTZ, INT64_MIN), 63);
    CHECK_I64(UN64(I64_POPCNT, -1), 64);
    CHECK_I64(UN64(I64_EXTEND8_S, 0xff), -1);
    CHECK_I64(UN64(I64_EXTEND16_S, 0x8000), -32768);
    CHECK_I64(UN64(I64_EXTEND32_S, 0x80000000ll), INT32_MIN);
    CHECK_I64(UN64(I64_EXTEND32_S, 0x1234567fffffffll), INT32_MAX);
    CHECK_I32(run_code("l:i", CODE(LOCAL_GET, 0, I64_EQZ), NULL, 1, vi64(0x100000000ll)), 0);
    CHECK_I32(CMP64(I64_LT_S, -1, 0), 1);
    CHECK_I32(CMP64(I64_LT_U, -1, 0), 0);
    CHECK_I32(CMP64(I64_GE_U, INT64_MIN, INT64_MAX), 1);
    CHECK_I32(CMP64(I64_EQ, 0x100000000ll, 0), 0); /* upper halves count */
    CHECK_I32(CMP64(I64_NE, 0x100000000ll, 0), 1);
    CHECK_I32(CMP64(I64_LE_S, INT64_MIN, INT64_MIN), 1);
    CHECK_I32(CMP64(I64_GT_U, 1, 0), 1);
}

static void widths(UnitCtx *t)
{
    CHECK_I32(run_code("l:i", CODE(LOCAL_GET, 0, I32_WRAP_I64), NULL, 1, vi64(0x123456789abcdefll)), (int32_t)0x89abcdef);
    CHECK_I64(run_code("i:l", CODE(LOCAL_GET, 0, I64_EXTEND_I32_S), NULL, 1, vi32(-2)), -2);
    CHECK_I64(run_code("i:l", CODE(LOCAL_GET, 0, I64_EXTEND_I32_U), NULL, 1, vi32(-2)), 0xfffffffell);
    /* constants of every size survive the threaded form */
    CHECK_I32(run_code(":i", CODE(I32C(INT32_MIN)), NULL, 0), INT32_MIN);
    CHECK_I64(run_code(":l", CODE(I64C(INT64_MIN)), NULL, 0), INT64_MIN);
    CHECK_I64(run_code(":l", CODE(I64_CONST, 0x7f), NULL, 0), -1); /* minimal one-byte encoding */
    /* an i32 result never leaks high bits from an earlier i64 in the same slot */
    CHECK_I64(run_code("l:l", CODE(LOCAL_GET, 0, I32_WRAP_I64, I64_EXTEND_I32_U), NULL, 1, vi64(-1)), 0xffffffffll);
}

static void control_flow(UnitCtx *t)
{
    /* sum 1..n with a loop and br_if */
    static const uint8_t sum[] = {
        BLOCK, T_EMPTY, LOOP, T_EMPTY,
        LOCAL_GET, 0, I32_EQZ, BR_IF, 1,
        LOCAL_GET, 1, LOCAL_GET, 0, I32_ADD, LOCAL_SET, 1,
        LOCAL_GET, 0, I32C(1), I32_SUB, LOCAL_SET, 0,
        BR, 0, END, END, LOCAL_GET, 1};
    WMod w;
    wm_init(&w);
    uint32_t f = wm_func(&w, "i:i", "i", sum, sizeof sum);
    wm_export(&w, "sum", LODGE_EXTERN_FUNC, f);
    /* br_table: 0 -> 10, 1 -> 11, else -> 12 */
    f = WFUNC(&w, "i:i", "", BLOCK, T_EMPTY, BLOCK, T_EMPTY, BLOCK, T_EMPTY, LOCAL_GET, 0, BR_TABLE, 2, 0, 1, 2,
              END, I32C(10), RETURN, END, I32C(11), RETURN, END, I32C(12));
    wm_export(&w, "table", LODGE_EXTERN_FUNC, f);
    /* if/else with a result */
    f = WFUNC(&w, "i:i", "", LOCAL_GET, 0, IF, T_I32, I32C(100), ELSE, I32C(200), END);
    wm_export(&w, "ifelse", LODGE_EXTERN_FUNC, f);
    /* br out of a block carrying a value, dropping what is above it */
    f = WFUNC(&w, ":i", "", BLOCK, T_I32, I32C(1), I32C(2), I32C(3), BR, 0, END);
    wm_export(&w, "brval", LODGE_EXTERN_FUNC, f);
    /* multi-value: a block [i32 i32] -> [i32 i32] that swaps, then subtracts */
    uint32_t ty = wm_type(&w, "ii:ii");
    f = WFUNC(&w, "ii:i", "i", LOCAL_GET, 0, LOCAL_GET, 1, BLOCK, (uint8_t)ty, LOCAL_SET, 2, LOCAL_GET, 2, END,
              I32_SUB);
    wm_export(&w, "multi", LODGE_EXTERN_FUNC, f);
    /* select, both ways */
    f = WFUNC(&w, "i:l", "", I64C(7), I64C(9), LOCAL_GET, 0, SELECT);
    wm_export(&w, "select", LODGE_EXTERN_FUNC, f);
    /* local.tee and globals */
    WGLOBAL(&w, 'i', true, I32C(40));
    f = WFUNC(&w, "i:i", "", GLOBAL_GET, 0, LOCAL_GET, 0, I32_ADD, LOCAL_TEE, 0, GLOBAL_SET, 0, GLOBAL_GET, 0,
              LOCAL_GET, 0, I32_ADD);
    wm_export(&w, "glob", LODGE_EXTERN_FUNC, f);
    /* a loop with a parameter (multi-value loop type [i32] -> [i32]): count down to 0 */
    ty = wm_type(&w, "i:i");
    f = WFUNC(&w, "i:i", "", LOCAL_GET, 0, LOOP, (uint8_t)ty, I32C(1), I32_SUB, LOCAL_TEE, 0, LOCAL_GET, 0, BR_IF, 0,
              END);
    wm_export(&w, "loopparam", LODGE_EXTERN_FUNC, f);
    Bytes b = wm_finish(&w);
    Rig r;
    if (!CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        rig_close(&r);
        bytes_free(&b);
        wm_free(&w);
        return;
    }
    CHECK_I32(rig_call(&r, "sum", 1, vi32(100)), 5050);
    CHECK_I32(rig_call(&r, "sum", 1, vi32(0)), 0);
    CHECK_I32(rig_call(&r, "table", 1, vi32(0)), 10);
    CHECK_I32(rig_call(&r, "table", 1, vi32(1)), 11);
    CHECK_I32(rig_call(&r, "table", 1, vi32(2)), 12);
    CHECK_I32(rig_call(&r, "table", 1, vi32(-1)), 12);
    CHECK_I32(rig_call(&r, "ifelse", 1, vi32(5)), 100);
    CHECK_I32(rig_call(&r, "ifelse", 1, vi32(0)), 200);
    CHECK_I32(rig_call(&r, "brval", 0), 3);
    CHECK_I32(rig_call(&r, "multi", 2, vi32(10), vi32(3)), 7);
    CHECK_I64(rig_call(&r, "select", 1, vi32(1)), 7);
    CHECK_I64(rig_call(&r, "select", 1, vi32(0)), 9);
    CHECK_I32(rig_call(&r, "glob", 1, vi32(2)), 84);   /* g = 42, local = 42 */
    CHECK_I32(rig_call(&r, "glob", 1, vi32(0)), 84);   /* g = 42 + 0 */
    CHECK_I32(rig_call(&r, "loopparam", 1, vi32(50)), 0);
    CHECK_TRAP(run_code(":", CODE(UNREACHABLE), NULL, 0), LODGE_TRAP_UNREACHABLE);
    rig_close(&r);
    bytes_free(&b);
    wm_free(&w);
}

UNIT_SUITE(interp_int, UNIT_TEST(i32_arith), UNIT_TEST(i32_division), UNIT_TEST(i32_shifts_and_bits),
           UNIT_TEST(i32_compare), UNIT_TEST(i64_ops), UNIT_TEST(widths), UNIT_TEST(control_flow));
