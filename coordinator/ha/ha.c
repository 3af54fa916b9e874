/* The leadership loop (see ha.h): claim, decide (ha_decide.c), publish, tell the daemon. */
#include "ha/ha.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sw/clock.h"
#include "sw/log.h"

/* Lock order: mu only; never held while calling the store or on_role. The atomics are
 * written by the HA thread only, except the lazy demotion in ha_is_leader. */
struct ha {
    char *store_path;
    char *password;
    struct store_open_opts opts;
    char *id;
    char *url;
    int64_t lease_ms;
    struct sw_metrics *metrics;
    ha_role_fn on_role;
    void *ctx;
    _Atomic int64_t epoch;       /* the fence: 0 while follower */
    _Atomic int64_t deadline_ms; /* monotonic; meaningful while epoch != 0 */
    atomic_bool is_ready;        /* promotion done (on_role returned) */
    pthread_t thread;
    bool is_started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool is_stopping;        /* under mu */
    struct ha_status status; /* under mu */
    int64_t leader_until_ms; /* under mu: monotonic; a follower's leader is live until then */
    /* the HA thread's own */
    struct ha_state state;
    struct store *st;
    bool is_failing;
};

int ha_metrics_define(struct sw_metrics *m, struct sw_err *err)
{
    static const struct sw_metric_def defs[] = {
        {"shardwave_coordinator_is_leader",
         SW_METRIC_GAUGE,
         "1 while this coordinator is the leader (holds the store's lease), else 0.",
         0,
         {0},
         0,
         {0}},
        {"shardwave_coordinator_leader_epoch",
         SW_METRIC_GAUGE,
         "Fencing epoch of the current leader as this coordinator last saw it.",
         0,
         {0},
         0,
         {0}},
        {"shardwave_coordinator_leader_takeovers_total",
         SW_METRIC_COUNTER,
         "Times this coordinator became the leader.",
         0,
         {0},
         0,
         {0}},
    };
    return sw_metrics_define(m, defs, sizeof defs / sizeof defs[0], err);
}

static char *ha_dup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

int ha_new(const struct ha_config *cfg, struct ha **out, struct sw_err *err)
{
    struct ha *h = calloc(1, sizeof *h);
    if (h == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    if (cfg->store_opts != NULL) {
        h->opts = *cfg->store_opts;
        h->password = ha_dup(cfg->store_opts->password);
        h->opts.password = h->password;
    }
    h->store_path = ha_dup(cfg->store_path);
    h->id = ha_dup(cfg->coordinator_id);
    h->url = ha_dup(cfg->advertise_url);
    h->lease_ms = cfg->lease_ms;
    h->metrics = cfg->metrics;
    h->on_role = cfg->on_role;
    h->ctx = cfg->ctx;
    atomic_init(&h->epoch, 0);
    atomic_init(&h->deadline_ms, 0);
    atomic_init(&h->is_ready, false);
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (h->store_path == NULL || h->id == NULL || h->url == NULL ||
        (cfg->store_opts != NULL && cfg->store_opts->password != NULL && h->password == NULL)) {
        ha_free(h);
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    *out = h;
    return 0;
}

const _Atomic int64_t *ha_epoch(struct ha *h)
{
    return &h->epoch;
}

bool ha_is_leader(struct ha *h)
{
    if (atomic_load(&h->epoch) == 0 || !atomic_load(&h->is_ready)) {
        return false;
    }
    if (sw_clock_mono_ms() < atomic_load(&h->deadline_ms)) {
        return true;
    }
    /* the HA thread is late (blocked on the store): stop writing now; it demotes properly
     * as soon as it runs */
    atomic_store(&h->is_ready, false);
    atomic_store(&h->epoch, 0);
    return false;
}

void ha_status_get(struct ha *h, struct ha_status *out)
{
    pthread_mutex_lock(&h->mu);
    *out = h->status;
    bool is_lapsed = out->role == HA_FOLLOWER && sw_clock_mono_ms() > h->leader_until_ms;
    pthread_mutex_unlock(&h->mu);
    if (!ha_is_leader(h)) {
        out->role = HA_FOLLOWER;
        out->epoch = 0;
    }
    if (out->role == HA_FOLLOWER && is_lapsed) {
        /* the leader we saw did not renew in time (dead, or renewed unseen): do not send
         * anyone there; the next claim says who leads */
        out->leader_id[0] = '\0';
        out->leader_url[0] = '\0';
    }
}

/* ---- acting on decisions ------------------------------------------------------------ */

static void ha_metrics_set(struct ha *h, bool is_leader, int64_t leader_epoch)
{
    if (h->metrics == NULL) {
        return;
    }
    sw_metrics_set(h->metrics, "shardwave_coordinator_is_leader", NULL, is_leader ? 1 : 0);
    sw_metrics_set(h->metrics, "shardwave_coordinator_leader_epoch", NULL, (double)leader_epoch);
}

static void ha_demote(struct ha *h, const char *why)
{
    int64_t old = h->state.epoch;
    atomic_store(&h->is_ready, false);
    atomic_store(&h->epoch, 0);
    log_warn("leadership: stepping down (epoch %lld): %s", (long long)old, why);
    pthread_mutex_lock(&h->mu);
    h->status.role = HA_FOLLOWER;
    h->status.epoch = 0;
    h->status.leader_id[0] = '\0'; /* unknown until the next claim says */
    h->status.leader_url[0] = '\0';
    pthread_mutex_unlock(&h->mu);
    ha_metrics_set(h, false, old);
    if (h->on_role != NULL) {
        h->on_role(h->ctx, HA_FOLLOWER, 0);
    }
}

static void ha_promote(struct ha *h, const struct ha_decision *d)
{
    atomic_store(&h->deadline_ms, d->next.deadline_ms);
    atomic_store(&h->epoch, d->next.epoch);
    log_info("leadership: this coordinator (%s) is the leader (epoch %lld): %s", h->id,
             (long long)d->next.epoch, d->why);
    if (h->on_role != NULL) {
        h->on_role(h->ctx, HA_LEADER, d->next.epoch);
    }
    pthread_mutex_lock(&h->mu);
    h->status.role = HA_LEADER;
    h->status.epoch = d->next.epoch;
    h->status.leader_epoch = d->next.epoch;
    h->status.n_takeovers++;
    snprintf(h->status.leader_id, sizeof h->status.leader_id, "%s", h->id);
    snprintf(h->status.leader_url, sizeof h->status.leader_url, "%s", h->url);
    pthread_mutex_unlock(&h->mu);
    ha_metrics_set(h, true, d->next.epoch);
    if (h->metrics != NULL) {
        sw_metrics_add(h->metrics, "shardwave_coordinator_leader_takeovers_total", NULL, 1);
    }
    atomic_store(&h->is_ready, true);
}

/* Remembers the leader a lost claim named (live for left_ms more); logs when it changed. */
static void ha_follow(struct ha *h, const struct store_leader *l, int64_t now_ms, int64_t left_ms)
{
    pthread_mutex_lock(&h->mu);
    h->leader_until_ms = now_ms + left_ms;
    bool is_new = strcmp(h->status.leader_id, l->holder) != 0 || h->status.leader_epoch != l->epoch;
    snprintf(h->status.leader_id, sizeof h->status.leader_id, "%s", l->holder);
    snprintf(h->status.leader_url, sizeof h->status.leader_url, "%s", l->url);
    h->status.leader_epoch = l->epoch;
    pthread_mutex_unlock(&h->mu);
    if (is_new) {
        log_info("leadership: following %s at %s (epoch %lld)", l->holder, l->url,
                 (long long)l->epoch);
        ha_metrics_set(h, false, l->epoch);
    }
}

static void ha_apply(struct ha *h, const struct ha_decision *d)
{
    if (d->demote) {
        ha_demote(h, d->why);
    }
    h->state = d->next;
    if (d->promote) {
        ha_promote(h, d);
    } else if (d->next.role == HA_LEADER) {
        atomic_store(&h->deadline_ms, d->next.deadline_ms);
    }
}

/* Demotes a leader past its deadline (or already fenced off by ha_is_leader). */
static void ha_check_time(struct ha *h)
{
    struct ha_decision d;
    ha_decide_time(&h->state, sw_clock_mono_ms(), &d);
    if (!d.demote && h->state.role == HA_LEADER && atomic_load(&h->epoch) == 0) {
        d.next = (struct ha_state){0};
        d.demote = true;
        d.why = "lease not renewed in time";
    }
    ha_apply(h, &d);
}

/* ---- the loop ----------------------------------------------------------------------- */

static int ha_claim_store(struct ha *h, struct store_leader *l, struct sw_err *err)
{
    if (h->st == NULL) {
        int rc = store_open_secondary(h->store_path, &h->opts, &h->st, err);
        if (rc != 0) {
            return rc;
        }
    }
    return store_leader_claim(h->st, h->id, h->url, h->lease_ms, l, err);
}

static void ha_note_failure(struct ha *h, int rc, const struct sw_err *err)
{
    bool was_failing = h->is_failing;
    h->is_failing = rc != 0 && rc != SW_ECONFLICT;
    if (h->is_failing && !was_failing) {
        log_warn("leadership: cannot claim the lease: %s", err->msg);
    } else if (!h->is_failing && was_failing) {
        log_info("leadership: the store answers again");
    }
}

/* One claim and its decision; returns when to claim next (monotonic ms). */
static int64_t ha_claim_once(struct ha *h)
{
    struct store_leader l = {0};
    struct sw_err err = {0};
    struct ha_claim in = {.ttl_ms = h->lease_ms, .sent_ms = sw_clock_mono_ms()};
    int rc = ha_claim_store(h, &l, &err);
    in.now_ms = sw_clock_mono_ms();
    ha_note_failure(h, rc, &err);
    ha_check_time(h);
    if (rc == 0) {
        in.outcome = HA_CLAIM_WON;
        in.epoch = l.epoch;
    } else if (rc == SW_ECONFLICT) {
        in.outcome = HA_CLAIM_LOST;
        in.leader_left_ms = l.expires_ms - l.now_ms;
    } else {
        in.outcome = HA_CLAIM_FAILED;
    }
    struct ha_decision d;
    ha_decide_claim(&h->state, &in, &d);
    ha_apply(h, &d);
    if (in.outcome == HA_CLAIM_LOST) {
        ha_follow(h, &l, in.now_ms, in.leader_left_ms);
    }
    return d.next_claim_ms;
}

/* Waits until `until` (monotonic ms) or a stop; false when stopping. */
static bool ha_wait(struct ha *h, int64_t until)
{
    pthread_mutex_lock(&h->mu);
    while (!h->is_stopping) {
        int64_t left = until - sw_clock_mono_ms();
        if (left <= 0) {
            break;
        }
        struct timespec ts;
        sw_clock_mono_in(left, &ts);
        pthread_cond_timedwait(&h->cond, &h->mu, &ts);
    }
    bool go_on = !h->is_stopping;
    pthread_mutex_unlock(&h->mu);
    return go_on;
}

/* Shutdown: a leader steps down and expires its lease for a fast takeover. */
static void ha_step_down(struct ha *h)
{
    if (h->state.role != HA_LEADER) {
        return;
    }
    int64_t epoch = h->state.epoch;
    ha_demote(h, "shutting down");
    h->state = (struct ha_state){0};
    struct sw_err err = {0};
    if (h->st != NULL && store_leader_release(h->st, h->id, epoch, &err) != 0) {
        log_warn("leadership: lease not released (it expires by itself): %s", err.msg);
    }
}

static void *ha_main(void *arg)
{
    struct ha *h = arg;
    int64_t next_claim = 0;
    for (;;) {
        int64_t until = next_claim;
        if (h->state.role == HA_LEADER && h->state.deadline_ms < until) {
            until = h->state.deadline_ms;
        }
        if (!ha_wait(h, until)) {
            break;
        }
        ha_check_time(h);
        if (sw_clock_mono_ms() >= next_claim) {
            next_claim = ha_claim_once(h);
        }
    }
    ha_step_down(h);
    return NULL;
}

int ha_start(struct ha *h, struct sw_err *err)
{
    ha_metrics_set(h, false, 0);
    if (pthread_create(&h->thread, NULL, ha_main, h) != 0) {
        return sw_err_set(err, SW_EINTERNAL, "cannot start the leadership thread");
    }
    h->is_started = true;
    return 0;
}

void ha_stop(struct ha *h)
{
    if (h == NULL || !h->is_started) {
        return;
    }
    pthread_mutex_lock(&h->mu);
    h->is_stopping = true;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    h->is_started = false;
}

void ha_free(struct ha *h)
{
    if (h == NULL) {
        return;
    }
    ha_stop(h);
    store_close(h->st);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->mu);
    free(h->store_path);
    free(h->password);
    free(h->id);
    free(h->url);
    free(h);
}
