/* interp_table.c: unit tests of tables and references: call_indirect and its three traps, table.get/set/
 * size/grow/fill/copy/init and elem.drop with their bounds, element segments at instantiation,
 * ref.func/ref.null/ref.is_null, and externref values passed through from the host. */
#include <string.h>

#include "wasmgen.h"

/* Table 0: funcref, 4 slots: [add, sub, (null), neg]; "call" does call_indirect (ii:i) on slot i. */
static Bytes table_module(void)
{
    WMod w;
    wm_init(&w);
    uint32_t add = WFUNC(&w, "ii:i", "", LOCAL_GET, 0, LOCAL_GET, 1, I32_ADD);
    uint32_t sub = WFUNC(&w, "ii:i", "", LOCAL_GET, 0, LOCAL_GET, 1, I32_SUB);
    uint32_t neg = WFUNC(&w, "i:i", "", I32C(0), LOCAL_GET, 0, I32_SUB);
    wm_table(&w, 'r', 4, 8);
    wm_table(&w, 'x', 2, -1);
    uint32_t ty = wm_type(&w, "ii:i");
    wm_elem_funcs(&w, 0, (uint32_t[]){add, sub}, 2);
    wm_elem_funcs(&w, 3, (uint32_t[]){neg}, 1);
    WELEM(&w, 1, 0x00, 3, (uint8_t)sub, (uint8_t)add, (uint8_t)neg); /* passive segment 2 */
#define EXP(name, sig, ...) wm_export(&w, name, LODGE_EXTERN_FUNC, WFUNC(&w, sig, "", __VA_ARGS__))
    EXP("call", "iii:i", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, CALL_INDIRECT, (uint8_t)ty, 0);
    EXP("size", ":i", TABLE_SIZE, 0);
    EXP("grow", "i:i", REF_NULL, T_FUNCREF, LOCAL_GET, 0, TABLE_GROW, 0);
    EXP("is_null", "i:i", LOCAL_GET, 0, TABLE_GET, 0, REF_IS_NULL);
    EXP("copy", "iii:", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, TABLE_COPY, 0, 0);
    EXP("init", "iii:", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, TABLE_INIT, 2, 0);
    EXP("drop", ":", ELEM_DROP, 2);
    EXP("clear", "ii:", LOCAL_GET, 0, REF_NULL, T_FUNCREF, LOCAL_GET, 1, TABLE_FILL, 0);
    EXP("set_add", "i:", LOCAL_GET, 0, REF_FUNC, (uint8_t)add, TABLE_SET, 0);
    EXP("xget", "i:x", LOCAL_GET, 0, TABLE_GET, 1);
    EXP("xset", "ix:", LOCAL_GET, 0, LOCAL_GET, 1, TABLE_SET, 1);
    EXP("xgrow", "xi:i", LOCAL_GET, 0, LOCAL_GET, 1, TABLE_GROW, 1);
    EXP("xfill", "ixi:", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, TABLE_FILL, 1);
    EXP("xsize", ":i", TABLE_SIZE, 1);
    EXP("xnull", "x:i", LOCAL_GET, 0, REF_IS_NULL);
#undef EXP
    wm_export(&w, "add", LODGE_EXTERN_FUNC, add);
    Bytes b = wm_finish(&w);
    wm_free(&w);
    return b;
}

static void call_indirect(UnitCtx *t)
{
    Bytes b = table_module();
    Rig r;
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        CHECK_I32(rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(0)), 9);
        CHECK_I32(rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(1)), 5);
        CHECK_TRAP(rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(2)), LODGE_TRAP_INDIRECT_NULL);
        CHECK_TRAP(rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(3)), LODGE_TRAP_INDIRECT_TYPE);
        /* an index past the table's end: the spec's "undefined element" */
        CHECK_TRAP(rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(4)), LODGE_TRAP_UNDEFINED_ELEMENT);
        CHECK_TRAP(rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(-1)), LODGE_TRAP_UNDEFINED_ELEMENT);
        Call c = rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(3));
        CHECK_STR(c.err.message, "indirect call type mismatch");
        c = rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(2));
        CHECK_STR(c.err.message, "uninitialized element");
        c = rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(4));
        CHECK_STR(c.err.message, "undefined element");
        /* filling the slot makes it callable */
        CHECK_OK(rig_call(&r, "set_add", 1, vi32(2)));
        CHECK_I32(rig_call(&r, "call", 3, vi32(7), vi32(2), vi32(2)), 9);
    }
    rig_close(&r);
    bytes_free(&b);
}

static void table_ops(UnitCtx *t)
{
    Bytes b = table_module();
    Rig r;
    if (!CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message))
        goto out;
    CHECK_I32(rig_call(&r, "size", 0), 4);
    CHECK_I32(rig_call(&r, "is_null", 1, vi32(2)), 1);
    CHECK_I32(rig_call(&r, "is_null", 1, vi32(0)), 0);
    CHECK_TRAP(rig_call(&r, "is_null", 1, vi32(4)), LODGE_TRAP_TABLE_OOB);
    CHECK_I32(rig_call(&r, "grow", 1, vi32(2)), 4);
    CHECK_I32(rig_call(&r, "size", 0), 6);
    CHECK_I32(rig_call(&r, "grow", 1, vi32(3)), -1);  /* max 8 */
    CHECK_I32(rig_call(&r, "grow", 1, vi32(2)), 6);
    CHECK_I32(rig_call(&r, "grow", 1, vi32(0)), 8);
    CHECK_I32(rig_call(&r, "is_null", 1, vi32(7)), 1);
    /* copy [0,2) to 6: slot 6 = add, slot 7 = sub */
    CHECK_OK(rig_call(&r, "copy", 3, vi32(6), vi32(0), vi32(2)));
    CHECK_I32(rig_call(&r, "call", 3, vi32(1), vi32(1), vi32(7)), 0);
    CHECK_TRAP(rig_call(&r, "copy", 3, vi32(7), vi32(0), vi32(2)), LODGE_TRAP_TABLE_OOB);
    CHECK_OK(rig_call(&r, "copy", 3, vi32(8), vi32(0), vi32(0)));
    /* overlapping copy */
    CHECK_OK(rig_call(&r, "copy", 3, vi32(1), vi32(0), vi32(2))); /* [add, add, sub, ...] */
    CHECK_I32(rig_call(&r, "call", 3, vi32(5), vi32(1), vi32(1)), 6);
    CHECK_I32(rig_call(&r, "call", 3, vi32(5), vi32(1), vi32(2)), 4);
    /* table.init from the passive segment [sub, add, neg] */
    CHECK_OK(rig_call(&r, "init", 3, vi32(4), vi32(0), vi32(2)));
    CHECK_I32(rig_call(&r, "call", 3, vi32(5), vi32(1), vi32(4)), 4);
    CHECK_I32(rig_call(&r, "call", 3, vi32(5), vi32(1), vi32(5)), 6);
    CHECK_TRAP(rig_call(&r, "init", 3, vi32(0), vi32(2), vi32(2)), LODGE_TRAP_TABLE_OOB);
    CHECK_TRAP(rig_call(&r, "init", 3, vi32(7), vi32(0), vi32(2)), LODGE_TRAP_TABLE_OOB);
    CHECK_OK(rig_call(&r, "drop", 0));
    CHECK_TRAP(rig_call(&r, "init", 3, vi32(0), vi32(0), vi32(1)), LODGE_TRAP_TABLE_OOB);
    CHECK_OK(rig_call(&r, "init", 3, vi32(0), vi32(0), vi32(0)));
    /* table.fill */
    CHECK_OK(rig_call(&r, "clear", 2, vi32(0), vi32(8)));
    CHECK_I32(rig_call(&r, "is_null", 1, vi32(0)), 1);
    CHECK_TRAP(rig_call(&r, "call", 3, vi32(1), vi32(1), vi32(0)), LODGE_TRAP_INDIRECT_NULL);
    CHECK_TRAP(rig_call(&r, "clear", 2, vi32(1), vi32(8)), LODGE_TRAP_TABLE_OOB);
out:
    rig_close(&r);
    bytes_free(&b);
}

/* externref values are host pointers, passed through untouched. */
static void externref(UnitCtx *t)
{
    Bytes b = table_module();
    Rig r;
    if (!CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message))
        goto out;
    int a, c;
    CHECK_I32(rig_call(&r, "xnull", 1, vref(LODGE_EXTERNREF, NULL)), 1);
    CHECK_I32(rig_call(&r, "xnull", 1, vref(LODGE_EXTERNREF, &a)), 0);
    CHECK_OK(rig_call(&r, "xset", 2, vi32(1), vref(LODGE_EXTERNREF, &a)));
    Call g = rig_call(&r, "xget", 1, vi32(1));
    CHECK(g.ok && g.r[0].type == LODGE_EXTERNREF && g.r[0].of.ext == &a);
    g = rig_call(&r, "xget", 1, vi32(0));
    CHECK(g.ok && g.r[0].of.ext == NULL);
    CHECK_TRAP(rig_call(&r, "xget", 1, vi32(2)), LODGE_TRAP_TABLE_OOB);
    CHECK_I32(rig_call(&r, "xgrow", 2, vref(LODGE_EXTERNREF, &c), vi32(3)), 2);
    CHECK_I32(rig_call(&r, "xsize", 0), 5);
    g = rig_call(&r, "xget", 1, vi32(4));
    CHECK(g.ok && g.r[0].of.ext == &c);
    CHECK_OK(rig_call(&r, "xfill", 3, vi32(2), vref(LODGE_EXTERNREF, &a), vi32(3)));
    g = rig_call(&r, "xget", 1, vi32(4));
    CHECK(g.ok && g.r[0].of.ext == &a);
    CHECK_TRAP(rig_call(&r, "xfill", 3, vi32(3), vref(LODGE_EXTERNREF, NULL), vi32(3)), LODGE_TRAP_TABLE_OOB);
out:
    rig_close(&r);
    bytes_free(&b);
}

/* Element segments that do not fit trap the instantiation; earlier ones stay written (spec 2.0 order). */
static void element_segments(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    uint32_t f = WFUNC(&w, ":", "", NOP);
    wm_table(&w, 'r', 2, -1);
    wm_elem_funcs(&w, 2, (uint32_t[]){f}, 1);
    Bytes b = wm_finish(&w);
    wm_free(&w);
    Rig r;
    CHECK(!rig_open(&r, &b, NULL));
    CHECK_INT(r.err.status, LODGE_ERR_TRAP);
    CHECK_INT(r.err.trap, LODGE_TRAP_TABLE_OOB);
    rig_close(&r);
    bytes_free(&b);
    /* ref.func in a global and through a table of the same function compare equal */
    wm_init(&w);
    f = WFUNC(&w, ":i", "", I32C(42));
    wm_table(&w, 'r', 1, -1);
    wm_elem_funcs(&w, 0, &f, 1);
    WGLOBAL(&w, 'r', false, REF_FUNC, (uint8_t)f);
    wm_export(&w, "g", LODGE_EXTERN_GLOBAL, 0);
    wm_export(&w, "t", LODGE_EXTERN_TABLE, 0);
    wm_export(&w, "f", LODGE_EXTERN_FUNC, f);
    b = wm_finish(&w);
    wm_free(&w);
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        lodge_extern_t g, tb, fn;
        REQUIRE(lodge_instance_export(r.inst, "g", &g) && lodge_instance_export(r.inst, "t", &tb) &&
                lodge_instance_export(r.inst, "f", &fn));
        lodge_val_t gv = lodge_global_get(g.of.global), tv;
        CHECK(lodge_table_get(tb.of.table, 0, &tv));
        CHECK(gv.of.func == fn.of.func);
        CHECK(tv.of.func == fn.of.func);
        lodge_val_t res[1];
        lodge_error_t err;
        CHECK(lodge_func_call(r.store, tv.of.func, NULL, 0, res, 1, &err) && res[0].of.i32 == 42);
    }
    rig_close(&r);
    bytes_free(&b);
}

UNIT_SUITE(interp_table, UNIT_TEST(call_indirect), UNIT_TEST(table_ops), UNIT_TEST(externref),
           UNIT_TEST(element_segments));
