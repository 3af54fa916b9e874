/*
 * JSON of the wave policy in API answers (docs/api.md, "Policy"): the linter's findings on
 * the files a planned wave runs and its contract-of steps with their lagging shards.
 */
#ifndef SW_COORDINATOR_HTTP_POLICY_H
#define SW_COORDINATOR_HTTP_POLICY_H

#include <jansson.h>

#include "sw/lint.h"
#include "wave/planner.h"

/* {"ok", "files", "statements", "errors", "warnings", "infos", "unsafe": N,
 *  "findings": [lint_finding_json + "unsafe": bool]} (new reference). */
json_t *http_policy_lint_json(const struct lint_report *lint);
/* [{"version", "contract_of", "lagging": [{"id", "version", "health"}]}] (new reference). */
json_t *http_policy_contracts_json(const struct planner_result *r);

#endif
