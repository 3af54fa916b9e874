-- Demo tenant databases of deploy/compose.yaml (run once by the postgres image on an
-- empty data directory). The agents connect as migrator; see fleet.conf.
CREATE ROLE migrator LOGIN PASSWORD 'demo-migrator-password';
CREATE DATABASE pg_tenant_01 OWNER migrator;
CREATE DATABASE pg_tenant_02 OWNER migrator;
CREATE DATABASE pg_tenant_03 OWNER migrator;
CREATE DATABASE pg_tenant_04 OWNER migrator;
