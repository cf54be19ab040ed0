/* tables.c: an exported funcref table: size, get, set (with guest and host functions), grow up to its
 * maximum, calls through it; and tables made by the host, of both element types. */
#include "check.h"

static wasm_trap_t *plus_ten(const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    results->data[0].kind = WASM_I32;
    results->data[0].of.i32 = args->data[0].of.i32 + 10;
    return NULL;
}

static wasm_func_t *call_at;

/* call_at(index, arg); *trapped tells whether it trapped. */
static int32_t call_index(int32_t index, int32_t arg, int *trapped)
{
    wasm_val_t a[2] = {WASM_I32_VAL(index), WASM_I32_VAL(arg)}, r[1] = {WASM_INIT_VAL};
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
    wasm_trap_t *trap = wasm_func_call(call_at, &av, &rv);
    *trapped = trap != NULL;
    wasm_trap_delete(trap);
    return r[0].of.i32;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = check_module(store, dir, "tables");
    wasm_functype_t *ii = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *host = wasm_func_new(store, ii, plus_ten);
    wasm_extern_t *imports[] = {wasm_func_as_extern(host)};
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, module, &iv, &trap);
    REQUIRE(inst && !trap, "instantiate");
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    REQUIRE(ex.size == 4, "4 exports");
    wasm_table_t *table = wasm_extern_as_table(ex.data[0]);
    call_at = wasm_extern_as_func(ex.data[1]);
    wasm_func_t *put_cb = wasm_extern_as_func(ex.data[3]);
    REQUIRE(table && call_at && put_cb, "export kinds");

    int trapped;
    CHECK(wasm_table_size(table) == 2, "initial size 2");
    CHECK(wasm_table_get(table, 0) == NULL, "element 0 is null");
    wasm_ref_t *e1 = wasm_table_get(table, 1);
    CHECK(e1 && wasm_ref_as_func(e1), "element 1 is a function");
    CHECK(wasm_table_get(table, 2) == NULL, "get out of bounds is NULL");
    CHECK(call_index(1, 21, &trapped) == 42 && !trapped, "call through element 1");
    call_index(0, 1, &trapped);
    CHECK(trapped, "calling a null element traps");

    CHECK(wasm_table_set(table, 0, wasm_func_as_ref(host)), "set element 0 to a host function");
    CHECK(call_index(0, 5, &trapped) == 15 && !trapped, "guest calls the host function through the table");
    CHECK(!wasm_table_set(table, 2, wasm_func_as_ref(host)), "set out of bounds fails");
    wasm_foreign_t *fo = wasm_foreign_new(store);
    CHECK(!wasm_table_set(table, 1, wasm_foreign_as_ref(fo)), "a foreign object cannot go in a funcref table");

    CHECK(wasm_table_grow(table, 3, e1), "grow by 3 with an initial function");
    CHECK(wasm_table_size(table) == 5, "size 5 after grow");
    CHECK(call_index(4, 8, &trapped) == 16 && !trapped, "a grown element holds the initial value");
    CHECK(wasm_table_grow(table, 0, NULL) && wasm_table_size(table) == 5, "grow by 0");
    CHECK(!wasm_table_grow(table, 6, NULL) && wasm_table_size(table) == 5, "grow past the maximum 10 fails");
    CHECK(wasm_table_grow(table, 5, NULL) && wasm_table_size(table) == 10, "grow up to the maximum");
    CHECK(wasm_table_get(table, 9) == NULL, "a null-filled grown element");
    CHECK(wasm_table_set(table, 9, NULL) && wasm_table_set(table, 9, e1), "set the last element");

    wasm_val_t a[1] = {WASM_I32_VAL(3)};
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), none = WASM_EMPTY_VEC;
    CHECK(!wasm_func_call(put_cb, &av, &none), "guest stores a function in the table");
    wasm_ref_t *e3 = wasm_table_get(table, 3);
    CHECK(e3 && wasm_ref_same(e3, wasm_func_as_ref(host)), "the host sees its own function there");

    wasm_tabletype_t *tt = wasm_table_type(table);
    const wasm_limits_t *lim = wasm_tabletype_limits(tt);
    CHECK(wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF && lim->min == 10 && lim->max == 10,
          "table type after growth");
    wasm_tabletype_delete(tt);

    /* Host-made tables of both element types. */
    wasm_limits_t l = {1, wasm_limits_max_default};
    wasm_tabletype_t *et = wasm_tabletype_new(wasm_valtype_new_externref(), &l);
    wasm_table_t *xt = wasm_table_new(store, et, wasm_foreign_as_ref(fo));
    REQUIRE(xt, "host externref table");
    wasm_ref_t *x0 = wasm_table_get(xt, 0);
    CHECK(x0 && wasm_ref_same(x0, wasm_foreign_as_ref(fo)), "externref table holds the initial foreign");
    CHECK(wasm_table_grow(xt, 2, NULL) && wasm_table_size(xt) == 3 && wasm_table_get(xt, 2) == NULL,
          "externref table grows without a maximum");
    wasm_tabletype_t *xtt = wasm_table_type(xt);
    CHECK(wasm_tabletype_limits(xtt)->max == wasm_limits_max_default, "no maximum reads as the default");
    wasm_tabletype_delete(xtt);
    wasm_limits_t fl = {2, 4};
    wasm_tabletype_t *ft = wasm_tabletype_new(wasm_valtype_new_funcref(), &fl);
    wasm_table_t *htab = wasm_table_new(store, ft, NULL);
    CHECK(htab && wasm_table_size(htab) == 2 && wasm_table_get(htab, 1) == NULL, "host funcref table");
    CHECK(htab && wasm_table_grow(htab, 2, wasm_func_as_ref(host)) && !wasm_table_grow(htab, 1, NULL),
          "host funcref table grows to its maximum only");

    wasm_table_delete(htab);
    wasm_tabletype_delete(ft);
    wasm_ref_delete(x0);
    wasm_table_delete(xt);
    wasm_tabletype_delete(et);
    wasm_ref_delete(e3);
    wasm_ref_delete(e1);
    wasm_foreign_delete(fo);
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_func_delete(host);
    wasm_functype_delete(ii);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    return check_failed != 0;
}
