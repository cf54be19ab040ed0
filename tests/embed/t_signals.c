/* t_signals.c: many guests in one process with other users of signals. The fault handler chains to the
 * handler installed before Lodge's (SA_SIGINFO, plain, SIG_DFL, SIG_IGN), runs fatal hooks first, and
 * runs on an alternate stack, so a fault on an exhausted host stack is still handled; guard-page traps
 * stay traps on threads with little stack left and on several threads at once, and threads' alternate
 * stacks are freed when they exit.
 * Each case that ends a process runs in a child (this program re-executed with --child CASE), whose
 * output the parent passes on and whose end it checks. Usage: t_signals DIR.
 * Besides lodge.h it uses os/trap.h, for the fatal hooks (an internal interface of liblodge.a). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "os/trap.h"

static const char *dir;
static volatile int stop_recursion; /* never set: keeps the compiler from proving the recursion endless */

typedef struct Guest {
    lodge_engine_t *engine;
    lodge_module_t *module;
    lodge_store_t *store;
    lodge_func_t *oob, *inb, *deep, *unreachable;
} Guest;

static int recurse(int n)
{
    volatile char buf[512];
    buf[0] = (char)n;
    if (stop_recursion)
        return buf[0];
    return recurse(n + 1) + buf[0];
}

static bool host_deep(void *env, lodge_caller_t *caller, const lodge_val_t *args, lodge_val_t *results,
                      lodge_error_t *err)
{
    return recurse(1) != 0;
}

static lodge_func_t *export_func(lodge_instance_t *inst, const char *name)
{
    lodge_extern_t e;
    return lodge_instance_export(inst, name, &e) && e.kind == LODGE_EXTERN_FUNC ? e.of.func : NULL;
}

/* A store with an instance of oob.wasm; engine and module shared when given. */
static bool guest_new(Guest *g, lodge_engine_t *engine, lodge_module_t *module)
{
    memset(g, 0, sizeof *g);
    g->engine = engine ? engine : lodge_engine_new(NULL);
    g->module = module ? module : check_module(g->engine, dir, "oob.wasm");
    g->store = lodge_store_new(g->engine, NULL);
    lodge_functype_t ft = {0, 0, NULL, NULL};
    lodge_extern_t imp = {.kind = LODGE_EXTERN_FUNC};
    imp.of.func = lodge_func_new(g->store, &ft, host_deep, NULL, NULL);
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_instance_t *inst = lodge_instance_new(g->store, g->module, &imp, 1, &err);
    if (!inst)
        return false;
    g->oob = export_func(inst, "oob");
    g->inb = export_func(inst, "inb");
    g->deep = export_func(inst, "deep");
    g->unreachable = export_func(inst, "unreachable");
    return g->oob && g->inb && g->deep && g->unreachable;
}

/* True when `oob` traps with an out-of-bounds access, as it must. */
static bool traps_oob(Guest *g)
{
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_val_t r[1];
    return !lodge_func_call(g->store, g->oob, NULL, 0, r, 1, &err) && err.status == LODGE_ERR_TRAP &&
           err.trap == LODGE_TRAP_MEMORY_OOB;
}

/* The same way out of the guest without a signal: an explicit trap. */
static bool traps_unreachable(Guest *g)
{
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_val_t r[1];
    return !lodge_func_call(g->store, g->unreachable, NULL, 0, r, 1, &err) && err.status == LODGE_ERR_TRAP &&
           err.trap == LODGE_TRAP_UNREACHABLE;
}

static bool inb_works(Guest *g, int v)
{
    lodge_val_t a = {.type = LODGE_I32, .of.i32 = v}, r[1];
    lodge_error_t err;
    return lodge_func_call(g->store, g->inb, &a, 1, r, 1, &err) && r[0].of.i32 == v;
}

/* ---- children: each sets up its process's signal handling first, as an embedder would ------------ */

static void say(const char *s)
{
    ssize_t r = write(1, s, strlen(s));
    (void)r;
}

static atomic_int hook_ran;

static void embedder_siginfo(int sig, siginfo_t *info, void *uctx)
{
    /* The fault below writes to address 16: the handler must see Lodge's arguments unchanged. */
    say(sig == SIGSEGV && info && (uintptr_t)info->si_addr == 16 && uctx ? "ok - embedder's SA_SIGINFO handler ran with the fault's signal, siginfo and context\n"
                                                                          : "not ok - embedder's handler got other arguments\n");
    if (atomic_load(&hook_ran))
        say("ok - the fatal hook ran before the embedder's handler\n");
    _exit(42);
}

static void embedder_plain(int sig)
{
    say(sig == SIGSEGV ? "ok - embedder's plain handler ran with SIGSEGV\n" : "not ok - plain handler: other signal\n");
    _exit(43);
}

static void hook(int sig, void *data)
{
    atomic_store(&hook_ran, 1);
    char line[160];
    int n = snprintf(line, sizeof line, "ok - fatal hook ran for signal %d (%s)\n", sig, (const char *)data);
    if (n > 0) {
        ssize_t r = write(1, line, (size_t)n);
        (void)r;
    }
}

static void set_action(int sig, void (*handler)(int), void (*action)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (action) {
        sa.sa_sigaction = action;
        sa.sa_flags = SA_SIGINFO;
    } else {
        sa.sa_handler = handler;
    }
    sigaction(sig, &sa, NULL);
}

static volatile uintptr_t fault_address = 16; /* through a variable: the compiler cannot see the address */

static void fault_now(void)
{
    fflush(stdout);
    *(volatile int *)fault_address = 1;
}

static void test_edge(void);

static int child(const char *which)
{
    alarm(30); /* a hang ends the child, and the parent reports it */
    if (strcmp(which, "edge") == 0) {
        /* If the trap could not be handled the process would die: hence a child of its own. */
        test_edge();
        return check_failed ? 1 : 0;
    }
    if (strcmp(which, "siginfo") == 0 || strcmp(which, "hook") == 0)
        set_action(SIGSEGV, NULL, embedder_siginfo);
    else if (strcmp(which, "plain") == 0)
        set_action(SIGSEGV, embedder_plain, NULL);
    else if (strcmp(which, "ignore") == 0)
        set_action(SIGSEGV, SIG_IGN, NULL);
    else
        set_action(SIGSEGV, SIG_DFL, NULL); /* also replaces a sanitizer's handler */
    Guest g;
    REQUIRE(guest_new(&g, NULL, NULL), "%s: a store and an instance", which);
    if (strcmp(which, "hook") == 0 || strcmp(which, "abort") == 0 || strcmp(which, "overflow") == 0)
        REQUIRE(os_trap_on_fatal(hook, (void *)which) >= 0, "%s: a fatal hook registered", which);
    CHECK(traps_oob(&g), "%s: an out-of-bounds load is still a trap with the embedder's handler installed", which);
    CHECK(inb_works(&g, 7) && traps_oob(&g), "%s: and the store keeps working, trap after trap", which);
    CHECK(atomic_load(&hook_ran) == 0, "%s: a guest trap runs no fatal hook", which);
    if (strcmp(which, "abort") == 0) {
        fflush(stdout);
        abort();
    }
    if (strcmp(which, "overflow") == 0) {
        /* A host function the guest calls recurses until the host stack is gone: a fault inside a
         * TrapScope, not in guest memory; only an alternate stack lets the handler run at all. */
        lodge_error_t err;
        fflush(stdout);
        lodge_func_call(g.store, g.deep, NULL, 0, NULL, 0, &err);
        say("not ok - the endless host recursion returned\n");
        return 1;
    }
    fault_now();
    say("not ok - a fault at address 16 was survived\n");
    return 1;
}

/* Run this program with --child which; its output is passed on; returns its wait status. */
static int run_child(const char *self, const char *which, char *out, size_t cap)
{
    int p[2];
    if (pipe(p))
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(self, self, dir, "--child", which, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(p[0], out + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    fputs(out, stdout);
    return status;
}

static bool died_of(int status, int sig)
{
    return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static void test_chaining(const char *self)
{
    char out[4096];
    int st = run_child(self, "siginfo", out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "a non-guest fault reaches the embedder's SA_SIGINFO handler (status 0x%x)", st);
    st = run_child(self, "plain", out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 43, "a non-guest fault reaches the embedder's sa_handler (status 0x%x)", st);
    st = run_child(self, "default", out, sizeof out);
    CHECK(died_of(st, SIGSEGV), "with SIG_DFL before Lodge, a non-guest fault kills with SIGSEGV (status 0x%x)", st);
    st = run_child(self, "ignore", out, sizeof out);
    CHECK(died_of(st, SIGSEGV), "with SIG_IGN before Lodge, a fault still kills with SIGSEGV, no hang (status 0x%x)", st);
    st = run_child(self, "hook", out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42 && strstr(out, "fatal hook ran for signal 11 (hook)") &&
              strstr(out, "hook ran before the embedder's handler"),
          "fatal hooks run, then the embedder's handler (status 0x%x)", st);
    st = run_child(self, "abort", out, sizeof out);
    CHECK(died_of(st, SIGABRT) && strstr(out, "fatal hook ran for signal 6 (abort)"),
          "abort(): the hook runs and the process dies of SIGABRT (status 0x%x)", st);
    st = run_child(self, "overflow", out, sizeof out);
    CHECK(strstr(out, "fatal hook ran for signal 11 (overflow)") != NULL,
          "a host stack overflow inside guest code: the handler still runs (on the alternate stack)");
    CHECK(died_of(st, SIGSEGV), "and the process then dies of SIGSEGV (status 0x%x)", st);
}

/* ---- a trap with little host stack left ------------------------------------------------------------ */

typedef struct Edge {
    Guest g;
    char *low;        /* lowest usable byte of the thread's stack */
    size_t target;    /* bytes of stack to leave when calling into the guest */
    size_t used;      /* bytes a trapping call needs, measured */
    size_t left;      /* bytes there were below the calling frame */
    bool trapped;
} Edge;

#define PAINT 0xA5

#if defined(__GNUC__)
#define NO_ASAN __attribute__((noinline, no_sanitize_address))
#else
#define NO_ASAN
#endif

NO_ASAN static void paint(char *from, char *to)
{
    for (volatile char *p = from; p < to; p++)
        *p = (char)PAINT;
}

NO_ASAN static char *deepest_touched(char *from, char *to)
{
    volatile char *p = from;
    while ((char *)p < to && *p == (char)PAINT)
        p++;
    return (char *)p;
}

/* How much stack below this frame a trap needs when no signal is involved (an explicit trap takes the
 * same way out: error, backtrace): paint, call, find the deepest byte changed. */
__attribute__((noinline)) static size_t measure(Edge *e)
{
    char *frame = __builtin_frame_address(0);
    char *top = frame - 2048; /* above: this frame and paint's */
    paint(e->low + 256, top);
    bool ok = traps_unreachable(&e->g);
    char *deep = deepest_touched(e->low + 256, top);
    return ok ? (size_t)(frame - deep) : 0;
}

__attribute__((noinline)) static void call_at_edge(Edge *e)
{
    e->left = (size_t)((char *)__builtin_frame_address(0) - e->low);
    e->trapped = traps_oob(&e->g);
}

/* Leave exactly e->target bytes below this (small) frame, then call. */
__attribute__((noinline)) static void edge_reserve(Edge *e)
{
    char *frame = __builtin_frame_address(0);
    size_t left = (size_t)(frame - e->low);
    volatile char *pad = __builtin_alloca(left > e->target ? left - e->target : 1);
    pad[0] = 1;
    call_at_edge(e);
    pad[1] = pad[0];
}

/* Use up the thread's stack in big steps, down to a little above the target. */
__attribute__((noinline)) static void descend(Edge *e)
{
    char *frame = __builtin_frame_address(0);
    size_t left = (size_t)(frame - e->low);
    if (left < e->target + 16384) {
        edge_reserve(e);
        return;
    }
    volatile char pad[4096];
    pad[0] = 1;
    descend(e);
    pad[1] = pad[0];
}

static void *edge_thread(void *arg)
{
    Edge *e = arg;
    pthread_attr_t a;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstack(&a, &addr, &size);
        pthread_attr_destroy(&a);
    }
    e->low = addr;
    /* Warm up: the functions are lowered and the store's stacks allocated on the first call. */
    if (!addr || !traps_oob(&e->g) || !traps_unreachable(&e->g))
        return NULL;
    e->used = measure(e);
    if (!e->used)
        return NULL;
    /* 256 bytes more than a trap needs: less than a signal frame (x86-64: 1 KiB or more), which
     * therefore has to go to the alternate stack. */
    e->target = e->used + 256;
    descend(e);
    return NULL;
}

static void test_edge(void)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* every line out before a crash could come */
    Edge *e = calloc(1, sizeof *e);
    REQUIRE(e && guest_new(&e->g, NULL, NULL), "a guest for the stack test");
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 1u << 20);
    pthread_t t;
    REQUIRE(pthread_create(&t, &a, edge_thread, e) == 0, "a thread with a 1 MiB stack");
    pthread_join(t, NULL);
    pthread_attr_destroy(&a);
    CHECK(e->used > 0, "a trapping call needs %zu bytes of host stack", e->used);
    CHECK(e->trapped, "with only %zu bytes of stack left, an out-of-bounds access is still a trap", e->left);
    lodge_store_delete(e->g.store);
    lodge_module_delete(e->g.module);
    lodge_engine_delete(e->g.engine);
    free(e);
}

/* ---- several threads, several stores, traps in all ------------------------------------------------- */

#define ROUNDS 3000
typedef struct Worker {
    Guest g;
    pthread_barrier_t *start;
    int traps, values;
    bool altstack;
} Worker;

static void *worker(void *arg)
{
    Worker *w = arg;
    pthread_barrier_wait(w->start);
    for (int i = 0; i < ROUNDS; i++) {
        w->traps += traps_oob(&w->g);
        w->values += inb_works(&w->g, i);
    }
    stack_t ss;
    w->altstack = sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE) && ss.ss_size >= 64 * 1024;
    return NULL;
}

/* A thread that brings its own alternate stack: a large one is kept, a small one is replaced. */
typedef struct OwnStack {
    Guest *g;
    size_t size;
    void *mem;        /* freed by the main thread once this one has exited */
    bool kept, trapped;
} OwnStack;

static void *own_stack_thread(void *arg)
{
    OwnStack *o = arg;
    stack_t ss = {.ss_sp = o->mem, .ss_size = o->size, .ss_flags = 0}, cur;
    if (!o->mem || sigaltstack(&ss, NULL) != 0)
        return NULL;
    o->trapped = traps_oob(o->g) && traps_oob(o->g);
    o->kept = sigaltstack(NULL, &cur) == 0 && cur.ss_sp == o->mem;
    /* Leave without an alternate stack, as the thread found it (a sanitizer unmaps the one it finds at
     * thread exit, believing it its own); Lodge's, if any, is then simply unmapped. */
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    return NULL;
}

static int count_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, c;
    if (!f)
        return -1;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void test_threads(void)
{
    lodge_engine_t *engine = lodge_engine_new(NULL);
    lodge_module_t *module = check_module(engine, dir, "oob.wasm");
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    Worker w[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        REQUIRE(guest_new(&w[i].g, engine, module), "store %d", i);
        w[i].start = &start;
        w[i].traps = w[i].values = 0;
        REQUIRE(pthread_create(&t[i], NULL, worker, &w[i]) == 0, "thread %d", i);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        CHECK(w[i].traps == ROUNDS && w[i].values == ROUNDS,
              "thread %d, its own store: %d of %d traps, %d of %d correct values, concurrently with the other", i,
              w[i].traps, ROUNDS, w[i].values, ROUNDS);
        CHECK(w[i].altstack, "thread %d ran with an alternate signal stack of at least 64 KiB", i);
        lodge_store_delete(w[i].g.store);
    }
    pthread_barrier_destroy(&start);

    /* Threads come and go: each gets an alternate stack at its first guest call and frees it at exit. */
    pthread_barrier_init(&start, NULL, 1);
    Worker one;
    REQUIRE(guest_new(&one.g, engine, module), "a store for passing threads");
    one.start = &start;
    int before = count_mappings();
    int good = 0;
    for (int i = 0; i < 40; i++) {
        pthread_t th;
        one.traps = one.values = 0;
        if (pthread_create(&th, NULL, worker, &one) != 0)
            break;
        pthread_join(th, NULL);
        good += one.traps == ROUNDS && one.altstack;
    }
    int after = count_mappings();
    CHECK(good == 40, "40 threads one after another, each trapping with its own alternate stack (%d)", good);
    CHECK(after - before < 8, "their alternate stacks are freed at thread exit (mappings %d before, %d after)", before,
          after);
    pthread_barrier_destroy(&start);

    OwnStack big = {.g = &one.g, .size = 256 * 1024, .mem = malloc(256 * 1024)};
    OwnStack small = {.g = &one.g, .size = 16 * 1024, .mem = malloc(16 * 1024)};
    pthread_t th;
    if (pthread_create(&th, NULL, own_stack_thread, &big) == 0)
        pthread_join(th, NULL);
    CHECK(big.trapped && big.kept, "a thread's own 256 KiB alternate stack is kept (traps %d, kept %d)", big.trapped,
          big.kept);
    if (pthread_create(&th, NULL, own_stack_thread, &small) == 0)
        pthread_join(th, NULL);
    CHECK(small.trapped && !small.kept, "a thread's own 16 KiB alternate stack is replaced by a larger one (traps %d)",
          small.trapped);
    free(big.mem);
    free(small.mem);
    lodge_store_delete(one.g.store);
    lodge_module_delete(module);
    lodge_engine_delete(engine);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: t_signals DIR\n");
        return 2;
    }
    dir = argv[1];
    if (argc == 4 && strcmp(argv[2], "--child") == 0)
        return child(argv[3]);
    test_chaining(argv[0]);
    char out[4096];
    int st = run_child(argv[0], "edge", out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a thread near the end of its stack survives guest traps (status 0x%x)",
          st);
    test_threads();
    return check_failed ? 1 : 0;
}
