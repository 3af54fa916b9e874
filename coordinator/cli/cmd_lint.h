/* shardwave lint: the migration linter over a directory (docs/safe-migrations.md). */
#ifndef SW_CLI_CMD_LINT_H
#define SW_CLI_CMD_LINT_H

#include "cli_common.h"

extern const struct cli_command cmd_lint;

#endif
