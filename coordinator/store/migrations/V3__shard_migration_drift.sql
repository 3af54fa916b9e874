-- shardwave coordinator store, schema 3: from the last inventory scan at the shard's
-- current version, the applied versions its reference migration set does not have and
-- those whose checksum differs (',' separated; '' = none or unknown), for
-- `shardwave fleet --drift`.
ALTER TABLE shards ADD COLUMN unknown_versions TEXT NOT NULL DEFAULT '';
ALTER TABLE shards ADD COLUMN edited_versions TEXT NOT NULL DEFAULT '';
