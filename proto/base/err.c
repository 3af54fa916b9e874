/* struct sw_err helpers and the one table mapping codes to names and exit codes. */
#include "sw/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int code;
    const char *name;
    int exit_code;
} err_table[] = {
    {SW_OK, "ok", 0},
    {SW_EINVAL, "invalid_input", 2},
    {SW_ENOMEM, "out_of_memory", 70},
    {SW_EIO, "io_error", 74},
    {SW_ENOTFOUND, "not_found", 3},
    {SW_ECONFLICT, "conflict", 4},
    {SW_ECHECKSUM, "checksum_mismatch", 5},
    {SW_ELOCKED, "lock_timeout", 6},
    {SW_ETIMEOUT, "timeout", 7},
    {SW_EDB, "database_error", 8},
    {SW_ECONNECT, "connection_failed", 9},
    {SW_EUNSUPPORTED, "unsupported", 10},
    {SW_ETOOBIG, "too_big", 11},
    {SW_EINTERNAL, "internal_error", 70},
    {SW_EAUTH, "unauthorized", 12},
    {SW_EPROTO, "protocol_mismatch", 13},
    {SW_EFENCED, "not_leader", 14},
};

int sw_err_set(struct sw_err *err, int code, const char *fmt, ...)
{
    if (err == NULL) {
        return code;
    }
    err->code = code;
    err->hint[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void sw_err_hint(struct sw_err *err, const char *fmt, ...)
{
    if (err == NULL) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void sw_err_prefix(struct sw_err *err, const char *fmt, ...)
{
    if (err == NULL) {
        return;
    }
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Shift the message right and put "<prefix>: " in front; an over-long tail is cut
     * (messages are bounded), the prefix never is. */
    size_t plen = strnlen(prefix, sizeof prefix - 1);
    size_t cap = sizeof err->msg;
    size_t keep = strnlen(err->msg, cap - 1);
    if (plen + 2 + keep > cap - 1) {
        keep = cap - 1 - plen - 2;
    }
    memmove(err->msg + plen + 2, err->msg, keep);
    memcpy(err->msg, prefix, plen);
    err->msg[plen] = ':';
    err->msg[plen + 1] = ' ';
    err->msg[plen + 2 + keep] = '\0';
}

void sw_err_clear(struct sw_err *err)
{
    if (err != NULL) {
        err->code = SW_OK;
        err->msg[0] = '\0';
        err->hint[0] = '\0';
    }
}

void sw_err_copy(struct sw_err *dst, const struct sw_err *src)
{
    memcpy(dst, src, sizeof *dst);
}

const char *sw_err_code_name(int code)
{
    for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++) {
        if (err_table[i].code == code) {
            return err_table[i].name;
        }
    }
    return "unknown_error";
}

int sw_err_exit_code(int code)
{
    for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++) {
        if (err_table[i].code == code) {
            return err_table[i].exit_code;
        }
    }
    return 1;
}
