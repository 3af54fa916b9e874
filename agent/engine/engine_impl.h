/*
 * Driver-only declarations: the vtable every driver fills in. Included by
 * engine.c and drv_*.c only. A driver holds what differs for its engine;
 * shared wording and SQL shapes live in engine.c.
 */
#ifndef SW_AGENT_ENGINE_IMPL_H
#define SW_AGENT_ENGINE_IMPL_H

#include "engine/engine.h"

/* Columns of shardwave_schema_history (same names and order on every engine):
 *   id           auto-increment primary key (row order = event order)
 *   version      varchar(176) not null   canonical version text
 *   description  varchar(255) not null
 *   direction    varchar(8)   not null   up | down | baseline | repair
 *   script       varchar(255)            file name that ran
 *   checksum     char(64)                its SHA-256
 *   state        varchar(16)  not null   running | applied | failed | dirty | resume | reverted
 *   wave         varchar(64)             wave id (NULL for local commands)
 *   agent        varchar(128)            who ran it (agent id or "cli@host")
 *   started_at   timestamp, UTC, millisecond precision (SQLite: text 'YYYY-MM-DD HH:MM:SS.mmm')
 *   finished_at  same, NULL while running
 *   duration_ms  bigint
 *   stmt_done    int                     statements completed (progress of non-transactional steps)
 *   stmt_total   int
 *   error        text                    the database's error text for failed/dirty rows
 * plus an index on (version). */
#define ENGINE_HISTORY_TABLE "shardwave_schema_history"

/* One catalog query of the schema fingerprint (engine_schema_fingerprint). `sql` takes
 * no parameters and returns text columns, the first naming the table (or view, or
 * routine) the object belongs to; engine.c drops the history table's rows, folds
 * whitespace, prefixes `kind`, sorts the lines and hashes them. Queries cover the
 * current database only and must not print its name (two shards with the same
 * schema give the same lines). */
struct engine_catalog_query {
    const char *kind; /* "table", "column", "index", "constraint", "view", "trigger", ... */
    const char *sql;
    /* Snapshots blind to column order (ENGINE_SNAPSHOT_ANY_COLUMN_ORDER) leave out this
     * 1-based result column, the position of a table's column (0 = none)... */
    size_t position_col;
    /* ...and, when set, let the driver rewrite a cell that lists a table's columns in
     * order (SQLite's CREATE TABLE text) into an order-blind form: *out a heap string,
     * or NULL to keep the cell as it is. */
    int (*unorder_cell)(const struct engine_rows *rows, size_t row, size_t col, char **out,
                        struct sw_err *err);
};

struct engine_ops {
    const char *name; /* "pg" */
    enum migset_engine kind;
    unsigned caps; /* ENGINE_CAP_* */

    /* Required. `dsn` is the full DSN; conn receives the driver's state. */
    int (*open)(struct engine *eng, const char *dsn, int connect_timeout_ms, struct sw_err *err);
    void (*close)(struct engine *eng);
    int (*exec)(struct engine *eng, const char *sql, struct sw_err *err);
    /* `?` placeholders; results as text. */
    int (*query)(struct engine *eng, const char *sql, const char *const *params, size_t n_params,
                 struct engine_rows **out, struct sw_err *err);
    /* Non-blocking: *acquired = true when the lock was taken. */
    int (*try_lock)(struct engine *eng, bool *acquired, struct sw_err *err);
    int (*unlock)(struct engine *eng, struct sw_err *err);
    int (*set_timeouts)(struct engine *eng, int lock_timeout_ms, int statement_timeout_ms,
                        struct sw_err *err);
    /* Runs split statements [start_idx, n) of script; fills res->n_done/failed_idx and,
     * on failure, res->lock_timeout; the error message is the server's text (engine.c
     * adds the line and excerpt). */
    int (*exec_stmts)(struct engine *eng, const char *script, const struct sqlsplit_result *split,
                      size_t start_idx, struct engine_script_result *res, struct sw_err *err);
    /* Optional: exec_stmts after pre (engine_exec_script_after) in one round trip;
     * engine.c has checked pre's placeholders and that [start_idx, n) is not empty.
     * NULL: engine.c runs query, then exec_stmts. */
    int (*exec_stmts_after)(struct engine *eng, struct engine_prelude *pre, const char *script,
                            const struct sqlsplit_result *split, size_t start_idx,
                            struct engine_script_result *res, struct sw_err *err);
    /* Column types of the history table, whose shape engine.c owns (one CREATE for all). */
    const char *sql_id_type;       /* e.g. "bigserial PRIMARY KEY" */
    const char *sql_time_type;     /* e.g. "timestamp(3)" (UTC, millisecond precision) */
    const char *sql_table_options; /* appended after the column list, e.g. " ENGINE=InnoDB" */
    /* The version index is declared inside the CREATE TABLE instead of by a second
     * CREATE INDEX statement (MySQL: each DDL statement is a slow implicit commit). */
    bool is_history_index_inline;
    int (*table_exists)(struct engine *eng, const char *table, bool *exists, struct sw_err *err);
    /* The schema fingerprint's catalog queries (required, n >= 1). */
    const struct engine_catalog_query *catalog_queries;
    size_t n_catalog_queries;

    /* Optional (NULL when the capability is absent). */
    int (*cancel)(struct engine *eng, struct sw_err *err);
    /* Optional: process-wide library setup/teardown (engine_global_init). */
    int (*global_init)(struct sw_err *err);
    void (*global_cleanup)(void);
};

struct engine {
    const struct engine_ops *ops;
    void *conn; /* driver state */
    char server_version[64];
    char database[512];
    char dsn_redacted[512];
    bool in_txn;
    bool locked;
    /* The session timeouts last set (engine_set_timeouts skips a SET that changes
     * nothing); forgotten by a rollback, which undoes a SET on PostgreSQL. */
    bool has_timeouts;
    int lock_timeout_ms;
    int statement_timeout_ms;
    char history_ddl[2048]; /* built on first use by engine_history_ddl */
};

/* Builds a struct engine_rows cell by cell (row-major), enforcing ENGINE_ROWS_MAX and
 * ENGINE_ROWS_MAX_TEXT_BYTES (SW_ETOOBIG). Caller-embedded; cleanup frees whatever
 * was not handed out by engine_rowbuf_finish. */
struct engine_rowbuf {
    struct engine_rows *rows;
    size_t n_cells;
    size_t cap_cells;
    size_t n_bytes;
};
int engine_rowbuf_init(struct engine_rowbuf *rb, size_t n_cols, struct sw_err *err);
/* Appends one cell: val[0..len) copied, or SQL NULL when val is NULL. */
int engine_rowbuf_add(struct engine_rowbuf *rb, const char *val, size_t len, struct sw_err *err);
/* Hands the rows to the caller (free with engine_rows_free) and resets rb. */
struct engine_rows *engine_rowbuf_finish(struct engine_rowbuf *rb);
void engine_rowbuf_cleanup(struct engine_rowbuf *rb);

extern const struct engine_ops engine_ops_pg;
extern const struct engine_ops engine_ops_mysql;
extern const struct engine_ops engine_ops_sqlite;

#endif
