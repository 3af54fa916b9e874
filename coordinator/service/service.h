/*
 * The coordinator's service layer: what the HTTP handlers and the scheduler call. It
 * owns no SQL and no transition logic: it reads the store, runs the pure planner and
 * wave state machine, persists their decisions through store_apply_decision (the audit
 * event carries the caller's name), logs the transition, and only then acts.
 *
 * Thread-safety: every function may be called from any thread. Each call borrows a
 * store handle of its own from a small pool (one handle per thread at a time, as
 * store.h requires); the fleet file path is swapped under a mutex on reload.
 */
#ifndef SW_COORDINATOR_SERVICE_H
#define SW_COORDINATOR_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/svc_error.h"
#include "store/store.h"
#include "sw/lint.h"
#include "sw/migset.h"
#include "sw/wire_agent.h"
#include "sw/wire_lease.h"
#include "sw/wire_report.h"
#include "wave/planner.h"
#include "wave/wave_types.h"

struct svc_config {
    const char *store_path; /* the store the daemon opened (primary handle held there) */
    const char *fleet_file; /* NULL = none */
    int64_t lease_ttl_ms;
    int64_t long_poll_ms; /* longest lease long-poll; 0 = answer at once */
    /* The process-wide fencing epoch (ha_epoch): set on every store handle the service
     * opens (store_set_fence); NULL = no fencing (single coordinator). */
    const _Atomic int64_t *fence;
    /* store_open_opts.idle_txn_timeout_ms of those handles; 0 = the store's default. */
    int store_idle_txn_ms;
    /* Called after a wave was created (request thread, no service lock held), so the
     * scheduler starts it now instead of at its next tick; NULL = none. */
    void (*on_wave_created)(void *ctx);
    void *on_wave_created_ctx;
};

struct svc;

/* Creates the service over an opened store (the daemon keeps the primary handle; the
 * service opens secondary handles on demand). *out owned by the caller (svc_free). */
int svc_new(const struct svc_config *cfg, struct svc **out, struct sw_err *err);
void svc_free(struct svc *s);
/* Replaces the fleet file path (reload of the config); NULL = none. */
int svc_set_fleet_file(struct svc *s, const char *path, struct sw_err *err);
/* Leadership changed (docs/ha.md). Either way the in-memory state a restarted
 * coordinator would not have is dropped (cached wave views, SQL gates, inventory scans,
 * cancel requests), so a new leader works from the store alone. Losing it also makes
 * waiting lease requests return now and later ones not wait (the agents then find the
 * leader); becoming leader lets them wait again. A new service is leader. Thread-safe. */
void svc_set_leader(struct svc *s, bool is_leader);

/* ---- fleet ------------------------------------------------------------------------- */

/* The stored fleet with status and meta. *out owned by the caller (store_fleet_cleanup). */
int svc_fleet_list(struct svc *s, struct store_fleet *out, struct svc_error *e);
/* Re-reads the fleet file and syncs the store (API reload and SIGHUP). Removed shards
 * stay in their active waves (out->removed_active). SVC_CONFLICT when no fleet file is
 * configured; SVC_INVALID_REQUEST for a bad file (message cites file:line). */
int svc_fleet_reload(struct svc *s, const char *actor, struct store_sync_result *out,
                     struct svc_error *e);
/* Registers or updates one shard (validated like a fleet-file shard). */
int svc_fleet_register(struct svc *s, struct fleet_shard *shard, const char *actor, bool *created,
                       struct svc_error *e);

/* ---- migration sets ---------------------------------------------------------------- */

/* Validates an uploaded set like `shardwave validate` (every problem; SVC_INVALID_MIGRATION_SET
 * with details "problems": [...]) and stores it by digest. *created false when known. */
int svc_migset_upload(struct svc *s, const struct migset_mem_file *files, size_t n_files,
                      struct store_migset_info *out, bool *created, struct svc_error *e);
/* The stored set, loaded. *out owned by the caller (migset_free). SVC_NOT_FOUND. */
int svc_migset_get(struct svc *s, const char *digest, struct migset **out, struct svc_error *e);

/* ---- plans and waves --------------------------------------------------------------- */

/* A dry run: plans `plan` over the current fleet with the stored set; starts nothing.
 * *set receives the loaded set (planner_shard_step needs it; migset_free), *out the
 * plan (planner_result_cleanup, also after a failure), *lint (lint_report_init'ed by the
 * caller; lint_report_cleanup) the linter's findings on the files the wave would run
 * (svc_policy_n_unsafe() of them would refuse the wave; the dry run is not refused for
 * them). SVC_INVALID_PLAN, SVC_NOT_FOUND (set), SVC_CONFLICT (missing engine file),
 * SVC_SHARD_BUSY, SVC_CONTRACT_NOT_READY (a contract-of V step while shards of the fleet
 * lack V: details "version", "contract_of", "lagging" [{id, version, health}]),
 * SVC_INVALID_MIGRATION_SET (a file the linter cannot read). */
int svc_plan(struct svc *s, const char *digest, const struct wave_plan *plan, struct migset **set,
             struct planner_result *out, struct lint_report *lint, struct svc_error *e);

/* Options of a new wave (borrowed). */
struct svc_wave_opts {
    const char *reason; /* the operator's reason (the `created` event); NULL = none */
    /* Deploy despite unacknowledged destructive or locking findings: needs a non-empty
     * reason; recorded as an `operator` event (actor, the findings, the reason). */
    bool allow_unsafe;
    /* Called once with the wave as created, from memory (not read back): pending, every
     * shard pending, no step lists; d is borrowed for the call. It runs under the wave
     * lock, before the detail is freed and the scheduler can read the wave for its first
     * view, so the two wave-sized copies never coexist (10,000 shards: ~9 MB each, the
     * coordinator's peak RSS): keep it to encoding the reply. Its error fails the call,
     * the wave stays created. NULL = none. */
    int (*on_created)(void *ctx, const struct store_wave_detail *d, struct sw_err *err);
    void *on_created_ctx;
};

/* Plans and creates a wave (persisted `pending`; the scheduler is woken to start it).
 * Refusals as svc_plan (shard_busy lists shards and waves in details "shards"), and
 * SVC_UNSAFE_MIGRATION when the files the wave runs have unacknowledged destructive or
 * locking findings and opts->allow_unsafe is not set (details "findings": the lint
 * encoder's JSON of each); SVC_INVALID_REQUEST for allow_unsafe without a reason. The
 * wave itself goes to opts->on_created. opts may be NULL. */
int svc_wave_create(struct svc *s, const char *digest, const struct wave_plan *plan,
                    const struct svc_wave_opts *opts, const char *actor, struct svc_error *e);
/* Whether a finding refuses a wave: class destructive or locking, not acknowledged, in
 * an up file. */
bool svc_policy_is_unsafe(const struct lint_finding *f);
/* How many findings of the report refuse a wave. */
size_t svc_policy_n_unsafe(const struct lint_report *r);
int svc_wave_get(struct svc *s, const char *id, struct store_wave_detail *out, struct svc_error *e);
/* Newest first; filter may be NULL. *out: store_waves_free. */
int svc_wave_list(struct svc *s, const struct store_wave_filter *filter, struct store_wave **out,
                  size_t *n, struct svc_error *e);
/* How many of the wave's shards are in each state (without reading the shards).
 * SVC_NOT_FOUND. */
int svc_wave_counts(struct svc *s, const char *id, size_t counts[WSHARD_STATE_COUNT],
                    struct svc_error *e);
/* The wave's revision (bumped by every persisted decision): a cheap check whether a
 * wave read earlier is still current, without reading its shards. SVC_NOT_FOUND. */
int svc_wave_revision(struct svc *s, const char *id, int64_t *revision, struct svc_error *e);
/* Events with id > after_id (at most STORE_EVENTS_MAX_LIMIT). *out: store_events_free. */
int svc_wave_events(struct svc *s, const char *id, int64_t after_id, struct store_event **out,
                    size_t *n, struct svc_error *e);

enum svc_action { SVC_ACTION_PAUSE, SVC_ACTION_RESUME, SVC_ACTION_ABORT, SVC_ACTION_ROLLBACK };
const char *svc_action_name(enum svc_action a); /* "pause", ... */

/* An operator action: builds the wave's view from the store, steps the state machine,
 * persists the decision (with an `operator` event by `actor`), logs
 * "wave=<id> running -> paused (operator <actor>)", then acts. SVC_ILLEGAL_TRANSITION
 * when the state forbids it, SVC_NOT_FOUND. *out (may be NULL) receives the wave
 * detail afterwards (store_wave_detail_cleanup). */
int svc_wave_action(struct svc *s, const char *id, enum svc_action action, const char *actor,
                    const char *reason, struct store_wave_detail *out, struct svc_error *e);
/* Resume (like svc_wave_action SVC_ACTION_RESUME): failed shards whose failure left the
 * database unchanged (unreachable, lock_timeout) are re-queued; with retry_failed also
 * those that failed with an error; dirty shards never (docs/waves.md "Resume"). */
int svc_wave_resume(struct svc *s, const char *id, const char *actor, const char *reason,
                    bool retry_failed, struct store_wave_detail *out, struct svc_error *e);

/* What a tick asks the caller (the scheduler) to do outside the store. */
struct svc_tick_result {
    bool wants_http_gate; /* run gate_url with gate_timeout_ms, then svc_wave_gate_result */
    char *gate_url;       /* heap, owned; NULL when none */
    int64_t gate_timeout_ms;
    int stage_idx;
};
void svc_tick_result_cleanup(struct svc_tick_result *r);

/* One scheduler tick for one active wave at wall time now_ms: view, step, persist, log.
 * The HTTP gate the decision requests is returned in *out for the scheduler to run. */
int svc_wave_tick(struct svc *s, const char *id, int64_t now_ms, struct svc_tick_result *out,
                  struct sw_err *err);
/* Feeds a gate's outcome (passed or failed with a message) back as an event. */
int svc_wave_gate_result(struct svc *s, const char *id, int stage_idx, bool passed,
                         const char *message, struct sw_err *err);
/* Ids of the active waves (heap array of WAVE_ID_MAX+1 strings; free). */
int svc_active_waves(struct svc *s, char (**ids)[WAVE_ID_MAX + 1], size_t *n, struct sw_err *err);

/* ---- agents (docs/protocol.md) ---------------------------------------------------- */

/* Registers (or refreshes) an agent and answers its session settings. */
int svc_agent_register(struct svc *s, const struct wire_register_req *req,
                       struct wire_register_resp *out, struct svc_error *e);

/* A lease request: hands out at most req->max leases of the agent's pools (dispatched
 * shards of running or rolling-back waves, SQL gate checks) and waits up to
 * min(req->wait_ms, long_poll_ms) for work when there is none yet (woken when the
 * scheduler dispatches, or by svc_stop_waiting). Claimed shards get the agent, a lease
 * id and an expiry (lease TTL) in the store before they are returned. *out owned by the
 * caller (wire_lease_resp_cleanup). SVC_UNKNOWN_AGENT when the agent never registered. */
int svc_lease_request(struct svc *s, const struct wire_lease_req *req, struct wire_lease_resp *out,
                      struct svc_error *e);

/* The go-ahead before a shard starts (through the state machine): 0 when the agent may
 * start; SVC_LEASE_LOST when the lease is not the agent's or expired; SVC_WAVE_NOT_RUNNING
 * when the wave refuses (the shard goes back to pending). */
int svc_lease_start(struct svc *s, const char *lease_id, const struct wire_start_req *req,
                    struct svc_error *e);

/* Extends every listed lease of the agent by the lease TTL; ok false for lost ones, cancel
 * true after `abort --cancel-running`. *out owned by the caller. */
int svc_heartbeat(struct svc *s, const struct wire_heartbeat_req *req,
                  struct wire_heartbeat_resp *out, struct svc_error *e);

/* Applies reports, idempotent by report id (a seen id lands in out->duplicates). Step
 * reports update the shard's status and add events; lease_done reports step the wave
 * (succeeded, failed, released, rollback results, gate results); inventory reports set
 * the shard's status. Protocol 1.2: a request's `want` free slots get leases of dispatched
 * shards in out->leases, claimed in the reports' store transaction. *out owned by the
 * caller (wire_report_resp_cleanup). */
int svc_reports(struct svc *s, const struct wire_report_req *req, struct wire_report_resp *out,
                struct svc_error *e);

/* Scheduler: turns leases that expired by now_ms into lease-expired events (the shards
 * go back to pending and are dispatched again); expired gate checks are offered again. */
int svc_leases_expire(struct svc *s, int64_t now_ms, struct sw_err *err);

/* Remembers that `abort --cancel-running` was asked for a wave: heartbeats of its leases
 * answer cancel true (in memory; a restarted coordinator forgets it). */
void svc_wave_cancel_running(struct svc *s, const char *id);

/* Queues a read-only inventory scan of every shard of the fleet (shards already queued
 * are not queued twice): agents of each shard's pool get `inventory` leases and report
 * the applied versions, health and schema fingerprint (for the fleet's drift). In
 * memory: a restarted coordinator forgets scans not yet reported. *n_queued (may be
 * NULL) receives the number of shards queued now. */
int svc_inventory_scan(struct svc *s, const char *actor, size_t *n_queued, struct svc_error *e);

/* Where the inventory scans stand: the shards queued or leased but not reported yet, and
 * the reference migration set the reports are compared with (the set of the newest wave
 * when the last scan was requested; "" = none, so unknown and edited migrations are not
 * judged). */
struct svc_inventory_state {
    size_t n_pending;
    char **pending; /* shard ids, sorted; NULL when n_pending is 0 */
    char reference_set[CHECKSUM_HEX_LEN + 1];
};
void svc_inventory_state_cleanup(struct svc_inventory_state *st);
/* Fills *out (owned by the caller: svc_inventory_state_cleanup). Thread-safe. */
int svc_inventory_state_get(struct svc *s, struct svc_inventory_state *out, struct svc_error *e);

/* Makes every waiting lease request return now (empty) and later ones not wait; for a
 * graceful shutdown. Thread-safe, idempotent. */
void svc_stop_waiting(struct svc *s);

/* Logs (info) the latencies this process measured: "stats: lease n=.. p50_ms=.. p99_ms=..
 * max_ms=..; go ...; report ..." (lease claims that returned work, without the long-poll
 * wait; go-aheads; report batches). bench/scale.sh reads it; the daemon calls it once at
 * shutdown. Thread-safe. */
void svc_stats_log(struct svc *s);

#endif
