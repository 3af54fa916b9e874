-- shardwave: allow create-index-blocking benchmark tables are private to the run
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at);
