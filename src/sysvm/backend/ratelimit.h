/* Token-bucket rate limiting with Firecracker's semantics: a limiter has two buckets, bytes and operations;
 * each holds up to `size` tokens, starts full plus a `one_time_burst` spent first and never refilled, and
 * refills continuously at size tokens per refill_time_ms. A request takes its tokens from both buckets or
 * from neither; one that does not fit waits, and the device asks to be polled again when it would. Time is
 * passed in (host monotonic ns), so the arithmetic is exact and testable with a fake clock. One thread. */
#ifndef LODGE_SYSVM_BACKEND_RATELIMIT_H
#define LODGE_SYSVM_BACKEND_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "sysvm/vmerr.h"

typedef struct RlBucketConfig {
    uint64_t size;              /* tokens; 0 (or refill_time_ms 0): no limit */
    uint64_t one_time_burst;
    uint64_t refill_time_ms;
} RlBucketConfig;

typedef struct RateLimitConfig {
    RlBucketConfig bandwidth;   /* bytes */
    RlBucketConfig ops;         /* requests (disk) or frames (network) */
} RateLimitConfig;

typedef struct TokenBucket {
    RlBucketConfig cfg;         /* as configured, to keep state across an update that does not change it */
    uint64_t refill_ns;         /* 0: disabled */
    uint64_t burst;             /* one-time burst left */
    int64_t budget;             /* negative after a request larger than size: the debt is refilled first */
    uint64_t last_ns;           /* the time budget was brought up to */
    uint64_t acc;               /* refill carried over: a fraction of a token, in units of 1/refill_ns */
} TokenBucket;

typedef struct RateLimiter {
    TokenBucket bytes, ops;
} RateLimiter;

/* Largest accepted size, burst and refill time: the arithmetic stays inside 64 bits and 128-bit products. */
#define RATELIMIT_MAX_TOKENS (1ull << 62)
#define RATELIMIT_MAX_REFILL_MS (1ull << 40)

/* False with a message naming `what` ("disk0 bandwidth") for values out of range. */
bool ratelimit_check(const RateLimitConfig *c, const char *what, VmError *err);
/* A limiter with no limit (every request fits). */
void ratelimit_init(RateLimiter *rl);
/* Sets the buckets (cfg NULL: no limit). A bucket whose configuration is unchanged keeps its state; a changed
 * one starts over, full, as Firecracker's update does. */
void ratelimit_set(RateLimiter *rl, const RateLimitConfig *cfg, uint64_t now_ns);
bool ratelimit_enabled(const RateLimiter *rl);
/* Takes `bytes` and `ops` tokens if both buckets have them (true), else takes nothing (false) and stores in
 * *wake_ns (may be NULL) the earliest time at which the same request would fit. */
bool ratelimit_take(RateLimiter *rl, uint64_t bytes, uint64_t ops, uint64_t now_ns, uint64_t *wake_ns);
/* The tokens a bucket holds now (one-time burst included), for tests and figures. */
int64_t ratelimit_available(TokenBucket *b, uint64_t now_ns);

#endif
