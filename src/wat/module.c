/* module.c: module fields of the text format, in two passes: the first assigns every index and $id
 * (so fields may refer forward), the second encodes each field into its section in text order, expanding
 * the abbreviations (inline imports, exports, element and data segments, implicit types). */
#include <stdlib.h>

#include "base/utf8.h"
#include "wat/num.h"
#include "wat/parse.h"

enum { KIND_FUNC = 0, KIND_TABLE = 1, KIND_MEMORY = 2, KIND_GLOBAL = 3 };

uint32_t wat_module_type_for(WatParser *p, const WatBuf *params, const WatBuf *results)
{
    WatModule *m = p->m;
    for (uint32_t i = 0; i < m->ntypes; i++) {
        const WatType *t = &m->types[i];
        if (t->params.len == params->len && t->results.len == results->len &&
            (params->len == 0 || memcmp(t->params.data, params->data, params->len) == 0) &&
            (results->len == 0 || memcmp(t->results.data, results->data, results->len) == 0))
            return i;
    }
    if (m->ntypes == m->types_cap) {
        uint32_t nc = m->types_cap ? m->types_cap * 2 : 16;
        WatType *nv = realloc(m->types, nc * sizeof *nv);
        if (!nv) {
            wat_parse_fail(p, "out of memory");
            return 0;
        }
        m->types = nv;
        m->types_cap = nc;
    }
    WatType *t = &m->types[m->ntypes];
    memset(t, 0, sizeof *t);
    wat_buf_bytes(&t->params, params->data, params->len);
    wat_buf_bytes(&t->results, results->data, results->len);
    return m->ntypes++;
}

/* Index just past the balanced S-expression starting at token i (a '('). */
static size_t skip_from(const WatParser *p, size_t i)
{
    int depth = 0;
    do {
        if (p->toks[i].kind == WAT_TOK_EOF)
            return i;
        if (p->toks[i].kind == WAT_TOK_LPAR)
            depth++;
        else if (p->toks[i].kind == WAT_TOK_RPAR)
            depth--;
        i++;
    } while (depth > 0);
    return i;
}

/* Token i, clamped to the final EOF token so look-ahead never reads past the array. */
static const WatToken *tok_idx(const WatParser *p, size_t i)
{
    return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

static bool tok_kw(const WatParser *p, size_t i, const char *kw)
{
    return i < p->ntoks && wat_tok_is(p, &p->toks[i], kw);
}

/* ---- pass 1: indices and identifiers ---- */

/* (param $id t) | (param t*) ... (result t*) ... of a type definition, into t. */
static bool type_def_sig(WatParser *p, WatType *t)
{
    while (wat_at_lpar_kw(p, "param")) {
        p->pos += 2;
        bool named = wat_at(p, WAT_TOK_ID);
        if (named)
            p->pos++;
        int count = 0;
        while (!wat_at(p, WAT_TOK_RPAR)) {
            uint8_t vt;
            if (named && count == 1)
                return wat_parse_fail(p, "unexpected token, expected ')'");
            if (!wat_parse_valtype(p, &vt))
                return false;
            wat_buf_byte(&t->params, vt);
            count++;
        }
        if (named && count != 1)
            return wat_parse_fail(p, "unexpected token, expected a value type");
        p->pos++;
    }
    while (wat_at_lpar_kw(p, "result")) {
        p->pos += 2;
        while (!wat_at(p, WAT_TOK_RPAR)) {
            uint8_t vt;
            if (!wat_parse_valtype(p, &vt))
                return false;
            wat_buf_byte(&t->results, vt);
        }
        p->pos++;
    }
    return wat_parse_expect(p, WAT_TOK_RPAR, "')'") && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

static bool collect_types(WatParser *p)
{
    /* Explicit types first, in order: implicit ones are appended after all of them. */
    WatModule *m = p->m;
    size_t start = p->pos;
    while (wat_at(p, WAT_TOK_LPAR)) {
        if (!wat_tok_is(p, wat_tok_at(p, 1), "type")) {
            if (!wat_parse_skip(p))
                return false;
            continue;
        }
        const WatToken *id = wat_tok_at(p, 2)->kind == WAT_TOK_ID ? wat_tok_at(p, 2) : NULL;
        if (!wat_parse_space_add(p, &m->type_ids, id, "type"))
            return false;
        p->pos += 2;
        if (id)
            p->pos++;
        if (!wat_at_lpar_kw(p, "func"))
            return wat_parse_fail(p, "unexpected token, expected (func ...) in a type definition");
        p->pos += 2;
        if (m->ntypes == m->types_cap) {
            uint32_t nc = m->types_cap ? m->types_cap * 2 : 16;
            WatType *nv = realloc(m->types, nc * sizeof *nv);
            if (!nv)
                return wat_parse_fail(p, "out of memory");
            m->types = nv;
            m->types_cap = nc;
        }
        /* The definition becomes its own entry even when an equal one exists. Added before parsing so
         * wat_module_free releases it whatever happens. */
        WatType *t = &m->types[m->ntypes++];
        memset(t, 0, sizeof *t);
        m->ntypes_explicit++;
        if (!type_def_sig(p, t))
            return false;
    }
    p->pos = start;
    return true;
}

static const char *def_name(int kind)
{
    static const char *const names[] = {"function", "table", "memory", "global"};
    return names[kind];
}

static WatSpace *space_of(WatModule *m, int kind)
{
    switch (kind) {
    case KIND_FUNC: return &m->func_ids;
    case KIND_TABLE: return &m->table_ids;
    case KIND_MEMORY: return &m->mem_ids;
    default: return &m->global_ids;
    }
}

static int kind_of(const WatParser *p, const WatToken *t)
{
    if (wat_tok_is(p, t, "func"))
        return KIND_FUNC;
    if (wat_tok_is(p, t, "table"))
        return KIND_TABLE;
    if (wat_tok_is(p, t, "memory"))
        return KIND_MEMORY;
    if (wat_tok_is(p, t, "global"))
        return KIND_GLOBAL;
    return -1;
}

static bool collect(WatParser *p)
{
    WatModule *m = p->m;
    size_t start = p->pos;
    int seen_def = -1;
    while (wat_at(p, WAT_TOK_LPAR)) {
        const WatToken *kw = wat_tok_at(p, 1);
        int kind = kind_of(p, kw);
        if (kind >= 0) {
            size_t q = p->pos + 2;
            const WatToken *id = tok_idx(p, q)->kind == WAT_TOK_ID ? tok_idx(p, q) : NULL;
            if (id)
                q++;
            while (tok_idx(p, q)->kind == WAT_TOK_LPAR && tok_kw(p, q + 1, "export"))
                q = skip_from(p, q);
            bool is_import = tok_idx(p, q)->kind == WAT_TOK_LPAR && tok_kw(p, q + 1, "import");
            if (is_import && seen_def >= 0)
                return wat_parse_fail(p, "import after %s", def_name(seen_def));
            if (!is_import && seen_def < 0)
                seen_def = kind;
            if (!wat_parse_space_add(p, space_of(m, kind), id, def_name(kind)))
                return false;
            if (!is_import && kind == KIND_TABLE && (tok_kw(p, q, "funcref") || tok_kw(p, q, "externref")) &&
                tok_idx(p, q + 1)->kind == WAT_TOK_LPAR && tok_kw(p, q + 2, "elem")) {
                if (!wat_parse_space_add(p, &m->elem_ids, NULL, "elem"))
                    return false;
            }
            if (!is_import && kind == KIND_MEMORY && tok_idx(p, q)->kind == WAT_TOK_LPAR && tok_kw(p, q + 1, "data")) {
                if (!wat_parse_space_add(p, &m->data_ids, NULL, "data"))
                    return false;
            }
        } else if (wat_tok_is(p, kw, "import")) {
            if (seen_def >= 0)
                return wat_parse_fail(p, "import after %s", def_name(seen_def));
            size_t q = p->pos + 2;
            while (tok_idx(p, q)->kind == WAT_TOK_STRING)
                q++;
            if (tok_idx(p, q)->kind == WAT_TOK_LPAR) {
                int k = kind_of(p, tok_idx(p, q + 1));
                if (k < 0)
                    return wat_parse_fail(p, "unexpected import kind");
                const WatToken *id = tok_idx(p, q + 2)->kind == WAT_TOK_ID ? tok_idx(p, q + 2) : NULL;
                if (!wat_parse_space_add(p, space_of(m, k), id, def_name(k)))
                    return false;
            }
        } else if (wat_tok_is(p, kw, "elem") || wat_tok_is(p, kw, "data")) {
            const WatToken *id = wat_tok_at(p, 2)->kind == WAT_TOK_ID ? wat_tok_at(p, 2) : NULL;
            bool elem = wat_tok_is(p, kw, "elem");
            if (!wat_parse_space_add(p, elem ? &m->elem_ids : &m->data_ids, id, elem ? "elem" : "data"))
                return false;
        } else if (!wat_tok_is(p, kw, "type") && !wat_tok_is(p, kw, "export") && !wat_tok_is(p, kw, "start")) {
            p->pos++;
            return wat_parse_fail(p, "unknown module field");
        }
        if (!wat_parse_skip(p))
            return false;
    }
    if (!wat_at(p, WAT_TOK_RPAR) && !wat_at(p, WAT_TOK_EOF))
        return wat_parse_fail(p, "unexpected token, expected a module field");
    m->func_type = calloc(m->func_ids.n + 1, sizeof *m->func_type);
    m->global_type = calloc(m->global_ids.n + 1, 1);
    if (!m->func_type || !m->global_type)
        return wat_parse_fail(p, "out of memory");
    p->pos = start;
    return true;
}

/* ---- pass 2: encoding ---- */

/* A string token as a name: must be valid UTF-8. */
static bool parse_name(WatParser *p, WatBuf *out)
{
    if (!wat_at(p, WAT_TOK_STRING))
        return wat_parse_fail(p, "unexpected token, expected a string");
    WatBuf s = {0};
    if (!wat_lex_string(p->text, wat_tok(p), &s)) {
        wat_buf_free(&s);
        return wat_parse_fail(p, "malformed string escape");
    }
    if (!utf8_valid(s.data, s.len)) {
        wat_buf_free(&s);
        return wat_parse_fail(p, "malformed UTF-8 encoding");
    }
    wat_buf_name(out, s.data, s.len);
    wat_buf_free(&s);
    p->pos++;
    return true;
}

static bool add_export(WatParser *p, uint8_t kind, uint32_t index)
{
    WatModule *m = p->m;
    WatBuf nm = {0};
    if (!parse_name(p, &nm)) {
        wat_buf_free(&nm);
        return false;
    }
    wat_buf_bytes(&m->exports, nm.data, nm.len);
    wat_buf_byte(&m->exports, kind);
    wat_buf_u32(&m->exports, index);
    /* Keep the plain name for scripts: skip the LEB128 length prefix. */
    size_t hdr = 1;
    while (hdr < nm.len && (nm.data[hdr - 1] & 0x80))
        hdr++;
    if (m->nexports == m->export_cap) {
        uint32_t nc = m->export_cap ? m->export_cap * 2 : 16;
        WatExport *nv = realloc(m->export_list, nc * sizeof *nv);
        if (!nv) {
            wat_buf_free(&nm);
            return wat_parse_fail(p, "out of memory");
        }
        m->export_list = nv;
        m->export_cap = nc;
    }
    WatExport e = {m->export_names.len, nm.len - hdr, kind, index};
    wat_buf_bytes(&m->export_names, nm.data + hdr, nm.len - hdr);
    m->export_list[m->nexports++] = e;
    wat_buf_free(&nm);
    return true;
}

/* (export "name")* after a definition's $id. */
static bool inline_exports(WatParser *p, uint8_t kind, uint32_t index)
{
    while (wat_at_lpar_kw(p, "export")) {
        p->pos += 2;
        if (!add_export(p, kind, index) || !wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
            return false;
    }
    return true;
}

/* (import "module" "name") or the two names of an import field: appended to the import section. */
static bool import_names(WatParser *p)
{
    return parse_name(p, &p->m->imports) && parse_name(p, &p->m->imports);
}

static bool limit_fail(WatParser *p)
{
    const WatToken *t = wat_tok(p);
    if (t->kind == WAT_TOK_NUM && wat_num_is_int(p->text + t->pos, t->len))
        return wat_parse_fail(p, "i32 constant out of range (limit)");
    return wat_parse_fail(p, "unexpected token, expected a u32 limit");
}

static bool parse_limits(WatParser *p, WatBuf *out)
{
    uint32_t min, max;
    const WatToken *t = wat_tok(p);
    if (t->kind != WAT_TOK_NUM || !wat_num_u32(p->text + t->pos, t->len, &min))
        return limit_fail(p);
    p->pos++;
    t = wat_tok(p);
    if (t->kind == WAT_TOK_NUM) {
        if (!wat_num_u32(p->text + t->pos, t->len, &max))
            return limit_fail(p);
        p->pos++;
        wat_buf_byte(out, 1);
        wat_buf_u32(out, min);
        wat_buf_u32(out, max);
    } else {
        wat_buf_byte(out, 0);
        wat_buf_u32(out, min);
    }
    return true;
}

static bool parse_tabletype(WatParser *p, WatBuf *out)
{
    WatBuf lim = {0};
    uint8_t rt;
    bool ok = parse_limits(p, &lim) && wat_parse_reftype(p, &rt);
    if (ok) {
        wat_buf_byte(out, rt);
        wat_buf_bytes(out, lim.data, lim.len);
    }
    wat_buf_free(&lim);
    return ok;
}

static bool parse_globaltype(WatParser *p, WatBuf *out, uint8_t *vt)
{
    bool mut = false;
    if (wat_at_lpar_kw(p, "mut")) {
        p->pos += 2;
        mut = true;
    }
    if (!wat_parse_valtype(p, vt))
        return false;
    if (mut && !wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
        return false;
    wat_buf_byte(out, *vt);
    wat_buf_byte(out, mut ? 1 : 0);
    return true;
}

/* Function body: locals, instructions; appends the code entry and local names. */
static bool parse_func_body(WatParser *p, WatFunc *f, uint32_t func_index)
{
    WatModule *m = p->m;
    WatBuf ltypes = {0}, body = {0};
    bool ok = true;
    while (ok && wat_at_lpar_kw(p, "local")) {
        p->pos += 2;
        if (wat_at(p, WAT_TOK_ID)) {
            const WatToken *id = wat_tok(p);
            p->pos++;
            uint8_t vt;
            ok = wat_parse_valtype(p, &vt) && wat_parse_space_add(p, &f->locals, id, "local");
            wat_buf_byte(&ltypes, vt);
        } else {
            while (ok && !wat_at(p, WAT_TOK_RPAR)) {
                uint8_t vt;
                ok = wat_parse_valtype(p, &vt) && wat_parse_space_add(p, &f->locals, NULL, "local");
                wat_buf_byte(&ltypes, vt);
            }
        }
        ok = ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
    }
    ok = ok && wat_instr_seq(p, f, &body);
    if (ok) {
        /* Locals as runs of one type, as every encoder does. */
        WatBuf entry = {0};
        uint32_t runs = 0;
        for (size_t i = 0; i < ltypes.len; i++)
            if (i == 0 || ltypes.data[i] != ltypes.data[i - 1])
                runs++;
        wat_buf_u32(&entry, runs);
        for (size_t i = 0; i < ltypes.len;) {
            size_t j = i;
            while (j < ltypes.len && ltypes.data[j] == ltypes.data[i])
                j++;
            wat_buf_u32(&entry, (uint32_t)(j - i));
            wat_buf_byte(&entry, ltypes.data[i]);
            i = j;
        }
        wat_buf_bytes(&entry, body.data, body.len);
        wat_buf_byte(&entry, 0x0B);
        wat_buf_u32(&m->code, (uint32_t)entry.len);
        wat_buf_bytes(&m->code, entry.data, entry.len);
        if (entry.oom)
            m->code.oom = true;
        m->ncode++;
        /* Local names for the name section. */
        uint32_t named = 0;
        for (uint32_t i = 0; i < f->locals.n; i++)
            named += f->locals.v[i].len > 0;
        if (named) {
            wat_buf_u32(&m->local_names, func_index);
            wat_buf_u32(&m->local_names, named);
            for (uint32_t i = 0; i < f->locals.n; i++)
                if (f->locals.v[i].len) {
                    wat_buf_u32(&m->local_names, i);
                    wat_buf_name(&m->local_names, m->text + f->locals.v[i].pos + 1, f->locals.v[i].len - 1);
                }
            m->nlocal_named++;
        }
        wat_buf_free(&entry);
    }
    wat_buf_free(&ltypes);
    wat_buf_free(&body);
    return ok;
}

static bool define_func(WatParser *p, uint32_t fi)
{
    WatModule *m = p->m;
    p->pos += 2;
    if (wat_at(p, WAT_TOK_ID))
        p->pos++;
    if (!inline_exports(p, KIND_FUNC, fi))
        return false;
    WatFunc f = {0};
    bool ok;
    uint32_t tidx = 0;
    if (wat_at_lpar_kw(p, "import")) {
        p->pos += 2;
        ok = import_names(p) && wat_parse_expect(p, WAT_TOK_RPAR, "')'") && wat_parse_typeuse(p, &f, &tidx);
        if (ok) {
            wat_buf_byte(&m->imports, KIND_FUNC);
            wat_buf_u32(&m->imports, tidx);
            m->nimports++;
        }
    } else {
        ok = wat_parse_typeuse(p, &f, &tidx);
        if (ok) {
            wat_buf_u32(&m->funcs, tidx);
            m->nfuncdefs++;
            m->func_type[fi] = tidx;
            ok = parse_func_body(p, &f, fi);
        }
    }
    m->func_type[fi] = tidx;
    wat_parse_space_free(&f.locals);
    wat_parse_space_free(&f.labels);
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

/* Element segment writer shared by (elem ...) and a table's inline (elem ...). mode: 0 active, 1 passive,
 * 3 declarative. items are constant expressions ending in `end`. Flags are chosen as wabt chooses them. */
static void emit_elem(WatModule *m, int mode, uint32_t table, const WatBuf *offset, uint8_t reftype,
                      WatBuf *items, uint32_t nitems)
{
    uint8_t flags = 0;
    if (mode == 0 && (reftype != LODGE_FUNCREF || table != 0))
        flags |= 2;
    if (mode == 1)
        flags |= 1;
    if (mode == 3)
        flags |= 3;
    bool all_funcs = reftype == LODGE_FUNCREF;
    for (uint32_t i = 0; i < nitems && all_funcs; i++)
        all_funcs = items[i].len > 0 && items[i].data[0] == 0xD2;
    if (!all_funcs)
        flags |= 4;
    WatBuf *e = &m->elems;
    wat_buf_byte(e, flags);
    if ((flags & 2) && mode != 3)
        wat_buf_u32(e, table);
    if (!(flags & 1))
        wat_buf_bytes(e, offset->data, offset->len);
    if (flags & 3)
        wat_buf_byte(e, (flags & 4) ? reftype : 0x00);
    wat_buf_u32(e, nitems);
    for (uint32_t i = 0; i < nitems; i++) {
        if (flags & 4)
            wat_buf_bytes(e, items[i].data, items[i].len);
        else /* ref.func x end: copy x's LEB128 bytes */
            wat_buf_bytes(e, items[i].data + 1, items[i].len - 2);
    }
    m->nelems++;
}

typedef struct ItemList {
    WatBuf *v;
    uint32_t n, cap;
} ItemList;

static void items_free(ItemList *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        wat_buf_free(&l->v[i]);
    free(l->v);
}

static WatBuf *items_add(WatParser *p, ItemList *l)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 16;
        WatBuf *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) {
            wat_parse_fail(p, "out of memory");
            return NULL;
        }
        l->v = nv;
        l->cap = nc;
    }
    WatBuf *b = &l->v[l->n++];
    memset(b, 0, sizeof *b);
    return b;
}

/* funcidx* as ref.func expressions. */
static bool func_items(WatParser *p, ItemList *l)
{
    while (wat_at(p, WAT_TOK_NUM) || wat_at(p, WAT_TOK_ID)) {
        uint32_t fi;
        if (!wat_parse_index(p, &p->m->func_ids, "function", &fi))
            return false;
        WatBuf *b = items_add(p, l);
        if (!b)
            return false;
        wat_buf_byte(b, 0xD2);
        wat_buf_u32(b, fi);
        wat_buf_byte(b, 0x0B);
    }
    return true;
}

/* (item instr*) | (instr) ... */
static bool expr_items(WatParser *p, ItemList *l)
{
    while (wat_at(p, WAT_TOK_LPAR)) {
        WatBuf *b = items_add(p, l);
        if (!b)
            return false;
        if (wat_at_lpar_kw(p, "item")) {
            p->pos += 2;
            if (!wat_instr_const_expr(p, b) || !wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
                return false;
        } else if (!wat_instr_const_folded(p, b)) {
            return false;
        }
    }
    return true;
}

/* An element list: `func x*`, `reftype expr*`, or (legacy) `x*`. */
static bool elem_list(WatParser *p, ItemList *l, uint8_t *reftype, bool allow_bare)
{
    *reftype = LODGE_FUNCREF;
    if (wat_tok_is(p, wat_tok(p), "func")) {
        p->pos++;
        return func_items(p, l);
    }
    if (wat_tok_is(p, wat_tok(p), "funcref") || wat_tok_is(p, wat_tok(p), "externref")) {
        if (!wat_parse_reftype(p, reftype))
            return false;
        return expr_items(p, l);
    }
    if (!allow_bare && !wat_at(p, WAT_TOK_RPAR))
        return wat_parse_fail(p, "unexpected token, expected an element list");
    return func_items(p, l);
}

/* (offset instr*) or a single folded instruction. */
static bool parse_offset(WatParser *p, WatBuf *out)
{
    if (wat_at_lpar_kw(p, "offset")) {
        p->pos += 2;
        return wat_instr_const_expr(p, out) && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
    }
    if (!wat_at(p, WAT_TOK_LPAR))
        return wat_parse_fail(p, "unexpected token, expected an offset expression");
    return wat_instr_const_folded(p, out);
}

static bool define_elem(WatParser *p)
{
    WatModule *m = p->m;
    p->pos += 2;
    if (wat_at(p, WAT_TOK_ID))
        p->pos++;
    ItemList items = {0};
    WatBuf offset = {0};
    uint8_t rt;
    bool ok;
    int mode;
    uint32_t table = 0;
    if (wat_tok_is(p, wat_tok(p), "declare")) {
        p->pos++;
        mode = 3;
        ok = elem_list(p, &items, &rt, false);
    } else if ((wat_at(p, WAT_TOK_LPAR) && !wat_at_lpar_kw(p, "item")) ||
               ((wat_at(p, WAT_TOK_NUM) || wat_at(p, WAT_TOK_ID)) && wat_tok_at(p, 1)->kind == WAT_TOK_LPAR &&
                !wat_tok_is(p, wat_tok_at(p, 2), "item"))) {
        mode = 0;
        bool explicit_table = false;
        ok = true;
        if (!wat_at(p, WAT_TOK_LPAR)) {
            /* The 1.0 form (elem tableidx (offset ...) funcidx*) */
            ok = wat_parse_index(p, &m->table_ids, "table", &table);
        } else if (wat_at_lpar_kw(p, "table")) {
            p->pos += 2;
            ok = wat_parse_index(p, &m->table_ids, "table", &table) && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
            explicit_table = true;
        }
        ok = ok && parse_offset(p, &offset) && elem_list(p, &items, &rt, !explicit_table);
    } else {
        mode = 1;
        ok = elem_list(p, &items, &rt, false);
    }
    if (ok)
        emit_elem(m, mode, table, &offset, rt, items.v, items.n);
    items_free(&items);
    wat_buf_free(&offset);
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

static bool data_strings(WatParser *p, WatBuf *out)
{
    while (wat_at(p, WAT_TOK_STRING)) {
        if (!wat_lex_string(p->text, wat_tok(p), out))
            return wat_parse_fail(p, "malformed string escape");
        p->pos++;
    }
    return true;
}

static void emit_data(WatModule *m, bool passive, uint32_t mem, const WatBuf *offset, const WatBuf *bytes)
{
    WatBuf *d = &m->datas;
    if (passive) {
        wat_buf_byte(d, 1);
    } else if (mem != 0) {
        wat_buf_byte(d, 2);
        wat_buf_u32(d, mem);
        wat_buf_bytes(d, offset->data, offset->len);
    } else {
        wat_buf_byte(d, 0);
        wat_buf_bytes(d, offset->data, offset->len);
    }
    wat_buf_u32(d, (uint32_t)bytes->len);
    wat_buf_bytes(d, bytes->data, bytes->len);
    m->ndatas++;
}

static bool define_data(WatParser *p)
{
    WatModule *m = p->m;
    p->pos += 2;
    if (wat_at(p, WAT_TOK_ID))
        p->pos++;
    WatBuf offset = {0}, bytes = {0};
    uint32_t mem = 0;
    bool ok = true, passive = true;
    if (wat_at(p, WAT_TOK_LPAR) || ((wat_at(p, WAT_TOK_NUM) || wat_at(p, WAT_TOK_ID)) &&
                                    wat_tok_at(p, 1)->kind == WAT_TOK_LPAR)) {
        passive = false;
        if (!wat_at(p, WAT_TOK_LPAR)) {
            /* The 1.0 form (data memidx (offset ...) string*) */
            ok = wat_parse_index(p, &m->mem_ids, "memory", &mem);
        } else if (wat_at_lpar_kw(p, "memory")) {
            p->pos += 2;
            ok = wat_parse_index(p, &m->mem_ids, "memory", &mem) && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
        }
        ok = ok && parse_offset(p, &offset);
    }
    ok = ok && data_strings(p, &bytes);
    if (ok)
        emit_data(m, passive, mem, &offset, &bytes);
    wat_buf_free(&offset);
    wat_buf_free(&bytes);
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

static bool define_table(WatParser *p, uint32_t ti)
{
    WatModule *m = p->m;
    p->pos += 2;
    if (wat_at(p, WAT_TOK_ID))
        p->pos++;
    if (!inline_exports(p, KIND_TABLE, ti))
        return false;
    bool ok;
    if (wat_at_lpar_kw(p, "import")) {
        p->pos += 2;
        ok = import_names(p) && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
        wat_buf_byte(&m->imports, KIND_TABLE);
        ok = ok && parse_tabletype(p, &m->imports);
        m->nimports++;
    } else if (wat_tok(p)->kind == WAT_TOK_KEYWORD) {
        uint8_t rt;
        ItemList items = {0};
        ok = wat_parse_reftype(p, &rt);
        if (ok && !wat_at_lpar_kw(p, "elem"))
            ok = wat_parse_fail(p, "expected (elem ...) after the table's element type");
        if (ok) {
            p->pos += 2;
            if (wat_at(p, WAT_TOK_LPAR))
                ok = expr_items(p, &items);
            else
                ok = func_items(p, &items);
            ok = ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
        }
        if (ok) {
            wat_buf_byte(&m->tables, rt);
            wat_buf_byte(&m->tables, 1);
            wat_buf_u32(&m->tables, items.n);
            wat_buf_u32(&m->tables, items.n);
            m->ntabledefs++;
            WatBuf offset = {0};
            wat_buf_byte(&offset, 0x41);
            wat_buf_byte(&offset, 0);
            wat_buf_byte(&offset, 0x0B);
            emit_elem(m, 0, ti, &offset, rt, items.v, items.n);
            wat_buf_free(&offset);
        }
        items_free(&items);
    } else {
        ok = parse_tabletype(p, &m->tables);
        m->ntabledefs++;
    }
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

static bool define_memory(WatParser *p, uint32_t mi)
{
    WatModule *m = p->m;
    p->pos += 2;
    if (wat_at(p, WAT_TOK_ID))
        p->pos++;
    if (!inline_exports(p, KIND_MEMORY, mi))
        return false;
    bool ok;
    if (wat_at_lpar_kw(p, "import")) {
        p->pos += 2;
        ok = import_names(p) && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
        wat_buf_byte(&m->imports, KIND_MEMORY);
        ok = ok && parse_limits(p, &m->imports);
        m->nimports++;
    } else if (wat_at_lpar_kw(p, "data")) {
        p->pos += 2;
        WatBuf bytes = {0};
        ok = data_strings(p, &bytes) && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
        if (ok) {
            uint32_t pages = (uint32_t)((bytes.len + 65535) / 65536);
            wat_buf_byte(&m->mems, 1);
            wat_buf_u32(&m->mems, pages);
            wat_buf_u32(&m->mems, pages);
            m->nmemdefs++;
            WatBuf offset = {0};
            wat_buf_byte(&offset, 0x41);
            wat_buf_byte(&offset, 0);
            wat_buf_byte(&offset, 0x0B);
            emit_data(m, false, mi, &offset, &bytes);
            wat_buf_free(&offset);
        }
        wat_buf_free(&bytes);
    } else {
        ok = parse_limits(p, &m->mems);
        m->nmemdefs++;
    }
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

static bool define_global(WatParser *p, uint32_t gi)
{
    WatModule *m = p->m;
    p->pos += 2;
    if (wat_at(p, WAT_TOK_ID))
        p->pos++;
    if (!inline_exports(p, KIND_GLOBAL, gi))
        return false;
    bool ok;
    uint8_t vt = 0;
    if (wat_at_lpar_kw(p, "import")) {
        p->pos += 2;
        ok = import_names(p) && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
        wat_buf_byte(&m->imports, KIND_GLOBAL);
        ok = ok && parse_globaltype(p, &m->imports, &vt);
        m->nimports++;
    } else {
        ok = parse_globaltype(p, &m->globals, &vt) && wat_instr_const_expr(p, &m->globals);
        m->nglobaldefs++;
    }
    m->global_type[gi] = vt;
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

/* (import "m" "n" (kind $id? desc)) */
static bool define_import(WatParser *p, uint32_t *counters)
{
    WatModule *m = p->m;
    p->pos += 2;
    if (!import_names(p))
        return false;
    if (!wat_at(p, WAT_TOK_LPAR))
        return wat_parse_fail(p, "expected an import description");
    int kind = kind_of(p, wat_tok_at(p, 1));
    p->pos += 2;
    if (wat_at(p, WAT_TOK_ID))
        p->pos++;
    bool ok = true;
    uint32_t idx = counters[kind]++;
    m->nimports++;
    switch (kind) {
    case KIND_FUNC: {
        WatFunc f = {0};
        uint32_t tidx = 0;
        ok = wat_parse_typeuse(p, &f, &tidx);
        wat_parse_space_free(&f.locals);
        wat_buf_byte(&m->imports, KIND_FUNC);
        wat_buf_u32(&m->imports, tidx);
        m->func_type[idx] = tidx;
        break;
    }
    case KIND_TABLE:
        wat_buf_byte(&m->imports, KIND_TABLE);
        ok = parse_tabletype(p, &m->imports);
        break;
    case KIND_MEMORY:
        wat_buf_byte(&m->imports, KIND_MEMORY);
        ok = parse_limits(p, &m->imports);
        break;
    default: {
        uint8_t vt = 0;
        wat_buf_byte(&m->imports, KIND_GLOBAL);
        ok = parse_globaltype(p, &m->imports, &vt);
        m->global_type[idx] = vt;
        break;
    }
    }
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'") && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

static bool define_export(WatParser *p)
{
    WatModule *m = p->m;
    p->pos += 2;
    const WatToken *name = wat_tok(p);
    if (name->kind != WAT_TOK_STRING)
        return wat_parse_fail(p, "expected the export's name");
    p->pos++;
    if (!wat_at(p, WAT_TOK_LPAR))
        return wat_parse_fail(p, "expected an export description");
    int kind = kind_of(p, wat_tok_at(p, 1));
    if (kind < 0) {
        p->pos++;
        return wat_parse_fail(p, "unknown export kind");
    }
    p->pos += 2;
    uint32_t idx;
    if (!wat_parse_index(p, space_of(m, kind), def_name(kind), &idx) || !wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
        return false;
    size_t after = p->pos;
    p->pos = (size_t)(name - p->toks);
    bool ok = add_export(p, (uint8_t)kind, idx);
    p->pos = after;
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

static bool define_start(WatParser *p)
{
    WatModule *m = p->m;
    if (m->has_start)
        return wat_parse_fail(p, "multiple start sections");
    p->pos += 2;
    if (!wat_parse_index(p, &m->func_ids, "function", &m->start))
        return false;
    m->has_start = true;
    return wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

bool wat_module_parse(WatParser *p, WatModule *m)
{
    p->m = m;
    m->text = p->text;
    if (!collect_types(p) || !collect(p))
        return false;
    uint32_t counters[4] = {0, 0, 0, 0};
    while (wat_at(p, WAT_TOK_LPAR)) {
        const WatToken *kw = wat_tok_at(p, 1);
        int kind = kind_of(p, kw);
        bool ok;
        switch (kind) {
        case KIND_FUNC: ok = define_func(p, counters[0]++); break;
        case KIND_TABLE: ok = define_table(p, counters[1]++); break;
        case KIND_MEMORY: ok = define_memory(p, counters[2]++); break;
        case KIND_GLOBAL: ok = define_global(p, counters[3]++); break;
        default:
            if (wat_tok_is(p, kw, "type"))
                ok = wat_parse_skip(p);
            else if (wat_tok_is(p, kw, "import"))
                ok = define_import(p, counters);
            else if (wat_tok_is(p, kw, "export"))
                ok = define_export(p);
            else if (wat_tok_is(p, kw, "start"))
                ok = define_start(p);
            else if (wat_tok_is(p, kw, "elem"))
                ok = define_elem(p);
            else
                ok = define_data(p);
        }
        if (!ok)
            return false;
    }
    bool oom = m->imports.oom || m->funcs.oom || m->tables.oom || m->mems.oom || m->globals.oom ||
               m->exports.oom || m->elems.oom || m->code.oom || m->datas.oom;
    if (oom)
        return wat_parse_fail(p, "out of memory");
    return true;
}

void wat_module_free(WatModule *m)
{
    for (uint32_t i = 0; i < m->ntypes; i++) {
        wat_buf_free(&m->types[i].params);
        wat_buf_free(&m->types[i].results);
    }
    free(m->types);
    WatSpace *spaces[] = {&m->type_ids, &m->func_ids, &m->table_ids, &m->mem_ids,
                          &m->global_ids, &m->elem_ids, &m->data_ids};
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++)
        wat_parse_space_free(spaces[i]);
    WatBuf *bufs[] = {&m->imports, &m->funcs, &m->tables, &m->mems, &m->globals, &m->exports,
                      &m->elems, &m->code, &m->datas, &m->export_names, &m->local_names};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        wat_buf_free(bufs[i]);
    free(m->func_type);
    free(m->global_type);
    free(m->export_list);
    memset(m, 0, sizeof *m);
}
