/* Tables and summaries for the wave commands (see cmd_wave_print.h). */
#include "cmd_wave_print.h"

#include <stdio.h>
#include <string.h>

#include "cli_remote.h"
#include "cli_table.h"
#include "sw/directive.h"

/* ", acknowledged (destructive-ok: <reason>)" */
#define WAVE_FINDING_STATUS_MAX (DIRECTIVE_REASON_MAX + 64)

/* Shard-count columns of a wave or stage "counts" object, in display order. */
static const struct {
    const char *key;
    const char *head;
    bool is_rollback;
} wave_count_cols[] = {
    {"pending", "PENDING", false},      {"leased", "LEASED", false},
    {"running", "RUNNING", false},      {"done", "DONE", false},
    {"failed", "FAILED", false},        {"skipped", "SKIPPED", false},
    {"rb_pending", "RB PENDING", true}, {"rb_leased", "RB LEASED", true},
    {"rb_running", "RB RUNNING", true}, {"rolled_back", "ROLLED BACK", true},
    {"rb_failed", "RB FAILED", true},
};
#define WAVE_N_COUNT_COLS (sizeof wave_count_cols / sizeof wave_count_cols[0])

static long long wave_count(const json_t *counts, const char *key)
{
    return cli_json_int(counts, key, 0);
}

static long long wave_total(const json_t *counts)
{
    long long n = 0;
    for (size_t i = 0; i < WAVE_N_COUNT_COLS; i++) {
        /* A shard is in exactly one state; rollback states replace the forward ones. */
        n += wave_count(counts, wave_count_cols[i].key);
    }
    return n;
}

static bool wave_has_rollback(const json_t *counts)
{
    for (size_t i = 0; i < WAVE_N_COUNT_COLS; i++) {
        if (wave_count_cols[i].is_rollback && wave_count(counts, wave_count_cols[i].key) > 0) {
            return true;
        }
    }
    return false;
}

/* "52 done, 6 running, ..." listing the non-zero counts (or "no shards"). */
static void wave_print_counts(const json_t *counts)
{
    bool any = false;
    for (size_t i = 0; i < WAVE_N_COUNT_COLS; i++) {
        long long n = wave_count(counts, wave_count_cols[i].key);
        if (n > 0) {
            printf("%s%lld %s", any ? ", " : "", n, wave_count_cols[i].key);
            any = true;
        }
    }
    printf("%s\n", any ? "" : "no shards");
}

static const json_t *wave_stage_at(const json_t *wave, long long idx)
{
    size_t i = 0;
    const json_t *s = NULL;
    json_array_foreach(json_object_get(wave, "stages"), i, s)
    {
        if (cli_json_int(s, "index", (long long)i) == idx) {
            return s;
        }
    }
    return NULL;
}

static void wave_print_stage_line(const json_t *wave)
{
    long long cur = cli_json_int(wave, "current_stage", -1);
    size_t n = json_array_size(json_object_get(wave, "stages"));
    const json_t *stage = wave_stage_at(wave, cur);
    if (cur < 0) {
        return;
    }
    printf("  stage:      %lld", cur + 1);
    if (n > 0) {
        printf("/%zu", n);
    }
    if (stage != NULL) {
        printf(" %s", cli_json_str(stage, "name", "?"));
    }
    printf(", %s", cli_json_str(wave, "stage_phase", "?"));
    const char *bake = cli_json_str(wave, "bake_until", NULL);
    if (bake != NULL) {
        printf(" (bake until %s)", bake);
    }
    printf("\n");
}

static void wave_print_header(const json_t *w)
{
    printf("wave %s: %s\n", cli_json_str(w, "id", "?"), cli_json_str(w, "state", "?"));
    printf("  migration:  %s to version %s, on failure %s; set %.12s\n",
           cli_json_str(w, "direction", "up"), cli_json_str(w, "target", "?"),
           cli_json_str(w, "on_failure", "halt"), cli_json_str(w, "migration_set", "?"));
    const char *reason = cli_json_str(w, "reason", NULL);
    if (reason != NULL) {
        printf("  reason:     %s\n", reason);
    }
    printf("  created:    %s by %s; updated %s\n", cli_json_str(w, "created_at", "?"),
           cli_json_str(w, "created_by", "?"), cli_json_str(w, "updated_at", "?"));
    wave_print_stage_line(w);
    const char *halt = cli_json_str(w, "halt_reason", NULL);
    if (halt != NULL) {
        printf("  halted:     %s\n", halt);
    }
    printf("  shards:     ");
    wave_print_counts(json_object_get(w, "counts"));
}

static int wave_stage_row(struct cli_table *t, const json_t *s, size_t i, bool rollback,
                          struct sw_err *err)
{
    char num[WAVE_N_COUNT_COLS + 2][24];
    const char *row[CLI_TABLE_MAX_COLS] = {0};
    const json_t *counts = json_object_get(s, "counts");
    size_t c = 0;
    snprintf(num[0], sizeof num[0], "%lld", cli_json_int(s, "index", (long long)i) + 1);
    row[c++] = num[0];
    row[c++] = cli_json_str(s, "name", "?");
    snprintf(num[1], sizeof num[1], "%lld", wave_total(counts));
    row[c++] = num[1];
    for (size_t k = 0; k < WAVE_N_COUNT_COLS; k++) {
        if (wave_count_cols[k].is_rollback && !rollback) {
            continue;
        }
        snprintf(num[k + 2], sizeof num[k + 2], "%lld", wave_count(counts, wave_count_cols[k].key));
        row[c++] = num[k + 2];
    }
    return cli_table_add(t, row, err);
}

static int wave_print_stages(const json_t *w, struct sw_err *err)
{
    const json_t *stages = json_object_get(w, "stages");
    bool rollback = wave_has_rollback(json_object_get(w, "counts"));
    const char *head[CLI_TABLE_MAX_COLS] = {"#", "STAGE", "SHARDS"};
    size_t n_cols = 3;
    for (size_t k = 0; k < WAVE_N_COUNT_COLS; k++) {
        if (!wave_count_cols[k].is_rollback || rollback) {
            head[n_cols++] = wave_count_cols[k].head;
        }
    }
    struct cli_table t;
    int rc = cli_table_init(&t, n_cols, head, err);
    size_t i = 0;
    const json_t *s = NULL;
    json_array_foreach(stages, i, s)
    {
        if (rc == 0) {
            rc = wave_stage_row(&t, s, i, rollback, err);
        }
    }
    if (rc == 0) {
        printf("\n");
        cli_table_print(&t, stdout);
    }
    cli_table_cleanup(&t);
    return rc;
}

static bool wave_shard_is_failing(const json_t *sh)
{
    const char *state = cli_json_str(sh, "state", "");
    return strcmp(state, "failed") == 0 || strcmp(state, "rb_failed") == 0 ||
           cli_json_str(sh, "error", NULL) != NULL;
}

static int wave_failing_rows(struct cli_table *t, const json_t *stage, struct sw_err *err)
{
    char attempts[24];
    char state[64];
    size_t i = 0;
    const json_t *sh = NULL;
    json_array_foreach(json_object_get(stage, "shards"), i, sh)
    {
        if (!wave_shard_is_failing(sh)) {
            continue;
        }
        snprintf(attempts, sizeof attempts, "%lld", cli_json_int(sh, "attempts", 0));
        const char *failure = cli_json_str(sh, "failure", NULL);
        snprintf(state, sizeof state, "%s%s%s%s", cli_json_str(sh, "state", "?"),
                 failure != NULL ? " (" : "", failure != NULL ? failure : "",
                 failure != NULL ? ")" : "");
        const char *row[] = {
            cli_json_str(sh, "id", "?"),     cli_json_str(stage, "name", "?"), state, attempts,
            cli_json_str(sh, "agent", NULL), cli_json_str(sh, "error", NULL)};
        int rc = cli_table_add(t, row, err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int wave_print_failing(const json_t *w, struct sw_err *err)
{
    static const char *const head[] = {"SHARD", "STAGE", "STATE", "ATTEMPTS", "AGENT", "ERROR"};
    struct cli_table t;
    int rc = cli_table_init(&t, 6, head, err);
    size_t i = 0;
    const json_t *stage = NULL;
    json_array_foreach(json_object_get(w, "stages"), i, stage)
    {
        if (rc == 0) {
            rc = wave_failing_rows(&t, stage, err);
        }
    }
    if (rc == 0 && t.n_rows > 1) {
        printf("\nfailing shards:\n");
        cli_table_print(&t, stdout);
    }
    cli_table_cleanup(&t);
    return rc;
}

int cmd_wave_print_detail(const json_t *wave, struct sw_err *err)
{
    wave_print_header(wave);
    int rc = wave_print_stages(wave, err);
    if (rc == 0) {
        rc = wave_print_failing(wave, err);
    }
    return rc;
}

static int wave_list_row(struct cli_table *t, const json_t *w, struct sw_err *err)
{
    char stage[24];
    char done[48];
    const json_t *counts = json_object_get(w, "counts");
    long long cur = cli_json_int(w, "current_stage", -1);
    snprintf(stage, sizeof stage, "%lld", cur + 1);
    snprintf(done, sizeof done, "%lld/%lld", wave_count(counts, "done"), wave_total(counts));
    const char *row[] = {cli_json_str(w, "id", "?"),
                         cli_json_str(w, "state", "?"),
                         cli_json_str(w, "direction", "up"),
                         cli_json_str(w, "target", "?"),
                         cur >= 0 ? stage : NULL,
                         done,
                         cli_json_str(w, "created_by", NULL),
                         cli_json_str(w, "created_at", NULL),
                         cli_json_str(w, "reason", NULL)};
    return cli_table_add(t, row, err);
}

int cmd_wave_print_list(const json_t *reply, struct sw_err *err)
{
    static const char *const head[] = {"WAVE", "STATE",      "DIR",     "TARGET", "STAGE",
                                       "DONE", "CREATED BY", "CREATED", "REASON"};
    const json_t *waves = json_object_get(reply, "waves");
    if (json_array_size(waves) == 0) {
        printf("no waves\n");
        return 0;
    }
    struct cli_table t;
    int rc = cli_table_init(&t, 9, head, err);
    size_t i = 0;
    const json_t *w = NULL;
    json_array_foreach(waves, i, w)
    {
        if (rc == 0) {
            rc = wave_list_row(&t, w, err);
        }
    }
    if (rc == 0) {
        cli_table_print(&t, stdout);
    }
    cli_table_cleanup(&t);
    return rc;
}

static int wave_event_row(struct cli_table *t, const json_t *e, struct sw_err *err)
{
    char id[24];
    char change[96] = "";
    const char *from = cli_json_str(e, "from", NULL);
    const char *to = cli_json_str(e, "to", NULL);
    snprintf(id, sizeof id, "%lld", cli_json_int(e, "id", 0));
    if (from != NULL || to != NULL) {
        snprintf(change, sizeof change, "%s -> %s", from != NULL ? from : "-",
                 to != NULL ? to : "-");
    }
    const char *row[] = {id,
                         cli_json_str(e, "at", NULL),
                         cli_json_str(e, "actor", NULL),
                         cli_json_str(e, "kind", NULL),
                         change,
                         cli_json_str(e, "shard", NULL),
                         cli_json_str(e, "message", NULL)};
    return cli_table_add(t, row, err);
}

int cmd_wave_print_events(const json_t *reply, struct sw_err *err)
{
    static const char *const head[] = {"ID", "AT", "ACTOR", "KIND", "CHANGE", "SHARD", "MESSAGE"};
    const json_t *events = json_object_get(reply, "events");
    if (json_array_size(events) == 0) {
        printf("no events\n");
        return 0;
    }
    struct cli_table t;
    int rc = cli_table_init(&t, 7, head, err);
    size_t i = 0;
    const json_t *e = NULL;
    json_array_foreach(events, i, e)
    {
        if (rc == 0) {
            rc = wave_event_row(&t, e, err);
        }
    }
    if (rc == 0) {
        cli_table_print(&t, stdout);
    }
    cli_table_cleanup(&t);
    return rc;
}

void cmd_wave_print_action(const char *action, const json_t *summary)
{
    printf("wave %s: %s; now %s", cli_json_str(summary, "id", "?"), action,
           cli_json_str(summary, "state", "?"));
    long long cur = cli_json_int(summary, "current_stage", -1);
    if (cur >= 0) {
        printf(" (stage %lld, %s)", cur + 1, cli_json_str(summary, "stage_phase", "?"));
    }
    printf("\n");
    const char *halt = cli_json_str(summary, "halt_reason", NULL);
    if (halt != NULL) {
        printf("halt reason: %s\n", halt);
    }
}

/* "unsafe", "acknowledged (allow: <reason>)", or "" for a finding that blocks nothing. */
static void wave_finding_status(const json_t *f, char *buf, size_t cap)
{
    if (json_is_true(json_object_get(f, "acknowledged"))) {
        snprintf(buf, cap, ", acknowledged (%s: %s)", cli_json_str(f, "ack_directive", "-"),
                 cli_json_str(f, "ack_reason", "-"));
    } else if (json_is_true(json_object_get(f, "down"))) {
        snprintf(buf, cap, ", down file");
    } else if (json_is_true(json_object_get(f, "unsafe"))) {
        snprintf(buf, cap, ", unsafe");
    } else {
        buf[0] = '\0';
    }
}

static void wave_print_finding(FILE *out, const json_t *f, const char *indent)
{
    char status[WAVE_FINDING_STATUS_MAX];
    wave_finding_status(f, status, sizeof status);
    fprintf(out, "%s%s:%lld (%s) %s %s %s%s: %s\n", indent, cli_json_str(f, "file", "?"),
            cli_json_int(f, "line", 0), cli_json_str(f, "engine", "?"),
            cli_json_str(f, "rule", "?"), cli_json_str(f, "class", "?"),
            cli_json_str(f, "severity", "?"), status, cli_json_str(f, "message", ""));
    static const char *const keys[] = {"statement", "why", "safe"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = cli_json_str(f, keys[i], NULL);
        if (v != NULL && v[0] != '\0') {
            fprintf(out, "%s    %s: %s\n", indent, keys[i], v);
        }
    }
}

size_t cmd_wave_print_findings(FILE *out, const json_t *findings, const char *version,
                               const char *indent)
{
    size_t n = 0;
    size_t i = 0;
    const json_t *f = NULL;
    json_array_foreach(findings, i, f)
    {
        const char *v = cli_json_str(f, "version", "");
        if (version == NULL || strcmp(v, version) == 0) {
            if (out != NULL) {
                wave_print_finding(out, f, indent);
            }
            n++;
        }
    }
    return n;
}

/* "  t-003 at 1 (ok)" per lagging shard. */
static void wave_print_lagging(const json_t *error)
{
    const json_t *lagging = json_object_get(error, "lagging");
    fprintf(stderr, "shards without %s (%zu):\n", cli_json_str(error, "contract_of", "?"),
            json_array_size(lagging));
    size_t i = 0;
    const json_t *l = NULL;
    json_array_foreach(lagging, i, l)
    {
        fprintf(stderr, "  %s at %s (%s)\n", cli_json_str(l, "id", "?"),
                cli_json_str(l, "version", "?"), cli_json_str(l, "health", "?"));
    }
}

bool cmd_wave_print_refusal(const json_t *error)
{
    const char *code = cli_json_str(error, "code", "");
    if (strcmp(code, "unsafe_migration") == 0) {
        const json_t *findings = json_object_get(error, "findings");
        fprintf(stderr, "findings that refuse the wave (%zu):\n", json_array_size(findings));
        cmd_wave_print_findings(stderr, findings, NULL, "  ");
        return true;
    }
    if (strcmp(code, "contract_not_ready") == 0) {
        wave_print_lagging(error);
        return true;
    }
    return false;
}

/* ---- wave status --watch ---------------------------------------------------------------- */

#define WAVE_ANSI_GREEN  "\033[32m"
#define WAVE_ANSI_YELLOW "\033[33m"
#define WAVE_ANSI_RED    "\033[31m"
#define WAVE_ANSI_BOLD   "\033[1m"
#define WAVE_ANSI_RESET  "\033[0m"

/* Progress of a counts object: finished well, in flight, failed, still to go. */
struct wave_progress {
    long long done;
    long long running;
    long long failed;
    long long pending;
    long long total;
};

static struct wave_progress wave_progress_of(const json_t *counts)
{
    struct wave_progress p = {0};
    p.done = wave_count(counts, "done") + wave_count(counts, "skipped") +
             wave_count(counts, "rolled_back");
    p.running = wave_count(counts, "leased") + wave_count(counts, "running") +
                wave_count(counts, "rb_leased") + wave_count(counts, "rb_running");
    p.failed = wave_count(counts, "failed") + wave_count(counts, "rb_failed");
    p.pending = wave_count(counts, "pending") + wave_count(counts, "rb_pending");
    p.total = wave_total(counts);
    return p;
}

static const char *wave_color(const struct cmd_wave_watch_style *st, const char *code)
{
    return st->use_color ? code : "";
}

/* "[#####xx-----]": done '#', failed 'x', the rest '-'; rounded so any failure shows. */
static int wave_put_bar(struct sw_strbuf *out, const struct wave_progress *p,
                        const struct cmd_wave_watch_style *st, struct sw_err *err)
{
    long long w = st->bar_width;
    long long n_done = p->total > 0 ? p->done * w / p->total : 0;
    long long n_failed = p->total > 0 ? (p->failed * w + p->total - 1) / p->total : 0;
    n_failed = n_failed + n_done > w ? w - n_done : n_failed;
    char cells[3][256];
    long long lens[3] = {n_done, n_failed, w - n_done - n_failed};
    const char marks[3] = {'#', 'x', '-'};
    for (int k = 0; k < 3; k++) {
        long long n = lens[k] < 255 ? lens[k] : 255;
        memset(cells[k], marks[k], (size_t)n);
        cells[k][n] = '\0';
    }
    return sw_strbuf_printf(out, err, "[%s%s%s%s%s%s]", wave_color(st, WAVE_ANSI_GREEN), cells[0],
                            wave_color(st, WAVE_ANSI_RED), cells[1],
                            wave_color(st, WAVE_ANSI_RESET), cells[2]);
}

static int wave_put_stage(struct sw_strbuf *out, const json_t *s, size_t i, bool is_current,
                          const struct cmd_wave_watch_style *st, struct sw_err *err)
{
    struct wave_progress p = wave_progress_of(json_object_get(s, "counts"));
    int rc =
        sw_strbuf_printf(out, err, "%s%3lld %-12.12s ", is_current ? ">" : " ",
                         cli_json_int(s, "index", (long long)i) + 1, cli_json_str(s, "name", "?"));
    rc = rc != 0 ? rc : wave_put_bar(out, &p, st, err);
    rc = rc != 0 ? rc
                 : sw_strbuf_printf(out, err,
                                    " %5lld/%-5lld done  %s%lld running%s  %s%lld "
                                    "failed%s  %lld pending\033[K\n",
                                    p.done, p.total, wave_color(st, WAVE_ANSI_YELLOW), p.running,
                                    wave_color(st, WAVE_ANSI_RESET),
                                    p.failed > 0 ? wave_color(st, WAVE_ANSI_RED) : "", p.failed,
                                    wave_color(st, WAVE_ANSI_RESET), p.pending);
    return rc;
}

/* "stage 2/3 first (dispatching)" or "" before the first stage. */
static void wave_stage_text(const json_t *wave, char *buf, size_t cap)
{
    long long cur = cli_json_int(wave, "current_stage", -1);
    const json_t *stage = wave_stage_at(wave, cur);
    buf[0] = '\0';
    if (cur >= 0) {
        snprintf(buf, cap, ", stage %lld/%zu %s (%s)", cur + 1,
                 json_array_size(json_object_get(wave, "stages")),
                 stage != NULL ? cli_json_str(stage, "name", "?") : "?",
                 cli_json_str(wave, "stage_phase", "?"));
    }
}

int cmd_wave_print_frame(const json_t *wave, const struct cmd_wave_watch_style *style,
                         struct sw_strbuf *out, size_t *n_lines, struct sw_err *err)
{
    char stage[256];
    wave_stage_text(wave, stage, sizeof stage);
    long long cur = cli_json_int(wave, "current_stage", -1);
    int rc =
        sw_strbuf_printf(out, err, "%swave %s: %s%s%s\033[K\n", wave_color(style, WAVE_ANSI_BOLD),
                         cli_json_str(wave, "id", "?"), cli_json_str(wave, "state", "?"), stage,
                         wave_color(style, WAVE_ANSI_RESET));
    *n_lines = 1;
    size_t i = 0;
    const json_t *s = NULL;
    json_array_foreach(json_object_get(wave, "stages"), i, s)
    {
        if (rc == 0) {
            bool is_current = cli_json_int(s, "index", (long long)i) == cur;
            rc = wave_put_stage(out, s, i, is_current, style, err);
            *n_lines += 1;
        }
    }
    const char *halt = cli_json_str(wave, "halt_reason", NULL);
    if (rc == 0 && halt != NULL) {
        rc =
            sw_strbuf_printf(out, err, "  %shalted: %s%s\033[K\n", wave_color(style, WAVE_ANSI_RED),
                             halt, wave_color(style, WAVE_ANSI_RESET));
        *n_lines += 1;
    }
    return rc;
}

int cmd_wave_print_summary(const json_t *wave, struct sw_strbuf *out, struct sw_err *err)
{
    char stage[256];
    wave_stage_text(wave, stage, sizeof stage);
    struct wave_progress p = wave_progress_of(json_object_get(wave, "counts"));
    int rc = sw_strbuf_printf(out, err,
                              "wave %s %s%s: %lld/%lld done, %lld running, %lld failed, "
                              "%lld pending",
                              cli_json_str(wave, "id", "?"), cli_json_str(wave, "state", "?"),
                              stage, p.done, p.total, p.running, p.failed, p.pending);
    const char *halt = cli_json_str(wave, "halt_reason", NULL);
    if (rc == 0 && halt != NULL) {
        rc = sw_strbuf_printf(out, err, "; halted: %s", halt);
    }
    return rc;
}
