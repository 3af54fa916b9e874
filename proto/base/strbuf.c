/* Bounded growable buffer. */
#include "sw/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sw_strbuf_init(struct sw_strbuf *sb, size_t max_bytes)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->max_bytes = max_bytes;
}

void sw_strbuf_cleanup(struct sw_strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void sw_strbuf_reset(struct sw_strbuf *sb)
{
    sb->len = 0;
    if (sb->buf != NULL) {
        sb->buf[0] = '\0';
    }
}

static int grow(struct sw_strbuf *sb, size_t extra, struct sw_err *err)
{
    if (extra > sb->max_bytes || sb->len > sb->max_bytes - extra) {
        return sw_err_set(err, SW_ETOOBIG, "buffer limit of %zu bytes exceeded", sb->max_bytes);
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) {
        return 0;
    }
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    char *p = realloc(sb->buf, cap);
    if (p == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory growing a buffer to %zu bytes", cap);
    }
    sb->buf = p;
    sb->cap = cap;
    return 0;
}

int sw_strbuf_reserve(struct sw_strbuf *sb, size_t n, struct sw_err *err)
{
    size_t room = sb->max_bytes - sb->len;
    size_t cap = sb->len + (n < room ? n : room) + 1;
    if (cap <= sb->cap) {
        return 0;
    }
    char *p = realloc(sb->buf, cap);
    if (p == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory reserving %zu bytes", cap);
    }
    if (sb->buf == NULL) {
        p[0] = '\0';
    }
    sb->buf = p;
    sb->cap = cap;
    return 0;
}

int sw_strbuf_append(struct sw_strbuf *sb, const char *data, size_t n, struct sw_err *err)
{
    int rc = grow(sb, n, err);
    if (rc != 0) {
        return rc;
    }
    if (n > 0) {
        memcpy(sb->buf + sb->len, data, n);
    }
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return 0;
}

int sw_strbuf_puts(struct sw_strbuf *sb, const char *s, struct sw_err *err)
{
    return sw_strbuf_append(sb, s, strlen(s), err);
}

int sw_strbuf_vprintf(struct sw_strbuf *sb, struct sw_err *err, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return sw_err_set(err, SW_EINTERNAL, "bad format string");
    }
    int rc = grow(sb, (size_t)n, err);
    if (rc != 0) {
        return rc;
    }
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int sw_strbuf_printf(struct sw_strbuf *sb, struct sw_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sw_strbuf_vprintf(sb, err, fmt, ap);
    va_end(ap);
    return rc;
}

const char *sw_strbuf_str(const struct sw_strbuf *sb)
{
    return sb->buf ? sb->buf : "";
}

char *sw_strbuf_take(struct sw_strbuf *sb)
{
    char *p = sb->buf;
    if (p == NULL) {
        p = calloc(1, 1);
    }
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
    return p;
}
