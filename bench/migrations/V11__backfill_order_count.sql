UPDATE customers SET order_count = (SELECT count(*) FROM orders WHERE orders.customer_id = customers.id);
