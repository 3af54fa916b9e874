/*
 * The wire protocol's shared rules: enum names, identifier patterns, string kinds,
 * UTF-8, RFC 3339 times, text sanitising, field paths in errors, and the API error
 * document. The field readers and writers built on them are in wire_json.c.
 */
#include "sw/wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_json.h"

const char *const wire_lease_kind_names[WIRE_LEASE_KIND_COUNT] = {
    [WIRE_LEASE_MIGRATE] = "migrate",
    [WIRE_LEASE_ROLLBACK] = "rollback",
    [WIRE_LEASE_GATE] = "gate",
    [WIRE_LEASE_INVENTORY] = "inventory",
};
const char *const wire_report_kind_names[WIRE_REPORT_KIND_COUNT] = {
    [WIRE_REPORT_STEP] = "step",
    [WIRE_REPORT_LEASE_DONE] = "lease_done",
    [WIRE_REPORT_INVENTORY] = "inventory",
};
static const char *const outcome_names[WIRE_OUTCOME_COUNT] = {
    [WIRE_OUT_APPLIED] = "applied",
    [WIRE_OUT_FAILED] = "failed",
    [WIRE_OUT_DIRTY] = "dirty",
    [WIRE_OUT_SKIPPED] = "skipped",
    [WIRE_OUT_DONE] = "done",
    [WIRE_OUT_RELEASED] = "released",
    [WIRE_OUT_REFUSED] = "refused",
    [WIRE_OUT_GATE_PASSED] = "gate_passed",
    [WIRE_OUT_GATE_FAILED] = "gate_failed",
};
const char *const wire_health_names[WIRE_HEALTH_COUNT] = {
    [WIRE_HEALTH_UNKNOWN] = "unknown",
    [WIRE_HEALTH_OK] = "ok",
    [WIRE_HEALTH_DIRTY] = "dirty",
    [WIRE_HEALTH_UNREACHABLE] = "unreachable",
    [WIRE_HEALTH_CHECKSUM_MISMATCH] = "checksum_mismatch",
};
const char *const wire_failure_names[WIRE_FAILURE_COUNT] = {
    [WIRE_FAILURE_NONE] = "none",
    [WIRE_FAILURE_UNREACHABLE] = "unreachable",
    [WIRE_FAILURE_LOCK_TIMEOUT] = "lock_timeout",
    [WIRE_FAILURE_ERROR] = "error",
};
const char *const wire_direction_names[WIRE_DIRECTION_COUNT] = {
    [MIGSET_UP] = "up", [MIGSET_DOWN] = "down"};

static int name_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const char *wire_lease_kind_name(enum wire_lease_kind k)
{
    return wire_lease_kind_names[k];
}

const char *wire_report_kind_name(enum wire_report_kind k)
{
    return wire_report_kind_names[k];
}

const char *wire_outcome_name(enum wire_outcome o)
{
    return outcome_names[o];
}

const char *wire_health_name(enum wire_health h)
{
    return wire_health_names[h];
}

const char *wire_direction_name(enum migset_dir d)
{
    return wire_direction_names[d];
}

const char *wire_failure_name(enum wire_failure f)
{
    return (unsigned)f < WIRE_FAILURE_COUNT ? wire_failure_names[f] : "?";
}

int wire_lease_kind_parse(const char *s, enum wire_lease_kind *out)
{
    int i = name_index(wire_lease_kind_names, WIRE_LEASE_KIND_COUNT, s);
    if (i >= 0) {
        *out = (enum wire_lease_kind)i;
    }
    return i < 0 ? -1 : 0;
}

int wire_report_kind_parse(const char *s, enum wire_report_kind *out)
{
    int i = name_index(wire_report_kind_names, WIRE_REPORT_KIND_COUNT, s);
    if (i >= 0) {
        *out = (enum wire_report_kind)i;
    }
    return i < 0 ? -1 : 0;
}

int wire_outcome_parse(const char *s, enum wire_outcome *out)
{
    int i = name_index(outcome_names, WIRE_OUTCOME_COUNT, s);
    if (i >= 0) {
        *out = (enum wire_outcome)i;
    }
    return i < 0 ? -1 : 0;
}

int wire_health_parse(const char *s, enum wire_health *out)
{
    int i = name_index(wire_health_names, WIRE_HEALTH_COUNT, s);
    if (i >= 0) {
        *out = (enum wire_health)i;
    }
    return i < 0 ? -1 : 0;
}

int wire_direction_parse(const char *s, enum migset_dir *out)
{
    int i = name_index(wire_direction_names, WIRE_DIRECTION_COUNT, s);
    if (i >= 0) {
        *out = (enum migset_dir)i;
    }
    return i < 0 ? -1 : 0;
}

int wire_failure_parse(const char *s, enum wire_failure *out)
{
    int i = name_index(wire_failure_names, WIRE_FAILURE_COUNT, s);
    if (i >= 0) {
        *out = (enum wire_failure)i;
    }
    return i < 0 ? -1 : 0;
}

/* ---- character classes and patterns ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_lower_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_id_char(char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
}

static bool is_sw_version_char(char c)
{
    return is_alnum(c) || c == '.' || c == '+' || c == '_' || c == '~' || c == '-';
}

static bool is_code_char(char c)
{
    return (c >= 'a' && c <= 'z') || c == '_';
}

static bool all_chars(const char *s, size_t len, bool (*ok)(char))
{
    for (size_t i = 0; i < len; i++) {
        if (!ok(s[i])) {
            return false;
        }
    }
    return true;
}

static bool id_ok(const char *s, size_t len, size_t max)
{
    return len >= 1 && len <= max && all_chars(s, len, is_id_char);
}

static bool lease_ok(const char *s, size_t len)
{
    return len >= 3 && len <= WIRE_LEASE_ID_MAX && s[0] == 'l' && s[1] == '-' &&
           all_chars(s + 2, len - 2, is_lower_hex);
}

static bool report_id_ok(const char *s, size_t len)
{
    if (len > WIRE_REPORT_ID_MAX || !id_ok(s, len, WIRE_REPORT_ID_MAX)) {
        return false;
    }
    size_t colon = len;
    while (colon > 0 && s[colon - 1] != ':') {
        colon--;
    }
    size_t n_digits = len - colon;
    return colon >= 2 && n_digits >= 1 && n_digits <= 20 &&
           all_chars(s + colon, n_digits, is_digit);
}

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when invalid (overlong forms,
 * surrogates, code points above U+10FFFF and NUL are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    size_t n = c < 0x80                 ? 1
               : c >= 0xC2 && c <= 0xDF ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || n > len || c == 0) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F)) {
        return 0;
    }
    return n;
}

bool wire_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(u + i, len - i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

static int text_check(struct wire_cx *cx, const char *key, const char *s, size_t len,
                      struct wire_range bytes)
{
    if ((int64_t)len < bytes.min) {
        return wire_fail(cx, key, SW_EINVAL, "must not be empty");
    }
    if ((int64_t)len > bytes.max) {
        return wire_fail(cx, key, SW_EINVAL, "longer than %lld bytes", (long long)bytes.max);
    }
    if (!wire_utf8_valid(s, len)) {
        return wire_fail(cx, key, SW_EINVAL, "invalid UTF-8 or NUL character");
    }
    return 0;
}

static int version_check(struct wire_cx *cx, const char *key, const char *s, size_t len)
{
    struct version v;
    struct sw_err verr = {0};
    if (version_parse(s, len, &v, &verr) < 0) {
        return wire_fail(cx, key, SW_EINVAL, "%s", verr.msg);
    }
    return 0;
}

int wire_str_check(struct wire_cx *cx, const char *key, enum wire_str kind, const char *s,
                   size_t len)
{
    switch (kind) {
    case WIRE_STR_ID:
        return id_ok(s, len, WIRE_ID_MAX)
                   ? 0
                   : wire_fail(cx, key, SW_EINVAL,
                               "expected 1 to 128 characters of A-Z a-z 0-9 . _ : -");
    case WIRE_STR_WAVE:
        return id_ok(s, len, WIRE_WAVE_ID_MAX)
                   ? 0
                   : wire_fail(cx, key, SW_EINVAL,
                               "expected 1 to 40 characters of A-Z a-z 0-9 . _ : -");
    case WIRE_STR_LEASE:
        return lease_ok(s, len) ? 0
                                : wire_fail(cx, key, SW_EINVAL,
                                            "expected l-<hex> (at most 64 characters, "
                                            "lowercase hex)");
    case WIRE_STR_REPORT_ID:
        return report_id_ok(s, len) ? 0
                                    : wire_fail(cx, key, SW_EINVAL,
                                                "expected <agent>:<seq> (at most 160 characters)");
    case WIRE_STR_HEX64:
        return len == CHECKSUM_HEX_LEN && all_chars(s, len, is_lower_hex)
                   ? 0
                   : wire_fail(cx, key, SW_EINVAL, "expected 64 hex digits");
    case WIRE_STR_VERSION:
        return version_check(cx, key, s, len);
    case WIRE_STR_SW_VERSION:
        return len >= 1 && len <= WIRE_SW_VERSION_MAX && all_chars(s, len, is_sw_version_char)
                   ? 0
                   : wire_fail(cx, key, SW_EINVAL,
                               "expected 1 to 64 characters of A-Z a-z 0-9 . + _ ~ -");
    case WIRE_STR_CODE:
        return len >= 1 && len <= 64 && all_chars(s, len, is_code_char)
                   ? 0
                   : wire_fail(cx, key, SW_EINVAL, "expected 1 to 64 characters of a-z _");
    case WIRE_STR_TEXT:
        return text_check(cx, key, s, len, (struct wire_range){0, WIRE_TEXT_MAX});
    case WIRE_STR_NAME:
        return text_check(cx, key, s, len, (struct wire_range){1, WIRE_TEXT_MAX});
    case WIRE_STR_SQL:
        return text_check(cx, key, s, len, (struct wire_range){0, WIRE_SQL_MAX});
    case WIRE_STR_GATE_SQL:
        return text_check(cx, key, s, len, (struct wire_range){1, WIRE_SQL_MAX});
    case WIRE_STR_ERROR:
        return text_check(cx, key, s, len, (struct wire_range){0, WIRE_ERROR_TEXT_MAX});
    }
    return wire_fail(cx, key, SW_EINTERNAL, "unknown string kind %d", (int)kind);
}

static int check_public(const char *s, const char *what, enum wire_str kind, struct sw_err *err)
{
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    if (s == NULL) {
        return wire_fail(&cx, what, SW_EINVAL, "required");
    }
    return wire_str_check(&cx, what, kind, s, strlen(s));
}

int wire_check_id(const char *s, const char *what, struct sw_err *err)
{
    return check_public(s, what, WIRE_STR_ID, err);
}

int wire_check_lease_id(const char *s, const char *what, struct sw_err *err)
{
    return check_public(s, what, WIRE_STR_LEASE, err);
}

int wire_check_wave_id(const char *s, const char *what, struct sw_err *err)
{
    return check_public(s, what, WIRE_STR_WAVE, err);
}

/* ---- field paths and errors ---- */

void wire_cx_init(struct wire_cx *cx, struct sw_err *err)
{
    memset(cx, 0, sizeof *cx);
    cx->err = err;
}

/* Shows a member name from hostile input: printable ASCII, at most 64 bytes. */
static void show_key(const char *key, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; key[i] != '\0' && n + 4 < cap; i++) {
        if (i == 64) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        buf[n++] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
    }
    buf[n] = '\0';
}

int wire_fail(struct wire_cx *cx, const char *key, int code, const char *fmt, ...)
{
    char msg[SW_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char shown[80] = "";
    if (key != NULL) {
        show_key(key, shown, sizeof shown);
    }
    const char *dot = cx->path_len > 0 && key != NULL ? "." : "";
    if (cx->path_len == 0 && key == NULL) {
        return sw_err_set(cx->err, code, "%s", msg);
    }
    return sw_err_set(cx->err, code, "%.*s%s%s: %s", (int)cx->path_len, cx->path, dot, shown, msg);
}

/* ---- times ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t digits_at(const char *s, size_t pos, size_t n)
{
    int64_t v = 0;
    for (size_t i = pos; i < pos + n; i++) {
        if (!is_digit(s[i])) {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int64_t y, int64_t m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

int wire_time_parse(const char *s, const char *what, int64_t *wall_ms, struct sw_err *err)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    bool ok = s != NULL && strlen(s) == WIRE_TIME_LEN;
    for (size_t i = 0; ok && i < WIRE_TIME_LEN; i++) {
        ok = shape[i] == 'd' ? is_digit(s[i]) : s[i] == shape[i];
    }
    int64_t y = ok ? digits_at(s, 0, 4) : 0, mo = ok ? digits_at(s, 5, 2) : 0;
    int64_t d = ok ? digits_at(s, 8, 2) : 0, h = ok ? digits_at(s, 11, 2) : 0;
    int64_t mi = ok ? digits_at(s, 14, 2) : 0, sec = ok ? digits_at(s, 17, 2) : 0;
    ok = ok && y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo) && h < 24 &&
         mi < 60 && sec < 60;
    if (!ok) {
        return sw_err_set(err, SW_EINVAL,
                          "%s: expected an RFC 3339 UTC time like 2026-11-25T09:12:33.123Z", what);
    }
    int64_t days = days_from_civil(y, mo, d);
    *wall_ms = ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000 + digits_at(s, 20, 3);
    return 0;
}

void wire_time_format(int64_t wall_ms, char buf[WIRE_TIME_LEN + 1])
{
    int64_t ms = wall_ms < 0 ? 0 : wall_ms;
    int64_t days = ms / 86400000, rem = ms % 86400000;
    int64_t y, m, d;
    char text[64];
    civil_from_days(days, &y, &m, &d);
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)(y % 10000), (int)m,
             (int)d, (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
             (int)(rem % 1000));
    memcpy(buf, text, WIRE_TIME_LEN);
    buf[WIRE_TIME_LEN] = '\0';
}

/* ---- free text ---- */

char *wire_text_sanitize(const char *s, size_t len, size_t max_bytes)
{
    char *out = malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(u + i, len - i);
        if ((u[i] < 0x20 || u[i] == 0x7f) && u[i] != '\n' && u[i] != '\t') {
            out[n++] = ' ';
            i++;
        } else if (k == 0) {
            out[n++] = '?';
            i++;
        } else {
            memcpy(out + n, s + i, k);
            n += k;
            i += k;
        }
    }
    if (n > max_bytes && max_bytes >= 3) {
        n = max_bytes - 3;
        while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80) {
            n--;
        }
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* ---- the API error document ---- */

void wire_error_cleanup(struct wire_error *e)
{
    free(e->code);
    free(e->message);
    free(e->hint);
    memset(e, 0, sizeof *e);
}

static int error_fields(struct wire_cx *cx, struct wire_error *out)
{
    int rc = wire_get_dup(cx, "code", WIRE_STR_CODE, true, &out->code, NULL);
    if (rc == 0) {
        rc = wire_get_dup(cx, "message", WIRE_STR_ERROR, true, &out->message, NULL);
    }
    if (rc == 0) {
        rc = wire_get_dup(cx, "hint", WIRE_STR_ERROR, false, &out->hint, NULL);
    }
    return rc;
}

int wire_error_from_json(const json_t *doc, struct wire_error *out, struct sw_err *err)
{
    struct wire_cx cx;
    struct wire_mark m;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    if (!json_is_object(doc)) {
        return wire_fail(&cx, NULL, SW_EINVAL, "expected a JSON object");
    }
    cx.in = doc;
    /* Lenient on extra members: the error object may carry details ("problems"). */
    int rc = wire_enter_obj(&cx, "error", NULL, &m);
    if (rc == 0) {
        rc = error_fields(&cx, out);
    }
    if (rc < 0) {
        wire_error_cleanup(out);
    }
    return rc;
}

int wire_error_decode(const char *text, size_t len, struct wire_error *out, struct sw_err *err)
{
    json_t *doc = NULL;
    memset(out, 0, sizeof *out);
    int rc = wire_parse(text, len, &doc, err);
    if (rc == 0) {
        rc = wire_error_from_json(doc, out, err);
    }
    json_decref(doc);
    return rc;
}
