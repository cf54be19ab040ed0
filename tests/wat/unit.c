/* unit.c: unit cases for the text format: numeric literals, the lexer (comments, strings, token
 * boundaries), located errors, and the encoding of small modules. Prints one line per case and ends with
 * "N passed, N failed". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat/lex.h"
#include "wat/num.h"
#include "wat/wat.h"

static int passed, failed;

static void check(int ok, const char *what, const char *detail)
{
    if (ok)
        passed++;
    else
        failed++;
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail ? ": " : "", detail ? detail : "");
}

static void i32_case(const char *lit, int ok, uint32_t want)
{
    uint32_t v = 0;
    int r = wat_num_i32(lit, strlen(lit), &v);
    char d[128];
    snprintf(d, sizeof d, "got %s 0x%08" PRIx32, r ? "ok" : "error", v);
    char w[96];
    snprintf(w, sizeof w, "i32 %s", lit);
    check(ok ? (r && v == want) : !r, w, d);
}

static void i64_case(const char *lit, int ok, uint64_t want)
{
    uint64_t v = 0;
    int r = wat_num_i64(lit, strlen(lit), &v);
    char d[128];
    snprintf(d, sizeof d, "got %s 0x%016" PRIx64, r ? "ok" : "error", v);
    char w[96];
    snprintf(w, sizeof w, "i64 %s", lit);
    check(ok ? (r && v == want) : !r, w, d);
}

static void u32_case(const char *lit, int ok, uint32_t want)
{
    uint32_t v = 0;
    int r = wat_num_u32(lit, strlen(lit), &v);
    char d[128];
    snprintf(d, sizeof d, "got %s %" PRIu32, r ? "ok" : "error", v);
    char w[96];
    snprintf(w, sizeof w, "u32 %s", lit);
    check(ok ? (r && v == want) : !r, w, d);
}

static void f32_case(const char *lit, int ok, uint32_t want)
{
    uint32_t v = 0;
    int r = wat_num_f32(lit, strlen(lit), &v);
    char d[128];
    snprintf(d, sizeof d, "got %s 0x%08" PRIx32 ", want 0x%08" PRIx32, r ? "ok" : "error", v, want);
    char w[128];
    snprintf(w, sizeof w, "f32 %.80s", lit);
    check(ok ? (r && v == want) : !r, w, d);
}

static void f64_case(const char *lit, int ok, uint64_t want)
{
    uint64_t v = 0;
    int r = wat_num_f64(lit, strlen(lit), &v);
    char d[128];
    snprintf(d, sizeof d, "got %s 0x%016" PRIx64 ", want 0x%016" PRIx64, r ? "ok" : "error", v, want);
    char w[128];
    snprintf(w, sizeof w, "f64 %.80s", lit);
    check(ok ? (r && v == want) : !r, w, d);
}

static void numbers(void)
{
    i32_case("0", 1, 0);
    i32_case("4294967295", 1, 0xFFFFFFFFu);
    i32_case("4294967296", 0, 0);
    i32_case("-2147483648", 1, 0x80000000u);
    i32_case("-2147483649", 0, 0);
    i32_case("0xffff_ffff", 1, 0xFFFFFFFFu);
    i32_case("+0x7fffffff", 1, 0x7FFFFFFFu);
    i32_case("-0x1", 1, 0xFFFFFFFFu);
    i32_case("1_000_000", 1, 1000000);
    i32_case("1__0", 0, 0);
    i32_case("_1", 0, 0);
    i32_case("1_", 0, 0);
    i32_case("0x", 0, 0);
    i32_case("0x_1", 0, 0);
    i32_case("0X1", 0, 0);
    i32_case("1.0", 0, 0);
    i32_case("", 0, 0);
    i32_case("-", 0, 0);
    i64_case("18446744073709551615", 1, UINT64_MAX);
    i64_case("18446744073709551616", 0, 0);
    i64_case("-9223372036854775808", 1, 0x8000000000000000ull);
    i64_case("-9223372036854775809", 0, 0);
    i64_case("0x8000_0000_0000_0000", 1, 0x8000000000000000ull);
    u32_case("+1", 0, 0);
    u32_case("-0", 0, 0);
    u32_case("0x10", 1, 16);
    f32_case("0", 1, 0);
    f32_case("-0", 1, 0x80000000u);
    f32_case("1", 1, 0x3F800000u);
    f32_case("1.", 1, 0x3F800000u);
    f32_case("1.5e+2", 1, 0x43160000u);
    f32_case("0x1p-149", 1, 1);
    f32_case("0x1p-150", 1, 0);                 /* exactly half the smallest subnormal: ties to even */
    f32_case("0x1.000002p-150", 1, 1);          /* just above half: rounds up */
    f32_case("0x1.fffffep127", 1, 0x7F7FFFFFu);
    f32_case("0x1.fffffefffffffffffp127", 1, 0x7F7FFFFFu);
    f32_case("0x1.ffffffp127", 0, 0);           /* rounds to infinity: out of range */
    f32_case("1e39", 0, 0);
    f32_case("1.000000059604644775390625", 1, 0x3F800000u);  /* halfway, ties to even */
    f32_case("1.000000059604644775390626", 1, 0x3F800001u);
    f32_case("0x1.000001p0", 1, 0x3F800000u);
    f32_case("0x1.0000011p0", 1, 0x3F800001u);
    f32_case("inf", 1, 0x7F800000u);
    f32_case("-inf", 1, 0xFF800000u);
    f32_case("nan", 1, 0x7FC00000u);
    f32_case("-nan", 1, 0xFFC00000u);
    f32_case("nan:0x200000", 1, 0x7FA00000u);
    f32_case("+nan:0x1", 1, 0x7F800001u);
    f32_case("nan:0x0", 0, 0);
    f32_case("nan:0x800000", 0, 0);
    f32_case("0x1p", 0, 0);
    f32_case("1e", 0, 0);
    f32_case(".5", 0, 0);
    f32_case("1.5_", 0, 0);
    f32_case("1_0.2_5e1_0", 1, 0x51BEEBCFu);
    f32_case("infinity", 0, 0);
    f64_case("0x1p-1074", 1, 1);
    f64_case("0x1.fffffffffffffp1023", 1, 0x7FEFFFFFFFFFFFFFull);
    f64_case("0x1.fffffffffffff8p1023", 0, 0);  /* halfway to 2^1024: rounds to infinity */
    f64_case("1e308", 1, 0x7FE1CCF385EBC8A0ull);
    f64_case("1e309", 0, 0);
    f64_case("nan:0xfffffffffffff", 1, 0x7FFFFFFFFFFFFFFFull);
    f64_case("nan:0x10000000000000", 0, 0);
    f64_case("-0x0.0000000000001p-1022", 1, 0x8000000000000001ull);
    f64_case("2.2250738585072012e-308", 1, 0x0010000000000000ull);
}

/* Convert text; expect success (and optionally the exact bytes) or an error whose message starts with
 * err_prefix (its LINE:COL). */
static void module_case(const char *what, const char *text, const char *err_prefix, const uint8_t *want,
                        size_t want_len)
{
    uint8_t *out = NULL;
    size_t len = 0;
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    int ok = wat_to_wasm_flags(text, strlen(text), WAT_NO_NAMES, &out, &len, &err);
    if (err_prefix) {
        int good = !ok && err.status == LODGE_ERR_MALFORMED &&
                   strncmp(err.message, err_prefix, strlen(err_prefix)) == 0;
        check(good, what, ok ? "accepted" : err.message);
    } else if (!ok) {
        check(0, what, err.message);
    } else {
        int good = len >= 8 && memcmp(out, "\0asm\1\0\0\0", 8) == 0;
        if (want)
            good = good && len == want_len + 8 && memcmp(out + 8, want, want_len) == 0;
        check(good, what, good ? NULL : "wrong bytes");
    }
    free(out);
}

static void lexer(void)
{
    module_case("empty module", "(module)", NULL, (const uint8_t *)"", 0);
    module_case("bare fields", "(func) (memory 0)", NULL, NULL, 0);
    module_case("nested block comment", "(module (; a (; b ;) c ;) (func))", NULL, NULL, 0);
    module_case("unterminated block comment", "(module\n  (; a (; b ;) c )", "2:3:", NULL, 0);
    module_case("line comment ended by CR", "(module (func (result i32) (i32.const 1)\n ;; x\r (return (i32.const 2))))",
                NULL, NULL, 0);
    {
        static const uint8_t want[] = {0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0A, 0x0B, 0x01,
                                       0x09, 0x00, 0x41, 0x01, 0x04, 0x40, 0x05, 0x01, 0x0B, 0x0B};
        module_case("non-empty else kept", "(module (func i32.const 1 if else nop end))", NULL, want, sizeof want);
    }
    module_case("bare CR is not a line break in positions", "(module\r(func\n  (i32.add2)))", "2:4:", NULL, 0);
    module_case("line comment ended by CR LF", "(module ;; x\r\n(func))", NULL, NULL, 0);
    module_case("comment delimits tokens", "(module (func nop;;bla\n))", NULL, NULL, 0);
    module_case("unknown operator position", "(module\n  (func\n    (i32.add2)))", "3:6:", NULL, 0);
    module_case("token run i32.const0", "(module (func (drop (i32.const0))))", "1:22:", NULL, 0);
    module_case("string glued to keyword", "(module (data\"a\"))", "1:10:", NULL, 0);
    module_case("id glued to number", "(module (func (block $l (i32.const 0) (br_table 0$l))))", "1:", NULL, 0);
    module_case("unterminated string", "(module (data \"abc))", "1:", NULL, 0);
    module_case("raw tab in string", "(module (data \"a\tb\"))", "1:", NULL, 0);
    module_case("bad escape", "(module (data \"\\q\"))", "1:15:", NULL, 0);
    module_case("surrogate escape", "(module (data \"\\u{d800}\"))", "1:", NULL, 0);
    {
        static const uint8_t want[] = {
            0x05, 0x04, 0x01, 0x01, 0x01, 0x01,                   /* memory 1 1 */
            0x0B, 0x0E, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x08,       /* data: active, offset 0, 8 bytes */
            0x41, 'A', 0xF0, 0x9F, 0x98, 0x80, '\t', '"',
        };
        module_case("string escapes", "(module (memory (data \"\\41A\\u{1F600}\\t\\\"\")))", NULL, want, sizeof want);
    }
    module_case("bad UTF-8 in export name", "(module (func (export \"\\ff\")))", "1:", NULL, 0);
    module_case("import after definition", "(module (func) (import \"a\" \"b\" (func)))", "1:", NULL, 0);
    module_case("unknown label", "(module (func (br $nope)))", "1:", NULL, 0);
    module_case("mismatching end label", "(module (func block $a end $b))", "1:", NULL, 0);
    module_case("inconsistent type use", "(module (type (func)) (func (type 0) (param i32)))", "1:", NULL, 0);
    module_case("alignment not a power of two", "(module (memory 1) (func (drop (i32.load align=3 (i32.const 0)))))",
                "1:", NULL, 0);
    module_case("offset out of range", "(module (memory 1) (func (drop (i32.load offset=4294967296 (i32.const 0)))))",
                "1:", NULL, 0);
    module_case("duplicate id", "(module (func $f) (func $f))", "1:", NULL, 0);
    module_case("1.0 forms (elem tableidx ...) (data memidx ...)",
                "(module (table 1 funcref) (memory 1) (func $f) (elem 0 (offset (i32.const 0)) $f)"
                " (data 0 (i32.const 0) \"hi\"))", NULL, NULL, 0);
    module_case("explicit table needs func or a reference type", "(module (table 1 funcref) (func $f)"
                " (elem (table 0) (i32.const 0) $f))", "1:", NULL, 0);
    module_case("trailing garbage", "(module) (module)", "1:", NULL, 0);
    {
        /* typed select without a table index, table.get without a table index, folded if with a condition
         * list, inline element segment */
        static const uint8_t want[] = {
            0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x70,             /* type () -> funcref */
            0x03, 0x02, 0x01, 0x00,                               /* func 0 : type 0 */
            0x04, 0x05, 0x01, 0x70, 0x01, 0x01, 0x01,             /* table funcref 1 1 */
            0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x01, 0x00, /* elem (i32.const 0) func 0 */
            0x0A, 0x15, 0x01, 0x13, 0x00,                         /* code: one body, no locals */
            0x41, 0x00, 0x25, 0x00,                               /* table.get 0 */
            0x41, 0x01, 0x45,                                     /* condition: i32.const 1, i32.eqz */
            0x04, 0x40, 0x0B,                                     /* if (then) (else): empty else left out */
            0xD0, 0x70, 0x41, 0x00,                               /* ref.null func, i32.const 0 */
            0x1C, 0x01, 0x70,                                     /* select (result funcref) */
            0x0B,
        };
        module_case("2.0 text forms", "(module (table funcref (elem 0))"
                                      " (func (result funcref) (table.get (i32.const 0))"
                                      "  (if (i32.const 1) (i32.eqz) (then) (else))"
                                      "  (ref.null func) (i32.const 0) select (result funcref)))",
                    NULL, want, sizeof want);
    }
}

/* The API contract: NULL error pointer tolerated; error fields filled; output ownership. */
static void api(void)
{
    uint8_t *out = NULL;
    size_t len = 0;
    check(!wat_to_wasm("(module (func (i32.const)))", 27, &out, &len, NULL), "error without an error struct", NULL);
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    const char *text = "(module\n  (memory 1)\n  (func (i32.load offset=x)))";
    int ok = wat_to_wasm(text, strlen(text), &out, &len, &err);
    check(!ok && err.status == LODGE_ERR_MALFORMED && err.offset == (size_t)(strstr(text, "offset=x") - text) &&
              strncmp(err.message, "3:19:", 5) == 0,
          "error status, byte offset and line:column", err.message);
    /* Text need not be NUL-terminated: only len bytes are read. */
    char buf[16];
    memcpy(buf, "(module)XXXXXXXX", 16);
    ok = wat_to_wasm(buf, 8, &out, &len, &err);
    check(ok && len == 8, "reads exactly len bytes", NULL);
    free(out);
}

int main(void)
{
    numbers();
    lexer();
    api();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
