/* The durable report queue (see agent_queue.h). Lock order: q->mu is a leaf lock. */
#include "daemon/agent_queue.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sw/fsutil.h"
#include "sw/log.h"
#include "sw/numparse.h"

#define AGENT_QUEUE_SEQ_BLOCK  1000
#define AGENT_QUEUE_FILE_BYTES (WIRE_ERROR_TEXT_MAX * 4 + 64u * 1024u * 1024u)

struct agent_queue {
    pthread_mutex_t mu;
    char *dir;
    char *agent_id;
    uint64_t *seqs; /* queued, ascending */
    size_t n_seqs;
    size_t cap_seqs;
    uint64_t next_seq;
    uint64_t reserved_seq; /* high-water mark on disk */
};

static int agent_queue_path(const struct agent_queue *q, const char *sub, uint64_t seq, char *buf,
                            size_t cap)
{
    int n = snprintf(buf, cap, "%s/%s%020" PRIu64 ".json", q->dir, sub, seq);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int agent_queue_mkdir(const char *dir, struct sw_err *err)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return sw_err_set(err, SW_EIO, "state_dir %s: cannot create: %s", dir, strerror(errno));
    }
    return 0;
}

static int agent_queue_seq_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int agent_queue_add_seq(struct agent_queue *q, uint64_t seq, struct sw_err *err)
{
    if (q->n_seqs == q->cap_seqs) {
        size_t cap = q->cap_seqs == 0 ? 64 : q->cap_seqs * 2;
        uint64_t *seqs = realloc(q->seqs, cap * sizeof *seqs);
        if (seqs == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
        q->seqs = seqs;
        q->cap_seqs = cap;
    }
    q->seqs[q->n_seqs++] = seq;
    if (seq >= q->next_seq) {
        q->next_seq = seq + 1;
    }
    return 0;
}

/* Reads the high-water mark file ("seq"): ids at or below it may have been used. */
static int agent_queue_read_mark(struct agent_queue *q, struct sw_err *err)
{
    char *path = sw_path_join(q->dir, "seq");
    char *text = NULL;
    size_t len = 0;
    int64_t mark = 0;
    int rc = path == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
    if (rc == 0) {
        rc = sw_file_read(path, 64, &text, &len, err);
    }
    if (rc == SW_ENOTFOUND) {
        rc = 0;
    } else if (rc == 0) {
        text[strcspn(text, "\n")] = '\0';
        rc = sw_parse_int64(text, 0, INT64_MAX - 2 * AGENT_QUEUE_SEQ_BLOCK, path, &mark, err);
    }
    q->reserved_seq = (uint64_t)mark;
    if ((uint64_t)mark + 1 > q->next_seq) {
        q->next_seq = (uint64_t)mark + 1;
    }
    free(text);
    free(path);
    return rc;
}

static int agent_queue_scan(struct agent_queue *q, struct sw_err *err)
{
    DIR *d = opendir(q->dir);
    if (d == NULL) {
        return sw_err_set(err, SW_EIO, "state_dir %s: %s", q->dir, strerror(errno));
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char digits[32];
        int64_t seq = 0;
        size_t len = strlen(e->d_name);
        if (len != 25 || strcmp(e->d_name + 20, ".json") != 0) {
            continue; /* temp files, seq, bad/ */
        }
        snprintf(digits, sizeof digits, "%.20s", e->d_name);
        if (sw_parse_int64(digits, 1, INT64_MAX, e->d_name, &seq, NULL) == 0) {
            rc = agent_queue_add_seq(q, (uint64_t)seq, err);
        }
    }
    closedir(d);
    if (q->n_seqs > 1) {
        qsort(q->seqs, q->n_seqs, sizeof *q->seqs, agent_queue_seq_cmp);
    }
    return rc;
}

int agent_queue_open(const char *dir, const char *agent_id, struct agent_queue **out,
                     struct sw_err *err)
{
    struct agent_queue *q = calloc(1, sizeof *q);
    int rc = 0;
    *out = NULL;
    if (q == NULL || (q->dir = strdup(dir)) == NULL || (q->agent_id = strdup(agent_id)) == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        goto out;
    }
    pthread_mutex_init(&q->mu, NULL);
    q->next_seq = 1;
    rc = agent_queue_mkdir(dir, err);
    if (rc == 0) {
        char bad[4096];
        snprintf(bad, sizeof bad, "%s/bad", dir);
        rc = agent_queue_mkdir(bad, err);
    }
    if (rc == 0) {
        rc = agent_queue_read_mark(q, err);
    }
    if (rc == 0) {
        rc = agent_queue_scan(q, err);
    }
out:
    if (rc != 0) {
        agent_queue_free(q);
        return rc;
    }
    *out = q;
    return 0;
}

void agent_queue_free(struct agent_queue *q)
{
    if (q == NULL) {
        return;
    }
    if (q->dir != NULL) {
        pthread_mutex_destroy(&q->mu);
    }
    free(q->seqs);
    free(q->dir);
    free(q->agent_id);
    free(q);
}

/* Reserves the next block of ids on disk before any of them is handed out. */
static int agent_queue_reserve(struct agent_queue *q, struct sw_err *err)
{
    if (q->next_seq <= q->reserved_seq) {
        return 0;
    }
    char text[32];
    uint64_t mark = q->next_seq + AGENT_QUEUE_SEQ_BLOCK - 1;
    int n = snprintf(text, sizeof text, "%" PRIu64 "\n", mark);
    char *path = sw_path_join(q->dir, "seq");
    if (path == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = sw_file_write_atomic(path, text, (size_t)n, err);
    free(path);
    if (rc == 0) {
        q->reserved_seq = mark;
    }
    return rc;
}

static int agent_queue_store(struct agent_queue *q, struct wire_report *r, uint64_t seq,
                             struct sw_err *err)
{
    struct wire_report_req req = {.n_reports = 1, .reports = r};
    char path[4096];
    char *text = NULL;
    snprintf(req.agent, sizeof req.agent, "%s", q->agent_id);
    if (agent_queue_path(q, "", seq, path, sizeof path) != 0) {
        return sw_err_set(err, SW_EINVAL, "state_dir path too long");
    }
    int rc = wire_report_req_encode(&req, &text, err);
    if (rc == 0) {
        rc = sw_file_write_atomic(path, text, strlen(text), err);
    }
    free(text);
    return rc;
}

int agent_queue_push(struct agent_queue *q, struct wire_report *r, struct sw_err *err)
{
    pthread_mutex_lock(&q->mu);
    uint64_t seq = q->next_seq;
    int rc = agent_queue_reserve(q, err);
    if (rc == 0) {
        snprintf(r->id, sizeof r->id, "%s:%" PRIu64, q->agent_id, seq);
        rc = agent_queue_store(q, r, seq, err);
    }
    if (rc == 0) {
        rc = agent_queue_add_seq(q, seq, err);
    }
    pthread_mutex_unlock(&q->mu);
    if (rc != 0) {
        sw_err_prefix(err, "queueing report for shard %s", r->shard);
    }
    return rc;
}

static void agent_queue_remove_at(struct agent_queue *q, size_t idx)
{
    memmove(&q->seqs[idx], &q->seqs[idx + 1], (q->n_seqs - idx - 1) * sizeof *q->seqs);
    q->n_seqs--;
}

/* Moves the file of seq to bad/ and forgets it. Called with q->mu held. */
static void agent_queue_quarantine(struct agent_queue *q, size_t idx, const char *why)
{
    char from[4096];
    char to[4096];
    agent_queue_path(q, "", q->seqs[idx], from, sizeof from);
    agent_queue_path(q, "bad/", q->seqs[idx], to, sizeof to);
    if (rename(from, to) != 0) {
        unlink(from);
    }
    log_error("report queue: %s moved to %s/bad: %s", from, q->dir, why);
    agent_queue_remove_at(q, idx);
}

/* Reads the report of seqs[idx] into *r. 0, or -1 when the file is unusable. */
static int agent_queue_load_one(struct agent_queue *q, size_t idx, struct wire_report *r,
                                struct sw_err *why)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    struct wire_report_req req = {0};
    agent_queue_path(q, "", q->seqs[idx], path, sizeof path);
    int rc = sw_file_read(path, AGENT_QUEUE_FILE_BYTES, &text, &len, why);
    if (rc == 0) {
        rc = wire_report_req_decode(text, len, &req, why);
    }
    if (rc == 0 && req.n_reports != 1) {
        rc = sw_err_set(why, SW_EINVAL, "expected one report, found %zu", req.n_reports);
    }
    if (rc == 0) {
        *r = req.reports[0];
        memset(&req.reports[0], 0, sizeof req.reports[0]); /* moved out */
    }
    wire_report_req_cleanup(&req);
    free(text);
    return rc == 0 ? 0 : -1;
}

int agent_queue_peek(struct agent_queue *q, size_t max, struct wire_report_req *out,
                     struct sw_err *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->agent, sizeof out->agent, "%s", q->agent_id);
    pthread_mutex_lock(&q->mu);
    size_t n = q->n_seqs < max ? q->n_seqs : max;
    int rc = 0;
    out->reports = calloc(n + 1, sizeof *out->reports);
    if (out->reports == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    size_t idx = 0;
    while (rc == 0 && out->n_reports < n && idx < q->n_seqs) {
        struct sw_err why = {0};
        if (agent_queue_load_one(q, idx, &out->reports[out->n_reports], &why) != 0) {
            agent_queue_quarantine(q, idx, why.msg);
            continue;
        }
        out->n_reports++;
        idx++;
    }
    pthread_mutex_unlock(&q->mu);
    if (rc != 0) {
        wire_report_req_cleanup(out);
    }
    return rc;
}

static int agent_queue_find(struct agent_queue *q, const char *id, size_t *idx)
{
    size_t plen = strlen(q->agent_id);
    int64_t seq = 0;
    if (strncmp(id, q->agent_id, plen) != 0 || id[plen] != ':' ||
        sw_parse_int64(id + plen + 1, 1, INT64_MAX, "report id", &seq, NULL) != 0) {
        return -1;
    }
    for (size_t i = 0; i < q->n_seqs; i++) {
        if (q->seqs[i] == (uint64_t)seq) {
            *idx = i;
            return 0;
        }
    }
    return -1;
}

int agent_queue_ack(struct agent_queue *q, char *const *ids, size_t n_ids, struct sw_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&q->mu);
    for (size_t i = 0; i < n_ids; i++) {
        size_t idx = 0;
        char path[4096];
        if (agent_queue_find(q, ids[i], &idx) != 0) {
            continue;
        }
        agent_queue_path(q, "", q->seqs[idx], path, sizeof path);
        if (unlink(path) != 0 && errno != ENOENT && rc == 0) {
            rc = sw_err_set(err, SW_EIO, "report queue: cannot delete %s: %s", path,
                            strerror(errno));
        }
        agent_queue_remove_at(q, idx);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int agent_queue_reject(struct agent_queue *q, const char *id, struct sw_err *err)
{
    size_t idx = 0;
    (void)err;
    pthread_mutex_lock(&q->mu);
    if (agent_queue_find(q, id, &idx) == 0) {
        agent_queue_quarantine(q, idx, "refused by the coordinator");
    }
    pthread_mutex_unlock(&q->mu);
    return 0;
}

size_t agent_queue_len(struct agent_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->n_seqs;
    pthread_mutex_unlock(&q->mu);
    return n;
}
