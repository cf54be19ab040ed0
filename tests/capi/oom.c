/* oom.c: every allocation of a whole embedding session fails in turn (engine, store, module, host
 * function, instance, calls, a trap with its trace, table growth, exports): each call either works or
 * reports failure (NULL, false, an empty vector or a trap), nothing crashes, and under ASan nothing
 * leaks. Allocations are counted through the linker's --wrap of malloc, calloc and realloc. */
#include "check.h"

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t k);
void *__wrap_realloc(void *p, size_t n);


static long countdown = -1;   /* allocations left before the failing one; -1: never fail */
static int injected;

static int fail_now(void)
{
    if (countdown < 0)
        return 0;
    if (countdown-- == 0) {
        injected = 1;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t k) { return fail_now() ? NULL : __real_calloc(n, k); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }

static wasm_trap_t *plus_one(const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    results->data[0].kind = WASM_I32;
    results->data[0].of.i32 = args->data[0].of.i32 + 1;
    return NULL;
}

/* One session with tables.wasm; true when every step worked. */
static int session(const wasm_byte_vec_t *bytes)
{
    int ok = 0;
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = engine ? wasm_store_new(engine) : NULL;
    wasm_module_t *module = store ? wasm_module_new(store, bytes) : NULL;
    wasm_functype_t *ii = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *host = store && ii ? wasm_func_new(store, ii, plus_one) : NULL;
    wasm_instance_t *inst = NULL;
    wasm_extern_vec_t ex = WASM_EMPTY_VEC;
    wasm_exporttype_vec_t et = WASM_EMPTY_VEC;
    if (module && host) {
        wasm_extern_t *imports[] = {wasm_func_as_extern(host)};
        wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
        wasm_trap_t *trap = NULL;
        inst = wasm_instance_new(store, module, &iv, &trap);
        wasm_trap_delete(trap);
    }
    if (inst)
        wasm_instance_exports(inst, &ex);
    if (module)
        wasm_module_exports(module, &et);
    if (ex.size == 4 && et.size == 4) {
        wasm_table_t *table = wasm_extern_as_table(ex.data[0]);
        wasm_func_t *call_at = wasm_extern_as_func(ex.data[1]);
        int steps = 0;
        steps += wasm_table_set(table, 0, wasm_func_as_ref(host));
        wasm_val_t a[2] = {WASM_I32_VAL(0), WASM_I32_VAL(41)}, r[1] = {WASM_I32_VAL(0)};
        wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
        wasm_trap_t *trap = wasm_func_call(call_at, &av, &rv);
        steps += !trap && r[0].of.i32 == 42;
        wasm_trap_delete(trap);
        steps += wasm_table_grow(table, 2, NULL);
        a[0].of.i32 = 3;
        trap = wasm_func_call(call_at, &av, &rv);     /* a null element: a trap with a trace */
        if (trap) {
            wasm_message_t m;
            wasm_frame_vec_t trace;
            wasm_trap_message(trap, &m);
            wasm_trap_trace(trap, &trace);
            steps += m.size > 1 && trace.size == 1;
            wasm_byte_vec_delete(&m);
            wasm_frame_vec_delete(&trace);
            wasm_trap_delete(trap);
        }
        wasm_ref_t *e = wasm_table_get(table, 0);
        steps += e != NULL;
        wasm_ref_delete(e);
        ok = steps == 5;
    }
    wasm_exporttype_vec_delete(&et);
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_func_delete(host);
    wasm_functype_delete(ii);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    return ok;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_byte_vec_t bytes;
    check_load(dir, "tables", &bytes);
    REQUIRE(session(&bytes), "the session works without failures");
    long n, worked_after_failure = 0;
    for (n = 0; n < 100000; n++) {
        countdown = n;
        injected = 0;
        int ok = session(&bytes);
        countdown = -1;
        if (!injected)
            break;              /* the session needs fewer than n+1 allocations: all were tried */
        worked_after_failure += ok;
    }
    printf("# %ld allocations failed in turn; %ld sessions still completed\n", n, worked_after_failure);
    CHECK(n > 10 && n < 100000, "every allocation of the session failed once, without a crash");
    REQUIRE(session(&bytes), "the session works again afterwards");
    wasm_byte_vec_delete(&bytes);
    return check_failed != 0;
}
