-- Add user status (expand)
-- The safe way to add a column to a busy table: nullable and without a default, so the
-- ALTER only touches the catalog (no table rewrite, a short lock). The application starts
-- writing status for new rows; V5 backfills the old ones. Making it NOT NULL is a later,
-- separate step once every row has a value.
ALTER TABLE users ADD COLUMN status varchar(20);
