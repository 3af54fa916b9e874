/* JSON of the wave policy: lint findings and contract-of steps (http_policy.h). */
#include "http/http_policy.h"

#include "service/service.h"

json_t *http_policy_lint_json(const struct lint_report *lint)
{
    json_t *o = lint_report_json(lint);
    json_t *findings = json_array();
    if (o == NULL || findings == NULL) {
        json_decref(o);
        json_decref(findings);
        return NULL;
    }
    for (size_t i = 0; i < lint->n_findings; i++) {
        json_t *f = lint_finding_json(&lint->findings[i]);
        json_object_set_new(f, "unsafe", json_boolean(svc_policy_is_unsafe(&lint->findings[i])));
        json_array_append_new(findings, f);
    }
    json_object_set_new(o, "unsafe", json_integer((json_int_t)svc_policy_n_unsafe(lint)));
    json_object_set_new(o, "findings", findings);
    return o;
}

json_t *http_policy_contracts_json(const struct planner_result *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < r->n_contracts; i++) {
        const struct planner_contract *c = &r->contracts[i];
        json_t *lagging = json_array();
        for (size_t j = 0; j < c->n_lagging; j++) {
            json_array_append_new(lagging, json_pack("{s:s, s:s, s:s}", "id", c->lagging[j].id,
                                                     "version", c->lagging[j].version, "health",
                                                     shard_health_name(c->lagging[j].health)));
        }
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "version", c->version,
                                             "contract_of", c->contract_of, "lagging", lagging));
    }
    return arr;
}
