/* callbacks.c: a host callback that traps (its message reaches the caller of the guest), a callback
 * that calls back into the guest (results and traps pass through), and a callback returning a value of
 * the wrong kind. */
#include "check.h"

typedef struct Host {
    wasm_store_t *store;
    wasm_func_t *square, *div0;
    int fail_calls;
} Host;

static wasm_trap_t *fail_cb(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    Host *h = env;
    h->fail_calls++;
    char text[64];
    snprintf(text, sizeof text, "host refused %d", args->data[0].of.i32);
    wasm_message_t msg;
    wasm_name_new_from_string_nt(&msg, text);
    wasm_trap_t *trap = wasm_trap_new(h->store, &msg);
    wasm_byte_vec_delete(&msg);
    return trap;
}

/* x >= 0: square(x) through the guest; x < 0: div0's trap, passed on; x == 1000: a result of the wrong
 * kind. */
static wasm_trap_t *reenter_cb(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    Host *h = env;
    int32_t x = args->data[0].of.i32;
    if (x == 1000) {
        results->data[0].kind = WASM_F64;
        results->data[0].of.f64 = 1.0;
        return NULL;
    }
    wasm_val_t a[1] = {WASM_I32_VAL(x)}, r[1] = {WASM_INIT_VAL};
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r), none = WASM_EMPTY_VEC;
    wasm_trap_t *trap = x >= 0 ? wasm_func_call(h->square, &av, &rv) : wasm_func_call(h->div0, &none, &rv);
    if (trap)
        return trap;
    results->data[0] = r[0];
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = check_module(store, dir, "callbacks");
    Host host = {store, NULL, NULL, 0};
    wasm_functype_t *t_fail = wasm_functype_new_1_0(wasm_valtype_new_i32());
    wasm_functype_t *t_re = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *f_fail = wasm_func_new_with_env(store, t_fail, fail_cb, &host, NULL);
    wasm_func_t *f_re = wasm_func_new_with_env(store, t_re, reenter_cb, &host, NULL);
    wasm_extern_t *imports[] = {wasm_func_as_extern(f_fail), wasm_func_as_extern(f_re)};
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, module, &iv, &trap);
    REQUIRE(inst && !trap, "instantiate");
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    REQUIRE(ex.size == 4, "4 exports");
    wasm_func_t *call_fail = wasm_extern_as_func(ex.data[0]), *call_re = wasm_extern_as_func(ex.data[1]);
    host.square = wasm_extern_as_func(ex.data[2]);
    host.div0 = wasm_extern_as_func(ex.data[3]);

    wasm_val_t a[1] = {WASM_I32_VAL(7)}, r[1];
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r), none = WASM_EMPTY_VEC;
    trap = wasm_func_call(call_fail, &av, &none);
    CHECK(check_trap_message(trap, "host refused 7"), "a callback's trap reaches the caller with its message");
    CHECK(host.fail_calls == 1, "the callback ran once");
    wasm_frame_vec_t trace;
    if (trap) {
        wasm_trap_trace(trap, &trace);
        CHECK(trace.size >= 1 && wasm_frame_func_index(trace.data[0]) == 2, "the trace names the calling export");
        wasm_frame_vec_delete(&trace);
    }
    wasm_trap_delete(trap);

    a[0].of.i32 = 12;
    trap = wasm_func_call(call_re, &av, &rv);
    CHECK(!trap && r[0].of.i32 == 1144, "a callback calls into the guest (12*12+1000)");
    wasm_trap_delete(trap);
    a[0].of.i32 = -1;
    trap = wasm_func_call(call_re, &av, &rv);
    CHECK(check_trap_message(trap, "integer divide by zero"), "a nested guest trap passes back through the callback");
    wasm_trap_delete(trap);
    a[0].of.i32 = 1000;
    trap = wasm_func_call(call_re, &av, &rv);
    CHECK(trap != NULL, "a callback result of the wrong kind traps");
    wasm_trap_delete(trap);
    a[0].of.i32 = 3;
    CHECK(!wasm_func_call(call_re, &av, &rv) && r[0].of.i32 == 1009, "all still works after the traps");

    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_func_delete(f_fail);
    wasm_func_delete(f_re);
    wasm_functype_delete(t_fail);
    wasm_functype_delete(t_re);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    return check_failed != 0;
}
