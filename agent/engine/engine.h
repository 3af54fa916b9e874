/*
 * The database engine interface: one connection to one database (shard),
 * behind a driver vtable with three implementations (drv_pg.c, drv_mysql.c,
 * drv_sqlite.c). Callers use only these engine_*() wrappers; they check
 * arguments, normalise errors and never branch on engine names — callers
 * branch on capability flags.
 *
 * Thread-safety: a struct engine is used by one thread at a time. Call
 * engine_global_init() once before starting threads.
 *
 * DSNs:
 *   postgres://user:pass@host:port/db?sslmode=...  (or postgresql://, or a libpq
 *                                                   conninfo "host=... dbname=...")
 *   mysql://user:pass@host:port/db[?socket=/path]  (also mariadb://; parsed with libcurl's URL API)
 *   sqlite:///absolute/path.db  or  sqlite://relative/path.db
 */
#ifndef SW_AGENT_ENGINE_H
#define SW_AGENT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"
#include "sw/migset.h"
#include "sqlsplit/sqlsplit.h"

enum engine_cap {
    ENGINE_CAP_TXN_DDL = 1u << 0,       /* DDL is transactional (pg, sqlite) */
    ENGINE_CAP_ADVISORY_LOCK = 1u << 1, /* server-side session lock (pg, mysql) */
    ENGINE_CAP_CANCEL = 1u << 2,        /* engine_cancel works from another thread */
};

struct engine;

/* Process-wide library setup (mysql_library_init, curl_global_init). Idempotent
 * but not thread-safe; call from main before threads. */
int engine_global_init(struct sw_err *err);
void engine_global_cleanup(void);

/* Which engine a DSN names, without connecting. SW_EINVAL for an unknown scheme:
 * "unknown DSN scheme 'oracle://': use postgres://, mysql:// or sqlite:///path". */
int engine_kind_of_dsn(const char *dsn, enum migset_engine *out, struct sw_err *err);
/* Copies dsn into buf with any password replaced by "***" (URL or conninfo).
 * Every DSN that reaches a log, an error or the coordinator goes through this. */
const char *engine_dsn_redact(const char *dsn, char *buf, size_t cap);

/* Connects within connect_timeout_ms (0 = driver default of 10 s). SW_ECONNECT with
 * the server's reason and the redacted DSN on failure. *out owned by the caller. */
int engine_open(const char *dsn, int connect_timeout_ms, struct engine **out, struct sw_err *err);
/* Closes the connection (releasing session locks). NULL is a no-op. */
void engine_close(struct engine *eng);

enum migset_engine engine_kind(const struct engine *eng);
const char *engine_name(const struct engine *eng); /* "pg", "mysql", "sqlite" */
unsigned engine_caps(const struct engine *eng);
/* Server version text ("15.18", "10.11.6-MariaDB", "3.40.1"); borrowed. */
const char *engine_server_version(const struct engine *eng);
/* Database name (pg/mysql) or file path (sqlite); borrowed. */
const char *engine_database(const struct engine *eng);

/* Runs one statement of our own that returns no rows. */
int engine_exec(struct engine *eng, const char *sql, struct sw_err *err);

/* Query results: every value as text (NULL for SQL NULL). A result beyond these
 * limits fails with SW_ETOOBIG. */
#define ENGINE_ROWS_MAX            1000000u
#define ENGINE_ROWS_MAX_TEXT_BYTES (64u * 1024u * 1024u)
struct engine_rows {
    size_t n_rows;
    size_t n_cols;
    char **cells; /* n_rows * n_cols, row-major; each heap string or NULL */
};
const char *engine_rows_get(const struct engine_rows *r, size_t row, size_t col);
void engine_rows_free(struct engine_rows *r);

/* Runs one statement of our own with `?` placeholders bound to params (text, or NULL
 * for SQL NULL). Our SQL never contains '?' except as a placeholder (drivers that
 * number placeholders rewrite them). `out` may be NULL for statements without rows.
 * Returns at most ENGINE_ROWS_MAX rows (SW_ETOOBIG beyond). */
int engine_query(struct engine *eng, const char *sql, const char *const *params, size_t n_params,
                 struct engine_rows **out, struct sw_err *err);

/* Transactions (on one connection). */
int engine_begin(struct engine *eng, struct sw_err *err);
int engine_commit(struct engine *eng, struct sw_err *err);
int engine_rollback(struct engine *eng, struct sw_err *err);

/* The migrator lock for this database: a session lock the server (or, for SQLite,
 * the kernel) releases when the process dies. Never waits inside a transaction:
 * it polls a non-blocking try-lock until timeout_ms, so a no-transaction step such
 * as CREATE INDEX CONCURRENTLY never waits for a migrator queued on the lock.
 * SW_ELOCKED "another migrator holds the lock on <db> (waited 5000 ms)". */
int engine_lock(struct engine *eng, int timeout_ms, struct sw_err *err);
int engine_unlock(struct engine *eng, struct sw_err *err);

/* Session timeouts for the statements that follow. lock_timeout_ms: how long a
 * statement may wait for a table lock (pg lock_timeout; MySQL lock_wait_timeout and
 * innodb_lock_wait_timeout, rounded up to seconds; SQLite busy timeout);
 * statement_timeout_ms: 0 = none (pg statement_timeout; MariaDB max_statement_time;
 * SQLite progress-handler deadline). lock_timeout_ms 0 = wait without limit. Call it
 * outside a transaction: PostgreSQL undoes a SET made in a transaction that rolls back. */
int engine_set_timeouts(struct engine *eng, int lock_timeout_ms, int statement_timeout_ms,
                        struct sw_err *err);

/* Where a script stopped. */
struct engine_script_result {
    size_t n_total;           /* statements in the script */
    size_t n_done;            /* statements that completed (from the first run, incl. skipped) */
    size_t failed_idx;        /* 0-based index of the failing statement when rc != 0 */
    int failed_line;          /* its 1-based line in the file, or 0 */
    char failed_excerpt[160]; /* its first characters, whitespace folded */
    bool lock_timeout;        /* the failure was a lock wait timeout (retryable) */
};

/* Splits `script` with the engine's splitter and runs statements start_idx..n-1 in
 * order, stopping at the first failure. Runs in whatever transaction the caller
 * opened (the engine opens none). Errors: SW_EDB with the server's message, SQLSTATE
 * or error number, and the statement's line ("line 14: ERROR 42P07: relation
 * \"users\" already exists"); SW_ELOCKED for a lock wait timeout; SW_ETIMEOUT for a
 * statement timeout; SW_EINVAL when the script cannot be split. res is always filled. */
int engine_exec_script(struct engine *eng, const char *script, size_t len, size_t start_idx,
                       struct engine_script_result *res, struct sw_err *err);

/* A statement of our own run just before a script by engine_exec_script_after. */
struct engine_prelude {
    const char *sql;           /* '?' marks the parameters and nothing else (engine_query) */
    const char *const *params; /* text, or NULL for SQL NULL */
    size_t n_params;
    struct engine_rows *rows; /* out: its result (the caller frees it); NULL when it failed */
};

/* Runs pre->sql, then, only if it succeeded, statements start_idx..n-1 of script as
 * engine_exec_script does. Outside a transaction the prelude commits before the
 * script's first statement starts. Where the engine can, both travel in one round trip
 * (MySQL/MariaDB: one multi-statement batch; the server stops at the first failing
 * statement); elsewhere it is engine_query and then engine_exec_script. When the
 * prelude fails, pre->rows stays NULL, the error is the prelude's and nothing of the
 * script ran (res as before the first statement); otherwise pre->rows is set and rc and
 * res are the script's. */
int engine_exec_script_after(struct engine *eng, struct engine_prelude *pre, const char *script,
                             size_t len, size_t start_idx, struct engine_script_result *res,
                             struct sw_err *err);

/* The history table's CREATE TABLE IF NOT EXISTS statement(s) for this engine, run
 * by the runner (history.c owns the column list; see docs/history-table.md). */
const char *engine_history_ddl(const struct engine *eng);

/* Asks the server to cancel the statement running on eng (from another thread; the
 * only call that may overlap another call on eng). The canceled statement fails
 * with SW_ETIMEOUT. No effect when nothing runs. SW_EUNSUPPORTED without
 * ENGINE_CAP_CANCEL. */
int engine_cancel(struct engine *eng, struct sw_err *err);

/* Whether the table exists in the current database/schema. */
int engine_table_exists(struct engine *eng, const char *table, bool *exists, struct sw_err *err);

/* Schema fingerprint: the lowercase hex SHA-256 (64 chars + NUL) of the database's
 * normalised catalog: tables and views, columns (position, type, nullability, default),
 * indexes, constraints, view definitions and triggers of the current database (pg: every
 * non-system schema), one line per object, sorted, whitespace runs folded, the history
 * table shardwave_schema_history and what belongs to it excluded. The same DDL on two
 * databases of one engine gives the same fingerprint, whatever the database names; any
 * change to those objects gives another. Comparable only between shards of one engine
 * (the engine name is hashed in). Read-only: takes no lock, opens no transaction of its
 * own. Errors: SW_EDB from a catalog query, SW_ECONNECT. */
#define ENGINE_FINGERPRINT_HEX_LEN 64
int engine_schema_fingerprint(struct engine *eng, char out[ENGINE_FINGERPRINT_HEX_LEN + 1],
                              struct sw_err *err);

/* Schema snapshot: the text engine_schema_fingerprint hashes (the fingerprint is the
 * SHA-256 of exactly this text). First line "shardwave schema fingerprint 1 <engine>",
 * then one line per catalog object, sorted (strcmp), each "<kind>\t<cell>\t<cell>..."
 * where kind is the driver's catalog kind ("table", "column", "index", "constraint",
 * "view", "trigger", ...), cells are whitespace-folded, NULL reads "\N" and a backslash
 * "\\"; every line ends with '\n'. Same scope and exclusions as the fingerprint
 * (history table excluded). *text is a heap string the caller frees (NULL on failure).
 * Read-only. Errors: SW_EDB from a catalog query, SW_ECONNECT, SW_ETOOBIG beyond 256 MiB. */
int engine_schema_snapshot(struct engine *eng, char **text, struct sw_err *err);

enum engine_snapshot_flag {
    /* Leave out where each column sits in its table: a down migration that re-adds a
     * dropped column puts it last (PostgreSQL cannot do otherwise), which is the same
     * schema for every query that names its columns. */
    ENGINE_SNAPSHOT_ANY_COLUMN_ORDER = 1u << 0,
};
/* engine_schema_snapshot with ENGINE_SNAPSHOT_* flags (0 = exactly the snapshot above).
 * With ANY_COLUMN_ORDER the column position cells are left out and SQLite's CREATE
 * TABLE texts list their column and constraint definitions sorted; such a text is only
 * comparable with another taken with the same flags. */
int engine_schema_snapshot_ex(struct engine *eng, unsigned flags, char **text, struct sw_err *err);

#endif
