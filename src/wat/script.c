/* script.c: .wast scripts -> wast2json's JSON commands and module files (see script.h). The JSON layout,
 * file numbering and value encodings follow wabt's wast2json byte for byte, so its runners can read ours. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "wat/num.h"
#include "wat/parse.h"
#include "wat/script.h"
#include "wat/summary.h"
#include "wat/wat.h"

typedef struct ScriptModule {
    size_t name_pos, name_len;  /* $id in the script text; len 0 = none */
    WatSummary sum;
} ScriptModule;

typedef struct Script {
    WatParser p;                /* over the script's tokens; its module pointer is set per module */
    WatScriptOut *out;
    const char *base;
    WatBuf json;
    ScriptModule *mods;
    size_t nmods, capmods;
    long last_module;           /* index in mods, -1 = none */
    uint32_t nfiles;            /* wast2json's module counter */
} Script;

static void jputs(Script *s, const char *str)
{
    wat_buf_bytes(&s->json, str, strlen(str));
}

static void jprintf(Script *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void jprintf(Script *s, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    wat_buf_bytes(&s->json, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* wabt's escaping: control characters, '\\' and '"' as \u00XX, everything else raw. */
static void jstring(Script *s, const uint8_t *str, size_t n)
{
    wat_buf_byte(&s->json, '"');
    for (size_t i = 0; i < n; i++) {
        if (str[i] < 0x20 || str[i] == '\\' || str[i] == '"')
            jprintf(s, "\\u%04x", str[i]);
        else
            wat_buf_byte(&s->json, str[i]);
    }
    wat_buf_byte(&s->json, '"');
}

static uint32_t line_of(const WatToken *t)
{
    return t->line;
}

static bool add_file(Script *s, const char *ext, const uint8_t *data, size_t len, char **name_out)
{
    WatScriptOut *o = s->out;
    if (o->nfiles == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        WatScriptFile *nv = realloc(o->files, nc * sizeof *nv);
        if (!nv)
            return wat_parse_fail(&s->p, "out of memory");
        o->files = nv;
        o->cap = nc;
    }
    size_t nlen = strlen(s->base) + 32;
    char *name = malloc(nlen);
    uint8_t *copy = malloc(len ? len : 1);
    if (!name || !copy) {
        free(name);
        free(copy);
        return wat_parse_fail(&s->p, "out of memory");
    }
    snprintf(name, nlen, "%s.%u.%s", s->base, s->nfiles, ext);
    if (len)
        memcpy(copy, data, len);
    WatScriptFile f = {name, copy, len};
    o->files[o->nfiles++] = f;
    *name_out = name;
    return true;
}

/* ---- modules seen so far ---- */

static ScriptModule *new_module(Script *s)
{
    if (s->nmods == s->capmods) {
        size_t nc = s->capmods ? s->capmods * 2 : 16;
        ScriptModule *nv = realloc(s->mods, nc * sizeof *nv);
        if (!nv)
            return NULL;
        s->mods = nv;
        s->capmods = nc;
    }
    ScriptModule *m = &s->mods[s->nmods++];
    memset(m, 0, sizeof *m);
    return m;
}

static void summarize_text(const WatModule *m, void *ctx)
{
    wat_summary_text(m, ctx);
}

/* ---- modules in scripts ---- */

typedef enum { SM_TEXT, SM_BINARY, SM_QUOTE } SmKind;

typedef struct ParsedModule {
    SmKind kind;
    const WatToken *at;         /* the `module` keyword (wast2json's line) */
    const WatToken *id;
    WatBuf bytes;               /* binary encoding, or the quoted text */
} ParsedModule;

/* The strings of `binary`/`quote`, concatenated. */
static bool strings(Script *s, WatBuf *out)
{
    WatParser *p = &s->p;
    while (wat_at(p, WAT_TOK_STRING)) {
        if (!wat_lex_string(p->text, wat_tok(p), out))
            return wat_parse_fail(p, "malformed string escape");
        p->pos++;
    }
    return true;
}

/* (module $id? binary "..."*) | (module $id? quote "..."*) | (module $id? field*); cursor at '('.
 * sm, when not NULL, receives the export summary of binary and text modules. */
static bool script_module(Script *s, ParsedModule *pm, ScriptModule *sm)
{
    WatParser *p = &s->p;
    memset(pm, 0, sizeof *pm);
    if (!wat_parse_expect(p, WAT_TOK_LPAR, "'('"))
        return false;
    pm->at = wat_tok(p);
    if (!wat_parse_expect_kw(p, "module"))
        return false;
    if (wat_at(p, WAT_TOK_ID))
        pm->id = &p->toks[p->pos++];
    if (wat_tok_is(p, wat_tok(p), "binary")) {
        p->pos++;
        pm->kind = SM_BINARY;
        if (!strings(s, &pm->bytes))
            return false;
        if (sm)
            wat_summary_binary(pm->bytes.data, pm->bytes.len, &sm->sum);
    } else if (wat_tok_is(p, wat_tok(p), "quote")) {
        p->pos++;
        pm->kind = SM_QUOTE;
        if (!strings(s, &pm->bytes))
            return false;
    } else {
        pm->kind = SM_TEXT;
        WatModule m = {0};
        bool ok = wat_module_parse(p, &m) && wat_encode(&m, false, &pm->bytes);
        if (ok && sm)
            wat_summary_text(&m, &sm->sum);
        wat_module_free(&m);
        if (!ok)
            return false;
    }
    return wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

/* ---- values ---- */

static bool const_value(Script *s, bool expectation)
{
    WatParser *p = &s->p;
    if (!wat_at(p, WAT_TOK_LPAR))
        return wat_parse_fail(p, "expected a constant");
    p->pos++;
    const WatToken *op = wat_tok(p);
    if (op->kind != WAT_TOK_KEYWORD)
        return wat_parse_fail(p, "unexpected token, expected a constant");
    p->pos++;
    const WatToken *v = wat_tok(p);
    const char *txt = p->text + v->pos;
    bool ok = v->kind == WAT_TOK_NUM || v->kind == WAT_TOK_KEYWORD;
    if (wat_tok_is(p, op, "i32.const")) {
        uint32_t x = 0;
        ok = ok && wat_num_i32(txt, v->len, &x);
        jprintf(s, "{\"type\": \"i32\", \"value\": \"%" PRIu32 "\"}", x);
    } else if (wat_tok_is(p, op, "i64.const")) {
        uint64_t x = 0;
        ok = ok && wat_num_i64(txt, v->len, &x);
        jprintf(s, "{\"type\": \"i64\", \"value\": \"%" PRIu64 "\"}", x);
    } else if (wat_tok_is(p, op, "f32.const") || wat_tok_is(p, op, "f64.const")) {
        bool f32 = wat_tok_is(p, op, "f32.const");
        jprintf(s, "{\"type\": \"%s\", \"value\": ", f32 ? "f32" : "f64");
        if (expectation && (wat_tok_is(p, v, "nan:canonical") || wat_tok_is(p, v, "nan:arithmetic"))) {
            jprintf(s, "\"%.*s\"}", (int)v->len, txt);
        } else if (f32) {
            uint32_t x = 0;
            ok = ok && wat_num_f32(txt, v->len, &x);
            jprintf(s, "\"%" PRIu32 "\"}", x);
        } else {
            uint64_t x = 0;
            ok = ok && wat_num_f64(txt, v->len, &x);
            jprintf(s, "\"%" PRIu64 "\"}", x);
        }
    } else if (wat_tok_is(p, op, "ref.null")) {
        if (wat_tok_is(p, v, "func"))
            jputs(s, "{\"type\": \"funcref\", \"value\": \"null\"}");
        else if (wat_tok_is(p, v, "extern"))
            jputs(s, "{\"type\": \"externref\", \"value\": \"null\"}");
        else
            ok = false;
    } else if (wat_tok_is(p, op, "ref.extern")) {
        uint64_t x = 0;
        ok = v->kind == WAT_TOK_NUM && wat_num_u64(txt, v->len, &x);
        jprintf(s, "{\"type\": \"externref\", \"value\": \"%" PRIu64 "\"}", x);
    } else {
        p->pos--;
        return wat_parse_fail(p, "unsupported constant (SIMD and 3.0 values are not part of this converter)");
    }
    if (!ok)
        return wat_parse_fail(p, "malformed constant");
    p->pos++;
    return wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

static void write_values_until_rpar(Script *s, bool expectation, bool *ok)
{
    WatParser *p = &s->p;
    jputs(s, "[");
    bool first = true;
    while (*ok && wat_at(p, WAT_TOK_LPAR)) {
        if (!first)
            jputs(s, ", ");
        first = false;
        *ok = const_value(s, expectation);
    }
    jputs(s, "]");
}

/* The module an action names ($id) or the last one. */
static ScriptModule *find_module(Script *s, const WatToken *id)
{
    if (!id)
        return s->last_module >= 0 ? &s->mods[s->last_module] : NULL;
    for (size_t i = s->nmods; i-- > 0;) {
        ScriptModule *m = &s->mods[i];
        if (m->name_len == id->len && memcmp(s->p.text + m->name_pos, s->p.text + id->pos, id->len) == 0)
            return m;
    }
    return NULL;
}

static const char *type_name(uint8_t t)
{
    switch (t) {
    case LODGE_I32: return "i32";
    case LODGE_I64: return "i64";
    case LODGE_F32: return "f32";
    case LODGE_F64: return "f64";
    case LODGE_V128: return "v128";
    case LODGE_FUNCREF: return "funcref";
    case LODGE_EXTERNREF: return "externref";
    }
    return "?";
}

/* (invoke $m? "name" const*) | (get $m? "name"); cursor at '('. Writes "action": {...}; *result_types gets
 * the export's result types. */
static bool action(Script *s, const WatToken **line_tok, WatBuf *result_types)
{
    WatParser *p = &s->p;
    if (!wat_parse_expect(p, WAT_TOK_LPAR, "'('"))
        return false;
    *line_tok = wat_tok(p);
    bool invoke = wat_tok_is(p, wat_tok(p), "invoke");
    if (!invoke && !wat_tok_is(p, wat_tok(p), "get"))
        return wat_parse_fail(p, "expected invoke or get");
    p->pos++;
    const WatToken *mod = NULL;
    if (wat_at(p, WAT_TOK_ID))
        mod = &p->toks[p->pos++];
    if (!wat_at(p, WAT_TOK_STRING))
        return wat_parse_fail(p, "expected the export's name");
    WatBuf name = {0};
    if (!wat_lex_string(p->text, wat_tok(p), &name)) {
        wat_buf_free(&name);
        return wat_parse_fail(p, "malformed string escape");
    }
    p->pos++;
    jprintf(s, "\"action\": {\"type\": \"%s\", ", invoke ? "invoke" : "get");
    if (mod) {
        jputs(s, "\"module\": ");
        jstring(s, (const uint8_t *)p->text + mod->pos, mod->len);
        jputs(s, ", ");
    }
    jputs(s, "\"field\": ");
    jstring(s, name.data, name.len);
    bool ok = true;
    if (invoke) {
        jputs(s, ", \"args\": ");
        write_values_until_rpar(s, false, &ok);
    }
    jputs(s, "}");
    ScriptModule *sm = find_module(s, mod);
    for (uint32_t i = 0; sm && i < sm->sum.nex; i++)
        if (sm->sum.ex[i].name.len == name.len && (name.len == 0 || memcmp(sm->sum.ex[i].name.data, name.data, name.len) == 0)) {
            wat_buf_bytes(result_types, sm->sum.ex[i].types.data, sm->sum.ex[i].types.len);
            break;
        }
    wat_buf_free(&name);
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

static void write_types(Script *s, const WatBuf *types)
{
    jputs(s, "[");
    for (size_t i = 0; i < types->len; i++)
        jprintf(s, "%s{\"type\": \"%s\"}", i ? ", " : "", type_name(types->data[i]));
    jputs(s, "]");
}

static bool quoted_text(Script *s)
{
    WatParser *p = &s->p;
    if (!wat_at(p, WAT_TOK_STRING))
        return wat_parse_fail(p, "expected a message string");
    WatBuf t = {0};
    bool ok = wat_lex_string(p->text, wat_tok(p), &t);
    jstring(s, t.data, t.len);
    wat_buf_free(&t);
    p->pos++;
    return ok || wat_parse_fail(p, "malformed string escape");
}

/* ---- commands ---- */

static bool cmd_module(Script *s)
{
    ParsedModule pm;
    ScriptModule *sm = new_module(s);
    if (!sm)
        return wat_parse_fail(&s->p, "out of memory");
    bool ok = script_module(s, &pm, sm);
    if (ok && pm.kind == SM_QUOTE) {
        /* A module given as quoted text: parse it (wast2json 1.0.32 cannot). */
        WatBuf bin = {0};
        lodge_error_t sub = {0};
        ok = wat_convert((const char *)pm.bytes.data, pm.bytes.len, WAT_NO_NAMES, &bin, summarize_text, &sm->sum, &sub);
        if (!ok) {
            wat_lex_error(s->p.err, pm.at, "in quoted module: %s", sub.message);
        } else {
            wat_buf_free(&pm.bytes);
            pm.bytes = bin;
        }
    }
    if (ok) {
        if (pm.id) {
            sm->name_pos = pm.id->pos;
            sm->name_len = pm.id->len;
        }
        s->last_module = (long)(sm - s->mods);
        char *fname;
        jprintf(s, "{\"type\": \"module\", \"line\": %u, ", line_of(pm.at));
        if (pm.id) {
            jputs(s, "\"name\": ");
            jstring(s, (const uint8_t *)s->p.text + pm.id->pos, pm.id->len);
            jputs(s, ", ");
        }
        ok = add_file(s, "wasm", pm.bytes.data, pm.bytes.len, &fname);
        if (ok) {
            jputs(s, "\"filename\": ");
            jstring(s, (const uint8_t *)fname, strlen(fname));
            jputs(s, "}");
        }
        s->nfiles++;
    }
    wat_buf_free(&pm.bytes);
    return ok;
}

static bool cmd_register(Script *s)
{
    WatParser *p = &s->p;
    p->pos++;
    const WatToken *kw = wat_tok(p);
    p->pos++;
    if (!wat_at(p, WAT_TOK_STRING))
        return wat_parse_fail(p, "expected the registered name");
    const WatToken *as = wat_tok(p);
    p->pos++;
    const WatToken *id = wat_at(p, WAT_TOK_ID) ? &p->toks[p->pos++] : NULL;
    jprintf(s, "{\"type\": \"register\", \"line\": %u, ", line_of(id ? id : kw));
    if (id) {
        jputs(s, "\"name\": ");
        jstring(s, (const uint8_t *)p->text + id->pos, id->len);
        jputs(s, ", ");
    }
    jputs(s, "\"as\": ");
    WatBuf t = {0};
    bool ok = wat_lex_string(p->text, as, &t);
    jstring(s, t.data, t.len);
    wat_buf_free(&t);
    jputs(s, "}");
    if (!ok)
        return wat_parse_fail(p, "malformed string escape");
    return wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

/* assert_return, assert_trap (on an action), assert_exhaustion, and a bare action. */
static bool cmd_action(Script *s, const char *type, bool bare)
{
    WatParser *p = &s->p;
    if (!bare)
        p->pos += 2;
    WatBuf types = {0};
    const WatToken *line_tok = NULL;
    /* The line goes first but is known only after the action is read: write the action to a side buffer. */
    WatBuf main = s->json;
    memset(&s->json, 0, sizeof s->json);
    bool ok = action(s, &line_tok, &types);
    WatBuf act = s->json;
    s->json = main;
    if (ok) {
        jprintf(s, "{\"type\": \"%s\", \"line\": %u, ", type, line_of(line_tok));
        wat_buf_bytes(&s->json, act.data, act.len);
        if (strcmp(type, "assert_return") == 0) {
            jputs(s, ", \"expected\": ");
            write_values_until_rpar(s, true, &ok);
        } else if (strcmp(type, "action") == 0) {
            jputs(s, ", \"expected\": ");
            write_types(s, &types);
        } else {
            jputs(s, ", \"text\": ");
            ok = quoted_text(s);
            jputs(s, ", \"expected\": ");
            write_types(s, &types);
        }
        jputs(s, "}");
    }
    wat_buf_free(&act);
    wat_buf_free(&types);
    return ok && (bare || wat_parse_expect(p, WAT_TOK_RPAR, "')'"));
}

/* assert_malformed / assert_invalid / assert_unlinkable / assert_trap on a module (uninstantiable). */
static bool cmd_module_assert(Script *s, const char *type)
{
    WatParser *p = &s->p;
    p->pos += 2;
    ParsedModule pm;
    bool ok = script_module(s, &pm, NULL);
    if (ok) {
        bool text = pm.kind == SM_QUOTE;
        char *fname;
        jprintf(s, "{\"type\": \"%s\", \"line\": %u, ", type, line_of(pm.at));
        ok = add_file(s, text ? "wat" : "wasm", pm.bytes.data, pm.bytes.len, &fname);
        if (ok) {
            jputs(s, "\"filename\": ");
            jstring(s, (const uint8_t *)fname, strlen(fname));
            jputs(s, ", \"text\": ");
            ok = quoted_text(s);
            jprintf(s, ", \"module_type\": \"%s\"}", text ? "text" : "binary");
        }
        s->nfiles++;
    }
    wat_buf_free(&pm.bytes);
    return ok && wat_parse_expect(p, WAT_TOK_RPAR, "')'");
}

/* A script that is just module fields is one module (the spec's inline-module form). */
static bool inline_module(Script *s)
{
    WatParser *p = &s->p;
    ScriptModule *sm = new_module(s);
    if (!sm)
        return wat_parse_fail(p, "out of memory");
    const WatToken *at = wat_tok(p);
    WatModule m = {0};
    WatBuf bin = {0};
    bool ok = wat_module_parse(p, &m) && wat_encode(&m, false, &bin);
    if (ok)
        wat_summary_text(&m, &sm->sum);
    wat_module_free(&m);
    if (ok && !wat_at(p, WAT_TOK_EOF))
        ok = wat_parse_fail(p, "unexpected token after the module fields");
    if (ok) {
        char *fname;
        s->last_module = (long)(sm - s->mods);
        jprintf(s, "{\"type\": \"module\", \"line\": %u, ", line_of(at));
        ok = add_file(s, "wasm", bin.data, bin.len, &fname);
        if (ok) {
            jputs(s, "\"filename\": ");
            jstring(s, (const uint8_t *)fname, strlen(fname));
            jputs(s, "}");
        }
        s->nfiles++;
    }
    wat_buf_free(&bin);
    return ok;
}

static bool is_field(const WatParser *p, const WatToken *kw)
{
    static const char *const fields[] = {"type", "import", "func", "table", "memory", "global",
                                         "export", "start", "elem", "data"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (wat_tok_is(p, kw, fields[i]))
            return true;
    return false;
}

static bool command(Script *s)
{
    WatParser *p = &s->p;
    const WatToken *kw = wat_tok_at(p, 1);
    if (wat_tok_is(p, kw, "module"))
        return cmd_module(s);
    if (wat_tok_is(p, kw, "register"))
        return cmd_register(s);
    if (wat_tok_is(p, kw, "invoke") || wat_tok_is(p, kw, "get"))
        return cmd_action(s, "action", true);
    if (wat_tok_is(p, kw, "assert_return"))
        return cmd_action(s, "assert_return", false);
    if (wat_tok_is(p, kw, "assert_exhaustion"))
        return cmd_action(s, "assert_exhaustion", false);
    if (wat_tok_is(p, kw, "assert_trap")) {
        if (wat_tok_at(p, 2)->kind == WAT_TOK_LPAR && wat_tok_is(p, wat_tok_at(p, 3), "module"))
            return cmd_module_assert(s, "assert_uninstantiable");
        return cmd_action(s, "assert_trap", false);
    }
    if (wat_tok_is(p, kw, "assert_malformed"))
        return cmd_module_assert(s, "assert_malformed");
    if (wat_tok_is(p, kw, "assert_invalid"))
        return cmd_module_assert(s, "assert_invalid");
    if (wat_tok_is(p, kw, "assert_unlinkable"))
        return cmd_module_assert(s, "assert_unlinkable");
    p->pos++;
    return wat_parse_fail(p, "unknown script command");
}

bool wat_script_convert(const char *text, size_t len, const char *source_name, const char *base,
                        WatScriptOut *out, lodge_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (err)
        err->status = LODGE_OK;
    WatToken *toks = NULL;
    size_t ntoks = 0;
    if (!wat_lex(text, len, &toks, &ntoks, err))
        return false;
    Script *s = calloc(1, sizeof *s);
    if (!s) {
        free(toks);
        return lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
    }
    s->p.text = text;
    s->p.toks = toks;
    s->p.ntoks = ntoks;
    s->p.err = err;
    wat_instr_init_table(&s->p);
    s->out = out;
    s->base = base;
    s->last_module = -1;
    jputs(s, "{\"source_filename\": ");
    jstring(s, (const uint8_t *)source_name, strlen(source_name));
    jputs(s, ",\n \"commands\": [\n");
    bool ok = true, first = true;
    if (wat_at(&s->p, WAT_TOK_LPAR) && is_field(&s->p, wat_tok_at(&s->p, 1))) {
        jputs(s, "  ");
        ok = inline_module(s);
        first = false;
    }
    while (ok && wat_at(&s->p, WAT_TOK_LPAR)) {
        if (!first)
            jputs(s, ", \n");
        first = false;
        jputs(s, "  ");
        ok = command(s);
    }
    if (ok && !wat_at(&s->p, WAT_TOK_EOF))
        ok = wat_parse_fail(&s->p, "unexpected token, expected a command");
    jputs(s, "]}\n");
    wat_buf_byte(&s->json, 0);
    if (ok && s->json.oom)
        ok = lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
    out->json = (char *)s->json.data;
    out->json_len = s->json.len ? s->json.len - 1 : 0;
    for (size_t i = 0; i < s->nmods; i++)
        wat_summary_free(&s->mods[i].sum);
    free(s->mods);
    free(s);
    free(toks);
    return ok;
}

void wat_script_out_free(WatScriptOut *out)
{
    free(out->json);
    for (size_t i = 0; i < out->nfiles; i++) {
        free(out->files[i].name);
        free(out->files[i].data);
    }
    free(out->files);
    memset(out, 0, sizeof *out);
}
