/* opcode.c: the instruction facts table and encoding lookups, from opcodes.def. */
#include "lodge.h"
#include "wasm/opcode.h"

#define T_I LODGE_I32
#define T_L LODGE_I64
#define T_F LODGE_F32
#define T_D LODGE_F64
#define T_S 'S'
#define T__ 0

const OpInfo opcode_info[OP_COUNT_] = {
#define OP(id, nm, cd, im, a, b, r) {nm, cd, IMM_##im, T_##a, T_##b, T_##r},
#include "wasm/opcodes.def"
#undef OP
};

int opcode_lookup(uint8_t b)
{
    switch ((unsigned)b) {
#define OP(id, nm, cd, im, a, b, r) case ((cd) < 0x100 ? (cd) : 0x100 + OP_##id): return (cd) < 0x100 ? OP_##id : -1;
#include "wasm/opcodes.def"
#undef OP
    default: return -1;
    }
}

int opcode_lookup_fc(uint32_t sub)
{
    switch (sub) {
#define OP(id, nm, cd, im, a, b, r) case ((cd) >= 0xFC00 ? (cd) - 0xFC00 : 0x10000 + OP_##id): return (cd) >= 0xFC00 ? OP_##id : -1;
#include "wasm/opcodes.def"
#undef OP
    default: return -1;
    }
}
