/* `shardwave fleet [--drift]` and `shardwave fleet reload`: the coordinator's fleet. */
#ifndef SW_CLI_CMD_FLEET_H
#define SW_CLI_CMD_FLEET_H

#include "cli_common.h"

extern const struct cli_command cmd_fleet;

#endif
