/* check.h: the little the C API tests share: a check that prints one result line per assertion, and
 * loading a module compiled from tests/capi/<name>.wat at build time. Programs use only wasm.h. */
#ifndef CAPI_CHECK_H
#define CAPI_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"

static int check_failed;

/* One line per assertion: "ok - what" or "not ok - what (file:line)"; run.sh counts them. */
#define CHECK(cond, what)                                                                           \
    do {                                                                                            \
        if (cond) {                                                                                 \
            printf("ok - %s\n", what);                                                              \
        } else {                                                                                    \
            printf("not ok - %s (%s:%d)\n", what, __FILE__, __LINE__);                              \
            check_failed++;                                                                         \
        }                                                                                           \
    } while (0)

/* Stop the program when something it depends on is missing (counts as one failure). */
#define REQUIRE(cond, what)                                                                         \
    do {                                                                                            \
        CHECK(cond, what);                                                                          \
        if (!(cond))                                                                                \
            exit(1);                                                                                \
    } while (0)

/* The bytes of <dir>/<name>.wasm, where dir is the program's first argument. */
static inline void check_load(const char *dir, const char *name, wasm_byte_vec_t *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wasm", dir, name);
    FILE *f = fopen(path, "rb");
    wasm_byte_vec_new_empty(out);
    if (!f) {
        printf("not ok - cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    wasm_byte_vec_new_uninitialized(out, (size_t)n);
    if (fread(out->data, 1, (size_t)n, f) != (size_t)n) {
        printf("not ok - cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
}

/* A module from <dir>/<name>.wasm; the program stops if it does not compile. */
static inline wasm_module_t *check_module(wasm_store_t *store, const char *dir, const char *name)
{
    wasm_byte_vec_t bytes;
    check_load(dir, name, &bytes);
    wasm_module_t *m = wasm_module_new(store, &bytes);
    wasm_byte_vec_delete(&bytes);
    char what[128];
    snprintf(what, sizeof what, "module %s compiles", name);
    REQUIRE(m != NULL, what);
    return m;
}

/* Whether a trap's message is exactly msg (the message carries its NUL). */
static inline int check_trap_message(const wasm_trap_t *trap, const char *msg)
{
    if (!trap)
        return 0;
    wasm_message_t m;
    wasm_trap_message(trap, &m);
    int same = m.size == strlen(msg) + 1 && memcmp(m.data, msg, m.size) == 0;
    if (!same)
        printf("# trap message: \"%.*s\", expected \"%s\"\n", (int)m.size, m.data, msg);
    wasm_byte_vec_delete(&m);
    return same;
}

/* The export `i` of an instance's export vector as a function (or NULL). */
#define EXPORT_FUNC(exports, i) ((exports).size > (i) ? wasm_extern_as_func((exports).data[i]) : NULL)

#endif
