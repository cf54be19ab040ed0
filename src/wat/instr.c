/* instr.c: instructions of the text format, plain and folded, encoded as they are read. Instruction names,
 * encodings and immediate kinds come from the one opcode table, src/wasm/opcodes.def. */
#include <stdlib.h>

#include "wat/num.h"
#include "wat/parse.h"

typedef enum WatImm {
    WAT_IMM_NONE, WAT_IMM_BLOCK, WAT_IMM_LABEL, WAT_IMM_BRTABLE, WAT_IMM_FUNC, WAT_IMM_CALLI, WAT_IMM_LOCAL,
    WAT_IMM_GLOBAL, WAT_IMM_TABLE, WAT_IMM_MEM, WAT_IMM_MEMIDX, WAT_IMM_I32, WAT_IMM_I64, WAT_IMM_F32,
    WAT_IMM_F64, WAT_IMM_SELECTT, WAT_IMM_REFNULL, WAT_IMM_MEMINIT, WAT_IMM_DATA, WAT_IMM_MEMCOPY,
    WAT_IMM_TABLEINIT, WAT_IMM_ELEM, WAT_IMM_TABLECOPY,
} WatImm;

typedef struct WatOp {
    const char *name;
    uint16_t code;      /* one byte, or 0xFCnn */
    uint8_t imm;        /* WatImm */
} WatOp;

static const WatOp ops[] = {
#define OP(id, nm, cd, im, a, b, r) {nm, cd, WAT_IMM_##im},
#include "wasm/opcodes.def"
#undef OP
};

#define NOPS (sizeof ops / sizeof ops[0])
#define HASH_SLOTS (sizeof ((WatParser *)0)->ophash / sizeof ((WatParser *)0)->ophash[0])

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

void wat_instr_init_table(WatParser *p)
{
    memset(p->ophash, 0, sizeof p->ophash);
    for (size_t i = 0; i < NOPS; i++) {
        size_t n = strlen(ops[i].name);
        uint32_t h = hash(ops[i].name, n) % HASH_SLOTS;
        bool dup = false;
        while (p->ophash[h]) {
            if (strcmp(ops[p->ophash[h] - 1].name, ops[i].name) == 0)
                dup = true; /* typed select shares its name; the untyped form comes first */
            h = (h + 1) % HASH_SLOTS;
        }
        if (!dup)
            p->ophash[h] = (uint16_t)(i + 1);
    }
}

static const WatOp *lookup(const WatParser *p, const WatToken *t)
{
    const char *s = p->text + t->pos;
    uint32_t h = hash(s, t->len) % HASH_SLOTS;
    while (p->ophash[h]) {
        const WatOp *op = &ops[p->ophash[h] - 1];
        if (strlen(op->name) == t->len && memcmp(op->name, s, t->len) == 0)
            return op;
        h = (h + 1) % HASH_SLOTS;
    }
    return NULL;
}

static void emit_op(WatBuf *out, uint16_t code)
{
    if (code < 0x100) {
        wat_buf_byte(out, (uint8_t)code);
    } else {
        wat_buf_byte(out, (uint8_t)(code >> 8));
        wat_buf_u32(out, code & 0xFF);
    }
}

static bool is_index(const WatParser *p)
{
    return wat_at(p, WAT_TOK_NUM) || wat_at(p, WAT_TOK_ID);
}

static bool kw_is(const WatParser *p, const char *kw)
{
    return wat_tok_is(p, wat_tok(p), kw);
}

static bool parse_label(WatParser *p, WatFunc *f, uint32_t *depth)
{
    const WatToken *t = wat_tok(p);
    if (t->kind == WAT_TOK_ID) {
        for (uint32_t i = f->labels.n; i-- > 0;) {
            const WatName *n = &f->labels.v[i];
            if (n->len == t->len && memcmp(p->text + n->pos, p->text + t->pos, t->len) == 0) {
                *depth = f->labels.n - 1 - i;
                p->pos++;
                return true;
            }
        }
        return wat_parse_fail(p, "unknown label %.*s", (int)t->len, p->text + t->pos);
    }
    if (t->kind == WAT_TOK_NUM) {
        if (!wat_num_u32(p->text + t->pos, t->len, depth))
            return wat_parse_fail(p, "unknown operator: malformed label index");
        p->pos++;
        return true;
    }
    return wat_parse_fail(p, "unexpected token, expected a label");
}

/* log2 of the natural alignment, from the instruction's name: i32.load8_s -> 0, i64.store32 -> 2, ... */
static uint32_t natural_align(const char *name)
{
    const char *op = strchr(name, '.') + 1;
    const char *rest = strncmp(op, "load", 4) == 0 ? op + 4 : op + 5;
    if (rest[0] == '8')
        return 0;
    if (rest[0] == '1')
        return 1;
    if (rest[0] == '3')
        return 2;
    return name[1] == '3' ? 2 : 3;
}

static bool parse_memarg(WatParser *p, const WatOp *op, WatBuf *out)
{
    uint32_t offset = 0, align = natural_align(op->name);
    const WatToken *t = wat_tok(p);
    if (t->kind == WAT_TOK_KEYWORD && t->len > 7 && memcmp(p->text + t->pos, "offset=", 7) == 0) {
        if (!wat_num_u32(p->text + t->pos + 7, t->len - 7, &offset))
            return wat_parse_fail(p, wat_num_is_int(p->text + t->pos + 7, t->len - 7) ? "i32 constant out of range (offset)"
                                                                                  : "unknown operator: malformed offset");
        p->pos++;
        t = wat_tok(p);
    }
    if (t->kind == WAT_TOK_KEYWORD && t->len > 6 && memcmp(p->text + t->pos, "align=", 6) == 0) {
        uint32_t a;
        if (!wat_num_u32(p->text + t->pos + 6, t->len - 6, &a) || a == 0 || (a & (a - 1)))
            return wat_parse_fail(p, "alignment must be a power of two");
        for (align = 0; (1u << align) < a; align++)
            ;
        p->pos++;
    }
    wat_buf_u32(out, align);
    wat_buf_u32(out, offset);
    return true;
}

static bool parse_const(WatParser *p, uint8_t imm, WatBuf *out)
{
    const WatToken *t = wat_tok(p);
    const char *s = p->text + t->pos;
    bool ok = t->kind == WAT_TOK_NUM || t->kind == WAT_TOK_KEYWORD;
    switch (imm) {
    case WAT_IMM_I32: {
        uint32_t v = 0;
        ok = ok && wat_num_i32(s, t->len, &v);
        wat_buf_s32(out, (int32_t)v);
        break;
    }
    case WAT_IMM_I64: {
        uint64_t v = 0;
        ok = ok && wat_num_i64(s, t->len, &v);
        wat_buf_s64(out, (int64_t)v);
        break;
    }
    case WAT_IMM_F32: {
        uint32_t v = 0;
        ok = ok && wat_num_f32(s, t->len, &v);
        for (int i = 0; i < 4; i++)
            wat_buf_byte(out, (uint8_t)(v >> (8 * i)));
        break;
    }
    default: {
        uint64_t v = 0;
        ok = ok && wat_num_f64(s, t->len, &v);
        for (int i = 0; i < 8; i++)
            wat_buf_byte(out, (uint8_t)(v >> (8 * i)));
        break;
    }
    }
    if (!ok) {
        bool is_int = imm == WAT_IMM_I32 || imm == WAT_IMM_I64;
        if (t->kind != WAT_TOK_NUM && t->kind != WAT_TOK_KEYWORD)
            return wat_parse_fail(p, "unexpected token, expected a numeric literal");
        if (is_int ? wat_num_is_int(s, t->len) : wat_num_is_float(s, t->len))
            return wat_parse_fail(p, "constant out of range");
        if (t->kind == WAT_TOK_KEYWORD && (is_int || !(t->len >= 3 && (memcmp(s, "nan", 3) == 0 || memcmp(s, "inf", 3) == 0)) ||
                                           wat_tok_is(p, t, "nan:canonical") || wat_tok_is(p, t, "nan:arithmetic")))
            return wat_parse_fail(p, "unexpected token '%.*s', expected a numeric literal", (int)(t->len > 40 ? 40 : t->len), s);
        return wat_parse_fail(p, "unknown operator: malformed numeric literal '%.*s'", (int)(t->len > 40 ? 40 : t->len), s);
    }
    p->pos++;
    return true;
}

/* The opcode and its immediates, for everything but block, loop and if. */
static bool immediates(WatParser *p, WatFunc *f, const WatOp *op, WatBuf *out)
{
    WatModule *m = p->m;
    uint32_t a = 0, b = 0;
    switch ((WatImm)op->imm) {
    case WAT_IMM_NONE:
        if (op->code == 0x1B && wat_at_lpar_kw(p, "result")) {
            WatBuf types = {0};
            while (wat_at_lpar_kw(p, "result")) {
                p->pos += 2;
                while (!wat_at(p, WAT_TOK_RPAR)) {
                    uint8_t vt;
                    if (!wat_parse_valtype(p, &vt)) {
                        wat_buf_free(&types);
                        return false;
                    }
                    wat_buf_byte(&types, vt);
                }
                p->pos++;
            }
            wat_buf_byte(out, 0x1C);
            wat_buf_name(out, types.data, types.len);
            wat_buf_free(&types);
            return true;
        }
        emit_op(out, op->code);
        return true;
    case WAT_IMM_LABEL:
        if (!parse_label(p, f, &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        return true;
    case WAT_IMM_BRTABLE: {
        WatBuf labels = {0};
        uint32_t n = 0;
        while (is_index(p)) {
            if (!parse_label(p, f, &a)) {
                wat_buf_free(&labels);
                return false;
            }
            wat_buf_u32(&labels, a);
            n++;
        }
        if (n == 0)
            return wat_parse_fail(p, "br_table needs at least one label");
        emit_op(out, op->code);
        wat_buf_u32(out, n - 1);
        wat_buf_bytes(out, labels.data, labels.len);
        wat_buf_free(&labels);
        return true;
    }
    case WAT_IMM_FUNC:
        if (!wat_parse_index(p, &m->func_ids, "function", &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        return true;
    case WAT_IMM_CALLI:
        if (is_index(p) && !wat_parse_index(p, &m->table_ids, "table", &b))
            return false;
        if (!wat_parse_typeuse(p, NULL, &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        wat_buf_u32(out, b);
        return true;
    case WAT_IMM_LOCAL:
        if (!wat_parse_index(p, &f->locals, "local", &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        return true;
    case WAT_IMM_GLOBAL:
        if (!wat_parse_index(p, &m->global_ids, "global", &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        return true;
    case WAT_IMM_TABLE:
        if (is_index(p) && !wat_parse_index(p, &m->table_ids, "table", &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        return true;
    case WAT_IMM_MEM:
        emit_op(out, op->code);
        return parse_memarg(p, op, out);
    case WAT_IMM_MEMIDX:
        emit_op(out, op->code);
        wat_buf_byte(out, 0);
        return true;
    case WAT_IMM_I32:
    case WAT_IMM_I64:
    case WAT_IMM_F32:
    case WAT_IMM_F64:
        emit_op(out, op->code);
        return parse_const(p, op->imm, out);
    case WAT_IMM_REFNULL:
        emit_op(out, op->code);
        if (kw_is(p, "func"))
            wat_buf_byte(out, LODGE_FUNCREF);
        else if (kw_is(p, "extern"))
            wat_buf_byte(out, LODGE_EXTERNREF);
        else
            return wat_parse_fail(p, "unexpected token, expected a heap type (func or extern)");
        p->pos++;
        return true;
    case WAT_IMM_MEMINIT:
        if (!wat_parse_index(p, &m->data_ids, "data segment", &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        wat_buf_byte(out, 0);
        m->uses_data_count = true;
        return true;
    case WAT_IMM_DATA:
        if (!wat_parse_index(p, &m->data_ids, "data segment", &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        m->uses_data_count = true;
        return true;
    case WAT_IMM_MEMCOPY:
        emit_op(out, op->code);
        wat_buf_byte(out, 0);
        wat_buf_byte(out, 0);
        return true;
    case WAT_IMM_TABLEINIT: {
        /* table.init elem | table.init table elem */
        size_t save = p->pos;
        if (!is_index(p))
            return wat_parse_fail(p, "unexpected token, expected an element segment index");
        p->pos++;
        bool two = is_index(p);
        p->pos = save;
        if (two && !wat_parse_index(p, &m->table_ids, "table", &b))
            return false;
        if (!wat_parse_index(p, &m->elem_ids, "elem segment", &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        wat_buf_u32(out, b);
        return true;
    }
    case WAT_IMM_ELEM:
        if (!wat_parse_index(p, &m->elem_ids, "elem segment", &a))
            return false;
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        return true;
    case WAT_IMM_TABLECOPY:
        if (is_index(p)) {
            if (!wat_parse_index(p, &m->table_ids, "table", &a) || !wat_parse_index(p, &m->table_ids, "table", &b))
                return false;
        }
        emit_op(out, op->code);
        wat_buf_u32(out, a);
        wat_buf_u32(out, b);
        return true;
    case WAT_IMM_SELECTT:
    case WAT_IMM_BLOCK:
        break;
    }
    return wat_parse_fail(p, "unexpected instruction");
}

static bool instr(WatParser *p, WatFunc *f, WatBuf *out);

/* Keywords of the grammar that are not instructions: met where an instruction is expected they are an
 * unexpected token (misplaced), not an unknown operator. */
static bool is_field_keyword(const WatParser *p, const WatToken *t)
{
    static const char *const kws[] = {"type", "param", "result", "local", "then", "else", "export", "import",
                                      "mut", "offset", "item", "elem", "data", "func", "table", "memory",
                                      "global", "start", "module", "declare"};
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (wat_tok_is(p, t, kws[i]))
            return true;
    return false;
}

/* Instructions until ')' or the keywords end/else/then (left for the caller). */
static bool seq(WatParser *p, WatFunc *f, WatBuf *out)
{
    for (;;) {
        const WatToken *t = wat_tok(p);
        if (t->kind == WAT_TOK_RPAR || t->kind == WAT_TOK_EOF)
            return true;
        if (wat_tok_is(p, t, "end") || wat_tok_is(p, t, "else"))
            return true;
        if (!instr(p, f, out))
            return false;
    }
}

static bool push_label(WatParser *p, WatFunc *f)
{
    const WatToken *id = wat_at(p, WAT_TOK_ID) ? wat_tok(p) : NULL;
    if (id)
        p->pos++;
    /* Shadowing is allowed: add without the duplicate check. */
    WatSpace *s = &f->labels;
    if (s->n == s->cap) {
        uint32_t nc = s->cap ? s->cap * 2 : 16;
        WatName *nv = realloc(s->v, nc * sizeof *nv);
        if (!nv)
            return wat_parse_fail(p, "out of memory");
        s->v = nv;
        s->cap = nc;
    }
    WatName n = {id ? id->pos : 0, id ? id->len : 0};
    s->v[s->n++] = n;
    return true;
}

/* After `end` or `else`: an optional $id that must repeat the block's label. */
static bool check_end_label(WatParser *p, WatFunc *f)
{
    if (!wat_at(p, WAT_TOK_ID))
        return true;
    const WatToken *t = wat_tok(p);
    const WatName *n = &f->labels.v[f->labels.n - 1];
    if (n->len != t->len || memcmp(p->text + n->pos, p->text + t->pos, t->len) != 0)
        return wat_parse_fail(p, "mismatching label");
    p->pos++;
    return true;
}

static bool plain_block(WatParser *p, WatFunc *f, const WatOp *op, WatBuf *out)
{
    p->pos++;
    size_t label_tok = p->pos;
    emit_op(out, op->code);
    if (wat_at(p, WAT_TOK_ID))
        p->pos++;
    if (!wat_parse_blocktype(p, out))
        return false;
    size_t after = p->pos;
    p->pos = label_tok;
    if (!push_label(p, f))
        return false;
    p->pos = after;
    if (!seq(p, f, out))
        return false;
    if (op->code == 0x04 && kw_is(p, "else")) {
        p->pos++;
        if (!check_end_label(p, f))
            return false;
        /* An empty else is left out, as wabt does (the two encodings validate and run alike). */
        size_t mark = out->len;
        wat_buf_byte(out, 0x05);
        if (!seq(p, f, out))
            return false;
        if (out->len == mark + 1)
            out->len = mark;
    }
    if (!kw_is(p, "end"))
        return wat_parse_fail(p, "unexpected token, expected end");
    p->pos++;
    if (!check_end_label(p, f))
        return false;
    wat_buf_byte(out, 0x0B);
    f->labels.n--;
    return true;
}

/* Skip a block type's tokens: (type x)? (param ...)* (result ...)* */
static bool skip_blocktype(WatParser *p)
{
    while (wat_at_lpar_kw(p, "type") || wat_at_lpar_kw(p, "param") || wat_at_lpar_kw(p, "result"))
        if (!wat_parse_skip(p))
            return false;
    return true;
}

static bool folded_if(WatParser *p, WatFunc *f, WatBuf *out)
{
    p->pos += 2;
    size_t label_tok = p->pos;
    if (wat_at(p, WAT_TOK_ID))
        p->pos++;
    size_t bt_tok = p->pos;
    if (!skip_blocktype(p))
        return false;
    size_t bt_end = p->pos;
    /* The condition: folded instructions before (then), evaluated outside the if's label scope. */
    while (wat_at(p, WAT_TOK_LPAR) && !wat_at_lpar_kw(p, "then")) {
        if (!instr(p, f, out))
            return false;
    }
    if (!wat_at_lpar_kw(p, "then"))
        return wat_parse_fail(p, "unexpected token, expected (then ...) in if");
    size_t then_tok = p->pos;
    /* The block type is resolved after the condition, as wabt orders implicit types. */
    p->pos = bt_tok;
    wat_buf_byte(out, 0x04);
    if (!wat_parse_blocktype(p, out))
        return false;
    if (p->pos != bt_end)
        return wat_parse_fail(p, "unexpected token in block type (order is type, param, result)");
    p->pos = label_tok;
    if (!push_label(p, f))
        return false;
    p->pos = then_tok + 2;
    if (!seq(p, f, out) || !wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
        return false;
    if (wat_at_lpar_kw(p, "else")) {
        p->pos += 2;
        size_t mark = out->len;
        wat_buf_byte(out, 0x05);
        if (!seq(p, f, out) || !wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
            return false;
        if (out->len == mark + 1)
            out->len = mark; /* empty else left out, as above */
    }
    if (!wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
        return false;
    wat_buf_byte(out, 0x0B);
    f->labels.n--;
    return true;
}

static bool folded(WatParser *p, WatFunc *f, WatBuf *out)
{
    const WatToken *kw = wat_tok_at(p, 1);
    if (kw->kind != WAT_TOK_KEYWORD) {
        p->pos++;
        return wat_parse_fail(p, "unexpected token, expected an instruction");
    }
    if (wat_tok_is(p, kw, "if"))
        return folded_if(p, f, out);
    const WatOp *op = lookup(p, kw);
    if (!op) {
        p->pos++;
        if (is_field_keyword(p, kw))
            return wat_parse_fail(p, "unexpected token %.*s, expected an instruction", (int)kw->len, p->text + kw->pos);
        return wat_parse_fail(p, "unknown operator %.*s", (int)kw->len, p->text + kw->pos);
    }
    if (op->imm == WAT_IMM_BLOCK) {
        p->pos += 2;
        size_t label_tok = p->pos;
        emit_op(out, op->code);
        if (wat_at(p, WAT_TOK_ID))
            p->pos++;
        if (!wat_parse_blocktype(p, out))
            return false;
        size_t after = p->pos;
        p->pos = label_tok;
        if (!push_label(p, f))
            return false;
        p->pos = after;
        if (!seq(p, f, out))
            return false;
        if (!wat_parse_expect(p, WAT_TOK_RPAR, "')'"))
            return false;
        wat_buf_byte(out, 0x0B);
        f->labels.n--;
        return true;
    }
    if (op->code == 0x05 || op->code == 0x0B) {
        p->pos++;
        return wat_parse_fail(p, "unexpected %s", op->name);
    }
    p->pos += 2;
    WatBuf tmp = {0};
    bool ok = immediates(p, f, op, &tmp);
    while (ok && wat_at(p, WAT_TOK_LPAR))
        ok = instr(p, f, out);
    ok = ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
    wat_buf_bytes(out, tmp.data, tmp.len);
    wat_buf_free(&tmp);
    return ok;
}

static bool instr_at_depth(WatParser *p, WatFunc *f, WatBuf *out);

static bool instr(WatParser *p, WatFunc *f, WatBuf *out)
{
    if (p->depth >= WAT_MAX_DEPTH)
        return wat_parse_fail(p, "instructions nested too deeply (limit %d)", WAT_MAX_DEPTH);
    p->depth++;
    bool ok = instr_at_depth(p, f, out);
    p->depth--;
    return ok;
}

static bool instr_at_depth(WatParser *p, WatFunc *f, WatBuf *out)
{
    const WatToken *t = wat_tok(p);
    if (t->kind == WAT_TOK_LPAR)
        return folded(p, f, out);
    if (t->kind != WAT_TOK_KEYWORD)
        return wat_parse_fail(p, "unexpected token, expected an instruction");
    const WatOp *op = lookup(p, t);
    if (!op)
        return wat_parse_fail(p, "unknown operator %.*s", (int)t->len, p->text + t->pos);
    if (op->imm == WAT_IMM_BLOCK)
        return plain_block(p, f, op, out);
    if (op->code == 0x05 || op->code == 0x0B)
        return wat_parse_fail(p, "unexpected %s", op->name);
    p->pos++;
    return immediates(p, f, op, out);
}

bool wat_instr_seq(WatParser *p, WatFunc *f, WatBuf *out)
{
    if (!seq(p, f, out))
        return false;
    if (kw_is(p, "end") || kw_is(p, "else"))
        return wat_parse_fail(p, "unexpected %.*s", (int)wat_tok(p)->len, p->text + wat_tok(p)->pos);
    return true;
}

bool wat_instr_const_expr(WatParser *p, WatBuf *out)
{
    WatFunc f = {0};
    bool ok = wat_instr_seq(p, &f, out);
    wat_parse_space_free(&f.labels);
    wat_buf_byte(out, 0x0B);
    return ok;
}

bool wat_instr_const_folded(WatParser *p, WatBuf *out)
{
    WatFunc f = {0};
    bool ok = wat_at(p, WAT_TOK_LPAR) ? instr(p, &f, out) : wat_parse_fail(p, "expected '('");
    wat_parse_space_free(&f.labels);
    wat_buf_byte(out, 0x0B);
    return ok;
}
