/* code.h: the interpreter's internal threaded form. Each validated function is lowered once (lower.c) to
 * a stream of 32-bit units: a handler address (two units), then operands: frame slot indices, constants,
 * branch offsets. Operand-stack positions are resolved at lowering time, so handlers address frame slots
 * directly, with no stack pointer, no LEB128 and no label search at run time. */
#ifndef LODGE_WASM_INTERP_CODE_H
#define LODGE_WASM_INTERP_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include "lodge.h"
#include "wasm/module.h"
#include "wasm/opcode.h"
#include "wasm/runtime.h"

/* Internal instructions: every plain wasm operator keeps its Opcode number (same operands order: dst,
 * then sources); control and helpers follow. Branch offsets are relative to the operand's own unit. */
/* Integer comparisons: each also has a form that branches on its result (fused with br_if / if). */
#define INTERP_CMP_OPS(X)                                                                                    \
    X(I32_EQ, i32, uint32_t, ==) X(I32_NE, i32, uint32_t, !=) X(I32_LT_S, i32, int32_t, <)                 \
    X(I32_LT_U, i32, uint32_t, <) X(I32_GT_S, i32, int32_t, >) X(I32_GT_U, i32, uint32_t, >)                \
    X(I32_LE_S, i32, int32_t, <=) X(I32_LE_U, i32, uint32_t, <=) X(I32_GE_S, i32, int32_t, >=)              \
    X(I32_GE_U, i32, uint32_t, >=)                                                                          \
    X(I64_EQ, i64, uint64_t, ==) X(I64_NE, i64, uint64_t, !=) X(I64_LT_S, i64, int64_t, <)                 \
    X(I64_LT_U, i64, uint64_t, <) X(I64_GT_S, i64, int64_t, >) X(I64_GT_U, i64, uint64_t, >)                \
    X(I64_LE_S, i64, int64_t, <=) X(I64_LE_U, i64, uint64_t, <=) X(I64_GE_S, i64, int64_t, >=)              \
    X(I64_GE_U, i64, uint64_t, >=)

/* Binary operators with a form whose second operand is a constant in the code (32 bits, sign-extended
 * for i64), besides the comparisons above. */
#define INTERP_IMM_OPS(X)                                                                                    \
    X(I32_ADD, i32, a + b) X(I32_SUB, i32, a - b) X(I32_MUL, i32, a * b) X(I32_AND, i32, a & b)             \
    X(I32_OR, i32, a | b) X(I32_XOR, i32, a ^ b) X(I32_SHL, i32, a << (b & 31))                             \
    X(I32_SHR_S, i32, (uint32_t)((int32_t)a >> (b & 31))) X(I32_SHR_U, i32, a >> (b & 31))                  \
    X(I64_ADD, i64, a + b) X(I64_SUB, i64, a - b) X(I64_MUL, i64, a * b) X(I64_AND, i64, a & b)             \
    X(I64_OR, i64, a | b) X(I64_XOR, i64, a ^ b) X(I64_SHL, i64, a << (b & 63))                             \
    X(I64_SHR_S, i64, (uint64_t)((int64_t)a >> (b & 63))) X(I64_SHR_U, i64, a >> (b & 63))

/* Loads and stores: (name, C type, bytes, slot field, conversion of the loaded v_). Each also has forms
 * whose address is the wrapping sum of a slot and a constant (_RI) or of two slots (_RR): the i32.add that
 * computes an address fuses into the access. */
#define INTERP_LOAD_OPS(X)                                                                                   \
    X(I32_LOAD, uint32_t, 4, i32, v_) X(I64_LOAD, uint64_t, 8, i64, v_) X(F32_LOAD, uint32_t, 4, i32, v_)    \
    X(F64_LOAD, uint64_t, 8, i64, v_) X(I32_LOAD8_S, int8_t, 1, i32, (uint32_t)(int32_t)v_)                 \
    X(I32_LOAD8_U, uint8_t, 1, i32, v_) X(I32_LOAD16_S, int16_t, 2, i32, (uint32_t)(int32_t)v_)             \
    X(I32_LOAD16_U, uint16_t, 2, i32, v_) X(I64_LOAD8_S, int8_t, 1, i64, (uint64_t)(int64_t)v_)             \
    X(I64_LOAD8_U, uint8_t, 1, i64, v_) X(I64_LOAD16_S, int16_t, 2, i64, (uint64_t)(int64_t)v_)             \
    X(I64_LOAD16_U, uint16_t, 2, i64, v_) X(I64_LOAD32_S, int32_t, 4, i64, (uint64_t)(int64_t)v_)           \
    X(I64_LOAD32_U, uint32_t, 4, i64, v_)
#define INTERP_STORE_OPS(X)                                                                                  \
    X(I32_STORE, uint32_t, 4, i32) X(I64_STORE, uint64_t, 8, i64) X(F32_STORE, uint32_t, 4, i32)            \
    X(F64_STORE, uint64_t, 8, i64) X(I32_STORE8, uint8_t, 1, i32) X(I32_STORE16, uint16_t, 2, i32)          \
    X(I64_STORE8, uint8_t, 1, i64) X(I64_STORE16, uint16_t, 2, i64) X(I64_STORE32, uint32_t, 4, i64)

typedef enum Iop {
    IOP_BR_BACK = OP_COUNT_,  /* off              : backward branch, with the interrupt/fuel check */
    IOP_BR_UNLESS,            /* cond off */
    IOP_BR_IF_BACK,           /* cond off */
    IOP_COPY,                 /* dst src */
#define X(op, field, ...) IOP_##op##_I,        /* dst a imm */
    INTERP_IMM_OPS(X)
    INTERP_CMP_OPS(X)
#undef X
#define X(op, field, ...) IOP_BR_##op, IOP_BR_##op##_I, /* a b off / a imm off: branch when true */
    INTERP_CMP_OPS(X)
#undef X
#define X(op, ...) IOP_##op##_RI, IOP_##op##_RR, /* loads: dst base imm|b off; stores: base imm|b val off */
    INTERP_LOAD_OPS(X)
    INTERP_STORE_OPS(X)
#undef X
    IOP_F64_MULADD, IOP_F64_MULSUB, IOP_F64_SUBMUL, /* dst a b c: a*b+c, a*b-c, c-a*b */
    IOP_COUNT_
} Iop;

typedef struct InterpCode {
    uint32_t *code;
    uint32_t len;
    uint32_t nparams, nlocals, nresults;
    uint32_t frame_slots;       /* locals + operand temporaries (at least nresults) */
    bool checked;               /* lowered for the explicit-bounds-check loop */
    uint32_t npool;             /* constants copied to slots nlocals.. at entry */
    uint64_t pool[];
} InterpCode;

/* Handler addresses for the lowering, indexed by Iop. `checked` selects the explicit-bounds-check
 * variant (no guard pages). */
const void *const *interp_handlers(bool checked);

/* The threaded code of function `funcidx` of a validated module, lowered on first use and kept in the
 * module (thread-safe). NULL with err NOMEM on allocation failure. */
InterpCode *interp_code_get(const Module *m, uint32_t funcidx, lodge_error_t *err);
/* The same for a function object, cached in it (the interpreter's call path). NULL on failure. */
InterpCode *interp_code_for(lodge_func_t *f);

/* Lower function `funcidx` of a validated module, allocating from `alloc`. NULL with err NOMEM on
 * allocation failure. */
InterpCode *interp_lower(const Module *m, Alloc *alloc, uint32_t funcidx, bool checked, lodge_error_t *err);
/* Free lowered code of m (allocated from m's allocator). */
void interp_code_free(Module *m, InterpCode *c);

/* Run f with its arguments already at fp[0..]; results land at fp[0..]. false on a trap (ex->trap set). */
bool interp_run_guarded(lodge_store_t *s, lodge_func_t *f, Slot *fp, const void *const **table_out);
bool interp_run_checked(lodge_store_t *s, lodge_func_t *f, Slot *fp, const void *const **table_out);

/* Slow paths shared by both variants (noinline, in slow.c). Each returns false with ex->trap set. */
bool interp_call_host(lodge_store_t *s, lodge_func_t *f, Slot *fp);
/* Fuel and interruption: the loop counts a local budget down at back-edges and calls and asks here
 * for more when it runs out (false: interrupted or out of fuel, ex->trap set). */
bool interp_fuel_take(lodge_store_t *s, int64_t *budget);
void interp_fuel_refund(lodge_store_t *s, int64_t budget);
bool interp_memory_init(Instance *in, uint32_t seg, uint32_t d, uint32_t src, uint32_t n);
bool interp_memory_copy(Instance *in, uint32_t d, uint32_t src, uint32_t n);
bool interp_memory_fill(Instance *in, uint32_t d, uint8_t val, uint32_t n);
bool interp_table_init(Instance *in, uint32_t seg, uint32_t t, uint32_t d, uint32_t src, uint32_t n);
bool interp_table_copy(Instance *in, uint32_t dt, uint32_t st, uint32_t d, uint32_t src, uint32_t n);
bool interp_table_fill(Instance *in, uint32_t t, uint32_t d, void *val, uint32_t n);
/* One line describing the instruction at *pos (advanced past it); false at the end or on garbage. */
bool interp_describe(const InterpCode *c, uint32_t *pos, char *buf, size_t n);

/* Evaluate a constant expression of a module in an instance (globals must be set up). */
Slot interp_const_expr(Instance *in, const ConstExpr *e);

#endif
