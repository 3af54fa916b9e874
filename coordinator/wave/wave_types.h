/*
 * The coordinator's domain data, shared by the pure wave logic (planner,
 * selector, state machine), the store, the config/file parsers and the HTTP
 * layer. Plain data: transparent structs, no I/O. Strings are heap-owned by
 * the struct that holds them unless a comment says otherwise; each aggregate
 * has a _cleanup that frees what it owns (safe on a zeroed struct).
 */
#ifndef SW_COORDINATOR_WAVE_TYPES_H
#define SW_COORDINATOR_WAVE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/checksum.h"
#include "sw/migset.h"
#include "sw/version.h"

/* Limits shared by parsers, the API and the store. */
#define FLEET_ID_MAX        128 /* shard ids, agent ids, pool names: [A-Za-z0-9._:-]{1,128} */
#define FLEET_LABEL_MAX     64  /* label keys [a-z0-9_.-]{1,64}; values 1..128 chars */
#define FLEET_LABEL_VAL_MAX 128
#define FLEET_MAX_LABELS    32
#define FLEET_MAX_SHARDS    200000
#define WAVE_MAX_STAGES     32
#define WAVE_ID_MAX         40 /* "w-" + 12 hex digits etc. */
#define WAVE_NAME_MAX       64

/* ---- fleet ------------------------------------------------------------------------- */

struct fleet_label {
    char *key;
    char *value;
};

struct fleet_shard {
    char *id; /* unique in the fleet */
    enum migset_engine engine;
    char *pool; /* agent pool that can reach it */
    size_t n_labels;
    struct fleet_label *labels; /* sorted by key, keys unique */
};

struct fleet {
    size_t n_shards;
    struct fleet_shard *shards; /* sorted by id, ids unique */
};

void fleet_shard_cleanup(struct fleet_shard *s);
void fleet_cleanup(struct fleet *f);
/* Borrowed label value or NULL. */
const char *fleet_shard_label(const struct fleet_shard *s, const char *key);
/* Index of the shard with that id, or -1 (binary search). */
long fleet_find(const struct fleet *f, const char *id);

#define SHARD_VERSION_LIST_MAX 512

/* What the coordinator last learned about a shard (from agent reports). */
enum shard_health {
    SHARD_UNKNOWN, /* never reported */
    SHARD_OK,
    SHARD_DIRTY,
    SHARD_UNREACHABLE,
    SHARD_CHECKSUM_MISMATCH,
    SHARD_HEALTH_COUNT
};
const char *shard_health_name(enum shard_health h); /* "unknown", "ok", "dirty", ... */
int shard_health_parse(const char *s, enum shard_health *out);

struct shard_status {
    char version[VERSION_TEXT_MAX]; /* last reported version, "0" when none/unknown */
    enum shard_health health;
    int64_t last_seen_ms; /* 0 = never */
    /* Schema fingerprint (SHA-256 hex of the normalised catalog) from the last inventory
     * scan at `version`; "" = unknown (never scanned, or the version changed since). */
    char fingerprint[CHECKSUM_HEX_LEN + 1];
    /* Also from the last inventory scan (kept and cleared like fingerprint): applied
     * versions the scan's reference migration set does not have, and applied versions
     * whose recorded checksum differs from the set's file for the shard's engine;
     * canonical versions separated by ',' ("" = none, or not known). A list that does
     * not fit ends with ",..." */
    char unknown_versions[SHARD_VERSION_LIST_MAX];
    char edited_versions[SHARD_VERSION_LIST_MAX];
};

/* ---- wave plans -------------------------------------------------------------------- */

enum plan_selector_kind {
    PLAN_SELECT_LABELS,  /* a label expression, see selector.h */
    PLAN_SELECT_COUNT,   /* the first N of the remaining shards (by id) */
    PLAN_SELECT_PERCENT, /* P % of the remaining shards, rounded up, at least 1 */
    PLAN_SELECT_REST,    /* every remaining shard */
};

enum plan_gate_kind { PLAN_GATE_NONE, PLAN_GATE_SQL, PLAN_GATE_HTTP };

struct plan_stage {
    char *name; /* unique in the plan, e.g. "canary" */
    enum plan_selector_kind select_kind;
    char *select_expr;          /* PLAN_SELECT_LABELS: the expression */
    int64_t select_count;       /* PLAN_SELECT_COUNT */
    double select_percent;      /* PLAN_SELECT_PERCENT: (0, 100] */
    int max_parallel;           /* >= 1 */
    int max_failures;           /* -1 = not set */
    double max_failure_percent; /* -1 = not set; when neither is set: 0 failures allowed */
    int64_t bake_seconds;       /* >= 0 */
    enum plan_gate_kind gate_kind;
    char *gate;                   /* SQL text (must return true on every shard) or URL */
    int64_t gate_timeout_seconds; /* default 60 */
};

enum plan_direction { PLAN_UP, PLAN_DOWN };
enum plan_on_failure { PLAN_ON_FAILURE_HALT, PLAN_ON_FAILURE_ROLLBACK };
/* How a shard's steps commit: each step with its history row in its own transaction
 * (the default), or every pending step of the shard in one transaction, so a shard that
 * fails stays wholly at its old version (PostgreSQL and SQLite shards only; no
 * no-transaction steps). */
enum plan_transaction { PLAN_TXN_STEP, PLAN_TXN_SHARD };

struct wave_plan {
    char *name;   /* optional, for humans */
    char *target; /* target version text; NULL = latest of the set */
    enum plan_direction direction;
    enum plan_on_failure on_failure;
    enum plan_transaction transaction;
    int max_per_host; /* 0 = no per-host cap */
    char *host_label; /* label naming the database host, default "host" */
    char *scope;      /* optional label expression limiting the wave's shards */
    size_t n_stages;
    struct plan_stage *stages;
};

void plan_stage_cleanup(struct plan_stage *s);
void wave_plan_cleanup(struct wave_plan *p);
const char *plan_direction_name(enum plan_direction d);     /* "up", "down" */
const char *plan_on_failure_name(enum plan_on_failure f);   /* "halt", "rollback" */
const char *plan_transaction_name(enum plan_transaction t); /* "step", "shard" */

/* ---- waves ------------------------------------------------------------------------- */

enum wave_state {
    WAVE_PENDING,
    WAVE_RUNNING,
    WAVE_PAUSED,
    WAVE_HALTED,
    WAVE_COMPLETED,
    WAVE_ABORTED,
    WAVE_ROLLING_BACK,
    WAVE_ROLLED_BACK,
    WAVE_STATE_COUNT
};
const char *wave_state_name(enum wave_state s); /* "pending", "running", ..., "rolled_back" */
int wave_state_parse(const char *s, enum wave_state *out);
bool wave_state_is_final(enum wave_state s); /* completed, aborted, rolled_back */
/* Active waves own their shards: pending, running, paused, halted, rolling_back. */
bool wave_state_is_active(enum wave_state s);

/* A shard's progress inside one wave. */
enum wave_shard_state {
    WSHARD_PENDING,    /* not dispatched yet */
    WSHARD_LEASED,     /* leased to an agent, not started (needs the go-ahead) */
    WSHARD_RUNNING,    /* the agent started its steps */
    WSHARD_DONE,       /* reached the target */
    WSHARD_FAILED,     /* a step failed (see error); counts against the stage budget */
    WSHARD_SKIPPED,    /* already at the target when planned, or removed from the fleet */
    WSHARD_RB_PENDING, /* rollback: waiting to run its down migrations */
    WSHARD_RB_LEASED,
    WSHARD_RB_RUNNING,
    WSHARD_ROLLED_BACK,
    WSHARD_RB_FAILED,
    WSHARD_STATE_COUNT
};
const char *wave_shard_state_name(enum wave_shard_state s); /* "pending", ..., "rb_failed" */
int wave_shard_state_parse(const char *s, enum wave_shard_state *out);

/* Why a failed shard failed (from the agent's lease report): decides what `wave resume`
 * re-queues. Transient failures left the database unchanged and are retried by every
 * resume; error only by `resume --retry-failed`; dirty never (repair the shard). */
enum wave_failure {
    WFAIL_NONE,         /* not failed (or the failure is history) */
    WFAIL_UNREACHABLE,  /* the shard's database could not be reached: nothing ran */
    WFAIL_LOCK_TIMEOUT, /* a step's lock timeout fired on every attempt: rolled back */
    WFAIL_ERROR,        /* a step failed cleanly: SQL error, statement timeout, ... */
    WFAIL_DIRTY,        /* a step stopped part-way (MySQL DDL): needs `shardwave repair` */
    WFAIL_COUNT
};
/* "" (none), "unreachable", "lock_timeout", "error", "dirty". */
const char *wave_failure_name(enum wave_failure f);
int wave_failure_parse(const char *s, enum wave_failure *out);
bool wave_failure_is_transient(enum wave_failure f); /* unreachable, lock_timeout */

/* Where the current stage is. */
enum wave_stage_phase {
    STAGE_DISPATCHING, /* shards of the stage are being leased/run */
    STAGE_BAKING,      /* all finished within budget; waiting until bake_until_ms */
    STAGE_GATING,      /* bake elapsed; gate check requested, waiting for its result */
    STAGE_PASSED,      /* gate passed (or none); the next tick moves to the next stage */
    STAGE_PHASE_COUNT
};
const char *wave_stage_phase_name(enum wave_stage_phase p);

#endif
