-- The history of every project, kept by the database for every client (staffdb's
-- `#[staffdb(history = projects_history)]` reads it): each version of each row, what was done,
-- when, and who — the staffdb user, which staffdb writes into staffdb_actor for its
-- transaction (staffdb's migration 2026-12-07-170000 made that table).
CREATE TABLE projects_history (
    history_id INTEGER PRIMARY KEY NOT NULL,
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    lead_id BIGINT,
    budget INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    history_operation TEXT NOT NULL
        CHECK (history_operation IN ('baseline', 'insert', 'update', 'delete')),
    history_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    history_user TEXT,
    history_database_user TEXT
);
CREATE INDEX projects_history_id_idx ON projects_history (id, history_id);
INSERT INTO projects_history (id, name, lead_id, budget, created_at, version, history_operation)
SELECT id, name, lead_id, budget, created_at, version, 'baseline' FROM projects ORDER BY id;
CREATE TRIGGER projects_history_on_insert AFTER INSERT ON projects BEGIN
    INSERT INTO projects_history (id, name, lead_id, budget, created_at, version,
                                  history_operation, history_user)
    VALUES (NEW.id, NEW.name, NEW.lead_id, NEW.budget, NEW.created_at, NEW.version, 'insert',
            (SELECT user_name FROM staffdb_actor WHERE id = 1));
END;
CREATE TRIGGER projects_history_on_update AFTER UPDATE ON projects BEGIN
    INSERT INTO projects_history (id, name, lead_id, budget, created_at, version,
                                  history_operation, history_user)
    VALUES (NEW.id, NEW.name, NEW.lead_id, NEW.budget, NEW.created_at, NEW.version, 'update',
            (SELECT user_name FROM staffdb_actor WHERE id = 1));
END;
CREATE TRIGGER projects_history_on_delete AFTER DELETE ON projects BEGIN
    INSERT INTO projects_history (id, name, lead_id, budget, created_at, version,
                                  history_operation, history_user)
    VALUES (OLD.id, OLD.name, OLD.lead_id, OLD.budget, OLD.created_at, OLD.version, 'delete',
            (SELECT user_name FROM staffdb_actor WHERE id = 1));
END;
CREATE TRIGGER projects_history_kept BEFORE UPDATE ON projects_history BEGIN
    SELECT RAISE(ABORT, 'a history row is never changed (projects_history)');
END;
