/* globals.c: globals made by the host and imported, exported globals of every mutability, get and set
 * from both sides, and their types. */
#include "check.h"

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = check_module(store, dir, "globals");

    wasm_globaltype_t *ct = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
    wasm_globaltype_t *vt = wasm_globaltype_new(wasm_valtype_new_f64(), WASM_VAR);
    wasm_val_t v = WASM_I32_VAL(77), w = WASM_F64_VAL(1.25), bad = WASM_I64_VAL(1);
    wasm_global_t *ci = wasm_global_new(store, ct, &v);
    wasm_global_t *vf = wasm_global_new(store, vt, &w);
    REQUIRE(ci && vf, "host globals");
    CHECK(wasm_global_new(store, ct, &bad) == NULL, "a global with a value of the wrong kind is refused");

    wasm_extern_t *imports[] = {wasm_global_as_extern(ci), wasm_global_as_extern(vf)};
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, module, &iv, &trap);
    REQUIRE(inst && !trap, "instantiate with imported globals");
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    REQUIRE(ex.size == 6, "6 exports");
    wasm_global_t *gi64 = wasm_extern_as_global(ex.data[0]);
    wasm_global_t *cf32 = wasm_extern_as_global(ex.data[1]);
    wasm_global_t *gext = wasm_extern_as_global(ex.data[2]);
    wasm_func_t *read = wasm_extern_as_func(ex.data[3]), *bump = wasm_extern_as_func(ex.data[4]);
    wasm_func_t *ext_is_null = wasm_extern_as_func(ex.data[5]);
    REQUIRE(gi64 && cf32 && gext && read && bump && ext_is_null, "export kinds");
    CHECK(wasm_extern_kind(ex.data[0]) == WASM_EXTERN_GLOBAL && wasm_extern_as_func(ex.data[0]) == NULL,
          "extern kind and a refused view");

    wasm_val_t r[2];
    wasm_val_vec_t none = WASM_EMPTY_VEC, rv = WASM_ARRAY_VEC(r);
    CHECK(!wasm_func_call(read, &none, &rv) && r[0].of.i32 == 77 && r[1].of.f64 == 1.25, "guest reads host globals");
    w.of.f64 = -3.0;
    wasm_global_set(vf, &w);
    CHECK(!wasm_func_call(read, &none, &rv) && r[1].of.f64 == -3.0, "guest sees the host's set");
    wasm_val_vec_t rv1 = {1, r};
    CHECK(!wasm_func_call(bump, &none, &rv1) && r[0].of.i64 == -4, "guest bumps its global");
    wasm_val_t got;
    wasm_global_get(vf, &got);
    CHECK(got.kind == WASM_F64 && got.of.f64 == -6.0, "host sees the guest's set of an imported global");
    wasm_global_get(gi64, &got);
    CHECK(got.kind == WASM_I64 && got.of.i64 == -4, "exported i64 global");
    wasm_val_t nv = WASM_I64_VAL(100);
    wasm_global_set(gi64, &nv);
    CHECK(!wasm_func_call(bump, &none, &rv1) && r[0].of.i64 == 101, "host set of an exported global");
    wasm_global_get(cf32, &got);
    CHECK(got.kind == WASM_F32 && got.of.f32 == 2.5f, "exported const f32");
    wasm_val_t f = WASM_F32_VAL(9.0f);
    wasm_global_set(cf32, &f);
    wasm_global_get(cf32, &got);
    CHECK(got.of.f32 == 2.5f, "setting a const global does nothing");
    wasm_global_set(gi64, &f);
    wasm_global_get(gi64, &got);
    CHECK(got.of.i64 == 101, "setting a value of the wrong kind does nothing");

    /* An externref global holds a foreign object. */
    wasm_foreign_t *fo = wasm_foreign_new(store);
    wasm_val_t ref = WASM_REF_VAL(wasm_foreign_as_ref(fo));
    wasm_global_set(gext, &ref);
    CHECK(!wasm_func_call(ext_is_null, &none, &rv1) && r[0].of.i32 == 0, "guest sees the foreign object");
    wasm_global_get(gext, &got);
    CHECK(got.kind == WASM_EXTERNREF && got.of.ref && wasm_ref_same(got.of.ref, wasm_foreign_as_ref(fo)),
          "global holds the same foreign object");
    wasm_val_delete(&got);

    wasm_globaltype_t *t = wasm_global_type(gi64);
    CHECK(t && wasm_valtype_kind(wasm_globaltype_content(t)) == WASM_I64 && wasm_globaltype_mutability(t) == WASM_VAR,
          "type of an exported var i64 global");
    wasm_globaltype_delete(t);
    wasm_externtype_t *et = wasm_extern_type(ex.data[1]);
    const wasm_globaltype_t *gt = wasm_externtype_as_globaltype_const(et);
    CHECK(gt && wasm_valtype_kind(wasm_globaltype_content(gt)) == WASM_F32 &&
              wasm_globaltype_mutability(gt) == WASM_CONST && wasm_externtype_as_functype(et) == NULL,
          "extern type of a const f32 global");
    wasm_externtype_delete(et);

    wasm_foreign_delete(fo);
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_global_delete(ci);
    wasm_global_delete(vf);
    wasm_globaltype_delete(ct);
    wasm_globaltype_delete(vt);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    return check_failed != 0;
}
