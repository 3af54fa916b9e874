/*
 * Internal to the wire codecs (wire_*.c): field readers and writers that check one
 * rule set in both directions and name the field path in every error
 * ("leases[2].steps[0].checksum: expected 64 hex digits").
 */
#ifndef SW_PROTO_WIRE_JSON_H
#define SW_PROTO_WIRE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"

#define WIRE_PATH_MAX 256

/* What a string field may hold. */
enum wire_str {
    WIRE_STR_ID,         /* agent, shard, pool: [A-Za-z0-9._:-]{1,128} */
    WIRE_STR_WAVE,       /* [A-Za-z0-9._:-]{1,40} */
    WIRE_STR_LEASE,      /* l-<lowercase hex>, at most 64 */
    WIRE_STR_REPORT_ID,  /* <id>:<1..20 digits>, at most 160 */
    WIRE_STR_HEX64,      /* 64 lowercase hex digits */
    WIRE_STR_VERSION,    /* version_parse; stored canonical */
    WIRE_STR_SW_VERSION, /* [A-Za-z0-9.+_~-]{1,64} */
    WIRE_STR_TEXT,       /* UTF-8, 0..WIRE_TEXT_MAX */
    WIRE_STR_NAME,       /* UTF-8, 1..WIRE_TEXT_MAX */
    WIRE_STR_SQL,        /* UTF-8, 0..WIRE_SQL_MAX */
    WIRE_STR_GATE_SQL,   /* UTF-8, 1..WIRE_SQL_MAX */
    WIRE_STR_ERROR,      /* UTF-8, 0..WIRE_ERROR_TEXT_MAX */
    WIRE_STR_CODE,       /* API error codes: [a-z_]{1,64} */
};

struct wire_range {
    int64_t min;
    int64_t max;
};

/* One codec call: the current object (in: decoding, out: encoding), its path, the error. */
struct wire_cx {
    char path[WIRE_PATH_MAX];
    size_t path_len;
    struct sw_err *err;
    const json_t *in;
    json_t *out;
};

/* Where to return after a nested object. */
struct wire_mark {
    size_t path_len;
    const json_t *in;
    json_t *out;
};

void wire_cx_init(struct wire_cx *cx, struct sw_err *err);
/* SW_EINVAL (or code) "<path>.<key>: <message>"; key may be NULL (the path itself). */
int wire_fail(struct wire_cx *cx, const char *key, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Checks a string against its rule; the error names <path>.<key>. */
int wire_str_check(struct wire_cx *cx, const char *key, enum wire_str kind, const char *s,
                   size_t len);
bool wire_utf8_valid(const char *s, size_t len);

/* ---- decoding ---- */

/* Parses JSON text strictly (no duplicate keys, no NUL); *doc is a new reference. */
int wire_parse(const char *text, size_t len, json_t **doc, struct sw_err *err);
/* Top-level message: an object with a supported `protocol` and only `allowed` members
 * (NULL-terminated, "protocol" included); makes it current. */
int wire_begin(struct wire_cx *cx, const json_t *doc, const char *const *allowed);
/* Makes arr[i] (which must be an object with only `allowed` members) current, with path
 * <path>.<key>[i]; wire_leave restores. */
int wire_enter(struct wire_cx *cx, const char *key, const json_t *arr, size_t i,
               const char *const *allowed, struct wire_mark *m);
/* Makes member `key` (a required object with only `allowed` members; allowed NULL = any)
 * current. */
int wire_enter_obj(struct wire_cx *cx, const char *key, const char *const *allowed,
                   struct wire_mark *m);
void wire_leave(struct wire_cx *cx, const struct wire_mark *m);
/* Whether the current object has `key` with a non-null value. */
bool wire_has(const struct wire_cx *cx, const char *key);
/* Refuses each of keys (NULL-terminated) present and not null on the current object:
 * "<path>.<key>: not allowed for kind <kind>". */
int wire_forbid(struct wire_cx *cx, const char *const *keys, const char *kind);

/* Members of the current object. Absent or null optional members leave *out untouched
 * (strings: NULL / ""); absent required ones are "<path>.<key>: required field missing". */
int wire_get_str(struct wire_cx *cx, const char *key, enum wire_str kind, bool required,
                 const char **out, size_t *len);
/* Copies into buf (cap bytes); versions are stored canonical. "" when absent. */
int wire_get_fixed(struct wire_cx *cx, const char *key, enum wire_str kind, bool required,
                   char *buf, size_t cap);
/* strdup; NULL when absent. */
int wire_get_dup(struct wire_cx *cx, const char *key, enum wire_str kind, bool required, char **out,
                 size_t *len);
int wire_get_int(struct wire_cx *cx, const char *key, bool required, struct wire_range r,
                 int64_t *out);
int wire_get_bool(struct wire_cx *cx, const char *key, bool required, bool *out);
/* The index of the value in names[0..n) ("expected one of a, b, c"). */
int wire_get_enum(struct wire_cx *cx, const char *key, bool required, const char *const *names,
                  size_t n, size_t *out);
int wire_get_time(struct wire_cx *cx, const char *key, bool required, int64_t *wall_ms);
/* An array member with at most max entries; *arr NULL and *n 0 when absent. */
int wire_get_array(struct wire_cx *cx, const char *key, bool required, size_t max,
                   const json_t **arr, size_t *n);
/* A required array of at most max strings of one kind, each strdup'd into *out. */
int wire_get_strs(struct wire_cx *cx, const char *key, enum wire_str kind, size_t max, char ***out,
                  size_t *n);
/* A required array of 0..cap integers in r. */
int wire_get_ints(struct wire_cx *cx, const char *key, struct wire_range r, int64_t *vals,
                  size_t cap, size_t *n);
/* Frees n strdup'd strings and the array. */
void wire_free_strs(char **v, size_t n);

/* ---- encoding ---- */

/* Starts a message object with "protocol" and makes it current. */
int wire_enc_begin(struct wire_cx *cx);
/* Ends a message: on rc == 0 hands the object to *out, else frees it. Returns rc. */
int wire_enc_end(struct wire_cx *cx, int rc, json_t **out);
/* Adds an array member `key` to the current object; *arr is borrowed. */
int wire_put_array(struct wire_cx *cx, const char *key, json_t **arr);
/* Appends a new object to arr and makes it current (path <path>.<key>[i]). */
int wire_put_elem(struct wire_cx *cx, const char *key, json_t *arr, size_t i, struct wire_mark *m);
/* Adds an object member `key` and makes it current. */
int wire_put_obj(struct wire_cx *cx, const char *key, struct wire_mark *m);
/* Checks s (len bytes; s NULL = missing) against its rule and adds it. */
int wire_put_str(struct wire_cx *cx, const char *key, enum wire_str kind, const char *s,
                 size_t len);
/* Same for a NUL-terminated string. */
int wire_put_cstr(struct wire_cx *cx, const char *key, enum wire_str kind, const char *s);
int wire_put_int(struct wire_cx *cx, const char *key, struct wire_range r, int64_t v);
int wire_put_bool(struct wire_cx *cx, const char *key, bool v);
int wire_put_null(struct wire_cx *cx, const char *key);
int wire_put_time(struct wire_cx *cx, const char *key, int64_t wall_ms);
int wire_put_strs(struct wire_cx *cx, const char *key, enum wire_str kind, char *const *v, size_t n,
                  size_t max);
int wire_put_ints(struct wire_cx *cx, const char *key, struct wire_range r, const int64_t *v,
                  size_t n, size_t max);

/* Dumps compact JSON text (caller free()s). */
int wire_dump(const json_t *doc, char **out, struct sw_err *err);

/* Defines wire_X_encode and wire_X_decode from wire_X_to_json and wire_X_from_json: the
 * same two bodies for every message, so one macro instead of a dozen copies. */
#define WIRE_TEXT_CODECS(X)                                                                        \
    int wire_##X##_encode(const struct wire_##X *m, char **out, struct sw_err *err)                \
    {                                                                                              \
        json_t *doc = NULL;                                                                        \
        *out = NULL;                                                                               \
        int rc = wire_##X##_to_json(m, &doc, err);                                                 \
        if (rc == 0) {                                                                             \
            rc = wire_dump(doc, out, err);                                                         \
        }                                                                                          \
        json_decref(doc);                                                                          \
        return rc;                                                                                 \
    }                                                                                              \
    int wire_##X##_decode(const char *text, size_t len, struct wire_##X *out, struct sw_err *err)  \
    {                                                                                              \
        json_t *doc = NULL;                                                                        \
        memset(out, 0, sizeof *out);                                                               \
        int rc = wire_parse(text, len, &doc, err);                                                 \
        if (rc == 0) {                                                                             \
            rc = wire_##X##_from_json(doc, out, err);                                              \
        }                                                                                          \
        json_decref(doc);                                                                          \
        return rc;                                                                                 \
    }

#endif
