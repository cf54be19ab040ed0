/* link.c: two instances linked the way an embedder does it: the second module's imports are looked up
 * by name among the first instance's exports (a function, a table, a global and a memory). */
#include "check.h"

static int name_is(const wasm_name_t *n, const char *s)
{
    return n->size == strlen(s) && memcmp(n->data, s, n->size) == 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *ma = check_module(store, dir, "linka"), *mb = check_module(store, dir, "linkb");
    wasm_trap_t *trap = NULL;
    wasm_instance_t *ia = wasm_instance_new(store, ma, NULL, &trap);
    REQUIRE(ia && !trap, "instantiate a");
    wasm_extern_vec_t exa;
    wasm_instance_exports(ia, &exa);
    wasm_exporttype_vec_t ta;
    wasm_module_exports(ma, &ta);
    wasm_importtype_vec_t tb;
    wasm_module_imports(mb, &tb);
    REQUIRE(tb.size == 4 && ta.size == exa.size, "import and export lists");

    wasm_extern_t *imports[4] = {NULL};
    for (size_t i = 0; i < tb.size; i++) {
        CHECK(name_is(wasm_importtype_module(tb.data[i]), "a"), "import module name");
        for (size_t k = 0; k < ta.size; k++)
            if ((wasm_exporttype_name(ta.data[k])->size == wasm_importtype_name(tb.data[i])->size &&
                 memcmp(wasm_exporttype_name(ta.data[k])->data, wasm_importtype_name(tb.data[i])->data,
                        wasm_exporttype_name(ta.data[k])->size) == 0))
                imports[i] = exa.data[k];
        CHECK(imports[i] && wasm_extern_kind(imports[i]) == wasm_externtype_kind(wasm_importtype_type(tb.data[i])),
              "import found by name with the right kind");
    }
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_instance_t *ib = wasm_instance_new(store, mb, &iv, &trap);
    REQUIRE(ib && !trap, "instantiate b with a's exports");
    wasm_extern_vec_t exb;
    wasm_instance_exports(ib, &exb);
    wasm_func_t *run = wasm_extern_as_func(exb.data[0]);
    wasm_val_t r[1];
    wasm_val_vec_t none = WASM_EMPTY_VEC, rv = WASM_ARRAY_VEC(r);
    CHECK(!wasm_func_call(run, &none, &rv) && r[0].of.i32 == 2, "b calls a directly and through a's table");

    wasm_global_t *counter = NULL;
    wasm_memory_t *mem = NULL;
    wasm_func_t *peek = NULL;
    for (size_t k = 0; k < ta.size; k++) {
        if (name_is(wasm_exporttype_name(ta.data[k]), "counter"))
            counter = wasm_extern_as_global(exa.data[k]);
        if (name_is(wasm_exporttype_name(ta.data[k]), "mem"))
            mem = wasm_extern_as_memory(exa.data[k]);
        if (name_is(wasm_exporttype_name(ta.data[k]), "peek"))
            peek = wasm_extern_as_func(exa.data[k]);
    }
    REQUIRE(counter && mem && peek, "a's exports by name");
    wasm_val_t v;
    wasm_global_get(counter, &v);
    CHECK(v.of.i32 == 2, "a's global counts b's two calls");
    wasm_val_t a1[1] = {WASM_I32_VAL(5)};
    wasm_val_vec_t av = WASM_ARRAY_VEC(a1);
    CHECK(!wasm_func_call(peek, &av, &rv) && r[0].of.i32 == 77, "a reads what b stored in the shared memory");
    CHECK(wasm_memory_data(mem)[5] == 77, "and so does the host");

    /* A second b shares the same a. */
    wasm_instance_t *ib2 = wasm_instance_new(store, mb, &iv, &trap);
    wasm_extern_vec_t exb2;
    REQUIRE(ib2, "a second b");
    wasm_instance_exports(ib2, &exb2);
    CHECK(!wasm_func_call(wasm_extern_as_func(exb2.data[0]), &none, &rv) && r[0].of.i32 == 4,
          "the second b counts on from the shared global");
    CHECK(!wasm_func_same(wasm_extern_as_func(exb2.data[0]), run), "the two instances' functions differ");

    /* Another store's objects cannot be imported or stored. */
    wasm_store_t *other = wasm_store_new(engine);
    trap = NULL;
    CHECK(wasm_instance_new(other, mb, &iv, &trap) == NULL && trap, "importing another store's objects fails");
    wasm_message_t msg;
    if (trap) {
        wasm_trap_message(trap, &msg);
        printf("# %s\n", msg.data);
        wasm_byte_vec_delete(&msg);
    }
    wasm_trap_delete(trap);
    wasm_limits_t l = {1, 1};
    wasm_tabletype_t *tt = wasm_tabletype_new(wasm_valtype_new_funcref(), &l);
    wasm_table_t *ot = wasm_table_new(other, tt, NULL);
    CHECK(ot && !wasm_table_set(ot, 0, wasm_func_as_ref(run)), "storing another store's function fails");
    wasm_table_delete(ot);
    wasm_tabletype_delete(tt);
    wasm_store_delete(other);

    wasm_extern_vec_delete(&exb2);
    wasm_instance_delete(ib2);
    wasm_extern_vec_delete(&exb);
    wasm_instance_delete(ib);
    wasm_importtype_vec_delete(&tb);
    wasm_exporttype_vec_delete(&ta);
    wasm_extern_vec_delete(&exa);
    wasm_instance_delete(ia);
    wasm_module_delete(ma);
    wasm_module_delete(mb);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    return check_failed != 0;
}
