/*
 * `shardwave plan`: a dry run of a wave plan on the coordinator. Also the shared
 * preparation of `wave start`: reading the plan file (libconfig or .json) as plan JSON
 * and uploading the migration directory as a set.
 */
#ifndef SW_CLI_CMD_PLAN_H
#define SW_CLI_CMD_PLAN_H

#include <jansson.h>

#include "cli_common.h"
#include "cli_remote.h"

extern const struct cli_command cmd_plan;

/* Reads --plan FILE into plan JSON (docs/api.md "Plan JSON"): FILE ending in ".json" is
 * parsed as JSON, anything else as a libconfig plan file. *out is owned by the caller.
 * SW_EINVAL naming file:line for bad files, SW_ENOTFOUND when missing. */
int cmd_plan_load_file(const char *path, json_t **out, struct sw_err *err);

/* Uploads every *.sql file and shardwave.sum of dir (POST /v1/migration-sets) and sets
 * *digest (heap, caller frees) to the set's digest; *is_new says 201 vs 200. */
int cmd_plan_upload_set(struct cli_remote *r, const char *dir, char **digest, bool *is_new,
                        struct sw_err *err);

#endif
