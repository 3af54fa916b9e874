/*
 * Settings tables as text: the effective configuration (a loadable libconfig file, secrets
 * redacted), the help text, and the reload comparison.
 */
#include "sw/cfgtab.h"
#include "cfgtab_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- comparing (reload) ----------------------------------------------------------------- */

static bool str_equal(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

bool cfgtab_field_equal(const struct cfgtab_entry *e, const void *a, const void *b)
{
    const void *fa = cfgtab_field(a, e), *fb = cfgtab_field(b, e);
    switch (e->type) {
    case CFGTAB_INT:
    case CFGTAB_DURATION_MS:
        return *(const int64_t *)fa == *(const int64_t *)fb;
    case CFGTAB_BOOL:
        return *(const bool *)fa == *(const bool *)fb;
    case CFGTAB_STRING:
        return str_equal(*(char *const *)fa, *(char *const *)fb);
    case CFGTAB_LIST: {
        const struct cfgtab_list *la = fa, *lb = fb;
        bool same = la->n_items == lb->n_items;
        for (size_t i = 0; same && i < la->n_items; i++) {
            same = strcmp(la->items[i], lb->items[i]) == 0;
        }
        return same;
    }
    case CFGTAB_SECTION:
        return true; /* the owner compares what it parsed */
    case CFGTAB_TYPE_COUNT:
        break;
    }
    return false;
}

int cfgtab_check_reload(const struct cfgtab *t, const void *old_cfg, const void *new_cfg,
                        struct sw_strbuf *changed, struct sw_err *err)
{
    char fixed[1024] = "";
    size_t n_fixed = 0, used = 0;
    for (size_t i = 0; i < t->n_entries; i++) {
        const struct cfgtab_entry *e = &t->entries[i];
        if (cfgtab_field_equal(e, old_cfg, new_cfg)) {
            continue;
        }
        if (changed != NULL &&
            sw_strbuf_printf(changed, err, "%s%s", changed->len > 0 ? ", " : "", e->path) != 0) {
            return err != NULL ? err->code : SW_ETOOBIG;
        }
        if ((e->flags & CFGTAB_RELOADABLE) == 0) {
            int k = snprintf(fixed + used, sizeof fixed - used, "%s%s", n_fixed > 0 ? ", " : "",
                             e->path);
            used += (k > 0 && (size_t)k < sizeof fixed - used) ? (size_t)k : 0;
            n_fixed++;
        }
    }
    if (n_fixed == 0) {
        return 0;
    }
    return sw_err_set(err, SW_ECONFLICT, "cannot change %s on reload: restart the %s to apply %s",
                      fixed, t->what != NULL ? t->what : "process", n_fixed > 1 ? "them" : "it");
}

/* ---- printing ------------------------------------------------------------------------ */

/* Appends s as a libconfig string literal. */
static int put_quoted(struct sw_strbuf *out, const char *s, struct sw_err *err)
{
    int rc = sw_strbuf_puts(out, "\"", err);
    for (const char *p = s; rc == 0 && *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            rc = sw_strbuf_printf(out, err, "\\%c", c);
        } else if (c < 0x20 || c == 0x7f) {
            rc = sw_strbuf_printf(out, err, "\\x%02x", c);
        } else {
            rc = sw_strbuf_append(out, p, 1, err);
        }
    }
    return rc != 0 ? rc : sw_strbuf_puts(out, "\"", err);
}

static int put_int(struct sw_strbuf *out, int64_t v, struct sw_err *err)
{
    bool is_long = v > INT32_MAX || v < INT32_MIN;
    return sw_strbuf_printf(out, err, "%" PRId64 "%s", v, is_long ? "L" : "");
}

static int put_value(const struct cfgtab_entry *e, const void *cfg, struct sw_strbuf *out,
                     struct sw_err *err)
{
    const void *f = cfgtab_field(cfg, e);
    switch (e->type) {
    case CFGTAB_INT:
        return put_int(out, *(const int64_t *)f, err);
    case CFGTAB_DURATION_MS: {
        int64_t ms = *(const int64_t *)f;
        char buf[32];
        if (ms % cfgtab_unit_ms(e) == 0) {
            return put_int(out, ms / cfgtab_unit_ms(e), err);
        }
        return put_quoted(out, cfgtab_format_duration(ms, buf, sizeof buf), err);
    }
    case CFGTAB_BOOL:
        return sw_strbuf_puts(out, *(const bool *)f ? "true" : "false", err);
    case CFGTAB_STRING:
        return put_quoted(out, *(char *const *)f, err);
    case CFGTAB_LIST: {
        const struct cfgtab_list *l = f;
        int rc = sw_strbuf_puts(out, "[", err);
        for (size_t i = 0; rc == 0 && i < l->n_items; i++) {
            rc = i > 0 ? sw_strbuf_puts(out, ", ", err) : 0;
            rc = rc != 0 ? rc : put_quoted(out, l->items[i], err);
        }
        return rc != 0 ? rc : sw_strbuf_puts(out, "]", err);
    }
    case CFGTAB_SECTION:
    case CFGTAB_TYPE_COUNT:
        break;
    }
    return sw_err_set(err, SW_EINTERNAL, "%s: bad setting type", e->path);
}

int cfgtab_print(const struct cfgtab *t, const void *cfg, struct sw_strbuf *out, struct sw_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->n_entries; i++) {
        const struct cfgtab_entry *e = &t->entries[i];
        if (e->type == CFGTAB_SECTION) {
            continue; /* the owner prints it */
        }
        bool is_unset = e->type == CFGTAB_STRING && *(char *const *)cfgtab_field(cfg, e) == NULL;
        if (is_unset) {
            rc = sw_strbuf_printf(out, err, "# %s is not set\n", e->path);
            continue;
        }
        rc = sw_strbuf_printf(out, err, "%s = ", e->path);
        if (rc == 0 && (e->flags & CFGTAB_SECRET) != 0) {
            rc = sw_strbuf_puts(out, "\"<redacted>\"", err);
        } else if (rc == 0) {
            rc = put_value(e, cfg, out, err);
        }
        rc = rc != 0 ? rc : sw_strbuf_puts(out, ";\n", err);
    }
    return rc;
}

/* ---- help ---------------------------------------------------------------------------- */

static const char *type_label(const struct cfgtab_entry *e)
{
    switch (e->type) {
    case CFGTAB_INT:
        return "integer";
    case CFGTAB_BOOL:
        return "boolean";
    case CFGTAB_STRING:
        return "string";
    case CFGTAB_DURATION_MS:
        return cfgtab_unit_ms(e) == 1000 ? "duration, seconds" : "duration, milliseconds";
    case CFGTAB_LIST:
        return "list of strings";
    case CFGTAB_SECTION:
        return "section";
    case CFGTAB_TYPE_COUNT:
        break;
    }
    return "?";
}

static int help_bounds(const struct cfgtab_entry *e, struct sw_strbuf *out, struct sw_err *err)
{
    if (!cfgtab_has_bounds(e)) {
        return 0;
    }
    char lo[32], hi[32];
    switch (e->type) {
    case CFGTAB_INT:
        return sw_strbuf_printf(out, err, ", %" PRId64 "..%" PRId64, e->min, e->max);
    case CFGTAB_DURATION_MS:
        return sw_strbuf_printf(out, err, ", %s..%s", cfgtab_format_duration(e->min, lo, sizeof lo),
                                cfgtab_format_duration(e->max, hi, sizeof hi));
    case CFGTAB_STRING:
        return sw_strbuf_printf(out, err, ", %" PRId64 "..%" PRId64 " bytes", e->min, e->max);
    case CFGTAB_LIST:
        return sw_strbuf_printf(out, err, ", %" PRId64 "..%" PRId64 " items", e->min, e->max);
    case CFGTAB_BOOL:
    case CFGTAB_SECTION:
    case CFGTAB_TYPE_COUNT:
        break;
    }
    return 0;
}

static int help_entry(const struct cfgtab *t, const struct cfgtab_entry *e, struct sw_strbuf *out,
                      struct sw_err *err)
{
    char env[CFGTAB_ENV_NAME_MAX];
    int rc = sw_strbuf_printf(out, err, "  %s (%s", e->path, type_label(e));
    rc = rc != 0 ? rc : help_bounds(e, out, err);
    if (rc == 0 && (e->flags & CFGTAB_REQUIRED) != 0) {
        rc = sw_strbuf_puts(out, ", required", err);
    } else if (rc == 0 && e->def != NULL) {
        rc = sw_strbuf_printf(out, err, ", default %s", e->def);
    }
    if (rc == 0) {
        bool is_reload = (e->flags & CFGTAB_RELOADABLE) != 0;
        rc = sw_strbuf_puts(out, is_reload ? ", reloadable" : ", restart to change", err);
    }
    if (rc == 0 && (e->flags & CFGTAB_SECRET) != 0) {
        rc = sw_strbuf_puts(out, ", secret", err);
    }
    rc = rc != 0 ? rc : sw_strbuf_puts(out, ")\n", err);
    rc = rc != 0 ? rc : sw_strbuf_printf(out, err, "      %s\n", e->help != NULL ? e->help : "");
    if (rc == 0 && cfgtab_env_name(t, e, env, sizeof env)[0] != '\0') {
        rc = sw_strbuf_printf(out, err, "      environment: %s\n", env);
    }
    return rc;
}

int cfgtab_help(const struct cfgtab *t, struct sw_strbuf *out, struct sw_err *err)
{
    int rc = sw_strbuf_printf(out, err, "%s settings (libconfig file; environment overrides):\n",
                              t->what != NULL ? t->what : "config");
    for (size_t i = 0; rc == 0 && i < t->n_entries; i++) {
        rc = help_entry(t, &t->entries[i], out, err);
    }
    return rc;
}
