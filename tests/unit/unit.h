/* unit.h: Lodge's unit-test framework: CHECK macros that record a failure and go on, REQUIRE macros that
 * end the test, and suites of named tests, each suite a table in its own file, listed in main.c.
 * main.c runs every test in a child process of its own, so a crash or a hang fails one test, not all. */
#ifndef LODGE_TESTS_UNIT_H
#define LODGE_TESTS_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The state of one running test, passed to it and to every check. */
typedef struct UnitCtx {
    const char *suite, *test;
    unsigned checks, failures;
} UnitCtx;

typedef void (*UnitFn)(UnitCtx *t);

typedef struct UnitTest {
    const char *name;
    UnitFn fn;
} UnitTest;

typedef struct UnitSuite {
    const char *name;
    const UnitTest *tests;
    size_t ntests;
} UnitSuite;

/* A suite table: UNIT_SUITE(leb128, UNIT_TEST(u32_max), ...). */
#define UNIT_TEST(fn) {#fn, fn}
#define UNIT_SUITE(nm, ...)                                                             \
    const UnitSuite unit_suite_##nm = {#nm, (const UnitTest[]){__VA_ARGS__},            \
                                       sizeof((const UnitTest[]){__VA_ARGS__}) / sizeof(UnitTest)}

/* Each returns the check's outcome, so a test can stop with `if (!CHECK(...)) return;`. */
bool unit_check(UnitCtx *t, bool ok, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
bool unit_check_int(UnitCtx *t, const char *file, int line, const char *expr, long long got, long long want);
bool unit_check_u64(UnitCtx *t, const char *file, int line, const char *expr, uint64_t got, uint64_t want);
bool unit_check_str(UnitCtx *t, const char *file, int line, const char *expr, const char *got, const char *want);
bool unit_check_has(UnitCtx *t, const char *file, int line, const char *expr, const char *hay, const char *needle);

#define CHECK(c) unit_check(t, (c) ? true : false, __FILE__, __LINE__, "%s", #c)
#define CHECKF(c, ...) unit_check(t, (c) ? true : false, __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_INT(got, want) unit_check_int(t, __FILE__, __LINE__, #got, (long long)(got), (long long)(want))
#define CHECK_U64(got, want) unit_check_u64(t, __FILE__, __LINE__, #got, (uint64_t)(got), (uint64_t)(want))
#define CHECK_STR(got, want) unit_check_str(t, __FILE__, __LINE__, #got, (got), (want))
#define CHECK_HAS(hay, needle) unit_check_has(t, __FILE__, __LINE__, #hay, (hay), (needle))
/* Stop the test when the check fails (later checks would only report the same cause). */
#define REQUIRE(c) do { if (!CHECK(c)) return; } while (0)

#endif
