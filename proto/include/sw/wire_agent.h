/*
 * Agent session messages of the wire protocol (docs/protocol.md): register, the
 * go-ahead before each shard (start) and heartbeats. Conventions (encode/decode,
 * ownership, errors) are in sw/wire.h.
 */
#ifndef SW_PROTO_WIRE_AGENT_H
#define SW_PROTO_WIRE_AGENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"
#include "sw/version.h"
#include "sw/wire.h"

/* POST /v1/agents/register
 * {"protocol": "1.1", "agent": "agent-eu-1", "version": "0.1.0", "pools": ["eu"],
 *  "capacity": 8} */
struct wire_register_req {
    int protocol_minor; /* decoded: the agent's protocol minor (encoding sends ours) */
    char agent[WIRE_ID_MAX + 1];
    char version[WIRE_SW_VERSION_MAX + 1]; /* the agent's software version */
    size_t n_pools;                        /* 1..WIRE_MAX_POOLS */
    char **pools;                          /* ids; owned */
    int capacity;                          /* worker threads, 1..WIRE_MAX_CAPACITY */
};

/* {"protocol": "1.1", "lease_ttl_ms": 30000, "heartbeat_ms": 10000, "long_poll_ms": 20000};
 * each 1..WIRE_MAX_MS. */
struct wire_register_resp {
    int protocol_minor; /* decoded: the coordinator's protocol minor (encoding sends ours) */
    int64_t lease_ttl_ms;
    int64_t heartbeat_ms;
    int64_t long_poll_ms;
};

/* POST /v1/leases/{lease}/start: {"protocol": "1.1", "agent": "agent-eu-1"}
 * (the lease id travels in the path: check it with wire_check_lease_id). */
struct wire_start_req {
    char agent[WIRE_ID_MAX + 1];
};

/* {"protocol": "1.1", "go": true}. Refusals are API errors (409 wave_not_running,
 * lease_lost), not a `go: false`, but the field is a boolean for clarity. */
struct wire_start_resp {
    bool go;
};

/* POST /v1/heartbeat: one entry per lease held.
 * {"lease": "l-9a0c", "version": "6", "stmt_done": 2, "stmt_total": 5}; `version` (the
 * step in flight) is optional; 0 <= stmt_done <= stmt_total <= 1000000. */
struct wire_heartbeat_lease {
    char lease[WIRE_LEASE_ID_MAX + 1];
    char version[VERSION_TEXT_MAX]; /* canonical; "" when no step is in flight */
    int64_t stmt_done;
    int64_t stmt_total;
};

struct wire_heartbeat_req {
    char agent[WIRE_ID_MAX + 1];
    size_t n_leases; /* 0..WIRE_MAX_LEASES */
    struct wire_heartbeat_lease *leases;
};

/* {"lease": "l-9a0c", "ok": true, "cancel": false}: ok false = the lease is gone (finish
 * the statement in flight, start nothing more, report); cancel = cancel the running
 * statement (abort --cancel-running). */
struct wire_heartbeat_ack {
    char lease[WIRE_LEASE_ID_MAX + 1];
    bool ok;
    bool cancel;
};

struct wire_heartbeat_resp {
    size_t n_leases; /* 0..WIRE_MAX_LEASES */
    struct wire_heartbeat_ack *leases;
};

#define WIRE_HEARTBEAT_MAX_STMTS INT64_C(1000000)

int wire_register_req_to_json(const struct wire_register_req *m, json_t **out, struct sw_err *err);
int wire_register_req_encode(const struct wire_register_req *m, char **out, struct sw_err *err);
int wire_register_req_from_json(const json_t *doc, struct wire_register_req *out,
                                struct sw_err *err);
int wire_register_req_decode(const char *text, size_t len, struct wire_register_req *out,
                             struct sw_err *err);
void wire_register_req_cleanup(struct wire_register_req *m);

int wire_register_resp_to_json(const struct wire_register_resp *m, json_t **out,
                               struct sw_err *err);
int wire_register_resp_encode(const struct wire_register_resp *m, char **out, struct sw_err *err);
int wire_register_resp_from_json(const json_t *doc, struct wire_register_resp *out,
                                 struct sw_err *err);
int wire_register_resp_decode(const char *text, size_t len, struct wire_register_resp *out,
                              struct sw_err *err);
void wire_register_resp_cleanup(struct wire_register_resp *m);

int wire_start_req_to_json(const struct wire_start_req *m, json_t **out, struct sw_err *err);
int wire_start_req_encode(const struct wire_start_req *m, char **out, struct sw_err *err);
int wire_start_req_from_json(const json_t *doc, struct wire_start_req *out, struct sw_err *err);
int wire_start_req_decode(const char *text, size_t len, struct wire_start_req *out,
                          struct sw_err *err);
void wire_start_req_cleanup(struct wire_start_req *m);

int wire_start_resp_to_json(const struct wire_start_resp *m, json_t **out, struct sw_err *err);
int wire_start_resp_encode(const struct wire_start_resp *m, char **out, struct sw_err *err);
int wire_start_resp_from_json(const json_t *doc, struct wire_start_resp *out, struct sw_err *err);
int wire_start_resp_decode(const char *text, size_t len, struct wire_start_resp *out,
                           struct sw_err *err);
void wire_start_resp_cleanup(struct wire_start_resp *m);

int wire_heartbeat_req_to_json(const struct wire_heartbeat_req *m, json_t **out,
                               struct sw_err *err);
int wire_heartbeat_req_encode(const struct wire_heartbeat_req *m, char **out, struct sw_err *err);
int wire_heartbeat_req_from_json(const json_t *doc, struct wire_heartbeat_req *out,
                                 struct sw_err *err);
int wire_heartbeat_req_decode(const char *text, size_t len, struct wire_heartbeat_req *out,
                              struct sw_err *err);
void wire_heartbeat_req_cleanup(struct wire_heartbeat_req *m);

int wire_heartbeat_resp_to_json(const struct wire_heartbeat_resp *m, json_t **out,
                                struct sw_err *err);
int wire_heartbeat_resp_encode(const struct wire_heartbeat_resp *m, char **out, struct sw_err *err);
int wire_heartbeat_resp_from_json(const json_t *doc, struct wire_heartbeat_resp *out,
                                  struct sw_err *err);
int wire_heartbeat_resp_decode(const char *text, size_t len, struct wire_heartbeat_resp *out,
                               struct sw_err *err);
void wire_heartbeat_resp_cleanup(struct wire_heartbeat_resp *m);

#endif
