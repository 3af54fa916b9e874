WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 3000)
INSERT INTO customers (id, email, name)
SELECT n, 'user' || n || '@example' || (n % 17) || '.com', 'Customer ' || n FROM seq;
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 6000)
INSERT INTO orders (id, customer_id, amount_cents, status)
SELECT n, 1 + (n * 7) % 3000, 100 + (n * 37) % 10000, CASE WHEN n % 5 = 0 THEN 'shipped' ELSE 'new' END
FROM seq;
