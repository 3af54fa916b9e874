/* Capped exponential backoff with full jitter (see retry.h). */
#include "sw/retry.h"

int sw_retry_policy_check(const struct sw_retry_policy *p, struct sw_err *err)
{
    if (p->base_ms <= 0) {
        return sw_err_set(err, SW_EINVAL, "retry policy: base %lld ms must be > 0",
                          (long long)p->base_ms);
    }
    if (p->cap_ms < p->base_ms) {
        return sw_err_set(err, SW_EINVAL, "retry policy: cap %lld ms is below base %lld ms",
                          (long long)p->cap_ms, (long long)p->base_ms);
    }
    return 0;
}

int64_t sw_retry_ceiling_ms(const struct sw_retry_policy *p, unsigned attempt)
{
    int64_t ceiling = p->base_ms > 0 ? p->base_ms : 0;
    for (unsigned i = 0; i < attempt && ceiling < p->cap_ms; i++) {
        /* doubling stops at the cap, so it never overflows */
        ceiling = ceiling > p->cap_ms / 2 ? p->cap_ms : ceiling * 2;
    }
    return ceiling < p->cap_ms ? ceiling : p->cap_ms;
}

int64_t sw_retry_delay_ms(const struct sw_retry_policy *p, unsigned attempt, sw_retry_rand_fn rnd,
                          void *ctx)
{
    int64_t ceiling = sw_retry_ceiling_ms(p, attempt);
    if (ceiling <= 0) {
        return 0;
    }
    return (int64_t)(rnd(ctx) % ((uint64_t)ceiling + 1));
}

void sw_retry_rng_seed(struct sw_retry_rng *rng, uint64_t seed)
{
    rng->state = seed != 0 ? seed : UINT64_C(0x9E3779B97F4A7C15);
}

uint64_t sw_retry_rng_next(void *rng)
{
    struct sw_retry_rng *r = rng;
    uint64_t x = r->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->state = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}
