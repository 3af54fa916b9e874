-- Demo tenant databases of deploy/compose.yaml (run once by the mariadb image on an
-- empty data directory). The agents connect as migrator; see fleet.conf.
CREATE USER 'migrator'@'%' IDENTIFIED BY 'demo-migrator-password';
CREATE DATABASE my_tenant_01;
CREATE DATABASE my_tenant_02;
CREATE DATABASE my_tenant_03;
CREATE DATABASE my_tenant_04;
GRANT ALL PRIVILEGES ON `my\_tenant\_%`.* TO 'migrator'@'%';
