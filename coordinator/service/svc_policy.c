/* Policy in waves (svc_policy.h): lint what a wave runs, refuse or audit unsafe changes. */
#include "service/svc_policy.h"

#include "service/service.h"

#include <stdlib.h>
#include <string.h>

#include "sw/strbuf.h"

#define SVC_POLICY_TEXT_MAX 8192

/* Engines (LINT_ENGINE_BIT) whose shards run each step of the set. */
static int policy_engines(const struct planner_result *r, size_t n_steps, unsigned **engines,
                          struct sw_err *err)
{
    *engines = calloc(n_steps + 1, sizeof **engines);
    if (*engines == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t si = 0; si < r->n_stages; si++) {
        for (size_t j = 0; j < r->stages[si].n_shards; j++) {
            const struct planner_shard *ps = &r->stages[si].shards[j];
            for (size_t k = 0; k < ps->n_steps && ps->first_step + k < n_steps; k++) {
                (*engines)[ps->first_step + k] |= LINT_ENGINE_BIT(ps->engine);
            }
        }
    }
    return 0;
}

/* Lints the step's file of direction dir for each engine of the mask. */
static int policy_lint_step(const struct migset_step *step, enum migset_dir dir, unsigned mask,
                            struct lint_report *out, struct sw_err *err)
{
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        if ((mask & LINT_ENGINE_BIT(e)) == 0) {
            continue;
        }
        const struct migset_file *f = migset_step_file(step, dir, (enum migset_engine)e);
        if (f == NULL) {
            continue; /* the planner refused a shard without its file already */
        }
        int rc = lint_file((enum migset_engine)e, f, &step->version, out, err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int svc_policy_lint(const struct migset *set, const struct planner_result *r,
                    struct lint_report *out, struct sw_err *err)
{
    size_t n_steps = migset_count(set);
    enum migset_dir dir = r->direction == PLAN_UP ? MIGSET_UP : MIGSET_DOWN;
    unsigned *engines = NULL;
    int rc = policy_engines(r, n_steps, &engines, err);
    for (size_t i = 0; rc == 0 && i < n_steps; i++) {
        if (engines[i] != 0) {
            rc = policy_lint_step(migset_step_at(set, i), dir, engines[i], out, err);
        }
    }
    free(engines);
    return rc;
}

bool svc_policy_is_unsafe(const struct lint_finding *f)
{
    if (f->acknowledged || f->in_down_file) {
        return false;
    }
    switch (f->cls) {
    case LINT_CLASS_LOCKING:
    case LINT_CLASS_DESTRUCTIVE:
        return true;
    case LINT_CLASS_ADDITIVE:
    case LINT_CLASS_COUNT:
        break;
    }
    return false;
}

size_t svc_policy_n_unsafe(const struct lint_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        n += svc_policy_is_unsafe(&r->findings[i]);
    }
    return n;
}

/* "<headline>, <headline> and N more" of the blocking findings. */
static int policy_headlines(const struct lint_report *r, struct sw_strbuf *sb, struct sw_err *err)
{
    size_t n = 0;
    int rc = 0;
    char line[512];
    for (size_t i = 0; rc == 0 && i < r->n_findings; i++) {
        const struct lint_finding *f = &r->findings[i];
        if (!svc_policy_is_unsafe(f)) {
            continue;
        }
        if (n < SVC_POLICY_LIST_MAX) {
            rc = sw_strbuf_printf(sb, err, "%s%s", n > 0 ? ", " : "",
                                  lint_finding_headline(f, line, sizeof line));
        }
        n++;
    }
    if (rc == 0 && n > SVC_POLICY_LIST_MAX) {
        rc = sw_strbuf_printf(sb, err, " and %zu more", n - SVC_POLICY_LIST_MAX);
    }
    return rc;
}

static json_t *policy_findings_json(const struct lint_report *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < r->n_findings; i++) {
        if (svc_policy_is_unsafe(&r->findings[i])) {
            json_t *f = lint_finding_json(&r->findings[i]);
            json_object_set_new(f, "unsafe", json_true()); /* as in the plan's findings */
            json_array_append_new(arr, f);
        }
    }
    return arr;
}

int svc_policy_refuse(const struct lint_report *r, struct svc_error *e)
{
    size_t n = svc_policy_n_unsafe(r);
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, SVC_POLICY_TEXT_MAX); /* the message keeps what fits; details all */
    if (policy_headlines(r, &sb, &e->err) != 0) {
        sw_strbuf_cleanup(&sb);
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    int rc = svc_error_set(e, SVC_UNSAFE_MIGRATION,
                           "%zu unacknowledged destructive or locking finding%s in the steps this "
                           "wave runs: %s",
                           n, n == 1 ? "" : "s", sw_strbuf_str(&sb));
    sw_err_hint(&e->err, "use the safe form, or acknowledge each in its file (-- shardwave: "
                         "destructive-ok <reason>, or allow <rule-id> <reason>); to deploy it "
                         "anyway pass allow_unsafe with a reason (shardwave wave start "
                         "--allow-unsafe --reason TEXT)");
    svc_error_detail(e, "findings", policy_findings_json(r));
    sw_strbuf_cleanup(&sb);
    return rc;
}

int svc_policy_audit_text(const struct lint_report *r, const char *reason, char **out,
                          struct sw_err *err)
{
    size_t n = svc_policy_n_unsafe(r);
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, SVC_POLICY_TEXT_MAX);
    int rc = sw_strbuf_printf(&sb, err, "allow_unsafe: %zu unacknowledged finding%s: ", n,
                              n == 1 ? "" : "s");
    if (rc == 0) {
        rc = policy_headlines(r, &sb, err);
    }
    if (rc == 0) {
        rc = sw_strbuf_printf(&sb, err, "; reason: %s", reason);
    }
    if (rc == 0 && (*out = strdup(sw_strbuf_str(&sb))) == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}
