/* parse.h: what the text-format parser's files share: the module being built (sections encoded as they
 * are parsed, in text order), the token cursor, identifier spaces, and the per-function context. */
#ifndef LODGE_WAT_PARSE_H
#define LODGE_WAT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lodge.h"
#include "wat/buf.h"
#include "wat/lex.h"

/* Deeper nesting is refused rather than risking the host stack (the parser recurses per level). */
#define WAT_MAX_DEPTH 4096

/* One index space: the identifier ($name, as a text range) of each index; len 0 = unnamed. */
typedef struct WatName {
    size_t pos, len;
} WatName;

typedef struct WatSpace {
    WatName *v;
    uint32_t n, cap;
    uint32_t *slots;            /* open-addressed hash of the named entries: index + 1, 0 = empty */
    uint32_t nslots, nnamed;
} WatSpace;

typedef struct WatType {
    WatBuf params, results;     /* value-type bytes */
} WatType;

typedef struct WatExport {
    size_t name_off, name_len;  /* into WatModule.export_names */
    uint8_t kind;
    uint32_t index;
} WatExport;

typedef struct WatModule {
    const char *text;           /* the source; names point into it */
    WatName name;               /* the module's $id */
    WatType *types;
    uint32_t ntypes, types_cap, ntypes_explicit;
    WatSpace type_ids, func_ids, table_ids, mem_ids, global_ids, elem_ids, data_ids;
    uint32_t *func_type;        /* type index of each function (for scripts and checks) */
    uint8_t *global_type;       /* value type of each global */
    /* section payloads, without their entry counts */
    WatBuf imports, funcs, tables, mems, globals, exports, elems, code, datas;
    uint32_t nimports, nfuncdefs, ntabledefs, nmemdefs, nglobaldefs, nexports, nelems, ncode, ndatas;
    bool has_start;
    uint32_t start;
    bool uses_data_count;       /* memory.init or data.drop appear: the DataCount section is needed */
    WatBuf export_names;
    WatExport *export_list;
    uint32_t export_cap;
    WatBuf local_names;         /* name-section subsection 2 entries */
    uint32_t nlocal_named;
} WatModule;

typedef struct WatParser {
    const char *text;
    const WatToken *toks;
    size_t ntoks, pos;
    lodge_error_t *err;
    WatModule *m;
    unsigned depth;             /* nesting of blocks and folded instructions, bounded by WAT_MAX_DEPTH */
    uint16_t ophash[1024];      /* open-addressed: instruction name -> opcode table index + 1 */
} WatParser;

/* Context of the instructions being parsed: locals and the label stack (empty for constant expressions). */
typedef struct WatFunc {
    WatSpace locals;
    WatSpace labels;            /* innermost last */
} WatFunc;

/* ---- cursor ---- */
static inline const WatToken *wat_tok(const WatParser *p)
{
    return &p->toks[p->pos];
}
static inline const WatToken *wat_tok_at(const WatParser *p, size_t i)
{
    return &p->toks[p->pos + i < p->ntoks ? p->pos + i : p->ntoks - 1];
}
static inline bool wat_tok_is(const WatParser *p, const WatToken *t, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == WAT_TOK_KEYWORD && t->len == n && memcmp(p->text + t->pos, kw, n) == 0;
}
/* True when the cursor is at `( kw`. */
static inline bool wat_at_lpar_kw(const WatParser *p, const char *kw)
{
    return wat_tok(p)->kind == WAT_TOK_LPAR && wat_tok_is(p, wat_tok_at(p, 1), kw);
}
static inline bool wat_at(const WatParser *p, WatTokKind k)
{
    return wat_tok(p)->kind == k;
}

/* ---- helpers (module.c) ---- */
bool wat_parse_fail(WatParser *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
bool wat_parse_expect(WatParser *p, WatTokKind k, const char *what);
bool wat_parse_expect_kw(WatParser *p, const char *kw);
/* Skip a balanced S-expression starting at '('. */
bool wat_parse_skip(WatParser *p);
/* Value type / reference type keywords -> their binary encoding. */
bool wat_parse_valtype(WatParser *p, uint8_t *out);
bool wat_parse_reftype(WatParser *p, uint8_t *out);
/* An index: a u32 literal, or an $id looked up in space (what names the space in errors). */
bool wat_parse_index(WatParser *p, const WatSpace *space, const char *what, uint32_t *out);
bool wat_parse_space_add(WatParser *p, WatSpace *s, const WatToken *id, const char *what);
int64_t wat_parse_space_find(const WatParser *p, const WatSpace *s, const WatToken *id);
void wat_parse_space_free(WatSpace *s);
/* A type use: (type x)? (param ...)* (result ...)*. bind, when not NULL, receives parameter names
 * (and an entry for each unnamed parameter). Returns the type index (adding an implicit type if needed). */
bool wat_parse_typeuse(WatParser *p, WatFunc *bind, uint32_t *type_idx);
/* A block type; writes its encoding (0x40, a value type, or an s33 type index) to out. */
bool wat_parse_blocktype(WatParser *p, WatBuf *out);
/* The index of a type with exactly these params/results, appending an implicit one if none matches. */
uint32_t wat_module_type_for(WatParser *p, const WatBuf *params, const WatBuf *results);

/* ---- instructions (instr.c) ---- */
void wat_instr_init_table(WatParser *p);
/* Instructions up to a ')' (not consumed), plain and folded, with `end` closing nothing. */
bool wat_instr_seq(WatParser *p, WatFunc *f, WatBuf *out);
/* A constant expression (global init, offset, element item) up to ')'; appends the `end` byte. */
bool wat_instr_const_expr(WatParser *p, WatBuf *out);
/* One folded instruction as a constant expression (the offset and element-item abbreviations). */
bool wat_instr_const_folded(WatParser *p, WatBuf *out);

/* ---- module (module.c) ---- */
/* Parse module fields from the cursor up to ')' or end of input (not consumed) into m (zeroed). */
bool wat_module_parse(WatParser *p, WatModule *m);
void wat_module_free(WatModule *m);

/* ---- whole-text entry (wat.c) ---- */
/* Lex, parse and encode a text module (wrapped in (module ...) or not); visit, when not NULL, sees the
 * parsed module before it is freed. flags are WAT_* of wat.h. */
bool wat_convert(const char *text, size_t len, unsigned flags, WatBuf *bin,
                 void (*visit)(const WatModule *m, void *ctx), void *ctx, lodge_error_t *err);

/* ---- encoder (encode.c) ---- */
/* Assemble the binary module; names adds the "name" custom section. */
bool wat_encode(const WatModule *m, bool names, WatBuf *out);

#endif
