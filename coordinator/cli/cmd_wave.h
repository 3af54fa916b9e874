/*
 * `shardwave wave start|list|status|pause|resume|abort|rollback|events`: starting and
 * steering waves on the coordinator.
 */
#ifndef SW_CLI_CMD_WAVE_H
#define SW_CLI_CMD_WAVE_H

#include "cli_common.h"

extern const struct cli_command cmd_wave;

#endif
