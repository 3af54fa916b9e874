/*
 * Migration versions: dotted (or underscored) integers compared part by part.
 * Trailing zero parts are dropped at parse time so equal versions compare equal.
 */
#include "sw/version.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool version_is_sep(char c)
{
    return c == '.' || c == '_';
}

/* Checks the shape of text: only digits and single separators, no empty part. */
static int version_check_shape(const char *text, size_t len, struct sw_err *err)
{
    if (len == 0) {
        return sw_err_set(err, SW_EINVAL, "version is empty");
    }
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!(c >= '0' && c <= '9') && !version_is_sep(c)) {
            return sw_err_set(err, SW_EINVAL,
                              "version '%.*s': must be digits separated by '.' or '_'", (int)len,
                              text);
        }
    }
    for (size_t i = 0; i < len; i++) {
        bool at_edge = (i == 0 || i + 1 == len);
        if (version_is_sep(text[i]) && (at_edge || version_is_sep(text[i + 1]))) {
            return sw_err_set(err, SW_EINVAL, "version '%.*s': empty part", (int)len, text);
        }
    }
    return 0;
}

/* Parses the part text[0..len) (digits only) into *out. */
static int version_parse_part(const char *whole, size_t whole_len, const char *text, size_t len,
                              uint64_t *out, struct sw_err *err)
{
    uint64_t part = 0;
    for (size_t i = 0; i < len; i++) {
        uint64_t digit = (uint64_t)(text[i] - '0');
        if (part > (UINT64_MAX - digit) / 10) {
            return sw_err_set(err, SW_EINVAL, "version '%.*s': part '%.*s' is larger than %" PRIu64,
                              (int)whole_len, whole, (int)len, text, UINT64_MAX);
        }
        part = part * 10 + digit;
    }
    *out = part;
    return 0;
}

int version_parse(const char *text, size_t len, struct version *out, struct sw_err *err)
{
    struct version v = {0};
    int rc = version_check_shape(text, len, err);
    if (rc != 0) {
        return rc;
    }
    size_t i = 0;
    while (i < len) {
        if (v.n_parts == VERSION_MAX_PARTS) {
            return sw_err_set(err, SW_EINVAL, "version '%.*s': more than %d parts", (int)len, text,
                              VERSION_MAX_PARTS);
        }
        size_t end = i;
        while (end < len && !version_is_sep(text[end])) {
            end++;
        }
        rc = version_parse_part(text, len, text + i, end - i, &v.parts[v.n_parts], err);
        if (rc != 0) {
            return rc;
        }
        v.n_parts++;
        i = end + 1; /* past the separator (or the end) */
    }
    while (v.n_parts > 0 && v.parts[v.n_parts - 1] == 0) {
        v.n_parts--;
    }
    *out = v;
    return 0;
}

int version_parse_str(const char *text, struct version *out, struct sw_err *err)
{
    return version_parse(text, strlen(text), out, err);
}

int version_cmp(const struct version *a, const struct version *b)
{
    uint32_t n = a->n_parts > b->n_parts ? a->n_parts : b->n_parts;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t pa = i < a->n_parts ? a->parts[i] : 0;
        uint64_t pb = i < b->n_parts ? b->parts[i] : 0;
        if (pa != pb) {
            return pa < pb ? -1 : 1;
        }
    }
    return 0;
}

bool version_is_zero(const struct version *v)
{
    for (uint32_t i = 0; i < v->n_parts; i++) {
        if (v->parts[i] != 0) {
            return false;
        }
    }
    return true;
}

const char *version_format(const struct version *v, char *buf, size_t cap)
{
    if (cap == 0) {
        return buf;
    }
    buf[0] = '\0';
    if (version_is_zero(v)) {
        snprintf(buf, cap, "0");
        return buf;
    }
    size_t pos = 0;
    for (uint32_t i = 0; i < v->n_parts && pos < cap; i++) {
        int n = snprintf(buf + pos, cap - pos, "%s%" PRIu64, i > 0 ? "." : "", v->parts[i]);
        if (n < 0) {
            break;
        }
        pos += (size_t)n;
    }
    return buf;
}
