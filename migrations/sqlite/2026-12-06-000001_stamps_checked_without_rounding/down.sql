-- Back to the checks of 2026-12-04-000001.
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
DELETE FROM staffdb_schema_versions WHERE version = '20261206000001';
