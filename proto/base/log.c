/*
 * The logger on stderr, logfmt or JSON lines; one write(2) per line so concurrent lines
 * never interleave. Context keys given in `kv`, or leading in the message, become keys.
 */
#include "sw/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096
#define LOG_MAX_KEYS 12

static enum log_level min_level = LOG_INFO;
static enum log_format line_format = LOG_FORMAT_LOGFMT;
static const char *const level_names[LOG_LEVEL_COUNT] = {"error", "warn", "info", "debug", "trace"};
static const char *const format_names[LOG_FORMAT_COUNT] = {"logfmt", "json"};
/* Keys lifted out of the start of a message. */
static const char *const context_keys[] = {"wave",    "shard", "agent", "lease",
                                           "version", "stage", "pool",  "engine"};

/* One key=value pair of a line; both borrowed from the message or kv copy. */
struct log_pair {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
};

/* A line under construction: bounded, always leaves room for "}\n". */
struct log_line {
    char buf[LOG_LINE_MAX];
    size_t len;
};

void log_setup(enum log_level level)
{
    min_level = level;
}

void log_setup_format(enum log_level level, enum log_format format)
{
    min_level = level;
    line_format = format;
}

int log_level_parse(const char *name, enum log_level *out)
{
    for (int i = 0; i < LOG_LEVEL_COUNT; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_format_parse(const char *name, enum log_format *out)
{
    for (int i = 0; i < LOG_FORMAT_COUNT; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (enum log_format)i;
            return 0;
        }
    }
    return -1;
}

const char *log_format_name(enum log_format f)
{
    return format_names[f];
}

int log_enabled(enum log_level level)
{
    return level <= min_level;
}

static void line_putn(struct log_line *l, const char *s, size_t n)
{
    size_t room = sizeof l->buf - 3 - l->len; /* keep "}\n" and the NUL */
    n = n < room ? n : room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void line_puts(struct log_line *l, const char *s)
{
    line_putn(l, s, strlen(s));
}

/* Appends s[0..n) quoted: logfmt and JSON share "\"" and "\\"; control characters
 * become spaces (one event, one line) except that JSON keeps them as \u00XX. */
static void line_quoted(struct log_line *l, const char *s, size_t n)
{
    line_putn(l, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            line_putn(l, esc, 2);
        } else if (c < 0x20 && line_format == LOG_FORMAT_JSON) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            line_puts(l, esc);
        } else {
            line_putn(l, c < 0x20 ? " " : s + i, 1);
        }
    }
    line_putn(l, "\"", 1);
}

static bool log_is_context_key(const char *k, size_t n)
{
    for (size_t i = 0; i < sizeof context_keys / sizeof context_keys[0]; i++) {
        if (strlen(context_keys[i]) == n && strncmp(context_keys[i], k, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Splits a leading "key=value " word of *msg off when key is a context key and the value
 * is plain (no quote); true with *p set and *msg advanced past it. */
static bool log_lift(const char **msg, struct log_pair *p)
{
    const char *s = *msg;
    const char *eq = strchr(s, '=');
    const char *sp = strchr(s, ' ');
    if (eq == NULL || sp == NULL || eq > sp || eq + 1 == sp || sp[1] == '\0' ||
        !log_is_context_key(s, (size_t)(eq - s)) || memchr(eq, '"', (size_t)(sp - eq)) != NULL) {
        return false;
    }
    *p = (struct log_pair){s, (size_t)(eq - s), eq + 1, (size_t)(sp - eq - 1)};
    *msg = sp + 1;
    return true;
}

/* Parses "k=v k2=\"quoted v\"" into pairs (values keep their quotes stripped). */
static size_t log_parse_kv(const char *kv, struct log_pair *pairs, size_t n, size_t cap)
{
    const char *s = kv;
    while (s != NULL && *s != '\0' && n < cap) {
        s += strspn(s, " ");
        const char *eq = strchr(s, '=');
        if (*s == '\0' || eq == NULL) {
            break;
        }
        struct log_pair *p = &pairs[n++];
        *p = (struct log_pair){.key = s, .key_len = (size_t)(eq - s), .value = eq + 1};
        if (eq[1] == '"') {
            const char *end = eq + 2;
            while (*end != '\0' && !(*end == '"' && end[-1] != '\\')) {
                end++;
            }
            p->value = eq + 2;
            p->value_len = (size_t)(end - p->value);
            s = *end == '"' ? end + 1 : end;
        } else {
            p->value_len = strcspn(eq + 1, " ");
            s = eq + 1 + p->value_len;
        }
    }
    return n;
}

static void line_pair(struct log_line *l, const char *key, size_t key_len, const char *value,
                      size_t value_len, bool is_first)
{
    if (line_format == LOG_FORMAT_JSON) {
        line_puts(l, is_first ? "{" : ",");
        line_quoted(l, key, key_len);
        line_putn(l, ":", 1);
        line_quoted(l, value, value_len);
        return;
    }
    if (!is_first) {
        line_putn(l, " ", 1);
    }
    line_putn(l, key, key_len);
    line_putn(l, "=", 1);
    bool is_plain = value_len > 0 && strcspn(value, " \"=\\") >= value_len;
    if (is_plain && !(key_len == 3 && memcmp(key, "msg", 3) == 0)) {
        line_putn(l, value, value_len);
    } else {
        line_quoted(l, value, value_len);
    }
}

static void log_timestamp(char *buf, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000L) % 1000);
}

void log_write(enum log_level level, const char *kv, const char *fmt, ...)
{
    if (!log_enabled(level)) {
        return;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct log_pair pairs[LOG_MAX_KEYS];
    size_t n = 0;
    const char *text = msg;
    while (n < LOG_MAX_KEYS && log_lift(&text, &pairs[n])) {
        n++;
    }
    n = log_parse_kv(kv, pairs, n, LOG_MAX_KEYS);

    char ts[96]; /* room for any int year: optimised builds check -Wformat-truncation */
    log_timestamp(ts, sizeof ts);
    struct log_line l = {.len = 0};
    line_pair(&l, "ts", 2, ts, strlen(ts), true);
    line_pair(&l, "level", 5, level_names[level], strlen(level_names[level]), false);
    line_pair(&l, "msg", 3, text, strlen(text), false);
    for (size_t i = 0; i < n; i++) {
        line_pair(&l, pairs[i].key, pairs[i].key_len, pairs[i].value, pairs[i].value_len, false);
    }
    if (line_format == LOG_FORMAT_JSON) {
        l.buf[l.len++] = '}';
    }
    l.buf[l.len++] = '\n';
    ssize_t w = write(STDERR_FILENO, l.buf, l.len);
    (void)w;
}
