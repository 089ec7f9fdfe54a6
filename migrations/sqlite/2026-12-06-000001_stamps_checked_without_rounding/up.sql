-- The timestamp checks of 2026-12-04-000001, made independent of the client's SQLite version.
-- They compared `datetime(x, '+0 days')` with the text's first 19 characters, and SQLite before
-- 3.47 (Debian's sqlite3 3.40, the 3.46 that sqlx 0.8 bundles) rounds a fraction of .9995 s or
-- more up to the next second there, so such a client was refused about one in 2,000 of the
-- timestamps staffdb itself writes, even when it changed another column of that row. Now the
-- date and time are checked without their fraction (still through '+0 days', without which
-- SQLite gives back a 30 February as it was written), and the fraction, if any, must be a
-- point and 1 to 9 digits: `YYYY-MM-DD HH:MM:SS[.fffffffff]`, the form staffdb writes and reads.
DROP TRIGGER employees_readable_on_insert;
DROP TRIGGER employees_readable_on_update;
DROP TRIGGER departments_readable_on_insert;
DROP TRIGGER departments_readable_on_update;
CREATE TRIGGER employees_readable_on_insert BEFORE INSERT ON employees
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.age must be an integer')
    WHERE typeof(NEW.age) <> 'integer';
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.hired_on must be a real date, YYYY-MM-DD')
    WHERE NEW.hired_on IS NOT NULL
      AND (typeof(NEW.hired_on) <> 'text' OR date(NEW.hired_on, '+0 days') IS NOT NEW.hired_on);
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(substr(NEW.created_at, 1, 19), '+0 days') IS NOT substr(NEW.created_at, 1, 19)
       OR (length(NEW.created_at) <> 19 AND (length(NEW.created_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.created_at, 20, 1) <> '.' OR ltrim(substr(NEW.created_at, 21), '0123456789') <> ''));
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.updated_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.updated_at) <> 'text' OR datetime(substr(NEW.updated_at, 1, 19), '+0 days') IS NOT substr(NEW.updated_at, 1, 19)
       OR (length(NEW.updated_at) <> 19 AND (length(NEW.updated_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.updated_at, 20, 1) <> '.' OR ltrim(substr(NEW.updated_at, 21), '0123456789') <> ''));
END;
CREATE TRIGGER employees_readable_on_update BEFORE UPDATE ON employees
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.age must be an integer')
    WHERE typeof(NEW.age) <> 'integer';
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.hired_on must be a real date, YYYY-MM-DD')
    WHERE NEW.hired_on IS NOT NULL
      AND (typeof(NEW.hired_on) <> 'text' OR date(NEW.hired_on, '+0 days') IS NOT NEW.hired_on);
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(substr(NEW.created_at, 1, 19), '+0 days') IS NOT substr(NEW.created_at, 1, 19)
       OR (length(NEW.created_at) <> 19 AND (length(NEW.created_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.created_at, 20, 1) <> '.' OR ltrim(substr(NEW.created_at, 21), '0123456789') <> ''));
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.updated_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.updated_at) <> 'text' OR datetime(substr(NEW.updated_at, 1, 19), '+0 days') IS NOT substr(NEW.updated_at, 1, 19)
       OR (length(NEW.updated_at) <> 19 AND (length(NEW.updated_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.updated_at, 20, 1) <> '.' OR ltrim(substr(NEW.updated_at, 21), '0123456789') <> ''));
END;
CREATE TRIGGER departments_readable_on_insert BEFORE INSERT ON departments
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: departments.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(substr(NEW.created_at, 1, 19), '+0 days') IS NOT substr(NEW.created_at, 1, 19)
       OR (length(NEW.created_at) <> 19 AND (length(NEW.created_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.created_at, 20, 1) <> '.' OR ltrim(substr(NEW.created_at, 21), '0123456789') <> ''));
END;
CREATE TRIGGER departments_readable_on_update BEFORE UPDATE ON departments
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: departments.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(substr(NEW.created_at, 1, 19), '+0 days') IS NOT substr(NEW.created_at, 1, 19)
       OR (length(NEW.created_at) <> 19 AND (length(NEW.created_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.created_at, 20, 1) <> '.' OR ltrim(substr(NEW.created_at, 21), '0123456789') <> ''));
END;
INSERT INTO staffdb_schema_versions (version) VALUES ('20261206000001');
