/* shardwave migrate command(s). */
#ifndef SW_CLI_CMD_MIGRATE_H
#define SW_CLI_CMD_MIGRATE_H

#include "cli_common.h"

extern const struct cli_command cmd_migrate_migrate;
extern const struct cli_command cmd_migrate_undo;
extern const struct cli_command cmd_migrate_repair;
extern const struct cli_command cmd_migrate_baseline;

#endif
