/* shardwave info command(s). */
#ifndef SW_CLI_CMD_INFO_H
#define SW_CLI_CMD_INFO_H

#include "cli_common.h"

extern const struct cli_command cmd_info;

#endif
