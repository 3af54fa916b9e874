-- Create users
-- The tenant's users. Portable SQL: runs unchanged on PostgreSQL, MySQL/MariaDB and SQLite.
CREATE TABLE users (
    id integer PRIMARY KEY,
    email varchar(255) NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
