-- Index users email
-- One account per email address.
CREATE UNIQUE INDEX users_email_idx ON users (email);
