/* opcode.h: the Opcode enum and instruction facts, generated from opcodes.def. */
#ifndef LODGE_WASM_OPCODE_H
#define LODGE_WASM_OPCODE_H

#include <stdint.h>

typedef enum Opcode {
#define OP(id, name, code, imm, a, b, r) OP_##id,
#include "wasm/opcodes.def"
#undef OP
    OP_COUNT_
} Opcode;

typedef enum ImmKind {
    IMM_NONE, IMM_BLOCK, IMM_LABEL, IMM_BRTABLE, IMM_FUNC, IMM_CALLI, IMM_LOCAL, IMM_GLOBAL, IMM_TABLE,
    IMM_MEM, IMM_MEMIDX, IMM_I32, IMM_I64, IMM_F32, IMM_F64, IMM_SELECTT, IMM_REFNULL, IMM_MEMINIT,
    IMM_DATA, IMM_MEMCOPY, IMM_TABLEINIT, IMM_ELEM, IMM_TABLECOPY,
} ImmKind;

/* Operand type codes of opcodes.def: 0 none, 'S' special, else the value type byte. */
typedef struct OpInfo {
    const char *name;
    uint16_t code;
    uint8_t imm;         /* ImmKind */
    uint8_t a, b, r;     /* value types (LODGE_I32...), 0 = none, 'S' = special rule */
} OpInfo;

extern const OpInfo opcode_info[OP_COUNT_];
/* Map an encoding to an Opcode: byte b (not 0xFC), or 0xFC prefix with sub-opcode sub. -1 if unknown. */
int opcode_lookup(uint8_t b);
int opcode_lookup_fc(uint32_t sub);

#endif
