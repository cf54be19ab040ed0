/* lex.h: the WebAssembly text-format lexer: text -> array of tokens with line:column positions.
 * Also decodes string tokens and reports located errors (status LODGE_ERR_MALFORMED). */
#ifndef LODGE_WAT_LEX_H
#define LODGE_WAT_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lodge.h"
#include "wat/buf.h"

typedef enum WatTokKind {
    WAT_TOK_EOF,
    WAT_TOK_LPAR,
    WAT_TOK_RPAR,
    WAT_TOK_KEYWORD,    /* starts with a-z: instruction names, field keywords, offset=..., nan:0x... is NUM */
    WAT_TOK_ID,         /* $name */
    WAT_TOK_NUM,        /* starts with a digit or a sign; checked when converted (num.c) */
    WAT_TOK_STRING,     /* "..." with its quotes; decode with wat_lex_string() */
    WAT_TOK_RESERVED,   /* anything else the grammar reserves; always an error where it appears */
} WatTokKind;

typedef struct WatToken {
    WatTokKind kind;
    uint32_t line, col;     /* 1-based; col counts bytes */
    size_t pos, len;        /* byte range in the text */
} WatToken;

/* Tokenize text[0..len). *toks is malloc'd (caller frees) and ends with a WAT_TOK_EOF token.
 * Errors: unterminated comment or string, bad escape, control characters. */
bool wat_lex(const char *text, size_t len, WatToken **toks, size_t *ntoks, lodge_error_t *err);

/* Decode a string token's contents (escapes resolved) onto out. False on a bad escape. */
bool wat_lex_string(const char *text, const WatToken *t, WatBuf *out);

/* Fill err with LODGE_ERR_MALFORMED, "LINE:COL: message"; offset = byte position. Returns false. */
bool wat_lex_error(lodge_error_t *err, const WatToken *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
