/* w_proc.c: args_*, environ_*, clock_*, random_get, sched_yield, poll_oneoff (clock and fd
 * subscriptions), proc_raise, with their error paths. The test script runs it as
 *   w_proc.wasm one "two words" ""   with --env FOO=bar --env EMPTY=   and "hello" on stdin. */
#include "check.h"

static int argv_ok(void)
{
    __wasi_size_t argc = 0, len = 0;
    if (__wasi_args_sizes_get(&argc, &len) != 0 || argc != 4)
        return 0;
    char *buf = malloc(len);
    char **ptrs = malloc(argc * sizeof *ptrs);
    if (__wasi_args_get((uint8_t **)ptrs, (uint8_t *)buf) != 0)
        return 0;
    int ok = strcmp(ptrs[1], "one") == 0 && strcmp(ptrs[2], "two words") == 0 && strcmp(ptrs[3], "") == 0;
    free(buf);
    free(ptrs);
    return ok;
}

int main(void)
{
    __wasi_size_t a = 0, b = 0;
    CHECK_EQ("args_sizes_get", __wasi_args_sizes_get(&a, &b), 0);
    CHECK_EQ("argc", a, 4);
    CHECK("args_get values", argv_ok());
    CHECK_FAULT("args_sizes_get bad pointer", __wasi_args_sizes_get(BADPTR, &b));
    CHECK_FAULT("args_get bad pointer", __wasi_args_get(BADPTR, BADPTR));
    CHECK_EQ("environ_sizes_get", __wasi_environ_sizes_get(&a, &b), 0);
    CHECK_EQ("environ count (only what was granted)", a, 2 + gentle());
    CHECK_EQ("environ bytes", b, strlen("FOO=bar") + 1 + strlen("EMPTY=") + 1 +
                                     (gentle() ? strlen("WASI_TEST_GENTLE=1") + 1 : 0));
    CHECK("getenv FOO", getenv("FOO") && strcmp(getenv("FOO"), "bar") == 0);
    CHECK("getenv EMPTY", getenv("EMPTY") && getenv("EMPTY")[0] == '\0');
    CHECK("host PATH not visible", getenv("PATH") == NULL);
    CHECK_FAULT("environ_get bad pointer", __wasi_environ_get(BADPTR, BADPTR));

    /* clocks */
    __wasi_timestamp_t t0, t1, res;
    for (int id = 0; id < 4; id++) {
        char name[64];
        snprintf(name, sizeof name, "clock_res_get(%d)", id);
        CHECK_EQ(name, __wasi_clock_res_get(id, &res), 0);
        snprintf(name, sizeof name, "clock_time_get(%d)", id);
        CHECK_EQ(name, __wasi_clock_time_get(id, 1, &t0), 0);
    }
    CHECK_EQ("clock_res_get(9)", __wasi_clock_res_get(9, &res), __WASI_ERRNO_INVAL);
    CHECK_EQ("clock_time_get(9)", __wasi_clock_time_get(9, 1, &t0), __WASI_ERRNO_INVAL);
    CHECK_FAULT("clock_time_get bad pointer", __wasi_clock_time_get(0, 1, BADPTR));
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t0);
    CHECK("realtime is after 2020", t0 > 1577836800ull * 1000000000ull);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
    CHECK("monotonic does not go back", t1 >= t0);

    /* random, yield, raise */
    uint8_t r1[32] = {0}, r2[32] = {0};
    CHECK_EQ("random_get", __wasi_random_get(r1, sizeof r1), 0);
    __wasi_random_get(r2, sizeof r2);
    CHECK("random_get differs between calls", memcmp(r1, r2, sizeof r1) != 0);
    CHECK_EQ("random_get zero bytes", __wasi_random_get(r1, 0), 0);
    CHECK_FAULT("random_get bad pointer", __wasi_random_get(BADPTR, 64));
    CHECK_EQ("sched_yield", __wasi_sched_yield(), 0);
    if (!gentle())
        CHECK_EQ("proc_raise(SIGTERM) is not supported", raw_proc_raise(15), __WASI_ERRNO_NOSYS);

    /* poll_oneoff: a relative sleep of 20 ms */
    __wasi_subscription_t subs[3];
    __wasi_event_t evs[3];
    __wasi_size_t nev = 0;
    memset(subs, 0, sizeof subs);
    subs[0].userdata = 42;
    subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[0].u.u.clock.timeout = 20 * 1000000ull;
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
    CHECK_EQ("poll_oneoff relative clock", __wasi_poll_oneoff(subs, evs, 1, &nev), 0);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
    CHECK_EQ("one event", nev, 1);
    CHECK_EQ("event userdata", evs[0].userdata, 42);
    CHECK_EQ("event type clock", evs[0].type, __WASI_EVENTTYPE_CLOCK);
    CHECK_EQ("event error", evs[0].error, 0);
    CHECK("slept at least 20 ms", t1 - t0 >= 20 * 1000000ull);
    /* absolute deadline 10 ms from now */
    subs[0].u.u.clock.timeout = t1 + 10 * 1000000ull;
    subs[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    CHECK_EQ("poll_oneoff absolute clock", __wasi_poll_oneoff(subs, evs, 1, &nev), 0);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
    CHECK("absolute deadline reached", t0 >= t1 + 10 * 1000000ull);
    CHECK_EQ("poll_oneoff no subscriptions", __wasi_poll_oneoff(subs, evs, 0, &nev), __WASI_ERRNO_INVAL);
    CHECK_FAULT("poll_oneoff bad pointer", __wasi_poll_oneoff(BADPTR, evs, 1, &nev));
    /* stdin (a file or pipe holding "hello") is readable at once, beside a long clock */
    memset(subs, 0, sizeof subs);
    subs[0].userdata = 1;
    subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    subs[0].u.u.fd_read.file_descriptor = 0;
    subs[1].userdata = 2;
    subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[1].u.u.clock.timeout = 5000 * 1000000ull;
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
    CHECK_EQ("poll_oneoff stdin + clock", __wasi_poll_oneoff(subs, evs, 2, &nev), 0);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
    CHECK_EQ("stdin event first", nev >= 1 ? evs[0].userdata : 0, 1);
    CHECK_EQ("stdin event type", evs[0].type, __WASI_EVENTTYPE_FD_READ);
    CHECK("stdin readable bytes", evs[0].fd_readwrite.nbytes >= 1);
    CHECK("did not wait for the clock", t1 - t0 < 2000 * 1000000ull);
    /* a bad fd is reported in its event, not as the call's error */
    subs[0].u.u.fd_read.file_descriptor = 99;
    CHECK_EQ("poll_oneoff with a bad fd", __wasi_poll_oneoff(subs, evs, 2, &nev), 0);
    CHECK_EQ("bad fd event error", nev >= 1 ? evs[0].error : 0, __WASI_ERRNO_BADF);
    /* stdout is writable */
    subs[0].u.tag = __WASI_EVENTTYPE_FD_WRITE;
    subs[0].u.u.fd_write.file_descriptor = 1;
    CHECK_EQ("poll_oneoff stdout writable", __wasi_poll_oneoff(subs, evs, 2, &nev), 0);
    CHECK_EQ("stdout event type", nev >= 1 ? evs[0].type : 0, __WASI_EVENTTYPE_FD_WRITE);
    char line[16] = {0};
    CHECK("stdin still reads", fgets(line, sizeof line, stdin) && strcmp(line, "hello\n") == 0);
    CHECK_DONE();
}
