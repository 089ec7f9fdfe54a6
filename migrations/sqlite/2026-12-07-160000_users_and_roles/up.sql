-- Who may use `staffdb serve`, and what each may do (issue 26), as Django's auth has it: roles
-- that grant actions (view, add, change, delete) on models, three of them built in, and users,
-- each with one role and an argon2 hash of their password (never the password). The rules are
-- the database's, so that a user added by another client is as well-formed as staffdb's own.
CREATE TABLE staffdb_roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL UNIQUE
        CONSTRAINT "staffdb_roles.name: 1 to 100 of a-z 0-9 _ -"
        CHECK (typeof(name) = 'text' AND length(name) BETWEEN 1 AND 100
               AND name NOT GLOB '*[^a-z0-9_-]*')
);
-- A grant: `model` is a model's plural (`employees`), `*` for every model, or `users` for the
-- users themselves (which `*` does not cover).
CREATE TABLE staffdb_role_permissions (
    role_id BIGINT NOT NULL REFERENCES staffdb_roles (id) ON DELETE CASCADE,
    model TEXT NOT NULL
        CONSTRAINT "staffdb_role_permissions.model: a model's plural or *"
        CHECK (typeof(model) = 'text' AND length(model) BETWEEN 1 AND 100
               AND (model = '*' OR model NOT GLOB '*[^a-z0-9_]*')),
    action TEXT NOT NULL
        CONSTRAINT "staffdb_role_permissions.action: view, add, change or delete"
        CHECK (action IN ('view', 'add', 'change', 'delete')),
    PRIMARY KEY (role_id, model, action)
);
CREATE TABLE staffdb_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL UNIQUE
        CONSTRAINT "staffdb_users.name: 1 to 150 of a-z 0-9 @ . + _ -"
        CHECK (typeof(name) = 'text' AND length(name) BETWEEN 1 AND 150
               AND name NOT GLOB '*[^a-z0-9@.+_-]*'),
    password_hash TEXT NOT NULL
        CONSTRAINT "staffdb_users.password_hash: an argon2 hash in PHC form"
        CHECK (typeof(password_hash) = 'text' AND substr(password_hash, 1, 7) = '$argon2'
               AND length(password_hash) <= 1000),
    role_id BIGINT NOT NULL REFERENCES staffdb_roles (id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE
        CONSTRAINT "staffdb_users.disabled: 0 or 1"
        CHECK (disabled IN (0, 1)),
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
        CONSTRAINT "staffdb_users.created_at: a date-time text, YYYY-MM-DD HH:MM:SS"
        CHECK (typeof(created_at) = 'text'
               AND datetime(substr(created_at, 1, 19), '+0 days') IS substr(created_at, 1, 19)
               AND (length(created_at) = 19
                    OR (length(created_at) BETWEEN 21 AND 29 AND substr(created_at, 20, 1) = '.'
                        AND ltrim(substr(created_at, 21), '0123456789') = '')))
);
CREATE INDEX staffdb_users_role_id_idx ON staffdb_users (role_id);
-- Who is logged in: a session per login, found by a hash of its cookie's token (a copy of this
-- table gives no one a way in); a user's sessions go with the user.
CREATE TABLE staffdb_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL
        CONSTRAINT "staffdb_sessions.token_hash: 64 hex digits"
        CHECK (typeof(token_hash) = 'text' AND length(token_hash) = 64
               AND token_hash NOT GLOB '*[^0-9a-f]*'),
    user_id BIGINT NOT NULL REFERENCES staffdb_users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX staffdb_sessions_user_id_idx ON staffdb_sessions (user_id);
-- API tokens for scripts (`staffdb tokens create NAME --user U`): a token acts as its user,
-- found by a hash of its secret, which is shown once and never stored.
CREATE TABLE staffdb_api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL
        CONSTRAINT "staffdb_api_tokens.name: 1 to 100 of a-z 0-9 . _ -"
        CHECK (typeof(name) = 'text' AND length(name) BETWEEN 1 AND 100
               AND name NOT GLOB '*[^a-z0-9._-]*'),
    user_id BIGINT NOT NULL REFERENCES staffdb_users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE
        CONSTRAINT "staffdb_api_tokens.token_hash: 64 hex digits"
        CHECK (typeof(token_hash) = 'text' AND length(token_hash) = 64
               AND token_hash NOT GLOB '*[^0-9a-f]*'),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, name)
);
INSERT INTO staffdb_roles (id, name) VALUES (1, 'viewer'), (2, 'editor'), (3, 'admin');
INSERT INTO staffdb_role_permissions (role_id, model, action) VALUES
    (1, '*', 'view'),
    (2, '*', 'view'), (2, '*', 'add'), (2, '*', 'change'), (2, '*', 'delete'),
    (3, '*', 'view'), (3, '*', 'add'), (3, '*', 'change'), (3, '*', 'delete'),
    (3, 'users', 'view'), (3, 'users', 'add'), (3, 'users', 'change'), (3, 'users', 'delete');
INSERT INTO staffdb_schema_versions (version) VALUES ('20261207160000');
