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
#include "sw/wire.h"

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
    int peer_minor;  /* decoding: the message's protocol minor (set before spec->get) */
    bool is_lenient; /* decoding: peer_minor > WIRE_PROTOCOL_MINOR, unknown fields ignored */
};

/* Where to return after a nested object. */
struct wire_mark {
    size_t path_len;
    const json_t *in;
    json_t *out;
};

/* An array member whose entries are objects, described once for both directions. */
typedef int (*wire_elem_get_fn)(struct wire_cx *cx, void *elem, const void *arg);
typedef int (*wire_elem_put_fn)(struct wire_cx *cx, const void *elem, const void *arg);
struct wire_objs {
    const char *key;           /* the member; entries are "<path>.<key>[i]" */
    bool required;             /* decoding: absent is an error; encoding: written even empty */
    size_t max;                /* at most this many entries */
    const char *const *fields; /* an entry's allowed members (NULL-terminated) */
    size_t elem_size;          /* bytes of one C element */
    wire_elem_get_fn get;      /* reads the current object into elem */
    wire_elem_put_fn put;      /* writes elem into the current (new) object */
};

/* A whole message, described once for both directions. */
typedef int (*wire_msg_get_fn)(struct wire_cx *cx, void *msg);
typedef int (*wire_msg_put_fn)(struct wire_cx *cx, const void *msg);
struct wire_msg {
    const char *const *fields; /* its members (NULL-terminated, "protocol" included) */
    wire_msg_get_fn get;       /* reads the (checked) message object into msg */
    wire_msg_put_fn put;       /* writes msg into the new message object */
};

/* The wire names of the enums (wire_common.c), for wire_get_enum and the encoders. */
extern const char *const wire_lease_kind_names[WIRE_LEASE_KIND_COUNT];
extern const char *const wire_report_kind_names[WIRE_REPORT_KIND_COUNT];
extern const char *const wire_health_names[WIRE_HEALTH_COUNT];
extern const char *const wire_failure_names[WIRE_FAILURE_COUNT];
#define WIRE_DIRECTION_COUNT 2 /* enum migset_dir: up, down */
extern const char *const wire_direction_names[WIRE_DIRECTION_COUNT];

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
/* Decodes doc into msg (zeroed by the caller): an object with a supported `protocol` and
 * only spec->fields (any further members when its minor is newer than ours: they are
 * ignored, here and in nested objects), read by spec->get (cx->peer_minor set). On failure msg
 * keeps what was read, for the caller's cleanup. */
int wire_msg_from_json(const struct wire_msg *spec, const json_t *doc, void *msg,
                       struct sw_err *err);
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
/* The array spec->key into a calloc'd vector of *n elements of spec->elem_size bytes,
 * each entry checked against spec->fields and read by spec->get(cx, elem, arg). *elems
 * is NULL and *n 0 when the array is absent or empty. On failure *elems and *n still
 * cover every element (zeroed beyond the failing one), for the owner's cleanup. */
int wire_get_objs(struct wire_cx *cx, const struct wire_objs *spec, const void *arg, void **elems,
                  size_t *n);
/* A required array of at most max strings of one kind, each strdup'd into *out. */
int wire_get_strs(struct wire_cx *cx, const char *key, enum wire_str kind, size_t max, char ***out,
                  size_t *n);
/* A required array of 0..cap integers in r. */
int wire_get_ints(struct wire_cx *cx, const char *key, struct wire_range r, int64_t *vals,
                  size_t cap, size_t *n);
/* Frees n strdup'd strings and the array. */
void wire_free_strs(char **v, size_t n);

/* ---- encoding ---- */

/* Encodes msg: a new object with "protocol", then spec->put; *out is NULL on failure. */
int wire_msg_to_json(const struct wire_msg *spec, const void *msg, json_t **out,
                     struct sw_err *err);
/* Adds the array spec->key of n elements (spec->elem_size bytes apart), each written by
 * spec->put(cx, elem, arg): "more than <max> entries" over spec->max; an empty array that
 * is not required is left out. */
int wire_put_objs(struct wire_cx *cx, const struct wire_objs *spec, const void *elems, size_t n,
                  const void *arg);
/* The lease response's `leases` array, optional (wire_lease.c): a reports response may
 * carry leases (protocol 1.2). */
extern const struct wire_objs wire_leases_optional;
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

/* Defines the entry points of message X (sw/wire.h) from its description
 * `static const struct wire_msg X_msg` and wire_X_cleanup: the same bodies for every
 * message, so one macro instead of a dozen copies of each. */
#define WIRE_CODECS(X)                                                                             \
    int wire_##X##_to_json(const struct wire_##X *m, json_t **out, struct sw_err *err)             \
    {                                                                                              \
        return wire_msg_to_json(&X##_msg, m, out, err);                                            \
    }                                                                                              \
    int wire_##X##_from_json(const json_t *doc, struct wire_##X *out, struct sw_err *err)          \
    {                                                                                              \
        memset(out, 0, sizeof *out);                                                               \
        int rc = wire_msg_from_json(&X##_msg, doc, out, err);                                      \
        if (rc < 0) {                                                                              \
            wire_##X##_cleanup(out);                                                               \
        }                                                                                          \
        return rc;                                                                                 \
    }                                                                                              \
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
