/*
 * The runner migrates one database: takes the per-shard migrator lock, makes
 * sure the history table exists, reads it, plans the pending steps to the
 * target, applies each (transactionally with its history row where the engine
 * allows, otherwise recording `running` before and `applied` after), and
 * records everything in shardwave_schema_history. Engine-agnostic: it branches
 * on engine capabilities, never on engine names.
 */
#ifndef SW_AGENT_RUNNER_H
#define SW_AGENT_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "sw/err.h"
#include "sw/migset.h"
#include "sw/version.h"

#define RUNNER_MAX_LOCK_ATTEMPTS 8

/* Bounded, escalating lock-timeout schedule: attempt i runs the step with
 * lock_timeout_ms[i]; after a lock timeout it pauses pause_ms[i] (plus up to 20 %
 * jitter) and tries again, until n_attempts are used. Short timeouts first, so a
 * busy table never queues tenant traffic behind the ALTER for long. */
struct runner_lock_policy {
    size_t n_attempts;
    int lock_timeout_ms[RUNNER_MAX_LOCK_ATTEMPTS];
    int pause_ms[RUNNER_MAX_LOCK_ATTEMPTS];
};

/* 4 attempts: lock timeouts 200, 500, 1000, 2000 ms; pauses 500, 1000, 2000 ms. */
void runner_lock_policy_default(struct runner_lock_policy *p);
/* Parses "200,500,1000,2000" (lock timeouts) and "500,1000,2000" (pauses). */
int runner_lock_policy_parse(const char *timeouts, const char *pauses,
                             struct runner_lock_policy *out, struct sw_err *err);

enum runner_event_kind {
    RUNNER_EV_LOCK_ACQUIRED, /* migrator lock taken */
    RUNNER_EV_STEP_START,
    RUNNER_EV_STEP_DONE,
    RUNNER_EV_STEP_FAILED,
    RUNNER_EV_LOCK_RETRY,   /* a step hit a lock timeout and will be retried */
    RUNNER_EV_STEP_PLANNED, /* dry run: this step would run */
};

struct runner_event {
    enum runner_event_kind kind;
    const char *version_text;
    const char *description;
    const char *script; /* file name */
    enum migset_dir dir;
    int64_t duration_ms;
    int attempt;              /* 1-based */
    int next_lock_timeout_ms; /* LOCK_RETRY: the next attempt's lock timeout */
    int pause_ms;             /* LOCK_RETRY: pause before it */
    int64_t started_ms;       /* STEP_START/DONE/FAILED: wall clock when the step started */
    size_t stmt_done, stmt_total;
    const struct sw_err *error; /* STEP_FAILED, LOCK_RETRY */
};
typedef void (*runner_event_fn)(void *ctx, const struct runner_event *ev);

struct runner_opts {
    const struct migset *set; /* required */
    const char *wave;         /* recorded in history; NULL for local commands */
    const char *agent;        /* recorded in history, e.g. "cli@host" */
    int lock_wait_ms;         /* waiting for the migrator lock (default 10000) */
    int statement_timeout_ms; /* default per step; 0 = none; a directive overrides */
    struct runner_lock_policy lock_policy;
    bool dry_run; /* plan and report, change nothing (takes no lock) */
    /* All pending steps of the run and their history rows in one transaction: a failure
     * leaves the database wholly at its old version, and STEP_DONE events come only
     * after the commit. Needs ENGINE_CAP_TXN_DDL and no no-transaction step; the run is
     * refused (SW_ECONFLICT) before anything changes otherwise. A lock timeout retries
     * the whole transaction. */
    bool one_transaction;
    runner_event_fn on_event; /* may be NULL */
    void *ctx;
    volatile int *stop; /* checked between steps; may be NULL */
};

/* Fills defaults: lock_wait_ms 10000, statement_timeout_ms 0, default lock policy. */
void runner_opts_init(struct runner_opts *o, const struct migset *set);

enum runner_state {
    RUNNER_STATE_PENDING,
    RUNNER_STATE_APPLIED,
    RUNNER_STATE_FAILED,            /* last attempt failed cleanly (nothing changed) */
    RUNNER_STATE_DIRTY,             /* failed or interrupted part-way: needs repair */
    RUNNER_STATE_CHECKSUM_MISMATCH, /* applied, but the file changed since */
    RUNNER_STATE_BASELINE,          /* covered by a baseline (treated as applied) */
    RUNNER_STATE_MISSING,           /* applied on the database, no file in the set */
    RUNNER_STATE_COUNT
};
/* "pending", "applied", "failed", "dirty", "checksum_mismatch", "baseline", "missing". */
const char *runner_state_name(enum runner_state s);

struct runner_item {
    struct version version;
    char version_text[VERSION_TEXT_MAX];
    char description[256];
    char script[256]; /* file for this engine ("" if none) */
    enum runner_state state;
    char applied_checksum[CHECKSUM_HEX_LEN + 1]; /* from history ("" if never applied) */
    char file_checksum[CHECKSUM_HEX_LEN + 1];    /* of the file now ("" if missing) */
    char applied_at[32];                         /* finished_at of the applying row */
    char error[1024];                            /* last failure text */
    int stmt_done, stmt_total;                   /* progress of the last attempt */
    int resume_from;          /* 1-based statement to resume from (repair), or 0 */
    enum migset_dir last_dir; /* direction of the last attempt (for repair) */
    bool has_down;            /* a down file exists for this engine */
    bool has_file;            /* an up file exists for this engine */
};

struct runner_status {
    struct version current; /* highest applied (or baselined) version; 0 = none */
    char current_text[VERSION_TEXT_MAX];
    struct version baseline; /* 0 = none */
    bool has_history_table;
    bool is_dirty;
    size_t n_items;
    struct runner_item *items; /* ascending version; set steps plus missing ones */
};
void runner_status_cleanup(struct runner_status *st);

struct runner_result {
    char from_text[VERSION_TEXT_MAX];
    char to_text[VERSION_TEXT_MAX];
    size_t n_steps; /* steps applied (or, dry run, that would be) */
    int64_t duration_ms;
};

/* Reads the database's state against the set (no lock, changes nothing; a missing
 * history table reads as empty). */
int runner_status(struct engine *eng, const struct migset *set, struct runner_status *out,
                  struct sw_err *err);

/* Applies pending steps up to target (NULL = latest). Refuses, before changing
 * anything: a dirty shard (SW_ECONFLICT, hint names `shardwave repair`), a checksum
 * mismatch (SW_ECHECKSUM "V3__x.sql was modified after it was applied ... never
 * modify a committed migration"), pending steps below the current version
 * (out-of-order, SW_ECONFLICT), a target that is not in the set (SW_ENOTFOUND), a
 * target below the current version (SW_ECONFLICT, use undo). Running it twice is a
 * no-op the second time. */
int runner_migrate(struct engine *eng, const struct runner_opts *opts, const struct version *target,
                   struct runner_result *res, struct sw_err *err);

/* Runs down migrations, newest first, until `to` is the current version (version 0
 * = empty). A step without a down file stops it before anything runs (SW_ECONFLICT
 * naming the version). */
int runner_undo(struct engine *eng, const struct runner_opts *opts, const struct version *to,
                struct runner_result *res, struct sw_err *err);

enum runner_repair_action {
    RUNNER_REPAIR_AUTO, /* clean failed markers; refuse on a dirty step (says the choices) */
    RUNNER_REPAIR_MARK_APPLIED,  /* the operator finished the dirty step by hand */
    RUNNER_REPAIR_RETRY_FROM,    /* the next migrate resumes the dirty step at statement k */
    RUNNER_REPAIR_MARK_REVERTED, /* the operator undid the partial step; it runs again in full */
};

struct runner_repair_result {
    char message[1024]; /* what was done, for the operator */
    size_t n_changed;   /* history rows written */
};

/* Clears failure markers after the operator fixed the shard. Takes the lock.
 * retry_from is the 1-based statement for RETRY_FROM. */
int runner_repair(struct engine *eng, const struct runner_opts *opts,
                  enum runner_repair_action action, int retry_from,
                  struct runner_repair_result *res, struct sw_err *err);

/* Adopts an existing database: records a baseline at v so that steps <= v count as
 * applied. Refused when the history already has applied steps. */
int runner_baseline(struct engine *eng, const struct runner_opts *opts, const struct version *v,
                    struct sw_err *err);

#endif
