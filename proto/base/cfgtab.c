/*
 * Settings tables: one table per binary drives loading (defaults, libconfig file,
 * environment), validation, the printed effective config and --help. Every message
 * names where a value came from: "file:line: setting" or the environment variable.
 */
#include "sw/cfgtab.h"
#include "cfgtab_impl.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "sw/numparse.h"

#define CFGTAB_WHERE_MAX  512
#define CFGTAB_STRING_MAX (1024 * 1024) /* when an entry sets no max */

extern char **environ;

static void *field_at(void *cfg, const struct cfgtab_entry *e)
{
    return (char *)cfg + e->offset;
}

const void *cfgtab_field(const void *cfg, const struct cfgtab_entry *e)
{
    return (const char *)cfg + e->offset;
}

bool cfgtab_has_bounds(const struct cfgtab_entry *e)
{
    return e->min != 0 || e->max != 0;
}

int64_t cfgtab_unit_ms(const struct cfgtab_entry *e)
{
    return e->unit_ms > 0 ? e->unit_ms : 1;
}

/* ---- durations ----------------------------------------------------------------------- */

struct duration_unit {
    const char *suffix;
    int64_t ms;
};

static const struct duration_unit duration_units[] = {
    {"h", 3600000},
    {"m", 60000},
    {"s", 1000},
    {"ms", 1},
};

/* "90s" -> "90s", 1500 -> "1500ms": the largest unit that divides the value. */
const char *cfgtab_format_duration(int64_t ms, char *buf, size_t cap)
{
    if (ms == 0) {
        snprintf(buf, cap, "0");
        return buf;
    }
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
        const struct duration_unit *u = &duration_units[i];
        if (ms != 0 && ms % u->ms == 0) {
            snprintf(buf, cap, "%" PRId64 "%s", ms / u->ms, u->suffix);
            return buf;
        }
    }
    snprintf(buf, cap, "%" PRId64 "ms", ms);
    return buf;
}

int cfgtab_parse_duration(const char *text, int64_t unit_ms, int64_t *out_ms, struct sw_err *err)
{
    size_t n = strlen(text);
    size_t digits = 0;
    while (digits < n && isdigit((unsigned char)text[digits])) {
        digits++;
    }
    const char *suffix = text + digits;
    int64_t mult = 0;
    if (*suffix == '\0') {
        mult = unit_ms > 0 ? unit_ms : 1;
    }
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
        if (strcmp(suffix, duration_units[i].suffix) == 0) {
            mult = duration_units[i].ms;
        }
    }
    char num[32];
    if (digits == 0 || digits >= sizeof num || mult == 0) {
        return sw_err_set(err, SW_EINVAL,
                          "'%s' is not a duration (a whole number with ms, s, m or h)", text);
    }
    memcpy(num, text, digits);
    num[digits] = '\0';
    int64_t v = 0;
    if (sw_parse_int64(num, 0, INT64_MAX / mult, "duration", &v, err) != 0) {
        return sw_err_set(err, SW_EINVAL, "'%s' is too long a duration", text);
    }
    *out_ms = v * mult;
    return 0;
}

/* ---- setting one field ----------------------------------------------------------------- */

static int check_int_bounds(const struct cfgtab_entry *e, int64_t v, const char *where,
                            struct sw_err *err)
{
    if (!cfgtab_has_bounds(e) || (v >= e->min && v <= e->max)) {
        return 0;
    }
    if (e->type == CFGTAB_DURATION_MS) {
        char a[32], lo[32], hi[32];
        return sw_err_set(err, SW_EINVAL, "%s: %s is out of range [%s, %s]", where,
                          cfgtab_format_duration(v, a, sizeof a),
                          cfgtab_format_duration(e->min, lo, sizeof lo),
                          cfgtab_format_duration(e->max, hi, sizeof hi));
    }
    return sw_err_set(err, SW_EINVAL, "%s: %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
                      where, v, e->min, e->max);
}

static int set_string(const struct cfgtab_entry *e, void *cfg, const char *s, const char *where,
                      struct sw_err *err)
{
    size_t len = strlen(s);
    size_t max = (cfgtab_has_bounds(e) && e->max > 0) ? (size_t)e->max : CFGTAB_STRING_MAX;
    if (cfgtab_has_bounds(e) && len < (size_t)e->min) {
        if (len == 0) {
            return sw_err_set(err, SW_EINVAL, "%s: must not be empty", where);
        }
        return sw_err_set(err, SW_EINVAL, "%s: must be at least %" PRId64 " bytes", where, e->min);
    }
    if (len > max) {
        return sw_err_set(err, SW_EINVAL, "%s: longer than %zu bytes", where, max);
    }
    char *copy = strdup(s);
    if (copy == NULL) {
        return sw_err_set(err, SW_ENOMEM, "%s: out of memory", where);
    }
    char **slot = field_at(cfg, e);
    free(*slot);
    *slot = copy;
    return 0;
}

static void list_cleanup(struct cfgtab_list *l)
{
    for (size_t i = 0; i < l->n_items; i++) {
        free(l->items[i]);
    }
    free(l->items);
    l->items = NULL;
    l->n_items = 0;
}

/* Takes ownership of `items` (n heap strings) into the list field, checking the count. */
static int set_list_take(const struct cfgtab_entry *e, void *cfg, char **items, size_t n,
                         const char *where, struct sw_err *err)
{
    struct cfgtab_list tmp = {.n_items = n, .items = items};
    if (cfgtab_has_bounds(e) && ((int64_t)n < e->min || (int64_t)n > e->max)) {
        list_cleanup(&tmp);
        return sw_err_set(err, SW_EINVAL, "%s: %zu items, expected %" PRId64 " to %" PRId64, where,
                          n, e->min, e->max);
    }
    struct cfgtab_list *l = field_at(cfg, e);
    list_cleanup(l);
    *l = tmp;
    return 0;
}

/* "a, b,c" -> ["a", "b", "c"]; empty text -> no items. */
static int set_list_text(const struct cfgtab_entry *e, void *cfg, const char *text,
                         const char *where, struct sw_err *err)
{
    size_t cap = 1;
    for (const char *p = text; *p != '\0'; p++) {
        cap += *p == ',';
    }
    char **items = calloc(cap, sizeof *items);
    size_t n = 0;
    const char *p = text;
    while (items != NULL && *p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && isspace((unsigned char)*p)) {
            p++, len--;
        }
        while (len > 0 && isspace((unsigned char)p[len - 1])) {
            len--;
        }
        if (len > 0 && (items[n] = strndup(p, len)) == NULL) {
            break;
        }
        n += len > 0;
        p += (end != NULL ? (size_t)(end - p) + 1 : strlen(p));
    }
    if (items == NULL || *p != '\0') {
        struct cfgtab_list tmp = {.n_items = n, .items = items};
        list_cleanup(&tmp);
        return sw_err_set(err, SW_ENOMEM, "%s: out of memory", where);
    }
    return set_list_take(e, cfg, items, n, where, err);
}

static int parse_bool_text(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
            *out = strcasecmp(text, yes[i]) == 0;
            return 0;
        }
    }
    return -1;
}

/* Sets a field from text (defaults and the environment). */
static int set_from_text(const struct cfgtab_entry *e, void *cfg, const char *text,
                         const char *where, struct sw_err *err)
{
    int64_t v = 0;
    switch (e->type) {
    case CFGTAB_INT:
        if (sw_parse_int64(text, INT64_MIN, INT64_MAX, where, &v, err) != 0) {
            return SW_EINVAL;
        }
        break;
    case CFGTAB_DURATION_MS:
        if (cfgtab_parse_duration(text, cfgtab_unit_ms(e), &v, err) != 0) {
            sw_err_prefix(err, "%s", where);
            return SW_EINVAL;
        }
        break;
    case CFGTAB_BOOL:
        if (parse_bool_text(text, field_at(cfg, e)) != 0) {
            return sw_err_set(err, SW_EINVAL, "%s: '%s' is not a boolean (true or false)", where,
                              text);
        }
        return 0;
    case CFGTAB_STRING:
        return set_string(e, cfg, text, where, err);
    case CFGTAB_LIST:
        return set_list_text(e, cfg, text, where, err);
    case CFGTAB_SECTION:
    case CFGTAB_TYPE_COUNT:
        return sw_err_set(err, SW_EINTERNAL, "%s: bad setting type", where);
    }
    if (check_int_bounds(e, v, where, err) != 0) {
        return SW_EINVAL;
    }
    *(int64_t *)field_at(cfg, e) = v;
    return 0;
}

/* ---- setting a field from the libconfig file ------------------------------------------- */

static const char *setting_kind(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a decimal number";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    case CONFIG_TYPE_GROUP:
        return "a group";
    default:
        return "an unknown value";
    }
}

static const char *type_wanted(enum cfgtab_type t)
{
    switch (t) {
    case CFGTAB_INT:
        return "an integer";
    case CFGTAB_BOOL:
        return "a boolean (true or false)";
    case CFGTAB_STRING:
        return "a string";
    case CFGTAB_DURATION_MS:
        return "an integer or a duration string such as \"30s\"";
    case CFGTAB_LIST:
        return "a list of strings such as [\"a\", \"b\"]";
    case CFGTAB_SECTION:
        return "a group or a list";
    case CFGTAB_TYPE_COUNT:
        break;
    }
    return "?";
}

static int wrong_type(const struct cfgtab_entry *e, const config_setting_t *s, const char *where,
                      struct sw_err *err)
{
    return sw_err_set(err, SW_EINVAL, "%s: expected %s, got %s", where, type_wanted(e->type),
                      setting_kind(s));
}

static int set_list_setting(const struct cfgtab_entry *e, void *cfg, const config_setting_t *s,
                            const char *where, struct sw_err *err)
{
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_STRING && (e->flags & CFGTAB_LIST_TEXT) != 0) {
        return set_list_text(e, cfg, config_setting_get_string(s), where, err);
    }
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
        return wrong_type(e, s, where, err);
    }
    size_t n = (size_t)config_setting_length(s);
    char **items = calloc(n + 1, sizeof *items);
    if (items == NULL) {
        return sw_err_set(err, SW_ENOMEM, "%s: out of memory", where);
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *v = config_setting_get_string_elem(s, (int)i);
        if (v == NULL) {
            rc = sw_err_set(err, SW_EINVAL, "%s: item %zu is not a string", where, i + 1);
        } else if ((items[i] = strdup(v)) == NULL) {
            rc = sw_err_set(err, SW_ENOMEM, "%s: out of memory", where);
        }
    }
    if (rc != 0) {
        struct cfgtab_list tmp = {.n_items = n, .items = items};
        list_cleanup(&tmp);
        return rc;
    }
    return set_list_take(e, cfg, items, n, where, err);
}

static int set_from_setting(const struct cfgtab_entry *e, void *cfg, const config_setting_t *s,
                            const char *where, struct sw_err *err)
{
    int type = config_setting_type(s);
    bool is_int = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
    switch (e->type) {
    case CFGTAB_INT:
    case CFGTAB_DURATION_MS:
        if (type == CONFIG_TYPE_STRING && e->type == CFGTAB_DURATION_MS) {
            return set_from_text(e, cfg, config_setting_get_string(s), where, err);
        }
        if (!is_int) {
            return wrong_type(e, s, where, err);
        }
        int64_t v = config_setting_get_int64(s);
        int64_t unit = e->type == CFGTAB_DURATION_MS ? cfgtab_unit_ms(e) : 1;
        if (v < 0 && e->type == CFGTAB_DURATION_MS) {
            return sw_err_set(err, SW_EINVAL, "%s: a duration cannot be negative", where);
        }
        if (v > INT64_MAX / unit) {
            return sw_err_set(err, SW_EINVAL, "%s: %" PRId64 " is too large", where, v);
        }
        if (check_int_bounds(e, v * unit, where, err) != 0) {
            return SW_EINVAL;
        }
        *(int64_t *)field_at(cfg, e) = v * unit;
        return 0;
    case CFGTAB_BOOL:
        if (type != CONFIG_TYPE_BOOL) {
            return wrong_type(e, s, where, err);
        }
        *(bool *)field_at(cfg, e) = config_setting_get_bool(s) != 0;
        return 0;
    case CFGTAB_STRING:
        if (type != CONFIG_TYPE_STRING) {
            return wrong_type(e, s, where, err);
        }
        return set_string(e, cfg, config_setting_get_string(s), where, err);
    case CFGTAB_LIST:
        return set_list_setting(e, cfg, s, where, err);
    case CFGTAB_SECTION:
        if (type != CONFIG_TYPE_GROUP && type != CONFIG_TYPE_LIST) {
            return wrong_type(e, s, where, err);
        }
        return 0; /* the owner parses it */
    case CFGTAB_TYPE_COUNT:
        break;
    }
    return sw_err_set(err, SW_EINTERNAL, "%s: bad setting type", where);
}

/* ---- lookups ------------------------------------------------------------------------- */

const struct cfgtab_entry *cfgtab_find(const struct cfgtab *t, const char *path)
{
    for (size_t i = 0; i < t->n_entries; i++) {
        if (strcmp(t->entries[i].path, path) == 0) {
            return &t->entries[i];
        }
    }
    return NULL;
}

const char *cfgtab_env_name(const struct cfgtab *t, const struct cfgtab_entry *e, char *buf,
                            size_t cap)
{
    if (cap == 0) {
        return "";
    }
    buf[0] = '\0';
    if ((e->flags & CFGTAB_NO_ENV) != 0 || t->env_prefix == NULL || e->type == CFGTAB_SECTION) {
        return buf;
    }
    int n = snprintf(buf, cap, "%s%s", t->env_prefix, e->path);
    if (n < 0 || (size_t)n >= cap) {
        buf[0] = '\0';
        return buf;
    }
    for (char *p = buf + strlen(t->env_prefix); *p != '\0'; p++) {
        *p = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    }
    return buf;
}

static const char *env_lookup(const char *const *env, const char *name)
{
    const char *const *vars = env != NULL ? env : (const char *const *)environ;
    size_t n = strlen(name);
    for (size_t i = 0; vars != NULL && vars[i] != NULL; i++) {
        if (strncmp(vars[i], name, n) == 0 && vars[i][n] == '=') {
            return vars[i] + n + 1;
        }
    }
    return NULL;
}

/* Edit distance (bounded inputs), for "did you mean" hints. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) {
        return 64;
    }
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int unknown_setting(const struct cfgtab *t, const char *name, const char *where,
                           struct sw_err *err)
{
    sw_err_set(err, SW_EINVAL, "%s: unknown setting '%s'", where, name);
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < t->n_entries; i++) {
        size_t d = edit_distance(name, t->entries[i].path);
        if (d < best_d) {
            best_d = d;
            best = t->entries[i].path;
        }
    }
    if (best != NULL) {
        sw_err_hint(err, "did you mean '%s'?", best);
    } else {
        sw_err_hint(err, "see --help for the settings");
    }
    return SW_EINVAL;
}

/* ---- loading ------------------------------------------------------------------------- */

static int apply_defaults(const struct cfgtab *t, void *cfg, struct sw_err *err)
{
    for (size_t i = 0; i < t->n_entries; i++) {
        const struct cfgtab_entry *e = &t->entries[i];
        if (e->def == NULL) {
            continue;
        }
        char where[CFGTAB_WHERE_MAX];
        snprintf(where, sizeof where, "default of %s", e->path);
        if (set_from_text(e, cfg, e->def, where, err) != 0) {
            return SW_EINTERNAL; /* a bad table is a bug */
        }
    }
    return 0;
}

static int read_config(const struct cfgtab_source *src, config_t *cf, const char **name,
                       struct sw_err *err)
{
    *name = src->path != NULL ? src->path : (src->name != NULL ? src->name : "<config>");
    errno = 0;
    int ok =
        src->path != NULL ? config_read_file(cf, src->path) : config_read_string(cf, src->text);
    int saved_errno = errno;
    if (ok == CONFIG_TRUE) {
        return 0;
    }
    if (config_error_type(cf) == CONFIG_ERR_FILE_IO) {
        return sw_err_set(err, saved_errno == ENOENT ? SW_ENOTFOUND : SW_EIO,
                          "%s: cannot read the config file: %s", *name,
                          strerror(saved_errno != 0 ? saved_errno : EIO));
    }
    const char *file = config_error_file(cf);
    return sw_err_set(err, SW_EINVAL, "%s:%d: %s", file != NULL ? file : *name,
                      config_error_line(cf), config_error_text(cf));
}

static int apply_file(const struct cfgtab *t, const struct cfgtab_source *src, void *cfg,
                      bool *is_set, struct sw_err *err)
{
    config_t cf;
    config_init(&cf);
    const char *name = NULL;
    int rc = read_config(src, &cf, &name, err);
    config_setting_t *root = config_root_setting(&cf);
    int n = rc == 0 ? config_setting_length(root) : 0;
    for (int i = 0; i < n && rc == 0; i++) {
        config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *key = config_setting_name(s);
        char where[CFGTAB_WHERE_MAX];
        snprintf(where, sizeof where, "%s:%d", name, config_setting_source_line(s));
        const struct cfgtab_entry *e = cfgtab_find(t, key);
        if (e == NULL) {
            rc = unknown_setting(t, key, where, err);
            break;
        }
        snprintf(where, sizeof where, "%s:%d: %s", name, config_setting_source_line(s), key);
        rc = set_from_setting(e, cfg, s, where, err);
        is_set[e - t->entries] = true;
    }
    config_destroy(&cf);
    return rc;
}

static int apply_env(const struct cfgtab *t, const char *const *env, void *cfg, bool *is_set,
                     struct sw_err *err)
{
    for (size_t i = 0; i < t->n_entries; i++) {
        char name[CFGTAB_ENV_NAME_MAX];
        const struct cfgtab_entry *e = &t->entries[i];
        if (cfgtab_env_name(t, e, name, sizeof name)[0] == '\0') {
            continue;
        }
        const char *v = env_lookup(env, name);
        if (v == NULL) {
            continue;
        }
        if (set_from_text(e, cfg, v, name, err) != 0) {
            return SW_EINVAL;
        }
        is_set[i] = true;
    }
    return 0;
}

static int check_all(const struct cfgtab *t, void *cfg, const bool *is_set, struct sw_err *err)
{
    for (size_t i = 0; i < t->n_entries; i++) {
        const struct cfgtab_entry *e = &t->entries[i];
        if ((e->flags & CFGTAB_REQUIRED) != 0 && !is_set[i]) {
            char env[CFGTAB_ENV_NAME_MAX];
            sw_err_set(err, SW_EINVAL, "%s is required", e->path);
            if (cfgtab_env_name(t, e, env, sizeof env)[0] != '\0') {
                sw_err_hint(err, "set %s in the config file or %s", e->path, env);
            }
            return SW_EINVAL;
        }
        if (e->check != NULL && e->check(cfgtab_field(cfg, e), err) != 0) {
            sw_err_prefix(err, "%s", e->path);
            return SW_EINVAL;
        }
    }
    return 0;
}

int cfgtab_load(const struct cfgtab *t, const struct cfgtab_source *src, void *out,
                struct sw_err *err)
{
    bool *is_set = calloc(t->n_entries + 1, sizeof *is_set);
    int rc = 0;
    if (is_set == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = apply_defaults(t, out, err)) != 0) {
        goto out;
    }
    if ((src->path != NULL || src->text != NULL) &&
        (rc = apply_file(t, src, out, is_set, err)) != 0) {
        goto out;
    }
    if ((rc = apply_env(t, src->env, out, is_set, err)) != 0) {
        goto out;
    }
    rc = check_all(t, out, is_set, err);
out:
    free(is_set);
    if (rc != 0) {
        cfgtab_cleanup(t, out);
    }
    return rc;
}

void cfgtab_cleanup(const struct cfgtab *t, void *cfg)
{
    for (size_t i = 0; i < t->n_entries; i++) {
        const struct cfgtab_entry *e = &t->entries[i];
        switch (e->type) {
        case CFGTAB_STRING: {
            char **slot = field_at(cfg, e);
            free(*slot);
            *slot = NULL;
            break;
        }
        case CFGTAB_LIST:
            list_cleanup(field_at(cfg, e));
            break;
        case CFGTAB_INT:
        case CFGTAB_DURATION_MS:
            *(int64_t *)field_at(cfg, e) = 0;
            break;
        case CFGTAB_BOOL:
            *(bool *)field_at(cfg, e) = false;
            break;
        case CFGTAB_SECTION:
        case CFGTAB_TYPE_COUNT:
            break;
        }
    }
}
