/*
 * A small thread-safe metrics registry rendered in the Prometheus text exposition format
 * (version 0.0.4): counters, gauges and histograms with fixed buckets, each a family of
 * series told apart by up to SW_METRICS_MAX_LABELS label values. The coordinator and the
 * agent each keep one; both serve it on GET /metrics (docs/metrics.md).
 */
#ifndef SW_PROTO_METRICS_H
#define SW_PROTO_METRICS_H

#include <stddef.h>

#include "sw/err.h"
#include "sw/strbuf.h"

#define SW_METRICS_MAX_LABELS  3
#define SW_METRICS_MAX_BUCKETS 16
#define SW_METRICS_NAME_MAX    96
#define SW_METRICS_VALUE_MAX   128 /* a label value; longer ones are cut (with "...") */
/* Series per family; later label combinations are not recorded but counted in
 * shardwave_metrics_series_dropped_total, so a runaway label never eats the memory. */
#define SW_METRICS_MAX_SERIES 4096
/* The Content-Type of a rendered registry. */
#define SW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum sw_metric_type { SW_METRIC_COUNTER, SW_METRIC_GAUGE, SW_METRIC_HISTOGRAM };

/* A family. Strings are borrowed for the registry's life (use literals). `labels` lists
 * the label names (n_labels <= SW_METRICS_MAX_LABELS); `buckets` the histogram's upper
 * bounds, increasing, without +Inf (which is implied). */
struct sw_metric_def {
    const char *name; /* [a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total */
    enum sw_metric_type type;
    const char *help;
    size_t n_labels;
    const char *labels[SW_METRICS_MAX_LABELS];
    size_t n_buckets;
    double buckets[SW_METRICS_MAX_BUCKETS];
};

struct sw_metrics;

/* Creates an empty registry. *out owned by the caller (sw_metrics_free). SW_ENOMEM. */
int sw_metrics_new(struct sw_metrics **out, struct sw_err *err);
void sw_metrics_free(struct sw_metrics *m); /* NULL is a no-op */

/* Declares families (defs borrowed for the registry's life). Call before the registry is
 * shared between threads. SW_EINVAL for a bad name, label or bucket list, or a name
 * declared twice. */
int sw_metrics_define(struct sw_metrics *m, const struct sw_metric_def *defs, size_t n_defs,
                      struct sw_err *err);

/* Updates one series; `values` holds the family's n_labels label values (NULL when it has
 * none). An undeclared name, or a call of the wrong kind for the family's type, is a
 * programmer mistake (assert). Thread-safe; never fails (see SW_METRICS_MAX_SERIES). */
void sw_metrics_add(struct sw_metrics *m, const char *name, const char *const *values,
                    double delta); /* counters (delta >= 0) and gauges */
void sw_metrics_set(struct sw_metrics *m, const char *name, const char *const *values,
                    double value); /* gauges */
void sw_metrics_observe(struct sw_metrics *m, const char *name, const char *const *values,
                        double value); /* histograms */

/* Drops every series of the family (gauges recomputed at scrape time: clear, set the
 * current values, render; the caller serialises such scrapes). Thread-safe. */
void sw_metrics_clear(struct sw_metrics *m, const char *name);

/* Appends the registry in the text format (# HELP, # TYPE, then the series sorted by
 * label values) to out. A family without series renders only its comments (a family
 * without labels renders a 0 sample). Thread-safe. SW_ETOOBIG when out's maximum is hit. */
int sw_metrics_render(struct sw_metrics *m, struct sw_strbuf *out, struct sw_err *err);

#endif
