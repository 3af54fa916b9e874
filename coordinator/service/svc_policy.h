/*
 * Policy in waves (internal to coordinator/service): the linter's findings on the files
 * a planned wave runs, the refusal of unacknowledged destructive or locking changes
 * (409 unsafe_migration), and the audit text when an operator overrides it.
 */
#ifndef SW_COORDINATOR_SVC_POLICY_H
#define SW_COORDINATOR_SVC_POLICY_H

#include <stddef.h>

#include "service/svc_error.h"
#include "sw/lint.h"
#include "sw/migset.h"
#include "wave/planner.h"

/* Findings named in a refusal message or an audit event before "and N more". */
#define SVC_POLICY_LIST_MAX 10

/* Lints the files the planned wave runs: for each step of a planned shard, the file of
 * the wave's direction for the shard's engine (each step and engine once; up waves the
 * V files, down waves the U files, whose destructive statements are expected and
 * reported as info). Appends to *out (lint_report_init'ed by the caller). Errors from
 * the linter (a bad directive, unreadable SQL) are SW_EINVAL naming the file. */
int svc_policy_lint(const struct migset *set, const struct planner_result *r,
                    struct lint_report *out, struct sw_err *err);

/* The refusal: SVC_UNSAFE_MIGRATION "2 unacknowledged destructive or locking findings in
 * the steps this wave runs: V3__drop_status.sql:1 drop-column destructive error (pg),
 * ..." with details "findings" (lint_finding_json of each blocking finding) and a hint
 * (acknowledge in the file, or allow_unsafe with a reason). Returns the error code. */
int svc_policy_refuse(const struct lint_report *r, struct svc_error *e);

/* The audit text of an override: "allow_unsafe: 2 unacknowledged findings: <headlines>;
 * reason: <reason>" in a new heap string (*out, free()). SW_ENOMEM, SW_ETOOBIG. */
int svc_policy_audit_text(const struct lint_report *r, const char *reason, char **out,
                          struct sw_err *err);

#endif
