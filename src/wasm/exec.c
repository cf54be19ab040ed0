/* exec.c: the single entry from the host into guest code. It owns the execution context's stacks, the
 * protected-call point (sigsetjmp) that guard-page faults return to, and turning a trap into an error
 * value with a wasm backtrace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/trap.h"
#include "wasm/engine.h"
#include "wasm/interp/code.h"
#include "wasm/runtime.h"
#include "wasm/value.h"

static bool exec_ensure(lodge_store_t *s)
{
    Exec *ex = &s->exec;
    if (ex->stack)
        return true;
    size_t nslots = s->engine->cfg.max_value_stack / sizeof(Slot);
    ex->stack = malloc(nslots * sizeof(Slot));
    ex->frames = malloc((size_t)s->engine->cfg.max_call_depth * sizeof(Frame));
    if (!ex->stack || !ex->frames) {
        free(ex->stack);
        free(ex->frames);
        ex->stack = NULL;
        ex->frames = NULL;
        return false;
    }
    ex->stack_end = ex->stack + nslots;
    ex->stack_top = ex->stack;
    ex->max_frames = s->engine->cfg.max_call_depth;
    ex->nframes = 0;
    return os_trap_init();
}

/* A fault address belongs to the guest if it lies in the reservation of one of the store's memories. */
static bool claim_fault(void *owner, uintptr_t addr)
{
    lodge_store_t *s = owner;
    for (uint32_t i = 0; i < s->nmems; i++) {
        lodge_memory_t *m = s->mems[i];
        if (m->guarded && addr >= (uintptr_t)m->base && addr < (uintptr_t)m->base + m->reserved)
            return true;
    }
    return false;
}

static void backtrace_into(lodge_store_t *s, uint32_t base, lodge_error_t *err)
{
    Exec *ex = &s->exec;
    size_t used = 0;
    err->backtrace[0] = 0;
    for (uint32_t i = ex->nframes; i-- > base && used + 64 < sizeof err->backtrace;) {
        lodge_func_t *f = ex->frames[i].fn;
        const char *name = lodge_func_name(f);
        int n;
        if (name)
            n = snprintf(err->backtrace + used, sizeof err->backtrace - used, "  %u: %s\n", ex->nframes - 1 - i, name);
        else
            n = snprintf(err->backtrace + used, sizeof err->backtrace - used, "  %u: func[%u]\n", ex->nframes - 1 - i,
                         f->index);
        if (n < 0)
            break;
        used += (size_t)n;
        if (used >= sizeof err->backtrace)
            used = sizeof err->backtrace - 1;
    }
}

/* The protected-call point: a guard-page fault anywhere below returns here through siglongjmp. After
 * the jump only memory-resident state is trusted, so the store is read back from the scope. */
static bool protected_run(lodge_store_t *s, lodge_func_t *f, Slot *fp, uint32_t nslots)
{
    TrapScope scope;
    scope.claim = claim_fault;
    scope.owner = s;
    os_trap_push(&scope);
    s->depth++;
    bool ok = false;
    if (sigsetjmp(scope.jmp, 0) == 0) {
        Exec *ex = &s->exec;
        if (f->host) {
            ex->stack_top = fp + nslots;
            ex->cur_fn = NULL; /* called by the embedder: no calling instance */
            ok = interp_call_host(s, f, fp);
        } else if (f->inst && !f->code && !interp_code_for(f)) {
            ex->trap = LODGE_TRAP_MEMORY_LIMIT; /* the host could not allocate the lowered code */
        } else if (f->inst) {
            ok = f->code->checked ? interp_run_checked(s, f, fp, NULL) : interp_run_guarded(s, f, fp, NULL);
        }
        s->depth--;
        os_trap_pop(&scope);
        return ok;
    }
    lodge_store_t *st = scope.owner;
    /* (a fault in code lowering would be a host bug, not a guest access; only guest memory is claimed) */
    st->exec.trap = LODGE_TRAP_MEMORY_OOB;
    st->depth--;
    os_trap_pop(&scope);
    return false;
}

bool exec_call(lodge_store_t *s, lodge_func_t *f, Slot *args, Slot *results, lodge_error_t *err_in)
{
    lodge_error_t local;
    lodge_error_t *const err = err_in ? err_in : &local;
    if (!exec_ensure(s))
        return lodge_error_set(err, LODGE_ERR_NOMEM, "cannot allocate the guest's stacks");
    Exec *ex = &s->exec;
    const FuncType *t = f->type;
    uint32_t nslots = t->nparams > t->nresults ? t->nparams : t->nresults;
    Slot *fp = ex->stack_top;
    if (fp + nslots > ex->stack_end || s->depth >= 64) {
        lodge_error_set(err, LODGE_ERR_TRAP, "%s", lodge_trap_name(LODGE_TRAP_STACK_EXHAUSTED));
        err->trap = LODGE_TRAP_STACK_EXHAUSTED;
        return false;
    }
    for (uint32_t i = 0; i < t->nparams; i++)
        fp[i] = args[i];

    const uint32_t base = ex->nframes;
    Slot *const saved_top = ex->stack_top;
    lodge_func_t *const saved_cur = ex->cur_fn;
    lodge_error_t *const saved_err = ex->host_err;
    ex->host_err = err;
    err->message[0] = 0;
    err->backtrace[0] = 0;
    ex->trap = LODGE_TRAP_NONE;
    ex->exiting = false;

    bool ok = protected_run(s, f, fp, nslots);
    if (ok) {
        for (uint32_t i = 0; i < t->nresults; i++)
            results[i] = fp[i];
    } else if (ex->exiting) {
        err->status = LODGE_ERR_EXIT;
        err->exit_code = ex->exit_code;
        err->trap = LODGE_TRAP_NONE;
        snprintf(err->message, sizeof err->message, "exit with code %d", ex->exit_code);
    } else {
        char host_msg[LODGE_ERROR_MSG_MAX];
        snprintf(host_msg, sizeof host_msg, "%s", err->message);
        err->status = LODGE_ERR_TRAP;
        err->trap = ex->trap;
        if (ex->trap == LODGE_TRAP_HOST && host_msg[0])
            snprintf(err->message, sizeof err->message, "%s", host_msg);
        else if (ex->trap == LODGE_TRAP_INTERRUPTED && ex->trap_msg)
            snprintf(err->message, sizeof err->message, "%s: %s", lodge_trap_name(ex->trap), ex->trap_msg);
        else
            snprintf(err->message, sizeof err->message, "%s", lodge_trap_name(ex->trap));
        if (!err->backtrace[0])
            backtrace_into(s, base, err);
    }
    ex->trap_msg = NULL;
    ex->nframes = base;
    ex->stack_top = saved_top;
    ex->cur_fn = saved_cur;
    ex->host_err = saved_err;
    return ok;
}

bool lodge_func_call(lodge_store_t *s, lodge_func_t *f, const lodge_val_t *args, size_t nargs, lodge_val_t *results,
                     size_t nresults, lodge_error_t *err)
{
    lodge_error_t local;
    if (!err)
        err = &local;
    err->status = LODGE_OK;
    err->trap = LODGE_TRAP_NONE;
    const FuncType *t = f->type;
    if (nargs != t->nparams || nresults < t->nresults)
        return lodge_error_set(err, LODGE_ERR_ARG, "function takes %u arguments and returns %u results",
                               t->nparams, t->nresults);
    Slot a[t->nparams ? t->nparams : 1], r[t->nresults ? t->nresults : 1];
    for (uint32_t i = 0; i < t->nparams; i++) {
        if (args[i].type != t->types[i])
            return lodge_error_set(err, LODGE_ERR_ARG, "argument %u has the wrong type", i);
        a[i] = value_to_slot(args[i]);
    }
    if (!exec_call(s, f, a, r, err))
        return false;
    for (uint32_t i = 0; i < t->nresults; i++)
        results[i] = value_from_slot(functype_results(t)[i], r[i]);
    return true;
}

void *lodge_thread_suspend(void)
{
    return os_trap_take();
}

void lodge_thread_resume(void *state)
{
    os_trap_give(state);
}
