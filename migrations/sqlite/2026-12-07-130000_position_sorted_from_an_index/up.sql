-- Position is sortable too (the employees' list and their API sort by it): its index goes on
-- with the id, for keyset pages, as the other sortable columns' do since 2026-12-07-110000. It
-- replaces the index of (position) alone, which the new one serves as well (an equality filter
-- on position reads its leading column): inserts keep the number of indexes they update.
CREATE INDEX employees_position_id_idx ON employees (position, id);
DROP INDEX employees_position_idx;
INSERT INTO staffdb_schema_versions (version) VALUES ('20261207130000');
