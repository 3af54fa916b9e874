/* Unit tests for agent/daemon/agent_work.c: connecting to a lease's shard. An
 * unreachable database is retried with backoff within the attempts and the budget, then
 * the lease is reported failed with failure "unreachable"; other connect errors fail at
 * once ("error"); a job told to stop while retrying gives the lease back. SQLite shards:
 * a path in a missing directory cannot be opened (SW_ECONNECT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/tmpdir.h"
#include "daemon/agent_work.h"
#include "sw/checksum.h"

#define STEP_SQL "CREATE TABLE t (id integer PRIMARY KEY);\n"

struct fake {
    const char *dsn; /* NULL: resolve_dsn fails (no DSN for the shard) */
    int calls;       /* resolve_dsn calls = connect attempts */
    int stop_at;     /* on this call, the job is told to stop (0 = never) */
    struct agent_job *job;
};

static int fake_resolve(void *ctx, const char *shard, char **dsn, struct sw_err *err)
{
    struct fake *f = ctx;
    f->calls++;
    if (f->stop_at > 0 && f->calls == f->stop_at) {
        f->job->stop = 1;
    }
    if (f->dsn == NULL) {
        return sw_err_set(err, SW_ENOTFOUND, "no DSN for shard %s", shard);
    }
    *dsn = strdup(f->dsn);
    return *dsn != NULL ? 0 : SW_ENOMEM;
}

static bool fake_go(void *ctx, const char *lease)
{
    (void)ctx;
    (void)lease;
    return true;
}

/* A migrate lease of shard t-1 to version n_steps, one table per step. */
static struct agent_job *new_job_n(size_t n_steps, enum wire_transaction txn)
{
    struct wire_lease l = {.kind = WIRE_LEASE_MIGRATE, .engine = MIGSET_ENGINE_SQLITE};
    struct sw_err err = {0};
    snprintf(l.lease, sizeof l.lease, "l-1a");
    snprintf(l.wave, sizeof l.wave, "w-1");
    snprintf(l.shard, sizeof l.shard, "t-1");
    snprintf(l.target, sizeof l.target, "%zu", n_steps);
    snprintf(l.expected_from, sizeof l.expected_from, "0");
    l.transaction = txn;
    l.steps = calloc(n_steps, sizeof *l.steps);
    assert_non_null(l.steps);
    l.n_steps = n_steps;
    for (size_t i = 0; i < n_steps; i++) {
        struct wire_step *s = &l.steps[i];
        char text[128];
        snprintf(s->version, sizeof s->version, "%zu", i + 1);
        s->description = strdup("t");
        snprintf(text, sizeof text, "V%zu__t.sql", i + 1);
        s->script = strdup(text);
        snprintf(text, sizeof text, "CREATE TABLE t%zu (id integer PRIMARY KEY);\n", i + 1);
        s->sql = strdup(i == 0 ? STEP_SQL : text);
        s->sql_len = strlen(s->sql);
        assert_int_equal(checksum_sha256_hex(s->sql, s->sql_len, s->checksum, &err), 0);
    }
    struct agent_job *job = agent_job_new(&l);
    assert_non_null(job);
    return job;
}

static struct agent_job *new_job(void)
{
    return new_job_n(1, WIRE_TXN_STEP);
}

struct connect_case {
    const char *name;
    const char *dsn; /* "DIR" is replaced by a fresh directory; NULL = no DSN */
    int attempts;
    int64_t budget_ms;
    int stop_at;
    enum wire_outcome outcome;
    enum wire_failure failure;
    enum wire_health health;
    int calls;
    const char *error_prefix; /* NULL = no error */
};

static const struct connect_case cases[] = {
    {"unreachable, retried", "sqlite://DIR/missing/t-1.db", 3, 5000, 0, WIRE_OUT_FAILED,
     WIRE_FAILURE_UNREACHABLE, WIRE_HEALTH_UNREACHABLE, 3, "unreachable after 3 attempts in "},
    {"no retry budget", "sqlite://DIR/missing/t-1.db", 3, 0, 0, WIRE_OUT_FAILED,
     WIRE_FAILURE_UNREACHABLE, WIRE_HEALTH_UNREACHABLE, 1, "unreachable after 1 attempt in "},
    {"one attempt", "sqlite://DIR/missing/t-1.db", 1, 5000, 0, WIRE_OUT_FAILED,
     WIRE_FAILURE_UNREACHABLE, WIRE_HEALTH_UNREACHABLE, 1, "unreachable after 1 attempt in "},
    {"no DSN: not retried", NULL, 3, 5000, 0, WIRE_OUT_FAILED, WIRE_FAILURE_ERROR,
     WIRE_HEALTH_UNREACHABLE, 1, "no DSN for shard t-1"},
    {"stopped while retrying", "sqlite://DIR/missing/t-1.db", 5, 5000, 2, WIRE_OUT_RELEASED,
     WIRE_FAILURE_NONE, WIRE_HEALTH_UNREACHABLE, 2, NULL},
    {"reachable", "sqlite://DIR/t-1.db", 3, 5000, 0, WIRE_OUT_DONE, WIRE_FAILURE_NONE,
     WIRE_HEALTH_OK, 1, NULL},
};

/* The lease_done report the run queued (the last report). */
static void lease_done_of(struct agent_queue *q, struct wire_report_req *req)
{
    struct sw_err err = {0};
    assert_int_equal(agent_queue_peek(q, WIRE_MAX_REPORTS, req, &err), 0);
    assert_true(req->n_reports >= 1);
    assert_int_equal(req->reports[req->n_reports - 1].kind, WIRE_REPORT_LEASE_DONE);
}

static void run_case(const struct connect_case *c)
{
    char *dir = tmpdir_new();
    char dsn[4200] = "";
    char qdir[4200];
    struct agent_queue *q = NULL;
    struct wire_report_req req = {0};
    struct sw_err err = {0};
    if (c->dsn != NULL) {
        const char *at = strstr(c->dsn, "DIR");
        snprintf(dsn, sizeof dsn, "%.*s%s%s", (int)(at - c->dsn), c->dsn, dir, at + 3);
    }
    snprintf(qdir, sizeof qdir, "%s/queue", dir);
    assert_int_equal(agent_queue_open(qdir, "a-1", &q, &err), 0);
    struct fake f = {.dsn = c->dsn != NULL ? dsn : NULL, .stop_at = c->stop_at, .job = new_job()};
    struct agent_work_env env = {.agent_id = "a-1",
                                 .queue = q,
                                 .db_connect_timeout_ms = 1000,
                                 .connect_attempts = c->attempts,
                                 .connect_backoff = {1, 4},
                                 .connect_budget_ms = c->budget_ms,
                                 .resolve_dsn = fake_resolve,
                                 .go_ahead = fake_go,
                                 .ctx = &f};
    agent_work_run(&env, f.job);
    lease_done_of(q, &req);
    const struct wire_report *r = &req.reports[req.n_reports - 1];
    if (r->outcome != c->outcome || r->failure != c->failure || r->shard_health != c->health ||
        f.calls != c->calls) {
        fail_msg("%s: outcome %s failure %s health %s after %d attempts; error %s", c->name,
                 wire_outcome_name(r->outcome), wire_failure_name(r->failure),
                 wire_health_name(r->shard_health), f.calls, r->error ? r->error : "-");
    }
    if (c->error_prefix == NULL) {
        assert_null(r->error);
    } else if (r->error == NULL || strncmp(r->error, c->error_prefix, strlen(c->error_prefix))) {
        fail_msg("%s: error '%s', expected it to start with '%s'", c->name,
                 r->error ? r->error : "(none)", c->error_prefix);
    }
    wire_report_req_cleanup(&req);
    agent_queue_free(q);
    agent_job_free(f.job);
    tmpdir_remove(dir);
}

static void test_connect_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i]);
    }
}

/* Queue files ("<20 digits>.json") in dir. */
static int count_queue_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        n += strlen(e->d_name) == 25 && strcmp(e->d_name + 20, ".json") == 0;
    }
    closedir(d);
    return n;
}

/* Reports are queued in batches: one transaction per shard, all of a lease's reports in
 * one file; one per step, the last step's report shares the lease_done's file. */
static void test_report_files(void **state)
{
    (void)state;
    static const struct {
        enum wire_transaction txn;
        int files;
    } modes[] = {{WIRE_TXN_STEP, 3}, {WIRE_TXN_SHARD, 1}};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        char *dir = tmpdir_new();
        char dsn[4200];
        char qdir[4200];
        struct agent_queue *q = NULL;
        struct wire_report_req req = {0};
        struct sw_err err = {0};
        snprintf(dsn, sizeof dsn, "sqlite://%s/t-1.db", dir);
        snprintf(qdir, sizeof qdir, "%s/queue", dir);
        assert_int_equal(agent_queue_open(qdir, "a-1", &q, &err), 0);
        struct fake f = {.dsn = dsn, .job = new_job_n(3, modes[m].txn)};
        struct agent_work_env env = {.agent_id = "a-1",
                                     .queue = q,
                                     .db_connect_timeout_ms = 1000,
                                     .connect_attempts = 1,
                                     .connect_budget_ms = 5000,
                                     .resolve_dsn = fake_resolve,
                                     .go_ahead = fake_go,
                                     .ctx = &f};
        agent_work_run(&env, f.job);
        lease_done_of(q, &req);
        assert_int_equal(req.n_reports, 4);
        for (size_t i = 0; i < 3; i++) {
            assert_int_equal(req.reports[i].kind, WIRE_REPORT_STEP);
            assert_int_equal(req.reports[i].outcome, WIRE_OUT_APPLIED);
        }
        assert_int_equal(req.reports[3].outcome, WIRE_OUT_DONE);
        assert_string_equal(req.reports[3].shard_version, "3");
        assert_int_equal(count_queue_files(qdir), modes[m].files);
        wire_report_req_cleanup(&req);
        agent_queue_free(q);
        agent_job_free(f.job);
        tmpdir_remove(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_cases),
        cmocka_unit_test(test_report_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
