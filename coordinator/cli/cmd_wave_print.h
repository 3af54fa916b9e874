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

/* "wave w-1 is now paused (stage 1/3 canary, dispatching)" after an operator action. */
void cmd_wave_print_action(const char *action, const json_t *summary);

#endif
