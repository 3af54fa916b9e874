-- shardwave coordinator store, schema 4: why a failed shard failed in its wave
-- ('' = not failed, unreachable, lock_timeout, error, dirty), from the agent's lease
-- report; `wave resume` re-queues the transient ones (docs/waves.md).
ALTER TABLE wave_shards ADD COLUMN failure TEXT NOT NULL DEFAULT '';
