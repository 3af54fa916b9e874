/* Codecs for reports (step, lease_done, inventory) and the reports response. */
#include "sw/wire_report.h"

#include <stdlib.h>
#include <string.h>

#include "wire_json.h"

static const struct wire_range duration_range = {0, INT64_C(1) << 53};

static const char *const step_outcomes[] = {"applied", "failed", "dirty", "skipped"};
static const char *const lease_outcomes[] = {"done",    "failed",      "released",
                                             "refused", "gate_passed", "gate_failed"};

/* Members only some kinds carry. */
static const char *const not_step[] = {"shard_version", "shard_health", "applied",
                                       "fingerprint",   "failure",      NULL};
static const char *const not_lease_done[] = {"version", "direction",   "started_at", "duration_ms",
                                             "applied", "fingerprint", NULL};
static const char *const not_inventory[] = {"outcome",     "version", "direction", "started_at",
                                            "duration_ms", "failure", NULL};

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

/* A failed or dirty step says why. */
static int error_present_check(struct wire_cx *cx, const struct wire_report *r)
{
    if (r->error == NULL && (r->outcome == WIRE_OUT_FAILED || r->outcome == WIRE_OUT_DIRTY)) {
        return wire_fail(cx, "error", SW_EINVAL, "required when the outcome is %s",
                         wire_outcome_name(r->outcome));
    }
    return 0;
}

/* One entry of an inventory's "applied" list. */
static int applied_put(struct wire_cx *cx, const void *elem, const void *arg)
{
    const struct wire_applied *a = elem;
    (void)arg;
    int rc = wire_put_cstr(cx, "version", WIRE_STR_VERSION, a->version);
    return rc == 0 ? wire_put_cstr(cx, "checksum", WIRE_STR_HEX64, a->checksum) : rc;
}

static int applied_get(struct wire_cx *cx, void *elem, const void *arg)
{
    struct wire_applied *a = elem;
    (void)arg;
    int rc = wire_get_fixed(cx, "version", WIRE_STR_VERSION, true, a->version, sizeof a->version);
    return rc == 0 ? wire_get_fixed(cx, "checksum", WIRE_STR_HEX64, true, a->checksum,
                                    sizeof a->checksum)
                   : rc;
}

static const char *const applied_fields[] = {"version", "checksum", NULL};
static const struct wire_objs applied_objs = {
    .key = "applied",
    .required = false,
    .max = WIRE_MAX_APPLIED,
    .fields = applied_fields,
    .elem_size = sizeof(struct wire_applied),
    .get = applied_get,
    .put = applied_put,
};

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
        rc = wire_put_cstr(cx, "direction", WIRE_STR_NAME, wire_direction_names[r->direction]);
    }
    if (rc == 0) {
        rc = wire_put_time(cx, "started_at", r->started_at_ms);
    }
    if (rc == 0) {
        rc = wire_put_int(cx, "duration_ms", duration_range, r->duration_ms);
    }
    return rc == 0 ? error_present_check(cx, r) : rc;
}

static int shard_state_put(struct wire_cx *cx, const struct wire_report *r)
{
    int rc = 0;
    if (r->shard_version[0] != '\0') {
        rc = wire_put_cstr(cx, "shard_version", WIRE_STR_VERSION, r->shard_version);
    }
    if (rc == 0 && (r->shard_health != WIRE_HEALTH_UNKNOWN || r->kind == WIRE_REPORT_INVENTORY)) {
        rc = wire_put_cstr(cx, "shard_health", WIRE_STR_NAME, wire_health_names[r->shard_health]);
    }
    return rc;
}

/* A failure class only says why a lease failed. */
static int failure_check(struct wire_cx *cx, const struct wire_report *r)
{
    if (r->failure != WIRE_FAILURE_NONE && r->outcome != WIRE_OUT_FAILED) {
        return wire_fail(cx, "failure", SW_EINVAL, "only allowed when the outcome is failed");
    }
    return 0;
}

static int failure_put(struct wire_cx *cx, const struct wire_report *r)
{
    int rc = failure_check(cx, r);
    if (rc == 0 && r->failure != WIRE_FAILURE_NONE) {
        rc = wire_put_cstr(cx, "failure", WIRE_STR_NAME, wire_failure_names[r->failure]);
    }
    return rc;
}

static int inventory_put(struct wire_cx *cx, const struct wire_report *r)
{
    int rc = shard_state_put(cx, r);
    if (rc == 0) {
        rc = wire_put_objs(cx, &applied_objs, r->applied, r->n_applied, NULL);
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
                             wire_report_kind_names[r->kind]);
    }
    if (rc < 0) {
        return rc;
    }
    switch (r->kind) {
    case WIRE_REPORT_STEP:
        return step_put(cx, r);
    case WIRE_REPORT_LEASE_DONE:
        rc = shard_state_put(cx, r);
        return rc == 0 ? failure_put(cx, r) : rc;
    case WIRE_REPORT_INVENTORY:
        return inventory_put(cx, r);
    case WIRE_REPORT_KIND_COUNT:
        break;
    }
    return wire_fail(cx, "kind", SW_EINVAL, "unknown report kind %d", (int)r->kind);
}

/* arg: the sending agent's id. */
static int report_put(struct wire_cx *cx, const void *elem, const void *arg)
{
    const struct wire_report *r = elem;
    const char *agent = arg;
    if ((unsigned)r->kind >= WIRE_REPORT_KIND_COUNT || (unsigned)r->outcome >= WIRE_OUTCOME_COUNT ||
        (unsigned)r->shard_health >= WIRE_HEALTH_COUNT || (unsigned)r->direction > MIGSET_DOWN ||
        (unsigned)r->failure >= WIRE_FAILURE_COUNT) {
        return wire_fail(cx, NULL, SW_EINVAL,
                         "kind, outcome, health, direction or failure out of range");
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
        rc = wire_put_cstr(cx, "kind", WIRE_STR_NAME, wire_report_kind_names[r->kind]);
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
        rc = wire_get_enum(cx, "direction", true, wire_direction_names, WIRE_DIRECTION_COUNT, &dir);
        r->direction = (enum migset_dir)dir;
    }
    if (rc == 0) {
        rc = wire_get_time(cx, "started_at", true, &r->started_at_ms);
    }
    if (rc == 0) {
        rc = wire_get_int(cx, "duration_ms", true, duration_range, &r->duration_ms);
    }
    return rc == 0 ? error_present_check(cx, r) : rc;
}

static int shard_state_get(struct wire_cx *cx, struct wire_report *r, bool health_required)
{
    size_t health = WIRE_HEALTH_UNKNOWN;
    int rc = wire_get_fixed(cx, "shard_version", WIRE_STR_VERSION, false, r->shard_version,
                            sizeof r->shard_version);
    if (rc == 0) {
        rc = wire_get_enum(cx, "shard_health", health_required, wire_health_names,
                           WIRE_HEALTH_COUNT, &health);
        r->shard_health = (enum wire_health)health;
    }
    return rc;
}

/* "none" is not sent: the names after it. */
static int failure_get(struct wire_cx *cx, struct wire_report *r)
{
    size_t idx = 0;
    int rc =
        wire_get_enum(cx, "failure", false, &wire_failure_names[1], WIRE_FAILURE_COUNT - 1, &idx);
    if (rc == 0 && wire_has(cx, "failure")) {
        r->failure = (enum wire_failure)(idx + 1);
    }
    return rc == 0 ? failure_check(cx, r) : rc;
}

static int inventory_applied_get(struct wire_cx *cx, struct wire_report *r)
{
    void *applied = NULL;
    int rc = wire_get_objs(cx, &applied_objs, NULL, &applied, &r->n_applied);
    r->applied = applied;
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
        if (rc == 0) {
            rc = shard_state_get(cx, r, false);
        }
        return rc == 0 ? failure_get(cx, r) : rc;
    case WIRE_REPORT_INVENTORY:
        rc = wire_forbid(cx, not_inventory, "inventory");
        if (rc == 0) {
            rc = shard_state_get(cx, r, true);
        }
        if (rc == 0) {
            rc = inventory_applied_get(cx, r);
        }
        return rc == 0 ? wire_get_fixed(cx, "fingerprint", WIRE_STR_HEX64, false, r->fingerprint,
                                        sizeof r->fingerprint)
                       : rc;
    case WIRE_REPORT_KIND_COUNT:
        break;
    }
    return wire_fail(cx, "kind", SW_EINTERNAL, "unknown report kind %d", (int)r->kind);
}

/* arg: the sending agent's id. */
static int report_get(struct wire_cx *cx, void *elem, const void *arg)
{
    struct wire_report *r = elem;
    const char *agent = arg;
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
        rc = wire_get_enum(cx, "kind", true, wire_report_kind_names, WIRE_REPORT_KIND_COUNT, &kind);
        r->kind = (enum wire_report_kind)kind;
    }
    if (rc == 0) {
        rc = wire_get_dup(cx, "error", WIRE_STR_ERROR, false, &r->error, NULL);
    }
    return rc == 0 ? report_kind_get(cx, r) : rc;
}

/* ---- reports request ---- */

static const char *const report_fields[] = {
    "id",         "lease",       "wave",          "shard",
    "kind",       "outcome",     "version",       "direction",
    "started_at", "duration_ms", "shard_version", "shard_health",
    "applied",    "fingerprint", "error",         "failure",
    NULL};
static const struct wire_objs reports_objs = {
    .key = "reports",
    .required = true,
    .max = WIRE_MAX_REPORTS,
    .fields = report_fields,
    .elem_size = sizeof(struct wire_report),
    .get = report_get,
    .put = report_put,
};

static const struct wire_range want_range = {0, WIRE_MAX_LEASES};

static int report_req_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_report_req *m = msg;
    int rc = wire_put_cstr(cx, "agent", WIRE_STR_ID, m->agent);
    if (rc == 0 && m->n_reports == 0) {
        rc = wire_fail(cx, "reports", SW_EINVAL, "must not be empty");
    }
    if (rc == 0) {
        rc = wire_put_objs(cx, &reports_objs, m->reports, m->n_reports, m->agent);
    }
    return rc == 0 && m->want != 0 ? wire_put_int(cx, "want", want_range, m->want) : rc;
}

static int report_req_get(struct wire_cx *cx, void *msg)
{
    struct wire_report_req *m = msg;
    void *reports = NULL;
    int64_t want = 0;
    m->protocol_minor = cx->peer_minor;
    int rc = wire_get_fixed(cx, "agent", WIRE_STR_ID, true, m->agent, sizeof m->agent);
    if (rc == 0) {
        rc = wire_get_objs(cx, &reports_objs, m->agent, &reports, &m->n_reports);
        m->reports = reports;
    }
    if (rc == 0 && m->n_reports == 0) {
        rc = wire_fail(cx, "reports", SW_EINVAL, "must not be empty");
    }
    if (rc == 0) {
        rc = wire_get_int(cx, "want", false, want_range, &want);
        m->want = (int)want;
    }
    return rc;
}

static const char *const report_req_fields[] = {"protocol", "agent", "reports", "want", NULL};
static const struct wire_msg report_req_msg = {report_req_fields, report_req_get, report_req_put};

void wire_report_req_cleanup(struct wire_report_req *m)
{
    for (size_t i = 0; m->reports != NULL && i < m->n_reports; i++) {
        wire_report_cleanup(&m->reports[i]);
    }
    free(m->reports);
    memset(m, 0, sizeof *m);
}

/* ---- reports response ---- */

static int report_resp_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_report_resp *m = msg;
    int rc = wire_put_strs(cx, "accepted", WIRE_STR_REPORT_ID, m->accepted, m->n_accepted,
                           WIRE_MAX_REPORTS);
    if (rc == 0) {
        rc = wire_put_strs(cx, "duplicates", WIRE_STR_REPORT_ID, m->duplicates, m->n_duplicates,
                           WIRE_MAX_REPORTS);
    }
    return rc == 0 && m->n_leases > 0
               ? wire_put_objs(cx, &wire_leases_optional, m->leases, m->n_leases, NULL)
               : rc;
}

static int report_resp_get(struct wire_cx *cx, void *msg)
{
    struct wire_report_resp *m = msg;
    void *leases = NULL;
    int rc = wire_get_strs(cx, "accepted", WIRE_STR_REPORT_ID, WIRE_MAX_REPORTS, &m->accepted,
                           &m->n_accepted);
    if (rc == 0) {
        rc = wire_get_strs(cx, "duplicates", WIRE_STR_REPORT_ID, WIRE_MAX_REPORTS, &m->duplicates,
                           &m->n_duplicates);
    }
    if (rc == 0) {
        rc = wire_get_objs(cx, &wire_leases_optional, NULL, &leases, &m->n_leases);
        m->leases = leases;
    }
    return rc;
}

static const char *const report_resp_fields[] = {"protocol", "accepted", "duplicates", "leases",
                                                 NULL};
static const struct wire_msg report_resp_msg = {report_resp_fields, report_resp_get,
                                                report_resp_put};

void wire_report_resp_cleanup(struct wire_report_resp *m)
{
    wire_free_strs(m->accepted, m->n_accepted);
    wire_free_strs(m->duplicates, m->n_duplicates);
    for (size_t i = 0; m->leases != NULL && i < m->n_leases; i++) {
        wire_lease_cleanup(&m->leases[i]);
    }
    free(m->leases);
    memset(m, 0, sizeof *m);
}

/* ---- entry points ---- */

WIRE_CODECS(report_req)
WIRE_CODECS(report_resp)
