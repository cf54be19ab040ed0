/* interp_lower.c: unit tests aimed at the lowering to threaded code (interp/lower.c) rather than at single
 * operators: operands addressed in place (a local read before a later local.set must keep the old value),
 * constant operands, compares fused into branches, values carried by branches, and both bounds-check
 * variants. Each case is a small function with a result computed by hand. */
#include <string.h>

#include "wasmgen.h"

typedef struct Case {
    const char *name;
    const char *sig;
    const char *locals;
    uint8_t code[96];
    size_t len;
    int32_t arg;
    int64_t want;
    lodge_trap_kind_t trap; /* LODGE_TRAP_NONE: a result */
} Case;

#define C(...) {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})

static const Case cases[] = {
    /* in-place locals: the stack keeps the value the local had when it was read */
    {"get then set", "i:i", "", C(LOCAL_GET, 0, I32C(5), LOCAL_SET, 0), 3, 3, 0},
    {"get, set, add", "i:i", "", C(LOCAL_GET, 0, I32C(5), LOCAL_SET, 0, LOCAL_GET, 0, I32_ADD), 3, 8, 0},
    {"get then tee", "i:i", "", C(LOCAL_GET, 0, I32C(9), LOCAL_TEE, 0, I32_SUB), 20, 11, 0},
    {"get then set in a block", "i:i", "",
     C(LOCAL_GET, 0, BLOCK, T_EMPTY, I32C(7), LOCAL_SET, 0, END, LOCAL_GET, 0, I32_ADD), 1, 8, 0},
    {"get then set in a loop", "i:i", "i",
     C(LOCAL_GET, 0, LOOP, T_EMPTY, LOCAL_GET, 0, I32C(1), I32_ADD, LOCAL_SET, 0, LOCAL_GET, 1, I32C(1), I32_ADD,
       LOCAL_TEE, 1, I32C(3), I32_LT_U, BR_IF, 0, END, LOCAL_GET, 0, I32_SUB), 10, -3, 0},
    {"get carried by br", "i:i", "",
     C(BLOCK, T_I32, LOCAL_GET, 0, I32C(100), LOCAL_SET, 0, BR, 0, END, LOCAL_GET, 0, I32_SUB), 1, -99, 0},
    {"get carried by br_if", "i:i", "",
     C(BLOCK, T_I32, LOCAL_GET, 0, I32C(100), LOCAL_SET, 0, I32C(1), BR_IF, 0, DROP, I32C(0), END), 4, 4, 0},
    {"get as if result", "i:i", "",
     C(LOCAL_GET, 0, IF, T_I32, LOCAL_GET, 0, I32C(0), LOCAL_SET, 0, ELSE, I32C(-1), END, LOCAL_GET, 0, I32_ADD), 6,
     6, 0},
    {"get as a call argument, set after", "i:i", "",
     C(LOCAL_GET, 0, LOCAL_GET, 0, I32C(1), I32_ADD, LOCAL_SET, 0, LOCAL_GET, 0, CALL, 0, I32_SUB), 5, -2, 0},
    {"get as select operands", "i:i", "",
     C(LOCAL_GET, 0, I32C(50), LOCAL_GET, 0, I32C(0), LOCAL_SET, 0, SELECT), 2, 2, 0},
    {"swap through the stack", "ii:i", "",
     C(LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_SET, 0, LOCAL_SET, 1, LOCAL_GET, 0, I32C(1000), I32_MUL, LOCAL_GET, 1,
       I32_ADD), 0, 0, 0}, /* args (0, 0): 0; the two-arg form is checked below */
    /* constant operands */
    {"div_u by const 0", "i:i", "", C(LOCAL_GET, 0, I32C(0), I32_DIV_U), 7, 0, LODGE_TRAP_DIV_ZERO},
    {"rem_s by const 0", "i:i", "", C(LOCAL_GET, 0, I32C(0), I32_REM_S), 7, 0, LODGE_TRAP_DIV_ZERO},
    {"div_s min by const -1", "i:i", "", C(LOCAL_GET, 0, I32C(-1), I32_DIV_S), INT32_MIN, 0, LODGE_TRAP_INT_OVERFLOW},
    {"const div_s by local", "i:i", "", C(I32C(-7), LOCAL_GET, 0, I32_DIV_S), 2, -3, 0},
    {"const - local", "i:i", "", C(I32C(10), LOCAL_GET, 0, I32_SUB), 3, 7, 0},
    {"local - const", "i:i", "", C(LOCAL_GET, 0, I32C(10), I32_SUB), 3, -7, 0},
    {"shl by const 33", "i:i", "", C(LOCAL_GET, 0, I32C(33), I32_SHL), 3, 6, 0},
    {"const shr_s by local", "i:i", "", C(I32C(-64), LOCAL_GET, 0, I32_SHR_S), 34, -16, 0},
    {"i64 const operand", "i:l", "",
     C(LOCAL_GET, 0, I64_EXTEND_I32_S, I64C(0x100000000ll), I64_MUL), -1, -0x100000000ll, 0},
    {"i64 div_u by const 0", "i:l", "", C(LOCAL_GET, 0, I64_EXTEND_I32_U, I64C(0), I64_DIV_U), 1, 0,
     LODGE_TRAP_DIV_ZERO},
    {"two constants", "i:i", "", C(I32C(6), I32C(7), I32_MUL, LOCAL_GET, 0, I32_ADD), 0, 42, 0},
    {"const stored to a global", "i:i", "", C(I32C(77), GLOBAL_SET, 0, GLOBAL_GET, 0, LOCAL_GET, 0, I32_ADD), 1, 78,
     0},
    {"const select", "i:i", "", C(I32C(11), I32C(22), LOCAL_GET, 0, SELECT), 0, 22, 0},
    {"const br_table index", "i:i", "",
     C(BLOCK, T_EMPTY, BLOCK, T_EMPTY, I32C(1), BR_TABLE, 1, 0, 1, END, I32C(5), RETURN, END, LOCAL_GET, 0), 9, 9, 0},
    {"const call argument", "i:i", "", C(I32C(41), CALL, 0, LOCAL_GET, 0, I32_ADD), 0, 42, 0},
    {"const returned", "i:i", "", C(I32C(-5), RETURN), 0, -5, 0},
    {"const if condition", "i:i", "", C(I32C(0), IF, T_I32, I32C(1), ELSE, LOCAL_GET, 0, END), 8, 8, 0},
    /* compares fused into branches */
    {"lt_s into br_if", "i:i", "",
     C(BLOCK, T_EMPTY, LOCAL_GET, 0, I32C(10), I32_LT_S, BR_IF, 0, I32C(1), RETURN, END, I32C(2)), -20, 2, 0},
    {"lt_s into br_if, not taken", "i:i", "",
     C(BLOCK, T_EMPTY, LOCAL_GET, 0, I32C(10), I32_LT_S, BR_IF, 0, I32C(1), RETURN, END, I32C(2)), 20, 1, 0},
    {"lt_u into br_if", "i:i", "",
     C(BLOCK, T_EMPTY, LOCAL_GET, 0, I32C(10), I32_LT_U, BR_IF, 0, I32C(1), RETURN, END, I32C(2)), -20, 1, 0},
    {"eqz into if", "i:i", "", C(LOCAL_GET, 0, I32_EQZ, IF, T_I32, I32C(3), ELSE, I32C(4), END), 0, 3, 0},
    {"compare kept as a value too", "i:i", "",
     C(LOCAL_GET, 0, I32C(5), I32_GT_S, LOCAL_TEE, 0, IF, T_I32, LOCAL_GET, 0, I32C(10), I32_ADD, ELSE, I32C(-1),
       END), 7, 11, 0},
    {"i64 compare into br_if", "i:i", "",
     C(BLOCK, T_EMPTY, LOCAL_GET, 0, I64_EXTEND_I32_S, I64C(-1), I64_GT_S, BR_IF, 0, I32C(1), RETURN, END, I32C(2)),
     0, 2, 0},
    {"f64 compare into br_if with NaN", "i:i", "",
     C(BLOCK, T_EMPTY, F64C(0x7ff8000000000000ull), LOCAL_GET, 0, F64_CONVERT_I32_S, F64_LT, BR_IF, 0, I32C(1),
       RETURN, END, I32C(2)), 0, 1, 0},
    {"f32 ne into if with NaN", "i:i", "",
     C(F32C(0x7fc00000), F32C(0x7fc00000), F32_NE, IF, T_I32, I32C(1), ELSE, I32C(2), END), 0, 1, 0},
    {"backward br_if with a compare", "i:i", "i",
     C(LOOP, T_EMPTY, LOCAL_GET, 1, I32C(1), I32_ADD, LOCAL_SET, 1, LOCAL_GET, 1, LOCAL_GET, 0, I32_LT_S, BR_IF, 0,
       END, LOCAL_GET, 1), 1000, 1000, 0},
    /* values through branches and blocks */
    {"br_table carries a value", "i:i", "",
     C(BLOCK, T_I32, BLOCK, T_I32, I32C(10), LOCAL_GET, 0, BR_TABLE, 1, 0, 1, END, I32C(1), I32_ADD, END), 0, 11, 0},
    {"br_table default carries a value", "i:i", "",
     C(BLOCK, T_I32, BLOCK, T_I32, I32C(10), LOCAL_GET, 0, BR_TABLE, 1, 0, 1, END, I32C(1), I32_ADD, END), 5, 10, 0},
    {"unreachable after br keeps the value", "i:i", "",
     C(BLOCK, T_I32, LOCAL_GET, 0, BR, 0, I32C(1), I32_ADD, END), 4, 4, 0},
    {"return from a nested block", "i:i", "",
     C(BLOCK, T_EMPTY, LOOP, T_EMPTY, LOCAL_GET, 0, I32C(2), I32_MUL, RETURN, END, END, I32C(0)), 21, 42, 0},
};

static void table(UnitCtx *t)
{
    for (int checked = 0; checked < 2; checked++) {
        lodge_config_t cfg = {0};
        cfg.bounds_checks = checked;
        RigOpts o = {.cfg = &cfg};
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            const Case *c = &cases[i];
            WMod w;
            wm_init(&w);
            /* function 0: the helper called by the cases: f(x) = x + 1 */
            WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32C(1), I32_ADD);
            WGLOBAL(&w, 'i', true, I32C(0));
            wm_memory(&w, 1, -1);
            uint32_t f = wm_func(&w, c->sig, c->locals, c->code, c->len);
            wm_export(&w, "f", LODGE_EXTERN_FUNC, f);
            Bytes b = wm_finish(&w);
            wm_free(&w);
            Rig r;
            if (!CHECKF(rig_open(&r, &b, &o), "%s: %s", c->name, r.err.message)) {
                rig_close(&r);
                bytes_free(&b);
                continue;
            }
            Call call = c->sig[1] == 'i' ? rig_call(&r, "f", 2, vi32(c->arg), vi32(c->arg))
                                         : rig_call(&r, "f", 1, vi32(c->arg));
            if (c->trap != LODGE_TRAP_NONE)
                CHECKF(!call.ok && call.err.trap == c->trap, "%s (%s): expected trap %s, got %s", c->name,
                       checked ? "checked" : "guarded", lodge_trap_name(c->trap),
                       call.ok ? "a result" : call.err.message);
            else if (c->sig[strlen(c->sig) - 1] == 'l')
                CHECKF(call.ok && call.r[0].of.i64 == c->want, "%s (%s): got %lld, expected %lld", c->name,
                       checked ? "checked" : "guarded", call.ok ? (long long)call.r[0].of.i64 : 0, (long long)c->want);
            else
                CHECKF(call.ok && call.r[0].of.i32 == (int32_t)c->want, "%s (%s): got %d (%s), expected %d", c->name,
                       checked ? "checked" : "guarded", call.ok ? call.r[0].of.i32 : 0,
                       call.ok ? "ok" : call.err.message, (int32_t)c->want);
            rig_close(&r);
            bytes_free(&b);
        }
    }
}

/* The two-local swap with distinct arguments. */
static void swap(UnitCtx *t)
{
    CHECK_I32(run_code("ii:i", CODE(LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_SET, 0, LOCAL_SET, 1, LOCAL_GET, 0, I32C(1000),
                                    I32_MUL, LOCAL_GET, 1, I32_ADD),
                       NULL, 2, vi32(3), vi32(4)),
              4003);
    /* a rotation of three locals through the stack */
    CHECK_I32(run_code("iii:i", CODE(LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, LOCAL_SET, 0, LOCAL_SET, 2,
                                     LOCAL_SET, 1, LOCAL_GET, 0, I32C(100), I32_MUL, LOCAL_GET, 1, I32C(10), I32_MUL,
                                     I32_ADD, LOCAL_GET, 2, I32_ADD),
                       NULL, 3, vi32(1), vi32(2), vi32(3)),
              312);
}

UNIT_SUITE(interp_lower, UNIT_TEST(table), UNIT_TEST(swap));
