/* API error codes and the error value service functions fill (docs/api.md). */
#include "service/svc_error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static const char *const svc_code_names[SVC_CODE_COUNT] = {
    [SVC_OK] = "ok",
    [SVC_INVALID_JSON] = "invalid_json",
    [SVC_INVALID_REQUEST] = "invalid_request",
    [SVC_INVALID_PLAN] = "invalid_plan",
    [SVC_INVALID_MIGRATION_SET] = "invalid_migration_set",
    [SVC_UNAUTHORIZED] = "unauthorized",
    [SVC_FORBIDDEN] = "forbidden",
    [SVC_NOT_FOUND] = "not_found",
    [SVC_METHOD_NOT_ALLOWED] = "method_not_allowed",
    [SVC_ILLEGAL_TRANSITION] = "illegal_transition",
    [SVC_SHARD_BUSY] = "shard_busy",
    [SVC_CONFLICT] = "conflict",
    [SVC_PAYLOAD_TOO_LARGE] = "payload_too_large",
    [SVC_INTERNAL] = "internal_error",
    [SVC_UNAVAILABLE] = "unavailable",
    [SVC_PROTOCOL_MISMATCH] = "protocol_mismatch",
    [SVC_UNKNOWN_AGENT] = "unknown_agent",
    [SVC_LEASE_LOST] = "lease_lost",
    [SVC_WAVE_NOT_RUNNING] = "wave_not_running",
    [SVC_UNSAFE_MIGRATION] = "unsafe_migration",
    [SVC_CONTRACT_NOT_READY] = "contract_not_ready",
    [SVC_NOT_LEADER] = "not_leader",
};

const char *svc_code_name(enum svc_code c)
{
    return svc_code_names[c];
}

enum svc_code svc_code_from_sw(int sw_code)
{
    switch (sw_code) {
    case SW_OK:
        return SVC_OK;
    case SW_EINVAL:
        return SVC_INVALID_REQUEST;
    case SW_ENOTFOUND:
        return SVC_NOT_FOUND;
    case SW_ECONFLICT:
        return SVC_CONFLICT;
    case SW_ETOOBIG:
        return SVC_PAYLOAD_TOO_LARGE;
    case SW_EAUTH:
        return SVC_UNAUTHORIZED;
    case SW_EPROTO:
        return SVC_PROTOCOL_MISMATCH;
    case SW_EFENCED:
        return SVC_NOT_LEADER;
    case SW_ECONNECT:
        return SVC_UNAVAILABLE; /* the store's server is unreachable: retry (nothing written) */
    default:
        return SVC_INTERNAL;
    }
}

/* The sw code a service function returns for an API code. */
static int svc_code_to_sw(enum svc_code c)
{
    switch (c) {
    case SVC_OK:
        return SW_OK;
    case SVC_INVALID_JSON:
    case SVC_INVALID_REQUEST:
    case SVC_INVALID_PLAN:
    case SVC_INVALID_MIGRATION_SET:
    case SVC_METHOD_NOT_ALLOWED:
        return SW_EINVAL;
    case SVC_UNAUTHORIZED:
    case SVC_FORBIDDEN:
        return SW_EAUTH;
    case SVC_NOT_FOUND:
        return SW_ENOTFOUND;
    case SVC_ILLEGAL_TRANSITION:
    case SVC_SHARD_BUSY:
    case SVC_CONFLICT:
    case SVC_UNKNOWN_AGENT:
    case SVC_LEASE_LOST:
    case SVC_WAVE_NOT_RUNNING:
    case SVC_UNSAFE_MIGRATION:
    case SVC_CONTRACT_NOT_READY:
        return SW_ECONFLICT;
    case SVC_PROTOCOL_MISMATCH:
        return SW_EPROTO;
    case SVC_PAYLOAD_TOO_LARGE:
        return SW_ETOOBIG;
    case SVC_NOT_LEADER:
        return SW_EFENCED;
    case SVC_INTERNAL:
    case SVC_UNAVAILABLE:
    case SVC_CODE_COUNT:
        return SW_EINTERNAL;
    }
    return SW_EINTERNAL;
}

int svc_error_set(struct svc_error *e, enum svc_code code, const char *fmt, ...)
{
    int sw = svc_code_to_sw(code);
    if (e == NULL) {
        return sw;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err.msg, sizeof e->err.msg, fmt, ap);
    va_end(ap);
    e->err.hint[0] = '\0';
    e->err.code = sw;
    e->code = code;
    return sw;
}

int svc_error_from(struct svc_error *e, enum svc_code code, const struct sw_err *err)
{
    int sw = err->code < 0 ? err->code : SW_EINTERNAL;
    if (e == NULL) {
        return sw;
    }
    if (&e->err != err) {
        sw_err_copy(&e->err, err);
    }
    e->err.code = sw;
    bool is_store_state = sw == SW_EFENCED || sw == SW_ECONNECT; /* not the request's fault */
    e->code = code != SVC_OK && !is_store_state ? code : svc_code_from_sw(sw);
    return sw;
}

void svc_error_detail(struct svc_error *e, const char *key, json_t *value)
{
    if (e == NULL || value == NULL) {
        json_decref(value);
        return;
    }
    if (e->details == NULL) {
        e->details = json_object();
    }
    if (e->details == NULL || json_object_set_new(e->details, key, value) != 0) {
        return;
    }
}

enum svc_code svc_error_code(const struct svc_error *e)
{
    if (e->code != SVC_OK) {
        return e->code;
    }
    enum svc_code c = svc_code_from_sw(e->err.code);
    return c == SVC_OK ? SVC_INTERNAL : c;
}

void svc_error_cleanup(struct svc_error *e)
{
    if (e == NULL) {
        return;
    }
    json_decref(e->details);
    e->details = NULL;
}
