/*
 * The coordinator's own latency measurements of the agent protocol's hot calls (lease
 * claims that returned work, go-aheads, report batches): a log-linear histogram per kind
 * (8 sub-buckets per power of two of microseconds, so a quantile is within ~9 %), summed
 * up in one `stats:` line that bench/scale.sh reads (svc_stats_log at shutdown).
 *
 * The histogram (svc_hist) is plain data and pure; struct svc_stats adds a mutex, so
 * svc_stats_add and svc_stats_format may be called from any thread.
 */
#ifndef SW_COORDINATOR_SVC_STATS_H
#define SW_COORDINATOR_SVC_STATS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SVC_HIST_SUB       8
#define SVC_HIST_POW       32 /* 2^32 us: over an hour */
#define SVC_HIST_BUCKETS   (SVC_HIST_SUB * SVC_HIST_POW)
#define SVC_STATS_TEXT_MAX 512

enum svc_stat_kind { SVC_STAT_LEASE, SVC_STAT_GO, SVC_STAT_REPORT, SVC_STAT_KIND_COUNT };

/* "lease", "go", "report". */
const char *svc_stat_kind_name(enum svc_stat_kind k);

struct svc_hist {
    uint64_t n;
    int64_t max_us;
    uint64_t buckets[SVC_HIST_BUCKETS];
};

/* Adds one sample (negative durations count as 0). */
void svc_hist_add(struct svc_hist *h, int64_t us);
/* The q-quantile (0 < q <= 1) in microseconds: the upper bound of the bucket holding it,
 * capped by the largest sample; 0 when empty. */
int64_t svc_hist_quantile_us(const struct svc_hist *h, double q);

struct svc_stats {
    pthread_mutex_t mu;
    struct svc_hist hist[SVC_STAT_KIND_COUNT];
};

void svc_stats_init(struct svc_stats *st);
void svc_stats_cleanup(struct svc_stats *st);
/* Records a call of kind k that took us microseconds. */
void svc_stats_add(struct svc_stats *st, enum svc_stat_kind k, int64_t us);
/* "lease n=12 p50_ms=0.301 p99_ms=1.024 max_ms=1.100; go n=...; report n=..." into buf. */
void svc_stats_format(struct svc_stats *st, char buf[SVC_STATS_TEXT_MAX]);
/* Microseconds of the monotonic clock, for the durations above. */
int64_t svc_stats_now_us(void);

#endif
