-- Invariants every client keeps, not only staffdb (the sqlite3 shell, another ORM):
-- - an email is unique whatever its case: a NOCASE index beside the column's own UNIQUE
--   (staffdb names such indexes <table>_<column>_nocase_idx; its error messages rely on it);
-- - an UPDATE that leaves `version` alone bumps it and sets `updated_at`, so optimistic locking
--   sees every client's writes. staffdb's own updates set `version = version + 1` themselves, so
--   the trigger never fires for them; its own UPDATE sets a new version, so it never fires twice.
CREATE UNIQUE INDEX employees_email_nocase_idx ON employees (email COLLATE NOCASE);
CREATE TRIGGER employees_version_bump AFTER UPDATE ON employees
WHEN NEW.version = OLD.version
BEGIN
    UPDATE employees
    SET version = OLD.version + 1, updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
    WHERE id = NEW.id;
END;
INSERT INTO staffdb_schema_versions (version) VALUES ('20261202090000');
