/* value.c: the spec runner's values: wast2json's typed bit patterns in, printed values out, and the
 * spec's rules for comparing a result with its expectation (NaN classes, reference identity). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"


/* `ref.extern N` becomes the host pointer N+1: non-NULL, never dereferenced, and maps back to N. */
static void *extern_ptr(uint64_t n) { return (void *)(uintptr_t)(n + 1); }
static uint64_t extern_num(const void *p) { return (uint64_t)(uintptr_t)p - 1; }

static bool type_from_name(const char *s, lodge_valtype_t *out)
{
    static const struct { const char *name; lodge_valtype_t type; } types[] = {
        {"i32", LODGE_I32}, {"i64", LODGE_I64}, {"f32", LODGE_F32}, {"f64", LODGE_F64},
        {"v128", LODGE_V128}, {"funcref", LODGE_FUNCREF}, {"externref", LODGE_EXTERNREF},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (s && strcmp(s, types[i].name) == 0) {
            *out = types[i].type;
            return true;
        }
    return false;
}

const char *value_type_name(lodge_valtype_t t)
{
    switch (t) {
    case LODGE_I32: return "i32";
    case LODGE_I64: return "i64";
    case LODGE_F32: return "f32";
    case LODGE_F64: return "f64";
    case LODGE_V128: return "v128";
    case LODGE_FUNCREF: return "funcref";
    case LODGE_EXTERNREF: return "externref";
    default: return "?";
    }
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

ValueProblem value_parse(const char *ts, const char *vs, bool expected, Expect *out, Text *why)
{
    lodge_valtype_t t;
    memset(out, 0, sizeof *out);
    if (!type_from_name(ts, &t)) {
        text_add(why, "unknown value type %s", ts ? ts : "(none)");
        return VALUE_BAD;
    }
    if (t == LODGE_V128)
        return VALUE_SKIP_V128;
    out->val.type = t;
    out->kind = EXPECT_EXACT;
    if (t == LODGE_FUNCREF || t == LODGE_EXTERNREF) {
        uint64_t n;
        if (!vs) {
            if (!expected)
                goto bad;
            out->kind = EXPECT_NONNULL;
        } else if (strcmp(vs, "null") == 0) {
            out->val.of.ext = NULL; /* of.func and of.ext are both NULL for ref.null */
        } else if (t == LODGE_EXTERNREF && parse_u64(vs, &n)) {
            out->val.of.ext = extern_ptr(n);
        } else {
            goto bad;
        }
        return VALUE_OK;
    }
    if (vs && expected && (t == LODGE_F32 || t == LODGE_F64)) {
        if (strcmp(vs, "nan:canonical") == 0) {
            out->kind = EXPECT_NAN_CANONICAL;
            return VALUE_OK;
        }
        if (strcmp(vs, "nan:arithmetic") == 0) {
            out->kind = EXPECT_NAN_ARITHMETIC;
            return VALUE_OK;
        }
    }
    uint64_t bits;
    if (!parse_u64(vs, &bits))
        goto bad;
    if ((t == LODGE_I32 || t == LODGE_F32) && bits > UINT32_MAX)
        goto bad;
    switch (t) {
    case LODGE_I32: out->val.of.i32 = (int32_t)(uint32_t)bits; break;
    case LODGE_I64: out->val.of.i64 = (int64_t)bits; break;
    case LODGE_F32: out->val.of.f32_bits = (uint32_t)bits; break;
    default: out->val.of.f64_bits = bits; break;
    }
    return VALUE_OK;
bad:
    text_add(why, "bad %s value %s", ts, vs ? vs : "(none)");
    return VALUE_BAD;
}

void value_print(Text *t, const lodge_val_t *v)
{
    float f;
    double d;
    switch (v->type) {
    case LODGE_I32:
        text_add(t, "i32:%" PRId32, v->of.i32);
        if (v->of.i32 < -9 || v->of.i32 > 9)
            text_add(t, "(0x%" PRIx32 ")", (uint32_t)v->of.i32);
        break;
    case LODGE_I64:
        text_add(t, "i64:%" PRId64, v->of.i64);
        if (v->of.i64 < -9 || v->of.i64 > 9)
            text_add(t, "(0x%" PRIx64 ")", (uint64_t)v->of.i64);
        break;
    case LODGE_F32:
        memcpy(&f, &v->of.f32_bits, sizeof f);
        text_add(t, "f32:%.9g(0x%08" PRIx32 ")", (double)f, v->of.f32_bits);
        break;
    case LODGE_F64:
        memcpy(&d, &v->of.f64_bits, sizeof d);
        text_add(t, "f64:%.17g(0x%016" PRIx64 ")", d, v->of.f64_bits);
        break;
    case LODGE_FUNCREF:
        if (!v->of.func)
            text_add(t, "funcref:null");
        else
            text_add(t, "funcref:%s", lodge_func_name(v->of.func) ? lodge_func_name(v->of.func) : "(anonymous)");
        break;
    case LODGE_EXTERNREF:
        if (!v->of.ext)
            text_add(t, "externref:null");
        else
            text_add(t, "externref:%" PRIu64, extern_num(v->of.ext));
        break;
    default:
        text_add(t, "%s:?", value_type_name(v->type));
    }
}

void value_print_expect(Text *t, const Expect *e)
{
    switch (e->kind) {
    case EXPECT_NAN_CANONICAL: text_add(t, "%s:nan:canonical", value_type_name(e->val.type)); break;
    case EXPECT_NAN_ARITHMETIC: text_add(t, "%s:nan:arithmetic", value_type_name(e->val.type)); break;
    case EXPECT_NONNULL: text_add(t, "%s:non-null", value_type_name(e->val.type)); break;
    default: value_print(t, &e->val);
    }
}

bool value_matches(const Expect *e, lodge_valtype_t type, const lodge_val_t *got)
{
    if (type != e->val.type)
        return false;
    switch (type) {
    case LODGE_I32: return got->of.i32 == e->val.of.i32;
    case LODGE_I64: return got->of.i64 == e->val.of.i64;
    case LODGE_F32:
        if (e->kind == EXPECT_NAN_CANONICAL)
            return (got->of.f32_bits & 0x7fffffffu) == 0x7fc00000u;
        if (e->kind == EXPECT_NAN_ARITHMETIC)
            return (got->of.f32_bits & 0x7fc00000u) == 0x7fc00000u;
        return got->of.f32_bits == e->val.of.f32_bits;
    case LODGE_F64:
        if (e->kind == EXPECT_NAN_CANONICAL)
            return (got->of.f64_bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
        if (e->kind == EXPECT_NAN_ARITHMETIC)
            return (got->of.f64_bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
        return got->of.f64_bits == e->val.of.f64_bits;
    case LODGE_FUNCREF:
        if (e->kind == EXPECT_NONNULL)
            return got->of.func != NULL;
        return got->of.func == e->val.of.func;
    case LODGE_EXTERNREF:
        if (e->kind == EXPECT_NONNULL)
            return got->of.ext != NULL;
        return got->of.ext == e->val.of.ext;
    default:
        return false;
    }
}
