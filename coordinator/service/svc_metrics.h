/*
 * The coordinator's metrics (docs/metrics.md): a registry of what happens in this process
 * (HTTP requests, agents' step reports and contacts) plus gauges computed from the store
 * at scrape time (waves by state, shards by version and health, leases, agents), all
 * rendered in the Prometheus text format for GET /metrics.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef SW_COORDINATOR_SVC_METRICS_H
#define SW_COORDINATOR_SVC_METRICS_H

#include <stdint.h>

#include "service/service.h"
#include "service/svc_error.h"
#include "sw/metrics.h"
#include "sw/strbuf.h"
#include "sw/wire_report.h"

/* The histogram buckets of shardwave_step_duration_seconds. */
#define SVC_METRICS_STEP_BUCKETS                                                                   \
    {                                                                                              \
        0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600                                     \
    }

struct svc_metrics;

/* Creates the coordinator's registry with every family declared. *out owned by the
 * caller (svc_metrics_free). SW_ENOMEM. */
int svc_metrics_new(struct svc_metrics **out, struct sw_err *err);
void svc_metrics_free(struct svc_metrics *m); /* NULL is a no-op */

/* The registry itself, for http_server_config.metrics (request counts). Borrowed, valid
 * until svc_metrics_free. */
struct sw_metrics *svc_metrics_registry(struct svc_metrics *m);

/* An agent talked to us at now_ms (register, lease request, start, heartbeat, report);
 * agent ids beyond SW_METRICS_MAX_SERIES are not tracked. */
void svc_metrics_agent_seen(struct svc_metrics *m, const char *agent_id, int64_t now_ms);

/* Counts the step reports of an accepted batch: applied / failed (failed and dirty) by
 * the shard's engine and their durations; report ids listed in resp->duplicates are
 * skipped (a retried report counts once). The shard's engine comes from the fleet in
 * the store (cached; "unknown" for a shard not in it). */
void svc_metrics_reports(struct svc_metrics *m, struct svc *s, const struct wire_report_req *req,
                         const struct wire_report_resp *resp);

/* Appends the whole exposition (registry and store gauges as of now_ms) to out.
 * SVC_INTERNAL when the store cannot be read, SVC_PAYLOAD_TOO_LARGE past out's maximum. */
int svc_metrics_render(struct svc_metrics *m, struct svc *s, int64_t now_ms, struct sw_strbuf *out,
                       struct svc_error *e);

#endif
