/*
 * MySQL/MariaDB rules on a tokenizer-level recogniser: it reads the statement
 * shapes that matter (ALTER TABLE specifications, CREATE INDEX, DROP, RENAME,
 * TRUNCATE, SET foreign_key_checks) and nothing else. It cannot see the table's
 * current definition, so a MODIFY that only widens a VARCHAR looks like any other
 * MODIFY; stating ALGORITHM/LOCK makes the server the judge (docs/safe-migrations.md).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lint_impl.h"
#include "lint_tok.h"

/* Non-constant defaults: computed per row, in a table copy. */
static const char *const my_volatile_words[] = {
    "CURRENT_TIMESTAMP", "NOW",          "LOCALTIME",    "LOCALTIMESTAMP", "UUID",
    "UUID_SHORT",        "RAND",         "SYSDATE",      "UTC_TIMESTAMP",  "CURDATE",
    "CURTIME",           "CURRENT_DATE", "CURRENT_TIME",
};

struct my_stmt {
    struct lint_ctx *c;
    const struct lint_toks *tk;
    char table[LINT_NAME_MAX];
    bool is_new;
    bool pinned;        /* ALGORITHM=INSTANT, or LOCK=NONE and not ALGORITHM=COPY */
    const char *forced; /* "ALGORITHM=COPY" / "LOCK=SHARED" / "LOCK=EXCLUSIVE" or NULL */
    bool needs_pin;     /* a specification that is not metadata-only */
    size_t n_before;    /* report size before this statement */
};

/* A specification: tokens [from, to) of an ALTER TABLE, at parenthesis depth `depth`. */
struct my_spec {
    size_t from;
    size_t to;
    int depth;
};

static bool my_in(const struct lint_toks *tk, size_t i, const char *const *words, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (lint_tok_is(tk, i, words[k])) {
            return true;
        }
    }
    return false;
}

/* Whether `word` occurs at depth `depth` in [from, to). */
static bool my_has(const struct lint_toks *tk, const struct my_spec *sp, const char *word)
{
    for (size_t i = sp->from; i < sp->to; i++) {
        if (tk->t[i].depth == sp->depth && lint_tok_is(tk, i, word)) {
            return true;
        }
    }
    return false;
}

/* Whether "first second" occurs at the spec's depth. */
static bool my_has2(const struct lint_toks *tk, const struct my_spec *sp, const char *first,
                    const char *second)
{
    for (size_t i = sp->from; i + 1 < sp->to; i++) {
        if (tk->t[i].depth == sp->depth && lint_tok_is(tk, i, first) &&
            lint_tok_is(tk, i + 1, second)) {
            return true;
        }
    }
    return false;
}

/* ALGORITHM [=] x and LOCK [=] x anywhere at depth 0. */
static void my_read_options(struct my_stmt *st)
{
    const struct lint_toks *tk = st->tk;
    bool instant = false;
    bool lock_none = false;
    bool copy = false;
    for (size_t i = 0; i + 1 < tk->n; i++) {
        bool alg = lint_tok_is(tk, i, "ALGORITHM");
        if (tk->t[i].depth != 0 || (!alg && !lint_tok_is(tk, i, "LOCK"))) {
            continue;
        }
        size_t v = lint_tok_punct(tk, i + 1, '=') ? i + 2 : i + 1;
        if (alg) {
            instant = instant || lint_tok_is(tk, v, "INSTANT");
            copy = copy || lint_tok_is(tk, v, "COPY");
            st->forced = lint_tok_is(tk, v, "COPY") ? "ALGORITHM=COPY" : st->forced;
        } else {
            lock_none = lock_none || lint_tok_is(tk, v, "NONE");
            st->forced = lint_tok_is(tk, v, "SHARED")      ? "LOCK=SHARED"
                         : lint_tok_is(tk, v, "EXCLUSIVE") ? "LOCK=EXCLUSIVE"
                                                           : st->forced;
        }
    }
    st->pinned = !copy && (instant || lock_none);
}

static int my_copy(struct my_stmt *st, const char *what)
{
    if (st->pinned) {
        return 0;
    }
    return lint_emit(st->c, "alter-table-copy", "%s copies table %s", what, st->table);
}

/* A column definition: name at sp->from, then type and attributes. */
static int my_coldef(struct my_stmt *st, const struct my_spec *sp)
{
    const struct lint_toks *tk = st->tk;
    char col[LINT_NAME_MAX];
    lint_tok_text(tk, sp->from, col, sizeof col);
    bool has_default = my_has(tk, sp, "DEFAULT") || my_has(tk, sp, "AUTO_INCREMENT");
    bool stored = my_has(tk, sp, "STORED") || my_has(tk, sp, "PERSISTENT");
    const char *volatile_what = my_has(tk, sp, "AUTO_INCREMENT") ? "AUTO_INCREMENT"
                                : stored                         ? "a stored generated value"
                                                                 : NULL;
    for (size_t i = sp->from; i + 1 < sp->to && volatile_what == NULL; i++) {
        if (tk->t[i].depth != sp->depth || !lint_tok_is(tk, i, "DEFAULT")) {
            continue;
        }
        if (lint_tok_punct(tk, i + 1, '(')) {
            volatile_what = "an expression default";
        } else if (my_in(tk, i + 1, my_volatile_words,
                         sizeof my_volatile_words / sizeof my_volatile_words[0])) {
            volatile_what = "a non-constant default";
        }
    }
    int rc = 0;
    if (my_has2(tk, sp, "NOT", "NULL") && !has_default && !stored) {
        rc = lint_emit(st->c, "add-not-null-column", "adds column %s.%s NOT NULL without a default",
                       st->table, col);
    }
    if (rc == 0 && volatile_what != NULL && !st->pinned) {
        rc = lint_emit(st->c, "add-column-volatile-default", "adds column %s.%s with %s", st->table,
                       col, volatile_what);
    }
    if (rc == 0 && (my_has(tk, sp, "UNIQUE") || my_has2(tk, sp, "PRIMARY", "KEY")) && !st->pinned) {
        rc = lint_emit(st->c, "add-unique-constraint", "adds column %s.%s with an inline key",
                       st->table, col);
    }
    st->needs_pin = st->needs_pin || my_has(tk, sp, "FIRST") || my_has(tk, sp, "AFTER");
    return rc;
}

/* ADD (a INT, b INT): each definition inside the parentheses. */
static int my_coldefs(struct my_stmt *st, size_t open, size_t to)
{
    int depth = st->tk->t[open].depth + 1;
    size_t from = open + 1;
    for (size_t i = from; i <= to; i++) {
        bool end = i == to || lint_tok_punct(st->tk, i, ')') || lint_tok_punct(st->tk, i, ',');
        if (!end || (i < to && st->tk->t[i].depth != depth)) {
            continue;
        }
        struct my_spec d = {.from = from, .to = i, .depth = depth};
        int rc = d.to > d.from ? my_coldef(st, &d) : 0;
        if (rc != 0 || i == to || lint_tok_punct(st->tk, i, ')')) {
            return rc;
        }
        from = i + 1;
    }
    return 0;
}

static int my_add_index(struct my_stmt *st, size_t kw, const char *kind)
{
    bool blocking = lint_tok_is(st->tk, kw, "FULLTEXT") || lint_tok_is(st->tk, kw, "SPATIAL");
    if (blocking) {
        return lint_emit(st->c, "create-index-blocking",
                         "adds a %s index on %s: it blocks writes whatever LOCK says", kind,
                         st->table);
    }
    if (st->pinned) {
        return 0;
    }
    return lint_emit(st->c, "create-index-blocking", "adds an index on %s without LOCK=NONE",
                     st->table);
}

static int my_add_constraint(struct my_stmt *st, const struct my_spec *sp, size_t j)
{
    const struct lint_toks *tk = st->tk;
    if (lint_tok_is(tk, j, "UNIQUE") || lint_tok_is(tk, j, "PRIMARY")) {
        return st->pinned
                   ? 0
                   : lint_emit(st->c, "add-unique-constraint", "adds a %s on %s without LOCK=NONE",
                               lint_tok_is(tk, j, "UNIQUE") ? "unique key" : "primary key",
                               st->table);
    }
    if (lint_tok_is(tk, j, "FOREIGN")) {
        return st->c->fk_checks_off
                   ? 0
                   : lint_emit(st->c, "add-foreign-key",
                               "adds a foreign key on %s with foreign_key_checks on", st->table);
    }
    if (lint_tok_is(tk, j, "CHECK")) {
        return my_has2(tk, sp, "NOT", "ENFORCED")
                   ? 0
                   : lint_emit(st->c, "add-check-constraint", "adds an enforced check on %s",
                               st->table);
    }
    st->needs_pin = true;
    return 0;
}

static int my_add(struct my_stmt *st, const struct my_spec *sp)
{
    const struct lint_toks *tk = st->tk;
    size_t j = sp->from + 1;
    if (lint_tok_is(tk, j, "COLUMN")) {
        j++;
    }
    if (lint_tok_punct(tk, j, '(')) {
        return my_coldefs(st, j, sp->to);
    }
    if (lint_tok_is(tk, j, "INDEX") || lint_tok_is(tk, j, "KEY") ||
        lint_tok_is(tk, j, "FULLTEXT") || lint_tok_is(tk, j, "SPATIAL")) {
        char kind[32];
        lint_tok_text(tk, j, kind, sizeof kind);
        return my_add_index(st, j, kind);
    }
    if (lint_tok_is(tk, j, "PARTITION")) {
        return my_copy(st, "ADD PARTITION");
    }
    if (lint_tok_is(tk, j, "CONSTRAINT")) {
        j++;
        bool named = lint_tok_is_name(tk, j) && !lint_tok_is(tk, j, "UNIQUE") &&
                     !lint_tok_is(tk, j, "PRIMARY") && !lint_tok_is(tk, j, "FOREIGN") &&
                     !lint_tok_is(tk, j, "CHECK");
        return my_add_constraint(st, sp, named ? j + 1 : j);
    }
    if (lint_tok_is(tk, j, "UNIQUE") || lint_tok_is(tk, j, "PRIMARY") ||
        lint_tok_is(tk, j, "FOREIGN") || lint_tok_is(tk, j, "CHECK")) {
        return my_add_constraint(st, sp, j);
    }
    struct my_spec d = {.from = j, .to = sp->to, .depth = sp->depth};
    return j < sp->to ? my_coldef(st, &d) : 0;
}

static int my_drop(struct my_stmt *st, const struct my_spec *sp)
{
    const struct lint_toks *tk = st->tk;
    size_t j = sp->from + 1;
    if (lint_tok_is(tk, j, "PRIMARY")) {
        return my_copy(st, "DROP PRIMARY KEY");
    }
    if (lint_tok_is(tk, j, "PARTITION")) {
        return lint_emit(st->c, "drop-table", "drops partitions of %s (their rows are gone)",
                         st->table);
    }
    if (lint_tok_is(tk, j, "INDEX") || lint_tok_is(tk, j, "KEY") || lint_tok_is(tk, j, "FOREIGN") ||
        lint_tok_is(tk, j, "CONSTRAINT") || lint_tok_is(tk, j, "CHECK")) {
        return 0; /* metadata only */
    }
    if (lint_tok_is(tk, j, "COLUMN")) {
        j++;
    }
    if (lint_tok_is(tk, j, "IF") && lint_tok_is(tk, j + 1, "EXISTS")) {
        j += 2;
    }
    char col[LINT_NAME_MAX];
    lint_tok_text(tk, j, col, sizeof col);
    return lint_emit(st->c, "drop-column", "drops column %s.%s", st->table, col);
}

static int my_rename(struct my_stmt *st, const struct my_spec *sp)
{
    const struct lint_toks *tk = st->tk;
    size_t j = sp->from + 1;
    if (lint_tok_is(tk, j, "INDEX") || lint_tok_is(tk, j, "KEY")) {
        return 0;
    }
    if (lint_tok_is(tk, j, "COLUMN")) {
        char from[LINT_NAME_MAX];
        char to[LINT_NAME_MAX];
        lint_tok_text(tk, j + 1, from, sizeof from);
        lint_tok_text(tk, j + 3, to, sizeof to);
        return lint_emit(st->c, "rename-column", "renames column %s.%s to %s", st->table, from, to);
    }
    if (lint_tok_is(tk, j, "TO") || lint_tok_is(tk, j, "AS")) {
        j++;
    }
    char to[LINT_NAME_MAX];
    if (!lint_tok_qname(tk, &j, to, sizeof to)) {
        snprintf(to, sizeof to, "?");
    }
    return lint_emit(st->c, "rename-table", "renames table %s to %s", st->table, to);
}

/* MODIFY [COLUMN] c def / CHANGE [COLUMN] old new def; def starts at `def`. */
static int my_redefine(struct my_stmt *st, const struct my_spec *sp, size_t name, size_t def)
{
    const struct lint_toks *tk = st->tk;
    char col[LINT_NAME_MAX];
    lint_tok_text(tk, name, col, sizeof col);
    int rc = 0;
    if (def > name + 1) { /* CHANGE old new */
        char to[LINT_NAME_MAX];
        lint_tok_text(tk, name + 1, to, sizeof to);
        if (strcasecmp(col, to) != 0) {
            rc =
                lint_emit(st->c, "rename-column", "renames column %s.%s to %s", st->table, col, to);
        }
    }
    if (rc != 0 || st->pinned) {
        return rc;
    }
    struct my_spec d = {.from = def, .to = sp->to, .depth = sp->depth};
    if (my_has2(tk, &d, "NOT", "NULL")) {
        return lint_emit(st->c, "set-not-null", "redefines column %s.%s as NOT NULL", st->table,
                         col);
    }
    return lint_emit(st->c, "change-column-type", "redefines column %s.%s (type and attributes)",
                     st->table, col);
}

static int my_alter_col(struct my_stmt *st, const struct my_spec *sp)
{
    const struct lint_toks *tk = st->tk;
    size_t j = sp->from + 1;
    bool enforce = my_has(tk, sp, "ENFORCED") && !my_has2(tk, sp, "NOT", "ENFORCED");
    if ((lint_tok_is(tk, j, "CHECK") || lint_tok_is(tk, j, "CONSTRAINT")) && enforce) {
        return lint_emit(st->c, "add-check-constraint", "enforces a check on %s", st->table);
    }
    return 0; /* SET/DROP DEFAULT, [IN]VISIBLE, ALTER INDEX: metadata only */
}

static int my_spec(struct my_stmt *st, const struct my_spec *sp)
{
    const struct lint_toks *tk = st->tk;
    size_t w = sp->from;
    size_t col = lint_tok_is(tk, w + 1, "COLUMN") ? w + 2 : w + 1;
    if (lint_tok_is(tk, w, "ADD")) {
        return my_add(st, sp);
    }
    if (lint_tok_is(tk, w, "DROP")) {
        return my_drop(st, sp);
    }
    if (lint_tok_is(tk, w, "RENAME")) {
        return my_rename(st, sp);
    }
    if (lint_tok_is(tk, w, "MODIFY")) {
        return my_redefine(st, sp, col, col + 1);
    }
    if (lint_tok_is(tk, w, "CHANGE")) {
        return my_redefine(st, sp, col, col + 2);
    }
    if (lint_tok_is(tk, w, "ALTER")) {
        return my_alter_col(st, sp);
    }
    if (lint_tok_is(tk, w, "CONVERT")) {
        return my_copy(st, "CONVERT TO CHARACTER SET");
    }
    static const char *const rebuilds[] = {"ENGINE",    "FORCE",  "ROW_FORMAT", "ORDER",
                                           "PARTITION", "REMOVE", "COALESCE",   "REORGANIZE",
                                           "EXCHANGE",  "REBUILD"};
    if (my_in(tk, w, rebuilds, sizeof rebuilds / sizeof rebuilds[0])) {
        char what[32];
        lint_tok_text(tk, w, what, sizeof what);
        return my_copy(st, what);
    }
    static const char *const metadata[] = {"ALGORITHM", "LOCK",      "COMMENT", "AUTO_INCREMENT",
                                           "DEFAULT",   "CHARACTER", "CHARSET", "COLLATE",
                                           "DISCARD",   "IMPORT"};
    st->needs_pin = st->needs_pin || !my_in(tk, w, metadata, sizeof metadata / sizeof metadata[0]);
    return 0;
}

static int my_alter_specs(struct my_stmt *st, size_t from)
{
    const struct lint_toks *tk = st->tk;
    size_t start = from;
    for (size_t i = from; i <= tk->n; i++) {
        if (i < tk->n && !(tk->t[i].depth == 0 && lint_tok_punct(tk, i, ','))) {
            continue;
        }
        struct my_spec sp = {.from = start, .to = i, .depth = 0};
        int rc = sp.to > sp.from ? my_spec(st, &sp) : 0;
        if (rc != 0) {
            return rc;
        }
        start = i + 1;
    }
    return 0;
}

static int my_alter(struct my_stmt *st, size_t i)
{
    const struct lint_toks *tk = st->tk;
    while (lint_tok_is(tk, i, "ONLINE") || lint_tok_is(tk, i, "IGNORE")) {
        i++;
    }
    if (!lint_tok_is(tk, i, "TABLE")) {
        return 0;
    }
    i++;
    if (lint_tok_is(tk, i, "IF") && lint_tok_is(tk, i + 1, "EXISTS")) {
        i += 2;
    }
    if (!lint_tok_qname(tk, &i, st->table, sizeof st->table) ||
        lint_names_has(&st->c->new_tables, st->table)) {
        return 0;
    }
    my_read_options(st);
    int rc = my_alter_specs(st, i);
    if (rc == 0 && st->forced != NULL) {
        return lint_emit(st->c, "alter-table-copy", "%s copies or locks table %s", st->forced,
                         st->table);
    }
    if (rc == 0 && st->needs_pin && !st->pinned && st->c->out->n_findings == st->n_before) {
        return lint_emit_as(st->c, "alter-table-copy", LINT_SEVERITY_WARNING,
                            "ALTER TABLE %s does not state ALGORITHM=INSTANT or LOCK=NONE: the "
                            "server may copy the table",
                            st->table);
    }
    return rc;
}

/* CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX name [USING x] ON table (...) [options]. */
static int my_create_index(struct my_stmt *st, size_t kw)
{
    const struct lint_toks *tk = st->tk;
    size_t i = kw;
    while (i < tk->n && !(tk->t[i].depth == 0 && lint_tok_is(tk, i, "ON"))) {
        i++;
    }
    i++;
    if (!lint_tok_qname(tk, &i, st->table, sizeof st->table) ||
        lint_names_has(&st->c->new_tables, st->table)) {
        return 0;
    }
    my_read_options(st);
    if (lint_tok_is(tk, kw, "UNIQUE") && !st->pinned) {
        return lint_emit(st->c, "add-unique-constraint",
                         "builds a unique index on %s without LOCK=NONE", st->table);
    }
    char kind[32];
    lint_tok_text(tk, kw, kind, sizeof kind);
    return my_add_index(st, kw, lint_tok_is(tk, kw, "INDEX") ? "plain" : kind);
}

static int my_create(struct my_stmt *st, size_t i, struct sw_err *err)
{
    const struct lint_toks *tk = st->tk;
    if (lint_tok_is(tk, i, "OR") && lint_tok_is(tk, i + 1, "REPLACE")) {
        i += 2;
    }
    if (lint_tok_is(tk, i, "TEMPORARY")) {
        i++;
    }
    if (lint_tok_is(tk, i, "TABLE")) {
        i++;
        if (lint_tok_is(tk, i, "IF") && lint_tok_is(tk, i + 2, "EXISTS")) {
            i += 3;
        }
        char name[LINT_NAME_MAX];
        return lint_tok_qname(tk, &i, name, sizeof name)
                   ? lint_names_add(&st->c->new_tables, name, strlen(name), err)
                   : 0;
    }
    size_t kw = i;
    if (lint_tok_is(tk, i, "UNIQUE") || lint_tok_is(tk, i, "FULLTEXT") ||
        lint_tok_is(tk, i, "SPATIAL")) {
        i++;
    }
    return lint_tok_is(tk, i, "INDEX") ? my_create_index(st, kw) : 0;
}

/* DROP TABLE a, b / DROP DATABASE x. */
static int my_drop_stmt(struct my_stmt *st, size_t i)
{
    const struct lint_toks *tk = st->tk;
    char name[LINT_NAME_MAX];
    if (lint_tok_is(tk, i, "DATABASE") || lint_tok_is(tk, i, "SCHEMA")) {
        i += lint_tok_is(tk, i + 1, "IF") ? 3 : 1;
        lint_tok_text(tk, i, name, sizeof name);
        return lint_emit(st->c, "drop-schema", "drops database %s", name);
    }
    if (!lint_tok_is(tk, i, "TABLE")) {
        return 0; /* DROP TEMPORARY TABLE, DROP INDEX (metadata only), DROP VIEW, ... */
    }
    i += lint_tok_is(tk, i + 1, "IF") ? 3 : 1;
    while (lint_tok_qname(tk, &i, name, sizeof name)) {
        int rc = lint_names_has(&st->c->new_tables, name)
                     ? 0
                     : lint_emit(st->c, "drop-table", "drops table %s", name);
        if (rc != 0 || !lint_tok_punct(tk, i, ',')) {
            return rc;
        }
        i++;
    }
    return 0;
}

/* RENAME TABLE a TO b [, c TO d]. */
static int my_rename_stmt(struct my_stmt *st, size_t i)
{
    const struct lint_toks *tk = st->tk;
    if (!lint_tok_is(tk, i, "TABLE")) {
        return 0;
    }
    i++;
    char from[LINT_NAME_MAX];
    char to[LINT_NAME_MAX];
    while (lint_tok_qname(tk, &i, from, sizeof from) && lint_tok_is(tk, i, "TO")) {
        i++;
        if (!lint_tok_qname(tk, &i, to, sizeof to)) {
            return 0;
        }
        int rc = lint_names_has(&st->c->new_tables, from)
                     ? 0
                     : lint_emit(st->c, "rename-table", "renames table %s to %s", from, to);
        if (rc != 0 || !lint_tok_punct(tk, i, ',')) {
            return rc;
        }
        i++;
    }
    return 0;
}

static int my_truncate(struct my_stmt *st, size_t i)
{
    char name[LINT_NAME_MAX];
    if (lint_tok_is(st->tk, i, "TABLE")) {
        i++;
    }
    if (!lint_tok_qname(st->tk, &i, name, sizeof name) ||
        lint_names_has(&st->c->new_tables, name)) {
        return 0;
    }
    return lint_emit(st->c, "truncate", "empties table %s", name);
}

/* SET [SESSION] foreign_key_checks = 0|1 (also @@session.foreign_key_checks). */
static void my_set(struct my_stmt *st)
{
    const struct lint_toks *tk = st->tk;
    for (size_t i = 1; i < tk->n; i++) {
        if (!lint_tok_is(tk, i, "foreign_key_checks")) {
            continue;
        }
        size_t v = lint_tok_punct(tk, i + 1, '=') ? i + 2 : i + 1;
        if (lint_tok_is(tk, v, "0") || lint_tok_is(tk, v, "OFF")) {
            st->c->fk_checks_off = true;
        } else if (lint_tok_is(tk, v, "1") || lint_tok_is(tk, v, "ON")) {
            st->c->fk_checks_off = false;
        }
    }
}

static int my_dispatch(struct my_stmt *st, struct sw_err *err)
{
    const struct lint_toks *tk = st->tk;
    if (lint_tok_is(tk, 0, "ALTER")) {
        return my_alter(st, 1);
    }
    if (lint_tok_is(tk, 0, "CREATE")) {
        return my_create(st, 1, err);
    }
    if (lint_tok_is(tk, 0, "DROP")) {
        return my_drop_stmt(st, 1);
    }
    if (lint_tok_is(tk, 0, "RENAME")) {
        return my_rename_stmt(st, 1);
    }
    if (lint_tok_is(tk, 0, "TRUNCATE")) {
        return my_truncate(st, 1);
    }
    if (lint_tok_is(tk, 0, "SET")) {
        my_set(st);
    }
    return 0;
}

int lint_mysql_stmt(struct lint_ctx *c, struct sw_err *err)
{
    struct lint_toks tk = {0};
    int rc = lint_tokenize(MIGSET_ENGINE_MYSQL, c->sql + c->stmt_offset, c->stmt_len, &tk, err);
    if (rc != 0) {
        return rc;
    }
    struct my_stmt st = {.c = c, .tk = &tk, .n_before = c->out->n_findings};
    rc = my_dispatch(&st, err);
    lint_toks_cleanup(&tk);
    return rc;
}
