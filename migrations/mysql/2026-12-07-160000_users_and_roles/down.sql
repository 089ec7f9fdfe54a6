DROP TABLE IF EXISTS staffdb_api_tokens;
DROP TABLE IF EXISTS staffdb_sessions;
DROP TABLE IF EXISTS staffdb_users;
DROP TABLE IF EXISTS staffdb_role_permissions;
DROP TABLE IF EXISTS staffdb_roles;
DELETE FROM staffdb_schema_versions WHERE version = '20261207160000';
