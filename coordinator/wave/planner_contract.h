/*
 * The planner's expand/contract check (internal to coordinator/wave): which steps of a
 * planned wave are `contract-of V` steps, and which shards of the whole fleet do not
 * have V yet. Pure, like the rest of the planner.
 */
#ifndef SW_COORDINATOR_WAVE_PLANNER_CONTRACT_H
#define SW_COORDINATOR_WAVE_PLANNER_CONTRACT_H

#include "wave/planner.h"

/* Fills out->contracts from the stages already in *out (direction up only) and adds an
 * explain line per contract step. SW_EINVAL for a shard whose reported version does not
 * parse, SW_ENOMEM. */
int planner_contract_collect(const struct planner_input *in, struct planner_result *out,
                             struct sw_err *err);

/* SW_ECONFLICT naming the first contract step with lagging shards (planner.h); 0 when
 * none lags. */
int planner_contract_refuse(const struct planner_result *r, struct sw_err *err);

/* Frees the contracts of *r (and zeroes their count). */
void planner_contract_cleanup(struct planner_result *r);

#endif
