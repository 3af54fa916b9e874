-- Undo: index users email
DROP INDEX users_email_idx;
