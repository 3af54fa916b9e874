/* Codecs for the agent session messages: register, go-ahead (start), heartbeat. */
#include "sw/wire_agent.h"

#include <stdlib.h>
#include <string.h>

#include "wire_json.h"

static const struct wire_range ms_range = {1, WIRE_MAX_MS};
static const struct wire_range capacity_range = {1, WIRE_MAX_CAPACITY};
static const struct wire_range stmt_range = {0, WIRE_HEARTBEAT_MAX_STMTS};

/* ---- register ---- */

int wire_register_req_to_json(const struct wire_register_req *m, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc < 0) {
        goto out;
    }
    rc = wire_put_cstr(&cx, "agent", WIRE_STR_ID, m->agent);
    if (rc < 0) {
        goto out;
    }
    rc = wire_put_cstr(&cx, "version", WIRE_STR_SW_VERSION, m->version);
    if (rc < 0) {
        goto out;
    }
    rc = m->n_pools == 0
             ? wire_fail(&cx, "pools", SW_EINVAL, "must not be empty")
             : wire_put_strs(&cx, "pools", WIRE_STR_ID, m->pools, m->n_pools, WIRE_MAX_POOLS);
    if (rc < 0) {
        goto out;
    }
    rc = wire_put_int(&cx, "capacity", capacity_range, m->capacity);
out:
    return wire_enc_end(&cx, rc, out);
}

int wire_register_req_from_json(const json_t *doc, struct wire_register_req *out,
                                struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "agent", "version", "pools", "capacity", NULL};
    struct wire_cx cx;
    int64_t capacity = 0;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    int rc = wire_begin(&cx, doc, fields);
    if (rc < 0) {
        goto out;
    }
    rc = wire_get_fixed(&cx, "agent", WIRE_STR_ID, true, out->agent, sizeof out->agent);
    if (rc < 0) {
        goto out;
    }
    rc = wire_get_fixed(&cx, "version", WIRE_STR_SW_VERSION, true, out->version,
                        sizeof out->version);
    if (rc < 0) {
        goto out;
    }
    rc = wire_get_strs(&cx, "pools", WIRE_STR_ID, WIRE_MAX_POOLS, &out->pools, &out->n_pools);
    if (rc == 0 && out->n_pools == 0) {
        rc = wire_fail(&cx, "pools", SW_EINVAL, "must not be empty");
    }
    if (rc < 0) {
        goto out;
    }
    rc = wire_get_int(&cx, "capacity", true, capacity_range, &capacity);
    out->capacity = (int)capacity;
out:
    if (rc < 0) {
        wire_register_req_cleanup(out);
    }
    return rc;
}

void wire_register_req_cleanup(struct wire_register_req *m)
{
    wire_free_strs(m->pools, m->n_pools);
    memset(m, 0, sizeof *m);
}

int wire_register_resp_to_json(const struct wire_register_resp *m, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc < 0) {
        goto out;
    }
    rc = wire_put_int(&cx, "lease_ttl_ms", ms_range, m->lease_ttl_ms);
    if (rc < 0) {
        goto out;
    }
    rc = wire_put_int(&cx, "heartbeat_ms", ms_range, m->heartbeat_ms);
    if (rc < 0) {
        goto out;
    }
    rc = wire_put_int(&cx, "long_poll_ms", ms_range, m->long_poll_ms);
out:
    return wire_enc_end(&cx, rc, out);
}

int wire_register_resp_from_json(const json_t *doc, struct wire_register_resp *out,
                                 struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "lease_ttl_ms", "heartbeat_ms", "long_poll_ms",
                                         NULL};
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    int rc = wire_begin(&cx, doc, fields);
    if (rc < 0) {
        goto out;
    }
    rc = wire_get_int(&cx, "lease_ttl_ms", true, ms_range, &out->lease_ttl_ms);
    if (rc < 0) {
        goto out;
    }
    rc = wire_get_int(&cx, "heartbeat_ms", true, ms_range, &out->heartbeat_ms);
    if (rc < 0) {
        goto out;
    }
    rc = wire_get_int(&cx, "long_poll_ms", true, ms_range, &out->long_poll_ms);
out:
    if (rc < 0) {
        wire_register_resp_cleanup(out);
    }
    return rc;
}

void wire_register_resp_cleanup(struct wire_register_resp *m)
{
    memset(m, 0, sizeof *m);
}

/* ---- go-ahead ---- */

int wire_start_req_to_json(const struct wire_start_req *m, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc == 0) {
        rc = wire_put_cstr(&cx, "agent", WIRE_STR_ID, m->agent);
    }
    return wire_enc_end(&cx, rc, out);
}

int wire_start_req_from_json(const json_t *doc, struct wire_start_req *out, struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "agent", NULL};
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    int rc = wire_begin(&cx, doc, fields);
    if (rc == 0) {
        rc = wire_get_fixed(&cx, "agent", WIRE_STR_ID, true, out->agent, sizeof out->agent);
    }
    if (rc < 0) {
        wire_start_req_cleanup(out);
    }
    return rc;
}

void wire_start_req_cleanup(struct wire_start_req *m)
{
    memset(m, 0, sizeof *m);
}

int wire_start_resp_to_json(const struct wire_start_resp *m, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc == 0) {
        rc = wire_put_bool(&cx, "go", m->go);
    }
    return wire_enc_end(&cx, rc, out);
}

int wire_start_resp_from_json(const json_t *doc, struct wire_start_resp *out, struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "go", NULL};
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    int rc = wire_begin(&cx, doc, fields);
    if (rc == 0) {
        rc = wire_get_bool(&cx, "go", true, &out->go);
    }
    if (rc < 0) {
        wire_start_resp_cleanup(out);
    }
    return rc;
}

void wire_start_resp_cleanup(struct wire_start_resp *m)
{
    memset(m, 0, sizeof *m);
}

/* ---- heartbeat ---- */

static int hb_lease_put(struct wire_cx *cx, const struct wire_heartbeat_lease *l)
{
    int rc = wire_put_cstr(cx, "lease", WIRE_STR_LEASE, l->lease);
    if (rc == 0 && l->version[0] != '\0') {
        rc = wire_put_cstr(cx, "version", WIRE_STR_VERSION, l->version);
    }
    if (rc == 0) {
        rc = wire_put_int(cx, "stmt_done", stmt_range, l->stmt_done);
    }
    if (rc == 0) {
        rc = wire_put_int(cx, "stmt_total", stmt_range, l->stmt_total);
    }
    if (rc == 0 && l->stmt_done > l->stmt_total) {
        rc = wire_fail(cx, "stmt_done", SW_EINVAL, "greater than stmt_total");
    }
    return rc;
}

int wire_heartbeat_req_to_json(const struct wire_heartbeat_req *m, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    json_t *arr = NULL;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc < 0) {
        goto out;
    }
    rc = wire_put_cstr(&cx, "agent", WIRE_STR_ID, m->agent);
    if (rc == 0 && m->n_leases > WIRE_MAX_LEASES) {
        rc = wire_fail(&cx, "leases", SW_EINVAL, "more than %d entries", WIRE_MAX_LEASES);
    }
    if (rc == 0) {
        rc = wire_put_array(&cx, "leases", &arr);
    }
    for (size_t i = 0; rc == 0 && i < m->n_leases; i++) {
        struct wire_mark mk;
        rc = wire_put_elem(&cx, "leases", arr, i, &mk);
        if (rc == 0) {
            rc = hb_lease_put(&cx, &m->leases[i]);
        }
        wire_leave(&cx, &mk);
    }
out:
    return wire_enc_end(&cx, rc, out);
}

static int hb_lease_get(struct wire_cx *cx, struct wire_heartbeat_lease *l)
{
    int rc = wire_get_fixed(cx, "lease", WIRE_STR_LEASE, true, l->lease, sizeof l->lease);
    if (rc == 0) {
        rc = wire_get_fixed(cx, "version", WIRE_STR_VERSION, false, l->version, sizeof l->version);
    }
    if (rc == 0) {
        rc = wire_get_int(cx, "stmt_done", true, stmt_range, &l->stmt_done);
    }
    if (rc == 0) {
        rc = wire_get_int(cx, "stmt_total", true, stmt_range, &l->stmt_total);
    }
    if (rc == 0 && l->stmt_done > l->stmt_total) {
        rc = wire_fail(cx, "stmt_done", SW_EINVAL, "greater than stmt_total");
    }
    return rc;
}

int wire_heartbeat_req_from_json(const json_t *doc, struct wire_heartbeat_req *out,
                                 struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "agent", "leases", NULL};
    static const char *const lease_fields[] = {"lease", "version", "stmt_done", "stmt_total", NULL};
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
        rc = wire_get_array(&cx, "leases", true, WIRE_MAX_LEASES, &arr, &n);
    }
    if (rc == 0 && n > 0) {
        out->leases = calloc(n, sizeof *out->leases);
        rc = out->leases == NULL ? wire_fail(&cx, "leases", SW_ENOMEM, "out of memory") : 0;
        out->n_leases = rc == 0 ? n : 0;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct wire_mark mk;
        rc = wire_enter(&cx, "leases", arr, i, lease_fields, &mk);
        if (rc == 0) {
            rc = hb_lease_get(&cx, &out->leases[i]);
        }
        wire_leave(&cx, &mk);
    }
    if (rc < 0) {
        wire_heartbeat_req_cleanup(out);
    }
    return rc;
}

void wire_heartbeat_req_cleanup(struct wire_heartbeat_req *m)
{
    free(m->leases);
    memset(m, 0, sizeof *m);
}

int wire_heartbeat_resp_to_json(const struct wire_heartbeat_resp *m, json_t **out,
                                struct sw_err *err)
{
    struct wire_cx cx;
    json_t *arr = NULL;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc == 0 && m->n_leases > WIRE_MAX_LEASES) {
        rc = wire_fail(&cx, "leases", SW_EINVAL, "more than %d entries", WIRE_MAX_LEASES);
    }
    if (rc == 0) {
        rc = wire_put_array(&cx, "leases", &arr);
    }
    for (size_t i = 0; rc == 0 && i < m->n_leases; i++) {
        struct wire_mark mk;
        rc = wire_put_elem(&cx, "leases", arr, i, &mk);
        if (rc == 0) {
            rc = wire_put_cstr(&cx, "lease", WIRE_STR_LEASE, m->leases[i].lease);
        }
        if (rc == 0) {
            rc = wire_put_bool(&cx, "ok", m->leases[i].ok);
        }
        if (rc == 0) {
            rc = wire_put_bool(&cx, "cancel", m->leases[i].cancel);
        }
        wire_leave(&cx, &mk);
    }
    return wire_enc_end(&cx, rc, out);
}

static int hb_ack_get(struct wire_cx *cx, struct wire_heartbeat_ack *a)
{
    int rc = wire_get_fixed(cx, "lease", WIRE_STR_LEASE, true, a->lease, sizeof a->lease);
    if (rc == 0) {
        rc = wire_get_bool(cx, "ok", true, &a->ok);
    }
    if (rc == 0) {
        rc = wire_get_bool(cx, "cancel", true, &a->cancel);
    }
    return rc;
}

int wire_heartbeat_resp_from_json(const json_t *doc, struct wire_heartbeat_resp *out,
                                  struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "leases", NULL};
    static const char *const ack_fields[] = {"lease", "ok", "cancel", NULL};
    struct wire_cx cx;
    const json_t *arr = NULL;
    size_t n = 0;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    int rc = wire_begin(&cx, doc, fields);
    if (rc == 0) {
        rc = wire_get_array(&cx, "leases", true, WIRE_MAX_LEASES, &arr, &n);
    }
    if (rc == 0 && n > 0) {
        out->leases = calloc(n, sizeof *out->leases);
        rc = out->leases == NULL ? wire_fail(&cx, "leases", SW_ENOMEM, "out of memory") : 0;
        out->n_leases = rc == 0 ? n : 0;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct wire_mark mk;
        rc = wire_enter(&cx, "leases", arr, i, ack_fields, &mk);
        if (rc == 0) {
            rc = hb_ack_get(&cx, &out->leases[i]);
        }
        wire_leave(&cx, &mk);
    }
    if (rc < 0) {
        wire_heartbeat_resp_cleanup(out);
    }
    return rc;
}

void wire_heartbeat_resp_cleanup(struct wire_heartbeat_resp *m)
{
    free(m->leases);
    memset(m, 0, sizeof *m);
}

/* ---- text forms ---- */

WIRE_TEXT_CODECS(register_req)
WIRE_TEXT_CODECS(register_resp)
WIRE_TEXT_CODECS(start_req)
WIRE_TEXT_CODECS(start_resp)
WIRE_TEXT_CODECS(heartbeat_req)
WIRE_TEXT_CODECS(heartbeat_resp)
