-- Seed demo tenant
-- Demo rows so the later backfill and view have something to work on. Strings may hold
-- semicolons; shardwave splits statements with each engine's own rules.
INSERT INTO users (id, email) VALUES (1, 'ada@example.com');
INSERT INTO users (id, email) VALUES (2, 'grace@example.com');
INSERT INTO accounts (id, user_id, name, plan) VALUES (1, 1, 'Analytical Engines; Ltd', 'team');
INSERT INTO accounts (id, user_id, name) VALUES (2, 2, 'Compilers Inc');
