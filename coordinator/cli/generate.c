/* The expand/contract generator's pure part: input checks, object names, template expansion. */
#include "generate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "generate_tpl.h"
#include "sw/checksum.h"
#include "sw/strbuf.h"

#define GENERATE_NAME_CUT  54 /* + '_' + 8 hex digits = GENERATE_IDENT_MAX */
#define GENERATE_ARGS_MAX  1024
#define GENERATE_PLAN_MAX  (16u * 1024u)
#define GENERATE_FNAME_MAX (MIGSET_DESCRIPTION_MAX + VERSION_TEXT_MAX + 32)

static const char *const generate_engine_title[MIGSET_ENGINE_COUNT] = {
    [MIGSET_ENGINE_PG] = "PostgreSQL",
    [MIGSET_ENGINE_MYSQL] = "MySQL/MariaDB",
    [MIGSET_ENGINE_SQLITE] = "SQLite",
};

const char *generate_recipe_option(enum generate_recipe recipe)
{
    return generate_tpl_recipe(recipe)->option;
}

size_t generate_recipe_versions(enum generate_recipe recipe)
{
    return generate_tpl_recipe(recipe)->n_phases;
}

static bool generate_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool generate_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool generate_ident_ok(const char *s, size_t len)
{
    if (len == 0 || len > GENERATE_IDENT_MAX || !generate_is_alpha(s[0])) {
        return false;
    }
    for (size_t i = 1; i < len; i++) {
        if (!generate_is_alpha(s[i]) && !generate_is_digit(s[i])) {
            return false;
        }
    }
    return true;
}

static int generate_ident_error(const char *option, const char *s, size_t len, struct sw_err *err)
{
    sw_err_set(err, SW_EINVAL, "new: %s: '%.*s' is not a plain identifier", option, (int)len, s);
    sw_err_hint(err,
                "use letters, digits and '_', not starting with a digit, at most %d "
                "characters; shardwave writes unquoted names, so a quoted or "
                "schema-qualified name needs hand-written migrations",
                GENERATE_IDENT_MAX);
    return SW_EINVAL;
}

/* Copies s[0..len) into out (GENERATE_IDENT_MAX + 1 bytes) when it is a plain identifier. */
static int generate_take_ident(const char *option, const char *s, size_t len, char *out,
                               struct sw_err *err)
{
    if (!generate_ident_ok(s, len)) {
        return generate_ident_error(option, s, len, err);
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

static int generate_spec_error(enum generate_recipe recipe, const char *arg, struct sw_err *err)
{
    static const char *const shape[GENERATE_RECIPE_COUNT] = {
        [GENERATE_RENAME_COLUMN] = "TABLE.OLD:NEW",
        [GENERATE_RENAME_TABLE] = "OLD:NEW",
        [GENERATE_ADD_NOT_NULL_COLUMN] = "TABLE.COLUMN",
    };
    sw_err_set(err, SW_EINVAL, "new: %s: expected %s, got '%s'", generate_recipe_option(recipe),
               shape[recipe], arg);
    sw_err_hint(err, "see 'shardwave new --help'");
    return SW_EINVAL;
}

int generate_parse_spec(enum generate_recipe recipe, const char *arg, struct generate_params *p,
                        struct sw_err *err)
{
    const char *opt = generate_recipe_option(recipe);
    const char *dot = strchr(arg, '.');
    const char *colon = strchr(arg, ':');
    bool want_dot = recipe != GENERATE_RENAME_TABLE;
    bool want_colon = recipe != GENERATE_ADD_NOT_NULL_COLUMN;
    p->recipe = recipe;
    if ((dot != NULL) != want_dot || (colon != NULL) != want_colon ||
        (dot != NULL && colon != NULL && colon < dot) || (dot != NULL && strchr(dot + 1, '.')) ||
        (colon != NULL && strchr(colon + 1, ':'))) {
        return generate_spec_error(recipe, arg, err);
    }
    const char *end = arg + strlen(arg);
    const char *first_end = dot != NULL ? dot : colon;
    int rc = generate_take_ident(opt, arg, (size_t)(first_end - arg), p->table, err);
    if (rc == 0 && dot != NULL) {
        const char *col_end = colon != NULL ? colon : end;
        rc = generate_take_ident(opt, dot + 1, (size_t)(col_end - dot - 1), p->column, err);
    }
    if (rc == 0 && colon != NULL) {
        rc = generate_take_ident(opt, colon + 1, (size_t)(end - colon - 1), p->new_name, err);
    }
    return rc;
}

/* Letters, digits, '_', spaces, '(', ')', ','; starts with a letter; parentheses balance. */
static bool generate_type_ok(const char *t)
{
    size_t len = strlen(t);
    int depth = 0;
    if (len == 0 || len > GENERATE_TYPE_MAX || !generate_is_alpha(t[0])) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (c == '(') {
            depth++;
        } else if (c == ')') {
            depth--;
        } else if (!generate_is_alpha(c) && !generate_is_digit(c) && c != ' ' && c != ',') {
            return false;
        }
        if (depth < 0) {
            return false;
        }
    }
    return depth == 0;
}

static bool generate_number_ok(const char *s)
{
    size_t i = s[0] == '-' ? 1 : 0;
    size_t n_digits = 0;
    for (; generate_is_digit(s[i]); i++) {
        n_digits++;
    }
    if (s[i] == '.') {
        i++;
        for (; generate_is_digit(s[i]); i++) {
            n_digits++;
        }
    }
    return n_digits > 0 && s[i] == '\0';
}

/* 'text' with '' for a quote; no backslash (MySQL reads it as an escape), no control bytes. */
static bool generate_string_ok(const char *s)
{
    size_t len = strlen(s);
    if (len < 2 || s[0] != '\'' || s[len - 1] != '\'') {
        return false;
    }
    for (size_t i = 1; i + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c < 0x20) {
            return false;
        }
        if (c == '\'') {
            if (i + 2 >= len || s[i + 1] != '\'') {
                return false;
            }
            i++;
        }
    }
    return true;
}

static int generate_check_default(const char *d, struct sw_err *err)
{
    if (strcasecmp(d, "null") == 0) {
        sw_err_set(err, SW_EINVAL, "new: --add-not-null-column: the default must not be NULL");
        sw_err_hint(err, "a NOT NULL column needs a value for the rows that exist already");
        return SW_EINVAL;
    }
    if (strlen(d) <= GENERATE_DEFAULT_MAX &&
        (generate_number_ok(d) || generate_string_ok(d) || strcasecmp(d, "true") == 0 ||
         strcasecmp(d, "false") == 0)) {
        return 0;
    }
    sw_err_set(err, SW_EINVAL, "new: --add-not-null-column: default '%s' is not a literal", d);
    sw_err_hint(err, "use a number, a 'quoted string' (no backslashes), true or false; for an "
                     "expression, edit the generated files before applying them and run "
                     "'shardwave sum DIR'");
    return SW_EINVAL;
}

int generate_params_check(const struct generate_params *p, struct sw_err *err)
{
    const char *opt = generate_recipe_option(p->recipe);
    const char *old = p->recipe == GENERATE_RENAME_TABLE ? p->table : p->column;
    if (p->recipe != GENERATE_ADD_NOT_NULL_COLUMN && strcmp(old, p->new_name) == 0) {
        return sw_err_set(err, SW_EINVAL, "new: %s: the new name '%s' is the old one", opt,
                          p->new_name);
    }
    if (p->recipe != GENERATE_RENAME_TABLE && !generate_type_ok(p->type)) {
        sw_err_set(err, SW_EINVAL, "new: %s: type '%s' is not a plain SQL type", opt, p->type);
        sw_err_hint(err, "use letters, digits, '_', spaces, parentheses and commas, e.g. "
                         "text, varchar(100), numeric(10, 2), timestamp with time zone");
        return SW_EINVAL;
    }
    if (p->recipe == GENERATE_ADD_NOT_NULL_COLUMN) {
        int rc = generate_check_default(p->default_sql, err);
        if (rc != 0) {
            return rc;
        }
    }
    if (!generate_ident_ok(p->key, strlen(p->key))) {
        return generate_ident_error("--key", p->key, strlen(p->key), err);
    }
    if (p->batch_size < 1 || p->batch_size > GENERATE_BATCH_MAX) {
        return sw_err_set(err, SW_EINVAL, "new: --batch-size must be between 1 and %d",
                          GENERATE_BATCH_MAX);
    }
    return 0;
}

int generate_object_name(const char *const *parts, size_t n_parts, char out[GENERATE_IDENT_MAX + 1],
                         struct sw_err *err)
{
    struct sw_strbuf sb;
    char hex[CHECKSUM_HEX_LEN + 1];
    sw_strbuf_init(&sb, 16u * GENERATE_IDENT_MAX);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_parts; i++) {
        rc = sw_strbuf_printf(&sb, err, "%s%s", i > 0 ? "_" : "", parts[i]);
    }
    if (rc == 0 && sb.len <= GENERATE_IDENT_MAX) {
        snprintf(out, GENERATE_IDENT_MAX + 1, "%s", sw_strbuf_str(&sb));
    } else if (rc == 0 && (rc = checksum_sha256_hex_raw(sb.buf, sb.len, hex, err)) == 0) {
        snprintf(out, GENERATE_IDENT_MAX + 1, "%.*s_%.8s", GENERATE_NAME_CUT, sb.buf, hex);
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

/* ---- template expansion ---------------------------------------------------------------- */

enum generate_var_id {
    GV_TABLE,
    GV_COLUMN,
    GV_NEW,
    GV_TYPE,
    GV_DEFAULT,
    GV_KEY,
    GV_BATCH,
    GV_V1,
    GV_V2,
    GV_V3,
    GV_ENGINE,
    GV_ARGS,
    GV_PLAN,
    GV_FN,
    GV_TRG_INS,
    GV_TRG_UPD,
    GV_TRG_UPD_NEW,
    GV_TRG_UPD_OLD,
    GV_PROC,
    GV_PROC_OLD,
    GV_CHECK,
    GV_RETIRED,
    GV_COUNT
};

static const char *const generate_var_names[GV_COUNT] = {
    [GV_TABLE] = "table",
    [GV_COLUMN] = "column",
    [GV_NEW] = "new",
    [GV_TYPE] = "type",
    [GV_DEFAULT] = "default",
    [GV_KEY] = "key",
    [GV_BATCH] = "batch",
    [GV_V1] = "v1",
    [GV_V2] = "v2",
    [GV_V3] = "v3",
    [GV_ENGINE] = "engine",
    [GV_ARGS] = "args",
    [GV_PLAN] = "plan",
    [GV_FN] = "fn",
    [GV_TRG_INS] = "trg_ins",
    [GV_TRG_UPD] = "trg_upd",
    [GV_TRG_UPD_NEW] = "trg_upd_new",
    [GV_TRG_UPD_OLD] = "trg_upd_old",
    [GV_PROC] = "proc",
    [GV_PROC_OLD] = "proc_old",
    [GV_CHECK] = "check",
    [GV_RETIRED] = "retired",
};

/* Values of the placeholders; borrowed pointers into the context's buffers. */
struct generate_ctx {
    const char *vars[GV_COUNT];
    char batch[16];
    char names[GV_COUNT][GENERATE_IDENT_MAX + 1];
    char args[GENERATE_ARGS_MAX];
    struct sw_strbuf plan;
};

static int generate_expand(const struct generate_ctx *c, const char *tpl, struct sw_strbuf *out,
                           struct sw_err *err)
{
    int rc = 0;
    const char *p = tpl;
    while (rc == 0 && *p != '\0') {
        const char *open = strchr(p, '{');
        if (open == NULL) {
            return sw_strbuf_puts(out, p, err);
        }
        rc = sw_strbuf_append(out, p, (size_t)(open - p), err);
        const char *close = strchr(open, '}');
        if (rc != 0 || close == NULL) {
            return rc != 0 ? rc : sw_err_set(err, SW_EINTERNAL, "template: unclosed '{'");
        }
        size_t len = (size_t)(close - open - 1);
        size_t id = 0;
        while (id < GV_COUNT && (strlen(generate_var_names[id]) != len ||
                                 strncmp(generate_var_names[id], open + 1, len) != 0)) {
            id++;
        }
        if (id == GV_COUNT || c->vars[id] == NULL) {
            return sw_err_set(err, SW_EINTERNAL, "template: unknown placeholder '{%.*s}'", (int)len,
                              open + 1);
        }
        rc = sw_strbuf_puts(out, c->vars[id], err);
        p = close + 1;
    }
    return rc;
}

/* A value as the user would type it in a shell. */
static void generate_shell_word(const char *s, char *out, size_t cap)
{
    bool plain = true;
    for (const char *q = s; *q != '\0'; q++) {
        plain = plain && (generate_is_alpha(*q) || generate_is_digit(*q) || *q == '.' ||
                          *q == ':' || *q == '-');
    }
    snprintf(out, cap, plain ? "%s" : "\"%s\"", s);
}

static void generate_make_args(const struct generate_params *p, struct generate_ctx *c)
{
    char type[GENERATE_TYPE_MAX + 3], def[GENERATE_DEFAULT_MAX + 3], extra[96] = "";
    generate_shell_word(p->type, type, sizeof type);
    generate_shell_word(p->default_sql, def, sizeof def);
    if (strcmp(p->key, "id") != 0 || p->batch_size != GENERATE_BATCH_DEFAULT) {
        snprintf(extra, sizeof extra, " --key %s --batch-size %d", p->key, p->batch_size);
    }
    switch (p->recipe) {
    case GENERATE_RENAME_COLUMN:
        snprintf(c->args, sizeof c->args, "--rename-column %s.%s:%s --type %s%s", p->table,
                 p->column, p->new_name, type, extra);
        return;
    case GENERATE_RENAME_TABLE:
        snprintf(c->args, sizeof c->args, "--rename-table %s:%s", p->table, p->new_name);
        return;
    case GENERATE_ADD_NOT_NULL_COLUMN:
        snprintf(c->args, sizeof c->args, "--add-not-null-column %s.%s %s %s%s", p->table,
                 p->column, type, def, extra);
        return;
    case GENERATE_RECIPE_COUNT:
        break;
    }
    c->args[0] = '\0';
}

/* Object names: trigger, function, procedure and constraint names derived from the input. */
static int generate_make_names(struct generate_ctx *c, struct sw_err *err)
{
    static const struct {
        enum generate_var_id id;
        const char *prefix, *suffix;
        enum generate_var_id a, b, d; /* GV_COUNT = unused */
    } rules[] = {
        {GV_FN, "sw_sync", NULL, GV_TABLE, GV_COLUMN, GV_NEW},
        {GV_TRG_INS, "sw_sync", "ins", GV_TABLE, GV_COLUMN, GV_NEW},
        {GV_TRG_UPD, "sw_sync", "upd", GV_TABLE, GV_COLUMN, GV_NEW},
        {GV_TRG_UPD_NEW, "sw_sync", "upd_new", GV_TABLE, GV_COLUMN, GV_NEW},
        {GV_TRG_UPD_OLD, "sw_sync", "upd_old", GV_TABLE, GV_COLUMN, GV_NEW},
        {GV_PROC, "sw_backfill", NULL, GV_TABLE, GV_NEW, GV_COUNT},
        {GV_PROC_OLD, "sw_backfill", NULL, GV_TABLE, GV_COLUMN, GV_COUNT},
        {GV_CHECK, NULL, "not_null", GV_TABLE, GV_COLUMN, GV_COUNT},
        {GV_RETIRED, "sw_retired", NULL, GV_NEW, GV_COUNT, GV_COUNT},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const char *parts[5];
        size_t n = 0;
        if (rules[i].prefix != NULL) {
            parts[n++] = rules[i].prefix;
        }
        const enum generate_var_id from[3] = {rules[i].a, rules[i].b, rules[i].d};
        for (size_t k = 0; k < 3; k++) {
            if (from[k] != GV_COUNT) {
                parts[n++] = c->vars[from[k]];
            }
        }
        if (rules[i].suffix != NULL) {
            parts[n++] = rules[i].suffix;
        }
        int rc = generate_object_name(parts, n, c->names[rules[i].id], err);
        if (rc != 0) {
            return rc;
        }
        c->vars[rules[i].id] = c->names[rules[i].id];
    }
    return 0;
}

static int generate_ctx_init(struct generate_ctx *c, const struct generate_params *p,
                             const char *const *versions, struct sw_err *err)
{
    memset(c, 0, sizeof *c);
    sw_strbuf_init(&c->plan, GENERATE_PLAN_MAX);
    snprintf(c->batch, sizeof c->batch, "%d", p->batch_size);
    c->vars[GV_TABLE] = p->table;
    c->vars[GV_COLUMN] = p->column;
    c->vars[GV_NEW] = p->new_name;
    c->vars[GV_TYPE] = p->type;
    c->vars[GV_DEFAULT] = p->default_sql;
    c->vars[GV_KEY] = p->key;
    c->vars[GV_BATCH] = c->batch;
    size_t n_versions = generate_recipe_versions(p->recipe);
    for (size_t i = 0; i < n_versions; i++) {
        c->vars[GV_V1 + i] = versions[i];
    }
    generate_make_args(p, c);
    c->vars[GV_ARGS] = c->args;
    return generate_make_names(c, err);
}

static int generate_add_file(struct generate_output *out, const char *name, struct sw_strbuf *sb,
                             struct sw_err *err)
{
    if (out->n_files >= GENERATE_MAX_FILES) {
        return sw_err_set(err, SW_EINTERNAL, "generator: more than %u files",
                          (unsigned)GENERATE_MAX_FILES);
    }
    struct generate_file *f = &out->files[out->n_files];
    f->name = strdup(name);
    if (f->name == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    f->len = sb->len;
    f->text = sw_strbuf_take(sb);
    out->n_files++;
    return 0;
}

/* The lowercase file description of a phase; SW_EINVAL when too long for a file name. */
static int generate_slug(const struct generate_ctx *c, const char *tpl, char *out, size_t cap,
                         struct sw_err *err)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, 4u * MIGSET_DESCRIPTION_MAX);
    int rc = generate_expand(c, tpl, &sb, err);
    if (rc == 0 && sb.len > MIGSET_DESCRIPTION_MAX) {
        sw_err_set(err, SW_EINVAL, "new: the file description '%s' is longer than %d characters",
                   sw_strbuf_str(&sb), MIGSET_DESCRIPTION_MAX);
        sw_err_hint(err, "use shorter names, or write the recipe by hand");
        rc = SW_EINVAL;
    }
    for (size_t i = 0; rc == 0 && i <= sb.len && i < cap; i++) {
        char ch = sw_strbuf_str(&sb)[i];
        out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

/* One version's V and U file for one engine. */
static int generate_phase_files(struct generate_ctx *c, const struct generate_tpl_phase *ph,
                                const char *version, enum migset_engine e,
                                struct generate_output *out, struct sw_err *err)
{
    char slug[MIGSET_DESCRIPTION_MAX + 1];
    char name[GENERATE_FNAME_MAX];
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, GENERATE_FILE_MAX);
    int rc = generate_slug(c, ph->slug, slug, sizeof slug, err);
    if (rc == 0 && (rc = generate_expand(c, ph->up[e], &sb, err)) == 0) {
        snprintf(name, sizeof name, "V%s__%s.%s.sql", version, slug, migset_engine_name(e));
        rc = generate_add_file(out, name, &sb, err);
    }
    if (rc == 0 && (rc = generate_expand(c, ph->down[e], &sb, err)) == 0) {
        snprintf(name, sizeof name, "U%s__%s.%s.sql", version, slug, migset_engine_name(e));
        rc = generate_add_file(out, name, &sb, err);
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

int generate_render(const struct generate_params *p, unsigned engine_mask,
                    const char *const *versions, struct generate_output *out, struct sw_err *err)
{
    const struct generate_tpl_recipe *r = generate_tpl_recipe(p->recipe);
    struct generate_ctx c;
    int rc = generate_params_check(p, err);
    if (rc == 0) {
        rc = generate_ctx_init(&c, p, versions, err);
    } else {
        memset(&c, 0, sizeof c);
    }
    for (size_t i = 0; rc == 0 && i < r->n_phases; i++) {
        for (int e = 0; rc == 0 && e < MIGSET_ENGINE_COUNT; e++) {
            if ((engine_mask & (1u << e)) == 0) {
                continue;
            }
            c.vars[GV_ENGINE] = generate_engine_title[e];
            c.vars[GV_PLAN] = NULL;
            sw_strbuf_reset(&c.plan);
            rc = generate_expand(&c, r->plan, &c.plan, err);
            c.vars[GV_PLAN] = sw_strbuf_str(&c.plan);
            if (rc == 0) {
                rc = generate_phase_files(&c, &r->phases[i], versions[i], (enum migset_engine)e,
                                          out, err);
            }
        }
    }
    sw_strbuf_cleanup(&c.plan);
    return rc;
}

void generate_output_cleanup(struct generate_output *out)
{
    for (size_t i = 0; i < out->n_files; i++) {
        free(out->files[i].name);
        free(out->files[i].text);
    }
    out->n_files = 0;
}
