/*
 * The PostgreSQL backend of the store (libpq), for several coordinators sharing one
 * store. Statements are prepared once per connection (PQprepare, named by their slot
 * in a cache keyed by the address of the SQL literal) after rewriting `?`/`?N` to
 * `$N`; integers travel as int8, blobs as binary bytea, results as text.
 *
 * Isolation: write transactions run at READ COMMITTED and first take one
 * transaction-scoped advisory lock (STORE_PG_WRITER_KEY), so writers of the store are
 * serialised exactly like SQLite's BEGIN IMMEDIATE: every read-then-write (the
 * optimistic wave check, the busy-shard check, fleet sync) sees the latest committed
 * state and no serialization failures need retrying. Writes are short and one
 * coordinator (the leader) makes nearly all of them, so the lock costs no throughput
 * that matters. Read snapshots are REPEATABLE READ READ ONLY. The lease claim takes
 * no writer lock: its UPDATE of the lease row waits only for in-flight fenced writes
 * (their FOR SHARE on that row).
 *
 * A lost connection fails the call in flight with SW_ECONNECT (the server rolls the
 * open transaction back, so nothing is half-written); the next transaction (or
 * statement outside one) resets the connection and re-prepares on demand.
 */
#include "store_impl.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw/strbuf.h"

/* The store's writer lock: the bytes of "swstorew" as a bigint. */
#define STORE_PG_WRITER_KEY   "8319104398426927991"
#define STORE_PG_PARAMS_MAX   32
#define STORE_PG_OID_INT8     20
#define STORE_PG_OID_TEXT     25
#define STORE_PG_OID_BYTEA    17
#define STORE_PG_CONNECT_SECS "5"

struct store_q {
    PGresult *res;
    int row;             /* current row; -1 before the first step */
    unsigned char *blob; /* PQunescapeBytea of the last col_blob */
};

struct store_pg_stmt {
    const char *sql;  /* the literal (compared by address) */
    bool is_prepared; /* on the current connection */
};

struct store_pg {
    PGconn *conn;
    int lock_timeout_ms;
    int idle_txn_ms; /* a stopped coordinator's open transaction ends after this */
    int64_t changes;
    size_t n_cached;
    struct store_pg_stmt cache[STORE_STMT_CACHE];
};

/* Bound parameters in libpq's arrays. */
struct store_pg_params {
    int n;
    Oid types[STORE_PG_PARAMS_MAX];
    const char *values[STORE_PG_PARAMS_MAX];
    int lengths[STORE_PG_PARAMS_MAX];
    int formats[STORE_PG_PARAMS_MAX];
    char ints[STORE_PG_PARAMS_MAX][24];
};

static bool store_pg_conn_lost(const struct store *st)
{
    return PQstatus(st->pg->conn) != CONNECTION_OK;
}

/* Maps a failed result (or a NULL one) to an sw_err: SW_ECONNECT when the connection
 * is gone, SW_ECONFLICT for integrity violations, SW_ELOCKED for lock timeouts and
 * deadlocks, SW_ETIMEOUT for a cancelled statement, SW_EDB otherwise. */
static int store_pg_error(struct store *st, const PGresult *res, const char *what,
                          struct sw_err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    int code = SW_EDB;
    if (store_pg_conn_lost(st) || (state != NULL && strncmp(state, "08", 2) == 0) ||
        (state != NULL && strncmp(state, "57P0", 4) == 0)) {
        code = SW_ECONNECT;
    } else if (state != NULL && strncmp(state, "23", 2) == 0) {
        code = SW_ECONFLICT;
    } else if (state != NULL && (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0 ||
                                 strcmp(state, "40001") == 0)) {
        code = SW_ELOCKED;
    } else if (state != NULL && strcmp(state, "57014") == 0) {
        code = SW_ETIMEOUT;
    }
    if (msg == NULL) {
        msg = PQerrorMessage(st->pg->conn);
    }
    int rc =
        sw_err_set(err, code, "store %s: %s: %.*s%s%s%s", st->path, what, (int)strcspn(msg, "\n"),
                   msg, state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
    if (code == SW_ECONNECT) {
        sw_err_hint(err, "the store's PostgreSQL is unreachable; the next call reconnects");
    }
    return rc;
}

/* Runs one command of our own (no parameters, no rows). */
static int store_pg_exec(struct store *st, const char *sql, const char *what, struct sw_err *err)
{
    PGresult *res = PQexec(st->pg->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : store_pg_error(st, res, what, err);
    PQclear(res);
    return rc;
}

/* Session settings, after every (re)connect: the lock wait bound (as SQLite's busy
 * timeout), and an end for transactions a stopped coordinator left open, so a
 * SIGSTOPped leader cannot hold the lease row or the writer lock for ever. */
static int store_pg_session(struct store *st, struct sw_err *err)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SET lock_timeout = %d; SET idle_in_transaction_session_timeout = %d; "
             "SET application_name = 'shardwave-coordinator'",
             st->pg->lock_timeout_ms, st->pg->idle_txn_ms);
    return store_pg_exec(st, sql, "setting up the session", err);
}

/* Whether an idle connection (no command outstanding, outside a transaction) was cut by
 * the server: it then sent something unasked (FATAL "terminating connection", or just
 * EOF). Anything readable on an idle connection counts: reconnecting is harmless. */
static bool store_pg_idle_cut(const struct store *st)
{
    struct pollfd pfd = {.fd = PQsocket(st->pg->conn), .events = POLLIN};
    return pfd.fd < 0 || (poll(&pfd, 1, 0) > 0 && pfd.revents != 0);
}

/* Re-establishes a lost connection (outside a transaction only). */
static int store_pg_ensure(struct store *st, struct sw_err *err)
{
    struct store_pg *p = st->pg;
    bool is_cut = !st->in_txn && PQstatus(p->conn) == CONNECTION_OK && store_pg_idle_cut(st);
    if (!is_cut && !store_pg_conn_lost(st)) {
        return 0;
    }
    if (st->in_txn) {
        return sw_err_set(err, SW_ECONNECT, "store %s: connection lost in a transaction", st->path);
    }
    for (size_t i = 0; i < p->n_cached; i++) {
        p->cache[i].is_prepared = false;
    }
    PQreset(p->conn);
    if (store_pg_conn_lost(st)) {
        int rc = store_pg_error(st, NULL, "reconnecting", err);
        return rc;
    }
    return store_pg_session(st, err);
}

static int store_pg_bind(struct store *st, const char *types, va_list ap, struct store_pg_params *p,
                         struct sw_err *err)
{
    p->n = (int)strlen(types);
    if (p->n > STORE_PG_PARAMS_MAX) {
        return sw_err_set(err, SW_EINTERNAL, "store: %d parameters, at most %d", p->n,
                          STORE_PG_PARAMS_MAX);
    }
    for (int i = 0; i < p->n; i++) {
        p->formats[i] = 0;
        p->lengths[i] = 0;
        switch (types[i]) {
        case 's':
            p->types[i] = STORE_PG_OID_TEXT;
            p->values[i] = va_arg(ap, const char *);
            break;
        case 'i':
            p->types[i] = STORE_PG_OID_INT8;
            snprintf(p->ints[i], sizeof p->ints[i], "%lld", (long long)va_arg(ap, int64_t));
            p->values[i] = p->ints[i];
            break;
        case 'b':
            p->types[i] = STORE_PG_OID_INT8;
            p->values[i] = va_arg(ap, int) ? "1" : "0";
            break;
        case 'z':
            p->types[i] = STORE_PG_OID_BYTEA;
            p->values[i] = va_arg(ap, const char *);
            size_t len = va_arg(ap, size_t);
            if (len > INT32_MAX) {
                return sw_err_set(err, SW_ETOOBIG, "store %s: blob of %zu bytes", st->path, len);
            }
            p->lengths[i] = (int)len;
            p->formats[i] = 1;
            p->values[i] = len ? p->values[i] : "";
            break;
        default:
            return sw_err_set(err, SW_EINTERNAL, "store: bad bind type '%c'", types[i]);
        }
    }
    return 0;
}

/* Rewrites SQLite placeholders for PostgreSQL: "?N" -> "$N", a bare "?" -> "$k" with k
 * one more than the highest number so far (SQLite's rule). Quoted text, quoted names
 * and -- comments are copied as they are. *out is a heap string. */
static int store_pg_rewrite(const char *sql, char **out, struct sw_err *err)
{
    struct sw_strbuf sb;
    int max = 0;
    int rc = 0;
    sw_strbuf_init(&sb, 1024 * 1024);
    for (const char *p = sql; *p != '\0' && rc == 0; p++) {
        char quote = *p == '\'' || *p == '"' ? *p : 0;
        if (quote || (p[0] == '-' && p[1] == '-')) {
            size_t n = quote ? strcspn(p + 1, quote == '\'' ? "'" : "\"") + 1 : strcspn(p, "\n");
            n += p[n] != '\0' && quote;
            rc = sw_strbuf_append(&sb, p, n, err);
            p += n - 1;
        } else if (*p == '?') {
            char *end = NULL;
            long num = strtol(p + 1, &end, 10);
            num = end == p + 1 ? max + 1 : num;
            max = num > max ? (int)num : max;
            rc = sw_strbuf_printf(&sb, err, "$%ld", num);
            p = end - 1;
        } else {
            rc = sw_strbuf_append(&sb, p, 1, err);
        }
    }
    *out = rc == 0 ? strdup(sw_strbuf_str(&sb)) : NULL;
    sw_strbuf_cleanup(&sb);
    if (rc == 0 && *out == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "store: out of memory");
    }
    return rc;
}

/* The cache slot of sql, prepared on this connection; NULL when the cache is full
 * (the statement then runs unnamed). */
static int store_pg_prepare(struct store *st, const char *sql, const struct store_pg_params *bp,
                            struct store_pg_stmt **slot, char name[16], struct sw_err *err)
{
    struct store_pg *p = st->pg;
    size_t i = 0;
    while (i < p->n_cached && p->cache[i].sql != sql) {
        i++;
    }
    *slot = NULL;
    if (i == p->n_cached && p->n_cached == STORE_STMT_CACHE) {
        return 0;
    }
    if (i == p->n_cached) {
        p->cache[p->n_cached++] = (struct store_pg_stmt){.sql = sql};
    }
    *slot = &p->cache[i];
    snprintf(name, 16, "sw_%zu", i);
    if ((*slot)->is_prepared) {
        return 0;
    }
    char *text = NULL;
    int rc = store_pg_rewrite(sql, &text, err);
    if (rc == 0) {
        PGresult *res = PQprepare(p->conn, name, text, bp->n, bp->types);
        rc = PQresultStatus(res) == PGRES_COMMAND_OK
                 ? 0
                 : store_pg_error(st, res, "preparing a statement", err);
        PQclear(res);
    }
    free(text);
    (*slot)->is_prepared = rc == 0;
    return rc;
}

static PGresult *store_pg_run(struct store *st, const char *sql, const struct store_pg_params *bp,
                              struct sw_err *err, int *rc)
{
    struct store_pg_stmt *slot = NULL;
    char name[16];
    *rc = store_pg_prepare(st, sql, bp, &slot, name, err);
    if (*rc != 0) {
        return NULL;
    }
    if (slot != NULL) {
        return PQexecPrepared(st->pg->conn, name, bp->n, bp->values, bp->lengths, bp->formats, 0);
    }
    char *text = NULL;
    *rc = store_pg_rewrite(sql, &text, err);
    PGresult *res = *rc == 0 ? PQexecParams(st->pg->conn, text, bp->n, bp->types, bp->values,
                                            bp->lengths, bp->formats, 0)
                             : NULL;
    free(text);
    return res;
}

/* Prepares (once per connection), binds and executes; rows are read by step. */
static int store_pg_stmt(struct store *st, struct store_q **out, const char *sql, const char *types,
                         va_list ap, struct sw_err *err)
{
    struct store_pg_params bp;
    *out = NULL;
    int rc = store_pg_ensure(st, err);
    if (rc == 0) {
        rc = store_pg_bind(st, types, ap, &bp, err);
    }
    PGresult *res = rc == 0 ? store_pg_run(st, sql, &bp, err, &rc) : NULL;
    ExecStatusType s = PQresultStatus(res);
    if (rc == 0 && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        rc = store_pg_error(st, res, "running a statement", err);
    }
    if (rc == 0 && (*out = calloc(1, sizeof **out)) == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    if (rc != 0) {
        PQclear(res);
        return rc;
    }
    const char *n = PQcmdTuples(res);
    st->pg->changes = n[0] != '\0' ? strtoll(n, NULL, 10) : 0;
    **out = (struct store_q){.res = res, .row = -1};
    return 0;
}

static void store_pg_done(struct store *st, struct store_q *q)
{
    (void)st;
    PQclear(q->res);
    PQfreemem(q->blob);
    free(q);
}

static int store_pg_step(struct store *st, struct store_q *q, const char *what, struct sw_err *err)
{
    (void)st;
    (void)what;
    (void)err;
    if (q->row + 1 >= PQntuples(q->res)) {
        q->row = PQntuples(q->res);
        return 0;
    }
    q->row++;
    return 1;
}

static int64_t store_pg_changes(struct store *st)
{
    return st->pg->changes;
}

static void store_pg_rollback(struct store *st)
{
    if (!store_pg_conn_lost(st) && PQtransactionStatus(st->pg->conn) != PQTRANS_IDLE) {
        PQclear(PQexec(st->pg->conn, "ROLLBACK"));
    }
}

/* The BEGIN command of each transaction mode. */
static const char *store_pg_begin_sql(enum store_txn_mode mode)
{
    switch (mode) {
    case STORE_TXN_READ:
        return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    case STORE_TXN_WRITE:
        return "BEGIN; SELECT pg_advisory_xact_lock(" STORE_PG_WRITER_KEY ")";
    case STORE_TXN_LEASE:
        return "BEGIN";
    }
    return "BEGIN";
}

/* Runs a BEGIN command (several statements, one round trip); keeps the last result in
 * *keep when keep is non-NULL. */
static int store_pg_begin_once(struct store *st, const char *sql, PGresult **keep,
                               struct sw_err *err)
{
    PGresult *res = PQexec(st->pg->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK
                 ? 0
                 : store_pg_error(st, res, "starting a transaction", err);
    if (rc == 0 && keep != NULL) {
        *keep = res;
        return 0;
    }
    PQclear(res);
    return rc;
}

/* A connection that died while idle fails the BEGIN itself, before anything was
 * written: that one is retried once on a fresh connection. */
static int store_pg_begin_cmd(struct store *st, const char *sql, PGresult **keep,
                              struct sw_err *err)
{
    int rc = store_pg_ensure(st, err);
    if (rc == 0) {
        rc = store_pg_begin_once(st, sql, keep, err);
    }
    if (rc == SW_ECONNECT) {
        rc = store_pg_ensure(st, err);
        rc = rc == 0 ? store_pg_begin_once(st, sql, keep, err) : rc;
    }
    if (rc != 0) {
        store_pg_rollback(st);
    }
    return rc;
}

static int store_pg_begin(struct store *st, enum store_txn_mode mode, struct sw_err *err)
{
    return store_pg_begin_cmd(st, store_pg_begin_sql(mode), NULL, err);
}

/* BEGIN, the writer lock and the lease row FOR SHARE in one round trip: a takeover
 * (UPDATE of that row) waits for this transaction, and later writes see its epoch. */
static int store_pg_begin_fenced(struct store *st, struct store_q **lease_row, struct sw_err *err)
{
    PGresult *res = NULL;
    *lease_row = NULL;
    int rc = store_pg_begin_cmd(st,
                                "BEGIN; SELECT pg_advisory_xact_lock(" STORE_PG_WRITER_KEY "); "
                                "SELECT epoch, holder, url FROM leader WHERE id = 1 FOR SHARE",
                                &res, err);
    if (rc == 0 && (*lease_row = calloc(1, sizeof **lease_row)) == NULL) {
        store_pg_rollback(st);
        rc = sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    if (rc != 0) {
        PQclear(res);
        return rc;
    }
    **lease_row = (struct store_q){.res = res, .row = -1};
    return 0;
}

static int store_pg_commit(struct store *st, struct sw_err *err)
{
    int rc = store_pg_exec(st, "COMMIT", "committing", err);
    if (rc != 0) {
        store_pg_rollback(st);
    }
    return rc;
}

static const char *store_pg_col_text(struct store_q *q, int col)
{
    return PQgetisnull(q->res, q->row, col) ? NULL : PQgetvalue(q->res, q->row, col);
}

static size_t store_pg_col_bytes(struct store_q *q, int col)
{
    return (size_t)PQgetlength(q->res, q->row, col);
}

static int64_t store_pg_col_int(struct store_q *q, int col)
{
    return PQgetisnull(q->res, q->row, col) ? 0
                                            : strtoll(PQgetvalue(q->res, q->row, col), NULL, 10);
}

static const void *store_pg_col_blob(struct store_q *q, int col, size_t *len)
{
    PQfreemem(q->blob);
    q->blob = NULL;
    *len = 0;
    if (PQgetisnull(q->res, q->row, col)) {
        return NULL;
    }
    q->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(q->res, q->row, col), len);
    return q->blob;
}

static const char *store_pg_col_name(struct store_q *q, int col)
{
    return PQfname(q->res, col);
}

static void store_pg_close(struct store *st)
{
    if (st->pg == NULL) {
        return;
    }
    PQfinish(st->pg->conn);
    free(st->pg);
    st->pg = NULL;
}

static const struct store_db_ops store_pg_ops = {
    .name = "PostgreSQL",
    .stmt = store_pg_stmt,
    .done = store_pg_done,
    .step = store_pg_step,
    .changes = store_pg_changes,
    .begin = store_pg_begin,
    .begin_fenced = store_pg_begin_fenced,
    .commit = store_pg_commit,
    .rollback = store_pg_rollback,
    .col_text = store_pg_col_text,
    .col_bytes = store_pg_col_bytes,
    .col_int = store_pg_col_int,
    .col_blob = store_pg_col_blob,
    .col_name = store_pg_col_name,
    .close = store_pg_close,
    .sql_now_ms = "SELECT CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT)",
    .sql_has_schema = "SELECT count(*) FROM pg_catalog.pg_tables "
                      "WHERE schemaname = current_schema() AND tablename = 'waves'",
};

/* Server notices (and a dying session's FATAL) stay out of our stderr: errors reach the
 * caller through the failing call. */
static void store_pg_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int store_pg_connect(struct store *st, const char *conninfo, int lock_timeout_ms, int idle_txn_ms,
                     struct sw_err *err)
{
    st->ops = &store_pg_ops;
    st->pg = calloc(1, sizeof *st->pg);
    if (st->pg == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    st->pg->lock_timeout_ms = lock_timeout_ms;
    st->pg->idle_txn_ms = idle_txn_ms;
    st->pg->conn = PQconnectdb(conninfo);
    if (st->pg->conn == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    PQsetNoticeProcessor(st->pg->conn, store_pg_notice, NULL);
    if (store_pg_conn_lost(st)) {
        return store_pg_error(st, NULL, "connecting", err);
    }
    return store_pg_session(st, err);
}

/* Appends key='value' (quotes and backslashes escaped) to a conninfo. */
static int store_pg_conninfo_add(struct sw_strbuf *sb, const char *key, const char *val,
                                 struct sw_err *err)
{
    int rc = sw_strbuf_printf(sb, err, "%s%s='", sb->len > 0 ? " " : "", key);
    for (const char *p = val; rc == 0 && *p != '\0'; p++) {
        if (*p == '\'' || *p == '\\') {
            rc = sw_strbuf_append(sb, "\\", 1, err);
        }
        rc = rc == 0 ? sw_strbuf_append(sb, p, 1, err) : rc;
    }
    return rc == 0 ? sw_strbuf_append(sb, "'", 1, err) : rc;
}

/* Connection defaults the URL may override: a bounded connect, and TCP keepalives plus
 * a user timeout, so a store behind a network partition fails the call (SW_ECONNECT)
 * within about 6 s instead of blocking it for ever; both stay below the default leader
 * lease (10 s), so a follower is not stuck connecting past a takeover. A busy server
 * still answers keepalives: long statements are not cut. */
static const char *const store_pg_defaults[][2] = {
    {"connect_timeout", STORE_PG_CONNECT_SECS},
    {"keepalives", "1"},
    {"keepalives_idle", "3"},
    {"keepalives_interval", "1"},
    {"keepalives_count", "3"},
    {"tcp_user_timeout", "6000"},
};
#define STORE_PG_N_DEFAULTS (sizeof store_pg_defaults / sizeof store_pg_defaults[0])

/* Appends the URL's own settings (but the password, when one is given) to sb, noting
 * which defaults the URL sets itself. */
static int store_pg_conninfo_url(PQconninfoOption *opts, const char *password,
                                 bool is_set[STORE_PG_N_DEFAULTS], struct sw_strbuf *sb,
                                 struct sw_err *err)
{
    int rc = 0;
    for (PQconninfoOption *o = opts; o->keyword != NULL && rc == 0; o++) {
        if (o->val == NULL || (password != NULL && strcmp(o->keyword, "password") == 0)) {
            continue;
        }
        for (size_t i = 0; i < STORE_PG_N_DEFAULTS; i++) {
            is_set[i] |= strcmp(o->keyword, store_pg_defaults[i][0]) == 0;
        }
        rc = store_pg_conninfo_add(sb, o->keyword, o->val, err);
    }
    return rc;
}

int store_pg_conninfo(const char *url, const char *password, char **out, struct sw_err *err)
{
    char *why = NULL;
    struct sw_strbuf sb;
    bool is_set[STORE_PG_N_DEFAULTS] = {false};
    *out = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &why);
    if (opts == NULL) {
        int rc = sw_err_set(err, SW_EINVAL, "store URL: %.*s", why ? (int)strcspn(why, "\n") : 14,
                            why ? why : "out of memory");
        PQfreemem(why);
        return rc;
    }
    sw_strbuf_init(&sb, 64 * 1024);
    int rc = store_pg_conninfo_url(opts, password, is_set, &sb, err);
    if (rc == 0 && password != NULL) {
        rc = store_pg_conninfo_add(&sb, "password", password, err);
    }
    for (size_t i = 0; rc == 0 && i < STORE_PG_N_DEFAULTS; i++) {
        rc = is_set[i] ? 0
                       : store_pg_conninfo_add(&sb, store_pg_defaults[i][0],
                                               store_pg_defaults[i][1], err);
    }
    PQconninfoFree(opts);
    if (rc == 0 && (*out = strdup(sw_strbuf_str(&sb))) == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "store: out of memory");
    }
    if (sb.buf != NULL) {
        memset(sb.buf, 0, sb.cap); /* the password */
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

void store_pg_conninfo_free(char *conninfo)
{
    if (conninfo != NULL) {
        memset(conninfo, 0, strlen(conninfo));
        free(conninfo);
    }
}
