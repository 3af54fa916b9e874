UPDATE customers SET order_count = 0;
