/* lower.c: validated bytecode to threaded code. One pass keeps a compile-time model of the operand stack:
 * each entry's value lives either in its home slot (nlocals + height) or, after local.get, still in the
 * local's slot (no copy emitted until needed). Branch targets are resolved to relative offsets; values
 * flowing to a label are copied to the label's home slots at the branch. The input is trusted: it passed
 * validate.c, so only the shapes needed for lowering are tracked here. */
#include <stdlib.h>
#include <string.h>

#include "wasm/engine.h"
#include "wasm/interp/code.h"
#include "wasm/reader.h"

#define NO_PATCH UINT32_MAX
#define POOL_MAX 64

typedef struct LCtrl {
    uint16_t op;            /* OP_BLOCK, OP_LOOP, OP_IF, OP_ELSE, or OP_END for the function body */
    uint32_t base;          /* operand height at entry, below the parameters */
    uint32_t nparams, nresults;
    uint32_t loop_start;    /* code index of a loop's first instruction */
    uint32_t end_patch;     /* chain of forward branch operands to the end */
    uint32_t else_patch;    /* an if's jump to its else (or end) */
} LCtrl;

typedef struct Lower {
    const Module *m;
    const FuncBody *body;
    const FuncType *ftype;
    const void *const *h;
    uint32_t *code;
    uint32_t len, cap;
    uint32_t *stack;        /* slot of each operand entry, or KSLOT for a constant not yet in a slot */
    uint64_t *kval;         /* the constant of each KSLOT entry */
    uint32_t height, stack_cap;
    LCtrl *ctrls;
    uint32_t nctrls, ctrl_cap;
    uint32_t nlocals;
    /* Constants used as operands live in a pool of frame slots between the locals and the operand
     * homes, filled at function entry, so using one costs no instruction. */
    uint64_t pool[POOL_MAX];
    uint32_t npool, pool_used;
    uint32_t max_slot;
    uint32_t last_dst;      /* code index of the destination operand of the last emitted instruction */
    /* The last emitted instruction, when it is an integer comparison (or eqz) that a following br_if
     * or if may absorb: its handler index, opcode, operands and destination. */
    uint32_t cmp_at;
    uint16_t cmp_op;
    uint32_t cmp_a, cmp_b, cmp_dst_slot, cmp_end;
    bool cmp_imm;
    /* The same for an i32.add, which a following load or store may absorb as its address. */
    uint32_t add_at, add_a, add_b, add_dst_slot, add_end;
    bool add_imm;
    /* The same for an f64.mul, which a following f64.add/sub may absorb (two roundings, not an FMA). */
    uint32_t mul_at, mul_a, mul_b, mul_dst_slot, mul_end;
    /* Out of memory: the first failed growth sets it, nothing is written past a buffer's end from then
     * on, and the lowering stops at the next instruction and returns NULL. */
    bool oom;
    Alloc *alloc;           /* the module's */
    uint32_t max_arity;     /* most values any instruction of this module pushes (a call's results) */
} Lower;

#define KSLOT 0xFFFFFFFEu

static uint32_t home(const Lower *l, uint32_t h) { return l->nlocals + l->npool + h; }

static bool grow(Lower *l, uint32_t n)
{
    if (l->len + n <= l->cap)
        return true;
    uint32_t nc = l->cap ? l->cap * 2 : 256;
    while (nc < l->len + n)
        nc *= 2;
    uint32_t *p = alloc_hrealloc(l->alloc, l->code, (size_t)nc * sizeof *p);
    if (!p) {
        l->oom = true;
        return false;
    }
    l->code = p;
    l->cap = nc;
    return true;
}

/* Nothing emitted so far may be rewritten by what follows (a label, or a new instruction). */
static void forget_recent(Lower *l)
{
    l->last_dst = NO_PATCH;
    l->cmp_at = NO_PATCH;
    l->add_at = NO_PATCH;
    l->mul_at = NO_PATCH;
}

/* Emit a handler; returns the code index of its first operand. */
static uint32_t emit_op(Lower *l, unsigned iop)
{
    if (!grow(l, 16))
        return 0;
    memcpy(&l->code[l->len], &l->h[iop], sizeof(void *));
    l->len += 2;
    forget_recent(l);
    return l->len;
}

static void emit(Lower *l, uint32_t v)
{
    if (!grow(l, 1))
        return;
    l->code[l->len++] = v;
}

static void note_slot(Lower *l, uint32_t slot)
{
    if (slot + 1 > l->max_slot)
        l->max_slot = slot + 1;
}

/* Room for `need` operand entries and `nctrl` control frames. Called before each instruction with what
 * that instruction may push at most, so the model never grows (and never fails) halfway through one. */
static bool reserve_model(Lower *l, uint32_t need, uint32_t nctrl)
{
    if (need > l->stack_cap) {
        uint32_t nc = l->stack_cap ? l->stack_cap : 64;
        while (nc < need)
            nc *= 2;
        uint32_t *p = alloc_hrealloc(l->alloc, l->stack, (size_t)nc * sizeof *p);
        if (p)
            l->stack = p;
        uint64_t *k = p ? alloc_hrealloc(l->alloc, l->kval, (size_t)nc * sizeof *k) : NULL;
        if (k)
            l->kval = k;
        if (!p || !k) {
            l->oom = true;
            return false;
        }
        l->stack_cap = nc;
    }
    if (nctrl > l->ctrl_cap) {
        uint32_t nc = l->ctrl_cap ? l->ctrl_cap * 2 : 16;
        while (nc < nctrl)
            nc *= 2;
        LCtrl *p = alloc_hrealloc(l->alloc, l->ctrls, (size_t)nc * sizeof *p);
        if (!p) {
            l->oom = true;
            return false;
        }
        l->ctrls = p;
        l->ctrl_cap = nc;
    }
    return true;
}

static void push_slot(Lower *l, uint32_t slot)
{
    if (l->height == l->stack_cap) { /* not reserved: a bug in max_arity, never a guest's doing */
        l->oom = true;
        return;
    }
    l->stack[l->height++] = slot;
    note_slot(l, home(l, l->height - 1));
}

/* Push a result that the next emitted operand writes to its home slot. */
static uint32_t push_home(Lower *l)
{
    uint32_t slot = home(l, l->height);
    push_slot(l, slot);
    return slot;
}

static void push_const(Lower *l, uint64_t bits)
{
    push_slot(l, KSLOT);
    if (!l->oom)
        l->kval[l->height - 1] = bits;
}

static void emit_const(Lower *l, uint32_t dst, uint64_t bits)
{
    if (bits >> 32 == 0) {
        emit_op(l, OP_I32_CONST); /* writes all 64 bits, zero-extended */
        emit(l, dst);
        emit(l, (uint32_t)bits);
    } else {
        emit_op(l, OP_I64_CONST);
        emit(l, dst);
        emit(l, (uint32_t)bits);
        emit(l, (uint32_t)(bits >> 32));
    }
}

static void copy(Lower *l, uint32_t dst, uint32_t src)
{
    if (dst == src)
        return;
    emit_op(l, IOP_COPY);
    emit(l, dst);
    emit(l, src);
}

/* Copy entry i's value into dst (a constant is written there directly). */
static void copy_entry(Lower *l, uint32_t dst, uint32_t i)
{
    if (l->stack[i] == KSLOT)
        emit_const(l, dst, l->kval[i]);
    else
        copy(l, dst, l->stack[i]);
}

/* Put entry i in its home slot. */
static void materialize(Lower *l, uint32_t i)
{
    uint32_t hs = home(l, i);
    if (l->stack[i] != hs) {
        copy_entry(l, hs, i);
        l->stack[i] = hs;
    }
}

/* The pool slot holding constant v, if the pool has it. */
static bool pool_slot(Lower *l, uint64_t v, uint32_t *slot)
{
    for (uint32_t k = 0; k < l->npool; k++)
        if (l->pool[k] == v) {
            if (k + 1 > l->pool_used)
                l->pool_used = k + 1;
            *slot = l->nlocals + k;
            return true;
        }
    return false;
}

/* Pop the top entry as a slot: a constant comes from the pool (or, if it is not there, is first written
 * to its home). */
static uint32_t pop_slot(Lower *l)
{
    if (!l->height)
        return home(l, 0);
    uint32_t top = l->height - 1, slot;
    if (l->stack[top] == KSLOT) {
        if (pool_slot(l, l->kval[top], &slot)) {
            l->height--;
            return slot;
        }
        materialize(l, top);
    }
    return l->stack[--l->height];
}

/* The pool: the function's distinct constants, in order of first appearance, up to POOL_MAX. */
static void scan_pool(Lower *l)
{
    Reader r = {l->m->bytes, l->body->code_start, l->body->end, false, 0, NULL};
    Instr in;
    while (l->npool < POOL_MAX && reader_instr(&r, &in)) {
        uint64_t v;
        switch (in.op) {
        case OP_I32_CONST: case OP_F32_CONST: v = (uint32_t)in.bits; break;
        case OP_I64_CONST: case OP_F64_CONST: v = in.bits; break;
        default: continue;
        }
        bool seen = false;
        for (uint32_t k = 0; k < l->npool && !seen; k++)
            seen = l->pool[k] == v;
        if (!seen)
            l->pool[l->npool++] = v;
    }
}

static void materialize_all(Lower *l)
{
    for (uint32_t i = 0; i < l->height; i++)
        materialize(l, i);
}

/* Before local x changes, entries still reading it must take their own copy. */
static void materialize_local(Lower *l, uint32_t x)
{
    for (uint32_t i = 0; i < l->height; i++)
        if (l->stack[i] == x)
            materialize(l, i);
}

/* ---- branches ---- */

static void patch_chain(Lower *l, uint32_t chain, uint32_t target)
{
    if (l->oom) /* a chain may name operands that were never written */
        return;
    while (chain != NO_PATCH) {
        uint32_t next = l->code[chain];
        l->code[chain] = (uint32_t)(int32_t)((int64_t)target - (int64_t)chain);
        chain = next;
    }
}

/* Emit a branch operand to label depth d (after the handler and any leading operands). */
static void emit_target(Lower *l, LCtrl *c)
{
    if (c->op == OP_LOOP) {
        uint32_t at = l->len;
        emit(l, (uint32_t)(int32_t)((int64_t)c->loop_start - (int64_t)at));
    } else {
        uint32_t at = l->len;
        emit(l, c->end_patch);
        if (!l->oom)
            c->end_patch = at;
    }
}

static uint32_t label_arity(const LCtrl *c)
{
    return c->op == OP_LOOP ? c->nparams : c->nresults;
}

/* Do the values for label c need copying from the operand stack to c's home slots? */
static bool needs_copies(Lower *l, const LCtrl *c)
{
    uint32_t n = label_arity(c);
    for (uint32_t i = 0; i < n; i++)
        if (l->stack[l->height - n + i] != home(l, c->base + i))
            return true;
    return false;
}

static void branch_copies(Lower *l, const LCtrl *c)
{
    uint32_t n = label_arity(c);
    for (uint32_t i = 0; i < n; i++)
        copy_entry(l, home(l, c->base + i), l->height - n + i);
}

static void emit_br(Lower *l, LCtrl *c)
{
    branch_copies(l, c);
    emit_op(l, c->op == OP_LOOP ? IOP_BR_BACK : OP_BR);
    emit_target(l, c);
}

/* Results to slots 0..n-1 of the frame, then return. Sources below n may be overwritten by earlier
 * copies, so such entries go home first (homes are above all locals, hence above n... or not, if the
 * function has more results than locals: then copying in ascending order is still safe, see below). */
static void emit_return(Lower *l)
{
    uint32_t n = l->ftype->nresults;
    uint32_t first = l->height - n;
    for (uint32_t i = 0; i < n; i++)
        if (l->stack[first + i] < n && l->stack[first + i] != i)
            materialize(l, first + i);
    /* ascending: destination i never holds a later entry's source (homes of later entries are > i) */
    for (uint32_t i = 0; i < n; i++)
        copy_entry(l, i, first + i);
    emit_op(l, OP_RETURN);
}

static LCtrl *push_ctrl(Lower *l, uint16_t op, uint32_t nparams, uint32_t nresults)
{
    if (l->nctrls == l->ctrl_cap) { /* reserved before each instruction */
        l->oom = true;
        return NULL;
    }
    LCtrl *c = &l->ctrls[l->nctrls++];
    c->op = op;
    c->base = l->height - nparams;
    c->nparams = nparams;
    c->nresults = nresults;
    c->loop_start = l->len;
    c->end_patch = NO_PATCH;
    c->else_patch = NO_PATCH;
    forget_recent(l); /* a label starts here */
    return c;
}

static void block_arity(const Module *m, int64_t bt, uint32_t *np, uint32_t *nr)
{
    if (bt == -0x40) {
        *np = *nr = 0;
    } else if (bt < 0) {
        *np = 0;
        *nr = 1;
    } else {
        *np = m->types[bt].nparams;
        *nr = m->types[bt].nresults;
    }
}

/* Skip dead code after an unconditional transfer, up to the `else` or `end` that closes the current
 * block. Returns the opcode found (OP_ELSE or OP_END), with the reader positioned after it. */
static uint16_t skip_dead(Reader *r)
{
    uint32_t depth = 0;
    Instr in;
    while (reader_instr(r, &in)) {
        switch (in.op) {
        case OP_BLOCK: case OP_LOOP: case OP_IF:
            depth++;
            break;
        case OP_ELSE:
            if (depth == 0)
                return OP_ELSE;
            break;
        case OP_END:
            if (depth == 0)
                return OP_END;
            depth--;
            break;
        default:
            break;
        }
    }
    return OP_END;
}

/* Close the innermost control frame at `end` (reachable or not). */
static void close_block(Lower *l, bool reachable)
{
    LCtrl *c = &l->ctrls[l->nctrls - 1];
    if (reachable && c->op != OP_END) {
        for (uint32_t i = 0; i < c->nresults; i++)
            materialize(l, l->height - c->nresults + i);
    }
    if (c->op == OP_END) {
        if (reachable)
            emit_return(l);
        /* the body's own label: branches to it return */
        if (c->end_patch != NO_PATCH) {
            uint32_t at = l->len;
            l->height = c->base + c->nresults;
            for (uint32_t i = 0; i < c->nresults; i++)
                l->stack[c->base + i] = home(l, c->base + i);
            emit_return(l);
            patch_chain(l, c->end_patch, at);
        }
        l->nctrls--;
        return;
    }
    if (c->op == OP_IF) /* no else: the false edge lands at the end */
        patch_chain(l, c->else_patch, l->len);
    patch_chain(l, c->end_patch, l->len);
    l->height = c->base;
    for (uint32_t i = 0; i < c->nresults; i++)
        push_slot(l, home(l, c->base + i));
    l->nctrls--;
    forget_recent(l);
}

static int imm_form(uint16_t op)
{
    switch (op) {
#define X(o, ...) case OP_##o: return IOP_##o##_I;
        INTERP_IMM_OPS(X)
        INTERP_CMP_OPS(X)
#undef X
    default: return -1;
    }
}

static bool commutes(uint16_t op)
{
    switch (op) {
    case OP_I32_ADD: case OP_I32_MUL: case OP_I32_AND: case OP_I32_OR: case OP_I32_XOR: case OP_I32_EQ:
    case OP_I32_NE: case OP_I64_ADD: case OP_I64_MUL: case OP_I64_AND: case OP_I64_OR: case OP_I64_XOR:
    case OP_I64_EQ: case OP_I64_NE:
        return true;
    default:
        return false;
    }
}

/* The comparison with its operands swapped (a < b == b > a), or -1. */
static int flipped(uint16_t op)
{
    switch (op) {
    case OP_I32_LT_S: return OP_I32_GT_S;
    case OP_I32_GT_S: return OP_I32_LT_S;
    case OP_I32_LT_U: return OP_I32_GT_U;
    case OP_I32_GT_U: return OP_I32_LT_U;
    case OP_I32_LE_S: return OP_I32_GE_S;
    case OP_I32_GE_S: return OP_I32_LE_S;
    case OP_I32_LE_U: return OP_I32_GE_U;
    case OP_I32_GE_U: return OP_I32_LE_U;
    case OP_I64_LT_S: return OP_I64_GT_S;
    case OP_I64_GT_S: return OP_I64_LT_S;
    case OP_I64_LT_U: return OP_I64_GT_U;
    case OP_I64_GT_U: return OP_I64_LT_U;
    case OP_I64_LE_S: return OP_I64_GE_S;
    case OP_I64_GE_S: return OP_I64_LE_S;
    case OP_I64_LE_U: return OP_I64_GE_U;
    case OP_I64_GE_U: return OP_I64_LE_U;
    default: return commutes(op) ? op : -1;
    }
}

/* The integer comparison that is true exactly when op is false (eqz has none: it inverts the branch). */
static int negated(uint16_t op)
{
    switch (op) {
    case OP_I32_EQ: return OP_I32_NE;
    case OP_I32_NE: return OP_I32_EQ;
    case OP_I32_LT_S: return OP_I32_GE_S;
    case OP_I32_GE_S: return OP_I32_LT_S;
    case OP_I32_LT_U: return OP_I32_GE_U;
    case OP_I32_GE_U: return OP_I32_LT_U;
    case OP_I32_GT_S: return OP_I32_LE_S;
    case OP_I32_LE_S: return OP_I32_GT_S;
    case OP_I32_GT_U: return OP_I32_LE_U;
    case OP_I32_LE_U: return OP_I32_GT_U;
    case OP_I64_EQ: return OP_I64_NE;
    case OP_I64_NE: return OP_I64_EQ;
    case OP_I64_LT_S: return OP_I64_GE_S;
    case OP_I64_GE_S: return OP_I64_LT_S;
    case OP_I64_LT_U: return OP_I64_GE_U;
    case OP_I64_GE_U: return OP_I64_LT_U;
    case OP_I64_GT_S: return OP_I64_LE_S;
    case OP_I64_LE_S: return OP_I64_GT_S;
    case OP_I64_GT_U: return OP_I64_LE_U;
    case OP_I64_LE_U: return OP_I64_GT_U;
    default: return -1;
    }
}

static int branch_form(uint16_t op, bool imm)
{
    switch (op) {
#define X(o, ...) case OP_##o: return imm ? IOP_BR_##o##_I : IOP_BR_##o;
        INTERP_CMP_OPS(X)
#undef X
    default: return -1;
    }
}

/* A constant fits an immediate operand: any i32, or an i64 that is a sign-extended 32-bit value. */
static bool fits_imm(uint16_t op, uint64_t v)
{
    return opcode_info[op].a == LODGE_I32 || (int64_t)v == (int64_t)(int32_t)v;
}

static int address_form(uint16_t op, bool imm)
{
    switch (op) {
#define X(o, ...) case OP_##o: return imm ? IOP_##o##_RI : IOP_##o##_RR;
        INTERP_LOAD_OPS(X)
        INTERP_STORE_OPS(X)
#undef X
    default: return -1;
    }
}

static void note_add(Lower *l, uint32_t at, uint32_t a, uint32_t b, bool imm)
{
    if (l->oom)
        return;
    l->add_at = at - 2;
    l->add_a = a;
    l->add_b = b;
    l->add_imm = imm;
    l->add_dst_slot = l->code[at];
    l->add_end = l->len;
}

/* Is entry i the result of the i32.add just emitted (nothing after it)? Then the add can be taken back
 * and done by the memory access itself. */
static bool fresh_add(const Lower *l, uint32_t i)
{
    return l->add_at != NO_PATCH && l->len == l->add_end && l->stack[i] == l->add_dst_slot;
}

/* Emit a load or store whose address is the taken-back add; `dst_or_val` is the loaded value's slot or
 * the stored value's slot. */
static void emit_address_form(Lower *l, uint16_t op, bool load, uint32_t dst_or_val, uint32_t offset)
{
    uint32_t a = l->add_a, b = l->add_b;
    bool imm = l->add_imm;
    l->len = l->add_at;
    uint32_t at = emit_op(l, (unsigned)address_form(op, imm));
    if (load) {
        emit(l, dst_or_val);
        emit(l, a);
        emit(l, b);
        l->last_dst = at;
    } else {
        emit(l, a);
        emit(l, b);
        emit(l, dst_or_val);
    }
    emit(l, offset);
}

static void note_cmp(Lower *l, uint32_t at, uint16_t op, uint32_t a, uint32_t b, bool imm)
{
    if (l->oom || (negated(op) < 0 && op != OP_I32_EQZ && op != OP_I64_EQZ))
        return;
    l->cmp_at = at - 2;
    l->cmp_op = op;
    l->cmp_a = a;
    l->cmp_b = b;
    l->cmp_imm = imm;
    l->cmp_dst_slot = l->code[at];
    l->cmp_end = l->len;
}

/* The slot entry i reads without emitting anything: its own, or its constant's pool slot. */
static bool peek_slot(Lower *l, uint32_t i, uint32_t *slot)
{
    if (l->stack[i] != KSLOT) {
        *slot = l->stack[i];
        return true;
    }
    return pool_slot(l, l->kval[i], slot);
}

/* Plain operators: operands, then an optional result in its home slot. */
static void lower_plain(Lower *l, const Instr *in, const OpInfo *info)
{
    uint16_t op = in->op;
    if (info->a && info->b && info->r && l->height >= 2) {
        uint32_t top = l->height - 1;
        int form = imm_form(op);
        uint16_t use = op;
        bool b_const = l->stack[top] == KSLOT && form >= 0 && fits_imm(op, l->kval[top]);
        bool a_const = !b_const && l->stack[top - 1] == KSLOT && l->stack[top] != KSLOT && form >= 0 &&
                       flipped(op) >= 0 && fits_imm(op, l->kval[top - 1]);
        if (b_const || a_const) {
            uint32_t a, imm;
            if (b_const) {
                imm = (uint32_t)l->kval[top];
                l->height--;
                a = pop_slot(l);
            } else {
                use = (uint16_t)flipped(op);
                a = pop_slot(l);
                imm = (uint32_t)l->kval[--l->height];
            }
            uint32_t at = emit_op(l, (unsigned)imm_form(use));
            uint32_t d = push_home(l);
            emit(l, d);
            emit(l, a);
            emit(l, imm);
            l->last_dst = at;
            note_cmp(l, at, use, a, imm, true);
            if (use == OP_I32_ADD)
                note_add(l, at, a, imm, true);
            return;
        }
    }
    if (info->imm == IMM_MEM && l->height >= (info->r ? 1u : 2u)) {
        uint32_t top = l->height - 1;
        if (info->r && fresh_add(l, top)) {
            l->height--;
            emit_address_form(l, op, true, push_home(l), in->b);
            return;
        }
        if (!info->r && fresh_add(l, top - 1)) {
            uint32_t v = pop_slot(l); /* a constant outside the pool is materialized here, which ends it */
            if (fresh_add(l, l->height - 1)) {
                l->height--;
                emit_address_form(l, op, false, v, in->b);
                return;
            }
            uint32_t a = pop_slot(l);
            emit_op(l, op);
            emit(l, a);
            emit(l, v);
            emit(l, in->b);
            return;
        }
    }
    if ((op == OP_F64_ADD || op == OP_F64_SUB) && l->height >= 2 && l->mul_at != NO_PATCH &&
        l->len == l->mul_end) {
        uint32_t top = l->height - 1;
        int iop = -1;
        uint32_t c = 0;
        if (l->stack[top] == l->mul_dst_slot && l->stack[top - 1] != l->mul_dst_slot &&
            peek_slot(l, top - 1, &c)) {
            iop = op == OP_F64_ADD ? IOP_F64_MULADD : IOP_F64_SUBMUL;
        } else if (l->stack[top - 1] == l->mul_dst_slot && l->stack[top] != l->mul_dst_slot &&
                   peek_slot(l, top, &c)) {
            iop = op == OP_F64_ADD ? IOP_F64_MULADD : IOP_F64_MULSUB;
        }
        if (iop >= 0) {
            l->height -= 2;
            l->len = l->mul_at;
            uint32_t at = emit_op(l, (unsigned)iop);
            emit(l, push_home(l));
            emit(l, l->mul_a);
            emit(l, l->mul_b);
            emit(l, c);
            l->last_dst = at;
            return;
        }
    }
    uint32_t b = info->b ? pop_slot(l) : 0;
    uint32_t a = info->a ? pop_slot(l) : 0;
    uint32_t at = emit_op(l, op);
    if (info->r) {
        emit(l, push_home(l));
        if (info->a)
            emit(l, a);
        if (info->b)
            emit(l, b);
        l->last_dst = at;
        if (op == OP_I32_ADD)
            note_add(l, at, a, b, false);
        if (op == OP_F64_MUL && !l->oom) {
            l->mul_at = at - 2;
            l->mul_a = a;
            l->mul_b = b;
            l->mul_dst_slot = l->code[at];
            l->mul_end = l->len;
        }
        if (info->b)
            note_cmp(l, at, op, a, b, false);
        else if (op == OP_I32_EQZ || op == OP_I64_EQZ)
            note_cmp(l, at, op, a, 0, false);
    } else {
        /* stores: address, value */
        emit(l, a);
        emit(l, b);
    }
    if (info->imm == IMM_MEM)
        emit(l, in->b);
}

/* Pop an i32 condition and emit a branch taken when it is `sense` (true: non-zero). If the condition was
 * computed by the instruction just emitted, that comparison is taken back and fused into the branch.
 * `back` marks a branch to a loop (the plain form then checks fuel). Returns the index of the branch
 * offset operand, which the caller fills. */
static uint32_t emit_test(Lower *l, bool sense, bool back)
{
    uint32_t top = l->height - 1;
    if (l->cmp_at != NO_PATCH && l->stack[top] == l->cmp_dst_slot && l->len == l->cmp_end) {
        uint16_t op = l->cmp_op;
        uint32_t a = l->cmp_a, b = l->cmp_b;
        bool imm = l->cmp_imm;
        l->len = l->cmp_at;
        l->height--;
        if (op == OP_I32_EQZ || op == OP_I64_EQZ) {
            if (op == OP_I32_EQZ) {
                emit_op(l, sense ? IOP_BR_UNLESS : (back ? IOP_BR_IF_BACK : OP_BR_IF));
                emit(l, a);
                uint32_t at = l->len;
                emit(l, NO_PATCH);
                return at;
            }
            /* i64.eqz: branch on a == 0 as a compare with the immediate 0 */
            op = OP_I64_EQ;
            b = 0;
            imm = true;
        }
        if (!sense)
            op = (uint16_t)negated(op);
        emit_op(l, (unsigned)branch_form(op, imm));
        emit(l, a);
        emit(l, b);
        uint32_t at = l->len;
        emit(l, NO_PATCH);
        return at;
    }
    uint32_t cond = pop_slot(l);
    emit_op(l, sense ? (back ? IOP_BR_IF_BACK : OP_BR_IF) : IOP_BR_UNLESS);
    emit(l, cond);
    uint32_t at = l->len;
    emit(l, NO_PATCH);
    return at;
}

/* Fill a branch offset operand at `at` with a jump to label c. */
static void set_target(Lower *l, uint32_t at, LCtrl *c)
{
    if (l->oom)
        return;
    if (c->op == OP_LOOP) {
        l->code[at] = (uint32_t)(int32_t)((int64_t)c->loop_start - (int64_t)at);
    } else {
        l->code[at] = c->end_patch;
        c->end_patch = at;
    }
}

static void lower_body(Lower *l)
{
    const Module *m = l->m;
    Reader r = {m->bytes, l->body->code_start, l->body->end, false, 0, NULL};
    if (reserve_model(l, l->max_arity + 1, 1))
        push_ctrl(l, OP_END, 0, l->ftype->nresults);
    Instr in;
    while (l->nctrls > 0 && !l->oom && reserve_model(l, l->height + l->max_arity + 1, l->nctrls + 1) &&
           reader_instr(&r, &in)) {
        const OpInfo *info = &opcode_info[in.op];
        if (info->a != 'S') {
            if (info->imm == IMM_I32 || info->imm == IMM_F32)
                push_const(l, (uint32_t)in.bits);
            else if (info->imm == IMM_I64 || info->imm == IMM_F64)
                push_const(l, in.bits);
            else
                lower_plain(l, &in, info);
            continue;
        }
        switch ((Opcode)in.op) {
        case OP_NOP:
            break;
        case OP_UNREACHABLE:
            emit_op(l, OP_UNREACHABLE);
            goto dead;
        case OP_BLOCK: case OP_LOOP: {
            uint32_t np, nr;
            block_arity(m, in.blocktype, &np, &nr);
            materialize_all(l);
            l->last_dst = NO_PATCH;
            push_ctrl(l, in.op, np, nr);
            break;
        }
        case OP_IF: {
            uint32_t np, nr;
            block_arity(m, in.blocktype, &np, &nr);
            /* values below the condition go home first, so the branch is the last thing emitted; the
             * condition's own operands sit at or above the new top and are not disturbed by that */
            uint32_t cond_entry = l->height - 1;
            for (uint32_t i = 0; i < cond_entry; i++)
                if (l->stack[i] != home(l, i))
                    goto if_plain;
            {
                uint32_t at = emit_test(l, false, false);
                LCtrl *c = push_ctrl(l, OP_IF, np, nr);
                if (c)
                    c->else_patch = at;
                break;
            }
        if_plain: {
            uint32_t cond = pop_slot(l);
            materialize_all(l);
            emit_op(l, IOP_BR_UNLESS);
            emit(l, cond);
            uint32_t at = l->len;
            emit(l, NO_PATCH);
            LCtrl *c = push_ctrl(l, OP_IF, np, nr);
            if (c)
                c->else_patch = at;
            break;
        }
        }
        case OP_ELSE: {
            LCtrl *c = &l->ctrls[l->nctrls - 1];
            for (uint32_t i = 0; i < c->nresults; i++)
                materialize(l, l->height - c->nresults + i);
            emit_op(l, OP_BR);
            emit_target(l, c);
        else_part:
            c = &l->ctrls[l->nctrls - 1];
            patch_chain(l, c->else_patch, l->len);
            c->else_patch = NO_PATCH;
            c->op = OP_ELSE;
            l->height = c->base;
            for (uint32_t i = 0; i < c->nparams; i++)
                push_slot(l, home(l, c->base + i));
            forget_recent(l);
            break;
        case OP_END:
            close_block(l, true);
            break;
        dead: {
            uint16_t at = skip_dead(&r);
            if (at == OP_ELSE)
                goto else_part;
            close_block(l, false);
            break;
        }
        }
        case OP_BR: {
            LCtrl *c = &l->ctrls[l->nctrls - 1 - in.a];
            emit_br(l, c);
            goto dead;
        }
        case OP_BR_IF: {
            LCtrl *c = &l->ctrls[l->nctrls - 1 - in.a];
            /* the label's values sit below the condition */
            l->height--;
            bool copies = needs_copies(l, c);
            l->height++;
            if (!copies) {
                uint32_t at = emit_test(l, true, c->op == OP_LOOP);
                set_target(l, at, c);
            } else {
                uint32_t skip = emit_test(l, false, false);
                emit_br(l, c);
                patch_chain(l, skip, l->len);
            }
            l->last_dst = NO_PATCH;
            break;
        }
        case OP_BR_TABLE: {
            uint32_t idx = pop_slot(l);
            uint32_t n = in.br_count;
            emit_op(l, OP_BR_TABLE);
            emit(l, idx);
            emit(l, n);
            uint32_t table = l->len;
            if (!grow(l, n + 1))
                break;
            l->len += n + 1;
            Reader lr = {m->bytes, in.br_labels, r.end, false, 0, NULL};
            for (uint32_t i = 0; i <= n && !l->oom; i++) {
                uint32_t depth = reader_u32(&lr);
                LCtrl *c = &l->ctrls[l->nctrls - 1 - depth];
                uint32_t slot = table + i;
                if (!needs_copies(l, c)) {
                    if (c->op == OP_LOOP) {
                        l->code[slot] = (uint32_t)(int32_t)((int64_t)c->loop_start - (int64_t)slot);
                    } else {
                        l->code[slot] = c->end_patch;
                        c->end_patch = slot;
                    }
                } else {
                    /* a stub after the table: copies, then the branch */
                    l->code[slot] = l->len - slot;
                    emit_br(l, c);
                }
            }
            goto dead;
        }
        case OP_RETURN:
            emit_return(l);
            goto dead;
        case OP_CALL: case OP_CALL_INDIRECT: {
            const FuncType *t = in.op == OP_CALL ? module_func_type(m, in.a) : &m->types[in.a];
            uint32_t idx = in.op == OP_CALL_INDIRECT ? pop_slot(l) : 0;
            uint32_t argbase = l->height - t->nparams;
            for (uint32_t i = argbase; i < l->height; i++)
                materialize(l, i);
            /* the callee's frame starts at the first argument; results come back there */
            note_slot(l, home(l, argbase) + (t->nresults > t->nparams ? t->nresults : t->nparams));
            if (in.op == OP_CALL) {
                emit_op(l, OP_CALL);
                emit(l, in.a);
                emit(l, home(l, argbase));
            } else {
                emit_op(l, OP_CALL_INDIRECT);
                emit(l, t->id);
                emit(l, in.b);
                emit(l, home(l, argbase));
                emit(l, idx);
            }
            l->height = argbase;
            for (uint32_t i = 0; i < t->nresults; i++)
                push_home(l);
            break;
        }
        case OP_DROP:
            pop_slot(l);
            break;
        case OP_SELECT: case OP_SELECT_T: {
            uint32_t c = pop_slot(l), b = pop_slot(l), a = pop_slot(l);
            uint32_t at = emit_op(l, OP_SELECT);
            emit(l, push_home(l));
            emit(l, a);
            emit(l, b);
            emit(l, c);
            l->last_dst = at;
            break;
        }
        case OP_LOCAL_GET:
            push_slot(l, in.a);
            break;
        case OP_LOCAL_SET: case OP_LOCAL_TEE: {
            uint32_t x = in.a;
            uint32_t top = l->height - 1;
            if (l->stack[top] == KSLOT) {
                materialize_local(l, x);
                uint64_t k = l->kval[top];
                emit_const(l, x, k);
                l->height--;
                if (in.op == OP_LOCAL_TEE)
                    push_const(l, k);
                break;
            }
            uint32_t src = l->stack[top];
            bool other_readers = false;
            for (uint32_t i = 0; i < top; i++)
                other_readers |= l->stack[i] == x;
            if (!other_readers && src == home(l, top) && l->last_dst != NO_PATCH && !l->oom &&
                l->code[l->last_dst] == src) {
                /* retarget the producing instruction straight into the local */
                l->code[l->last_dst] = x;
            } else {
                materialize_local(l, x);
                src = l->stack[top];
                copy(l, x, src);
            }
            l->last_dst = NO_PATCH;
            l->height--;
            if (in.op == OP_LOCAL_TEE)
                push_slot(l, x);
            break;
        }
        case OP_GLOBAL_GET: {
            uint32_t at = emit_op(l, OP_GLOBAL_GET);
            emit(l, push_home(l));
            emit(l, in.a);
            l->last_dst = at;
            break;
        }
        case OP_GLOBAL_SET: {
            uint32_t v = pop_slot(l);
            emit_op(l, OP_GLOBAL_SET);
            emit(l, in.a);
            emit(l, v);
            break;
        }
        case OP_TABLE_GET: {
            uint32_t i = pop_slot(l);
            emit_op(l, OP_TABLE_GET);
            emit(l, push_home(l));
            emit(l, in.a);
            emit(l, i);
            break;
        }
        case OP_TABLE_SET: {
            uint32_t v = pop_slot(l), i = pop_slot(l);
            emit_op(l, OP_TABLE_SET);
            emit(l, in.a);
            emit(l, i);
            emit(l, v);
            break;
        }
        case OP_TABLE_SIZE:
            emit_op(l, OP_TABLE_SIZE);
            emit(l, push_home(l));
            emit(l, in.a);
            break;
        case OP_TABLE_GROW: {
            uint32_t n = pop_slot(l), init = pop_slot(l);
            emit_op(l, OP_TABLE_GROW);
            emit(l, push_home(l));
            emit(l, in.a);
            emit(l, init);
            emit(l, n);
            break;
        }
        case OP_TABLE_FILL: {
            uint32_t n = pop_slot(l), v = pop_slot(l), i = pop_slot(l);
            emit_op(l, OP_TABLE_FILL);
            emit(l, in.a);
            emit(l, i);
            emit(l, v);
            emit(l, n);
            break;
        }
        case OP_TABLE_COPY: case OP_TABLE_INIT: {
            uint32_t n = pop_slot(l), s = pop_slot(l), d = pop_slot(l);
            emit_op(l, in.op);
            emit(l, in.a);
            emit(l, in.b);
            emit(l, d);
            emit(l, s);
            emit(l, n);
            break;
        }
        case OP_ELEM_DROP: case OP_DATA_DROP:
            emit_op(l, in.op);
            emit(l, in.a);
            break;
        case OP_REF_NULL:
            emit_op(l, OP_REF_NULL);
            emit(l, push_home(l));
            break;
        case OP_REF_IS_NULL: {
            uint32_t v = pop_slot(l);
            emit_op(l, OP_REF_IS_NULL);
            emit(l, push_home(l));
            emit(l, v);
            break;
        }
        case OP_REF_FUNC:
            emit_op(l, OP_REF_FUNC);
            emit(l, push_home(l));
            emit(l, in.a);
            break;
        case OP_MEMORY_INIT: {
            uint32_t n = pop_slot(l), s = pop_slot(l), d = pop_slot(l);
            emit_op(l, OP_MEMORY_INIT);
            emit(l, in.a);
            emit(l, d);
            emit(l, s);
            emit(l, n);
            break;
        }
        case OP_MEMORY_COPY: case OP_MEMORY_FILL: {
            uint32_t n = pop_slot(l), s = pop_slot(l), d = pop_slot(l);
            emit_op(l, in.op);
            emit(l, d);
            emit(l, s);
            emit(l, n);
            break;
        }
        default:
            break;
        }
    }
}

InterpCode *interp_lower(const Module *m, Alloc *alloc, uint32_t funcidx, bool checked, lodge_error_t *err)
{
    Lower l;
    memset(&l, 0, sizeof l);
    l.m = m;
    l.alloc = alloc;
    l.max_arity = 1;
    for (uint32_t i = 0; i < m->ntypes; i++) {
        const FuncType *t = &m->types[i];
        uint32_t a = t->nparams > t->nresults ? t->nparams : t->nresults;
        if (a > l.max_arity)
            l.max_arity = a;
    }
    l.body = &m->bodies[funcidx - m->nimported_funcs];
    l.ftype = module_func_type(m, funcidx);
    l.h = interp_handlers(checked);
    l.nlocals = l.body->nlocals;
    l.max_slot = l.nlocals > l.ftype->nresults ? l.nlocals : l.ftype->nresults;
    forget_recent(&l);
    scan_pool(&l);
    l.max_slot = l.nlocals + l.npool > l.max_slot ? l.nlocals + l.npool : l.max_slot;
    lower_body(&l);
    alloc_hfree(l.alloc, l.stack);
    alloc_hfree(l.alloc, l.kval);
    alloc_hfree(l.alloc, l.ctrls);
    InterpCode *c = l.oom ? NULL : alloc_hmalloc(l.alloc, sizeof *c + l.pool_used * sizeof(uint64_t));
    if (!c) {
        alloc_hfree(l.alloc, l.code);
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory while compiling function %u", funcidx);
        return NULL;
    }
    c->code = l.code;
    c->len = l.len;
    c->nparams = l.ftype->nparams;
    c->nlocals = l.nlocals;
    c->nresults = l.ftype->nresults;
    c->frame_slots = l.max_slot + 1;
    c->npool = l.pool_used;
    memcpy(c->pool, l.pool, l.pool_used * sizeof(uint64_t));
    c->checked = checked;
    return c;
}

InterpCode *interp_code_get(const Module *m, uint32_t funcidx, lodge_error_t *err)
{
    FuncBody *b = &m->bodies[funcidx - m->nimported_funcs];
    InterpCode *c = __atomic_load_n(&b->code, __ATOMIC_ACQUIRE);
    if (c)
        return c;
    /* Modules are shared between threads: one lowering at a time, under the module's lock, which also
     * guards its allocator (the lowered code is the module's, whichever store's call asked for it).
     * A failed lowering publishes nothing, so a later call tries again. */
    Module *mm = (Module *)m;
    pthread_mutex_lock(&mm->lock);
    c = __atomic_load_n(&b->code, __ATOMIC_ACQUIRE);
    if (!c) {
        bool checked = m->engine->cfg.bounds_checks || sizeof(void *) != 8;
        c = interp_lower(m, &mm->alloc, funcidx, checked, err);
        if (c)
            __atomic_store_n(&b->code, c, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&mm->lock);
    return c;
}

void interp_code_free(Module *m, InterpCode *c)
{
    if (c) {
        alloc_hfree(&m->alloc, c->code);
        alloc_hfree(&m->alloc, c);
    }
}
