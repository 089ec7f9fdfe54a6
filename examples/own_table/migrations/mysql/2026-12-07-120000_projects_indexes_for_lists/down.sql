DROP INDEX projects_budget_id_idx ON projects;
