-- shardwave coordinator store, schema 1: fleet, migration sets, waves, events,
-- and the agent protocol's agents, leases and seen report ids.
-- Applied by the coordinator at startup with shardwave's own engine.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The fleet: shards from the fleet file (from_fleet_file = 1) or registered through
-- the API (registered_by). Removed shards are kept (is_removed = 1): they may still be
-- in waves, and their last reported status stays known.
CREATE TABLE shards (
    id              TEXT PRIMARY KEY,
    engine          TEXT NOT NULL,
    pool            TEXT NOT NULL,
    from_fleet_file INTEGER NOT NULL DEFAULT 0,
    registered_by   TEXT,
    is_removed      INTEGER NOT NULL DEFAULT 0,
    version         TEXT NOT NULL DEFAULT '0',
    health          TEXT NOT NULL DEFAULT 'unknown',
    last_seen_ms    INTEGER NOT NULL DEFAULT 0,
    updated_ms      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX shards_fleet_file ON shards (from_fleet_file, is_removed);

CREATE TABLE shard_labels (
    shard_id TEXT NOT NULL REFERENCES shards (id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (shard_id, key)
) WITHOUT ROWID;
CREATE INDEX shard_labels_key_value ON shard_labels (key, value);

-- Migration sets by digest, with their files.
CREATE TABLE migration_sets (
    digest     TEXT PRIMARY KEY,
    latest     TEXT NOT NULL,
    n_steps    INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TABLE migration_files (
    id      INTEGER PRIMARY KEY,
    digest  TEXT NOT NULL REFERENCES migration_sets (digest) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    content BLOB NOT NULL,
    UNIQUE (digest, name)
);

-- Waves. is_active mirrors wave_state_is_active(state): the scheduler and the
-- one-active-wave-per-shard check read it.
CREATE TABLE waves (
    id             TEXT PRIMARY KEY,
    digest         TEXT NOT NULL REFERENCES migration_sets (digest),
    plan           TEXT NOT NULL,
    target         TEXT NOT NULL,
    direction      TEXT NOT NULL,
    on_failure     TEXT NOT NULL,
    state          TEXT NOT NULL,
    is_active      INTEGER NOT NULL,
    current_stage  INTEGER NOT NULL DEFAULT 0,
    stage_phase    TEXT NOT NULL,
    phase_until_ms INTEGER NOT NULL DEFAULT 0,
    halt_reason    TEXT,
    reason         TEXT,
    created_by     TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL,
    revision       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX waves_active ON waves (is_active, created_ms);
CREATE INDEX waves_state ON waves (state, created_ms);
CREATE INDEX waves_created ON waves (created_ms, id);

CREATE TABLE wave_shards (
    wave_id          TEXT NOT NULL REFERENCES waves (id),
    shard_id         TEXT NOT NULL REFERENCES shards (id),
    stage_idx        INTEGER NOT NULL,
    state            TEXT NOT NULL,
    from_version     TEXT NOT NULL,
    to_version       TEXT NOT NULL,
    steps            TEXT NOT NULL DEFAULT '',
    host             TEXT NOT NULL DEFAULT '',
    has_down         INTEGER NOT NULL DEFAULT 0,
    agent            TEXT NOT NULL DEFAULT '',
    lease_id         TEXT NOT NULL DEFAULT '',
    lease_expires_ms INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    started_ms       INTEGER NOT NULL DEFAULT 0,
    finished_ms      INTEGER NOT NULL DEFAULT 0,
    finished_seq     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (wave_id, shard_id)
);
-- Busy-shard checks go from a shard to its waves; the scheduler counts states per wave.
CREATE INDEX wave_shards_shard ON wave_shards (shard_id);
CREATE INDEX wave_shards_wave_state ON wave_shards (wave_id, state);
CREATE INDEX wave_shards_lease_expiry ON wave_shards (lease_expires_ms) WHERE lease_id <> '';

-- The append-only audit log of every wave.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    wave_id    TEXT NOT NULL REFERENCES waves (id),
    at_ms      INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    shard_id   TEXT NOT NULL DEFAULT '',
    message    TEXT
);
CREATE INDEX events_wave ON events (wave_id, id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- Agent protocol (issue 4): registered agents, live leases (kept in step with
-- wave_shards.lease_id by store_apply_decision), and report ids already counted.
CREATE TABLE agents (
    id           TEXT PRIMARY KEY,
    version      TEXT NOT NULL,
    pools        TEXT NOT NULL,
    capacity     INTEGER NOT NULL DEFAULT 0,
    last_seen_ms INTEGER NOT NULL
);

CREATE TABLE leases (
    id         TEXT PRIMARY KEY,
    wave_id    TEXT NOT NULL,
    shard_id   TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    FOREIGN KEY (wave_id, shard_id) REFERENCES wave_shards (wave_id, shard_id)
);
CREATE UNIQUE INDEX leases_wave_shard ON leases (wave_id, shard_id);
CREATE INDEX leases_expiry ON leases (expires_ms);
CREATE INDEX leases_agent ON leases (agent_id);

CREATE TABLE seen_reports (
    report_id TEXT PRIMARY KEY,
    at_ms     INTEGER NOT NULL
);
