/*
 * The engine_*() wrappers: DSN dispatch and redaction, argument checks, the
 * migrator-lock polling loop, script splitting and the error wording shared by
 * all drivers. Drivers (drv_*.c) only talk to their server.
 */
#include "engine/engine.h"
#include "engine/engine_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "sw/checksum.h"
#include "sw/clock.h"
#include "sw/strbuf.h"

#define ENGINE_LOCK_BACKOFF_FIRST_MS 10
#define ENGINE_LOCK_BACKOFF_MAX_MS   200

static const struct engine_ops *const engine_drivers[MIGSET_ENGINE_COUNT] = {
    [MIGSET_ENGINE_PG] = &engine_ops_pg,
    [MIGSET_ENGINE_MYSQL] = &engine_ops_mysql,
    [MIGSET_ENGINE_SQLITE] = &engine_ops_sqlite,
};

static const struct {
    const char *prefix;
    enum migset_engine kind;
} engine_schemes[] = {
    {"postgres://", MIGSET_ENGINE_PG},   {"postgresql://", MIGSET_ENGINE_PG},
    {"mysql://", MIGSET_ENGINE_MYSQL},   {"mariadb://", MIGSET_ENGINE_MYSQL},
    {"sqlite://", MIGSET_ENGINE_SQLITE},
};

/* Set once by engine_global_init from main before threads start (see engine.h). */
static int engine_global_refs;

int engine_global_init(struct sw_err *err)
{
    if (engine_global_refs > 0) {
        engine_global_refs++;
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return sw_err_set(err, SW_EINTERNAL, "curl_global_init failed");
    }
    for (size_t i = 0; i < MIGSET_ENGINE_COUNT; i++) {
        if (engine_drivers[i]->global_init != NULL) {
            int rc = engine_drivers[i]->global_init(err);
            if (rc != 0) {
                curl_global_cleanup();
                return rc;
            }
        }
    }
    engine_global_refs = 1;
    return 0;
}

void engine_global_cleanup(void)
{
    if (engine_global_refs == 0 || --engine_global_refs > 0) {
        return;
    }
    for (size_t i = 0; i < MIGSET_ENGINE_COUNT; i++) {
        if (engine_drivers[i]->global_cleanup != NULL) {
            engine_drivers[i]->global_cleanup();
        }
    }
    curl_global_cleanup();
}

/* A libpq conninfo is "key=value ..." without a URL scheme. */
static bool engine_is_conninfo(const char *dsn)
{
    return strstr(dsn, "://") == NULL && strchr(dsn, '=') != NULL;
}

int engine_kind_of_dsn(const char *dsn, enum migset_engine *out, struct sw_err *err)
{
    if (dsn == NULL || dsn[0] == '\0') {
        return sw_err_set(err, SW_EINVAL, "empty DSN: use postgres://, mysql:// or sqlite:///path");
    }
    for (size_t i = 0; i < sizeof engine_schemes / sizeof engine_schemes[0]; i++) {
        if (strncasecmp(dsn, engine_schemes[i].prefix, strlen(engine_schemes[i].prefix)) == 0) {
            *out = engine_schemes[i].kind;
            return 0;
        }
    }
    if (engine_is_conninfo(dsn)) {
        *out = MIGSET_ENGINE_PG;
        return 0;
    }
    const char *sep = strstr(dsn, "://");
    if (sep == NULL) {
        return sw_err_set(err, SW_EINVAL,
                          "DSN has no scheme: use postgres://, mysql:// or sqlite:///path");
    }
    int scheme_len = (int)(sep - dsn) > 32 ? 32 : (int)(sep - dsn);
    return sw_err_set(err, SW_EINVAL,
                      "unknown DSN scheme '%.*s://': use postgres://, mysql:// or sqlite:///path",
                      scheme_len, dsn);
}

/* Copies s into buf (truncating: a cut redacted DSN leaks nothing). */
static const char *engine_copy_out(const char *s, char *buf, size_t cap)
{
    if (cap > 0) {
        snprintf(buf, cap, "%s", s);
    }
    return buf;
}

/* When a DSN cannot be parsed, keep only its scheme: it may hold a password. */
static const char *engine_redact_opaque(const char *dsn, char *buf, size_t cap)
{
    const char *sep = strstr(dsn, "://");
    int scheme_len = sep == NULL ? 0 : (int)(sep - dsn);
    if (cap > 0) {
        snprintf(buf, cap, "%.*s%s***", scheme_len > 32 ? 32 : scheme_len, dsn,
                 sep == NULL ? "" : "://");
    }
    return buf;
}

/* Appends one conninfo value, quoted when it needs to be. */
static int engine_conninfo_append(struct sw_strbuf *sb, const char *key, const char *val)
{
    bool plain = val[0] != '\0' && strpbrk(val, " \t\n\r'\\") == NULL;
    if (sw_strbuf_printf(sb, NULL, "%s%s=", sb->len > 0 ? " " : "", key) != 0) {
        return -1;
    }
    if (plain) {
        return sw_strbuf_puts(sb, val, NULL);
    }
    if (sw_strbuf_puts(sb, "'", NULL) != 0) {
        return -1;
    }
    for (const char *p = val; *p != '\0'; p++) {
        if ((*p == '\'' || *p == '\\') && sw_strbuf_puts(sb, "\\", NULL) != 0) {
            return -1;
        }
        if (sw_strbuf_append(sb, p, 1, NULL) != 0) {
            return -1;
        }
    }
    return sw_strbuf_puts(sb, "'", NULL);
}

static const char *engine_redact_conninfo(const char *dsn, char *buf, size_t cap)
{
    PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
    if (opts == NULL) {
        return engine_copy_out("(unparsable conninfo)", buf, cap);
    }
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, 8192);
    int rc = 0;
    for (PQconninfoOption *o = opts; o->keyword != NULL && rc == 0; o++) {
        if (o->val != NULL) {
            bool secret = strcmp(o->keyword, "password") == 0;
            rc = engine_conninfo_append(&sb, o->keyword, secret ? "***" : o->val);
        }
    }
    engine_copy_out(rc == 0 ? sw_strbuf_str(&sb) : "(unparsable conninfo)", buf, cap);
    sw_strbuf_cleanup(&sb);
    PQconninfoFree(opts);
    return buf;
}

/* Replaces the value of every "password=" query parameter (libpq URLs accept it). */
static int engine_redact_query(CURLU *u)
{
    char *query = NULL;
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK) {
        return 0; /* no query */
    }
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, 8192);
    int rc = 0;
    const char *p = query;
    while (rc == 0 && *p != '\0') {
        size_t n = strcspn(p, "&");
        bool secret = n >= 9 && strncasecmp(p, "password=", 9) == 0;
        rc = sw_strbuf_printf(&sb, NULL, "%s%.*s", sb.len > 0 ? "&" : "", secret ? 12 : (int)n,
                              secret ? "password=***" : p);
        p += n + (p[n] == '&');
    }
    if (rc == 0 && curl_url_set(u, CURLUPART_QUERY, sw_strbuf_str(&sb), 0) != CURLUE_OK) {
        rc = -1;
    }
    sw_strbuf_cleanup(&sb);
    curl_free(query);
    return rc;
}

static const char *engine_redact_url(const char *dsn, char *buf, size_t cap)
{
    CURLU *u = curl_url();
    char *pass = NULL;
    char *out = NULL;
    bool ok =
        u != NULL && curl_url_set(u, CURLUPART_URL, dsn, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK;
    if (ok && curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
        ok = curl_url_set(u, CURLUPART_PASSWORD, "***", 0) == CURLUE_OK;
    }
    ok = ok && engine_redact_query(u) == 0;
    ok = ok && curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK;
    if (ok) {
        engine_copy_out(out, buf, cap);
    } else {
        engine_redact_opaque(dsn, buf, cap);
    }
    curl_free(out);
    curl_free(pass);
    curl_url_cleanup(u);
    return buf;
}

const char *engine_dsn_redact(const char *dsn, char *buf, size_t cap)
{
    if (dsn == NULL) {
        return engine_copy_out("(null)", buf, cap);
    }
    if (strncasecmp(dsn, "sqlite://", 9) == 0) {
        return engine_copy_out(dsn, buf, cap); /* a file path holds no secret */
    }
    if (engine_is_conninfo(dsn)) {
        return engine_redact_conninfo(dsn, buf, cap);
    }
    if (strstr(dsn, "://") == NULL) {
        return engine_redact_opaque(dsn, buf, cap);
    }
    return engine_redact_url(dsn, buf, cap);
}

int engine_open(const char *dsn, int connect_timeout_ms, struct engine **out, struct sw_err *err)
{
    enum migset_engine kind;
    struct engine *eng = NULL;
    int rc = engine_kind_of_dsn(dsn, &kind, err);
    if (rc != 0) {
        goto out;
    }
    if (connect_timeout_ms < 0) {
        rc = sw_err_set(err, SW_EINVAL, "connect timeout must be >= 0 ms, got %d",
                        connect_timeout_ms);
        goto out;
    }
    eng = calloc(1, sizeof *eng);
    if (eng == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory opening a database connection");
        goto out;
    }
    eng->ops = engine_drivers[kind];
    engine_dsn_redact(dsn, eng->dsn_redacted, sizeof eng->dsn_redacted);
    rc = eng->ops->open(eng, dsn, connect_timeout_ms == 0 ? 10000 : connect_timeout_ms, err);
    if (rc != 0) {
        sw_err_prefix(err, "cannot connect to %s", eng->dsn_redacted);
        free(eng);
        eng = NULL;
    }
out:
    *out = eng;
    return rc;
}

void engine_close(struct engine *eng)
{
    if (eng == NULL) {
        return;
    }
    eng->ops->close(eng);
    free(eng);
}

enum migset_engine engine_kind(const struct engine *eng)
{
    return eng->ops->kind;
}

const char *engine_name(const struct engine *eng)
{
    return eng->ops->name;
}

unsigned engine_caps(const struct engine *eng)
{
    return eng->ops->caps;
}

const char *engine_server_version(const struct engine *eng)
{
    return eng->server_version;
}

const char *engine_database(const struct engine *eng)
{
    return eng->database;
}

static int engine_check(struct engine *eng, const void *arg, const char *what, struct sw_err *err)
{
    if (eng == NULL || arg == NULL) {
        return sw_err_set(err, SW_EINTERNAL, "%s called with a NULL argument", what);
    }
    return 0;
}

/* A lost connection also ends any transaction (the server rolled it back). */
static int engine_after(struct engine *eng, int rc)
{
    if (rc == SW_ECONNECT) {
        eng->in_txn = false;
        eng->locked = false;
        eng->has_timeouts = false;
    }
    return rc;
}

int engine_exec(struct engine *eng, const char *sql, struct sw_err *err)
{
    int rc = engine_check(eng, sql, "engine_exec", err);
    if (rc != 0) {
        return rc;
    }
    return engine_after(eng, eng->ops->exec(eng, sql, err));
}

/* Counts `?` placeholders so a mismatch is caught before the server sees it. */
static size_t engine_count_placeholders(const char *sql)
{
    size_t n = 0;
    for (const char *p = strchr(sql, '?'); p != NULL; p = strchr(p + 1, '?')) {
        n++;
    }
    return n;
}

int engine_query(struct engine *eng, const char *sql, const char *const *params, size_t n_params,
                 struct engine_rows **out, struct sw_err *err)
{
    int rc = engine_check(eng, sql, "engine_query", err);
    if (rc != 0) {
        return rc;
    }
    if (out != NULL) {
        *out = NULL;
    }
    if (n_params > 0 && params == NULL) {
        return sw_err_set(err, SW_EINTERNAL, "engine_query: %zu params but no array", n_params);
    }
    size_t n_marks = engine_count_placeholders(sql);
    if (n_marks != n_params) {
        return sw_err_set(err, SW_EINTERNAL, "engine_query: %zu placeholders but %zu params",
                          n_marks, n_params);
    }
    return engine_after(eng, eng->ops->query(eng, sql, params, n_params, out, err));
}

const char *engine_rows_get(const struct engine_rows *r, size_t row, size_t col)
{
    if (r == NULL || row >= r->n_rows || col >= r->n_cols) {
        return NULL;
    }
    return r->cells[row * r->n_cols + col];
}

void engine_rows_free(struct engine_rows *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n_rows * r->n_cols; i++) {
        free(r->cells[i]);
    }
    free(r->cells);
    free(r);
}

int engine_rowbuf_init(struct engine_rowbuf *rb, size_t n_cols, struct sw_err *err)
{
    memset(rb, 0, sizeof *rb);
    rb->rows = calloc(1, sizeof *rb->rows);
    if (rb->rows == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory reading query results");
    }
    rb->rows->n_cols = n_cols;
    return 0;
}

static int engine_rowbuf_grow(struct engine_rowbuf *rb, struct sw_err *err)
{
    size_t cap = rb->cap_cells == 0 ? 16 : rb->cap_cells * 2;
    char **cells = realloc(rb->rows->cells, cap * sizeof *cells);
    if (cells == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory reading query results");
    }
    rb->rows->cells = cells;
    rb->cap_cells = cap;
    return 0;
}

int engine_rowbuf_add(struct engine_rowbuf *rb, const char *val, size_t len, struct sw_err *err)
{
    size_t n_cols = rb->rows->n_cols;
    if (n_cols == 0 || rb->n_cells / n_cols >= ENGINE_ROWS_MAX) {
        return sw_err_set(err, SW_ETOOBIG, "query result exceeds %u rows", ENGINE_ROWS_MAX);
    }
    if (val != NULL && len > ENGINE_ROWS_MAX_TEXT_BYTES - rb->n_bytes) {
        return sw_err_set(err, SW_ETOOBIG, "query result exceeds %u MiB of text",
                          ENGINE_ROWS_MAX_TEXT_BYTES / (1024u * 1024u));
    }
    if (rb->n_cells == rb->cap_cells && engine_rowbuf_grow(rb, err) != 0) {
        return SW_ENOMEM;
    }
    char *copy = NULL;
    if (val != NULL) {
        copy = malloc(len + 1);
        if (copy == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory reading query results");
        }
        memcpy(copy, val, len);
        copy[len] = '\0';
        rb->n_bytes += len;
    }
    rb->rows->cells[rb->n_cells++] = copy;
    rb->rows->n_rows = rb->n_cells / n_cols;
    return 0;
}

struct engine_rows *engine_rowbuf_finish(struct engine_rowbuf *rb)
{
    struct engine_rows *rows = rb->rows;
    rb->rows = NULL;
    engine_rowbuf_cleanup(rb);
    return rows;
}

void engine_rowbuf_cleanup(struct engine_rowbuf *rb)
{
    if (rb->rows != NULL) {
        /* cells of an incomplete last row are freed too */
        for (size_t i = 0; i < rb->n_cells; i++) {
            free(rb->rows->cells[i]);
        }
        free(rb->rows->cells);
        free(rb->rows);
    }
    memset(rb, 0, sizeof *rb);
}

int engine_begin(struct engine *eng, struct sw_err *err)
{
    if (eng->in_txn) {
        return sw_err_set(err, SW_EINTERNAL, "engine_begin: a transaction is already open");
    }
    int rc = engine_after(eng, eng->ops->exec(eng, "BEGIN", err));
    if (rc == 0) {
        eng->in_txn = true;
    }
    return rc;
}

int engine_commit(struct engine *eng, struct sw_err *err)
{
    if (!eng->in_txn) {
        return sw_err_set(err, SW_EINTERNAL, "engine_commit: no transaction is open");
    }
    /* whatever the outcome, the transaction is over (a failed COMMIT rolls back) */
    eng->in_txn = false;
    int rc = engine_after(eng, eng->ops->exec(eng, "COMMIT", err));
    if (rc != 0) {
        eng->has_timeouts = false;
    }
    return rc;
}

int engine_rollback(struct engine *eng, struct sw_err *err)
{
    eng->in_txn = false;
    eng->has_timeouts = false; /* PostgreSQL undoes a SET made in the transaction */
    return engine_after(eng, eng->ops->exec(eng, "ROLLBACK", err));
}

static int engine_lock_wait_failed(struct engine *eng, int64_t waited_ms, struct sw_err *err)
{
    sw_err_set(err, SW_ELOCKED, "another migrator holds the lock on %s (waited %lld ms)",
               eng->database, (long long)waited_ms);
    sw_err_hint(err, "wait for it to finish, or raise the lock wait timeout");
    return SW_ELOCKED;
}

int engine_lock(struct engine *eng, int timeout_ms, struct sw_err *err)
{
    if (eng->in_txn) {
        return sw_err_set(err, SW_EINTERNAL,
                          "engine_lock inside a transaction: the migrator lock is never "
                          "waited for in a transaction");
    }
    if (eng->locked) {
        return 0;
    }
    int64_t start_ms = sw_clock_mono_ms();
    int64_t deadline_ms = start_ms + (timeout_ms > 0 ? timeout_ms : 0);
    int64_t delay_ms = ENGINE_LOCK_BACKOFF_FIRST_MS;
    for (;;) {
        bool acquired = false;
        int rc = engine_after(eng, eng->ops->try_lock(eng, &acquired, err));
        if (rc != 0) {
            return rc;
        }
        if (acquired) {
            eng->locked = true;
            return 0;
        }
        int64_t now_ms = sw_clock_mono_ms();
        if (now_ms >= deadline_ms) {
            return engine_lock_wait_failed(eng, now_ms - start_ms, err);
        }
        sw_clock_sleep_ms(delay_ms < deadline_ms - now_ms ? delay_ms : deadline_ms - now_ms, NULL);
        delay_ms =
            delay_ms * 2 > ENGINE_LOCK_BACKOFF_MAX_MS ? ENGINE_LOCK_BACKOFF_MAX_MS : delay_ms * 2;
    }
}

int engine_unlock(struct engine *eng, struct sw_err *err)
{
    if (!eng->locked) {
        return 0;
    }
    eng->locked = false;
    return engine_after(eng, eng->ops->unlock(eng, err));
}

int engine_set_timeouts(struct engine *eng, int lock_timeout_ms, int statement_timeout_ms,
                        struct sw_err *err)
{
    if (lock_timeout_ms < 0 || statement_timeout_ms < 0) {
        return sw_err_set(err, SW_EINVAL, "timeouts must be >= 0 ms (lock %d, statement %d)",
                          lock_timeout_ms, statement_timeout_ms);
    }
    if (eng->has_timeouts && eng->lock_timeout_ms == lock_timeout_ms &&
        eng->statement_timeout_ms == statement_timeout_ms) {
        return 0; /* the runner sets them before every step: mostly unchanged */
    }
    int rc =
        engine_after(eng, eng->ops->set_timeouts(eng, lock_timeout_ms, statement_timeout_ms, err));
    eng->has_timeouts = rc == 0;
    eng->lock_timeout_ms = lock_timeout_ms;
    eng->statement_timeout_ms = statement_timeout_ms;
    return rc;
}

/* The statement's first characters with runs of whitespace folded to one space. */
static void engine_excerpt(const char *text, size_t len, char *buf, size_t cap)
{
    size_t n = 0;
    bool space = false;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isspace(c)) {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < cap) {
            buf[n++] = ' ';
        }
        space = false;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
}

/* The failing statement's line and excerpt into res, its line into the message. */
static void engine_script_failed(const char *script, const struct sqlsplit_result *split,
                                 struct engine_script_result *res, struct sw_err *err)
{
    if (res->failed_idx >= split->n_stmts) {
        return;
    }
    const struct sqlsplit_stmt *st = &split->stmts[res->failed_idx];
    res->failed_line = st->line;
    engine_excerpt(script + st->offset, st->len, res->failed_excerpt, sizeof res->failed_excerpt);
    sw_err_prefix(err, "line %d", st->line);
}

/* Runs split statements [start_idx, n) (at least one), after pre when pre is not NULL:
 * in the driver's one round trip, or as a query first. */
static int engine_run_stmts(struct engine *eng, struct engine_prelude *pre, const char *script,
                            const struct sqlsplit_result *split, size_t start_idx,
                            struct engine_script_result *res, struct sw_err *err)
{
    const struct engine_ops *o = eng->ops;
    if (pre != NULL && o->exec_stmts_after != NULL) {
        int rc =
            engine_after(eng, o->exec_stmts_after(eng, pre, script, split, start_idx, res, err));
        if (rc != 0 && pre->rows != NULL) {
            engine_script_failed(script, split, res, err);
        }
        return rc;
    }
    if (pre != NULL) {
        int rc = engine_query(eng, pre->sql, pre->params, pre->n_params, &pre->rows, err);
        if (rc != 0) {
            return rc;
        }
    }
    int rc = engine_after(eng, o->exec_stmts(eng, script, split, start_idx, res, err));
    if (rc != 0) {
        engine_script_failed(script, split, res, err);
    }
    return rc;
}

/* engine_exec_script, after pre when pre is not NULL (engine_exec_script_after). */
static int engine_script(struct engine *eng, struct engine_prelude *pre, const char *script,
                         size_t len, size_t start_idx, struct engine_script_result *res,
                         struct sw_err *err)
{
    struct sqlsplit_result split = {0};
    memset(res, 0, sizeof *res);
    int rc = engine_check(eng, script, "engine_exec_script", err);
    if (rc != 0) {
        goto out;
    }
    rc = sqlsplit_split(eng->ops->kind, script, len, &split, err);
    if (rc != 0) {
        goto out;
    }
    res->n_total = split.n_stmts;
    if (start_idx > split.n_stmts) {
        rc = sw_err_set(err, SW_EINVAL, "cannot resume at statement %zu: the script has %zu",
                        start_idx + 1, split.n_stmts);
        goto out;
    }
    res->n_done = start_idx;
    if (start_idx < split.n_stmts) {
        rc = engine_run_stmts(eng, pre, script, &split, start_idx, res, err);
    } else if (pre != NULL) { /* nothing left to run: the prelude alone */
        rc = engine_query(eng, pre->sql, pre->params, pre->n_params, &pre->rows, err);
    }
out:
    sqlsplit_result_cleanup(&split);
    return rc;
}

int engine_exec_script(struct engine *eng, const char *script, size_t len, size_t start_idx,
                       struct engine_script_result *res, struct sw_err *err)
{
    return engine_script(eng, NULL, script, len, start_idx, res, err);
}

int engine_exec_script_after(struct engine *eng, struct engine_prelude *pre, const char *script,
                             size_t len, size_t start_idx, struct engine_script_result *res,
                             struct sw_err *err)
{
    memset(res, 0, sizeof *res);
    int rc = engine_check(eng, pre, "engine_exec_script_after", err);
    rc = rc != 0 ? rc : engine_check(eng, pre->sql, "engine_exec_script_after", err);
    if (rc != 0) {
        return rc;
    }
    pre->rows = NULL;
    size_t n_marks = engine_count_placeholders(pre->sql);
    if (n_marks != pre->n_params || (pre->n_params > 0 && pre->params == NULL)) {
        return sw_err_set(err, SW_EINTERNAL,
                          "engine_exec_script_after: %zu placeholders but %zu params", n_marks,
                          pre->n_params);
    }
    return engine_script(eng, pre, script, len, start_idx, res, err);
}

const char *engine_history_ddl(const struct engine *eng)
{
    struct engine *e = (struct engine *)eng; /* the cache is not part of the logical state */
    if (e->history_ddl[0] == '\0') {
        const struct engine_ops *o = eng->ops;
        snprintf(
            e->history_ddl, sizeof e->history_ddl,
            "CREATE TABLE IF NOT EXISTS " ENGINE_HISTORY_TABLE " (\n"
            "    id %s,\n"
            "    version varchar(176) NOT NULL,\n"
            "    description varchar(255) NOT NULL,\n"
            "    direction varchar(8) NOT NULL,\n"
            "    script varchar(255),\n"
            "    checksum char(64),\n"
            "    state varchar(16) NOT NULL,\n"
            "    wave varchar(64),\n"
            "    agent varchar(128),\n"
            "    started_at %s,\n"
            "    finished_at %s,\n"
            "    duration_ms bigint,\n"
            "    stmt_done int,\n"
            "    stmt_total int,\n"
            "    error text%s\n"
            ")%s;\n"
            "%s",
            o->sql_id_type, o->sql_time_type, o->sql_time_type,
            o->is_history_index_inline ? ",\n    KEY " ENGINE_HISTORY_TABLE "_version_idx (version)"
                                       : "",
            o->sql_table_options,
            o->is_history_index_inline ? ""
                                       : "CREATE INDEX IF NOT EXISTS " ENGINE_HISTORY_TABLE
                                         "_version_idx ON " ENGINE_HISTORY_TABLE " (version);\n");
    }
    return e->history_ddl;
}

int engine_cancel(struct engine *eng, struct sw_err *err)
{
    if ((eng->ops->caps & ENGINE_CAP_CANCEL) == 0 || eng->ops->cancel == NULL) {
        return sw_err_set(err, SW_EUNSUPPORTED, "%s cannot cancel a running statement",
                          eng->ops->name);
    }
    return eng->ops->cancel(eng, err);
}

int engine_table_exists(struct engine *eng, const char *table, bool *exists, struct sw_err *err)
{
    int rc = engine_check(eng, table, "engine_table_exists", err);
    if (rc != 0) {
        return rc;
    }
    if (table[0] == '\0') {
        return sw_err_set(err, SW_EINVAL, "empty table name");
    }
    *exists = false;
    return engine_after(eng, eng->ops->table_exists(eng, table, exists, err));
}

/* ---- schema fingerprint ------------------------------------------------------------------ */

#define ENGINE_FINGERPRINT_MAX_BYTES (256u * 1024u * 1024u)

/* The catalog as sorted lines; each line a heap string. */
struct engine_catalog {
    char **lines;
    size_t n_lines;
    size_t cap_lines;
};

static void engine_catalog_cleanup(struct engine_catalog *cat)
{
    for (size_t i = 0; i < cat->n_lines; i++) {
        free(cat->lines[i]);
    }
    free(cat->lines);
    memset(cat, 0, sizeof *cat);
}

/* Appends one cell: NULL as \N, backslashes doubled, whitespace runs folded to one
 * space and trimmed, so cells hold no tab or newline and formatting does not count. */
static int engine_catalog_cell(struct sw_strbuf *sb, const char *cell, struct sw_err *err)
{
    if (sw_strbuf_puts(sb, "\t", err) != 0) {
        return SW_ETOOBIG;
    }
    if (cell == NULL) {
        return sw_strbuf_puts(sb, "\\N", err);
    }
    bool space = false;
    bool any = false;
    int rc = 0;
    for (const char *p = cell; *p != '\0' && rc == 0; p++) {
        if (isspace((unsigned char)*p)) {
            space = any;
            continue;
        }
        if (space) {
            rc = sw_strbuf_puts(sb, " ", err);
        }
        space = false;
        any = true;
        if (rc == 0) {
            rc =
                *p == '\\' ? sw_strbuf_append(sb, "\\\\", 2, err) : sw_strbuf_append(sb, p, 1, err);
        }
    }
    return rc;
}

/* Appends one result cell to a catalog line, as the snapshot flags want it. */
static int engine_catalog_add_cell(struct sw_strbuf *sb, const struct engine_catalog_query *q,
                                   const struct engine_rows *rows, size_t row, size_t col,
                                   unsigned flags, struct sw_err *err)
{
    bool blind = (flags & ENGINE_SNAPSHOT_ANY_COLUMN_ORDER) != 0;
    if (blind && q->position_col == col + 1) {
        return 0;
    }
    char *unordered = NULL;
    if (blind && q->unorder_cell != NULL) {
        int rc = q->unorder_cell(rows, row, col, &unordered, err);
        if (rc != 0) {
            return rc;
        }
    }
    int rc = engine_catalog_cell(
        sb, unordered != NULL ? unordered : engine_rows_get(rows, row, col), err);
    free(unordered);
    return rc;
}

static int engine_catalog_add(struct engine_catalog *cat, const struct engine_catalog_query *q,
                              const struct engine_rows *rows, size_t row, unsigned flags,
                              struct sw_err *err)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, ENGINE_ROWS_MAX_TEXT_BYTES);
    int rc = sw_strbuf_puts(&sb, q->kind, err);
    for (size_t col = 0; col < rows->n_cols && rc == 0; col++) {
        rc = engine_catalog_add_cell(&sb, q, rows, row, col, flags, err);
    }
    if (rc == 0 && cat->n_lines == cat->cap_lines) {
        size_t cap = cat->cap_lines == 0 ? 64 : cat->cap_lines * 2;
        char **lines = realloc(cat->lines, cap * sizeof *lines);
        if (lines == NULL) {
            rc = sw_err_set(err, SW_ENOMEM, "out of memory reading the catalog");
        } else {
            cat->lines = lines;
            cat->cap_lines = cap;
        }
    }
    if (rc == 0) {
        cat->lines[cat->n_lines++] = sw_strbuf_take(&sb);
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

static int engine_catalog_query_run(struct engine *eng, const struct engine_catalog_query *q,
                                    unsigned flags, struct engine_catalog *cat, struct sw_err *err)
{
    struct engine_rows *rows = NULL;
    int rc = engine_query(eng, q->sql, NULL, 0, &rows, err);
    if (rc != 0) {
        sw_err_prefix(err, "reading the catalog (%ss)", q->kind);
        goto out;
    }
    for (size_t row = 0; row < rows->n_rows && rc == 0; row++) {
        const char *owner = engine_rows_get(rows, row, 0);
        if (owner != NULL && strcmp(owner, ENGINE_HISTORY_TABLE) == 0) {
            continue; /* our own bookkeeping is not the tenant's schema */
        }
        rc = engine_catalog_add(cat, q, rows, row, flags, err);
    }
out:
    engine_rows_free(rows);
    return rc;
}

static int engine_catalog_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every catalog query of the driver into cat, sorted. */
static int engine_catalog_read(struct engine *eng, unsigned flags, struct engine_catalog *cat,
                               struct sw_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < eng->ops->n_catalog_queries && rc == 0; i++) {
        rc = engine_catalog_query_run(eng, &eng->ops->catalog_queries[i], flags, cat, err);
    }
    if (rc == 0 && cat->n_lines > 1) {
        qsort(cat->lines, cat->n_lines, sizeof *cat->lines, engine_catalog_cmp);
    }
    return rc;
}

/* The snapshot text into sb (which bounds it). */
static int engine_snapshot_build(struct engine *eng, unsigned flags, struct sw_strbuf *sb,
                                 struct sw_err *err)
{
    struct engine_catalog cat = {0};
    int rc = engine_catalog_read(eng, flags, &cat, err);
    if (rc != 0) {
        goto out;
    }
    rc = sw_strbuf_printf(sb, err, "shardwave schema fingerprint 1 %s\n", eng->ops->name);
    for (size_t i = 0; i < cat.n_lines && rc == 0; i++) {
        rc = sw_strbuf_printf(sb, err, "%s\n", cat.lines[i]);
    }
out:
    engine_catalog_cleanup(&cat);
    return rc;
}

int engine_schema_snapshot_ex(struct engine *eng, unsigned flags, char **text, struct sw_err *err)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, ENGINE_FINGERPRINT_MAX_BYTES);
    int rc = engine_check(eng, text, "engine_schema_snapshot", err);
    if (rc != 0) {
        goto out;
    }
    *text = NULL;
    rc = engine_snapshot_build(eng, flags, &sb, err);
    if (rc == 0 && (*text = sw_strbuf_take(&sb)) == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory reading the catalog");
    }
out:
    sw_strbuf_cleanup(&sb);
    return rc;
}

int engine_schema_snapshot(struct engine *eng, char **text, struct sw_err *err)
{
    return engine_schema_snapshot_ex(eng, 0, text, err);
}

int engine_schema_fingerprint(struct engine *eng, char out[ENGINE_FINGERPRINT_HEX_LEN + 1],
                              struct sw_err *err)
{
    struct sw_strbuf text;
    sw_strbuf_init(&text, ENGINE_FINGERPRINT_MAX_BYTES);
    int rc = engine_check(eng, out, "engine_schema_fingerprint", err);
    if (rc != 0) {
        goto out;
    }
    out[0] = '\0';
    rc = engine_snapshot_build(eng, 0, &text, err);
    if (rc == 0) {
        rc = checksum_sha256_hex_raw(text.buf, text.len, out, err);
    }
out:
    if (rc != 0 && out != NULL) {
        out[0] = '\0';
    }
    sw_strbuf_cleanup(&text);
    return rc;
}
