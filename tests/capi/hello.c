/* hello.c: a module calls back into the host, through plain and environment-carrying callbacks;
 * the environment's finalizer runs when the store goes. */
#include "check.h"

static int plain_calls;

static wasm_trap_t *hello_plain(const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    plain_calls++;
    results->data[0].kind = WASM_I32;
    results->data[0].of.i32 = args->data[0].of.i32 * 2;
    return NULL;
}

typedef struct Env {
    int calls;
    int finalized;
} Env;

static wasm_trap_t *hello_env(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    Env *e = env;
    e->calls++;
    results->data[0].kind = WASM_I32;
    results->data[0].of.i32 = args->data[0].of.i32 * 3;
    return NULL;
}

static void finalize(void *env)
{
    ((Env *)env)->finalized++;
}

static int32_t run(wasm_store_t *store, wasm_module_t *module, wasm_func_t *host, int32_t arg)
{
    wasm_extern_t *imports[] = {wasm_func_as_extern(host)};
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, module, &iv, &trap);
    REQUIRE(inst && !trap, "instantiate with a host function");
    wasm_extern_vec_t exports;
    wasm_instance_exports(inst, &exports);
    wasm_func_t *f = EXPORT_FUNC(exports, 0);
    REQUIRE(f, "export 0 is a function");
    wasm_val_t a[1] = {WASM_I32_VAL(arg)}, r[1] = {WASM_INIT_VAL};
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
    trap = wasm_func_call(f, &av, &rv);
    CHECK(!trap, "call run");
    CHECK(r[0].kind == WASM_I32, "result kind is i32");
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(inst);
    return r[0].of.i32;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new();
    REQUIRE(engine, "engine");
    wasm_store_t *store = wasm_store_new(engine);
    REQUIRE(store, "store");
    wasm_module_t *module = check_module(store, dir, "hello");

    wasm_functype_t *type = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *plain = wasm_func_new(store, type, hello_plain);
    REQUIRE(plain, "wasm_func_new");
    CHECK(wasm_func_param_arity(plain) == 1 && wasm_func_result_arity(plain) == 1, "host function arity");
    CHECK(run(store, module, plain, 20) == 41, "guest gets the plain callback's result (20*2+1)");
    CHECK(plain_calls == 1, "plain callback ran once");

    /* The host function is itself callable from the host. */
    wasm_val_t a[1] = {WASM_I32_VAL(5)}, r[1] = {WASM_INIT_VAL};
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
    wasm_trap_t *trap = wasm_func_call(plain, &av, &rv);
    CHECK(!trap && r[0].of.i32 == 10 && plain_calls == 2, "host function called directly");

    Env env = {0, 0};
    wasm_func_t *withenv = wasm_func_new_with_env(store, type, hello_env, &env, finalize);
    REQUIRE(withenv, "wasm_func_new_with_env");
    CHECK(run(store, module, withenv, 7) == 22, "guest gets the env callback's result (7*3+1)");
    CHECK(env.calls == 1, "env callback saw its environment");

    wasm_functype_t *ft = wasm_func_type(withenv);
    CHECK(ft && wasm_functype_params(ft)->size == 1 && wasm_functype_results(ft)->size == 1 &&
              wasm_valtype_kind(wasm_functype_params(ft)->data[0]) == WASM_I32,
          "wasm_func_type of a host function");
    wasm_functype_delete(ft);

    wasm_functype_delete(type);
    wasm_func_delete(plain);
    wasm_func_delete(withenv);
    CHECK(env.finalized == 0, "finalizer waits for the store");
    wasm_module_delete(module);
    wasm_store_delete(store);
    CHECK(env.finalized == 1, "finalizer ran once when the store was deleted");
    wasm_engine_delete(engine);
    return check_failed != 0;
}
