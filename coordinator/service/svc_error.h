/*
 * The API's error codes (docs/api.md): what a service function reports when it refuses,
 * beside the human message in a struct sw_err. The HTTP layer maps each code to one
 * status through one table (http/http_server.c) and renders the one JSON error shape.
 */
#ifndef SW_COORDINATOR_SVC_ERROR_H
#define SW_COORDINATOR_SVC_ERROR_H

#include <jansson.h>

#include "sw/err.h"

enum svc_code {
    SVC_OK,
    SVC_INVALID_JSON,
    SVC_INVALID_REQUEST,
    SVC_INVALID_PLAN,
    SVC_INVALID_MIGRATION_SET,
    SVC_UNAUTHORIZED,
    SVC_FORBIDDEN,
    SVC_NOT_FOUND,
    SVC_METHOD_NOT_ALLOWED,
    SVC_ILLEGAL_TRANSITION,
    SVC_SHARD_BUSY,
    SVC_CONFLICT,
    SVC_PAYLOAD_TOO_LARGE,
    SVC_INTERNAL,
    SVC_UNAVAILABLE,
    SVC_PROTOCOL_MISMATCH,  /* agent protocol: another major version (409) */
    SVC_UNKNOWN_AGENT,      /* the agent must register (again) (409) */
    SVC_LEASE_LOST,         /* the lease is not the agent's, or expired (409) */
    SVC_WAVE_NOT_RUNNING,   /* go-ahead refused: the wave is not running (409) */
    SVC_UNSAFE_MIGRATION,   /* unacknowledged destructive/locking lint findings (409) */
    SVC_CONTRACT_NOT_READY, /* a contract-of V step while shards lack V (409) */
    SVC_NOT_LEADER,         /* a follower, or a leader that lost its lease (307 to the
                               leader, or 503 while none is known; docs/ha.md) */
    SVC_CODE_COUNT
};

struct svc_error {
    enum svc_code code; /* SVC_OK: derive from err.code (svc_code_from_sw) */
    struct sw_err err;  /* message and hint shown to the caller */
    json_t *details;    /* optional extra members of the error object, e.g. "problems"; owned */
};

/* Stable API name, e.g. "shard_busy". */
const char *svc_code_name(enum svc_code c);
/* The API code for a plain sw_err code: SW_EINVAL invalid_request, SW_ENOTFOUND not_found,
 * SW_ECONFLICT conflict, SW_ETOOBIG payload_too_large, SW_EFENCED not_leader,
 * SW_ECONNECT (the store's server unreachable) unavailable, anything else internal_error. */
enum svc_code svc_code_from_sw(int sw_code);
/* Sets code and message; returns the matching negative sw code (SW_EINVAL for 4xx-ish
 * codes, SW_ENOTFOUND, SW_ECONFLICT, SW_ETOOBIG, SW_EINTERNAL) so callers can
 * `return svc_error_set(...)`. */
int svc_error_set(struct svc_error *e, enum svc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adopts a propagated sw_err, keeping its message and hint; code from svc_code_from_sw
 * unless `code` is not SVC_OK. SW_EFENCED (a write refused because this coordinator lost
 * the leader lease) is always SVC_NOT_LEADER, SW_ECONNECT (the store's server is
 * unreachable; nothing was written) always SVC_UNAVAILABLE. Returns err->code (negative). */
int svc_error_from(struct svc_error *e, enum svc_code code, const struct sw_err *err);
/* Adds a member to details (consumes value). */
void svc_error_detail(struct svc_error *e, const char *key, json_t *value);
/* The effective code (code, or the one derived from err.code). */
enum svc_code svc_error_code(const struct svc_error *e);
void svc_error_cleanup(struct svc_error *e);

#endif
