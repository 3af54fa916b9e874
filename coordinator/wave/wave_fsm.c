/*
 * The wave state machine (wave_fsm.h): guard evaluation and the handling of each event.
 * The table (wave_fsm_table.c) is the single authority on wave transitions: a step
 * picks the first row for (state, event) whose guard holds, and the row's target is the
 * new state. Stage progression and rollback order live in wave_fsm_run.c.
 */
#include "wave/wave_fsm.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sw/strbuf.h"
#include "wave/wave_fsm_impl.h"
#include "wave/wave_text.h"

#define DETAIL_SHOWN 400 /* bytes of an event's detail quoted in messages */
#define NAMES_SHOWN  10  /* shards named in one message */

void wave_decision_cleanup(struct wave_decision *d)
{
    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i < d->n_records; i++) {
        free(d->records[i].message);
    }
    free(d->records);
    free(d->changes);
    free(d->dispatch);
    free(d->reason);
    memset(d, 0, sizeof *d);
}

/* ---- decision building ------------------------------------------------------------ */

bool wave_shard_is_busy(enum wave_shard_state s)
{
    return s == WSHARD_LEASED || s == WSHARD_RUNNING;
}

bool fsm_in_flight(enum wave_shard_state s)
{
    return s == WSHARD_LEASED || s == WSHARD_RUNNING || s == WSHARD_RB_LEASED ||
           s == WSHARD_RB_RUNNING;
}

bool fsm_rb_active(enum wave_shard_state s)
{
    return s == WSHARD_RB_PENDING || s == WSHARD_RB_LEASED || s == WSHARD_RB_RUNNING;
}

int fsm_record(struct fsm_ctx *c, enum wave_record_kind kind, long shard_idx, const char *fmt, ...)
{
    struct wave_decision *out = c->out;
    if (out->n_records == c->cap_records) {
        size_t cap = c->cap_records == 0 ? 8 : 2 * c->cap_records;
        struct wave_record *grown = realloc(out->records, cap * sizeof *grown);
        if (grown == NULL) {
            return sw_err_set(c->err, SW_ENOMEM, "out of memory");
        }
        out->records = grown;
        c->cap_records = cap;
    }
    struct wave_record *r = &out->records[out->n_records];
    *r = (struct wave_record){kind, c->in->state, c->in->state, shard_idx, NULL};
    va_list ap;
    va_start(ap, fmt);
    int rc = wave_text_vformat(&r->message, c->err, fmt, ap);
    va_end(ap);
    if (rc == 0) {
        out->n_records++;
    }
    return rc;
}

/* An event's detail, quoted at most DETAIL_SHOWN bytes: use as "%s%.*s%s". */
struct detail {
    const char *sep;
    int len;
    const char *text;
    const char *more;
};

static struct detail ev_detail(const struct fsm_ctx *c)
{
    const char *d = c->ev->detail;
    if (d == NULL || d[0] == '\0') {
        return (struct detail){"", 0, "", ""};
    }
    size_t n = strlen(d);
    return (struct detail){": ", n > DETAIL_SHOWN ? DETAIL_SHOWN : (int)n, d,
                           n > DETAIL_SHOWN ? "..." : ""};
}

static const char *ev_actor(const struct fsm_ctx *c)
{
    return c->ev->actor != NULL ? c->ev->actor : "unknown";
}

static const char *ev_shard_id(const struct fsm_ctx *c)
{
    return c->in->shards[c->ev->shard_idx].id;
}

static int set_reason(struct fsm_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int set_reason(struct fsm_ctx *c, const char *fmt, ...)
{
    free(c->out->reason);
    c->out->reason = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = wave_text_vformat(&c->out->reason, c->err, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- guards --------------------------------------------------------------------------- */

/* Moved shards (done, or running and about to be) without down files; `except` (a shard
 * failing right now) is not counted. Names the first NAMES_SHOWN into sb when given. */
static size_t rollback_blockers(const struct fsm_ctx *c, size_t except, struct sw_strbuf *sb)
{
    size_t n = 0;
    for (size_t i = 0; i < c->in->n_shards; i++) {
        bool moved = fsm_cur(c, i) == WSHARD_DONE || fsm_cur(c, i) == WSHARD_RUNNING;
        if (i == except || !moved || c->in->shards[i].has_down) {
            continue;
        }
        if (sb != NULL && n < NAMES_SHOWN) {
            (void)sw_strbuf_printf(sb, NULL, "%s%s", n > 0 ? ", " : "", c->in->shards[i].id);
        }
        n++;
    }
    if (sb != NULL && n > NAMES_SHOWN) {
        (void)sw_strbuf_printf(sb, NULL, " and %zu more", n - NAMES_SHOWN);
    }
    return n;
}

/* "shard t-1 has no down migration ..." for the first blockers; *out owned. */
static int blockers_text(const struct fsm_ctx *c, size_t except, char **out)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, WAVE_FSM_TEXT_MAX);
    size_t n = rollback_blockers(c, except, &sb);
    int rc = n == 1 ? wave_text_format(out, c->err,
                                       "shard %s has no down migration for a step it moved "
                                       "through",
                                       sw_strbuf_str(&sb))
                    : wave_text_format(out, c->err,
                                       "%zu shards have no down migration for a step they moved "
                                       "through: %s",
                                       n, sw_strbuf_str(&sb));
    sw_strbuf_cleanup(&sb);
    return rc;
}

static bool forward_open(const struct fsm_ctx *c)
{
    enum wave_shard_state s = fsm_cur(c, c->ev->shard_idx);
    return s == WSHARD_PENDING || s == WSHARD_LEASED || s == WSHARD_RUNNING;
}

struct budget {
    size_t failed; /* with the failing shard */
    size_t moved;  /* shards of the stage that are not skipped */
    bool over;
};

static struct budget stage_budget(const struct fsm_ctx *c)
{
    uint32_t stage = c->in->shards[c->ev->shard_idx].stage;
    const struct wave_view_stage *vs = &c->in->stages[stage];
    struct budget b = {.failed = 1};
    for (size_t i = 0; i < c->in->n_shards; i++) {
        if (c->in->shards[i].stage == stage && fsm_cur(c, i) != WSHARD_SKIPPED) {
            b.moved++;
            b.failed += fsm_cur(c, i) == WSHARD_FAILED;
        }
    }
    if (vs->max_failures >= 0) {
        b.over = b.failed > (size_t)vs->max_failures;
    } else if (vs->max_failure_percent >= 0) {
        b.over = (double)b.failed * 100.0 > vs->max_failure_percent * (double)b.moved;
    } else {
        b.over = b.failed > 0;
    }
    return b;
}

static bool over_budget(const struct fsm_ctx *c, enum plan_on_failure policy)
{
    return forward_open(c) && c->in->on_failure == policy && stage_budget(c).over;
}

static bool any_shard(const struct fsm_ctx *c, bool (*pred)(enum wave_shard_state))
{
    for (size_t i = 0; i < c->in->n_shards; i++) {
        if (pred(fsm_cur(c, i))) {
            return true;
        }
    }
    return false;
}

static bool rollback_begun(enum wave_shard_state s)
{
    return fsm_rb_active(s) || s == WSHARD_ROLLED_BACK || s == WSHARD_RB_FAILED;
}

static bool rollback_work(enum wave_shard_state s)
{
    return fsm_rb_active(s) || s == WSHARD_LEASED || s == WSHARD_RUNNING;
}

static int guard_holds(struct fsm_ctx *c, enum wave_guard g, bool *holds)
{
    const struct wave_view *in = c->in;
    size_t none = (size_t)-1;
    int rc = 0;
    switch (g) {
    case WAVE_G_ALWAYS:
        *holds = true;
        break;
    case WAVE_G_WAVE_DONE:
        rc = c->progressed ? 0 : fsm_progress(c);
        *holds = c->finished;
        break;
    case WAVE_G_GATE_TIMED_OUT:
        *holds = in->phase == STAGE_GATING && in->now_ms >= in->phase_until_ms;
        break;
    case WAVE_G_OVER_BUDGET_HALT:
        *holds = over_budget(c, PLAN_ON_FAILURE_HALT);
        break;
    case WAVE_G_OVER_BUDGET_ROLLBACK:
    case WAVE_G_OVER_BUDGET_BLOCKED:
        *holds = over_budget(c, PLAN_ON_FAILURE_ROLLBACK) &&
                 (rollback_blockers(c, c->ev->shard_idx, NULL) == 0) ==
                     (g == WAVE_G_OVER_BUDGET_ROLLBACK);
        break;
    case WAVE_G_CAN_ROLL_BACK:
        *holds = rollback_blockers(c, none, NULL) == 0;
        break;
    case WAVE_G_NO_ROLLBACK_BEGUN:
        *holds = !any_shard(c, rollback_begun);
        break;
    case WAVE_G_AT_GATE:
        *holds = in->phase == STAGE_GATING;
        break;
    case WAVE_G_ROLLBACK_FINISHED:
        *holds = !any_shard(c, rollback_work);
        break;
    case WAVE_G_RB_REPORT_VALID:
        *holds = fsm_rb_active(fsm_cur(c, c->ev->shard_idx));
        break;
    case WAVE_G_COUNT:
        *holds = false;
        break;
    }
    return rc;
}

/* The first row for (state, event) whose guard holds; NULL when none. */
static int pick_row(struct fsm_ctx *c, const struct wave_fsm_row **row)
{
    *row = NULL;
    size_t n_rows = 0;
    const struct wave_fsm_row *rows = wave_fsm_table(&n_rows);
    for (size_t i = 0; i < n_rows; i++) {
        const struct wave_fsm_row *r = &rows[i];
        bool holds = false;
        if (r->from != c->in->state || r->event != c->ev->kind) {
            continue;
        }
        int rc = guard_holds(c, r->guard, &holds);
        if (rc != 0 || holds) {
            *row = rc == 0 ? r : NULL;
            return rc;
        }
    }
    return 0;
}

/* ---- refusals ------------------------------------------------------------------------ */

static const char *operator_verb(enum wave_event_kind k)
{
    switch (k) {
    case WAVE_EV_PAUSE:
        return "pause";
    case WAVE_EV_RESUME:
        return "resume";
    case WAVE_EV_ABORT:
        return "abort";
    case WAVE_EV_ROLLBACK:
        return "roll back";
    case WAVE_EV_TICK:
    case WAVE_EV_SHARD_STARTED:
    case WAVE_EV_SHARD_SUCCEEDED:
    case WAVE_EV_SHARD_FAILED:
    case WAVE_EV_LEASE_EXPIRED:
    case WAVE_EV_GATE_PASSED:
    case WAVE_EV_GATE_FAILED:
    case WAVE_EV_RB_SUCCEEDED:
    case WAVE_EV_RB_FAILED:
    case WAVE_EV_COUNT:
        break;
    }
    return "?";
}

static void refusal_hint(const struct fsm_ctx *c)
{
    enum wave_state s = c->in->state;
    if (wave_state_is_final(s)) {
        sw_err_hint(c->err, "the wave is finished; start a new wave");
    } else if (s == WAVE_ROLLING_BACK) {
        sw_err_hint(c->err, "a rollback runs to its end; abort stops it");
    } else if (c->ev->kind == WAVE_EV_PAUSE && s == WAVE_HALTED) {
        sw_err_hint(c->err, "a halted wave starts nothing; resume, roll back or abort it");
    } else {
        sw_err_hint(c->err, "the wave is already %s", wave_state_name(s));
    }
}

/* An operator event the table does not allow in this state (or whose guards fail). */
static int refuse(struct fsm_ctx *c)
{
    const char *state = wave_state_name(c->in->state);
    if (!wave_event_is_operator(c->ev->kind)) {
        return sw_err_set(c->err, SW_EINTERNAL, "wave state machine: no row for %s in state %s",
                          wave_event_kind_name(c->ev->kind), state);
    }
    bool has_row = false;
    size_t n_rows = 0;
    const struct wave_fsm_row *rows = wave_fsm_table(&n_rows);
    for (size_t i = 0; i < n_rows; i++) {
        has_row |= rows[i].from == c->in->state && rows[i].event == c->ev->kind;
    }
    if (has_row && c->ev->kind == WAVE_EV_ROLLBACK) {
        char *why = NULL;
        int rc = blockers_text(c, (size_t)-1, &why);
        if (rc == 0) {
            rc = sw_err_set(c->err, SW_ECONFLICT, "wave is %s: cannot roll back: %s", state, why);
            sw_err_hint(c->err, "add the missing down migrations (or repair those shards by "
                                "hand), then roll back");
        }
        free(why);
        return rc;
    }
    if (has_row && c->ev->kind == WAVE_EV_RESUME) {
        int rc = sw_err_set(c->err, SW_ECONFLICT,
                            "wave is %s: cannot resume: its rollback has begun", state);
        sw_err_hint(c->err, "roll back again to retry the failed shards, or abort");
        return rc;
    }
    int rc = sw_err_set(c->err, SW_ECONFLICT, "wave is %s: cannot %s", state,
                        operator_verb(c->ev->kind));
    refusal_hint(c);
    return rc;
}

/* ---- event handlers ------------------------------------------------------------------ */

static int on_tick(struct fsm_ctx *c, const struct wave_fsm_row *row)
{
    const struct wave_view_stage *vs = &c->in->stages[c->in->stage];
    switch (row->to) {
    case WAVE_HALTED:
        return set_reason(c, "stage %s: the gate gave no answer within %lld s", vs->name,
                          (long long)(2 * vs->gate_timeout_ms / 1000));
    case WAVE_RUNNING:
        if (row->from == WAVE_RUNNING && !c->progressed) {
            return fsm_progress(c);
        }
        return 0;
    case WAVE_ROLLING_BACK:
        return fsm_rollback_dispatch(c);
    case WAVE_PENDING:
    case WAVE_PAUSED:
    case WAVE_COMPLETED:
    case WAVE_ABORTED:
    case WAVE_ROLLED_BACK:
    case WAVE_STATE_COUNT:
        break;
    }
    return 0;
}

static int on_operator(struct fsm_ctx *c)
{
    struct detail d = ev_detail(c);
    return fsm_record(c, WAVE_REC_OPERATOR, -1, "%s by %s%s%.*s%s", operator_verb(c->ev->kind),
                      ev_actor(c), d.sep, d.len, d.text, d.more);
}

static int refuse_start(struct fsm_ctx *c, enum wave_shard_state s)
{
    size_t idx = c->ev->shard_idx;
    const char *state = wave_state_name(c->in->state);
    int rc = 0;
    c->out->refused = true;
    if (s == WSHARD_LEASED || s == WSHARD_RB_LEASED) {
        rc = fsm_set_shard(c, idx, s == WSHARD_LEASED ? WSHARD_PENDING : WSHARD_RB_PENDING);
        if (rc == 0) {
            rc = set_reason(c, "wave is %s: shard %s may not start", state, ev_shard_id(c));
        }
    } else if (s != WSHARD_RUNNING && s != WSHARD_RB_RUNNING) {
        rc = set_reason(c, "shard %s is %s: it holds no lease", ev_shard_id(c),
                        wave_shard_state_name(s));
    } else {
        rc = set_reason(c, "wave is %s: shard %s may not start", state, ev_shard_id(c));
    }
    return rc != 0 ? rc
                   : fsm_record(c, WAVE_REC_SHARD, (long)idx, "start refused: %s", c->out->reason);
}

static int on_started(struct fsm_ctx *c)
{
    size_t idx = c->ev->shard_idx;
    enum wave_shard_state s = fsm_cur(c, idx);
    bool forward = c->in->state == WAVE_RUNNING;
    bool backward = c->in->state == WAVE_ROLLING_BACK;
    if ((forward && s == WSHARD_RUNNING) || (backward && s == WSHARD_RB_RUNNING)) {
        return 0; /* a retried go-ahead request */
    }
    if (forward && s == WSHARD_LEASED) {
        return fsm_set_shard(c, idx, WSHARD_RUNNING);
    }
    if (backward && s == WSHARD_RB_LEASED) {
        return fsm_set_shard(c, idx, WSHARD_RB_RUNNING);
    }
    return refuse_start(c, s);
}

static int ignore_report(struct fsm_ctx *c)
{
    size_t idx = c->ev->shard_idx;
    return fsm_record(c, WAVE_REC_SHARD, (long)idx, "%s report for shard %s ignored: it is %s",
                      wave_event_kind_name(c->ev->kind), ev_shard_id(c),
                      wave_shard_state_name(fsm_cur(c, idx)));
}

static int on_succeeded(struct fsm_ctx *c)
{
    size_t idx = c->ev->shard_idx;
    if (!forward_open(c)) {
        return ignore_report(c);
    }
    int rc = fsm_set_shard(c, idx, WSHARD_DONE);
    if (rc != 0 || c->in->state != WAVE_ROLLING_BACK) {
        return rc;
    }
    if (!c->in->shards[idx].has_down) {
        return fsm_record(c, WAVE_REC_SHARD, (long)idx,
                          "shard %s finished after the rollback began and has no down "
                          "migration: left at the target",
                          ev_shard_id(c));
    }
    rc = fsm_set_shard(c, idx, WSHARD_RB_PENDING);
    return rc != 0 ? rc
                   : fsm_record(c, WAVE_REC_SHARD, (long)idx,
                                "shard %s finished after the rollback began: rolled back too",
                                ev_shard_id(c));
}

static void budget_text(const struct wave_view_stage *vs, char *buf, size_t cap)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, cap - 1);
    if (vs->max_failures >= 0) {
        (void)sw_strbuf_printf(&sb, NULL, "max_failures %d", vs->max_failures);
    } else if (vs->max_failure_percent >= 0) {
        (void)sw_strbuf_printf(&sb, NULL, "max_failure_percent %g", vs->max_failure_percent);
    } else {
        (void)sw_strbuf_puts(&sb, "no failures allowed", NULL);
    }
    memcpy(buf, sw_strbuf_str(&sb), sb.len + 1);
    sw_strbuf_cleanup(&sb);
}

static int failure_reason(struct fsm_ctx *c, const struct wave_fsm_row *row)
{
    const struct wave_view_stage *vs = &c->in->stages[c->in->shards[c->ev->shard_idx].stage];
    struct budget b = stage_budget(c);
    struct detail d = ev_detail(c);
    char budget[64];
    budget_text(vs, budget, sizeof budget);
    char *blocked = NULL;
    int rc =
        row->guard == WAVE_G_OVER_BUDGET_BLOCKED ? blockers_text(c, c->ev->shard_idx, &blocked) : 0;
    if (rc == 0) {
        rc = set_reason(c,
                        "stage %s: shard %s failed%s%.*s%s; %zu of %zu shards failed, over "
                        "the budget (%s)%s%s",
                        vs->name, ev_shard_id(c), d.sep, d.len, d.text, d.more, b.failed, b.moved,
                        budget, blocked != NULL ? "; rollback blocked: " : "",
                        blocked != NULL ? blocked : "");
    }
    free(blocked);
    return rc;
}

static int on_failed(struct fsm_ctx *c, const struct wave_fsm_row *row)
{
    size_t idx = c->ev->shard_idx;
    if (!forward_open(c)) {
        return ignore_report(c);
    }
    int rc = row->to != row->from ? failure_reason(c, row) : 0;
    struct detail d = ev_detail(c);
    if (rc == 0) {
        rc = fsm_set_shard(c, idx, WSHARD_FAILED);
    }
    if (rc == 0) {
        rc = fsm_record(c, WAVE_REC_SHARD, (long)idx, "shard %s failed%s%.*s%s", ev_shard_id(c),
                        d.sep, d.len, d.text, d.more);
    }
    if (rc == 0 && row->from == WAVE_ROLLING_BACK) {
        rc = fsm_record(c, WAVE_REC_SHARD, (long)idx,
                        "shard %s failed after the rollback began and may hold partial changes: "
                        "not rolled back; inspect and repair it",
                        ev_shard_id(c));
    }
    return rc;
}

static int on_lease_expired(struct fsm_ctx *c)
{
    size_t idx = c->ev->shard_idx;
    enum wave_shard_state s = fsm_cur(c, idx);
    enum wave_shard_state to = s == WSHARD_LEASED || s == WSHARD_RUNNING         ? WSHARD_PENDING
                               : s == WSHARD_RB_LEASED || s == WSHARD_RB_RUNNING ? WSHARD_RB_PENDING
                                                                                 : s;
    if (to == s) {
        return 0; /* nothing was leased: the store's lease bookkeeping only */
    }
    int rc = fsm_set_shard(c, idx, to);
    return rc != 0 ? rc
                   : fsm_record(c, WAVE_REC_SHARD, (long)idx,
                                "shard %s: lease expired while %s; back to %s", ev_shard_id(c),
                                wave_shard_state_name(s), wave_shard_state_name(to));
}

static int on_gate(struct fsm_ctx *c, const struct wave_fsm_row *row)
{
    const char *stage = c->in->stages[c->in->stage].name;
    struct detail d = ev_detail(c);
    bool passed = c->ev->kind == WAVE_EV_GATE_PASSED;
    if (row->guard != WAVE_G_AT_GATE) {
        return fsm_record(c, WAVE_REC_GATE, -1, "stage %s: gate result ignored (stage is %s)",
                          stage, wave_stage_phase_name(c->in->phase));
    }
    int rc = 0;
    if (passed) {
        c->out->phase = STAGE_PASSED;
        c->out->phase_until_ms = 0;
    } else {
        rc = set_reason(c, "stage %s: gate failed%s%.*s%s", stage, d.sep, d.len, d.text, d.more);
    }
    return rc != 0 ? rc
                   : fsm_record(c, WAVE_REC_GATE, -1, "stage %s: gate %s%s%.*s%s", stage,
                                passed ? "passed" : "failed", d.sep, d.len, d.text, d.more);
}

static int on_rb_report(struct fsm_ctx *c, const struct wave_fsm_row *row)
{
    size_t idx = c->ev->shard_idx;
    if (!fsm_rb_active(fsm_cur(c, idx))) {
        return ignore_report(c);
    }
    if (c->ev->kind == WAVE_EV_RB_SUCCEEDED) {
        return fsm_set_shard(c, idx, WSHARD_ROLLED_BACK);
    }
    struct detail d = ev_detail(c);
    int rc = fsm_set_shard(c, idx, WSHARD_RB_FAILED);
    if (rc == 0 && row->to == WAVE_HALTED) {
        rc = set_reason(c,
                        "rollback of shard %s failed%s%.*s%s; fix the shard, then roll back "
                        "again or abort",
                        ev_shard_id(c), d.sep, d.len, d.text, d.more);
    }
    return rc != 0 ? rc
                   : fsm_record(c, WAVE_REC_SHARD, (long)idx, "rollback of shard %s failed%s%.*s%s",
                                ev_shard_id(c), d.sep, d.len, d.text, d.more);
}

static int handle_event(struct fsm_ctx *c, const struct wave_fsm_row *row)
{
    switch (c->ev->kind) {
    case WAVE_EV_TICK:
        return on_tick(c, row);
    case WAVE_EV_PAUSE:
    case WAVE_EV_RESUME:
    case WAVE_EV_ABORT:
    case WAVE_EV_ROLLBACK:
        return on_operator(c);
    case WAVE_EV_SHARD_STARTED:
        return on_started(c);
    case WAVE_EV_SHARD_SUCCEEDED:
        return on_succeeded(c);
    case WAVE_EV_SHARD_FAILED:
        return on_failed(c, row);
    case WAVE_EV_LEASE_EXPIRED:
        return on_lease_expired(c);
    case WAVE_EV_GATE_PASSED:
    case WAVE_EV_GATE_FAILED:
        return on_gate(c, row);
    case WAVE_EV_RB_SUCCEEDED:
    case WAVE_EV_RB_FAILED:
        return on_rb_report(c, row);
    case WAVE_EV_COUNT:
        break;
    }
    return sw_err_set(c->err, SW_EINVAL, "wave event: unknown kind %d", (int)c->ev->kind);
}

/* Unstarted leases are void once the wave is aborted. */
static int revoke_leases(struct fsm_ctx *c)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->in->n_shards; i++) {
        if (fsm_cur(c, i) == WSHARD_LEASED) {
            rc = fsm_set_shard(c, i, WSHARD_PENDING);
        } else if (fsm_cur(c, i) == WSHARD_RB_LEASED) {
            rc = fsm_set_shard(c, i, WSHARD_RB_PENDING);
        }
    }
    return rc;
}

/* Entering RUNNING: the first stage begins, failed shards are re-queued, or a resumed
 * gate is asked again. */
static int enter_running(struct fsm_ctx *c, const struct wave_fsm_row *row)
{
    if (row->from == WAVE_PENDING) {
        c->out->stage = 0;
        c->out->phase = STAGE_DISPATCHING;
        c->out->phase_until_ms = 0;
        return fsm_record(c, WAVE_REC_STAGE, -1, "stage %s: started", c->in->stages[0].name);
    }
    size_t n_requeued = 0;
    int rc = fsm_requeue_failed(c, &n_requeued);
    if (rc != 0 || n_requeued > 0) {
        /* the stage runs its re-queued shards, then bakes and asks its gate again */
        c->out->phase = STAGE_DISPATCHING;
        c->out->phase_until_ms = 0;
        return rc;
    }
    if (c->out->phase != STAGE_GATING) {
        return 0;
    }
    const struct wave_view_stage *vs = &c->in->stages[c->out->stage];
    c->out->gate_check = true;
    c->out->phase_until_ms = c->in->now_ms + 2 * vs->gate_timeout_ms;
    return fsm_record(c, WAVE_REC_GATE, -1, "stage %s: gate check requested again", vs->name);
}

static int enter_state(struct fsm_ctx *c, const struct wave_fsm_row *row)
{
    int rc = 0;
    switch (row->to) {
    case WAVE_RUNNING:
        rc = enter_running(c, row);
        break;
    case WAVE_ROLLING_BACK:
        rc = fsm_rollback_begin(c);
        break;
    case WAVE_ABORTED:
        rc = revoke_leases(c);
        break;
    case WAVE_PENDING:
    case WAVE_PAUSED:
    case WAVE_HALTED:
    case WAVE_COMPLETED:
    case WAVE_ROLLED_BACK:
    case WAVE_STATE_COUNT:
        break;
    }
    if (rc != 0) {
        return rc;
    }
    bool by_operator = wave_event_is_operator(c->ev->kind);
    rc = fsm_record(c, WAVE_REC_TRANSITION, -1, "%s -> %s%s%s%s%s", wave_state_name(row->from),
                    wave_state_name(row->to), by_operator ? " by " : "",
                    by_operator ? ev_actor(c) : "", c->out->reason != NULL ? ": " : "",
                    c->out->reason != NULL ? c->out->reason : "");
    if (rc == 0) {
        c->out->records[c->out->n_records - 1].to = row->to;
    }
    return rc;
}

static int check_shard(const struct wave_view *in, size_t i, struct sw_err *err)
{
    const struct wave_view_shard *s = &in->shards[i];
    if (s->stage >= in->n_stages || (unsigned)s->state >= WSHARD_STATE_COUNT ||
        (s->host != WAVE_FSM_NO_HOST && s->host >= in->n_hosts)) {
        return sw_err_set(err, SW_EINVAL, "wave view: shard %zu: bad stage, state or host", i);
    }
    return 0;
}

/* The caller's summary (in_flight_by_stage, pending_lo) against the shards, in one pass.
 * Called after every shard was checked. */
static int check_summary(const struct wave_view *in, struct sw_err *err)
{
    size_t *n = in->in_flight_by_stage != NULL ? calloc(in->n_stages, sizeof *n) : NULL;
    if (in->in_flight_by_stage != NULL && n == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < in->n_shards; i++) {
        enum wave_shard_state st = in->shards[i].state;
        if (st == WSHARD_PENDING && i < in->pending_lo) {
            rc = sw_err_set(err, SW_EINVAL, "wave view: shard %zu is pending, below pending_lo %zu",
                            i, in->pending_lo);
        }
        if (n != NULL && wave_shard_is_busy(st)) {
            n[in->shards[i].stage]++;
        }
    }
    for (uint32_t s = 0; rc == 0 && n != NULL && s < in->n_stages; s++) {
        if (n[s] != in->in_flight_by_stage[s]) {
            rc = sw_err_set(err, SW_EINVAL,
                            "wave view: stage %u has %zu shards in flight, the summary says %zu",
                            (unsigned)s, n[s], in->in_flight_by_stage[s]);
        }
    }
    free(n);
    return rc;
}

/* The view's own fields (not its shards). */
static int check_header(const struct wave_view *in, struct sw_err *err)
{
    if (in->n_stages == 0 || in->stages == NULL || in->stage >= in->n_stages) {
        return sw_err_set(err, SW_EINVAL, "wave view: stage %u of %zu", (unsigned)in->stage,
                          in->n_stages);
    }
    if ((unsigned)in->state >= WAVE_STATE_COUNT || (unsigned)in->phase >= STAGE_PHASE_COUNT) {
        return sw_err_set(err, SW_EINVAL, "wave view: bad state, phase or event kind");
    }
    return 0;
}

int wave_fsm_check_view(const struct wave_view *in, struct sw_err *err)
{
    int rc = check_header(in, err);
    for (size_t i = 0; rc == 0 && i < in->n_shards; i++) {
        rc = check_shard(in, i, err);
    }
    return rc == 0 ? check_summary(in, err) : rc;
}

/* Events whose handling reads and changes only their own shard (and no guard of theirs
 * looks further): they validate only that shard, unless WAVE_FSM_FULL_CHECK. */
static bool ev_is_local(enum wave_event_kind k)
{
#ifdef WAVE_FSM_FULL_CHECK
    (void)k;
    return false;
#else
    return k == WAVE_EV_SHARD_STARTED || k == WAVE_EV_SHARD_SUCCEEDED ||
           k == WAVE_EV_LEASE_EXPIRED || k == WAVE_EV_RB_SUCCEEDED || k == WAVE_EV_RB_FAILED;
#endif
}

/* Shard events that end the shard's lease, freeing a slot (wave_event.dispatch_freed). */
static bool ev_ends_lease(enum wave_event_kind k)
{
    return k == WAVE_EV_SHARD_SUCCEEDED || k == WAVE_EV_SHARD_FAILED ||
           k == WAVE_EV_LEASE_EXPIRED || k == WAVE_EV_RB_SUCCEEDED || k == WAVE_EV_RB_FAILED;
}

/* The checks and their order are those of wave_fsm_check_view plus the event's, except
 * that a local event validates only its own shard (one that dispatches is local only with
 * the caller's summary: the dispatch then reads nothing it indexes by). */
static int check_view(const struct wave_view *in, const struct wave_event *ev, struct sw_err *err)
{
    int rc = check_header(in, err);
    if (rc == 0 && (unsigned)ev->kind >= WAVE_EV_COUNT) {
        rc = sw_err_set(err, SW_EINVAL, "wave view: bad state, phase or event kind");
    }
    /* a dispatch reads other shards: without the caller's summary it passes over them */
    bool needs_pass = ev->dispatch_freed && ev_ends_lease(ev->kind) &&
                      (in->in_flight_by_stage == NULL || in->max_per_host > 0);
    bool is_local = ev_is_local(ev->kind) && !needs_pass;
    for (size_t i = 0; rc == 0 && !is_local && i < in->n_shards; i++) {
        rc = check_shard(in, i, err);
    }
    if (rc == 0 && !is_local) {
        rc = check_summary(in, err);
    }
    bool shard_event = ev->kind >= WAVE_EV_SHARD_STARTED && ev->kind <= WAVE_EV_LEASE_EXPIRED;
    shard_event |= ev->kind == WAVE_EV_RB_SUCCEEDED || ev->kind == WAVE_EV_RB_FAILED;
    if (rc == 0 && shard_event && ev->shard_idx >= in->n_shards) {
        return sw_err_set(err, SW_EINVAL, "wave event %s: shard index %zu out of range (%zu)",
                          wave_event_kind_name(ev->kind), ev->shard_idx, in->n_shards);
    }
    return rc == 0 && is_local ? check_shard(in, ev->shard_idx, err) : rc;
}

/* Nothing here is sized by the wave: the changes and dispatch lists grow as needed. */
static int ctx_init(struct fsm_ctx *c)
{
    const struct wave_view *in = c->in;
    struct wave_decision *out = c->out;
    out->state = in->state;
    out->stage = in->stage;
    out->phase = in->phase;
    out->phase_until_ms = in->phase_until_ms;
    c->cap_changes = 4;
    c->cap_dispatch = 4;
    out->changes = calloc(c->cap_changes, sizeof *out->changes);
    out->dispatch = calloc(c->cap_dispatch, sizeof *out->dispatch);
    if (out->changes == NULL || out->dispatch == NULL) {
        return sw_err_set(c->err, SW_ENOMEM, "out of memory");
    }
    return 0;
}

int wave_fsm_step(const struct wave_view *in, const struct wave_event *ev,
                  struct wave_decision *out, struct sw_err *err)
{
    struct fsm_ctx c = {.in = in, .ev = ev, .out = out, .err = err};
    const struct wave_fsm_row *row = NULL;
    memset(out, 0, sizeof *out);
    int rc = check_view(in, ev, err);
    if (rc != 0) {
        goto out;
    }
    rc = ctx_init(&c);
    if (rc == 0) {
        rc = pick_row(&c, &row);
    }
    if (rc == 0 && row == NULL) {
        rc = refuse(&c);
    }
    if (rc != 0) {
        goto out;
    }
    out->state = row->to;
    rc = handle_event(&c, row);
    if (rc == 0 && row->to != row->from) {
        rc = enter_state(&c, row);
    }
    if (rc == 0 && ev->dispatch_freed && ev_ends_lease(ev->kind)) {
        rc = fsm_dispatch_freed(&c);
    }
out:
    free(c.change_slots);
    return rc;
}
