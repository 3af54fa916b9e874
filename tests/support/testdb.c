/*
 * Per-test databases: CREATE/DROP DATABASE through the admin DSNs with the
 * engine API itself, SQLite files under SW_TEST_TMPDIR, and small file helpers.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "testdb.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <curl/curl.h>

#include "engine/engine.h"

static const char *testdb_admin_env(enum migset_engine engine)
{
    switch (engine) {
    case MIGSET_ENGINE_PG:
        return "SW_TEST_PG_DSN";
    case MIGSET_ENGINE_MYSQL:
        return "SW_TEST_MYSQL_DSN";
    case MIGSET_ENGINE_SQLITE:
    case MIGSET_ENGINE_COUNT:
        break;
    }
    return NULL;
}

static const char *testdb_admin_dsn(enum migset_engine engine)
{
    const char *env = testdb_admin_env(engine);
    const char *dsn = env != NULL ? getenv(env) : NULL;
    return dsn != NULL && dsn[0] != '\0' ? dsn : NULL;
}

bool testdb_available(enum migset_engine engine)
{
    return engine == MIGSET_ENGINE_SQLITE || testdb_admin_dsn(engine) != NULL;
}

void testdb_require(enum migset_engine engine)
{
    if (testdb_available(engine)) {
        return;
    }
    const char *req = getenv("SW_TEST_REQUIRE_SERVERS");
    if (req != NULL && strcmp(req, "1") == 0) {
        fprintf(stderr, "testdb: %s is not set but SW_TEST_REQUIRE_SERVERS=1\n",
                testdb_admin_env(engine));
        exit(1);
    }
    fprintf(stderr, "testdb: %s not set, skipping\n", testdb_admin_env(engine));
    exit(77);
}

static const char *testdb_tmpdir(void)
{
    const char *dir = getenv("SW_TEST_TMPDIR");
    if (dir == NULL || dir[0] == '\0') {
        dir = getenv("TMPDIR");
    }
    return dir != NULL && dir[0] != '\0' ? dir : "/tmp";
}

/* sw_<prefix>_<12 random hex>: lowercase, digits and '_' only, <= 63 chars. */
static int testdb_make_name(const char *prefix, char *name, size_t cap)
{
    unsigned char rnd[6];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        fprintf(stderr, "testdb: getrandom: %s\n", strerror(errno));
        return -1;
    }
    char clean[40];
    size_t n = 0;
    for (const char *p = prefix != NULL ? prefix : "t"; *p != '\0' && n + 1 < sizeof clean; p++) {
        clean[n++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
    }
    clean[n] = '\0';
    snprintf(name, cap, "sw_%s_%02x%02x%02x%02x%02x%02x", clean, rnd[0], rnd[1], rnd[2], rnd[3],
             rnd[4], rnd[5]);
    return 0;
}

/* The admin DSN with its database replaced by `name`. */
static int testdb_dsn_for(const char *admin, const char *name, char *out, size_t cap)
{
    if (strstr(admin, "://") == NULL) { /* libpq conninfo: a later dbname wins */
        return (size_t)snprintf(out, cap, "%s dbname=%s", admin, name) < cap ? 0 : -1;
    }
    char path[80];
    char *url = NULL;
    snprintf(path, sizeof path, "/%s", name);
    CURLU *u = curl_url();
    int rc = -1;
    if (u != NULL && curl_url_set(u, CURLUPART_URL, admin, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_PATH, path, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK) {
        rc = (size_t)snprintf(out, cap, "%s", url) < cap ? 0 : -1;
    }
    curl_free(url);
    curl_url_cleanup(u);
    if (rc != 0) {
        fprintf(stderr, "testdb: cannot build a DSN for %s\n", name);
    }
    return rc;
}

/* Runs one admin statement on the server's admin DSN. */
static int testdb_admin_exec(enum migset_engine engine, const char *sql)
{
    struct sw_err err = {0};
    struct engine *eng = NULL;
    int rc = engine_global_init(&err);
    rc = rc != 0 ? rc : engine_open(testdb_admin_dsn(engine), 10000, &eng, &err);
    rc = rc != 0 ? rc : engine_exec(eng, sql, &err);
    engine_close(eng);
    engine_global_cleanup();
    if (rc != 0) {
        fprintf(stderr, "testdb: %s: %s\n", sql, err.msg);
        return -1;
    }
    return 0;
}

static int testdb_create_sqlite(struct testdb *db)
{
    char dir[PATH_MAX];
    if (realpath(testdb_tmpdir(), dir) == NULL) {
        fprintf(stderr, "testdb: %s: %s\n", testdb_tmpdir(), strerror(errno));
        return -1;
    }
    if ((size_t)snprintf(db->path, sizeof db->path, "%s/%s.db", dir, db->name) >= sizeof db->path ||
        (size_t)snprintf(db->dsn, sizeof db->dsn, "sqlite://%s", db->path) >= sizeof db->dsn) {
        fprintf(stderr, "testdb: temporary directory path too long\n");
        return -1;
    }
    int fd = open(db->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        fprintf(stderr, "testdb: %s: %s\n", db->path, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

int testdb_create(enum migset_engine engine, const char *prefix, struct testdb *db)
{
    char sql[256];
    memset(db, 0, sizeof *db);
    db->engine = engine;
    if (testdb_make_name(prefix, db->name, sizeof db->name) != 0) {
        return -1;
    }
    switch (engine) {
    case MIGSET_ENGINE_SQLITE:
        return testdb_create_sqlite(db);
    case MIGSET_ENGINE_PG:
        snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", db->name);
        break;
    case MIGSET_ENGINE_MYSQL:
        snprintf(sql, sizeof sql, "CREATE DATABASE `%s` CHARACTER SET utf8mb4", db->name);
        break;
    case MIGSET_ENGINE_COUNT:
        return -1;
    }
    const char *admin = testdb_admin_dsn(engine);
    if (admin == NULL) {
        fprintf(stderr, "testdb: %s is not set\n", testdb_admin_env(engine));
        return -1;
    }
    if (testdb_dsn_for(admin, db->name, db->dsn, sizeof db->dsn) != 0) {
        return -1;
    }
    return testdb_admin_exec(engine, sql);
}

static void testdb_unlink_sqlite(const struct testdb *db)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", ".shardwave-lock"};
    char path[TESTDB_DSN_MAX + 32];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", db->path, suffixes[i]);
        unlink(path);
    }
}

void testdb_drop(struct testdb *db)
{
    char sql[256];
    if (db == NULL || db->name[0] == '\0') {
        return;
    }
    switch (db->engine) {
    case MIGSET_ENGINE_SQLITE:
        testdb_unlink_sqlite(db);
        break;
    case MIGSET_ENGINE_PG:
        /* FORCE ends sessions a failed test left behind */
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db->name);
        testdb_admin_exec(db->engine, sql);
        break;
    case MIGSET_ENGINE_MYSQL:
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS `%s`", db->name);
        testdb_admin_exec(db->engine, sql);
        break;
    case MIGSET_ENGINE_COUNT:
        break;
    }
    db->name[0] = '\0';
}

char *testdb_mkdtemp(const char *prefix)
{
    char tmpl[PATH_MAX];
    if ((size_t)snprintf(tmpl, sizeof tmpl, "%s/%s-XXXXXX", testdb_tmpdir(),
                         prefix != NULL ? prefix : "sw") >= sizeof tmpl) {
        return NULL;
    }
    if (mkdtemp(tmpl) == NULL) {
        fprintf(stderr, "testdb: mkdtemp %s: %s\n", tmpl, strerror(errno));
        return NULL;
    }
    return strdup(tmpl);
}

static int testdb_rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type == FTW_DP) {
        rmdir(path);
    } else {
        unlink(path);
    }
    return 0;
}

void testdb_rmtree(const char *path)
{
    if (path != NULL && path[0] != '\0') {
        nftw(path, testdb_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

int testdb_write_file(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        fprintf(stderr, "testdb: path too long: %s/%s\n", dir, name);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "testdb: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text);
    int rc = fwrite(text, 1, len, f) == len ? 0 : -1;
    if (fclose(f) != 0) {
        rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "testdb: writing %s failed\n", path);
    }
    return rc;
}
