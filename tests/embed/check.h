/* check.h: what the embedding tests share: one result line per assertion ("ok - ..." / "not ok - ..."),
 * which run.sh counts, and loading a module built next to the test program. Programs use lodge.h only. */
#ifndef EMBED_CHECK_H
#define EMBED_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lodge.h"

static int check_failed;

#define CHECK(cond, ...)                                                                            \
    do {                                                                                            \
        if (cond) {                                                                                 \
            printf("ok - ");                                                                        \
        } else {                                                                                    \
            printf("not ok (%s:%d) - ", __FILE__, __LINE__);                                        \
            check_failed++;                                                                         \
        }                                                                                           \
        printf(__VA_ARGS__);                                                                        \
        printf("\n");                                                                               \
        fflush(stdout);                                                                             \
    } while (0)

/* Stop the program when something the rest depends on is missing (counts as one failure). The
 * condition is evaluated once. */
#define REQUIRE(cond, ...)                                                                          \
    do {                                                                                            \
        bool req_ok_ = (cond);                                                                      \
        CHECK(req_ok_, __VA_ARGS__);                                                                \
        if (!req_ok_)                                                                               \
            exit(1);                                                                                \
    } while (0)

/* The bytes of <dir>/<name>; exits when the file cannot be read. */
static inline unsigned char *check_read(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("not ok - cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        printf("not ok - cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* A compiled module from <dir>/<name>; exits when it does not compile. */
static inline lodge_module_t *check_module(lodge_engine_t *engine, const char *dir, const char *name)
{
    size_t len;
    unsigned char *b = check_read(dir, name, &len);
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_module_t *m = lodge_module_new(engine, b, len, &err);
    free(b);
    if (!m) {
        printf("not ok - %s does not compile: %s\n", name, err.message);
        exit(1);
    }
    return m;
}

#endif
