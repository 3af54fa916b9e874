/*
 * SQLite rules on the tokenizer: drops and renames, ADD COLUMN forms SQLite refuses,
 * VACUUM, and the table rebuild (create new, copy, drop old, rename new to old),
 * which is reported once as a rebuild instead of as a drop and a rename.
 */
#include <string.h>
#include <strings.h>

#include "lint_impl.h"
#include "lint_tok.h"

struct lite_stmt {
    struct lint_ctx *c;
    const struct lint_toks *tk;
    char table[LINT_NAME_MAX];
};

static bool lite_is_new(const struct lite_stmt *st, const char *name)
{
    return lint_names_has(&st->c->new_tables, name);
}

/* Whether statement k renames a table created in this file to `name`. */
static bool lite_renames_to(struct lint_ctx *c, size_t k, const char *name)
{
    struct lint_toks tk = {0};
    if (lint_tokenize(MIGSET_ENGINE_SQLITE, c->sql + c->stmts[k].offset, c->stmts[k].len, &tk,
                      NULL) != 0) {
        return false;
    }
    size_t i = 2;
    char from[LINT_NAME_MAX];
    char to[LINT_NAME_MAX];
    bool ok = lint_tok_is(&tk, 0, "ALTER") && lint_tok_is(&tk, 1, "TABLE") &&
              lint_tok_qname(&tk, &i, from, sizeof from) && lint_tok_is(&tk, i, "RENAME") &&
              lint_tok_is(&tk, i + 1, "TO");
    i += 2;
    ok = ok && lint_tok_qname(&tk, &i, to, sizeof to) && strcasecmp(to, name) == 0;
    lint_toks_cleanup(&tk);
    return ok;
}

/* A later statement of the file renames a new table to `name`: a rebuild. */
static bool lite_is_rebuild(struct lint_ctx *c, const char *name)
{
    for (size_t k = c->stmt_idx + 1; k < c->n_stmts; k++) {
        if (lite_renames_to(c, k, name)) {
            return true;
        }
    }
    return false;
}

static int lite_drop(struct lite_stmt *st, size_t i, struct sw_err *err)
{
    const struct lint_toks *tk = st->tk;
    if (!lint_tok_is(tk, i, "TABLE")) {
        return 0;
    }
    i += lint_tok_is(tk, i + 1, "IF") ? 3 : 1;
    char name[LINT_NAME_MAX];
    if (!lint_tok_qname(tk, &i, name, sizeof name) || lite_is_new(st, name)) {
        return 0;
    }
    if (lite_is_rebuild(st->c, name)) {
        int rc = lint_names_add(&st->c->dropped_tables, name, strlen(name), err);
        return rc != 0 ? rc
                       : lint_emit(st->c, "table-rebuild",
                                   "rebuilds table %s (copy, drop, rename the copy)", name);
    }
    return lint_emit(st->c, "drop-table", "drops table %s", name);
}

/* ALTER TABLE t ADD [COLUMN] def. */
static int lite_add(struct lite_stmt *st, size_t i)
{
    const struct lint_toks *tk = st->tk;
    i += lint_tok_is(tk, i, "COLUMN") ? 1 : 0;
    char col[LINT_NAME_MAX];
    lint_tok_text(tk, i, col, sizeof col);
    bool not_null = false;
    bool has_default = false;
    const char *non_constant = NULL;
    for (size_t k = i; k < tk->n; k++) {
        if (tk->t[k].depth != 0) {
            continue;
        }
        not_null = not_null || (lint_tok_is(tk, k, "NOT") && lint_tok_is(tk, k + 1, "NULL"));
        if (!lint_tok_is(tk, k, "DEFAULT")) {
            continue;
        }
        has_default = true;
        if (lint_tok_punct(tk, k + 1, '(')) {
            non_constant = "an expression";
        } else if (lint_tok_is(tk, k + 1, "CURRENT_TIMESTAMP") ||
                   lint_tok_is(tk, k + 1, "CURRENT_TIME") ||
                   lint_tok_is(tk, k + 1, "CURRENT_DATE")) {
            non_constant = "a time";
        }
    }
    if (not_null && !has_default) {
        return lint_emit(st->c, "add-not-null-column",
                         "adds column %s.%s NOT NULL without a default", st->table, col);
    }
    if (non_constant != NULL) {
        return lint_emit(st->c, "add-column-volatile-default",
                         "adds column %s.%s with %s as its default", st->table, col, non_constant);
    }
    return 0;
}

static int lite_rename(struct lite_stmt *st, size_t i)
{
    const struct lint_toks *tk = st->tk;
    char a[LINT_NAME_MAX];
    char b[LINT_NAME_MAX];
    if (lint_tok_is(tk, i, "TO")) {
        i++;
        if (!lint_tok_qname(tk, &i, b, sizeof b) ||
            (lite_is_new(st, st->table) && lint_names_has(&st->c->dropped_tables, b))) {
            return 0; /* the rename that ends a rebuild */
        }
        return lite_is_new(st, st->table)
                   ? 0
                   : lint_emit(st->c, "rename-table", "renames table %s to %s", st->table, b);
    }
    i += lint_tok_is(tk, i, "COLUMN") ? 1 : 0;
    lint_tok_text(tk, i, a, sizeof a);
    lint_tok_text(tk, i + 2, b, sizeof b);
    return lite_is_new(st, st->table)
               ? 0
               : lint_emit(st->c, "rename-column", "renames column %s.%s to %s", st->table, a, b);
}

static int lite_alter(struct lite_stmt *st, size_t i)
{
    const struct lint_toks *tk = st->tk;
    if (!lint_tok_is(tk, i, "TABLE")) {
        return 0;
    }
    i++;
    if (!lint_tok_qname(tk, &i, st->table, sizeof st->table)) {
        return 0;
    }
    if (lint_tok_is(tk, i, "RENAME")) {
        return lite_rename(st, i + 1);
    }
    if (lint_tok_is(tk, i, "ADD")) {
        return lite_add(st, i + 1); /* refused by SQLite even on a new, empty table */
    }
    if (lite_is_new(st, st->table)) {
        return 0;
    }
    if (lint_tok_is(tk, i, "DROP")) {
        char col[LINT_NAME_MAX];
        lint_tok_text(tk, i + (lint_tok_is(tk, i + 1, "COLUMN") ? 2 : 1), col, sizeof col);
        return lint_emit(st->c, "drop-column", "drops column %s.%s", st->table, col);
    }
    return 0;
}

static int lite_create(struct lite_stmt *st, size_t i, struct sw_err *err)
{
    const struct lint_toks *tk = st->tk;
    if (lint_tok_is(tk, i, "TEMP") || lint_tok_is(tk, i, "TEMPORARY")) {
        i++;
    }
    if (!lint_tok_is(tk, i, "TABLE")) {
        return 0;
    }
    i += lint_tok_is(tk, i + 1, "IF") ? 4 : 1;
    char name[LINT_NAME_MAX];
    return lint_tok_qname(tk, &i, name, sizeof name)
               ? lint_names_add(&st->c->new_tables, name, strlen(name), err)
               : 0;
}

int lint_sqlite_stmt(struct lint_ctx *c, struct sw_err *err)
{
    struct lint_toks tk = {0};
    int rc = lint_tokenize(MIGSET_ENGINE_SQLITE, c->sql + c->stmt_offset, c->stmt_len, &tk, err);
    if (rc != 0) {
        return rc;
    }
    struct lite_stmt st = {.c = c, .tk = &tk};
    if (lint_tok_is(&tk, 0, "CREATE")) {
        rc = lite_create(&st, 1, err);
    } else if (lint_tok_is(&tk, 0, "DROP")) {
        rc = lite_drop(&st, 1, err);
    } else if (lint_tok_is(&tk, 0, "ALTER")) {
        rc = lite_alter(&st, 1);
    } else if (lint_tok_is(&tk, 0, "VACUUM")) {
        rc = lint_emit(c, "vacuum-full", "VACUUM rewrites the database file");
    }
    lint_toks_cleanup(&tk);
    return rc;
}
