/*
 * Wave plans: from a libconfig file (shardwave plan --plan F) or a JSON object (API
 * bodies, the store) into struct wave_plan (wave/wave_types.h), and back to JSON. Field
 * names, defaults and rules are those of docs/api.md "Plan JSON"; the libconfig file uses
 * the same names (`gate = { sql = "..."; };`, `rest = true;`). One decoder serves both
 * formats, so the rules cannot drift apart. Semantic checks that need the fleet or the
 * migration set (selectors matching shards, the target existing) belong to the planner.
 */
#ifndef SW_COORDINATOR_CONFIG_PLAN_FILE_H
#define SW_COORDINATOR_CONFIG_PLAN_FILE_H

#include <stddef.h>

#include <jansson.h>

#include "sw/err.h"
#include "wave/wave_types.h"

#define PLAN_FILE_MAX_BYTES         (1024u * 1024u)
#define PLAN_MAX_PARALLEL           100000
#define PLAN_MAX_BAKE_SECONDS       (30 * 24 * 3600)
#define PLAN_MAX_GATE_TIMEOUT_S     3600
#define PLAN_DEFAULT_GATE_TIMEOUT_S 60
#define PLAN_TEXT_MAX               (64 * 1024) /* select/scope expressions, gate SQL/URL */

/* Loads a libconfig plan file into *out (caller's zeroed struct; release with
 * wave_plan_cleanup). Errors cite file:line and the field path:
 *   "plan.conf:9: stages[1]: unknown field 'max_paralel'"
 *   "plan.conf:4: stages[0]: exactly one of select, count, percent or rest is required"
 * SW_EINVAL for bad content; SW_ENOTFOUND/SW_EIO/SW_ETOOBIG for the file. On failure
 * *out is left empty. */
int plan_file_load(const char *path, struct wave_plan *out, struct sw_err *err);
/* Same from libconfig text; `name` stands for the file name in messages. */
int plan_file_parse(const char *text, const char *name, struct wave_plan *out, struct sw_err *err);

/* Decodes a plan JSON object (borrowed). Errors name the JSON path, e.g.
 * "plan.stages[1]: unknown field 'max_paralel'", "plan.stages[0].max_parallel: expected
 * an integer >= 1, got 0", "plan: expected an object, got an array". SW_EINVAL. */
int plan_file_from_json(const json_t *plan, struct wave_plan *out, struct sw_err *err);
/* Parses JSON text and decodes it; invalid JSON reports jansson's line and column:
 * "plan: invalid JSON at line 1, column 7: ...". */
int plan_file_from_json_text(const char *text, size_t len, struct wave_plan *out,
                             struct sw_err *err);

/* Encodes a plan as the API's plan JSON: every field explicit (defaults filled in), unset
 * optional fields omitted (target when latest, scope, name, failure budget, gate).
 * decode(encode(p)) == p. *out is a new reference the caller json_decref()s. SW_ENOMEM. */
int plan_file_to_json(const struct wave_plan *p, json_t **out, struct sw_err *err);

#endif
