-- Ids are 64-bit already: an INTEGER PRIMARY KEY is SQLite's rowid, which staffdb reads as
-- BigInt (diesel.toml: sqlite_integer_primary_key_is_bigint, which types department_id, the
-- column that refers to one, alike; SQLite stores every INTEGER in up to 64 bits).
--
-- Values staffdb can read, kept for every client: an integer age, real dates, timestamps that
-- are text in a date-time form. Triggers, not CHECKs: adding a CHECK means rebuilding the table,
-- and the DROP TABLE of a rebuild fires the ON DELETE actions of every table that references
-- employees (an application's own, say), which a migration running inside a transaction cannot
-- turn off. The messages start as SQLite's own CHECK failures do, and are classified alike.
CREATE TRIGGER employees_readable_on_insert BEFORE INSERT ON employees
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.age must be an integer')
    WHERE typeof(NEW.age) <> 'integer';
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.hired_on must be a real date, YYYY-MM-DD')
    WHERE NEW.hired_on IS NOT NULL
      AND (typeof(NEW.hired_on) <> 'text' OR date(NEW.hired_on, '+0 days') IS NOT NEW.hired_on);
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(NEW.created_at, '+0 days') IS NOT substr(NEW.created_at, 1, 19);
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.updated_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.updated_at) <> 'text' OR datetime(NEW.updated_at, '+0 days') IS NOT substr(NEW.updated_at, 1, 19);
END;
CREATE TRIGGER employees_readable_on_update BEFORE UPDATE ON employees
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.age must be an integer')
    WHERE typeof(NEW.age) <> 'integer';
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.hired_on must be a real date, YYYY-MM-DD')
    WHERE NEW.hired_on IS NOT NULL
      AND (typeof(NEW.hired_on) <> 'text' OR date(NEW.hired_on, '+0 days') IS NOT NEW.hired_on);
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(NEW.created_at, '+0 days') IS NOT substr(NEW.created_at, 1, 19);
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.updated_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.updated_at) <> 'text' OR datetime(NEW.updated_at, '+0 days') IS NOT substr(NEW.updated_at, 1, 19);
END;
CREATE TRIGGER departments_readable_on_insert BEFORE INSERT ON departments
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: departments.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(NEW.created_at, '+0 days') IS NOT substr(NEW.created_at, 1, 19);
END;
CREATE TRIGGER departments_readable_on_update BEFORE UPDATE ON departments
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: departments.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(NEW.created_at, '+0 days') IS NOT substr(NEW.created_at, 1, 19);
END;
INSERT INTO staffdb_schema_versions (version) VALUES ('20261204000001');
