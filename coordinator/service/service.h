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
#include "sw/migset.h"
#include "wave/planner.h"
#include "wave/wave_types.h"

struct svc_config {
    const char *store_path; /* the store the daemon opened (primary handle held there) */
    const char *fleet_file; /* NULL = none */
    int64_t lease_ttl_ms;
};

struct svc;

/* Creates the service over an opened store (the daemon keeps the primary handle; the
 * service opens secondary handles on demand). *out owned by the caller (svc_free). */
int svc_new(const struct svc_config *cfg, struct svc **out, struct sw_err *err);
void svc_free(struct svc *s);
/* Replaces the fleet file path (reload of the config); NULL = none. */
int svc_set_fleet_file(struct svc *s, const char *path, struct sw_err *err);

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
 * plan (planner_result_cleanup, also after a failure). SVC_INVALID_PLAN, SVC_NOT_FOUND
 * (set), SVC_CONFLICT (missing engine file), SVC_SHARD_BUSY. */
int svc_plan(struct svc *s, const char *digest, const struct wave_plan *plan, struct migset **set,
             struct planner_result *out, struct svc_error *e);

/* Plans and creates a wave (persisted `pending`; the scheduler starts it). Refusals as
 * svc_plan (shard_busy lists shards and waves in details "shards"). *out owned by the
 * caller (store_wave_detail_cleanup). */
int svc_wave_create(struct svc *s, const char *digest, const struct wave_plan *plan,
                    const char *reason, const char *actor, struct store_wave_detail *out,
                    struct svc_error *e);
int svc_wave_get(struct svc *s, const char *id, struct store_wave_detail *out, struct svc_error *e);
/* Newest first; filter may be NULL. *out: store_waves_free. */
int svc_wave_list(struct svc *s, const struct store_wave_filter *filter, struct store_wave **out,
                  size_t *n, struct svc_error *e);
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

#endif
