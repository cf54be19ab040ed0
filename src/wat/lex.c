/* lex.c: the text-format lexer (tokens, comments, strings) and located error reporting.
 * Tokens follow the spec's maximal-munch rule: a run of idchars and strings not separated by white space
 * or parentheses is one token, so `0$l`, `i32.const0` and `data"a"` are single (bad) tokens. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat/lex.h"

bool wat_lex_error(lodge_error_t *err, const WatToken *at, const char *fmt, ...)
{
    if (!err)
        return false;
    char msg[LODGE_ERROR_MSG_MAX - 24];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err->status = LODGE_ERR_MALFORMED;
    err->trap = LODGE_TRAP_NONE;
    err->offset = at ? at->pos : 0;
    err->backtrace[0] = '\0';
    if (at)
        snprintf(err->message, sizeof err->message, "%u:%u: %s", at->line, at->col, msg);
    else
        snprintf(err->message, sizeof err->message, "%s", msg);
    return false;
}

static bool is_idchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

typedef struct Lexer {
    const char *s;
    size_t len, pos;
    uint32_t line;
    size_t line_start;
    lodge_error_t *err;
} Lexer;

static WatToken here(const Lexer *lx, WatTokKind kind, size_t start)
{
    WatToken t = {kind, lx->line, (uint32_t)(start - lx->line_start + 1), start, lx->pos - start};
    return t;
}

static bool fail_here(Lexer *lx, const char *msg)
{
    WatToken t = here(lx, WAT_TOK_EOF, lx->pos);
    return wat_lex_error(lx->err, &t, "%s", msg);
}

/* Lines are counted at LF only (as wabt counts them for its JSON); a bare CR still ends a line comment. */
static void newline(Lexer *lx)
{
    lx->pos++;
    lx->line++;
    lx->line_start = lx->pos;
}

/* Skip white space and comments. False on an unterminated block comment. */
static bool skip_space(Lexer *lx)
{
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        char d = lx->pos + 1 < lx->len ? lx->s[lx->pos + 1] : '\0';
        if (c == ' ' || c == '\t' || c == '\r') {
            lx->pos++;
        } else if (c == '\n') {
            newline(lx);
        } else if (c == ';' && d == ';') {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n' && lx->s[lx->pos] != '\r')
                lx->pos++;
        } else if (c == '(' && d == ';') {
            size_t start = lx->pos;
            uint32_t sl = lx->line;
            size_t sls = lx->line_start;
            int depth = 1;
            lx->pos += 2;
            while (depth > 0) {
                if (lx->pos >= lx->len) {
                    WatToken t = {WAT_TOK_EOF, sl, (uint32_t)(start - sls + 1), start, 2};
                    return wat_lex_error(lx->err, &t, "unterminated block comment");
                }
                char a = lx->s[lx->pos];
                char b = lx->pos + 1 < lx->len ? lx->s[lx->pos + 1] : '\0';
                if (a == '(' && b == ';') {
                    depth++;
                    lx->pos += 2;
                } else if (a == ';' && b == ')') {
                    depth--;
                    lx->pos += 2;
                } else if (a == '\n') {
                    newline(lx);
                } else {
                    lx->pos++;
                }
            }
        } else {
            break;
        }
    }
    return true;
}

/* Scan a string starting at the opening quote; leaves pos after the closing quote. */
static bool scan_string(Lexer *lx)
{
    lx->pos++;
    while (lx->pos < lx->len) {
        unsigned char c = (unsigned char)lx->s[lx->pos];
        if (c == '"') {
            lx->pos++;
            return true;
        }
        if (c == '\n' || c == '\r')
            return fail_here(lx, "newline in string");
        if (c < 0x20 || c == 0x7f)
            return fail_here(lx, "control character in string");
        if (c == '\\' && lx->pos + 1 < lx->len)
            lx->pos++;
        lx->pos++;
    }
    return fail_here(lx, "unterminated string");
}

static bool push(WatToken **v, size_t *n, size_t *cap, WatToken t)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        WatToken *nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return false;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = t;
    return true;
}

bool wat_lex(const char *text, size_t len, WatToken **toks, size_t *ntoks, lodge_error_t *err)
{
    Lexer lx = {text, len, 0, 1, 0, err};
    WatToken *v = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (!skip_space(&lx))
            goto fail;
        size_t start = lx.pos;
        if (lx.pos >= len) {
            if (!push(&v, &n, &cap, here(&lx, WAT_TOK_EOF, start)))
                goto nomem;
            break;
        }
        unsigned char c = (unsigned char)text[lx.pos];
        WatToken t;
        if (c == '(' || c == ')') {
            lx.pos++;
            t = here(&lx, c == '(' ? WAT_TOK_LPAR : WAT_TOK_RPAR, start);
        } else {
            bool has_string = false, has_reserved = false, only_string = true;
            int nstrings = 0;
            while (lx.pos < len) {
                unsigned char d = (unsigned char)text[lx.pos];
                if (d == '"') {
                    if (!scan_string(&lx))
                        goto fail;
                    has_string = true;
                    nstrings++;
                } else if (is_idchar(d)) {
                    lx.pos++;
                    only_string = false;
                } else if (d == ',' || d == '[' || d == ']' || d == '{' || d == '}' ||
                           (d == ';' && !(lx.pos + 1 < len && text[lx.pos + 1] == ';'))) {
                    lx.pos++;
                    has_reserved = true;
                    only_string = false;
                } else {
                    break;
                }
            }
            if (lx.pos == start) {
                if (c >= 0x80)
                    fail_here(&lx, "non-ASCII character outside a string or comment");
                else
                    fail_here(&lx, "unexpected character");
                goto fail;
            }
            WatTokKind kind;
            if (has_string && only_string && nstrings == 1)
                kind = WAT_TOK_STRING;
            else if (has_string || has_reserved)
                kind = WAT_TOK_RESERVED;
            else if (c >= 'a' && c <= 'z')
                kind = WAT_TOK_KEYWORD;
            else if (c == '$' && lx.pos - start > 1)
                kind = WAT_TOK_ID;
            else if ((c >= '0' && c <= '9') || c == '+' || c == '-')
                kind = WAT_TOK_NUM;
            else
                kind = WAT_TOK_RESERVED;
            t = here(&lx, kind, start);
        }
        if (!push(&v, &n, &cap, t))
            goto nomem;
    }
    /* Trim to size: look-ahead past the final EOF token is then an error the sanitizers see. */
    WatToken *fit = realloc(v, n * sizeof *v);
    *toks = fit ? fit : v;
    *ntoks = n;
    return true;
nomem:
    wat_lex_error(err, NULL, "out of memory");
    if (err)
        err->status = LODGE_ERR_NOMEM;
fail:
    free(v);
    return false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(WatBuf *out, uint32_t cp)
{
    if (cp < 0x80) {
        wat_buf_byte(out, (uint8_t)cp);
    } else if (cp < 0x800) {
        wat_buf_byte(out, (uint8_t)(0xC0 | (cp >> 6)));
        wat_buf_byte(out, (uint8_t)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        wat_buf_byte(out, (uint8_t)(0xE0 | (cp >> 12)));
        wat_buf_byte(out, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
        wat_buf_byte(out, (uint8_t)(0x80 | (cp & 0x3F)));
    } else {
        wat_buf_byte(out, (uint8_t)(0xF0 | (cp >> 18)));
        wat_buf_byte(out, (uint8_t)(0x80 | ((cp >> 12) & 0x3F)));
        wat_buf_byte(out, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
        wat_buf_byte(out, (uint8_t)(0x80 | (cp & 0x3F)));
    }
}

bool wat_lex_string(const char *text, const WatToken *t, WatBuf *out)
{
    const char *s = text + t->pos + 1, *e = text + t->pos + t->len - 1;
    while (s < e) {
        if (*s != '\\') {
            wat_buf_byte(out, (uint8_t)*s++);
            continue;
        }
        s++;
        char c = *s++;
        switch (c) {
        case 't': wat_buf_byte(out, '\t'); break;
        case 'n': wat_buf_byte(out, '\n'); break;
        case 'r': wat_buf_byte(out, '\r'); break;
        case '"': wat_buf_byte(out, '"'); break;
        case '\'': wat_buf_byte(out, '\''); break;
        case '\\': wat_buf_byte(out, '\\'); break;
        case 'u': {
            if (s >= e || *s != '{')
                return false;
            s++;
            uint32_t cp = 0;
            bool digits = false, last_us = true;
            while (s < e && *s != '}') {
                if (*s == '_') {
                    if (last_us)
                        return false;
                    last_us = true;
                } else {
                    int h = hexval(*s);
                    if (h < 0)
                        return false;
                    cp = cp * 16 + (uint32_t)h;
                    if (cp > 0x10FFFF)
                        return false;
                    digits = true;
                    last_us = false;
                }
                s++;
            }
            if (s >= e || !digits || last_us)
                return false;
            s++;
            if (cp >= 0xD800 && cp < 0xE000)
                return false;
            put_utf8(out, cp);
            break;
        }
        default: {
            int h1 = hexval(c), h2 = s < e ? hexval(*s) : -1;
            if (h1 < 0 || h2 < 0)
                return false;
            s++;
            wat_buf_byte(out, (uint8_t)(h1 * 16 + h2));
        }
        }
    }
    return true;
}
