/*
 * PostgreSQL driver (libpq). Each script statement runs alone with PQexec, so
 * statements such as CREATE INDEX CONCURRENTLY work outside a transaction block;
 * our own statements use PQexecParams with `?` rewritten to $n.
 */
#include "engine/engine_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sw/log.h"
#include "sw/strbuf.h"

/* The migrator's advisory lock key: the bytes of "shardwav" as a bigint. Advisory
 * locks are per database, so one constant serves every shard on a server. */
#define PG_LOCK_KEY                 "8316003855879332214"
#define PG_CLIENT_CHECK_INTERVAL_MS 1000

struct pg_conn {
    PGconn *pg;
    PGcancel *cancel; /* used from other threads by pg_cancel */
};

static PGconn *pg_of(struct engine *eng)
{
    return ((struct pg_conn *)eng->conn)->pg;
}

static void pg_notice(void *arg, const char *message)
{
    (void)arg;
    size_t len = strlen(message);
    if (len > 0 && message[len - 1] == '\n') {
        len--;
    }
    log_debug("postgres notice: %.*s", (int)len, message);
}

/* Server error (or lost connection) -> our code and "ERROR <sqlstate>: <message>". */
static int pg_result_error(PGconn *pg, const PGresult *r, bool *lock_timeout, struct sw_err *err)
{
    const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
    if (PQstatus(pg) == CONNECTION_BAD || state == NULL || strncmp(state, "08", 2) == 0 ||
        strcmp(state, "57P01") == 0) {
        const char *msg = primary != NULL ? primary : PQerrorMessage(pg);
        int len = (int)strcspn(msg, "\n");
        return sw_err_set(err, SW_ECONNECT, "connection to the server lost: %.*s", len, msg);
    }
    int code = SW_EDB;
    if (strcmp(state, "55P03") == 0) {
        code = SW_ELOCKED;
        if (lock_timeout != NULL) {
            *lock_timeout = true;
        }
    } else if (strcmp(state, "57014") == 0) {
        code = SW_ETIMEOUT;
    }
    char detail_part[SW_ERR_MSG_MAX / 2] = "";
    if (detail != NULL) {
        snprintf(detail_part, sizeof detail_part, " (detail: %s)", detail);
    }
    sw_err_set(err, code, "ERROR %s: %s%s", state, primary != NULL ? primary : "(no message)",
               detail_part);
    if (hint != NULL) {
        sw_err_hint(err, "%s", hint);
    }
    return code;
}

/* Ends a COPY the server started: we have no data stream to offer. */
static void pg_end_copy(PGconn *pg, ExecStatusType st)
{
    if (st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
        PQputCopyEnd(pg, "COPY to or from the client is not supported in migrations");
    }
    char *buf = NULL;
    while (st == PGRES_COPY_OUT && PQgetCopyData(pg, &buf, 0) > 0) {
        PQfreemem(buf);
    }
    PGresult *r;
    while ((r = PQgetResult(pg)) != NULL) {
        PQclear(r);
    }
}

/* Checks a result; on error maps it. Always clears r. */
static int pg_check(PGconn *pg, PGresult *r, bool *lock_timeout, struct sw_err *err)
{
    int rc = 0;
    ExecStatusType st = PQresultStatus(r);
    switch (st) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
        break;
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
        pg_end_copy(pg, st);
        rc = sw_err_set(err, SW_EDB, "COPY to or from the client is not supported in migrations");
        break;
    default:
        rc = pg_result_error(pg, r, lock_timeout, err);
        break;
    }
    PQclear(r);
    return rc;
}

static void pg_close(struct engine *eng)
{
    struct pg_conn *c = eng->conn;
    if (c == NULL) {
        return;
    }
    PQfreeCancel(c->cancel);
    PQfinish(c->pg);
    free(c);
    eng->conn = NULL;
}

static void pg_fill_info(struct engine *eng, PGconn *pg)
{
    const char *ver = PQparameterStatus(pg, "server_version");
    snprintf(eng->server_version, sizeof eng->server_version, "%.*s",
             ver != NULL ? (int)strcspn(ver, " ") : 0, ver != NULL ? ver : "");
    snprintf(eng->database, sizeof eng->database, "%s", PQdb(pg));
}

/* A backend busy in a long statement notices a dead client only when it next
 * talks to it; until then a killed migrator's session (and its advisory lock)
 * lives on. PostgreSQL 14+ can poll the socket during a statement. */
static int pg_watch_client(PGconn *pg, struct sw_err *err)
{
    if (PQserverVersion(pg) < 140000) {
        return 0;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "SET client_connection_check_interval = %d",
             PG_CLIENT_CHECK_INTERVAL_MS);
    int rc = pg_check(pg, PQexec(pg, sql), NULL, err);
    if (rc != 0) {
        sw_err_prefix(err, "setting client_connection_check_interval");
    }
    return rc;
}

static int pg_open(struct engine *eng, const char *dsn, int connect_timeout_ms, struct sw_err *err)
{
    char timeout_s[16];
    snprintf(timeout_s, sizeof timeout_s, "%d", (connect_timeout_ms + 999) / 1000);
    /* ours first: with expand_dbname, values from the DSN override them */
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const vals[] = {timeout_s, "shardwave", dsn, NULL};
    struct pg_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    eng->conn = c;
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (c->pg == NULL) {
        pg_close(eng);
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(c->pg);
        int rc = sw_err_set(err, SW_ECONNECT, "%.*s", (int)strcspn(msg, "\n"), msg);
        pg_close(eng);
        return rc;
    }
    PQsetNoticeProcessor(c->pg, pg_notice, NULL);
    c->cancel = PQgetCancel(c->pg);
    pg_fill_info(eng, c->pg);
    int rc = pg_watch_client(c->pg, err);
    if (rc != 0) {
        pg_close(eng);
    }
    return rc;
}

static int pg_exec(struct engine *eng, const char *sql, struct sw_err *err)
{
    PGconn *pg = pg_of(eng);
    return pg_check(pg, PQexec(pg, sql), NULL, err);
}

/* `?` -> $1, $2, ... (our SQL has no other '?'). */
static int pg_rewrite(const char *sql, struct sw_strbuf *sb, struct sw_err *err)
{
    int n = 0;
    for (const char *p = sql; *p != '\0';) {
        size_t run = strcspn(p, "?");
        int rc = sw_strbuf_append(sb, p, run, err);
        if (rc == 0 && p[run] == '?') {
            rc = sw_strbuf_printf(sb, err, "$%d", ++n);
            run++;
        }
        if (rc != 0) {
            return rc;
        }
        p += run;
    }
    return sw_strbuf_append(sb, "", 0, err);
}

static int pg_collect(const PGresult *r, struct engine_rows **out, struct sw_err *err)
{
    struct engine_rowbuf rb;
    int rc = engine_rowbuf_init(&rb, (size_t)PQnfields(r), err);
    int n_rows = PQntuples(r);
    int n_cols = PQnfields(r);
    for (int i = 0; rc == 0 && i < n_rows; i++) {
        for (int j = 0; rc == 0 && j < n_cols; j++) {
            const char *v = PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
            rc = engine_rowbuf_add(&rb, v, (size_t)PQgetlength(r, i, j), err);
        }
    }
    if (rc == 0) {
        *out = engine_rowbuf_finish(&rb);
    }
    engine_rowbuf_cleanup(&rb);
    return rc;
}

static int pg_query(struct engine *eng, const char *sql, const char *const *params, size_t n_params,
                    struct engine_rows **out, struct sw_err *err)
{
    PGconn *pg = pg_of(eng);
    PGresult *r = NULL;
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, 1024 * 1024);
    int rc = pg_rewrite(sql, &sb, err);
    if (rc != 0) {
        goto out;
    }
    r = PQexecParams(pg, sw_strbuf_str(&sb), (int)n_params, NULL, params, NULL, NULL, 0);
    if (out != NULL && PQresultStatus(r) == PGRES_TUPLES_OK) {
        if ((size_t)PQntuples(r) > ENGINE_ROWS_MAX) {
            rc = sw_err_set(err, SW_ETOOBIG, "query result exceeds %u rows", ENGINE_ROWS_MAX);
            goto out;
        }
        rc = pg_collect(r, out, err);
        if (rc != 0) {
            goto out;
        }
    }
    rc = pg_check(pg, r, NULL, err);
    r = NULL;
out:
    PQclear(r);
    sw_strbuf_cleanup(&sb);
    return rc;
}

/* Fetches a one-value boolean answer ('t' / 'f'). */
static int pg_bool_query(struct engine *eng, const char *sql, const char *param, bool *value,
                         struct sw_err *err)
{
    struct engine_rows *rows = NULL;
    const char *const params[] = {param};
    int rc = pg_query(eng, sql, params, param != NULL ? 1 : 0, &rows, err);
    if (rc == 0) {
        const char *v = engine_rows_get(rows, 0, 0);
        *value = v != NULL && strcmp(v, "t") == 0;
    }
    engine_rows_free(rows);
    return rc;
}

static int pg_try_lock(struct engine *eng, bool *acquired, struct sw_err *err)
{
    return pg_bool_query(eng, "SELECT pg_try_advisory_lock(" PG_LOCK_KEY ")", NULL, acquired, err);
}

static int pg_unlock(struct engine *eng, struct sw_err *err)
{
    bool released = false;
    int rc = pg_bool_query(eng, "SELECT pg_advisory_unlock(" PG_LOCK_KEY ")", NULL, &released, err);
    if (rc == 0 && !released) {
        rc = sw_err_set(err, SW_EINTERNAL, "the migrator lock on %s was not held", eng->database);
    }
    return rc;
}

static int pg_set_timeouts(struct engine *eng, int lock_timeout_ms, int statement_timeout_ms,
                           struct sw_err *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SET lock_timeout = %d; SET statement_timeout = %d", lock_timeout_ms,
             statement_timeout_ms);
    return pg_exec(eng, sql, err);
}

static int pg_exec_stmts(struct engine *eng, const char *script,
                         const struct sqlsplit_result *split, size_t start_idx,
                         struct engine_script_result *res, struct sw_err *err)
{
    PGconn *pg = pg_of(eng);
    for (size_t i = start_idx; i < split->n_stmts; i++) {
        const struct sqlsplit_stmt *st = &split->stmts[i];
        char *sql = strndup(script + st->offset, st->len);
        if (sql == NULL) {
            res->failed_idx = i;
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
        int rc = pg_check(pg, PQexec(pg, sql), &res->lock_timeout, err);
        free(sql);
        if (rc != 0) {
            res->failed_idx = i;
            return rc;
        }
        res->n_done = i + 1;
    }
    return 0;
}

static int pg_table_exists(struct engine *eng, const char *table, bool *exists, struct sw_err *err)
{
    /* the catalog, not information_schema.tables (the same tables, views and foreign
     * tables, several times cheaper for the server; asked on every run) */
    return pg_bool_query(eng,
                         "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN "
                         "pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE n.nspname = current_schema() AND c.relname = ? "
                         "AND c.relkind IN ('r', 'p', 'v', 'f'))",
                         table, exists, err);
}

static int pg_cancel(struct engine *eng, struct sw_err *err)
{
    struct pg_conn *c = eng->conn;
    char buf[256] = "";
    if (c->cancel == NULL) {
        return sw_err_set(err, SW_EUNSUPPORTED, "no cancel handle for this connection");
    }
    if (!PQcancel(c->cancel, buf, (int)sizeof buf)) {
        return sw_err_set(err, SW_ECONNECT, "cannot send the cancel request: %.*s",
                          (int)strcspn(buf, "\n"), buf);
    }
    return 0;
}

/* Schema fingerprint catalog: every schema but the system ones. Sequences owned by a
 * column (serial, identity) are covered by the column's default and identity. User types
 * (enums with their labels, domains, standalone composites, ranges) and schemas other
 * than public add lines only where they exist. */
#define PG_USER_NS                                                                                 \
    " n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
static const struct engine_catalog_query pg_catalog_queries[] = {
    {.kind = "relation",
     .sql = "SELECT c.relname, n.nspname, c.relkind::text, c.relpersistence::text "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND" PG_USER_NS
            "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', "
            "'i')))"},
    {.kind = "column",
     .sql = "SELECT c.relname, n.nspname, a.attname, "
            "row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)::text, "
            "format_type(a.atttypid, a.atttypmod), a.attnotnull::text, "
            "pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, a.attgenerated::text, "
            "co.collname "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
            "LEFT JOIN pg_collation co ON co.oid = a.attcollation "
            "WHERE a.attnum > 0 AND NOT a.attisdropped "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') "
            "AND" PG_USER_NS,
     .position_col = 4},
    {.kind = "index",
     .sql = "SELECT t.relname, n.nspname, i.relname, pg_get_indexdef(i.oid) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE" PG_USER_NS},
    {.kind = "constraint",
     .sql = "SELECT t.relname, n.nspname, k.conname, k.contype::text, pg_get_constraintdef(k.oid, "
            "true) "
            "FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE" PG_USER_NS},
    {.kind = "view",
     .sql = "SELECT c.relname, n.nspname, pg_get_viewdef(c.oid, true) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('v', 'm') AND" PG_USER_NS},
    {.kind = "trigger",
     .sql =
         "SELECT c.relname, n.nspname, t.tgname, pg_get_triggerdef(t.oid, true) "
         "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
         "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND" PG_USER_NS},
    {.kind = "type",
     .sql = "SELECT t.typname, n.nspname, t.typtype::text, CASE t.typtype "
            "WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' "
            "ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) "
            "WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod) "
            "|| CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END "
            "|| coalesce(' DEFAULT ' || t.typdefault, '') "
            "|| coalesce((SELECT ' ' || string_agg(pg_get_constraintdef(k.oid, true), ' ' "
            "ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid), '') "
            "WHEN 'r' THEN format_type(t.oid, NULL) END "
            "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE t.typtype IN ('e', 'd', 'r', 'c') AND (t.typtype <> 'c' OR EXISTS "
            "(SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')) "
            "AND" PG_USER_NS "AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')"},
    {.kind = "schema",
     .sql = "SELECT n.nspname FROM pg_namespace n WHERE" PG_USER_NS "AND n.nspname <> 'public'"},
    {.kind = "routine",
     .sql = "SELECT p.proname, n.nspname, pg_get_function_identity_arguments(p.oid), "
            "pg_get_functiondef(p.oid) "
            "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.prokind IN ('f', 'p') AND" PG_USER_NS
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
            "AND d.objid = p.oid AND d.deptype = 'e')"},
};

const struct engine_ops engine_ops_pg = {
    .name = "pg",
    .kind = MIGSET_ENGINE_PG,
    .caps = ENGINE_CAP_TXN_DDL | ENGINE_CAP_ADVISORY_LOCK | ENGINE_CAP_CANCEL,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .query = pg_query,
    .try_lock = pg_try_lock,
    .unlock = pg_unlock,
    .set_timeouts = pg_set_timeouts,
    .exec_stmts = pg_exec_stmts,
    .sql_id_type = "bigserial PRIMARY KEY",
    .sql_time_type = "timestamp(3)",
    .sql_table_options = "",
    .table_exists = pg_table_exists,
    .catalog_queries = pg_catalog_queries,
    .n_catalog_queries = sizeof pg_catalog_queries / sizeof pg_catalog_queries[0],
    .cancel = pg_cancel,
};
