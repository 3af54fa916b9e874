/*
 * The wave planner (planner.h): validates a plan, resolves the target, decides per
 * shard where it stands (skip or the run of steps it needs), then lets each stage pick
 * from what earlier stages left, checking engine files and busy shards. Every choice
 * is written to the explain list.
 */
#include "wave/planner.h"

#include <stdlib.h>
#include <string.h>

#include "sw/strbuf.h"
#include "wave/planner_contract.h"
#include "wave/selector.h"
#include "wave/wave_text.h"

#define PLANNER_TEXT_MAX WAVE_TEXT_MAX

/* Up to PLANNER_LIST_MAX names, then a count: "t-1, t-2 and 3 more". */
struct name_list {
    size_t n;
    struct sw_strbuf sb;
};

/* Where one fleet shard stands before stage selection. */
enum shard_pick {
    PICK_OUT_OF_SCOPE,
    PICK_SKIPPED,
    PICK_AVAILABLE, /* needs steps, not picked yet */
    PICK_TAKEN,     /* picked by a stage */
};

struct shard_need {
    enum shard_pick pick;
    struct version from;
    size_t first_step;
    size_t n_steps;
};

struct plan_ctx {
    const struct planner_input *in;
    struct planner_result *out;
    struct sw_err *err;
    struct version target;
    struct shard_need *need; /* parallel to the fleet */
    size_t n_available;
    struct planner_busy *busy_sorted; /* copy of in->busy sorted by shard id */
    size_t cap_skipped;               /* allocated entries of out->skipped */
    size_t cap_busy;                  /* ... of out->busy */
    struct name_list unknown_version; /* up: at a version the set does not contain */
    struct name_list dirty;
    struct name_list mismatch;
    struct name_list unreachable;
};

void planner_result_cleanup(struct planner_result *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n_stages; i++) {
        for (size_t j = 0; j < r->stages[i].n_shards; j++) {
            free(r->stages[i].shards[j].id);
            free(r->stages[i].shards[j].host);
        }
        free(r->stages[i].shards);
    }
    free(r->stages);
    for (size_t i = 0; i < r->n_skipped; i++) {
        free(r->skipped[i].id);
        free(r->skipped[i].reason);
    }
    free(r->skipped);
    free(r->busy);
    planner_contract_cleanup(r);
    wave_text_list_free(r->warnings, r->n_warnings);
    wave_text_list_free(r->explain, r->n_explain);
    memset(r, 0, sizeof *r);
}

/* ---- plan validation --------------------------------------------------------------- */

/* Parses a label expression only to check it; errors are prefixed with `stage` (NULL:
 * the plan's scope). */
static int check_expr(const char *stage, const char *expr, struct sw_err *err)
{
    struct selector sel = {0};
    int rc = selector_parse(expr, &sel, err);
    selector_cleanup(&sel);
    if (rc != 0 && stage != NULL) {
        sw_err_prefix(err, "stage %s", stage);
    } else if (rc != 0) {
        sw_err_prefix(err, "plan: scope");
    }
    return rc;
}

static int validate_selector(const struct plan_stage *s, struct sw_err *err)
{
    switch (s->select_kind) {
    case PLAN_SELECT_LABELS:
        if (s->select_expr == NULL) {
            return sw_err_set(err, SW_EINVAL, "stage %s: select needs a label expression", s->name);
        }
        return check_expr(s->name, s->select_expr, err);
    case PLAN_SELECT_COUNT:
        if (s->select_count < 1) {
            return sw_err_set(err, SW_EINVAL, "stage %s: count must be at least 1 (got %lld)",
                              s->name, (long long)s->select_count);
        }
        return 0;
    case PLAN_SELECT_PERCENT:
        if (!(s->select_percent > 0 && s->select_percent <= 100)) {
            return sw_err_set(err, SW_EINVAL, "stage %s: percent must be in (0, 100] (got %g)",
                              s->name, s->select_percent);
        }
        return 0;
    case PLAN_SELECT_REST:
        return 0;
    }
    return sw_err_set(err, SW_EINVAL, "stage %s: unknown selector kind", s->name);
}

static int validate_budget(const struct plan_stage *s, struct sw_err *err)
{
    if (s->max_failures < -1) {
        return sw_err_set(err, SW_EINVAL, "stage %s: max_failures must be at least 0 (got %d)",
                          s->name, s->max_failures);
    }
    bool pct_set = s->max_failure_percent != -1;
    if (pct_set && !(s->max_failure_percent >= 0 && s->max_failure_percent <= 100)) {
        return sw_err_set(err, SW_EINVAL,
                          "stage %s: max_failure_percent must be in [0, 100] (got %g)", s->name,
                          s->max_failure_percent);
    }
    if (pct_set && s->max_failures != -1) {
        return sw_err_set(err, SW_EINVAL,
                          "stage %s: set max_failures or max_failure_percent, not both", s->name);
    }
    return 0;
}

static int validate_gate(const struct plan_stage *s, struct sw_err *err)
{
    bool has_text = s->gate != NULL && s->gate[0] != '\0';
    switch (s->gate_kind) {
    case PLAN_GATE_NONE:
        return has_text
                   ? sw_err_set(err, SW_EINVAL, "stage %s: gate text without a gate kind", s->name)
                   : 0;
    case PLAN_GATE_SQL:
    case PLAN_GATE_HTTP:
        if (!has_text) {
            return sw_err_set(err, SW_EINVAL, "stage %s: the gate needs %s", s->name,
                              s->gate_kind == PLAN_GATE_SQL ? "an SQL query" : "a URL");
        }
        if (s->gate_timeout_seconds < 1) {
            return sw_err_set(err, SW_EINVAL,
                              "stage %s: gate timeout_seconds must be at least 1 (got %lld)",
                              s->name, (long long)s->gate_timeout_seconds);
        }
        return 0;
    }
    return sw_err_set(err, SW_EINVAL, "stage %s: unknown gate kind", s->name);
}

static int validate_stage(const struct wave_plan *plan, size_t idx, struct sw_err *err)
{
    const struct plan_stage *s = &plan->stages[idx];
    if (s->name == NULL || s->name[0] == '\0') {
        return sw_err_set(err, SW_EINVAL, "stage %zu: name is required", idx);
    }
    for (size_t j = 0; j < idx; j++) {
        if (strcmp(plan->stages[j].name, s->name) == 0) {
            return sw_err_set(err, SW_EINVAL, "stage %s: duplicate stage name (also stage %zu)",
                              s->name, j);
        }
    }
    if (s->max_parallel < 1) {
        return sw_err_set(err, SW_EINVAL, "stage %s: max_parallel must be at least 1 (got %d)",
                          s->name, s->max_parallel);
    }
    if (s->bake_seconds < 0) {
        return sw_err_set(err, SW_EINVAL, "stage %s: bake_seconds must be at least 0 (got %lld)",
                          s->name, (long long)s->bake_seconds);
    }
    int rc = validate_selector(s, err);
    if (rc == 0) {
        rc = validate_budget(s, err);
    }
    return rc != 0 ? rc : validate_gate(s, err);
}

int planner_validate_plan(const struct wave_plan *plan, struct sw_err *err)
{
    if (plan->n_stages == 0 || plan->n_stages > WAVE_MAX_STAGES) {
        return sw_err_set(err, SW_EINVAL, "plan: needs 1 to %d stages (got %zu)", WAVE_MAX_STAGES,
                          plan->n_stages);
    }
    if (plan->max_per_host < 0) {
        return sw_err_set(err, SW_EINVAL, "plan: max_per_host must be at least 0 (got %d)",
                          plan->max_per_host);
    }
    int rc = plan->scope != NULL ? check_expr(NULL, plan->scope, err) : 0;
    for (size_t i = 0; rc == 0 && i < plan->n_stages; i++) {
        rc = validate_stage(plan, i, err);
    }
    return rc;
}

/* ---- shard names in messages ------------------------------------------------------- */

static void name_list_init(struct name_list *l)
{
    l->n = 0;
    sw_strbuf_init(&l->sb, PLANNER_TEXT_MAX);
}

static int name_list_add(struct name_list *l, const char *name, struct sw_err *err)
{
    int rc = 0;
    if (l->n < PLANNER_LIST_MAX) {
        rc = sw_strbuf_printf(&l->sb, err, "%s%s", l->n > 0 ? ", " : "", name);
    }
    l->n++;
    return rc;
}

/* Finishes the text (adds "and N more"); borrowed until name_list_cleanup. */
static const char *name_list_text(struct name_list *l, struct sw_err *err)
{
    if (l->n > PLANNER_LIST_MAX &&
        sw_strbuf_printf(&l->sb, err, " and %zu more", l->n - PLANNER_LIST_MAX) != 0) {
        return NULL;
    }
    return sw_strbuf_str(&l->sb);
}

static void name_list_cleanup(struct name_list *l)
{
    sw_strbuf_cleanup(&l->sb);
}

/* Adds "<count> <what>: <names>" to the warnings when the list is not empty. */
static int warn_names(struct plan_ctx *c, struct name_list *l, const char *what)
{
    if (l->n == 0) {
        return 0;
    }
    const char *names = name_list_text(l, c->err);
    if (names == NULL) {
        return c->err != NULL ? c->err->code : SW_ENOMEM;
    }
    return wave_text_list_add(&c->out->warnings, &c->out->n_warnings, c->err,
                              "%zu shard%s %s %s: %s", l->n, l->n == 1 ? "" : "s",
                              l->n == 1 ? "is" : "are", what, names);
}

/* ---- target and where each shard stands ---------------------------------------------- */

static int resolve_target(struct plan_ctx *c)
{
    const struct wave_plan *plan = c->in->plan;
    struct version latest = migset_latest(c->in->set);
    char latest_text[VERSION_TEXT_MAX];
    version_format(&latest, latest_text, sizeof latest_text);
    c->out->direction = plan->direction;
    if (plan->target == NULL) {
        c->target = latest;
    } else if (version_parse_str(plan->target, &c->target, c->err) != 0) {
        sw_err_prefix(c->err, "plan: target");
        return SW_EINVAL;
    }
    version_format(&c->target, c->out->target, sizeof c->out->target);
    if (!version_is_zero(&c->target) && migset_find(c->in->set, &c->target) == NULL) {
        return sw_err_set(c->err, SW_EINVAL,
                          "target version %s is not in the migration set (latest %s)",
                          c->out->target, latest_text);
    }
    if (version_is_zero(&c->target) && plan->direction == PLAN_UP) {
        return sw_err_set(c->err, SW_EINVAL,
                          "target version 0: direction up needs a version of the migration set "
                          "(latest %s)",
                          latest_text);
    }
    return wave_text_list_add(&c->out->explain, &c->out->n_explain, c->err,
                              "target %s%s, direction %s", c->out->target,
                              plan->target == NULL ? " (latest of the migration set)" : "",
                              plan_direction_name(plan->direction));
}

/* Index of the first step whose version is above v. */
static size_t first_above(const struct migset *set, const struct version *v)
{
    size_t lo = 0;
    size_t hi = migset_count(set);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (version_cmp(&migset_step_at(set, mid)->version, v) <= 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int skip_shard(struct plan_ctx *c, size_t i, int cmp)
{
    struct shard_need *nd = &c->need[i];
    if (c->out->n_skipped == c->cap_skipped) {
        size_t cap = c->cap_skipped == 0 ? 16 : 2 * c->cap_skipped;
        struct planner_skip *grown = realloc(c->out->skipped, cap * sizeof *grown);
        if (grown == NULL) {
            return sw_err_set(c->err, SW_ENOMEM, "out of memory");
        }
        c->out->skipped = grown;
        c->cap_skipped = cap;
    }
    struct planner_skip *sk = &c->out->skipped[c->out->n_skipped++];
    memset(sk, 0, sizeof *sk);
    sk->fleet_idx = i;
    nd->pick = PICK_SKIPPED;
    char from[VERSION_TEXT_MAX];
    version_format(&nd->from, from, sizeof from);
    const char *rel = c->in->plan->direction == PLAN_UP ? "ahead of" : "below";
    int rc = wave_text_format(&sk->id, c->err, "%s", c->in->fleet->shards[i].id);
    if (rc == 0 && cmp == 0) {
        rc = wave_text_format(&sk->reason, c->err, "already at %s", from);
    } else if (rc == 0) {
        rc =
            wave_text_format(&sk->reason, c->err, "at %s, %s target %s", from, rel, c->out->target);
    }
    return rc;
}

static int note_health(struct plan_ctx *c, const struct fleet_shard *sh, enum shard_health h)
{
    switch (h) {
    case SHARD_DIRTY:
        return name_list_add(&c->dirty, sh->id, c->err);
    case SHARD_CHECKSUM_MISMATCH:
        return name_list_add(&c->mismatch, sh->id, c->err);
    case SHARD_UNREACHABLE:
        return name_list_add(&c->unreachable, sh->id, c->err);
    case SHARD_UNKNOWN:
    case SHARD_OK:
    case SHARD_HEALTH_COUNT:
        break;
    }
    return 0;
}

/* Decides whether an in-scope shard is skipped or which steps it needs. */
static int assess_shard(struct plan_ctx *c, size_t i)
{
    const struct fleet_shard *sh = &c->in->fleet->shards[i];
    const struct shard_status *st = c->in->status != NULL ? &c->in->status[i] : NULL;
    struct shard_need *nd = &c->need[i];
    const struct migset *set = c->in->set;
    bool up = c->in->plan->direction == PLAN_UP;
    if (version_parse_str(st != NULL ? st->version : "0", &nd->from, c->err) != 0) {
        sw_err_prefix(c->err, "shard %s: reported version", sh->id);
        return SW_EINVAL;
    }
    int cmp = version_cmp(&nd->from, &c->target);
    if ((up && cmp >= 0) || (!up && cmp <= 0)) {
        return skip_shard(c, i, cmp);
    }
    bool known = version_is_zero(&nd->from) || migset_find(set, &nd->from) != NULL;
    if (!known && !up) {
        char from[VERSION_TEXT_MAX];
        return sw_err_set(c->err, SW_ECONFLICT,
                          "shard %s is at version %s, which the migration set does not contain",
                          sh->id, version_format(&nd->from, from, sizeof from));
    }
    int rc = known ? 0 : name_list_add(&c->unknown_version, sh->id, c->err);
    if (rc == 0 && st != NULL) {
        rc = note_health(c, sh, st->health);
    }
    const struct version *lo = up ? &nd->from : &c->target;
    const struct version *hi = up ? &c->target : &nd->from;
    nd->first_step = first_above(set, lo);
    nd->n_steps = first_above(set, hi) - nd->first_step;
    nd->pick = PICK_AVAILABLE;
    c->n_available++;
    return rc;
}

static int assess_fleet(struct plan_ctx *c)
{
    const struct fleet *fleet = c->in->fleet;
    struct selector scope = {0};
    int rc = 0;
    size_t n_scope = 0;
    if (c->in->plan->scope != NULL) {
        rc = selector_parse(c->in->plan->scope, &scope, c->err);
    }
    for (size_t i = 0; rc == 0 && i < fleet->n_shards; i++) {
        if (c->in->plan->scope != NULL && !selector_match(&scope, &fleet->shards[i])) {
            continue; /* need[i].pick stays PICK_OUT_OF_SCOPE */
        }
        n_scope++;
        rc = assess_shard(c, i);
    }
    selector_cleanup(&scope);
    if (rc != 0) {
        return rc;
    }
    if (c->in->plan->scope != NULL) {
        rc = wave_text_list_add(&c->out->explain, &c->out->n_explain, c->err,
                                "scope %s: %zu of %zu shards", c->in->plan->scope, n_scope,
                                fleet->n_shards);
    } else {
        rc = wave_text_list_add(&c->out->explain, &c->out->n_explain, c->err,
                                "no scope: all %zu shards of the fleet", fleet->n_shards);
    }
    if (rc == 0 && c->out->n_skipped > 0) {
        rc = wave_text_list_add(&c->out->explain, &c->out->n_explain, c->err,
                                "%zu shard%s skipped: nothing to do (already at or %s target %s)",
                                c->out->n_skipped, c->out->n_skipped == 1 ? "" : "s",
                                c->in->plan->direction == PLAN_UP ? "beyond" : "below",
                                c->out->target);
    }
    return rc;
}

static int health_warnings(struct plan_ctx *c)
{
    int rc = warn_names(c, &c->unknown_version,
                        "at a version the migration set does not contain (the agent re-reads "
                        "the shard and refuses unknown migrations)");
    if (rc == 0) {
        rc = warn_names(c, &c->dirty, "dirty (nothing runs on them until repaired)");
    }
    if (rc == 0) {
        rc = warn_names(c, &c->mismatch, "checksum_mismatch (an applied migration was edited)");
    }
    if (rc == 0) {
        rc = warn_names(c, &c->unreachable, "unreachable (last report)");
    }
    return rc;
}

/* ---- stages ----------------------------------------------------------------------- */

static int cmp_busy(const void *a, const void *b)
{
    const struct planner_busy *x = a;
    const struct planner_busy *y = b;
    return strcmp(x->shard_id, y->shard_id);
}

static int note_busy(struct plan_ctx *c, const char *id)
{
    struct planner_busy key = {.shard_id = id};
    const struct planner_busy *hit =
        c->in->n_busy == 0 ? NULL
                           : bsearch(&key, c->busy_sorted, c->in->n_busy, sizeof key, cmp_busy);
    if (hit == NULL) {
        return 0;
    }
    if (c->out->n_busy == c->cap_busy) {
        size_t cap = c->cap_busy == 0 ? 16 : 2 * c->cap_busy;
        struct planner_busy *grown = realloc(c->out->busy, cap * sizeof *grown);
        if (grown == NULL) {
            return sw_err_set(c->err, SW_ENOMEM, "out of memory");
        }
        c->out->busy = grown;
        c->cap_busy = cap;
    }
    c->out->busy[c->out->n_busy++] = *hit;
    return 0;
}

/* Engines whose DDL is transactional, so a shard's steps can share one transaction
 * (plan transaction "shard"); MySQL/MariaDB commits each DDL statement on its own. */
static const bool engine_has_txn_ddl[MIGSET_ENGINE_COUNT] = {
    [MIGSET_ENGINE_PG] = true, [MIGSET_ENGINE_MYSQL] = false, [MIGSET_ENGINE_SQLITE] = true};

static int refuse_shard_txn_engine(struct plan_ctx *c, const struct planner_shard *ps)
{
    int rc = sw_err_set(c->err, SW_EINVAL,
                        "transaction \"shard\" needs transactional DDL: shard %s is %s, which "
                        "commits each DDL statement on its own",
                        ps->id, migset_engine_name(ps->engine));
    sw_err_hint(c->err, "use transaction = \"step\" (the default) for waves with MySQL/MariaDB "
                        "shards, or a scope without them");
    return rc;
}

static int refuse_shard_txn_file(struct plan_ctx *c, const struct planner_shard *ps,
                                 const struct migset_file *f)
{
    int rc = sw_err_set(c->err, SW_EINVAL,
                        "transaction \"shard\": %s is no-transaction and cannot share the "
                        "shard's transaction (shard %s)",
                        f->name, ps->id);
    sw_err_hint(c->err, "run this set with transaction = \"step\" (the default)");
    return rc;
}

/* Checks the shard's engine has a file for each step; sets has_down from the reverse.
 * With transaction "shard", the engine's DDL must be transactional and no file
 * no-transaction. */
static int check_files(struct plan_ctx *c, struct planner_shard *ps)
{
    bool up = c->in->plan->direction == PLAN_UP;
    bool one_txn = c->in->plan->transaction == PLAN_TXN_SHARD;
    enum migset_dir dir = up ? MIGSET_UP : MIGSET_DOWN;
    enum migset_dir rev = up ? MIGSET_DOWN : MIGSET_UP;
    ps->has_down = true;
    if (one_txn && !engine_has_txn_ddl[ps->engine]) {
        return refuse_shard_txn_engine(c, ps);
    }
    for (size_t k = 0; k < ps->n_steps; k++) {
        const struct migset_step *step = migset_step_at(c->in->set, ps->first_step + k);
        const struct migset_file *f = migset_step_file(step, dir, ps->engine);
        if (one_txn && f != NULL && f->directives.no_transaction) {
            return refuse_shard_txn_file(c, ps, f);
        }
        if (f == NULL) {
            const char *engine = migset_engine_name(ps->engine);
            int rc = sw_err_set(c->err, SW_ECONFLICT,
                                "version %s has no %s file for engine %s (shard %s)",
                                step->version_text, up ? "up" : "down", engine, ps->id);
            sw_err_hint(c->err, "add %c%s__<description>.%s.sql or a portable %c%s file",
                        up ? 'V' : 'U', step->version_text, engine, up ? 'V' : 'U',
                        step->version_text);
            return rc;
        }
        if (migset_step_file(step, rev, ps->engine) == NULL) {
            ps->has_down = false;
        }
    }
    return 0;
}

static int add_shard(struct plan_ctx *c, struct planner_stage *st, size_t i)
{
    const struct fleet_shard *sh = &c->in->fleet->shards[i];
    struct shard_need *nd = &c->need[i];
    struct planner_shard *ps = &st->shards[st->n_shards++];
    const char *label = c->in->plan->host_label != NULL ? c->in->plan->host_label : "host";
    const char *host = fleet_shard_label(sh, label);
    memset(ps, 0, sizeof *ps);
    ps->fleet_idx = i;
    ps->engine = sh->engine;
    ps->first_step = nd->first_step;
    ps->n_steps = nd->n_steps;
    version_format(&nd->from, ps->from, sizeof ps->from);
    memcpy(ps->to, c->out->target, sizeof ps->to);
    nd->pick = PICK_TAKEN;
    c->n_available--;
    int rc = wave_text_format(&ps->id, c->err, "%s", sh->id);
    if (rc == 0 && host != NULL) {
        rc = wave_text_format(&ps->host, c->err, "%s", host);
    }
    if (rc == 0) {
        rc = check_files(c, ps);
    }
    return rc != 0 ? rc : note_busy(c, sh->id);
}

/* How many shards a count/percent/rest stage takes of `avail`. */
static size_t stage_quota(const struct plan_stage *s, size_t avail)
{
    switch (s->select_kind) {
    case PLAN_SELECT_COUNT:
        return (uint64_t)s->select_count < avail ? (size_t)s->select_count : avail;
    case PLAN_SELECT_PERCENT: {
        double exact = (double)avail * s->select_percent / 100.0;
        size_t n = (size_t)exact;
        if ((double)n < exact - 1e-9) {
            n++;
        }
        n = n == 0 ? 1 : n;
        return n < avail ? n : avail;
    }
    case PLAN_SELECT_LABELS:
    case PLAN_SELECT_REST:
        break;
    }
    return avail;
}

static int explain_stage(struct plan_ctx *c, const struct plan_stage *s, size_t n, size_t avail)
{
    char ***ex = &c->out->explain;
    size_t *nx = &c->out->n_explain;
    const char *noun = avail == 1 ? "shard" : "shards";
    switch (s->select_kind) {
    case PLAN_SELECT_LABELS:
        return wave_text_list_add(ex, nx, c->err,
                                  "stage %s: label expression %s selected %zu of %zu %s", s->name,
                                  s->select_expr, n, avail, noun);
    case PLAN_SELECT_COUNT:
        return wave_text_list_add(ex, nx, c->err, "stage %s: count %lld selected %zu of %zu %s",
                                  s->name, (long long)s->select_count, n, avail, noun);
    case PLAN_SELECT_PERCENT:
        return wave_text_list_add(ex, nx, c->err,
                                  "stage %s: %g%% of %zu %s, rounded up, selected %zu", s->name,
                                  s->select_percent, avail, noun, n);
    case PLAN_SELECT_REST:
        return wave_text_list_add(ex, nx, c->err, "stage %s: the rest selected %zu of %zu %s",
                                  s->name, n, avail, noun);
    }
    return 0;
}

static int warn_stage(struct plan_ctx *c, const struct plan_stage *s, size_t n)
{
    if (n == 0) {
        return wave_text_list_add(&c->out->warnings, &c->out->n_warnings, c->err,
                                  "stage %s: selects 0 shards", s->name);
    }
    if ((size_t)s->max_parallel > n) {
        return wave_text_list_add(&c->out->warnings, &c->out->n_warnings, c->err,
                                  "stage %s: max_parallel %d exceeds its %zu shard%s", s->name,
                                  s->max_parallel, n, n == 1 ? "" : "s");
    }
    return 0;
}

static int select_stage(struct plan_ctx *c, size_t si)
{
    const struct plan_stage *s = &c->in->plan->stages[si];
    struct planner_stage *st = &c->out->stages[si];
    const struct fleet *fleet = c->in->fleet;
    size_t avail = c->n_available;
    size_t quota = stage_quota(s, avail);
    struct selector sel = {0};
    int rc = 0;
    if (s->select_kind == PLAN_SELECT_LABELS) {
        rc = selector_parse(s->select_expr, &sel, c->err);
    }
    st->shards = avail > 0 ? calloc(quota, sizeof *st->shards) : NULL;
    if (rc == 0 && avail > 0 && st->shards == NULL) {
        rc = sw_err_set(c->err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < fleet->n_shards && st->n_shards < quota; i++) {
        if (c->need[i].pick != PICK_AVAILABLE ||
            (s->select_kind == PLAN_SELECT_LABELS && !selector_match(&sel, &fleet->shards[i]))) {
            continue;
        }
        rc = add_shard(c, st, i);
    }
    selector_cleanup(&sel);
    if (rc == 0) {
        rc = explain_stage(c, s, st->n_shards, avail);
    }
    return rc != 0 ? rc : warn_stage(c, s, st->n_shards);
}

/* Warns about in-scope shards that no stage picked. */
static int warn_leftovers(struct plan_ctx *c)
{
    struct name_list left;
    name_list_init(&left);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->in->fleet->n_shards; i++) {
        if (c->need[i].pick == PICK_AVAILABLE) {
            rc = name_list_add(&left, c->in->fleet->shards[i].id, c->err);
        }
    }
    if (rc == 0) {
        rc = warn_names(c, &left,
                        "in scope but not selected by any stage (add a last stage with rest)");
    }
    name_list_cleanup(&left);
    return rc;
}

static int refuse_busy(struct plan_ctx *c)
{
    struct planner_result *out = c->out;
    qsort(out->busy, out->n_busy, sizeof *out->busy, cmp_busy);
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, PLANNER_TEXT_MAX);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < out->n_busy && i < PLANNER_LIST_MAX; i++) {
        rc = sw_strbuf_printf(&sb, c->err, "%s%s (%s)", i > 0 ? ", " : "", out->busy[i].shard_id,
                              out->busy[i].wave_id);
    }
    if (rc == 0 && out->n_busy > PLANNER_LIST_MAX) {
        rc = sw_strbuf_printf(&sb, c->err, " and %zu more", out->n_busy - PLANNER_LIST_MAX);
    }
    if (rc == 0) {
        rc = sw_err_set(c->err, SW_ECONFLICT, "%zu shard%s %s in other active waves: %s",
                        out->n_busy, out->n_busy == 1 ? "" : "s", out->n_busy == 1 ? "is" : "are",
                        sw_strbuf_str(&sb));
        sw_err_hint(c->err, "wait for those waves to finish, or abort them");
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

static int plan_stages(struct plan_ctx *c)
{
    const struct wave_plan *plan = c->in->plan;
    c->out->stages = calloc(plan->n_stages, sizeof *c->out->stages);
    if (c->out->stages == NULL) {
        return sw_err_set(c->err, SW_ENOMEM, "out of memory");
    }
    c->out->n_stages = plan->n_stages;
    int rc = 0;
    for (size_t si = 0; rc == 0 && si < plan->n_stages; si++) {
        rc = select_stage(c, si);
    }
    if (rc == 0) {
        rc = warn_leftovers(c);
    }
    if (rc == 0) {
        rc = health_warnings(c);
    }
    if (rc == 0) {
        rc = planner_contract_collect(c->in, c->out, c->err);
    }
    if (rc == 0 && c->out->n_busy > 0) {
        rc = refuse_busy(c);
    }
    return rc != 0 ? rc : planner_contract_refuse(c->out, c->err);
}

static void ctx_cleanup(struct plan_ctx *c)
{
    free(c->need);
    free(c->busy_sorted);
    name_list_cleanup(&c->unknown_version);
    name_list_cleanup(&c->dirty);
    name_list_cleanup(&c->mismatch);
    name_list_cleanup(&c->unreachable);
}

int planner_plan(const struct planner_input *in, struct planner_result *out, struct sw_err *err)
{
    struct plan_ctx c = {.in = in, .out = out, .err = err};
    name_list_init(&c.unknown_version);
    name_list_init(&c.dirty);
    name_list_init(&c.mismatch);
    name_list_init(&c.unreachable);
    memset(out, 0, sizeof *out);
    int rc = planner_validate_plan(in->plan, err);
    if (rc != 0) {
        goto out;
    }
    c.need = calloc(in->fleet->n_shards + 1, sizeof *c.need);
    c.busy_sorted = calloc(in->n_busy + 1, sizeof *c.busy_sorted);
    if (c.need == NULL || c.busy_sorted == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        goto out;
    }
    if (in->n_busy > 0) {
        memcpy(c.busy_sorted, in->busy, in->n_busy * sizeof *in->busy);
        qsort(c.busy_sorted, in->n_busy, sizeof *c.busy_sorted, cmp_busy);
    }
    rc = resolve_target(&c);
    if (rc == 0) {
        rc = assess_fleet(&c);
    }
    if (rc == 0) {
        rc = plan_stages(&c);
    }
out:
    ctx_cleanup(&c);
    return rc;
}

const struct migset_step *planner_shard_step(const struct migset *set,
                                             const struct planner_result *r,
                                             const struct planner_shard *s, size_t k)
{
    if (k >= s->n_steps) {
        return NULL;
    }
    size_t off = r->direction == PLAN_UP ? k : s->n_steps - 1 - k;
    return migset_step_at(set, s->first_step + off);
}
