/* mgr/wsched.h: the scheduler inside a worker process. Every started instance runs as a coroutine (a
 * small stack of its own, switched with swapcontext) on one of a few runner threads; the guest's wasm
 * frames live in its store, so its host stack stays shallow. A timer thread ends time slices with
 * lodge_store_interrupt(); the store's interrupt handler then switches back to the runner, which picks
 * the runnable instance with the least weighted CPU time (cpu_ns * 100 / cpu_weight), as Linux's CFS
 * does. Pause parks the coroutine at its next interrupt check; a guest sleeping in poll_oneoff waits in a
 * timer heap without a thread. */
#ifndef LODGE_MGR_WSCHED_H
#define LODGE_MGR_WSCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "lodge.h"

typedef enum WiState {
    WI_CREATED,   /* instantiated, never started */
    WI_RUNNABLE,  /* in the run heap */
    WI_RUNNING,   /* on a runner thread */
    WI_SLEEPING,  /* in the timer heap (poll_oneoff on clocks) */
    WI_PAUSED,    /* parked: in no heap */
    WI_DONE,      /* ended; only the record is left */
} WiState;

typedef struct WModule WModule;
typedef struct WOut WOut;

typedef struct WInst {
    char id[72];
    struct WInst *hnext;          /* the worker's id table */
    /* Owned by the worker until the instance ends (then freed by the runner that ran it). */
    WModule *module;
    WOut *out, *err;
    lodge_store_t *store;
    lodge_wasi_t *wasi;
    lodge_instance_t *instance;
    struct WSched *sched;
    lodge_func_t *wasi_poll;      /* WASI's own poll_oneoff, for what the scheduler's cannot do */
    lodge_instance_t *tramp;      /* calls wasi_poll with the guest's memory (made on first use) */
    uint64_t fuel0;
    unsigned weight;
    /* The scheduler's (under its lock). */
    WiState st;
    atomic_bool pause_req, stop_req, kill_req;
    bool remove_when_done;        /* removed while ending: the worker forgets it once it has ended */
    uint64_t vruntime, cpu_ns, wake_ns;
    size_t run_i, sleep_i;        /* positions in the heaps */
    int yield_why;
    void *stack;                  /* the coroutine's stack (mmap), NULL before the first run */
    size_t stack_size;
    ucontext_t ctx, *back;        /* back: the runner to return to */
    void *asan_fake;              /* AddressSanitizer's bookkeeping for stack switches */
    const void *back_lo;
    size_t back_size;
    /* The result, once DONE. */
    int exit_code;
    char error[256];
    uint64_t mem_bytes, fuel_used;
} WInst;

typedef struct WSched WSched;

/* Called with the scheduler's lock held whenever an instance's public state changes; `ended` when the
 * instance has just ended (its store is already gone). */
typedef void (*WSchedEventFn)(void *opaque, WInst *in);
/* Frees what the worker owns of an ended instance (module reference, output files); called without the
 * lock, after the store is deleted. */
typedef void (*WSchedReleaseFn)(void *opaque, WInst *in);

/* thread_init (may be NULL) runs first on each of the scheduler's threads (runners and the timer): the
 * worker installs their seccomp allow-list there. */
WSched *wsched_new(lodge_engine_t *engine, unsigned nrunners, size_t stack_size, WSchedEventFn ev, WSchedReleaseFn rel,
                   void *opaque, void (*thread_init)(void), char *err, size_t errlen);
/* Stops the threads; instances still alive are dropped. */
void wsched_delete(WSched *s);

void wsched_lock(WSched *s);
void wsched_unlock(WSched *s);

/* Called with the lock held. Each returns false with a message when the state does not allow it. */
bool wsched_start(WSched *s, WInst *in, char *err, size_t errlen);
bool wsched_pause(WSched *s, WInst *in, char *err, size_t errlen);
bool wsched_resume(WSched *s, WInst *in, char *err, size_t errlen);
bool wsched_stop(WSched *s, WInst *in, bool kill, char *err, size_t errlen);

/* Waits (lock held) until some instance ends or timeout_ms passes. */
void wsched_wait(WSched *s, unsigned timeout_ms);

/* The instance's public state; its CPU time including the slice it is running now (lock held). */
lodge_guest_state_t wsched_state(const WInst *in);
uint64_t wsched_cpu_ns(WSched *s, const WInst *in);

/* Links the instance's WASI imports (with the scheduler's own poll_oneoff, which sleeps without holding
 * a thread) and instantiates the module in in->store. NULL with err. */
lodge_instance_t *wsched_instantiate(WSched *s, WInst *in, const lodge_module_t *m, lodge_error_t *err);

/* Instantiation runs the module's start function on the caller's thread: bounded by this watchdog. */
void wsched_guard(WSched *s, lodge_store_t *store, unsigned timeout_ms);
void wsched_unguard(WSched *s);

typedef struct WSchedInfo {
    unsigned runners;
    size_t stacks;        /* coroutines alive (started, not ended) */
    size_t runnable, sleeping;
    uint64_t switches;
} WSchedInfo;
void wsched_info(WSched *s, WSchedInfo *out);

#endif
