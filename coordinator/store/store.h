/*
 * The coordinator's durable store: fleet inventory, migration sets, waves with
 * their shards, the append-only event log, and (for the agent protocol) agents,
 * leases and seen report ids. The API speaks domain structs (wave_types.h and the
 * structs below), never SQL types. Two backends behind it (store_impl.h): one
 * SQLite file in WAL mode (the embedded default, one coordinator), or a PostgreSQL
 * database several coordinators share (issue 10: one leads through the lease below,
 * every write of a fenced handle checks its epoch). Its own schema is migrated with
 * shardwave's engine at store_open (migrations compiled into the binary; per-engine
 * variants V<n>__x.pg.sql where PostgreSQL needs other DDL).
 *
 * Thread-safety: a struct store is used by one thread at a time. Each thread opens
 * its own handle: the daemon's main thread the primary (store_open, which takes
 * the SQLite process lock and migrates the schema), every other thread a secondary
 * (store_open_secondary, after the primary is open). Handles of one process and
 * of other processes may be used concurrently; writers are serialised (SQLite's
 * write lock with a busy timeout; PostgreSQL: a transaction-scoped advisory lock
 * with lock_timeout), and every multi-row change is one transaction.
 *
 * Times are wall-clock milliseconds since the epoch, supplied by the caller
 * (0 = never/none). Strings in result structs are owned by the struct and freed
 * by its _cleanup; strings in argument structs are borrowed for the call.
 */
#ifndef SW_COORDINATOR_STORE_H
#define SW_COORDINATOR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/checksum.h"
#include "sw/err.h"
#include "sw/migset.h"
#include "sw/version.h"
#include "wave/wave_types.h"

#define STORE_ACTOR_MAX    128 /* token names, agent ids: recorded as event actors */
#define STORE_LEASE_ID_MAX 64
#define STORE_EVENT_KIND_MAX                                                                       \
    16 /* "created", "transition", "stage", "shard", "gate", "operator"                            \
        */
#define STORE_STATE_NAME_MAX          24 /* wave or shard state names in events */
#define STORE_DEFAULT_BUSY_TIMEOUT_MS 5000
#define STORE_DEFAULT_IDLE_TXN_MS     10000
#define STORE_EVENTS_MAX_LIMIT        10000

struct store;

/* ---- open / close ------------------------------------------------------------------ */

struct store_open_opts {
    int busy_timeout_ms; /* waiting for another writer; 0 = STORE_DEFAULT_BUSY_TIMEOUT_MS */
    /* PostgreSQL only: the password when the URL carries none (e.g. read from a
     * store_password_file or $SHARDWAVE_STORE_PASSWORD by the caller); NULL = none. */
    const char *password;
    /* The leader epoch to fence writes on (see store_set_fence); NULL = no fencing. */
    const _Atomic int64_t *fence;
    /* PostgreSQL only: the server ends a session that stays idle inside a transaction
     * this long (idle_in_transaction_session_timeout), so a stopped coordinator cannot
     * hold row locks (the lease row) past it; 0 = STORE_DEFAULT_IDLE_TXN_MS. The store
     * never waits on anything but the database inside a transaction, so only a stopped
     * or stalled process hits it. The daemon derives it from leader_lease_ms. */
    int idle_txn_timeout_ms;
    /* SQLite only: a 512 KiB page cache instead of SQLite's 2 MiB, for the many pooled
     * handles of one process (the file's pages are in the OS cache anyway). */
    bool is_small_cache;
};

/* `path` names the store: a file path (or "sqlite:PATH") selects SQLite, the embedded
 * default; a "postgres://" or "postgresql://" URL (libpq URI) selects PostgreSQL. On
 * PostgreSQL the database must exist; no flock is taken (several coordinators may open
 * one store; the leader lease decides who writes), the schema is migrated under the
 * engine's advisory lock, and a lost connection fails the call in flight with
 * SW_ECONNECT (nothing half-written) and is re-established by the next call.
 * Passwords never appear in errors or store_path() (redacted like engine DSNs).
 *
 * Opens (creating if needed) the primary handle on the store file `path`: takes an
 * exclusive process lock (flock on "<path>.lock", held until store_close), migrates
 * the store's schema with shardwave's own engine (history in shardwave_schema_history
 * inside the store), then opens the handle (WAL, foreign keys, busy timeout).
 * Errors: SW_ELOCKED "store X is in use by another coordinator (pid N)" when another
 * primary holds the lock; SW_EIO / SW_EDB for file and SQLite failures; the engine's
 * errors (prefixed "store X: schema migration") when the schema cannot be migrated.
 * opts may be NULL. *out owned by the caller (store_close). */
int store_open(const char *path, const struct store_open_opts *opts, struct store **out,
               struct sw_err *err);
/* Opens an additional handle for another thread, without the lock and without
 * migrating. SW_ECONFLICT when the file has no store schema yet (open the primary
 * first). */
int store_open_secondary(const char *path, const struct store_open_opts *opts, struct store **out,
                         struct sw_err *err);
/* Closes the handle (and releases the process lock of a primary). NULL is a no-op. */
void store_close(struct store *st);
/* The store file path, or the PostgreSQL URL with any password redacted; borrowed,
 * valid until store_close. */
const char *store_path(const struct store *st);

/* ---- meta (small key/value settings of the store itself) --------------------------- */

/* *value is owned by the caller (free), NULL when the key is not set. */
int store_meta_get(struct store *st, const char *key, char **value, struct sw_err *err);
int store_meta_put(struct store *st, const char *key, const char *value, struct sw_err *err);

/* ---- fleet ------------------------------------------------------------------------- */

/* Per shard, beside its struct fleet_shard and struct shard_status. */
struct store_shard_meta {
    bool in_fleet_file;                      /* from the fleet file (else registered via the API) */
    char registered_by[STORE_ACTOR_MAX + 1]; /* "" for fleet-file shards */
    char active_wave[WAVE_ID_MAX + 1];       /* "" when the shard is in no active wave */
};

/* The fleet as stored: every shard that is not removed, sorted by id. */
struct store_fleet {
    struct fleet fleet;
    struct shard_status *status;   /* parallel to fleet.shards */
    struct store_shard_meta *meta; /* parallel to fleet.shards */
};
void store_fleet_cleanup(struct store_fleet *f);

/* Loads the fleet (removed shards excluded). */
int store_fleet_load(struct store *st, struct store_fleet *out, struct sw_err *err);

/* A shard's engine and pool: what lease claims need, without its status and labels
 * (~0.3 KB a shard instead of store_fleet_load's ~1.5 KB). */
struct store_shard_pool {
    char id[FLEET_ID_MAX + 1];
    char pool[FLEET_ID_MAX + 1];
    enum migset_engine engine;
};
/* Every shard that is not removed, sorted by id (strcmp): *out a heap array the caller
 * frees (NULL when there is none). */
int store_shard_pools(struct store *st, struct store_shard_pool **out, size_t *n,
                      struct sw_err *err);

/* A shard and the active wave that holds it. */
struct store_busy_shard {
    char shard_id[FLEET_ID_MAX + 1];
    char wave_id[WAVE_ID_MAX + 1];
};

struct store_sync_result {
    size_t n_shards; /* shards in the fleet after the sync (fleet file + registered) */
    size_t n_added;
    char **added; /* ids new in the fleet file (or back after a removal), sorted */
    size_t n_changed;
    char **changed; /* ids whose engine, pool or labels changed, sorted */
    size_t n_removed;
    char **removed; /* fleet-file ids no longer in the file, sorted */
    size_t n_removed_active;
    struct store_busy_shard *removed_active; /* removed ids still in an active wave */
};
void store_sync_result_cleanup(struct store_sync_result *r);

/* Makes the stored fleet-file shards equal to `file` in one transaction: upserts
 * every shard of `file` (marking it as from the fleet file), and marks fleet-file
 * shards missing from `file` removed. Removed shards keep their status and stay in
 * their waves (reported in removed_active, never dropped). Shards registered through
 * the API are untouched unless `file` lists them (the file then owns them). */
int store_fleet_sync(struct store *st, const struct fleet *file, int64_t now_ms,
                     struct store_sync_result *out, struct sw_err *err);

/* Registers or updates one shard (API): it is no longer from the fleet file and
 * survives reloads. *created (may be NULL) says whether the id was new (or removed). */
int store_shard_put(struct store *st, const struct fleet_shard *shard, const char *actor,
                    int64_t now_ms, bool *created, struct sw_err *err);

/* Records what an agent last reported about a shard. A non-empty status->fingerprint
 * replaces the stored one (and unknown_versions / edited_versions with it); an empty one
 * keeps them while the version is unchanged and clears them when the version changed.
 * SW_ENOTFOUND for an unknown id. */
int store_shard_status_put(struct store *st, const char *shard_id,
                           const struct shard_status *status, struct sw_err *err);

/* Every shard in an active wave (other than exclude_wave_id, which may be NULL),
 * sorted by shard id. *out owned by the caller (free); NULL when *n is 0. */
int store_busy_shards(struct store *st, const char *exclude_wave_id, struct store_busy_shard **out,
                      size_t *n, struct sw_err *err);

/* ---- migration sets ---------------------------------------------------------------- */

struct store_migset_info {
    char digest[CHECKSUM_HEX_LEN + 1]; /* migset_digest() */
    char latest[VERSION_TEXT_MAX];     /* highest version text */
    size_t n_steps;
    int64_t created_ms;
};

/* A stored set: its info and its files (the files' name/content point into
 * storage owned by this struct). Feed files to migset_load_files to use it. */
struct store_migset {
    struct store_migset_info info;
    size_t n_files;
    struct migset_mem_file *files; /* sorted by name */
    char **owned_;                 /* private: the strings files[] point to */
};
void store_migset_cleanup(struct store_migset *m);

/* Stores a validated set under info->digest, with its files, in one transaction.
 * Idempotent by digest: when the digest is already stored nothing changes and
 * *created (may be NULL) is false. */
int store_migset_put(struct store *st, const struct store_migset_info *info,
                     const struct migset_mem_file *files, size_t n_files, bool *created,
                     struct sw_err *err);
/* SW_ENOTFOUND "migration set <digest> is not known" when absent. */
int store_migset_get(struct store *st, const char *digest, struct store_migset *out,
                     struct sw_err *err);
int store_migset_exists(struct store *st, const char *digest, bool *exists, struct sw_err *err);
/* Loads a stored set as a struct migset (validated again by migset_load_files).
 * *out owned by the caller (migset_free). */
int store_migset_load(struct store *st, const char *digest, struct migset **out,
                      struct sw_err *err);

/* ---- waves ------------------------------------------------------------------------- */

struct store_wave {
    char id[WAVE_ID_MAX + 1];
    char digest[CHECKSUM_HEX_LEN + 1]; /* migration set */
    char *plan_json;                   /* the plan, as JSON text (opaque to the store) */
    char target[VERSION_TEXT_MAX];     /* resolved target version */
    enum plan_direction direction;
    enum plan_on_failure on_failure;
    enum wave_state state;
    int current_stage;
    enum wave_stage_phase stage_phase;
    int64_t phase_until_ms; /* bake end etc.; 0 = none */
    char *halt_reason;      /* NULL = none */
    char *reason;           /* the operator's reason for the wave; NULL = none */
    char created_by[STORE_ACTOR_MAX + 1];
    int64_t created_ms;
    int64_t updated_ms;
    int64_t revision; /* bumped by every store_apply_decision; 1 after create */
};
void store_wave_cleanup(struct store_wave *w);

/* One shard's progress inside one wave. */
struct store_wave_shard {
    char shard_id[FLEET_ID_MAX + 1];
    int stage_idx;
    enum wave_shard_state state;
    char from_version[VERSION_TEXT_MAX];
    char to_version[VERSION_TEXT_MAX];
    size_t n_steps;
    char (*steps)[VERSION_TEXT_MAX];    /* versions it goes through, in order */
    char host[FLEET_LABEL_VAL_MAX + 1]; /* host label value ("" = none) */
    bool has_down;                      /* every step has a down file for its engine */
    char agent[STORE_ACTOR_MAX + 1];    /* "" = none */
    char lease_id[STORE_LEASE_ID_MAX + 1];
    int64_t lease_expires_ms;
    int attempts;
    char *error;               /* NULL = none */
    enum wave_failure failure; /* why it failed; WFAIL_NONE unless failed */
    int64_t started_ms;
    int64_t finished_ms;
    int64_t finished_seq; /* order in which shards finished (rollback: newest first) */
};
void store_wave_shard_cleanup(struct store_wave_shard *s);

/* A wave and all its shards. */
struct store_wave_detail {
    struct store_wave wave;
    size_t n_shards;
    struct store_wave_shard *shards; /* by stage_idx, then shard id */
};
void store_wave_detail_cleanup(struct store_wave_detail *d);

/* An audit event. In arguments strings are borrowed; from store_events_list the
 * message is owned (store_event_cleanup). */
struct store_event {
    int64_t id; /* assigned by the store, increasing */
    char wave_id[WAVE_ID_MAX + 1];
    int64_t at_ms;
    char actor[STORE_ACTOR_MAX + 1];       /* token name, "scheduler", agent id */
    char kind[STORE_EVENT_KIND_MAX];       /* "created", "transition", "stage", ... */
    char from_state[STORE_STATE_NAME_MAX]; /* "" = none */
    char to_state[STORE_STATE_NAME_MAX];   /* "" = none */
    char shard_id[FLEET_ID_MAX + 1];       /* "" = none */
    char *message;                         /* NULL = none */
};
void store_event_cleanup(struct store_event *e);
void store_events_free(struct store_event *events, size_t n);

/* Creates a wave: the wave row, all its shards and a `created` event (actor
 * w->created_by, message `reason`), in one transaction. When w->id is "" a new id
 * ("w-" + 8 hex digits) is generated and written to w->id; w->revision becomes 1.
 * Refuses with SW_ECONFLICT when a shard is in another active wave ("shard t-1 is
 * in active wave w-..."), SW_ENOTFOUND for an unknown migration set or shard, and
 * SW_ECONFLICT for an existing wave id. */
int store_wave_create(struct store *st, struct store_wave *w, const struct store_wave_shard *shards,
                      size_t n_shards, struct sw_err *err);

/* SW_ENOTFOUND "wave w-x not found" when absent. out is owned by the caller. */
int store_wave_get(struct store *st, const char *id, struct store_wave_detail *out,
                   struct sw_err *err);
/* Like store_wave_get without each shard's step list (steps NULL, n_steps 0): for readers
 * that never look at it (the API's wave detail, the coordinator's views); at 10,000
 * shards 20,000 allocations and ~1.7 MB less. */
int store_wave_get_no_steps(struct store *st, const char *id, struct store_wave_detail *out,
                            struct sw_err *err);
/* Just the wave row (no shards). */
int store_wave_get_row(struct store *st, const char *id, struct store_wave *out,
                       struct sw_err *err);

struct store_wave_filter {
    bool by_state; /* only waves in `state` */
    enum wave_state state;
    bool active_only; /* only active waves (wave_state_is_active) */
};

/* How many of the wave's shards are in each state (counts indexed by the state), from
 * the (wave_id, state) index without reading the shards. SW_ENOTFOUND for an unknown id. */
int store_wave_counts(struct store *st, const char *id, size_t counts[WSHARD_STATE_COUNT],
                      struct sw_err *err);

/* The wave's revision (bumped by every store_apply_decision): a cheap check whether a
 * wave read earlier is still current. SW_ENOTFOUND for an unknown id. */
int store_wave_revision(struct store *st, const char *id, int64_t *revision, struct sw_err *err);

/* Waves newest first (created_ms, then id, descending); filter may be NULL.
 * *out owned by the caller (store_waves_free); NULL when *n is 0. */
int store_wave_list(struct store *st, const struct store_wave_filter *filter,
                    struct store_wave **out, size_t *n, struct sw_err *err);
void store_waves_free(struct store_wave *waves, size_t n);

/* An active wave's id and state. */
struct store_wave_ref {
    char id[WAVE_ID_MAX + 1];
    enum wave_state state;
};
/* The active waves (wave_state_is_active), newest first, from the waves_active index:
 * what every lease request and scheduler tick asks, without reading the rows' plans or
 * scanning finished waves. *out owned by the caller (free); NULL when *n is 0. */
int store_wave_active(struct store *st, struct store_wave_ref **out, size_t *n, struct sw_err *err);

/* One persisted wave transition: the optimistic checks, the new wave row, the
 * changed shards and the events. */
struct store_decision {
    const char *wave_id;
    enum wave_state expected_state; /* the state the decision was computed from */
    int64_t expected_revision;      /* > 0: also require this revision; 0: state only */
    /* New values of the wave row (state, current_stage, stage_phase, phase_until_ms,
     * halt_reason, updated_ms are written; other fields are ignored). NULL: the row
     * keeps its values (the revision is still bumped). */
    const struct store_wave *wave;
    size_t n_shards;
    const struct store_wave_shard *shards; /* new rows, matched by shard_id (state,
                                            * agent, lease_id, lease_expires_ms, attempts,
                                            * error, started/finished_ms, finished_seq,
                                            * from/to_version are written) */
    size_t n_events;
    const struct store_event *events; /* id ignored; wave_id "" = this wave */
    int64_t *event_ids;               /* NULL, or n_events slots: the ids the events got
                                       * (webhooks cite them; filled on success) */
    const char *report_id;            /* non-NULL: recorded as seen in the same transaction */
    /* true: only the events and report_id are written (wave NULL, no shards): the wave
     * row, its state check and its revision are left alone (an agent's step report or a
     * stale lease's report records what happened without changing the wave). */
    bool records_only;
};

/* Persists a decision in one transaction: checks the wave's state (and revision)
 * equals the expected one (SW_ECONFLICT "wave w-x changed concurrently: expected
 * running (revision 4), found paused (revision 5)" otherwise), updates the wave row
 * and bumps its revision, updates the listed shards (SW_ENOTFOUND for a shard not in
 * the wave), appends the events, records report_id. Nothing changes on failure.
 * *new_revision (may be NULL) receives the wave's revision afterwards. This is the
 * single function through which every wave transition is persisted. */
int store_apply_decision(struct store *st, const struct store_decision *d, int64_t *new_revision,
                         struct sw_err *err);

/* Events of a wave with id > after_id, oldest first, at most `limit` (1 ..
 * STORE_EVENTS_MAX_LIMIT). SW_ENOTFOUND for an unknown wave. *out owned by the
 * caller (store_events_free); NULL when *n is 0. */
int store_events_list(struct store *st, const char *wave_id, int64_t after_id, size_t limit,
                      struct store_event **out, size_t *n, struct sw_err *err);

/* ---- leadership and fencing (issue 10) ----------------------------------------------- */

#define STORE_URL_MAX 512

/* The leader lease row. Times are on the store's clock (PostgreSQL clock_timestamp(),
 * SQLite julianday('now')), so clock skew between coordinators does not matter. */
struct store_leader {
    char holder[STORE_ACTOR_MAX + 1]; /* coordinator id */
    char url[STORE_URL_MAX + 1];      /* its advertised base URL */
    int64_t epoch;                    /* +1 each time leadership changes hands */
    int64_t expires_ms;               /* on the store's clock */
    int64_t now_ms;                   /* the store's clock when read */
};

/* Reads the lease row. SW_ENOTFOUND when no coordinator ever led. */
int store_leader_get(struct store *st, struct store_leader *out, struct sw_err *err);
/* One transaction: takes the lease when nobody holds it, it expired (store clock), or
 * `holder` already holds it (renewal keeps the epoch; a takeover increments it), and sets
 * expires = store now + ttl_ms. SW_ECONFLICT when another holder's lease is live (*out
 * then describes that holder). Not fenced (it is what moves the epoch). */
int store_leader_claim(struct store *st, const char *holder, const char *url, int64_t ttl_ms,
                       struct store_leader *out, struct sw_err *err);
/* Graceful step-down: expires the lease now if `holder` still holds `epoch` (else a
 * no-op returning 0). The epoch is kept, so the next claim by anyone increments it. */
int store_leader_release(struct store *st, const char *holder, int64_t epoch, struct sw_err *err);
/* Fencing. `epoch` points at a process-wide value the HA loop updates (0 = not leader).
 * When set (non-NULL), every write transaction on this handle first checks, inside the
 * same transaction, that the lease row's epoch equals *epoch (PostgreSQL: SELECT ... FOR
 * SHARE on the lease row, so a takeover waits for in-flight writes and later writes see
 * the new epoch; SQLite: the write lock already serialises it); otherwise it fails with
 * SW_EFENCED ("store: not the leader: epoch N was superseded by M (leader X at URL)") and
 * writes nothing. NULL = no fencing (the default: single-coordinator SQLite). The pointer
 * is borrowed and must outlive the handle. Reads are never fenced. */
void store_set_fence(struct store *st, const _Atomic int64_t *epoch);
/* True when several coordinators may open this store at once (PostgreSQL: no flock, a
 * leader is elected through the lease); false for SQLite (the flock makes it exclusive). */
bool store_is_shared(const struct store *st);

/* ---- batches ---------------------------------------------------------------------- */

/* Several store calls in one write transaction (e.g. the record-only parts of an agent's
 * report request: one commit instead of one per report). Between store_batch_begin and
 * store_batch_end the calls' own transactions join the batch's (their commits are
 * deferred to it, their reads see its writes); a call that fails and rolls back marks the
 * batch failed, and store_batch_end then rolls everything back. store_batch_end(commit
 * true) commits: SW_ECONFLICT when the batch failed (nothing of it is kept), or the
 * commit's error. store_batch_end(false) rolls back. Not nestable; store_batch_end
 * outside a batch is a no-op. */
int store_batch_begin(struct store *st, struct sw_err *err);
int store_batch_end(struct store *st, bool commit, struct sw_err *err);

/* ---- agents and idempotent reports (agent protocol, issue 4) ----------------------- */

/* Whether an agent report id was already recorded (by store_apply_decision). */
int store_report_seen(struct store *st, const char *report_id, bool *seen, struct sw_err *err);

#define STORE_AGENT_VERSION_MAX 64
#define STORE_AGENT_POOLS_MAX   1024

struct store_agent {
    char id[FLEET_ID_MAX + 1];
    char version[STORE_AGENT_VERSION_MAX];
    char pools[STORE_AGENT_POOLS_MAX]; /* pool names separated by ',' */
    int capacity;                      /* worker threads */
    int64_t last_seen_ms;
};

/* Registers an agent or refreshes it (register and heartbeat). */
int store_agent_put(struct store *st, const struct store_agent *agent, struct sw_err *err);
/* Agents sorted by id. *out owned by the caller (free); NULL when *n is 0. */
int store_agents_list(struct store *st, struct store_agent **out, size_t *n, struct sw_err *err);

/* A live lease (kept in step with wave_shards by store_apply_decision). */
struct store_lease {
    char id[STORE_LEASE_ID_MAX + 1];
    char wave_id[WAVE_ID_MAX + 1];
    char shard_id[FLEET_ID_MAX + 1];
    char agent_id[FLEET_ID_MAX + 1];
    int64_t expires_ms;
};

/* Leases with expires_ms <= now_ms, oldest expiry first (the scheduler turns them
 * into lease-expired events). *out owned by the caller (free); NULL when *n is 0. */
int store_leases_expired(struct store *st, int64_t now_ms, struct store_lease **out, size_t *n,
                         struct sw_err *err);
/* One lease by id. SW_ENOTFOUND "lease L not found (expired or finished)". */
int store_lease_get(struct store *st, const char *lease_id, struct store_lease *out,
                    struct sw_err *err);

#endif
