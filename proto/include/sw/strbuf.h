/*
 * A growable byte buffer with a hard maximum fixed at creation: exceeding it
 * is SW_ETOOBIG, never silent truncation. Always NUL-terminated.
 */
#ifndef SW_PROTO_STRBUF_H
#define SW_PROTO_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "sw/err.h"

struct sw_strbuf {
    char *buf; /* NULL until the first append; then NUL-terminated */
    size_t len;
    size_t cap;
    size_t max_bytes;
};

/* Caller-embedded; max_bytes bounds len (not counting the NUL). */
void sw_strbuf_init(struct sw_strbuf *sb, size_t max_bytes);
void sw_strbuf_cleanup(struct sw_strbuf *sb);
void sw_strbuf_reset(struct sw_strbuf *sb);
/* Makes room for n more bytes at once (capped by max_bytes), so that appends up to that
 * size reallocate nothing: for a large document whose size is known roughly in advance
 * (no doubling's copies and spare half). SW_ENOMEM. */
int sw_strbuf_reserve(struct sw_strbuf *sb, size_t n, struct sw_err *err);
int sw_strbuf_append(struct sw_strbuf *sb, const char *data, size_t n, struct sw_err *err);
int sw_strbuf_puts(struct sw_strbuf *sb, const char *s, struct sw_err *err);
int sw_strbuf_printf(struct sw_strbuf *sb, struct sw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same with a va_list (for callers that format their own variadic messages). */
int sw_strbuf_vprintf(struct sw_strbuf *sb, struct sw_err *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* Returns the contents ("" when empty); borrowed, valid until the next change. */
const char *sw_strbuf_str(const struct sw_strbuf *sb);
/* Hands the heap buffer to the caller (free() it) and resets sb. Never NULL on success. */
char *sw_strbuf_take(struct sw_strbuf *sb);

#endif
