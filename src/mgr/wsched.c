/* wsched.c: a worker's scheduler: coroutines on a few runner threads, weighted fair time slices, pause
 * at the next interrupt check, sleeps without a thread (mgr/wsched.h says why it is built this way). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mgr/wproto.h"
#include "mgr/wsched.h"
#include "mgr/wsched_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define WS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WS_ASAN 1
#endif
#endif
#ifdef WS_ASAN
#include <sanitizer/common_interface_defs.h>
#endif


/* A slice is long enough that switching costs nothing measurable (a switch is ~1 us) and short enough
 * that a well-behaved guest waits at most (runnable guests / runners) slices. */
#define SLICE_NS 5000000ull
#define GUARD_PAGE 4096

typedef struct Heap {
    WInst **v;
    size_t n, cap;
    bool by_wake;   /* the sleep heap (by wake_ns) or the run heap (by vruntime) */
} Heap;

typedef struct Runner {
    WSched *s;
    pthread_t thread;
    WInst *cur;
    uint64_t slice_start;
    bool interrupted;
    clockid_t cpu_clock;  /* this runner thread's CPU clock, readable from other threads */
    uint64_t c0;          /* its value when the current slice began */
    ucontext_t ctx;
    void *asan_fake;
} Runner;

struct WSched {
    pthread_mutex_t mu;
    pthread_cond_t work, tick, ended;
    Heap run, sleep;
    Runner *r;
    unsigned nr, started;
    pthread_t timer;
    bool timer_started, quit;
    uint64_t min_vr, switches;
    size_t stack_size, stacks, alive;
    WSchedEventFn ev;
    WSchedReleaseFn rel;
    void *opaque;
    lodge_store_t *guard_store;
    uint64_t guard_deadline;
    lodge_module_t *tramp;   /* see tramp_wasm */
    void (*thread_init)(void);
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- Heaps (an instance knows its position, so it can leave from the middle) ---- */

static uint64_t hkey(const Heap *h, const WInst *in)
{
    return h->by_wake ? in->wake_ns : in->vruntime;
}

static void hset(Heap *h, size_t i, WInst *in)
{
    h->v[i] = in;
    if (h->by_wake)
        in->sleep_i = i;
    else
        in->run_i = i;
}

static void sift_up(Heap *h, size_t i)
{
    WInst *in = h->v[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (hkey(h, h->v[p]) <= hkey(h, in))
            break;
        hset(h, i, h->v[p]);
        i = p;
    }
    hset(h, i, in);
}

static void sift_down(Heap *h, size_t i)
{
    WInst *in = h->v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && hkey(h, h->v[c + 1]) < hkey(h, h->v[c]))
            c++;
        if (hkey(h, in) <= hkey(h, h->v[c]))
            break;
        hset(h, i, h->v[c]);
        i = c;
    }
    hset(h, i, in);
}

static bool heap_reserve(Heap *h, size_t n)
{
    if (n <= h->cap)
        return true;
    size_t nc = h->cap ? h->cap : 64;
    while (nc < n)
        nc *= 2;
    WInst **v = realloc(h->v, nc * sizeof *v);
    if (!v)
        return false;
    h->v = v;
    h->cap = nc;
    return true;
}

/* Capacity is reserved for every live instance when it starts, so a push never fails. */
static void heap_push(Heap *h, WInst *in)
{
    h->v[h->n++] = in;
    sift_up(h, h->n - 1);
}

static WInst *heap_pop(Heap *h)
{
    if (!h->n)
        return NULL;
    WInst *top = h->v[0];
    if (--h->n) {
        h->v[0] = h->v[h->n];
        sift_down(h, 0);
    }
    return top;
}

static void heap_remove(Heap *h, WInst *in)
{
    size_t i = h->by_wake ? in->sleep_i : in->run_i;
    if (i >= h->n || h->v[i] != in)
        return;
    h->v[i] = h->v[--h->n];
    if (i < h->n) {
        hset(h, i, h->v[i]);
        sift_up(h, i);
        sift_down(h, h->by_wake ? h->v[i]->sleep_i : h->v[i]->run_i);
    }
}

/* ---- Coroutines ---- */

static void asan_start(void **fake, const void *lo, size_t size)
{
#ifdef WS_ASAN
    __sanitizer_start_switch_fiber(fake, lo, size);
#else
    (void)fake, (void)lo, (void)size;
#endif
}

static void asan_finish(void *fake, const void **lo, size_t *size)
{
#ifdef WS_ASAN
    __sanitizer_finish_switch_fiber(fake, lo, size);
#else
    (void)fake, (void)lo, (void)size;
#endif
}

/* Leaves the guest's coroutine for the runner; returns when a runner (maybe another) resumes it. */
void wsched_coro_yield(WInst *in, int why)
{
    void *ts = lodge_thread_suspend();
    in->yield_why = why;
    asan_start(&in->asan_fake, in->back_lo, in->back_size);
    swapcontext(&in->ctx, in->back);
    asan_finish(in->asan_fake, &in->back_lo, &in->back_size);
    lodge_thread_resume(ts);
}

static void set_result(WInst *in, bool ok, int code, const lodge_error_t *err)
{
    if (atomic_load(&in->kill_req)) {
        in->exit_code = 137;
        snprintf(in->error, sizeof in->error, "killed");
    } else if (ok) {
        in->exit_code = code;
        in->error[0] = 0;
    } else if (atomic_load(&in->stop_req) && err->status == LODGE_ERR_TRAP && err->trap == LODGE_TRAP_INTERRUPTED) {
        in->exit_code = 143; /* as proc_exit(143): the guest was asked to stop */
        in->error[0] = 0;
    } else {
        in->exit_code = 134; /* as `lodge run` reports a trap */
        /* The message, then as much of the backtrace as fits. */
        size_t n = (size_t)snprintf(in->error, sizeof in->error, "%s", err->message[0] ? err->message : "trap");
        if (n < sizeof in->error - 2 && err->backtrace[0]) {
            in->error[n++] = '\n';
            size_t room = sizeof in->error - 1 - n, bl = strnlen(err->backtrace, sizeof err->backtrace);
            memcpy(in->error + n, err->backtrace, bl < room ? bl : room);
            n += bl < room ? bl : room;
            in->error[n] = 0;
        }
        n = strlen(in->error);
        while (n && in->error[n - 1] == '\n')
            in->error[--n] = 0;
    }
}

static void coro_main(unsigned lo, unsigned hi)
{
    WInst *in = (WInst *)(((uintptr_t)hi << 32) | lo);
    asan_finish(NULL, &in->back_lo, &in->back_size);
    int code = 0;
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    bool ok = lodge_wasi_run(in->wasi, in->instance, &code, &err);
    set_result(in, ok, code, &err);
    in->yield_why = Y_DONE;
    lodge_thread_suspend();
    asan_start(NULL, in->back_lo, in->back_size); /* this stack is never entered again */
    setcontext(in->back);
    abort(); /* setcontext does not return */
}

static bool coro_init(WSched *s, WInst *in)
{
    size_t size = s->stack_size + GUARD_PAGE;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED)
        return false;
    /* A guard page below the stack: an overflow faults instead of writing over a neighbour. */
    if (mprotect(p, GUARD_PAGE, PROT_NONE) != 0) {
        munmap(p, size);
        return false;
    }
    in->stack = p;
    in->stack_size = size;
    getcontext(&in->ctx);
    in->ctx.uc_stack.ss_sp = (char *)p + GUARD_PAGE;
    in->ctx.uc_stack.ss_size = s->stack_size;
    in->ctx.uc_link = NULL;
    uintptr_t a = (uintptr_t)in;
    makecontext(&in->ctx, (void (*)(void))coro_main, 2, (unsigned)(a & 0xffffffffu), (unsigned)(a >> 32));
    return true;
}

static void switch_to(Runner *r, WInst *in)
{
    in->back = &r->ctx;
    asan_start(&r->asan_fake, (char *)in->stack + GUARD_PAGE, in->stack_size - GUARD_PAGE);
    swapcontext(&r->ctx, &in->ctx);
    asan_finish(r->asan_fake, NULL, NULL);
}

/* ---- The interrupt handler: the end of a slice, a pause, a stop ---- */

static bool on_interrupt(void *data, lodge_store_t *store)
{
    (void)store;
    WInst *in = data;
    /* Outside a coroutine (the start function, bounded by the watchdog) an interrupt is a trap. */
    if (!in->stack || atomic_load(&in->stop_req) || atomic_load(&in->kill_req))
        return false;
    wsched_coro_yield(in, Y_SLICE);
    return !(atomic_load(&in->stop_req) || atomic_load(&in->kill_req));
}

/* ---- Runners ---- */

/* An instance ended on runner r (lock held on entry and exit): free its stack and store outside the lock. */
static void finish(WSched *s, WInst *in)
{
    wsched_unlock(s);
    if (in->stack) {
        munmap(in->stack, in->stack_size);
        in->stack = NULL;
    }
    if (in->store) {
        in->mem_bytes = lodge_store_memory_used(in->store);
        if (in->fuel0) {
            uint64_t left = lodge_store_fuel(in->store);
            in->fuel_used = in->fuel0 > left ? in->fuel0 - left : 0;
        }
        lodge_store_delete(in->store);
    }
    in->store = NULL;
    in->wasi = NULL;
    in->instance = NULL;
    if (s->rel)
        s->rel(s->opaque, in);
    wsched_lock(s);
    if (in->yield_why == Y_DONE)
        s->stacks--;
    s->alive--;
    in->st = WI_DONE;
    pthread_cond_broadcast(&s->ended);
    s->ev(s->opaque, in); /* last use: the worker may free an instance removed while it ended */
}

static void ran(WSched *s, Runner *r, WInst *in, uint64_t dt)
{
    r->cur = NULL;
    in->cpu_ns += dt;
    in->vruntime += dt * 100 / (in->weight ? in->weight : 100);
    bool ending = atomic_load(&in->stop_req) || atomic_load(&in->kill_req);
    switch (in->yield_why) {
    case Y_SLICE:
        if (atomic_load(&in->pause_req) && !ending) {
            in->st = WI_PAUSED;
            s->ev(s->opaque, in);
        } else {
            in->st = WI_RUNNABLE;
            heap_push(&s->run, in);
        }
        break;
    case Y_SLEEP:
        if (ending) {
            in->st = WI_RUNNABLE;
            heap_push(&s->run, in);
        } else {
            in->st = WI_SLEEPING;
            heap_push(&s->sleep, in);
            pthread_cond_signal(&s->tick);
        }
        break;
    default:
        finish(s, in);
        break;
    }
}

static void *runner_main(void *arg)
{
    Runner *r = arg;
    WSched *s = r->s;
    if (s->thread_init)
        s->thread_init();
    if (pthread_getcpuclockid(pthread_self(), &r->cpu_clock) != 0)
        r->cpu_clock = CLOCK_THREAD_CPUTIME_ID;
    wsched_lock(s);
    for (;;) {
        while (!s->quit && s->run.n == 0)
            pthread_cond_wait(&s->work, &s->mu);
        if (s->quit)
            break;
        WInst *in = heap_pop(&s->run);
        in->st = WI_RUNNING;
        r->cur = in;
        r->slice_start = now_ns();
        r->interrupted = false;
        s->switches++;
        if (in->vruntime > s->min_vr)
            s->min_vr = in->vruntime;
        if (s->run.n)
            pthread_cond_signal(&s->tick); /* others wait: the timer must end this slice */
        bool ending = atomic_load(&in->stop_req) || atomic_load(&in->kill_req);
        if (!in->stack && ending) {
            /* Stopped or killed before its first instruction: nothing to unwind. */
            in->exit_code = atomic_load(&in->kill_req) ? 137 : 143;
            snprintf(in->error, sizeof in->error, "%s before it ran", atomic_load(&in->kill_req) ? "killed" : "stopped");
            in->yield_why = 0;
            r->cur = NULL;
            finish(s, in);
            continue;
        }
        if (!in->stack) {
            if (!coro_init(s, in)) {
                in->exit_code = 134;
                snprintf(in->error, sizeof in->error, "the worker could not allocate a stack: %s", strerror(errno));
                in->yield_why = 0;
                r->cur = NULL;
                finish(s, in);
                continue;
            }
            s->stacks++;
        }
        uint64_t c0 = r->c0 = thread_cpu_ns();
        wsched_unlock(s);
        switch_to(r, in);
        uint64_t dt = thread_cpu_ns() - c0;
        if (in->store)
            in->mem_bytes = lodge_store_memory_used(in->store);
        wsched_lock(s);
        ran(s, r, in, dt);
    }
    wsched_unlock(s);
    return NULL;
}

/* ---- The timer: slice ends, sleepers' deadlines, the instantiation watchdog ---- */

static void *timer_main(void *arg)
{
    WSched *s = arg;
    if (s->thread_init)
        s->thread_init();
    wsched_lock(s);
    while (!s->quit) {
        uint64_t now = now_ns(), next = UINT64_MAX;
        /* Sleepers first: one that wakes while every runner is busy makes the run queue non-empty, and the
         * running slices must then be given an end below (else a woken guest waits behind an endless loop). */
        while (s->sleep.n && s->sleep.v[0]->wake_ns <= now) {
            WInst *in = heap_pop(&s->sleep);
            if (atomic_load(&in->pause_req) && !atomic_load(&in->stop_req) && !atomic_load(&in->kill_req)) {
                in->st = WI_PAUSED;
            } else {
                in->st = WI_RUNNABLE;
                heap_push(&s->run, in);
                pthread_cond_signal(&s->work);
            }
        }
        if (s->run.n) {
            for (unsigned i = 0; i < s->nr; i++) {
                Runner *r = &s->r[i];
                if (!r->cur || r->interrupted)
                    continue;
                uint64_t end = r->slice_start + SLICE_NS;
                if (now >= end) {
                    lodge_store_interrupt(r->cur->store);
                    r->interrupted = true;
                } else if (end < next) {
                    next = end;
                }
            }
        }
        if (s->sleep.n && s->sleep.v[0]->wake_ns < next)
            next = s->sleep.v[0]->wake_ns;
        if (s->guard_store) {
            if (now >= s->guard_deadline) {
                lodge_store_interrupt(s->guard_store);
                s->guard_store = NULL;
            } else if (s->guard_deadline < next) {
                next = s->guard_deadline;
            }
        }
        if (next == UINT64_MAX) {
            pthread_cond_wait(&s->tick, &s->mu);
        } else {
            struct timespec ts = {.tv_sec = (time_t)(next / 1000000000ull), .tv_nsec = (long)(next % 1000000000ull)};
            pthread_cond_timedwait(&s->tick, &s->mu, &ts);
        }
    }
    wsched_unlock(s);
    return NULL;
}

/* ---- The interface ---- */

void wsched_lock(WSched *s)
{
    pthread_mutex_lock(&s->mu);
}

void wsched_unlock(WSched *s)
{
    pthread_mutex_unlock(&s->mu);
}

static void make_runnable(WSched *s, WInst *in)
{
    if (in->vruntime < s->min_vr)
        in->vruntime = s->min_vr; /* a newcomer competes from now on; it gets no credit for the past */
    in->st = WI_RUNNABLE;
    heap_push(&s->run, in);
    pthread_cond_signal(&s->work);
    pthread_cond_signal(&s->tick);
    /* Every runner busy: end at once the slice of the guest furthest ahead (as CFS preempts on wake-up),
     * so a newcomer does not wait out a whole slice behind a loop. */
    Runner *far = NULL;
    for (unsigned i = 0; i < s->nr; i++) {
        Runner *r = &s->r[i];
        if (!r->cur)
            return;
        if (!r->interrupted && r->cur->store && (!far || r->cur->vruntime > far->cur->vruntime))
            far = r;
    }
    if (far && far->cur->vruntime >= in->vruntime) {
        lodge_store_interrupt(far->cur->store);
        far->interrupted = true;
    }
}

bool wsched_start(WSched *s, WInst *in, char *err, size_t errlen)
{
    if (in->st != WI_CREATED) {
        snprintf(err, errlen, "instance %s is %s, not created", in->id, wproto_state_name(wsched_state(in)));
        return false;
    }
    if (!heap_reserve(&s->run, s->alive + 1) || !heap_reserve(&s->sleep, s->alive + 1)) {
        snprintf(err, errlen, "out of memory in the worker's scheduler");
        return false;
    }
    s->alive++;
    in->mem_bytes = lodge_store_memory_used(in->store); /* then updated whenever it leaves a runner */
    lodge_store_set_interrupt_handler(in->store, on_interrupt, in);
    make_runnable(s, in);
    s->ev(s->opaque, in);
    return true;
}

static Runner *runner_of(WSched *s, WInst *in)
{
    for (unsigned i = 0; i < s->nr; i++)
        if (s->r[i].cur == in)
            return &s->r[i];
    return NULL;
}

bool wsched_pause(WSched *s, WInst *in, char *err, size_t errlen)
{
    lodge_guest_state_t st = wsched_state(in);
    if (st == LODGE_STATE_PAUSED)
        return true;
    if (st != LODGE_STATE_RUNNING || atomic_load(&in->stop_req) || atomic_load(&in->kill_req)) {
        snprintf(err, errlen, "instance %s is %s, not running", in->id, wproto_state_name(st));
        return false;
    }
    atomic_store(&in->pause_req, true);
    if (in->st == WI_RUNNABLE) {
        heap_remove(&s->run, in);
        in->st = WI_PAUSED;
    } else if (in->st == WI_RUNNING) {
        /* It parks at its next interrupt check (a loop back-edge or call), within microseconds unless the
         * guest is inside a host call. */
        Runner *r = runner_of(s, in);
        if (r && r->cur && r->cur->store) {
            lodge_store_interrupt(r->cur->store);
            r->interrupted = true;
        }
    }
    s->ev(s->opaque, in);
    return true;
}

bool wsched_resume(WSched *s, WInst *in, char *err, size_t errlen)
{
    lodge_guest_state_t st = wsched_state(in);
    if (st != LODGE_STATE_PAUSED) {
        snprintf(err, errlen, "instance %s is %s, not paused", in->id, wproto_state_name(st));
        return false;
    }
    atomic_store(&in->pause_req, false);
    if (in->st == WI_PAUSED)
        make_runnable(s, in);
    s->ev(s->opaque, in);
    return true;
}

bool wsched_stop(WSched *s, WInst *in, bool kill, char *err, size_t errlen)
{
    if (in->st == WI_DONE) {
        snprintf(err, errlen, "instance %s has already stopped", in->id);
        return false;
    }
    if (in->st == WI_CREATED) {
        if (!heap_reserve(&s->run, s->alive + 1) || !heap_reserve(&s->sleep, s->alive + 1)) {
            snprintf(err, errlen, "out of memory in the worker's scheduler");
            return false;
        }
        s->alive++;
    }
    atomic_store(kill ? &in->kill_req : &in->stop_req, true);
    atomic_store(&in->pause_req, false); /* a paused guest is woken to end */
    switch (in->st) {
    case WI_RUNNING: {
        Runner *r = runner_of(s, in);
        if (r && r->cur && r->cur->store) {
            lodge_store_interrupt(r->cur->store);
            r->interrupted = true;
        }
        break;
    }
    case WI_RUNNABLE:
    case WI_SLEEPING:
    case WI_CREATED:
    case WI_PAUSED:
        /* To the front of the run queue, so it unwinds (or is dropped) now. */
        if (in->st == WI_RUNNABLE)
            heap_remove(&s->run, in);
        else if (in->st == WI_SLEEPING)
            heap_remove(&s->sleep, in);
        in->vruntime = 0;
        in->st = WI_RUNNABLE;
        heap_push(&s->run, in);
        pthread_cond_signal(&s->work);
        break;
    default:
        break;
    }
    return true;
}

lodge_guest_state_t wsched_state(const WInst *in)
{
    switch (in->st) {
    case WI_CREATED: return LODGE_STATE_CREATED;
    case WI_DONE: return LODGE_STATE_STOPPED;
    case WI_PAUSED: return LODGE_STATE_PAUSED;
    default: return atomic_load(&in->pause_req) ? LODGE_STATE_PAUSED : LODGE_STATE_RUNNING;
    }
}

uint64_t wsched_cpu_ns(WSched *s, const WInst *in)
{
    Runner *r = in->st == WI_RUNNING ? runner_of(s, (WInst *)in) : NULL;
    struct timespec ts;
    if (!r || r->cpu_clock == CLOCK_THREAD_CPUTIME_ID || clock_gettime(r->cpu_clock, &ts) != 0)
        return in->cpu_ns;
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return in->cpu_ns + (now > r->c0 ? now - r->c0 : 0);
}

const lodge_module_t *wsched_tramp(const WSched *s)
{
    return s->tramp;
}

void wsched_wait(WSched *s, unsigned timeout_ms)
{
    uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
    struct timespec ts = {.tv_sec = (time_t)(end / 1000000000ull), .tv_nsec = (long)(end % 1000000000ull)};
    pthread_cond_timedwait(&s->ended, &s->mu, &ts);
}

void wsched_guard(WSched *s, lodge_store_t *store, unsigned timeout_ms)
{
    wsched_lock(s);
    s->guard_store = store;
    s->guard_deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
    pthread_cond_signal(&s->tick);
    wsched_unlock(s);
}

void wsched_unguard(WSched *s)
{
    wsched_lock(s);
    s->guard_store = NULL;
    wsched_unlock(s);
}

void wsched_info(WSched *s, WSchedInfo *out)
{
    wsched_lock(s);
    out->runners = s->nr;
    out->stacks = s->stacks;
    out->runnable = s->run.n;
    out->sleeping = s->sleep.n;
    out->switches = s->switches;
    wsched_unlock(s);
}

WSched *wsched_new(lodge_engine_t *engine, unsigned nrunners, size_t stack_size, WSchedEventFn ev, WSchedReleaseFn rel,
                   void *opaque, void (*thread_init)(void), char *err, size_t errlen)
{
    WSched *s = calloc(1, sizeof *s);
    if (!s || !(s->r = calloc(nrunners, sizeof *s->r))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->tick, &ca);
    pthread_cond_init(&s->ended, &ca);
    pthread_condattr_destroy(&ca);
    s->sleep.by_wake = true;
    s->stack_size = (stack_size + 4095) & ~(size_t)4095;
    s->ev = ev;
    s->rel = rel;
    s->opaque = opaque;
    s->thread_init = thread_init;
    s->nr = nrunners;
    lodge_error_t le;
    s->tramp = wpoll_tramp_new(engine, &le);
    if (!s->tramp) {
        snprintf(err, errlen, "the poll trampoline: %s", le.message);
        wsched_delete(s);
        return NULL;
    }
    int e = pthread_create(&s->timer, NULL, timer_main, s);
    s->timer_started = e == 0;
    for (unsigned i = 0; e == 0 && i < nrunners; i++) {
        s->r[i].s = s;
        e = pthread_create(&s->r[i].thread, NULL, runner_main, &s->r[i]);
        if (e == 0)
            s->started++;
    }
    if (e != 0) {
        snprintf(err, errlen, "cannot start the scheduler's threads: %s", strerror(e));
        wsched_delete(s);
        return NULL;
    }
    return s;
}

void wsched_delete(WSched *s)
{
    if (!s)
        return;
    wsched_lock(s);
    s->quit = true;
    pthread_cond_broadcast(&s->work);
    pthread_cond_broadcast(&s->tick);
    wsched_unlock(s);
    for (unsigned i = 0; i < s->started; i++)
        pthread_join(s->r[i].thread, NULL);
    if (s->timer_started)
        pthread_join(s->timer, NULL);
    lodge_module_delete(s->tramp);
    free(s->run.v);
    free(s->sleep.v);
    free(s->r);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->tick);
    pthread_cond_destroy(&s->ended);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
