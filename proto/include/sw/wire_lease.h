/*
 * Lease messages of the wire protocol (docs/protocol.md): the agent's long-poll
 * request and the coordinator's batch of assignments (steps with their SQL and
 * checksums, timeouts, TTL). Conventions (encode/decode, ownership, errors) are in
 * sw/wire.h.
 */
#ifndef SW_PROTO_WIRE_LEASE_H
#define SW_PROTO_WIRE_LEASE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/checksum.h"
#include "sw/err.h"
#include "sw/migset.h"
#include "sw/version.h"
#include "sw/wire.h"

/* POST /v1/leases: {"protocol": "1.1", "agent": "agent-eu-1", "max": 4, "wait_ms": 20000}. */
struct wire_lease_req {
    int protocol_minor; /* decoded: the agent's protocol minor (encoding sends ours) */
    char agent[WIRE_ID_MAX + 1];
    int max;         /* free worker slots, 1..WIRE_MAX_LEASES */
    int64_t wait_ms; /* long-poll wait, 0..WIRE_MAX_MS */
};

/* "timeouts": {"lock_wait_ms": 10000, "lock_timeouts_ms": [200, 500, 1000, 2000],
 *              "lock_pauses_ms": [500, 1000, 2000], "statement_timeout_ms": 0}
 * lock_wait_ms and statement_timeout_ms 0..WIRE_MAX_MS (0 = none); 1..8 lock timeouts,
 * each 1..WIRE_MAX_MS; 0..8 pauses, each 0..WIRE_MAX_MS (the last one repeats, as in
 * runner_lock_policy). All four members are required. */
struct wire_timeouts {
    int64_t lock_wait_ms;
    size_t n_lock_timeouts;
    int64_t lock_timeouts_ms[WIRE_MAX_LOCK_TRIES];
    size_t n_lock_pauses;
    int64_t lock_pauses_ms[WIRE_MAX_LOCK_TRIES];
    int64_t statement_timeout_ms;
};

/* {"version": "6", "description": "add user status", "script": "V6__add_user_status.pg.sql",
 *  "checksum": "<64 hex>", "sql": "ALTER TABLE ...", "no_transaction": false}
 * description may be empty; script is 1..WIRE_TEXT_MAX bytes; sql may be empty (a no-op
 * file) and is at most WIRE_SQL_MAX bytes; no_transaction is optional (false). */
struct wire_step {
    char version[VERSION_TEXT_MAX]; /* canonical */
    char *description;              /* owned */
    char *script;                   /* owned: the file name the SQL came from */
    char checksum[CHECKSUM_HEX_LEN + 1];
    char *sql; /* owned, NUL-terminated */
    size_t sql_len;
    bool no_transaction;
};

/* How a migrate or rollback lease's steps commit: "step" (each step with its history row
 * in its own transaction; the default, omitted on the wire) or "shard" (every pending
 * step of the shard and their history rows in one transaction: a failure leaves the
 * shard wholly at its old version). The plan's `transaction` setting. */
enum wire_transaction { WIRE_TXN_STEP, WIRE_TXN_SHARD, WIRE_TXN_COUNT };
/* "step", "shard". */
const char *wire_transaction_name(enum wire_transaction t);

/* One assignment. Fields by kind (others are refused as "not allowed for kind K"):
 *   all:                lease, kind, shard, engine, lease_ttl_ms (1..WIRE_MAX_MS);
 *                       wave (required except for inventory, where it is optional)
 *   migrate, rollback:  direction, target, expected_from, migration_set (64 hex),
 *                       timeouts, steps (0..WIRE_MAX_STEPS) — all required;
 *                       transaction ("step" or "shard", optional: "step"; protocol
 *                       1.1: "shard" goes only to agents speaking 1.1 or newer)
 *   gate:               sql (required, non-empty), timeouts (optional)
 *   inventory:          timeouts (optional) */
struct wire_lease {
    char lease[WIRE_LEASE_ID_MAX + 1];
    enum wire_lease_kind kind;
    char wave[WIRE_WAVE_ID_MAX + 1]; /* "" when absent (inventory) */
    char shard[WIRE_ID_MAX + 1];
    enum migset_engine engine;
    int64_t lease_ttl_ms;
    /* migrate, rollback */
    enum migset_dir direction;
    char target[VERSION_TEXT_MAX];        /* canonical */
    char expected_from[VERSION_TEXT_MAX]; /* canonical; "0" = nothing applied */
    char migration_set[CHECKSUM_HEX_LEN + 1];
    size_t n_steps;
    struct wire_step *steps; /* owned */
    enum wire_transaction transaction;
    /* migrate, rollback (required); gate, inventory (optional) */
    bool has_timeouts;
    struct wire_timeouts timeouts;
    /* gate */
    char *sql; /* owned; NULL for other kinds */
    size_t sql_len;
};

/* {"protocol": "1.1", "leases": [...]} with 0..WIRE_MAX_LEASES leases. */
struct wire_lease_resp {
    int protocol_minor; /* decoded: the coordinator's protocol minor (encoding sends ours) */
    size_t n_leases;
    struct wire_lease *leases; /* owned */
};

int wire_lease_req_to_json(const struct wire_lease_req *m, json_t **out, struct sw_err *err);
int wire_lease_req_encode(const struct wire_lease_req *m, char **out, struct sw_err *err);
int wire_lease_req_from_json(const json_t *doc, struct wire_lease_req *out, struct sw_err *err);
int wire_lease_req_decode(const char *text, size_t len, struct wire_lease_req *out,
                          struct sw_err *err);
void wire_lease_req_cleanup(struct wire_lease_req *m);

int wire_lease_resp_to_json(const struct wire_lease_resp *m, json_t **out, struct sw_err *err);
int wire_lease_resp_encode(const struct wire_lease_resp *m, char **out, struct sw_err *err);
int wire_lease_resp_from_json(const json_t *doc, struct wire_lease_resp *out, struct sw_err *err);
int wire_lease_resp_decode(const char *text, size_t len, struct wire_lease_resp *out,
                           struct sw_err *err);
void wire_lease_resp_cleanup(struct wire_lease_resp *m);

/* Frees what one lease / step owns (for callers building arrays); zeroed is a no-op. */
void wire_lease_cleanup(struct wire_lease *l);
void wire_step_cleanup(struct wire_step *s);

#endif
