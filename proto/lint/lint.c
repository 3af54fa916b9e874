/*
 * The linter's driver: splits a file with its engine's rules, hands each statement
 * to the engine's recogniser and turns what they report into findings, applying the
 * file's acknowledgements and the down-file rule.
 */
#include "sw/lint.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint_impl.h"
#include "sqlsplit/sqlsplit.h"

#define LINT_MESSAGE_MAX 512

bool lint_names_has(const struct lint_names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcasecmp(s->items[i], name) == 0) {
            return true;
        }
    }
    return false;
}

int lint_names_add(struct lint_names *s, const char *name, size_t len, struct sw_err *err)
{
    if (len >= LINT_NAME_MAX) {
        len = LINT_NAME_MAX - 1;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **items = realloc(s->items, cap * sizeof *items);
        if (items == NULL) {
            return sw_err_set(err, SW_ENOMEM, "lint: out of memory");
        }
        s->items = items;
        s->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return sw_err_set(err, SW_ENOMEM, "lint: out of memory");
    }
    memcpy(copy, name, len);
    copy[len] = '\0';
    s->items[s->n++] = copy;
    return 0;
}

void lint_names_cleanup(struct lint_names *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i]);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

void lint_report_init(struct lint_report *r)
{
    memset(r, 0, sizeof *r);
}

static void lint_finding_cleanup(struct lint_finding *f)
{
    free(f->file);
    free(f->statement);
    free(f->message);
}

void lint_report_cleanup(struct lint_report *r)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        lint_finding_cleanup(&r->findings[i]);
    }
    free(r->findings);
    memset(r, 0, sizeof *r);
}

bool lint_report_is_clean(const struct lint_report *r)
{
    return r->n_errors == 0 && r->n_warnings == 0;
}

/* The statement with runs of whitespace folded to one space, cut at LINT_EXCERPT_MAX. */
static char *lint_excerpt(const char *s, size_t len)
{
    char *out = malloc(LINT_EXCERPT_MAX + 4);
    if (out == NULL) {
        return NULL;
    }
    size_t n = 0;
    bool space = false;
    bool cut = false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
            space = n > 0;
            continue;
        }
        if (n + (space ? 2 : 1) > LINT_EXCERPT_MAX) {
            cut = true;
            break;
        }
        if (space) {
            out[n++] = ' ';
        }
        space = false;
        out[n++] = ch;
    }
    if (cut) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* Which directive, if any, acknowledges a finding of `rule` in this file. */
static void lint_acknowledge(const struct lint_ctx *c, const struct lint_rule *rule,
                             struct lint_finding *f)
{
    const struct directive_set *d = c->directives;
    for (size_t i = 0; i < d->n_allows; i++) {
        if (strcmp(d->allows[i].rule_id, rule->id) == 0) {
            f->acknowledged = true;
            snprintf(f->ack_directive, sizeof f->ack_directive, "allow");
            snprintf(f->ack_reason, sizeof f->ack_reason, "%s", d->allows[i].reason);
            return;
        }
    }
    if (rule->cls == LINT_CLASS_DESTRUCTIVE && d->destructive_ok) {
        f->acknowledged = true;
        snprintf(f->ack_directive, sizeof f->ack_directive, "destructive-ok");
        snprintf(f->ack_reason, sizeof f->ack_reason, "%s", d->destructive_reason);
    }
}

static struct lint_finding *lint_report_push(struct lint_report *r)
{
    if (r->n_findings == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct lint_finding *nf = realloc(r->findings, cap * sizeof *nf);
        if (nf == NULL) {
            return NULL;
        }
        r->findings = nf;
        r->cap = cap;
    }
    struct lint_finding *f = &r->findings[r->n_findings++];
    memset(f, 0, sizeof *f);
    return f;
}

static void lint_count(struct lint_report *r, enum lint_severity s)
{
    switch (s) {
    case LINT_SEVERITY_INFO:
        r->n_infos++;
        return;
    case LINT_SEVERITY_WARNING:
        r->n_warnings++;
        return;
    case LINT_SEVERITY_ERROR:
        r->n_errors++;
        return;
    case LINT_SEVERITY_COUNT:
        assert(!"severity COUNT is not a severity");
        return;
    }
}

static void lint_fill(const struct lint_ctx *c, const struct lint_rule *rule,
                      enum lint_severity severity, struct lint_finding *f)
{
    f->rule_id = rule->id;
    f->cls = rule->cls;
    f->engine = c->engine;
    f->line = c->stmt_line;
    f->in_down_file = c->is_down;
    f->why = rule->why[c->engine] != NULL ? rule->why[c->engine] : rule->title;
    f->safe = rule->safe[c->engine] != NULL ? rule->safe[c->engine] : "";
    if (c->version != NULL) {
        f->version = *c->version;
        version_format(c->version, f->version_text, sizeof f->version_text);
    }
    lint_acknowledge(c, rule, f);
    f->severity = (f->acknowledged || c->is_down) ? LINT_SEVERITY_INFO : severity;
}

static int lint_emit_va(struct lint_ctx *c, const char *rule_id, enum lint_severity severity,
                        const char *fmt, va_list ap)
{
    const struct lint_rule *rule = lint_rule_find(rule_id);
    assert(rule != NULL);
    if (c->out->n_findings >= LINT_MAX_FINDINGS) {
        return SW_ETOOBIG; /* lint_stmt_rc words it */
    }
    struct lint_finding *f = lint_report_push(c->out);
    if (f == NULL) {
        return SW_ENOMEM;
    }
    char msg[LINT_MESSAGE_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    lint_fill(c, rule, severity == LINT_SEVERITY_RULE ? rule->severity : severity, f);
    f->file = strdup(c->file_name);
    f->message = strdup(msg);
    f->statement = lint_excerpt(c->sql + c->stmt_offset, c->stmt_len);
    if (f->file == NULL || f->message == NULL || f->statement == NULL) {
        return SW_ENOMEM; /* the finding stays; cleanup frees what was allocated */
    }
    lint_count(c->out, f->severity);
    return 0;
}

int lint_emit(struct lint_ctx *c, const char *rule_id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = lint_emit_va(c, rule_id, LINT_SEVERITY_RULE, fmt, ap);
    va_end(ap);
    return rc;
}

int lint_emit_as(struct lint_ctx *c, const char *rule_id, enum lint_severity severity,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = lint_emit_va(c, rule_id, severity, fmt, ap);
    va_end(ap);
    return rc;
}

/* An `allow` must name a rule: a typo would otherwise acknowledge nothing, silently. */
static int lint_check_allows(const struct lint_ctx *c, struct sw_err *err)
{
    const struct directive_set *d = c->directives;
    for (size_t i = 0; i < d->n_allows; i++) {
        if (lint_rule_find(d->allows[i].rule_id) != NULL) {
            continue;
        }
        sw_err_set(err, SW_EINVAL, "%s:%d: allow: unknown lint rule '%s'", c->file_name,
                   d->allows[i].line, d->allows[i].rule_id);
        char ids[SW_ERR_HINT_MAX - 32] = "";
        size_t n = 0;
        for (size_t r = 0; r < lint_rule_count() && n < sizeof ids; r++) {
            int w = snprintf(ids + n, sizeof ids - n, "%s%s", r ? ", " : "", lint_rule_at(r)->id);
            n += w > 0 ? (size_t)w : 0;
        }
        sw_err_hint(err, "rules: %s", ids);
        return SW_EINVAL;
    }
    return 0;
}

static int lint_dispatch(struct lint_ctx *c, struct sw_err *err)
{
    switch (c->engine) {
    case MIGSET_ENGINE_PG:
        return lint_pg_stmt(c, err);
    case MIGSET_ENGINE_MYSQL:
        return lint_mysql_stmt(c, err);
    case MIGSET_ENGINE_SQLITE:
        return lint_sqlite_stmt(c, err);
    case MIGSET_ENGINE_COUNT:
        break;
    }
    return sw_err_set(err, SW_EINTERNAL, "lint: engine %d has no recogniser", (int)c->engine);
}

static int lint_stmt_rc(const struct lint_ctx *c, int rc, struct sw_err *err)
{
    if (rc == SW_ETOOBIG) {
        sw_err_set(err, SW_ETOOBIG, "%s: more than %u lint findings", c->file_name,
                   LINT_MAX_FINDINGS);
    } else if (rc == SW_ENOMEM) {
        sw_err_set(err, SW_ENOMEM, "%s: out of memory while linting", c->file_name);
    }
    return rc;
}

/* Splits c->sql (NUL-terminated at len) and reads every statement. */
static int lint_run(struct lint_ctx *c, size_t len, struct sw_err *err)
{
    struct sqlsplit_result split = {0};
    int rc = lint_check_allows(c, err);
    if (rc != 0) {
        goto out;
    }
    rc = sqlsplit_split(c->engine, c->sql, len, &split, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s", c->file_name);
        goto out;
    }
    c->out->n_files++;
    c->stmts = split.stmts;
    c->n_stmts = split.n_stmts;
    for (size_t i = 0; i < split.n_stmts; i++) {
        c->stmt_idx = i;
        c->stmt_offset = split.stmts[i].offset;
        c->stmt_len = split.stmts[i].len;
        c->stmt_line = split.stmts[i].line;
        c->out->n_statements++;
        rc = lint_stmt_rc(c, lint_dispatch(c, err), err);
        if (rc != 0) {
            goto out;
        }
    }
out:
    sqlsplit_result_cleanup(&split);
    lint_names_cleanup(&c->new_tables);
    lint_names_cleanup(&c->validated);
    lint_names_cleanup(&c->not_valid);
    lint_names_cleanup(&c->dropped_tables);
    return rc;
}

int lint_sql(enum migset_engine engine, const char *file_name, const char *sql, size_t len,
             struct lint_report *out, struct sw_err *err)
{
    struct directive_set d = {0};
    char *copy = NULL;
    int rc = directive_parse_named(file_name, sql, len, &d, err);
    if (rc != 0) {
        goto out;
    }
    copy = malloc(len + 1);
    if (copy == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "%s: out of memory", file_name);
        goto out;
    }
    memcpy(copy, sql, len);
    copy[len] = '\0';
    struct lint_ctx c = {.engine = engine,
                         .file_name = file_name,
                         .sql = copy,
                         .directives = &d,
                         .is_down = file_name[0] == 'U',
                         .out = out};
    rc = lint_run(&c, len, err);
out:
    free(copy);
    return rc;
}

int lint_file(enum migset_engine engine, const struct migset_file *file,
              const struct version *version, struct lint_report *out, struct sw_err *err)
{
    struct lint_ctx c = {.engine = engine,
                         .file_name = file->name,
                         .sql = file->sql,
                         .directives = &file->directives,
                         .is_down = file->dir == MIGSET_DOWN,
                         .version = version,
                         .out = out};
    return lint_run(&c, file->sql_len, err);
}

int lint_step(const struct migset_step *step, unsigned engine_mask, struct lint_report *out,
              struct sw_err *err)
{
    static const enum migset_dir dirs[] = {MIGSET_UP, MIGSET_DOWN};
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        if ((engine_mask & LINT_ENGINE_BIT(e)) == 0) {
            continue;
        }
        for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
            const struct migset_file *f = migset_step_file(step, dirs[d], (enum migset_engine)e);
            int rc = f != NULL ? lint_file((enum migset_engine)e, f, &step->version, out, err) : 0;
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

int lint_set(const struct migset *set, unsigned engine_mask, struct lint_report *out,
             struct sw_err *err)
{
    for (size_t i = 0; i < migset_count(set); i++) {
        int rc = lint_step(migset_step_at(set, i), engine_mask, out, err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

const char *lint_finding_headline(const struct lint_finding *f, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s:%d %s %s %s (%s)", f->file, f->line, f->rule_id, lint_class_name(f->cls),
             lint_severity_name(f->severity), migset_engine_name(f->engine));
    return buf;
}
