/* trap.c: the handler for SIGSEGV/SIGBUS behind guard-page bounds checks, its chaining to the handlers
 * installed before it, the per-thread alternate signal stacks it runs on, and the fatal hooks (trap.h).
 *
 * Mutable state at file scope, and why each piece cannot hang off a context: a signal handler is
 * process-wide and receives no argument of ours, so what it needs must be found from the signal alone.
 *  - trap_thread (thread-local): the innermost TrapScope of this thread, the one way the handler finds
 *    the store a fault belongs to; plus whether this thread has its alternate stack and is running hooks.
 *  - prev_actions/installed: the handlers Lodge replaced, one per signal, to chain to; written under
 *    install_lock before Lodge's handler is installed for that signal, read-only afterwards (except
 *    SA_RESETHAND, which the handler emulates by resetting the entry to SIG_DFL).
 *  - hooks: the fatal hooks; registered under install_lock, read lock-free (atomics) by the handler.
 *  - altstack_key: the pthread key whose destructor frees a thread's alternate stack. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "os/mem.h"
#include "os/trap.h"

#define ALTSTACK_SIZE (64 * 1024) /* a chained handler (a sanitizer's report) may need far more than SIGSTKSZ */

enum { SIG_SEGV_I, SIG_BUS_I, SIG_ILL_I, SIG_FPE_I, SIG_ABRT_I, NSIGS };
static const int trap_signals[NSIGS] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

typedef struct TrapThread {
    TrapScope *scope;
    bool altstack_done;  /* set up (or found, or given up on) at the first push */
    bool in_hooks;       /* a hook faulted: do not run the hooks again */
    bool had_altstack;   /* ours replaced a smaller one, put back when the thread exits */
    stack_t replaced;
} TrapThread;
static _Thread_local TrapThread trap_thread;

static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction prev_actions[NSIGS];
static atomic_bool installed[NSIGS];

typedef struct FatalHook {
    _Atomic(OsTrapFatalFn) fn;
    void *_Atomic data;
} FatalHook;
static FatalHook hooks[OS_TRAP_MAX_HOOKS];

static pthread_once_t altstack_once = PTHREAD_ONCE_INIT;
static pthread_key_t altstack_key;
static bool altstack_key_ok;

static int signal_index(int sig)
{
    for (int i = 0; i < NSIGS; i++)
        if (trap_signals[i] == sig)
            return i;
    return -1;
}

/* ---- passing a fault on ---------------------------------------------------------------------- */

static void run_hooks(int sig)
{
    if (trap_thread.in_hooks)
        return;
    trap_thread.in_hooks = true;
    for (int i = 0; i < OS_TRAP_MAX_HOOKS; i++) {
        OsTrapFatalFn fn = atomic_load_explicit(&hooks[i].fn, memory_order_acquire);
        if (fn)
            fn(sig, atomic_load_explicit(&hooks[i].data, memory_order_relaxed));
    }
    trap_thread.in_hooks = false;
}

/* The default action, for real: restored for the signal, then a fault the hardware caused happens again
 * when the handler returns; a signal that was sent (kill, raise, abort: si_code <= 0) is raised again. */
static void default_action(int sig, const siginfo_t *info)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (info && info->si_code > 0)
        return;
    raise(sig);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, sig);
    pthread_sigmask(SIG_UNBLOCK, &m, NULL);
}

/* Call the handler Lodge replaced as the kernel would have: its mask blocked for the call (and the
 * signal itself unless SA_NODEFER), SA_RESETHAND honoured. */
static void chain(int sig, siginfo_t *info, void *uctx)
{
    int i = signal_index(sig);
    if (i < 0) {
        default_action(sig, info);
        return;
    }
    struct sigaction p = prev_actions[i];
    bool siginfo = p.sa_flags & SA_SIGINFO;
    if ((siginfo && !p.sa_sigaction) ||
        (!siginfo && (p.sa_handler == SIG_DFL || p.sa_handler == SIG_IGN))) {
        /* A fault cannot be ignored (the instruction would fault forever): SIG_IGN is the default. */
        default_action(sig, info);
        return;
    }
    if (p.sa_flags & SA_RESETHAND) {
        prev_actions[i].sa_flags = 0;
        prev_actions[i].sa_handler = SIG_DFL;
    }
    sigset_t block = p.sa_mask, old;
    if (!(p.sa_flags & SA_NODEFER))
        sigaddset(&block, sig);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    if (siginfo)
        p.sa_sigaction(sig, info, uctx);
    else
        p.sa_handler(sig);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
    int saved_errno = errno;
    TrapScope *s = trap_thread.scope;
    /* Only a fault the hardware raised (si_code > 0) has a meaningful address; one sent with kill(2)
     * while guest code runs is not a guest access. */
    if ((sig == SIGSEGV || sig == SIGBUS) && s && s->claim && info && info->si_code > 0 &&
        s->claim(s->owner, (uintptr_t)info->si_addr)) {
        s->fault_addr = (uintptr_t)info->si_addr;
        /* Our handler is SA_NODEFER, but another handler that chained to us may have blocked the signal;
         * the jump does not restore the mask (sigsetjmp saves none, to keep guest entry cheap). */
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, sig);
        pthread_sigmask(SIG_UNBLOCK, &m, NULL);
        errno = saved_errno;
        siglongjmp(s->jmp, 1);
    }
    run_hooks(sig);
    chain(sig, info, uctx);
    errno = saved_errno;
}

/* Remember the current action for signal i, then put ours in its place (in that order, so that the
 * handler never runs without its predecessor known). Under install_lock. */
static bool install_locked(int i)
{
    if (atomic_load(&installed[i]))
        return true;
    if (sigaction(trap_signals[i], NULL, &prev_actions[i]) != 0)
        return false;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(trap_signals[i], &sa, NULL) != 0)
        return false;
    atomic_store(&installed[i], true);
    return true;
}

bool os_trap_init(void)
{
    if (atomic_load(&installed[SIG_SEGV_I]) && atomic_load(&installed[SIG_BUS_I]))
        return true;
    pthread_mutex_lock(&install_lock);
    bool ok = install_locked(SIG_SEGV_I) && install_locked(SIG_BUS_I);
    pthread_mutex_unlock(&install_lock);
    return ok;
}

int os_trap_on_fatal(OsTrapFatalFn fn, void *data)
{
    if (!fn)
        return -1;
    pthread_mutex_lock(&install_lock);
    int handle = -1;
    bool ok = true;
    for (int i = 0; i < NSIGS; i++)
        ok = ok && install_locked(i);
    for (int i = 0; ok && i < OS_TRAP_MAX_HOOKS; i++) {
        if (!atomic_load(&hooks[i].fn)) {
            atomic_store_explicit(&hooks[i].data, data, memory_order_relaxed);
            atomic_store_explicit(&hooks[i].fn, fn, memory_order_release);
            handle = i;
            break;
        }
    }
    pthread_mutex_unlock(&install_lock);
    return handle;
}

void os_trap_remove_fatal(int handle)
{
    if (handle < 0 || handle >= OS_TRAP_MAX_HOOKS)
        return;
    pthread_mutex_lock(&install_lock);
    atomic_store_explicit(&hooks[handle].fn, NULL, memory_order_release);
    pthread_mutex_unlock(&install_lock);
}

/* ---- alternate signal stacks ----------------------------------------------------------------- */

/* The thread is exiting (key destructors run on it, its thread-locals still valid): stop using our stack
 * if it is still the one installed, putting back the one it replaced (whose owner will free it), and
 * unmap it. */
static void altstack_free(void *base)
{
    size_t page = os_page_size();
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == (char *)base + page) {
        stack_t off;
        memset(&off, 0, sizeof off);
        off.ss_flags = SS_DISABLE;
        sigaltstack(trap_thread.had_altstack ? &trap_thread.replaced : &off, NULL);
    }
    munmap(base, page + ALTSTACK_SIZE);
}

static void altstack_make_key(void)
{
    altstack_key_ok = pthread_key_create(&altstack_key, altstack_free) == 0;
}

static void altstack_setup(void)
{
    trap_thread.altstack_done = true;
    stack_t cur;
    if (sigaltstack(NULL, &cur) != 0)
        return;
    if (cur.ss_flags & SS_ONSTACK)
        return; /* entered from a signal handler running on it: leave it alone */
    if (!(cur.ss_flags & SS_DISABLE) && cur.ss_size >= ALTSTACK_SIZE)
        return; /* the embedder's (or a sanitizer's): big enough, keep it */
    pthread_once(&altstack_once, altstack_make_key);
    if (!altstack_key_ok)
        return;
    size_t page = os_page_size();
    /* A guard page below, so that a handler overflowing the alternate stack faults instead of writing
     * over whatever lies beneath. */
    char *base = mmap(NULL, page + ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                      -1, 0);
    if (base == MAP_FAILED)
        return;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = base + page;
    ss.ss_size = ALTSTACK_SIZE;
    if (mprotect(base, page, PROT_NONE) != 0 || sigaltstack(&ss, NULL) != 0) {
        munmap(base, page + ALTSTACK_SIZE);
        return;
    }
    trap_thread.had_altstack = !(cur.ss_flags & SS_DISABLE);
    trap_thread.replaced = cur;
    if (pthread_setspecific(altstack_key, base) != 0)
        altstack_free(base);
}

/* ---- scopes ---------------------------------------------------------------------------------- */

void os_trap_push(TrapScope *scope)
{
    if (!trap_thread.altstack_done)
        altstack_setup();
    scope->prev = trap_thread.scope;
    scope->fault_addr = 0;
    trap_thread.scope = scope;
}

void os_trap_pop(TrapScope *scope)
{
    trap_thread.scope = scope->prev;
}

TrapScope *os_trap_take(void)
{
    TrapScope *s = trap_thread.scope;
    trap_thread.scope = NULL;
    return s;
}

void os_trap_give(TrapScope *scope)
{
    trap_thread.scope = scope;
}
