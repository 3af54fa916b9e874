CREATE TABLE order_items (
    id integer PRIMARY KEY,
    order_id integer NOT NULL,
    sku varchar(64) NOT NULL,
    quantity integer NOT NULL DEFAULT 1,
    price_cents integer NOT NULL
);
CREATE INDEX order_items_order_idx ON order_items (order_id);
