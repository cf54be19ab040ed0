/* trap.c: the SIGSEGV/SIGBUS handler behind guard-page bounds checks. The per-thread scope pointer is the
 * one piece of thread-local state in Lodge: a signal handler has no other way to find its context. */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "os/trap.h"

static _Thread_local TrapScope *current_scope;
static pthread_once_t trap_once = PTHREAD_ONCE_INIT;
static bool trap_ok;

static void on_fault(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    TrapScope *s = current_scope;
    uintptr_t addr = (uintptr_t)info->si_addr;
    if (s && s->claim && s->claim(s->owner, addr)) {
        s->fault_addr = addr;
        /* Our handler is SA_NODEFER, but another handler that chained to us may have blocked the signal;
         * the jump does not restore the mask (sigsetjmp saves none, to keep guest entry cheap). */
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, sig);
        pthread_sigmask(SIG_UNBLOCK, &m, NULL);
        siglongjmp(s->jmp, 1);
    }
    /* Not ours: restore the default action and return, so the fault repeats and kills the process. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    trap_ok = sigaction(SIGSEGV, &sa, NULL) == 0 && sigaction(SIGBUS, &sa, NULL) == 0;
}

bool os_trap_init(void)
{
    pthread_once(&trap_once, install);
    return trap_ok;
}

void os_trap_push(TrapScope *scope)
{
    scope->prev = current_scope;
    scope->fault_addr = 0;
    current_scope = scope;
}

void os_trap_pop(TrapScope *scope)
{
    current_scope = scope->prev;
}

TrapScope *os_trap_take(void)
{
    TrapScope *s = current_scope;
    current_scope = NULL;
    return s;
}

void os_trap_give(TrapScope *scope)
{
    current_scope = scope;
}
