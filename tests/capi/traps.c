/* traps.c: traps from guest code with the spec's messages and a trace of frames (instance and function
 * index), traps made by the host, copies, host information, and the instance still usable after. */
#include "check.h"

static int finalized;
static void fin(void *p) { finalized += *(int *)p; }

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = check_module(store, dir, "traps");
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, module, NULL, &trap);
    REQUIRE(inst && !trap, "instantiate");
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    REQUIRE(ex.size == 5, "5 exports");
    wasm_func_t *div = wasm_extern_as_func(ex.data[0]), *outer = wasm_extern_as_func(ex.data[1]);
    wasm_func_t *boom = wasm_extern_as_func(ex.data[2]), *oob = wasm_extern_as_func(ex.data[3]);
    wasm_func_t *deep = wasm_extern_as_func(ex.data[4]);

    wasm_val_t a[2] = {WASM_I32_VAL(0), WASM_I32_VAL(0)}, r[1];
    wasm_val_vec_t a1 = {1, a}, r1 = {1, r}, none = WASM_EMPTY_VEC;
    trap = wasm_func_call(outer, &a1, &r1);
    CHECK(check_trap_message(trap, "integer divide by zero"), "divide by zero: the spec's message");
    wasm_frame_vec_t trace;
    wasm_trap_trace(trap, &trace);
    CHECK(trace.size == 3, "three frames");
    if (trace.size == 3) {
        CHECK(wasm_frame_func_index(trace.data[0]) == 0 && wasm_frame_instance(trace.data[0]) &&
                  wasm_instance_same(wasm_frame_instance(trace.data[0]), inst),
              "innermost frame: exported function 0 of this instance");
        CHECK(wasm_frame_func_index(trace.data[1]) == 1, "middle frame: unnamed function 1");
        CHECK(wasm_frame_func_index(trace.data[2]) == 2 && wasm_frame_instance(trace.data[2]),
              "outer frame: exported function 2");
    }
    wasm_frame_t *origin = wasm_trap_origin(trap);
    CHECK(origin && wasm_frame_func_index(origin) == 0, "origin is the innermost frame");
    wasm_frame_t *oc = origin ? wasm_frame_copy(origin) : NULL;
    CHECK(oc && wasm_frame_func_index(oc) == 0 && wasm_frame_module_offset(oc) == wasm_frame_module_offset(origin),
          "frame copy");
    wasm_frame_delete(oc);
    wasm_frame_delete(origin);
    wasm_frame_vec_delete(&trace);

    wasm_trap_t *copy = wasm_trap_copy(trap);
    CHECK(check_trap_message(copy, "integer divide by zero"), "trap copy keeps the message");
    wasm_trap_delete(copy);
    wasm_trap_delete(trap);

    trap = wasm_func_call(boom, &none, &none);
    CHECK(check_trap_message(trap, "unreachable"), "unreachable");
    wasm_trap_delete(trap);
    trap = wasm_func_call(oob, &none, &r1);
    CHECK(check_trap_message(trap, "out of bounds memory access"), "out of bounds memory access");
    wasm_trap_delete(trap);
    a[0].of.i32 = INT32_MIN;
    a[1].of.i32 = -1;
    wasm_val_vec_t a2 = {2, a};
    trap = wasm_func_call(div, &a2, &r1);
    CHECK(check_trap_message(trap, "integer overflow"), "integer overflow");
    wasm_trap_delete(trap);
    trap = wasm_func_call(deep, &none, &none);
    CHECK(check_trap_message(trap, "call stack exhausted"), "unbounded recursion: call stack exhausted");
    wasm_trap_delete(trap);
    a[0].of.i32 = 84;
    a[1].of.i32 = 2;
    CHECK(!wasm_func_call(div, &a2, &r1) && r[0].of.i32 == 42, "the instance works after its traps");

    /* Functions known by their name-section names only: every frame still has instance and index. */
    wasm_module_t *named = check_module(store, dir, "traps_names");
    wasm_instance_t *ni = wasm_instance_new(store, named, NULL, &trap);
    REQUIRE(ni && !trap, "instantiate the module with names");
    wasm_extern_vec_t nex;
    wasm_instance_exports(ni, &nex);
    a[0].of.i32 = 0;
    trap = wasm_func_call(wasm_extern_as_func(nex.data[0]), &a1, &r1);
    CHECK(check_trap_message(trap, "integer divide by zero"), "named functions: the trap");
    wasm_trap_trace(trap, &trace);
    int all = trace.size == 3;
    for (size_t i = 0; all && i < 3; i++)
        all = wasm_frame_func_index(trace.data[i]) == i && wasm_frame_instance(trace.data[i]) &&
              wasm_instance_same(wasm_frame_instance(trace.data[i]), ni);
    CHECK(all, "named functions: three frames with instance and index");
    wasm_frame_vec_delete(&trace);
    wasm_trap_delete(trap);
    wasm_extern_vec_delete(&nex);
    wasm_instance_delete(ni);
    wasm_module_delete(named);

    /* Traps made by the host. */
    wasm_message_t msg;
    wasm_name_new_from_string_nt(&msg, "made by the host");
    trap = wasm_trap_new(store, &msg);
    wasm_byte_vec_delete(&msg);
    CHECK(check_trap_message(trap, "made by the host"), "wasm_trap_new message (with its NUL)");
    wasm_trap_delete(trap);
    wasm_name_new_from_string(&msg, "no terminator");
    trap = wasm_trap_new(store, &msg);
    wasm_byte_vec_delete(&msg);
    CHECK(check_trap_message(trap, "no terminator"), "wasm_trap_new message without a NUL gets one");
    CHECK(wasm_trap_origin(trap) == NULL, "a host trap has no origin");
    wasm_trap_trace(trap, &trace);
    CHECK(trace.size == 0, "and an empty trace");
    wasm_frame_vec_delete(&trace);
    static int three = 3;
    wasm_trap_set_host_info_with_finalizer(trap, &three, fin);
    CHECK(wasm_trap_get_host_info(trap) == &three, "trap host information");
    wasm_ref_t *as_ref = wasm_trap_as_ref(trap);
    CHECK(wasm_ref_as_trap(as_ref) == trap && wasm_ref_as_func(as_ref) == NULL, "trap as a reference and back");
    wasm_trap_delete(trap);
    CHECK(finalized == 3, "trap host information finalizer ran on delete");

    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    return check_failed != 0;
}
