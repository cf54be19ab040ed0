/* reader.c: decoding one instruction and its immediates (the shapes come from opcodes.def). */
#include "lodge.h"
#include "wasm/module.h"
#include "wasm/opcode.h"
#include "wasm/reader.h"

/* A value type: a one-byte signed LEB128 (s7) in the spec's grammar, so a continuation bit makes it
 * over-long before it is unknown. Fails with the decoder's messages; returns the type byte. */
uint8_t reader_valtype(Reader *r)
{
    size_t at = r->pos;
    uint8_t t = reader_u8(r);
    if (r->failed)
        return 0;
    if (t & 0x80) {
        reader_fail(r, "integer representation too long");
        return 0;
    }
    switch (t) {
    case LODGE_I32: case LODGE_I64: case LODGE_F32: case LODGE_F64: case LODGE_FUNCREF: case LODGE_EXTERNREF:
        return t;
    case LODGE_V128:
        r->pos = at;
        reader_fail(r, "v128 (SIMD) is not supported");
        return 0;
    default:
        r->pos = at;
        reader_fail(r, "malformed value type");
        return 0;
    }
}

static void zero_byte(Reader *r)
{
    if (reader_u8(r) != 0 && !r->failed) {
        r->pos--;
        reader_fail(r, "zero byte expected");
    }
}

bool reader_instr(Reader *r, Instr *in)
{
    in->offset = r->pos;
    in->a = in->b = 0;
    in->bits = 0;
    uint8_t b = reader_u8(r);
    if (r->failed)
        return false;
    int op;
    if (b == 0xFC) {
        uint32_t sub = reader_u32(r);
        if (r->failed)
            return false;
        op = opcode_lookup_fc(sub);
    } else {
        op = opcode_lookup(b);
    }
    if (op < 0) {
        r->pos = in->offset;
        reader_fail(r, "illegal opcode");
        return false;
    }
    in->op = (uint16_t)op;
    switch ((ImmKind)opcode_info[op].imm) {
    case IMM_NONE:
        break;
    case IMM_BLOCK: {
        /* 0x40 empty, a value type byte, or an s33 type index. A one-byte negative s33 that is neither
         * 0x40 nor a value type is malformed here, where the reference decoder finds it, not invalid. */
        if (r->pos < r->end && r->p[r->pos] == 0x40) {
            in->blocktype = -0x40;
            r->pos++;
        } else if (r->pos < r->end && r->p[r->pos] >= 0x41 && r->p[r->pos] <= 0x7F) {
            in->blocktype = -(int64_t)reader_valtype(r);
        } else {
            in->blocktype = reader_s33(r);
            if (!r->failed && in->blocktype < 0) {
                reader_fail(r, "malformed block type");
            }
        }
        break;
    }
    case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL: case IMM_TABLE: case IMM_DATA:
    case IMM_ELEM:
        in->a = reader_u32(r);
        break;
    case IMM_BRTABLE: {
        size_t at = r->pos;
        in->br_count = reader_u32(r);
        if (!r->failed && in->br_count > r->end - at) { /* a vector's length, as the reference bounds it */
            r->pos = at;
            reader_fail(r, "length out of bounds");
            break;
        }
        in->br_labels = r->pos;
        for (uint64_t i = 0; i <= in->br_count && !r->failed; i++)
            in->a = reader_u32(r); /* the default label ends up in a */
        break;
    }
    case IMM_CALLI:
        in->a = reader_u32(r);
        in->b = reader_u32(r);
        break;
    case IMM_MEM:
        in->a = reader_u32(r); /* alignment exponent: 2^32 and beyond cannot be encoded in 2.0 */
        if (!r->failed && in->a >= 32) {
            reader_fail(r, "malformed memop flags");
            break;
        }
        in->b = reader_u32(r); /* offset */
        break;
    case IMM_MEMIDX:
        zero_byte(r);
        break;
    case IMM_I32:
        in->bits = (uint32_t)reader_s32(r);
        break;
    case IMM_I64:
        in->bits = (uint64_t)reader_s64(r);
        break;
    case IMM_F32:
        in->bits = reader_fixed32(r);
        break;
    case IMM_F64:
        in->bits = reader_fixed64(r);
        break;
    case IMM_SELECTT: {
        size_t at = r->pos;
        in->a = reader_u32(r); /* number of types; the validator insists on 1 */
        in->select_type = 0;
        if (!r->failed && in->a > r->end - at) {
            r->pos = at;
            reader_fail(r, "length out of bounds");
            break;
        }
        for (uint32_t i = 0; i < in->a && !r->failed; i++) {
            uint8_t t = reader_valtype(r);
            if (i == 0)
                in->select_type = t;
        }
        break;
    }
    case IMM_REFNULL:
        in->a = reader_u8(r);
        if (!r->failed && (in->a & 0x80)) {
            reader_fail(r, "integer representation too long");
            break;
        }
        if (!r->failed && in->a != LODGE_FUNCREF && in->a != LODGE_EXTERNREF) {
            r->pos--;
            reader_fail(r, "malformed reference type");
        }
        break;
    case IMM_MEMINIT:
        in->a = reader_u32(r);
        zero_byte(r);
        break;
    case IMM_MEMCOPY:
        zero_byte(r);
        zero_byte(r);
        break;
    case IMM_TABLEINIT:
        in->a = reader_u32(r); /* elem */
        in->b = reader_u32(r); /* table */
        break;
    case IMM_TABLECOPY:
        in->a = reader_u32(r); /* dst table */
        in->b = reader_u32(r); /* src table */
        break;
    }
    return !r->failed;
}
