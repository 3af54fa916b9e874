/* shardwave author command(s). */
#ifndef SW_CLI_CMD_AUTHOR_H
#define SW_CLI_CMD_AUTHOR_H

#include <stdbool.h>
#include <stdint.h>

#include "cli_common.h"
#include "sw/err.h"
#include "sw/migset.h"

extern const struct cli_command cmd_author_new;
extern const struct cli_command cmd_author_sum;

/* Helpers `shardwave new` shares with the expand/contract generator (cmd_generate.c). */

/* mkdir -p for a migration directory. SW_EIO naming the path, SW_EINVAL when too long. */
int cmd_author_mkdirs(const char *dir, struct sw_err *err);
/* Loads the set in dir for writing new files (shardwave.sum checked; a checksum error
 * gets a hint about 'shardwave sum'). *set is the caller's (migset_free). */
int cmd_author_load(const char *dir, struct migset **set, struct sw_err *err);
/* The next major version for set: highest major + 1, or the current UTC time as
 * YYYYMMDDHHMMSS with `timestamp` or once the set uses such versions (never below
 * highest + 1). */
uint64_t cmd_author_next_major(const struct migset *set, bool timestamp);

#endif
