/*
 * The migration linter: finds statements that lock a busy table, rewrite it, or
 * destroy what a running application version still uses (docs/safe-migrations.md).
 * PostgreSQL statements are read from libpg_query's parse tree; MySQL/MariaDB and
 * SQLite statements from a small tokenizer-level recogniser (what it cannot see is
 * listed in the docs). Pure: no file, database or network I/O; thread-safe.
 *
 * Every finding has a rule id, a class and a severity:
 *   class      additive (adds something, but in a way that fails or breaks the running
 *              application), locking (a safe form exists), destructive (needs an
 *              expand/contract sequence over several deploys);
 *   severity   error or warning when it counts against the change (unacknowledged, in an
 *              up file); info when acknowledged or in a down (U) file, where destructive
 *              statements are expected.
 * A file acknowledges findings in its leading comments (sw/directive.h):
 *   -- shardwave: destructive-ok <reason>    every finding of class destructive
 *   -- shardwave: allow <rule-id> <reason>   every finding of that rule
 * `shardwave lint` exits 1 when any finding has severity error or warning; the
 * coordinator refuses a wave whose files have an unacknowledged up-file finding of
 * class locking or destructive (coordinator/service/svc_policy.c).
 */
#ifndef SW_PROTO_LINT_H
#define SW_PROTO_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sw/directive.h"
#include "sw/err.h"
#include "sw/migset.h"
#include "sw/version.h"

/* A statement excerpt in a finding: whitespace folded, at most this many bytes, then "...". */
#define LINT_EXCERPT_MAX 200
/* Findings per report; more is SW_ETOOBIG. */
#define LINT_MAX_FINDINGS 100000u

enum lint_class {
    LINT_CLASS_ADDITIVE,
    LINT_CLASS_LOCKING,
    LINT_CLASS_DESTRUCTIVE,
    LINT_CLASS_COUNT
};

enum lint_severity {
    LINT_SEVERITY_INFO,
    LINT_SEVERITY_WARNING,
    LINT_SEVERITY_ERROR,
    LINT_SEVERITY_COUNT
};

/* "additive", "locking", "destructive". */
const char *lint_class_name(enum lint_class c);
/* "info", "warning", "error". */
const char *lint_severity_name(enum lint_severity s);

/* One rule of the catalogue (static, valid for the life of the process). */
struct lint_rule {
    const char *id; /* e.g. "drop-column"; what `allow <rule-id>` names */
    enum lint_class cls;
    enum lint_severity severity; /* when it counts: error or warning */
    const char *title;           /* one line, e.g. "drops a column" */
    /* Why it hurts and the safe way, per engine; NULL where the rule does not apply. */
    const char *why[MIGSET_ENGINE_COUNT];
    const char *safe[MIGSET_ENGINE_COUNT];
};

/* The catalogue, in documentation order. */
size_t lint_rule_count(void);
const struct lint_rule *lint_rule_at(size_t idx);
/* NULL when no rule has that id. */
const struct lint_rule *lint_rule_find(const char *id);

struct lint_finding {
    const char *rule_id; /* static (the catalogue's) */
    enum lint_class cls;
    enum lint_severity severity;
    enum migset_engine engine;
    char *file;                          /* heap: the file name, e.g. "V3__drop_email.sql" */
    int line;                            /* 1-based line of the statement's first token */
    struct version version;              /* the step; version 0 for lint_sql */
    char version_text[VERSION_TEXT_MAX]; /* "3", or "" for lint_sql */
    char *statement;                     /* heap: the statement excerpt (LINT_EXCERPT_MAX) */
    char *message;    /* heap: what this statement does, e.g. "drops column users.email" */
    const char *why;  /* static: why it hurts on this engine */
    const char *safe; /* static: the safe way on this engine */
    bool acknowledged;
    /* "destructive-ok" or "allow"; "" when not acknowledged. */
    char ack_directive[16];
    char ack_reason[DIRECTIVE_REASON_MAX];
    bool in_down_file;
};

struct lint_report {
    struct lint_finding *findings; /* in file order, then statement order */
    size_t n_findings;
    size_t cap;
    size_t n_files;      /* files linted (a portable file once per engine) */
    size_t n_statements; /* statements read */
    size_t n_errors;     /* findings with severity error */
    size_t n_warnings;   /* findings with severity warning */
    size_t n_infos;      /* acknowledged or in a down file */
};

/* Caller-embedded; cleanup on a zeroed report is a no-op. One report may collect
 * several lint_* calls. */
void lint_report_init(struct lint_report *r);
void lint_report_cleanup(struct lint_report *r);
/* True when the report has no error or warning (what `shardwave lint` exits 0 on). */
bool lint_report_is_clean(const struct lint_report *r);

/* Lints one file's SQL for one engine and appends its findings to *out.
 * file_name names the file in findings and errors and says whether it is a down file
 * (a name starting with 'U'); directives are parsed from sql (sw/directive.h).
 * sql need not be NUL-terminated. Errors (SW_EINVAL) cite "<file_name>:<line>: ...":
 * a bad directive, an `allow` naming an unknown rule ("V2__x.sql:1: allow: unknown lint
 * rule 'drop-tabel'", hint lists the rules), SQL the splitter cannot read (an
 * unterminated string). A PostgreSQL statement the parser rejects is not an error but
 * a finding (rule "unparsed-statement"). SW_ETOOBIG past LINT_MAX_FINDINGS. */
int lint_sql(enum migset_engine engine, const char *file_name, const char *sql, size_t len,
             struct lint_report *out, struct sw_err *err);

/* Same for a loaded file of a set (its parsed directives, its direction); findings
 * carry `version`. */
int lint_file(enum migset_engine engine, const struct migset_file *file,
              const struct version *version, struct lint_report *out, struct sw_err *err);

/* Bit of an engine in an engine mask; LINT_ALL_ENGINES selects all three. */
#define LINT_ENGINE_BIT(e) (1u << (unsigned)(e))
#define LINT_ALL_ENGINES   ((1u << (unsigned)MIGSET_ENGINE_COUNT) - 1u)

/* Lints the up and down files of one step for every engine in engine_mask that has a
 * file (migset_step_file: a portable file is linted once per engine). */
int lint_step(const struct migset_step *step, unsigned engine_mask, struct lint_report *out,
              struct sw_err *err);
/* Lints every step of a set (lint_step in version order). */
int lint_set(const struct migset *set, unsigned engine_mask, struct lint_report *out,
             struct sw_err *err);

/* One line "V3__x.sql:4 drop-column destructive error (pg)" into buf (always
 * NUL-terminated, truncated to cap). Returns buf. */
const char *lint_finding_headline(const struct lint_finding *f, char *buf, size_t cap);

/* JSON of one finding (new reference, NULL when out of memory):
 *   {"rule", "class", "severity", "engine", "file", "version" (string or null), "line",
 *    "statement", "message", "why", "safe", "acknowledged", "ack_directive" (null or
 *    "destructive-ok"|"allow"), "ack_reason" (null or text), "down"} */
json_t *lint_finding_json(const struct lint_finding *f);
/* JSON of a report (new reference, NULL when out of memory):
 *   {"ok", "files", "statements", "errors", "warnings", "infos", "findings": [...]}
 * "ok" is lint_report_is_clean(). */
json_t *lint_report_json(const struct lint_report *r);

#endif
