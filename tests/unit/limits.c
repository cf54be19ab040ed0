/* limits.c: unit tests of the limits that let many guests share one process: fuel
 * (lodge_store_limits_t.fuel, lodge_store_set_fuel), lodge_store_interrupt() from another thread, a
 * scheduler's interrupt handler (lodge_store_set_interrupt_handler, lodge_thread_suspend/resume), and
 * the store's memory budget across memories, tables and instances. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "wasm/module.h"
#include "wasm/runtime.h"
#include "wasmgen.h"

/* spin(): an infinite loop; count(n): a loop of n iterations returning n; calls(n): n calls of a leaf in
 * a loop; spin_calls(): an infinite loop of calls (no back-edge check would be enough alone). */
static Bytes loops_module(void)
{
    WMod w;
    wm_init(&w);
    wm_export(&w, "spin", LODGE_EXTERN_FUNC, WFUNC(&w, ":", "", LOOP, T_EMPTY, BR, 0, END));
    wm_export(&w, "count", LODGE_EXTERN_FUNC,
              WFUNC(&w, "i:i", "i", LOOP, T_EMPTY, LOCAL_GET, 1, I32C(1), I32_ADD, LOCAL_TEE, 1, LOCAL_GET, 0,
                    I32_LT_U, BR_IF, 0, END, LOCAL_GET, 1));
    uint32_t leaf = WFUNC(&w, ":", "", NOP);
    wm_export(&w, "spin_calls", LODGE_EXTERN_FUNC,
              WFUNC(&w, ":", "", LOOP, T_EMPTY, CALL, (uint8_t)leaf, I32C(1), BR_IF, 0, END));
    /* recursion that never ends but stays shallow: f calls g calls f ... through a table would be deep;
     * instead: a loop over br_table back-edges */
    wm_export(&w, "spin_table", LODGE_EXTERN_FUNC,
              WFUNC(&w, ":", "", LOOP, T_EMPTY, I32C(0), BR_TABLE, 0, 0, END));
    Bytes b = wm_finish(&w);
    wm_free(&w);
    return b;
}

static void fuel(UnitCtx *t)
{
    Bytes b = loops_module();
    lodge_store_limits_t lim = {.fuel = 100000};
    RigOpts o = {.limits = &lim};
    Rig r;
    if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
        Call c = rig_call(&r, "spin", 0);
        CHECK_TRAP(c, LODGE_TRAP_INTERRUPTED);
        CHECK_HAS(c.err.message, "fuel");
        /* out of fuel, everything that loops or calls stops at once */
        CHECK_TRAP(rig_call(&r, "count", 1, vi32(10)), LODGE_TRAP_INTERRUPTED);
        /* refuelled: a loop within the budget finishes, one beyond it does not */
        lodge_store_set_fuel(r.store, 5000);
        CHECK_I32(rig_call(&r, "count", 1, vi32(1000)), 1000);
        CHECK_I32(rig_call(&r, "count", 1, vi32(1000)), 1000); /* unused fuel was given back */
        lodge_store_set_fuel(r.store, 500);
        CHECK_TRAP(rig_call(&r, "count", 1, vi32(1000)), LODGE_TRAP_INTERRUPTED);
        lodge_store_set_fuel(r.store, 1000000);
        CHECK_TRAP(rig_call(&r, "spin_calls", 0), LODGE_TRAP_INTERRUPTED);
        lodge_store_set_fuel(r.store, 1000000);
        CHECK_TRAP(rig_call(&r, "spin_table", 0), LODGE_TRAP_INTERRUPTED);
        /* fuel 0 means unlimited */
        lodge_store_set_fuel(r.store, 0);
        CHECK_I32(rig_call(&r, "count", 1, vi32(2000000)), 2000000);
    }
    rig_close(&r);
    bytes_free(&b);
}

typedef struct Interrupter {
    lodge_store_t *store;
    unsigned delay_ms;
} Interrupter;

static void *interrupter(void *p)
{
    Interrupter *in = p;
    struct timespec ts = {in->delay_ms / 1000, (long)(in->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    lodge_store_interrupt(in->store);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Another thread stops an infinite loop; the flag is cleared when the trap is delivered. */
static void interrupt(UnitCtx *t)
{
    Bytes b = loops_module();
    Rig r;
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        static const char *const spins[] = {"spin", "spin_calls", "spin_table"};
        for (int i = 0; i < 3; i++) {
            Interrupter in = {r.store, 50};
            pthread_t th;
            REQUIRE(pthread_create(&th, NULL, interrupter, &in) == 0);
            double t0 = now();
            Call c = rig_call(&r, spins[i], 0);
            double dt = now() - t0;
            pthread_join(th, NULL);
            CHECKF(!c.ok && c.err.trap == LODGE_TRAP_INTERRUPTED, "%s: %s", spins[i], c.err.message);
            CHECKF(dt < 10.0, "%s: interrupted after %.2f s", spins[i], dt);
            /* cleared: the next call runs normally */
            CHECK_I32(rig_call(&r, "count", 1, vi32(100)), 100);
        }
        /* an interrupt asked for while nothing runs stops the next guest code */
        lodge_store_interrupt(r.store);
        CHECK_TRAP(rig_call(&r, "count", 1, vi32(100)), LODGE_TRAP_INTERRUPTED);
        CHECK_I32(rig_call(&r, "count", 1, vi32(100)), 100);
    }
    rig_close(&r);
    bytes_free(&b);
}

/* lodge_store_set_interrupt_handler: a scheduler's hook at interrupt checks. Returning true continues the
 * guest where it was (nothing unwound); false traps as without a handler. */
typedef struct Hook {
    int calls, allow;
    bool rearm;             /* ask for the next interrupt from inside the handler */
    void *state;            /* lodge_thread_suspend() seen inside the handler */
} Hook;

static bool hook(void *data, lodge_store_t *store)
{
    Hook *h = data;
    h->calls++;
    /* What a coroutine switch does: the thread's Lodge state set aside, then given back. */
    h->state = lodge_thread_suspend();
    lodge_thread_resume(h->state);
    if (h->rearm)
        lodge_store_interrupt(store);
    return h->calls <= h->allow;
}

static void interrupt_handler(UnitCtx *t)
{
    WMod w;
    wm_init(&w);
    wm_memory(&w, 1, 1);
    wm_export(&w, "count", LODGE_EXTERN_FUNC,
              WFUNC(&w, "i:i", "i", LOOP, T_EMPTY, LOCAL_GET, 1, I32C(1), I32_ADD, LOCAL_TEE, 1, LOCAL_GET, 0,
                    I32_LT_U, BR_IF, 0, END, LOCAL_GET, 1));
    /* count to n, then read past the end of memory: a guard-page trap after the handler ran */
    wm_export(&w, "count_oob", LODGE_EXTERN_FUNC,
              WFUNC(&w, "i:i", "i", LOOP, T_EMPTY, LOCAL_GET, 1, I32C(1), I32_ADD, LOCAL_TEE, 1, LOCAL_GET, 0,
                    I32_LT_U, BR_IF, 0, END, I32C(-16), I32_LOAD, MEMARG(2, 0)));
    Bytes b = wm_finish(&w);
    wm_free(&w);
    lodge_store_limits_t lim = {.fuel = 1000000};
    RigOpts o = {.limits = &lim};
    Rig r;
    if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
        Hook h = {.allow = 1000};
        lodge_store_set_interrupt_handler(r.store, hook, &h);
        lodge_store_interrupt(r.store);
        CHECK_I32(rig_call(&r, "count", 1, vi32(100)), 100); /* the handler let it go on */
        CHECK_INT(h.calls, 1);
        CHECK(h.state != NULL); /* inside guest code the thread had state to set aside */
        CHECK(lodge_thread_suspend() == NULL); /* outside, none */
        /* re-armed every time: the 6th call says no, and the guest traps as interrupted */
        h = (Hook){.allow = 5, .rearm = true};
        lodge_store_set_fuel(r.store, 0);
        lodge_store_interrupt(r.store);
        CHECK_TRAP(rig_call(&r, "count", 1, vi32(2000000000)), LODGE_TRAP_INTERRUPTED);
        CHECK_INT(h.calls, 6);
        /* after the handler gave the state back, a fault in guest memory is still a trap */
        h = (Hook){.allow = 1000};
        lodge_store_interrupt(r.store);
        CHECK_TRAP(rig_call(&r, "count_oob", 1, vi32(1000)), LODGE_TRAP_MEMORY_OOB);
        CHECK_INT(h.calls, 1);
        /* no handler: an interrupt traps again */
        lodge_store_set_interrupt_handler(r.store, NULL, NULL);
        lodge_store_interrupt(r.store);
        CHECK_TRAP(rig_call(&r, "count", 1, vi32(100)), LODGE_TRAP_INTERRUPTED);
        /* lodge_store_fuel: what is left, exact between calls; 0 when unlimited */
        CHECK_U64(lodge_store_fuel(r.store), 0);
        lodge_store_set_fuel(r.store, 50000);
        CHECK_I32(rig_call(&r, "count", 1, vi32(1000)), 1000);
        CHECK(lodge_store_fuel(r.store) < 50000 && lodge_store_fuel(r.store) > 40000);
    }
    rig_close(&r);
    bytes_free(&b);
}

/* Two stores in two threads: interrupting one leaves the other running. */
typedef struct Worker {
    Rig *rig;
    Call result;
} Worker;

static void *run_count(void *p)
{
    Worker *w = p;
    w->result = rig_call(w->rig, "count", 1, vi32(20000000));
    return NULL;
}

static void interrupt_is_per_store(UnitCtx *t)
{
    Bytes b = loops_module();
    Rig a, c;
    bool ok_a = rig_open(&a, &b, NULL), ok_c = rig_open(&c, &b, NULL);
    if (CHECK(ok_a && ok_c)) {
        Worker w = {&c, {0}};
        pthread_t th;
        REQUIRE(pthread_create(&th, NULL, run_count, &w) == 0);
        Interrupter in = {a.store, 20};
        pthread_t th2;
        REQUIRE(pthread_create(&th2, NULL, interrupter, &in) == 0);
        CHECK_TRAP(rig_call(&a, "spin", 0), LODGE_TRAP_INTERRUPTED);
        pthread_join(th2, NULL);
        pthread_join(th, NULL);
        CHECK_I32(w.result, 20000000);
    }
    rig_close(&a);
    rig_close(&c);
    bytes_free(&b);
}

static void store_memory_budget(UnitCtx *t)
{
    lodge_engine_t *engine = lodge_engine_new(NULL);
    /* tables are charged: 100,000 funcref slots do not fit in 64 KiB */
    WMod w;
    wm_init(&w);
    wm_table(&w, 'r', 100000, -1);
    Bytes b = wm_finish(&w);
    wm_free(&w);
    lodge_store_limits_t lim = {.max_memory = 64 * 1024};
    RigOpts o = {.engine = engine, .limits = &lim};
    Rig r;
    CHECK(!rig_open(&r, &b, &o));
    CHECK_INT(r.err.status, LODGE_ERR_NOMEM);
    rig_close(&r);
    bytes_free(&b);
    /* table.grow past the budget returns -1 */
    wm_init(&w);
    wm_table(&w, 'x', 10, -1);
    wm_export(&w, "grow", LODGE_EXTERN_FUNC,
              WFUNC(&w, "i:i", "", REF_NULL, T_EXTERNREF, LOCAL_GET, 0, TABLE_GROW, 0));
    b = wm_finish(&w);
    wm_free(&w);
    if (CHECKF(rig_open(&r, &b, &o), "instantiate: %s", r.err.message)) {
        CHECK_I32(rig_call(&r, "grow", 1, vi32(100)), 10);
        CHECK_I32(rig_call(&r, "grow", 1, vi32(100000)), -1);
        CHECK_I32(rig_call(&r, "grow", 1, vi32(10)), 110);
    }
    rig_close(&r);
    bytes_free(&b);
    /* many instances in one store share one budget: 10 pages fit five 2-page memories, not six */
    wm_init(&w);
    wm_memory(&w, 2, -1);
    b = wm_finish(&w);
    wm_free(&w);
    lodge_store_limits_t lim2 = {.max_memory = 10 * 65536 + 32 * 1024};
    lodge_store_t *store = lodge_store_new(engine, &lim2);
    lodge_error_t err;
    lodge_module_t *m = lodge_module_new(engine, b.p, b.len, &err);
    REQUIRE(m && store);
    int made = 0;
    for (int i = 0; i < 8; i++) {
        if (!lodge_instance_new(store, m, NULL, 0, &err))
            break;
        made++;
    }
    CHECK_INT(made, 5);
    CHECK_INT(err.status, LODGE_ERR_NOMEM);
    CHECK(lodge_store_memory_used(store) <= lim2.max_memory);
    CHECK(lodge_store_memory_used(store) >= 10 * 65536);
    /* the host API's memories count too */
    lodge_limits_t one = {1, 0, false};
    CHECK(lodge_memory_new(store, one, &err) == NULL);
    lodge_store_delete(store);
    /* a store without a limit takes them all */
    store = lodge_store_new(engine, NULL);
    for (int i = 0; i < 8; i++)
        CHECK(lodge_instance_new(store, m, NULL, 0, &err) != NULL);
    CHECK(lodge_store_memory_used(store) >= 16 * 65536);
    lodge_store_delete(store);
    lodge_module_delete(m);
    bytes_free(&b);
    lodge_engine_delete(engine);
}

/* One engine and one module shared by threads, each with a store of its own: the engine's type registry
 * and the immutable module may be used from many threads at once. */
typedef struct ThreadJob {
    lodge_engine_t *engine;
    const lodge_module_t *shared;
    const Bytes *bin;
    int ok;
} ThreadJob;

static void *thread_job(void *p)
{
    ThreadJob *j = p;
    for (int round = 0; round < 20; round++) {
        lodge_error_t err;
        /* compile a module of its own too: types are interned concurrently */
        lodge_module_t *own = lodge_module_new(j->engine, j->bin->p, j->bin->len, &err);
        lodge_store_t *s = lodge_store_new(j->engine, NULL);
        if (!own || !s) {
            lodge_module_delete(own);
            lodge_store_delete(s);
            return NULL;
        }
        const lodge_module_t *mods[2] = {j->shared, own};
        for (int k = 0; k < 2; k++) {
            lodge_instance_t *in = lodge_instance_new(s, mods[k], NULL, 0, &err);
            lodge_extern_t e;
            lodge_val_t res[1];
            if (in && lodge_instance_export(in, "count", &e) &&
                lodge_func_call(s, e.of.func, (lodge_val_t[]){vi32(1000 + round)}, 1, res, 1, &err) &&
                res[0].of.i32 == 1000 + round)
                j->ok++;
        }
        lodge_store_delete(s);
        lodge_module_delete(own);
    }
    return NULL;
}

static void threads(UnitCtx *t)
{
    Bytes b = loops_module();
    lodge_engine_t *e = lodge_engine_new(NULL);
    lodge_error_t err;
    lodge_module_t *m = lodge_module_new(e, b.p, b.len, &err);
    REQUIRE(m);
    ThreadJob jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (ThreadJob){e, m, &b, 0};
        CHECK(pthread_create(&th[i], NULL, thread_job, &jobs[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECKF(jobs[i].ok == 40, "thread %d: %d of 40 calls right", i, jobs[i].ok);
    }
    lodge_module_delete(m);
    lodge_engine_delete(e);
    bytes_free(&b);
}

/* Lowering on first call allocates from the module's allocator: each of its allocations failing in turn
 * makes that call trap with "out of memory" (the host intact, nothing published), and the next call
 * lowers the function and runs it. The module's bytes go back to where they were after each failure. */
static void lowering_out_of_memory(UnitCtx *t)
{
    Bytes b = loops_module();
    int failures = 0;
    for (uint64_t k = 1; k < 200; k++) {
        Rig r;
        if (!CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
            rig_close(&r);
            break;
        }
        Module *m = (Module *)module_of(r.module);
        size_t before = lodge_module_memory_used(r.module);
        m->alloc.fail_at = m->alloc.calls + k;
        Call c = rig_call(&r, "count", 1, vi32(1000));
        m->alloc.fail_at = 0;
        if (c.ok) { /* lowering needed fewer than k allocations: every one has failed once */
            CHECK_I32(c, 1000);
            rig_close(&r);
            break;
        }
        failures++;
        CHECK_TRAP(c, LODGE_TRAP_OUT_OF_MEMORY);
        CHECK_STR(c.err.message, "out of memory");
        CHECK_INT(lodge_module_memory_used(r.module), before);
        CHECK_I32(rig_call(&r, "count", 1, vi32(1000)), 1000); /* retried, and it works */
        CHECKF(lodge_module_memory_used(r.module) > before, "lowered code is the module's");
        rig_close(&r);
    }
    CHECKF(failures >= 3, "only %d allocations while lowering", failures);
    bytes_free(&b);
}

/* What a store holds is counted in it: the store itself, an instance's block, the guest's stacks once
 * it runs (committed as they grow), all of it back to zero in the accounting when objects go. */
static void store_accounts_everything(UnitCtx *t)
{
    Bytes b = loops_module();
    Rig r;
    if (CHECKF(rig_open(&r, &b, NULL), "instantiate: %s", r.err.message)) {
        size_t idle = lodge_store_memory_used(r.store);
        CHECKF(idle >= sizeof(lodge_store_t) + sizeof(lodge_instance_t), "idle store+instance: %zu bytes", idle);
        CHECK_I32(rig_call(&r, "count", 1, vi32(10)), 10);
        size_t ran = lodge_store_memory_used(r.store);
        CHECKF(ran > idle && ran < idle + (64u << 10), "stacks charged: %zu -> %zu", idle, ran);
        CHECKF(lodge_module_memory_used(r.module) >= b.len, "module holds its bytes: %zu",
               lodge_module_memory_used(r.module));
    }
    rig_close(&r);
    /* deep recursion commits more stack, charged; a budget too small for it ends in a trap */
    WMod w;
    wm_init(&w);
    uint32_t f = WFUNC(&w, "i:i", "", LOCAL_GET, 0, IF, T_I32, LOCAL_GET, 0, I32C(1), I32_SUB, CALL, 0, I32C(1),
                       I32_ADD, ELSE, I32C(0), END);
    wm_export(&w, "depth", LODGE_EXTERN_FUNC, f);
    Bytes d = wm_finish(&w);
    wm_free(&w);
    if (CHECKF(rig_open(&r, &d, NULL), "instantiate: %s", r.err.message)) {
        CHECK_I32(rig_call(&r, "depth", 1, vi32(5000)), 5000);
        CHECKF(lodge_store_memory_used(r.store) > (64u << 10), "deep stacks charged: %zu",
               lodge_store_memory_used(r.store));
        CHECK_TRAP(rig_call(&r, "depth", 1, vi32(1000000)), LODGE_TRAP_STACK_EXHAUSTED);
    }
    rig_close(&r);
    lodge_store_limits_t lim = {.max_memory = 48u << 10};
    RigOpts o = {.limits = &lim};
    if (CHECKF(rig_open(&r, &d, &o), "instantiate: %s", r.err.message)) {
        CHECK_I32(rig_call(&r, "depth", 1, vi32(10)), 10);
        Call c = rig_call(&r, "depth", 1, vi32(5000));
        CHECK_TRAP(c, LODGE_TRAP_OUT_OF_MEMORY);
        CHECK(lodge_store_memory_used(r.store) <= lim.max_memory);
        CHECK_I32(rig_call(&r, "depth", 1, vi32(10)), 10); /* the store still works */
    }
    rig_close(&r);
    bytes_free(&b);
    bytes_free(&d);
}

UNIT_SUITE(limits, UNIT_TEST(fuel), UNIT_TEST(interrupt), UNIT_TEST(interrupt_handler), UNIT_TEST(interrupt_is_per_store),
           UNIT_TEST(store_memory_budget), UNIT_TEST(threads), UNIT_TEST(lowering_out_of_memory),
           UNIT_TEST(store_accounts_everything));
