/* Codecs for the agent session messages: register, go-ahead (start), heartbeat. */
#include "sw/wire_agent.h"

#include <stdlib.h>
#include <string.h>

#include "wire_json.h"

static const struct wire_range ms_range = {1, WIRE_MAX_MS};
static const struct wire_range capacity_range = {1, WIRE_MAX_CAPACITY};
static const struct wire_range stmt_range = {0, WIRE_HEARTBEAT_MAX_STMTS};

/* ---- register ---- */

static int register_req_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_register_req *m = msg;
    int rc = wire_put_cstr(cx, "agent", WIRE_STR_ID, m->agent);
    if (rc == 0) {
        rc = wire_put_cstr(cx, "version", WIRE_STR_SW_VERSION, m->version);
    }
    if (rc == 0) {
        rc = m->n_pools == 0
                 ? wire_fail(cx, "pools", SW_EINVAL, "must not be empty")
                 : wire_put_strs(cx, "pools", WIRE_STR_ID, m->pools, m->n_pools, WIRE_MAX_POOLS);
    }
    return rc == 0 ? wire_put_int(cx, "capacity", capacity_range, m->capacity) : rc;
}

static int register_req_get(struct wire_cx *cx, void *msg)
{
    struct wire_register_req *m = msg;
    int64_t capacity = 0;
    m->protocol_minor = cx->peer_minor;
    int rc = wire_get_fixed(cx, "agent", WIRE_STR_ID, true, m->agent, sizeof m->agent);
    if (rc == 0) {
        rc =
            wire_get_fixed(cx, "version", WIRE_STR_SW_VERSION, true, m->version, sizeof m->version);
    }
    if (rc == 0) {
        rc = wire_get_strs(cx, "pools", WIRE_STR_ID, WIRE_MAX_POOLS, &m->pools, &m->n_pools);
    }
    if (rc == 0 && m->n_pools == 0) {
        rc = wire_fail(cx, "pools", SW_EINVAL, "must not be empty");
    }
    if (rc == 0) {
        rc = wire_get_int(cx, "capacity", true, capacity_range, &capacity);
        m->capacity = (int)capacity;
    }
    return rc;
}

static const char *const register_req_fields[] = {"protocol", "agent",    "version",
                                                  "pools",    "capacity", NULL};
static const struct wire_msg register_req_msg = {register_req_fields, register_req_get,
                                                 register_req_put};

void wire_register_req_cleanup(struct wire_register_req *m)
{
    wire_free_strs(m->pools, m->n_pools);
    memset(m, 0, sizeof *m);
}

static int register_resp_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_register_resp *m = msg;
    int rc = wire_put_int(cx, "lease_ttl_ms", ms_range, m->lease_ttl_ms);
    if (rc == 0) {
        rc = wire_put_int(cx, "heartbeat_ms", ms_range, m->heartbeat_ms);
    }
    return rc == 0 ? wire_put_int(cx, "long_poll_ms", ms_range, m->long_poll_ms) : rc;
}

static int register_resp_get(struct wire_cx *cx, void *msg)
{
    struct wire_register_resp *m = msg;
    m->protocol_minor = cx->peer_minor;
    int rc = wire_get_int(cx, "lease_ttl_ms", true, ms_range, &m->lease_ttl_ms);
    if (rc == 0) {
        rc = wire_get_int(cx, "heartbeat_ms", true, ms_range, &m->heartbeat_ms);
    }
    return rc == 0 ? wire_get_int(cx, "long_poll_ms", true, ms_range, &m->long_poll_ms) : rc;
}

static const char *const register_resp_fields[] = {"protocol", "lease_ttl_ms", "heartbeat_ms",
                                                   "long_poll_ms", NULL};
static const struct wire_msg register_resp_msg = {register_resp_fields, register_resp_get,
                                                  register_resp_put};

void wire_register_resp_cleanup(struct wire_register_resp *m)
{
    memset(m, 0, sizeof *m);
}

/* ---- go-ahead ---- */

static int start_req_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_start_req *m = msg;
    return wire_put_cstr(cx, "agent", WIRE_STR_ID, m->agent);
}

static int start_req_get(struct wire_cx *cx, void *msg)
{
    struct wire_start_req *m = msg;
    return wire_get_fixed(cx, "agent", WIRE_STR_ID, true, m->agent, sizeof m->agent);
}

static const char *const start_req_fields[] = {"protocol", "agent", NULL};
static const struct wire_msg start_req_msg = {start_req_fields, start_req_get, start_req_put};

void wire_start_req_cleanup(struct wire_start_req *m)
{
    memset(m, 0, sizeof *m);
}

static int start_resp_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_start_resp *m = msg;
    return wire_put_bool(cx, "go", m->go);
}

static int start_resp_get(struct wire_cx *cx, void *msg)
{
    struct wire_start_resp *m = msg;
    return wire_get_bool(cx, "go", true, &m->go);
}

static const char *const start_resp_fields[] = {"protocol", "go", NULL};
static const struct wire_msg start_resp_msg = {start_resp_fields, start_resp_get, start_resp_put};

void wire_start_resp_cleanup(struct wire_start_resp *m)
{
    memset(m, 0, sizeof *m);
}

/* ---- heartbeat ---- */

static int stmt_order_check(struct wire_cx *cx, const struct wire_heartbeat_lease *l)
{
    return l->stmt_done > l->stmt_total
               ? wire_fail(cx, "stmt_done", SW_EINVAL, "greater than stmt_total")
               : 0;
}

static int hb_lease_put(struct wire_cx *cx, const void *elem, const void *arg)
{
    const struct wire_heartbeat_lease *l = elem;
    (void)arg;
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
    return rc == 0 ? stmt_order_check(cx, l) : rc;
}

static int hb_lease_get(struct wire_cx *cx, void *elem, const void *arg)
{
    struct wire_heartbeat_lease *l = elem;
    (void)arg;
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
    return rc == 0 ? stmt_order_check(cx, l) : rc;
}

static const char *const hb_lease_fields[] = {"lease", "version", "stmt_done", "stmt_total", NULL};
static const struct wire_objs hb_leases = {
    .key = "leases",
    .required = true,
    .max = WIRE_MAX_LEASES,
    .fields = hb_lease_fields,
    .elem_size = sizeof(struct wire_heartbeat_lease),
    .get = hb_lease_get,
    .put = hb_lease_put,
};

static int heartbeat_req_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_heartbeat_req *m = msg;
    int rc = wire_put_cstr(cx, "agent", WIRE_STR_ID, m->agent);
    return rc == 0 ? wire_put_objs(cx, &hb_leases, m->leases, m->n_leases, NULL) : rc;
}

static int heartbeat_req_get(struct wire_cx *cx, void *msg)
{
    struct wire_heartbeat_req *m = msg;
    void *leases = NULL;
    int rc = wire_get_fixed(cx, "agent", WIRE_STR_ID, true, m->agent, sizeof m->agent);
    if (rc == 0) {
        rc = wire_get_objs(cx, &hb_leases, NULL, &leases, &m->n_leases);
        m->leases = leases;
    }
    return rc;
}

static const char *const heartbeat_req_fields[] = {"protocol", "agent", "leases", NULL};
static const struct wire_msg heartbeat_req_msg = {heartbeat_req_fields, heartbeat_req_get,
                                                  heartbeat_req_put};

void wire_heartbeat_req_cleanup(struct wire_heartbeat_req *m)
{
    free(m->leases);
    memset(m, 0, sizeof *m);
}

static int hb_ack_put(struct wire_cx *cx, const void *elem, const void *arg)
{
    const struct wire_heartbeat_ack *a = elem;
    (void)arg;
    int rc = wire_put_cstr(cx, "lease", WIRE_STR_LEASE, a->lease);
    if (rc == 0) {
        rc = wire_put_bool(cx, "ok", a->ok);
    }
    return rc == 0 ? wire_put_bool(cx, "cancel", a->cancel) : rc;
}

static int hb_ack_get(struct wire_cx *cx, void *elem, const void *arg)
{
    struct wire_heartbeat_ack *a = elem;
    (void)arg;
    int rc = wire_get_fixed(cx, "lease", WIRE_STR_LEASE, true, a->lease, sizeof a->lease);
    if (rc == 0) {
        rc = wire_get_bool(cx, "ok", true, &a->ok);
    }
    return rc == 0 ? wire_get_bool(cx, "cancel", true, &a->cancel) : rc;
}

static const char *const hb_ack_fields[] = {"lease", "ok", "cancel", NULL};
static const struct wire_objs hb_acks = {
    .key = "leases",
    .required = true,
    .max = WIRE_MAX_LEASES,
    .fields = hb_ack_fields,
    .elem_size = sizeof(struct wire_heartbeat_ack),
    .get = hb_ack_get,
    .put = hb_ack_put,
};

static int heartbeat_resp_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_heartbeat_resp *m = msg;
    return wire_put_objs(cx, &hb_acks, m->leases, m->n_leases, NULL);
}

static int heartbeat_resp_get(struct wire_cx *cx, void *msg)
{
    struct wire_heartbeat_resp *m = msg;
    void *leases = NULL;
    int rc = wire_get_objs(cx, &hb_acks, NULL, &leases, &m->n_leases);
    m->leases = leases;
    return rc;
}

static const char *const heartbeat_resp_fields[] = {"protocol", "leases", NULL};
static const struct wire_msg heartbeat_resp_msg = {heartbeat_resp_fields, heartbeat_resp_get,
                                                   heartbeat_resp_put};

void wire_heartbeat_resp_cleanup(struct wire_heartbeat_resp *m)
{
    free(m->leases);
    memset(m, 0, sizeof *m);
}

/* ---- entry points ---- */

WIRE_CODECS(register_req)
WIRE_CODECS(register_resp)
WIRE_CODECS(start_req)
WIRE_CODECS(start_resp)
WIRE_CODECS(heartbeat_req)
WIRE_CODECS(heartbeat_resp)
