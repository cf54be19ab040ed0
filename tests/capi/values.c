/* values.c: calling exports with every value type: i32, i64, f32, f64 (NaN payloads kept), several
 * results, funcref and externref (a foreign object goes through guest code and comes back the same),
 * and calls with the wrong number or kind of arguments. */
#include <math.h>

#include "check.h"

static wasm_extern_vec_t exports;
static wasm_exporttype_vec_t types;

/* An export by name, through the module's export types (same order as the instance's exports). */
static wasm_func_t *get(const char *name)
{
    for (size_t i = 0; i < types.size; i++) {
        const wasm_name_t *n = wasm_exporttype_name(types.data[i]);
        if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0)
            return wasm_extern_as_func(exports.data[i]);
    }
    printf("not ok - no export %s\n", name);
    exit(1);
}

static wasm_trap_t *call(const char *name, wasm_val_t *args, size_t nargs, wasm_val_t *results, size_t nresults)
{
    wasm_val_vec_t av = {nargs, args}, rv = {nresults, results};
    return wasm_func_call(get(name), &av, &rv);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = check_module(store, dir, "values");
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, module, NULL, &trap);
    REQUIRE(inst && !trap, "instantiate");
    wasm_instance_exports(inst, &exports);
    wasm_module_exports(module, &types);
    REQUIRE(exports.size == types.size && exports.size == 11, "11 exports");

    wasm_val_t a[4], r[4];
    a[0] = (wasm_val_t)WASM_I32_VAL(INT32_MAX);
    a[1] = (wasm_val_t)WASM_I32_VAL(1);
    CHECK(!call("add_i32", a, 2, r, 1) && r[0].kind == WASM_I32 && r[0].of.i32 == INT32_MIN, "i32 add wraps");
    a[0] = (wasm_val_t)WASM_I64_VAL(0x100000000LL);
    a[1] = (wasm_val_t)WASM_I64_VAL(-1);
    CHECK(!call("add_i64", a, 2, r, 1) && r[0].kind == WASM_I64 && r[0].of.i64 == 0xffffffffLL, "i64 add");
    a[0] = (wasm_val_t)WASM_F32_VAL(1.5f);
    a[1] = (wasm_val_t)WASM_F32_VAL(-4.0f);
    CHECK(!call("mul_f32", a, 2, r, 1) && r[0].kind == WASM_F32 && r[0].of.f32 == -6.0f, "f32 mul");
    a[0] = (wasm_val_t)WASM_F64_VAL(1.0);
    a[1] = (wasm_val_t)WASM_F64_VAL(0.0);
    CHECK(!call("div_f64", a, 2, r, 1) && r[0].kind == WASM_F64 && isinf(r[0].of.f64), "f64 div by zero is inf");

    a[0] = (wasm_val_t)WASM_I32_VAL(-7);
    a[1] = (wasm_val_t)WASM_I64_VAL(INT64_MIN);
    a[2] = (wasm_val_t)WASM_F32_VAL(0.25f);
    a[3] = (wasm_val_t)WASM_F64_VAL(-2.5);
    CHECK(!call("swap", a, 4, r, 4) && r[0].kind == WASM_F64 && r[0].of.f64 == -2.5 && r[1].kind == WASM_F32 &&
              r[1].of.f32 == 0.25f && r[2].kind == WASM_I64 && r[2].of.i64 == INT64_MIN && r[3].kind == WASM_I32 &&
              r[3].of.i32 == -7,
          "four results in order");

    uint32_t nan_bits = 0x7fa00001u, out_bits;
    a[0].kind = WASM_F32;
    memcpy(&a[0].of.f32, &nan_bits, 4);
    CHECK(!call("id_f32", a, 1, r, 1), "f32 NaN passes");
    memcpy(&out_bits, &r[0].of.f32, 4);
    CHECK(out_bits == nan_bits, "f32 NaN payload kept");

    /* externref: a foreign object travels through guest code and comes back as the same object. */
    wasm_foreign_t *foreign = wasm_foreign_new(store);
    int tag = 5;
    wasm_foreign_set_host_info(foreign, &tag);
    a[0] = (wasm_val_t)WASM_REF_VAL(wasm_foreign_as_ref(foreign));
    CHECK(!call("id_extern", a, 1, r, 1) && r[0].kind == WASM_EXTERNREF && r[0].of.ref, "externref round trip");
    wasm_foreign_t *back = r[0].of.ref ? wasm_ref_as_foreign(r[0].of.ref) : NULL;
    CHECK(back && wasm_foreign_same(back, foreign), "the same foreign object came back");
    CHECK(back && wasm_foreign_get_host_info(back) == &tag, "its host information is the object's");
    wasm_val_delete(&r[0]); /* releases `back` */
    CHECK(!call("is_null", a, 1, r, 1) && r[0].of.i32 == 0, "a foreign object is not null");
    a[0] = (wasm_val_t)WASM_REF_VAL(NULL);
    CHECK(!call("id_extern", a, 1, r, 1) && r[0].kind == WASM_EXTERNREF && r[0].of.ref == NULL, "null externref");
    CHECK(!call("is_null", a, 1, r, 1) && r[0].of.i32 == 1, "null externref is null in the guest");

    /* funcref: ref.func comes back as a function that is the export "f" and can be called. */
    CHECK(!call("get_f", NULL, 0, r, 1) && r[0].kind == WASM_FUNCREF && r[0].of.ref, "funcref result");
    wasm_func_t *f = r[0].of.ref ? wasm_ref_as_func(r[0].of.ref) : NULL;
    CHECK(f && wasm_func_same(f, get("f")), "funcref is the exported function");
    wasm_val_t r2[1];
    wasm_val_vec_t none = WASM_EMPTY_VEC, rv2 = WASM_ARRAY_VEC(r2);
    CHECK(f && !wasm_func_call(f, &none, &rv2) && r2[0].of.i32 == 42, "calling the funcref");
    a[0].kind = WASM_FUNCREF;
    a[0].of.ref = r[0].of.ref;
    wasm_val_t r3[1];
    CHECK(!call("id_func", a, 1, r3, 1) && r3[0].of.ref && wasm_ref_same(r3[0].of.ref, a[0].of.ref),
          "funcref parameter round trip");
    wasm_val_t copy;
    wasm_val_copy(&copy, &r3[0]);
    CHECK(copy.kind == WASM_FUNCREF && copy.of.ref != r3[0].of.ref && wasm_ref_same(copy.of.ref, r3[0].of.ref),
          "wasm_val_copy copies the reference");
    wasm_val_delete(&copy);
    wasm_val_delete(&r3[0]);
    wasm_val_delete(&r[0]); /* releases `f` */

    /* Wrong calls trap instead of crashing. */
    a[0] = (wasm_val_t)WASM_I32_VAL(1);
    trap = call("add_i32", a, 1, r, 1);
    CHECK(trap != NULL, "too few arguments traps");
    wasm_trap_delete(trap);
    a[1] = (wasm_val_t)WASM_F64_VAL(1.0);
    trap = call("add_i32", a, 2, r, 1);
    CHECK(trap != NULL, "an argument of the wrong kind traps");
    wasm_trap_delete(trap);
    a[1] = (wasm_val_t)WASM_I32_VAL(2);
    r[0] = (wasm_val_t)WASM_I32_VAL(-1);
    trap = call("add_i32", a, 2, r, 0);
    CHECK(trap == NULL && r[0].of.i32 == -1, "a call with no room for the result runs and drops it");
    wasm_trap_delete(trap);

    wasm_foreign_delete(foreign);
    wasm_exporttype_vec_delete(&types);
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(inst);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    return check_failed != 0;
}
