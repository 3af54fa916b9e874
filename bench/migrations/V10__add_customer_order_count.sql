ALTER TABLE customers ADD COLUMN order_count integer NOT NULL DEFAULT 0;
