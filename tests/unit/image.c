/* image.c: unit tests of memories made from a module's copy-on-write image (wasm/image.c) and of the
 * engine's pool of reservations: each instance sees the data segments and only its own writes, a memory
 * made from a reused reservation starts from the image and zeros again, and whatever cannot come from an
 * image (offsets from globals, a segment out of bounds, imported memories) is still done by copying. Every
 * check runs with guard pages and with explicit bounds checks, image and copy alike. */
#include <string.h>

#include "wasmgen.h"

/* Two pages; data at 8 (overlapped by a later segment at 10) and across a page boundary at 65534. */
static Bytes image_module(void)
{
    WMod w;
    wm_init(&w);
    wm_memory(&w, 2, 4);
    wm_data(&w, 8, "AAAA", 4);
    wm_data(&w, 10, "BB", 2);
    wm_data(&w, 65534, "wxyz", 4);
    wm_export(&w, "load", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32_LOAD8_U, MEMARG(0, 0)));
    wm_export(&w, "store", LODGE_EXTERN_FUNC,
              WFUNC(&w, "ii:", "", LOCAL_GET, 0, LOCAL_GET, 1, I32_STORE8, MEMARG(0, 0)));
    wm_export(&w, "grow", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, MEMORY_GROW, 0));
    Bytes b = wm_finish(&w);
    wm_free(&w);
    return b;
}

typedef struct Guest {
    Rig r;
} Guest;

static bool guest_new(Guest *g, lodge_engine_t *e, lodge_module_t *m)
{
    memset(g, 0, sizeof *g);
    g->r.engine = e;
    g->r.module = m;
    g->r.store = lodge_store_new(e, NULL);
    g->r.inst = g->r.store ? lodge_instance_new(g->r.store, m, NULL, 0, &g->r.err) : NULL;
    return g->r.inst != NULL;
}

static void guest_delete(Guest *g)
{
    lodge_store_delete(g->r.store);
}

static void check_pristine(UnitCtx *t, Rig *r)
{
    CHECK_I32(rig_call(r, "load", 1, vi32(8)), 'A');
    CHECK_I32(rig_call(r, "load", 1, vi32(9)), 'A');
    CHECK_I32(rig_call(r, "load", 1, vi32(10)), 'B'); /* the later segment wins */
    CHECK_I32(rig_call(r, "load", 1, vi32(11)), 'B');
    CHECK_I32(rig_call(r, "load", 1, vi32(65535)), 'x');
    CHECK_I32(rig_call(r, "load", 1, vi32(65536)), 'y');
    CHECK_I32(rig_call(r, "load", 1, vi32(100)), 0);
    CHECK_I32(rig_call(r, "load", 1, vi32(100000)), 0);
    CHECK_I32(rig_call(r, "grow", 1, vi32(0)), 2);
    CHECK_TRAP(rig_call(r, "load", 1, vi32(2 * 65536)), LODGE_TRAP_MEMORY_OOB);
}

static void copy_on_write(UnitCtx *t)
{
    Bytes b = image_module();
    for (int mode = 0; mode < 4; mode++) {
        lodge_config_t cfg = {.bounds_checks = mode & 1, .copy_data_segments = (mode & 2) != 0};
        lodge_engine_t *e = lodge_engine_new(&cfg);
        lodge_error_t err;
        lodge_module_t *m = lodge_module_new(e, b.p, b.len, &err);
        REQUIRE(e && m);
        size_t module_before = lodge_module_memory_used(m);
        Guest a, c;
        if (!CHECKF(guest_new(&a, e, m) && guest_new(&c, e, m), "mode %d: %s", mode, a.r.err.message))
            goto next;
        if (cfg.copy_data_segments)
            CHECK_INT(lodge_module_memory_used(m), module_before);
        else
            CHECKF(lodge_module_memory_used(m) > module_before, "mode %d: the image is the module's", mode);
        CHECKF(lodge_store_memory_used(a.r.store) >= 2 * 65536, "mode %d: both pages charged (%zu)", mode,
               lodge_store_memory_used(a.r.store));
        check_pristine(t, &a.r);
        /* writes stay private: in the image's pages and outside them */
        CHECK(rig_call(&a.r, "store", 2, vi32(8), vi32('z')).ok);
        CHECK(rig_call(&a.r, "store", 2, vi32(100), vi32(7)).ok);
        CHECK(rig_call(&a.r, "store", 2, vi32(100000), vi32(9)).ok);
        CHECK_I32(rig_call(&a.r, "load", 1, vi32(8)), 'z');
        CHECK_I32(rig_call(&a.r, "grow", 1, vi32(1)), 2);
        CHECK(rig_call(&a.r, "store", 2, vi32(3 * 65536 - 1), vi32(5)).ok);
        check_pristine(t, &c.r);
        /* a reservation used by a deleted guest comes back as new */
        guest_delete(&a);
        for (int k = 0; k < 3; k++) {
            Guest n;
            if (CHECKF(guest_new(&n, e, m), "mode %d: %s", mode, n.r.err.message))
                check_pristine(t, &n.r);
            CHECK(rig_call(&n.r, "store", 2, vi32(9), vi32('q')).ok);
            guest_delete(&n);
        }
        guest_delete(&c);
    next:
        lodge_module_delete(m);
        lodge_engine_delete(e);
    }
    bytes_free(&b);
}

/* A host memory of the same reservation size reuses a pooled slot: zeros, whatever was there. */
static void pool_gives_zeros(UnitCtx *t)
{
    Bytes b = image_module();
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    lodge_module_t *m = lodge_module_new(e, b.p, b.len, &err);
    REQUIRE(e && m);
    Guest a;
    if (CHECK(guest_new(&a, e, m)))
        CHECK(rig_call(&a.r, "store", 2, vi32(4), vi32(1)).ok);
    guest_delete(&a);
    lodge_store_t *s = lodge_store_new(e, NULL);
    lodge_limits_t lim = {2, 4, true};
    lodge_memory_t *mem = lodge_memory_new(s, lim, &err);
    if (CHECK(mem)) {
        const uint8_t *p = lodge_memory_data(mem);
        size_t nonzero = 0;
        for (size_t i = 0; i < lodge_memory_size(mem); i++)
            nonzero += p[i] != 0;
        CHECK_INT(nonzero, 0);
        CHECK_INT(lodge_memory_size(mem), 2 * 65536);
    }
    lodge_store_delete(s);
    lodge_module_delete(m); /* its image's pooled slots go with it */
    lodge_engine_delete(e);
    bytes_free(&b);
}

/* What an image cannot do is done by copying, with the spec's results. */
static void fallbacks(UnitCtx *t)
{
    for (int checked = 0; checked < 2; checked++) {
        lodge_config_t cfg = {.bounds_checks = checked};
        RigOpts o = {.cfg = &cfg};
        /* a segment past the initial size: instantiation traps */
        WMod w;
        wm_init(&w);
        wm_memory(&w, 1, -1);
        wm_data(&w, 65534, "abc", 3);
        Bytes b = wm_finish(&w);
        wm_free(&w);
        Rig r;
        CHECK(!rig_open(&r, &b, &o));
        CHECK_INT(r.err.status, LODGE_ERR_TRAP);
        CHECK_INT(r.err.trap, LODGE_TRAP_MEMORY_OOB);
        rig_close(&r);
        bytes_free(&b);
        /* an offset from an imported global: each instance its own place */
        wm_init(&w);
        uint32_t g = wm_import_global(&w, "env", "at", 'i', false);
        wm_memory(&w, 1, -1);
        wm_data(&w, 0, "0123", 4);
        wm_data_at_global(&w, g, "gg", 2);
        wm_export(&w, "load", LODGE_EXTERN_FUNC, WFUNC(&w, "i:i", "", LOCAL_GET, 0, I32_LOAD8_U, MEMARG(0, 0)));
        b = wm_finish(&w);
        wm_free(&w);
        lodge_engine_t *e = lodge_engine_new(&cfg);
        for (int at = 1; at <= 3; at += 2) {
            lodge_store_t *s = lodge_store_new(e, NULL);
            lodge_global_t *gl = lodge_global_new(s, LODGE_I32, false, vi32(at));
            lodge_extern_t imp = {.kind = LODGE_EXTERN_GLOBAL, .of.global = gl};
            RigOpts og = {.engine = e, .store = s, .imports = &imp, .nimports = 1};
            if (CHECKF(rig_open(&r, &b, &og), "instantiate: %s", r.err.message)) {
                CHECK_I32(rig_call(&r, "load", 1, vi32(0)), at == 1 ? '0' : '0');
                CHECK_I32(rig_call(&r, "load", 1, vi32(at)), 'g');
                CHECK_I32(rig_call(&r, "load", 1, vi32(at + 1)), 'g');
                CHECK_I32(rig_call(&r, "load", 1, vi32(at == 1 ? 3 : 1)), at == 1 ? '3' : '1');
            }
            rig_close(&r);
            lodge_store_delete(s);
        }
        lodge_engine_delete(e);
        bytes_free(&b);
    }
}

/* With explicit bounds checks a memory reserves just its size and moves when it grows past it: the image's
 * bytes and every page written before a move are still there after many, and the limit holds. */
static void checked_memory_moves(UnitCtx *t)
{
    Bytes b = image_module();
    for (int copy = 0; copy < 2; copy++) {
        lodge_config_t cfg = {.bounds_checks = true, .copy_data_segments = copy};
        lodge_engine_t *e = lodge_engine_new(&cfg);
        lodge_error_t err;
        lodge_module_t *m = lodge_module_new(e, b.p, b.len, &err);
        REQUIRE(e && m);
        /* the module's maximum is 4 pages: grow one page at a time, marking each */
        Guest g;
        if (CHECKF(guest_new(&g, e, m), "%s", g.r.err.message)) {
            CHECK(rig_call(&g.r, "store", 2, vi32(65536 + 5), vi32(0x5a)).ok);
            for (int p = 2; p < 4; p++) {
                CHECK_I32(rig_call(&g.r, "grow", 1, vi32(1)), p);
                CHECK(rig_call(&g.r, "store", 2, vi32(p * 65536 + 7), vi32(p)).ok);
            }
            CHECK_I32(rig_call(&g.r, "grow", 1, vi32(1)), -1);
            CHECK_I32(rig_call(&g.r, "load", 1, vi32(10)), 'B');
            CHECK_I32(rig_call(&g.r, "load", 1, vi32(65536)), 'y');
            CHECK_I32(rig_call(&g.r, "load", 1, vi32(65536 + 5)), 0x5a);
            for (int p = 2; p < 4; p++)
                CHECK_I32(rig_call(&g.r, "load", 1, vi32(p * 65536 + 7)), p);
            CHECK_TRAP(rig_call(&g.r, "load", 1, vi32(4 * 65536)), LODGE_TRAP_MEMORY_OOB);
        }
        guest_delete(&g);
        /* a host memory without a maximum, grown in many steps */
        lodge_store_t *s = lodge_store_new(e, NULL);
        lodge_limits_t lim = {1, 0, false};
        lodge_memory_t *mem = lodge_memory_new(s, lim, &err);
        if (CHECK(mem)) {
            lodge_memory_data(mem)[3] = 42;
            for (int k = 0; k < 40; k++) {
                CHECK_INT(lodge_memory_grow(mem, 3), 1 + 3 * k);
                lodge_memory_data(mem)[lodge_memory_size(mem) - 1] = (uint8_t)k;
            }
            CHECK_INT(lodge_memory_data(mem)[3], 42);
            CHECK_INT(lodge_memory_data(mem)[lodge_memory_size(mem) - 1], 39);
            CHECK_INT(lodge_memory_data(mem)[(1 + 3 * 20) * 65536 - 1], 19);
            CHECKF(lodge_store_memory_used(s) >= 121u * 65536, "121 pages charged: %zu", lodge_store_memory_used(s));
        }
        lodge_store_delete(s);
        lodge_module_delete(m);
        lodge_engine_delete(e);
    }
    bytes_free(&b);
}

UNIT_SUITE(image, UNIT_TEST(copy_on_write), UNIT_TEST(pool_gives_zeros), UNIT_TEST(fallbacks),
           UNIT_TEST(checked_memory_moves));
