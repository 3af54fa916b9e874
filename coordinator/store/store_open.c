/*
 * Opening the store: the primary's process lock, the schema migration with
 * shardwave's own runner, the SQLite handle settings; plus the meta table.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/engine.h"
#include "runner/runner.h"
#include "store_impl.h"
#include "store_migrations.h"
#include "sw/numparse.h"

#define STORE_LOCK_SUFFIX ".lock"

/* Reads the pid the lock holder wrote; 0 when unknown. */
static long store_lock_holder(int fd)
{
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    int64_t pid = 0;
    if (n <= 0) {
        return 0;
    }
    buf[strcspn(buf, "\n")] = '\0';
    return sw_parse_int64(buf, 1, INT32_MAX, "pid", &pid, NULL) == 0 ? (long)pid : 0;
}

static int store_lock_busy(const char *path, int fd, struct sw_err *err)
{
    long pid = store_lock_holder(fd);
    int rc = pid > 0 ? sw_err_set(err, SW_ELOCKED,
                                  "store %s is in use by another coordinator (pid %ld)", path, pid)
                     : sw_err_set(err, SW_ELOCKED,
                                  "store %s is in use by another coordinator (pid unknown)", path);
    sw_err_hint(err, "stop the other coordinator first, or give this one its own store path");
    return rc;
}

/* Takes the primary's exclusive flock on "<path>.lock" and records our pid in it. */
static int store_lock(const char *path, int *fd_out, struct sw_err *err)
{
    char lock_path[PATH_MAX];
    int rc = 0;
    *fd_out = -1;
    if ((size_t)snprintf(lock_path, sizeof lock_path, "%s" STORE_LOCK_SUFFIX, path) >=
        sizeof lock_path) {
        return sw_err_set(err, SW_EINVAL, "store %s: path too long", path);
    }
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return sw_err_set(err, SW_EIO, "store %s: cannot open lock file %s: %s", path, lock_path,
                          strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK ? store_lock_busy(path, fd, err)
                                  : sw_err_set(err, SW_EIO, "store %s: cannot lock %s: %s", path,
                                               lock_path, strerror(errno));
        goto out;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        rc = sw_err_set(err, SW_EIO, "store %s: cannot write lock file %s: %s", path, lock_path,
                        strerror(errno));
        goto out;
    }
    *fd_out = fd;
out:
    if (rc != 0) {
        close(fd);
    }
    return rc;
}

/* Refuses a store whose schema has versions this binary does not know (written by
 * a newer coordinator): running on it would misread tables it does not know about. */
static int store_check_not_newer(struct engine *eng, const struct migset *set, struct sw_err *err)
{
    struct runner_status status = {0};
    int rc = runner_status(eng, set, &status, err);
    for (size_t i = 0; rc == 0 && i < status.n_items; i++) {
        if (status.items[i].state == RUNNER_STATE_MISSING) {
            rc = sw_err_set(err, SW_ECONFLICT,
                            "schema version %s was applied by a newer coordinator (this one "
                            "knows up to %s)",
                            status.items[i].version_text,
                            migset_step_at(set, migset_count(set) - 1)->version_text);
            sw_err_hint(err, "run a shardwave-coordinator at least as new as the one that "
                             "last used this store");
        }
    }
    runner_status_cleanup(&status);
    return rc;
}

/* Brings the store's schema to the latest compiled-in version with the runner, on
 * the engine DSN `dsn` (sqlite://PATH or a PostgreSQL conninfo holding the password;
 * `name` is what messages show). PostgreSQL serialises concurrent coordinators on the
 * engine's advisory migrator lock. */
static int store_migrate(const char *dsn, const char *name, struct sw_err *err)
{
    struct migset *set = NULL;
    struct engine *eng = NULL;
    struct runner_result res = {0};
    struct runner_opts ro;
    struct migset_load_opts lo = {.origin = "store schema"};
    int rc = migset_load_files(store_migrations, store_n_migrations, &lo, &set, err);
    if (rc == 0) {
        rc = engine_open(dsn, 0, &eng, err);
    }
    if (rc == 0) {
        runner_opts_init(&ro, set);
        ro.agent = "shardwave-coordinator";
        ro.lock_wait_ms = 60000; /* other coordinators migrating the same PostgreSQL store */
        rc = store_check_not_newer(eng, set, err);
    }
    if (rc == 0) {
        rc = runner_migrate(eng, &ro, NULL, &res, err);
    }
    engine_close(eng);
    migset_free(set);
    if (rc != 0) {
        sw_err_prefix(err, "store %s: schema migration", name);
    }
    return rc;
}

/* Fails unless the store schema exists (a secondary opened before the primary). */
static int store_check_schema(struct store *st, struct sw_err *err)
{
    struct store_q *q = NULL;
    int rc = store_stmt(st, &q, err, st->ops->sql_has_schema, "");
    if (rc == 0 && (rc = store_step(st, q, "reading the schema", err)) == 1) {
        rc = store_col_int(st, q, 0) == 1 ? 0
                                          : sw_err_set(err, SW_ECONFLICT,
                                                       "store %s: no store schema (open the "
                                                       "primary handle first)",
                                                       st->path);
    }
    store_stmt_done(st, q);
    return rc;
}

/* Whether `path` names a PostgreSQL store (a libpq URI). */
static bool store_is_pg_url(const char *path)
{
    return strncasecmp(path, "postgres://", 11) == 0 || strncasecmp(path, "postgresql://", 13) == 0;
}

static int store_open_sqlite(struct store *st, const char *file, const struct store_open_opts *opts,
                             bool primary, struct sw_err *err)
{
    char dsn[PATH_MAX + 16];
    if ((st->path = strdup(file)) == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", file);
    }
    int rc = primary ? store_lock(file, &st->lock_fd, err) : 0;
    if (rc == 0 && primary) {
        rc = (size_t)snprintf(dsn, sizeof dsn, "sqlite://%s", file) >= sizeof dsn
                 ? sw_err_set(err, SW_EINVAL, "store %s: path too long", file)
                 : store_migrate(dsn, file, err);
    }
    return rc != 0 ? rc : store_lite_connect(st, opts, err);
}

/* PostgreSQL: no flock (several coordinators share the store; the leader lease
 * decides who writes). The conninfo carries the password; only the redacted URL is
 * kept for messages. */
static int store_open_pg(struct store *st, const char *url, const struct store_open_opts *opts,
                         bool primary, struct sw_err *err)
{
    char redacted[STORE_URL_MAX + 1];
    char *conninfo = NULL;
    engine_dsn_redact(url, redacted, sizeof redacted);
    if ((st->path = strdup(redacted)) == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", redacted);
    }
    int rc = store_pg_conninfo(url, opts ? opts->password : NULL, &conninfo, err);
    if (rc == 0 && primary) {
        rc = store_migrate(conninfo, st->path, err);
    }
    if (rc == 0) {
        int busy_ms = opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms
                                                        : STORE_DEFAULT_BUSY_TIMEOUT_MS;
        int idle_ms = opts && opts->idle_txn_timeout_ms > 0 ? opts->idle_txn_timeout_ms
                                                            : STORE_DEFAULT_IDLE_TXN_MS;
        rc = store_pg_connect(st, conninfo, busy_ms, idle_ms, err);
    }
    store_pg_conninfo_free(conninfo);
    return rc;
}

static int store_open_common(const char *path, const struct store_open_opts *opts, bool primary,
                             struct store **out, struct sw_err *err)
{
    *out = NULL;
    bool is_pg = path != NULL && store_is_pg_url(path);
    if (path != NULL && strncmp(path, "sqlite:", 7) == 0) {
        path += strncmp(path, "sqlite://", 9) == 0 ? 9 : 7;
    }
    if (path == NULL || path[0] == '\0' || (!is_pg && strchr(path, '?') != NULL)) {
        return sw_err_set(err, SW_EINVAL,
                          "store path must be a file path without '?' or a postgres:// URL, "
                          "got '%s'",
                          path ? path : "");
    }
    struct store *st = calloc(1, sizeof *st);
    if (st == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store: out of memory");
    }
    st->lock_fd = -1;
    int rc = is_pg ? store_open_pg(st, path, opts, primary, err)
                   : store_open_sqlite(st, path, opts, primary, err);
    if (rc == 0) {
        rc = store_check_schema(st, err);
    }
    if (rc == 0 && opts != NULL && opts->fence != NULL) {
        st->fence = opts->fence;
    }
    if (rc != 0) {
        store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

int store_open(const char *path, const struct store_open_opts *opts, struct store **out,
               struct sw_err *err)
{
    return store_open_common(path, opts, true, out, err);
}

int store_open_secondary(const char *path, const struct store_open_opts *opts, struct store **out,
                         struct sw_err *err)
{
    return store_open_common(path, opts, false, out, err);
}

void store_close(struct store *st)
{
    if (st == NULL) {
        return;
    }
    if (st->ops != NULL) {
        st->ops->close(st);
    }
    if (st->lock_fd >= 0) {
        close(st->lock_fd); /* releases the flock */
    }
    free(st->path);
    free(st);
}

const char *store_path(const struct store *st)
{
    return st->path;
}

bool store_is_shared(const struct store *st)
{
    return st->pg != NULL;
}

void store_set_fence(struct store *st, const _Atomic int64_t *epoch)
{
    st->fence = epoch;
}

int store_meta_get(struct store *st, const char *key, char **value, struct sw_err *err)
{
    struct store_q *stmt = NULL;
    *value = NULL;
    int rc = store_stmt(st, &stmt, err, "SELECT value FROM meta WHERE key = ?", "s", key);
    if (rc == 0 && (rc = store_step(st, stmt, "reading meta", err)) == 1) {
        rc = store_col_dup(st, stmt, 0, value, err);
    }
    store_stmt_done(st, stmt);
    return rc;
}

int store_meta_put(struct store *st, const char *key, const char *value, struct sw_err *err)
{
    return store_run(st, err,
                     "INSERT INTO meta (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     "ss", key, value);
}
