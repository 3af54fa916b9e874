/* JSON encoders for the v1 API documents (the shapes are docs/api.md's). */
#include "http/http_encode.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sw/clock.h"
#include "sw/strbuf.h"
#include "sw/version.h"

json_t *http_encode_time(int64_t wall_ms)
{
    if (wall_ms <= 0) {
        return json_null();
    }
    char buf[SW_CLOCK_RFC3339_MAX];
    sw_clock_format_rfc3339(wall_ms, buf, sizeof buf);
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *string_array(char *const *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_string(items[i]));
    }
    return arr;
}

json_t *http_encode_shard(const struct fleet_shard *s)
{
    json_t *labels = json_object();
    for (size_t i = 0; i < s->n_labels; i++) {
        json_object_set_new(labels, s->labels[i].key, json_string(s->labels[i].value));
    }
    return json_pack("{s:s, s:s, s:s, s:o}", "id", s->id, "engine", migset_engine_name(s->engine),
                     "pool", s->pool != NULL ? s->pool : "", "labels", labels);
}

/* ---- fleet -------------------------------------------------------------------------- */

struct version_count {
    struct version v;
    const char *text;
    size_t count;
};

static int version_count_desc(const void *a, const void *b)
{
    const struct version_count *x = a;
    const struct version_count *y = b;
    return version_cmp(&y->v, &x->v);
}

/* Counts shards per version, highest first; *n distinct versions. Caller frees. */
static struct version_count *fleet_histogram(const struct store_fleet *f, size_t *n)
{
    struct version_count *h = calloc(f->fleet.n_shards + 1, sizeof *h);
    *n = 0;
    for (size_t i = 0; h != NULL && i < f->fleet.n_shards; i++) {
        const char *t = f->status[i].version[0] != '\0' ? f->status[i].version : "0";
        size_t j = 0;
        while (j < *n && strcmp(h[j].text, t) != 0) {
            j++;
        }
        if (j == *n) {
            h[j].text = t;
            if (version_parse_str(t, &h[j].v, NULL) != 0) {
                memset(&h[j].v, 0, sizeof h[j].v);
            }
            (*n)++;
        }
        h[j].count++;
    }
    if (h != NULL) {
        qsort(h, *n, sizeof *h, version_count_desc);
    }
    return h;
}

static json_t *fleet_shard_json(const struct store_fleet *f, size_t i)
{
    json_t *o = http_encode_shard(&f->fleet.shards[i]);
    const struct shard_status *st = &f->status[i];
    json_object_set_new(o, "version", json_string(st->version[0] != '\0' ? st->version : "0"));
    json_object_set_new(o, "health", json_string(shard_health_name(st->health)));
    json_object_set_new(o, "last_seen", http_encode_time(st->last_seen_ms));
    json_object_set_new(o, "fingerprint",
                        st->fingerprint[0] != '\0' ? json_string(st->fingerprint) : json_null());
    json_object_set_new(o, "in_fleet_file", json_boolean(f->meta[i].in_fleet_file));
    json_object_set_new(o, "active_wave", str_or_null(f->meta[i].active_wave));
    return o;
}

/* A shard's (engine, version, fingerprint), sorted for the fingerprint drift. */
struct fp_key {
    int engine;
    const char *version;
    const char *fp;
    size_t shard_idx;
};

static int fp_cmp_group(const struct fp_key *x, const struct fp_key *y, bool with_fp)
{
    int c = x->engine - y->engine;
    if (c == 0) {
        c = strcmp(x->version, y->version);
    }
    return c != 0 || !with_fp ? c : strcmp(x->fp, y->fp);
}

static int fp_cmp(const void *a, const void *b)
{
    return fp_cmp_group(a, b, true);
}

/* How a shard's schema fingerprint compares with the other shards of its engine at its
 * version. */
enum fp_drift {
    FP_SAME,        /* like the most common one, or unknown */
    FP_DIFFERS,     /* differs from the most common one: someone changed it by hand */
    FP_NO_MAJORITY, /* several fingerprints, none more common than the others */
};

/* One (engine, version) group keys[a..b): marks the shards outside the most common
 * fingerprint, or every shard when two fingerprints tie for most common. */
static void fleet_fp_group(const struct fp_key *keys, size_t a, size_t b, size_t *group,
                           enum fp_drift *drift)
{
    size_t best = 0;
    size_t n_best = 0;
    for (size_t c = a; c < b;) {
        size_t d = c;
        while (d < b && fp_cmp_group(&keys[c], &keys[d], true) == 0) {
            d++;
        }
        for (size_t k = c; k < d; k++) {
            group[k] = d - c;
        }
        n_best = d - c > best ? 1 : n_best + (d - c == best ? 1 : 0);
        best = d - c > best ? d - c : best;
        c = d;
    }
    for (size_t k = a; k < b; k++) {
        drift[keys[k].shard_idx] =
            n_best > 1 ? FP_NO_MAJORITY : (group[k] < best ? FP_DIFFERS : FP_SAME);
    }
}

/* Compares each shard's schema fingerprint with the other shards of its engine at its
 * version. Unknown fingerprints never differ. Heap array parallel to the shards (caller
 * frees); NULL when out of memory. */
static enum fp_drift *fleet_fingerprint_drift(const struct store_fleet *f)
{
    size_t n = 0;
    struct fp_key *keys = calloc(f->fleet.n_shards + 1, sizeof *keys);
    size_t *group = calloc(f->fleet.n_shards + 1, sizeof *group);
    enum fp_drift *drift = calloc(f->fleet.n_shards + 1, sizeof *drift);
    if (keys == NULL || group == NULL || drift == NULL) {
        free(keys);
        free(group);
        free(drift);
        return NULL;
    }
    for (size_t i = 0; i < f->fleet.n_shards; i++) {
        if (f->status[i].fingerprint[0] != '\0') {
            keys[n++] = (struct fp_key){(int)f->fleet.shards[i].engine, f->status[i].version,
                                        f->status[i].fingerprint, i};
        }
    }
    qsort(keys, n, sizeof *keys, fp_cmp);
    for (size_t a = 0; a < n;) { /* one (engine, version) at a time */
        size_t b = a;
        while (b < n && fp_cmp_group(&keys[a], &keys[b], false) == 0) {
            b++;
        }
        fleet_fp_group(keys, a, b, group, drift);
        a = b;
    }
    free(group);
    free(keys);
    return drift;
}

/* ','-separated versions as a JSON array of strings. */
static json_t *fleet_version_list(const char *list)
{
    json_t *arr = json_array();
    while (list[0] != '\0') {
        size_t len = strcspn(list, ",");
        json_array_append_new(arr, json_stringn(list, len));
        list += len + (list[len] == ',' ? 1 : 0);
    }
    return arr;
}

/* Adds one reason: its stable code to "reasons", its text to "reason" ("; "-joined). */
static void fleet_drift_reason(json_t *d, const char *code, const char *text)
{
    json_array_append_new(json_object_get(d, "reasons"), json_string(code));
    const char *old = json_string_value(json_object_get(d, "reason"));
    if (old == NULL || old[0] == '\0') {
        json_object_set_new(d, "reason", json_string(text));
        return;
    }
    char joined[4096];
    snprintf(joined, sizeof joined, "%s; %s", old, text);
    json_object_set_new(d, "reason", json_string(joined));
}

static void fleet_drift_health(json_t *d, enum shard_health h)
{
    switch (h) {
    case SHARD_UNKNOWN:
    case SHARD_OK:
    case SHARD_HEALTH_COUNT:
        break;
    case SHARD_DIRTY:
        fleet_drift_reason(d, "dirty",
                           "dirty: a step failed part-way and nothing runs on it until it is "
                           "repaired (shardwave repair)");
        break;
    case SHARD_UNREACHABLE:
        fleet_drift_reason(d, "unreachable", "unreachable: its agent could not connect");
        break;
    case SHARD_CHECKSUM_MISMATCH:
        fleet_drift_reason(d, "checksum_mismatch",
                           "checksum mismatch: an applied migration was edited after it ran");
        break;
    }
}

static void fleet_drift_version(json_t *d, const char *v, const char *common)
{
    struct version a;
    struct version b;
    char text[2 * VERSION_TEXT_MAX + 64];
    bool is_behind = version_parse_str(v, &a, NULL) != 0 ||
                     version_parse_str(common, &b, NULL) != 0 || version_cmp(&a, &b) < 0;
    snprintf(text, sizeof text, "%s: at version %s, most shards are at %s",
             is_behind ? "lagging" : "ahead", v, common);
    fleet_drift_reason(d, is_behind ? "lagging" : "ahead", text);
}

/* The shard's drift entry, or NULL when it does not drift. */
static json_t *fleet_drift_json(const struct store_fleet *f, size_t i, const char *common,
                                enum fp_drift fp)
{
    bool is_edited = fp != FP_SAME;
    const struct shard_status *st = &f->status[i];
    const char *v = st->version[0] != '\0' ? st->version : "0";
    bool is_lagging = common != NULL && strcmp(v, common) != 0;
    bool is_unhealthy = st->health != SHARD_OK && st->health != SHARD_UNKNOWN;
    bool is_foreign = st->unknown_versions[0] != '\0' || st->edited_versions[0] != '\0';
    if (!is_unhealthy && !is_lagging && !is_edited && !is_foreign) {
        return NULL;
    }
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:[], s:o, s:o}", "id", f->fleet.shards[i].id,
                          "version", v, "health", shard_health_name(st->health), "reason", "",
                          "reasons", "unknown_migrations", fleet_version_list(st->unknown_versions),
                          "edited_migrations", fleet_version_list(st->edited_versions));
    fleet_drift_health(d, st->health);
    if (is_lagging) {
        fleet_drift_version(d, v, common);
    }
    if (is_edited) {
        json_object_set_new(d, "fingerprint", json_string(st->fingerprint));
        fleet_drift_reason(d, "fingerprint",
                           fp == FP_DIFFERS
                               ? "schema fingerprint differs from the other shards at this "
                                 "version (changed by hand?)"
                               : "schema fingerprints of the shards at this version disagree "
                                 "with no majority (compare them)");
    }
    char text[SHARD_VERSION_LIST_MAX + 80];
    if (st->unknown_versions[0] != '\0') {
        snprintf(text, sizeof text, "applied versions not in the migration set: %s",
                 st->unknown_versions);
        fleet_drift_reason(d, "unknown_migrations", text);
    }
    if (st->edited_versions[0] != '\0') {
        snprintf(text, sizeof text,
                 "applied versions whose checksum differs from the migration set: %s",
                 st->edited_versions);
        fleet_drift_reason(d, "edited_migrations", text);
    }
    return d;
}

json_t *http_encode_fleet(const struct store_fleet *f)
{
    size_t n_versions = 0;
    struct version_count *h = fleet_histogram(f, &n_versions);
    const char *common = NULL;
    size_t best = 0;
    json_t *hist = json_array();
    for (size_t i = 0; h != NULL && i < n_versions; i++) {
        json_array_append_new(
            hist, json_pack("{s:s, s:I}", "version", h[i].text, "count", (json_int_t)h[i].count));
        if (h[i].count > best) {
            best = h[i].count;
            common = h[i].text;
        }
    }
    json_t *shards = json_array();
    json_t *drift = json_array();
    enum fp_drift *fp = fleet_fingerprint_drift(f);
    for (size_t i = 0; i < f->fleet.n_shards; i++) {
        json_array_append_new(shards, fleet_shard_json(f, i));
        json_t *d = fleet_drift_json(f, i, common, fp != NULL ? fp[i] : FP_SAME);
        if (d != NULL) {
            json_array_append_new(drift, d);
        }
    }
    free(fp);
    free(h);
    return json_pack("{s:o, s:o, s:o}", "shards", shards, "histogram", hist, "drift", drift);
}

json_t *http_encode_sync(const struct store_sync_result *r)
{
    json_t *busy = json_array();
    for (size_t i = 0; i < r->n_removed_active; i++) {
        json_array_append_new(busy, json_pack("{s:s, s:s}", "id", r->removed_active[i].shard_id,
                                              "wave", r->removed_active[i].wave_id));
    }
    return json_pack("{s:I, s:o, s:o, s:o, s:o}", "shards", (json_int_t)r->n_shards, "added",
                     string_array(r->added, r->n_added), "changed",
                     string_array(r->changed, r->n_changed), "removed",
                     string_array(r->removed, r->n_removed), "removed_in_active_wave", busy);
}

/* ---- migration sets and plans ------------------------------------------------------- */

json_t *http_encode_migset_info(const struct store_migset_info *info)
{
    return json_pack("{s:s, s:s, s:I}", "digest", info->digest, "latest", info->latest, "steps",
                     (json_int_t)info->n_steps);
}

static json_t *step_engines(const struct migset_step *st, enum migset_dir dir)
{
    json_t *arr = json_array();
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        if (migset_step_file(st, dir, (enum migset_engine)e) != NULL) {
            json_array_append_new(arr, json_string(migset_engine_name((enum migset_engine)e)));
        }
    }
    return arr;
}

static bool step_no_transaction(const struct migset_step *st)
{
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        const struct migset_file *f = migset_step_file(st, MIGSET_UP, (enum migset_engine)e);
        if (f != NULL && f->directives.no_transaction) {
            return true;
        }
    }
    return false;
}

json_t *http_encode_migset(const struct migset *set)
{
    json_t *steps = json_array();
    for (size_t i = 0; i < migset_count(set); i++) {
        const struct migset_step *st = migset_step_at(set, i);
        json_array_append_new(steps, json_pack("{s:s, s:s, s:o, s:o, s:b}", "version",
                                               st->version_text, "description", st->description,
                                               "engines", step_engines(st, MIGSET_UP),
                                               "down_engines", step_engines(st, MIGSET_DOWN),
                                               "no_transaction", step_no_transaction(st)));
    }
    struct version latest = migset_latest(set);
    char lt[VERSION_TEXT_MAX];
    version_format(&latest, lt, sizeof lt);
    return json_pack("{s:s, s:s, s:o}", "digest", migset_digest(set), "latest", lt, "steps", steps);
}

static json_t *plan_shard_json(const struct migset *set, const struct planner_result *r,
                               const struct planner_shard *s)
{
    json_t *steps = json_array();
    for (size_t k = 0; k < s->n_steps; k++) {
        json_array_append_new(steps, json_string(planner_shard_step(set, r, s, k)->version_text));
    }
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o}", "id", s->id, "engine",
                     migset_engine_name(s->engine), "host", str_or_null(s->host), "from", s->from,
                     "to", s->to, "steps", steps);
}

json_t *http_encode_plan(const struct wave_plan *plan, const struct migset *set,
                         const struct planner_result *r)
{
    json_t *stages = json_array();
    for (size_t i = 0; i < r->n_stages; i++) {
        json_t *shards = json_array();
        for (size_t j = 0; j < r->stages[i].n_shards; j++) {
            json_array_append_new(shards, plan_shard_json(set, r, &r->stages[i].shards[j]));
        }
        json_array_append_new(stages, json_pack("{s:I, s:s, s:o}", "index", (json_int_t)i, "name",
                                                plan->stages[i].name, "shards", shards));
    }
    json_t *skipped = json_array();
    for (size_t i = 0; i < r->n_skipped; i++) {
        json_array_append_new(skipped, json_pack("{s:s, s:s}", "id", r->skipped[i].id, "reason",
                                                 r->skipped[i].reason));
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "target", r->target, "direction",
                     plan_direction_name(r->direction), "stages", stages, "skipped", skipped,
                     "warnings", string_array(r->warnings, r->n_warnings), "explain",
                     string_array(r->explain, r->n_explain));
}

/* ---- waves -------------------------------------------------------------------------- */

json_t *http_encode_state_counts(const size_t counts[WSHARD_STATE_COUNT])
{
    json_t *o = json_object();
    for (int s = 0; s < WSHARD_STATE_COUNT; s++) {
        json_object_set_new(o, wave_shard_state_name((enum wave_shard_state)s),
                            json_integer((json_int_t)counts[s]));
    }
    return o;
}

static json_t *counts_json(const struct store_wave_shard *shards, size_t n, int stage_idx)
{
    size_t counts[WSHARD_STATE_COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        if (stage_idx < 0 || shards[i].stage_idx == stage_idx) {
            counts[shards[i].state]++;
        }
    }
    return http_encode_state_counts(counts);
}

json_t *http_encode_wave_summary(const struct store_wave *w, json_t *counts)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:I, s:s, s:o, s:o}", "id", w->id,
        "state", wave_state_name(w->state), "migration_set", w->digest, "target", w->target,
        "direction", plan_direction_name(w->direction), "on_failure",
        plan_on_failure_name(w->on_failure), "reason", str_or_null(w->reason), "created_by",
        w->created_by, "created_at", http_encode_time(w->created_ms), "updated_at",
        http_encode_time(w->updated_ms), "current_stage", (json_int_t)w->current_stage,
        "stage_phase", wave_stage_phase_name(w->stage_phase), "bake_until",
        w->stage_phase == STAGE_BAKING ? http_encode_time(w->phase_until_ms) : json_null(),
        "halt_reason", str_or_null(w->halt_reason));
    if (o != NULL && counts != NULL) {
        json_object_set_new(o, "counts", counts);
    } else {
        json_decref(counts);
    }
    return o;
}

static json_t *wave_shard_json(const struct store_wave_shard *s)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:i, s:o, s:o, s:o, s:o}", "id", s->shard_id, "state",
        wave_shard_state_name(s->state), "from", s->from_version, "to", s->to_version, "agent",
        str_or_null(s->agent), "attempts", s->attempts, "error", str_or_null(s->error), "failure",
        s->failure != WFAIL_NONE ? json_string(wave_failure_name(s->failure)) : json_null(),
        "started_at", http_encode_time(s->started_ms), "finished_at",
        http_encode_time(s->finished_ms));
}

json_t *http_encode_wave_detail(const struct store_wave_detail *d)
{
    json_t *o = http_encode_wave_summary(&d->wave, counts_json(d->shards, d->n_shards, -1));
    json_error_t jerr;
    json_t *plan =
        json_loads(d->wave.plan_json != NULL ? d->wave.plan_json : "null", JSON_DECODE_ANY, &jerr);
    json_t *stages = json_array();
    json_t *pstages = json_object_get(plan, "stages");
    for (size_t i = 0; i < json_array_size(pstages); i++) {
        json_t *ps = json_array_get(pstages, i);
        json_t *shards = json_array();
        for (size_t j = 0; j < d->n_shards; j++) {
            if (d->shards[j].stage_idx == (int)i) {
                json_array_append_new(shards, wave_shard_json(&d->shards[j]));
            }
        }
        json_array_append_new(stages, json_pack("{s:I, s:O, s:O, s:o, s:o}", "index", (json_int_t)i,
                                                "name", json_object_get(ps, "name"), "max_parallel",
                                                json_object_get(ps, "max_parallel"), "counts",
                                                counts_json(d->shards, d->n_shards, (int)i),
                                                "shards", shards));
    }
    json_object_set_new(o, "stages", stages);
    json_object_set_new(o, "plan", plan != NULL ? plan : json_null());
    return o;
}

/* ---- wave detail as text, one shard at a time ---------------------------------------- */

/* json_dump_callback's sink: appends to a bounded buffer, keeping the first error. */
struct encode_sink {
    struct sw_strbuf *sb;
    struct sw_err *err;
    int rc;
};

static int encode_sink_write(const char *buf, size_t size, void *data)
{
    struct encode_sink *k = data;
    if (k->rc == 0) {
        k->rc = sw_strbuf_append(k->sb, buf, size, k->err);
    }
    return k->rc == 0 ? 0 : -1;
}

/* Appends doc's compact text less its last `strip` characters (an object's closing
 * brace, an empty array's "[]}"), then `tail`; consumes doc. */
static int encode_spliced(json_t *doc, size_t strip, const char *tail, struct sw_strbuf *sb,
                          struct sw_err *err)
{
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(doc);
    size_t len = text != NULL ? strlen(text) : 0;
    int rc = text != NULL && len >= strip ? sw_strbuf_append(sb, text, len - strip, err)
                                          : sw_err_set(err, SW_ENOMEM, "out of memory");
    free(text);
    return rc == 0 ? sw_strbuf_puts(sb, tail, err) : rc;
}

/* The stage's shards, comma-separated. */
static int encode_stage_shards(const struct store_wave_detail *d, int stage_idx,
                               struct sw_strbuf *sb, struct sw_err *err)
{
    struct encode_sink k = {.sb = sb, .err = err};
    bool is_first = true;
    for (size_t j = 0; k.rc == 0 && j < d->n_shards; j++) {
        if (d->shards[j].stage_idx != stage_idx) {
            continue;
        }
        json_t *o = wave_shard_json(&d->shards[j]);
        if (!is_first) {
            encode_sink_write(",", 1, &k);
        }
        is_first = false;
        if ((o == NULL || json_dump_callback(o, encode_sink_write, &k, JSON_COMPACT) != 0) &&
            k.rc == 0) {
            k.rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        }
        json_decref(o);
    }
    return k.rc;
}

/* Room for the document: a pending shard's object is ~130 bytes plus its strings. */
static size_t encode_detail_size(const struct store_wave_detail *d)
{
    size_t n = 4096 + (d->wave.plan_json != NULL ? strlen(d->wave.plan_json) : 0);
    for (size_t i = 0; i < d->n_shards; i++) {
        const struct store_wave_shard *s = &d->shards[i];
        n += 192 + strlen(s->shard_id) + strlen(s->from_version) + strlen(s->to_version) +
             strlen(s->agent) + (s->error != NULL ? 2 * strlen(s->error) : 0);
    }
    return n;
}

int http_encode_wave_detail_text(const struct store_wave_detail *d, struct sw_strbuf *sb,
                                 struct sw_err *err)
{
    json_error_t jerr;
    json_t *plan =
        json_loads(d->wave.plan_json != NULL ? d->wave.plan_json : "null", JSON_DECODE_ANY, &jerr);
    json_t *pstages = json_object_get(plan, "stages");
    int rc = sw_strbuf_reserve(sb, encode_detail_size(d), err);
    if (rc == 0) {
        rc = encode_spliced(
            http_encode_wave_summary(&d->wave, counts_json(d->shards, d->n_shards, -1)), 1,
            ",\"stages\":[", sb, err);
    }
    bool is_first = true;
    for (size_t i = 0; rc == 0 && i < json_array_size(pstages); i++) {
        json_t *ps = json_array_get(pstages, i);
        json_t *stage = json_pack("{s:I, s:O, s:O, s:o, s:[]}", "index", (json_int_t)i, "name",
                                  json_object_get(ps, "name"), "max_parallel",
                                  json_object_get(ps, "max_parallel"), "counts",
                                  counts_json(d->shards, d->n_shards, (int)i), "shards");
        if (stage == NULL) {
            continue; /* as the tree: a stage the stored plan lacks fields of is left out */
        }
        rc = is_first ? 0 : sw_strbuf_puts(sb, ",", err);
        is_first = false;
        if (rc == 0) {
            rc = encode_spliced(stage, 3, "[", sb, err); /* ..."shards":[]} */
        }
        if (rc == 0) {
            rc = encode_stage_shards(d, (int)i, sb, err);
        }
        if (rc == 0) {
            rc = sw_strbuf_puts(sb, "]}", err);
        }
    }
    if (rc == 0) {
        rc = sw_strbuf_puts(sb, "],\"plan\":", err);
    }
    if (rc == 0) {
        rc = encode_spliced(plan != NULL ? plan : json_null(), 0, "}", sb, err);
        plan = NULL;
    }
    json_decref(plan);
    return rc;
}

json_t *http_encode_events(const struct store_event *ev, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct store_event *e = &ev[i];
        json_array_append_new(
            arr, json_pack("{s:I, s:o, s:s, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)e->id,
                           "at", http_encode_time(e->at_ms), "actor", e->actor, "kind", e->kind,
                           "from", str_or_null(e->from_state), "to", str_or_null(e->to_state),
                           "shard", str_or_null(e->shard_id), "message", str_or_null(e->message)));
    }
    return json_pack("{s:o}", "events", arr);
}
