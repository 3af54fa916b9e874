-- Undo: add user status
ALTER TABLE users DROP COLUMN status;
