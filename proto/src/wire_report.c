/* Codecs for reports (step, lease_done, inventory) and the reports response. */
#include "sw/wire_report.h"

#include <stdlib.h>
#include <string.h>

#include "wire_json.h"

static const struct wire_range duration_range = {0, INT64_C(1) << 53};

static const char *const kind_names[WIRE_REPORT_KIND_COUNT] = {
    [WIRE_REPORT_STEP] = "step",
    [WIRE_REPORT_LEASE_DONE] = "lease_done",
    [WIRE_REPORT_INVENTORY] = "inventory",
};
static const char *const step_outcomes[] = {"applied", "failed", "dirty", "skipped"};
static const char *const lease_outcomes[] = {"done",    "failed",      "released",
                                             "refused", "gate_passed", "gate_failed"};
static const char *const health_names[WIRE_HEALTH_COUNT] = {
    [WIRE_HEALTH_UNKNOWN] = "unknown",
    [WIRE_HEALTH_OK] = "ok",
    [WIRE_HEALTH_DIRTY] = "dirty",
    [WIRE_HEALTH_UNREACHABLE] = "unreachable",
    [WIRE_HEALTH_CHECKSUM_MISMATCH] = "checksum_mismatch",
};
static const char *const direction_names[] = {[MIGSET_UP] = "up", [MIGSET_DOWN] = "down"};

/* Members only some kinds carry. */
static const char *const not_step[] = {"shard_version", "shard_health", "applied", "fingerprint",
                                       NULL};
static const char *const not_lease_done[] = {"version", "direction",   "started_at", "duration_ms",
                                             "applied", "fingerprint", NULL};
static const char *const not_inventory[] = {"outcome",    "version",     "direction",
                                            "started_at", "duration_ms", NULL};

void wire_report_cleanup(struct wire_report *r)
{
    free(r->applied);
    free(r->error);
    memset(r, 0, sizeof *r);
}

/* The report id is "<agent>:<seq>" for the sending agent. */
static int id_matches_agent(struct wire_cx *cx, const char *id, const char *agent)
{
    const char *colon = strrchr(id, ':');
    size_t n = strlen(agent);
    if (colon == NULL || (size_t)(colon - id) != n || strncmp(id, agent, n) != 0) {
        return wire_fail(cx, "id", SW_EINVAL, "expected %s:<seq> (the sending agent's id)", agent);
    }
    return 0;
}

/* ---- encoding ---- */

static bool outcome_fits(enum wire_report_kind kind, enum wire_outcome o)
{
    bool step = o == WIRE_OUT_APPLIED || o == WIRE_OUT_FAILED || o == WIRE_OUT_DIRTY ||
                o == WIRE_OUT_SKIPPED;
    bool lease = o == WIRE_OUT_FAILED || (o >= WIRE_OUT_DONE && o <= WIRE_OUT_GATE_FAILED);
    return kind == WIRE_REPORT_STEP ? step : lease;
}

static int step_put(struct wire_cx *cx, const struct wire_report *r)
{
    int rc = wire_put_cstr(cx, "version", WIRE_STR_VERSION, r->version);
    if (rc == 0) {
        rc = wire_put_cstr(cx, "direction", WIRE_STR_NAME, direction_names[r->direction]);
    }
    if (rc == 0) {
        rc = wire_put_time(cx, "started_at", r->started_at_ms);
    }
    if (rc == 0) {
        rc = wire_put_int(cx, "duration_ms", duration_range, r->duration_ms);
    }
    if (rc == 0 && r->error == NULL &&
        (r->outcome == WIRE_OUT_FAILED || r->outcome == WIRE_OUT_DIRTY)) {
        rc = wire_fail(cx, "error", SW_EINVAL, "required when the outcome is %s",
                       wire_outcome_name(r->outcome));
    }
    return rc;
}

static int shard_state_put(struct wire_cx *cx, const struct wire_report *r)
{
    int rc = 0;
    if (r->shard_version[0] != '\0') {
        rc = wire_put_cstr(cx, "shard_version", WIRE_STR_VERSION, r->shard_version);
    }
    if (rc == 0 && (r->shard_health != WIRE_HEALTH_UNKNOWN || r->kind == WIRE_REPORT_INVENTORY)) {
        rc = wire_put_cstr(cx, "shard_health", WIRE_STR_NAME, health_names[r->shard_health]);
    }
    return rc;
}

static int inventory_put(struct wire_cx *cx, const struct wire_report *r)
{
    json_t *arr = NULL;
    int rc = shard_state_put(cx, r);
    if (rc == 0 && r->n_applied > WIRE_MAX_APPLIED) {
        rc = wire_fail(cx, "applied", SW_EINVAL, "more than %d entries", WIRE_MAX_APPLIED);
    }
    if (rc == 0 && r->n_applied > 0) {
        rc = wire_put_array(cx, "applied", &arr);
    }
    for (size_t i = 0; rc == 0 && i < r->n_applied; i++) {
        struct wire_mark mk;
        rc = wire_put_elem(cx, "applied", arr, i, &mk);
        if (rc == 0) {
            rc = wire_put_cstr(cx, "version", WIRE_STR_VERSION, r->applied[i].version);
        }
        if (rc == 0) {
            rc = wire_put_cstr(cx, "checksum", WIRE_STR_HEX64, r->applied[i].checksum);
        }
        wire_leave(cx, &mk);
    }
    if (rc == 0 && r->fingerprint[0] != '\0') {
        rc = wire_put_cstr(cx, "fingerprint", WIRE_STR_HEX64, r->fingerprint);
    }
    return rc;
}

static int report_kind_put(struct wire_cx *cx, const struct wire_report *r)
{
    int rc = 0;
    if (r->kind != WIRE_REPORT_INVENTORY) {
        rc = outcome_fits(r->kind, r->outcome)
                 ? wire_put_cstr(cx, "outcome", WIRE_STR_NAME, wire_outcome_name(r->outcome))
                 : wire_fail(cx, "outcome", SW_EINVAL, "not an outcome of kind %s",
                             kind_names[r->kind]);
    }
    if (rc < 0) {
        return rc;
    }
    switch (r->kind) {
    case WIRE_REPORT_STEP:
        return step_put(cx, r);
    case WIRE_REPORT_LEASE_DONE:
        return shard_state_put(cx, r);
    case WIRE_REPORT_INVENTORY:
        return inventory_put(cx, r);
    case WIRE_REPORT_KIND_COUNT:
        break;
    }
    return wire_fail(cx, "kind", SW_EINVAL, "unknown report kind %d", (int)r->kind);
}

static int report_put(struct wire_cx *cx, const struct wire_report *r, const char *agent)
{
    if ((unsigned)r->kind >= WIRE_REPORT_KIND_COUNT || (unsigned)r->outcome >= WIRE_OUTCOME_COUNT ||
        (unsigned)r->shard_health >= WIRE_HEALTH_COUNT || (unsigned)r->direction > MIGSET_DOWN) {
        return wire_fail(cx, NULL, SW_EINVAL, "kind, outcome, health or direction out of range");
    }
    int rc = wire_put_cstr(cx, "id", WIRE_STR_REPORT_ID, r->id);
    if (rc == 0) {
        rc = id_matches_agent(cx, r->id, agent);
    }
    if (rc == 0) {
        rc = wire_put_cstr(cx, "lease", WIRE_STR_LEASE, r->lease);
    }
    if (rc == 0 && r->wave[0] != '\0') {
        rc = wire_put_cstr(cx, "wave", WIRE_STR_WAVE, r->wave);
    }
    if (rc == 0) {
        rc = wire_put_cstr(cx, "shard", WIRE_STR_ID, r->shard);
    }
    if (rc == 0) {
        rc = wire_put_cstr(cx, "kind", WIRE_STR_NAME, kind_names[r->kind]);
    }
    if (rc == 0) {
        rc = report_kind_put(cx, r);
    }
    if (rc == 0) {
        rc = r->error == NULL ? wire_put_null(cx, "error")
                              : wire_put_cstr(cx, "error", WIRE_STR_ERROR, r->error);
    }
    return rc;
}

int wire_report_req_to_json(const struct wire_report_req *m, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    json_t *arr = NULL;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc == 0) {
        rc = wire_put_cstr(&cx, "agent", WIRE_STR_ID, m->agent);
    }
    if (rc == 0 && (m->n_reports == 0 || m->n_reports > WIRE_MAX_REPORTS)) {
        rc = wire_fail(&cx, "reports", SW_EINVAL,
                       m->n_reports == 0 ? "must not be empty" : "more than 1000 entries");
    }
    if (rc == 0) {
        rc = wire_put_array(&cx, "reports", &arr);
    }
    for (size_t i = 0; rc == 0 && i < m->n_reports; i++) {
        struct wire_mark mk;
        rc = wire_put_elem(&cx, "reports", arr, i, &mk);
        if (rc == 0) {
            rc = report_put(&cx, &m->reports[i], m->agent);
        }
        wire_leave(&cx, &mk);
    }
    return wire_enc_end(&cx, rc, out);
}

/* ---- decoding ---- */

static int outcome_get(struct wire_cx *cx, struct wire_report *r)
{
    bool step = r->kind == WIRE_REPORT_STEP;
    const char *const *names = step ? step_outcomes : lease_outcomes;
    size_t n = step ? sizeof step_outcomes / sizeof step_outcomes[0]
                    : sizeof lease_outcomes / sizeof lease_outcomes[0];
    size_t idx = 0;
    int rc = wire_get_enum(cx, "outcome", true, names, n, &idx);
    if (rc == 0) {
        wire_outcome_parse(names[idx], &r->outcome);
    }
    return rc;
}

static int step_get(struct wire_cx *cx, struct wire_report *r)
{
    size_t dir = 0;
    int rc = wire_forbid(cx, not_step, "step");
    if (rc == 0) {
        rc = outcome_get(cx, r);
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "version", WIRE_STR_VERSION, true, r->version, sizeof r->version);
    }
    if (rc == 0) {
        rc = wire_get_enum(cx, "direction", true, direction_names, 2, &dir);
        r->direction = (enum migset_dir)dir;
    }
    if (rc == 0) {
        rc = wire_get_time(cx, "started_at", true, &r->started_at_ms);
    }
    if (rc == 0) {
        rc = wire_get_int(cx, "duration_ms", true, duration_range, &r->duration_ms);
    }
    if (rc == 0 && r->error == NULL &&
        (r->outcome == WIRE_OUT_FAILED || r->outcome == WIRE_OUT_DIRTY)) {
        rc = wire_fail(cx, "error", SW_EINVAL, "required when the outcome is %s",
                       wire_outcome_name(r->outcome));
    }
    return rc;
}

static int shard_state_get(struct wire_cx *cx, struct wire_report *r, bool health_required)
{
    size_t health = WIRE_HEALTH_UNKNOWN;
    int rc = wire_get_fixed(cx, "shard_version", WIRE_STR_VERSION, false, r->shard_version,
                            sizeof r->shard_version);
    if (rc == 0) {
        rc = wire_get_enum(cx, "shard_health", health_required, health_names, WIRE_HEALTH_COUNT,
                           &health);
        r->shard_health = (enum wire_health)health;
    }
    return rc;
}

static int applied_get(struct wire_cx *cx, struct wire_report *r)
{
    static const char *const fields[] = {"version", "checksum", NULL};
    const json_t *arr = NULL;
    size_t n = 0;
    int rc = wire_get_array(cx, "applied", false, WIRE_MAX_APPLIED, &arr, &n);
    if (rc == 0 && n > 0) {
        r->applied = calloc(n, sizeof *r->applied);
        rc = r->applied == NULL ? wire_fail(cx, "applied", SW_ENOMEM, "out of memory") : 0;
        r->n_applied = rc == 0 ? n : 0;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct wire_mark mk;
        struct wire_applied *a = &r->applied[i];
        rc = wire_enter(cx, "applied", arr, i, fields, &mk);
        if (rc == 0) {
            rc = wire_get_fixed(cx, "version", WIRE_STR_VERSION, true, a->version,
                                sizeof a->version);
        }
        if (rc == 0) {
            rc = wire_get_fixed(cx, "checksum", WIRE_STR_HEX64, true, a->checksum,
                                sizeof a->checksum);
        }
        wire_leave(cx, &mk);
    }
    return rc;
}

static int report_kind_get(struct wire_cx *cx, struct wire_report *r)
{
    int rc = 0;
    switch (r->kind) {
    case WIRE_REPORT_STEP:
        return step_get(cx, r);
    case WIRE_REPORT_LEASE_DONE:
        rc = wire_forbid(cx, not_lease_done, "lease_done");
        if (rc == 0) {
            rc = outcome_get(cx, r);
        }
        return rc == 0 ? shard_state_get(cx, r, false) : rc;
    case WIRE_REPORT_INVENTORY:
        rc = wire_forbid(cx, not_inventory, "inventory");
        if (rc == 0) {
            rc = shard_state_get(cx, r, true);
        }
        if (rc == 0) {
            rc = applied_get(cx, r);
        }
        return rc == 0 ? wire_get_fixed(cx, "fingerprint", WIRE_STR_HEX64, false, r->fingerprint,
                                        sizeof r->fingerprint)
                       : rc;
    case WIRE_REPORT_KIND_COUNT:
        break;
    }
    return wire_fail(cx, "kind", SW_EINTERNAL, "unknown report kind %d", (int)r->kind);
}

static int report_get(struct wire_cx *cx, struct wire_report *r, const char *agent)
{
    size_t kind = 0;
    int rc = wire_get_fixed(cx, "id", WIRE_STR_REPORT_ID, true, r->id, sizeof r->id);
    if (rc == 0) {
        rc = id_matches_agent(cx, r->id, agent);
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "lease", WIRE_STR_LEASE, true, r->lease, sizeof r->lease);
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "wave", WIRE_STR_WAVE, false, r->wave, sizeof r->wave);
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "shard", WIRE_STR_ID, true, r->shard, sizeof r->shard);
    }
    if (rc == 0) {
        rc = wire_get_enum(cx, "kind", true, kind_names, WIRE_REPORT_KIND_COUNT, &kind);
        r->kind = (enum wire_report_kind)kind;
    }
    if (rc == 0) {
        rc = wire_get_dup(cx, "error", WIRE_STR_ERROR, false, &r->error, NULL);
    }
    return rc == 0 ? report_kind_get(cx, r) : rc;
}

int wire_report_req_from_json(const json_t *doc, struct wire_report_req *out, struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "agent", "reports", NULL};
    static const char *const report_fields[] = {
        "id",      "lease",       "wave",       "shard",       "kind",          "outcome",
        "version", "direction",   "started_at", "duration_ms", "shard_version", "shard_health",
        "applied", "fingerprint", "error",      NULL};
    struct wire_cx cx;
    const json_t *arr = NULL;
    size_t n = 0;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    int rc = wire_begin(&cx, doc, fields);
    if (rc == 0) {
        rc = wire_get_fixed(&cx, "agent", WIRE_STR_ID, true, out->agent, sizeof out->agent);
    }
    if (rc == 0) {
        rc = wire_get_array(&cx, "reports", true, WIRE_MAX_REPORTS, &arr, &n);
    }
    if (rc == 0 && n == 0) {
        rc = wire_fail(&cx, "reports", SW_EINVAL, "must not be empty");
    }
    if (rc == 0) {
        out->reports = calloc(n, sizeof *out->reports);
        rc = out->reports == NULL ? wire_fail(&cx, "reports", SW_ENOMEM, "out of memory") : 0;
        out->n_reports = rc == 0 ? n : 0;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct wire_mark mk;
        rc = wire_enter(&cx, "reports", arr, i, report_fields, &mk);
        if (rc == 0) {
            rc = report_get(&cx, &out->reports[i], out->agent);
        }
        wire_leave(&cx, &mk);
    }
    if (rc < 0) {
        wire_report_req_cleanup(out);
    }
    return rc;
}

void wire_report_req_cleanup(struct wire_report_req *m)
{
    for (size_t i = 0; m->reports != NULL && i < m->n_reports; i++) {
        wire_report_cleanup(&m->reports[i]);
    }
    free(m->reports);
    memset(m, 0, sizeof *m);
}

/* ---- reports response ---- */

int wire_report_resp_to_json(const struct wire_report_resp *m, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc == 0) {
        rc = wire_put_strs(&cx, "accepted", WIRE_STR_REPORT_ID, m->accepted, m->n_accepted,
                           WIRE_MAX_REPORTS);
    }
    if (rc == 0) {
        rc = wire_put_strs(&cx, "duplicates", WIRE_STR_REPORT_ID, m->duplicates, m->n_duplicates,
                           WIRE_MAX_REPORTS);
    }
    return wire_enc_end(&cx, rc, out);
}

int wire_report_resp_from_json(const json_t *doc, struct wire_report_resp *out, struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "accepted", "duplicates", NULL};
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    int rc = wire_begin(&cx, doc, fields);
    if (rc == 0) {
        rc = wire_get_strs(&cx, "accepted", WIRE_STR_REPORT_ID, WIRE_MAX_REPORTS, &out->accepted,
                           &out->n_accepted);
    }
    if (rc == 0) {
        rc = wire_get_strs(&cx, "duplicates", WIRE_STR_REPORT_ID, WIRE_MAX_REPORTS,
                           &out->duplicates, &out->n_duplicates);
    }
    if (rc < 0) {
        wire_report_resp_cleanup(out);
    }
    return rc;
}

void wire_report_resp_cleanup(struct wire_report_resp *m)
{
    wire_free_strs(m->accepted, m->n_accepted);
    wire_free_strs(m->duplicates, m->n_duplicates);
    memset(m, 0, sizeof *m);
}

WIRE_TEXT_CODECS(report_req)
WIRE_TEXT_CODECS(report_resp)
