-- Index users email (PostgreSQL)
-- shardwave: no-transaction
-- CONCURRENTLY builds the index without blocking writes; it cannot run inside a
-- transaction, hence the directive. This file wins over the portable one on PostgreSQL.
CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);
