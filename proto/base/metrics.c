/*
 * The metrics registry: families in declaration order, each with its series kept sorted
 * by label values (binary search on update, already ordered when rendered). One mutex
 * guards everything; updates are a lookup and an add, so contention stays small.
 */
#include "sw/metrics.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metric_series {
    char values[SW_METRICS_MAX_LABELS][SW_METRICS_VALUE_MAX];
    double value;   /* counter, gauge; the sum of a histogram */
    uint64_t count; /* histogram observations */
    uint64_t buckets[SW_METRICS_MAX_BUCKETS];
};

struct metric_family {
    const struct sw_metric_def *def;
    size_t n_series;
    size_t cap_series;
    struct metric_series *series; /* sorted by values */
};

struct sw_metrics {
    pthread_mutex_t mu;
    size_t n_families;
    struct metric_family *families;
    uint64_t n_dropped; /* updates of series beyond SW_METRICS_MAX_SERIES */
};

#define METRICS_DROPPED_NAME "shardwave_metrics_series_dropped_total"

int sw_metrics_new(struct sw_metrics **out, struct sw_err *err)
{
    struct sw_metrics *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&m->mu, NULL);
    *out = m;
    return 0;
}

void sw_metrics_free(struct sw_metrics *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->n_families; i++) {
        free(m->families[i].series);
    }
    free(m->families);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (colons only when allow_colon). */
static bool metrics_name_ok(const char *s, bool allow_colon)
{
    if (s == NULL || s[0] == '\0' || strlen(s) >= SW_METRICS_NAME_MAX) {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        bool is_alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                        (allow_colon && *p == ':');
        if (!is_alpha && (p == s || *p < '0' || *p > '9')) {
            return false;
        }
    }
    return true;
}

static struct metric_family *metrics_find(struct sw_metrics *m, const char *name)
{
    for (size_t i = 0; i < m->n_families; i++) {
        if (strcmp(m->families[i].def->name, name) == 0) {
            return &m->families[i];
        }
    }
    return NULL;
}

static int metrics_check_def(struct sw_metrics *m, const struct sw_metric_def *d,
                             struct sw_err *err)
{
    if (!metrics_name_ok(d->name, true) || strcmp(d->name, METRICS_DROPPED_NAME) == 0) {
        return sw_err_set(err, SW_EINVAL, "metric name '%s' is not valid",
                          d->name != NULL ? d->name : "");
    }
    if (metrics_find(m, d->name) != NULL) {
        return sw_err_set(err, SW_EINVAL, "metric %s is declared twice", d->name);
    }
    if (d->help == NULL || d->n_labels > SW_METRICS_MAX_LABELS ||
        d->n_buckets > SW_METRICS_MAX_BUCKETS) {
        return sw_err_set(err, SW_EINVAL, "metric %s: no help, or too many labels or buckets",
                          d->name);
    }
    for (size_t i = 0; i < d->n_labels; i++) {
        bool is_le = d->type == SW_METRIC_HISTOGRAM && strcmp(d->labels[i], "le") == 0;
        if (!metrics_name_ok(d->labels[i], false) || strncmp(d->labels[i], "__", 2) == 0 || is_le) {
            return sw_err_set(err, SW_EINVAL, "metric %s: label name '%s' is not valid", d->name,
                              d->labels[i] != NULL ? d->labels[i] : "");
        }
    }
    for (size_t i = 1; i < d->n_buckets; i++) {
        if (!(d->buckets[i] > d->buckets[i - 1])) {
            return sw_err_set(err, SW_EINVAL, "metric %s: buckets must increase", d->name);
        }
    }
    return 0;
}

int sw_metrics_define(struct sw_metrics *m, const struct sw_metric_def *defs, size_t n_defs,
                      struct sw_err *err)
{
    for (size_t i = 0; i < n_defs; i++) {
        int rc = metrics_check_def(m, &defs[i], err);
        if (rc != 0) {
            return rc;
        }
        struct metric_family *f = realloc(m->families, (m->n_families + 1) * sizeof *f);
        if (f == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
        m->families = f;
        m->families[m->n_families++] = (struct metric_family){.def = &defs[i]};
    }
    return 0;
}

/* Compares a series' values with wanted ones (cut like stored ones). */
static int metrics_cmp(const struct metric_series *s, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int c = strncmp(s->values[i], values[i] != NULL ? values[i] : "", SW_METRICS_VALUE_MAX - 1);
        if (c != 0) {
            return c;
        }
    }
    return 0;
}

static void metrics_copy_value(char dst[SW_METRICS_VALUE_MAX], const char *v)
{
    v = v != NULL ? v : "";
    size_t len = strlen(v);
    if (len < SW_METRICS_VALUE_MAX) {
        memcpy(dst, v, len + 1);
        return;
    }
    memcpy(dst, v, SW_METRICS_VALUE_MAX - 4);
    memcpy(dst + SW_METRICS_VALUE_MAX - 4, "...", 4);
}

/* Finds or inserts the series (caller holds mu); NULL past the series limit or OOM. */
static struct metric_series *metrics_series(struct sw_metrics *m, struct metric_family *f,
                                            const char *const *values)
{
    size_t n = f->def->n_labels;
    size_t lo = 0;
    size_t hi = f->n_series;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = metrics_cmp(&f->series[mid], values, n);
        if (c == 0) {
            return &f->series[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (f->n_series >= SW_METRICS_MAX_SERIES) {
        m->n_dropped++;
        return NULL;
    }
    if (f->n_series == f->cap_series) {
        size_t cap = f->cap_series == 0 ? 8 : f->cap_series * 2;
        struct metric_series *s = realloc(f->series, cap * sizeof *s);
        if (s == NULL) {
            m->n_dropped++;
            return NULL;
        }
        f->series = s;
        f->cap_series = cap;
    }
    memmove(&f->series[lo + 1], &f->series[lo], (f->n_series - lo) * sizeof *f->series);
    f->n_series++;
    struct metric_series *s = &f->series[lo];
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        metrics_copy_value(s->values[i], values[i]);
    }
    return s;
}

/* Locks and returns the series for an update of the given kind; NULL (unlocked) when
 * it cannot be recorded. */
static struct metric_series *metrics_begin(struct sw_metrics *m, const char *name,
                                           const char *const *values, bool is_histogram)
{
    (void)is_histogram; /* only asserted */
    pthread_mutex_lock(&m->mu);
    struct metric_family *f = metrics_find(m, name);
    assert(f != NULL && "undeclared metric");
    assert((f->def->type == SW_METRIC_HISTOGRAM) == is_histogram);
    assert(f->def->n_labels == 0 || values != NULL);
    struct metric_series *s = f != NULL ? metrics_series(m, f, values) : NULL;
    if (s == NULL) {
        pthread_mutex_unlock(&m->mu);
    }
    return s;
}

void sw_metrics_add(struct sw_metrics *m, const char *name, const char *const *values, double delta)
{
    struct metric_series *s = metrics_begin(m, name, values, false);
    if (s != NULL) {
        s->value += delta;
        pthread_mutex_unlock(&m->mu);
    }
}

void sw_metrics_set(struct sw_metrics *m, const char *name, const char *const *values, double value)
{
    struct metric_series *s = metrics_begin(m, name, values, false);
    if (s != NULL) {
        s->value = value;
        pthread_mutex_unlock(&m->mu);
    }
}

void sw_metrics_observe(struct sw_metrics *m, const char *name, const char *const *values,
                        double value)
{
    struct metric_series *s = metrics_begin(m, name, values, true);
    if (s == NULL) {
        return;
    }
    const struct sw_metric_def *d = metrics_find(m, name)->def;
    for (size_t i = 0; i < d->n_buckets; i++) {
        if (value <= d->buckets[i]) {
            s->buckets[i]++;
        }
    }
    s->count++;
    s->value += value;
    pthread_mutex_unlock(&m->mu);
}

void sw_metrics_clear(struct sw_metrics *m, const char *name)
{
    pthread_mutex_lock(&m->mu);
    struct metric_family *f = metrics_find(m, name);
    assert(f != NULL && "undeclared metric");
    if (f != NULL) {
        f->n_series = 0;
    }
    pthread_mutex_unlock(&m->mu);
}

/* ---- rendering ------------------------------------------------------------------------ */

/* A sample value: Prometheus spells the non-finite ones NaN, +Inf, -Inf. */
static void metrics_fmt_value(char *buf, size_t cap, double v)
{
    if (isnan(v)) {
        snprintf(buf, cap, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, cap, "%sInf", v > 0 ? "+" : "-");
    } else {
        snprintf(buf, cap, "%.15g", v); /* reads back as v for most values: 0.1, not 0.1000...1 */
        if (strtod(buf, NULL) != v) {
            snprintf(buf, cap, "%.17g", v);
        }
    }
}

/* Appends s escaped (\\ and \n; also \" inside label values). */
static int metrics_put_escaped(struct sw_strbuf *out, const char *s, bool is_label,
                               struct sw_err *err)
{
    int rc = 0;
    for (const char *p = s; *p != '\0' && rc == 0; p++) {
        if (*p == '\\') {
            rc = sw_strbuf_puts(out, "\\\\", err);
        } else if (*p == '\n') {
            rc = sw_strbuf_puts(out, "\\n", err);
        } else if (*p == '"' && is_label) {
            rc = sw_strbuf_puts(out, "\\\"", err);
        } else {
            rc = sw_strbuf_append(out, p, 1, err);
        }
    }
    return rc;
}

/* `name{l1="v1",...,le="x"} value\n`; le may be NULL. */
static int metrics_put_sample(struct sw_strbuf *out, const char *name, const char *suffix,
                              const struct sw_metric_def *d, const struct metric_series *s,
                              const char *le, double value, struct sw_err *err)
{
    int rc = sw_strbuf_printf(out, err, "%s%s", name, suffix);
    size_t n = s != NULL ? d->n_labels : 0;
    if (rc == 0 && (n > 0 || le != NULL)) {
        rc = sw_strbuf_puts(out, "{", err);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = sw_strbuf_printf(out, err, "%s%s=\"", i > 0 ? "," : "", d->labels[i]);
        rc = rc != 0 ? rc : metrics_put_escaped(out, s->values[i], true, err);
        rc = rc != 0 ? rc : sw_strbuf_puts(out, "\"", err);
    }
    if (rc == 0 && le != NULL) {
        rc = sw_strbuf_printf(out, err, "%sle=\"%s\"", n > 0 ? "," : "", le);
    }
    if (rc == 0 && (n > 0 || le != NULL)) {
        rc = sw_strbuf_puts(out, "}", err);
    }
    char v[64];
    metrics_fmt_value(v, sizeof v, value);
    return rc != 0 ? rc : sw_strbuf_printf(out, err, " %s\n", v);
}

static int metrics_put_histogram(struct sw_strbuf *out, const struct sw_metric_def *d,
                                 const struct metric_series *s, struct sw_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < d->n_buckets; i++) {
        char le[64];
        metrics_fmt_value(le, sizeof le, d->buckets[i]);
        rc = metrics_put_sample(out, d->name, "_bucket", d, s, le, (double)s->buckets[i], err);
    }
    if (rc == 0) {
        rc = metrics_put_sample(out, d->name, "_bucket", d, s, "+Inf", (double)s->count, err);
    }
    if (rc == 0) {
        rc = metrics_put_sample(out, d->name, "_sum", d, s, NULL, s->value, err);
    }
    return rc != 0 ? rc
                   : metrics_put_sample(out, d->name, "_count", d, s, NULL, (double)s->count, err);
}

static const char *metrics_type_name(enum sw_metric_type t)
{
    switch (t) {
    case SW_METRIC_COUNTER:
        return "counter";
    case SW_METRIC_GAUGE:
        return "gauge";
    case SW_METRIC_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

static int metrics_put_family(struct sw_strbuf *out, const struct metric_family *f,
                              struct sw_err *err)
{
    const struct sw_metric_def *d = f->def;
    int rc = sw_strbuf_printf(out, err, "# HELP %s ", d->name);
    rc = rc != 0 ? rc : metrics_put_escaped(out, d->help, false, err);
    rc = rc != 0
             ? rc
             : sw_strbuf_printf(out, err, "\n# TYPE %s %s\n", d->name, metrics_type_name(d->type));
    if (rc == 0 && f->n_series == 0 && d->n_labels == 0) {
        struct metric_series zero = {0};
        rc = d->type == SW_METRIC_HISTOGRAM
                 ? metrics_put_histogram(out, d, &zero, err)
                 : metrics_put_sample(out, d->name, "", d, NULL, NULL, 0, err);
    }
    for (size_t i = 0; rc == 0 && i < f->n_series; i++) {
        const struct metric_series *s = &f->series[i];
        rc = d->type == SW_METRIC_HISTOGRAM
                 ? metrics_put_histogram(out, d, s, err)
                 : metrics_put_sample(out, d->name, "", d, s, NULL, s->value, err);
    }
    return rc;
}

int sw_metrics_render(struct sw_metrics *m, struct sw_strbuf *out, struct sw_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; rc == 0 && i < m->n_families; i++) {
        rc = metrics_put_family(out, &m->families[i], err);
    }
    if (rc == 0) {
        rc = sw_strbuf_printf(out, err,
                              "# HELP " METRICS_DROPPED_NAME
                              " Metric updates not recorded: a family reached its series "
                              "limit.\n# TYPE " METRICS_DROPPED_NAME
                              " counter\n" METRICS_DROPPED_NAME " %llu\n",
                              (unsigned long long)m->n_dropped);
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}
