ALTER TABLE customers ADD COLUMN email_domain varchar(200);
