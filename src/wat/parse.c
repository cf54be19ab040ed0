/* parse.c: the parser's shared pieces: errors at the cursor, identifier spaces, value types, indices,
 * type uses and block types. Module fields are in module.c, instructions in instr.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "wat/num.h"
#include "wat/parse.h"

bool wat_parse_fail(WatParser *p, const char *fmt, ...)
{
    char msg[LODGE_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Keep the first (innermost) error. */
    if (p->err && p->err->status == LODGE_ERR_MALFORMED)
        return false;
    const WatToken *t = wat_tok(p);
    /* A token the grammar reserves (`0$l`, `data"a"`) is what the spec calls an unknown operator. */
    if (t->kind == WAT_TOK_RESERVED)
        return wat_lex_error(p->err, t, "unknown operator: malformed token '%.*s'", (int)(t->len > 40 ? 40 : t->len),
                             p->text + t->pos);
    return wat_lex_error(p->err, t, "%s", msg);
}

static const char *kind_name(WatTokKind k)
{
    switch (k) {
    case WAT_TOK_EOF: return "end of input";
    case WAT_TOK_LPAR: return "'('";
    case WAT_TOK_RPAR: return "')'";
    case WAT_TOK_KEYWORD: return "a keyword";
    case WAT_TOK_ID: return "an identifier";
    case WAT_TOK_NUM: return "a number";
    case WAT_TOK_STRING: return "a string";
    case WAT_TOK_RESERVED: return "an unknown token";
    }
    return "?";
}

bool wat_parse_expect(WatParser *p, WatTokKind k, const char *what)
{
    const WatToken *t = wat_tok(p);
    if (t->kind != k) {
        if (t->kind == WAT_TOK_RESERVED || t->kind == WAT_TOK_KEYWORD)
            return wat_parse_fail(p, "unexpected token '%.*s', expected %s", (int)(t->len > 40 ? 40 : t->len),
                                  p->text + t->pos, what);
        return wat_parse_fail(p, "unexpected token (%s), expected %s", kind_name(t->kind), what);
    }
    p->pos++;
    return true;
}

bool wat_parse_expect_kw(WatParser *p, const char *kw)
{
    if (!wat_tok_is(p, wat_tok(p), kw)) {
        const WatToken *t = wat_tok(p);
        return wat_parse_fail(p, "unexpected token '%.*s', expected %s", (int)(t->len > 40 ? 40 : t->len),
                              p->text + t->pos, kw);
    }
    p->pos++;
    return true;
}

bool wat_parse_skip(WatParser *p)
{
    int depth = 0;
    do {
        WatTokKind k = wat_tok(p)->kind;
        if (k == WAT_TOK_EOF)
            return wat_parse_fail(p, "unexpected end of input, expected ')'");
        if (k == WAT_TOK_LPAR)
            depth++;
        else if (k == WAT_TOK_RPAR)
            depth--;
        p->pos++;
    } while (depth > 0);
    return true;
}

bool wat_parse_valtype(WatParser *p, uint8_t *out)
{
    static const struct { const char *name; uint8_t code; } types[] = {
        {"i32", LODGE_I32}, {"i64", LODGE_I64}, {"f32", LODGE_F32}, {"f64", LODGE_F64},
        {"v128", LODGE_V128}, {"funcref", LODGE_FUNCREF}, {"externref", LODGE_EXTERNREF},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (wat_tok_is(p, wat_tok(p), types[i].name)) {
            *out = types[i].code;
            p->pos++;
            return true;
        }
    const WatToken *t = wat_tok(p);
    if (t->kind == WAT_TOK_KEYWORD)
        return wat_parse_fail(p, "unexpected token: unknown operator %.*s, expected a value type",
                              (int)(t->len > 40 ? 40 : t->len), p->text + t->pos);
    return wat_parse_fail(p, "unexpected token, expected a value type");
}

bool wat_parse_reftype(WatParser *p, uint8_t *out)
{
    if (wat_tok_is(p, wat_tok(p), "funcref"))
        *out = LODGE_FUNCREF;
    else if (wat_tok_is(p, wat_tok(p), "externref"))
        *out = LODGE_EXTERNREF;
    else
        return wat_parse_fail(p, "unexpected token, expected a reference type");
    p->pos++;
    return true;
}

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

int64_t wat_parse_space_find(const WatParser *p, const WatSpace *s, const WatToken *id)
{
    if (!s->nslots)
        return -1;
    const char *name = p->text + id->pos;
    for (uint32_t h = name_hash(name, id->len) & (s->nslots - 1);; h = (h + 1) & (s->nslots - 1)) {
        uint32_t slot = s->slots[h];
        if (!slot)
            return -1;
        const WatName *n = &s->v[slot - 1];
        if (n->len == id->len && memcmp(p->text + n->pos, name, id->len) == 0)
            return slot - 1;
    }
}

static void slot_insert(const char *text, WatSpace *s, uint32_t index)
{
    const WatName *n = &s->v[index];
    uint32_t h = name_hash(text + n->pos, n->len) & (s->nslots - 1);
    while (s->slots[h])
        h = (h + 1) & (s->nslots - 1);
    s->slots[h] = index + 1;
}

bool wat_parse_space_add(WatParser *p, WatSpace *s, const WatToken *id, const char *what)
{
    if (id && wat_parse_space_find(p, s, id) >= 0)
        return wat_lex_error(p->err, id, "duplicate %s %.*s", what, (int)id->len, p->text + id->pos);
    if (s->n == s->cap) {
        uint32_t nc = s->cap ? s->cap * 2 : 16;
        WatName *nv = realloc(s->v, nc * sizeof *nv);
        if (!nv)
            return wat_parse_fail(p, "out of memory");
        s->v = nv;
        s->cap = nc;
    }
    WatName nm = {0, 0};
    if (id) {
        nm.pos = id->pos;
        nm.len = id->len;
    }
    s->v[s->n++] = nm;
    if (!id)
        return true;
    if (2 * (s->nnamed + 1) > s->nslots) {
        /* Keep the table at most half full; rebuild it from the named entries. */
        uint32_t ns = s->nslots ? s->nslots * 2 : 16;
        uint32_t *slots = calloc(ns, sizeof *slots);
        if (!slots)
            return wat_parse_fail(p, "out of memory");
        free(s->slots);
        s->slots = slots;
        s->nslots = ns;
        for (uint32_t i = 0; i + 1 < s->n; i++)
            if (s->v[i].len)
                slot_insert(p->text, s, i);
    }
    slot_insert(p->text, s, s->n - 1);
    s->nnamed++;
    return true;
}

void wat_parse_space_free(WatSpace *s)
{
    free(s->v);
    free(s->slots);
    memset(s, 0, sizeof *s);
}

bool wat_parse_index(WatParser *p, const WatSpace *space, const char *what, uint32_t *out)
{
    const WatToken *t = wat_tok(p);
    if (t->kind == WAT_TOK_NUM) {
        if (!wat_num_u32(p->text + t->pos, t->len, out))
            return wat_parse_fail(p, wat_num_is_int(p->text + t->pos, t->len) && p->text[t->pos] != '-' &&
                                             p->text[t->pos] != '+'
                                         ? "i32 constant out of range (%s index)"
                                         : "unknown operator (malformed %s index)",
                                  what);
        p->pos++;
        return true;
    }
    if (t->kind == WAT_TOK_ID) {
        int64_t i = wat_parse_space_find(p, space, t);
        if (i < 0)
            return wat_parse_fail(p, "unknown %s %.*s", what, (int)t->len, p->text + t->pos);
        *out = (uint32_t)i;
        p->pos++;
        return true;
    }
    return wat_parse_fail(p, "unexpected token, expected a %s index", what);
}

/* (param $id t) | (param t*) ... then (result t*)...: the inline part of a type use. */
static bool parse_sig(WatParser *p, WatFunc *bind, bool allow_names, WatBuf *params, WatBuf *results,
                      bool *any)
{
    while (wat_at_lpar_kw(p, "param")) {
        *any = true;
        p->pos += 2;
        if (wat_at(p, WAT_TOK_ID)) {
            if (!allow_names)
                return wat_parse_fail(p, "unexpected token: an identifier is not allowed here");
            const WatToken *id = wat_tok(p);
            p->pos++;
            uint8_t t;
            if (!wat_parse_valtype(p, &t))
                return false;
            wat_buf_byte(params, t);
            if (bind && !wat_parse_space_add(p, &bind->locals, id, "local"))
                return false;
        } else {
            while (!wat_at(p, WAT_TOK_RPAR)) {
                uint8_t t;
                if (!wat_parse_valtype(p, &t))
                    return false;
                wat_buf_byte(params, t);
                if (bind && !wat_parse_space_add(p, &bind->locals, NULL, "local"))
                    return false;
            }
        }
        if (!wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
            return false;
    }
    while (wat_at_lpar_kw(p, "result")) {
        *any = true;
        p->pos += 2;
        while (!wat_at(p, WAT_TOK_RPAR)) {
            uint8_t t;
            if (!wat_parse_valtype(p, &t))
                return false;
            wat_buf_byte(results, t);
        }
        p->pos++;
    }
    return true;
}

static bool same(const WatBuf *a, const WatBuf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Shared by type uses and block types: explicit (type x) and/or inline signature. */
static bool parse_use(WatParser *p, WatFunc *bind, bool allow_names, bool *has_idx, uint32_t *idx,
                      WatBuf *params, WatBuf *results)
{
    WatModule *m = p->m;
    *has_idx = false;
    const WatToken *at = wat_tok(p);
    if (wat_at_lpar_kw(p, "type")) {
        p->pos += 2;
        if (!wat_parse_index(p, &m->type_ids, "type", idx) || !wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
            return false;
        *has_idx = true;
    }
    bool any = false;
    if (!parse_sig(p, bind, allow_names, params, results, &any))
        return false;
    if (wat_at_lpar_kw(p, "type") || wat_at_lpar_kw(p, "param") || wat_at_lpar_kw(p, "result"))
        return wat_parse_fail(p, "unexpected token: a type use is (type x) (param ...) (result ...), in this order");
    if (*has_idx && *idx < m->ntypes) {
        const WatType *t = &m->types[*idx];
        if (any) {
            if (!same(params, &t->params) || !same(results, &t->results))
                return wat_lex_error(p->err, at, "inline function type does not match (type %u)", *idx);
        } else {
            wat_buf_bytes(params, t->params.data, t->params.len);
            wat_buf_bytes(results, t->results.data, t->results.len);
            for (size_t i = 0; bind && i < t->params.len; i++)
                if (!wat_parse_space_add(p, &bind->locals, NULL, "local"))
                    return false;
        }
    } else if (*has_idx && any) {
        return wat_lex_error(p->err, at, "unknown type %u", *idx);
    }
    return true;
}

bool wat_parse_typeuse(WatParser *p, WatFunc *bind, uint32_t *type_idx)
{
    WatBuf params = {0}, results = {0};
    bool has_idx;
    uint32_t idx = 0;
    bool ok = parse_use(p, bind, bind != NULL, &has_idx, &idx, &params, &results);
    if (ok)
        *type_idx = has_idx ? idx : wat_module_type_for(p, &params, &results);
    wat_buf_free(&params);
    wat_buf_free(&results);
    return ok;
}

bool wat_parse_blocktype(WatParser *p, WatBuf *out)
{
    WatBuf params = {0}, results = {0};
    bool has_idx;
    uint32_t idx = 0;
    bool ok = parse_use(p, NULL, false, &has_idx, &idx, &params, &results);
    if (ok) {
        /* As wabt does: a signature without parameters and with at most one result is written inline,
         * even when given as (type x). */
        bool known = !has_idx || idx < p->m->ntypes;
        if (known && params.len == 0 && results.len <= 1)
            wat_buf_byte(out, results.len ? results.data[0] : 0x40);
        else
            wat_buf_s64(out, has_idx ? idx : wat_module_type_for(p, &params, &results));
    }
    wat_buf_free(&params);
    wat_buf_free(&results);
    return ok;
}
