/* shardwave validate command(s). */
#ifndef SW_CLI_CMD_VALIDATE_H
#define SW_CLI_CMD_VALIDATE_H

#include "cli_common.h"

extern const struct cli_command cmd_validate;

#endif
