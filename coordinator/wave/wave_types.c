/*
 * Small helpers of the coordinator's domain types (wave_types.h): cleanups, enum
 * names and parsers, fleet lookups. Pure.
 */
#include "wave/wave_types.h"

#include <stdlib.h>
#include <string.h>

void fleet_shard_cleanup(struct fleet_shard *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n_labels; i++) {
        free(s->labels[i].key);
        free(s->labels[i].value);
    }
    free(s->labels);
    free(s->id);
    free(s->pool);
    memset(s, 0, sizeof *s);
}

void fleet_cleanup(struct fleet *f)
{
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < f->n_shards; i++) {
        fleet_shard_cleanup(&f->shards[i]);
    }
    free(f->shards);
    memset(f, 0, sizeof *f);
}

const char *fleet_shard_label(const struct fleet_shard *s, const char *key)
{
    size_t lo = 0;
    size_t hi = s->n_labels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->labels[mid].key, key);
        if (c == 0) {
            return s->labels[mid].value;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

long fleet_find(const struct fleet *f, const char *id)
{
    size_t lo = 0;
    size_t hi = f->n_shards;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->shards[mid].id, id);
        if (c == 0) {
            return (long)mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

/* Index of `s` in names[0..n), or -1. */
static int name_index(const char *const *names, int n, const char *s)
{
    if (s == NULL) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            return i;
        }
    }
    return -1;
}

static const char *const shard_health_names[SHARD_HEALTH_COUNT] = {
    "unknown", "ok", "dirty", "unreachable", "checksum_mismatch",
};

const char *shard_health_name(enum shard_health h)
{
    return (unsigned)h < SHARD_HEALTH_COUNT ? shard_health_names[h] : "?";
}

int shard_health_parse(const char *s, enum shard_health *out)
{
    int i = name_index(shard_health_names, SHARD_HEALTH_COUNT, s);
    if (i < 0) {
        return -1;
    }
    *out = (enum shard_health)i;
    return 0;
}

void plan_stage_cleanup(struct plan_stage *s)
{
    if (s == NULL) {
        return;
    }
    free(s->name);
    free(s->select_expr);
    free(s->gate);
    memset(s, 0, sizeof *s);
}

void wave_plan_cleanup(struct wave_plan *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n_stages; i++) {
        plan_stage_cleanup(&p->stages[i]);
    }
    free(p->stages);
    free(p->name);
    free(p->target);
    free(p->host_label);
    free(p->scope);
    memset(p, 0, sizeof *p);
}

const char *plan_direction_name(enum plan_direction d)
{
    switch (d) {
    case PLAN_UP:
        return "up";
    case PLAN_DOWN:
        return "down";
    }
    return "?";
}

const char *plan_transaction_name(enum plan_transaction t)
{
    switch (t) {
    case PLAN_TXN_STEP:
        return "step";
    case PLAN_TXN_SHARD:
        return "shard";
    }
    return "?";
}

const char *plan_on_failure_name(enum plan_on_failure f)
{
    switch (f) {
    case PLAN_ON_FAILURE_HALT:
        return "halt";
    case PLAN_ON_FAILURE_ROLLBACK:
        return "rollback";
    }
    return "?";
}

static const char *const wave_state_names[WAVE_STATE_COUNT] = {
    "pending", "running", "paused", "halted", "completed", "aborted", "rolling_back", "rolled_back",
};

const char *wave_state_name(enum wave_state s)
{
    return (unsigned)s < WAVE_STATE_COUNT ? wave_state_names[s] : "?";
}

int wave_state_parse(const char *s, enum wave_state *out)
{
    int i = name_index(wave_state_names, WAVE_STATE_COUNT, s);
    if (i < 0) {
        return -1;
    }
    *out = (enum wave_state)i;
    return 0;
}

bool wave_state_is_final(enum wave_state s)
{
    switch (s) {
    case WAVE_COMPLETED:
    case WAVE_ABORTED:
    case WAVE_ROLLED_BACK:
        return true;
    case WAVE_PENDING:
    case WAVE_RUNNING:
    case WAVE_PAUSED:
    case WAVE_HALTED:
    case WAVE_ROLLING_BACK:
    case WAVE_STATE_COUNT:
        return false;
    }
    return false;
}

bool wave_state_is_active(enum wave_state s)
{
    return (unsigned)s < WAVE_STATE_COUNT && !wave_state_is_final(s);
}

static const char *const wave_shard_state_names[WSHARD_STATE_COUNT] = {
    "pending",    "leased",    "running",    "done",        "failed",    "skipped",
    "rb_pending", "rb_leased", "rb_running", "rolled_back", "rb_failed",
};

const char *wave_shard_state_name(enum wave_shard_state s)
{
    return (unsigned)s < WSHARD_STATE_COUNT ? wave_shard_state_names[s] : "?";
}

int wave_shard_state_parse(const char *s, enum wave_shard_state *out)
{
    int i = name_index(wave_shard_state_names, WSHARD_STATE_COUNT, s);
    if (i < 0) {
        return -1;
    }
    *out = (enum wave_shard_state)i;
    return 0;
}

static const char *const wave_failure_names[WFAIL_COUNT] = {
    "", "unreachable", "lock_timeout", "error", "dirty",
};

const char *wave_failure_name(enum wave_failure f)
{
    return (unsigned)f < WFAIL_COUNT ? wave_failure_names[f] : "?";
}

int wave_failure_parse(const char *s, enum wave_failure *out)
{
    int i = name_index(wave_failure_names, WFAIL_COUNT, s);
    if (i < 0) {
        return -1;
    }
    *out = (enum wave_failure)i;
    return 0;
}

bool wave_failure_is_transient(enum wave_failure f)
{
    return f == WFAIL_UNREACHABLE || f == WFAIL_LOCK_TIMEOUT;
}

const char *wave_stage_phase_name(enum wave_stage_phase p)
{
    switch (p) {
    case STAGE_DISPATCHING:
        return "dispatching";
    case STAGE_BAKING:
        return "baking";
    case STAGE_GATING:
        return "gating";
    case STAGE_PASSED:
        return "passed";
    case STAGE_PHASE_COUNT:
        break;
    }
    return "?";
}
