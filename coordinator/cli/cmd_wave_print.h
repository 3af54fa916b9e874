/*
 * Human output of the wave commands: the wave detail (`wave status`, `wave start`),
 * the wave list and the event log, from the coordinator's JSON (docs/api.md, "Waves").
 * Missing or null fields print as "-"; unknown fields are ignored.
 */
#ifndef SW_CLI_CMD_WAVE_PRINT_H
#define SW_CLI_CMD_WAVE_PRINT_H

#include <jansson.h>

#include "sw/err.h"

/* Header lines, a per-stage table of shard counts and the failing shards. */
int cmd_wave_print_detail(const json_t *wave, struct sw_err *err);
/* One line per wave of {"waves": [...]}; "no waves" when empty. */
int cmd_wave_print_list(const json_t *reply, struct sw_err *err);
/* One line per event of {"events": [...]}. */
int cmd_wave_print_events(const json_t *reply, struct sw_err *err);
/* "wave w-1 is now paused (stage 1/3 canary, dispatching)" after an operator action. */
void cmd_wave_print_action(const char *action, const json_t *summary);

#endif
