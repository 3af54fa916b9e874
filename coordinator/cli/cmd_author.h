/* shardwave author command(s). */
#ifndef SW_CLI_CMD_AUTHOR_H
#define SW_CLI_CMD_AUTHOR_H

#include "cli_common.h"

extern const struct cli_command cmd_author_new;
extern const struct cli_command cmd_author_sum;

#endif
