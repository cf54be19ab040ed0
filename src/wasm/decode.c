/* decode.c: the binary format: sections into a Module. Structural rules only (the spec's "malformed");
 * typing rules are validate.c's. Every count is checked against the bytes left before anything is
 * allocated, so a hostile count cannot make us allocate more than the module's size warrants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "wasm/engine.h"
#include "wasm/module.h"
#include "wasm/opcode.h"
#include "wasm/reader.h"

#define MAX_LOCALS 50000u   /* implementation limit on a function's locals (V8 uses the same) */
#define MAX_PARAMS 1000u

typedef struct Decoder {
    Module *m;
    Reader r;
    lodge_error_t *err;
    uint32_t min_data_use; /* lowest data index a body's memory.init or data.drop names; UINT32_MAX: none */
} Decoder;

/* Zeroed module memory, counted in the module's allocator; an empty vector still gets a block, so NULL
 * means out of memory. */
static void *zalloc(Module *m, size_t count, size_t size)
{
    return alloc_hcalloc(&m->alloc, count ? count : 1, size ? size : 1);
}

/* A length or count read at `at` (before its LEB128) is "length out of bounds" beyond the bytes left from
 * there to the module's end: the reference decoder's rule, bytes of the length itself included. */
static bool length_fits(Reader *r, size_t at, uint32_t n)
{
    if (r->failed)
        return false;
    if (n > r->end - at) {
        r->pos = at;
        reader_fail(r, "length out of bounds");
        return false;
    }
    return true;
}

/* A vector count (see length_fits). Each element takes at least min_bytes, so fewer bytes left than
 * that cannot hold the vector (the reference decoder would read on and meet the end). Either way
 * nothing is allocated for a hostile count. */
static uint32_t read_count(Reader *r, size_t min_bytes)
{
    size_t at = r->pos;
    uint32_t n = reader_u32(r);
    if (!length_fits(r, at, n))
        return 0;
    if (min_bytes && (uint64_t)n * min_bytes > r->end - r->pos) {
        reader_fail(r, "unexpected end of section or function");
        return 0;
    }
    return n;
}

static char *read_name(Module *m, Reader *r, uint32_t *len_out)
{
    size_t at = r->pos;
    uint32_t len = reader_u32(r);
    if (!length_fits(r, at, len))
        return NULL;
    if (len > r->end - r->pos) {
        reader_fail(r, "unexpected end of section or function");
        return NULL;
    }
    if (!utf8_valid(r->p + r->pos, len)) {
        reader_fail(r, "malformed UTF-8 encoding");
        return NULL;
    }
    char *s = alloc_hstrndup(&m->alloc, (const char *)r->p + r->pos, len);
    if (!s) {
        reader_fail(r, "out of memory");
        return NULL;
    }
    r->pos += len;
    if (len_out)
        *len_out = len;
    return s;
}

/* Type codes are one-byte signed LEB128 (s7) in the spec's grammar: a byte with the continuation bit
 * is an over-long integer before it is an unknown type, as the reference decoder reports. */
static bool s7_too_long(Reader *r, uint8_t b)
{
    if (!r->failed && (b & 0x80)) {
        reader_fail(r, "integer representation too long");
        return true;
    }
    return false;
}

static ValType read_reftype(Reader *r)
{
    size_t at = r->pos;
    uint8_t t = reader_u8(r);
    if (s7_too_long(r, t))
        return 0;
    if (!r->failed && t != LODGE_FUNCREF && t != LODGE_EXTERNREF) {
        r->pos = at;
        reader_fail(r, "malformed reference type");
    }
    return t;
}

static Limits read_limits(Reader *r)
{
    Limits l = {0, 0, false};
    size_t at = r->pos;
    uint8_t flag = reader_u8(r);
    if (r->failed)
        return l;
    /* The flag is a 1-bit LEB128 (u1): payload bits first, then a continuation bit is one byte too many. */
    if ((flag & 0x7f) > 1) {
        r->pos = at;
        reader_fail(r, "integer too large");
        return l;
    }
    if (flag & 0x80) {
        reader_fail(r, "integer representation too long");
        return l;
    }
    l.min = reader_u32(r);
    if (flag == 1) {
        l.has_max = true;
        l.max = reader_u32(r);
    }
    return l;
}

static GlobalType read_globaltype(Reader *r)
{
    GlobalType g;
    g.type = reader_valtype(r);
    size_t at = r->pos;
    uint8_t mut = reader_u8(r);
    if (!r->failed && mut > 1) {
        r->pos = at;
        reader_fail(r, "malformed mutability");
    }
    g.mut = mut == 1;
    return g;
}

/* Constant expressions: one instruction then `end`. Anything else is recorded for the validator as
 * op = 0xFFFF (not a constant instruction) or 0xFFFE (wrong number of values). */
#define CONST_NOT_CONSTANT 0xFFFF
#define CONST_BAD_ARITY 0xFFFE
static void const_note(ConstExpr *e, const Instr *in)
{
    switch (in->op) {
    case OP_I32_CONST: case OP_I64_CONST: case OP_F32_CONST: case OP_F64_CONST:
        if (e->op != CONST_NOT_CONSTANT)
            *e = (ConstExpr){in->op, in->bits};
        break;
    case OP_GLOBAL_GET: case OP_REF_FUNC: case OP_REF_NULL:
        if (e->op != CONST_NOT_CONSTANT)
            *e = (ConstExpr){in->op, in->a};
        break;
    default:
        e->op = CONST_NOT_CONSTANT;
        break;
    }
}

/* An expression's instructions up to the `end` that closes it, nested blocks included: the syntax only,
 * as the reference decoder reads it (a body or constant expression that runs past its declared size reads
 * on into the bytes after it, and the size is checked afterwards). `else` is allowed only once, in an
 * `if`; anything else where an `end` must come is "END opcode expected". With `ce`, the instructions are
 * noted for the constant-expression check; `*count` receives their number. With `data_use`, the lowest
 * data index named by memory.init or data.drop is kept there. No recursion: the open blocks are a byte
 * each on a heap stack. */
enum { OPEN_BLOCK, OPEN_IF, OPEN_ELSE };
static void read_expr(Module *m, Reader *r, ConstExpr *ce, unsigned *count, uint32_t *data_use)
{
    uint8_t first[64], *open = first;
    size_t depth = 1, cap = sizeof first;
    unsigned n = 0;
    open[0] = OPEN_BLOCK;
    while (!r->failed) {
        if (reader_eof(r)) {
            reader_fail(r, "unexpected end of section or function");
            break;
        }
        uint8_t b = r->p[r->pos];
        if (b == 0x0b) {
            r->pos++;
            if (--depth == 0)
                break;
            continue;
        }
        if (b == 0x05) {
            if (open[depth - 1] != OPEN_IF) {
                reader_fail(r, "END opcode expected");
                break;
            }
            open[depth - 1] = OPEN_ELSE;
            r->pos++;
            continue;
        }
        Instr in;
        if (!reader_instr(r, &in))
            break;
        n++;
        if (ce)
            const_note(ce, &in);
        if (data_use && (in.op == OP_MEMORY_INIT || in.op == OP_DATA_DROP) && in.a < *data_use)
            *data_use = in.a;
        if (in.op == OP_BLOCK || in.op == OP_LOOP || in.op == OP_IF) {
            if (depth == cap) {
                uint8_t *p = alloc_hrealloc(&m->alloc, open == first ? NULL : open, cap * 2);
                if (!p) {
                    reader_fail(r, "out of memory");
                    break;
                }
                if (open == first)
                    memcpy(p, first, sizeof first);
                open = p;
                cap *= 2;
            }
            open[depth++] = in.op == OP_IF ? OPEN_IF : OPEN_BLOCK;
        }
    }
    if (open != first)
        alloc_hfree(&m->alloc, open);
    if (count)
        *count = n;
}

static ConstExpr read_const_expr(Module *m, Reader *r)
{
    ConstExpr e = {CONST_BAD_ARITY, 0};
    unsigned n = 0;
    read_expr(m, r, &e, &n, NULL);
    if (r->failed)
        return e;
    if (n != 1 && e.op != CONST_NOT_CONSTANT)
        e.op = CONST_BAD_ARITY;
    return e;
}

static bool sec_type(Decoder *d)
{
    Reader *r = &d->r;
    Module *m = d->m;
    uint32_t n = read_count(r, 1);
    if (r->failed)
        return true;
    m->types = zalloc(m, n, sizeof *m->types);
    if (!m->types)
        return false;
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        size_t at = r->pos;
        uint8_t form = reader_u8(r);
        if (s7_too_long(r, form))
            break;
        if (!r->failed && form != 0x60) {
            r->pos = at;
            reader_fail(r, "malformed functype");
            break;
        }
        uint32_t np = read_count(r, 1);
        if (r->failed)
            break;
        ValType tmp[MAX_PARAMS * 2];
        if (np > MAX_PARAMS) {
            reader_fail(r, "too many parameters");
            break;
        }
        for (uint32_t k = 0; k < np; k++)
            tmp[k] = reader_valtype(r);
        uint32_t nr = read_count(r, 1);
        if (!r->failed && nr > MAX_PARAMS) {
            reader_fail(r, "too many results");
            break;
        }
        for (uint32_t k = 0; k < nr && !r->failed; k++)
            tmp[np + k] = reader_valtype(r);
        if (r->failed)
            break;
        FuncType *t = &m->types[i];
        t->nparams = np;
        t->nresults = nr;
        t->types = alloc_hmalloc(&m->alloc, np + nr + 1);
        if (!t->types)
            return false;
        m->ntypes = i + 1; /* from here module_free owns t->types */
        memcpy(t->types, tmp, np + nr);
        t->id = engine_intern_type(m->engine, tmp, np, nr);
        if (t->id == UINT32_MAX)
            return false;
    }
    return true;
}

static bool sec_import(Decoder *d)
{
    Reader *r = &d->r;
    Module *m = d->m;
    uint32_t n = read_count(r, 1);
    if (r->failed)
        return true;
    m->imports = zalloc(m, n, sizeof *m->imports);
    if (!m->imports)
        return false;
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        Import *im = &m->imports[i];
        im->module = read_name(m, r, &im->module_len);
        im->name = read_name(m, r, &im->name_len);
        m->nimports = i + 1;
        size_t at = r->pos;
        uint8_t kind = reader_u8(r);
        if (r->failed)
            break;
        switch (kind) {
        case 0:
            im->kind = LODGE_EXTERN_FUNC;
            im->of.type_idx = reader_u32(r);
            m->nimported_funcs++;
            break;
        case 1:
            im->kind = LODGE_EXTERN_TABLE;
            im->of.table.elem = read_reftype(r);
            im->of.table.lim = read_limits(r);
            m->nimported_tables++;
            break;
        case 2:
            im->kind = LODGE_EXTERN_MEMORY;
            im->of.mem = read_limits(r);
            m->nimported_mems++;
            break;
        case 3:
            im->kind = LODGE_EXTERN_GLOBAL;
            im->of.global = read_globaltype(r);
            m->nimported_globals++;
            break;
        default:
            r->pos = at;
            reader_fail(r, "malformed import kind");
        }
    }
    return true;
}

/* The index spaces: imported entries first, then the module's own. Each is laid out once, as soon as
 * the section that defines it (or any later section) is reached, since sections come in order. */
typedef struct Spaces {
    bool funcs, tables, mems, globals;
    uint32_t nbodies;
    uint32_t *body_types;
} Spaces;

static bool build_funcs(Module *m, Spaces *s)
{
    m->nfuncs = m->nimported_funcs + s->nbodies;
    m->func_types = zalloc(m, m->nfuncs, sizeof *m->func_types);
    m->bodies = zalloc(m, s->nbodies, sizeof *m->bodies);
    m->func_declared = zalloc(m, m->nfuncs, sizeof *m->func_declared);
    if (!m->func_types || !m->bodies || !m->func_declared)
        return false;
    uint32_t f = 0;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == LODGE_EXTERN_FUNC)
            m->func_types[f++] = m->imports[i].of.type_idx;
    for (uint32_t i = 0; i < s->nbodies; i++)
        m->func_types[f++] = s->body_types[i];
    s->funcs = true;
    return true;
}

static bool build_space(Module *m, lodge_extern_kind_t kind, uint32_t n)
{
    uint32_t k = 0;
    switch (kind) {
    case LODGE_EXTERN_TABLE:
        m->ntables = m->nimported_tables + n;
        if (!(m->tables = zalloc(m, m->ntables, sizeof *m->tables)))
            return false;
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == kind)
                m->tables[k++] = m->imports[i].of.table;
        return true;
    case LODGE_EXTERN_MEMORY:
        m->nmems = m->nimported_mems + n;
        if (!(m->mems = zalloc(m, m->nmems, sizeof *m->mems)))
            return false;
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == kind)
                m->mems[k++] = m->imports[i].of.mem;
        return true;
    case LODGE_EXTERN_GLOBAL:
        m->nglobals = m->nimported_globals + n;
        m->globals = zalloc(m, m->nglobals, sizeof *m->globals);
        m->global_inits = zalloc(m, n, sizeof *m->global_inits);
        if (!m->globals || !m->global_inits)
            return false;
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == kind)
                m->globals[k++] = m->imports[i].of.global;
        return true;
    default:
        return false;
    }
}

/* Lay out every space whose defining section ranks below `rank` and was absent. */
static bool ensure_spaces(Module *m, Spaces *s, int rank)
{
    if (rank > 3 && !s->funcs && !build_funcs(m, s))
        return false;
    if (rank > 4 && !s->tables && !(s->tables = build_space(m, LODGE_EXTERN_TABLE, 0)))
        return false;
    if (rank > 5 && !s->mems && !(s->mems = build_space(m, LODGE_EXTERN_MEMORY, 0)))
        return false;
    if (rank > 6 && !s->globals && !(s->globals = build_space(m, LODGE_EXTERN_GLOBAL, 0)))
        return false;
    return true;
}

static bool sec_function(Decoder *d, uint32_t *nfuncs_out, uint32_t **types_out)
{
    Reader *r = &d->r;
    uint32_t n = read_count(r, 1);
    if (r->failed)
        return true;
    uint32_t *t = zalloc(d->m, n, sizeof *t);
    if (!t)
        return false;
    for (uint32_t i = 0; i < n && !r->failed; i++)
        t[i] = reader_u32(r);
    *nfuncs_out = n;
    *types_out = t;
    return true;
}

static bool sec_table(Decoder *d)
{
    Reader *r = &d->r;
    Module *m = d->m;
    for (uint32_t i = m->nimported_tables; i < m->ntables && !r->failed; i++) {
        m->tables[i].elem = read_reftype(r);
        m->tables[i].lim = read_limits(r);
    }
    return true;
}

static bool sec_memory(Decoder *d)
{
    Reader *r = &d->r;
    Module *m = d->m;
    for (uint32_t i = m->nimported_mems; i < m->nmems && !r->failed; i++)
        m->mems[i] = read_limits(r);
    return true;
}

static bool sec_global(Decoder *d)
{
    Reader *r = &d->r;
    Module *m = d->m;
    for (uint32_t i = m->nimported_globals; i < m->nglobals && !r->failed; i++) {
        m->globals[i] = read_globaltype(r);
        m->global_inits[i - m->nimported_globals] = read_const_expr(m, r);
    }
    return true;
}

static bool sec_export(Decoder *d)
{
    Reader *r = &d->r;
    Module *m = d->m;
    uint32_t n = read_count(r, 1);
    if (r->failed)
        return true;
    m->exports = zalloc(m, n, sizeof *m->exports);
    if (!m->exports)
        return false;
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        Export *e = &m->exports[i];
        e->name = read_name(m, r, &e->name_len);
        m->nexports = i + 1;
        size_t at = r->pos;
        uint8_t kind = reader_u8(r);
        if (!r->failed && kind > 3) {
            r->pos = at;
            reader_fail(r, "malformed export kind");
        }
        e->kind = (lodge_extern_kind_t)kind;
        e->index = reader_u32(r);
    }
    return true;
}

static bool sec_elem(Decoder *d)
{
    Reader *r = &d->r;
    Module *m = d->m;
    uint32_t n = read_count(r, 1);
    if (r->failed)
        return true;
    m->elems = zalloc(m, n, sizeof *m->elems);
    if (!m->elems)
        return false;
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        ElemSeg *s = &m->elems[i];
        m->nelems = i + 1;
        size_t at = r->pos;
        uint32_t flags = reader_u32(r);
        if (r->failed)
            break;
        if (flags > 7) {
            r->pos = at;
            reader_fail(r, "malformed elements segment kind");
            break;
        }
        s->mode = (flags & 1) ? ((flags & 2) ? SEG_DECLARATIVE : SEG_PASSIVE) : SEG_ACTIVE;
        s->type = LODGE_FUNCREF;
        if (s->mode == SEG_ACTIVE) {
            if (flags & 2)
                s->table = reader_u32(r);
            s->offset = read_const_expr(m, r);
        }
        bool exprs = flags & 4;
        if (flags & 3) {
            /* an element kind (0x00 = funcref) or, with expressions, a reference type */
            if (exprs) {
                s->type = read_reftype(r);
            } else {
                size_t kat = r->pos;
                uint8_t kind = reader_u8(r);
                if (!r->failed && kind != 0) {
                    r->pos = kat;
                    reader_fail(r, "malformed element kind");
                }
            }
        }
        uint32_t cnt = read_count(r, 1);
        if (r->failed)
            break;
        s->items = zalloc(m, cnt, sizeof *s->items);
        if (!s->items)
            return false;
        s->count = cnt;
        for (uint32_t k = 0; k < cnt && !r->failed; k++) {
            if (exprs)
                s->items[k] = read_const_expr(m, r);
            else
                s->items[k] = (ConstExpr){OP_REF_FUNC, reader_u32(r)};
        }
    }
    return true;
}

static bool sec_datacount(Decoder *d)
{
    d->m->has_datacount = true;
    d->m->datacount = reader_u32(&d->r);
    return true;
}

/* Each body is read through (locals, then the instructions' syntax) here, as the reference decoder does,
 * so a malformed body is reported as such before anything is validated. A count that differs from the
 * function section's is reported after the last section, in the reference decoder's order; meanwhile
 * the bodies are read into scratch space. */
static bool sec_code(Decoder *d, uint32_t nbodies, uint32_t *ncode)
{
    Reader *r = &d->r;
    Module *m = d->m;
    uint32_t n = read_count(r, 1);
    if (r->failed)
        return true;
    *ncode = n;
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        FuncBody scratch = {0};
        FuncBody *b = n == nbodies ? &m->bodies[i] : &scratch;
        size_t size_at = r->pos;
        uint32_t size = reader_u32(r);
        if (!length_fits(r, size_at, size))
            break;
        if (size > r->end - r->pos) { /* the body reads to the module's end, then its size is wrong */
            b = &scratch;
            size = (uint32_t)(r->end - r->pos) + 1;
        }
        b->start = r->pos;
        b->end = r->pos + size;
        Reader br = {r->p, r->pos, r->end, false, 0, NULL};
        uint32_t tidx = n == nbodies ? m->func_types[m->nimported_funcs + i] : UINT32_MAX;
        static const FuncType no_type = {0, 0, NULL, 0};
        const FuncType *ft = tidx < m->ntypes ? &m->types[tidx] : &no_type; /* validator reports it */
        uint32_t ngroups = read_count(&br, 1);
        uint64_t total = ft->nparams;
        size_t groups_at = br.pos;
        for (uint32_t g = 0; g < ngroups && !br.failed; g++) {
            total += reader_u32(&br);
            reader_valtype(&br);
            if (total > MAX_LOCALS) {
                reader_fail(&br, "too many locals");
                break;
            }
        }
        if (!br.failed) {
            b->nlocals = (uint32_t)total;
            b->local_types = alloc_hmalloc(&m->alloc, total + 1);
            if (!b->local_types)
                return false;
            if (ft->nparams)
                memcpy(b->local_types, ft->types, ft->nparams);
            br.pos = groups_at;
            uint32_t k = ft->nparams;
            for (uint32_t g = 0; g < ngroups; g++) {
                uint32_t c = reader_u32(&br);
                ValType t = reader_valtype(&br);
                memset(b->local_types + k, t, c);
                k += c;
            }
            b->code_start = br.pos;
            read_expr(m, &br, NULL, NULL, &d->min_data_use);
        }
        alloc_hfree(&m->alloc, scratch.local_types);
        if (!br.failed && br.pos != b->end)
            reader_fail(&br, "section size mismatch");
        if (br.failed) {
            *r = br;
            break;
        }
        r->pos = b->end;
    }
    return true;
}

static bool sec_data(Decoder *d)
{
    Reader *r = &d->r;
    Module *m = d->m;
    uint32_t n = read_count(r, 1);
    if (r->failed)
        return true;
    m->datas = zalloc(m, n, sizeof *m->datas);
    if (!m->datas)
        return false;
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        DataSeg *s = &m->datas[i];
        m->ndatas = i + 1;
        size_t fat = r->pos;
        uint32_t flags = reader_u32(r);
        if (r->failed)
            break;
        if (flags > 2) {
            r->pos = fat;
            reader_fail(r, "malformed data segment kind");
            break;
        }
        s->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
        if (flags == 2)
            s->mem = reader_u32(r);
        if (flags != 1)
            s->offset = read_const_expr(m, r);
        size_t len_at = r->pos;
        uint32_t len = reader_u32(r);
        if (!length_fits(r, len_at, len))
            break;
        if (len > r->end - r->pos) {
            reader_fail(r, "unexpected end of section or function");
            break;
        }
        s->start = r->pos;
        s->len = len;
        r->pos += len;
    }
    return true;
}

/* The name section is advisory: a malformed one is ignored, as the spec allows for custom sections. */
/* False only when out of memory: the host's failure is not the module's, so it is not ignored. */
static bool oom(const Reader *r)
{
    return r->failed && strcmp(r->fail_msg, "out of memory") == 0;
}

static bool sec_name(Decoder *d, size_t end)
{
    Module *m = d->m;
    Reader r = {d->r.p, d->r.pos, end, false, 0, NULL};
    while (!reader_eof(&r) && !r.failed) {
        uint8_t id = reader_u8(&r);
        uint32_t size = reader_u32(&r);
        if (r.failed || size > r.end - r.pos)
            return true;
        size_t sub_end = r.pos + size;
        if (id == 0) {
            Reader s = {r.p, r.pos, sub_end, false, 0, NULL};
            char *name = read_name(m, &s, NULL);
            if (oom(&s))
                return false;
            if (!s.failed) {
                alloc_hfree(&m->alloc, m->name);
                m->name = name;
            }
        } else if (id == 1 && m->nfuncs) {
            Reader s = {r.p, r.pos, sub_end, false, 0, NULL};
            uint32_t n = read_count(&s, 1);
            if (!m->func_names && !(m->func_names = zalloc(m, m->nfuncs, sizeof *m->func_names)))
                return false;
            for (uint32_t i = 0; i < n && !s.failed; i++) {
                uint32_t idx = reader_u32(&s);
                char *name = read_name(m, &s, NULL);
                if (oom(&s))
                    return false;
                if (s.failed)
                    break;
                if (idx < m->nfuncs && !m->func_names[idx])
                    m->func_names[idx] = name;
                else
                    alloc_hfree(&m->alloc, name);
            }
        }
        r.pos = sub_end;
    }
    return true;
}

static bool note_section(Module *m, uint8_t id, size_t offset, size_t size, char *custom_name)
{
    void *p = alloc_hrealloc(&m->alloc, m->sections, (m->nsections + 1) * sizeof *m->sections);
    if (!p)
        return false;
    m->sections = p;
    m->sections[m->nsections].id = id;
    m->sections[m->nsections].offset = offset;
    m->sections[m->nsections].size = size;
    m->sections[m->nsections].custom_name = custom_name;
    m->nsections++;
    return true;
}

/* Section order: ids 1..9, then 12 (data count), then 10, 11. */
static int section_rank(uint8_t id)
{
    static const int rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return id <= 12 ? rank[id] : -1;
}

Module *module_decode(lodge_engine_t *engine, Alloc *alloc, const uint8_t *bytes, size_t len, lodge_error_t *err)
{
    Spaces sp = {0};
    /* The module's own allocator counts the module itself too: the struct is its first block. */
    Alloc own;
    alloc_init(&own, 0);
    if (alloc) {
        own.limit = alloc->limit;
        own.fail_at = alloc->fail_at;
    }
    Module *m = alloc_malloc(&own, sizeof *m);
    if (!m) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory while decoding");
        return NULL;
    }
    memset(m, 0, sizeof *m);
    m->alloc = own;
    pthread_mutex_init(&m->lock, NULL);
    m->engine = engine;
    m->bytes = alloc_hmalloc(&m->alloc, len ? len : 1);
    if (!m->bytes)
        goto nomem;
    if (len)
        memcpy(m->bytes, bytes, len);
    m->len = len;

    Decoder d = {m, {m->bytes, 0, len, false, 0, NULL}, err, UINT32_MAX};
    Reader *r = &d.r;
    if (len < 4 || (len < 8 && memcmp(m->bytes, "\0asm", 4) == 0)) {
        reader_fail(r, "unexpected end");
        goto malformed;
    }
    uint32_t magic = reader_fixed32(r);
    if (r->failed || magic != 0x6d736100) {
        r->failed = false;
        r->pos = 0;
        reader_fail(r, "magic header not detected");
        goto malformed;
    }
    uint32_t version = reader_fixed32(r);
    if (r->failed || version != 1) {
        r->failed = false;
        r->pos = 4;
        reader_fail(r, "unknown binary version");
        goto malformed;
    }

    /* Sections are read as the reference decoder reads them: the id first, then the size; the contents
     * are read on to the module's end (a section whose contents run past its size reads into the next
     * bytes), and the size is compared once the section is read. */
    int last_rank = 0;
    uint32_t ncode = 0;
    while (!reader_eof(r) && !r->failed) {
        size_t sec_at = r->pos;
        uint8_t id = reader_u8(r);
        if (id > 12) {
            r->pos = sec_at;
            reader_fail(r, "malformed section id");
            break;
        }
        size_t size_at = r->pos;
        uint32_t size = reader_u32(r);
        if (!length_fits(r, size_at, size))
            break;
        /* A size reaching past the end by no more than its own bytes passes that rule; the contents then
         * read to the end and the size mismatches (a custom section meets the end). */
        size_t payload = r->pos;
        size_t sec_end = size > r->end - r->pos ? r->end + 1 : r->pos + size;
        if (id != 0) {
            int rank = section_rank(id);
            if (rank <= last_rank) {
                r->pos = sec_at;
                reader_fail(r, "unexpected content after last section");
                break;
            }
            last_rank = rank;
            if (!ensure_spaces(m, &sp, rank))
                goto nomem;
        }
        bool ok = true;
        char *custom_name = NULL;
        uint32_t n;
        switch (id) {
        case 0:
            custom_name = read_name(m, r, NULL);
            if (!r->failed && (r->pos > sec_end || sec_end > r->end))
                reader_fail(r, "unexpected end of section or function");
            if (!r->failed && strcmp(custom_name, "name") == 0)
                ok = sec_name(&d, sec_end);
            if (!r->failed)
                r->pos = sec_end;
            break;
        case 1: ok = sec_type(&d); break;
        case 2: ok = sec_import(&d); break;
        case 3:
            ok = sec_function(&d, &sp.nbodies, &sp.body_types) && build_funcs(m, &sp);
            break;
        case 4:
            n = read_count(r, 1);
            ok = r->failed || (sp.tables = build_space(m, LODGE_EXTERN_TABLE, n));
            if (ok && !r->failed)
                sec_table(&d);
            break;
        case 5:
            n = read_count(r, 1);
            ok = r->failed || (sp.mems = build_space(m, LODGE_EXTERN_MEMORY, n));
            if (ok && !r->failed)
                sec_memory(&d);
            break;
        case 6:
            n = read_count(r, 1);
            ok = r->failed || (sp.globals = build_space(m, LODGE_EXTERN_GLOBAL, n));
            if (ok && !r->failed)
                sec_global(&d);
            break;
        case 7: ok = sec_export(&d); break;
        case 8: m->has_start = true; m->start = reader_u32(r); break;
        case 9: ok = sec_elem(&d); break;
        case 12: ok = sec_datacount(&d); break;
        case 10: ok = sec_code(&d, sp.nbodies, &ncode); break;
        case 11: ok = sec_data(&d); break;
        default: break;
        }
        if (!ok) {
            alloc_hfree(&m->alloc, custom_name);
            goto nomem;
        }
        if (r->failed) {
            alloc_hfree(&m->alloc, custom_name);
            if (strcmp(r->fail_msg, "out of memory") == 0)
                goto nomem;
            if (strcmp(r->fail_msg, "unexpected end") == 0)
                r->fail_msg = "unexpected end of section or function";
            break;
        }
        if (r->pos != sec_end) {
            alloc_hfree(&m->alloc, custom_name);
            reader_fail(r, "section size mismatch");
            break;
        }
        if (!note_section(m, id, payload, size, custom_name)) {
            alloc_hfree(&m->alloc, custom_name);
            goto nomem;
        }
    }
    if (!r->failed && !ensure_spaces(m, &sp, 100))
        goto nomem;
    alloc_hfree(&m->alloc, sp.body_types);
    sp.body_types = NULL;
    if (r->failed)
        goto malformed;
    if (sp.nbodies != ncode) {
        reader_fail(r, "function and code section have inconsistent lengths");
        goto malformed;
    }
    if (m->has_datacount && m->datacount != m->ndatas) {
        reader_fail(r, "data count and data section have inconsistent lengths");
        goto malformed;
    }
    /* The reference decoder's last rule. A body naming only segments that do not exist is left to the
     * validator ("unknown data segment"): a text module with no data segments is encoded without a
     * count section, so that is how such a module looks in binary. */
    if (!m->has_datacount && d.min_data_use < m->ndatas) {
        reader_fail(r, "data count section required");
        goto malformed;
    }
    return m;

malformed:
    alloc_hfree(&m->alloc, sp.body_types);
    if (err) {
        lodge_error_set(err, LODGE_ERR_MALFORMED, "%s (at byte offset %zu)", r->fail_msg, r->fail_offset);
        err->offset = r->fail_offset;
    }
    module_free(m);
    return NULL;
nomem:
    alloc_hfree(&m->alloc, sp.body_types);
    lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory while decoding");
    module_free(m);
    return NULL;
}

void module_free(Module *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->ntypes; i++)
        alloc_hfree(&m->alloc, m->types[i].types);
    alloc_hfree(&m->alloc, m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        alloc_hfree(&m->alloc, m->imports[i].module);
        alloc_hfree(&m->alloc, m->imports[i].name);
    }
    alloc_hfree(&m->alloc, m->imports);
    for (uint32_t i = 0; i < m->nexports; i++)
        alloc_hfree(&m->alloc, m->exports[i].name);
    alloc_hfree(&m->alloc, m->exports);
    for (uint32_t i = 0; i < m->nelems; i++)
        alloc_hfree(&m->alloc, m->elems[i].items);
    alloc_hfree(&m->alloc, m->elems);
    alloc_hfree(&m->alloc, m->datas);
    if (m->bodies) {
        for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++) {
            alloc_hfree(&m->alloc, m->bodies[i].local_types); /* lowered code is freed by its owner, module.c */
        }
    }
    alloc_hfree(&m->alloc, m->bodies);
    if (m->func_names)
        for (uint32_t i = 0; i < m->nfuncs; i++)
            alloc_hfree(&m->alloc, m->func_names[i]);
    alloc_hfree(&m->alloc, m->func_names);
    alloc_hfree(&m->alloc, m->name);
    for (uint32_t i = 0; i < m->nsections; i++)
        alloc_hfree(&m->alloc, m->sections[i].custom_name);
    alloc_hfree(&m->alloc, m->sections);
    alloc_hfree(&m->alloc, m->func_types);
    alloc_hfree(&m->alloc, m->tables);
    alloc_hfree(&m->alloc, m->mems);
    alloc_hfree(&m->alloc, m->globals);
    alloc_hfree(&m->alloc, m->global_inits);
    alloc_hfree(&m->alloc, m->func_declared);
    alloc_hfree(&m->alloc, m->bytes);
    image_free(m);
    pthread_mutex_destroy(&m->lock);
    Alloc own = m->alloc; /* m's own block is accounted in m: free it through a copy */
    alloc_free(&own, m, sizeof *m);
}
