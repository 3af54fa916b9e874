/*
 * Report messages of the wire protocol (docs/protocol.md): step outcomes, lease
 * outcomes and inventory results, idempotent by report id. Conventions
 * (encode/decode, ownership, errors) are in sw/wire.h.
 */
#ifndef SW_PROTO_WIRE_REPORT_H
#define SW_PROTO_WIRE_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/checksum.h"
#include "sw/err.h"
#include "sw/migset.h"
#include "sw/version.h"
#include "sw/wire.h"
#include "sw/wire_lease.h"

/* One applied version in an inventory report: {"version": "6", "checksum": "<64 hex>"}. */
struct wire_applied {
    char version[VERSION_TEXT_MAX]; /* canonical */
    char checksum[CHECKSUM_HEX_LEN + 1];
};

/* One report. Fields by kind (others are refused as "not allowed for kind K"):
 *   all:        id ("<agent>:<seq>", the agent prefix equal to the request's agent),
 *               lease, shard, kind; wave and error optional (null = absent)
 *   step:       version, direction, outcome (applied|failed|dirty|skipped),
 *               started_at (RFC 3339 ms), duration_ms (>= 0) — required;
 *               error required when the outcome is failed or dirty
 *   lease_done: outcome (done|failed|released|refused|gate_passed|gate_failed) required;
 *               shard_version, shard_health optional; failure (unreachable|lock_timeout|
 *               error) optional, only with outcome failed; protocol 1.1: send it only to
 *               a coordinator speaking 1.1 or newer (a 1.0 one refuses the field)
 *   inventory:  shard_health required; shard_version, applied (0..WIRE_MAX_APPLIED),
 *               fingerprint (64 hex) optional */
struct wire_report {
    char id[WIRE_REPORT_ID_MAX + 1];
    char lease[WIRE_LEASE_ID_MAX + 1];
    char wave[WIRE_WAVE_ID_MAX + 1]; /* "" when absent */
    char shard[WIRE_ID_MAX + 1];
    enum wire_report_kind kind;
    enum wire_outcome outcome; /* step, lease_done */
    /* step */
    char version[VERSION_TEXT_MAX]; /* canonical */
    enum migset_dir direction;
    int64_t started_at_ms; /* wall clock ms since the epoch */
    int64_t duration_ms;
    /* lease_done, inventory */
    char shard_version[VERSION_TEXT_MAX]; /* canonical; "" when absent */
    enum wire_health shard_health;        /* WIRE_HEALTH_UNKNOWN when absent */
    enum wire_failure failure;            /* lease_done: WIRE_FAILURE_NONE when absent */
    /* inventory */
    size_t n_applied;
    struct wire_applied *applied;           /* owned */
    char fingerprint[CHECKSUM_HEX_LEN + 1]; /* "" when absent */
    /* all kinds */
    char *error; /* owned; NULL when absent; at most WIRE_ERROR_TEXT_MAX bytes (see
                  * wire_text_sanitize for database messages) */
};

/* POST /v1/reports: {"protocol": "1.2", "agent": "agent-eu-1", "reports": [...]} with
 * 1..WIRE_MAX_REPORTS reports, and (1.2) "want": <free slots>. */
struct wire_report_req {
    int protocol_minor; /* decoded: the agent's protocol minor (encoding sends ours) */
    char agent[WIRE_ID_MAX + 1];
    size_t n_reports;
    struct wire_report *reports; /* owned */
    /* protocol 1.2, optional (0 = absent): worker slots the agent has free for new leases,
     * 0..WIRE_MAX_LEASES; the answer may carry up to that many (the slot hand-over without
     * a separate lease request). Send it only to a coordinator speaking 1.2 or newer. */
    int want;
};

/* {"protocol": "1.2", "accepted": ["agent-eu-1:1042"], "duplicates": ["agent-eu-1:1043"]},
 * each list 0..WIRE_MAX_REPORTS report ids; protocol 1.2: "leases" (optional, as in the
 * lease response, at most the request's `want`), only in answer to a `want`. */
struct wire_report_resp {
    size_t n_accepted;
    char **accepted; /* owned */
    size_t n_duplicates;
    char **duplicates; /* owned */
    size_t n_leases;
    struct wire_lease *leases; /* owned; NULL when n_leases is 0 */
};

int wire_report_req_to_json(const struct wire_report_req *m, json_t **out, struct sw_err *err);
int wire_report_req_encode(const struct wire_report_req *m, char **out, struct sw_err *err);
int wire_report_req_from_json(const json_t *doc, struct wire_report_req *out, struct sw_err *err);
int wire_report_req_decode(const char *text, size_t len, struct wire_report_req *out,
                           struct sw_err *err);
void wire_report_req_cleanup(struct wire_report_req *m);

int wire_report_resp_to_json(const struct wire_report_resp *m, json_t **out, struct sw_err *err);
int wire_report_resp_encode(const struct wire_report_resp *m, char **out, struct sw_err *err);
int wire_report_resp_from_json(const json_t *doc, struct wire_report_resp *out, struct sw_err *err);
int wire_report_resp_decode(const char *text, size_t len, struct wire_report_resp *out,
                            struct sw_err *err);
void wire_report_resp_cleanup(struct wire_report_resp *m);

/* Frees what one report owns (for callers building arrays); zeroed is a no-op. */
void wire_report_cleanup(struct wire_report *r);

#endif
