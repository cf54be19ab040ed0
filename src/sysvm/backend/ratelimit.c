/* Token buckets (Firecracker's TokenBucket and RateLimiter), with exact integer refill: the tokens earned
 * over a time are elapsed * size / refill_ns, and the remainder of that division is carried to the next
 * refill, so no token is lost or invented however often the bucket is looked at. */
#include "sysvm/backend/ratelimit.h"

#include <string.h>

typedef unsigned __int128 U128;

static bool check_bucket(const RlBucketConfig *b, const char *what, const char *which, VmError *err)
{
    if (b->size > RATELIMIT_MAX_TOKENS || b->one_time_burst > RATELIMIT_MAX_TOKENS)
        return vmerr_set(err, "%s %s: size and one_time_burst must be at most 2^62", what, which);
    if (b->refill_time_ms > RATELIMIT_MAX_REFILL_MS)
        return vmerr_set(err, "%s %s: refill_time %llu ms is too long (at most 2^40 ms)", what, which,
                         (unsigned long long)b->refill_time_ms);
    return true;
}

bool ratelimit_check(const RateLimitConfig *c, const char *what, VmError *err)
{
    return check_bucket(&c->bandwidth, what, "bandwidth", err) && check_bucket(&c->ops, what, "ops", err);
}

static void bucket_set(TokenBucket *b, const RlBucketConfig *c, uint64_t now)
{
    static const RlBucketConfig none;
    if (!c)
        c = &none;
    if (b->cfg.size == c->size && b->cfg.one_time_burst == c->one_time_burst &&
        b->cfg.refill_time_ms == c->refill_time_ms)
        return;                        /* unchanged: keep what it holds */
    memset(b, 0, sizeof *b);
    b->cfg = *c;
    if (!c->size || !c->refill_time_ms)
        return;                        /* Firecracker: a zero size or refill time means no limit */
    b->refill_ns = c->refill_time_ms * 1000000u;
    b->budget = (int64_t)c->size;
    b->burst = c->one_time_burst;
    b->last_ns = now;
}

void ratelimit_init(RateLimiter *rl)
{
    memset(rl, 0, sizeof *rl);
}

void ratelimit_set(RateLimiter *rl, const RateLimitConfig *cfg, uint64_t now_ns)
{
    bucket_set(&rl->bytes, cfg ? &cfg->bandwidth : NULL, now_ns);
    bucket_set(&rl->ops, cfg ? &cfg->ops : NULL, now_ns);
}

bool ratelimit_enabled(const RateLimiter *rl)
{
    return rl->bytes.refill_ns || rl->ops.refill_ns;
}

/* Brings the budget up to now: size tokens per refill_ns, never above size. */
static void refill(TokenBucket *b, uint64_t now)
{
    if (now <= b->last_ns)
        return;
    uint64_t size = b->cfg.size;
    if (b->budget >= (int64_t)size) {
        b->acc = 0;
        b->last_ns = now;
        return;
    }
    /* Tokens missing: at most size + a debt below 2^62 each, so the time to refill it all fits the 128-bit
     * product below; a longer gap fills the bucket. */
    U128 acc = (U128)(now - b->last_ns) * size + b->acc;
    U128 add = acc / b->refill_ns;
    U128 missing = (U128)((int64_t)size - b->budget);
    if (add >= missing) {
        b->budget = (int64_t)size;
        b->acc = 0;
    } else {
        b->budget += (int64_t)add;
        b->acc = (uint64_t)(acc % b->refill_ns);
    }
    b->last_ns = now;
}

int64_t ratelimit_available(TokenBucket *b, uint64_t now_ns)
{
    if (!b->refill_ns)
        return INT64_MAX;
    refill(b, now_ns);
    return b->budget + (int64_t)b->burst;
}

/* The tokens that must come from the budget once the one-time burst has paid what it can. */
static uint64_t from_budget(const TokenBucket *b, uint64_t tokens)
{
    return tokens > b->burst ? tokens - b->burst : 0;
}

/* Whether the budget can pay `need`: a request larger than the whole bucket goes when the bucket is full
 * and leaves a debt (Firecracker lets it through and blocks for the time it overdrew). */
static bool fits(const TokenBucket *b, uint64_t need)
{
    uint64_t want = need < b->cfg.size ? need : b->cfg.size;
    return b->budget >= (int64_t)want;
}

/* The earliest time the budget can pay `need`. */
static uint64_t fit_time(const TokenBucket *b, uint64_t need, uint64_t now)
{
    uint64_t want = need < b->cfg.size ? need : b->cfg.size;
    U128 tokens = (U128)((int64_t)want - b->budget);
    U128 work = tokens * b->refill_ns - b->acc;                 /* token-ns still to earn */
    U128 ns = (work + b->cfg.size - 1) / b->cfg.size;
    return ns > UINT64_MAX - now ? UINT64_MAX : now + (uint64_t)ns;
}

static void pay(TokenBucket *b, uint64_t tokens)
{
    uint64_t burst = tokens < b->burst ? tokens : b->burst;
    b->burst -= burst;
    b->budget -= (int64_t)(tokens - burst);
}

bool ratelimit_take(RateLimiter *rl, uint64_t bytes, uint64_t ops, uint64_t now_ns, uint64_t *wake_ns)
{
    TokenBucket *bk[2] = {&rl->bytes, &rl->ops};
    uint64_t tok[2] = {bytes, ops};
    bool ok = true;
    uint64_t wake = now_ns;
    for (int i = 0; i < 2; i++) {
        if (!bk[i]->refill_ns || !tok[i])
            continue;
        refill(bk[i], now_ns);
        uint64_t need = from_budget(bk[i], tok[i]);
        if (need && !fits(bk[i], need)) {
            ok = false;
            uint64_t t = fit_time(bk[i], need, now_ns);
            if (t > wake)
                wake = t;
        }
    }
    if (!ok) {
        if (wake_ns)
            *wake_ns = wake;
        return false;
    }
    for (int i = 0; i < 2; i++)
        if (bk[i]->refill_ns && tok[i])
            pay(bk[i], tok[i]);
    return true;
}
