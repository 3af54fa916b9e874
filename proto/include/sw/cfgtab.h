/*
 * A binary's settings as one table: each entry names a setting (its path in the
 * libconfig file), its type, default, bounds, flags and help. The same table loads a
 * file into a caller's struct (via offsets), applies environment overrides, validates,
 * prints the effective configuration (secrets redacted) and the help text.
 */
#ifndef SW_PROTO_CFGTAB_H
#define SW_PROTO_CFGTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"
#include "sw/strbuf.h"

/* The C type of the field at `offset` depends on the setting type. */
enum cfgtab_type {
    CFGTAB_INT,         /* int64_t; min/max bound the value */
    CFGTAB_BOOL,        /* bool; true/false (env: true|false|yes|no|on|off|1|0) */
    CFGTAB_STRING,      /* char * (heap, NULL = unset); min/max bound the length in bytes */
    CFGTAB_DURATION_MS, /* int64_t milliseconds; min/max in ms. A plain number is read in
                           the entry's unit_ms (1000 for a setting named *_s); a string
                           takes a suffix: "250ms", "30s", "5m", "2h" */
    CFGTAB_LIST,        /* struct cfgtab_list; an array or list of strings (env: a,b,c);
                           min/max bound the number of items */
    CFGTAB_SECTION,     /* a group or list its owner parses from the same file itself
                           (e.g. a list of webhooks): the table only knows the name (no
                           field, default, environment or printing; offset, def, min and
                           max are ignored) and lists it in --help */
    CFGTAB_TYPE_COUNT
};

enum cfgtab_flag {
    CFGTAB_REQUIRED = 1u << 0,   /* must be set (file or env); no default */
    CFGTAB_RELOADABLE = 1u << 1, /* may change on reload */
    CFGTAB_SECRET = 1u << 2,     /* never printed: "<redacted>" */
    CFGTAB_NO_ENV = 1u << 3,     /* no environment override */
    CFGTAB_LIST_TEXT = 1u << 4,  /* CFGTAB_LIST: a plain string is accepted too, read
                                    like the environment form "a, b" (one item or several) */
};

struct cfgtab_list {
    size_t n_items;
    char **items; /* heap strings */
};

/* Extra validation of one loaded field (e.g. "host:port"). `field` points at the field
 * in the struct; returns 0 or a negative SW_E* with a message without location (the
 * caller prefixes "<file>:<line>: <setting>"). */
typedef int (*cfgtab_check_fn)(const void *field, struct sw_err *err);

struct cfgtab_entry {
    const char *path; /* setting name at the top level of the file, e.g. "tick_ms" */
    enum cfgtab_type type;
    size_t offset;   /* offsetof(struct your_config, field) */
    const char *def; /* default as text ("500", "true", "127.0.0.1:7400", "a,b"); NULL = none */
    int64_t min;     /* see enum cfgtab_type; ignored when min == max == 0 */
    int64_t max;
    int64_t unit_ms;       /* CFGTAB_DURATION_MS: unit of a plain number (1 or 1000); 0 means 1 */
    unsigned flags;        /* enum cfgtab_flag */
    const char *help;      /* one line, for --help and docs */
    cfgtab_check_fn check; /* optional */
};

struct cfgtab {
    const char *what;       /* "coordinator", used in help headings */
    const char *env_prefix; /* "SHARDWAVE_COORDINATOR_": env name = prefix + upper(path) */
    size_t n_entries;
    const struct cfgtab_entry *entries;
};

/* Where settings come from, in order: defaults, then the file (path, or text named by
 * `name` in messages), then the environment. */
struct cfgtab_source {
    const char *path;       /* libconfig file to read, or NULL */
    const char *text;       /* libconfig text instead of a file (tests, API), or NULL */
    const char *name;       /* name used in messages for `text` (default "<config>") */
    const char *const *env; /* NULL-terminated "NAME=value" strings; NULL = process env */
};

/* Loads into `out` (the caller's zeroed struct): defaults, file, environment, then
 * required and bound checks and each entry's check. Messages cite file:line, e.g.
 * "coordinator.conf:4: tick_ms: expected an integer or a duration string, got a list",
 * "coordinator.conf:7: unknown setting 'tik_ms'" (hint: did you mean 'tick_ms'?),
 * "SHARDWAVE_COORDINATOR_TICK_MS: 'fast' is not a whole number",
 * "tokens_file is required". Returns SW_EINVAL for bad settings, SW_ENOTFOUND or SW_EIO
 * when the file cannot be read. On failure `out` is cleaned up (strings freed, zeroed
 * fields). Not thread-safe when env is NULL and other threads call setenv. */
int cfgtab_load(const struct cfgtab *t, const struct cfgtab_source *src, void *out,
                struct sw_err *err);

/* Frees the strings and lists the table's fields own; safe on a zeroed struct. */
void cfgtab_cleanup(const struct cfgtab *t, void *cfg);

/* The entry for `path`, or NULL. */
const struct cfgtab_entry *cfgtab_find(const struct cfgtab *t, const char *path);

/* True when the field of `e` has the same value in both structs. */
bool cfgtab_field_equal(const struct cfgtab_entry *e, const void *a, const void *b);

/* For reload: SW_ECONFLICT when a setting without CFGTAB_RELOADABLE differs between
 * `old` and `new`, naming every such setting: "cannot change listen, store_path on reload:
 * restart the coordinator to apply them". When `changed` is not NULL, appends the
 * names of all changed settings, comma-separated. */
int cfgtab_check_reload(const struct cfgtab *t, const void *old_cfg, const void *new_cfg,
                        struct sw_strbuf *changed, struct sw_err *err);

/* Appends the effective configuration as a valid libconfig file, one setting a line,
 * secrets as "<redacted>", unset strings as comments ("# tls_cert_file is not set"). */
int cfgtab_print(const struct cfgtab *t, const void *cfg, struct sw_strbuf *out,
                 struct sw_err *err);

/* Appends help text: per setting its name, type, default, bounds, reloadable, the env
 * variable and the help line. */
int cfgtab_help(const struct cfgtab *t, struct sw_strbuf *out, struct sw_err *err);

/* The environment variable of an entry ("" when CFGTAB_NO_ENV or no prefix) into buf. */
const char *cfgtab_env_name(const struct cfgtab *t, const struct cfgtab_entry *e, char *buf,
                            size_t cap);

/* Parses "250ms", "30s", "5m", "2h" or a plain number in unit_ms into milliseconds. */
int cfgtab_parse_duration(const char *text, int64_t unit_ms, int64_t *out_ms, struct sw_err *err);

#endif
