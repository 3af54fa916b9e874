CREATE VIEW customer_summary AS
SELECT c.id, c.email_domain, c.status, c.order_count,
       COALESCE(SUM(o.amount_cents), 0) AS total_cents
FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
GROUP BY c.id, c.email_domain, c.status, c.order_count;
