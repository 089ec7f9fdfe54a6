-- Every statement here may run twice: DDL on MySQL commits as it goes, so a migrate killed
-- midway leaves part of this done and unrecorded, and the next migrate runs it all again.
-- Who may use `staffdb serve`, and what each may do (issue 26), as Django's auth has it: roles
-- that grant actions (view, add, change, delete) on models, three of them built in, and users,
-- each with one role and an argon2 hash of their password (never the password). The rules are
-- the database's, so that a user added by another client is as well-formed as staffdb's own.
-- Names compare byte for byte (utf8mb4_bin): `Admin` is not `admin`.
CREATE TABLE IF NOT EXISTS staffdb_roles (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL UNIQUE,
    CONSTRAINT `staffdb_roles.name: 1 to 100 of a-z 0-9 _ -`
        CHECK (name REGEXP BINARY '^[a-z0-9_-]{1,100}$')
) ENGINE = InnoDB;
-- A grant: `model` is a model's plural (`employees`), `*` for every model, or `users` for the
-- users themselves (which `*` does not cover).
CREATE TABLE IF NOT EXISTS staffdb_role_permissions (
    role_id BIGINT NOT NULL,
    model VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    action VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    PRIMARY KEY (role_id, model, action),
    CONSTRAINT staffdb_role_permissions_role_fk FOREIGN KEY (role_id)
        REFERENCES staffdb_roles (id) ON DELETE CASCADE,
    CONSTRAINT `staffdb_role_permissions.model: a model's plural or *`
        CHECK (model = '*' OR model REGEXP BINARY '^[a-z0-9_]{1,100}$'),
    CONSTRAINT `staffdb_role_permissions.action: view, add, change or delete`
        CHECK (action IN ('view', 'add', 'change', 'delete'))
) ENGINE = InnoDB;
CREATE TABLE IF NOT EXISTS staffdb_users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(150) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL UNIQUE,
    password_hash VARCHAR(1000) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    role_id BIGINT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
    INDEX staffdb_users_role_id_idx (role_id),
    CONSTRAINT staffdb_users_role_fk FOREIGN KEY (role_id) REFERENCES staffdb_roles (id),
    CONSTRAINT `staffdb_users.name: 1 to 150 of a-z 0-9 @ . + _ -`
        CHECK (name REGEXP BINARY '^[a-z0-9@.+_-]{1,150}$'),
    CONSTRAINT `staffdb_users.password_hash: an argon2 hash in PHC form`
        CHECK (LEFT(password_hash, 7) = '$argon2')
) ENGINE = InnoDB;
-- Who is logged in: a session per login, found by a hash of its cookie's token (a copy of this
-- table gives no one a way in); a user's sessions go with the user.
CREATE TABLE IF NOT EXISTS staffdb_sessions (
    token_hash VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    last_seen_at DATETIME(6) NOT NULL,
    INDEX staffdb_sessions_user_id_idx (user_id),
    CONSTRAINT staffdb_sessions_user_fk FOREIGN KEY (user_id)
        REFERENCES staffdb_users (id) ON DELETE CASCADE,
    CONSTRAINT `staffdb_sessions.token_hash: 64 hex digits`
        CHECK (token_hash REGEXP BINARY '^[0-9a-f]{64}$')
) ENGINE = InnoDB;
-- API tokens for scripts (`staffdb tokens create NAME --user U`): a token acts as its user,
-- found by a hash of its secret, which is shown once and never stored.
CREATE TABLE IF NOT EXISTS staffdb_api_tokens (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    user_id BIGINT NOT NULL,
    token_hash VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL UNIQUE,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY staffdb_api_tokens_user_name (user_id, name),
    CONSTRAINT staffdb_api_tokens_user_fk FOREIGN KEY (user_id)
        REFERENCES staffdb_users (id) ON DELETE CASCADE,
    CONSTRAINT `staffdb_api_tokens.name: 1 to 100 of a-z 0-9 . _ -`
        CHECK (name REGEXP BINARY '^[a-z0-9._-]{1,100}$'),
    CONSTRAINT `staffdb_api_tokens.token_hash: 64 hex digits`
        CHECK (token_hash REGEXP BINARY '^[0-9a-f]{64}$')
) ENGINE = InnoDB;
INSERT IGNORE INTO staffdb_roles (id, name) VALUES (1, 'viewer'), (2, 'editor'), (3, 'admin');
INSERT IGNORE INTO staffdb_role_permissions (role_id, model, action) VALUES
    (1, '*', 'view'),
    (2, '*', 'view'), (2, '*', 'add'), (2, '*', 'change'), (2, '*', 'delete'),
    (3, '*', 'view'), (3, '*', 'add'), (3, '*', 'change'), (3, '*', 'delete'),
    (3, 'users', 'view'), (3, 'users', 'add'), (3, 'users', 'change'), (3, 'users', 'delete');
INSERT IGNORE INTO staffdb_schema_versions (version) VALUES ('20261207160000');
