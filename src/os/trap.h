/* trap.h: turning hardware faults in guest linear memory into wasm traps. A thread that runs guest code
 * enters a TrapScope; a SIGSEGV/SIGBUS whose address lies in a region the scope claims jumps back to the
 * scope's sigsetjmp point. Any other fault is re-raised with the default action (a real bug crashes). */
#ifndef LODGE_OS_TRAP_H
#define LODGE_OS_TRAP_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct TrapScope TrapScope;
/* Decides whether a fault address belongs to guest memory of the scope's owner. */
typedef bool (*TrapClaimFn)(void *owner, uintptr_t addr);

struct TrapScope {
    sigjmp_buf jmp;
    TrapClaimFn claim;
    void *owner;
    TrapScope *prev;
    uintptr_t fault_addr;
};

/* Install the process-wide handlers once (idempotent, thread-safe). False if sigaction fails. */
bool os_trap_init(void);
/* Push/pop the calling thread's current scope. The caller does sigsetjmp(scope->jmp, 0) after push. */
void os_trap_push(TrapScope *scope);
void os_trap_pop(TrapScope *scope);
/* The calling thread's scope chain, set aside while a coroutine leaves the thread and put back (on any
 * thread) when it continues; os_trap_take leaves the thread with no scope. */
TrapScope *os_trap_take(void);
void os_trap_give(TrapScope *scope);

#endif
