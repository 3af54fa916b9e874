ALTER TABLE customers DROP COLUMN status;
