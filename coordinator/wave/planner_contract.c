/*
 * Expand/contract across the fleet (planner_contract.h): a step marked
 * `-- shardwave: contract-of V` drops what the expand step V replaced, so it may run
 * only when every shard of the fleet, in the wave or not, already runs V healthily.
 */
#include "wave/planner_contract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw/strbuf.h"
#include "wave/wave_text.h"

/* Engines (bit per enum migset_engine) whose shards run each step of the set. */
static int contract_engines(const struct planner_result *out, size_t n_steps, unsigned **engines,
                            struct sw_err *err)
{
    *engines = calloc(n_steps + 1, sizeof **engines);
    if (*engines == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t si = 0; si < out->n_stages; si++) {
        const struct planner_stage *st = &out->stages[si];
        for (size_t j = 0; j < st->n_shards; j++) {
            const struct planner_shard *ps = &st->shards[j];
            for (size_t k = 0; k < ps->n_steps && ps->first_step + k < n_steps; k++) {
                (*engines)[ps->first_step + k] |= 1u << (unsigned)ps->engine;
            }
        }
    }
    return 0;
}

/* The highest contract-of version among the step's up files of those engines. */
static bool contract_of_step(const struct migset_step *step, unsigned engines, struct version *v)
{
    bool found = false;
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        if ((engines & (1u << (unsigned)e)) == 0) {
            continue;
        }
        const struct migset_file *f = migset_step_file(step, MIGSET_UP, (enum migset_engine)e);
        if (f == NULL || !f->directives.has_contract_of) {
            continue;
        }
        if (!found || version_cmp(&f->directives.contract_of, v) > 0) {
            *v = f->directives.contract_of;
            found = true;
        }
    }
    return found;
}

/* Whether fleet shard i has not healthily applied v. */
static int contract_lags(const struct planner_input *in, size_t i, const struct version *v,
                         bool *lags, struct sw_err *err)
{
    const struct shard_status *st = in->status != NULL ? &in->status[i] : NULL;
    struct version at;
    if (version_parse_str(st != NULL ? st->version : "0", &at, err) != 0) {
        sw_err_prefix(err, "shard %s: reported version", in->fleet->shards[i].id);
        return SW_EINVAL;
    }
    *lags = version_cmp(&at, v) < 0 || st == NULL || st->health != SHARD_OK;
    return 0;
}

static int contract_add_lagging(const struct planner_input *in, size_t i,
                                struct planner_contract *c, struct sw_err *err)
{
    const struct shard_status *st = in->status != NULL ? &in->status[i] : NULL;
    struct planner_lagging *l = &c->lagging[c->n_lagging++];
    memset(l, 0, sizeof *l);
    snprintf(l->version, sizeof l->version, "%s", st != NULL ? st->version : "0");
    l->health = st != NULL ? st->health : SHARD_UNKNOWN;
    return wave_text_format(&l->id, err, "%s", in->fleet->shards[i].id);
}

/* Lists the fleet's shards that lag behind c->contract_of (v). */
static int contract_lagging(const struct planner_input *in, const struct version *v,
                            struct planner_contract *c, struct sw_err *err)
{
    const struct fleet *fleet = in->fleet;
    c->lagging = calloc(fleet->n_shards + 1, sizeof *c->lagging);
    if (c->lagging == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < fleet->n_shards; i++) {
        bool lags = false;
        rc = contract_lags(in, i, v, &lags, err);
        if (rc == 0 && lags) {
            rc = contract_add_lagging(in, i, c, err);
        }
    }
    return rc;
}

static int contract_explain(const struct planner_input *in, struct planner_result *out,
                            const struct planner_contract *c, struct sw_err *err)
{
    size_t n = in->fleet->n_shards;
    if (c->n_lagging == 0) {
        return wave_text_list_add(&out->explain, &out->n_explain, err,
                                  "version %s is the contract of %s: all %zu shard%s of the "
                                  "fleet %s applied %s",
                                  c->version, c->contract_of, n, n == 1 ? "" : "s",
                                  n == 1 ? "has" : "have", c->contract_of);
    }
    return wave_text_list_add(&out->explain, &out->n_explain, err,
                              "version %s is the contract of %s: %zu of %zu shard%s of the "
                              "fleet %s not applied %s",
                              c->version, c->contract_of, c->n_lagging, n, n == 1 ? "" : "s",
                              c->n_lagging == 1 ? "has" : "have", c->contract_of);
}

/* Appends the contract of step idx (contract of v) to out->contracts. */
static int contract_add(const struct planner_input *in, struct planner_result *out, size_t idx,
                        const struct version *v, struct sw_err *err)
{
    struct planner_contract *grown =
        realloc(out->contracts, (out->n_contracts + 1) * sizeof *out->contracts);
    if (grown == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    out->contracts = grown;
    struct planner_contract *c = &out->contracts[out->n_contracts++];
    memset(c, 0, sizeof *c);
    snprintf(c->version, sizeof c->version, "%s", migset_step_at(in->set, idx)->version_text);
    version_format(v, c->contract_of, sizeof c->contract_of);
    int rc = contract_lagging(in, v, c, err);
    return rc != 0 ? rc : contract_explain(in, out, c, err);
}

int planner_contract_collect(const struct planner_input *in, struct planner_result *out,
                             struct sw_err *err)
{
    if (in->plan->direction != PLAN_UP) {
        return 0; /* down files undo a contract; they never drop what others still use */
    }
    size_t n_steps = migset_count(in->set);
    unsigned *engines = NULL;
    int rc = contract_engines(out, n_steps, &engines, err);
    for (size_t i = 0; rc == 0 && i < n_steps; i++) {
        struct version v;
        if (engines[i] != 0 && contract_of_step(migset_step_at(in->set, i), engines[i], &v)) {
            rc = contract_add(in, out, i, &v, err);
        }
    }
    free(engines);
    return rc;
}

/* "t-003 (at 5)", "t-009 (at 6, dirty)". */
static int contract_lagging_text(const struct planner_lagging *l, bool first, struct sw_strbuf *sb,
                                 struct sw_err *err)
{
    if (l->health == SHARD_OK) {
        return sw_strbuf_printf(sb, err, "%s%s (at %s)", first ? "" : ", ", l->id, l->version);
    }
    return sw_strbuf_printf(sb, err, "%s%s (at %s, %s)", first ? "" : ", ", l->id, l->version,
                            shard_health_name(l->health));
}

static int contract_refuse_one(const struct planner_contract *c, struct sw_err *err)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, WAVE_TEXT_MAX);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->n_lagging && i < PLANNER_LIST_MAX; i++) {
        rc = contract_lagging_text(&c->lagging[i], i == 0, &sb, err);
    }
    if (rc == 0 && c->n_lagging > PLANNER_LIST_MAX) {
        rc = sw_strbuf_printf(&sb, err, " and %zu more", c->n_lagging - PLANNER_LIST_MAX);
    }
    if (rc == 0) {
        rc = sw_err_set(err, SW_ECONFLICT,
                        "version %s is the contract of %s: %zu shard%s of the fleet %s not "
                        "applied %s: %s",
                        c->version, c->contract_of, c->n_lagging, c->n_lagging == 1 ? "" : "s",
                        c->n_lagging == 1 ? "has" : "have", c->contract_of, sw_strbuf_str(&sb));
        sw_err_hint(err,
                    "first bring every shard to %s (a wave with target %s) and deploy the "
                    "application that no longer needs what %s removes; then run the contract",
                    c->contract_of, c->contract_of, c->version);
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

int planner_contract_refuse(const struct planner_result *r, struct sw_err *err)
{
    for (size_t i = 0; i < r->n_contracts; i++) {
        if (r->contracts[i].n_lagging > 0) {
            return contract_refuse_one(&r->contracts[i], err);
        }
    }
    return 0;
}

bool planner_contract_blocked(const struct planner_result *r)
{
    for (size_t i = 0; i < r->n_contracts; i++) {
        if (r->contracts[i].n_lagging > 0) {
            return true;
        }
    }
    return false;
}

void planner_contract_cleanup(struct planner_result *r)
{
    for (size_t i = 0; i < r->n_contracts; i++) {
        for (size_t j = 0; j < r->contracts[i].n_lagging; j++) {
            free(r->contracts[i].lagging[j].id);
        }
        free(r->contracts[i].lagging);
    }
    free(r->contracts);
    r->contracts = NULL;
    r->n_contracts = 0;
}
