DROP TABLE projects_history;
DROP FUNCTION projects_record_history() CASCADE;
