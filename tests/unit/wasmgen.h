/* wasmgen.h: hand-assembled WebAssembly for the unit tests: the spec's opcode bytes (typed here from the
 * spec, not taken from the core's table, so the tests check that table too), byte buffers with LEB128
 * writers, a module builder that lays out the sections in order, and a rig that instantiates a module
 * and calls its exports through the public API. */
#ifndef LODGE_TESTS_WASMGEN_H
#define LODGE_TESTS_WASMGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lodge.h"
#include "unit.h"

/* ---- Opcodes (binary encodings from the spec) -------------------------------------------------- */
enum {
    UNREACHABLE = 0x00, NOP = 0x01, BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, END = 0x0B, BR = 0x0C,
    BR_IF = 0x0D, BR_TABLE = 0x0E, RETURN = 0x0F, CALL = 0x10, CALL_INDIRECT = 0x11, DROP = 0x1A,
    SELECT = 0x1B, SELECT_T = 0x1C, LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, GLOBAL_GET = 0x23,
    GLOBAL_SET = 0x24, TABLE_GET = 0x25, TABLE_SET = 0x26,
    I32_LOAD = 0x28, I64_LOAD, F32_LOAD, F64_LOAD, I32_LOAD8_S, I32_LOAD8_U, I32_LOAD16_S, I32_LOAD16_U,
    I64_LOAD8_S, I64_LOAD8_U, I64_LOAD16_S, I64_LOAD16_U, I64_LOAD32_S, I64_LOAD32_U, I32_STORE, I64_STORE,
    F32_STORE, F64_STORE, I32_STORE8, I32_STORE16, I64_STORE8, I64_STORE16, I64_STORE32, MEMORY_SIZE,
    MEMORY_GROW, I32_CONST, I64_CONST, F32_CONST, F64_CONST,
    I32_EQZ = 0x45, I32_EQ, I32_NE, I32_LT_S, I32_LT_U, I32_GT_S, I32_GT_U, I32_LE_S, I32_LE_U, I32_GE_S,
    I32_GE_U, I64_EQZ, I64_EQ, I64_NE, I64_LT_S, I64_LT_U, I64_GT_S, I64_GT_U, I64_LE_S, I64_LE_U, I64_GE_S,
    I64_GE_U, F32_EQ, F32_NE, F32_LT, F32_GT, F32_LE, F32_GE, F64_EQ, F64_NE, F64_LT, F64_GT, F64_LE, F64_GE,
    I32_CLZ = 0x67, I32_CTZ, I32_POPCNT, I32_ADD, I32_SUB, I32_MUL, I32_DIV_S, I32_DIV_U, I32_REM_S, I32_REM_U,
    I32_AND, I32_OR, I32_XOR, I32_SHL, I32_SHR_S, I32_SHR_U, I32_ROTL, I32_ROTR,
    I64_CLZ = 0x79, I64_CTZ, I64_POPCNT, I64_ADD, I64_SUB, I64_MUL, I64_DIV_S, I64_DIV_U, I64_REM_S, I64_REM_U,
    I64_AND, I64_OR, I64_XOR, I64_SHL, I64_SHR_S, I64_SHR_U, I64_ROTL, I64_ROTR,
    F32_ABS = 0x8B, F32_NEG, F32_CEIL, F32_FLOOR, F32_TRUNC, F32_NEAREST, F32_SQRT, F32_ADD, F32_SUB, F32_MUL,
    F32_DIV, F32_MIN, F32_MAX, F32_COPYSIGN,
    F64_ABS = 0x99, F64_NEG, F64_CEIL, F64_FLOOR, F64_TRUNC, F64_NEAREST, F64_SQRT, F64_ADD, F64_SUB, F64_MUL,
    F64_DIV, F64_MIN, F64_MAX, F64_COPYSIGN,
    I32_WRAP_I64 = 0xA7, I32_TRUNC_F32_S, I32_TRUNC_F32_U, I32_TRUNC_F64_S, I32_TRUNC_F64_U, I64_EXTEND_I32_S,
    I64_EXTEND_I32_U, I64_TRUNC_F32_S, I64_TRUNC_F32_U, I64_TRUNC_F64_S, I64_TRUNC_F64_U, F32_CONVERT_I32_S,
    F32_CONVERT_I32_U, F32_CONVERT_I64_S, F32_CONVERT_I64_U, F32_DEMOTE_F64, F64_CONVERT_I32_S,
    F64_CONVERT_I32_U, F64_CONVERT_I64_S, F64_CONVERT_I64_U, F64_PROMOTE_F32, I32_REINTERPRET_F32,
    I64_REINTERPRET_F64, F32_REINTERPRET_I32, F64_REINTERPRET_I64,
    I32_EXTEND8_S = 0xC0, I32_EXTEND16_S, I64_EXTEND8_S, I64_EXTEND16_S, I64_EXTEND32_S,
    REF_NULL = 0xD0, REF_IS_NULL = 0xD1, REF_FUNC = 0xD2,
    PREFIX_FC = 0xFC,
};
/* 0xFC-prefixed instructions: two bytes (every sub-opcode used here is below 128). */
#define I32_TRUNC_SAT_F32_S PREFIX_FC, 0
#define I32_TRUNC_SAT_F32_U PREFIX_FC, 1
#define I32_TRUNC_SAT_F64_S PREFIX_FC, 2
#define I32_TRUNC_SAT_F64_U PREFIX_FC, 3
#define I64_TRUNC_SAT_F32_S PREFIX_FC, 4
#define I64_TRUNC_SAT_F32_U PREFIX_FC, 5
#define I64_TRUNC_SAT_F64_S PREFIX_FC, 6
#define I64_TRUNC_SAT_F64_U PREFIX_FC, 7
#define MEMORY_INIT PREFIX_FC, 8
#define DATA_DROP PREFIX_FC, 9
#define MEMORY_COPY PREFIX_FC, 10
#define MEMORY_FILL PREFIX_FC, 11
#define TABLE_INIT PREFIX_FC, 12
#define ELEM_DROP PREFIX_FC, 13
#define TABLE_COPY PREFIX_FC, 14
#define TABLE_GROW PREFIX_FC, 15
#define TABLE_SIZE PREFIX_FC, 16
#define TABLE_FILL PREFIX_FC, 17

/* Value and block types. */
enum { T_I32 = 0x7F, T_I64 = 0x7E, T_F32 = 0x7D, T_F64 = 0x7C, T_V128 = 0x7B, T_FUNCREF = 0x70,
       T_EXTERNREF = 0x6F, T_EMPTY = 0x40 };

/* Immediates as constant bytes: padded LEB128 (valid: the spec allows up to 5/10 bytes) so that any
 * value fits a fixed-size initializer. */
#define LEB5U(v) (((v) & 0x7f) | 0x80), ((((v) >> 7) & 0x7f) | 0x80), ((((v) >> 14) & 0x7f) | 0x80), \
                 ((((v) >> 21) & 0x7f) | 0x80), (((uint32_t)(v) >> 28) & 0x0f)
#define LEB5S(v) (((int32_t)(v) & 0x7f) | 0x80), ((((int32_t)(v) >> 7) & 0x7f) | 0x80),          \
                 ((((int32_t)(v) >> 14) & 0x7f) | 0x80), ((((int32_t)(v) >> 21) & 0x7f) | 0x80), \
                 (((int32_t)(v) >> 28) & 0x7f)
#define L10B_(v, i) ((((int64_t)(v) >> (7 * (i))) & 0x7f) | 0x80)
#define LEB10S(v) L10B_(v, 0), L10B_(v, 1), L10B_(v, 2), L10B_(v, 3), L10B_(v, 4), L10B_(v, 5), L10B_(v, 6), \
                  L10B_(v, 7), L10B_(v, 8), (((int64_t)(v) >> 63) & 0x7f)
#define LE32_(v) ((v) & 0xff), (((v) >> 8) & 0xff), (((v) >> 16) & 0xff), (((v) >> 24) & 0xff)
#define LE64_(v) LE32_((uint64_t)(v)), LE32_((uint64_t)(v) >> 32)
#define I32C(v) I32_CONST, LEB5S(v)
#define I64C(v) I64_CONST, LEB10S(v)
#define F32C(bits) F32_CONST, LE32_((uint32_t)(bits))
#define F64C(bits) F64_CONST, LE64_((uint64_t)(bits))
/* memarg: alignment exponent and offset. */
#define MEMARG(align, off) (align), LEB5U((uint32_t)(off))

/* ---- Byte buffers ------------------------------------------------------------------------------ */
typedef struct Bytes {
    uint8_t *p;
    size_t len, cap;
} Bytes;

void bytes_free(Bytes *b);
void put_u8(Bytes *b, uint8_t v);
void put_raw(Bytes *b, const void *p, size_t n);
void put_uleb(Bytes *b, uint64_t v);
void put_sleb(Bytes *b, int64_t v);
void put_name(Bytes *b, const char *s);
/* A section: id, payload size, payload. */
void put_section(Bytes *b, uint8_t id, const Bytes *payload);
void put_header(Bytes *b);
/* A module from raw sections: the header followed by `sections` bytes. */
Bytes bytes_module(const uint8_t *sections, size_t n);
#define RAW_MODULE(...) bytes_module((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* ---- The module builder ------------------------------------------------------------------------ */
/* Types are strings: params ':' results, one letter per value type: i i32, l i64, f f32, d f64,
 * r funcref, x externref (e.g. "ii:i"). Imports must be added before the module's own entries of the
 * same kind; indices come back from each call. */
typedef struct WMod {
    Bytes types, imports, funcs, tables, mems, globals, exports, elems, datas, code, names, customs;
    uint32_t ntypes, nimports, nfuncs, nimp_funcs, ntables, nmems, nglobals, nexports, nelems, ndatas,
        nnames;
    uint32_t ndef_tables, ndef_globals; /* the module's own, after the imported ones */
    char *sigs[64];
    bool has_start, datacount;
    uint32_t start;
} WMod;

void wm_init(WMod *m);
void wm_free(WMod *m);
uint8_t wm_valtype(char c);
uint32_t wm_type(WMod *m, const char *sig);
uint32_t wm_import_func(WMod *m, const char *mod, const char *name, const char *sig);
uint32_t wm_import_table(WMod *m, const char *mod, const char *name, char elem, uint32_t min, int64_t max);
uint32_t wm_import_memory(WMod *m, const char *mod, const char *name, uint32_t min, int64_t max);
uint32_t wm_import_global(WMod *m, const char *mod, const char *name, char type, bool mut);
/* A function: its type, its declared locals (one letter each), its code without the final `end`. */
uint32_t wm_func(WMod *m, const char *sig, const char *locals, const uint8_t *code, size_t n);
#define WFUNC(m, sig, locals, ...) \
    wm_func((m), (sig), (locals), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
uint32_t wm_table(WMod *m, char elem, uint32_t min, int64_t max);      /* max < 0: none */
uint32_t wm_memory(WMod *m, uint32_t min, int64_t max);
/* A global with its initializer (without `end`). */
uint32_t wm_global(WMod *m, char type, bool mut, const uint8_t *init, size_t n);
#define WGLOBAL(m, type, mut, ...) \
    wm_global((m), (type), (mut), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
void wm_export(WMod *m, const char *name, lodge_extern_kind_t kind, uint32_t index);
void wm_start(WMod *m, uint32_t func);
/* An element segment, written raw (flags and everything after). */
void wm_elem_raw(WMod *m, const uint8_t *seg, size_t n);
#define WELEM(m, ...) wm_elem_raw((m), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
/* Active table-0 segment of function indices at a constant offset. */
void wm_elem_funcs(WMod *m, uint32_t offset, const uint32_t *funcs, size_t n);
void wm_data(WMod *m, uint32_t offset, const void *bytes, size_t n);   /* active, memory 0 */
void wm_data_passive(WMod *m, const void *bytes, size_t n);
void wm_data_at_global(WMod *m, uint32_t global, const void *bytes, size_t n); /* offset: global.get */
void wm_datacount(WMod *m);
void wm_func_name(WMod *m, uint32_t func, const char *name);           /* name section entry */
void wm_custom(WMod *m, const char *name, const void *bytes, size_t n);
/* The module's bytes (caller frees them with bytes_free); the builder stays usable. */
Bytes wm_finish(const WMod *m);

/* ---- Values ------------------------------------------------------------------------------------ */
lodge_val_t vi32(int32_t v);
lodge_val_t vi64(int64_t v);
lodge_val_t vf32(float v);
lodge_val_t vf64(double v);
lodge_val_t vf32b(uint32_t bits);
lodge_val_t vf64b(uint64_t bits);
lodge_val_t vref(lodge_valtype_t type, void *p);
uint32_t f32_bits(float v);
uint64_t f64_bits(double v);

/* ---- The rig: engine, module, store, instance ------------------------------------------------- */
typedef struct Rig {
    lodge_engine_t *engine;
    lodge_module_t *module;
    lodge_store_t *store;
    lodge_instance_t *inst;
    lodge_error_t err;         /* of the last failing step */
    bool own_engine, own_store;
} Rig;

typedef struct RigOpts {
    const lodge_config_t *cfg;
    const lodge_store_limits_t *limits;
    const lodge_extern_t *imports;
    size_t nimports;
    lodge_engine_t *engine;    /* share this engine (not deleted by rig_close) */
    lodge_store_t *store;      /* use this store (not deleted by rig_close) */
} RigOpts;

/* Compile and instantiate; false (with r->err) at the first failing step. Always rig_close after. */
bool rig_open(Rig *r, const Bytes *bin, const RigOpts *opts);
void rig_close(Rig *r);
lodge_func_t *rig_func(Rig *r, const char *name);

typedef struct Call {
    bool ok;
    lodge_val_t r[8];
    lodge_error_t err;
} Call;

/* Call export `name` with nargs lodge_val_t arguments. A missing export comes back as an ARG error. */
Call rig_call(Rig *r, const char *name, int nargs, ...);

/* Build a module of one function `f` (type sig, no locals) with code, instantiate it with o (may be
 * NULL), call f with nargs lodge_val_t arguments, and tear it all down. A failure to build comes back
 * as the call's error (status MALFORMED/INVALID/...). */
Call run_code(const char *sig, const uint8_t *code, size_t n, const RigOpts *o, int nargs, ...);
#define CODE(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

/* Checks on a call's outcome (the Call is passed by value so a rig_call can be written inline). */
bool unit_check_call(UnitCtx *t, const char *file, int line, const char *expr, Call c, int kind, uint64_t want);
bool unit_check_trap(UnitCtx *t, const char *file, int line, const char *expr, Call c, lodge_trap_kind_t want);
#define CHECK_I32(call, want) unit_check_call(t, __FILE__, __LINE__, #call, (call), 'i', (uint32_t)(int32_t)(want))
#define CHECK_I64(call, want) unit_check_call(t, __FILE__, __LINE__, #call, (call), 'l', (uint64_t)(int64_t)(want))
#define CHECK_F32(call, bits) unit_check_call(t, __FILE__, __LINE__, #call, (call), 'f', (uint32_t)(bits))
#define CHECK_F64(call, bits) unit_check_call(t, __FILE__, __LINE__, #call, (call), 'd', (uint64_t)(bits))
/* Any NaN (the spec's nan:arithmetic when payloads are not checked). */
#define CHECK_F32_NAN(call) unit_check_call(t, __FILE__, __LINE__, #call, (call), 'n', 0)
#define CHECK_F64_NAN(call) unit_check_call(t, __FILE__, __LINE__, #call, (call), 'N', 0)
#define CHECK_OK(call) unit_check_call(t, __FILE__, __LINE__, #call, (call), 0, 0)
#define CHECK_TRAP(call, kind) unit_check_trap(t, __FILE__, __LINE__, #call, (call), (kind))

#endif
