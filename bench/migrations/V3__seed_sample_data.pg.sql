INSERT INTO customers (id, email, name)
SELECT n, 'user' || n || '@example' || (n % 17) || '.com', 'Customer ' || n
FROM generate_series(1, 3000) AS s(n);
INSERT INTO orders (id, customer_id, amount_cents, status)
SELECT n, 1 + (n * 7) % 3000, 100 + (n * 37) % 10000, CASE WHEN n % 5 = 0 THEN 'shipped' ELSE 'new' END
FROM generate_series(1, 6000) AS s(n);
