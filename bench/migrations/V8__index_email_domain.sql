CREATE INDEX customers_email_domain_idx ON customers (email_domain);
