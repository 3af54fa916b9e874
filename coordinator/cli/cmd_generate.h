/*
 * `shardwave new DIR --rename-column TABLE.OLD:NEW --type TYPE`, `--rename-table OLD:NEW`
 * and `--add-not-null-column TABLE.COL TYPE DEFAULT`: the expand/contract generator's
 * command line. It writes a recipe (generate.h) instead of one blank V/U pair.
 */
#ifndef SW_CLI_CMD_GENERATE_H
#define SW_CLI_CMD_GENERATE_H

#include <stdbool.h>

#include "sw/err.h"

/* True when argv (argv[0] = "new") names a generator option (--rename-column,
 * --rename-table, --add-not-null-column); `shardwave new` then hands over to
 * cmd_generate_run. */
bool cmd_generate_wanted(int argc, char **argv);

/* `shardwave new DIR --rename-column ...`: parses argv, picks the next consecutive
 * versions, renders and writes the files (never overwriting; nothing left behind on
 * failure), rewrites shardwave.sum and prints the written paths. Returns 0 or a negative
 * SW_E* code with err filled; usage errors are SW_EINVAL. */
int cmd_generate_run(int argc, char **argv, struct sw_err *err);

#endif
