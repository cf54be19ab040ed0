/* trap.h: turning hardware faults in guest linear memory into wasm traps, in a process that may hold many
 * guests, other libraries and an embedder with signal handlers of its own.
 *
 * A thread that runs guest code enters a TrapScope; a SIGSEGV/SIGBUS whose address lies in a region the
 * scope claims jumps back to the scope's sigsetjmp point. Every other fault is not ours:
 *  1. the fatal hooks (os_trap_on_fatal) run, e.g. to put a raw terminal back;
 *  2. the fault is passed to the handler that was installed before Lodge's (the embedder's, another
 *     library's, a sanitizer's), called with the same arguments and its own sa_mask, honouring
 *     SA_SIGINFO and SA_RESETHAND; if that was SIG_DFL (or SIG_IGN, which means nothing for a fault), the
 *     default action is restored and happens: the faulting instruction runs again, or the signal is
 *     raised again when it was sent rather than caused.
 * An embedder that installs its own handler after Lodge's must chain to Lodge's (the old action it
 * received from sigaction) for guest traps to keep working.
 *
 * The handler runs on an alternate signal stack, so a fault on an exhausted host stack is still handled:
 * each thread gets one (64 KiB and a guard page) when it first enters a TrapScope, unless it already has
 * one of at least that size, and it is freed when the thread exits (a pthread key destructor). */
#ifndef LODGE_OS_TRAP_H
#define LODGE_OS_TRAP_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct TrapScope TrapScope;
/* Decides whether a fault address belongs to guest memory of the scope's owner. Runs in the signal
 * handler: async-signal-safe, no locks, no allocation. */
typedef bool (*TrapClaimFn)(void *owner, uintptr_t addr);

struct TrapScope {
    sigjmp_buf jmp;
    TrapClaimFn claim;
    void *owner;
    TrapScope *prev;
    uintptr_t fault_addr;
};

/* Install the SIGSEGV/SIGBUS handler once (idempotent, thread-safe), remembering the handlers it replaces.
 * False if sigaction fails. */
bool os_trap_init(void);
/* Push/pop the calling thread's current scope. The caller does sigsetjmp(scope->jmp, 0) after push. The
 * first push on a thread also gives it its alternate signal stack (if that cannot be allocated, faults
 * are still handled, on the thread's own stack). */
void os_trap_push(TrapScope *scope);
void os_trap_pop(TrapScope *scope);
/* The calling thread's scope chain, set aside while a coroutine leaves the thread and put back (on any
 * thread) when it continues; os_trap_take leaves the thread with no scope. */
TrapScope *os_trap_take(void);
void os_trap_give(TrapScope *scope);

/* A fatal hook: called with the signal number for a SIGSEGV or SIGBUS that is not a guest's, and for
 * SIGILL, SIGFPE and SIGABRT, before the signal is passed on (the process is usually about to die).
 * Runs in a signal handler, on whatever thread faulted, possibly on several at once: it must be
 * async-signal-safe (write(2), tcsetattr(3), no malloc, no locks, no stdio) and must not return into
 * the faulting code by a jump. A hook that faults itself is not run again on that thread. */
typedef void (*OsTrapFatalFn)(int sig, void *data);
#define OS_TRAP_MAX_HOOKS 8
/* Register a hook (and install the handler for the five signals, once). Returns a handle for
 * os_trap_remove_fatal, or -1 when OS_TRAP_MAX_HOOKS are registered or sigaction fails. Thread-safe. */
int os_trap_on_fatal(OsTrapFatalFn fn, void *data);
/* Unregister; `data` must stay valid until then. A fault already running the hook may still call it. */
void os_trap_remove_fatal(int handle);

#endif
