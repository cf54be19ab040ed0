/* exec.c: the single entry from the host into guest code. It owns the execution context's stacks, the
 * protected-call point (sigsetjmp) that guard-page faults return to, and turning a trap into an error
 * value with a wasm backtrace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/mem.h"
#include "os/trap.h"
#include "wasm/engine.h"
#include "wasm/interp/code.h"
#include "wasm/runtime.h"
#include "wasm/value.h"

/* The stacks' first commit: enough for ordinary programs (a thousand slots, a hundred-odd frames), so an
 * instance that has run costs little until its guest goes deep. */
#define STACK_FIRST_BYTES ((size_t)8 << 10)
#define FRAMES_FIRST_BYTES ((size_t)4 << 10)

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Bytes of a stack's first commit, out of `max` reserved. */
static size_t first_commit(size_t want, size_t max)
{
    size_t n = round_up(want, os_page_size());
    return n < max ? n : max;
}

static bool exec_ensure(lodge_store_t *s)
{
    Exec *ex = &s->exec;
    if (ex->stack)
        return true;
    if (!os_trap_init())
        return false;
    size_t page = os_page_size();
    size_t nslots = s->engine->cfg.max_value_stack / sizeof(Slot);
    size_t nframes = s->engine->cfg.max_call_depth;
    size_t slot_bytes = round_up(nslots * sizeof(Slot), page);
    size_t frame_bytes = round_up(nframes * sizeof(Frame), page);
    /* A pooled stack comes with its first commit in place; a fresh one is reserved and committed. */
    uint8_t *base = engine_stack_take(s->engine, slot_bytes + frame_bytes);
    bool pooled = base != NULL;
    if (!base && !(base = os_mem_reserve(slot_bytes + frame_bytes)))
        return false;
    ex->reserved = slot_bytes + frame_bytes;
    ex->stack_committed = ex->frames_committed = 0;
    ex->stack = (Slot *)base;
    ex->frames = (Frame *)(base + slot_bytes);
    ex->stack_limit = ex->stack + nslots;
    ex->frames_limit = (uint32_t)nframes;
    ex->stack_end = ex->stack_top = ex->stack;
    ex->max_frames = 0;
    ex->nframes = 0;
    size_t first_s = first_commit(STACK_FIRST_BYTES, slot_bytes), first_f = first_commit(FRAMES_FIRST_BYTES, frame_bytes);
    if (pooled) {
        if (!alloc_charge(&s->alloc, first_s + first_f)) {
            if (!engine_stack_give(s->engine, base, ex->reserved))
                os_mem_release(base, ex->reserved);
            ex->stack = NULL;
            return false;
        }
        ex->stack_committed = first_s;
        ex->frames_committed = first_f;
        ex->stack_end = ex->stack + (first_s / sizeof(Slot) < nslots ? first_s / sizeof(Slot) : nslots);
        ex->max_frames = (uint32_t)(first_f / sizeof(Frame) < nframes ? first_f / sizeof(Frame) : nframes);
        return true;
    }
    size_t want_slots = first_s / sizeof(Slot), want_frames = first_f / sizeof(Frame);
    if (!exec_stack_grow(s, ex->stack + (want_slots < nslots ? want_slots : nslots),
                         (uint32_t)(want_frames < nframes ? want_frames : nframes))) {
        exec_free(s);
        return false;
    }
    return true;
}

/* Grow the committed prefix of a stack's reservation (max bytes) to cover `need` bytes: whole pages, at
 * least doubling, so a deep recursion commits in a few steps. Charged to the store. */
static bool commit_more(lodge_store_t *s, uint8_t *start, size_t *committed, size_t need, size_t max)
{
    size_t want = round_up(*committed * 2 > need ? *committed * 2 : need, os_page_size());
    if (want > max)
        want = max;
    size_t add = want - *committed;
    if (!alloc_charge(&s->alloc, add))
        return false;
    if (!os_mem_commit(start + *committed, add)) {
        alloc_uncharge(&s->alloc, add);
        return false;
    }
    *committed = want;
    return true;
}

bool exec_stack_grow(lodge_store_t *s, const Slot *slot_end, uint32_t nframes)
{
    Exec *ex = &s->exec;
    if (slot_end > ex->stack_limit || nframes > ex->frames_limit) {
        ex->trap = LODGE_TRAP_STACK_EXHAUSTED;
        return false;
    }
    size_t nslots = (size_t)(ex->stack_limit - ex->stack);
    if (slot_end > ex->stack_end) {
        if (!commit_more(s, (uint8_t *)ex->stack, &ex->stack_committed, (size_t)(slot_end - ex->stack) * sizeof(Slot),
                         (uint8_t *)ex->frames - (uint8_t *)ex->stack)) {
            ex->trap = LODGE_TRAP_OUT_OF_MEMORY;
            return false;
        }
        size_t n = ex->stack_committed / sizeof(Slot);
        ex->stack_end = ex->stack + (n < nslots ? n : nslots);
    }
    if (nframes > ex->max_frames) {
        if (!commit_more(s, (uint8_t *)ex->frames, &ex->frames_committed, (size_t)nframes * sizeof(Frame),
                         ex->reserved - (size_t)((uint8_t *)ex->frames - (uint8_t *)ex->stack))) {
            ex->trap = LODGE_TRAP_OUT_OF_MEMORY;
            return false;
        }
        size_t n = ex->frames_committed / sizeof(Frame);
        ex->max_frames = (uint32_t)(n < ex->frames_limit ? n : ex->frames_limit);
    }
    return true;
}

void exec_free(lodge_store_t *s)
{
    Exec *ex = &s->exec;
    if (!ex->stack)
        return;
    alloc_uncharge(&s->alloc, ex->stack_committed + ex->frames_committed);
    /* To the engine's pool with just the first commit left (a deep guest's extra pages dropped). */
    size_t slot_bytes = (size_t)((uint8_t *)ex->frames - (uint8_t *)ex->stack);
    size_t first_s = first_commit(STACK_FIRST_BYTES, slot_bytes);
    size_t first_f = first_commit(FRAMES_FIRST_BYTES, ex->reserved - slot_bytes);
    bool keep = ex->stack_committed >= first_s && ex->frames_committed >= first_f &&
                os_mem_decommit((uint8_t *)ex->stack + first_s, ex->stack_committed - first_s) &&
                os_mem_decommit((uint8_t *)ex->frames + first_f, ex->frames_committed - first_f) &&
                engine_stack_give(s->engine, ex->stack, ex->reserved);
    if (!keep)
        os_mem_release(ex->stack, ex->reserved);
    ex->stack = ex->stack_end = ex->stack_top = ex->stack_limit = NULL;
    ex->frames = NULL;
    ex->max_frames = ex->frames_limit = 0;
    ex->stack_committed = ex->frames_committed = 0;
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
            ex->trap = LODGE_TRAP_OUT_OF_MEMORY; /* the host could not allocate the lowered code */
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
    if (!exec_ensure(s)) {
        lodge_error_set(err, LODGE_ERR_TRAP, "%s", lodge_trap_name(LODGE_TRAP_OUT_OF_MEMORY));
        err->trap = LODGE_TRAP_OUT_OF_MEMORY;
        return false;
    }
    Exec *ex = &s->exec;
    const FuncType *t = f->type;
    uint32_t nslots = t->nparams > t->nresults ? t->nparams : t->nresults;
    Slot *fp = ex->stack_top;
    if (s->depth >= 64 || (fp + nslots > ex->stack_end && !exec_stack_grow(s, fp + nslots, ex->nframes))) {
        lodge_trap_kind_t k = s->depth >= 64 ? LODGE_TRAP_STACK_EXHAUSTED : ex->trap;
        lodge_error_set(err, LODGE_ERR_TRAP, "%s", lodge_trap_name(k));
        err->trap = k;
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
