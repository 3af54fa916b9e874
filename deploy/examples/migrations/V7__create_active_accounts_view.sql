-- Create active accounts view
CREATE VIEW active_accounts AS
SELECT a.id, a.name, a.plan, u.email
FROM accounts a
JOIN users u ON u.id = a.user_id
WHERE u.status = 'active';
