-- The history of every project, kept by the database for every client (staffdb's
-- `#[staffdb(history = projects_history)]` reads it): each version of each row, what was done,
-- when, and who — the staffdb user staffdb sets for its transaction (`staffdb.user`), and the
-- database user. Triggers per statement, with transition tables: a COPY's rows in one INSERT.
-- staffdb's own migration 2026-12-07-170000 made staffdb_history_is_kept(), which refuses a
-- change to a history row.
CREATE TABLE projects_history (
    history_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    LIKE projects,
    history_operation TEXT NOT NULL
        CHECK (history_operation IN ('baseline', 'insert', 'update', 'delete')),
    history_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    history_user TEXT,
    history_database_user TEXT DEFAULT current_user
);
CREATE INDEX projects_history_id_idx ON projects_history (id, history_id);
-- The projects already there begin their history.
INSERT INTO projects_history (id, name, lead_id, budget, created_at, version, history_operation)
SELECT id, name, lead_id, budget, created_at, version, 'baseline' FROM projects ORDER BY id;

CREATE FUNCTION projects_record_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO projects_history (id, name, lead_id, budget, created_at, version,
                                  history_operation, history_user)
    SELECT id, name, lead_id, budget, created_at, version, lower(TG_OP),
           NULLIF(current_setting('staffdb.user', true), '')
    FROM changed_rows;
    RETURN NULL;
END
$$;
CREATE TRIGGER projects_history_on_insert AFTER INSERT ON projects
REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_record_history();
CREATE TRIGGER projects_history_on_update AFTER UPDATE ON projects
REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_record_history();
CREATE TRIGGER projects_history_on_delete AFTER DELETE ON projects
REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_record_history();
CREATE TRIGGER projects_history_kept BEFORE UPDATE ON projects_history
FOR EACH STATEMENT EXECUTE FUNCTION staffdb_history_is_kept();
