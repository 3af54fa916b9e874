/* Unit tests for agent/daemon/agent_queue.c: the durable report queue. A batch of
 * reports is one file; a file is deleted only once all of its reports were acked; a
 * restart reads every file back (reports acked before it are sent again; ids are never
 * reused); a refused report inside a batch goes to bad/ and the others stay queued; a
 * file that cannot be read goes to bad/; old one-report files are still read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/tmpdir.h"
#include "daemon/agent_queue.h"

/* Files named like queue files ("<20 digits>.json") in dir. */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        n += len == 25 && strcmp(e->d_name + 20, ".json") == 0;
    }
    closedir(d);
    return n;
}

/* All entries of dir but "." and "..". */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

static void assert_exists(const char *dir, const char *name)
{
    char *path = tmpdir_path(dir, name);
    if (access(path, F_OK) != 0) {
        fail_msg("%s does not exist", path);
    }
    free(path);
}

static struct wire_report step_report(const char *version)
{
    struct wire_report r;
    memset(&r, 0, sizeof r);
    snprintf(r.lease, sizeof r.lease, "l-1");
    snprintf(r.wave, sizeof r.wave, "w-1");
    snprintf(r.shard, sizeof r.shard, "s-1");
    snprintf(r.version, sizeof r.version, "%s", version);
    r.kind = WIRE_REPORT_STEP;
    r.direction = MIGSET_UP;
    r.outcome = WIRE_OUT_APPLIED;
    return r;
}

/* Pushes versions 1..n as one batch. */
static void push_batch(struct agent_queue *q, size_t n)
{
    struct wire_report rs[8];
    char v[8];
    struct sw_err err = {0};
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        snprintf(v, sizeof v, "%zu", i + 1);
        rs[i] = step_report(v);
    }
    assert_int_equal(agent_queue_push_batch(q, rs, n, &err), 0);
}

/* The queue's ids, oldest first, joined with ',' (e.g. "a-1:1,a-1:3"). */
static void queued_ids(struct agent_queue *q, char *buf, size_t cap)
{
    struct wire_report_req req = {0};
    struct sw_err err = {0};
    size_t used = 0;
    buf[0] = '\0';
    assert_int_equal(agent_queue_peek(q, WIRE_MAX_REPORTS, &req, &err), 0);
    for (size_t i = 0; i < req.n_reports; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i > 0 ? "," : "", req.reports[i].id);
        assert_true(n > 0 && (size_t)n < cap - used);
        used += (size_t)n;
    }
    assert_string_equal(req.agent, "a-1");
    wire_report_req_cleanup(&req);
}

static void ack(struct agent_queue *q, const char *id)
{
    char *ids[1] = {(char *)id};
    struct sw_err err = {0};
    assert_int_equal(agent_queue_ack(q, ids, 1, &err), 0);
}

static struct agent_queue *open_q(const char *dir)
{
    struct agent_queue *q = NULL;
    struct sw_err err = {0};
    assert_int_equal(agent_queue_open(dir, "a-1", &q, &err), 0);
    return q;
}

static void test_batch_one_file(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char ids[256];
    struct agent_queue *q = open_q(dir);
    push_batch(q, 3);
    assert_int_equal(count_files(dir), 1);
    assert_int_equal(agent_queue_len(q), 3);
    struct wire_report r = step_report("4");
    struct sw_err err = {0};
    assert_int_equal(agent_queue_push(q, &r, &err), 0);
    assert_string_equal(r.id, "a-1:4");
    assert_int_equal(count_files(dir), 2);
    queued_ids(q, ids, sizeof ids);
    assert_string_equal(ids, "a-1:1,a-1:2,a-1:3,a-1:4");
    agent_queue_free(q);
    tmpdir_remove(dir);
}

static void test_partial_ack(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char ids[256];
    struct agent_queue *q = open_q(dir);
    push_batch(q, 3);
    ack(q, "a-1:2");
    ack(q, "a-1:1");
    ack(q, "a-1:9"); /* unknown: ignored */
    assert_int_equal(count_files(dir), 1);
    queued_ids(q, ids, sizeof ids);
    assert_string_equal(ids, "a-1:3");
    ack(q, "a-1:3");
    assert_int_equal(count_files(dir), 0);
    assert_int_equal(agent_queue_len(q), 0);
    agent_queue_free(q);
    tmpdir_remove(dir);
}

static void test_restart_rescan(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char ids[256];
    struct agent_queue *q = open_q(dir);
    push_batch(q, 3);
    push_batch(q, 2);
    ack(q, "a-1:1");
    ack(q, "a-1:4");
    agent_queue_free(q);
    q = open_q(dir); /* acks of part of a file were in memory only: sent again */
    queued_ids(q, ids, sizeof ids);
    assert_string_equal(ids, "a-1:1,a-1:2,a-1:3,a-1:4,a-1:5");
    struct wire_report r = step_report("6");
    struct sw_err err = {0};
    assert_int_equal(agent_queue_push(q, &r, &err), 0);
    /* past the block reserved by the first push (ids 1..3 + 1000): never reused */
    assert_string_equal(r.id, "a-1:1003");
    agent_queue_free(q);
    tmpdir_remove(dir);
}

static void test_reject_in_batch(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *bad = tmpdir_path(dir, "bad");
    char ids[256];
    struct sw_err err = {0};
    struct agent_queue *q = open_q(dir);
    push_batch(q, 4);
    ack(q, "a-1:1");
    assert_int_equal(agent_queue_reject(q, "a-1:3", &err), 0);
    queued_ids(q, ids, sizeof ids);
    assert_string_equal(ids, "a-1:2,a-1:4");
    assert_int_equal(count_entries(bad), 1);
    assert_exists(bad, "refused-00000000000000000003.json");
    agent_queue_free(q);
    q = open_q(dir); /* the file was rewritten without the refused and the acked */
    queued_ids(q, ids, sizeof ids);
    assert_string_equal(ids, "a-1:2,a-1:4");
    assert_int_equal(agent_queue_reject(q, "a-1:2", &err), 0);
    assert_int_equal(agent_queue_reject(q, "a-1:4", &err), 0); /* the last: file to bad/ */
    assert_int_equal(agent_queue_len(q), 0);
    assert_int_equal(count_files(dir), 0);
    assert_int_equal(count_entries(bad), 3);
    assert_exists(bad, "refused-00000000000000000002.json");
    assert_exists(bad, "00000000000000000001.json");
    agent_queue_free(q);
    free(bad);
    tmpdir_remove(dir);
}

/* Workers push at the same time (their files are written without the queue's lock):
 * every report is queued once, in seq order, each pusher's in its own order, and the
 * same after a restart. */
#define PUSHERS   4
#define PUSH_EACH 25

static void *pusher_main(void *arg)
{
    struct agent_queue *q = arg;
    for (int i = 0; i < PUSH_EACH; i++) {
        struct wire_report rs[2] = {step_report("1"), step_report("2")};
        struct sw_err err = {0};
        if (agent_queue_push_batch(q, rs, 1 + (size_t)(i % 2), &err) != 0) {
            return (void *)1;
        }
    }
    return NULL;
}

static void assert_all_queued(struct agent_queue *q, size_t want)
{
    struct wire_report_req req = {0};
    struct sw_err err = {0};
    assert_int_equal(agent_queue_len(q), want);
    assert_int_equal(agent_queue_peek(q, WIRE_MAX_REPORTS, &req, &err), 0);
    assert_int_equal(req.n_reports, want < WIRE_MAX_REPORTS ? want : WIRE_MAX_REPORTS);
    unsigned long prev = 0;
    for (size_t i = 0; i < req.n_reports; i++) {
        unsigned long seq = strtoul(req.reports[i].id + 4, NULL, 10); /* "a-1:<seq>" */
        assert_true(seq > prev);
        prev = seq;
    }
    wire_report_req_cleanup(&req);
}

static void test_concurrent_pushes(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    struct agent_queue *q = open_q(dir);
    pthread_t th[PUSHERS];
    for (int i = 0; i < PUSHERS; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, pusher_main, q), 0);
    }
    for (int i = 0; i < PUSHERS; i++) {
        void *rc = NULL;
        pthread_join(th[i], &rc);
        assert_null(rc);
    }
    size_t want = PUSHERS * (PUSH_EACH / 2 * 3 + PUSH_EACH % 2); /* 1, 2, 1, 2, ... */
    assert_int_equal(count_files(dir), PUSHERS * PUSH_EACH);
    assert_all_queued(q, want);
    agent_queue_free(q);
    q = open_q(dir);
    assert_all_queued(q, want);
    agent_queue_free(q);
    tmpdir_remove(dir);
}

static void test_corrupt_file(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *bad = tmpdir_path(dir, "bad");
    char ids[256];
    struct agent_queue *q = open_q(dir);
    push_batch(q, 2);
    push_batch(q, 1);
    tmpdir_write_n(dir, "00000000000000000001.json", "{\"agent\":", 9);
    queued_ids(q, ids, sizeof ids); /* found while peeking */
    assert_string_equal(ids, "a-1:3");
    assert_int_equal(count_files(bad), 1);
    tmpdir_write_n(dir, "00000000000000000003.json", "", 0);
    agent_queue_free(q);
    q = open_q(dir); /* found while scanning */
    assert_int_equal(agent_queue_len(q), 0);
    assert_int_equal(count_files(bad), 2);
    agent_queue_free(q);
    free(bad);
    tmpdir_remove(dir);
}

/* A file of the one-report-per-file layout, written by hand. */
static void test_old_single_file(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char ids[256];
    char *text = NULL;
    struct sw_err err = {0};
    struct wire_report r = step_report("1");
    struct wire_report_req req = {.n_reports = 1, .reports = &r};
    snprintf(req.agent, sizeof req.agent, "a-1");
    snprintf(r.id, sizeof r.id, "a-1:7");
    assert_int_equal(wire_report_req_encode(&req, &text, &err), 0);
    tmpdir_write_n(dir, "00000000000000000007.json", text, strlen(text));
    free(text);
    struct agent_queue *q = open_q(dir);
    queued_ids(q, ids, sizeof ids);
    assert_string_equal(ids, "a-1:7");
    ack(q, "a-1:7");
    assert_int_equal(count_files(dir), 0);
    agent_queue_free(q);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_one_file),    cmocka_unit_test(test_partial_ack),
        cmocka_unit_test(test_restart_rescan),    cmocka_unit_test(test_reject_in_batch),
        cmocka_unit_test(test_concurrent_pushes), cmocka_unit_test(test_corrupt_file),
        cmocka_unit_test(test_old_single_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
