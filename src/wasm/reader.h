/* reader.h: a bounds-checked cursor over module bytes, shared by the decoder, the validator, the lowering
 * and the disassembler. Every read checks the end; the first failure is latched with its offset and the
 * spec's message, and later reads return zeros, so callers check `r->failed` at convenient points. */
#ifndef LODGE_WASM_READER_H
#define LODGE_WASM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/leb128.h"

typedef struct Reader {
    const uint8_t *p;
    size_t pos, end;
    bool failed;
    size_t fail_offset;
    const char *fail_msg;
} Reader;

static inline void reader_fail(Reader *r, const char *msg)
{
    if (!r->failed) {
        r->failed = true;
        r->fail_offset = r->pos;
        r->fail_msg = msg;
    }
    r->pos = r->end;
}

static inline bool reader_eof(const Reader *r) { return r->pos >= r->end; }

static inline uint8_t reader_u8(Reader *r)
{
    if (r->pos >= r->end) {
        reader_fail(r, "unexpected end");
        return 0;
    }
    return r->p[r->pos++];
}

static inline void reader_leb_fail(Reader *r, LebStatus st)
{
    reader_fail(r, st == LEB_TRUNCATED ? "unexpected end"
                   : st == LEB_TOO_LONG ? "integer representation too long"
                                        : "integer too large");
}

static inline uint32_t reader_u32(Reader *r)
{
    uint64_t v = 0;
    LebStatus st = r->failed ? LEB_TRUNCATED : leb_read_u(r->p, r->end, &r->pos, 32, &v);
    if (st != LEB_OK) {
        reader_leb_fail(r, st);
        return 0;
    }
    return (uint32_t)v;
}

static inline int32_t reader_s32(Reader *r)
{
    int64_t v = 0;
    LebStatus st = r->failed ? LEB_TRUNCATED : leb_read_s(r->p, r->end, &r->pos, 32, &v);
    if (st != LEB_OK) {
        reader_leb_fail(r, st);
        return 0;
    }
    return (int32_t)v;
}

static inline int64_t reader_s33(Reader *r)
{
    int64_t v = 0;
    LebStatus st = r->failed ? LEB_TRUNCATED : leb_read_s(r->p, r->end, &r->pos, 33, &v);
    if (st != LEB_OK) {
        reader_leb_fail(r, st);
        return 0;
    }
    return v;
}

static inline int64_t reader_s64(Reader *r)
{
    int64_t v = 0;
    LebStatus st = r->failed ? LEB_TRUNCATED : leb_read_s(r->p, r->end, &r->pos, 64, &v);
    if (st != LEB_OK) {
        reader_leb_fail(r, st);
        return 0;
    }
    return v;
}

static inline uint32_t reader_fixed32(Reader *r)
{
    if (r->end - r->pos < 4 || r->pos > r->end) {
        reader_fail(r, "unexpected end");
        return 0;
    }
    uint32_t v;
    memcpy(&v, r->p + r->pos, 4);
    r->pos += 4;
    return v;
}

static inline uint64_t reader_fixed64(Reader *r)
{
    if (r->end - r->pos < 8 || r->pos > r->end) {
        reader_fail(r, "unexpected end");
        return 0;
    }
    uint64_t v;
    memcpy(&v, r->p + r->pos, 8);
    r->pos += 8;
    return v;
}

/* A value type byte (the spec's s7): "integer representation too long" with a continuation bit, a clear
 * message for v128, "malformed value type" otherwise; 0 on failure. */
uint8_t reader_valtype(Reader *r);

/* One decoded instruction: its Opcode and immediates. */
typedef struct Instr {
    uint16_t op;          /* Opcode */
    size_t offset;        /* of the opcode byte */
    int64_t blocktype;    /* IMM_BLOCK: -64 (0x40) empty, negative value type, or type index >= 0 */
    uint32_t a, b;        /* indices: label/func/local/global/table/type, memarg align/offset, ... */
    uint64_t bits;        /* constants */
    uint32_t br_count;    /* IMM_BRTABLE: number of labels before the default */
    size_t br_labels;     /* IMM_BRTABLE: reader offset of the label vector */
    ValType select_type;  /* IMM_SELECTT */
} Instr;

/* Read one instruction. On an unknown opcode fails with "illegal opcode". */
bool reader_instr(Reader *r, Instr *in);

#endif
