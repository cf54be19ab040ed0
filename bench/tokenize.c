/* tokenize.c: branchy code: a table-driven tokenizer (a state machine over character classes) for a
 * C-like text it first generates, counting token kinds and hashing identifiers against a keyword set. */
#include "bench.h"

/* The n that bench/run.sh passes to run(): about a second on a fast interpreter. */
#define BENCH_N 200

#define TEXT_BYTES (256u * 1024)
static char text[TEXT_BYTES + 1];

enum { C_SPACE, C_ALPHA, C_DIGIT, C_QUOTE, C_SLASH, C_PUNCT, C_NL, C_OTHER, C_COUNT };
static uint8_t class_of[256];

static const char *const pieces[] = {
    "int ", "return ", "while ", "if ", "else ", "for ", "x", "count", "buffer_len", "i", "j",
    "0", "42", "1000000", "0x1f", " ", "  ", "\n", "+", "-", "*", "/ ", "=", "==", "<", "(", ")",
    "{", "}", ";", ",", "\"str\" ", "\"a longer string literal\" ", "// a comment\n", "/* block */",
};

static uint32_t length(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int contains(const char *set, uint32_t c)
{
    for (; *set; set++)
        if ((uint8_t)*set == c)
            return 1;
    return 0;
}

static void generate(void)
{
    uint32_t seed = 31337, at = 0;
    const uint32_t npieces = sizeof pieces / sizeof pieces[0];
    while (at < TEXT_BYTES - 64) {
        const char *p = pieces[bench_rand(&seed) % npieces];
        uint32_t len = length(p);
        for (uint32_t k = 0; k < len; k++)
            text[at++] = p[k];
    }
    while (at < TEXT_BYTES)
        text[at++] = ' ';
    text[TEXT_BYTES] = 0;
    for (uint32_t c = 0; c < 256; c++) {
        uint8_t k = C_OTHER;
        if (c == ' ' || c == '\t')
            k = C_SPACE;
        else if (c == '\n')
            k = C_NL;
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
            k = C_ALPHA;
        else if (c >= '0' && c <= '9')
            k = C_DIGIT;
        else if (c == '"')
            k = C_QUOTE;
        else if (c == '/')
            k = C_SLASH;
        else if (contains("+-*=<>(){};,!&|", c))
            k = C_PUNCT;
        class_of[c] = k;
    }
}

static int is_keyword(uint32_t h)
{
    /* FNV-1a of int, return, while, if, else, for: a miss costs one switch. */
    switch (h) {
    case 0x95e97e5eu: case 0x85ee37bfu: case 0x0dc628ceu: case 0x39386e06u: case 0xbdbf5bf0u:
    case 0xacf38390u:
        return 1;
    default:
        return 0;
    }
}

static BENCH_NOINLINE uint32_t tokenize(const char *s, uint32_t counts[8])
{
    uint32_t i = 0, h = 2166136261u, lines = 1;
    for (;;) {
        uint8_t c = (uint8_t)s[i];
        if (!c)
            break;
        switch (class_of[c]) {
        case C_SPACE:
            i++;
            break;
        case C_NL:
            lines++;
            i++;
            break;
        case C_ALPHA: {
            uint32_t id = 2166136261u;
            while (class_of[(uint8_t)s[i]] == C_ALPHA || class_of[(uint8_t)s[i]] == C_DIGIT)
                id = (id ^ (uint8_t)s[i++]) * 16777619u;
            counts[is_keyword(id) ? 0 : 1]++;
            h = bench_mix(h, id);
            break;
        }
        case C_DIGIT: {
            uint32_t v = 0;
            if (s[i] == '0' && s[i + 1] == 'x') {
                i += 2;
                for (;;) {
                    char d = s[i];
                    if (d >= '0' && d <= '9') v = v * 16 + (uint32_t)(d - '0');
                    else if (d >= 'a' && d <= 'f') v = v * 16 + (uint32_t)(d - 'a' + 10);
                    else break;
                    i++;
                }
            } else {
                while (class_of[(uint8_t)s[i]] == C_DIGIT)
                    v = v * 10 + (uint32_t)(s[i++] - '0');
            }
            counts[2]++;
            h = bench_mix(h, v);
            break;
        }
        case C_QUOTE:
            i++;
            while (s[i] && s[i] != '"')
                i++;
            if (s[i])
                i++;
            counts[3]++;
            break;
        case C_SLASH:
            if (s[i + 1] == '/') {
                while (s[i] && s[i] != '\n')
                    i++;
                counts[4]++;
            } else if (s[i + 1] == '*') {
                i += 2;
                while (s[i] && !(s[i] == '*' && s[i + 1] == '/'))
                    i++;
                if (s[i])
                    i += 2;
                counts[4]++;
            } else {
                i++;
                counts[5]++;
            }
            break;
        case C_PUNCT:
            /* Two-character operators first. */
            if (s[i] == '=' && s[i + 1] == '=')
                i++;
            i++;
            counts[5]++;
            h = bench_mix(h, c);
            break;
        default:
            i++;
            counts[6]++;
            break;
        }
    }
    return h ^ lines;
}

uint32_t run(uint32_t n)
{
    generate();
    uint32_t h = 0;
    for (uint32_t r = 0; r < n; r++) {
        uint32_t counts[8] = { 0 };
        /* A different window each round, so no two passes are the same work. */
        h = bench_mix(h, tokenize(text + (r * 61) % 4096, counts));
        for (int k = 0; k < 8; k++)
            h = bench_mix(h, counts[k]);
    }
    return h;
}
