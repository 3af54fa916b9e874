-- shardwave: allow create-index-blocking benchmark tables are private to the run
CREATE INDEX customers_email_domain_idx ON customers (email_domain);
