/* check.h: the tiny harness of the WASI test programs: each check prints one line, "ok NAME" or
 * "FAIL NAME: ...", and the program exits 1 if any failed. The lines are also what the differential
 * test compares between Lodge and node. */
#ifndef WASI_CHECK_H
#define WASI_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed, check_total;

/* Line-buffered, so that a run that hangs or dies still shows every check it passed. */
__attribute__((constructor)) static void check_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

#define CHECK(name, cond)                                                                                 \
    do {                                                                                                  \
        check_total++;                                                                                    \
        if (cond) {                                                                                       \
            printf("ok %s\n", name);                                                                      \
        } else {                                                                                          \
            check_failed++;                                                                               \
            printf("FAIL %s (line %d)\n", name, __LINE__);                                                \
        }                                                                                                 \
    } while (0)

/* A call's result must equal an expected value (an errno, a count): both are printed on failure. */
#define CHECK_EQ(name, got, want)                                                                         \
    do {                                                                                                  \
        long long g_ = (long long)(got), w_ = (long long)(want);                                          \
        check_total++;                                                                                    \
        if (g_ == w_) {                                                                                   \
            printf("ok %s = %lld\n", name, g_);                                                           \
        } else {                                                                                          \
            check_failed++;                                                                               \
            printf("FAIL %s = %lld, want %lld (line %d)\n", name, g_, w_, __LINE__);                      \
        }                                                                                                 \
    } while (0)

#define CHECK_DONE()                                                                                      \
    do {                                                                                                  \
        printf("%d checks, %d failed\n", check_total, check_failed);                                      \
        fflush(stdout);                                                                                   \
        return check_failed ? 1 : 0;                                                                      \
    } while (0)

#ifdef __wasi__
/* Tests often call for the side effect and check the state afterwards. */
#pragma clang diagnostic ignored "-Wunused-result"
#include <wasi/api.h>
/* Out of bounds of any linear memory a test program has. */
#define BADPTR ((void *)0xFFFFFFF0u)
/* proc_raise is in preview1 but no longer declared by wasi-libc. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int32_t
raw_proc_raise(int32_t sig);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_create_directory"))) int32_t
raw_path_create_directory(int32_t fd, int32_t path, int32_t len);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) int32_t
raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t len, int32_t oflags, int64_t base, int64_t inh,
              int32_t fdflags, int32_t out);
/* Out-of-bounds pointers must give FAULT. WASI_TEST_GENTLE skips those checks and proc_raise: node's
 * WASI does not survive some of them (it hangs, or raises the signal on itself), and the differential
 * test wants everything else compared. */
static inline int gentle(void)
{
    return getenv("WASI_TEST_GENTLE") != NULL;
}
#define CHECK_FAULT(name, expr)                                                                           \
    do {                                                                                                  \
        if (!gentle())                                                                                 \
            CHECK_EQ(name, expr, __WASI_ERRNO_FAULT);                                                     \
    } while (0)
#define ALL_RIGHTS ((__wasi_rights_t)((1ull << 30) - 1))
/* The preopen named `name` (fd_prestat_dir_name), or -1. */
static inline int find_preopen(const char *name)
{
    for (int fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0)
            continue;
        char buf[256];
        if (ps.u.dir.pr_name_len >= sizeof buf)
            continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, ps.u.dir.pr_name_len) != 0)
            continue;
        buf[ps.u.dir.pr_name_len] = '\0';
        if (strcmp(buf, name) == 0)
            return fd;
    }
    return -1;
}
#endif

#endif
