-- Every statement here may run twice: DDL on MySQL commits as it goes, so a migrate killed
-- midway leaves part of this done and unrecorded, and the next migrate runs it all again.
-- 64-bit ids, as Django's BigAutoField: the keys and the column that refers to departments.
-- InnoDB will not change the type of a column that a foreign key uses, whatever
-- foreign_key_checks says: the key is dropped, both sides widened, and the key added back.
-- (A table of an application's with a foreign key to employees (id) must do the same with its
-- own key before this runs, and widen its column: InnoDB wants both sides of the same type.)
-- (The key is dropped only if it is there: see the note at the top. MySQL has no
-- DROP FOREIGN KEY IF EXISTS, hence the statement built from information_schema.)
SET @staffdb_drop_fk = (
    SELECT IF(COUNT(*) = 0, 'DO 0',
              'ALTER TABLE employees DROP FOREIGN KEY employees_department_id_fk')
    FROM information_schema.TABLE_CONSTRAINTS
    WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'employees'
      AND CONSTRAINT_NAME = 'employees_department_id_fk' AND CONSTRAINT_TYPE = 'FOREIGN KEY');
PREPARE staffdb_drop_fk FROM @staffdb_drop_fk;
EXECUTE staffdb_drop_fk;
DEALLOCATE PREPARE staffdb_drop_fk;
ALTER TABLE departments MODIFY id BIGINT NOT NULL AUTO_INCREMENT;
ALTER TABLE employees
    MODIFY id BIGINT NOT NULL AUTO_INCREMENT,
    MODIFY department_id BIGINT NULL,
    ADD CONSTRAINT employees_department_id_fk FOREIGN KEY (department_id)
        REFERENCES departments (id) ON DELETE SET NULL;

-- Timestamps as UTC instants that outlive 2038: DATETIME(6) holding UTC (TIMESTAMP ends at
-- 2038-01-19 03:14:07). A DATETIME is not converted by the session time zone, so the defaults
-- and the trigger say UTC_TIMESTAMP; the conversion from TIMESTAMP below reads in UTC.
SET time_zone = '+00:00';
ALTER TABLE departments MODIFY created_at DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6));
ALTER TABLE employees
    MODIFY created_at DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
    MODIFY updated_at DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6));
DROP TRIGGER IF EXISTS employees_version_bump;
CREATE TRIGGER employees_version_bump BEFORE UPDATE ON employees FOR EACH ROW
SET NEW.updated_at = IF(NEW.version = OLD.version, UTC_TIMESTAMP(6), NEW.updated_at),
    NEW.version = IF(NEW.version = OLD.version, OLD.version + 1, NEW.version);
INSERT IGNORE INTO staffdb_schema_versions (version) VALUES ('20261204000001');
