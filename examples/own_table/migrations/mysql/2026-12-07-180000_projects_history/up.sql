-- The history of every project, kept by the database for every client (staffdb's
-- `#[staffdb(history = projects_history)]` reads it): each version of each row, what was done,
-- when, and who — the staffdb user staffdb sets for its transaction (@staffdb_user), and the
-- database user. Every statement may run twice (MySQL's DDL commits as it goes).
CREATE TABLE IF NOT EXISTS projects_history (
    history_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    id BIGINT NOT NULL,
    name VARCHAR(200) NOT NULL,
    lead_id BIGINT,
    budget INTEGER NOT NULL,
    created_at DATETIME(6) NOT NULL,
    version INTEGER NOT NULL,
    history_operation VARCHAR(8) NOT NULL
        CHECK (history_operation IN ('baseline', 'insert', 'update', 'delete')),
    history_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
    history_user VARCHAR(150),
    history_database_user VARCHAR(384),
    INDEX projects_history_id_idx (id, history_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
INSERT INTO projects_history (id, name, lead_id, budget, created_at, version, history_operation,
                              history_database_user)
SELECT id, name, lead_id, budget, created_at, version, 'baseline', USER() FROM projects
WHERE NOT EXISTS (SELECT 1 FROM projects_history) ORDER BY id;
DROP TRIGGER IF EXISTS projects_history_on_insert;
CREATE TRIGGER projects_history_on_insert AFTER INSERT ON projects FOR EACH ROW
INSERT INTO projects_history (id, name, lead_id, budget, created_at, version, history_operation,
                              history_user, history_database_user)
VALUES (NEW.id, NEW.name, NEW.lead_id, NEW.budget, NEW.created_at, NEW.version, 'insert',
        @staffdb_user, USER());
DROP TRIGGER IF EXISTS projects_history_on_update;
CREATE TRIGGER projects_history_on_update AFTER UPDATE ON projects FOR EACH ROW
INSERT INTO projects_history (id, name, lead_id, budget, created_at, version, history_operation,
                              history_user, history_database_user)
VALUES (NEW.id, NEW.name, NEW.lead_id, NEW.budget, NEW.created_at, NEW.version, 'update',
        @staffdb_user, USER());
DROP TRIGGER IF EXISTS projects_history_on_delete;
CREATE TRIGGER projects_history_on_delete AFTER DELETE ON projects FOR EACH ROW
INSERT INTO projects_history (id, name, lead_id, budget, created_at, version, history_operation,
                              history_user, history_database_user)
VALUES (OLD.id, OLD.name, OLD.lead_id, OLD.budget, OLD.created_at, OLD.version, 'delete',
        @staffdb_user, USER());
DROP TRIGGER IF EXISTS projects_history_kept;
CREATE TRIGGER projects_history_kept BEFORE UPDATE ON projects_history FOR EACH ROW
SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a history row is never changed (projects_history)';
