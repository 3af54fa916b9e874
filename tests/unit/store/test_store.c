/* Unit tests for coordinator/store/, run against both backends (store_backend.h):
 * open and lock, schema migration, fleet sync, migration sets, waves, apply_decision,
 * events, persistence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "store_backend.h"

struct fixture {
    struct store_backend b;
    const char *path; /* b.path */
    struct store *st;
};

static void expect_ok(int rc, const struct sw_err *err)
{
    if (rc != 0) {
        fail_msg("unexpected error %d: %s", rc, err->msg);
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct sw_err err = {0};
    assert_int_equal(store_backend_create(&f->b), 0);
    f->path = f->b.path;
    expect_ok(store_open(f->path, NULL, &f->st, &err), &err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->st);
    store_backend_drop(&f->b);
    free(f);
    return 0;
}

/* One integer from a SQL query on the store, through a separate connection. */
static int64_t query_int(const struct fixture *f, const char *sql)
{
    int64_t v = store_backend_int(&f->b, sql);
    assert_int_not_equal(v, -1);
    return v;
}

/* What messages call the store: its path, or its URL with the password redacted. */
static const char *store_name(const struct fixture *f, char *buf, size_t cap)
{
    return f->b.is_pg ? engine_dsn_redact(f->path, buf, cap) : f->path;
}

/* ---- fixtures: fleets, sets, waves ---- */

static struct fleet_label *labels2(const char *k1, const char *v1, const char *k2, const char *v2)
{
    struct fleet_label *l = calloc(2, sizeof *l);
    l[0] = (struct fleet_label){strdup(k1), strdup(v1)};
    l[1] = (struct fleet_label){strdup(k2), strdup(v2)};
    return l;
}

/* A fleet of the given ids (sorted by the caller); each with labels host, tier. */
static void make_fleet(struct fleet *fl, const char *const *ids, size_t n, const char *pool)
{
    fl->n_shards = n;
    fl->shards = calloc(n, sizeof *fl->shards);
    for (size_t i = 0; i < n; i++) {
        struct fleet_shard *s = &fl->shards[i];
        s->id = strdup(ids[i]);
        s->engine = (enum migset_engine)(i % MIGSET_ENGINE_COUNT);
        s->pool = strdup(pool);
        s->n_labels = 2;
        s->labels = labels2("host", i < 2 ? "db-1" : "db-2", "tier", i == 0 ? "canary" : "main");
    }
}

static const struct migset_mem_file set_files[] = {
    {"V1__create_users.sql", "CREATE TABLE users (id int);\n", 29},
    {"U1__create_users.sql", "DROP TABLE users;\n", 18},
    {"V2__add_status.sql", "ALTER TABLE users ADD status text;\n", 35},
};

static void put_set(struct store *st, char digest[CHECKSUM_HEX_LEN + 1])
{
    struct migset *set = NULL;
    struct sw_err err = {0};
    expect_ok(migset_load_files(set_files, 3, NULL, &set, &err), &err);
    struct store_migset_info info = {.n_steps = migset_count(set), .created_ms = 1000};
    snprintf(info.digest, sizeof info.digest, "%s", migset_digest(set));
    snprintf(info.latest, sizeof info.latest, "2");
    expect_ok(store_migset_put(st, &info, set_files, 3, NULL, &err), &err);
    snprintf(digest, CHECKSUM_HEX_LEN + 1, "%s", info.digest);
    migset_free(set);
}

static void sync_fleet(struct store *st, const char *const *ids, size_t n)
{
    struct fleet fl = {0};
    struct store_sync_result r = {0};
    struct sw_err err = {0};
    make_fleet(&fl, ids, n, "eu");
    expect_ok(store_fleet_sync(st, &fl, 500, &r, &err), &err);
    store_sync_result_cleanup(&r);
    fleet_cleanup(&fl);
}

static struct store_wave wave_template(const char *digest, int64_t created_ms)
{
    struct store_wave w = {0};
    snprintf(w.digest, sizeof w.digest, "%s", digest);
    w.plan_json = "{\"stages\":[{\"name\":\"canary\"},{\"name\":\"rest\"}]}";
    snprintf(w.target, sizeof w.target, "2");
    w.direction = PLAN_UP;
    w.on_failure = PLAN_ON_FAILURE_HALT;
    w.state = WAVE_PENDING;
    w.stage_phase = STAGE_DISPATCHING;
    w.reason = "JIRA-1234";
    snprintf(w.created_by, sizeof w.created_by, "ops-oncall");
    w.created_ms = created_ms;
    w.updated_ms = created_ms;
    return w;
}

static char steps12[2][VERSION_TEXT_MAX] = {"1", "2"};

static struct store_wave_shard wave_shard(const char *id, int stage)
{
    struct store_wave_shard s = {0};
    snprintf(s.shard_id, sizeof s.shard_id, "%s", id);
    s.stage_idx = stage;
    s.state = WSHARD_PENDING;
    snprintf(s.from_version, sizeof s.from_version, "0");
    snprintf(s.to_version, sizeof s.to_version, "2");
    s.n_steps = 2;
    s.steps = steps12;
    snprintf(s.host, sizeof s.host, "db-1");
    s.has_down = true;
    return s;
}

/* Creates a pending wave over ids (stage 0 for the first, 1 for the rest). */
static void create_wave(struct store *st, const char *digest, const char *const *ids, size_t n,
                        int64_t created_ms, char id_out[WAVE_ID_MAX + 1])
{
    struct store_wave w = wave_template(digest, created_ms);
    struct store_wave_shard shards[8];
    struct sw_err err = {0};
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        shards[i] = wave_shard(ids[i], i == 0 ? 0 : 1);
    }
    expect_ok(store_wave_create(st, &w, shards, n, &err), &err);
    snprintf(id_out, WAVE_ID_MAX + 1, "%s", w.id);
}

/* ---- open, lock, schema ---- */

static void test_schema_migrated(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    assert_int_equal(query_int(f, "SELECT count(*) FROM shardwave_schema_history "
                                  "WHERE state = 'applied' AND version = '1'"),
                     1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM shardwave_schema_history "
                                  "WHERE state = 'applied' AND description = 'leader lease'"),
                     1);
    const char *tables = f->b.is_pg ? "SELECT count(*) FROM pg_tables WHERE schemaname = "
                                      "current_schema() AND tablename IN "
                                    : "SELECT count(*) FROM sqlite_master WHERE name IN ";
    char sql[512];
    snprintf(sql, sizeof sql, "%s%s", tables,
             "('shards', 'waves', 'wave_shards', 'events', 'leases', 'agents', 'seen_reports', "
             "'meta', 'migration_files', 'leader')");
    assert_int_equal(query_int(f, sql), 10);
    if (!f->b.is_pg) {
        assert_int_equal(query_int(f, "SELECT count(*) FROM pragma_journal_mode "
                                      "WHERE journal_mode = 'wal'"),
                         1);
    }
    int64_t n_versions = query_int(f, "SELECT count(*) FROM shardwave_schema_history");
    assert_true(n_versions >= 4);
    store_close(f->st);
    f->st = NULL;
    expect_ok(store_open(f->path, NULL, &f->st, &err), &err); /* idempotent reopen */
    assert_int_equal(query_int(f, "SELECT count(*) FROM shardwave_schema_history"), n_versions);
}

/* SQLite: one primary at a time (flock). PostgreSQL: several coordinators share the
 * store, so a second primary opens (and finds the schema migrated). */
static void test_second_primary(void **state)
{
    struct fixture *f = *state;
    struct store *other = NULL;
    struct store *secondary = NULL;
    struct sw_err err = {0};
    char want[4096];
    if (f->b.is_pg) {
        expect_ok(store_open(f->path, NULL, &other, &err), &err);
        assert_true(store_is_shared(other));
        store_close(other);
    } else {
        assert_false(store_is_shared(f->st));
        assert_int_equal(store_open(f->path, NULL, &other, &err), SW_ELOCKED);
        assert_null(other);
        snprintf(want, sizeof want, "store %s is in use by another coordinator (pid %ld)", f->path,
                 (long)getpid());
        assert_string_equal(err.msg, want);
    }
    expect_ok(store_open_secondary(f->path, NULL, &secondary, &err), &err);
    expect_ok(store_meta_put(secondary, "k", "v", &err), &err);
    store_close(secondary);
    store_close(f->st); /* releases the lock */
    f->st = NULL;
    expect_ok(store_open(f->path, NULL, &f->st, &err), &err);
    char *v = NULL;
    expect_ok(store_meta_get(f->st, "k", &v, &err), &err);
    assert_string_equal(v, "v");
    free(v);
    expect_ok(store_meta_get(f->st, "missing", &v, &err), &err);
    assert_null(v);
}

/* A second process (a second coordinator) is refused too (SQLite only). */
static void test_other_process_refused(void **state)
{
    struct fixture *f = *state;
    if (f->b.is_pg) {
        skip(); /* no flock on a shared store */
    }
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *st = NULL;
        struct sw_err err = {0};
        char want[4096];
        snprintf(want, sizeof want, "store %s is in use by another coordinator (pid %ld)", f->path,
                 (long)getppid());
        int rc = store_open(f->path, NULL, &st, &err);
        _exit(rc == SW_ELOCKED && strcmp(err.msg, want) == 0 ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_secondary_needs_schema(void **state)
{
    struct fixture *f = *state;
    struct store_backend empty;
    struct store *st = NULL;
    struct sw_err err = {0};
    char want[4096];
    char name[1024];
    (void)f;
    assert_int_equal(store_backend_create(&empty), 0);
    assert_int_equal(store_open_secondary(empty.path, NULL, &st, &err), SW_ECONFLICT);
    snprintf(want, sizeof want, "store %s: no store schema (open the primary handle first)",
             empty.is_pg ? engine_dsn_redact(empty.path, name, sizeof name) : empty.path);
    assert_string_equal(err.msg, want);
    assert_null(st);
    store_backend_drop(&empty);
}

/* A "sqlite:" URL is a file path; a PostgreSQL store that cannot be reached fails with
 * SW_ECONNECT and never shows the password; a URL libpq cannot parse is SW_EINVAL. */
static void test_open_urls(void **state)
{
    struct fixture *f = *state;
    struct store *st = NULL;
    struct sw_err err = {0};
    char url[4200];
    if (!f->b.is_pg) {
        snprintf(url, sizeof url, "sqlite:%s", f->path);
        expect_ok(store_open_secondary(url, NULL, &st, &err), &err);
        assert_string_equal(store_path(st), f->path);
        store_close(st);
    }
    const char *down = "postgres://sw:pw-secret@127.0.0.1:1/shardwave";
    assert_int_equal(store_open(down, NULL, &st, &err), SW_ECONNECT);
    assert_null(st);
    assert_non_null(
        strstr(err.msg, "store postgres://sw:***@127.0.0.1:1/shardwave: schema migration"));
    assert_null(strstr(err.msg, "pw-secret"));
    assert_int_equal(store_open_secondary(down, NULL, &st, &err), SW_ECONNECT);
    assert_non_null(strstr(err.msg, "store postgres://sw:***@127.0.0.1:1/shardwave: connecting: "));
    assert_null(strstr(err.msg, "pw-secret"));
    struct store_open_opts opts = {.password = "pw-from-file"};
    assert_int_equal(store_open_secondary("postgresql://sw@127.0.0.1:1/x", &opts, &st, &err),
                     SW_ECONNECT);
    assert_null(strstr(err.msg, "pw-from-file"));
    assert_int_equal(store_open("postgres://sw@127.0.0.1:1/x?bogus=1", NULL, &st, &err), SW_EINVAL);
    assert_null(st);
}

/* ---- fleet ---- */

static void assert_ids(char **got, size_t n, const char *const *want, size_t n_want)
{
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(got[i], want[i]);
    }
}

static void test_fleet_sync(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    struct fleet fl = {0};
    struct store_sync_result r = {0};
    static const char *const ids[] = {"t-a", "t-b", "t-c"};
    make_fleet(&fl, ids, 3, "eu");
    expect_ok(store_fleet_sync(f->st, &fl, 100, &r, &err), &err);
    assert_ids(r.added, r.n_added, ids, 3);
    assert_int_equal(r.n_shards, 3);
    assert_int_equal(r.n_removed + r.n_changed + r.n_removed_active, 0);
    store_sync_result_cleanup(&r);

    /* the same file again changes nothing */
    expect_ok(store_fleet_sync(f->st, &fl, 101, &r, &err), &err);
    assert_int_equal(r.n_added + r.n_changed + r.n_removed, 0);
    store_sync_result_cleanup(&r);

    /* t-b joins a wave, then leaves the file; t-c changes pool */
    char digest[CHECKSUM_HEX_LEN + 1];
    char wave[WAVE_ID_MAX + 1];
    static const char *const in_wave[] = {"t-b"};
    put_set(f->st, digest);
    create_wave(f->st, digest, in_wave, 1, 2000, wave);
    fleet_cleanup(&fl);
    static const char *const ids2[] = {"t-a", "t-c", "t-d"};
    make_fleet(&fl, ids2, 3, "eu");
    free(fl.shards[1].pool);
    fl.shards[1].pool = strdup("us");
    expect_ok(store_fleet_sync(f->st, &fl, 102, &r, &err), &err);
    static const char *const added[] = {"t-d"};
    static const char *const changed[] = {"t-c"};
    static const char *const removed[] = {"t-b"};
    assert_ids(r.added, r.n_added, added, 1);
    assert_ids(r.changed, r.n_changed, changed, 1);
    assert_ids(r.removed, r.n_removed, removed, 1);
    assert_int_equal(r.n_removed_active, 1);
    assert_string_equal(r.removed_active[0].shard_id, "t-b");
    assert_string_equal(r.removed_active[0].wave_id, wave);
    assert_int_equal(r.n_shards, 3);
    store_sync_result_cleanup(&r);
    fleet_cleanup(&fl);

    /* the removed shard stays in its wave */
    struct store_wave_detail d = {0};
    expect_ok(store_wave_get(f->st, wave, &d, &err), &err);
    assert_int_equal(d.n_shards, 1);
    assert_string_equal(d.shards[0].shard_id, "t-b");
    store_wave_detail_cleanup(&d);
}

static void test_fleet_register_and_load(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    static const char *const ids[] = {"t-a", "t-c"};
    sync_fleet(f->st, ids, 2);

    struct fleet_shard reg = {.id = "r-1", .engine = MIGSET_ENGINE_SQLITE, .pool = "lab"};
    struct fleet_label lab[2] = {{"region", "eu"}, {"tier", "canary"}};
    reg.n_labels = 2;
    reg.labels = lab;
    bool created = false;
    expect_ok(store_shard_put(f->st, &reg, "ops-oncall", 300, &created, &err), &err);
    assert_true(created);
    expect_ok(store_shard_put(f->st, &reg, "ops-oncall", 301, &created, &err), &err);
    assert_false(created);
    struct shard_status ss = {.version = "2", .health = SHARD_DIRTY, .last_seen_ms = 777};
    expect_ok(store_shard_status_put(f->st, "t-c", &ss, &err), &err);
    assert_int_equal(store_shard_status_put(f->st, "nope", &ss, &err), SW_ENOTFOUND);
    assert_string_equal(err.msg, "shard nope not found");

    /* registered shards survive a reload that does not list them */
    sync_fleet(f->st, ids, 2);
    struct store_fleet sf = {0};
    expect_ok(store_fleet_load(f->st, &sf, &err), &err);
    assert_int_equal(sf.fleet.n_shards, 3);
    assert_string_equal(sf.fleet.shards[0].id, "r-1");
    assert_string_equal(sf.fleet.shards[1].id, "t-a");
    assert_string_equal(sf.fleet.shards[2].id, "t-c");
    const struct fleet_shard *r1 = &sf.fleet.shards[0];
    assert_int_equal(r1->engine, MIGSET_ENGINE_SQLITE);
    assert_string_equal(r1->pool, "lab");
    assert_int_equal(r1->n_labels, 2);
    assert_string_equal(fleet_shard_label(r1, "tier"), "canary");
    assert_false(sf.meta[0].in_fleet_file);
    assert_string_equal(sf.meta[0].registered_by, "ops-oncall");
    assert_true(sf.meta[1].in_fleet_file);
    assert_string_equal(sf.meta[1].registered_by, "");
    assert_string_equal(fleet_shard_label(&sf.fleet.shards[1], "tier"), "canary");
    assert_string_equal(fleet_shard_label(&sf.fleet.shards[2], "host"), "db-1");
    assert_int_equal(sf.fleet.shards[1].engine, MIGSET_ENGINE_PG);
    assert_string_equal(sf.status[0].version, "0");
    assert_int_equal(sf.status[0].health, SHARD_UNKNOWN);
    assert_string_equal(sf.status[2].version, "2");
    assert_int_equal(sf.status[2].health, SHARD_DIRTY);
    assert_int_equal(sf.status[2].last_seen_ms, 777);
    assert_string_equal(sf.meta[2].active_wave, "");
    store_fleet_cleanup(&sf);
}

/* A fingerprint (and the unknown and edited versions of the same scan) is kept while the
 * version stays, cleared when it changes, replaced by a new one. Table: status puts in
 * order, then the stored version, fingerprint and lists. */
static void test_fingerprint(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    static const char *const ids[] = {"t-a"};
    static const char fa[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static const char fb[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    static const struct {
        const char *version;
        const char *fingerprint; /* put */
        const char *unknown;     /* put */
        const char *edited;      /* put */
        const char *want;        /* stored afterwards */
        const char *want_unknown;
        const char *want_edited;
    } rows[] = {
        {"1", "", "", "", "", "", ""},       {"1", fa, "9", "1", fa, "9", "1"},
        {"1", "", "", "", fa, "9", "1"},     {"1", "", "8", "", fa, "9", "1"},
        {"2", "", "", "", "", "", ""},       {"2", fb, "", "1,2", fb, "", "1,2"},
        {"2", fa, "7,8", "", fa, "7,8", ""},
    };
    sync_fleet(f->st, ids, 1);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct shard_status ss = {.health = SHARD_OK, .last_seen_ms = 1};
        struct store_fleet sf = {0};
        snprintf(ss.version, sizeof ss.version, "%s", rows[i].version);
        snprintf(ss.fingerprint, sizeof ss.fingerprint, "%s", rows[i].fingerprint);
        snprintf(ss.unknown_versions, sizeof ss.unknown_versions, "%s", rows[i].unknown);
        snprintf(ss.edited_versions, sizeof ss.edited_versions, "%s", rows[i].edited);
        expect_ok(store_shard_status_put(f->st, "t-a", &ss, &err), &err);
        expect_ok(store_fleet_load(f->st, &sf, &err), &err);
        assert_string_equal(sf.status[0].version, rows[i].version);
        assert_string_equal(sf.status[0].fingerprint, rows[i].want);
        assert_string_equal(sf.status[0].unknown_versions, rows[i].want_unknown);
        assert_string_equal(sf.status[0].edited_versions, rows[i].want_edited);
        store_fleet_cleanup(&sf);
    }
}

/* ---- migration sets ---- */

static void test_migset_put_get(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char digest[CHECKSUM_HEX_LEN + 1];
    put_set(f->st, digest);
    bool exists = false;
    expect_ok(store_migset_exists(f->st, digest, &exists, &err), &err);
    assert_true(exists);

    struct store_migset_info info = {.n_steps = 9, .created_ms = 5};
    snprintf(info.digest, sizeof info.digest, "%s", digest);
    bool created = true;
    expect_ok(store_migset_put(f->st, &info, set_files, 1, &created, &err), &err);
    assert_false(created); /* idempotent by digest: the stored set is unchanged */

    struct store_migset m = {0};
    expect_ok(store_migset_get(f->st, digest, &m, &err), &err);
    assert_string_equal(m.info.latest, "2");
    assert_int_equal(m.info.n_steps, 2);
    assert_int_equal(m.info.created_ms, 1000);
    assert_int_equal(m.n_files, 3);
    assert_string_equal(m.files[0].name, "U1__create_users.sql");
    assert_string_equal(m.files[1].name, "V1__create_users.sql");
    assert_int_equal(m.files[1].len, 29);
    assert_memory_equal(m.files[1].content, set_files[0].content, 29);
    store_migset_cleanup(&m);

    struct migset *set = NULL;
    expect_ok(store_migset_load(f->st, digest, &set, &err), &err);
    assert_string_equal(migset_digest(set), digest);
    assert_int_equal(migset_count(set), 2);
    migset_free(set);

    const char *unknown = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(store_migset_get(f->st, unknown, &m, &err), SW_ENOTFOUND);
    assert_string_equal(err.msg, "migration set "
                                 "0000000000000000000000000000000000000000000000000000000000000000"
                                 " is not known");
    expect_ok(store_migset_exists(f->st, unknown, &exists, &err), &err);
    assert_false(exists);
}

/* ---- waves ---- */

static void test_wave_create_get_list(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char digest[CHECKSUM_HEX_LEN + 1];
    char w1[WAVE_ID_MAX + 1];
    char w2[WAVE_ID_MAX + 1];
    static const char *const ids[] = {"t-a", "t-b", "t-c", "t-d"};
    sync_fleet(f->st, ids, 4);
    put_set(f->st, digest);
    create_wave(f->st, digest, ids, 2, 1000, w1);
    create_wave(f->st, digest, ids + 2, 2, 2000, w2);
    assert_int_equal(strlen(w1), 10);
    assert_memory_equal(w1, "w-", 2);

    struct store_wave_detail d = {0};
    expect_ok(store_wave_get(f->st, w1, &d, &err), &err);
    assert_string_equal(d.wave.id, w1);
    assert_string_equal(d.wave.digest, digest);
    assert_string_equal(d.wave.plan_json,
                        "{\"stages\":[{\"name\":\"canary\"},{\"name\":\"rest\"}]}");
    assert_string_equal(d.wave.target, "2");
    assert_int_equal(d.wave.state, WAVE_PENDING);
    assert_int_equal(d.wave.stage_phase, STAGE_DISPATCHING);
    assert_int_equal(d.wave.direction, PLAN_UP);
    assert_int_equal(d.wave.on_failure, PLAN_ON_FAILURE_HALT);
    assert_string_equal(d.wave.reason, "JIRA-1234");
    assert_null(d.wave.halt_reason);
    assert_string_equal(d.wave.created_by, "ops-oncall");
    assert_int_equal(d.wave.created_ms, 1000);
    assert_int_equal(d.wave.revision, 1);
    assert_int_equal(d.n_shards, 2);
    assert_string_equal(d.shards[0].shard_id, "t-a");
    assert_int_equal(d.shards[0].stage_idx, 0);
    assert_string_equal(d.shards[1].shard_id, "t-b");
    assert_int_equal(d.shards[1].stage_idx, 1);
    assert_int_equal(d.shards[1].n_steps, 2);
    assert_string_equal(d.shards[1].steps[0], "1");
    assert_string_equal(d.shards[1].steps[1], "2");
    assert_string_equal(d.shards[1].host, "db-1");
    assert_true(d.shards[1].has_down);
    assert_null(d.shards[1].error);
    store_wave_detail_cleanup(&d);

    struct store_wave *waves = NULL;
    size_t n = 0;
    expect_ok(store_wave_list(f->st, NULL, &waves, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(waves[0].id, w2); /* newest first */
    assert_string_equal(waves[1].id, w1);
    store_waves_free(waves, n);
    struct store_wave_filter running = {.by_state = true, .state = WAVE_RUNNING};
    expect_ok(store_wave_list(f->st, &running, &waves, &n, &err), &err);
    assert_int_equal(n, 0);
    assert_null(waves);
    struct store_wave_filter active = {.active_only = true};
    expect_ok(store_wave_list(f->st, &active, &waves, &n, &err), &err);
    assert_int_equal(n, 2);
    store_waves_free(waves, n);
    struct store_wave_ref *refs = NULL;
    expect_ok(store_wave_active(f->st, &refs, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(refs[0].id, w2); /* newest first, as store_wave_list */
    assert_string_equal(refs[1].id, w1);
    assert_int_equal(refs[0].state, WAVE_PENDING);
    free(refs);

    assert_int_equal(store_wave_get(f->st, "w-nope", &d, &err), SW_ENOTFOUND);
    assert_string_equal(err.msg, "wave w-nope not found");
}

static void test_busy_shards(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char digest[CHECKSUM_HEX_LEN + 1];
    char w1[WAVE_ID_MAX + 1];
    static const char *const ids[] = {"t-a", "t-b", "t-c"};
    sync_fleet(f->st, ids, 3);
    put_set(f->st, digest);
    create_wave(f->st, digest, ids, 2, 1000, w1);

    struct store_busy_shard *busy = NULL;
    size_t n = 0;
    expect_ok(store_busy_shards(f->st, NULL, &busy, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(busy[0].shard_id, "t-a");
    assert_string_equal(busy[0].wave_id, w1);
    assert_string_equal(busy[1].shard_id, "t-b");
    free(busy);
    expect_ok(store_busy_shards(f->st, w1, &busy, &n, &err), &err);
    assert_int_equal(n, 0);

    /* a second wave on a busy shard is refused, and nothing is written */
    struct store_wave w = wave_template(digest, 3000);
    struct store_wave_shard shards[2] = {wave_shard("t-c", 0), wave_shard("t-b", 1)};
    char want[256];
    assert_int_equal(store_wave_create(f->st, &w, shards, 2, &err), SW_ECONFLICT);
    snprintf(want, sizeof want, "shard t-b is in active wave %s", w1);
    assert_string_equal(err.msg, want);
    assert_string_equal(w.id, "");
    assert_int_equal(query_int(f, "SELECT count(*) FROM waves"), 1);

    /* unknown shard and unknown set */
    shards[1] = wave_shard("t-zz", 1);
    assert_int_equal(store_wave_create(f->st, &w, shards, 2, &err), SW_ENOTFOUND);
    assert_string_equal(err.msg, "shard t-zz not found");
    memset(w.digest, 'f', CHECKSUM_HEX_LEN);
    assert_int_equal(store_wave_create(f->st, &w, shards, 1, &err), SW_ENOTFOUND);

    /* once the wave is final, its shards are free */
    struct store_wave nw = wave_template(digest, 1000);
    nw.state = WAVE_ABORTED;
    nw.updated_ms = 4000;
    struct store_decision dec = {.wave_id = w1, .expected_state = WAVE_PENDING, .wave = &nw};
    expect_ok(store_apply_decision(f->st, &dec, NULL, &err), &err);
    expect_ok(store_busy_shards(f->st, NULL, &busy, &n, &err), &err);
    assert_int_equal(n, 0);
    shards[1] = wave_shard("t-b", 1);
    snprintf(w.digest, sizeof w.digest, "%s", digest);
    expect_ok(store_wave_create(f->st, &w, shards, 2, &err), &err);
    /* a caller-chosen id must be new */
    struct store_wave again = wave_template(digest, 5000);
    snprintf(again.id, sizeof again.id, "%s", w1);
    assert_int_equal(store_wave_create(f->st, &again, shards, 0, &err), SW_ECONFLICT);
    snprintf(want, sizeof want, "wave %s already exists", w1);
    assert_string_equal(err.msg, want);
    snprintf(again.id, sizeof again.id, "w-chosen");
    expect_ok(store_wave_create(f->st, &again, NULL, 0, &err), &err);
    assert_string_equal(again.id, "w-chosen");
}

static void test_apply_decision(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char digest[CHECKSUM_HEX_LEN + 1];
    char wid[WAVE_ID_MAX + 1];
    static const char *const ids[] = {"t-a", "t-b"};
    sync_fleet(f->st, ids, 2);
    put_set(f->st, digest);
    create_wave(f->st, digest, ids, 2, 1000, wid);

    struct store_wave_detail d = {0};
    expect_ok(store_wave_get(f->st, wid, &d, &err), &err);
    d.wave.state = WAVE_RUNNING;
    d.wave.updated_ms = 1500;
    d.wave.phase_until_ms = 9000;
    struct store_wave_shard s0 = d.shards[0];
    s0.state = WSHARD_LEASED;
    snprintf(s0.agent, sizeof s0.agent, "agent-1");
    snprintf(s0.lease_id, sizeof s0.lease_id, "l-1");
    s0.lease_expires_ms = 61500;
    s0.attempts = 1;
    struct store_event ev[2] = {{.at_ms = 1500,
                                 .actor = "scheduler",
                                 .kind = "transition",
                                 .from_state = "pending",
                                 .to_state = "running",
                                 .message = "wave started"},
                                {.at_ms = 1500,
                                 .actor = "scheduler",
                                 .kind = "shard",
                                 .from_state = "pending",
                                 .to_state = "leased",
                                 .shard_id = "t-a"}};
    struct store_decision dec = {.wave_id = wid,
                                 .expected_state = WAVE_PENDING,
                                 .expected_revision = 1,
                                 .wave = &d.wave,
                                 .n_shards = 1,
                                 .shards = &s0,
                                 .n_events = 2,
                                 .events = ev,
                                 .report_id = "r-1"};
    int64_t rev = 0;
    expect_ok(store_apply_decision(f->st, &dec, &rev, &err), &err);
    assert_int_equal(rev, 2);
    store_wave_detail_cleanup(&d);

    expect_ok(store_wave_get(f->st, wid, &d, &err), &err);
    assert_int_equal(d.wave.state, WAVE_RUNNING);
    assert_int_equal(d.wave.phase_until_ms, 9000);
    assert_int_equal(d.wave.updated_ms, 1500);
    assert_int_equal(d.wave.revision, 2);
    assert_int_equal(d.shards[0].state, WSHARD_LEASED);
    assert_string_equal(d.shards[0].agent, "agent-1");
    assert_string_equal(d.shards[0].lease_id, "l-1");
    assert_int_equal(d.shards[0].lease_expires_ms, 61500);
    assert_int_equal(d.shards[0].attempts, 1);
    assert_int_equal(d.shards[1].state, WSHARD_PENDING);
    assert_int_equal(query_int(f, "SELECT count(*) FROM leases WHERE id = 'l-1' AND "
                                  "shard_id = 't-a' AND expires_ms = 61500"),
                     1);
    bool seen = false;
    expect_ok(store_report_seen(f->st, "r-1", &seen, &err), &err);
    assert_true(seen);

    /* the optimistic check: computed from a stale state */
    d.wave.state = WAVE_PAUSED;
    char want[256];
    dec.wave = &d.wave;
    dec.report_id = NULL;
    assert_int_equal(store_apply_decision(f->st, &dec, &rev, &err), SW_ECONFLICT);
    snprintf(want, sizeof want,
             "wave %s changed concurrently: expected pending (revision 1), found running "
             "(revision 2)",
             wid);
    assert_string_equal(err.msg, want);
    /* ... or a stale revision in the right state */
    dec.expected_state = WAVE_RUNNING;
    assert_int_equal(store_apply_decision(f->st, &dec, &rev, &err), SW_ECONFLICT);
    /* a retried report is counted once */
    dec.expected_revision = 2;
    dec.report_id = "r-1";
    assert_int_equal(store_apply_decision(f->st, &dec, &rev, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "report r-1 was already recorded");
    /* a shard outside the wave rolls everything back */
    dec.report_id = NULL;
    struct store_wave_shard stranger = d.shards[0];
    snprintf(stranger.shard_id, sizeof stranger.shard_id, "t-zz");
    dec.shards = &stranger;
    assert_int_equal(store_apply_decision(f->st, &dec, &rev, &err), SW_ENOTFOUND);
    snprintf(want, sizeof want, "shard t-zz is not in wave %s", wid);
    assert_string_equal(err.msg, want);
    store_wave_detail_cleanup(&d);
    expect_ok(store_wave_get(f->st, wid, &d, &err), &err);
    assert_int_equal(d.wave.state, WAVE_RUNNING);
    assert_int_equal(d.wave.revision, 2);
    store_wave_detail_cleanup(&d);
    assert_int_equal(query_int(f, "SELECT count(*) FROM events"), 3);
    /* records only: an event and a report id; the wave row and its revision stay */
    struct store_decision rec = {.wave_id = wid,
                                 .expected_state = WAVE_PAUSED, /* not checked */
                                 .n_events = 1,
                                 .events = &ev[1],
                                 .report_id = "r-2",
                                 .records_only = true};
    expect_ok(store_apply_decision(f->st, &rec, NULL, &err), &err);
    expect_ok(store_wave_get(f->st, wid, &d, &err), &err);
    assert_int_equal(d.wave.revision, 2);
    assert_int_equal(d.wave.updated_ms, 1500);
    store_wave_detail_cleanup(&d);
    assert_int_equal(query_int(f, "SELECT count(*) FROM events"), 4);
    expect_ok(store_report_seen(f->st, "r-2", &seen, &err), &err);
    assert_true(seen);
    assert_int_equal(store_apply_decision(f->st, &rec, NULL, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "report r-2 was already recorded");

    /* the lease is released with the shard's lease id */
    expect_ok(store_wave_get(f->st, wid, &d, &err), &err);
    s0 = d.shards[0];
    s0.state = WSHARD_DONE;
    s0.lease_id[0] = '\0';
    s0.error = "none";
    s0.finished_seq = 1;
    dec = (struct store_decision){
        .wave_id = wid, .expected_state = WAVE_RUNNING, .n_shards = 1, .shards = &s0};
    expect_ok(store_apply_decision(f->st, &dec, &rev, &err), &err);
    assert_int_equal(rev, 3);
    assert_int_equal(query_int(f, "SELECT count(*) FROM leases"), 0);
    store_wave_detail_cleanup(&d);
}

static void test_events_paging(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char digest[CHECKSUM_HEX_LEN + 1];
    char wid[WAVE_ID_MAX + 1];
    static const char *const ids[] = {"t-a"};
    sync_fleet(f->st, ids, 1);
    put_set(f->st, digest);
    create_wave(f->st, digest, ids, 1, 1000, wid);
    struct store_event ev[24];
    char msgs[24][32];
    for (int i = 0; i < 24; i++) {
        snprintf(msgs[i], sizeof msgs[i], "event %d", i);
        ev[i] = (struct store_event){
            .at_ms = 2000 + i, .actor = "ops", .kind = "operator", .message = msgs[i]};
    }
    struct store_decision dec = {
        .wave_id = wid, .expected_state = WAVE_PENDING, .n_events = 24, .events = ev};
    expect_ok(store_apply_decision(f->st, &dec, NULL, &err), &err);

    struct store_event *got = NULL;
    size_t n = 0;
    expect_ok(store_events_list(f->st, wid, 0, 10, &got, &n, &err), &err);
    assert_int_equal(n, 10);
    assert_string_equal(got[0].kind, "created");
    assert_string_equal(got[0].actor, "ops-oncall");
    assert_string_equal(got[0].to_state, "pending");
    assert_string_equal(got[0].message, "JIRA-1234");
    assert_string_equal(got[1].message, "event 0");
    assert_string_equal(got[1].shard_id, "");
    assert_int_equal(got[1].at_ms, 2000);
    int64_t last = got[9].id;
    store_events_free(got, n);
    expect_ok(store_events_list(f->st, wid, last, 10, &got, &n, &err), &err);
    assert_int_equal(n, 10);
    assert_true(got[0].id > last);
    assert_string_equal(got[0].message, "event 9");
    last = got[9].id;
    store_events_free(got, n);
    expect_ok(store_events_list(f->st, wid, last, 10, &got, &n, &err), &err);
    assert_int_equal(n, 5);
    assert_string_equal(got[4].message, "event 23");
    last = got[4].id;
    store_events_free(got, n);
    expect_ok(store_events_list(f->st, wid, last, 10, &got, &n, &err), &err);
    assert_int_equal(n, 0);
    assert_null(got);

    assert_int_equal(store_events_list(f->st, "w-nope", 0, 10, &got, &n, &err), SW_ENOTFOUND);
    assert_int_equal(store_events_list(f->st, wid, 0, 0, &got, &n, &err), SW_EINVAL);
    assert_string_equal(err.msg, "events limit must be 1..10000, got 0");
}

/* Events are append-only in the schema itself. */
static void test_events_append_only(void **state)
{
    struct fixture *f = *state;
    char digest[CHECKSUM_HEX_LEN + 1];
    char wid[WAVE_ID_MAX + 1];
    static const char *const ids[] = {"t-a"};
    sync_fleet(f->st, ids, 1);
    put_set(f->st, digest);
    create_wave(f->st, digest, ids, 1, 1000, wid);
    struct sw_err err = {0};
    assert_int_equal(store_backend_exec(&f->b, "UPDATE events SET actor = 'x'", &err), SW_EDB);
    assert_non_null(strstr(err.msg, "events are append-only"));
    assert_int_equal(store_backend_exec(&f->b, "DELETE FROM events", &err), SW_EDB);
    assert_non_null(strstr(err.msg, "events are append-only"));
    assert_int_equal(query_int(f, "SELECT count(*) FROM events"), 1);
}

/* Everything survives closing and reopening the store. */
static void test_persistence(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char digest[CHECKSUM_HEX_LEN + 1];
    char wid[WAVE_ID_MAX + 1];
    static const char *const ids[] = {"t-a", "t-b"};
    sync_fleet(f->st, ids, 2);
    put_set(f->st, digest);
    create_wave(f->st, digest, ids, 2, 1000, wid);
    struct store_wave nw = wave_template(digest, 1000);
    nw.state = WAVE_PAUSED;
    nw.current_stage = 1;
    nw.stage_phase = STAGE_BAKING;
    nw.halt_reason = "paused by ops";
    nw.updated_ms = 5000;
    struct store_decision dec = {.wave_id = wid, .expected_state = WAVE_PENDING, .wave = &nw};
    expect_ok(store_apply_decision(f->st, &dec, NULL, &err), &err);
    store_close(f->st);
    f->st = NULL;

    expect_ok(store_open(f->path, NULL, &f->st, &err), &err);
    struct store_wave_detail d = {0};
    expect_ok(store_wave_get(f->st, wid, &d, &err), &err);
    assert_int_equal(d.wave.state, WAVE_PAUSED);
    assert_int_equal(d.wave.current_stage, 1);
    assert_int_equal(d.wave.stage_phase, STAGE_BAKING);
    assert_string_equal(d.wave.halt_reason, "paused by ops");
    assert_int_equal(d.wave.revision, 2);
    assert_int_equal(d.n_shards, 2);
    store_wave_detail_cleanup(&d);
    struct store_fleet sf = {0};
    expect_ok(store_fleet_load(f->st, &sf, &err), &err);
    assert_int_equal(sf.fleet.n_shards, 2);
    assert_string_equal(sf.meta[0].active_wave, wid);
    store_fleet_cleanup(&sf);
    bool exists = false;
    expect_ok(store_migset_exists(f->st, digest, &exists, &err), &err);
    assert_true(exists);
}

/* Threads with their own handles race on one wave: every decision computed from a
 * revision is applied at most once (the others get SW_ECONFLICT), none is lost. */
struct racer {
    const char *path;
    const char *wave_id;
    int n_ok;
    int n_conflict;
    int n_other;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct store *st = NULL;
    struct sw_err err = {0};
    if (store_open_secondary(r->path, NULL, &st, &err) != 0) {
        r->n_other++;
        return NULL;
    }
    for (int i = 0; i < 40; i++) {
        struct store_wave w = {0};
        if (store_wave_get_row(st, r->wave_id, &w, &err) != 0) {
            r->n_other++;
            continue;
        }
        struct store_event ev = {.at_ms = 1, .actor = "racer", .kind = "operator"};
        struct store_decision d = {.wave_id = r->wave_id,
                                   .expected_state = w.state,
                                   .expected_revision = w.revision,
                                   .n_events = 1,
                                   .events = &ev};
        int rc = store_apply_decision(st, &d, NULL, &err);
        r->n_ok += rc == 0;
        r->n_conflict += rc == SW_ECONFLICT;
        r->n_other += rc != 0 && rc != SW_ECONFLICT;
        store_wave_cleanup(&w);
    }
    store_close(st);
    return NULL;
}

static void test_concurrent_decisions(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char digest[CHECKSUM_HEX_LEN + 1];
    char wid[WAVE_ID_MAX + 1];
    static const char *const ids[] = {"t-a"};
    sync_fleet(f->st, ids, 1);
    put_set(f->st, digest);
    create_wave(f->st, digest, ids, 1, 1000, wid);
    struct racer racers[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        racers[i] = (struct racer){.path = f->path, .wave_id = wid};
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    int n_ok = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(racers[i].n_other, 0);
        assert_int_equal(racers[i].n_ok + racers[i].n_conflict, 40);
        n_ok += racers[i].n_ok;
    }
    struct store_wave w = {0};
    expect_ok(store_wave_get_row(f->st, wid, &w, &err), &err);
    assert_int_equal(w.revision, 1 + n_ok);
    assert_int_equal(query_int(f, "SELECT count(*) FROM events WHERE actor = 'racer'"), n_ok);
    store_wave_cleanup(&w);
}

static void test_agents_and_leases(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    struct store_agent a = {
        .id = "agent-2", .version = "0.1.0", .pools = "eu,us", .capacity = 4, .last_seen_ms = 10};
    expect_ok(store_agent_put(f->st, &a, &err), &err);
    snprintf(a.id, sizeof a.id, "agent-1");
    expect_ok(store_agent_put(f->st, &a, &err), &err);
    a.last_seen_ms = 20;
    a.capacity = 8;
    expect_ok(store_agent_put(f->st, &a, &err), &err); /* heartbeat refresh */
    struct store_agent *agents = NULL;
    size_t n = 0;
    expect_ok(store_agents_list(f->st, &agents, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(agents[0].id, "agent-1");
    assert_int_equal(agents[0].capacity, 8);
    assert_int_equal(agents[0].last_seen_ms, 20);
    assert_string_equal(agents[1].pools, "eu,us");
    free(agents);

    char digest[CHECKSUM_HEX_LEN + 1];
    char wid[WAVE_ID_MAX + 1];
    static const char *const ids[] = {"t-a", "t-b"};
    sync_fleet(f->st, ids, 2);
    put_set(f->st, digest);
    create_wave(f->st, digest, ids, 2, 1000, wid);
    struct store_wave_shard sh[2] = {wave_shard("t-a", 0), wave_shard("t-b", 1)};
    for (int i = 0; i < 2; i++) {
        sh[i].state = WSHARD_LEASED;
        snprintf(sh[i].agent, sizeof sh[i].agent, "agent-1");
        snprintf(sh[i].lease_id, sizeof sh[i].lease_id, "l-%d", i);
        sh[i].lease_expires_ms = 5000 + 1000 * i;
    }
    struct store_decision dec = {
        .wave_id = wid, .expected_state = WAVE_PENDING, .n_shards = 2, .shards = sh};
    expect_ok(store_apply_decision(f->st, &dec, NULL, &err), &err);

    struct store_lease *leases = NULL;
    expect_ok(store_leases_expired(f->st, 4999, &leases, &n, &err), &err);
    assert_int_equal(n, 0);
    expect_ok(store_leases_expired(f->st, 5000, &leases, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(leases[0].id, "l-0");
    assert_string_equal(leases[0].wave_id, wid);
    assert_string_equal(leases[0].shard_id, "t-a");
    assert_string_equal(leases[0].agent_id, "agent-1");
    free(leases);
    struct store_lease l = {0};
    expect_ok(store_lease_get(f->st, "l-1", &l, &err), &err);
    assert_string_equal(l.shard_id, "t-b");
    assert_int_equal(l.expires_ms, 6000);
    assert_int_equal(store_lease_get(f->st, "l-9", &l, &err), SW_ENOTFOUND);
    assert_string_equal(err.msg, "lease l-9 not found (expired or finished)");
}

/* A store last used by a newer coordinator (a schema version this binary lacks) is
 * refused rather than misread. */
static void test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char name[1024];
    store_close(f->st);
    f->st = NULL;
    int64_t latest =
        query_int(f, "SELECT max(CAST(version AS INTEGER)) FROM shardwave_schema_history");
    expect_ok(store_backend_exec(&f->b,
                                 "INSERT INTO shardwave_schema_history (version, description, "
                                 "direction, script, checksum, state) SELECT '99', 'future', "
                                 "direction, 'V99__future.sql', checksum, state FROM "
                                 "shardwave_schema_history WHERE version = '1'",
                                 &err),
              &err);
    char want[4096];
    snprintf(want, sizeof want,
             "store %s: schema migration: schema version 99 was applied by a newer coordinator "
             "(this one knows up to %lld)",
             store_name(f, name, sizeof name), (long long)latest);
    assert_int_equal(store_open(f->path, NULL, &f->st, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, want);
    assert_null(f->st);
}

/* store_shard_pools: every shard's pool and engine, sorted by id. */
static void test_shard_pools(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    static const char *const ids[] = {"t-a", "t-c"};
    sync_fleet(f->st, ids, 2);
    struct fleet_shard reg = {.id = "r-1", .engine = MIGSET_ENGINE_SQLITE, .pool = "lab"};
    bool created = false;
    expect_ok(store_shard_put(f->st, &reg, "ops-oncall", 300, &created, &err), &err);
    struct store_shard_pool *p = NULL;
    size_t n = 0;
    expect_ok(store_shard_pools(f->st, &p, &n, &err), &err);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].id, "r-1");
    assert_string_equal(p[0].pool, "lab");
    assert_int_equal(p[0].engine, MIGSET_ENGINE_SQLITE);
    assert_string_equal(p[1].id, "t-a");
    assert_int_equal(p[1].engine, MIGSET_ENGINE_PG);
    assert_string_equal(p[2].id, "t-c");
    free(p);
}

/* store_batch_begin/end: calls inside share one transaction; reads see its writes; a
 * rollback, or a call that failed inside it, leaves nothing of it. */
static void test_batch(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char digest[CHECKSUM_HEX_LEN + 1];
    char wid[WAVE_ID_MAX + 1];
    static const char *const ids[] = {"t-a", "t-c"};
    sync_fleet(f->st, ids, 2);
    put_set(f->st, digest);
    create_wave(f->st, digest, ids, 2, 1000, wid);
    struct shard_status ss = {.version = "5", .health = SHARD_OK, .last_seen_ms = 1};
    struct store_fleet sf = {0};
    /* committed: two writes, and a read inside that sees the first */
    expect_ok(store_batch_begin(f->st, &err), &err);
    expect_ok(store_shard_status_put(f->st, "t-a", &ss, &err), &err);
    expect_ok(store_fleet_load(f->st, &sf, &err), &err);
    assert_string_equal(sf.status[0].version, "5");
    store_fleet_cleanup(&sf);
    expect_ok(store_shard_status_put(f->st, "t-c", &ss, &err), &err);
    expect_ok(store_batch_end(f->st, true, &err), &err);
    assert_int_equal(query_int(f, "SELECT count(*) FROM shards WHERE version = '5'"), 2);
    /* rolled back */
    ss.version[0] = '6';
    expect_ok(store_batch_begin(f->st, &err), &err);
    expect_ok(store_shard_status_put(f->st, "t-a", &ss, &err), &err);
    expect_ok(store_batch_end(f->st, false, &err), &err);
    assert_int_equal(query_int(f, "SELECT count(*) FROM shards WHERE version = '6'"), 0);
    /* a decision refused inside the batch (stale revision) dooms it */
    struct store_decision dec = {
        .wave_id = wid, .expected_state = WAVE_PENDING, .expected_revision = 7, .report_id = "r-9"};
    expect_ok(store_batch_begin(f->st, &err), &err);
    expect_ok(store_shard_status_put(f->st, "t-a", &ss, &err), &err);
    assert_int_equal(store_apply_decision(f->st, &dec, NULL, &err), SW_ECONFLICT);
    assert_int_equal(store_batch_end(f->st, true, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "store: a call of the batch failed: the batch was rolled back");
    assert_int_equal(query_int(f, "SELECT count(*) FROM shards WHERE version = '6'"), 0);
    /* usable again afterwards, outside and inside a batch */
    expect_ok(store_shard_status_put(f->st, "t-a", &ss, &err), &err);
    assert_int_equal(query_int(f, "SELECT count(*) FROM shards WHERE version = '6'"), 1);
    expect_ok(store_batch_end(f->st, true, &err), &err); /* no batch: a no-op */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_schema_migrated),
        T(test_second_primary),
        T(test_other_process_refused),
        T(test_secondary_needs_schema),
        T(test_open_urls),
        T(test_fleet_sync),
        T(test_fleet_register_and_load),
        T(test_fingerprint),
        T(test_migset_put_get),
        T(test_wave_create_get_list),
        T(test_busy_shards),
        T(test_apply_decision),
        T(test_events_paging),
        T(test_events_append_only),
        T(test_persistence),
        T(test_concurrent_decisions),
        T(test_agents_and_leases),
        T(test_newer_schema_refused),
        T(test_shard_pools),
        T(test_batch),
    };
#undef T
    store_backend_require();
    return cmocka_run_group_tests_name(
        store_backend_is_pg() ? "store on PostgreSQL" : "store on SQLite", tests, NULL, NULL);
}
