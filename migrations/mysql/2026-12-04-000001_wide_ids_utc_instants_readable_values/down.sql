SET time_zone = '+00:00';
DROP TRIGGER employees_version_bump;
CREATE TRIGGER employees_version_bump BEFORE UPDATE ON employees FOR EACH ROW
SET NEW.updated_at = IF(NEW.version = OLD.version, CURRENT_TIMESTAMP(6), NEW.updated_at),
    NEW.version = IF(NEW.version = OLD.version, OLD.version + 1, NEW.version);
ALTER TABLE employees
    MODIFY created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    MODIFY updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
ALTER TABLE departments MODIFY created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
ALTER TABLE employees DROP FOREIGN KEY employees_department_id_fk;
ALTER TABLE departments MODIFY id INTEGER NOT NULL AUTO_INCREMENT;
ALTER TABLE employees
    MODIFY id INTEGER NOT NULL AUTO_INCREMENT,
    MODIFY department_id INTEGER NULL,
    ADD CONSTRAINT employees_department_id_fk FOREIGN KEY (department_id)
        REFERENCES departments (id) ON DELETE SET NULL;
DELETE FROM staffdb_schema_versions WHERE version = '20261204000001';
