/* slow.c: out-of-line paths of the interpreter: host calls, fuel, bulk memory and table operations,
 * constant expressions. Kept apart so the dispatch loop stays small and hot. */
#include <string.h>

#include "wasm/interp/code.h"
#include "wasm/opcode.h"

#define FUEL_CHUNK 10000

bool interp_fuel_take(lodge_store_t *s, int64_t *budget)
{
    /* An embedder's scheduler may take the thread here (a time slice ended) and give it back later: the
     * guest's frames are all in the store's own stacks, so nothing below this call needs to unwind. */
    if (atomic_exchange_explicit(&s->interrupt, false, memory_order_relaxed) &&
        !(s->on_interrupt && s->on_interrupt(s->on_interrupt_data, s))) {
        s->exec.trap = LODGE_TRAP_INTERRUPTED;
        return false;
    }
    if (!s->fuel_limited) {
        *budget = FUEL_CHUNK;
        return true;
    }
    if (s->fuel == 0) {
        s->exec.trap = LODGE_TRAP_INTERRUPTED;
        s->exec.trap_msg = "all fuel consumed";
        return false;
    }
    int64_t take = s->fuel < FUEL_CHUNK ? (int64_t)s->fuel : FUEL_CHUNK;
    s->fuel -= (uint64_t)take;
    *budget = take;
    return true;
}

void interp_fuel_refund(lodge_store_t *s, int64_t budget)
{
    if (s->fuel_limited && budget > 0)
        s->fuel += (uint64_t)budget;
}

__attribute__((noinline)) bool interp_call_host(lodge_store_t *s, lodge_func_t *f, Slot *fp)
{
    const FuncType *t = f->type;
    lodge_val_t args[t->nparams ? t->nparams : 1], results[t->nresults ? t->nresults : 1];
    for (uint32_t i = 0; i < t->nparams; i++) {
        args[i].type = t->types[i];
        args[i].of.i64 = 0;
        switch (t->types[i]) {
        case LODGE_I32: case LODGE_F32: args[i].of.i32 = (int32_t)fp[i].i32; break;
        case LODGE_I64: case LODGE_F64: args[i].of.i64 = (int64_t)fp[i].i64; break;
        default: args[i].of.ext = fp[i].ref; break;
        }
    }
    for (uint32_t i = 0; i < t->nresults; i++) {
        results[i].type = functype_results(t)[i];
        results[i].of.i64 = 0;
    }
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_caller_t *caller = (lodge_caller_t *)s->exec.cur_fn;
    if (!f->host(f->env, caller, args, results, &err)) {
        Exec *ex = &s->exec;
        if (err.status == LODGE_ERR_EXIT) {
            ex->exiting = true;
            ex->exit_code = err.exit_code;
            ex->trap = LODGE_TRAP_HOST;
        } else {
            ex->trap = err.status == LODGE_ERR_TRAP && err.trap != LODGE_TRAP_NONE ? err.trap : LODGE_TRAP_HOST;
        }
        if (ex->host_err) {
            memcpy(ex->host_err->message, err.message, sizeof err.message);
            if (err.backtrace[0])
                memcpy(ex->host_err->backtrace, err.backtrace, sizeof err.backtrace);
        }
        ex->trap_msg = "host";
        return false;
    }
    for (uint32_t i = 0; i < t->nresults; i++) {
        switch (functype_results(t)[i]) {
        case LODGE_I32: case LODGE_F32: fp[i].i64 = 0; fp[i].i32 = (uint32_t)results[i].of.i32; break;
        case LODGE_I64: case LODGE_F64: fp[i].i64 = (uint64_t)results[i].of.i64; break;
        default: fp[i].ref = results[i].of.ext; break;
        }
    }
    return true;
}

__attribute__((noinline)) InterpCode *interp_code_for(lodge_func_t *f)
{
    lodge_error_t err;
    f->code = interp_code_get(f->inst->module, f->index, &err);
    return f->code;
}

static bool in_range(uint64_t off, uint64_t n, uint64_t size)
{
    return off + n <= size;
}

bool interp_memory_init(Instance *in, uint32_t seg, uint32_t d, uint32_t src, uint32_t n)
{
    const DataSeg *ds = &in->module->datas[seg];
    uint32_t len = in->data_dropped[seg] ? 0 : ds->len;
    if (!in_range(src, n, len) || !in_range(d, n, in->mem->size))
        return false;
    if (n)
        memcpy(in->mem->base + d, in->module->bytes + ds->start + src, n);
    return true;
}

bool interp_memory_copy(Instance *in, uint32_t d, uint32_t src, uint32_t n)
{
    size_t size = in->mem->size;
    if (!in_range(src, n, size) || !in_range(d, n, size))
        return false;
    if (n)
        memmove(in->mem->base + d, in->mem->base + src, n);
    return true;
}

bool interp_memory_fill(Instance *in, uint32_t d, uint8_t val, uint32_t n)
{
    if (!in_range(d, n, in->mem->size))
        return false;
    if (n)
        memset(in->mem->base + d, val, n);
    return true;
}

Slot interp_const_expr(Instance *in, const ConstExpr *e)
{
    Slot v;
    v.i64 = 0;
    switch (e->op) {
    case OP_I32_CONST: case OP_F32_CONST: v.i32 = (uint32_t)e->value; break;
    case OP_I64_CONST: case OP_F64_CONST: v.i64 = e->value; break;
    case OP_GLOBAL_GET: v = in->globals[e->value]->val; break;
    case OP_REF_FUNC: v.ref = in->funcs[e->value]; break;
    case OP_REF_NULL: v.ref = NULL; break;
    default: break;
    }
    return v;
}

bool interp_table_init(Instance *in, uint32_t seg, uint32_t t, uint32_t d, uint32_t src, uint32_t n)
{
    const ElemSeg *es = &in->module->elems[seg];
    lodge_table_t *tab = in->tables[t];
    uint32_t len = in->elem_dropped[seg] ? 0 : es->count;
    if (!in_range(src, n, len) || !in_range(d, n, tab->size))
        return false;
    for (uint32_t i = 0; i < n; i++)
        tab->elems[d + i] = interp_const_expr(in, &es->items[src + i]);
    return true;
}

bool interp_table_copy(Instance *in, uint32_t dt, uint32_t st, uint32_t d, uint32_t src, uint32_t n)
{
    lodge_table_t *a = in->tables[dt], *b = in->tables[st];
    if (!in_range(src, n, b->size) || !in_range(d, n, a->size))
        return false;
    if (n)
        memmove(a->elems + d, b->elems + src, (size_t)n * sizeof(Slot));
    return true;
}

bool interp_table_fill(Instance *in, uint32_t t, uint32_t d, void *val, uint32_t n)
{
    lodge_table_t *tab = in->tables[t];
    if (!in_range(d, n, tab->size))
        return false;
    for (uint32_t i = 0; i < n; i++)
        tab->elems[d + i].ref = val;
    return true;
}
