-- Index users email (MySQL/MariaDB)
-- One account per email address. ALGORITHM=INPLACE, LOCK=NONE keeps the build online:
-- writes continue while the index is built (or the server refuses instead of locking).
CREATE UNIQUE INDEX users_email_idx ON users (email) ALGORITHM=INPLACE LOCK=NONE;
