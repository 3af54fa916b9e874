-- Undo: create users
DROP TABLE users;
