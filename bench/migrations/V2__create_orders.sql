CREATE TABLE orders (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL,
    amount_cents integer NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'new',
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
