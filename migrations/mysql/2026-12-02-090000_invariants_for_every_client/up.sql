-- Every statement here may run twice: DDL on MySQL commits as it goes, so a migrate killed
-- midway leaves part of this done and unrecorded, and the next migrate runs it all again.
-- Invariants every client keeps, not only staffdb (the mariadb client, another ORM):
-- - an email is unique whatever its case: the column's collation becomes case-insensitive, so
--   its UNIQUE key is;
-- - an UPDATE that leaves `version` alone bumps it and sets `updated_at`, so optimistic locking
--   sees every client's writes. staffdb's own updates set `version = version + 1` themselves, so
--   the trigger changes nothing for them. `updated_at` is assigned first: it reads the version
--   before the bump. One statement, so that no client needs a DELIMITER to run it.
ALTER TABLE employees MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL;
DROP TRIGGER IF EXISTS employees_version_bump;
CREATE TRIGGER employees_version_bump BEFORE UPDATE ON employees FOR EACH ROW
SET NEW.updated_at = IF(NEW.version = OLD.version, CURRENT_TIMESTAMP(6), NEW.updated_at),
    NEW.version = IF(NEW.version = OLD.version, OLD.version + 1, NEW.version);
INSERT IGNORE INTO staffdb_schema_versions (version) VALUES ('20261202090000');
