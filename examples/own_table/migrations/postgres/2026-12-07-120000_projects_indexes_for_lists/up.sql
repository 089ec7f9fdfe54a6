-- Every column the admin's list sorts or filters by leads an index (name has its UNIQUE one,
-- lead_id its own or its foreign key's), and a sortable column's ends with the id, for keyset
-- pages sorted by budget.
CREATE INDEX projects_budget_id_idx ON projects (budget, id);
