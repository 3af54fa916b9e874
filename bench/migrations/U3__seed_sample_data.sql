DELETE FROM orders;
DELETE FROM customers;
