/*
 * PostgreSQL rules, read from libpg_query's parse tree (the real PostgreSQL 15
 * grammar) as JSON. Objects created earlier in the same file are new and empty, so
 * locking rules do not apply to them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "lint_impl.h"
#include "lint_tok.h"

/* Functions whose value differs per row: a default calling one rewrites the table. */
static const char *const pg_volatile_funcs[] = {
    "random",
    "random_normal",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "setval",
    "lastval",
    "currval",
};
/* Stable or immutable functions seen in defaults: evaluated once, no rewrite. */
static const char *const pg_stable_funcs[] = {
    "now",
    "statement_timestamp",
    "transaction_timestamp",
    "current_setting",
    "lower",
    "upper",
    "concat",
    "length",
    "to_timestamp",
    "to_char",
    "date_trunc",
    "make_date",
    "make_interval",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array_fill",
    "md5",
    "current_database",
    "current_schema",
    "timezone",
    "btrim",
    "replace",
};

enum pg_volatility { PG_VOL_NONE, PG_VOL_UNKNOWN, PG_VOL_VOLATILE };

static const char *pg_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool pg_is(const json_t *o, const char *key, const char *value)
{
    const char *s = pg_str(o, key);
    return s != NULL && strcmp(s, value) == 0;
}

static bool pg_true(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

/* The last String of a name list ([{"String":{"sval":"pg_catalog"}}, ...]). */
static const char *pg_last_name(const json_t *names)
{
    size_t n = json_array_size(names);
    if (n == 0) {
        return NULL;
    }
    return pg_str(json_object_get(json_array_get(names, n - 1), "String"), "sval");
}

static bool pg_in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static enum pg_volatility pg_func_volatility(const char *name)
{
    if (pg_in(name, pg_volatile_funcs, sizeof pg_volatile_funcs / sizeof pg_volatile_funcs[0])) {
        return PG_VOL_VOLATILE;
    }
    if (pg_in(name, pg_stable_funcs, sizeof pg_stable_funcs / sizeof pg_stable_funcs[0])) {
        return PG_VOL_NONE;
    }
    return PG_VOL_UNKNOWN;
}

/* The most volatile function called anywhere in an expression tree; *name its name. */
static enum pg_volatility pg_expr_volatility(const json_t *node, const char **name)
{
    enum pg_volatility worst = PG_VOL_NONE;
    if (json_is_array(node)) {
        size_t i;
        const json_t *v;
        json_array_foreach(node, i, v)
        {
            const char *n = NULL;
            enum pg_volatility vol = pg_expr_volatility(v, &n);
            if (vol > worst) {
                worst = vol;
                *name = n;
            }
        }
        return worst;
    }
    if (!json_is_object(node)) {
        return PG_VOL_NONE;
    }
    const json_t *call = json_object_get(node, "FuncCall");
    const char *fname = call != NULL ? pg_last_name(json_object_get(call, "funcname")) : NULL;
    if (fname != NULL) {
        worst = pg_func_volatility(fname);
        *name = fname;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)node, key, v)
    {
        const char *n = NULL;
        enum pg_volatility vol = pg_expr_volatility(v, &n);
        if (vol > worst) {
            worst = vol;
            *name = n;
        }
    }
    return worst;
}

static const char *pg_relname(const json_t *rangevar)
{
    const char *s = pg_str(rangevar, "relname");
    return s != NULL ? s : "?";
}

static bool pg_is_new(const struct lint_ctx *c, const char *rel)
{
    return lint_names_has(&c->new_tables, rel);
}

static int pg_concurrently(struct lint_ctx *c, const char *what)
{
    if (c->directives->no_transaction) {
        return 0;
    }
    return lint_emit(c, "concurrently-in-transaction",
                     "%s CONCURRENTLY in a file without '-- shardwave: no-transaction'", what);
}

static int pg_drop(struct lint_ctx *c, const json_t *d)
{
    const json_t *objs = json_object_get(d, "objects");
    size_t i;
    const json_t *o;
    int rc = 0;
    json_array_foreach(objs, i, o)
    {
        const json_t *list = json_object_get(json_object_get(o, "List"), "items");
        const char *name =
            list != NULL ? pg_last_name(list) : pg_str(json_object_get(o, "String"), "sval");
        name = name != NULL ? name : "?";
        if (pg_is_new(c, name)) {
            continue;
        }
        if (pg_is(d, "removeType", "OBJECT_TABLE")) {
            rc = lint_emit(c, "drop-table", "drops table %s", name);
        } else if (pg_is(d, "removeType", "OBJECT_SCHEMA")) {
            rc = lint_emit(c, "drop-schema", "drops schema %s", name);
        } else if (pg_is(d, "removeType", "OBJECT_INDEX") && pg_true(d, "concurrent")) {
            rc = pg_concurrently(c, "DROP INDEX");
        } else if (pg_is(d, "removeType", "OBJECT_INDEX")) {
            rc = lint_emit(c, "drop-index-blocking", "drops index %s without CONCURRENTLY", name);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int pg_index(struct lint_ctx *c, const json_t *ix, struct sw_err *err)
{
    const char *rel = pg_relname(json_object_get(ix, "relation"));
    const char *idx = pg_str(ix, "idxname");
    if (idx != NULL) {
        int rc = lint_names_add(&c->new_tables, idx, strlen(idx), err);
        if (rc != 0) {
            return rc;
        }
    }
    if (pg_true(ix, "concurrent")) {
        return pg_concurrently(c, "CREATE INDEX");
    }
    if (pg_is_new(c, rel)) {
        return 0;
    }
    return lint_emit(c, "create-index-blocking", "builds %sindex %s on %s without CONCURRENTLY",
                     pg_true(ix, "unique") ? "unique " : "", idx != NULL ? idx : "(unnamed)", rel);
}

static int pg_rename(struct lint_ctx *c, const json_t *r)
{
    const char *rel = pg_relname(json_object_get(r, "relation"));
    const char *to = pg_str(r, "newname");
    if (pg_is_new(c, rel)) {
        return 0;
    }
    if (pg_is(r, "renameType", "OBJECT_TABLE")) {
        return lint_emit(c, "rename-table", "renames table %s to %s", rel, to ? to : "?");
    }
    if (pg_is(r, "renameType", "OBJECT_COLUMN") && pg_is(r, "relationType", "OBJECT_TABLE")) {
        const char *col = pg_str(r, "subname");
        return lint_emit(c, "rename-column", "renames column %s.%s to %s", rel, col ? col : "?",
                         to ? to : "?");
    }
    return 0;
}

static int pg_truncate(struct lint_ctx *c, const json_t *t)
{
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(t, "relations"), i, o)
    {
        const char *rel = pg_relname(json_object_get(o, "RangeVar"));
        int rc = pg_is_new(c, rel) ? 0 : lint_emit(c, "truncate", "empties table %s", rel);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* A DefElem boolean option is on unless its argument says false/off/0. */
static bool pg_option_on(const json_t *defelem)
{
    const json_t *arg = json_object_get(defelem, "arg");
    if (arg == NULL) {
        return true;
    }
    const char *s = pg_str(json_object_get(arg, "String"), "sval");
    if (s != NULL) {
        return strcmp(s, "false") != 0 && strcmp(s, "off") != 0;
    }
    const json_t *ival = json_object_get(json_object_get(arg, "Integer"), "ival");
    if (json_object_get(arg, "Integer") != NULL) {
        return json_integer_value(ival) != 0;
    }
    return !json_is_false(json_object_get(json_object_get(arg, "Boolean"), "boolval"));
}

static bool pg_has_option(const json_t *options, const char *name)
{
    size_t i;
    const json_t *o;
    json_array_foreach(options, i, o)
    {
        const json_t *de = json_object_get(o, "DefElem");
        if (pg_is(de, "defname", name) && pg_option_on(de)) {
            return true;
        }
    }
    return false;
}

static int pg_vacuum(struct lint_ctx *c, const json_t *v)
{
    if (!pg_true(v, "is_vacuumcmd") || !pg_has_option(json_object_get(v, "options"), "full")) {
        return 0;
    }
    const json_t *rels = json_object_get(v, "rels");
    const json_t *first = json_object_get(json_array_get(rels, 0), "VacuumRelation");
    const char *rel = first != NULL ? pg_relname(json_object_get(first, "relation")) : NULL;
    if (rel != NULL && json_array_size(rels) == 1 && pg_is_new(c, rel)) {
        return 0;
    }
    return lint_emit(c, "vacuum-full", "VACUUM FULL of %s", rel != NULL ? rel : "every table");
}

static int pg_cluster(struct lint_ctx *c, const json_t *cl)
{
    const json_t *rv = json_object_get(cl, "relation");
    if (rv != NULL && pg_is_new(c, pg_relname(rv))) {
        return 0;
    }
    return lint_emit(c, "cluster", "CLUSTER of %s", rv != NULL ? pg_relname(rv) : "every table");
}

static int pg_add_new(struct lint_ctx *c, const json_t *rangevar, struct sw_err *err)
{
    const char *rel = pg_str(rangevar, "relname");
    return rel != NULL ? lint_names_add(&c->new_tables, rel, strlen(rel), err) : 0;
}

/* ---- ALTER TABLE ---- */

struct pg_alter {
    const char *rel;
    bool is_new; /* created in this file: only destructive rules apply */
};

static int pg_alter_type(struct lint_ctx *c, const struct pg_alter *a, const json_t *cmd)
{
    const json_t *def = json_object_get(json_object_get(cmd, "def"), "ColumnDef");
    const json_t *tn = json_object_get(def, "typeName");
    const char *type = pg_last_name(json_object_get(tn, "names"));
    type = type != NULL ? type : "?";
    bool unbounded = json_array_size(json_object_get(tn, "typmods")) == 0;
    bool no_using = json_object_get(def, "raw_default") == NULL;
    /* To text or unbounded varchar: binary-coercible from the text types, no rewrite. */
    if (no_using && unbounded && (strcmp(type, "text") == 0 || strcmp(type, "varchar") == 0)) {
        return 0;
    }
    const char *col = pg_str(cmd, "name");
    return lint_emit(c, "change-column-type", "changes the type of %s.%s to %s", a->rel,
                     col ? col : "?", type);
}

/* The column definition's constraints, summarised. */
struct pg_coldef {
    bool not_null;
    bool has_default;
    bool generated; /* identity, stored generated, serial */
    const char *gen_what;
    const json_t *default_expr;
    const char *unique_kind; /* "UNIQUE" / "PRIMARY KEY" / NULL */
    bool references;
    bool check;
};

static void pg_coldef_read(const json_t *def, struct pg_coldef *cd)
{
    const char *type = pg_last_name(json_object_get(json_object_get(def, "typeName"), "names"));
    if (type != NULL && (strcmp(type, "serial") == 0 || strcmp(type, "bigserial") == 0 ||
                         strcmp(type, "smallserial") == 0 || strcmp(type, "serial4") == 0 ||
                         strcmp(type, "serial8") == 0 || strcmp(type, "serial2") == 0)) {
        cd->generated = true;
        cd->gen_what = type;
    }
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(def, "constraints"), i, o)
    {
        const json_t *k = json_object_get(o, "Constraint");
        if (pg_is(k, "contype", "CONSTR_NOTNULL")) {
            cd->not_null = true;
        } else if (pg_is(k, "contype", "CONSTR_DEFAULT")) {
            cd->has_default = true;
            cd->default_expr = json_object_get(k, "raw_expr");
        } else if (pg_is(k, "contype", "CONSTR_IDENTITY")) {
            cd->generated = true;
            cd->gen_what = "an identity column";
        } else if (pg_is(k, "contype", "CONSTR_GENERATED")) {
            cd->generated = true;
            cd->gen_what = "a stored generated column";
        } else if (pg_is(k, "contype", "CONSTR_PRIMARY")) {
            cd->not_null = true;
            cd->unique_kind = "PRIMARY KEY";
        } else if (pg_is(k, "contype", "CONSTR_UNIQUE")) {
            cd->unique_kind = "UNIQUE";
        } else if (pg_is(k, "contype", "CONSTR_FOREIGN")) {
            cd->references = true;
        } else if (pg_is(k, "contype", "CONSTR_CHECK")) {
            cd->check = true;
        }
    }
}

static int pg_add_column_default(struct lint_ctx *c, const struct pg_alter *a, const char *col,
                                 const struct pg_coldef *cd)
{
    if (cd->generated) {
        return lint_emit(c, "add-column-volatile-default",
                         "adds column %s.%s as %s: every row is written", a->rel, col,
                         cd->gen_what);
    }
    const char *fn = NULL;
    enum pg_volatility vol =
        cd->default_expr ? pg_expr_volatility(cd->default_expr, &fn) : PG_VOL_NONE;
    switch (vol) {
    case PG_VOL_NONE:
        return 0;
    case PG_VOL_VOLATILE:
        return lint_emit(c, "add-column-volatile-default",
                         "adds column %s.%s with volatile default %s()", a->rel, col, fn);
    case PG_VOL_UNKNOWN:
        return lint_emit_as(c, "add-column-volatile-default", LINT_SEVERITY_WARNING,
                            "adds column %s.%s with a default calling %s(), whose volatility "
                            "shardwave cannot see",
                            a->rel, col, fn);
    }
    return 0;
}

static int pg_add_column(struct lint_ctx *c, const struct pg_alter *a, const json_t *cmd)
{
    const json_t *def = json_object_get(json_object_get(cmd, "def"), "ColumnDef");
    struct pg_coldef cd = {0};
    pg_coldef_read(def, &cd);
    const char *col = pg_str(def, "colname");
    col = col != NULL ? col : "?";
    int rc = 0;
    if (cd.not_null && !cd.has_default && !cd.generated) {
        rc = lint_emit(c, "add-not-null-column", "adds column %s.%s NOT NULL without a default",
                       a->rel, col);
    }
    if (rc == 0) {
        rc = pg_add_column_default(c, a, col, &cd);
    }
    if (rc == 0 && cd.unique_kind != NULL) {
        rc = lint_emit(c, "add-unique-constraint", "adds column %s.%s with an inline %s", a->rel,
                       col, cd.unique_kind);
    }
    if (rc == 0 && cd.references) {
        rc = lint_emit(c, "add-foreign-key", "adds column %s.%s with an inline REFERENCES", a->rel,
                       col);
    }
    if (rc == 0 && cd.check) {
        rc = lint_emit(c, "add-check-constraint", "adds column %s.%s with an inline CHECK", a->rel,
                       col);
    }
    return rc;
}

static int pg_add_constraint(struct lint_ctx *c, const struct pg_alter *a, const json_t *cmd,
                             struct sw_err *err)
{
    const json_t *k = json_object_get(json_object_get(cmd, "def"), "Constraint");
    const char *name = pg_str(k, "conname");
    bool is_fk = pg_is(k, "contype", "CONSTR_FOREIGN");
    bool is_check = pg_is(k, "contype", "CONSTR_CHECK");
    char key[LINT_NAME_MAX];
    if ((is_fk || is_check) && pg_true(k, "skip_validation")) {
        /* NOT VALID: remember it, a VALIDATE in this same transaction defeats it. */
        snprintf(key, sizeof key, "%c:%s", is_fk ? 'f' : 'c', name != NULL ? name : "");
        return name != NULL ? lint_names_add(&c->not_valid, key, strlen(key), err) : 0;
    }
    if (is_fk || is_check) {
        return lint_emit(c, is_fk ? "add-foreign-key" : "add-check-constraint",
                         "adds %s %s on %s without NOT VALID", is_fk ? "foreign key" : "check",
                         name != NULL ? name : "(unnamed)", a->rel);
    }
    bool is_pk = pg_is(k, "contype", "CONSTR_PRIMARY");
    if ((is_pk || pg_is(k, "contype", "CONSTR_UNIQUE")) && pg_str(k, "indexname") == NULL) {
        return lint_emit(c, "add-unique-constraint", "adds %s %s on %s without USING INDEX",
                         is_pk ? "primary key" : "unique constraint",
                         name != NULL ? name : "(unnamed)", a->rel);
    }
    return 0;
}

static int pg_validate(struct lint_ctx *c, const struct pg_alter *a, const json_t *cmd,
                       struct sw_err *err)
{
    const char *name = pg_str(cmd, "name");
    int rc = lint_names_add(&c->validated, a->rel, strlen(a->rel), err);
    if (rc != 0 || name == NULL || c->directives->no_transaction) {
        return rc;
    }
    char fk[LINT_NAME_MAX];
    char ck[LINT_NAME_MAX];
    snprintf(fk, sizeof fk, "f:%s", name);
    snprintf(ck, sizeof ck, "c:%s", name);
    bool is_fk = lint_names_has(&c->not_valid, fk);
    if (!is_fk && !lint_names_has(&c->not_valid, ck)) {
        return 0;
    }
    return lint_emit(c, is_fk ? "add-foreign-key" : "add-check-constraint",
                     "validates %s in the transaction that added it NOT VALID: the check runs "
                     "under the ADD's lock",
                     name);
}

static int pg_alter_cmd(struct lint_ctx *c, const struct pg_alter *a, const json_t *cmd,
                        struct sw_err *err)
{
    const char *col = pg_str(cmd, "name");
    col = col != NULL ? col : "?";
    if (pg_is(cmd, "subtype", "AT_DropColumn")) {
        return lint_emit(c, "drop-column", "drops column %s.%s", a->rel, col);
    }
    if (pg_is(cmd, "subtype", "AT_ValidateConstraint")) {
        return pg_validate(c, a, cmd, err);
    }
    if (a->is_new) {
        return 0;
    }
    if (pg_is(cmd, "subtype", "AT_AlterColumnType")) {
        return pg_alter_type(c, a, cmd);
    }
    if (pg_is(cmd, "subtype", "AT_SetNotNull") && !lint_names_has(&c->validated, a->rel)) {
        return lint_emit(c, "set-not-null", "sets %s.%s NOT NULL", a->rel, col);
    }
    if (pg_is(cmd, "subtype", "AT_AddColumn")) {
        return pg_add_column(c, a, cmd);
    }
    if (pg_is(cmd, "subtype", "AT_AddConstraint")) {
        return pg_add_constraint(c, a, cmd, err);
    }
    return 0;
}

static int pg_alter_table(struct lint_ctx *c, const json_t *at, struct sw_err *err)
{
    if (!pg_is(at, "objtype", "OBJECT_TABLE")) {
        return 0;
    }
    struct pg_alter a = {.rel = pg_relname(json_object_get(at, "relation"))};
    if (pg_is_new(c, a.rel)) {
        a.is_new = true;
    }
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(at, "cmds"), i, o)
    {
        int rc = pg_alter_cmd(c, &a, json_object_get(o, "AlterTableCmd"), err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int pg_reindex(struct lint_ctx *c, const json_t *r)
{
    return pg_has_option(json_object_get(r, "params"), "concurrently")
               ? pg_concurrently(c, "REINDEX")
               : 0;
}

static int pg_node(struct lint_ctx *c, const json_t *stmt, struct sw_err *err)
{
    const json_t *n;
    if ((n = json_object_get(stmt, "DropStmt")) != NULL) {
        return pg_drop(c, n);
    }
    if ((n = json_object_get(stmt, "IndexStmt")) != NULL) {
        return pg_index(c, n, err);
    }
    if ((n = json_object_get(stmt, "AlterTableStmt")) != NULL) {
        return pg_alter_table(c, n, err);
    }
    if ((n = json_object_get(stmt, "RenameStmt")) != NULL) {
        return pg_rename(c, n);
    }
    if ((n = json_object_get(stmt, "TruncateStmt")) != NULL) {
        return pg_truncate(c, n);
    }
    if ((n = json_object_get(stmt, "VacuumStmt")) != NULL) {
        return pg_vacuum(c, n);
    }
    if ((n = json_object_get(stmt, "ClusterStmt")) != NULL) {
        return pg_cluster(c, n);
    }
    if ((n = json_object_get(stmt, "ReindexStmt")) != NULL) {
        return pg_reindex(c, n);
    }
    if ((n = json_object_get(stmt, "CreateStmt")) != NULL) {
        return pg_add_new(c, json_object_get(n, "relation"), err);
    }
    if ((n = json_object_get(stmt, "CreateTableAsStmt")) != NULL) {
        return pg_add_new(c, json_object_get(json_object_get(n, "into"), "rel"), err);
    }
    return 0;
}

/* An unparsed CREATE TABLE still creates a table the rest of the file may index:
 * remember its name (read with the tokenizer, PostgreSQL quotes like SQLite's). */
static int pg_unparsed_create(struct lint_ctx *c, struct sw_err *err)
{
    struct lint_toks tk = {0};
    int rc = lint_tokenize(MIGSET_ENGINE_SQLITE, c->sql + c->stmt_offset, c->stmt_len, &tk, err);
    size_t i = 1;
    while (rc == 0 && (lint_tok_is(&tk, i, "TEMP") || lint_tok_is(&tk, i, "TEMPORARY") ||
                       lint_tok_is(&tk, i, "UNLOGGED"))) {
        i++;
    }
    char name[LINT_NAME_MAX];
    if (rc == 0 && lint_tok_is(&tk, 0, "CREATE") && lint_tok_is(&tk, i, "TABLE")) {
        i += lint_tok_is(&tk, i + 1, "IF") ? 4 : 1;
        if (lint_tok_qname(&tk, &i, name, sizeof name)) {
            rc = lint_names_add(&c->new_tables, name, strlen(name), err);
        }
    }
    lint_toks_cleanup(&tk);
    return rc;
}

/* A parser message without the "at or near" tail, which quotes the rest of the script. */
static int pg_unparsed(struct lint_ctx *c, const char *msg, struct sw_err *err)
{
    const char *near = strstr(msg, " at or near ");
    int len = near != NULL ? (int)(near - msg) : (int)strlen(msg);
    int rc = pg_unparsed_create(c, err);
    return rc != 0 ? rc : lint_emit(c, "unparsed-statement", "the parser says: %.*s", len, msg);
}

int lint_pg_stmt(struct lint_ctx *c, struct sw_err *err)
{
    char *text = strndup(c->sql + c->stmt_offset, c->stmt_len);
    json_t *tree = NULL;
    PgQueryParseResult res = {0};
    int rc = 0;
    if (text == NULL) {
        rc = SW_ENOMEM;
        goto out;
    }
    res = pg_query_parse(text);
    if (res.error != NULL) {
        rc = pg_unparsed(c, res.error->message != NULL ? res.error->message : "syntax error", err);
        goto out;
    }
    json_error_t jerr;
    tree = json_loads(res.parse_tree, 0, &jerr);
    if (tree == NULL) {
        rc = sw_err_set(err, SW_EINTERNAL, "%s:%d: cannot read the parse tree: %s (line %d)",
                        c->file_name, c->stmt_line, jerr.text, jerr.line);
        goto out;
    }
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(tree, "stmts"), i, s)
    {
        rc = pg_node(c, json_object_get(s, "stmt"), err);
        if (rc != 0) {
            goto out;
        }
    }
out:
    json_decref(tree);
    pg_query_free_parse_result(res);
    free(text);
    return rc;
}
