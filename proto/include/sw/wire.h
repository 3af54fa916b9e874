/*
 * The coordinator-agent wire protocol (docs/protocol.md), common part: the protocol
 * version, limits, enums, identifier and time checks, and the API error document.
 * The messages live in wire_agent.h (register, go-ahead, heartbeat), wire_lease.h
 * (lease request and response) and wire_report.h (reports). For every message X:
 *
 *   wire_X_to_json(msg, &doc, err)    struct -> new JSON object (caller json_decref()s)
 *   wire_X_encode(msg, &text, err)    struct -> compact JSON text (caller free()s)
 *   wire_X_from_json(doc, out, err)   JSON object -> struct (strict)
 *   wire_X_decode(text, len, out, err) JSON text -> struct (strict)
 *   wire_X_cleanup(msg)               frees what the struct owns; safe on a zeroed struct
 *
 * Decoders are strict: the `protocol` field first (another major version is
 * SW_EPROTO "protocol: version 2.0 is not supported (this side speaks 1.1)", so
 * callers can answer 409 protocol_mismatch), then required fields, types, unknown
 * fields (except in a message whose minor is newer than WIRE_PROTOCOL_MINOR: its
 * unknown members, at any depth, are ignored, as a newer peer may add optional fields;
 * the known ones are checked as always), string limits and identifier patterns, array limits,
 * 64-hex checksums, versions (version_parse; stored canonical) and number ranges, each refused with
 * SW_EINVAL and a message naming the field path, e.g.
 *   "leases[2].steps[0].checksum: expected 64 hex digits".
 * Malformed JSON (including invalid UTF-8, NUL characters and duplicate keys) is
 * SW_EINVAL "invalid JSON at line L, column C: <parser message>".
 * Decoders write a zeroed `out` first and leave it zeroed on failure (nothing to free);
 * on success the caller owns it (wire_X_cleanup). `out` is overwritten, not cleaned up.
 * Encoders check the same field rules, so what encodes also decodes on the other side
 * (SW_EINVAL naming the field); SW_ENOMEM when allocation fails.
 * Everything here is reentrant and keeps no state.
 */
#ifndef SW_PROTO_WIRE_H
#define SW_PROTO_WIRE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/checksum.h"
#include "sw/err.h"
#include "sw/migset.h"
#include "sw/version.h"

/* The protocol this side speaks. A minor bump only adds optional fields and enum-free
 * features that the sender uses once it knows the peer speaks that minor (learnt from
 * the `protocol` of the peer's messages, see protocol_minor in register and lease
 * requests); docs/protocol.md "Versions". */
#define WIRE_PROTOCOL       "1.2"
#define WIRE_PROTOCOL_MAJOR 1
#define WIRE_PROTOCOL_MINOR 2

/* Limits (docs/protocol.md). Lengths are bytes, without the NUL. */
#define WIRE_ID_MAX         128 /* agent, shard and pool ids: [A-Za-z0-9._:-]{1,128} */
#define WIRE_WAVE_ID_MAX    40  /* wave ids: [A-Za-z0-9._:-]{1,40} (coordinator: "w-<hex>") */
#define WIRE_LEASE_ID_MAX   64  /* "l-" + 1..62 lowercase hex digits */
#define WIRE_REPORT_ID_MAX  160 /* "<agent>:<seq>", seq 1..20 digits */
#define WIRE_SQL_MAX        (16u * 1024u * 1024u) /* a step's SQL, a gate's SQL */
#define WIRE_ERROR_TEXT_MAX 4096                  /* a report's error text */
#define WIRE_TEXT_MAX       1024                  /* descriptions, script names */
#define WIRE_SW_VERSION_MAX 64 /* the agent's software version: [A-Za-z0-9.+_~-]{1,64} */
#define WIRE_MAX_POOLS      64
#define WIRE_MAX_LEASES     256 /* per lease response and heartbeat; also the lease request's max */
#define WIRE_MAX_STEPS      1000   /* per lease */
#define WIRE_MAX_REPORTS    1000   /* per reports request (and ids per reports response list) */
#define WIRE_MAX_APPLIED    100000 /* versions in an inventory report */
#define WIRE_MAX_LOCK_TRIES 8      /* entries of timeouts.lock_timeouts_ms / lock_pauses_ms */
#define WIRE_MAX_CAPACITY   1024   /* an agent's worker threads */
#define WIRE_MAX_MS         INT64_C(86400000) /* TTLs, waits, timeouts: at most one day */
#define WIRE_TIME_LEN       24                /* "2026-11-25T09:12:33.123Z" */

enum wire_lease_kind {
    WIRE_LEASE_MIGRATE,   /* apply steps up (or down, for a down wave) to target */
    WIRE_LEASE_ROLLBACK,  /* the down files, newest first, to target */
    WIRE_LEASE_GATE,      /* run the stage's SQL gate: it must return true */
    WIRE_LEASE_INVENTORY, /* read-only scan: versions, checksums, fingerprint */
    WIRE_LEASE_KIND_COUNT
};

enum wire_report_kind {
    WIRE_REPORT_STEP,       /* one step's outcome */
    WIRE_REPORT_LEASE_DONE, /* the lease's outcome and the shard's resulting version */
    WIRE_REPORT_INVENTORY,  /* an inventory scan's result */
    WIRE_REPORT_KIND_COUNT
};

/* Report outcomes. Steps: applied, failed (nothing changed), dirty (stopped part-way),
 * skipped (already applied). Leases: done, failed, released (given back unstarted),
 * refused (checksum/SQL mismatch), gate_passed, gate_failed. */
enum wire_outcome {
    WIRE_OUT_APPLIED,
    WIRE_OUT_FAILED,
    WIRE_OUT_DIRTY,
    WIRE_OUT_SKIPPED,
    WIRE_OUT_DONE,
    WIRE_OUT_RELEASED,
    WIRE_OUT_REFUSED,
    WIRE_OUT_GATE_PASSED,
    WIRE_OUT_GATE_FAILED,
    WIRE_OUTCOME_COUNT
};

/* A shard's health as an agent saw it; names match shard_health_name() of the
 * coordinator ("unknown", "ok", "dirty", "unreachable", "checksum_mismatch"). */
enum wire_health {
    WIRE_HEALTH_UNKNOWN, /* not reported (the field is omitted) */
    WIRE_HEALTH_OK,
    WIRE_HEALTH_DIRTY,
    WIRE_HEALTH_UNREACHABLE,
    WIRE_HEALTH_CHECKSUM_MISMATCH,
    WIRE_HEALTH_COUNT
};

/* Why a migrate or rollback lease failed (lease_done "failure", only with outcome
 * failed), so the coordinator can tell "server down" from "SQL failed" and `wave resume`
 * can retry what left the database unchanged. Absent = not classified (read as error). */
enum wire_failure {
    WIRE_FAILURE_NONE,         /* omitted */
    WIRE_FAILURE_UNREACHABLE,  /* the shard's database could not be reached: nothing ran */
    WIRE_FAILURE_LOCK_TIMEOUT, /* a step's lock timeout fired on every attempt (rolled back) */
    WIRE_FAILURE_ERROR,        /* anything else: SQL error, statement timeout, dirty step */
    WIRE_FAILURE_COUNT
};

/* Stable names as on the wire ("migrate", "lease_done", "gate_passed", "ok", "up"). */
const char *wire_lease_kind_name(enum wire_lease_kind k);
const char *wire_report_kind_name(enum wire_report_kind k);
const char *wire_outcome_name(enum wire_outcome o);
const char *wire_health_name(enum wire_health h);
const char *wire_direction_name(enum migset_dir d);
const char *wire_failure_name(enum wire_failure f); /* "none", "unreachable", ... */
/* Return 0 and set *out, or -1 for an unknown name. */
int wire_lease_kind_parse(const char *s, enum wire_lease_kind *out);
int wire_report_kind_parse(const char *s, enum wire_report_kind *out);
int wire_outcome_parse(const char *s, enum wire_outcome *out);
int wire_health_parse(const char *s, enum wire_health *out);
int wire_direction_parse(const char *s, enum migset_dir *out);
int wire_failure_parse(const char *s, enum wire_failure *out);

/* Identifier checks for ids that arrive outside a message body (e.g. the {lease} of
 * POST /v1/leases/{lease}/start). `what` names the value in the message. SW_EINVAL:
 *   "<what>: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"
 *   "<what>: expected l-<hex> (at most 64 characters, lowercase hex)"
 *   "<what>: expected 1 to 40 characters of A-Z a-z 0-9 . _ : -" (wave ids) */
int wire_check_id(const char *s, const char *what, struct sw_err *err);
int wire_check_lease_id(const char *s, const char *what, struct sw_err *err);
int wire_check_wave_id(const char *s, const char *what, struct sw_err *err);

/* Times on the wire are RFC 3339 UTC with milliseconds, exactly
 * "YYYY-MM-DDTHH:MM:SS.mmmZ". Parse: SW_EINVAL "<what>: expected an RFC 3339 UTC time
 * like 2026-11-25T09:12:33.123Z". Format: wall_ms >= 0; buf holds WIRE_TIME_LEN + 1. */
int wire_time_parse(const char *s, const char *what, int64_t *wall_ms, struct sw_err *err);
void wire_time_format(int64_t wall_ms, char buf[WIRE_TIME_LEN + 1]);

/* Makes free text (a database's error message, maybe Latin-1) safe to send: invalid
 * UTF-8 bytes become '?', control characters other than newline and tab become ' ',
 * and text longer than max_bytes is cut at a character boundary and ends in "...".
 * Returns a malloc'd NUL-terminated string (caller free()s), NULL when out of memory.
 * max_bytes must be at least 3. */
char *wire_text_sanitize(const char *s, size_t len, size_t max_bytes);

/* The API error document (docs/api.md): {"error": {"code", "message", "hint"?, ...}}.
 * Extra members of "error" (details such as "problems") are allowed and ignored. */
struct wire_error {
    char *code;    /* e.g. "protocol_mismatch", "unknown_agent", "lease_lost" */
    char *message; /* at most WIRE_ERROR_TEXT_MAX bytes */
    char *hint;    /* NULL when absent */
};

int wire_error_from_json(const json_t *doc, struct wire_error *out, struct sw_err *err);
int wire_error_decode(const char *text, size_t len, struct wire_error *out, struct sw_err *err);
void wire_error_cleanup(struct wire_error *e);

#endif
