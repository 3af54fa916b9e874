/* Checked decimal integer parsing. */
#include "sw/numparse.h"

#include <errno.h>
#include <stdlib.h>

int sw_parse_int64(const char *s, int64_t min, int64_t max, const char *what, int64_t *out,
                   struct sw_err *err)
{
    if (s == NULL || *s == '\0') {
        return sw_err_set(err, SW_EINVAL, "%s: expected a number, got an empty value", what);
    }
    char *end = NULL;
    errno = 0;
    /* strtoll skips leading white space; we do not accept it. */
    long long v = (*s == '-' || (*s >= '0' && *s <= '9')) ? strtoll(s, &end, 10) : 0;
    if (end == NULL || *end != '\0' || end == s) {
        return sw_err_set(err, SW_EINVAL, "%s: '%s' is not a whole number", what, s);
    }
    if (errno == ERANGE) {
        return sw_err_set(err, SW_EINVAL, "%s: %s is out of range [%lld, %lld]", what, s,
                          (long long)min, (long long)max);
    }
    if (v < min || v > max) {
        return sw_err_set(err, SW_EINVAL, "%s: %lld is out of range [%lld, %lld]", what, v,
                          (long long)min, (long long)max);
    }
    *out = (int64_t)v;
    return 0;
}

int sw_parse_int(const char *s, int min, int max, const char *what, int *out, struct sw_err *err)
{
    int64_t v = 0;
    int rc = sw_parse_int64(s, min, max, what, &v, err);
    if (rc == 0) {
        *out = (int)v;
    }
    return rc;
}
