/*
 * Field readers and writers for the wire codecs: every reader checks type and rule
 * and names the field path in its error; every writer checks the same rule before it
 * adds the value (jansson, reference-stealing setters).
 */
#include "wire_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw/version.h"
#include "sw/wire.h"

/* ---- paths ---- */

static size_t path_push(struct wire_cx *cx, const char *key, size_t idx, bool has_idx)
{
    size_t mark = cx->path_len;
    size_t room = sizeof cx->path - cx->path_len;
    const char *dot = cx->path_len > 0 ? "." : "";
    int n = has_idx ? snprintf(cx->path + cx->path_len, room, "%s%s[%zu]", dot, key, idx)
                    : snprintf(cx->path + cx->path_len, room, "%s%s", dot, key);
    if (n > 0) {
        cx->path_len += (size_t)n < room ? (size_t)n : room - 1;
    }
    return mark;
}

void wire_leave(struct wire_cx *cx, const struct wire_mark *m)
{
    cx->path_len = m->path_len;
    cx->path[cx->path_len] = '\0';
    cx->in = m->in;
    cx->out = m->out;
}

static void mark_here(const struct wire_cx *cx, struct wire_mark *m)
{
    m->path_len = cx->path_len;
    m->in = cx->in;
    m->out = cx->out;
}

/* Moves the path to array entry <path>.<key>[i]; wire_leave(cx, m) comes back. */
static void elem_path(struct wire_cx *cx, const char *key, size_t i, struct wire_mark *m)
{
    mark_here(cx, m);
    path_push(cx, key, i, true);
}

static int check_count(struct wire_cx *cx, const char *key, size_t n, size_t max)
{
    return n > max ? wire_fail(cx, key, SW_EINVAL, "more than %zu entries", max) : 0;
}

/* ---- decoding ---- */

int wire_parse(const char *text, size_t len, json_t **doc, struct sw_err *err)
{
    json_error_t jerr;
    *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*doc == NULL) {
        /* The parser quotes the input near the error: keep the message valid UTF-8. */
        char *near = wire_text_sanitize(jerr.text, strnlen(jerr.text, sizeof jerr.text), 200);
        int rc = sw_err_set(err, SW_EINVAL, "invalid JSON at line %d, column %d: %s", jerr.line,
                            jerr.column, near != NULL ? near : "(out of memory)");
        free(near);
        return rc;
    }
    return 0;
}

static bool allowed_key(const char *const *allowed, const char *key)
{
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (strcmp(allowed[i], key) == 0) {
            return true;
        }
    }
    return false;
}

/* The current object has only allowed members; any members in a message from a newer
 * minor version (cx->is_lenient), whose fields we may not know. */
static int check_fields(struct wire_cx *cx, const char *const *allowed)
{
    const char *key;
    json_t *value;
    if (allowed == NULL || cx->is_lenient) {
        return 0;
    }
    json_object_foreach((json_t *)cx->in, key, value)
    {
        if (!allowed_key(allowed, key)) {
            return wire_fail(cx, key, SW_EINVAL, "unknown field");
        }
    }
    return 0;
}

/* Digits of s[*i..len) as a number (at most 4 digits); *i moves past them. -1: none. */
static int protocol_number(const char *s, size_t len, size_t *i)
{
    size_t start = *i;
    int n = 0;
    while (*i < len && *i - start < 5 && s[*i] >= '0' && s[*i] <= '9') {
        n = n * 10 + (s[*i] - '0');
        (*i)++;
    }
    return *i == start || *i - start > 4 ? -1 : n;
}

/* Checks `protocol`: the same major, any minor. A newer minor than ours sets
 * cx->is_lenient (unknown fields are ignored); cx->peer_minor is the minor. */
static int check_protocol(struct wire_cx *cx)
{
    const char *s = NULL;
    size_t len = 0;
    int rc = wire_get_str(cx, "protocol", WIRE_STR_NAME, true, &s, &len);
    if (rc < 0) {
        return rc;
    }
    size_t i = 0;
    int major = protocol_number(s, len, &i);
    bool has_dot = i < len && s[i] == '.';
    i += has_dot;
    int minor = has_dot ? protocol_number(s, len, &i) : -1;
    if (major < 0 || minor < 0 || i != len) {
        return wire_fail(cx, "protocol", SW_EINVAL, "expected \"<major>.<minor>\" like \"%s\"",
                         WIRE_PROTOCOL);
    }
    if (major != WIRE_PROTOCOL_MAJOR) {
        rc = wire_fail(cx, "protocol", SW_EPROTO,
                       "version %.*s is not supported (this side speaks " WIRE_PROTOCOL ")",
                       (int)len, s);
        sw_err_hint(cx->err, "run an agent and a coordinator that speak protocol %d.x",
                    WIRE_PROTOCOL_MAJOR);
        return rc;
    }
    cx->peer_minor = minor;
    cx->is_lenient = minor > WIRE_PROTOCOL_MINOR;
    return 0;
}

/* Starts decoding into a fresh cx: the top-level message must be an object with a
 * supported `protocol` and only `allowed` members; makes it current. */
static int begin(struct wire_cx *cx, const json_t *doc, const char *const *allowed,
                 struct sw_err *err)
{
    wire_cx_init(cx, err);
    if (!json_is_object(doc)) {
        return wire_fail(cx, NULL, SW_EINVAL, "expected a JSON object");
    }
    cx->in = doc;
    int rc = check_protocol(cx);
    return rc < 0 ? rc : check_fields(cx, allowed);
}

/* Makes arr[i] (which must be an object with only `allowed` members) current. */
static int enter_elem(struct wire_cx *cx, const char *key, const json_t *arr, size_t i,
                      const char *const *allowed, struct wire_mark *m)
{
    elem_path(cx, key, i, m);
    cx->in = json_array_get(arr, i);
    if (!json_is_object(cx->in)) {
        return wire_fail(cx, NULL, SW_EINVAL, "expected an object");
    }
    return check_fields(cx, allowed);
}

/* The member, or NULL when absent or null (an error when required). */
static int member(struct wire_cx *cx, const char *key, bool required, const json_t **out)
{
    const json_t *v = json_object_get(cx->in, key);
    *out = v == NULL || json_is_null(v) ? NULL : v;
    if (*out == NULL && required) {
        return wire_fail(cx, key, SW_EINVAL, "required field missing");
    }
    return 0;
}

/* The member as member() gives it, which must have JSON type `type` ("expected <what>"). */
static int typed_member(struct wire_cx *cx, const char *key, bool required, json_type type,
                        const char *what, const json_t **out)
{
    int rc = member(cx, key, required, out);
    if (rc == 0 && *out != NULL && json_typeof(*out) != type) {
        rc = wire_fail(cx, key, SW_EINVAL, "expected %s", what);
    }
    return rc;
}

int wire_enter_obj(struct wire_cx *cx, const char *key, const char *const *allowed,
                   struct wire_mark *m)
{
    const json_t *v;
    mark_here(cx, m);
    int rc = typed_member(cx, key, true, JSON_OBJECT, "an object", &v);
    if (rc < 0) {
        return rc;
    }
    path_push(cx, key, 0, false);
    cx->in = v;
    return check_fields(cx, allowed);
}

int wire_msg_from_json(const struct wire_msg *spec, const json_t *doc, void *msg,
                       struct sw_err *err)
{
    struct wire_cx cx;
    int rc = begin(&cx, doc, spec->fields, err);
    return rc == 0 ? spec->get(&cx, msg) : rc;
}

bool wire_has(const struct wire_cx *cx, const char *key)
{
    const json_t *v = json_object_get(cx->in, key);
    return v != NULL && !json_is_null(v);
}

int wire_forbid(struct wire_cx *cx, const char *const *keys, const char *kind)
{
    for (size_t i = 0; keys[i] != NULL; i++) {
        if (wire_has(cx, keys[i])) {
            return wire_fail(cx, keys[i], SW_EINVAL, "not allowed for kind %s", kind);
        }
    }
    return 0;
}

int wire_get_str(struct wire_cx *cx, const char *key, enum wire_str kind, bool required,
                 const char **out, size_t *len)
{
    const json_t *v;
    int rc = typed_member(cx, key, required, JSON_STRING, "a string", &v);
    if (rc < 0 || v == NULL) {
        return rc;
    }
    *out = json_string_value(v);
    *len = json_string_length(v);
    return wire_str_check(cx, key, kind, *out, *len);
}

int wire_get_fixed(struct wire_cx *cx, const char *key, enum wire_str kind, bool required,
                   char *buf, size_t cap)
{
    const char *s = NULL;
    size_t len = 0;
    buf[0] = '\0';
    int rc = wire_get_str(cx, key, kind, required, &s, &len);
    if (rc < 0 || s == NULL) {
        return rc;
    }
    if (kind == WIRE_STR_VERSION) {
        struct version v;
        version_parse(s, len, &v, NULL); /* checked by wire_get_str */
        version_format(&v, buf, cap);
        return 0;
    }
    if (len >= cap) {
        return wire_fail(cx, key, SW_EINTERNAL, "longer than its buffer");
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

int wire_get_dup(struct wire_cx *cx, const char *key, enum wire_str kind, bool required, char **out,
                 size_t *len)
{
    const char *s = NULL;
    size_t n = 0;
    *out = NULL;
    int rc = wire_get_str(cx, key, kind, required, &s, &n);
    if (rc < 0 || s == NULL) {
        return rc;
    }
    *out = malloc(n + 1);
    if (*out == NULL) {
        return wire_fail(cx, key, SW_ENOMEM, "out of memory");
    }
    memcpy(*out, s, n);
    (*out)[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return 0;
}

static int range_check(struct wire_cx *cx, const char *key, int64_t v, struct wire_range r)
{
    if (v < r.min || v > r.max) {
        return wire_fail(cx, key, SW_EINVAL, "must be between %" PRId64 " and %" PRId64, r.min,
                         r.max);
    }
    return 0;
}

static int int_value(struct wire_cx *cx, const char *key, const json_t *v, struct wire_range r,
                     int64_t *out)
{
    if (!json_is_integer(v)) {
        return wire_fail(cx, key, SW_EINVAL, "expected an integer");
    }
    int rc = range_check(cx, key, json_integer_value(v), r);
    if (rc == 0) {
        *out = json_integer_value(v);
    }
    return rc;
}

int wire_get_int(struct wire_cx *cx, const char *key, bool required, struct wire_range r,
                 int64_t *out)
{
    const json_t *v;
    int rc = member(cx, key, required, &v);
    if (rc < 0 || v == NULL) {
        return rc;
    }
    return int_value(cx, key, v, r, out);
}

int wire_get_bool(struct wire_cx *cx, const char *key, bool required, bool *out)
{
    const json_t *v;
    int rc = member(cx, key, required, &v);
    if (rc < 0 || v == NULL) {
        return rc;
    }
    if (!json_is_boolean(v)) {
        return wire_fail(cx, key, SW_EINVAL, "expected true or false");
    }
    *out = json_is_true(v);
    return 0;
}

int wire_get_enum(struct wire_cx *cx, const char *key, bool required, const char *const *names,
                  size_t n, size_t *out)
{
    const json_t *v;
    int rc = member(cx, key, required, &v);
    if (rc < 0 || v == NULL) {
        return rc;
    }
    const char *s = json_string_value(v);
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return 0;
        }
    }
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof list; i++) {
        int k = snprintf(list + used, sizeof list - used, "%s%s", i > 0 ? ", " : "", names[i]);
        used += k > 0 ? (size_t)k : 0;
    }
    return wire_fail(cx, key, SW_EINVAL, "expected one of %s", list);
}

int wire_get_time(struct wire_cx *cx, const char *key, bool required, int64_t *wall_ms)
{
    const json_t *v;
    struct sw_err terr = {0};
    int rc = member(cx, key, required, &v);
    if (rc < 0 || v == NULL) {
        return rc;
    }
    if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
        wire_time_parse(json_string_value(v), "time", wall_ms, &terr) < 0) {
        return wire_fail(cx, key, SW_EINVAL,
                         "expected an RFC 3339 UTC time like 2026-11-25T09:12:33.123Z");
    }
    return 0;
}

/* An array member with at most max entries; *arr NULL and *n 0 when absent. */
static int get_array(struct wire_cx *cx, const char *key, bool required, size_t max,
                     const json_t **arr, size_t *n)
{
    const json_t *v;
    *arr = NULL;
    *n = 0;
    int rc = typed_member(cx, key, required, JSON_ARRAY, "an array", &v);
    if (rc < 0 || v == NULL) {
        return rc;
    }
    rc = check_count(cx, key, json_array_size(v), max);
    if (rc < 0) {
        return rc;
    }
    *arr = v;
    *n = json_array_size(v);
    return 0;
}

void wire_free_strs(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i]);
    }
    free(v);
}

static int str_elem(struct wire_cx *cx, const char *key, const json_t *arr, size_t i,
                    enum wire_str kind, char **out)
{
    struct wire_mark m;
    elem_path(cx, key, i, &m);
    const json_t *v = json_array_get(arr, i);
    int rc = 0;
    if (!json_is_string(v)) {
        rc = wire_fail(cx, NULL, SW_EINVAL, "expected a string");
    } else {
        rc = wire_str_check(cx, NULL, kind, json_string_value(v), json_string_length(v));
    }
    if (rc == 0) {
        *out = strdup(json_string_value(v));
        rc = *out == NULL ? wire_fail(cx, NULL, SW_ENOMEM, "out of memory") : 0;
    }
    wire_leave(cx, &m);
    return rc;
}

int wire_get_strs(struct wire_cx *cx, const char *key, enum wire_str kind, size_t max, char ***out,
                  size_t *n)
{
    const json_t *arr;
    size_t count;
    *out = NULL;
    *n = 0;
    int rc = get_array(cx, key, true, max, &arr, &count);
    if (rc < 0 || count == 0) {
        return rc;
    }
    *out = calloc(count, sizeof **out);
    if (*out == NULL) {
        return wire_fail(cx, key, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < count && rc == 0; i++) {
        rc = str_elem(cx, key, arr, i, kind, &(*out)[i]);
    }
    if (rc < 0) {
        wire_free_strs(*out, count);
        *out = NULL;
        return rc;
    }
    *n = count;
    return 0;
}

int wire_get_ints(struct wire_cx *cx, const char *key, struct wire_range r, int64_t *vals,
                  size_t cap, size_t *n)
{
    const json_t *arr;
    size_t count;
    *n = 0;
    int rc = get_array(cx, key, true, cap, &arr, &count);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        struct wire_mark m;
        elem_path(cx, key, i, &m);
        rc = int_value(cx, NULL, json_array_get(arr, i), r, &vals[i]);
        wire_leave(cx, &m);
    }
    if (rc == 0) {
        *n = count;
    }
    return rc;
}

int wire_get_objs(struct wire_cx *cx, const struct wire_objs *spec, const void *arg, void **elems,
                  size_t *n)
{
    const json_t *arr;
    size_t count;
    *elems = NULL;
    *n = 0;
    int rc = get_array(cx, spec->key, spec->required, spec->max, &arr, &count);
    if (rc < 0 || count == 0) {
        return rc;
    }
    *elems = calloc(count, spec->elem_size);
    if (*elems == NULL) {
        return wire_fail(cx, spec->key, SW_ENOMEM, "out of memory");
    }
    *n = count;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        struct wire_mark m;
        rc = enter_elem(cx, spec->key, arr, i, spec->fields, &m);
        if (rc == 0) {
            rc = spec->get(cx, (char *)*elems + i * spec->elem_size, arg);
        }
        wire_leave(cx, &m);
    }
    return rc;
}

/* ---- encoding ---- */

/* Adds value (consumed; NULL = allocation failed) to the current object. */
static int put(struct wire_cx *cx, const char *key, json_t *value)
{
    if (value == NULL || json_object_set_new(cx->out, key, value) < 0) {
        return wire_fail(cx, key, SW_ENOMEM, "out of memory");
    }
    return 0;
}

/* Starts encoding into a fresh cx: a message object with "protocol", made current. */
static int enc_begin(struct wire_cx *cx, struct sw_err *err)
{
    wire_cx_init(cx, err);
    cx->out = json_object();
    if (cx->out == NULL) {
        return sw_err_set(cx->err, SW_ENOMEM, "out of memory");
    }
    return put(cx, "protocol", json_string(WIRE_PROTOCOL));
}

int wire_msg_to_json(const struct wire_msg *spec, const void *msg, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    int rc = enc_begin(&cx, err);
    if (rc == 0) {
        rc = spec->put(&cx, msg);
    }
    if (rc < 0) {
        json_decref(cx.out);
        cx.out = NULL;
    }
    *out = cx.out;
    return rc;
}

/* Adds an array member `key` for n entries (at most max) to the current object; *arr is
 * borrowed. */
static int put_array(struct wire_cx *cx, const char *key, size_t n, size_t max, json_t **arr)
{
    int rc = check_count(cx, key, n, max);
    if (rc == 0) {
        *arr = json_array();
        rc = put(cx, key, *arr);
    }
    return rc;
}

/* Appends value (consumed; NULL = allocation failed) to arr. */
static int append(struct wire_cx *cx, json_t *arr, json_t *value)
{
    if (value == NULL || json_array_append_new(arr, value) < 0) {
        return wire_fail(cx, NULL, SW_ENOMEM, "out of memory");
    }
    return 0;
}

/* Appends a new object to arr and makes it current (path <path>.<key>[i]). */
static int put_elem(struct wire_cx *cx, const char *key, json_t *arr, size_t i, struct wire_mark *m)
{
    mark_here(cx, m);
    json_t *obj = json_object();
    if (obj == NULL || json_array_append_new(arr, obj) < 0) {
        return wire_fail(cx, key, SW_ENOMEM, "out of memory");
    }
    path_push(cx, key, i, true);
    cx->out = obj;
    return 0;
}

int wire_put_obj(struct wire_cx *cx, const char *key, struct wire_mark *m)
{
    mark_here(cx, m);
    json_t *obj = json_object();
    int rc = put(cx, key, obj);
    if (rc == 0) {
        path_push(cx, key, 0, false);
        cx->out = obj;
    }
    return rc;
}

int wire_put_str(struct wire_cx *cx, const char *key, enum wire_str kind, const char *s, size_t len)
{
    if (s == NULL) {
        return wire_fail(cx, key, SW_EINVAL, "required field missing");
    }
    int rc = wire_str_check(cx, key, kind, s, len);
    if (rc < 0) {
        return rc;
    }
    if (kind == WIRE_STR_VERSION) {
        struct version v;
        char canon[VERSION_TEXT_MAX];
        version_parse(s, len, &v, NULL); /* checked above */
        return put(cx, key, json_string(version_format(&v, canon, sizeof canon)));
    }
    return put(cx, key, json_stringn_nocheck(s, len));
}

int wire_put_cstr(struct wire_cx *cx, const char *key, enum wire_str kind, const char *s)
{
    return wire_put_str(cx, key, kind, s, s == NULL ? 0 : strlen(s));
}

int wire_put_int(struct wire_cx *cx, const char *key, struct wire_range r, int64_t v)
{
    int rc = range_check(cx, key, v, r);
    return rc == 0 ? put(cx, key, json_integer((json_int_t)v)) : rc;
}

int wire_put_bool(struct wire_cx *cx, const char *key, bool v)
{
    return put(cx, key, json_boolean(v));
}

int wire_put_null(struct wire_cx *cx, const char *key)
{
    return put(cx, key, json_null());
}

int wire_put_time(struct wire_cx *cx, const char *key, int64_t wall_ms)
{
    char buf[WIRE_TIME_LEN + 1];
    if (wall_ms < 0 || wall_ms > INT64_C(253402300799999)) {
        return wire_fail(cx, key, SW_EINVAL, "time out of range");
    }
    wire_time_format(wall_ms, buf);
    return put(cx, key, json_string(buf));
}

int wire_put_strs(struct wire_cx *cx, const char *key, enum wire_str kind, char *const *v, size_t n,
                  size_t max)
{
    json_t *arr;
    int rc = put_array(cx, key, n, max, &arr);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct wire_mark m;
        elem_path(cx, key, i, &m);
        rc = v[i] == NULL ? wire_fail(cx, NULL, SW_EINVAL, "required field missing")
                          : wire_str_check(cx, NULL, kind, v[i], strlen(v[i]));
        if (rc == 0) {
            rc = append(cx, arr, json_string(v[i]));
        }
        wire_leave(cx, &m);
    }
    return rc;
}

int wire_put_ints(struct wire_cx *cx, const char *key, struct wire_range r, const int64_t *v,
                  size_t n, size_t max)
{
    json_t *arr;
    int rc = put_array(cx, key, n, max, &arr);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct wire_mark m;
        elem_path(cx, key, i, &m);
        rc = range_check(cx, NULL, v[i], r);
        if (rc == 0) {
            rc = append(cx, arr, json_integer((json_int_t)v[i]));
        }
        wire_leave(cx, &m);
    }
    return rc;
}

int wire_put_objs(struct wire_cx *cx, const struct wire_objs *spec, const void *elems, size_t n,
                  const void *arg)
{
    json_t *arr;
    if (n == 0 && !spec->required) {
        return 0;
    }
    int rc = put_array(cx, spec->key, n, spec->max, &arr);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct wire_mark m;
        rc = put_elem(cx, spec->key, arr, i, &m);
        if (rc == 0) {
            rc = spec->put(cx, (const char *)elems + i * spec->elem_size, arg);
        }
        wire_leave(cx, &m);
    }
    return rc;
}

int wire_dump(const json_t *doc, char **out, struct sw_err *err)
{
    *out = json_dumps(doc, JSON_COMPACT);
    if (*out == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory while encoding JSON");
    }
    return 0;
}
