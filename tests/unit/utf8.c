/* utf8.c: unit tests of base/utf8.c, the strict UTF-8 check of names: every length, the boundaries,
 * overlong forms, surrogates, values past U+10FFFF, stray and missing continuation bytes. */
#include <string.h>

#include "base/utf8.h"
#include "unit.h"

typedef struct {
    const char *what;
    uint8_t s[8];
    size_t n;
    bool valid;
} Utf8Case;

#define S(...) {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})

static const Utf8Case cases[] = {
    {"empty", {0}, 0, true},
    {"NUL is valid", S(0x00), true},
    {"ascii", S('a', 'b', 0x7f), true},
    {"2-byte min U+0080", S(0xc2, 0x80), true},
    {"2-byte max U+07FF", S(0xdf, 0xbf), true},
    {"3-byte min U+0800", S(0xe0, 0xa0, 0x80), true},
    {"U+D7FF", S(0xed, 0x9f, 0xbf), true},
    {"U+E000", S(0xee, 0x80, 0x80), true},
    {"U+FFFF", S(0xef, 0xbf, 0xbf), true},
    {"4-byte min U+10000", S(0xf0, 0x90, 0x80, 0x80), true},
    {"U+10FFFF", S(0xf4, 0x8f, 0xbf, 0xbf), true},
    {"overlong 2-byte NUL", S(0xc0, 0x80), false},
    {"overlong 2-byte 0x7F", S(0xc1, 0xbf), false},
    {"overlong 3-byte", S(0xe0, 0x9f, 0xbf), false},
    {"overlong 4-byte", S(0xf0, 0x8f, 0xbf, 0xbf), false},
    {"surrogate U+D800", S(0xed, 0xa0, 0x80), false},
    {"surrogate U+DFFF", S(0xed, 0xbf, 0xbf), false},
    {"past U+10FFFF", S(0xf4, 0x90, 0x80, 0x80), false},
    {"5-byte lead", S(0xf8, 0x88, 0x80, 0x80, 0x80), false},
    {"0xFE", S(0xfe), false},
    {"0xFF", S(0xff), false},
    {"stray continuation", S(0x80), false},
    {"continuation after ascii", S('a', 0xbf), false},
    {"2-byte truncated", S(0xc2), false},
    {"3-byte truncated", S(0xe0, 0xa0), false},
    {"4-byte truncated", S(0xf0, 0x90, 0x80), false},
    {"bad continuation", S(0xc2, 0x41), false},
    {"bad third byte", S(0xe0, 0xa0, 0xc0), false},
    {"valid then invalid", S(0xc2, 0x80, 0xc2), false},
};

static void table(UnitCtx *t)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECKF(utf8_valid(cases[i].s, cases[i].n) == cases[i].valid, "%s: expected %s", cases[i].what,
               cases[i].valid ? "valid" : "invalid");
}

/* Every code point's encoding is accepted, and each surrogate's is refused. */
static void every_code_point(UnitCtx *t)
{
    unsigned wrong = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t b[4];
        size_t n;
        if (cp < 0x80) { b[0] = (uint8_t)cp; n = 1; }
        else if (cp < 0x800) { b[0] = 0xc0 | (cp >> 6); b[1] = 0x80 | (cp & 0x3f); n = 2; }
        else if (cp < 0x10000) {
            b[0] = 0xe0 | (cp >> 12); b[1] = 0x80 | ((cp >> 6) & 0x3f); b[2] = 0x80 | (cp & 0x3f); n = 3;
        } else {
            b[0] = 0xf0 | (cp >> 18); b[1] = 0x80 | ((cp >> 12) & 0x3f); b[2] = 0x80 | ((cp >> 6) & 0x3f);
            b[3] = 0x80 | (cp & 0x3f); n = 4;
        }
        bool want = cp < 0xD800 || cp > 0xDFFF;
        if (utf8_valid(b, n) != want)
            wrong++;
    }
    CHECK_INT(wrong, 0);
}

/* The check stops at n: bytes past it are never read. */
static void length_bound(UnitCtx *t)
{
    const uint8_t s[] = {'o', 'k', 0xff};
    CHECK(utf8_valid(s, 2));
    CHECK(!utf8_valid(s, 3));
    const uint8_t m[] = {0xe2, 0x82, 0xac}; /* U+20AC */
    CHECK(utf8_valid(m, 3));
    CHECK(!utf8_valid(m, 2));
    CHECK(!utf8_valid(m, 1));
}

UNIT_SUITE(utf8, UNIT_TEST(table), UNIT_TEST(every_code_point), UNIT_TEST(length_bound));
