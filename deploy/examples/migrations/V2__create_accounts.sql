-- Create accounts
-- Each account belongs to a user; the plan defaults to 'free'.
CREATE TABLE accounts (
    id integer PRIMARY KEY,
    user_id integer NOT NULL,
    name varchar(100) NOT NULL,
    plan varchar(20) NOT NULL DEFAULT 'free',
    FOREIGN KEY (user_id) REFERENCES users (id)
);
