/* spec.h: what the spec runner's files share: one-line texts for reports, script values and their
 * checks (value.c), and the `spectest` host module every script may import (spectest.c). */
#ifndef LODGE_TESTS_SPEC_H
#define LODGE_TESTS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lodge.h"

/* cJSON cuts strings at NUL, but wasm names may hold U+0000 (names.wast). Before parsing, each `\u0000`
 * escape in the JSON text becomes this byte, which never occurs in UTF-8, and names map it back. */
#define NUL_STANDIN 0xFF

/* ---- text.c: a bounded one-line report; appends past the end are cut, never overflow ---------- */

typedef struct Text {
    char s[4096];
    size_t n;
} Text;

void text_add(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s quoted, with control and non-ASCII bytes escaped (NUL_STANDIN as \00) so the output stays one line. */
void text_add_quoted(Text *t, const char *s);

/* ---- value.c: script values ---------------------------------------------------------------------- */

/* An expected result: an exact value, a NaN class, or "any non-null reference" (`ref.func`/`ref.extern`
 * without an argument). */
typedef enum ExpectKind { EXPECT_EXACT, EXPECT_NAN_CANONICAL, EXPECT_NAN_ARITHMETIC, EXPECT_NONNULL } ExpectKind;

typedef struct Expect {
    ExpectKind kind;
    lodge_val_t val;
} Expect;

/* Why a value could not be used: a script this runner cannot express is a skip, anything else a failure. */
typedef enum ValueProblem { VALUE_OK, VALUE_SKIP_V128, VALUE_BAD } ValueProblem;

/* Parses a wast2json value: type name `type` ("i32", ..., "externref") and `value`, the decimal bit
 * pattern, "null", "nan:canonical"/"nan:arithmetic" (only when `expected`) or NULL (a non-null reference,
 * only when `expected`). `ref.extern N` becomes a host pointer that maps back to N. On VALUE_BAD appends
 * the reason to why. */
ValueProblem value_parse(const char *type, const char *value, bool expected, Expect *out, Text *why);
const char *value_type_name(lodge_valtype_t t);
void value_print(Text *t, const lodge_val_t *v);
void value_print_expect(Text *t, const Expect *e);
/* The spec's result check: bits for numbers, NaN classes by their bit patterns, identity for references. */
bool value_matches(const Expect *e, lodge_valtype_t type, const lodge_val_t *got);

/* ---- spectest.c: the host module ------------------------------------------------------------------ */

#define SPECTEST_MAX 16

typedef struct HostExport {
    const char *name;
    lodge_extern_t ext;
} HostExport;

typedef struct Spectest {
    HostExport exports[SPECTEST_MAX];
    size_t n;
} Spectest;

/* Creates print*, global_i32/i64/f32/f64 (666, 666.6), table (funcref 10..20) and memory (1..2 pages) in
 * store; they live as long as the store. False with err filled when the store refuses. */
bool spectest_init(Spectest *st, lodge_store_t *store, lodge_error_t *err);
/* The export `name`, false when there is none (the caller's "unknown import"). */
bool spectest_export(const Spectest *st, const char *name, lodge_extern_t *out);

#endif
