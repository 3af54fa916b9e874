-- Undo: create accounts
DROP TABLE accounts;
