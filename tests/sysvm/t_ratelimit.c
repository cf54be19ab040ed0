/* Token buckets on a fake clock: exact refill arithmetic, the one-time burst, both buckets or neither,
 * requests larger than the bucket, the wake time a waiting device is given, updates while running. */
#include <string.h>

#include "sysvm/backend/ratelimit.h"
#include "test.h"

#define MS 1000000ull

static RateLimiter make(uint64_t bsize, uint64_t bburst, uint64_t bms, uint64_t osize, uint64_t oburst, uint64_t oms)
{
    RateLimiter rl;
    ratelimit_init(&rl);
    RateLimitConfig c = {{bsize, bburst, bms}, {osize, oburst, oms}};
    ratelimit_set(&rl, &c, 0);
    return rl;
}

static void t_rl_disabled(void)
{
    RateLimiter rl;
    ratelimit_init(&rl);
    CHECK(!ratelimit_enabled(&rl));
    CHECK(ratelimit_take(&rl, 1ull << 40, 1000000, 0, NULL));
    /* A zero size or a zero refill time means no limit, as in Firecracker. */
    rl = make(0, 0, 1000, 100, 0, 0);
    CHECK(!ratelimit_enabled(&rl));
    CHECK(ratelimit_take(&rl, 1ull << 40, 1000000, 0, NULL));
}

/* 1000 bytes per 1000 ms: one token per ms, starting full. */
static void t_rl_refill_exact(void)
{
    RateLimiter rl = make(1000, 0, 1000, 0, 0, 0);
    uint64_t wake = 0;
    CHECK(ratelimit_take(&rl, 1000, 1, 0, NULL));
    CHECK(!ratelimit_take(&rl, 1, 1, 0, &wake) && wake == 1 * MS);
    CHECK(!ratelimit_take(&rl, 1, 1, MS / 2, &wake) && wake == 1 * MS);
    CHECK(!ratelimit_take(&rl, 1, 1, MS - 1, NULL));
    CHECK(ratelimit_take(&rl, 1, 1, MS, NULL));
    CHECK(ratelimit_available(&rl.bytes, MS) == 0);
    /* Looked at every 333 ns for 3 ms: exactly 3 tokens, none lost to rounding. */
    for (uint64_t t = MS; t <= 4 * MS; t += 333)
        ratelimit_available(&rl.bytes, t);
    CHECK(ratelimit_available(&rl.bytes, 4 * MS) == 3);
    /* 10 tokens wait exactly 7 ms more; never above size however long it waits. */
    CHECK(!ratelimit_take(&rl, 10, 1, 4 * MS, &wake) && wake == 11 * MS);
    CHECK(!ratelimit_take(&rl, 10, 1, 11 * MS - 1, NULL) && ratelimit_take(&rl, 10, 1, 11 * MS, NULL));
    CHECK(ratelimit_available(&rl.bytes, 100000 * MS) == 1000);
    /* A rate that does not divide evenly: 3 tokens per 7 ms; 21 ms give exactly 9. */
    rl = make(3, 0, 7, 0, 0, 0);
    CHECK(ratelimit_take(&rl, 3, 1, 0, NULL));
    for (uint64_t t = 0; t <= 21 * MS; t += 999983)
        ratelimit_available(&rl.bytes, t);
    CHECK(ratelimit_available(&rl.bytes, 21 * MS) == 3);     /* capped at size */
    CHECK(ratelimit_take(&rl, 3, 1, 21 * MS, NULL));
    CHECK(!ratelimit_take(&rl, 1, 1, 21 * MS, &wake) && wake == 21 * MS + 2333334);  /* ceil(7/3 ms) */
}

static void t_rl_one_time_burst(void)
{
    RateLimiter rl = make(100, 50, 100, 0, 0, 0);
    CHECK(ratelimit_available(&rl.bytes, 0) == 150);
    CHECK(ratelimit_take(&rl, 30, 1, 0, NULL));              /* from the burst first */
    CHECK(rl.bytes.burst == 20 && rl.bytes.budget == 100);
    CHECK(ratelimit_take(&rl, 120, 1, 0, NULL));             /* the 20 left, then 100 of the budget */
    CHECK(rl.bytes.burst == 0 && rl.bytes.budget == 0);
    CHECK(!ratelimit_take(&rl, 1, 1, 0, NULL));
    /* The burst never comes back: after a long time, only size. */
    CHECK(ratelimit_available(&rl.bytes, 10000 * MS) == 100);
}

/* The ops bucket empty: the bytes bucket is not charged either. */
static void t_rl_both_or_neither(void)
{
    RateLimiter rl = make(1000, 0, 1000, 2, 0, 1000);
    uint64_t wake;
    CHECK(ratelimit_take(&rl, 10, 1, 0, NULL) && ratelimit_take(&rl, 10, 1, 0, NULL));
    CHECK(!ratelimit_take(&rl, 10, 1, 0, &wake) && wake == 500 * MS);   /* 1 op per 500 ms */
    CHECK(ratelimit_available(&rl.bytes, 0) == 980);
    /* Both short: the later of the two times. */
    CHECK(ratelimit_take(&rl, 980, 0, 0, NULL));
    CHECK(!ratelimit_take(&rl, 900, 1, 0, &wake) && wake == 900 * MS);
}

/* A request larger than the bucket goes once the bucket is full, and the debt is paid before the next. */
static void t_rl_oversized(void)
{
    RateLimiter rl = make(100, 0, 100, 0, 0, 0);
    uint64_t wake;
    CHECK(ratelimit_take(&rl, 250, 1, 0, NULL));
    CHECK(rl.bytes.budget == -150);
    CHECK(!ratelimit_take(&rl, 10, 1, 0, &wake) && wake == 160 * MS);
    CHECK(ratelimit_take(&rl, 10, 1, 160 * MS, NULL));
    /* Not full yet: another oversized one waits until it is. */
    CHECK(!ratelimit_take(&rl, 250, 1, 160 * MS, &wake) && wake == 260 * MS);
    CHECK(ratelimit_take(&rl, 250, 1, 260 * MS, NULL));
    /* The long-run rate is exact: 10 requests of 250 tokens at 1 token/ms take 2500 ms from full. */
    rl = make(100, 0, 100, 0, 0, 0);
    uint64_t t = 0;
    for (int i = 0; i < 10; i++) {
        while (!ratelimit_take(&rl, 250, 1, t, &wake))
            t = wake;
    }
    CHECK(t == 2250 * MS);                                   /* the first 100 were in the bucket at t = 0 */
}

static void t_rl_update(void)
{
    RateLimiter rl = make(1000, 0, 1000, 0, 0, 0);
    CHECK(ratelimit_take(&rl, 1000, 1, 0, NULL));
    RateLimitConfig same = {{1000, 0, 1000}, {0, 0, 0}};
    ratelimit_set(&rl, &same, 5 * MS);                       /* unchanged: keeps its state */
    CHECK(ratelimit_available(&rl.bytes, 5 * MS) == 5);
    RateLimitConfig faster = {{1000000, 0, 1000}, {0, 0, 0}};
    ratelimit_set(&rl, &faster, 5 * MS);                     /* changed: starts over, full */
    CHECK(ratelimit_available(&rl.bytes, 5 * MS) == 1000000);
    ratelimit_set(&rl, NULL, 6 * MS);                        /* removed */
    CHECK(!ratelimit_enabled(&rl) && ratelimit_take(&rl, 1ull << 50, 1, 6 * MS, NULL));
}

static void t_rl_check(void)
{
    VmError e = {{0}, VMERR_ARG};
    RateLimitConfig ok = {{1ull << 62, 1ull << 62, 1ull << 40}, {1, 0, 1}};
    CHECK(ratelimit_check(&ok, "disk0", &e));
    RateLimitConfig big = {{(1ull << 62) + 1, 0, 1000}, {0, 0, 0}};
    CHECK(!ratelimit_check(&big, "disk0", &e) && strstr(e.msg, "disk0 bandwidth"));
    RateLimitConfig slow = {{1, 0, 0}, {1, 0, (1ull << 40) + 1}};
    CHECK(!ratelimit_check(&slow, "net0 rx", &e) && strstr(e.msg, "net0 rx ops"));
    /* The largest values do not overflow: a full-size request waits a whole refill time. */
    RateLimiter rl;
    ratelimit_init(&rl);
    ratelimit_set(&rl, &ok, 0);
    uint64_t wake;
    CHECK(ratelimit_take(&rl, 1ull << 62, 0, 0, NULL) && ratelimit_take(&rl, 1ull << 62, 0, 0, NULL));
    CHECK(!ratelimit_take(&rl, 1ull << 62, 0, 0, &wake) && wake == (1ull << 40) * MS);
}

const TestCase t_ratelimit_tests[] = {
    {"ratelimit-disabled", t_rl_disabled},
    {"ratelimit-refill-exact", t_rl_refill_exact},
    {"ratelimit-one-time-burst", t_rl_one_time_burst},
    {"ratelimit-both-or-neither", t_rl_both_or_neither},
    {"ratelimit-oversized-request", t_rl_oversized},
    {"ratelimit-update", t_rl_update},
    {"ratelimit-check", t_rl_check},
    {NULL, NULL},
};
