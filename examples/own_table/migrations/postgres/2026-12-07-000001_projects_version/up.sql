-- Optimistic locking: staffdb's update sets version = version + 1 (and update_if_version
-- applies only to the version a client read).
ALTER TABLE projects ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
