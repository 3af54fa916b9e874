-- MariaDB caps recursive CTEs at max_recursive_iterations (often 1000): cross join digits.
INSERT INTO customers (id, email, name)
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
              UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(n) AS (SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n + 1 FROM d a, d b, d c, d e)
SELECT n, CONCAT('user', n, '@example', n % 17, '.com'), CONCAT('Customer ', n) FROM seq WHERE n <= 3000;
INSERT INTO orders (id, customer_id, amount_cents, status)
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
              UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(n) AS (SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n + 1 FROM d a, d b, d c, d e)
SELECT n, 1 + (n * 7) % 3000, 100 + (n * 37) % 10000, CASE WHEN n % 5 = 0 THEN 'shipped' ELSE 'new' END
FROM seq WHERE n <= 6000;
