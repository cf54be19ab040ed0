/* memory.c: an exported memory read and written from both sides, its size in pages and bytes, growth
 * by the host and by the guest up to the maximum, bounds traps; and a memory made by the host and
 * imported. */
#include "check.h"

static wasm_func_t *fn[4];

static int call(int which, int32_t a0, int32_t a1, size_t nargs, int32_t *result)
{
    wasm_val_t a[2] = {WASM_I32_VAL(a0), WASM_I32_VAL(a1)}, r[1] = {WASM_I32_VAL(0)};
    wasm_val_vec_t av = {nargs, a}, rv = {wasm_func_result_arity(fn[which]), r};
    wasm_trap_t *trap = wasm_func_call(fn[which], &av, &rv);
    if (result)
        *result = r[0].of.i32;
    int ok = trap == NULL;
    wasm_trap_delete(trap);
    return ok;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = check_module(store, dir, "memory");
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, module, NULL, &trap);
    REQUIRE(inst && !trap, "instantiate");
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    REQUIRE(ex.size == 5, "5 exports");
    wasm_memory_t *mem = wasm_extern_as_memory(ex.data[0]);
    for (int i = 0; i < 4; i++)
        fn[i] = wasm_extern_as_func(ex.data[i + 1]);
    REQUIRE(mem && fn[0] && fn[1] && fn[2] && fn[3], "export kinds");
    enum { SIZE, LOAD8, STORE8, GROW };
    int32_t r;

    CHECK(wasm_memory_size(mem) == 2 && wasm_memory_data_size(mem) == 2 * MEMORY_PAGE_SIZE, "2 pages");
    byte_t *data = wasm_memory_data(mem);
    CHECK(data[0x1000] == 1 && data[0x1003] == 4, "host reads the data segment");
    CHECK(call(LOAD8, 0x1002, 0, 1, &r) && r == 3, "guest reads it");
    data[0x2000] = 99;
    CHECK(call(LOAD8, 0x2000, 0, 1, &r) && r == 99, "guest sees a host write");
    CHECK(call(STORE8, 0x3000, 0xab, 2, NULL) && (uint8_t)data[0x3000] == 0xab, "host sees a guest write");
    CHECK(!call(LOAD8, 0x20000, 0, 1, NULL), "guest read past the end traps");

    CHECK(wasm_memory_grow(mem, 1) && wasm_memory_size(mem) == 3, "host grows by one page");
    CHECK(call(SIZE, 0, 0, 0, &r) && r == 3, "guest sees 3 pages");
    data = wasm_memory_data(mem);
    data[3 * MEMORY_PAGE_SIZE - 1] = 7;
    CHECK(call(LOAD8, 3 * 65536 - 1, 0, 1, &r) && r == 7, "the new page is usable from both sides");
    CHECK(call(GROW, 1, 0, 1, &r) && r == 3 && wasm_memory_size(mem) == 4, "guest grows to 4 pages");
    CHECK(wasm_memory_data_size(mem) == 4 * MEMORY_PAGE_SIZE, "host sees the guest's growth");
    CHECK(!wasm_memory_grow(mem, 1) && wasm_memory_size(mem) == 4, "growth past the maximum fails");
    CHECK(wasm_memory_grow(mem, 0), "grow by 0 succeeds");
    wasm_memorytype_t *mt = wasm_memory_type(mem);
    CHECK(wasm_memorytype_limits(mt)->min == 4 && wasm_memorytype_limits(mt)->max == 4, "memory type after growth");
    wasm_memorytype_delete(mt);

    /* A memory made by the host and imported. */
    wasm_module_t *m2 = check_module(store, dir, "memimport");
    wasm_limits_t lim = {1, wasm_limits_max_default};
    wasm_memorytype_t *hmt = wasm_memorytype_new(&lim);
    wasm_memory_t *hmem = wasm_memory_new(store, hmt);
    REQUIRE(hmem, "host memory");
    int32_t x = 40, y = 2;
    memcpy(wasm_memory_data(hmem) + 16, &x, 4);
    memcpy(wasm_memory_data(hmem) + 32, &y, 4);
    wasm_extern_t *imports[] = {wasm_memory_as_extern(hmem)};
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_instance_t *i2 = wasm_instance_new(store, m2, &iv, &trap);
    REQUIRE(i2 && !trap, "instantiate with the host memory");
    wasm_extern_vec_t ex2;
    wasm_instance_exports(i2, &ex2);
    wasm_func_t *sum = wasm_extern_as_func(ex2.data[0]);
    wasm_val_t a[2] = {WASM_I32_VAL(16), WASM_I32_VAL(32)}, rr[1];
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(rr);
    CHECK(!wasm_func_call(sum, &av, &rv) && rr[0].of.i32 == 42, "guest reads the host memory");
    CHECK(wasm_memory_grow(hmem, 100) && wasm_memory_size(hmem) == 101, "a memory without maximum grows");
    wasm_limits_t badlim = {2, 1};
    wasm_memorytype_t *badt = wasm_memorytype_new(&badlim);
    CHECK(wasm_memory_new(store, badt) == NULL, "a memory with min > max is refused");

    wasm_memorytype_delete(badt);
    wasm_extern_vec_delete(&ex2);
    wasm_instance_delete(i2);
    wasm_memory_delete(hmem);
    wasm_memorytype_delete(hmt);
    wasm_module_delete(m2);
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    return check_failed != 0;
}
