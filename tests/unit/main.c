/* main.c: the unit-test runner: the list of suites, one child process per test (a crash, a hang or a
 * leak fails that test alone), per-test lines, a per-suite table and the closing `N passed, N failed`.
 * Usage: unit-tests [-n] [FILTER...]  (-n: run in this process, for a debugger; FILTER: substrings of
 * "suite/test"; a test runs when any filter matches; the pending suite runs only when a filter names it). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#define SUITES(X) X(leb128) X(utf8) X(alloc) X(decode) X(validate) X(interp_int) X(interp_float) X(interp_mem) X(interp_table) X(interp_call) X(interp_lower) X(limits) X(image) X(capi) X(size)
#define DECLARE(nm) extern const UnitSuite unit_suite_##nm;
SUITES(DECLARE)
#undef DECLARE
#define LIST(nm) &unit_suite_##nm,
static const UnitSuite *const suites[] = {SUITES(LIST)};
#undef LIST
/* Tests of core bugs not fixed yet live in tests/unit/pending.c, which is kept out of the repository
 * until the fix lands (then its tests move to their suite): linked when present, run last. */
#if defined(__GNUC__)
extern const UnitSuite unit_suite_pending __attribute__((weak));
#define PENDING (&unit_suite_pending)
#else
#define PENDING ((const UnitSuite *)NULL)
#endif

#define TEST_TIMEOUT 60 /* seconds; the slowest test (deep recursion under ASan) takes a few */

bool unit_check(UnitCtx *t, bool ok, const char *file, int line, const char *fmt, ...)
{
    t->checks++;
    if (ok)
        return true;
    t->failures++;
    printf("    %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    return false;
}

bool unit_check_int(UnitCtx *t, const char *file, int line, const char *expr, long long got, long long want)
{
    return unit_check(t, got == want, file, line, "%s is %lld (0x%llx), expected %lld (0x%llx)", expr, got,
                      (unsigned long long)got, want, (unsigned long long)want);
}

bool unit_check_u64(UnitCtx *t, const char *file, int line, const char *expr, uint64_t got, uint64_t want)
{
    return unit_check(t, got == want, file, line, "%s is 0x%llx, expected 0x%llx", expr, (unsigned long long)got,
                      (unsigned long long)want);
}

bool unit_check_str(UnitCtx *t, const char *file, int line, const char *expr, const char *got, const char *want)
{
    bool ok = got && want && strcmp(got, want) == 0;
    return unit_check(t, ok, file, line, "%s is \"%s\", expected \"%s\"", expr, got ? got : "(null)",
                      want ? want : "(null)");
}

bool unit_check_has(UnitCtx *t, const char *file, int line, const char *expr, const char *hay, const char *needle)
{
    bool ok = hay && needle && strstr(hay, needle) != NULL;
    return unit_check(t, ok, file, line, "%s is \"%s\", expected it to contain \"%s\"", expr, hay ? hay : "(null)",
                      needle);
}

static bool selected(const char *suite, const char *test, int nfilters, char **filters)
{
    if (nfilters == 0)
        return true;
    char full[256];
    snprintf(full, sizeof full, "%s/%s", suite, test);
    for (int i = 0; i < nfilters; i++)
        if (strstr(full, filters[i]))
            return true;
    return false;
}

/* Exit statuses of a test's child: anything else (a sanitizer's 1, a signal) is reported by the parent. */
#define RC_FAILED 10   /* checks failed (the child printed them) */
#define RC_EMPTY 11    /* the test checked nothing */

/* In a LeakSanitizer build, the leak check a test's child runs before it reports. */
#if defined(__GNUC__)
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));
#define LEAK_CHECK() (__lsan_do_recoverable_leak_check ? __lsan_do_recoverable_leak_check() : 0)
#else
#define LEAK_CHECK() 0
#endif

/* Run one test in this process. Returns 0 pass, RC_FAILED or RC_EMPTY. */
static int run_here(const UnitSuite *s, const UnitTest *ut, bool check_leaks)
{
    UnitCtx ctx = {s->name, ut->name, 0, 0};
    ut->fn(&ctx);
    if (check_leaks && LEAK_CHECK()) {
        printf("FAIL %s/%s (memory leaked: see the report above)\n", s->name, ut->name);
        return RC_FAILED;
    }
    if (ctx.failures) {
        printf("FAIL %s/%s (%u of %u checks failed)\n", s->name, ut->name, ctx.failures, ctx.checks);
        return RC_FAILED;
    }
    if (ctx.checks == 0) {
        printf("FAIL %s/%s (the test checked nothing)\n", s->name, ut->name);
        return RC_EMPTY;
    }
    printf("ok   %s/%s (%u checks)\n", s->name, ut->name, ctx.checks);
    return 0;
}

/* Run one test in a child. A passing child exits through exit(), so the leak checker of a sanitizer
 * build still looks at it; a failing one leaves with _exit(), its leaks being the failure's echo. */
static bool run_forked(const UnitSuite *s, const UnitTest *ut)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("FAIL %s/%s (fork: %s)\n", s->name, ut->name, strerror(errno));
        return false;
    }
    if (pid == 0) {
        alarm(TEST_TIMEOUT);
        int rc = run_here(s, ut, true);
        fflush(stdout);
        if (rc)
            _exit(rc);
        exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            printf("FAIL %s/%s (waitpid: %s)\n", s->name, ut->name, strerror(errno));
            return false;
        }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        printf("FAIL %s/%s (%s: %s)\n", s->name, ut->name, sig == SIGALRM ? "timed out" : "killed by signal",
               sig == SIGALRM ? "no end within the time limit" : strsignal(sig));
        return false;
    }
    int rc = WEXITSTATUS(status);
    if (rc == RC_FAILED || rc == RC_EMPTY)
        return false;
    if (rc != 0) {
        printf("FAIL %s/%s (exit status %d: see the sanitizer report above)\n", s->name, ut->name, rc);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* a child that dies keeps the lines it printed */
    bool fork_each = true;
    int nfilters = 0;
    char **filters = argv + 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0)
            fork_each = false;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: %s [-n] [FILTER...]\n  -n  run every test in this process (no fork)\n"
                   "  FILTER  run the tests whose \"suite/test\" name contains it\n", argv[0]);
            return 0;
        } else
            filters[nfilters++] = argv[i];
    }
    enum { NMAX = sizeof suites / sizeof suites[0] + 1 };
    const UnitSuite *all[NMAX];
    size_t nsuites = 0;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        all[nsuites++] = suites[i];
    if (PENDING)
        all[nsuites++] = PENDING;
    unsigned passed[NMAX] = {0}, failed[NMAX] = {0};
    unsigned tp = 0, tf = 0, skipped = 0;
    /* Pending tests fail until their fix lands: they run only when asked for by name. */
    bool want_pending = false;
    for (int i = 0; i < nfilters; i++)
        want_pending |= strstr(filters[i], "pending") != NULL;
    for (size_t i = 0; i < nsuites; i++) {
        const UnitSuite *s = all[i];
        for (size_t k = 0; k < s->ntests; k++) {
            if (!selected(s->name, s->tests[k].name, nfilters, filters))
                continue;
            if (s == PENDING && !want_pending) {
                printf("skip %s/%s (a core bug not fixed yet: run `unit-tests pending`)\n", s->name, s->tests[k].name);
                skipped++;
                continue;
            }
            bool ok = fork_each ? run_forked(s, &s->tests[k]) : run_here(s, &s->tests[k], false) == 0;
            if (ok)
                passed[i]++;
            else
                failed[i]++;
        }
        tp += passed[i];
        tf += failed[i];
    }
    printf("\nper suite:\n");
    for (size_t i = 0; i < nsuites; i++)
        if (passed[i] + failed[i])
            printf("  %-14s %4u passed, %u failed\n", all[i]->name, passed[i], failed[i]);
    if (skipped)
        printf("%u passed, %u failed, %u skipped\n", tp, tf, skipped);
    else
        printf("%u passed, %u failed\n", tp, tf);
    return tf ? 1 : 0;
}
