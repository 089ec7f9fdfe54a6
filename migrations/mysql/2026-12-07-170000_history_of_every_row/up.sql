-- Every statement here may run twice: DDL on MySQL commits as it goes, so a migrate killed
-- midway leaves part of this done and unrecorded, and the next migrate runs it all again.
-- A history of every row of employees and departments (issue 26), kept by the database itself,
-- so that it records every client's writes (staffdb's, the mariadb client's, another ORM's), as
-- the version trigger does: a table per model holding each version of each row — the whole row,
-- what was done (insert, update, delete; `baseline` for the rows already there when this ran),
-- when, and who: the staffdb user for writes through staffdb, which sets the session variable
-- @staffdb_user for its transaction and clears it after, and the database user always.
--
-- Triggers, not MariaDB's system versioning (WITH SYSTEM VERSIONING): a versioned table keeps
-- the old rows but not who wrote them nor how (no operation, no actor; adding them means columns
-- on the table itself), every ALTER of it needs system_versioning_alter_history, MySQL has no
-- such thing at all, and PostgreSQL and SQLite need the triggers anyway: one design, one reader.
-- One limit that MySQL and MariaDB put on every trigger: the changes a foreign key's ON DELETE
-- makes (employees.department_id set to NULL when its department goes) fire none, so they are
-- not in the history there; on PostgreSQL and SQLite they are.

CREATE TABLE IF NOT EXISTS staffdb_actor (
    -- Unused on MySQL (see above); SQLite's triggers read who acts from it, and the table is on
    -- every backend so that the schema is the same on all three.
    id BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    user_name VARCHAR(150) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS departments_history (
    history_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    id BIGINT NOT NULL,
    name VARCHAR(200) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    history_operation VARCHAR(8) NOT NULL
        CHECK (history_operation IN ('baseline', 'insert', 'update', 'delete')),
    history_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
    history_user VARCHAR(150),
    history_database_user VARCHAR(384),
    INDEX departments_history_id_idx (id, history_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO departments_history (id, name, created_at, history_operation, history_database_user)
SELECT id, name, created_at, 'baseline', USER() FROM departments
WHERE NOT EXISTS (SELECT 1 FROM departments_history) ORDER BY id;

DROP TRIGGER IF EXISTS departments_history_on_insert;
CREATE TRIGGER departments_history_on_insert AFTER INSERT ON departments FOR EACH ROW
INSERT INTO departments_history (id, name, created_at, history_operation, history_user,
                                 history_database_user)
VALUES (NEW.id, NEW.name, NEW.created_at, 'insert', @staffdb_user, USER());
DROP TRIGGER IF EXISTS departments_history_on_update;
CREATE TRIGGER departments_history_on_update AFTER UPDATE ON departments FOR EACH ROW
INSERT INTO departments_history (id, name, created_at, history_operation, history_user,
                                 history_database_user)
VALUES (NEW.id, NEW.name, NEW.created_at, 'update', @staffdb_user, USER());
DROP TRIGGER IF EXISTS departments_history_on_delete;
CREATE TRIGGER departments_history_on_delete AFTER DELETE ON departments FOR EACH ROW
INSERT INTO departments_history (id, name, created_at, history_operation, history_user,
                                 history_database_user)
VALUES (OLD.id, OLD.name, OLD.created_at, 'delete', @staffdb_user, USER());
DROP TRIGGER IF EXISTS departments_history_kept;
CREATE TRIGGER departments_history_kept BEFORE UPDATE ON departments_history FOR EACH ROW
SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a history row is never changed (departments_history)';

CREATE TABLE IF NOT EXISTS employees_history (
    history_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    id BIGINT NOT NULL,
    name VARCHAR(200) NOT NULL,
    age INT NOT NULL,
    position VARCHAR(200) NOT NULL,
    email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    department_id BIGINT,
    hired_on DATE,
    version INT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    history_operation VARCHAR(8) NOT NULL
        CHECK (history_operation IN ('baseline', 'insert', 'update', 'delete')),
    history_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
    history_user VARCHAR(150),
    history_database_user VARCHAR(384),
    INDEX employees_history_id_idx (id, history_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on, version,
                               created_at, updated_at, history_operation, history_database_user)
SELECT id, name, age, position, email, department_id, hired_on, version, created_at, updated_at,
       'baseline', USER()
FROM employees WHERE NOT EXISTS (SELECT 1 FROM employees_history) ORDER BY id;

DROP TRIGGER IF EXISTS employees_history_on_insert;
CREATE TRIGGER employees_history_on_insert AFTER INSERT ON employees FOR EACH ROW
INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on, version,
                               created_at, updated_at, history_operation, history_user,
                               history_database_user)
VALUES (NEW.id, NEW.name, NEW.age, NEW.position, NEW.email, NEW.department_id, NEW.hired_on,
        NEW.version, NEW.created_at, NEW.updated_at, 'insert', @staffdb_user, USER());
DROP TRIGGER IF EXISTS employees_history_on_update;
CREATE TRIGGER employees_history_on_update AFTER UPDATE ON employees FOR EACH ROW
INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on, version,
                               created_at, updated_at, history_operation, history_user,
                               history_database_user)
VALUES (NEW.id, NEW.name, NEW.age, NEW.position, NEW.email, NEW.department_id, NEW.hired_on,
        NEW.version, NEW.created_at, NEW.updated_at, 'update', @staffdb_user, USER());
DROP TRIGGER IF EXISTS employees_history_on_delete;
CREATE TRIGGER employees_history_on_delete AFTER DELETE ON employees FOR EACH ROW
INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on, version,
                               created_at, updated_at, history_operation, history_user,
                               history_database_user)
VALUES (OLD.id, OLD.name, OLD.age, OLD.position, OLD.email, OLD.department_id, OLD.hired_on,
        OLD.version, OLD.created_at, OLD.updated_at, 'delete', @staffdb_user, USER());
DROP TRIGGER IF EXISTS employees_history_kept;
CREATE TRIGGER employees_history_kept BEFORE UPDATE ON employees_history FOR EACH ROW
SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a history row is never changed (employees_history)';

INSERT IGNORE INTO staffdb_schema_versions (version) VALUES ('20261207170000');
