-- Backfill user status
-- Fills the column V4 added. On large tables, backfill in batches (WHERE id BETWEEN ...)
-- so no single statement holds row locks for long.
UPDATE users SET status = 'active' WHERE status IS NULL;
