/* JSON of findings and reports (`shardwave lint --json`, the coordinator's API). */
#include <jansson.h>

#include "lint_impl.h"

static json_t *lint_json_str_or_null(const char *s)
{
    return (s != NULL && s[0] != '\0') ? json_string(s) : json_null();
}

json_t *lint_finding_json(const struct lint_finding *f)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    int rc = 0;
    rc |= json_object_set_new(o, "rule", json_string(f->rule_id));
    rc |= json_object_set_new(o, "class", json_string(lint_class_name(f->cls)));
    rc |= json_object_set_new(o, "severity", json_string(lint_severity_name(f->severity)));
    rc |= json_object_set_new(o, "engine", json_string(migset_engine_name(f->engine)));
    rc |= json_object_set_new(o, "file", json_string(f->file));
    rc |= json_object_set_new(o, "version", lint_json_str_or_null(f->version_text));
    rc |= json_object_set_new(o, "line", json_integer(f->line));
    rc |= json_object_set_new(o, "statement", json_string(f->statement));
    rc |= json_object_set_new(o, "message", json_string(f->message));
    rc |= json_object_set_new(o, "why", json_string(f->why));
    rc |= json_object_set_new(o, "safe", json_string(f->safe));
    rc |= json_object_set_new(o, "acknowledged", json_boolean(f->acknowledged));
    rc |= json_object_set_new(o, "ack_directive", lint_json_str_or_null(f->ack_directive));
    rc |= json_object_set_new(o, "ack_reason", lint_json_str_or_null(f->ack_reason));
    rc |= json_object_set_new(o, "down", json_boolean(f->in_down_file));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *lint_json_count(size_t n)
{
    return json_integer((json_int_t)n);
}

json_t *lint_report_json(const struct lint_report *r)
{
    json_t *o = json_object();
    json_t *arr = json_array();
    int rc = (o == NULL || arr == NULL) ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < r->n_findings; i++) {
        rc = json_array_append_new(arr, lint_finding_json(&r->findings[i]));
    }
    if (rc == 0) {
        rc |= json_object_set_new(o, "ok", json_boolean(lint_report_is_clean(r)));
        rc |= json_object_set_new(o, "files", lint_json_count(r->n_files));
        rc |= json_object_set_new(o, "statements", lint_json_count(r->n_statements));
        rc |= json_object_set_new(o, "errors", lint_json_count(r->n_errors));
        rc |= json_object_set_new(o, "warnings", lint_json_count(r->n_warnings));
        rc |= json_object_set_new(o, "infos", lint_json_count(r->n_infos));
        rc |= json_object_set_new(o, "findings", arr);
        arr = NULL;
    }
    json_decref(arr);
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}
