/* Private to coordinator/service: the service context and its store handle pool. */
#ifndef SW_COORDINATOR_SVC_INTERNAL_H
#define SW_COORDINATOR_SVC_INTERNAL_H

#include <pthread.h>

#include "service/service.h"
#include "service/svc_notify.h"
#include "service/svc_stats.h"
#include "wave/wave_fsm.h"

#define SVC_POOL_MAX 16

/* An agent known to this process (registered, or found in the store). */
struct svc_agent {
    char id[FLEET_ID_MAX + 1];
    char pools[STORE_AGENT_POOLS_MAX]; /* pool names separated by ',' */
};

/* One shard of a SQL gate check (in memory: a restarted coordinator asks again). */
enum svc_gate_state { SVC_GATE_OPEN, SVC_GATE_LEASED, SVC_GATE_PASSED, SVC_GATE_FAILED };

struct svc_gate_item {
    char shard_id[FLEET_ID_MAX + 1];
    char pool[FLEET_ID_MAX + 1];
    enum migset_engine engine;
    enum svc_gate_state state;
    char lease_id[STORE_LEASE_ID_MAX + 1];
    char agent[FLEET_ID_MAX + 1];
    int64_t expires_ms;
};

/* A SQL gate of a wave's stage, run as `gate` leases on the stage's shards. */
struct svc_gate {
    char wave_id[WAVE_ID_MAX + 1];
    int stage_idx;
    char *sql;
    int64_t timeout_ms;
    size_t n_items;
    struct svc_gate_item *items;
};

/* ---- wave views (svc_view.c); callers hold wave_mu --------------------------------- */

#define SVC_VIEWS_MAX 8 /* waves whose views are kept between calls */

/* A shard's pool and engine from the fleet (for claims). */
struct svc_view_fleet {
    char pool[FLEET_ID_MAX + 1];
    enum migset_engine engine;
    bool in_fleet;
};

/* A wave as the state machine sees it, with the stored detail it borrows from. */
struct svc_view {
    struct store_wave_detail detail;
    struct wave_plan plan;
    struct wave_view view;
    struct wave_view_stage *stages;
    struct wave_view_shard *shards; /* parallel to detail.shards */
    struct svc_view_fleet *fleet;   /* parallel to detail.shards */
    /* The state machine's summary (wave_view.in_flight_by_stage, pending_lo), kept here as
     * shard rows are applied: per stage, its shards leased or running. */
    size_t *in_flight;
    size_t n_slots;
    size_t *slots; /* shard id hash -> index + 1 (0 = empty) */
    int64_t max_finished_seq;
    /* No claimable shard (leased by the state machine, no agent yet) has an index below
     * this: claims scan from here instead of from the first shard (svc_lease.c). */
    size_t claim_lo;
    /* ... and none at or above this (set to n_shards when the view is built): an agent's
     * request that finds nothing to claim scans [claim_lo, claim_hi), not the wave. */
    size_t claim_hi;
    /* The wave's migration set, loaded by the first claim (svc_lease.c); NULL until then.
     * Immutable (the wave's digest), so it lives as long as the view. */
    struct migset *set;
    /* A wave event said that a protocol 1.0 agent was left out of this transaction="shard"
     * wave (svc_lease.c): once per view, not on every lease request. */
    bool is_old_agent_told;
    uint64_t fleet_gen; /* s->fleet_gen when read */
    bool is_stale;      /* an update could not be applied: read again */
};

/* The wave's view at now_ms: the cached one while the stored revision and the fleet are
 * unchanged, else read from the store (and cached). Borrowed: valid until the next
 * svc_view_* call on s (wave_mu held throughout). SW_ENOTFOUND for an unknown wave. */
int svc_view_get(struct svc *s, struct store *st, const char *id, int64_t now_ms,
                 struct svc_view **out, struct sw_err *err);
/* A decision was persisted from v (store_apply_decision, which bumped the revision by
 * one): applies the new wave row (row may be NULL: unchanged) and shard rows to v. */
void svc_view_applied(struct svc_view *v, const struct store_wave *row,
                      const struct store_wave_shard *rows, size_t n_rows);
/* Index of the shard in v->detail.shards, or -1. */
long svc_view_find(const struct svc_view *v, const char *shard_id);
/* Forgets the wave's view; every view (svc_free). */
void svc_view_drop(struct svc *s, const char *id);
void svc_views_free(struct svc *s);
/* The fleet changed (reload, registration): views read their pools and engines again.
 * Takes wave_mu itself. */
void svc_views_fleet_changed(struct svc *s);

/* Lock order: wave_mu, then agent_mu, then mu. mu guards fleet_file and the pool;
 * agent_mu the agents, the cancel list, work_gen and is_stopping (with agent_cv); wave_mu
 * one view-step-persist-act at a time, lease claims and the gates. */
struct svc {
    char *store_path;
    int64_t lease_ttl_ms;
    int64_t long_poll_ms;
    const _Atomic int64_t *fence;       /* NULL = no fencing */
    int store_idle_txn_ms;              /* 0 = the store's default */
    void (*on_wave_created)(void *ctx); /* svc_config's hook; NULL = none */
    void *on_wave_created_ctx;
    pthread_mutex_t mu;
    char *fleet_file;
    struct store *pool[SVC_POOL_MAX];
    size_t n_pool;
    pthread_mutex_t wave_mu;
    size_t n_gates;
    struct svc_gate *gates;
    size_t n_inv; /* inventory scans not yet reported (svc_inventory.c) */
    struct svc_gate_item *inv;
    struct migset *inv_set; /* the scans' reference set (NULL = none) */
    pthread_mutex_t agent_mu;
    pthread_cond_t agent_cv; /* signalled when work_gen changes or on stop */
    uint64_t work_gen;
    bool is_stopping;
    size_t n_agents;
    struct svc_agent *agents;
    size_t n_cancel;
    char (*cancel)[WAVE_ID_MAX + 1];
    struct svc_stats stats; /* latencies of lease claims, go-aheads, reports (own lock) */
    struct svc_view *views[SVC_VIEWS_MAX]; /* under wave_mu */
    size_t n_views;
    uint64_t fleet_gen;            /* under wave_mu */
    struct svc_notify_sink notify; /* webhook sink and expired-lease count (svc_notify.c) */
};

/* Borrows a store handle for this thread (opens a secondary when the pool is empty). */
int svc_store_get(struct svc *s, struct store **out, struct sw_err *err);
/* Returns a handle to the pool (NULL is a no-op). */
void svc_store_put(struct svc *s, struct store *st);

/* Loads the stored set, the fleet and the busy shards, and runs the planner. *set and
 * *out are the caller's (migset_free, planner_result_cleanup); the fleet is freed before
 * it returns (the result owns its strings; 10,000 shards: ~15 MB). Maps the planner's
 * refusals to API codes. */
int svc_plan_with(struct svc *s, struct store *st, const char *digest, const struct wave_plan *plan,
                  struct migset **set, struct planner_result *out, struct svc_error *e);

/* ---- one step of a wave (svc_step.c) ------------------------------------------------ */

/* What an agent's event adds to a step. All borrowed; every member optional. */
struct svc_step_opts {
    const char *shard_id;  /* shard events: sets ev->shard_idx (SVC_NOT_FOUND if absent) */
    const char *lease_id;  /* the shard must hold this lease, else the event is stale */
    const char *report_id; /* recorded with the decision: a retried report counts once */
    const char *actor;     /* of the extra events */
    size_t n_extra;
    const char *const *extra; /* messages of extra `shard` events (step reports) */
    bool is_record_only;      /* no state machine step: only report id and extra events */
    bool maps_rollback;       /* shard succeeded/failed on a shard being rolled back: rb events */
};

struct svc_step_result {
    bool refused;  /* the go-ahead was refused (reason) */
    bool is_stale; /* lease_id did not match: nothing but report id and events written */
    enum wave_state state;
    char reason[WAVE_FSM_TEXT_MAX];
};

/* View, step, persist, log, act for one event. Caller holds s->wave_mu; st is the
 * caller's handle. o, r and tick may be NULL. */
int svc_step_locked(struct svc *s, struct store *st, const char *id, struct wave_event *ev,
                    const struct svc_step_opts *o, struct svc_step_result *r,
                    struct svc_tick_result *tick, struct svc_error *e);

/* ---- agents and gates (svc_agent.c, svc_lease.c) ------------------------------------ */

/* Copies the agent's pools (',' separated) into pools; SVC_UNKNOWN_AGENT when neither
 * this process nor the store knows it. */
int svc_agent_pools(struct svc *s, struct store *st, const char *agent, char *pools, size_t cap,
                    struct svc_error *e);
/* Whether `pool` is one of the ','-separated `pools`. */
bool svc_pool_in(const char *pools, const char *pool);
/* Wakes waiting lease requests: new work may exist. */
void svc_wake_agents(struct svc *s);
/* A new lease id "l-" + 24 hex digits. */
void svc_new_lease_id(char out[STORE_LEASE_ID_MAX + 1]);
/* Starts the SQL gate of the wave's stage as gate leases (replacing any older one of the
 * wave); caller holds wave_mu. With no shard to check the gate passes at once (the
 * caller feeds *passes_now as the result). */
int svc_gate_open(struct svc *s, struct store *st, const struct store_wave_detail *d,
                  const struct plan_stage *ps, int stage_idx, bool *passes_now, struct sw_err *err);
/* The gate of the wave, or NULL. Caller holds wave_mu. */
struct svc_gate *svc_gate_find(struct svc *s, const char *wave_id);
/* Drops the wave's gate (result fed, or the wave moved on). Caller holds wave_mu. */
void svc_gate_drop(struct svc *s, const char *wave_id);
void svc_gates_free(struct svc *s);
/* A gate lease's outcome from an agent: once every shard passed (or one failed) the
 * result is fed to the wave. Stale leases are ignored. Caller holds wave_mu. */
int svc_gate_report(struct svc *s, struct store *st, const char *agent, const char *lease_id,
                    bool passed, const char *message, struct svc_error *e);

/* ---- claims in a report's answer (svc_lease.c) ------------------------------------- */

struct svc_claim_req {
    const char *agent;
    int agent_minor;   /* the protocol minor of the agent's request */
    const char *pools; /* the agent's pools, ','-separated */
    size_t max;        /* free slots (the report request's `want`) */
};
/* Claims up to req->max dispatched shards of the running and rolling-back waves for the
 * agent into out (leases allocated here; gates and inventory scans are left to the lease
 * request). Nothing while the service stops. Caller holds wave_mu; inside a store batch
 * the claims join it. */
int svc_lease_claim_waves(struct svc *s, struct store *st, const struct svc_claim_req *req,
                          struct wire_lease_resp *out, struct sw_err *err);

/* ---- inventory scans (svc_inventory.c); callers hold wave_mu ------------------------ */

/* Offers open inventory items of the agent's pools as inventory leases (up to max in
 * out). */
int svc_inventory_take(struct svc *s, const char *agent, const char *pools, size_t max,
                       int64_t now_ms, struct wire_lease_resp *out, struct sw_err *err);
/* Whether `lease` is an inventory lease; *ok: held by `agent` (and extended by the TTL
 * when extend is set). */
bool svc_inventory_lease(struct svc *s, const char *lease, const char *agent, bool extend,
                         int64_t now_ms, bool *ok);
/* Offers expired inventory leases again; true when any was. */
bool svc_inventory_expire(struct svc *s, int64_t now_ms);
/* The inventory lease was reported: the scan of its shard is done. Before that, fills
 * status->unknown_versions and edited_versions from the report's applied versions and
 * the reference set (left empty without a set or for a lease no longer known). */
void svc_inventory_done(struct svc *s, const struct wire_report *r, struct shard_status *status);
void svc_inventory_free(struct svc *s);

#endif
