/*
 * Latency histograms of the agent protocol's hot calls (see svc_stats.h): log-linear
 * buckets over microseconds, quantiles from bucket bounds.
 */
#include "service/svc_stats.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *svc_stat_kind_name(enum svc_stat_kind k)
{
    switch (k) {
    case SVC_STAT_LEASE:
        return "lease";
    case SVC_STAT_GO:
        return "go";
    case SVC_STAT_REPORT:
        return "report";
    case SVC_STAT_KIND_COUNT:
        break;
    }
    return "?";
}

/* Values below SVC_HIST_SUB us get a bucket each; above, 8 per power of two. */
static size_t svc_hist_bucket(uint64_t us)
{
    if (us < SVC_HIST_SUB) {
        return (size_t)us;
    }
    unsigned pow = 63u - (unsigned)__builtin_clzll(us); /* us >= 8: pow >= 3 */
    size_t sub = (size_t)((us >> (pow - 3)) & (SVC_HIST_SUB - 1));
    size_t b = (size_t)(pow - 2) * SVC_HIST_SUB + sub;
    return b < SVC_HIST_BUCKETS ? b : SVC_HIST_BUCKETS - 1;
}

/* The largest value that falls in bucket b. */
static uint64_t svc_hist_upper(size_t b)
{
    if (b < SVC_HIST_SUB) {
        return b;
    }
    unsigned pow = (unsigned)(b / SVC_HIST_SUB) + 2;
    uint64_t sub = b % SVC_HIST_SUB;
    return ((SVC_HIST_SUB + sub + 1) << (pow - 3)) - 1;
}

void svc_hist_add(struct svc_hist *h, int64_t us)
{
    uint64_t v = us > 0 ? (uint64_t)us : 0;
    h->buckets[svc_hist_bucket(v)]++;
    h->n++;
    if ((int64_t)v > h->max_us) {
        h->max_us = (int64_t)v;
    }
}

int64_t svc_hist_quantile_us(const struct svc_hist *h, double q)
{
    if (h->n == 0) {
        return 0;
    }
    uint64_t rank = (uint64_t)(q * (double)h->n + 0.999999);
    rank = rank < 1 ? 1 : (rank > h->n ? h->n : rank);
    uint64_t seen = 0;
    for (size_t b = 0; b < SVC_HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank && b == SVC_HIST_BUCKETS - 1) {
            return h->max_us; /* the last bucket is open-ended */
        }
        if (seen >= rank) {
            int64_t up = (int64_t)svc_hist_upper(b);
            return up < h->max_us ? up : h->max_us;
        }
    }
    return h->max_us;
}

void svc_stats_init(struct svc_stats *st)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_init(&st->mu, NULL);
}

void svc_stats_cleanup(struct svc_stats *st)
{
    pthread_mutex_destroy(&st->mu);
}

void svc_stats_add(struct svc_stats *st, enum svc_stat_kind k, int64_t us)
{
    pthread_mutex_lock(&st->mu);
    svc_hist_add(&st->hist[k], us);
    pthread_mutex_unlock(&st->mu);
}

void svc_stats_format(struct svc_stats *st, char buf[SVC_STATS_TEXT_MAX])
{
    size_t len = 0;
    buf[0] = '\0';
    pthread_mutex_lock(&st->mu);
    for (int k = 0; k < SVC_STAT_KIND_COUNT && len < SVC_STATS_TEXT_MAX; k++) {
        const struct svc_hist *h = &st->hist[k];
        int w = snprintf(
            buf + len, SVC_STATS_TEXT_MAX - len, "%s%s n=%llu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f",
            k > 0 ? "; " : "", svc_stat_kind_name((enum svc_stat_kind)k), (unsigned long long)h->n,
            (double)svc_hist_quantile_us(h, 0.5) / 1000.0,
            (double)svc_hist_quantile_us(h, 0.99) / 1000.0, (double)h->max_us / 1000.0);
        len += w > 0 ? (size_t)w : 0;
    }
    pthread_mutex_unlock(&st->mu);
}

int64_t svc_stats_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
