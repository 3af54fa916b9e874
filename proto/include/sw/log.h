/*
 * The one logger: one line per event on stderr, logfmt `ts=... level=... msg="..." k=v`
 * or JSON `{"ts": ..., "level": ..., "msg": ..., "k": "v"}` (log shippers). Context keys
 * (wave, shard, agent, lease, version, stage, pool, engine) come from `kv`, and leading
 * `key=value` words of the message with those keys are lifted out of msg into keys too,
 * so `log_info("wave=%s shard=%s lease expired", ...)` logs msg="lease expired" wave=...
 * shard=.... Settings are fixed at startup (log_setup*) and read-only afterwards.
 */
#ifndef SW_PROTO_LOG_H
#define SW_PROTO_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE, LOG_LEVEL_COUNT };

enum log_format { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON, LOG_FORMAT_COUNT };

/* Sets the minimum level printed (the format stays as it was: logfmt by default). Call
 * once before threads start. */
void log_setup(enum log_level level);
/* Sets the level and the line format. Call once before threads start. */
void log_setup_format(enum log_level level, enum log_format format);
/* Parses "logfmt|json"; returns 0 or -1 when unknown. */
int log_format_parse(const char *name, enum log_format *out);
const char *log_format_name(enum log_format f);
/* Parses "error|warn|info|debug|trace"; returns 0 or -1 when unknown. */
int log_level_parse(const char *name, enum log_level *out);
int log_enabled(enum log_level level);

/* `kv` is an optional preformatted "key=value key=value" context (may be NULL). Thread-safe. */
void log_write(enum log_level level, const char *kv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) log_write(LOG_ERROR, NULL, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, NULL, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, NULL, __VA_ARGS__)
#define log_trace(...) log_write(LOG_TRACE, NULL, __VA_ARGS__)

#endif
