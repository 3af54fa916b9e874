-- Undo: create active accounts view
DROP VIEW active_accounts;
