/*
 * One error type for the whole project: a negative code, a message that names
 * the object and what is wrong, and an optional hint that says what to do.
 */
#ifndef SW_PROTO_ERR_H
#define SW_PROTO_ERR_H

#include <stddef.h>

enum sw_code {
    SW_OK = 0,
    SW_EINVAL = -1,    /* bad input: file, flag, config, request */
    SW_ENOMEM = -2,    /* allocation failed */
    SW_EIO = -3,       /* file system error */
    SW_ENOTFOUND = -4, /* named thing does not exist */
    SW_ECONFLICT = -5, /* state forbids it (dirty shard, out-of-order, illegal transition) */
    SW_ECHECKSUM = -6, /* applied migration or file differs from its recorded checksum */
    SW_ELOCKED = -7,   /* lock not acquired within the timeout (migrator lock, table lock) */
    SW_ETIMEOUT = -8,  /* statement or operation timed out */
    SW_EDB = -9,       /* database reported an error for a statement */
    SW_ECONNECT = -10, /* cannot connect / connection lost */
    SW_EUNSUPPORTED = -11,
    SW_ETOOBIG = -12,   /* input exceeds a configured maximum */
    SW_EINTERNAL = -13, /* a bug: invariant broken */
    SW_EAUTH = -14,     /* credentials missing, unknown or not allowed (HTTP 401/403) */
    SW_EPROTO = -15,    /* peer speaks another protocol major (HTTP 409 protocol_mismatch) */
    SW_EFENCED = -16,   /* this coordinator lost the leader lease; its write was refused */
    SW_ECODE_MIN = -16,
};

#define SW_ERR_MSG_MAX  2048
#define SW_ERR_HINT_MAX 512

struct sw_err {
    int code;
    char msg[SW_ERR_MSG_MAX];
    char hint[SW_ERR_HINT_MAX];
};

/* Sets code and message; returns code so callers can `return sw_err_set(...)`.
 * err may be NULL (the code is still returned). */
int sw_err_set(struct sw_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets (replaces) the hint. */
void sw_err_hint(struct sw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "<context>: " to the message while propagating. */
void sw_err_prefix(struct sw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sw_err_clear(struct sw_err *err);
/* Copies src into dst (both may not be NULL). */
void sw_err_copy(struct sw_err *dst, const struct sw_err *src);

/* Stable lowercase name of a code, e.g. "checksum_mismatch" (for JSON `code`). */
const char *sw_err_code_name(int code);
/* Process exit code for a CLI failing with `code` (documented in docs/cli.md). */
int sw_err_exit_code(int code);

#endif
