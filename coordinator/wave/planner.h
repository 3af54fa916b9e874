/*
 * The wave planner: a pure function from (fleet, what each shard last reported, a plan,
 * a migration set, shards busy in other waves) to an ordered assignment of shards to
 * the plan's stages, with the versions each shard moves through. Deterministic (same
 * inputs, same result and the same explain lines); no I/O, no clock. `shardwave plan`
 * (POST /v1/plans) prints the result; POST /v1/waves stores it.
 */
#ifndef SW_COORDINATOR_WAVE_PLANNER_H
#define SW_COORDINATOR_WAVE_PLANNER_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"
#include "sw/migset.h"
#include "sw/version.h"
#include "wave/wave_types.h"

#define PLANNER_LIST_MAX 10 /* shards named in one message before "and N more" */

/* A shard that is in another active wave (from store_busy_shards). Borrowed. */
struct planner_busy {
    const char *shard_id;
    const char *wave_id;
};

struct planner_input {
    const struct fleet *fleet;
    const struct shard_status *status; /* parallel to fleet->shards; NULL = all unknown ("0") */
    const struct wave_plan *plan;
    const struct migset *set;
    size_t n_busy;
    const struct planner_busy *busy; /* any order */
};

/* One shard of a stage. Steps are a contiguous run of the set's steps: for direction up
 * the pending versions in (from, to], oldest first; for down the applied versions in
 * (to, from], newest first. Use planner_shard_step() to walk them in execution order. */
struct planner_shard {
    size_t fleet_idx; /* index in the input fleet */
    char *id;
    enum migset_engine engine;
    char *host; /* value of the plan's host label; NULL when the shard has none */
    char from[VERSION_TEXT_MAX];
    char to[VERSION_TEXT_MAX];
    size_t first_step; /* migset_step_at index of the lowest version involved */
    size_t n_steps;    /* >= 1 */
    /* The reverse of every step exists for the shard's engine: down files for an up wave,
     * up files for a down wave. The state machine blocks a rollback without it. */
    bool has_down;
};

struct planner_stage {
    size_t n_shards;
    struct planner_shard *shards; /* sorted by id */
};

struct planner_skip {
    size_t fleet_idx;
    char *id;
    char *reason; /* "already at 7", "at 9, ahead of target 7" */
};

/* A shard of the fleet that has not (healthily) applied the version a contract step
 * needs: its last reported version is below it, or its health is not ok. */
struct planner_lagging {
    char *id;
    char version[VERSION_TEXT_MAX]; /* last reported ("0" = none) */
    enum shard_health health;
};

/* A step the wave runs whose up file (for an engine of the wave's shards) says
 * `-- shardwave: contract-of V`: the destructive half of an expand/contract pair. It may
 * run only once every shard of the fleet (in the wave's scope or not) has V applied and
 * is healthy. Direction up only (a down wave runs no contract step). */
struct planner_contract {
    char version[VERSION_TEXT_MAX];     /* the contract step */
    char contract_of[VERSION_TEXT_MAX]; /* V (the highest when engine files differ) */
    size_t n_lagging;
    struct planner_lagging *lagging; /* sorted by id; none = ready */
};

struct planner_result {
    char target[VERSION_TEXT_MAX]; /* resolved target version */
    enum plan_direction direction;
    size_t n_stages;
    struct planner_stage *stages; /* parallel to plan->stages */
    size_t n_skipped;
    struct planner_skip *skipped; /* by id: in scope, nothing to do */
    size_t n_busy;
    struct planner_busy *busy; /* refusal details: selected shards busy elsewhere (borrowed
                                  strings from the input), sorted by shard id */
    size_t n_contracts;
    struct planner_contract *contracts; /* contract steps the wave runs, by version; filled
                                           also when the plan is refused for them */
    size_t n_warnings;
    char **warnings; /* "stage rest: max_parallel 64 exceeds its 20 shards" */
    size_t n_explain;
    char **explain; /* "stage canary: label expression tier=canary selected 1 of 500 shards" */
};

/* Frees what *r owns and zeroes it; safe on a zeroed struct. */
void planner_result_cleanup(struct planner_result *r);

/* Checks the plan alone (no fleet, no set): 1..WAVE_MAX_STAGES stages, names non-empty
 * and unique, exactly one selector kind with a valid value (expression parses, count
 * >= 1, percent in (0, 100]), max_parallel >= 1, failure budget (max_failures >= 0 or
 * -1, max_failure_percent in [0, 100] or -1, not both), bake_seconds >= 0, gate text
 * present iff a gate kind is set, gate timeout >= 1, max_per_host >= 0, scope parses.
 * SW_EINVAL with a message naming the stage, e.g.
 *   "stage canary: max_parallel must be at least 1 (got 0)"
 *   "stage ten-percent: percent must be in (0, 100] (got 0)"
 *   "stage rest: duplicate stage name (also stage 1)" */
int planner_validate_plan(const struct wave_plan *plan, struct sw_err *err);

/* Plans a wave into *out (a zeroed struct; the caller always calls
 * planner_result_cleanup, also after a failure). Stages pick, in order, from the
 * in-scope shards that are not at the target and not picked by an earlier stage.
 * Refusals:
 *   SW_EINVAL    the plan is invalid (planner_validate_plan) or the target unknown:
 *                "target version 8 is not in the migration set (latest 7)"
 *   SW_ECONFLICT a version has no file for a selected shard's engine:
 *                "version 6 has no up file for engine mysql (shard t-003)"; for down:
 *                "version 6 has no down file for engine mysql (shard t-003)"
 *   SW_ECONFLICT selected shards are in other active waves: out->busy lists them
 *                (n_busy > 0: the service answers 409 shard_busy), message
 *                "2 shards are in other active waves: t-001 (w-1), t-002 (w-1)"
 *   SW_ECONFLICT down from a version the set does not contain:
 *                "shard t-004 is at version 9, which the migration set does not contain"
 *   SW_ECONFLICT a contract step runs while shards of the fleet lag (checked after busy
 *                shards; planner_contract_blocked() is true, out->contracts lists them):
 *                "version 7 is the contract of 6: 2 shards of the fleet have not applied
 *                6: t-003 (at 5), t-009 (at 6, dirty)"
 * SW_ENOMEM. Thread-safe (reads only its inputs). */
int planner_plan(const struct planner_input *in, struct planner_result *out, struct sw_err *err);

/* Whether a contract step of the result has lagging shards (the refusal above). */
bool planner_contract_blocked(const struct planner_result *r);

/* The k-th step (0 <= k < s->n_steps) of the shard in execution order. Borrowed from
 * `set` (the set given to planner_plan). */
const struct migset_step *planner_shard_step(const struct migset *set,
                                             const struct planner_result *r,
                                             const struct planner_shard *s, size_t k);

#endif
