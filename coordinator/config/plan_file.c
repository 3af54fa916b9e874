/*
 * Wave plans from libconfig or JSON through one decoder: a small node view over both
 * trees (object, array, scalars, source line) so the field rules exist once. Errors name
 * the field path ("plan.stages[1].max_parallel" in JSON, "file:line: stages[1]..." in
 * libconfig files).
 */
#include "config/plan_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config/fleet_file.h"
#include "sw/fsutil.h"
#include "sw/version.h"

#define PLAN_PATH_MAX     256
#define PLAN_MAX_FAILURES 1000000000

/* ---- one view over JSON and libconfig ------------------------------------------------ */

enum pn_kind { PN_ABSENT, PN_OBJECT, PN_ARRAY, PN_STRING, PN_INT, PN_REAL, PN_BOOL, PN_NULL };

struct pnode {
    const json_t *j;
    const config_setting_t *c;
};

struct pctx {
    const char *file; /* libconfig file name; NULL for JSON */
    struct sw_err *err;
};

static enum pn_kind config_kind(const config_setting_t *c)
{
    switch (config_setting_type(c)) {
    case CONFIG_TYPE_GROUP:
        return PN_OBJECT;
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
        return PN_ARRAY;
    case CONFIG_TYPE_STRING:
        return PN_STRING;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return PN_INT;
    case CONFIG_TYPE_FLOAT:
        return PN_REAL;
    case CONFIG_TYPE_BOOL:
        return PN_BOOL;
    default:
        return PN_NULL;
    }
}

static enum pn_kind pn_kind(struct pnode n)
{
    if (n.c != NULL) {
        return config_kind(n.c);
    }
    if (n.j == NULL) {
        return PN_ABSENT;
    }
    switch (json_typeof(n.j)) {
    case JSON_OBJECT:
        return PN_OBJECT;
    case JSON_ARRAY:
        return PN_ARRAY;
    case JSON_STRING:
        return PN_STRING;
    case JSON_INTEGER:
        return PN_INT;
    case JSON_REAL:
        return PN_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return PN_BOOL;
    case JSON_NULL:
        return PN_NULL;
    }
    return PN_NULL;
}

static const char *kind_name(enum pn_kind k)
{
    static const char *const names[] = {"nothing",    "an object",        "an array",  "a string",
                                        "an integer", "a decimal number", "a boolean", "null"};
    return names[k];
}

static struct pnode pn_member(struct pnode n, const char *key)
{
    struct pnode m = {0};
    if (n.c != NULL) {
        m.c = config_setting_get_member(n.c, key);
    } else if (n.j != NULL) {
        m.j = json_object_get(n.j, key);
    }
    return m;
}

static size_t pn_count(struct pnode n)
{
    if (n.c != NULL) {
        return (size_t)config_setting_length(n.c);
    }
    return json_is_object(n.j) ? json_object_size(n.j) : json_array_size(n.j);
}

static struct pnode pn_elem(struct pnode n, size_t i)
{
    struct pnode e = {0};
    if (n.c != NULL) {
        e.c = config_setting_get_elem(n.c, (unsigned)i);
    } else {
        e.j = json_array_get(n.j, i);
    }
    return e;
}

static int pn_line(struct pnode n)
{
    return n.c != NULL ? (int)config_setting_source_line(n.c) : 0;
}

static const char *pn_string(struct pnode n)
{
    return n.c != NULL ? config_setting_get_string(n.c) : json_string_value(n.j);
}

static int64_t pn_int(struct pnode n)
{
    return n.c != NULL ? (int64_t)config_setting_get_int64(n.c) : (int64_t)json_integer_value(n.j);
}

static double pn_number(struct pnode n)
{
    if (n.c != NULL) {
        return config_kind(n.c) == PN_INT ? (double)config_setting_get_int64(n.c)
                                          : config_setting_get_float(n.c);
    }
    return json_number_value(n.j);
}

static bool pn_bool(struct pnode n)
{
    return n.c != NULL ? config_setting_get_bool(n.c) != 0 : json_is_true(n.j);
}

/* ---- paths and errors ---------------------------------------------------------------- */

static void path_key(char *out, size_t cap, const char *base, const char *key)
{
    int n = snprintf(out, cap, "%s%s%s", base, base[0] != '\0' ? "." : "", key);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(out, cap, "%s", key); /* paths are short; never cut one silently */
    }
}

/* "<file>:<line>: <path>: <message>" or "<path>: <message>"; line from `at` (libconfig). */
static int fail(const struct pctx *x, struct pnode at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(const struct pctx *x, struct pnode at, const char *path, const char *fmt, ...)
{
    char msg[SW_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *sep = path[0] != '\0' ? ": " : "";
    if (x->file == NULL) {
        return sw_err_set(x->err, SW_EINVAL, "%s%s%s", path, sep, msg);
    }
    if (pn_line(at) > 0) {
        return sw_err_set(x->err, SW_EINVAL, "%s:%d: %s%s%s", x->file, pn_line(at), path, sep, msg);
    }
    return sw_err_set(x->err, SW_EINVAL, "%s: %s%s%s", x->file, path, sep, msg);
}

static int want_kind(const struct pctx *x, struct pnode n, const char *path, enum pn_kind want)
{
    enum pn_kind k = pn_kind(n);
    if (k == want || (want == PN_REAL && k == PN_INT)) {
        return 0;
    }
    return fail(x, n, path, "expected %s, got %s", want == PN_REAL ? "a number" : kind_name(want),
                kind_name(k));
}

/* Every member of object `n` must be in `allowed` (NULL-terminated). */
static int check_fields(const struct pctx *x, struct pnode n, const char *path,
                        const char *const *allowed)
{
    for (size_t i = 0; i < pn_count(n); i++) {
        const char *key = NULL;
        struct pnode m = {0};
        if (n.c != NULL) {
            m.c = config_setting_get_elem(n.c, (unsigned)i);
            key = config_setting_name(m.c);
        }
        bool is_known = false;
        for (size_t k = 0; n.c != NULL && allowed[k] != NULL; k++) {
            is_known = is_known || strcmp(allowed[k], key) == 0;
        }
        if (n.c != NULL && !is_known) {
            return fail(x, m, path, "unknown field '%s'", key);
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)n.j, key, v)
    {
        bool is_known = false;
        for (size_t k = 0; allowed[k] != NULL; k++) {
            is_known = is_known || strcmp(allowed[k], key) == 0;
        }
        if (!is_known) {
            return fail(x, n, path, "unknown field '%s'", key);
        }
    }
    return 0;
}

/* ---- typed field readers (absent fields leave *out alone and set *is_set false) ------- */

/* jansson's own rule, so whatever passes here encodes (plan_file_to_json). */
static bool text_is_utf8(const char *s)
{
    json_t *probe = json_string(s);
    json_decref(probe);
    return probe != NULL;
}

static int get_text(const struct pctx *x, struct pnode obj, const char *base, const char *key,
                    size_t max_len, char **out)
{
    char path[PLAN_PATH_MAX];
    path_key(path, sizeof path, base, key);
    struct pnode m = pn_member(obj, key);
    if (pn_kind(m) == PN_ABSENT) {
        return 0;
    }
    if (want_kind(x, m, path, PN_STRING) != 0) {
        return SW_EINVAL;
    }
    const char *s = pn_string(m);
    size_t len = strlen(s);
    if (len == 0 || len > max_len) {
        return fail(x, m, path, "must be 1 to %zu characters", max_len);
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t' && s[i] != '\r') {
            return fail(x, m, path, "contains a control character");
        }
    }
    if (!text_is_utf8(s)) { /* libconfig takes any bytes; plans travel as JSON */
        return fail(x, m, path, "is not valid UTF-8");
    }
    char *copy = strdup(s);
    if (copy == NULL) {
        return sw_err_set(x->err, SW_ENOMEM, "out of memory");
    }
    free(*out);
    *out = copy;
    return 0;
}

static int get_int(const struct pctx *x, struct pnode obj, const char *base, const char *key,
                   const int64_t range[2], int64_t *out, bool *is_set)
{
    char path[PLAN_PATH_MAX];
    path_key(path, sizeof path, base, key);
    struct pnode m = pn_member(obj, key);
    *is_set = pn_kind(m) != PN_ABSENT;
    if (!*is_set) {
        return 0;
    }
    if (want_kind(x, m, path, PN_INT) != 0) {
        return SW_EINVAL;
    }
    int64_t v = pn_int(m);
    if (v < range[0] || v > range[1]) {
        return fail(x, m, path, "must be %lld to %lld, got %lld", (long long)range[0],
                    (long long)range[1], (long long)v);
    }
    *out = v;
    return 0;
}

/* A percentage in (0, 100] (or [0, 100] when zero_ok). */
static int get_percent(const struct pctx *x, struct pnode obj, const char *base, const char *key,
                       bool zero_ok, double *out, bool *is_set)
{
    char path[PLAN_PATH_MAX];
    path_key(path, sizeof path, base, key);
    struct pnode m = pn_member(obj, key);
    *is_set = pn_kind(m) != PN_ABSENT;
    if (!*is_set) {
        return 0;
    }
    if (want_kind(x, m, path, PN_REAL) != 0) {
        return SW_EINVAL;
    }
    double v = pn_number(m);
    if (!isfinite(v) || v > 100.0 || v < 0.0 || (v == 0.0 && !zero_ok)) {
        return fail(x, m, path, "must be %s 0 and at most 100, got %g",
                    zero_ok ? "at least" : "more than", v);
    }
    *out = v;
    return 0;
}

/* One of two words ("up"/"down"): *out = 0 or 1. */
static int get_choice(const struct pctx *x, struct pnode obj, const char *key,
                      const char *const words[2], int *out)
{
    char *s = NULL;
    char path[PLAN_PATH_MAX];
    path_key(path, sizeof path, x->file != NULL ? "" : "plan", key);
    int rc = get_text(x, obj, x->file != NULL ? "" : "plan", key, 32, &s);
    if (rc != 0 || s == NULL) {
        return rc;
    }
    if (strcmp(s, words[0]) == 0 || strcmp(s, words[1]) == 0) {
        *out = strcmp(s, words[1]) == 0;
    } else {
        rc = fail(x, pn_member(obj, key), path, "must be \"%s\" or \"%s\", got \"%s\"", words[0],
                  words[1], s);
    }
    free(s);
    return rc;
}

static const char *root_path(const struct pctx *x)
{
    return x->file != NULL ? "" : "plan";
}

/* ---- stages ---------------------------------------------------------------------------- */

static int decode_gate(const struct pctx *x, struct pnode stage, const char *base,
                       struct plan_stage *s)
{
    static const char *const fields[] = {"sql", "http", "timeout_seconds", NULL};
    static const int64_t timeout_range[2] = {1, PLAN_MAX_GATE_TIMEOUT_S};
    char path[PLAN_PATH_MAX];
    path_key(path, sizeof path, base, "gate");
    struct pnode g = pn_member(stage, "gate");
    if (pn_kind(g) == PN_ABSENT) {
        return 0;
    }
    bool is_set = false;
    if (want_kind(x, g, path, PN_OBJECT) != 0 || check_fields(x, g, path, fields) != 0 ||
        get_int(x, g, path, "timeout_seconds", timeout_range, &s->gate_timeout_seconds, &is_set) !=
            0) {
        return SW_EINVAL;
    }
    bool has_sql = pn_kind(pn_member(g, "sql")) != PN_ABSENT;
    bool has_http = pn_kind(pn_member(g, "http")) != PN_ABSENT;
    if (has_sql == has_http) {
        return fail(x, g, path, "exactly one of sql or http is required");
    }
    s->gate_kind = has_sql ? PLAN_GATE_SQL : PLAN_GATE_HTTP;
    if (get_text(x, g, path, has_sql ? "sql" : "http", PLAN_TEXT_MAX, &s->gate) != 0) {
        return SW_EINVAL;
    }
    if (has_http && strncmp(s->gate, "http://", 7) != 0 && strncmp(s->gate, "https://", 8) != 0) {
        char url_path[PLAN_PATH_MAX];
        path_key(url_path, sizeof url_path, path, "http");
        return fail(x, pn_member(g, "http"), url_path, "must be an http:// or https:// URL");
    }
    return 0;
}

/* Exactly one of select, count, percent, rest. */
static int decode_selector(const struct pctx *x, struct pnode st, const char *base,
                           struct plan_stage *s)
{
    static const int64_t count_range[2] = {1, FLEET_MAX_SHARDS};
    bool has[4] = {false, false, false, false};
    double percent = 0;
    if (get_text(x, st, base, "select", PLAN_TEXT_MAX, &s->select_expr) != 0 ||
        get_int(x, st, base, "count", count_range, &s->select_count, &has[1]) != 0 ||
        get_percent(x, st, base, "percent", false, &percent, &has[2]) != 0) {
        return SW_EINVAL;
    }
    has[0] = s->select_expr != NULL;
    struct pnode rest = pn_member(st, "rest");
    has[3] = pn_kind(rest) != PN_ABSENT;
    if (has[3]) {
        char path[PLAN_PATH_MAX];
        path_key(path, sizeof path, base, "rest");
        if (want_kind(x, rest, path, PN_BOOL) != 0) {
            return SW_EINVAL;
        }
        if (!pn_bool(rest)) {
            return fail(x, rest, path, "must be true (leave it out otherwise)");
        }
    }
    if (has[0] + has[1] + has[2] + has[3] != 1) {
        return fail(x, st, base, "exactly one of select, count, percent or rest is required");
    }
    s->select_kind = has[0]   ? PLAN_SELECT_LABELS
                     : has[1] ? PLAN_SELECT_COUNT
                     : has[2] ? PLAN_SELECT_PERCENT
                              : PLAN_SELECT_REST;
    s->select_percent = percent;
    return 0;
}

static int decode_budget(const struct pctx *x, struct pnode st, const char *base,
                         struct plan_stage *s)
{
    static const int64_t failures_range[2] = {0, PLAN_MAX_FAILURES};
    int64_t failures = -1;
    bool has_n = false, has_pct = false;
    if (get_int(x, st, base, "max_failures", failures_range, &failures, &has_n) != 0 ||
        get_percent(x, st, base, "max_failure_percent", true, &s->max_failure_percent, &has_pct) !=
            0) {
        return SW_EINVAL;
    }
    if (has_n && has_pct) {
        return fail(x, st, base, "set max_failures or max_failure_percent, not both");
    }
    s->max_failures = (int)failures;
    return 0;
}

static bool is_name_ok(const char *s)
{
    size_t len = strlen(s);
    bool ok = len > 0 && len <= WAVE_NAME_MAX;
    for (size_t i = 0; ok && i < len; i++) {
        char c = s[i];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == ':' || c == '-';
    }
    return ok;
}

static int decode_stage_name(const struct pctx *x, struct pnode st, const char *base,
                             struct plan_stage *s)
{
    char path[PLAN_PATH_MAX];
    path_key(path, sizeof path, base, "name");
    if (get_text(x, st, base, "name", WAVE_NAME_MAX, &s->name) != 0) {
        return SW_EINVAL;
    }
    if (s->name == NULL) {
        return fail(x, st, base, "name is required");
    }
    if (!is_name_ok(s->name)) {
        return fail(x, pn_member(st, "name"), path, "'%s' may only contain A-Z a-z 0-9 . _ : -",
                    s->name);
    }
    return 0;
}

static int decode_stage(const struct pctx *x, struct pnode st, const char *base,
                        struct plan_stage *s)
{
    static const char *const fields[] = {"name",
                                         "select",
                                         "count",
                                         "percent",
                                         "rest",
                                         "max_parallel",
                                         "max_failures",
                                         "max_failure_percent",
                                         "bake_seconds",
                                         "gate",
                                         NULL};
    static const int64_t parallel_range[2] = {1, PLAN_MAX_PARALLEL};
    static const int64_t bake_range[2] = {0, PLAN_MAX_BAKE_SECONDS};
    s->max_parallel = 1;
    s->max_failures = -1;
    s->max_failure_percent = -1;
    s->gate_timeout_seconds = PLAN_DEFAULT_GATE_TIMEOUT_S;
    int64_t parallel = 1;
    bool is_set = false;
    if (want_kind(x, st, base, PN_OBJECT) != 0 || check_fields(x, st, base, fields) != 0 ||
        decode_stage_name(x, st, base, s) != 0 || decode_selector(x, st, base, s) != 0 ||
        get_int(x, st, base, "max_parallel", parallel_range, &parallel, &is_set) != 0 ||
        decode_budget(x, st, base, s) != 0 ||
        get_int(x, st, base, "bake_seconds", bake_range, &s->bake_seconds, &is_set) != 0 ||
        decode_gate(x, st, base, s) != 0) {
        return x->err != NULL && x->err->code != 0 ? x->err->code : SW_EINVAL;
    }
    s->max_parallel = (int)parallel;
    return 0;
}

static int decode_stages(const struct pctx *x, struct pnode root, struct wave_plan *p)
{
    char path[PLAN_PATH_MAX];
    path_key(path, sizeof path, root_path(x), "stages");
    struct pnode list = pn_member(root, "stages");
    if (pn_kind(list) == PN_ABSENT) {
        return fail(x, root, root_path(x), "stages is required");
    }
    if (want_kind(x, list, path, PN_ARRAY) != 0) {
        return SW_EINVAL;
    }
    size_t n = pn_count(list);
    if (n == 0 || n > WAVE_MAX_STAGES) {
        return fail(x, list, path, "must have 1 to %d stages, got %zu", WAVE_MAX_STAGES, n);
    }
    if ((p->stages = calloc(n, sizeof *p->stages)) == NULL) {
        return sw_err_set(x->err, SW_ENOMEM, "out of memory");
    }
    p->n_stages = n;
    for (size_t i = 0; i < n; i++) {
        char base[PLAN_PATH_MAX];
        if (snprintf(base, sizeof base, "%s[%zu]", path, i) >= (int)sizeof base) {
            return sw_err_set(x->err, SW_EINTERNAL, "%s: path too long", path);
        }
        if (decode_stage(x, pn_elem(list, i), base, &p->stages[i]) != 0) {
            return x->err != NULL ? x->err->code : SW_EINVAL;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(p->stages[k].name, p->stages[i].name) == 0) {
                return fail(x, pn_elem(list, i), base, "duplicate stage name '%s'",
                            p->stages[i].name);
            }
        }
    }
    return 0;
}

/* ---- the plan ---------------------------------------------------------------------- */

static int decode_target(const struct pctx *x, struct pnode root, struct wave_plan *p)
{
    char path[PLAN_PATH_MAX];
    path_key(path, sizeof path, root_path(x), "target");
    if (get_text(x, root, root_path(x), "target", VERSION_TEXT_MAX, &p->target) != 0) {
        return SW_EINVAL;
    }
    if (p->target == NULL) {
        return 0;
    }
    struct version v;
    struct sw_err verr = {0};
    if (version_parse_str(p->target, &v, &verr) != 0) {
        return fail(x, pn_member(root, "target"), path, "%s", verr.msg);
    }
    char canon[VERSION_TEXT_MAX];
    char *copy = strdup(version_format(&v, canon, sizeof canon));
    if (copy == NULL) {
        return sw_err_set(x->err, SW_ENOMEM, "out of memory");
    }
    free(p->target);
    p->target = copy;
    return 0;
}

static int decode_host_label(const struct pctx *x, struct pnode root, struct wave_plan *p)
{
    char path[PLAN_PATH_MAX];
    path_key(path, sizeof path, root_path(x), "host_label");
    if (get_text(x, root, root_path(x), "host_label", FLEET_LABEL_MAX, &p->host_label) != 0) {
        return SW_EINVAL;
    }
    struct sw_err lerr = {0};
    if (p->host_label != NULL && fleet_file_check_label(p->host_label, "x", &lerr) != 0) {
        return fail(x, pn_member(root, "host_label"), path, "%s", lerr.msg);
    }
    if (p->host_label == NULL && (p->host_label = strdup("host")) == NULL) {
        return sw_err_set(x->err, SW_ENOMEM, "out of memory");
    }
    return 0;
}

static int decode_plan(const struct pctx *x, struct pnode root, struct wave_plan *p)
{
    static const char *const fields[] = {
        "name",         "target",     "direction", "on_failure", "transaction",
        "max_per_host", "host_label", "scope",     "stages",     NULL};
    static const char *const directions[2] = {"up", "down"};
    static const char *const on_failure[2] = {"halt", "rollback"};
    static const char *const transactions[2] = {"step", "shard"};
    static const int64_t per_host_range[2] = {0, PLAN_MAX_PARALLEL};
    int dir = 0, onf = 0, txn = 0;
    int64_t per_host = 0;
    bool is_set = false;
    memset(p, 0, sizeof *p);
    if (want_kind(x, root, root_path(x), PN_OBJECT) != 0 ||
        check_fields(x, root, root_path(x), fields) != 0 ||
        get_text(x, root, root_path(x), "name", WAVE_NAME_MAX, &p->name) != 0 ||
        decode_target(x, root, p) != 0 || get_choice(x, root, "direction", directions, &dir) != 0 ||
        get_choice(x, root, "on_failure", on_failure, &onf) != 0 ||
        get_choice(x, root, "transaction", transactions, &txn) != 0 ||
        get_int(x, root, root_path(x), "max_per_host", per_host_range, &per_host, &is_set) != 0 ||
        decode_host_label(x, root, p) != 0 ||
        get_text(x, root, root_path(x), "scope", PLAN_TEXT_MAX, &p->scope) != 0 ||
        decode_stages(x, root, p) != 0) {
        wave_plan_cleanup(p);
        return x->err != NULL && x->err->code != 0 ? x->err->code : SW_EINVAL;
    }
    p->direction = dir != 0 ? PLAN_DOWN : PLAN_UP;
    p->on_failure = onf != 0 ? PLAN_ON_FAILURE_ROLLBACK : PLAN_ON_FAILURE_HALT;
    p->transaction = txn != 0 ? PLAN_TXN_SHARD : PLAN_TXN_STEP;
    p->max_per_host = (int)per_host;
    return 0;
}

int plan_file_from_json(const json_t *plan, struct wave_plan *out, struct sw_err *err)
{
    struct pctx x = {NULL, err};
    struct pnode root = {.j = plan};
    sw_err_clear(err);
    return decode_plan(&x, root, out);
}

int plan_file_from_json_text(const char *text, size_t len, struct wave_plan *out,
                             struct sw_err *err)
{
    json_error_t jerr;
    memset(out, 0, sizeof *out);
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        return sw_err_set(err, SW_EINVAL, "plan: invalid JSON at line %d, column %d: %s", jerr.line,
                          jerr.column, jerr.text);
    }
    int rc = plan_file_from_json(j, out, err);
    json_decref(j);
    return rc;
}

int plan_file_parse(const char *text, const char *name, struct wave_plan *out, struct sw_err *err)
{
    config_t cf;
    config_init(&cf);
    memset(out, 0, sizeof *out);
    int rc = 0;
    if (config_read_string(&cf, text) != CONFIG_TRUE) {
        rc = sw_err_set(err, SW_EINVAL, "%s:%d: %s", name, config_error_line(&cf),
                        config_error_text(&cf));
    } else {
        struct pctx x = {name, err};
        struct pnode root = {.c = config_root_setting(&cf)};
        sw_err_clear(err);
        rc = decode_plan(&x, root, out);
    }
    config_destroy(&cf);
    return rc;
}

int plan_file_load(const char *path, struct wave_plan *out, struct sw_err *err)
{
    char *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    int rc = sw_file_read(path, PLAN_FILE_MAX_BYTES, &text, &len, err);
    if (rc != 0) {
        return rc;
    }
    if (strlen(text) != len) {
        rc = sw_err_set(err, SW_EINVAL, "%s: contains a NUL byte", path);
    } else {
        rc = plan_file_parse(text, path, out, err);
    }
    free(text);
    return rc;
}

/* ---- encoding -------------------------------------------------------------------------- */

static int set_new(json_t *obj, const char *key, json_t *value)
{
    return value == NULL ? -1 : json_object_set_new(obj, key, value);
}

static int encode_selector(const struct plan_stage *s, json_t *o)
{
    switch (s->select_kind) {
    case PLAN_SELECT_LABELS:
        return set_new(o, "select", json_string(s->select_expr != NULL ? s->select_expr : ""));
    case PLAN_SELECT_COUNT:
        return set_new(o, "count", json_integer(s->select_count));
    case PLAN_SELECT_PERCENT:
        return set_new(o, "percent", json_real(s->select_percent));
    case PLAN_SELECT_REST:
        return set_new(o, "rest", json_true());
    }
    return -1;
}

static int encode_gate(const struct plan_stage *s, json_t *o)
{
    const char *key = NULL;
    switch (s->gate_kind) {
    case PLAN_GATE_NONE:
        return 0;
    case PLAN_GATE_SQL:
        key = "sql";
        break;
    case PLAN_GATE_HTTP:
        key = "http";
        break;
    }
    json_t *g = json_object();
    if (g == NULL || set_new(g, key, json_string(s->gate != NULL ? s->gate : "")) != 0 ||
        set_new(g, "timeout_seconds", json_integer(s->gate_timeout_seconds)) != 0) {
        json_decref(g);
        return -1;
    }
    return set_new(o, "gate", g);
}

static json_t *encode_stage(const struct plan_stage *s)
{
    json_t *o = json_object();
    int rc = o == NULL ? -1 : 0;
    rc = rc != 0 ? rc : set_new(o, "name", json_string(s->name != NULL ? s->name : ""));
    rc = rc != 0 ? rc : encode_selector(s, o);
    rc = rc != 0 ? rc : set_new(o, "max_parallel", json_integer(s->max_parallel));
    if (rc == 0 && s->max_failures >= 0) {
        rc = set_new(o, "max_failures", json_integer(s->max_failures));
    } else if (rc == 0 && s->max_failure_percent >= 0) {
        rc = set_new(o, "max_failure_percent", json_real(s->max_failure_percent));
    }
    rc = rc != 0 ? rc : set_new(o, "bake_seconds", json_integer(s->bake_seconds));
    rc = rc != 0 ? rc : encode_gate(s, o);
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int encode_optional(json_t *o, const char *key, const char *value)
{
    return value == NULL ? 0 : set_new(o, key, json_string(value));
}

int plan_file_to_json(const struct wave_plan *p, json_t **out, struct sw_err *err)
{
    json_t *o = json_object();
    json_t *stages = json_array();
    int rc = (o == NULL || stages == NULL) ? -1 : 0;
    rc = rc != 0 ? rc : encode_optional(o, "name", p->name);
    rc = rc != 0 ? rc : encode_optional(o, "target", p->target);
    rc = rc != 0 ? rc : set_new(o, "direction", json_string(plan_direction_name(p->direction)));
    rc = rc != 0 ? rc : set_new(o, "on_failure", json_string(plan_on_failure_name(p->on_failure)));
    rc = rc != 0 ? rc
                 : set_new(o, "transaction", json_string(plan_transaction_name(p->transaction)));
    rc = rc != 0 ? rc : set_new(o, "max_per_host", json_integer(p->max_per_host));
    rc = rc != 0 ? rc
                 : set_new(o, "host_label",
                           json_string(p->host_label != NULL ? p->host_label : "host"));
    rc = rc != 0 ? rc : encode_optional(o, "scope", p->scope);
    for (size_t i = 0; rc == 0 && i < p->n_stages; i++) {
        rc = json_array_append_new(stages, encode_stage(&p->stages[i]));
    }
    if (rc == 0) {
        rc = json_object_set_new(o, "stages", stages);
        stages = NULL;
    }
    json_decref(stages);
    if (rc != 0) {
        json_decref(o);
        return sw_err_set(err, SW_ENOMEM, "plan: out of memory while encoding");
    }
    *out = o;
    return 0;
}
