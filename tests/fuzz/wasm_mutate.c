/* wasm_mutate.c: the deterministic mutation test of the process VM. It feeds thousands of truncated,
 * bit-flipped, byte-patched and spliced variants of seed modules, and hand-made hostile ones (huge counts,
 * deep nesting, giant locals, long LEB128s, runaway loops and recursion, huge memories and tables), to the
 * fuzz target's entry point (wasm_fuzz.c, with its oracles), and asserts no crash and no hang.
 * Each category runs in a child process; after a crash the parent saves the input and goes on with the next.
 * Usage: wasm-mutate [-seed N] [-scale F] [-out DIR] [SEED.wasm | DIR]...
 * Ends with `N passed, N failed` (one per input). */
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lodge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_SEEDS 400
#define MUT_MAX_INPUT (8u << 20)
#define INPUT_TIMEOUT 20 /* seconds for one input, sanitizers included: more is a hang */

/* ---- Byte buffers ---- */
typedef struct Buf {
    uint8_t *p;
    size_t len, cap;
} Buf;

static void put(Buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            perror("wasm-mutate");
            exit(2);
        }
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}
static void put8(Buf *b, uint8_t v) { put(b, &v, 1); }
static void uleb(Buf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        put8(b, c | (v ? 0x80 : 0));
    } while (v);
}
static void section(Buf *b, uint8_t id, const Buf *payload)
{
    put8(b, id);
    uleb(b, payload->len);
    put(b, payload->p, payload->len);
}
static void header(Buf *b) { put(b, "\0asm\1\0\0\0", 8); }

/* ---- Deterministic randomness ---- */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}
typedef struct Rng { uint64_t s; } Rng;
static uint64_t next(Rng *r) { return r->s = mix(r->s + 0x9e3779b97f4a7c15ull); }
static uint32_t below(Rng *r, uint32_t n) { return n ? (uint32_t)(next(r) % n) : 0; }

/* ---- Seeds ---- */
typedef struct Seed {
    uint8_t *p;
    size_t len;
} Seed;

typedef struct Ctx {
    Seed seeds[MAX_SEEDS];
    size_t nseeds;
    uint64_t seed;
    double scale;
} Ctx;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void collect(const char *path, char ***names, size_t *n, size_t *cap)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            collect(sub, names, n, cap);
        }
        closedir(d);
        return;
    }
    size_t l = strlen(path);
    if (l < 5 || strcmp(path + l - 5, ".wasm") != 0 || st.st_size > (off_t)MUT_MAX_INPUT)
        return;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *names = realloc(*names, *cap * sizeof **names);
    }
    (*names)[(*n)++] = strdup(path);
}

/* Built-in seeds, so the test has something to mutate without the spec suite's modules. */
static void builtin_seeds(Ctx *c)
{
    static const uint8_t mods[][64] = {
        /* (func (export "f") (result i32) (i32.const 42)) */
        {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 5, 1, 1, 'f', 0, 0,
         10, 6, 1, 4, 0, 0x41, 42, 0x0b},
        /* memory 1, (func (export "f") loop: i32.load; br_if) */
        {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 5, 1, 1, 'f', 0, 0,
         10, 14, 1, 12, 0, 0x03, 0x40, 0x41, 0, 0x28, 2, 0, 0x0d, 0, 0x0b, 0x0b},
        /* table, call_indirect, import of a function */
        {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 7, 1, 1, 'm', 1, 'f', 0, 0, 3, 2, 1, 0, 4, 4, 1,
         0x70, 0, 2, 7, 5, 1, 1, 'f', 0, 1, 9, 7, 1, 0, 0x41, 0, 0x0b, 1, 0, 10, 9, 1, 7, 0, 0x41, 1, 0x11, 0, 0,
         0x0b},
    };
    static const size_t lens[] = {34, 46, 62};
    for (size_t i = 0; i < 3 && c->nseeds < MAX_SEEDS; i++) {
        c->seeds[c->nseeds].p = malloc(lens[i]);
        memcpy(c->seeds[c->nseeds].p, mods[i], lens[i]);
        c->seeds[c->nseeds++].len = lens[i];
    }
}

static bool read_file(const char *path, Seed *s)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    s->p = malloc(MUT_MAX_INPUT);
    s->len = s->p ? fread(s->p, 1, MUT_MAX_INPUT, f) : 0;
    fclose(f);
    if (!s->len) {
        free(s->p);
        return false;
    }
    uint8_t *fit = realloc(s->p, s->len);
    if (fit)
        s->p = fit;
    return true;
}

/* Three quarters valid modules (mutations of those reach the interpreter), a quarter of the spec's
 * malformed and invalid ones, each group an even spread over the sorted file names. */
static void load_seeds(Ctx *c, char **paths, int npaths)
{
    builtin_seeds(c);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < npaths; i++)
        collect(paths[i], &names, &n, &cap);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    lodge_engine_t *engine = lodge_engine_new(NULL);
    Seed *valid = calloc(n + 1, sizeof *valid), *other = calloc(n + 1, sizeof *other);
    size_t nvalid = 0, nother = 0;
    for (size_t i = 0; i < n; i++) {
        Seed s;
        if (!read_file(names[i], &s))
            continue;
        if (lodge_module_validate(engine, s.p, s.len, NULL))
            valid[nvalid++] = s;
        else
            other[nother++] = s;
    }
    size_t room = MAX_SEEDS - c->nseeds, want_other = room / 4;
    if (want_other > nother)
        want_other = nother;
    size_t want_valid = room - want_other;
    if (want_valid > nvalid)
        want_valid = nvalid;
    for (size_t k = 0; k < want_valid; k++) {
        size_t i = k * nvalid / want_valid;
        c->seeds[c->nseeds++] = valid[i];
        valid[i].p = NULL;
    }
    for (size_t k = 0; k < want_other; k++) {
        size_t i = k * nother / want_other;
        c->seeds[c->nseeds++] = other[i];
        other[i].p = NULL;
    }
    for (size_t i = 0; i < nvalid; i++)
        free(valid[i].p);
    for (size_t i = 0; i < nother; i++)
        free(other[i].p);
    free(valid);
    free(other);
    lodge_engine_delete(engine);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- Mutations: input i of a category is a function of (seed, category, i) alone ---- */
static const Seed *pick(const Ctx *c, Rng *r) { return &c->seeds[below(r, (uint32_t)c->nseeds)]; }

static void gen_truncate(const Ctx *c, Rng *r, Buf *b)
{
    const Seed *s = pick(c, r);
    size_t cut = s->len > 1 ? below(r, (uint32_t)s->len) : 0;
    put(b, s->p, cut);
}

static void gen_bitflip(const Ctx *c, Rng *r, Buf *b)
{
    const Seed *s = pick(c, r);
    put(b, s->p, s->len);
    unsigned flips = 1 + below(r, 8);
    for (unsigned k = 0; k < flips && b->len > 8; k++) {
        size_t at = 8 + below(r, (uint32_t)(b->len - 8)); /* keep the header: go past it */
        b->p[at] ^= (uint8_t)(1u << below(r, 8));
    }
}

/* Overwrite, insert or delete bytes, preferring the values that stress a decoder. */
static void gen_bytes(const Ctx *c, Rng *r, Buf *b)
{
    static const uint8_t hot[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x41, 0x0b, 0x60, 0x70, 0x6f, 0xfc, 0x02, 0x03};
    const Seed *s = pick(c, r);
    put(b, s->p, s->len);
    unsigned edits = 1 + below(r, 4);
    for (unsigned k = 0; k < edits && b->len > 8; k++) {
        size_t at = 8 + below(r, (uint32_t)(b->len - 8));
        uint8_t v = below(r, 3) ? hot[below(r, sizeof hot)] : (uint8_t)next(r);
        switch (below(r, 4)) {
        case 0: case 1: b->p[at] = v; break;
        case 2: /* insert */
            put8(b, 0);
            memmove(b->p + at + 1, b->p + at, b->len - at - 1);
            b->p[at] = v;
            break;
        default: /* delete */
            memmove(b->p + at, b->p + at + 1, b->len - at - 1);
            b->len--;
        }
    }
}

/* A run of 0xff bytes (an unterminated or overlong LEB128) written over a random place. */
static void gen_leb(const Ctx *c, Rng *r, Buf *b)
{
    const Seed *s = pick(c, r);
    put(b, s->p, s->len);
    if (b->len <= 9)
        return;
    size_t at = 8 + below(r, (uint32_t)(b->len - 8));
    size_t n = 1 + below(r, 12);
    uint8_t fill = below(r, 2) ? 0xff : 0x80;
    for (size_t k = 0; k < n && at + k < b->len; k++)
        b->p[at + k] = fill;
    if (below(r, 2) && at + n < b->len)
        b->p[at + n] = below(r, 2) ? 0x7f : 0x0f;
}

/* The sections of one seed, then those of another: out of order, duplicated, or a strange mix. */
static void gen_splice(const Ctx *c, Rng *r, Buf *b)
{
    const Seed *x = pick(c, r), *y = pick(c, r);
    size_t cx = x->len > 8 ? 8 + below(r, (uint32_t)(x->len - 8)) : x->len;
    size_t cy = y->len > 8 ? 8 + below(r, (uint32_t)(y->len - 8)) : y->len;
    put(b, x->p, cx);
    if (y->len > cy)
        put(b, y->p + cy, y->len - cy);
}

/* ---- Hostile modules, built by hand ---- */

/* A module of one function type [] -> [] (or [] -> [i32]), one function with `body` (locals included),
 * optionally memory 0 of `pages`, exported as "f". */
static void one_func(Buf *b, const Buf *body, bool result_i32, int pages)
{
    Buf s = {0};
    header(b);
    uleb(&s, 1); put8(&s, 0x60); uleb(&s, 0); uleb(&s, result_i32 ? 1 : 0); if (result_i32) put8(&s, 0x7f);
    section(b, 1, &s); s.len = 0;
    uleb(&s, 1); uleb(&s, 0); section(b, 3, &s); s.len = 0;
    if (pages >= 0) { uleb(&s, 1); put8(&s, 0); uleb(&s, (uint64_t)pages); section(b, 5, &s); s.len = 0; }
    uleb(&s, 1); uleb(&s, 1); put8(&s, 'f'); put8(&s, 0); uleb(&s, 0); section(b, 7, &s); s.len = 0;
    uleb(&s, 1); uleb(&s, body->len); put(&s, body->p, body->len); section(b, 10, &s);
    free(s.p);
}

#define OPS(...) put(&f, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void gen_hostile(const Ctx *c, Rng *r, Buf *b, uint32_t i)
{
    (void)c;
    Buf f = {0}, s = {0};
    switch (i % 24) {
    case 0: case 1: case 2: { /* deep nesting: 99,999 / 100,000 / 1,000,000 blocks, closed */
        size_t depth = i % 24 == 0 ? 99999 : i % 24 == 1 ? 100000 : 1000000;
        OPS(0);
        for (size_t k = 0; k < depth; k++) OPS(0x02, 0x40);
        for (size_t k = 0; k < depth; k++) OPS(0x0b);
        OPS(0x0b);
        one_func(b, &f, false, -1);
        break;
    }
    case 3: { /* 100,000 blocks never closed */
        OPS(0);
        for (size_t k = 0; k < 100000; k++) OPS(0x02, 0x40);
        one_func(b, &f, false, -1);
        break;
    }
    case 4: { /* nested ifs and loops, each with a result */
        OPS(0);
        for (size_t k = 0; k < 50000; k++) OPS(0x41, 1, 0x04, 0x7f, 0x03, 0x7f);
        OPS(0x41, 7);
        for (size_t k = 0; k < 50000; k++) OPS(0x0b, 0x05, 0x41, 0, 0x0b);
        OPS(0x0b);
        one_func(b, &f, true, -1);
        break;
    }
    case 5: /* giant locals count */
        OPS(1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b);
        one_func(b, &f, false, -1);
        break;
    case 6: /* locals whose counts sum past 2^32 */
        OPS(3, 0xff, 0xff, 0xff, 0xff, 0x07, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x07, 0x7e, 2, 0x7d, 0x0b);
        one_func(b, &f, false, -1);
        break;
    case 7: /* 50,000 locals (the limit), used in a call that recurses */
        OPS(1, 0xd0, 0x86, 0x03, 0x7e, 0x10, 0, 0x0b);
        one_func(b, &f, false, -1);
        break;
    case 8: { /* a huge count in every section id, with little behind it */
        header(b);
        uint8_t id = (uint8_t)(1 + (i / 24) % 12);
        uleb(&s, 0xffffffffu); put8(&s, 0);
        section(b, id, &s);
        break;
    }
    case 9: /* a section size LEB128 of 1000 bytes */
        header(b);
        put8(b, 1);
        for (int k = 0; k < 999; k++) put8(b, 0x80);
        put8(b, 0);
        break;
    case 10: /* br_table claiming 2^32-1 labels */
        OPS(0, 0x41, 0, 0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0x0b);
        one_func(b, &f, false, -1);
        break;
    case 11: { /* a real br_table of 200,000 labels */
        OPS(0, 0x02, 0x40, 0x41, 5, 0x0e);
        uleb(&f, 200000);
        for (int k = 0; k < 200000; k++) OPS(0);
        OPS(0, 0x0b, 0x0b);
        one_func(b, &f, false, -1);
        break;
    }
    case 12: /* an infinite loop (fuel stops it) */
        OPS(0, 0x03, 0x40, 0x0c, 0, 0x0b, 0x0b);
        one_func(b, &f, false, -1);
        break;
    case 13: /* infinite recursion (the frame limit stops it) */
        OPS(0, 0x10, 0, 0x0b);
        one_func(b, &f, false, -1);
        break;
    case 14: /* memory.grow to the store's limit in a loop, then touch the end */
        OPS(0, 0x03, 0x40, 0x41, 1, 0x40, 0, 0x41, 0x7f, 0x47, 0x0d, 0, 0x0b,
            0x3f, 0, 0x41, 0x10, 0x74, 0x41, 4, 0x6b, 0x28, 2, 0, 0x1a, 0x0b);
        one_func(b, &f, false, 1);
        break;
    case 15: /* 65,536 pages of memory (over the store's limit) */
        OPS(0, 0x0b);
        one_func(b, &f, false, 65536);
        break;
    case 16: /* memory.fill of 4 GiB over one page: traps before writing */
        OPS(0, 0x41, 0, 0x41, 0, 0x41, 0x7f, 0xfc, 0x0b, 0, 0x0b);
        one_func(b, &f, false, 1);
        break;
    case 17: { /* a table of 10,000,000 funcrefs */
        header(b);
        uleb(&s, 1); put8(&s, 0x70); put8(&s, 0); uleb(&s, 10000000);
        section(b, 4, &s);
        break;
    }
    case 18: { /* 100,000 i32.const on the operand stack, all dropped */
        OPS(0);
        for (int k = 0; k < 100000; k++) OPS(0x41, 1);
        for (int k = 0; k < 100000; k++) OPS(0x1a);
        OPS(0x0b);
        one_func(b, &f, false, -1);
        break;
    }
    case 19: { /* 20,000 functions calling the next, exported: a long call chain */
        header(b);
        uleb(&s, 1); put8(&s, 0x60); uleb(&s, 0); uleb(&s, 0); section(b, 1, &s); s.len = 0;
        uleb(&s, 20000);
        for (int k = 0; k < 20000; k++) uleb(&s, 0);
        section(b, 3, &s); s.len = 0;
        uleb(&s, 1); uleb(&s, 1); put8(&s, 'f'); put8(&s, 0); uleb(&s, 0); section(b, 7, &s); s.len = 0;
        uleb(&s, 20000);
        for (int k = 0; k < 20000; k++) {
            Buf body = {0};
            put8(&body, 0);
            if (k + 1 < 20000) { put8(&body, 0x10); uleb(&body, (uint64_t)k + 1); }
            put8(&body, 0x0b);
            uleb(&s, body.len);
            put(&s, body.p, body.len);
            free(body.p);
        }
        section(b, 10, &s);
        break;
    }
    case 20: { /* a data segment at offset 0xffffffff */
        header(b);
        uleb(&s, 1); put8(&s, 0); uleb(&s, 1); section(b, 5, &s); s.len = 0;
        uleb(&s, 1); put8(&s, 0); put8(&s, 0x41); put8(&s, 0x7f); put8(&s, 0x0b); uleb(&s, 1); put8(&s, 'x');
        section(b, 11, &s);
        break;
    }
    case 21: { /* 10,000 imports of every kind */
        header(b);
        uleb(&s, 1); put8(&s, 0x60); uleb(&s, 1); put8(&s, 0x7f); uleb(&s, 1); put8(&s, 0x7e);
        section(b, 1, &s); s.len = 0;
        uleb(&s, 10000);
        for (int k = 0; k < 10000; k++) {
            uleb(&s, 1); put8(&s, 'm'); uleb(&s, 1); put8(&s, 'n');
            switch (k % 3) {
            case 0: put8(&s, 0); uleb(&s, 0); break;
            case 1: put8(&s, 3); put8(&s, 0x7c); put8(&s, (uint8_t)(k & 1)); break;
            default: put8(&s, 1); put8(&s, 0x6f); put8(&s, 0); uleb(&s, 1); break;
            }
        }
        section(b, 2, &s);
        break;
    }
    case 22: { /* a name section of garbage, and names of invalid UTF-8 */
        OPS(0, 0x0b);
        one_func(b, &f, false, -1);
        s.len = 0;
        uleb(&s, 4); put(&s, "name", 4);
        for (int k = 0; k < 64; k++) put8(&s, (uint8_t)next(r));
        section(b, 0, &s);
        break;
    }
    default: { /* a function type of 1,000 params and results, called */
        header(b);
        uleb(&s, 1); put8(&s, 0x60); uleb(&s, 1000);
        for (int k = 0; k < 1000; k++) put8(&s, 0x7f);
        uleb(&s, 1000);
        for (int k = 0; k < 1000; k++) put8(&s, 0x7e);
        section(b, 1, &s); s.len = 0;
        uleb(&s, 1); uleb(&s, 0); section(b, 3, &s); s.len = 0;
        uleb(&s, 1); uleb(&s, 1); put8(&s, 'f'); put8(&s, 0); uleb(&s, 0); section(b, 7, &s); s.len = 0;
        Buf body = {0};
        put8(&body, 0);
        for (int k = 0; k < 1000; k++) { put8(&body, 0x42); put8(&body, (uint8_t)(k & 0x3f)); }
        put8(&body, 0x0b);
        uleb(&s, 1); uleb(&s, body.len); put(&s, body.p, body.len); free(body.p);
        section(b, 10, &s);
        break;
    }
    }
    free(f.p);
    free(s.p);
}

/* ---- Categories ---- */
typedef void (*GenFn)(const Ctx *c, Rng *r, Buf *b);
typedef struct Category {
    const char *name;
    GenFn gen;
    unsigned count;     /* inputs at scale 1 */
} Category;

static const Category categories[] = {
    {"truncated", gen_truncate, 20000},
    {"bit-flipped", gen_bitflip, 30000},
    {"byte-patched", gen_bytes, 30000},
    {"long-leb128", gen_leb, 10000},
    {"spliced", gen_splice, 10000},
    {"hostile", NULL, 48},
};
#define NCAT (sizeof categories / sizeof categories[0])

static void generate(const Ctx *c, size_t cat, uint32_t i, Buf *b)
{
    Rng r = {mix(c->seed ^ mix(cat + 1) ^ mix((uint64_t)i << 20))};
    b->len = 0;
    if (categories[cat].gen)
        categories[cat].gen(c, &r, b);
    else
        gen_hostile(c, &r, b, i);
    if (b->len > MUT_MAX_INPUT)
        b->len = MUT_MAX_INPUT;
}

/* What a child shares with its parent: how far it got, and the input it is on. */
typedef struct Shared {
    uint32_t done;          /* inputs finished */
    uint32_t current;       /* index of the input being run */
    double slowest;         /* seconds */
    uint32_t slowest_i;
    uint32_t valid;         /* inputs that were valid modules (so they were instantiated and run) */
    size_t len;
    uint8_t input[MUT_MAX_INPUT];
} Shared;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void run_child(const Ctx *c, size_t cat, uint32_t from, uint32_t count, Shared *sh)
{
    Buf b = {0};
    lodge_engine_t *engine = lodge_engine_new(NULL);
    for (uint32_t i = from; i < count; i++) {
        generate(c, cat, i, &b);
        sh->current = i;
        sh->len = b.len;
        memcpy(sh->input, b.p, b.len);
        alarm(INPUT_TIMEOUT);
        double t0 = now();
        LLVMFuzzerTestOneInput(b.p, b.len);
        double dt = now() - t0;
        alarm(0);
        if (dt > sh->slowest) {
            sh->slowest = dt;
            sh->slowest_i = i;
        }
        sh->done = i + 1 - from;
        if (engine && lodge_module_validate(engine, b.p, b.len, NULL))
            sh->valid++;
    }
    lodge_engine_delete(engine);
    free(b.p);
}

int main(int argc, char **argv)
{
    static Ctx ctx;
    ctx.seed = 1;
    ctx.scale = 1.0;
    const char *out = ".";
    int npaths = 0;
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-seed") == 0 && i + 1 < argc)
            ctx.seed = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "-scale") == 0 && i + 1 < argc)
            ctx.scale = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "-out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [-seed N] [-scale F] [-out DIR] [SEED.wasm | DIR]...\n", argv[0]);
            return 2;
        } else
            paths[npaths++] = argv[i];
    }
    load_seeds(&ctx, paths, npaths);
    free(paths);
    LLVMFuzzerInitialize(&argc, &argv);
    printf("wasm-mutate: %zu seed modules, seed %llu, scale %.2f\n", ctx.nseeds, (unsigned long long)ctx.seed,
           ctx.scale);
    fflush(stdout);
    Shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("wasm-mutate: mmap");
        return 2;
    }
    unsigned long passed = 0, failed = 0;
    for (size_t cat = 0; cat < NCAT; cat++) {
        uint32_t count = categories[cat].gen ? (uint32_t)(categories[cat].count * ctx.scale) : categories[cat].count;
        if (count == 0)
            count = 1;
        uint32_t from = 0, cat_failed = 0;
        double t0 = now(), slowest = 0;
        uint32_t slowest_i = 0, valid = 0;
        while (from < count && cat_failed < 5) {
            memset(sh, 0, offsetof(Shared, input));
            fflush(stdout);
            pid_t pid = fork();
            if (pid < 0) {
                perror("wasm-mutate: fork");
                return 2;
            }
            if (pid == 0) {
                run_child(&ctx, cat, from, count, sh);
                _exit(0);
            }
            int st;
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            passed += sh->done;
            valid += sh->valid;
            if (sh->slowest > slowest) {
                slowest = sh->slowest;
                slowest_i = sh->slowest_i;
            }
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
                from = count;
                break;
            }
            /* the input being run crashed, hung or broke an oracle: keep it, go on after it */
            failed++;
            cat_failed++;
            char path[4096];
            snprintf(path, sizeof path, "%s/mutate-%s-%u.wasm", out, categories[cat].name, sh->current);
            FILE *f = fopen(path, "wb");
            if (f) {
                fwrite(sh->input, 1, sh->len, f);
                fclose(f);
            }
            printf("FAIL %s input %u: %s %d; saved as %s\n", categories[cat].name, sh->current,
                   WIFSIGNALED(st) ? (WTERMSIG(st) == SIGALRM ? "hung: killed after timeout, signal" : "killed by signal")
                                   : "exit status",
                   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), path);
            from = sh->current + 1;
        }
        printf("%s %-13s %6u inputs (%u valid), %6.1f s, slowest %.3f s (input %u)\n",
               cat_failed ? "FAIL" : "ok  ", categories[cat].name, count, valid, now() - t0, slowest, slowest_i);
    }
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed ? 1 : 0;
}
