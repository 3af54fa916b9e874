/* The durable report queue (see agent_queue.h). Lock order: q->mu is a leaf lock.
 *
 * A file holds one or more reports (a wire_report_req), named by the seq of its first
 * report. In memory, one entry per report not yet acked: its seq and the file's. A file
 * is deleted once none of its reports has an entry left; on a restart every file is
 * read back for its ids (reports acked before the restart are sent again: the
 * coordinator calls them duplicates). */
#include "daemon/agent_queue.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
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
#define AGENT_QUEUE_PATH_MAX   4096

struct agent_queue_ent {
    uint64_t seq;  /* the report's */
    uint64_t file; /* the seq naming its file */
};

struct agent_queue {
    pthread_mutex_t mu;
    char *dir;
    char *agent_id;
    struct agent_queue_ent *ents; /* queued, ascending seq */
    size_t n_ents;
    size_t cap_ents;
    uint64_t next_seq;
    uint64_t reserved_seq; /* high-water mark on disk */
};

/* One file read back (cached while a peek walks its reports). */
struct agent_queue_file {
    uint64_t file;
    struct wire_report_req req;
    bool is_loaded;
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

static int agent_queue_ent_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct agent_queue_ent *)a)->seq;
    uint64_t y = ((const struct agent_queue_ent *)b)->seq;
    return x < y ? -1 : x > y;
}

static int agent_queue_add_ent(struct agent_queue *q, uint64_t seq, uint64_t file,
                               struct sw_err *err)
{
    if (q->n_ents == q->cap_ents) {
        size_t cap = q->cap_ents == 0 ? 64 : q->cap_ents * 2;
        struct agent_queue_ent *ents = realloc(q->ents, cap * sizeof *ents);
        if (ents == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
        q->ents = ents;
        q->cap_ents = cap;
    }
    q->ents[q->n_ents++] = (struct agent_queue_ent){.seq = seq, .file = file};
    if (seq >= q->next_seq) {
        q->next_seq = seq + 1;
    }
    return 0;
}

/* The seq of one of our ids ("<agent>:<seq>"), or 0. */
static uint64_t agent_queue_id_seq(const struct agent_queue *q, const char *id)
{
    size_t plen = strlen(q->agent_id);
    int64_t seq = 0;
    if (strncmp(id, q->agent_id, plen) != 0 || id[plen] != ':' ||
        sw_parse_int64(id + plen + 1, 1, INT64_MAX, "report id", &seq, NULL) != 0) {
        return 0;
    }
    return (uint64_t)seq;
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

/* Reads the reports of a file. 0, or an error in *why when the file is unusable. */
static int agent_queue_load(const struct agent_queue *q, uint64_t file, struct wire_report_req *req,
                            struct sw_err *why)
{
    char path[AGENT_QUEUE_PATH_MAX];
    char *text = NULL;
    size_t len = 0;
    memset(req, 0, sizeof *req);
    agent_queue_path(q, "", file, path, sizeof path);
    int rc = sw_file_read(path, AGENT_QUEUE_FILE_BYTES, &text, &len, why);
    if (rc == 0) {
        rc = wire_report_req_decode(text, len, req, why);
    }
    free(text);
    return rc;
}

/* Moves a file to bad/ and forgets its reports. Called with q->mu held. */
static void agent_queue_quarantine(struct agent_queue *q, uint64_t file, const char *why)
{
    char from[AGENT_QUEUE_PATH_MAX];
    char to[AGENT_QUEUE_PATH_MAX];
    agent_queue_path(q, "", file, from, sizeof from);
    agent_queue_path(q, "bad/", file, to, sizeof to);
    if (rename(from, to) != 0) {
        unlink(from);
    }
    log_error("report queue: %s moved to %s/bad: %s", from, q->dir, why);
    size_t kept = 0;
    for (size_t i = 0; i < q->n_ents; i++) {
        if (q->ents[i].file != file) {
            q->ents[kept++] = q->ents[i];
        }
    }
    q->n_ents = kept;
}

/* Adds the reports of one file found by the scan; an unreadable file goes to bad/. */
static int agent_queue_scan_file(struct agent_queue *q, uint64_t file, struct sw_err *err)
{
    struct wire_report_req req;
    struct sw_err why = {0};
    int rc = agent_queue_load(q, file, &req, &why);
    for (size_t i = 0; rc == 0 && i < req.n_reports; i++) {
        uint64_t seq = agent_queue_id_seq(q, req.reports[i].id);
        if (seq == 0) {
            rc = sw_err_set(&why, SW_EINVAL, "report id %s is not one of agent %s",
                            req.reports[i].id, q->agent_id);
        }
    }
    for (size_t i = 0; rc == 0 && i < req.n_reports; i++) {
        if (agent_queue_add_ent(q, agent_queue_id_seq(q, req.reports[i].id), file, err) != 0) {
            wire_report_req_cleanup(&req);
            return SW_ENOMEM;
        }
    }
    wire_report_req_cleanup(&req);
    if (rc != 0) {
        agent_queue_quarantine(q, file, why.msg);
    }
    return 0;
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
            rc = agent_queue_scan_file(q, (uint64_t)seq, err);
        }
    }
    closedir(d);
    if (q->n_ents > 1) {
        qsort(q->ents, q->n_ents, sizeof *q->ents, agent_queue_ent_cmp);
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
        char bad[AGENT_QUEUE_PATH_MAX];
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
    free(q->ents);
    free(q->dir);
    free(q->agent_id);
    free(q);
}

/* Reserves on disk, before any of them is handed out, the ids of the next n reports. */
static int agent_queue_reserve(struct agent_queue *q, size_t n, struct sw_err *err)
{
    if (q->next_seq + n - 1 <= q->reserved_seq) {
        return 0;
    }
    char text[32];
    uint64_t mark = q->next_seq + n - 1 + AGENT_QUEUE_SEQ_BLOCK - 1;
    int len = snprintf(text, sizeof text, "%" PRIu64 "\n", mark);
    char *path = sw_path_join(q->dir, "seq");
    if (path == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = sw_file_write_atomic(path, text, (size_t)len, err);
    free(path);
    if (rc == 0) {
        q->reserved_seq = mark;
    }
    return rc;
}

/* Writes reports (n >= 1) as the file named file (sub "" or "bad/"): temp, fsync,
 * rename, fsync of the directory. */
static int agent_queue_store(struct agent_queue *q, const char *sub, uint64_t file,
                             struct wire_report *rs, size_t n, struct sw_err *err)
{
    struct wire_report_req req = {.n_reports = n, .reports = rs};
    char path[AGENT_QUEUE_PATH_MAX];
    char *text = NULL;
    snprintf(req.agent, sizeof req.agent, "%s", q->agent_id);
    if (agent_queue_path(q, sub, file, path, sizeof path) != 0) {
        return sw_err_set(err, SW_EINVAL, "state_dir path too long");
    }
    int rc = wire_report_req_encode(&req, &text, err);
    if (rc == 0) {
        rc = sw_file_write_atomic(path, text, strlen(text), err);
    }
    free(text);
    return rc;
}

static void agent_queue_reverse(struct agent_queue_ent *ents, size_t lo, size_t hi)
{
    for (; lo + 1 < hi; lo++, hi--) {
        struct agent_queue_ent t = ents[lo];
        ents[lo] = ents[hi - 1];
        ents[hi - 1] = t;
    }
}

/* Adds the entries of a file written after q->mu was let go, in seq order (another
 * worker's later file may have been added meanwhile). Called with q->mu held. */
static int agent_queue_insert_file(struct agent_queue *q, uint64_t first, size_t n,
                                   struct sw_err *err)
{
    size_t old = q->n_ents;
    for (size_t i = 0; i < n; i++) {
        int rc = agent_queue_add_ent(q, first + i, first, err);
        if (rc != 0) {
            q->n_ents = old; /* none of it queued in memory; the file is read at the next start */
            return rc;
        }
    }
    size_t at = old;
    while (at > 0 && q->ents[at - 1].seq > first) {
        at--;
    }
    /* rotate the appended entries in front of the later ones: [at, old) [old, old + n) */
    agent_queue_reverse(q->ents, at, old);
    agent_queue_reverse(q->ents, old, old + n);
    agent_queue_reverse(q->ents, at, old + n);
    return 0;
}

/* Reserves ids for n reports and names them. Called with q->mu held. */
static int agent_queue_name(struct agent_queue *q, struct wire_report *rs, size_t n,
                            uint64_t *first, struct sw_err *err)
{
    *first = q->next_seq;
    int rc = agent_queue_reserve(q, n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        snprintf(rs[i].id, sizeof rs[i].id, "%s:%" PRIu64, q->agent_id, *first + i);
    }
    if (rc == 0) {
        q->next_seq += n;
    }
    return rc;
}

/* Stores one file of n (1..WIRE_MAX_REPORTS) reports: ids under q->mu, the file (write,
 * fsync, rename, directory fsync) without it, so workers' fsyncs overlap (the file
 * system commits them together) instead of queueing behind each other. */
static int agent_queue_push_file(struct agent_queue *q, struct wire_report *rs, size_t n,
                                 struct sw_err *err)
{
    uint64_t first = 0;
    pthread_mutex_lock(&q->mu);
    int rc = agent_queue_name(q, rs, n, &first, err);
    pthread_mutex_unlock(&q->mu);
    if (rc == 0) {
        rc = agent_queue_store(q, "", first, rs, n, err);
    }
    if (rc == 0) {
        pthread_mutex_lock(&q->mu);
        rc = agent_queue_insert_file(q, first, n, err);
        pthread_mutex_unlock(&q->mu);
    }
    return rc;
}

int agent_queue_push_batch(struct agent_queue *q, struct wire_report *rs, size_t n,
                           struct sw_err *err)
{
    int rc = 0;
    for (size_t done = 0; rc == 0 && done < n; done += WIRE_MAX_REPORTS) {
        size_t chunk = n - done < WIRE_MAX_REPORTS ? n - done : WIRE_MAX_REPORTS;
        rc = agent_queue_push_file(q, rs + done, chunk, err);
    }
    if (rc != 0) {
        sw_err_prefix(err, "queueing %zu report%s for shard %s", n, n == 1 ? "" : "s", rs[0].shard);
    }
    return rc;
}

int agent_queue_push(struct agent_queue *q, struct wire_report *r, struct sw_err *err)
{
    return agent_queue_push_batch(q, r, 1, err);
}

/* The report with seq in a loaded file, or NULL. */
static struct wire_report *agent_queue_pick(const struct agent_queue *q,
                                            struct wire_report_req *req, uint64_t seq)
{
    for (size_t i = 0; i < req->n_reports; i++) {
        if (agent_queue_id_seq(q, req->reports[i].id) == seq) {
            return &req->reports[i];
        }
    }
    return NULL;
}

/* Moves the report of ents[idx] into *r, reading its file unless cached. 0, or -1
 * (the reason in *why) when the file is unusable. */
static int agent_queue_take(struct agent_queue *q, size_t idx, struct agent_queue_file *f,
                            struct wire_report *r, struct sw_err *why)
{
    const struct agent_queue_ent *e = &q->ents[idx];
    if (!f->is_loaded || f->file != e->file) {
        wire_report_req_cleanup(&f->req);
        f->is_loaded = false;
        if (agent_queue_load(q, e->file, &f->req, why) != 0) {
            return -1;
        }
        f->file = e->file;
        f->is_loaded = true;
        /* all of the file's reports are checked before the first is taken */
        for (size_t i = idx; i < q->n_ents && q->ents[i].file == e->file; i++) {
            if (agent_queue_pick(q, &f->req, q->ents[i].seq) == NULL) {
                f->is_loaded = false;
                sw_err_set(why, SW_EINVAL, "report %s:%" PRIu64 " is missing", q->agent_id,
                           q->ents[i].seq);
                return -1;
            }
        }
    }
    struct wire_report *src = agent_queue_pick(q, &f->req, e->seq);
    *r = *src;
    memset(src, 0, sizeof *src); /* moved out */
    return 0;
}

int agent_queue_peek(struct agent_queue *q, size_t max, struct wire_report_req *out,
                     struct sw_err *err)
{
    struct agent_queue_file f = {0};
    memset(out, 0, sizeof *out);
    snprintf(out->agent, sizeof out->agent, "%s", q->agent_id);
    pthread_mutex_lock(&q->mu);
    size_t n = q->n_ents < max ? q->n_ents : max;
    int rc = 0;
    out->reports = calloc(n + 1, sizeof *out->reports);
    if (out->reports == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    size_t idx = 0;
    while (rc == 0 && out->n_reports < n && idx < q->n_ents) {
        struct sw_err why = {0};
        if (agent_queue_take(q, idx, &f, &out->reports[out->n_reports], &why) != 0) {
            agent_queue_quarantine(q, q->ents[idx].file, why.msg);
            f.is_loaded = false;
            continue; /* a file quarantined now had no report taken yet */
        }
        out->n_reports++;
        idx++;
    }
    pthread_mutex_unlock(&q->mu);
    wire_report_req_cleanup(&f.req);
    if (rc != 0) {
        wire_report_req_cleanup(out);
    }
    return rc;
}

static int agent_queue_find(const struct agent_queue *q, const char *id, size_t *idx)
{
    uint64_t seq = agent_queue_id_seq(q, id);
    for (size_t i = 0; seq != 0 && i < q->n_ents; i++) {
        if (q->ents[i].seq == seq) {
            *idx = i;
            return 0;
        }
    }
    return -1;
}

/* Whether a report other than ents[skip] still needs the file (skip: SIZE_MAX for none). */
static bool agent_queue_file_used(const struct agent_queue *q, uint64_t file, size_t skip)
{
    for (size_t i = 0; i < q->n_ents; i++) {
        if (i != skip && q->ents[i].file == file) {
            return true;
        }
    }
    return false;
}

static void agent_queue_remove_at(struct agent_queue *q, size_t idx)
{
    memmove(&q->ents[idx], &q->ents[idx + 1], (q->n_ents - idx - 1) * sizeof *q->ents);
    q->n_ents--;
}

int agent_queue_ack(struct agent_queue *q, char *const *ids, size_t n_ids, struct sw_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&q->mu);
    for (size_t i = 0; i < n_ids; i++) {
        size_t idx = 0;
        char path[AGENT_QUEUE_PATH_MAX];
        if (agent_queue_find(q, ids[i], &idx) != 0) {
            continue;
        }
        uint64_t file = q->ents[idx].file;
        agent_queue_remove_at(q, idx);
        if (agent_queue_file_used(q, file, SIZE_MAX)) {
            continue; /* deleted once all of its reports are acked */
        }
        agent_queue_path(q, "", file, path, sizeof path);
        if (unlink(path) != 0 && errno != ENOENT && rc == 0) {
            rc = sw_err_set(err, SW_EIO, "report queue: cannot delete %s: %s", path,
                            strerror(errno));
        }
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* Rewrites a file without the refused report ents[idx] (kept alone as
 * bad/refused-<seq>.json: no clash with a file moved to bad/ later) and
 * without the reports already acked. Called with q->mu held; the file has others. */
static int agent_queue_split(struct agent_queue *q, size_t idx, struct sw_err *err)
{
    uint64_t file = q->ents[idx].file;
    struct wire_report_req req;
    struct sw_err why = {0};
    if (agent_queue_load(q, file, &req, &why) != 0) {
        agent_queue_quarantine(q, file, why.msg);
        return 0;
    }
    struct wire_report *kept = calloc(req.n_reports, sizeof *kept);
    size_t n_kept = 0;
    int rc = kept == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
    for (size_t i = 0; rc == 0 && i < q->n_ents; i++) {
        struct wire_report *r = agent_queue_pick(q, &req, q->ents[i].seq);
        if (q->ents[i].file == file && i != idx && r != NULL && n_kept < req.n_reports) {
            kept[n_kept++] = *r; /* shallow: req keeps owning it */
        }
    }
    struct wire_report *bad = agent_queue_pick(q, &req, q->ents[idx].seq);
    if (rc == 0 && bad != NULL) {
        rc = agent_queue_store(q, "bad/refused-", q->ents[idx].seq, bad, 1, err);
    }
    if (rc == 0) {
        rc = n_kept > 0 ? agent_queue_store(q, "", file, kept, n_kept, err) : 0;
    }
    if (rc == 0) {
        agent_queue_remove_at(q, idx);
    }
    free(kept);
    wire_report_req_cleanup(&req);
    return rc;
}

int agent_queue_reject(struct agent_queue *q, const char *id, struct sw_err *err)
{
    size_t idx = 0;
    int rc = 0;
    pthread_mutex_lock(&q->mu);
    if (agent_queue_find(q, id, &idx) == 0) {
        uint64_t file = q->ents[idx].file;
        if (!agent_queue_file_used(q, file, idx)) {
            agent_queue_quarantine(q, file, "refused by the coordinator");
        } else if ((rc = agent_queue_split(q, idx, err)) == 0) {
            log_error("report queue: report %s moved to %s/bad (its file rewritten without "
                      "it): refused by the coordinator",
                      id, q->dir);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

size_t agent_queue_len(struct agent_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->n_ents;
    pthread_mutex_unlock(&q->mu);
    return n;
}
