-- COLLATE "C": text sorts by code point, as on SQLite and MySQL (utf8mb4_bin), whatever the
-- server locale.
-- TIMESTAMP (without time zone) holding UTC: the one timestamp type all three backends share.
CREATE TABLE departments (
    id SERIAL PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
