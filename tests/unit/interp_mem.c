/* interp_mem.c: unit tests of linear memory: loads and stores of every width with sign and zero
 * extension, little-endian layout, data segments, out-of-bounds traps at and around the end (with guard
 * pages and with lodge_config_t.bounds_checks), memory.grow and the store's memory limit, and the bulk
 * memory operators. */
#include <string.h>

#include "wasmgen.h"

/* One module of accessors over a memory of `pages` pages (max `max`, < 0 none). */
static Bytes mem_module(uint32_t pages, int64_t max)
{
    WMod w;
    wm_init(&w);
    wm_memory(&w, pages, max);
    wm_export(&w, "mem", LODGE_EXTERN_MEMORY, 0);
    wm_data(&w, 8, "\x01\x02\x03\x04\x85\x86\x87\x88", 8);
#define ACC(name, sig, ...) wm_export(&w, name, LODGE_EXTERN_FUNC, WFUNC(&w, sig, "", __VA_ARGS__))
    ACC("i32.load", "i:i", LOCAL_GET, 0, I32_LOAD, MEMARG(2, 0));
    ACC("i64.load", "i:l", LOCAL_GET, 0, I64_LOAD, MEMARG(3, 0));
    ACC("f32.load", "i:f", LOCAL_GET, 0, F32_LOAD, MEMARG(2, 0));
    ACC("f64.load", "i:d", LOCAL_GET, 0, F64_LOAD, MEMARG(3, 0));
    ACC("i32.load8_s", "i:i", LOCAL_GET, 0, I32_LOAD8_S, MEMARG(0, 0));
    ACC("i32.load8_u", "i:i", LOCAL_GET, 0, I32_LOAD8_U, MEMARG(0, 0));
    ACC("i32.load16_s", "i:i", LOCAL_GET, 0, I32_LOAD16_S, MEMARG(1, 0));
    ACC("i32.load16_u", "i:i", LOCAL_GET, 0, I32_LOAD16_U, MEMARG(1, 0));
    ACC("i64.load8_s", "i:l", LOCAL_GET, 0, I64_LOAD8_S, MEMARG(0, 0));
    ACC("i64.load16_u", "i:l", LOCAL_GET, 0, I64_LOAD16_U, MEMARG(1, 0));
    ACC("i64.load32_s", "i:l", LOCAL_GET, 0, I64_LOAD32_S, MEMARG(2, 0));
    ACC("i64.load32_u", "i:l", LOCAL_GET, 0, I64_LOAD32_U, MEMARG(2, 0));
    ACC("load_off4", "i:i", LOCAL_GET, 0, I32_LOAD, MEMARG(0, 4)); /* unaligned hint, offset 4 */
    ACC("load_offmax", "i:i", LOCAL_GET, 0, I32_LOAD8_U, MEMARG(0, 0xffffffffu));
    ACC("i32.store", "ii:", LOCAL_GET, 0, LOCAL_GET, 1, I32_STORE, MEMARG(2, 0));
    ACC("i64.store", "il:", LOCAL_GET, 0, LOCAL_GET, 1, I64_STORE, MEMARG(3, 0));
    ACC("f32.store", "if:", LOCAL_GET, 0, LOCAL_GET, 1, F32_STORE, MEMARG(2, 0));
    ACC("f64.store", "id:", LOCAL_GET, 0, LOCAL_GET, 1, F64_STORE, MEMARG(3, 0));
    ACC("i32.store8", "ii:", LOCAL_GET, 0, LOCAL_GET, 1, I32_STORE8, MEMARG(0, 0));
    ACC("i32.store16", "ii:", LOCAL_GET, 0, LOCAL_GET, 1, I32_STORE16, MEMARG(1, 0));
    ACC("i64.store8", "il:", LOCAL_GET, 0, LOCAL_GET, 1, I64_STORE8, MEMARG(0, 0));
    ACC("i64.store16", "il:", LOCAL_GET, 0, LOCAL_GET, 1, I64_STORE16, MEMARG(1, 0));
    ACC("i64.store32", "il:", LOCAL_GET, 0, LOCAL_GET, 1, I64_STORE32, MEMARG(2, 0));
    ACC("store_off8", "ii:", LOCAL_GET, 0, LOCAL_GET, 1, I32_STORE, MEMARG(2, 8));
    ACC("size", ":i", MEMORY_SIZE, 0);
    ACC("grow", "i:i", LOCAL_GET, 0, MEMORY_GROW, 0);
    ACC("fill", "iii:", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, MEMORY_FILL, 0);
    ACC("copy", "iii:", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, MEMORY_COPY, 0, 0);
#undef ACC
    Bytes b = wm_finish(&w);
    wm_free(&w);
    return b;
}

static uint8_t *mem_of(Rig *r)
{
    lodge_extern_t e;
    if (!lodge_instance_export(r->inst, "mem", &e) || e.kind != LODGE_EXTERN_MEMORY)
        return NULL;
    return lodge_memory_data(e.of.memory);
}

static void loads_and_stores(UnitCtx *t, bool checked)
{
    lodge_config_t cfg = {0};
    cfg.bounds_checks = checked;
    RigOpts o = {.cfg = &cfg};
    Bytes b = mem_module(1, -1);
    Rig r;
    if (!CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message))
        goto out;
    uint8_t *mem = mem_of(&r);
    REQUIRE(mem);
    /* the data segment, read at every width (little-endian) */
    CHECK_I32(rig_call(&r, "i32.load", 1, vi32(8)), 0x04030201);
    CHECK_I64(rig_call(&r, "i64.load", 1, vi32(8)), (int64_t)0x8887868504030201ull);
    CHECK_I32(rig_call(&r, "i32.load8_s", 1, vi32(12)), -123);
    CHECK_I32(rig_call(&r, "i32.load8_u", 1, vi32(12)), 0x85);
    CHECK_I32(rig_call(&r, "i32.load16_s", 1, vi32(12)), (int16_t)0x8685);
    CHECK_I32(rig_call(&r, "i32.load16_u", 1, vi32(12)), 0x8685);
    CHECK_I64(rig_call(&r, "i64.load8_s", 1, vi32(15)), -120);
    CHECK_I64(rig_call(&r, "i64.load16_u", 1, vi32(14)), 0x8887);
    CHECK_I64(rig_call(&r, "i64.load32_s", 1, vi32(12)), (int32_t)0x88878685);
    CHECK_I64(rig_call(&r, "i64.load32_u", 1, vi32(12)), 0x88878685ll);
    CHECK_I32(rig_call(&r, "load_off4", 1, vi32(4)), 0x04030201);
    CHECK_I32(rig_call(&r, "i32.load", 1, vi32(9)), (int32_t)0x85040302); /* unaligned */
    /* stores land in host-visible memory, little-endian, with only their width written */
    memset(mem + 100, 0xee, 16);
    CHECK_OK(rig_call(&r, "i32.store8", 2, vi32(100), vi32(0x1234)));
    CHECK_OK(rig_call(&r, "i32.store16", 2, vi32(102), vi32(0x56789)));
    CHECK_INT(mem[100], 0x34);
    CHECK_INT(mem[101], 0xee);
    CHECK_INT(mem[102], 0x89);
    CHECK_INT(mem[103], 0x67);
    CHECK_INT(mem[104], 0xee);
    CHECK_OK(rig_call(&r, "i64.store32", 2, vi32(104), vi64(0x1122334455667788ll)));
    CHECK_INT(mem[104], 0x88);
    CHECK_INT(mem[107], 0x55);
    CHECK_INT(mem[108], 0xee);
    CHECK_OK(rig_call(&r, "i64.store8", 2, vi32(108), vi64(-1)));
    CHECK_OK(rig_call(&r, "i64.store16", 2, vi32(110), vi64(0xabcd)));
    CHECK_I32(rig_call(&r, "i32.load", 1, vi32(108)), (int32_t)0xabcdeeff);
    CHECK_OK(rig_call(&r, "i64.store", 2, vi32(200), vi64(INT64_MIN + 5)));
    CHECK_I64(rig_call(&r, "i64.load", 1, vi32(200)), INT64_MIN + 5);
    CHECK_OK(rig_call(&r, "f32.store", 2, vi32(300), vf32b(0x7fa00001u)));
    CHECK_F32(rig_call(&r, "f32.load", 1, vi32(300)), 0x7fa00001u); /* NaN payload kept */
    CHECK_OK(rig_call(&r, "f64.store", 2, vi32(301), vf64b(0xfff4000000000001ull)));
    CHECK_F64(rig_call(&r, "f64.load", 1, vi32(301)), 0xfff4000000000001ull);
    CHECK_OK(rig_call(&r, "store_off8", 2, vi32(400), vi32(77)));
    CHECK_I32(rig_call(&r, "i32.load", 1, vi32(408)), 77);
out:
    rig_close(&r);
    bytes_free(&b);
}

static void out_of_bounds(UnitCtx *t, bool checked)
{
    lodge_config_t cfg = {0};
    cfg.bounds_checks = checked;
    RigOpts o = {.cfg = &cfg};
    Bytes b = mem_module(1, -1);
    Rig r;
    if (!CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message))
        goto out;
    uint8_t *mem = mem_of(&r);
    REQUIRE(mem);
    const int32_t end = 65536;
    CHECK_OK(rig_call(&r, "i32.load", 1, vi32(end - 4)));
    CHECK_TRAP(rig_call(&r, "i32.load", 1, vi32(end - 3)), LODGE_TRAP_MEMORY_OOB);
    CHECK_TRAP(rig_call(&r, "i32.load", 1, vi32(end)), LODGE_TRAP_MEMORY_OOB);
    CHECK_TRAP(rig_call(&r, "i32.load", 1, vi32(-1)), LODGE_TRAP_MEMORY_OOB);
    CHECK_TRAP(rig_call(&r, "i64.load", 1, vi32(end - 7)), LODGE_TRAP_MEMORY_OOB);
    CHECK_OK(rig_call(&r, "i64.load", 1, vi32(end - 8)));
    CHECK_OK(rig_call(&r, "i32.load8_u", 1, vi32(end - 1)));
    CHECK_TRAP(rig_call(&r, "i32.load8_u", 1, vi32(end)), LODGE_TRAP_MEMORY_OOB);
    CHECK_TRAP(rig_call(&r, "i32.load16_s", 1, vi32(end - 1)), LODGE_TRAP_MEMORY_OOB);
    CHECK_TRAP(rig_call(&r, "load_off4", 1, vi32(end - 4)), LODGE_TRAP_MEMORY_OOB);
    /* the offset immediate adds to the address in 33+ bits: no wrap-around to low memory */
    CHECK_TRAP(rig_call(&r, "load_offmax", 1, vi32(1)), LODGE_TRAP_MEMORY_OOB);
    CHECK_TRAP(rig_call(&r, "load_offmax", 1, vi32(-1)), LODGE_TRAP_MEMORY_OOB);
    CHECK_TRAP(rig_call(&r, "store_off8", 2, vi32(-8), vi32(1)), LODGE_TRAP_MEMORY_OOB);
    CHECK_TRAP(rig_call(&r, "f64.load", 1, vi32(INT32_MIN)), LODGE_TRAP_MEMORY_OOB);
    /* a store straddling the end traps and writes nothing */
    memset(mem + end - 4, 0x11, 4);
    CHECK_TRAP(rig_call(&r, "i64.store", 2, vi32(end - 4), vi64(-1)), LODGE_TRAP_MEMORY_OOB);
    CHECK_I32(rig_call(&r, "i32.load", 1, vi32(end - 4)), 0x11111111);
    CHECK_TRAP(rig_call(&r, "i32.store16", 2, vi32(end - 1), vi32(0)), LODGE_TRAP_MEMORY_OOB);
    CHECK_INT(mem[end - 1], 0x11);
    Call c = rig_call(&r, "i32.load", 1, vi32(end));
    CHECK_STR(c.err.message, "out of bounds memory access");
    /* after growing, the same address works; the new page reads as zero */
    CHECK_I32(rig_call(&r, "grow", 1, vi32(1)), 1);
    CHECK_I32(rig_call(&r, "i32.load", 1, vi32(end)), 0);
    CHECK_OK(rig_call(&r, "i32.store", 2, vi32(2 * end - 4), vi32(5)));
    CHECK_TRAP(rig_call(&r, "i32.store", 2, vi32(2 * end - 3), vi32(5)), LODGE_TRAP_MEMORY_OOB);
    /* the store still works after traps */
    CHECK_I32(rig_call(&r, "i32.load", 1, vi32(8)), 0x04030201);
out:
    rig_close(&r);
    bytes_free(&b);
}

static void guard_pages(UnitCtx *t) { loads_and_stores(t, false); out_of_bounds(t, false); }
static void bounds_checks(UnitCtx *t) { loads_and_stores(t, true); out_of_bounds(t, true); }

/* A zero-page memory: every access traps, memory.size is 0, and it can grow. */
static void empty_memory(UnitCtx *t)
{
    for (int checked = 0; checked < 2; checked++) {
        lodge_config_t cfg = {0};
        cfg.bounds_checks = checked;
        RigOpts o = {.cfg = &cfg};
        WMod w;
        wm_init(&w);
        wm_memory(&w, 0, 2);
        wm_export(&w, "load", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32_LOAD8_U, MEMARG(0, 0)));
        wm_export(&w, "grow", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, MEMORY_GROW, 0));
        wm_export(&w, "size", LODGE_EXTERN_FUNC, WFUNC(&w, ":i", "", MEMORY_SIZE, 0));
        Bytes b = wm_finish(&w);
        wm_free(&w);
        Rig r;
        if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
            CHECK_I32(rig_call(&r, "size", 0), 0);
            CHECK_TRAP(rig_call(&r, "load", 1, vi32(0)), LODGE_TRAP_MEMORY_OOB);
            CHECK_I32(rig_call(&r, "grow", 1, vi32(3)), -1); /* past the maximum */
            CHECK_I32(rig_call(&r, "grow", 1, vi32(2)), 0);
            CHECK_I32(rig_call(&r, "load", 1, vi32(131071)), 0);
            CHECK_I32(rig_call(&r, "grow", 1, vi32(0)), 2);
            CHECK_I32(rig_call(&r, "grow", 1, vi32(1)), -1);
            CHECK_I32(rig_call(&r, "size", 0), 2);
        }
        rig_close(&r);
        bytes_free(&b);
    }
}

static void grow_and_store_limit(UnitCtx *t)
{
    Bytes b = mem_module(1, -1);
    lodge_store_limits_t lim = {.max_memory = 4 * 65536 + 64 * 1024}; /* four pages and change */
    RigOpts o = {.limits = &lim};
    Rig r;
    if (!CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message))
        goto out;
    size_t used = lodge_store_memory_used(r.store);
    CHECKF(used >= 65536 && used < lim.max_memory, "memory used %zu", used);
    CHECK_I32(rig_call(&r, "size", 0), 1);
    CHECK_I32(rig_call(&r, "grow", 1, vi32(2)), 1);
    CHECK_I32(rig_call(&r, "size", 0), 3);
    CHECK(lodge_store_memory_used(r.store) >= used + 2 * 65536);
    CHECK_I32(rig_call(&r, "grow", 1, vi32(2)), -1); /* over the store's limit */
    CHECK_I32(rig_call(&r, "size", 0), 3);
    CHECK_I32(rig_call(&r, "grow", 1, vi32(1)), 3);  /* up to it */
    CHECK_I32(rig_call(&r, "grow", 1, vi32(1)), -1);
    CHECK_I32(rig_call(&r, "grow", 1, vi32(65536)), -1);
    CHECK_I32(rig_call(&r, "grow", 1, vi32(-1)), -1);
    CHECK_I32(rig_call(&r, "size", 0), 4);
    CHECK_I32(rig_call(&r, "i32.load", 1, vi32(4 * 65536 - 4)), 0);
out:
    rig_close(&r);
    bytes_free(&b);
    /* a module whose memory alone is over the limit cannot be instantiated */
    b = mem_module(8, -1);
    lim.max_memory = 4 * 65536;
    CHECK(!rig_open(&r, &b, &o));
    CHECK_INT(r.err.status, LODGE_ERR_NOMEM);
    CHECK_INT(r.err.trap, LODGE_TRAP_MEMORY_LIMIT);
    rig_close(&r);
    bytes_free(&b);
}

static void bulk_memory(UnitCtx *t)
{
    for (int checked = 0; checked < 2; checked++) {
        lodge_config_t cfg = {0};
        cfg.bounds_checks = checked;
        RigOpts o = {.cfg = &cfg};
        WMod w;
        wm_init(&w);
        wm_memory(&w, 1, -1);
        wm_export(&w, "mem", LODGE_EXTERN_MEMORY, 0);
        wm_datacount(&w);
        wm_data_passive(&w, "PASSIVE", 7);
        wm_export(&w, "fill", LODGE_EXTERN_FUNC,
                  WFUNC(&w, "iii:", "", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, MEMORY_FILL, 0));
        wm_export(&w, "copy", LODGE_EXTERN_FUNC,
                  WFUNC(&w, "iii:", "", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, MEMORY_COPY, 0, 0));
        wm_export(&w, "init", LODGE_EXTERN_FUNC,
                  WFUNC(&w, "iii:", "", LOCAL_GET, 0, LOCAL_GET, 1, LOCAL_GET, 2, MEMORY_INIT, 0, 0));
        wm_export(&w, "drop", LODGE_EXTERN_FUNC, WFUNC(&w, ":", "", DATA_DROP, 0));
        Bytes b = wm_finish(&w);
        wm_free(&w);
        Rig r;
        if (!CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
            rig_close(&r);
            bytes_free(&b);
            continue;
        }
        uint8_t *mem = mem_of(&r);
        CHECK_OK(rig_call(&r, "fill", 3, vi32(10), vi32(0x1ab), vi32(5))); /* the value's low byte */
        CHECK(memcmp(mem + 10, "\xab\xab\xab\xab\xab", 5) == 0 && mem[15] == 0 && mem[9] == 0);
        CHECK_OK(rig_call(&r, "init", 3, vi32(100), vi32(1), vi32(6)));
        CHECK(memcmp(mem + 100, "ASSIVE", 6) == 0);
        /* overlapping copies behave like memmove in both directions */
        CHECK_OK(rig_call(&r, "copy", 3, vi32(102), vi32(100), vi32(6)));
        CHECK(memcmp(mem + 100, "ASASSIVE", 8) == 0);
        CHECK_OK(rig_call(&r, "copy", 3, vi32(100), vi32(102), vi32(6)));
        CHECK(memcmp(mem + 100, "ASSIVEVE", 8) == 0);
        /* bounds are checked before anything is written */
        CHECK_TRAP(rig_call(&r, "fill", 3, vi32(65530), vi32(7), vi32(7)), LODGE_TRAP_MEMORY_OOB);
        CHECK_INT(mem[65530], 0);
        CHECK_TRAP(rig_call(&r, "copy", 3, vi32(65530), vi32(0), vi32(7)), LODGE_TRAP_MEMORY_OOB);
        CHECK_TRAP(rig_call(&r, "copy", 3, vi32(0), vi32(-1), vi32(2)), LODGE_TRAP_MEMORY_OOB);
        CHECK_TRAP(rig_call(&r, "init", 3, vi32(0), vi32(5), vi32(3)), LODGE_TRAP_MEMORY_OOB);
        CHECK_TRAP(rig_call(&r, "init", 3, vi32(65535), vi32(0), vi32(2)), LODGE_TRAP_MEMORY_OOB);
        /* zero-length operations at the very end are fine; one past it traps */
        CHECK_OK(rig_call(&r, "fill", 3, vi32(65536), vi32(0), vi32(0)));
        CHECK_TRAP(rig_call(&r, "fill", 3, vi32(65537), vi32(0), vi32(0)), LODGE_TRAP_MEMORY_OOB);
        CHECK_OK(rig_call(&r, "copy", 3, vi32(65536), vi32(65536), vi32(0)));
        CHECK_OK(rig_call(&r, "init", 3, vi32(0), vi32(7), vi32(0)));
        /* after data.drop the segment is empty */
        CHECK_OK(rig_call(&r, "drop", 0));
        CHECK_OK(rig_call(&r, "drop", 0));
        CHECK_TRAP(rig_call(&r, "init", 3, vi32(0), vi32(0), vi32(1)), LODGE_TRAP_MEMORY_OOB);
        CHECK_OK(rig_call(&r, "init", 3, vi32(0), vi32(0), vi32(0)));
        rig_close(&r);
        bytes_free(&b);
    }
}

/* Data segments are written in order at instantiation; one that does not fit traps the instantiation. */
static void data_segments(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    wm_memory(&w, 1, -1);
    wm_data(&w, 65534, "ab", 2);
    wm_data(&w, 65535, "cd", 2); /* one byte too far */
    Bytes b = wm_finish(&w);
    wm_free(&w);
    Rig r;
    CHECK(!rig_open(&r, &b, NULL));
    CHECK_INT(r.err.status, LODGE_ERR_TRAP);
    CHECK_INT(r.err.trap, LODGE_TRAP_MEMORY_OOB);
    rig_close(&r);
    bytes_free(&b);
    /* a segment of length 0 exactly at the end is fine */
    wm_init(&w);
    wm_memory(&w, 1, -1);
    wm_data(&w, 65536, "", 0);
    b = wm_finish(&w);
    wm_free(&w);
    CHECKF(rig_open(&r, &b, NULL), "empty segment at the end: %s", r.err.message);
    rig_close(&r);
    bytes_free(&b);
}

/* Loads and stores whose address is an i32.add of every kind of operand: locals, constants, call results
 * (temporaries), in both bounds-check modes. The interpreter fuses the add into the access. */
static void address_forms(UnitCtx *t)
{
    for (int checked = 0; checked < 2; checked++) {
        lodge_config_t cfg = {0};
        cfg.bounds_checks = checked;
        RigOpts o = {.cfg = &cfg};
        WMod w;
        wm_init(&w);
        wm_memory(&w, 1, -1);
        wm_data(&w, 100, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
        uint32_t c96 = WFUNC(&w, ":i", "", I32C(96));
        wm_export(&w, "call+local", LODGE_EXTERN_FUNC,
                  WFUNC(&w, "i:i", "", CALL, (uint8_t)c96, LOCAL_GET, 0, I32_ADD, I32_LOAD, MEMARG(2, 0)));
        wm_export(&w, "local+call", LODGE_EXTERN_FUNC,
                  WFUNC(&w, "i:i", "", LOCAL_GET, 0, CALL, (uint8_t)c96, I32_ADD, I32_LOAD, MEMARG(2, 0)));
        wm_export(&w, "call+const", LODGE_EXTERN_FUNC,
                  WFUNC(&w, "i:i", "", CALL, (uint8_t)c96, I32C(4), I32_ADD, I32_LOAD, MEMARG(2, 0)));
        wm_export(&w, "local+local", LODGE_EXTERN_FUNC,
                  WFUNC(&w, "ii:i", "", LOCAL_GET, 0, LOCAL_GET, 1, I32_ADD, I32_LOAD8_U, MEMARG(0, 1)));
        wm_export(&w, "store call+local", LODGE_EXTERN_FUNC,
                  WFUNC(&w, "ii:i", "", CALL, (uint8_t)c96, LOCAL_GET, 0, I32_ADD, LOCAL_GET, 1, I32_STORE,
                        MEMARG(2, 0), I32C(200), I32_LOAD, MEMARG(2, 0)));
        Bytes b = wm_finish(&w);
        wm_free(&w);
        Rig r;
        if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
            CHECK_I32(rig_call(&r, "call+local", 1, vi32(4)), 0x44332211);
            CHECK_I32(rig_call(&r, "local+call", 1, vi32(8)), (int32_t)0x88776655);
            CHECK_I32(rig_call(&r, "call+const", 1, vi32(0)), 0x44332211);
            CHECK_I32(rig_call(&r, "local+local", 2, vi32(50), vi32(50)), 0x22);
            CHECK_I32(rig_call(&r, "store call+local", 2, vi32(104), vi32(12345)), 12345);
            CHECK_TRAP(rig_call(&r, "call+local", 1, vi32(65536 - 96 - 3)), LODGE_TRAP_MEMORY_OOB);
            CHECK_TRAP(rig_call(&r, "store call+local", 2, vi32(65536 - 96 - 3), vi32(1)), LODGE_TRAP_MEMORY_OOB);
            /* the add wraps at 32 bits: 96 + (-96) is address 0, in bounds */
            CHECK_I32(rig_call(&r, "store call+local", 2, vi32(-96), vi32(77)), 12345);
            CHECK_I32(rig_call(&r, "call+local", 1, vi32(-96)), 77);
            CHECK_TRAP(rig_call(&r, "local+call", 1, vi32(-100)), LODGE_TRAP_MEMORY_OOB); /* 0xfffffffc */
        }
        rig_close(&r);
        bytes_free(&b);
    }
}

UNIT_SUITE(interp_mem, UNIT_TEST(guard_pages), UNIT_TEST(bounds_checks), UNIT_TEST(empty_memory),
           UNIT_TEST(grow_and_store_limit), UNIT_TEST(bulk_memory), UNIT_TEST(data_segments),
           UNIT_TEST(address_forms));
