-- Undo: index users email (MySQL/MariaDB names the table)
DROP INDEX users_email_idx ON users;
