DROP TRIGGER IF EXISTS projects_history_on_insert;
DROP TRIGGER IF EXISTS projects_history_on_update;
DROP TRIGGER IF EXISTS projects_history_on_delete;
DROP TABLE IF EXISTS projects_history;
