/* start.c: instantiation that fails: a start function that traps (NULL, with the trap and its message),
 * and link errors (missing imports, the wrong kind, the wrong function type), each with a trap saying
 * why; a NULL trap pointer is allowed. */
#include "check.h"

static int logged;

static wasm_trap_t *log_cb(const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    logged += args->data[0].of.i32;
    return NULL;
}

static int has_message(const wasm_trap_t *trap)
{
    if (!trap)
        return 0;
    wasm_message_t m;
    wasm_trap_message(trap, &m);
    int ok = m.size > 1 && m.data[m.size - 1] == 0;
    printf("# link error: %s\n", ok ? m.data : "(none)");
    wasm_byte_vec_delete(&m);
    return ok;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = check_module(store, dir, "start");
    wasm_functype_t *t_log = wasm_functype_new_1_0(wasm_valtype_new_i32());
    wasm_func_t *f_log = wasm_func_new(store, t_log, log_cb);

    wasm_extern_t *imports[] = {wasm_func_as_extern(f_log)};
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, module, &iv, &trap);
    CHECK(inst == NULL, "a trapping start function fails the instantiation");
    CHECK(check_trap_message(trap, "unreachable"), "with the start function's trap");
    CHECK(logged == 1, "the start function ran up to its trap");
    wasm_frame_t *origin = trap ? wasm_trap_origin(trap) : NULL;
    CHECK(origin && wasm_frame_func_index(origin) == 1, "the trap's origin is the start function (index 1)");
    wasm_frame_delete(origin);
    wasm_trap_delete(trap);
    CHECK(wasm_instance_new(store, module, &iv, NULL) == NULL && logged == 2, "the same with no trap pointer");

    /* The start function known by its name: its index comes from the module that failed to instantiate. */
    wasm_module_t *named = check_module(store, dir, "start_names");
    trap = NULL;
    CHECK(wasm_instance_new(store, named, &iv, &trap) == NULL && logged == 3, "named start function traps");
    origin = trap ? wasm_trap_origin(trap) : NULL;
    CHECK(origin && wasm_frame_func_index(origin) == 1 && wasm_frame_instance(origin) == NULL,
          "its origin: function 1, no instance (none was made)");
    wasm_frame_delete(origin);
    wasm_trap_delete(trap);
    wasm_module_delete(named);

    wasm_extern_vec_t empty = WASM_EMPTY_VEC;
    trap = NULL;
    CHECK(wasm_instance_new(store, module, &empty, &trap) == NULL && has_message(trap), "missing import");
    wasm_trap_delete(trap);

    wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
    wasm_val_t v = WASM_I32_VAL(1);
    wasm_global_t *g = wasm_global_new(store, gt, &v);
    wasm_extern_t *wrong_kind[] = {wasm_global_as_extern(g)};
    wasm_extern_vec_t wk = WASM_ARRAY_VEC(wrong_kind);
    trap = NULL;
    CHECK(wasm_instance_new(store, module, &wk, &trap) == NULL && has_message(trap), "a global for a function");
    wasm_trap_delete(trap);

    wasm_functype_t *t_wrong = wasm_functype_new_1_0(wasm_valtype_new_i64());
    wasm_func_t *f_wrong = wasm_func_new(store, t_wrong, log_cb);
    wasm_extern_t *wrong_type[] = {wasm_func_as_extern(f_wrong)};
    wasm_extern_vec_t wt = WASM_ARRAY_VEC(wrong_type);
    trap = NULL;
    CHECK(wasm_instance_new(store, module, &wt, &trap) == NULL && has_message(trap), "a function of another type");
    wasm_trap_delete(trap);
    CHECK(logged == 3, "no start function ran for a link error");

    wasm_func_delete(f_wrong);
    wasm_functype_delete(t_wrong);
    wasm_global_delete(g);
    wasm_globaltype_delete(gt);
    wasm_func_delete(f_log);
    wasm_functype_delete(t_log);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    return check_failed != 0;
}
