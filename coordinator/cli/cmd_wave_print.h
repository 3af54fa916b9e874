/*
 * Human output of the wave commands: the wave detail (`wave status`, `wave start`),
 * the wave list and the event log, from the coordinator's JSON (docs/api.md, "Waves").
 * Missing or null fields print as "-"; unknown fields are ignored.
 */
#ifndef SW_CLI_CMD_WAVE_PRINT_H
#define SW_CLI_CMD_WAVE_PRINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "sw/err.h"
#include "sw/strbuf.h"

/* Header lines, a per-stage table of shard counts and the failing shards. */
int cmd_wave_print_detail(const json_t *wave, struct sw_err *err);
/* One line per wave of {"waves": [...]}; "no waves" when empty. */
int cmd_wave_print_list(const json_t *reply, struct sw_err *err);
/* One line per event of {"events": [...]}. */
int cmd_wave_print_events(const json_t *reply, struct sw_err *err);
/* Lint findings (the coordinator's "findings" arrays, docs/api.md "Policy") of one step,
 * or every finding when version is NULL, to `out`, each as
 *   <indent>V3__drop.sql:1 (pg) drop-column destructive error, unsafe: drops column t.c
 *   <indent>    statement: ALTER TABLE t DROP COLUMN c
 *   <indent>    why: ...
 *   <indent>    safe: ...
 * ("acknowledged (destructive-ok: <reason>)" in place of "unsafe" when acknowledged).
 * Returns how many there are (out NULL: only counts). */
size_t cmd_wave_print_findings(FILE *out, const json_t *findings, const char *version,
                               const char *indent);
/* The answer to a refused wave start, on stderr: the findings of an unsafe_migration
 * error, or the lagging shards of a contract_not_ready error. Returns true when it
 * printed (then the caller's message need not repeat the details). */
bool cmd_wave_print_refusal(const json_t *error);

/* How `wave status --watch` draws (see cmd_wave.c). */
struct cmd_wave_watch_style {
    bool use_color; /* ANSI colours (a TTY without NO_COLOR) */
    int bar_width;  /* progress bar cells, >= 4 */
};

/* One TTY frame of the wave: a header line, then per stage a progress bar and counts
 * (done includes skipped and rolled back shards; failed counts show in the bar as 'x'),
 * then the halt reason if any. Every line ends in "\n" preceded by ESC[K (clear to end
 * of line), so a redraw over the previous frame leaves no debris. *n_lines receives the
 * number of lines appended to out. */
int cmd_wave_print_frame(const json_t *wave, const struct cmd_wave_watch_style *style,
                         struct sw_strbuf *out, size_t *n_lines, struct sw_err *err);
/* The plain progress line for pipes, without a newline: "wave w-1 running, stage 2/3
 * first (dispatching): 4/24 done, 2 running, 0 failed, 18 pending". */
int cmd_wave_print_summary(const json_t *wave, struct sw_strbuf *out, struct sw_err *err);

/* "wave w-1 is now paused (stage 1/3 canary, dispatching)" after an operator action. */
void cmd_wave_print_action(const char *action, const json_t *summary);

#endif
