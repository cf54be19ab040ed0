/* leb128.c: unit tests of base/leb128.h: maximum lengths, overlong forms, the unused-bit rules of u32,
 * s32, s33 and s64, and truncation. */
#include <string.h>

#include "base/leb128.h"
#include "unit.h"

typedef struct {
    const char *what;
    unsigned bits;
    bool is_signed;
    uint8_t bytes[12];
    size_t n;
    LebStatus st;
    uint64_t value;  /* (as bits, when signed) */
    size_t used;     /* bytes consumed on success */
} LebCase;

#define B(...) {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})

static const LebCase cases[] = {
    /* unsigned 32 */
    {"u32 zero", 32, false, B(0x00), LEB_OK, 0, 1},
    {"u32 127", 32, false, B(0x7f), LEB_OK, 127, 1},
    {"u32 128", 32, false, B(0x80, 0x01), LEB_OK, 128, 2},
    {"u32 max", 32, false, B(0xff, 0xff, 0xff, 0xff, 0x0f), LEB_OK, 0xffffffffu, 5},
    {"u32 padded zero", 32, false, B(0x80, 0x80, 0x80, 0x80, 0x00), LEB_OK, 0, 5},
    {"u32 stops at end byte", 32, false, B(0x05, 0xff), LEB_OK, 5, 1},
    {"u32 unused bit 4", 32, false, B(0xff, 0xff, 0xff, 0xff, 0x1f), LEB_TOO_LARGE, 0, 0},
    {"u32 unused bit 6", 32, false, B(0x80, 0x80, 0x80, 0x80, 0x40), LEB_TOO_LARGE, 0, 0},
    {"u32 6 bytes", 32, false, B(0x80, 0x80, 0x80, 0x80, 0x80, 0x00), LEB_TOO_LONG, 0, 0},
    /* last byte with unused bits and the continuation bit: too large (the reference decoder's order) */
    {"u32 unused bits and continuation", 32, false, B(0x80, 0x80, 0x80, 0x80, 0xf0, 0x00), LEB_TOO_LARGE, 0, 0},
    {"u32 continuation only", 32, false, B(0x80, 0x80, 0x80, 0x80, 0x8f, 0x00), LEB_TOO_LONG, 0, 0},
    {"u32 empty", 32, false, {0}, 0, LEB_TRUNCATED, 0, 0},
    {"u32 truncated", 32, false, B(0x80, 0x80), LEB_TRUNCATED, 0, 0},
    {"u32 truncated at 4", 32, false, B(0xff, 0xff, 0xff, 0xff), LEB_TRUNCATED, 0, 0},
    /* unsigned 64 */
    {"u64 max", 64, false, B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), LEB_OK, UINT64_MAX, 10},
    {"u64 unused bit", 64, false, B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02), LEB_TOO_LARGE, 0, 0},
    {"u64 11 bytes", 64, false, B(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), LEB_TOO_LONG, 0, 0},
    /* signed 32 */
    {"s32 -1", 32, true, B(0x7f), LEB_OK, (uint64_t)-1, 1},
    {"s32 63", 32, true, B(0x3f), LEB_OK, 63, 1},
    {"s32 64", 32, true, B(0xc0, 0x00), LEB_OK, 64, 2},
    {"s32 -64", 32, true, B(0x40), LEB_OK, (uint64_t)-64, 1},
    {"s32 -65", 32, true, B(0xbf, 0x7f), LEB_OK, (uint64_t)-65, 2},
    {"s32 min", 32, true, B(0x80, 0x80, 0x80, 0x80, 0x78), LEB_OK, (uint64_t)(int64_t)INT32_MIN, 5},
    {"s32 max", 32, true, B(0xff, 0xff, 0xff, 0xff, 0x07), LEB_OK, INT32_MAX, 5},
    {"s32 padded -1", 32, true, B(0xff, 0xff, 0xff, 0xff, 0x7f), LEB_OK, (uint64_t)-1, 5},
    {"s32 positive with sign bits", 32, true, B(0xff, 0xff, 0xff, 0xff, 0x0f), LEB_TOO_LARGE, 0, 0},
    {"s32 unused bits mixed", 32, true, B(0x80, 0x80, 0x80, 0x80, 0x70), LEB_TOO_LARGE, 0, 0},
    {"s32 negative without sign bits", 32, true, B(0x80, 0x80, 0x80, 0x80, 0x08), LEB_TOO_LARGE, 0, 0},
    {"s32 6 bytes", 32, true, B(0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), LEB_TOO_LONG, 0, 0},
    {"s32 unused bits and continuation", 32, true, B(0x80, 0x80, 0x80, 0x80, 0xf0, 0x7f), LEB_TOO_LARGE, 0, 0},
    {"s32 truncated", 32, true, B(0xff), LEB_TRUNCATED, 0, 0},
    /* signed 33 (block types) */
    {"s33 max", 33, true, B(0xff, 0xff, 0xff, 0xff, 0x0f), LEB_OK, 0xffffffffu, 5},
    {"s33 min", 33, true, B(0x80, 0x80, 0x80, 0x80, 0x70), LEB_OK, (uint64_t)-(int64_t)0x100000000, 5},
    {"s33 unused bits", 33, true, B(0x80, 0x80, 0x80, 0x80, 0x10), LEB_TOO_LARGE, 0, 0},
    {"s33 unused bits negative", 33, true, B(0xff, 0xff, 0xff, 0xff, 0x6f), LEB_TOO_LARGE, 0, 0},
    {"s33 6 bytes", 33, true, B(0x80, 0x80, 0x80, 0x80, 0x80, 0x00), LEB_TOO_LONG, 0, 0},
    /* signed 64 */
    {"s64 min", 64, true, B(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f), LEB_OK,
     (uint64_t)INT64_MIN, 10},
    {"s64 max", 64, true, B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00), LEB_OK, INT64_MAX, 10},
    {"s64 padded -1", 64, true, B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), LEB_OK,
     (uint64_t)-1, 10},
    {"s64 unused bit positive", 64, true, B(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
     LEB_TOO_LARGE, 0, 0},
    {"s64 unused bit negative", 64, true, B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7e),
     LEB_TOO_LARGE, 0, 0},
    {"s64 11 bytes", 64, true, B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), LEB_TOO_LONG,
     0, 0},
    {"s64 truncated at 9", 64, true, B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), LEB_TRUNCATED, 0, 0},
};

static void table(UnitCtx *t)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const LebCase *c = &cases[i];
        size_t pos = 0;
        uint64_t u = 0;
        int64_t sv = 0;
        LebStatus st = c->is_signed ? leb_read_s(c->bytes, c->n, &pos, c->bits, &sv)
                                    : leb_read_u(c->bytes, c->n, &pos, c->bits, &u);
        if (c->is_signed)
            u = (uint64_t)sv;
        CHECKF(st == c->st, "%s: status %d, expected %d", c->what, st, c->st);
        if (c->st == LEB_OK) {
            CHECKF(u == c->value, "%s: value 0x%llx, expected 0x%llx", c->what, (unsigned long long)u,
                   (unsigned long long)c->value);
            CHECKF(pos == c->used, "%s: consumed %zu bytes, expected %zu", c->what, pos, c->used);
        } else {
            CHECKF(pos == 0, "%s: a failed read moved the position to %zu", c->what, pos);
        }
    }
}

/* Reading starts at *pos and never looks past `end`, even when the buffer goes on. */
static void respects_bounds(UnitCtx *t)
{
    const uint8_t buf[] = {0xaa, 0x80, 0x80, 0x01, 0x05};
    size_t pos = 1;
    uint64_t v = 0;
    CHECK_INT(leb_read_u(buf, 3, &pos, 32, &v), LEB_TRUNCATED);
    CHECK_INT(pos, 1);
    CHECK_INT(leb_read_u(buf, 4, &pos, 32, &v), LEB_OK);
    CHECK_U64(v, 1u << 14);
    CHECK_INT(pos, 4);
    int64_t s = 0;
    CHECK_INT(leb_read_s(buf, 5, &pos, 32, &s), LEB_OK);
    CHECK_INT(s, 5);
    CHECK_INT(pos, 5);
    CHECK_INT(leb_read_s(buf, 5, &pos, 64, &s), LEB_TRUNCATED);
}

/* Every 32-bit value round-trips through its minimal encoding, spot-checked across the range. */
static void round_trip(UnitCtx *t)
{
    unsigned bad = 0;
    for (uint64_t k = 0; k < 70000; k++) {
        uint32_t v = (uint32_t)(k * 2654435761u) ^ (uint32_t)(k >> 3);
        uint8_t buf[10];
        size_t n = 0;
        uint32_t x = v;
        do {
            uint8_t c = x & 0x7f;
            x >>= 7;
            buf[n++] = c | (x ? 0x80 : 0);
        } while (x);
        size_t pos = 0;
        uint64_t got = 0;
        if (leb_read_u(buf, n, &pos, 32, &got) != LEB_OK || got != v || pos != n)
            bad++;
        int32_t sv = (int32_t)v;
        int64_t y = sv;
        n = 0;
        for (;;) {
            uint8_t c = (uint8_t)(y & 0x7f);
            y >>= 7;
            bool done = (y == 0 && !(c & 0x40)) || (y == -1 && (c & 0x40));
            buf[n++] = c | (done ? 0 : 0x80);
            if (done)
                break;
        }
        pos = 0;
        int64_t sgot = 0;
        if (leb_read_s(buf, n, &pos, 32, &sgot) != LEB_OK || sgot != sv || pos != n)
            bad++;
    }
    CHECK_INT(bad, 0);
}

UNIT_SUITE(leb128, UNIT_TEST(table), UNIT_TEST(respects_bounds), UNIT_TEST(round_trip));
