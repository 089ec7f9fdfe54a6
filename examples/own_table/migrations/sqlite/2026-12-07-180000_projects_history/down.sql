DROP TABLE projects_history;
DROP TRIGGER projects_history_on_insert;
DROP TRIGGER projects_history_on_update;
DROP TRIGGER projects_history_on_delete;
