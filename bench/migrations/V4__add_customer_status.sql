ALTER TABLE customers ADD COLUMN status varchar(20) NOT NULL DEFAULT 'active';
