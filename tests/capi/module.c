/* module.c: modules: validation, refusal of bad bytes, import and export types in detail, serialize and
 * deserialize, sharing with another store and another engine; vectors and type objects; host
 * information on store objects (shared by every reference, finalized with the store). */
#include "check.h"

static int finalized;
static void fin(void *p) { finalized += *(int *)p; }

static int name_is(const wasm_name_t *n, const char *s)
{
    return n->size == strlen(s) && memcmp(n->data, s, n->size) == 0;
}

static int32_t call_inc(wasm_store_t *store, wasm_module_t *m)
{
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, m, NULL, &trap);
    if (!inst)
        return -1;
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    wasm_val_t r[1] = {WASM_I32_VAL(-1)};
    wasm_val_vec_t none = WASM_EMPTY_VEC, rv = WASM_ARRAY_VEC(r);
    wasm_trap_t *t = wasm_func_call(wasm_extern_as_func(ex.data[3]), &none, &rv);
    wasm_trap_delete(t);
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    return r[0].of.i32;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new_with_config(wasm_config_new());
    REQUIRE(engine, "engine with a config");
    wasm_store_t *store = wasm_store_new(engine);

    wasm_byte_vec_t bytes, garbage;
    check_load(dir, "linka", &bytes);
    CHECK(wasm_module_validate(store, &bytes), "validate a good module");
    wasm_byte_vec_copy(&garbage, &bytes);
    garbage.data[garbage.size - 1] ^= 0x5a;
    CHECK(!wasm_module_validate(store, &garbage) && wasm_module_new(store, &garbage) == NULL, "a damaged module is refused");
    wasm_byte_vec_delete(&garbage);
    wasm_byte_vec_new(&garbage, 4, "\0asm");
    CHECK(wasm_module_new(store, &garbage) == NULL, "a truncated header is refused");
    wasm_byte_vec_delete(&garbage);
    wasm_module_t *ma = wasm_module_new(store, &bytes);
    REQUIRE(ma, "module a");

    /* Export types of linka: mem 1..2, counter (mut i32), tab 1 funcref, inc [] -> [i32], peek [i32] -> [i32]. */
    wasm_exporttype_vec_t et;
    wasm_module_exports(ma, &et);
    REQUIRE(et.size == 5, "5 export types");
    const wasm_externtype_t *t0 = wasm_exporttype_type(et.data[0]);
    const wasm_memorytype_t *mt = wasm_externtype_as_memorytype_const(t0);
    CHECK(name_is(wasm_exporttype_name(et.data[0]), "mem") && mt && wasm_memorytype_limits(mt)->min == 1 &&
              wasm_memorytype_limits(mt)->max == 2,
          "export mem: memory 1..2");
    const wasm_globaltype_t *gt = wasm_externtype_as_globaltype_const(wasm_exporttype_type(et.data[1]));
    CHECK(gt && wasm_valtype_kind(wasm_globaltype_content(gt)) == WASM_I32 && wasm_globaltype_mutability(gt) == WASM_VAR,
          "export counter: mut i32");
    const wasm_tabletype_t *tt = wasm_externtype_as_tabletype_const(wasm_exporttype_type(et.data[2]));
    CHECK(tt && wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF && wasm_tabletype_limits(tt)->min == 1 &&
              wasm_tabletype_limits(tt)->max == wasm_limits_max_default,
          "export tab: funcref 1, no maximum");
    const wasm_functype_t *ft = wasm_externtype_as_functype_const(wasm_exporttype_type(et.data[4]));
    CHECK(ft && wasm_functype_params(ft)->size == 1 && wasm_functype_results(ft)->size == 1 &&
              wasm_valtype_is_num(wasm_functype_params(ft)->data[0]),
          "export peek: [i32] -> [i32]");
    wasm_exporttype_vec_t et2;
    wasm_exporttype_vec_copy(&et2, &et);
    CHECK(et2.size == 5 && et2.data[4] != et.data[4] && name_is(wasm_exporttype_name(et2.data[4]), "peek") &&
              wasm_externtype_kind(wasm_exporttype_type(et2.data[4])) == WASM_EXTERN_FUNC,
          "a copied export type vector is deep");
    wasm_exporttype_vec_delete(&et2);
    wasm_exporttype_vec_delete(&et);

    /* Import types of linkb. */
    wasm_byte_vec_t bbytes;
    check_load(dir, "linkb", &bbytes);
    wasm_module_t *mb = wasm_module_new(store, &bbytes);
    wasm_byte_vec_delete(&bbytes);
    REQUIRE(mb, "module b");
    wasm_importtype_vec_t it;
    wasm_module_imports(mb, &it);
    CHECK(it.size == 4 && name_is(wasm_importtype_module(it.data[0]), "a") && name_is(wasm_importtype_name(it.data[0]), "inc") &&
              wasm_externtype_kind(wasm_importtype_type(it.data[0])) == WASM_EXTERN_FUNC &&
              wasm_externtype_kind(wasm_importtype_type(it.data[1])) == WASM_EXTERN_TABLE &&
              wasm_externtype_kind(wasm_importtype_type(it.data[2])) == WASM_EXTERN_GLOBAL &&
              wasm_externtype_kind(wasm_importtype_type(it.data[3])) == WASM_EXTERN_MEMORY,
          "import names and kinds");
    wasm_importtype_t *ic = it.size ? wasm_importtype_copy(it.data[2]) : NULL;
    CHECK(ic && name_is(wasm_importtype_name(ic), "counter"), "import type copy");
    wasm_importtype_delete(ic);
    wasm_importtype_vec_delete(&it);

    /* Serialize, deserialize, share. */
    wasm_byte_vec_t ser;
    wasm_module_serialize(ma, &ser);
    CHECK(ser.size == bytes.size && memcmp(ser.data, bytes.data, ser.size) == 0, "serialized form is the binary");
    wasm_module_t *md = wasm_module_deserialize(store, &ser);
    wasm_byte_vec_delete(&ser);
    CHECK(md && call_inc(store, md) == 1, "a deserialized module runs");
    wasm_module_delete(md);
    wasm_shared_module_t *shared = wasm_module_share(ma);
    wasm_store_t *store2 = wasm_store_new(engine);
    wasm_module_t *m2 = wasm_module_obtain(store2, shared);
    CHECK(m2 && call_inc(store2, m2) == 1, "obtained in another store of the engine");
    wasm_engine_t *engine2 = wasm_engine_new();
    wasm_store_t *store3 = wasm_store_new(engine2);
    wasm_module_t *m3 = wasm_module_obtain(store3, shared);
    CHECK(m3 && call_inc(store3, m3) == 1, "obtained in a store of another engine");
    wasm_shared_module_delete(shared);
    wasm_module_t *mc = wasm_module_copy(ma);
    CHECK(mc && wasm_module_same(mc, ma) && !wasm_module_same(mc, mb), "module copy is the same module");
    static int five = 5, seven = 7;
    wasm_module_set_host_info_with_finalizer(mc, &five, fin);
    CHECK(wasm_module_get_host_info(ma) == &five, "module host information is the module's");
    wasm_module_delete(mc);
    CHECK(finalized == 0, "module host information lives while the module does");

    /* Host information of a store object is shared by every reference to it. */
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, ma, NULL, &trap);
    wasm_extern_vec_t e1, e2;
    wasm_instance_exports(inst, &e1);
    wasm_instance_exports(inst, &e2);
    CHECK(e1.data[3] != e2.data[3] && wasm_extern_same(e1.data[3], e2.data[3]), "two references, one function");
    wasm_func_set_host_info_with_finalizer(wasm_extern_as_func(e1.data[3]), &seven, fin);
    CHECK(wasm_func_get_host_info(wasm_extern_as_func(e2.data[3])) == &seven, "host information seen through the other");
    wasm_ref_t *ref = wasm_func_as_ref(wasm_extern_as_func(e2.data[3]));
    CHECK(wasm_ref_get_host_info(ref) == &seven && wasm_ref_as_extern(ref) == e2.data[3], "and through wasm_ref_t");
    CHECK(wasm_instance_get_host_info(inst) == NULL, "the instance has none");
    wasm_extern_vec_delete(&e1);
    wasm_extern_vec_delete(&e2);
    wasm_instance_delete(inst);
    CHECK(finalized == 0, "deleting references does not finalize");

    /* Vectors and types. */
    wasm_val_t vals[2] = {WASM_I32_VAL(1), WASM_F64_VAL(2.0)};
    wasm_val_vec_t vv, vc;
    wasm_val_vec_new(&vv, 2, vals);
    wasm_val_vec_copy(&vc, &vv);
    CHECK(vc.size == 2 && vc.data[1].kind == WASM_F64 && vc.data[1].of.f64 == 2.0, "value vector copy");
    wasm_val_vec_delete(&vv);
    wasm_val_vec_delete(&vc);
    wasm_valtype_vec_t vt;
    wasm_valtype_vec_new_uninitialized(&vt, 3);
    CHECK(vt.size == 3, "new_uninitialized size");
    for (size_t i = 0; i < 3; i++)
        vt.data[i] = wasm_valtype_new(i == 2 ? WASM_FUNCREF : WASM_I64);
    wasm_valtype_vec_t none;
    wasm_valtype_vec_new_empty(&none);
    wasm_functype_t *f3 = wasm_functype_new(&vt, &none);
    CHECK(vt.size == 0 && f3 && wasm_functype_params(f3)->size == 3 && wasm_valtype_is_ref(wasm_functype_params(f3)->data[2]),
          "functype takes the vectors' contents");
    wasm_externtype_t *ext = wasm_functype_as_externtype(f3);
    wasm_externtype_t *extc = wasm_externtype_copy(ext);
    CHECK(wasm_externtype_kind(extc) == WASM_EXTERN_FUNC && wasm_externtype_as_functype(extc) &&
              wasm_functype_params(wasm_externtype_as_functype(extc))->size == 3,
          "extern type copy");
    wasm_externtype_delete(extc);
    wasm_functype_delete(f3);
    wasm_name_t name;
    wasm_name_new_from_string(&name, "abc");
    CHECK(name.size == 3, "names carry no NUL");
    wasm_name_delete(&name);

    wasm_module_delete(m3);
    wasm_store_delete(store3);
    wasm_engine_delete(engine2);
    wasm_module_delete(m2);
    wasm_store_delete(store2);
    wasm_module_delete(ma);
    CHECK(finalized == 0, "a module with instances in a live store stays");
    wasm_module_delete(mb);
    wasm_byte_vec_delete(&bytes);
    wasm_store_delete(store);
    CHECK(finalized == 12, "module and function host information finalized with the store");
    wasm_engine_delete(engine);
    return check_failed != 0;
}
