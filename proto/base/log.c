/* logfmt logger on stderr; one write(2) per line so concurrent lines never interleave. */
#include "sw/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static const char *const level_names[LOG_LEVEL_COUNT] = {"error", "warn", "info", "debug", "trace"};

void log_setup(enum log_level level)
{
    min_level = level;
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

int log_enabled(enum log_level level)
{
    return level <= min_level;
}

/* Appends msg quoted for logfmt; control characters become spaces. */
static size_t append_quoted(char *buf, size_t pos, size_t cap, const char *msg)
{
    if (pos + 1 < cap) {
        buf[pos++] = '"';
    }
    for (const char *p = msg; *p != '\0' && pos + 3 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
        } else if (c < 0x20) {
            buf[pos++] = ' ';
        } else {
            buf[pos++] = (char)c;
        }
    }
    if (pos + 1 < cap) {
        buf[pos++] = '"';
    }
    return pos;
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

    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);

    char line[4096];
    int n = snprintf(line, sizeof line,
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000L, level_names[level]);
    size_t pos = (n > 0 && (size_t)n < sizeof line) ? (size_t)n : 0;
    pos = append_quoted(line, pos, sizeof line - 2, msg);
    if (kv != NULL && kv[0] != '\0') {
        int m = snprintf(line + pos, sizeof line - 2 - pos, " %s", kv);
        if (m > 0) {
            pos += ((size_t)m < sizeof line - 2 - pos) ? (size_t)m : sizeof line - 3 - pos;
        }
    }
    line[pos++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, pos);
    (void)w;
}
