/*
 * The leadership decision, pure: from the role this coordinator holds, the outcome of its
 * last lease claim and the monotonic clock, what it is now (leader with an epoch, or
 * follower), what to do about it (promote, demote) and when to claim next. No clock
 * reads, no I/O, no logging: ha.c runs the loop around it and acts.
 *
 * Safety rule: a claim sent at monotonic time t that wins holds the lease until at least
 * t + ttl on any clock that runs at the store's rate (the store set expiry = store now +
 * ttl, and its "now" came after t). The leader keeps acting only until
 * t + ttl - ttl/HA_MARGIN_DIV, so it stops before anyone else may take over, even when it
 * never hears from the store again (store unreachable, process stopped).
 */
#ifndef SW_COORDINATOR_HA_DECIDE_H
#define SW_COORDINATOR_HA_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

/* The leader keeps ttl/HA_MARGIN_DIV of its lease unused as a safety margin; it renews
 * every ttl/HA_RENEW_DIV (so two renewals may fail before it must step down). */
#define HA_MARGIN_DIV 5
#define HA_RENEW_DIV  3
/* A follower claims this long after the leader's lease expires by the store's clock. */
#define HA_TAKEOVER_SLACK_MS 50

enum ha_role { HA_FOLLOWER, HA_LEADER };

enum ha_outcome {
    HA_CLAIM_WON,    /* the lease is ours (renewed or taken over) */
    HA_CLAIM_LOST,   /* another coordinator's lease is live */
    HA_CLAIM_FAILED, /* the store did not answer (unreachable, error) */
};

/* What the loop knows between decisions. Zeroed = a follower that never claimed. */
struct ha_state {
    enum ha_role role;
    int64_t epoch;       /* published: 0 while follower */
    int64_t deadline_ms; /* monotonic: leader only until then */
};

/* One claim's outcome. Times are monotonic milliseconds of this process. */
struct ha_claim {
    enum ha_outcome outcome;
    int64_t epoch;          /* WON: the lease's epoch */
    int64_t sent_ms;        /* when the claim was sent */
    int64_t now_ms;         /* when its answer came */
    int64_t ttl_ms;         /* the lease ttl claimed */
    int64_t leader_left_ms; /* LOST: the holder's lease lasts this long by the store's clock */
};

struct ha_decision {
    struct ha_state next;
    bool promote;          /* follower -> leader, or a new epoch: rebuild state, then act */
    bool demote;           /* leader -> follower: stop acting at once */
    int64_t next_claim_ms; /* monotonic: when to claim next */
    const char *why;       /* static text for the log line of a promote or demote */
};

/* The decision after a claim. */
void ha_decide_claim(const struct ha_state *st, const struct ha_claim *in, struct ha_decision *out);

/* The decision between claims at now_ms: a leader past its deadline demotes ("lease not
 * renewed in time"); otherwise nothing changes (next_claim_ms is left 0). */
void ha_decide_time(const struct ha_state *st, int64_t now_ms, struct ha_decision *out);

/* The leader's deadline after a won claim sent at sent_ms. */
int64_t ha_deadline(int64_t sent_ms, int64_t ttl_ms);

#endif
