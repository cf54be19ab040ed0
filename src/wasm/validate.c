/* validate.c: the spec's validation algorithm (the appendix's operand and control stacks) for function
 * bodies, and the module-level rules (limits, constant expressions, exports, segments, start). It trusts
 * nothing from the decoder beyond the shapes of its structures: every index is checked here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/module.h"
#include "wasm/opcode.h"
#include "wasm/reader.h"
#include "wasm/validate.h"

#define UNKNOWN 0 /* the bottom type of an unreachable stack */
#define MAX_BLOCK_DEPTH 100000u

typedef struct Ctrl {
    uint16_t op;
    uint32_t height;
    bool unreachable;
    const ValType *in, *out;   /* stable pointers: into the module's types or single_type[] */
    uint32_t nin, nout;
} Ctrl;

/* single_type[t] == t: a stable one-element list for block types [] -> [t]. */
static const ValType single_type[256] = {
    [LODGE_I32] = LODGE_I32, [LODGE_I64] = LODGE_I64, [LODGE_F32] = LODGE_F32, [LODGE_F64] = LODGE_F64,
    [LODGE_FUNCREF] = LODGE_FUNCREF, [LODGE_EXTERNREF] = LODGE_EXTERNREF,
};

typedef struct Validator {
    const Module *m;
    const FuncBody *body;
    const FuncType *ftype;
    Reader r;
    ValType *vals;
    uint32_t nvals, capvals;
    Ctrl *ctrls;
    uint32_t nctrls, capctrls;
    lodge_error_t *err;
    size_t at;          /* offset of the instruction being checked */
    bool failed;
    Alloc *alloc;       /* the module's: the stacks are scratch, freed when the body is checked */
} Validator;

static bool is_num(ValType t) { return t == LODGE_I32 || t == LODGE_I64 || t == LODGE_F32 || t == LODGE_F64; }
static bool is_ref(ValType t) { return t == LODGE_FUNCREF || t == LODGE_EXTERNREF; }

static bool fail(Validator *v, const char *msg)
{
    if (!v->failed) {
        v->failed = true;
        lodge_error_set(v->err, LODGE_ERR_INVALID, "%s (at byte offset %zu)", msg, v->at);
        v->err->offset = v->at;
    }
    return false;
}

static bool fail_nomem(Validator *v)
{
    if (!v->failed) {
        v->failed = true;
        lodge_error_set(v->err, LODGE_ERR_NOMEM, "out of memory while validating (at byte offset %zu)", v->at);
    }
    return false;
}

/* "unknown <space> <index>": the spec's texts name the missing index. */
static bool fail_unknown(Validator *v, const char *space, uint32_t idx)
{
    if (!v->failed) {
        v->failed = true;
        lodge_error_set(v->err, LODGE_ERR_INVALID, "unknown %s %u (at byte offset %zu)", space, idx, v->at);
        v->err->offset = v->at;
    }
    return false;
}

static bool push(Validator *v, ValType t)
{
    if (v->nvals == v->capvals) {
        uint32_t nc = v->capvals ? v->capvals * 2 : 64;
        ValType *p = alloc_realloc(v->alloc, v->vals, v->capvals, nc);
        if (!p)
            return fail_nomem(v);
        v->vals = p;
        v->capvals = nc;
    }
    v->vals[v->nvals++] = t;
    return true;
}

static ValType pop(Validator *v)
{
    Ctrl *c = &v->ctrls[v->nctrls - 1];
    if (v->nvals == c->height) {
        if (c->unreachable)
            return UNKNOWN;
        fail(v, "type mismatch");
        return UNKNOWN;
    }
    return v->vals[--v->nvals];
}

static ValType pop_expect(Validator *v, ValType expect)
{
    ValType t = pop(v);
    if (t != expect && t != UNKNOWN && expect != UNKNOWN)
        fail(v, "type mismatch");
    return t == UNKNOWN ? expect : t;
}

static void pop_vals(Validator *v, const ValType *ts, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;)
        pop_expect(v, ts[i]);
}

static void push_vals(Validator *v, const ValType *ts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        push(v, ts[i]);
}

static bool push_ctrl(Validator *v, uint16_t op, const ValType *in, uint32_t nin, const ValType *out, uint32_t nout)
{
    if (v->nctrls >= MAX_BLOCK_DEPTH)
        return fail(v, "blocks nested too deeply");
    if (v->nctrls == v->capctrls) {
        uint32_t nc = v->capctrls ? v->capctrls * 2 : 16;
        Ctrl *p = alloc_realloc(v->alloc, v->ctrls, v->capctrls * sizeof *p, nc * sizeof *p);
        if (!p)
            return fail_nomem(v);
        v->ctrls = p;
        v->capctrls = nc;
    }
    Ctrl *c = &v->ctrls[v->nctrls++];
    c->op = op;
    c->height = v->nvals;
    c->unreachable = false;
    c->in = in;
    c->nin = nin;
    c->out = out;
    c->nout = nout;
    push_vals(v, in, nin);
    return true;
}

static Ctrl pop_ctrl(Validator *v)
{
    Ctrl c = v->ctrls[v->nctrls - 1];
    pop_vals(v, c.out, c.nout);
    if (v->nvals != c.height)
        fail(v, "type mismatch");
    v->nctrls--;
    return c;
}

static void set_unreachable(Validator *v)
{
    Ctrl *c = &v->ctrls[v->nctrls - 1];
    v->nvals = c->height;
    c->unreachable = true;
}

/* The types a branch to label l carries: a loop's parameters, any other block's results. */
static void label_types(Ctrl *c, const ValType **ts, uint32_t *n)
{
    if (c->op == OP_LOOP) {
        *ts = c->in;
        *n = c->nin;
    } else {
        *ts = c->out;
        *n = c->nout;
    }
}

/* Block types: [] -> [], [] -> [t], or a function type from the type section. */
static bool block_type(Validator *v, int64_t bt, const ValType **in, uint32_t *nin, const ValType **out,
                       uint32_t *nout)
{
    *in = NULL;
    *nin = 0;
    if (bt == -0x40) {
        *out = NULL;
        *nout = 0;
        return true;
    }
    if (bt < 0) {
        ValType t = (ValType)(-bt);
        if (!is_num(t) && !is_ref(t))
            return fail(v, "malformed value type");
        *out = &single_type[t];
        *nout = 1;
        return true;
    }
    if ((uint64_t)bt >= v->m->ntypes)
        return fail_unknown(v, "type", (uint32_t)bt);
    const FuncType *t = &v->m->types[bt];
    *in = t->types;
    *nin = t->nparams;
    *out = functype_results(t);
    *nout = t->nresults;
    return true;
}

unsigned validate_mem_size(uint16_t op)
{
    switch (op) {
    case OP_I32_LOAD8_S: case OP_I32_LOAD8_U: case OP_I64_LOAD8_S: case OP_I64_LOAD8_U:
    case OP_I32_STORE8: case OP_I64_STORE8:
        return 1;
    case OP_I32_LOAD16_S: case OP_I32_LOAD16_U: case OP_I64_LOAD16_S: case OP_I64_LOAD16_U:
    case OP_I32_STORE16: case OP_I64_STORE16:
        return 2;
    case OP_I32_LOAD: case OP_F32_LOAD: case OP_I64_LOAD32_S: case OP_I64_LOAD32_U:
    case OP_I32_STORE: case OP_F32_STORE: case OP_I64_STORE32:
        return 4;
    default:
        return 8;
    }
}

static bool need_memory(Validator *v)
{
    if (v->m->nmems == 0)
        return fail_unknown(v, "memory", 0);
    return true;
}

static bool need_table(Validator *v, uint32_t t)
{
    if (t >= v->m->ntables)
        return fail_unknown(v, "table", t);
    return true;
}

static bool need_datacount(Validator *v, uint32_t idx)
{
    /* Without a data count section the binary format is malformed when segments exist; with none at
     * all, the index is simply unknown (a text module naming no segment encodes no count). */
    if (!v->m->has_datacount && idx >= v->m->ndatas)
        return fail_unknown(v, "data segment", idx);
    if (!v->m->has_datacount) {
        if (!v->failed) {
            v->failed = true;
            lodge_error_set(v->err, LODGE_ERR_MALFORMED, "data count section required (at byte offset %zu)", v->at);
            v->err->offset = v->at;
        }
        return false;
    }
    if (idx >= v->m->datacount)
        return fail_unknown(v, "data segment", idx);
    return true;
}

static bool instr(Validator *v, const Instr *in)
{
    const Module *m = v->m;
    const OpInfo *info = &opcode_info[in->op];
    if (info->a != 'S') {
        /* plain operators: memory ops first check memory and alignment */
        if (info->imm == IMM_MEM) {
            if (!need_memory(v))
                return false;
            if (in->a >= 32 || (1u << in->a) > validate_mem_size(in->op))
                return fail(v, "alignment must not be larger than natural");
        } else if (info->imm == IMM_MEMIDX && !need_memory(v)) {
            return false;
        }
        if (info->b)
            pop_expect(v, info->b);
        if (info->a)
            pop_expect(v, info->a);
        if (info->r)
            push(v, info->r);
        return !v->failed;
    }
    const ValType *tin = NULL, *tout = NULL;
    uint32_t nin = 0, nout = 0;
    switch ((Opcode)in->op) {
    case OP_UNREACHABLE:
        set_unreachable(v);
        break;
    case OP_NOP:
        break;
    case OP_BLOCK: case OP_LOOP: case OP_IF:
        if (!block_type(v, in->blocktype, &tin, &nin, &tout, &nout))
            return false;
        if (in->op == OP_IF)
            pop_expect(v, LODGE_I32);
        pop_vals(v, tin, nin);
        if (!push_ctrl(v, in->op, tin, nin, tout, nout))
            return false;
        break;
    case OP_ELSE: {
        Ctrl *c = &v->ctrls[v->nctrls - 1];
        if (c->op != OP_IF)
            return fail(v, "else without if");
        Ctrl saved = *c;
        pop_ctrl(v);
        if (!push_ctrl(v, OP_ELSE, saved.in, saved.nin, saved.out, saved.nout))
            return false;
        break;
    }
    case OP_END: {
        Ctrl *c = &v->ctrls[v->nctrls - 1];
        if (c->op == OP_IF && (c->nin != c->nout || (c->nin && memcmp(c->in, c->out, c->nin) != 0)))
            return fail(v, "type mismatch");
        const ValType *outs = c->out;
        uint32_t n = c->nout;
        pop_ctrl(v);
        push_vals(v, outs, n);
        break;
    }
    case OP_BR: case OP_BR_IF: {
        if (in->a >= v->nctrls)
            return fail_unknown(v, "label", in->a);
        Ctrl *c = &v->ctrls[v->nctrls - 1 - in->a];
        const ValType *ts;
        uint32_t n;
        label_types(c, &ts, &n);
        if (in->op == OP_BR_IF) {
            pop_expect(v, LODGE_I32);
            pop_vals(v, ts, n);
            push_vals(v, ts, n);
        } else {
            pop_vals(v, ts, n);
            set_unreachable(v);
        }
        break;
    }
    case OP_BR_TABLE: {
        pop_expect(v, LODGE_I32);
        if (in->a >= v->nctrls)
            return fail_unknown(v, "label", in->a);
        const ValType *dts;
        uint32_t dn;
        label_types(&v->ctrls[v->nctrls - 1 - in->a], &dts, &dn);
        Reader lr = {v->r.p, in->br_labels, v->r.end, false, 0, NULL};
        for (uint32_t i = 0; i < in->br_count; i++) {
            uint32_t l = reader_u32(&lr);
            if (l >= v->nctrls)
                return fail_unknown(v, "label", l);
            const ValType *ts;
            uint32_t n;
            label_types(&v->ctrls[v->nctrls - 1 - l], &ts, &n);
            if (n != dn)
                return fail(v, "type mismatch");
            /* each label's types must match the operands (which may be UNKNOWN in dead code) */
            Ctrl *top = &v->ctrls[v->nctrls - 1];
            for (uint32_t k = 0; k < n; k++) {
                uint32_t depth = n - 1 - k;
                ValType have = v->nvals - top->height > depth ? v->vals[v->nvals - 1 - depth] : UNKNOWN;
                if (have == UNKNOWN && v->nvals - top->height <= depth && !top->unreachable)
                    return fail(v, "type mismatch");
                if (have != UNKNOWN && have != ts[k])
                    return fail(v, "type mismatch");
            }
        }
        pop_vals(v, dts, dn);
        set_unreachable(v);
        break;
    }
    case OP_RETURN:
        pop_vals(v, functype_results(v->ftype), v->ftype->nresults);
        set_unreachable(v);
        break;
    case OP_CALL: {
        if (in->a >= m->nfuncs)
            return fail_unknown(v, "function", in->a);
        const FuncType *t = module_func_type(m, in->a);
        pop_vals(v, t->types, t->nparams);
        push_vals(v, functype_results(t), t->nresults);
        break;
    }
    case OP_CALL_INDIRECT: {
        if (!need_table(v, in->b))
            return false;
        if (m->tables[in->b].elem != LODGE_FUNCREF)
            return fail(v, "type mismatch");
        if (in->a >= m->ntypes)
            return fail_unknown(v, "type", in->a);
        const FuncType *t = &m->types[in->a];
        pop_expect(v, LODGE_I32);
        pop_vals(v, t->types, t->nparams);
        push_vals(v, functype_results(t), t->nresults);
        break;
    }
    case OP_DROP:
        pop(v);
        break;
    case OP_SELECT: {
        pop_expect(v, LODGE_I32);
        ValType t1 = pop(v), t2 = pop(v);
        if ((t1 != UNKNOWN && !is_num(t1)) || (t2 != UNKNOWN && !is_num(t2)))
            return fail(v, "type mismatch");
        if (t1 != t2 && t1 != UNKNOWN && t2 != UNKNOWN)
            return fail(v, "type mismatch");
        push(v, t1 == UNKNOWN ? t2 : t1);
        break;
    }
    case OP_SELECT_T: {
        if (in->a != 1)
            return fail(v, "invalid result arity other than 1 is not (yet) allowed");
        ValType t = in->select_type;
        if (!is_num(t) && !is_ref(t))
            return fail(v, "malformed value type");
        pop_expect(v, LODGE_I32);
        pop_expect(v, t);
        pop_expect(v, t);
        push(v, t);
        break;
    }
    case OP_LOCAL_GET: case OP_LOCAL_SET: case OP_LOCAL_TEE: {
        if (in->a >= v->body->nlocals)
            return fail_unknown(v, "local", in->a);
        ValType t = v->body->local_types[in->a];
        if (in->op == OP_LOCAL_GET) {
            push(v, t);
        } else {
            pop_expect(v, t);
            if (in->op == OP_LOCAL_TEE)
                push(v, t);
        }
        break;
    }
    case OP_GLOBAL_GET: case OP_GLOBAL_SET: {
        if (in->a >= m->nglobals)
            return fail_unknown(v, "global", in->a);
        const GlobalType *g = &m->globals[in->a];
        if (in->op == OP_GLOBAL_GET) {
            push(v, g->type);
        } else {
            if (!g->mut)
                return fail(v, "global is immutable");
            pop_expect(v, g->type);
        }
        break;
    }
    case OP_TABLE_GET: case OP_TABLE_SET: {
        if (!need_table(v, in->a))
            return false;
        ValType t = m->tables[in->a].elem;
        if (in->op == OP_TABLE_GET) {
            pop_expect(v, LODGE_I32);
            push(v, t);
        } else {
            pop_expect(v, t);
            pop_expect(v, LODGE_I32);
        }
        break;
    }
    case OP_REF_NULL:
        push(v, (ValType)in->a);
        break;
    case OP_REF_IS_NULL: {
        ValType t = pop(v);
        if (t != UNKNOWN && !is_ref(t))
            return fail(v, "type mismatch");
        push(v, LODGE_I32);
        break;
    }
    case OP_REF_FUNC:
        if (in->a >= m->nfuncs)
            return fail_unknown(v, "function", in->a);
        if (!m->func_declared[in->a]) {
            if (!v->failed) {
                v->failed = true;
                lodge_error_set(v->err, LODGE_ERR_INVALID, "undeclared function reference %u (at byte offset %zu)",
                                in->a, v->at);
                v->err->offset = v->at;
            }
            return false;
        }
        push(v, LODGE_FUNCREF);
        break;
    case OP_MEMORY_INIT:
        if (!need_memory(v) || !need_datacount(v, in->a))
            return false;
        pop_expect(v, LODGE_I32);
        pop_expect(v, LODGE_I32);
        pop_expect(v, LODGE_I32);
        break;
    case OP_DATA_DROP:
        if (!need_datacount(v, in->a))
            return false;
        break;
    case OP_MEMORY_COPY: case OP_MEMORY_FILL:
        if (!need_memory(v))
            return false;
        pop_expect(v, LODGE_I32);
        pop_expect(v, LODGE_I32);
        pop_expect(v, LODGE_I32);
        break;
    case OP_TABLE_INIT:
        if (!need_table(v, in->b))
            return false;
        if (in->a >= m->nelems)
            return fail_unknown(v, "elem segment", in->a);
        if (m->elems[in->a].type != m->tables[in->b].elem)
            return fail(v, "type mismatch");
        pop_expect(v, LODGE_I32);
        pop_expect(v, LODGE_I32);
        pop_expect(v, LODGE_I32);
        break;
    case OP_ELEM_DROP:
        if (in->a >= m->nelems)
            return fail_unknown(v, "elem segment", in->a);
        break;
    case OP_TABLE_COPY:
        if (!need_table(v, in->a) || !need_table(v, in->b))
            return false;
        if (m->tables[in->a].elem != m->tables[in->b].elem)
            return fail(v, "type mismatch");
        pop_expect(v, LODGE_I32);
        pop_expect(v, LODGE_I32);
        pop_expect(v, LODGE_I32);
        break;
    case OP_TABLE_GROW:
        if (!need_table(v, in->a))
            return false;
        pop_expect(v, LODGE_I32);
        pop_expect(v, m->tables[in->a].elem);
        push(v, LODGE_I32);
        break;
    case OP_TABLE_SIZE:
        if (!need_table(v, in->a))
            return false;
        push(v, LODGE_I32);
        break;
    case OP_TABLE_FILL:
        if (!need_table(v, in->a))
            return false;
        pop_expect(v, LODGE_I32);
        pop_expect(v, m->tables[in->a].elem);
        pop_expect(v, LODGE_I32);
        break;
    default:
        return fail(v, "illegal opcode");
    }
    return !v->failed;
}

static bool validate_body(Module *m, uint32_t funcidx, lodge_error_t *err)
{
    const FuncBody *b = &m->bodies[funcidx - m->nimported_funcs];
    Validator v;
    memset(&v, 0, sizeof v);
    v.m = m;
    v.body = b;
    v.ftype = module_func_type(m, funcidx);
    v.err = err;
    v.alloc = &m->alloc;
    v.r = (Reader){m->bytes, b->code_start, b->end, false, 0, NULL};
    v.at = b->code_start;
    push_ctrl(&v, OP_BLOCK, NULL, 0, functype_results(v.ftype), v.ftype->nresults);
    while (v.nctrls > 0 && !v.failed) {
        Instr in;
        v.at = v.r.pos;
        if (reader_eof(&v.r)) {
            lodge_error_set(err, LODGE_ERR_MALFORMED, "unexpected end of section or function (at byte offset %zu)",
                            v.at);
            err->offset = v.at;
            v.failed = true;
            break;
        }
        if (!reader_instr(&v.r, &in)) {
            lodge_error_set(err, LODGE_ERR_MALFORMED, "%s (at byte offset %zu)", v.r.fail_msg, v.r.fail_offset);
            err->offset = v.r.fail_offset;
            v.failed = true;
            break;
        }
        instr(&v, &in);
    }
    if (!v.failed && !reader_eof(&v.r)) {
        lodge_error_set(err, LODGE_ERR_MALFORMED, "section size mismatch (at byte offset %zu)", v.r.pos);
        err->offset = v.r.pos;
        v.failed = true;
    }
    alloc_free(v.alloc, v.vals, v.capvals);
    alloc_free(v.alloc, v.ctrls, (size_t)v.capctrls * sizeof *v.ctrls);
    return !v.failed;
}

/* ---- module-level rules ----------------------------------------------------------------------- */

static bool invalid(lodge_error_t *err, const char *msg)
{
    lodge_error_set(err, LODGE_ERR_INVALID, "%s", msg);
    err->offset = 0;
    return false;
}

static bool invalid_unknown(lodge_error_t *err, const char *space, uint32_t idx)
{
    lodge_error_set(err, LODGE_ERR_INVALID, "unknown %s %u", space, idx);
    err->offset = 0;
    return false;
}

static bool check_limits(const Limits *l, uint64_t bound, const char *too_big, lodge_error_t *err)
{
    if (l->min > bound || (l->has_max && l->max > bound))
        return invalid(err, too_big);
    if (l->has_max && l->min > l->max)
        return invalid(err, "size minimum must not be greater than maximum");
    return true;
}

/* A constant expression of type `want`. Only imported globals may be read (Wasm 2.0). */
static bool check_const(const Module *m, const ConstExpr *e, ValType want, lodge_error_t *err)
{
    ValType t;
    switch (e->op) {
    case OP_I32_CONST: t = LODGE_I32; break;
    case OP_I64_CONST: t = LODGE_I64; break;
    case OP_F32_CONST: t = LODGE_F32; break;
    case OP_F64_CONST: t = LODGE_F64; break;
    case OP_REF_NULL: t = (ValType)e->value; break;
    case OP_REF_FUNC:
        if (e->value >= m->nfuncs)
            return invalid_unknown(err, "function", (uint32_t)e->value);
        t = LODGE_FUNCREF;
        break;
    case OP_GLOBAL_GET:
        if (e->value >= m->nimported_globals)
            return invalid_unknown(err, "global", (uint32_t)e->value);
        if (m->globals[e->value].mut)
            return invalid(err, "constant expression required");
        t = m->globals[e->value].type;
        break;
    case 0xFFFF:
        return invalid(err, "constant expression required");
    default:
        return invalid(err, "type mismatch");
    }
    if (t != want)
        return invalid(err, "type mismatch");
    return true;
}

static void declare(Module *m, const ConstExpr *e)
{
    if (e->op == OP_REF_FUNC && e->value < m->nfuncs)
        m->func_declared[e->value] = true;
}

bool module_validate(Module *m, lodge_error_t *err)
{
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->func_types[i] >= m->ntypes)
            return invalid_unknown(err, "type", m->func_types[i]);
    for (uint32_t i = 0; i < m->ntables; i++)
        if (!check_limits(&m->tables[i].lim, UINT32_MAX, "table size must be at most 2^32-1", err))
            return false;
    if (m->nmems > 1)
        return invalid(err, "multiple memories are not allowed (yet)");
    for (uint32_t i = 0; i < m->nmems; i++)
        if (!check_limits(&m->mems[i], WASM_MAX_PAGES, "memory size must be at most 65536 pages (4GiB)", err))
            return false;
    /* C.refs: functions named by ref.func outside function bodies */
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
        declare(m, &m->global_inits[i - m->nimported_globals]);
    for (uint32_t i = 0; i < m->nelems; i++)
        for (uint32_t k = 0; k < m->elems[i].count; k++)
            declare(m, &m->elems[i].items[k]);
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == LODGE_EXTERN_FUNC && m->exports[i].index < m->nfuncs)
            m->func_declared[m->exports[i].index] = true;

    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
        if (!check_const(m, &m->global_inits[i - m->nimported_globals], m->globals[i].type, err))
            return false;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const Export *e = &m->exports[i];
        uint32_t limit = e->kind == LODGE_EXTERN_FUNC ? m->nfuncs
                         : e->kind == LODGE_EXTERN_TABLE ? m->ntables
                         : e->kind == LODGE_EXTERN_MEMORY ? m->nmems : m->nglobals;
        if (e->index >= limit) {
            static const char *const space[] = {"function", "table", "memory", "global"};
            return invalid_unknown(err, space[e->kind], e->index);
        }
    }
    /* duplicate export names: sort a copy of the indices by name */
    if (m->nexports > 1) {
        const Export **sorted = alloc_malloc(&m->alloc, m->nexports * sizeof *sorted);
        if (!sorted)
            return lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
        for (uint32_t i = 0; i < m->nexports; i++)
            sorted[i] = &m->exports[i];
        qsort(sorted, m->nexports, sizeof *sorted, validate_export_cmp);
        bool dup = false;
        for (uint32_t i = 1; i < m->nexports && !dup; i++)
            dup = validate_export_cmp(&sorted[i - 1], &sorted[i]) == 0;
        alloc_free(&m->alloc, sorted, m->nexports * sizeof *sorted);
        if (dup)
            return invalid(err, "duplicate export name");
    }
    if (m->has_start) {
        if (m->start >= m->nfuncs)
            return invalid_unknown(err, "function", m->start);
        const FuncType *t = module_func_type(m, m->start);
        if (t->nparams || t->nresults)
            return invalid(err, "start function must not have parameters or results");
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const ElemSeg *s = &m->elems[i];
        if (s->mode == SEG_ACTIVE) {
            if (s->table >= m->ntables)
                return invalid_unknown(err, "table", s->table);
            if (!check_const(m, &s->offset, LODGE_I32, err))
                return false;
            if (m->tables[s->table].elem != s->type)
                return invalid(err, "type mismatch");
        }
        for (uint32_t k = 0; k < s->count; k++)
            if (!check_const(m, &s->items[k], s->type, err))
                return false;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const DataSeg *s = &m->datas[i];
        if (s->mode == SEG_ACTIVE) {
            if (s->mem >= m->nmems)
                return invalid_unknown(err, "memory", s->mem);
            if (!check_const(m, &s->offset, LODGE_I32, err))
                return false;
        }
    }
    for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++)
        if (!validate_body(m, i, err))
            return false;
    return true;
}

int validate_export_cmp(const void *a, const void *b)
{
    const Export *x = *(const Export *const *)a, *y = *(const Export *const *)b;
    uint32_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c)
        return c;
    return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}
