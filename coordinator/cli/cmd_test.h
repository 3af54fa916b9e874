/* shardwave test: proves on a scratch database that every down migration restores the
 * schema its up migration changed. */
#ifndef SW_CLI_CMD_TEST_H
#define SW_CLI_CMD_TEST_H

#include "cli_common.h"

extern const struct cli_command cmd_test;

#endif
