/* wpoll.c: sleeping without a thread. The worker links its own poll_oneoff and sched_yield in front of
 * WASI's: a poll on clocks only (every sleep) parks the guest's coroutine in the scheduler's timer heap,
 * sched_yield gives up the slice, and every other poll goes to WASI's own poll_oneoff through a small
 * trampoline module (docs/workers.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mgr/wsched.h"
#include "mgr/wsched_int.h"


#define SUB_SIZE 48
#define EVENT_SIZE 32
#define MAX_SUBS 4096
enum { EV_CLOCK = 0, SUBCLOCK_ABSTIME = 1, CLOCK_ID_REALTIME = 0, CLOCK_ID_MONOTONIC = 1 };

/* (module (import "m" "memory" (memory 0)) (import "m" "poll" (func $p (param i32 i32 i32 i32) (result i32)))
 *  (export "memory" (memory 0))
 *  (func (export "call") (param i32 i32 i32 i32) (result i32)
 *    local.get 0 local.get 1 local.get 2 local.get 3 call $p))
 * WASI's poll_oneoff reads the memory of the instance that calls it; called from the embedder it would
 * have none. This module, instantiated in the guest's store with the guest's memory (and exporting it as
 * "memory", where WASI looks), is the caller. */
static const uint8_t tramp_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f,
    0x01, 0x7f, 0x02, 0x16, 0x02, 0x01, 0x6d, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x00,
    0x01, 0x6d, 0x04, 0x70, 0x6f, 0x6c, 0x6c, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x11, 0x02, 0x06,
    0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00, 0x01, 0x0a, 0x0e,
    0x01, 0x0c, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x03, 0x10, 0x00, 0x0b,
};

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* wasm memory is little-endian, as every host Lodge runs on */
    return v;
}

/* The memory WASI reads and writes: the caller's export "memory". */
static lodge_memory_t *guest_memory(lodge_caller_t *caller)
{
    lodge_extern_t ext;
    if (lodge_caller_export(caller, "memory", &ext) && ext.kind == LODGE_EXTERN_MEMORY)
        return ext.of.memory;
    return NULL;
}

static bool delegate(WInst *in, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                     lodge_error_t *err)
{
    lodge_store_t *store = lodge_caller_store(caller);
    if (!in->tramp) {
        lodge_memory_t *mem = guest_memory(caller);
        if (!mem) {
            results[0].of.i32 = 21; /* EFAULT: no memory to read subscriptions from */
            return true;
        }
        lodge_extern_t imports[2] = {{.kind = LODGE_EXTERN_MEMORY, .of.memory = mem},
                                     {.kind = LODGE_EXTERN_FUNC, .of.func = in->wasi_poll}};
        if (!(in->tramp = lodge_instance_new(store, wsched_tramp(in->sched), imports, 2, err)))
            return false;
    }
    lodge_extern_t call;
    if (!lodge_instance_export(in->tramp, "call", &call))
        return lodge_error_set(err, LODGE_ERR_TRAP, "poll trampoline without its export");
    lodge_val_t a[4];
    for (int i = 0; i < 4; i++)
        a[i] = (lodge_val_t){.type = LODGE_I32, .of.i32 = args[i].of.i32};
    lodge_val_t r[1];
    if (!lodge_func_call(store, call.of.func, a, 4, r, 1, err))
        return false;
    results[0].of.i32 = r[0].of.i32;
    return true;
}

/* After a wait: a stop or kill ends the guest here, as proc_exit would. */
static bool woke(WInst *in, lodge_error_t *err)
{
    if (!atomic_load(&in->stop_req) && !atomic_load(&in->kill_req))
        return true;
    err->status = LODGE_ERR_EXIT;
    err->exit_code = atomic_load(&in->kill_req) ? 137 : 143;
    return false;
}

/* poll_oneoff whose subscriptions are all clocks (a sleep, the common case) parks the coroutine in the
 * timer heap: no thread waits. Anything else (fd readiness, other clocks, bad arguments) goes to WASI's
 * own implementation, which may block this runner thread (docs/workers.md says when that can happen). */
static bool sched_poll(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                       lodge_error_t *err)
{
    WInst *in = env;
    uint32_t pin = (uint32_t)args[0].of.i32, pout = (uint32_t)args[1].of.i32, n = (uint32_t)args[2].of.i32,
             pnev = (uint32_t)args[3].of.i32;
    lodge_memory_t *mem = guest_memory(caller);
    uint8_t *base = mem ? lodge_memory_data(mem) : NULL;
    size_t size = mem ? lodge_memory_size(mem) : 0;
    if (!in->stack || !base || n == 0 || n > MAX_SUBS || (uint64_t)pin + (uint64_t)n * SUB_SIZE > size ||
        (uint64_t)pout + (uint64_t)n * EVENT_SIZE > size || (uint64_t)pnev + 4 > size)
        return delegate(in, caller, args, results, err);
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    uint64_t now_rt = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
    uint64_t now_mono = (uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec;
    uint64_t min = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *m = base + pin + (size_t)i * SUB_SIZE;
        uint32_t id;
        memcpy(&id, m + 16, 4);
        if (m[8] != EV_CLOCK || (id != CLOCK_ID_REALTIME && id != CLOCK_ID_MONOTONIC))
            return delegate(in, caller, args, results, err);
        uint64_t t = ld64(m + 24), now = id == CLOCK_ID_REALTIME ? now_rt : now_mono;
        uint64_t left = (m[40] & SUBCLOCK_ABSTIME) ? (t > now ? t - now : 0) : t;
        if (left < min)
            min = left;
    }
    if (min > 0) {
        /* A deadline past the year 2500 is "never": the guest sleeps until stopped. */
        in->wake_ns = min > UINT64_MAX - now_mono ? UINT64_MAX : now_mono + min;
        wsched_coro_yield(in, Y_SLEEP);
        if (!woke(in, err))
            return false;
        /* Memory may have moved while others ran? No: only this guest grows it, and it was asleep. */
    }
    uint32_t nev = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *m = base + pin + (size_t)i * SUB_SIZE;
        uint32_t id;
        memcpy(&id, m + 16, 4);
        uint64_t t = ld64(m + 24), now = id == CLOCK_ID_REALTIME ? now_rt : now_mono;
        uint64_t left = (m[40] & SUBCLOCK_ABSTIME) ? (t > now ? t - now : 0) : t;
        if (left > min)
            continue;
        uint8_t *ev = base + pout + (size_t)nev++ * EVENT_SIZE;
        memset(ev, 0, EVENT_SIZE);
        memcpy(ev, m, 8); /* userdata */
        ev[10] = EV_CLOCK;
    }
    memcpy(base + pnev, &nev, 4);
    results[0].of.i32 = 0;
    return true;
}

static bool sched_yield_fn(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                           lodge_error_t *err)
{
    (void)caller, (void)args;
    WInst *in = env;
    if (in->stack) {
        wsched_coro_yield(in, Y_SLICE);
        if (!woke(in, err))
            return false;
    }
    results[0].of.i32 = 0;
    return true;
}

lodge_module_t *wpoll_tramp_new(lodge_engine_t *engine, lodge_error_t *err)
{
    return lodge_module_new(engine, tramp_wasm, sizeof tramp_wasm, err);
}

lodge_instance_t *wsched_instantiate(WSched *s, WInst *in, const lodge_module_t *m, lodge_error_t *err)
{
    in->sched = s;
    uint32_t n = lodge_module_num_imports(m);
    lodge_extern_t *imports = calloc((size_t)n + 1, sizeof *imports);
    bool *linked = calloc((size_t)n + 1, sizeof *linked);
    lodge_instance_t *inst = NULL;
    if (!imports || !linked) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory linking imports");
        goto out;
    }
    if (!lodge_wasi_link(in->wasi, m, imports, linked, err))
        goto out;
    static const lodge_valtype_t i32x4[4] = {LODGE_I32, LODGE_I32, LODGE_I32, LODGE_I32};
    const lodge_functype_t poll_t = {4, 1, i32x4, i32x4}, yield_t = {0, 1, NULL, i32x4};
    for (uint32_t i = 0; i < n; i++) {
        lodge_import_desc_t d;
        lodge_module_import(m, i, &d);
        if (!linked[i]) {
            lodge_error_set(err, LODGE_ERR_UNLINKABLE,
                            "unknown import: %s::%s (only wasi_snapshot_preview1 is provided)", d.module, d.name);
            goto out;
        }
        if (strcmp(d.module, "wasi_snapshot_preview1") != 0 || d.kind != LODGE_EXTERN_FUNC)
            continue;
        lodge_func_t *f = NULL;
        if (strcmp(d.name, "poll_oneoff") == 0) {
            in->wasi_poll = imports[i].of.func;
            f = lodge_func_new(in->store, &poll_t, sched_poll, in, NULL);
        } else if (strcmp(d.name, "sched_yield") == 0) {
            f = lodge_func_new(in->store, &yield_t, sched_yield_fn, in, NULL);
        } else {
            continue;
        }
        if (!f) {
            lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory linking imports");
            goto out;
        }
        imports[i].of.func = f;
    }
    inst = lodge_instance_new(in->store, m, imports, n, err);
out:
    free(imports);
    free(linked);
    return inst;
}
