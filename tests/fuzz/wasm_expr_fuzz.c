/* wasm_expr_fuzz.c: libFuzzer target that turns its input into a well-typed expression program (i32 and i64
 * arithmetic, comparisons, conversions, locals, select, if, br_if, calls, loads) and computes, while it
 * writes the bytes, the result WebAssembly's semantics give, or the trap. Lodge must compile the module
 * (the generator only writes valid code) and return exactly that result or trap, with guard pages and with
 * explicit bounds checks. This checks the interpreter's lowering (operands in place, constant operands,
 * fused compares and address adds) against an independent evaluator. WASM_EXPR_DUMP=FILE writes the
 * generated module of each input run to FILE, with the expected outcome on stderr. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lodge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CODE 6000
#define MAX_DEPTH 9
#define DATA_LEN 1024

typedef struct Buf {
    uint8_t p[MAX_CODE + 64];
    size_t len;
} Buf;

typedef struct Gen {
    const uint8_t *in;
    size_t n, i;
    Buf code;
    int depth;
    uint32_t s[4];           /* i32 scratch locals 2..5 */
    uint64_t l[2];           /* i64 scratch locals 6..7 */
    uint32_t p0;             /* param 0 (i32) */
    uint64_t p1;             /* param 1 (i64) */
    bool trapped;
    lodge_trap_kind_t trap;
} Gen;

static uint32_t take(Gen *g, uint32_t n)
{
    if (g->i >= g->n || n == 0)
        return 0;
    return g->in[g->i++] % n;
}

static uint32_t take32(Gen *g)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++)
        v = v << 8 | take(g, 256);
    return v;
}

static void b8(Gen *g, uint8_t v)
{
    if (g->code.len < sizeof g->code.p)
        g->code.p[g->code.len++] = v;
}

static void sleb(Gen *g, int64_t v)
{
    for (;;) {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
        b8(g, c | (done ? 0 : 0x80));
        if (done)
            return;
    }
}

static void trap(Gen *g, bool live, lodge_trap_kind_t k)
{
    if (live && !g->trapped) {
        g->trapped = true;
        g->trap = k;
    }
}

static uint8_t pattern(uint64_t addr) { return addr < DATA_LEN ? (uint8_t)(addr * 37 + 11) : 0; }

static const uint32_t k32[] = {0, 1, 2, 7, 31, 32, 33, 0x7fffffff, 0x80000000u, 0xffffffffu, 0xfffffffeu, 100, 1023};
static const uint64_t k64[] = {0, 1, 2, 63, 64, 65, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, 0xffffffffull,
                               0x100000000ull, 12345678901ull};

static uint64_t gen64(Gen *g, bool live);

static uint32_t rotl32(uint32_t x, uint32_t k) { k &= 31; return k ? (x << k) | (x >> (32 - k)) : x; }
static uint64_t rotl64(uint64_t x, uint64_t k) { k &= 63; return k ? (x << k) | (x >> (64 - k)) : x; }

static uint32_t gen32(Gen *g, bool live)
{
    uint32_t v = 0;
    g->depth++;
    unsigned choice = (g->depth > MAX_DEPTH || g->code.len > MAX_CODE - 64 || g->i >= g->n) ? take(g, 3) : take(g, 14);
    switch (choice) {
    case 0: { /* constant */
        v = take(g, 2) ? k32[take(g, sizeof k32 / sizeof k32[0])] : take32(g);
        b8(g, 0x41);
        sleb(g, (int32_t)v);
        break;
    }
    case 1: /* param */
        b8(g, 0x20); b8(g, 0);
        v = g->p0;
        break;
    case 2: { /* scratch local */
        unsigned k = take(g, 4);
        b8(g, 0x20); b8(g, (uint8_t)(2 + k));
        v = g->s[k];
        break;
    }
    case 3: case 4: { /* binary operator */
        uint32_t a = gen32(g, live), b = gen32(g, live);
        static const uint8_t ops[] = {0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76,
                                      0x77, 0x78, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
        uint8_t op = ops[take(g, sizeof ops)];
        b8(g, op);
        int32_t sa = (int32_t)a, sb = (int32_t)b;
        switch (op) {
        case 0x6a: v = a + b; break;
        case 0x6b: v = a - b; break;
        case 0x6c: v = a * b; break;
        case 0x6d:
            if (b == 0) trap(g, live, LODGE_TRAP_DIV_ZERO);
            else if (sa == INT32_MIN && sb == -1) trap(g, live, LODGE_TRAP_INT_OVERFLOW);
            else v = (uint32_t)(sa / sb);
            break;
        case 0x6e: if (b == 0) trap(g, live, LODGE_TRAP_DIV_ZERO); else v = a / b; break;
        case 0x6f:
            if (b == 0) trap(g, live, LODGE_TRAP_DIV_ZERO);
            else v = (sb == -1) ? 0 : (uint32_t)(sa % sb);
            break;
        case 0x70: if (b == 0) trap(g, live, LODGE_TRAP_DIV_ZERO); else v = a % b; break;
        case 0x71: v = a & b; break;
        case 0x72: v = a | b; break;
        case 0x73: v = a ^ b; break;
        case 0x74: v = a << (b & 31); break;
        case 0x75: v = (uint32_t)(sa >> (b & 31)); break;
        case 0x76: v = a >> (b & 31); break;
        case 0x77: v = rotl32(a, b); break;
        case 0x78: v = rotl32(a, 32 - (b & 31)); break;
        case 0x46: v = a == b; break;
        case 0x47: v = a != b; break;
        case 0x48: v = sa < sb; break;
        case 0x49: v = a < b; break;
        case 0x4a: v = sa > sb; break;
        case 0x4b: v = a > b; break;
        case 0x4c: v = sa <= sb; break;
        case 0x4d: v = a <= b; break;
        case 0x4e: v = sa >= sb; break;
        default: v = a >= b; break;
        }
        break;
    }
    case 5: { /* unary operator */
        uint32_t a = gen32(g, live);
        static const uint8_t ops[] = {0x67, 0x68, 0x69, 0x45, 0xc0, 0xc1};
        uint8_t op = ops[take(g, sizeof ops)];
        b8(g, op);
        switch (op) {
        case 0x67: v = a ? (uint32_t)__builtin_clz(a) : 32; break;
        case 0x68: v = a ? (uint32_t)__builtin_ctz(a) : 32; break;
        case 0x69: v = (uint32_t)__builtin_popcount(a); break;
        case 0x45: v = a == 0; break;
        case 0xc0: v = (uint32_t)(int32_t)(int8_t)a; break;
        default: v = (uint32_t)(int32_t)(int16_t)a; break;
        }
        break;
    }
    case 6: { /* i64 comparison or wrap */
        uint64_t a = gen64(g, live);
        if (take(g, 3) == 0) {
            b8(g, 0xa7);
            v = (uint32_t)a;
            break;
        }
        if (take(g, 4) == 0) {
            b8(g, 0x50);
            v = a == 0;
            break;
        }
        uint64_t b = gen64(g, live);
        static const uint8_t ops[] = {0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a};
        uint8_t op = ops[take(g, sizeof ops)];
        b8(g, op);
        int64_t sa = (int64_t)a, sb = (int64_t)b;
        switch (op) {
        case 0x51: v = a == b; break;
        case 0x52: v = a != b; break;
        case 0x53: v = sa < sb; break;
        case 0x54: v = a < b; break;
        case 0x55: v = sa > sb; break;
        case 0x56: v = a > b; break;
        case 0x57: v = sa <= sb; break;
        case 0x58: v = a <= b; break;
        case 0x59: v = sa >= sb; break;
        default: v = a >= b; break;
        }
        break;
    }
    case 7: { /* local.tee */
        unsigned k = take(g, 4);
        v = gen32(g, live);
        b8(g, 0x22); b8(g, (uint8_t)(2 + k));
        if (live)
            g->s[k] = v;
        break;
    }
    case 8: { /* local.set, then a value */
        unsigned k = take(g, 4);
        uint32_t a = gen32(g, live);
        b8(g, 0x21); b8(g, (uint8_t)(2 + k));
        if (live)
            g->s[k] = a;
        v = gen32(g, live);
        break;
    }
    case 9: { /* select */
        uint32_t a = gen32(g, live), b = gen32(g, live), c = gen32(g, live);
        b8(g, 0x1b);
        v = c ? a : b;
        break;
    }
    case 10: { /* if (result i32) */
        uint32_t c = gen32(g, live);
        b8(g, 0x04); b8(g, 0x7f);
        uint32_t a = gen32(g, live && c);
        b8(g, 0x05);
        uint32_t b = gen32(g, live && !c);
        b8(g, 0x0b);
        v = c ? a : b;
        break;
    }
    case 11: { /* block (result i32): V C br_if 0 drop W end */
        b8(g, 0x02); b8(g, 0x7f);
        uint32_t a = gen32(g, live);
        uint32_t c = gen32(g, live);
        b8(g, 0x0d); b8(g, 0);
        b8(g, 0x1a);
        uint32_t b = gen32(g, live && !c);
        b8(g, 0x0b);
        v = c ? a : b;
        break;
    }
    case 12: { /* call the helper: h(x) = x * 3 + 1 */
        uint32_t a = gen32(g, live);
        b8(g, 0x10); b8(g, 0);
        v = a * 3 + 1;
        break;
    }
    default: { /* a load from memory: 1 page, the first DATA_LEN bytes a known pattern */
        uint32_t a = gen32(g, live);
        unsigned kind = take(g, 4);
        uint32_t off = take(g, 3) == 0 ? 65533 : take(g, 64);
        static const uint8_t ops[] = {0x2d, 0x2c, 0x2e, 0x28}; /* load8_u, load8_s, load16_s, load */
        static const unsigned sizes[] = {1, 1, 2, 4};
        b8(g, ops[kind]);
        b8(g, 0);
        sleb(g, off); /* small: a u32 LEB128 of at most 3 bytes here, same bits as sleb for < 2^20 */
        uint64_t ea = (uint64_t)a + off;
        if (ea + sizes[kind] > 65536) {
            trap(g, live, LODGE_TRAP_MEMORY_OOB);
            break;
        }
        uint32_t raw = 0;
        for (unsigned k = 0; k < sizes[kind]; k++)
            raw |= (uint32_t)pattern(ea + k) << (8 * k);
        switch (kind) {
        case 0: v = raw; break;
        case 1: v = (uint32_t)(int32_t)(int8_t)raw; break;
        case 2: v = (uint32_t)(int32_t)(int16_t)raw; break;
        default: v = raw; break;
        }
        break;
    }
    }
    g->depth--;
    return v;
}

static uint64_t gen64(Gen *g, bool live)
{
    uint64_t v = 0;
    g->depth++;
    unsigned choice = (g->depth > MAX_DEPTH || g->code.len > MAX_CODE - 64 || g->i >= g->n) ? take(g, 3) : take(g, 8);
    switch (choice) {
    case 0:
        v = take(g, 2) ? k64[take(g, sizeof k64 / sizeof k64[0])] : ((uint64_t)take32(g) << 32 | take32(g));
        b8(g, 0x42);
        sleb(g, (int64_t)v);
        break;
    case 1:
        b8(g, 0x20); b8(g, 1);
        v = g->p1;
        break;
    case 2: {
        unsigned k = take(g, 2);
        b8(g, 0x20); b8(g, (uint8_t)(6 + k));
        v = g->l[k];
        break;
    }
    case 3: case 4: {
        uint64_t a = gen64(g, live), b = gen64(g, live);
        static const uint8_t ops[] = {0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
                                      0x89, 0x8a};
        uint8_t op = ops[take(g, sizeof ops)];
        b8(g, op);
        int64_t sa = (int64_t)a, sb = (int64_t)b;
        switch (op) {
        case 0x7c: v = a + b; break;
        case 0x7d: v = a - b; break;
        case 0x7e: v = a * b; break;
        case 0x7f:
            if (b == 0) trap(g, live, LODGE_TRAP_DIV_ZERO);
            else if (sa == INT64_MIN && sb == -1) trap(g, live, LODGE_TRAP_INT_OVERFLOW);
            else v = (uint64_t)(sa / sb);
            break;
        case 0x80: if (b == 0) trap(g, live, LODGE_TRAP_DIV_ZERO); else v = a / b; break;
        case 0x81:
            if (b == 0) trap(g, live, LODGE_TRAP_DIV_ZERO);
            else v = (sb == -1) ? 0 : (uint64_t)(sa % sb);
            break;
        case 0x82: if (b == 0) trap(g, live, LODGE_TRAP_DIV_ZERO); else v = a % b; break;
        case 0x83: v = a & b; break;
        case 0x84: v = a | b; break;
        case 0x85: v = a ^ b; break;
        case 0x86: v = a << (b & 63); break;
        case 0x87: v = (uint64_t)(sa >> (b & 63)); break;
        case 0x88: v = a >> (b & 63); break;
        case 0x89: v = rotl64(a, b); break;
        default: v = rotl64(a, 64 - (b & 63)); break;
        }
        break;
    }
    case 5: { /* from i32 */
        uint32_t a = gen32(g, live);
        if (take(g, 2)) { b8(g, 0xac); v = (uint64_t)(int64_t)(int32_t)a; }
        else { b8(g, 0xad); v = a; }
        break;
    }
    case 6: { /* unary */
        uint64_t a = gen64(g, live);
        static const uint8_t ops[] = {0x79, 0x7a, 0x7b, 0xc2, 0xc3, 0xc4};
        uint8_t op = ops[take(g, sizeof ops)];
        b8(g, op);
        switch (op) {
        case 0x79: v = a ? (uint64_t)__builtin_clzll(a) : 64; break;
        case 0x7a: v = a ? (uint64_t)__builtin_ctzll(a) : 64; break;
        case 0x7b: v = (uint64_t)__builtin_popcountll(a); break;
        case 0xc2: v = (uint64_t)(int64_t)(int8_t)a; break;
        case 0xc3: v = (uint64_t)(int64_t)(int16_t)a; break;
        default: v = (uint64_t)(int64_t)(int32_t)a; break;
        }
        break;
    }
    default: { /* local.tee of an i64 scratch local, or an if */
        if (take(g, 2)) {
            unsigned k = take(g, 2);
            v = gen64(g, live);
            b8(g, 0x22); b8(g, (uint8_t)(6 + k));
            if (live)
                g->l[k] = v;
        } else {
            uint32_t c = gen32(g, live);
            b8(g, 0x04); b8(g, 0x7e);
            uint64_t a = gen64(g, live && c);
            b8(g, 0x05);
            uint64_t b = gen64(g, live && !c);
            b8(g, 0x0b);
            v = c ? a : b;
        }
        break;
    }
    }
    g->depth--;
    return v;
}

typedef struct Out {
    uint8_t *p;
    size_t len, cap;
} Out;

static void put(Out *o, const void *p, size_t n)
{
    if (o->len + n > o->cap) {
        o->cap = (o->len + n) * 2;
        o->p = realloc(o->p, o->cap);
        if (!o->p)
            abort();
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
}
static void put8(Out *o, uint8_t v) { put(o, &v, 1); }
static void uleb(Out *o, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        put8(o, c | (v ? 0x80 : 0));
    } while (v);
}
static void section(Out *o, uint8_t id, const Out *s)
{
    put8(o, id);
    uleb(o, s->len);
    put(o, s->p, s->len);
}

/* The module: helper h (i32)->i32 = x*3+1; main f (i32, i64)->i64 with 4 i32 and 2 i64 locals; memory of
 * one page whose first DATA_LEN bytes hold the pattern. */
static void build(const Gen *g, Out *m)
{
    Out s = {0};
    put(m, "\0asm\1\0\0\0", 8);
    static const uint8_t types[] = {2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7e, 1, 0x7e};
    put(&s, types, sizeof types); section(m, 1, &s); s.len = 0;
    put(&s, (const uint8_t[]){2, 0, 1}, 3); section(m, 3, &s); s.len = 0;
    put(&s, (const uint8_t[]){1, 0, 1}, 3); section(m, 5, &s); s.len = 0;
    put(&s, (const uint8_t[]){1, 1, 'f', 0, 1}, 5); section(m, 7, &s); s.len = 0;
    static const uint8_t helper[] = {0, 0x20, 0, 0x41, 3, 0x6c, 0x41, 1, 0x6a, 0x0b};
    Out body = {0};
    put(&body, (const uint8_t[]){2, 4, 0x7f, 2, 0x7e}, 5);
    put(&body, g->code.p, g->code.len);
    put8(&body, 0x0b);
    uleb(&s, 2);
    uleb(&s, sizeof helper); put(&s, helper, sizeof helper);
    uleb(&s, body.len); put(&s, body.p, body.len);
    section(m, 10, &s); s.len = 0;
    put(&s, (const uint8_t[]){1, 0, 0x41, 0, 0x0b}, 5);
    uleb(&s, DATA_LEN);
    for (unsigned k = 0; k < DATA_LEN; k++)
        put8(&s, pattern(k));
    section(m, 11, &s);
    free(s.p);
    free(body.p);
}

static void fail(const char *what, const Out *m, const char *detail)
{
    fprintf(stderr, "wasm_expr_fuzz: %s: %s (module of %zu bytes)\n", what, detail, m->len);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Gen g;
    memset(&g, 0, sizeof g);
    g.in = data;
    g.n = size;
    g.p0 = take32(&g);
    g.p1 = (uint64_t)take32(&g) << 32 | take32(&g);
    uint32_t p0 = g.p0;
    uint64_t p1 = g.p1;
    uint64_t want = gen64(&g, true);
    Out m = {0};
    build(&g, &m);
    const char *dump = getenv("WASM_EXPR_DUMP"); /* for reading a failing case: wasm2wat the file */
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (f) {
            fwrite(m.p, 1, m.len, f);
            fclose(f);
        }
        fprintf(stderr, "wasm_expr_fuzz: f(%d, %lld) should give %s 0x%llx\n", (int32_t)p0, (long long)p1,
                g.trapped ? "the trap" : "", g.trapped ? (unsigned long long)g.trap : (unsigned long long)want);
    }
    for (int checked = 0; checked < 2; checked++) {
        lodge_config_t cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.bounds_checks = checked;
        cfg.max_value_stack = 64 * 1024; /* no recursion here: small stacks keep each run cheap */
        cfg.max_call_depth = 16;
        lodge_engine_t *e = lodge_engine_new(&cfg);
        lodge_error_t err;
        lodge_module_t *mod = lodge_module_new(e, m.p, m.len, &err);
        if (!mod)
            fail("the generated module was rejected", &m, err.message);
        lodge_store_t *s = lodge_store_new(e, NULL);
        lodge_instance_t *in = lodge_instance_new(s, mod, NULL, 0, &err);
        if (!in)
            fail("instantiation failed", &m, err.message);
        lodge_extern_t x;
        if (!lodge_instance_export(in, "f", &x))
            fail("no export f", &m, "");
        lodge_val_t args[2], res[1];
        memset(args, 0, sizeof args);
        args[0].type = LODGE_I32;
        args[0].of.i32 = (int32_t)p0;
        args[1].type = LODGE_I64;
        args[1].of.i64 = (int64_t)p1;
        bool ok = lodge_func_call(s, x.of.func, args, 2, res, 1, &err);
        char detail[512];
        if (g.trapped) {
            if (ok || err.trap != g.trap) {
                snprintf(detail, sizeof detail, "%s: expected trap \"%s\", got %s%s",
                         checked ? "bounds checks" : "guard pages", lodge_trap_name(g.trap),
                         ok ? "a result" : "", ok ? "" : err.message);
                fail("wrong outcome", &m, detail);
            }
        } else if (!ok || (uint64_t)res[0].of.i64 != want) {
            snprintf(detail, sizeof detail, "%s: expected 0x%llx, got %s 0x%llx",
                     checked ? "bounds checks" : "guard pages", (unsigned long long)want, ok ? "" : err.message,
                     ok ? (unsigned long long)res[0].of.i64 : 0ull);
            fail("wrong result", &m, detail);
        }
        lodge_store_delete(s);
        lodge_module_delete(mod);
        lodge_engine_delete(e);
    }
    free(m.p);
    return 0;
}
