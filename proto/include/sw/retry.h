/*
 * Retry schedule: capped exponential backoff with full jitter. Pure: the caller
 * passes the attempt number and a random source, so the schedule is testable and
 * every loop that retries (the agent's coordinator client, reconnects) uses one rule.
 */
#ifndef SW_PROTO_RETRY_H
#define SW_PROTO_RETRY_H

#include <stdint.h>

#include "sw/err.h"

/* The delay before retry `attempt` is uniform in [0, min(cap_ms, base_ms * 2^attempt)]. */
struct sw_retry_policy {
    int64_t base_ms; /* ceiling of the first delay, > 0 */
    int64_t cap_ms;  /* largest ceiling, >= base_ms */
};

/* A random source: returns a uniformly distributed 64-bit value. */
typedef uint64_t (*sw_retry_rand_fn)(void *ctx);

/* SW_EINVAL when base_ms <= 0 or cap_ms < base_ms:
 * "retry policy: base 0 ms must be > 0", "retry policy: cap 50 ms is below base 100 ms". */
int sw_retry_policy_check(const struct sw_retry_policy *p, struct sw_err *err);

/* The ceiling for 0-based `attempt`: min(cap_ms, base_ms * 2^attempt), without overflow
 * for any attempt. */
int64_t sw_retry_ceiling_ms(const struct sw_retry_policy *p, unsigned attempt);

/* Full jitter: rnd(ctx) mapped onto [0, sw_retry_ceiling_ms(p, attempt)]. The policy must
 * have passed sw_retry_policy_check. Thread-safe when rnd is. */
int64_t sw_retry_delay_ms(const struct sw_retry_policy *p, unsigned attempt, sw_retry_rand_fn rnd,
                          void *ctx);

/* A small deterministic generator (xorshift64*) usable as the random source: seed it
 * once (any value; 0 is replaced by a constant) and pass &state as ctx. One state per
 * thread; not cryptographic. */
struct sw_retry_rng {
    uint64_t state;
};
void sw_retry_rng_seed(struct sw_retry_rng *rng, uint64_t seed);
uint64_t sw_retry_rng_next(void *rng);

#endif
