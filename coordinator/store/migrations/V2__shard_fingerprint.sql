-- shardwave coordinator store, schema 2: each shard's schema fingerprint from the last
-- inventory scan at its current version ('' = unknown), for `shardwave fleet --drift`.
ALTER TABLE shards ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
