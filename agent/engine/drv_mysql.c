/*
 * MySQL/MariaDB driver (MariaDB Connector/C). A script runs as one
 * multi-statement batch; mysql_next_result walks it statement by statement, so
 * the failing statement is known. Our own statements are prepared statements;
 * those with parameters (history writes, the lock) stay prepared for the
 * connection's life in a small cache keyed by their SQL text (my_stmt_*).
 */
#include "engine/engine_impl.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "sw/checksum.h"
#include "sw/strbuf.h"

#define MY_DEFAULT_PORT 3306
/* Long DDL can run for hours; the read timeout only guards against a dead peer. */
#define MY_READ_TIMEOUT_S       (24u * 3600u)
#define MY_WRITE_TIMEOUT_S      600u
#define MY_NO_LIMIT_S           31536000 /* "no lock timeout": one year, the server's maximum */
#define MY_LOCK_NAME_MAX        64       /* GET_LOCK name limit */
#define MY_LOCK_PREFIX          "shardwave."
#define MY_ER_STATEMENT_TIMEOUT 1969 /* MariaDB max_statement_time exceeded */
#define MY_ER_EXECUTION_TIME    3024 /* MySQL max_execution_time exceeded */
#define MY_BATCH_MAX_BYTES      (64u * 1024u * 1024u)
/* Prepared statements kept per connection: ours are about six (history insert, finish
 * and progress, GET_LOCK, RELEASE_LOCK, the table check); the least recently used
 * one is closed when a new one needs its slot. */
#define MY_STMT_CACHE_SLOTS 16
#define MY_FLOAT_TEXT_MAX   64 /* a FLOAT or DOUBLE as text (at most ~24 characters) */

struct my_params {
    char host[256];
    char user[256];
    char pass[256];
    char db[256];
    char socket[PATH_MAX];
    unsigned port;
    unsigned timeout_s;
};

/* One cached prepared statement; sql == NULL marks a free slot. */
struct my_stmt_slot {
    char *sql; /* the key: a copy of the statement's text */
    MYSQL_STMT *st;
    unsigned long long last_use; /* my_conn.n_uses when last executed */
};

struct my_conn {
    MYSQL *my;
    unsigned long thread_id;
    struct my_params p; /* kept for cancel's second connection */
    bool is_mariadb;
    char lock_name[MY_LOCK_NAME_MAX + 1];
    struct my_stmt_slot stmts[MY_STMT_CACHE_SLOTS];
    unsigned long long n_uses;
};

static MYSQL *my_of(struct engine *eng)
{
    return ((struct my_conn *)eng->conn)->my;
}

static int my_global_init(struct sw_err *err)
{
    if (mysql_library_init(0, NULL, NULL) != 0) {
        return sw_err_set(err, SW_EINTERNAL, "mysql_library_init failed");
    }
    return 0;
}

static void my_global_cleanup(void)
{
    mysql_library_end();
}

/* "ERROR <errno> (<sqlstate>): <message>" and our code for it. */
static int my_error(unsigned no, const char *state, const char *msg, bool *lock_timeout,
                    struct sw_err *err)
{
    int code = SW_EDB;
    switch (no) {
    case ER_LOCK_WAIT_TIMEOUT: /* row locks and metadata-lock waits alike */
        code = SW_ELOCKED;
        if (lock_timeout != NULL) {
            *lock_timeout = true;
        }
        break;
    case MY_ER_STATEMENT_TIMEOUT:
    case MY_ER_EXECUTION_TIME:
    case ER_QUERY_INTERRUPTED: /* KILL QUERY from engine_cancel */
        code = SW_ETIMEOUT;
        break;
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case ER_CONNECTION_KILLED:
        code = SW_ECONNECT;
        break;
    default:
        break;
    }
    return sw_err_set(err, code, "ERROR %u (%s): %s", no, state, msg);
}

static int my_conn_error(MYSQL *my, bool *lock_timeout, struct sw_err *err)
{
    return my_error(mysql_errno(my), mysql_sqlstate(my), mysql_error(my), lock_timeout, err);
}

static int my_stmt_error(MYSQL_STMT *st, struct sw_err *err)
{
    return my_error(mysql_stmt_errno(st), mysql_stmt_sqlstate(st), mysql_stmt_error(st), NULL, err);
}

/* Copies a URL part into dst, URL-decoded; absent parts give "". */
static int my_url_part(CURLU *u, CURLUPart part, char *dst, size_t cap, const char *what,
                       struct sw_err *err)
{
    char *val = NULL;
    dst[0] = '\0';
    CURLUcode uc = curl_url_get(u, part, &val, CURLU_URLDECODE);
    if (uc != CURLUE_OK) {
        return 0;
    }
    int rc = 0;
    if ((size_t)snprintf(dst, cap, "%s", val) >= cap) {
        rc = sw_err_set(err, SW_EINVAL, "mysql DSN: %s too long (max %zu bytes)", what, cap - 1);
    }
    curl_free(val);
    return rc;
}

/* The query string: only "socket=/path" is understood. */
static int my_parse_query(CURLU *u, struct my_params *p, struct sw_err *err)
{
    char *query = NULL;
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK) {
        return 0;
    }
    int rc = 0;
    for (const char *q = query; rc == 0 && *q != '\0';) {
        size_t n = strcspn(q, "&");
        if (n > 7 && strncmp(q, "socket=", 7) == 0) {
            char *val = curl_easy_unescape(NULL, q + 7, (int)(n - 7), NULL);
            if (val == NULL ||
                (size_t)snprintf(p->socket, sizeof p->socket, "%s", val) >= sizeof p->socket) {
                rc = sw_err_set(err, SW_EINVAL, "mysql DSN: bad socket path");
            }
            curl_free(val);
        } else if (n > 0) {
            rc = sw_err_set(err, SW_EINVAL, "mysql DSN: unknown option '%.*s' (known: socket)",
                            (int)strcspn(q, "=&"), q);
        }
        q += n + (q[n] == '&');
    }
    curl_free(query);
    return rc;
}

static int my_parse_port(CURLU *u, struct my_params *p, struct sw_err *err)
{
    char port[16];
    int rc = my_url_part(u, CURLUPART_PORT, port, sizeof port, "port", err);
    if (rc != 0 || port[0] == '\0') {
        p->port = MY_DEFAULT_PORT;
        return rc;
    }
    char *end = NULL;
    unsigned long v = strtoul(port, &end, 10);
    if (*end != '\0' || v == 0 || v > 65535) {
        return sw_err_set(err, SW_EINVAL, "mysql DSN: bad port '%s'", port);
    }
    p->port = (unsigned)v;
    return 0;
}

/* mysql://user:pass@host:port/db?socket=/path (libcurl's URL parser). */
static int my_parse_dsn(const char *dsn, struct my_params *p, struct sw_err *err)
{
    CURLU *u = curl_url();
    char path[sizeof p->db + 1];
    if (u == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = 0;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, dsn, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
        rc = sw_err_set(err, SW_EINVAL, "cannot parse mysql DSN: %s", curl_url_strerror(uc));
        goto out;
    }
    rc = my_url_part(u, CURLUPART_HOST, p->host, sizeof p->host, "host", err);
    rc = rc != 0 ? rc : my_url_part(u, CURLUPART_USER, p->user, sizeof p->user, "user", err);
    rc =
        rc != 0 ? rc : my_url_part(u, CURLUPART_PASSWORD, p->pass, sizeof p->pass, "password", err);
    rc = rc != 0 ? rc : my_url_part(u, CURLUPART_PATH, path, sizeof path, "database", err);
    rc = rc != 0 ? rc : my_parse_port(u, p, err);
    rc = rc != 0 ? rc : my_parse_query(u, p, err);
    if (rc != 0) {
        goto out;
    }
    if (strchr(path + (path[0] == '/'), '/') != NULL) {
        rc = sw_err_set(err, SW_EINVAL, "mysql DSN: the path must be /<database>, got '%s'", path);
        goto out;
    }
    snprintf(p->db, sizeof p->db, "%s", path + (path[0] == '/'));
    /* IPv6 literals come back bracketed */
    size_t hl = strlen(p->host);
    if (hl > 2 && p->host[0] == '[' && p->host[hl - 1] == ']') {
        memmove(p->host, p->host + 1, hl - 2);
        p->host[hl - 2] = '\0';
    }
out:
    curl_url_cleanup(u);
    return rc;
}

/* One connection (used for the engine and for cancel's KILL QUERY). */
static int my_connect(const struct my_params *p, bool use_db, MYSQL **out, struct sw_err *err)
{
    unsigned read_s = MY_READ_TIMEOUT_S;
    unsigned write_s = MY_WRITE_TIMEOUT_S;
    MYSQL *my = mysql_init(NULL);
    *out = NULL;
    if (my == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &p->timeout_s);
    mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &read_s);
    mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &write_s);
    mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const char *db = use_db && p->db[0] != '\0' ? p->db : NULL;
    const char *sock = p->socket[0] != '\0' ? p->socket : NULL;
    if (mysql_real_connect(my, p->host, p->user, p->pass, db, p->port, sock,
                           CLIENT_MULTI_STATEMENTS) == NULL) {
        int rc = sw_err_set(err, SW_ECONNECT, "ERROR %u (%s): %s", mysql_errno(my),
                            mysql_sqlstate(my), mysql_error(my));
        mysql_close(my);
        return rc;
    }
    *out = my;
    return 0;
}

/* "shardwave.<db>", or "shardwave.<sha-256 hex prefix>" when that exceeds 64 chars. */
static int my_lock_name(const char *db, char *out, size_t cap, struct sw_err *err)
{
    if (strlen(MY_LOCK_PREFIX) + strlen(db) <= MY_LOCK_NAME_MAX) {
        snprintf(out, cap, "%s%s", MY_LOCK_PREFIX, db);
        return 0;
    }
    char hex[CHECKSUM_HEX_LEN + 1];
    int rc = checksum_sha256_hex_raw(db, strlen(db), hex, err);
    if (rc == 0) {
        snprintf(out, cap, "%s%.*s", MY_LOCK_PREFIX,
                 (int)(MY_LOCK_NAME_MAX - strlen(MY_LOCK_PREFIX)), hex);
    }
    return rc;
}

static void my_stmt_slot_drop(struct my_stmt_slot *s)
{
    if (s->st != NULL) {
        mysql_stmt_close(s->st); /* COM_STMT_CLOSE while the connection lives */
    }
    free(s->sql);
    memset(s, 0, sizeof *s);
}

static void my_stmt_cache_clear(struct my_conn *c)
{
    for (size_t i = 0; i < MY_STMT_CACHE_SLOTS; i++) {
        my_stmt_slot_drop(&c->stmts[i]);
    }
}

static void my_close(struct engine *eng)
{
    struct my_conn *c = eng->conn;
    if (c == NULL) {
        return;
    }
    /* First the connection: the server forgets its statements with it, and
     * mysql_close detaches the handles, so closing them sends nothing. */
    mysql_close(c->my);
    my_stmt_cache_clear(c);
    free(c);
    eng->conn = NULL;
}

static int my_open(struct engine *eng, const char *dsn, int connect_timeout_ms, struct sw_err *err)
{
    struct my_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    eng->conn = c;
    c->p.timeout_s = (unsigned)((connect_timeout_ms + 999) / 1000);
    int rc = my_parse_dsn(dsn, &c->p, err);
    rc = rc != 0 ? rc : my_lock_name(c->p.db, c->lock_name, sizeof c->lock_name, err);
    rc = rc != 0 ? rc : my_connect(&c->p, true, &c->my, err);
    if (rc != 0) {
        my_close(eng);
        return rc;
    }
    c->thread_id = mysql_thread_id(c->my);
    const char *ver = mysql_get_server_info(c->my);
    c->is_mariadb = strstr(ver, "MariaDB") != NULL;
    snprintf(eng->server_version, sizeof eng->server_version, "%s", ver);
    snprintf(eng->database, sizeof eng->database, "%s", c->p.db);
    return 0;
}

/* Where a multi-statement batch is: statement `done` of split produces the next
 * result. */
struct my_batch {
    const char *script;
    const struct sqlsplit_result *split;
    size_t done;
};

/* A CALL yields one result set per SELECT in the procedure, then its own status. */
static bool my_is_call(const struct my_batch *b)
{
    if (b->done >= b->split->n_stmts) {
        return false;
    }
    const struct sqlsplit_stmt *st = &b->split->stmts[b->done];
    const char *t = b->script + st->offset;
    return st->len > 4 && strncasecmp(t, "call", 4) == 0 &&
           (t[4] == '(' || isspace((unsigned char)t[4]));
}

/* Reads and frees every pending result of the last query; with a batch, counts
 * completed statements in batch->done. Returns 0, or the first error. */
static int my_drain(MYSQL *my, struct my_batch *batch, bool *lock_timeout, struct sw_err *err)
{
    for (;;) {
        MYSQL_RES *r = mysql_store_result(my);
        bool had_rows = r != NULL;
        if (r != NULL) {
            mysql_free_result(r);
        } else if (mysql_field_count(my) != 0) {
            return my_conn_error(my, lock_timeout, err);
        }
        if (batch != NULL && !(had_rows && my_is_call(batch))) {
            batch->done++;
        }
        int st = mysql_next_result(my);
        if (st < 0) {
            return 0;
        }
        if (st > 0) {
            return my_conn_error(my, lock_timeout, err);
        }
    }
}

static int my_exec(struct engine *eng, const char *sql, struct sw_err *err)
{
    MYSQL *my = my_of(eng);
    if (mysql_real_query(my, sql, strlen(sql)) != 0) {
        return my_conn_error(my, NULL, err);
    }
    return my_drain(my, NULL, NULL, err);
}

/* Binds params to st. A statement not prepared yet (is_prepared false) is told how many
 * to expect; the server's count is checked when the prepare's answer arrives. */
static int my_bind_params(MYSQL_STMT *st, const char *const *params, size_t n_params,
                          bool is_prepared, struct sw_err *err)
{
    if (is_prepared && mysql_stmt_param_count(st) != n_params) {
        return sw_err_set(err, SW_EINTERNAL, "engine_query: statement takes %lu params, got %zu",
                          mysql_stmt_param_count(st), n_params);
    }
    if (n_params == 0) {
        return 0;
    }
    unsigned int n_prebind = (unsigned int)n_params;
    if (!is_prepared && mysql_stmt_attr_set(st, STMT_ATTR_PREBIND_PARAMS, &n_prebind) != 0) {
        return my_stmt_error(st, err);
    }
    MYSQL_BIND *b = calloc(n_params, sizeof *b);
    if (b == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_params; i++) {
        b[i].buffer_type = params[i] == NULL ? MYSQL_TYPE_NULL : MYSQL_TYPE_STRING;
        b[i].buffer = (void *)params[i];
        b[i].buffer_length = params[i] == NULL ? 0 : (unsigned long)strlen(params[i]);
    }
    int rc = mysql_stmt_bind_param(st, b) != 0 ? my_stmt_error(st, err) : 0;
    free(b); /* the library copied the bind descriptions */
    return rc;
}

/* One execution of a statement handle. */
struct my_call {
    MYSQL *my;
    const char *direct_sql; /* not NULL: the handle is new, this execution prepares it */
    const char *const *params;
    size_t n_params;
};

/* Binds and executes st. A new handle is prepared and executed in one round trip
 * (mariadb_stmt_execute_direct; Connector/C sends them one after the other to a server
 * without it) and stays prepared for the next execution. On a connection already lost
 * a plain prepare says so: the pipelined path would leave the handle out of sync. */
static int my_stmt_exec(MYSQL_STMT *st, const struct my_call *call, struct sw_err *err)
{
    const char *sql = call->direct_sql;
    if (sql != NULL && mysql_get_socket(call->my) == MARIADB_INVALID_SOCKET) {
        if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
            return my_stmt_error(st, err);
        }
        sql = NULL;
    }
    int rc = my_bind_params(st, call->params, call->n_params, sql == NULL, err);
    if (rc != 0) {
        return rc;
    }
    int failed =
        sql == NULL ? mysql_stmt_execute(st) : mariadb_stmt_execute_direct(st, sql, strlen(sql));
    if (failed == 0) {
        return 0;
    }
    if (mysql_stmt_errno(st) == CR_INVALID_PARAMETER_NO) {
        return sw_err_set(err, SW_EINTERNAL, "engine_query: the statement does not take %zu params",
                          call->n_params);
    }
    return my_stmt_error(st, err);
}

/* Reads every cell of the current row: each column is fetched at its exact length, but
 * FLOAT and DOUBLE, which Connector/C formats into the buffer it is given (the
 * zero-length probe of my_collect reads 0 for them), into MY_FLOAT_TEXT_MAX bytes. */
static int my_fetch_row(MYSQL_STMT *st, MYSQL_BIND *res, MYSQL_RES *meta, size_t n_cols,
                        struct engine_rowbuf *rb, struct sw_err *err)
{
    int rc = 0;
    for (size_t j = 0; rc == 0 && j < n_cols; j++) {
        if (*res[j].is_null) {
            rc = engine_rowbuf_add(rb, NULL, 0, err);
            continue;
        }
        enum enum_field_types type = mysql_fetch_field_direct(meta, (unsigned)j)->type;
        bool is_float = type == MYSQL_TYPE_FLOAT || type == MYSQL_TYPE_DOUBLE;
        unsigned long len = is_float ? MY_FLOAT_TEXT_MAX : *res[j].length;
        char *val = malloc(len + 1);
        if (val == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory reading query results");
        }
        MYSQL_BIND col = {0};
        unsigned long got = 0;
        col.buffer_type = MYSQL_TYPE_STRING;
        col.buffer = val;
        col.buffer_length = len + 1;
        col.length = &got;
        if (len > 0 && mysql_stmt_fetch_column(st, &col, (unsigned)j, 0) != 0) {
            rc = my_stmt_error(st, err);
        } else {
            rc = engine_rowbuf_add(rb, val, is_float && got < len ? got : len, err);
        }
        free(val);
    }
    return rc;
}

struct my_result_binds {
    MYSQL_BIND *b;
    unsigned long *len;
    my_bool *is_null;
};

static void my_result_binds_free(struct my_result_binds *rb)
{
    free(rb->b);
    free(rb->len);
    free(rb->is_null);
}

static int my_collect(MYSQL_STMT *st, MYSQL_RES *meta, size_t n_cols, struct engine_rowbuf *rows,
                      struct sw_err *err)
{
    struct my_result_binds rb = {calloc(n_cols, sizeof *rb.b), calloc(n_cols, sizeof *rb.len),
                                 calloc(n_cols, sizeof *rb.is_null)};
    int rc = 0;
    if (rb.b == NULL || rb.len == NULL || rb.is_null == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < n_cols; j++) { /* zero-size buffers: fetch reports lengths */
        rb.b[j].buffer_type = MYSQL_TYPE_STRING;
        rb.b[j].length = &rb.len[j];
        rb.b[j].is_null = &rb.is_null[j];
    }
    if (mysql_stmt_bind_result(st, rb.b) != 0) {
        rc = my_stmt_error(st, err);
        goto out;
    }
    int f = 0;
    while (rc == 0 && ((f = mysql_stmt_fetch(st)) == 0 || f == MYSQL_DATA_TRUNCATED)) {
        rc = my_fetch_row(st, rb.b, meta, n_cols, rows, err);
    }
    if (rc == 0 && f != MYSQL_NO_DATA) {
        rc = my_stmt_error(st, err);
    }
out:
    my_result_binds_free(&rb);
    return rc;
}

/* One execution of st (my_stmt_exec), its result set (if any) collected into *out
 * (when out is not NULL). */
static int my_stmt_run(MYSQL_STMT *st, const struct my_call *call, struct engine_rows **out,
                       struct sw_err *err)
{
    MYSQL_RES *meta = NULL;
    struct engine_rowbuf rows = {0};
    int rc = my_stmt_exec(st, call, err);
    if (rc != 0) {
        goto out;
    }
    meta = mysql_stmt_result_metadata(st);
    size_t n_cols = meta != NULL ? mysql_num_fields(meta) : 0;
    rc = engine_rowbuf_init(&rows, n_cols, err);
    if (rc == 0 && n_cols > 0) {
        rc = my_collect(st, meta, n_cols, &rows, err);
    }
    if (rc == 0 && out != NULL) {
        *out = engine_rowbuf_finish(&rows);
    }
out:
    engine_rowbuf_cleanup(&rows);
    if (meta != NULL) {
        mysql_free_result(meta);
    }
    return rc;
}

/* A statement without parameters is a one-off (catalog reads, a gate's query): it is
 * prepared, run and closed, as its result's shape may change between two runs. */
static int my_query_once(MYSQL *my, const char *sql, struct engine_rows **out, struct sw_err *err)
{
    MYSQL_STMT *st = mysql_stmt_init(my);
    if (st == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    struct my_call call = {.my = my, .direct_sql = sql};
    int rc = my_stmt_run(st, &call, out, err);
    mysql_stmt_close(st);
    return rc;
}

/* sql's slot: a hit (*hit), else a free slot or the least recently used one, emptied. */
static struct my_stmt_slot *my_stmt_slot_for(struct my_conn *c, const char *sql, bool *hit)
{
    struct my_stmt_slot *victim = &c->stmts[0];
    for (size_t i = 0; i < MY_STMT_CACHE_SLOTS; i++) {
        struct my_stmt_slot *s = &c->stmts[i];
        if (s->sql != NULL && strcmp(s->sql, sql) == 0) {
            *hit = true;
            return s;
        }
        if (victim->sql != NULL && (s->sql == NULL || s->last_use < victim->last_use)) {
            victim = s;
        }
    }
    *hit = false;
    my_stmt_slot_drop(victim);
    return victim;
}

/* A new statement handle for sql in an empty slot (prepared by its first execution). */
static int my_stmt_slot_fill(struct my_stmt_slot *s, MYSQL *my, const char *sql, struct sw_err *err)
{
    s->sql = strdup(sql);
    s->st = s->sql != NULL ? mysql_stmt_init(my) : NULL;
    return s->st == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
}

/* The server ran nothing and a new prepare may succeed: it no longer knows the
 * statement, or it has no room for another (max_prepared_stmt_count, which the
 * statements this cache keeps count against). */
static bool my_stmt_is_retriable(MYSQL_STMT *st)
{
    unsigned no = st != NULL ? mysql_stmt_errno(st) : 0;
    return no == ER_UNKNOWN_STMT_HANDLER || no == ER_MAX_PREPARED_STMT_COUNT_REACHED;
}

/* Executes sql in slot s: prepared already (hit), or prepared by this execution. */
static int my_stmt_slot_run(struct my_conn *c, struct my_stmt_slot *s, bool hit, const char *sql,
                            const char *const *params, size_t n_params, struct engine_rows **out,
                            struct sw_err *err)
{
    int rc = hit ? 0 : my_stmt_slot_fill(s, c->my, sql, err);
    if (rc == 0) {
        struct my_call call = {c->my, hit ? NULL : sql, params, n_params};
        s->last_use = ++c->n_uses;
        rc = my_stmt_run(s->st, &call, out, err);
    }
    return rc;
}

/* Runs sql from the cache. A statement the server did not run because it forgot it or
 * had no room for it is prepared again once (after closing every cached statement, for
 * room). A statement that failed, or left results unread, is closed, as before the
 * cache; a lost connection empties the cache (its handles are dead). */
static int my_query(struct engine *eng, const char *sql, const char *const *params, size_t n_params,
                    struct engine_rows **out, struct sw_err *err)
{
    struct my_conn *c = eng->conn;
    if (n_params == 0) {
        return my_query_once(c->my, sql, out, err);
    }
    bool hit = false;
    struct my_stmt_slot *s = my_stmt_slot_for(c, sql, &hit);
    int rc = my_stmt_slot_run(c, s, hit, sql, params, n_params, out, err);
    if (rc != 0 && my_stmt_is_retriable(s->st)) {
        if (mysql_stmt_errno(s->st) == ER_MAX_PREPARED_STMT_COUNT_REACHED) {
            my_stmt_cache_clear(c);
        }
        my_stmt_slot_drop(s);
        rc = my_stmt_slot_run(c, s, false, sql, params, n_params, out, err);
    }
    if (rc != 0 || (s->st != NULL && mysql_stmt_more_results(s->st))) {
        my_stmt_slot_drop(s);
    }
    if (rc == SW_ECONNECT) {
        my_stmt_cache_clear(c);
    }
    return rc;
}

/* One integer answer of a one-parameter SELECT; NULL is reported as -1. */
static int my_int_query(struct engine *eng, const char *sql, const char *param, long *value,
                        struct sw_err *err)
{
    struct engine_rows *rows = NULL;
    const char *const params[] = {param};
    int rc = my_query(eng, sql, params, 1, &rows, err);
    if (rc == 0) {
        const char *v = engine_rows_get(rows, 0, 0);
        *value = v != NULL ? strtol(v, NULL, 10) : -1;
    }
    engine_rows_free(rows);
    return rc;
}

static int my_try_lock(struct engine *eng, bool *acquired, struct sw_err *err)
{
    struct my_conn *c = eng->conn;
    long got = -1;
    int rc = my_int_query(eng, "SELECT GET_LOCK(?, 0)", c->lock_name, &got, err);
    if (rc == 0 && got < 0) {
        rc = sw_err_set(err, SW_EDB, "GET_LOCK('%s') failed", c->lock_name);
    }
    *acquired = rc == 0 && got == 1;
    return rc;
}

static int my_unlock(struct engine *eng, struct sw_err *err)
{
    struct my_conn *c = eng->conn;
    long released = -1;
    int rc = my_int_query(eng, "SELECT RELEASE_LOCK(?)", c->lock_name, &released, err);
    if (rc == 0 && released != 1) {
        rc = sw_err_set(err, SW_EINTERNAL, "the migrator lock '%s' was not held", c->lock_name);
    }
    return rc;
}

static int my_set_timeouts(struct engine *eng, int lock_timeout_ms, int statement_timeout_ms,
                           struct sw_err *err)
{
    struct my_conn *c = eng->conn;
    int lock_s = lock_timeout_ms == 0 ? MY_NO_LIMIT_S : (lock_timeout_ms + 999) / 1000;
    char sql[256];
    if (c->is_mariadb) {
        snprintf(sql, sizeof sql,
                 "SET SESSION lock_wait_timeout = %d, innodb_lock_wait_timeout = %d, "
                 "max_statement_time = %d.%03d",
                 lock_s, lock_s, statement_timeout_ms / 1000, statement_timeout_ms % 1000);
    } else {
        snprintf(sql, sizeof sql,
                 "SET SESSION lock_wait_timeout = %d, innodb_lock_wait_timeout = %d, "
                 "max_execution_time = %d",
                 lock_s, lock_s, statement_timeout_ms);
    }
    return my_exec(eng, sql, err);
}

/* Statements [start_idx, n) joined into one batch. "\n;\n" keeps a trailing
 * line comment of one statement from swallowing the separator. */
static int my_build_batch(const char *script, const struct sqlsplit_result *split, size_t start_idx,
                          struct sw_strbuf *sb, struct sw_err *err)
{
    int rc = 0;
    for (size_t i = start_idx; rc == 0 && i < split->n_stmts; i++) {
        const struct sqlsplit_stmt *st = &split->stmts[i];
        rc = sw_strbuf_append(sb, script + st->offset, st->len, err);
        if (rc == 0 && i + 1 < split->n_stmts) {
            rc = sw_strbuf_puts(sb, "\n;\n", err);
        }
    }
    return rc;
}

/* One parameter as a utf8mb4 hex literal: the same value whatever the session's
 * character set (a migration may SET NAMES), sql_mode (NO_BACKSLASH_ESCAPES,
 * ANSI_QUOTES) or quotes in the value, as a bound parameter would be. */
static int my_append_literal(struct sw_strbuf *sb, const char *v, struct sw_err *err)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = sw_strbuf_puts(sb, "_utf8mb4 X'", err);
    for (const unsigned char *p = (const unsigned char *)v; rc == 0 && *p != '\0'; p++) {
        const char two[2] = {hex[*p >> 4], hex[*p & 15]};
        rc = sw_strbuf_append(sb, two, 2, err);
    }
    return rc != 0 ? rc : sw_strbuf_puts(sb, "'", err);
}

/* The prelude's SQL with each '?' replaced by its parameter (engine.c checked the
 * count; our SQL has '?' only as placeholders), then the separator. */
static int my_prelude_text(const struct engine_prelude *pre, struct sw_strbuf *sb,
                           struct sw_err *err)
{
    int rc = 0;
    size_t i = 0;
    for (const char *p = pre->sql; rc == 0 && *p != '\0';) {
        size_t n = strcspn(p, "?");
        rc = sw_strbuf_append(sb, p, n, err);
        p += n;
        if (rc == 0 && *p == '?') {
            const char *v = pre->params[i++];
            rc = v == NULL ? sw_strbuf_puts(sb, "NULL", err) : my_append_literal(sb, v, err);
            p++;
        }
    }
    return rc != 0 ? rc : sw_strbuf_puts(sb, "\n;\n", err);
}

/* The prelude's result (the batch's first) into pre->rows; none gives zero columns. */
static int my_prelude_rows(MYSQL *my, struct engine_prelude *pre, struct sw_err *err)
{
    MYSQL_RES *r = mysql_store_result(my);
    if (r == NULL && mysql_field_count(my) != 0) {
        return my_conn_error(my, NULL, err);
    }
    size_t n_cols = r != NULL ? mysql_num_fields(r) : 0;
    struct engine_rowbuf rows = {0};
    int rc = engine_rowbuf_init(&rows, n_cols, err);
    MYSQL_ROW row = NULL;
    while (rc == 0 && r != NULL && (row = mysql_fetch_row(r)) != NULL) {
        unsigned long *lens = mysql_fetch_lengths(r);
        for (size_t j = 0; rc == 0 && j < n_cols; j++) {
            rc = engine_rowbuf_add(&rows, row[j], row[j] != NULL ? lens[j] : 0, err);
        }
    }
    if (rc == 0) {
        pre->rows = engine_rowbuf_finish(&rows);
    }
    engine_rowbuf_cleanup(&rows);
    mysql_free_result(r);
    return rc;
}

/* Reads and frees whatever results are left, keeping the connection in step. */
static void my_discard_results(MYSQL *my)
{
    while (mysql_next_result(my) == 0) {
        mysql_free_result(mysql_store_result(my));
    }
}

/* After the prelude's result: the script's statements, the first of which may have
 * failed already. */
static int my_drain_after_prelude(MYSQL *my, struct my_batch *batch, bool *lock_timeout,
                                  struct sw_err *err)
{
    int st = mysql_next_result(my);
    if (st > 0) {
        return my_conn_error(my, lock_timeout, err);
    }
    if (st < 0) {
        return sw_err_set(err, SW_EINTERNAL, "the batch ended after its prelude");
    }
    return my_drain(my, batch, lock_timeout, err);
}

/* Sends [pre;] statements [start_idx, n) as one multi-statement query and reads the
 * results; each statement yields one result (a CALL more: see my_drain), so the failing
 * statement is known. The server stops at the first failing statement: a failed
 * prelude runs nothing after it. */
static int my_run_batch(struct engine *eng, struct engine_prelude *pre, const char *script,
                        const struct sqlsplit_result *split, size_t start_idx,
                        struct engine_script_result *res, struct sw_err *err)
{
    MYSQL *my = my_of(eng);
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, MY_BATCH_MAX_BYTES);
    struct my_batch batch = {script, split, start_idx};
    int rc = pre != NULL ? my_prelude_text(pre, &sb, err) : 0;
    rc = rc != 0 ? rc : my_build_batch(script, split, start_idx, &sb, err);
    if (rc == 0 && mysql_real_query(my, sw_strbuf_str(&sb), sb.len) != 0) {
        rc = my_conn_error(my, pre != NULL ? NULL : &res->lock_timeout, err);
    } else if (rc == 0 && pre != NULL) {
        rc = my_prelude_rows(my, pre, err);
        if (rc != 0) {
            my_discard_results(my);
        } else {
            rc = my_drain_after_prelude(my, &batch, &res->lock_timeout, err);
        }
    } else if (rc == 0) {
        rc = my_drain(my, &batch, &res->lock_timeout, err);
    }
    res->n_done = split->n_stmts;
    if (rc != 0) {
        /* defensive clamp: an unexpected extra result must not point past the end */
        res->failed_idx = batch.done < split->n_stmts ? batch.done : split->n_stmts - 1;
        res->n_done = res->failed_idx;
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

static int my_exec_stmts(struct engine *eng, const char *script,
                         const struct sqlsplit_result *split, size_t start_idx,
                         struct engine_script_result *res, struct sw_err *err)
{
    return my_run_batch(eng, NULL, script, split, start_idx, res, err);
}

/* The prelude (our history row's INSERT) travels in the script's batch: one round trip
 * per step less. */
static int my_exec_stmts_after(struct engine *eng, struct engine_prelude *pre, const char *script,
                               const struct sqlsplit_result *split, size_t start_idx,
                               struct engine_script_result *res, struct sw_err *err)
{
    return my_run_batch(eng, pre, script, split, start_idx, res, err);
}

static int my_table_exists(struct engine *eng, const char *table, bool *exists, struct sw_err *err)
{
    long n = 0;
    int rc = my_int_query(eng,
                          "SELECT COUNT(*) FROM information_schema.tables "
                          "WHERE table_schema = DATABASE() AND table_name = ?",
                          table, &n, err);
    *exists = rc == 0 && n > 0;
    return rc;
}

/* KILL QUERY from a second connection: the only safe way to stop a statement
 * from another thread. Reads only what my_open fixed. */
static int my_cancel(struct engine *eng, struct sw_err *err)
{
    struct my_conn *c = eng->conn;
    MYSQL *killer = NULL;
    char sql[64];
    int rc = my_connect(&c->p, false, &killer, err);
    if (rc != 0) {
        return rc;
    }
    snprintf(sql, sizeof sql, "KILL QUERY %lu", c->thread_id);
    if (mysql_real_query(killer, sql, strlen(sql)) != 0) {
        rc = my_conn_error(killer, NULL, err);
    }
    mysql_close(killer);
    return rc;
}

/* Schema fingerprint catalog: the current database. Texts that MySQL qualifies with the
 * database name (view and routine bodies, trigger statements) have it removed, so two
 * databases with the same schema read the same. */
#define MY_UNQUALIFY(col) "REPLACE(" col ", CONCAT('`', DATABASE(), '`.'), '')"
static const struct engine_catalog_query my_catalog_queries[] = {
    {.kind = "table",
     .sql = "SELECT table_name, table_type, engine, table_collation, create_options "
            "FROM information_schema.tables WHERE table_schema = DATABASE()"},
    {.kind = "column",
     .sql = "SELECT table_name, column_name, ordinal_position, column_type, is_nullable, "
            "column_default, extra, character_set_name, collation_name, generation_expression "
            "FROM information_schema.columns WHERE table_schema = DATABASE()",
     .position_col = 3},
    {.kind = "index",
     .sql =
         "SELECT table_name, index_name, seq_in_index, column_name, non_unique, collation, "
         "sub_part, index_type FROM information_schema.statistics WHERE table_schema = DATABASE()"},
    {.kind = "constraint",
     .sql = "SELECT table_name, constraint_name, constraint_type "
            "FROM information_schema.table_constraints WHERE constraint_schema = DATABASE()"},
    {.kind = "key_column",
     .sql = "SELECT table_name, constraint_name, ordinal_position, column_name, "
            "referenced_table_name, "
            "referenced_column_name FROM information_schema.key_column_usage "
            "WHERE constraint_schema = DATABASE()"},
    {.kind = "foreign_key",
     .sql = "SELECT table_name, constraint_name, referenced_table_name, update_rule, delete_rule "
            "FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()"},
    {.kind = "check",
     .sql = "SELECT table_name, constraint_name, check_clause FROM "
            "information_schema.check_constraints "
            "WHERE constraint_schema = DATABASE()"},
    {.kind = "view",
     .sql = "SELECT table_name, " MY_UNQUALIFY(
         "view_definition") ", check_option, security_type "
                            "FROM information_schema.views WHERE table_schema = DATABASE()"},
    {.kind = "trigger",
     .sql = "SELECT event_object_table, trigger_name, action_timing, event_manipulation, "
            "action_order, " MY_UNQUALIFY("action_statement") " FROM information_schema.triggers "
                                                              "WHERE trigger_schema = DATABASE()"},
    {.kind = "routine",
     .sql = "SELECT routine_name, routine_type, data_type, " MY_UNQUALIFY(
         "routine_definition") " "
                               "FROM information_schema.routines WHERE routine_schema = "
                               "DATABASE()"},
};

const struct engine_ops engine_ops_mysql = {
    .name = "mysql",
    .kind = MIGSET_ENGINE_MYSQL,
    .caps = ENGINE_CAP_ADVISORY_LOCK | ENGINE_CAP_CANCEL,
    .open = my_open,
    .close = my_close,
    .exec = my_exec,
    .query = my_query,
    .try_lock = my_try_lock,
    .unlock = my_unlock,
    .set_timeouts = my_set_timeouts,
    .exec_stmts = my_exec_stmts,
    .exec_stmts_after = my_exec_stmts_after,
    .sql_id_type = "bigint NOT NULL AUTO_INCREMENT PRIMARY KEY",
    .sql_time_type = "datetime(3)",
    .sql_table_options = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    .is_history_index_inline = true,
    .table_exists = my_table_exists,
    .catalog_queries = my_catalog_queries,
    .n_catalog_queries = sizeof my_catalog_queries / sizeof my_catalog_queries[0],
    .cancel = my_cancel,
    .global_init = my_global_init,
    .global_cleanup = my_global_cleanup,
};
