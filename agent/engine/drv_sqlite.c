/*
 * SQLite driver. A "database" is a file; the migrator lock is a flock() on a
 * sidecar file; timeouts are the busy timeout and a progress-handler deadline.
 */
#include "engine/engine_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sw/clock.h"
#include "sw/strbuf.h"

#define SQLITE_DEFAULT_BUSY_MS 5000
#define SQLITE_PROGRESS_STEPS  1000
#define SQLITE_LOCK_SUFFIX     ".shardwave-lock"

struct sqlite_conn {
    sqlite3 *db;
    int lock_fd;                                     /* -1 unless the migrator lock is held */
    int statement_timeout_ms;                        /* 0 = none */
    int64_t deadline_ms;                             /* of the running statement; 0 = none */
    bool timed_out;                                  /* the progress handler stopped it */
    char path[sizeof((struct engine *)0)->database]; /* engine_database() shows it */
};

static struct sqlite_conn *sqlite_of(struct engine *eng)
{
    return eng->conn;
}

/* Interrupts a statement past its deadline (sqlite3_progress_handler). */
static int sqlite_progress(void *arg)
{
    struct sqlite_conn *c = arg;
    if (c->deadline_ms != 0 && sw_clock_mono_ms() >= c->deadline_ms) {
        c->timed_out = true;
        return 1;
    }
    return 0;
}

static void sqlite_arm(struct sqlite_conn *c)
{
    c->timed_out = false;
    c->deadline_ms = c->statement_timeout_ms > 0 ? sw_clock_mono_ms() + c->statement_timeout_ms : 0;
}

/* Maps the connection's last error. */
static int sqlite_error(struct sqlite_conn *c, int rc, bool *lock_timeout, struct sw_err *err)
{
    int code = SW_EDB;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = SW_ELOCKED;
        if (lock_timeout != NULL) {
            *lock_timeout = true;
        }
        break;
    case SQLITE_INTERRUPT:
        code = SW_ETIMEOUT;
        break;
    default:
        break;
    }
    if (code == SW_ETIMEOUT) {
        return sw_err_set(err, code, "ERROR %d (%s): %s", rc, sqlite3_errstr(rc),
                          c->timed_out ? "statement timeout" : "statement canceled");
    }
    return sw_err_set(err, code, "ERROR %d (%s): %s", rc, sqlite3_errstr(rc),
                      sqlite3_errmsg(c->db));
}

static int sqlite_parse_dsn(const char *dsn, char *path, size_t cap, struct sw_err *err)
{
    const char *p = dsn + strlen("sqlite://");
    if (p[0] == '\0') {
        return sw_err_set(err, SW_EINVAL, "sqlite DSN without a path: use sqlite:///abs/file.db");
    }
    if (strchr(p, '?') != NULL) {
        return sw_err_set(err, SW_EINVAL, "sqlite DSN options are not supported: %s", dsn);
    }
    if ((size_t)snprintf(path, cap, "%s", p) >= cap) {
        return sw_err_set(err, SW_EINVAL, "sqlite path too long (max %zu bytes)", cap - 1);
    }
    return 0;
}

static void sqlite_close(struct engine *eng)
{
    struct sqlite_conn *c = sqlite_of(eng);
    if (c == NULL) {
        return;
    }
    if (c->lock_fd >= 0) {
        close(c->lock_fd); /* releases the flock */
    }
    sqlite3_close_v2(c->db);
    free(c);
    eng->conn = NULL;
}

static int sqlite_run(struct sqlite_conn *c, const char *sql, int len, bool *lock_timeout,
                      const char **tail, struct sw_err *err);

static int sqlite_open(struct engine *eng, const char *dsn, int connect_timeout_ms,
                       struct sw_err *err)
{
    (void)connect_timeout_ms;
    struct sqlite_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    c->lock_fd = -1;
    eng->conn = c;
    int rc = sqlite_parse_dsn(dsn, c->path, sizeof c->path, err);
    if (rc != 0) {
        goto out;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int src = sqlite3_open_v2(c->path, &c->db, flags, NULL);
    if (src != SQLITE_OK) {
        rc = sw_err_set(err, SW_ECONNECT, "%s: %s", c->path,
                        c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, SQLITE_DEFAULT_BUSY_MS);
    sqlite3_progress_handler(c->db, SQLITE_PROGRESS_STEPS, sqlite_progress, c);
    rc = sqlite_run(c, "PRAGMA foreign_keys = ON", -1, NULL, NULL, err);
    if (rc != 0) {
        rc = SW_ECONNECT;
        goto out;
    }
    snprintf(eng->server_version, sizeof eng->server_version, "%s", sqlite3_libversion());
    snprintf(eng->database, sizeof eng->database, "%s", c->path);
out:
    if (rc != 0) {
        sqlite_close(eng);
    }
    return rc;
}

/* Prepares and steps the first statement of sql[0..len) (len -1: NUL-terminated),
 * discarding rows. *tail (optional) receives where the next statement starts. */
static int sqlite_run(struct sqlite_conn *c, const char *sql, int len, bool *lock_timeout,
                      const char **tail, struct sw_err *err)
{
    sqlite3_stmt *st = NULL;
    sqlite_arm(c);
    int src = sqlite3_prepare_v2(c->db, sql, len, &st, tail);
    if (src == SQLITE_OK && st != NULL) {
        while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        }
    }
    int rc = 0;
    if (src != SQLITE_OK && src != SQLITE_DONE) {
        rc = sqlite_error(c, src, lock_timeout, err);
    }
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_exec(struct engine *eng, const char *sql, struct sw_err *err)
{
    struct sqlite_conn *c = sqlite_of(eng);
    const char *p = sql;
    int rc = 0;
    while (rc == 0 && *p != '\0') {
        const char *tail = NULL;
        rc = sqlite_run(c, p, -1, NULL, &tail, err);
        if (tail == NULL || tail == p) {
            break;
        }
        p = tail;
    }
    return rc;
}

static int sqlite_bind(struct sqlite_conn *c, sqlite3_stmt *st, const char *const *params,
                       size_t n_params, struct sw_err *err)
{
    for (size_t i = 0; i < n_params; i++) {
        int src = params[i] == NULL
                      ? sqlite3_bind_null(st, (int)i + 1)
                      : sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_TRANSIENT);
        if (src != SQLITE_OK) {
            return sqlite_error(c, src, NULL, err);
        }
    }
    return 0;
}

static int sqlite_collect_row(sqlite3_stmt *st, struct engine_rowbuf *rb, struct sw_err *err)
{
    int n_cols = sqlite3_column_count(st);
    int rc = 0;
    for (int j = 0; rc == 0 && j < n_cols; j++) {
        const char *v = (const char *)sqlite3_column_text(st, j);
        rc = engine_rowbuf_add(rb, v, (size_t)sqlite3_column_bytes(st, j), err);
    }
    return rc;
}

static int sqlite_query(struct engine *eng, const char *sql, const char *const *params,
                        size_t n_params, struct engine_rows **out, struct sw_err *err)
{
    struct sqlite_conn *c = sqlite_of(eng);
    struct engine_rowbuf rb = {0};
    sqlite3_stmt *st = NULL;
    sqlite_arm(c);
    int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    int rc = src != SQLITE_OK ? sqlite_error(c, src, NULL, err) : 0;
    if (rc == 0 && st == NULL) {
        rc = sw_err_set(err, SW_EINTERNAL, "engine_query: empty statement");
    }
    rc = rc != 0 ? rc : sqlite_bind(c, st, params, n_params, err);
    rc = rc != 0 ? rc : engine_rowbuf_init(&rb, (size_t)sqlite3_column_count(st), err);
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (out != NULL) {
            rc = sqlite_collect_row(st, &rb, err);
        }
    }
    if (rc == 0 && src != SQLITE_DONE) {
        rc = sqlite_error(c, src, NULL, err);
    }
    if (rc == 0 && out != NULL) {
        *out = engine_rowbuf_finish(&rb);
    }
    engine_rowbuf_cleanup(&rb);
    sqlite3_finalize(st);
    return rc;
}

/* The migrator lock is an exclusive flock() on "<path>.shardwave-lock", not a
 * SQLite write lock: a write lock lives inside one transaction, while the migrator
 * lock must span many transactions (one per step). The kernel drops the flock when
 * the process dies, so a killed migrator never leaves a stale lock. */
static int sqlite_try_lock(struct engine *eng, bool *acquired, struct sw_err *err)
{
    struct sqlite_conn *c = sqlite_of(eng);
    char lock_path[PATH_MAX + sizeof SQLITE_LOCK_SUFFIX];
    snprintf(lock_path, sizeof lock_path, "%s%s", c->path, SQLITE_LOCK_SUFFIX);
    if (c->lock_fd < 0) {
        c->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (c->lock_fd < 0) {
            return sw_err_set(err, SW_EIO, "cannot open lock file %s: %s", lock_path,
                              strerror(errno));
        }
    }
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) == 0) {
        *acquired = true;
        return 0;
    }
    int saved = errno;
    close(c->lock_fd);
    c->lock_fd = -1;
    if (saved == EWOULDBLOCK || saved == EINTR) {
        *acquired = false;
        return 0;
    }
    return sw_err_set(err, SW_EIO, "cannot lock %s: %s", lock_path, strerror(saved));
}

static int sqlite_unlock(struct engine *eng, struct sw_err *err)
{
    struct sqlite_conn *c = sqlite_of(eng);
    if (c->lock_fd < 0) {
        return sw_err_set(err, SW_EINTERNAL, "the migrator lock on %s was not held", c->path);
    }
    close(c->lock_fd); /* closing the only descriptor releases the flock */
    c->lock_fd = -1;
    return 0;
}

static int sqlite_set_timeouts(struct engine *eng, int lock_timeout_ms, int statement_timeout_ms,
                               struct sw_err *err)
{
    struct sqlite_conn *c = sqlite_of(eng);
    int src = sqlite3_busy_timeout(c->db, lock_timeout_ms == 0 ? INT_MAX : lock_timeout_ms);
    if (src != SQLITE_OK) {
        return sqlite_error(c, src, NULL, err);
    }
    c->statement_timeout_ms = statement_timeout_ms;
    return 0;
}

static int sqlite_exec_stmts(struct engine *eng, const char *script,
                             const struct sqlsplit_result *split, size_t start_idx,
                             struct engine_script_result *res, struct sw_err *err)
{
    struct sqlite_conn *c = sqlite_of(eng);
    for (size_t i = start_idx; i < split->n_stmts; i++) {
        const struct sqlsplit_stmt *st = &split->stmts[i];
        if (st->len > (size_t)INT_MAX) {
            res->failed_idx = i;
            return sw_err_set(err, SW_ETOOBIG, "statement too long (%zu bytes)", st->len);
        }
        int rc = sqlite_run(c, script + st->offset, (int)st->len, &res->lock_timeout, NULL, err);
        if (rc != 0) {
            res->failed_idx = i;
            return rc;
        }
        res->n_done = i + 1;
    }
    return 0;
}

static int sqlite_table_exists(struct engine *eng, const char *table, bool *exists,
                               struct sw_err *err)
{
    struct engine_rows *rows = NULL;
    const char *const params[] = {table};
    int rc =
        sqlite_query(eng, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                     params, 1, &rows, err);
    if (rc == 0) {
        const char *v = engine_rows_get(rows, 0, 0);
        *exists = v != NULL && strcmp(v, "0") != 0;
    }
    engine_rows_free(rows);
    return rc;
}

/* sqlite3_interrupt is documented as safe to call from another thread. */
static int sqlite_cancel(struct engine *eng, struct sw_err *err)
{
    (void)err;
    sqlite3_interrupt(sqlite_of(eng)->db);
    return 0;
}

/* ---- column-order-blind CREATE TABLE texts -------------------------------------------- */

/* Just past the quoted name, string or comment that starts at p (p itself if none). */
static const char *sqlite_skip_token(const char *p)
{
    if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
        const char *end = p[0] == '-' ? strchr(p, '\n') : strstr(p + 2, "*/");
        return end == NULL ? p + strlen(p) : end + (p[0] == '-' ? 0 : 2);
    }
    char close = p[0] == '[' ? ']' : p[0];
    if (close != '\'' && close != '"' && close != '`' && close != ']') {
        return p;
    }
    for (const char *q = p + 1; *q != '\0'; q++) {
        if (*q == close && close != ']' && q[1] == close) {
            q++; /* doubled quote */
        } else if (*q == close) {
            return q + 1;
        }
    }
    return p + strlen(p);
}

/* SQLite's default column limit is 2000; constraints come on top. Beyond this the
 * last definitions stay together (still deterministic). */
#define SQLITE_DEFS_MAX 4096

/* The definitions between the outermost parentheses of a CREATE TABLE text. */
struct sqlite_defs {
    const char *open, *close; /* the '(' and its ')' */
    const char *starts[SQLITE_DEFS_MAX];
    size_t n;
};

/* Finds the outermost parentheses and the top-level commas; false when unbalanced. */
static bool sqlite_defs_scan(const char *sql, struct sqlite_defs *d)
{
    int depth = 0;
    d->open = NULL;
    d->n = 0;
    for (const char *p = sql; *p != '\0';) {
        const char *next = sqlite_skip_token(p);
        if (next != p) {
            p = next;
            continue;
        }
        if (*p == '(' && depth++ == 0) {
            d->open = p;
            d->starts[d->n++] = p + 1;
        } else if (*p == ')' && depth > 0 && --depth == 0) {
            d->close = p;
            return true;
        } else if (*p == ',' && depth == 1 && d->n < sizeof d->starts / sizeof d->starts[0]) {
            d->starts[d->n++] = p + 1;
        }
        p++;
    }
    return false;
}

/* One definition, whitespace folded and trimmed, as a heap string. */
static char *sqlite_def_dup(const char *from, const char *to)
{
    char *out = malloc((size_t)(to - from) + 1);
    size_t n = 0;
    for (const char *p = from; out != NULL && p < to; p++) {
        bool space = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
        if (!space) {
            out[n++] = *p;
        } else if (n > 0 && out[n - 1] != ' ') {
            out[n++] = ' ';
        }
    }
    if (out != NULL) {
        n -= n > 0 && out[n - 1] == ' ';
        out[n] = '\0';
    }
    return out;
}

static int sqlite_def_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "<head>(<definitions sorted, joined by ', '>)<tail>". */
static int sqlite_defs_join(const char *sql, const struct sqlite_defs *d, char **out,
                            struct sw_err *err)
{
    char **defs = calloc(d->n, sizeof *defs);
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, 2 * strlen(sql) + 16);
    int rc = defs == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory reading the catalog") : 0;
    for (size_t i = 0; i < d->n && rc == 0; i++) {
        const char *end = i + 1 < d->n ? d->starts[i + 1] - 1 : d->close;
        if ((defs[i] = sqlite_def_dup(d->starts[i], end)) == NULL) {
            rc = sw_err_set(err, SW_ENOMEM, "out of memory reading the catalog");
        }
    }
    if (rc == 0) {
        qsort(defs, d->n, sizeof defs[0], sqlite_def_cmp);
        rc = sw_strbuf_append(&sb, sql, (size_t)(d->open - sql) + 1, err);
    }
    for (size_t i = 0; i < d->n && rc == 0; i++) {
        rc = sw_strbuf_printf(&sb, err, "%s%s", i > 0 ? ", " : "", defs[i]);
    }
    if (rc == 0 && (rc = sw_strbuf_puts(&sb, d->close, err)) == 0) {
        *out = sw_strbuf_take(&sb);
    }
    for (size_t i = 0; defs != NULL && i < d->n; i++) {
        free(defs[i]);
    }
    free(defs);
    sw_strbuf_cleanup(&sb);
    return rc;
}

/* The "object" query's CREATE TABLE text (cell 4 of a type 'table' row) with its
 * definitions sorted: a column re-added by a down migration lands last. */
static int sqlite_unorder_cell(const struct engine_rows *rows, size_t row, size_t col, char **out,
                               struct sw_err *err)
{
    const char *type = engine_rows_get(rows, row, 1);
    const char *sql = engine_rows_get(rows, row, col);
    *out = NULL;
    if (col != 3 || type == NULL || strcmp(type, "table") != 0 || sql == NULL) {
        return 0;
    }
    struct sqlite_defs *d = malloc(sizeof *d);
    if (d == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory reading the catalog");
    }
    int rc = sqlite_defs_scan(sql, d) ? sqlite_defs_join(sql, d, out, err) : 0;
    free(d);
    return rc;
}

/* Schema fingerprint catalog: the main database; SQLite's own tables excluded. The
 * stored CREATE texts carry what the pragmas do not (CHECK constraints, partial and
 * expression indexes, view and trigger bodies). */
#define SQLITE_USER_TABLES " m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
static const struct engine_catalog_query sqlite_catalog_queries[] = {
    {.kind = "object",
     .sql = "SELECT tbl_name, type, name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
     .unorder_cell = sqlite_unorder_cell},
    {.kind = "column",
     .sql = "SELECT m.name, p.cid, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk "
            "FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE" SQLITE_USER_TABLES,
     .position_col = 2},
    {.kind = "index",
     .sql =
         "SELECT m.name, l.name, l.\"unique\", l.origin, l.partial, i.seqno, i.name "
         "FROM sqlite_master m JOIN pragma_index_list(m.name) l JOIN pragma_index_info(l.name) i "
         "WHERE" SQLITE_USER_TABLES},
    {.kind = "foreign_key",
     .sql =
         "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete, "
         "f.\"match\" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f "
         "WHERE" SQLITE_USER_TABLES},
};

const struct engine_ops engine_ops_sqlite = {
    .name = "sqlite",
    .kind = MIGSET_ENGINE_SQLITE,
    .caps = ENGINE_CAP_TXN_DDL | ENGINE_CAP_CANCEL,
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .query = sqlite_query,
    .try_lock = sqlite_try_lock,
    .unlock = sqlite_unlock,
    .set_timeouts = sqlite_set_timeouts,
    .exec_stmts = sqlite_exec_stmts,
    .sql_id_type = "integer PRIMARY KEY AUTOINCREMENT",
    .sql_time_type = "text",
    .sql_table_options = "",
    .table_exists = sqlite_table_exists,
    .catalog_queries = sqlite_catalog_queries,
    .n_catalog_queries = sizeof sqlite_catalog_queries / sizeof sqlite_catalog_queries[0],
    .cancel = sqlite_cancel,
};
