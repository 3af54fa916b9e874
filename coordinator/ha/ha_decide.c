/* The leadership decision (see ha_decide.h): pure, table-tested in tests/unit/ha. */
#include "ha/ha_decide.h"

#include <string.h>

int64_t ha_deadline(int64_t sent_ms, int64_t ttl_ms)
{
    return sent_ms + ttl_ms - ttl_ms / HA_MARGIN_DIV;
}

static int64_t ha_min(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static void ha_become_follower(const struct ha_state *st, const char *why, struct ha_decision *out)
{
    out->next.role = HA_FOLLOWER;
    out->next.epoch = 0;
    out->next.deadline_ms = 0;
    out->demote = st->role == HA_LEADER;
    out->why = out->demote ? why : NULL;
}

static void ha_won(const struct ha_state *st, const struct ha_claim *in, struct ha_decision *out)
{
    int64_t deadline = ha_deadline(in->sent_ms, in->ttl_ms);
    if (deadline <= in->now_ms) {
        /* the answer came too late to act on it: the next claim renews quickly */
        ha_become_follower(st, "lease claim answered after its safe lifetime", out);
        out->next_claim_ms = in->now_ms;
        return;
    }
    out->next.role = HA_LEADER;
    out->next.epoch = in->epoch;
    out->next.deadline_ms = deadline;
    out->promote = st->role != HA_LEADER || st->epoch != in->epoch;
    out->why = out->promote ? "lease won" : NULL;
    out->next_claim_ms = in->now_ms + in->ttl_ms / HA_RENEW_DIV;
}

static void ha_failed(const struct ha_state *st, const struct ha_claim *in, struct ha_decision *out)
{
    int64_t retry_ms = in->ttl_ms / (HA_RENEW_DIV * 3);
    if (st->role == HA_LEADER && in->now_ms < st->deadline_ms) {
        out->next = *st; /* still safe: retry before the deadline */
        out->next_claim_ms = ha_min(in->now_ms + retry_ms, st->deadline_ms);
        return;
    }
    ha_become_follower(st, "store unreachable: lease not renewed in time", out);
    out->next_claim_ms = in->now_ms + retry_ms;
}

void ha_decide_claim(const struct ha_state *st, const struct ha_claim *in, struct ha_decision *out)
{
    memset(out, 0, sizeof *out);
    switch (in->outcome) {
    case HA_CLAIM_WON:
        ha_won(st, in, out);
        return;
    case HA_CLAIM_LOST: {
        ha_become_follower(st, "another coordinator holds the lease", out);
        int64_t left = in->leader_left_ms > 0 ? in->leader_left_ms : 0;
        out->next_claim_ms =
            in->now_ms + ha_min(in->ttl_ms / HA_RENEW_DIV, left + HA_TAKEOVER_SLACK_MS);
        return;
    }
    case HA_CLAIM_FAILED:
        ha_failed(st, in, out);
        return;
    }
}

void ha_decide_time(const struct ha_state *st, int64_t now_ms, struct ha_decision *out)
{
    memset(out, 0, sizeof *out);
    out->next = *st;
    if (st->role == HA_LEADER && now_ms >= st->deadline_ms) {
        ha_become_follower(st, "lease not renewed in time", out);
    }
}
