/* shardwave_schema_history I/O: one SQL shape per operation, placeholders only (a
 * driver may send a prelude's parameters as literals: engine_exec_script_after). */
#include "runner/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw/clock.h"
#include "sw/numparse.h"

#define HISTORY_TABLE "shardwave_schema_history"

static const char history_select_sql[] =
    "SELECT id, version, description, direction, script, checksum, state, finished_at, "
    "stmt_done, stmt_total, error FROM " HISTORY_TABLE " ORDER BY id";

static const char history_insert_sql[] =
    "INSERT INTO " HISTORY_TABLE " (version, description, direction, script, checksum, state, "
    "wave, agent, started_at, finished_at, duration_ms, stmt_done, stmt_total, error) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

static const char history_finish_sql[] =
    "UPDATE " HISTORY_TABLE " SET state = ?, stmt_done = ?, finished_at = ?, duration_ms = ?, "
    "error = ? WHERE id = ?";

static const char history_progress_sql[] =
    "UPDATE " HISTORY_TABLE " SET stmt_done = ? WHERE id = ?";

/* Keeps stored error texts bounded. */
#define HISTORY_ERROR_MAX 4000

int history_exists(struct engine *eng, bool *exists, struct sw_err *err)
{
    return engine_table_exists(eng, HISTORY_TABLE, exists, err);
}

int history_ensure(struct engine *eng, struct sw_err *err)
{
    /* A read first: CREATE ... IF NOT EXISTS is still DDL (on MySQL an implicit commit
     * under a metadata lock), paid by every run on every shard. */
    bool exists = false;
    int rc = history_exists(eng, &exists, err);
    return rc != 0 || exists ? rc : history_create(eng, err);
}

int history_create(struct engine *eng, struct sw_err *err)
{
    /* The DDL may hold several statements separated by ';' (our own SQL, no literals). */
    char *ddl = strdup(engine_history_ddl(eng));
    if (ddl == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = 0;
    char *stmt = ddl;
    while (stmt != NULL && rc == 0) {
        char *semi = strchr(stmt, ';');
        if (semi != NULL) {
            *semi = '\0';
        }
        if (strspn(stmt, " \t\r\n") != strlen(stmt)) {
            rc = engine_exec(eng, stmt, err);
            if (rc != 0) {
                sw_err_prefix(err, "creating " HISTORY_TABLE);
            }
        }
        stmt = semi != NULL ? semi + 1 : NULL;
    }
    free(ddl);
    return rc;
}

static void copy_cell(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* Engines print fractional seconds differently ("09:13:08.68" on PostgreSQL, which drops
 * trailing zeros; none at all for whole seconds): always show milliseconds. */
static void normalise_time(char *t, size_t cap)
{
    size_t len = strlen(t);
    if (len < 19 || cap < 24) {
        return;
    }
    char *dot = strchr(t + 19 - 1, '.');
    size_t frac = dot != NULL ? strlen(dot + 1) : 0;
    if (dot == NULL) {
        snprintf(t + 19, cap - 19, ".000");
    } else if (frac < 3) {
        snprintf(dot + 1 + frac, cap - (size_t)(dot + 1 + frac - t), "%.*s", (int)(3 - frac),
                 "000");
    } else {
        dot[4] = '\0';
    }
}

static int cell_int(const char *s, int *out)
{
    *out = 0;
    if (s == NULL) {
        return 0;
    }
    return sw_parse_int(s, 0, 1000000000, "history", out, NULL);
}

static int parse_row(const struct engine_rows *r, size_t i, struct history_row *row,
                     struct sw_err *err)
{
    memset(row, 0, sizeof *row);
    const char *id = engine_rows_get(r, i, 0);
    const char *version = engine_rows_get(r, i, 1);
    const char *direction = engine_rows_get(r, i, 3);
    const char *state = engine_rows_get(r, i, 6);
    int64_t idv = 0;
    if (id == NULL || sw_parse_int64(id, 0, INT64_MAX, "id", &idv, NULL) != 0) {
        return sw_err_set(err, SW_EINVAL, HISTORY_TABLE ": row %zu has a bad id", i + 1);
    }
    row->id = idv;
    if (version == NULL || version_parse_str(version, &row->version, err) != 0) {
        sw_err_set(err, SW_EINVAL, HISTORY_TABLE ": row id %lld has a bad version '%s'",
                   (long long)idv, version ? version : "NULL");
        return SW_EINVAL;
    }
    version_format(&row->version, row->version_text, sizeof row->version_text);
    if (direction == NULL || history_direction_parse(direction, &row->direction) != 0 ||
        state == NULL || history_state_parse(state, &row->state) != 0) {
        return sw_err_set(err, SW_EINVAL,
                          HISTORY_TABLE ": row id %lld has an unknown direction or state "
                                        "('%s', '%s')",
                          (long long)idv, direction ? direction : "NULL", state ? state : "NULL");
    }
    copy_cell(row->description, sizeof row->description, engine_rows_get(r, i, 2));
    copy_cell(row->script, sizeof row->script, engine_rows_get(r, i, 4));
    copy_cell(row->checksum, sizeof row->checksum, engine_rows_get(r, i, 5));
    copy_cell(row->finished_at, sizeof row->finished_at, engine_rows_get(r, i, 7));
    normalise_time(row->finished_at, sizeof row->finished_at);
    copy_cell(row->error, sizeof row->error, engine_rows_get(r, i, 10));
    if (cell_int(engine_rows_get(r, i, 8), &row->stmt_done) != 0 ||
        cell_int(engine_rows_get(r, i, 9), &row->stmt_total) != 0) {
        return sw_err_set(err, SW_EINVAL, HISTORY_TABLE ": row id %lld has bad progress counts",
                          (long long)idv);
    }
    return 0;
}

int history_read(struct engine *eng, struct history_row **rows, size_t *n_rows, bool *exists,
                 struct sw_err *err)
{
    *rows = NULL;
    *n_rows = 0;
    int rc = engine_table_exists(eng, HISTORY_TABLE, exists, err);
    return rc != 0 || !*exists ? rc : history_read_rows(eng, rows, n_rows, err);
}

int history_read_rows(struct engine *eng, struct history_row **rows, size_t *n_rows,
                      struct sw_err *err)
{
    struct engine_rows *r = NULL;
    struct history_row *out = NULL;
    *rows = NULL;
    *n_rows = 0;
    int rc = engine_query(eng, history_select_sql, NULL, 0, &r, err);
    if (rc != 0) {
        sw_err_prefix(err, "reading " HISTORY_TABLE);
        return rc;
    }
    out = calloc(r->n_rows ? r->n_rows : 1, sizeof *out);
    if (out == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory reading %zu history rows", r->n_rows);
        goto out;
    }
    for (size_t i = 0; i < r->n_rows; i++) {
        rc = parse_row(r, i, &out[i], err);
        if (rc != 0) {
            goto out;
        }
    }
    *rows = out;
    *n_rows = r->n_rows;
    out = NULL;
out:
    free(out);
    engine_rows_free(r);
    return rc;
}

/* Formats an optional wall time; returns NULL for 0 (SQL NULL). */
static const char *fmt_time(int64_t ms, char *buf, size_t cap)
{
    if (ms == 0) {
        return NULL;
    }
    sw_clock_format_utc(ms, buf, cap);
    return buf;
}

/* Copies error text bounded to HISTORY_ERROR_MAX bytes (NULL stays NULL). */
static const char *bounded_error(const char *error, char *buf, size_t cap)
{
    if (error == NULL) {
        return NULL;
    }
    snprintf(buf, cap, "%s", error);
    return buf;
}

/* A row's INSERT parameters and the buffers they point into. */
struct history_insert_args {
    char started[32], finished[32], duration[24], done[16], total[16];
    char errbuf[HISTORY_ERROR_MAX + 1];
    const char *params[14];
};

static void insert_args(const struct history_record *rec, struct history_insert_args *a)
{
    snprintf(a->duration, sizeof a->duration, "%lld",
             (long long)(rec->finished_ms ? rec->finished_ms - rec->started_ms : 0));
    snprintf(a->done, sizeof a->done, "%d", rec->stmt_done);
    snprintf(a->total, sizeof a->total, "%d", rec->stmt_total);
    const char *params[14] = {
        rec->version_text,
        rec->description,
        history_direction_name(rec->direction),
        rec->script,
        rec->checksum,
        history_state_name(rec->state),
        rec->wave,
        rec->agent,
        fmt_time(rec->started_ms, a->started, sizeof a->started),
        fmt_time(rec->finished_ms, a->finished, sizeof a->finished),
        rec->finished_ms ? a->duration : NULL,
        a->done,
        a->total,
        bounded_error(rec->error, a->errbuf, sizeof a->errbuf),
    };
    memcpy(a->params, params, sizeof params);
}

/* The new row's id from the INSERT's RETURNING result. */
static int inserted_id(const struct engine_rows *r, int64_t *id, struct sw_err *err)
{
    const char *v = r != NULL && r->n_rows == 1 ? engine_rows_get(r, 0, 0) : NULL;
    int64_t got = 0;
    if (v == NULL || sw_parse_int64(v, 0, INT64_MAX, "id", &got, NULL) != 0) {
        return sw_err_set(err, SW_EINTERNAL, HISTORY_TABLE ": insert returned no id");
    }
    *id = got;
    return 0;
}

int history_insert(struct engine *eng, const struct history_record *rec, int64_t *id,
                   struct sw_err *err)
{
    struct history_insert_args a;
    insert_args(rec, &a);
    struct engine_rows *r = NULL;
    int rc = engine_query(eng, history_insert_sql, a.params, 14, &r, err);
    if (rc != 0) {
        sw_err_prefix(err, "recording version %s in " HISTORY_TABLE, rec->version_text);
        return rc;
    }
    if (id != NULL) {
        rc = inserted_id(r, id, err);
    }
    engine_rows_free(r);
    return rc;
}

int history_insert_then_run(struct engine *eng, const struct history_record *rec, int64_t *id,
                            const char *script, size_t len, size_t start_idx,
                            struct engine_script_result *res, struct sw_err *err)
{
    struct history_insert_args a;
    insert_args(rec, &a);
    struct engine_prelude pre = {.sql = history_insert_sql, .params = a.params, .n_params = 14};
    *id = 0;
    int rc = engine_exec_script_after(eng, &pre, script, len, start_idx, res, err);
    if (pre.rows == NULL) {
        sw_err_prefix(err, "recording version %s in " HISTORY_TABLE, rec->version_text);
        return rc;
    }
    struct sw_err id_err;
    if (inserted_id(pre.rows, id, &id_err) != 0 && rc == 0) {
        sw_err_copy(err, &id_err);
        rc = SW_EINTERNAL;
    }
    engine_rows_free(pre.rows);
    return rc;
}

int history_finish(struct engine *eng, int64_t id, enum history_state state, int stmt_done,
                   int64_t started_ms, int64_t finished_ms, const char *error, struct sw_err *err)
{
    char finished[32], duration[24], done[16], idbuf[24];
    char errbuf[HISTORY_ERROR_MAX + 1];
    snprintf(duration, sizeof duration, "%lld", (long long)(finished_ms - started_ms));
    snprintf(done, sizeof done, "%d", stmt_done);
    snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
    const char *params[6] = {
        history_state_name(state),
        done,
        fmt_time(finished_ms, finished, sizeof finished),
        duration,
        bounded_error(error, errbuf, sizeof errbuf),
        idbuf,
    };
    int rc = engine_query(eng, history_finish_sql, params, 6, NULL, err);
    if (rc != 0) {
        sw_err_prefix(err, "updating " HISTORY_TABLE " row %lld", (long long)id);
    }
    return rc;
}

int history_progress(struct engine *eng, int64_t id, int stmt_done, struct sw_err *err)
{
    char done[16], idbuf[24];
    snprintf(done, sizeof done, "%d", stmt_done);
    snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
    const char *params[2] = {done, idbuf};
    int rc = engine_query(eng, history_progress_sql, params, 2, NULL, err);
    if (rc != 0) {
        sw_err_prefix(err, "updating " HISTORY_TABLE " row %lld", (long long)id);
    }
    return rc;
}
