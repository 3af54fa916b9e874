/*
 * The agent's metrics (docs/metrics.md): steps applied and failed by engine, step
 * durations, leases held and reports queued, served in the Prometheus text format on an
 * optional local port (setting metrics_listen; libmicrohttpd; only GET /metrics, no auth:
 * bind it to 127.0.0.1 or a private interface).
 */
#ifndef SW_AGENT_DAEMON_AGENT_METRICS_H
#define SW_AGENT_DAEMON_AGENT_METRICS_H

#include <stdint.h>

#include "sw/err.h"
#include "sw/metrics.h"
#include "sw/migset.h"
#include "sw/wire.h"

/* Creates the agent's registry with its families. *out: sw_metrics_free. SW_ENOMEM. */
int agent_metrics_new(struct sw_metrics **out, struct sw_err *err);

/* A step report queued for the coordinator: counts applied / failed (failed, dirty) by
 * engine and observes its duration; other outcomes are ignored. m NULL is a no-op. */
void agent_metrics_step(struct sw_metrics *m, enum migset_engine engine, enum wire_outcome outcome,
                        int64_t duration_ms);

/* Called before each scrape to set the gauges (leases held, reports queued). */
typedef void (*agent_metrics_collect_fn)(void *ctx, struct sw_metrics *m);

struct agent_metrics_server;

/* Serves m on GET /metrics at listen ("host:port", numeric host; port 0 = any). collect
 * may be NULL. *out owned by the caller (agent_metrics_stop). SW_EINVAL for a bad
 * address, SW_EIO when it cannot listen. */
int agent_metrics_start(const char *listen, struct sw_metrics *m, agent_metrics_collect_fn collect,
                        void *ctx, struct agent_metrics_server **out, struct sw_err *err);
/* The bound port. */
uint16_t agent_metrics_port(const struct agent_metrics_server *s);
/* Stops serving and frees. NULL is a no-op. */
void agent_metrics_stop(struct agent_metrics_server *s);

#endif
