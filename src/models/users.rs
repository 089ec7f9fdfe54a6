//! The users of `staffdb serve` and their roles (tables `staffdb_users`, `staffdb_roles`,
//! `staffdb_role_permissions`), as Django's `auth` has them: a role grants actions — view, add,
//! change, delete — on models, and each user has one role and an argon2 hash of their password.
//!
//! Three roles are built in (the migration adds them): `viewer` views every model; `editor`
//! views, adds, changes and deletes every model; `admin` does that and manages the users. A grant
//! names a model by its plural (`employees`), `*` for every model, or `users`, which `*` does
//! not cover.
//!
//! ```
//! use staffdb::{Action, Database, Password, User};
//!
//! let db = Database::open(":memory:")?;
//! let password = Password::new("correct horse battery")?;
//! let ann = db.transaction(|s| User::add(s, "ann", "viewer", &password))?;
//! assert_eq!((ann.name.as_str(), ann.role.as_str()), ("ann", "viewer"));
//!
//! let mut s = db.session()?;
//! let found = User::authenticate(&mut s, "ann", "correct horse battery")?.expect("her password");
//! let may = User::permissions(&mut s, &found)?;
//! assert!(may.allows("employees", Action::View));
//! assert!(!may.allows("employees", Action::Change));
//! assert!(User::authenticate(&mut s, "ann", "wrong")?.is_none());
//! # Ok::<(), staffdb::Error>(())
//! ```

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::schema::{
    staffdb_api_tokens, staffdb_role_permissions, staffdb_roles, staffdb_sessions, staffdb_users,
};
use crate::{Error, Result, Session};

/// The longest user name (the schema's limit).
pub const MAX_USER_NAME_CHARS: usize = 150;
/// The shortest password taken.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password taken, in bytes: argon2 hashes any length, but a megabyte of password
/// is a way to make the server work, not a password.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// What a role may do to a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Read its rows.
    View,
    /// Add rows.
    Add,
    /// Change rows.
    Change,
    /// Delete rows.
    Delete,
}

impl Action {
    /// Every action, in the order Django lists them.
    pub const ALL: [Action; 4] = [Action::View, Action::Add, Action::Change, Action::Delete];

    /// The action's name as stored: `view`, `add`, `change`, `delete`.
    pub fn name(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Add => "add",
            Action::Change => "change",
            Action::Delete => "delete",
        }
    }

    fn named(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How long a login lasts, however busy.
pub const SESSION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 60 * 60);
/// How long a login lasts without a request.
pub const SESSION_IDLE: std::time::Duration = std::time::Duration::from_secs(2 * 60 * 60);

/// The model name a grant uses for the users themselves (`*` does not cover it).
pub const USERS_MODEL: &str = "users";

/// A password as typed, checked for length; its `Debug` does not show it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// A password of at least [`MIN_PASSWORD_CHARS`] characters and at most
    /// [`MAX_PASSWORD_BYTES`] bytes, without a NUL.
    pub fn new(password: impl Into<String>) -> Result<Password> {
        let password = password.into();
        let refuse = |reason: String| Err(Error::validation("password", reason));
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return refuse(format!("must be at least {MIN_PASSWORD_CHARS} characters"));
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return refuse(format!("must be at most {MAX_PASSWORD_BYTES} bytes"));
        }
        if password.contains('\0') {
            return refuse("must not contain NUL".into());
        }
        Ok(Password(password))
    }

    /// The password's argon2id hash in PHC form, with a fresh random salt.
    fn hash(&self) -> Result<String> {
        let salt = SaltString::generate(&mut rand_core::OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::validation("password", format!("could not be hashed: {e}")))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

/// A user, as `users list` shows one: never the password's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Assigned by the database.
    pub id: i64,
    /// Lowercase ASCII letters, digits and `@.+_-`, at most 150.
    pub name: String,
    /// The role's name: `viewer`, `editor`, `admin`, or one of the application's.
    pub role: String,
    /// A disabled user cannot log in.
    pub disabled: bool,
    /// When the user was added (UTC).
    #[serde(with = "super::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// An API token, as `tokens list` shows one: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Its name, unique per user: lowercase ASCII letters, digits and `._-`.
    pub name: String,
    /// The user it acts as.
    pub user: String,
    /// When it was created (UTC).
    #[serde(with = "super::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// The prefix of every token's secret, so that a leaked one is recognisable (in a log, a
/// repository's scan).
pub const TOKEN_PREFIX: &str = "staffdb_";

/// What a user's role grants: `(model, action)` pairs, `*` for every model but the users.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Permissions {
    grants: Vec<(String, Action)>,
}

impl Permissions {
    /// Whether the role may do `action` to `model` (a model's plural, or [`USERS_MODEL`]).
    pub fn allows(&self, model: &str, action: Action) -> bool {
        self.grants.iter().any(|(granted, a)| {
            *a == action && (granted == model || (granted == "*" && model != USERS_MODEL))
        })
    }
}

/// A role: its name and what it grants, as `roles list` shows one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    /// Lowercase ASCII letters, digits, `_` and `-`.
    pub name: String,
    /// `(model, action)`: a model's plural, `*` for every model but the users, or `users`.
    pub grants: Vec<(String, Action)>,
}

/// The roles the migration adds, which cannot be removed.
pub const BUILT_IN_ROLES: [&str; 3] = ["viewer", "editor", "admin"];

impl Role {
    /// Adds a role that grants `grants` (a model's plural, `*` or `users`, with an action).
    /// A taken name is a [`UniqueViolation`](Error::UniqueViolation); a role must grant
    /// something.
    pub fn add(session: &mut Session, name: &str, grants: &[(String, Action)]) -> Result<Role> {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c);
        if name.is_empty() || name.len() > 100 || !name.chars().all(allowed) {
            let reason = "must be 1 to 100 of a-z, 0-9, `_` and `-`".to_owned();
            return Err(Error::validation("role name", reason));
        }
        if grants.is_empty() {
            return Err(Error::validation(
                "grant",
                "a role must grant something".to_owned(),
            ));
        }
        let model_ok = |m: &str| {
            m == "*"
                || (!m.is_empty()
                    && m.len() <= 100
                    && m.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        };
        if let Some((model, _)) = grants.iter().find(|(m, _)| !model_ok(m)) {
            let reason = format!("`{model}` is not a model's plural (a-z, 0-9, `_`) or `*`");
            return Err(Error::validation("grant", reason));
        }
        let added = session.run(|c| {
            crate::with_connection!(c, |c| diesel::insert_into(staffdb_roles::table)
                .values(staffdb_roles::name.eq(name))
                .execute(c))
        });
        added.map_err(|e| {
            e.with_unique_detail(|| format!("a role named `{name}` already exists"))
        })?;
        let id = role_id(session, name)?;
        let mut unique: Vec<(String, Action)> = grants.to_vec();
        unique.sort_by(|a, b| (&a.0, a.1.name()).cmp(&(&b.0, b.1.name())));
        unique.dedup();
        let rows: Vec<_> = unique
            .iter()
            .map(|(model, action)| {
                (
                    staffdb_role_permissions::role_id.eq(id),
                    staffdb_role_permissions::model.eq(model.as_str()),
                    staffdb_role_permissions::action.eq(action.name()),
                )
            })
            .collect();
        session.run(|c| {
            crate::with_connection!(c, |c| diesel::insert_into(staffdb_role_permissions::table)
                .values(&rows)
                .execute(c))
        })?;
        Ok(Role {
            name: name.to_owned(),
            grants: unique,
        })
    }

    /// Every role, by id (the built-in ones first), with what it grants.
    pub fn all(session: &mut Session) -> Result<Vec<Role>> {
        let rows: Vec<(String, Option<String>, Option<String>)> = session.run(|c| {
            crate::with_connection!(c, |c| staffdb_roles::table
                .left_join(staffdb_role_permissions::table)
                .select((
                    staffdb_roles::name,
                    staffdb_role_permissions::model.nullable(),
                    staffdb_role_permissions::action.nullable(),
                ))
                .order((
                    staffdb_roles::id,
                    staffdb_role_permissions::model.nullable(),
                    staffdb_role_permissions::action.nullable(),
                ))
                .load(c))
        })?;
        let mut roles: Vec<Role> = Vec::new();
        for (name, model, action) in rows {
            if roles.last().is_none_or(|r| r.name != name) {
                roles.push(Role {
                    name: name.clone(),
                    grants: Vec::new(),
                });
            }
            let granted = model.zip(action.as_deref().and_then(Action::named));
            if let (Some(role), Some(grant)) = (roles.last_mut(), granted) {
                role.grants.push(grant);
            }
        }
        Ok(roles)
    }

    /// Removes the role named `name`: not a built-in one, nor one a user has.
    pub fn remove(session: &mut Session, name: &str) -> Result<()> {
        if BUILT_IN_ROLES.contains(&name) {
            let reason = format!("the role `{name}` is built in and cannot be removed");
            return Err(Error::Refused { reason });
        }
        let id = role_id(session, name)?;
        let users: i64 = session.run(|c| {
            crate::with_connection!(c, |c| staffdb_users::table
                .filter(staffdb_users::role_id.eq(id))
                .count()
                .get_result(c))
        })?;
        if users > 0 {
            let reason = format!("{users} user(s) have the role `{name}`: give them another first");
            return Err(Error::Refused { reason });
        }
        session.run(|c| {
            crate::with_connection!(c, |c| diesel::delete(staffdb_roles::table)
                .filter(staffdb_roles::id.eq(id))
                .execute(c))
        })?;
        Ok(())
    }
}

impl std::str::FromStr for Action {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Action, String> {
        Action::named(text).ok_or_else(|| format!("`{text}` is not view, add, change or delete"))
    }
}

type UserRow = (i64, String, String, bool, NaiveDateTime);

fn user_of((id, name, role, disabled, created_at): UserRow) -> User {
    User {
        id,
        name,
        role,
        disabled,
        created_at,
    }
}

/// A user name as stored: the given one lowercased, checked as the schema checks it.
fn user_name(name: &str) -> Result<String> {
    let name = name.to_lowercase();
    let refuse = |reason: &str| Err(Error::validation("user name", reason.to_owned()));
    if name.is_empty() {
        return refuse("must not be empty");
    }
    if name.chars().count() > MAX_USER_NAME_CHARS {
        return refuse("must be at most 150 characters");
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "@.+_-".contains(c);
    if !name.chars().all(allowed) {
        return refuse("may hold only ASCII letters, digits and @ . + _ -");
    }
    Ok(name)
}

impl User {
    /// Adds a user with `role` (`viewer`, `editor`, `admin` or another stored role); the name
    /// is stored lowercased. A taken name is a [`UniqueViolation`](Error::UniqueViolation), an
    /// unknown role a [`Validation`](Error::Validation) error naming the roles there are.
    pub fn add(session: &mut Session, name: &str, role: &str, password: &Password) -> Result<User> {
        let name = user_name(name)?;
        let role_id = role_id(session, role)?;
        let hash = password.hash()?;
        let added = session.run(|c| {
            crate::with_connection!(c, |c| diesel::insert_into(staffdb_users::table)
                .values((
                    staffdb_users::name.eq(&name),
                    staffdb_users::password_hash.eq(&hash),
                    staffdb_users::role_id.eq(role_id),
                ))
                .execute(c))
        });
        added.map_err(|e| {
            e.with_unique_detail(|| format!("a user named `{name}` already exists"))
        })?;
        Self::find(session, &name)?.ok_or_else(|| no_user(&name))
    }

    /// Every user, by name.
    pub fn all(session: &mut Session) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = session.run(|c| {
            crate::with_connection!(c, |c| staffdb_users::table
                .inner_join(staffdb_roles::table)
                .select(user_columns())
                .order(staffdb_users::name)
                .load(c))
        })?;
        Ok(rows.into_iter().map(user_of).collect())
    }

    /// The user named `name` (in any case), if there is one.
    pub fn find(session: &mut Session, name: &str) -> Result<Option<User>> {
        let Ok(name) = user_name(name) else {
            return Ok(None);
        };
        let row: Option<UserRow> = session.run(|c| {
            crate::with_connection!(c, |c| staffdb_users::table
                .inner_join(staffdb_roles::table)
                .filter(staffdb_users::name.eq(&name))
                .select(user_columns())
                .first(c)
                .optional())
        })?;
        Ok(row.map(user_of))
    }

    /// The user whose name and password these are, if enabled; `None` otherwise — whichever
    /// of the three it was, and after the same argon2 work, so that neither the answer nor its
    /// time tells whether the name exists.
    pub fn authenticate(session: &mut Session, name: &str, password: &str) -> Result<Option<User>> {
        let stored: Option<(String, bool)> = match user_name(name) {
            Ok(name) => session.run(|c| {
                crate::with_connection!(c, |c| staffdb_users::table
                    .filter(staffdb_users::name.eq(&name))
                    .select((staffdb_users::password_hash, staffdb_users::disabled))
                    .first(c)
                    .optional())
            })?,
            Err(_) => None,
        };
        let hash = stored.as_ref().map_or(UNKNOWN_USER_HASH, |(hash, _)| hash);
        let matches = password.len() <= MAX_PASSWORD_BYTES
            && PasswordHash::new(hash).is_ok_and(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            });
        match stored {
            Some((_, false)) if matches => Self::find(session, name),
            _ => Ok(None),
        }
    }

    /// What `user`'s role grants.
    pub fn permissions(session: &mut Session, user: &User) -> Result<Permissions> {
        let rows: Vec<(String, String)> = session.run(|c| {
            crate::with_connection!(c, |c| staffdb_role_permissions::table
                .inner_join(staffdb_roles::table)
                .filter(staffdb_roles::name.eq(&user.role))
                .select((
                    staffdb_role_permissions::model,
                    staffdb_role_permissions::action
                ))
                .load(c))
        })?;
        let grants = rows
            .into_iter()
            .filter_map(|(model, action)| Action::named(&action).map(|a| (model, a)))
            .collect();
        Ok(Permissions { grants })
    }

    /// Gives the user named `name` a new password.
    pub fn set_password(session: &mut Session, name: &str, password: &Password) -> Result<User> {
        let hash = password.hash()?;
        Self::change(session, name, |name, c| {
            crate::with_connection!(c, |c| diesel::update(staffdb_users::table)
                .filter(staffdb_users::name.eq(name))
                .set(staffdb_users::password_hash.eq(&hash))
                .execute(c))
        })
    }

    /// Disables (or enables again) the user named `name`: a disabled user cannot log in.
    pub fn set_disabled(session: &mut Session, name: &str, disabled: bool) -> Result<User> {
        Self::change(session, name, |name, c| {
            crate::with_connection!(c, |c| diesel::update(staffdb_users::table)
                .filter(staffdb_users::name.eq(name))
                .set(staffdb_users::disabled.eq(disabled))
                .execute(c))
        })
    }

    /// Removes the user named `name`; returns who it was.
    pub fn remove(session: &mut Session, name: &str) -> Result<User> {
        let user = Self::find(session, name)?.ok_or_else(|| no_user(name))?;
        session.run(|c| {
            crate::with_connection!(c, |c| diesel::delete(staffdb_users::table)
                .filter(staffdb_users::id.eq(user.id))
                .execute(c))
        })?;
        Ok(user)
    }

    /// Begins a login session for `user`; returns its token, which only the caller ever has
    /// (the database keeps a hash of it). It ends after [`SESSION_IDLE`] without a noted request,
    /// after [`SESSION_LIFETIME`] in any case, when the user logs out, and at once when the user
    /// is disabled, removed or given a new password.
    pub fn begin_session(session: &mut Session, user: &User) -> Result<String> {
        let token = session_token();
        let now = crate::backend::stamp::now();
        let (lived, idle) = session_limits();
        // Each login clears away the sessions that have ended unseen, everyone's.
        session.run(|c| {
            crate::with_connection!(c, |c| diesel::delete(staffdb_sessions::table)
                .filter(
                    staffdb_sessions::created_at
                        .le(now - lived)
                        .or(staffdb_sessions::last_seen_at.le(now - idle)),
                )
                .execute(c))
        })?;
        session.run(|c| {
            crate::with_connection!(c, |c| diesel::insert_into(staffdb_sessions::table)
                .values((
                    staffdb_sessions::token_hash.eq(token_hash(&token)),
                    staffdb_sessions::user_id.eq(user.id),
                    staffdb_sessions::created_at.eq(now),
                    staffdb_sessions::last_seen_at.eq(now),
                ))
                .execute(c))
        })?;
        Ok(token)
    }

    /// The enabled user whose live session `token` is, if any. It only reads (a read session
    /// will do): a server notes each session's requests with [`User::note_session`], as often
    /// as it likes to, which keeps it from ending after [`SESSION_IDLE`].
    pub fn by_session(session: &mut Session, token: &str) -> Result<Option<User>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = token_hash(token);
        let (lived, idle) = session_limits();
        let now = crate::backend::stamp::now();
        let found: Option<(NaiveDateTime, NaiveDateTime, String)> = session.run(|c| {
            crate::with_connection!(c, |c| staffdb_sessions::table
                .inner_join(staffdb_users::table)
                .filter(staffdb_sessions::token_hash.eq(&hash))
                .filter(staffdb_users::disabled.eq(false))
                .select((
                    staffdb_sessions::created_at,
                    staffdb_sessions::last_seen_at,
                    staffdb_users::name,
                ))
                .first(c)
                .optional())
        })?;
        match found {
            Some((created, seen, name)) if now - created < lived && now - seen < idle => {
                Self::find(session, &name)
            }
            _ => Ok(None),
        }
    }

    /// Notes a request of the session `token` now: its idle time starts again.
    pub fn note_session(session: &mut Session, token: &str) -> Result<()> {
        let hash = token_hash(token);
        let now = crate::backend::stamp::now();
        session.run(|c| {
            crate::with_connection!(c, |c| diesel::update(staffdb_sessions::table)
                .filter(staffdb_sessions::token_hash.eq(&hash))
                .set(staffdb_sessions::last_seen_at.eq(now))
                .execute(c))
        })?;
        Ok(())
    }

    /// Ends the session `token` (a logout); an unknown token is no error.
    pub fn end_session(session: &mut Session, token: &str) -> Result<()> {
        let hash = token_hash(token);
        session.run(|c| {
            crate::with_connection!(c, |c| diesel::delete(staffdb_sessions::table)
                .filter(staffdb_sessions::token_hash.eq(&hash))
                .execute(c))
        })?;
        Ok(())
    }

    /// Creates an API token named `token` for the user named `user`; returns it with its
    /// secret (`staffdb_` and 64 hex digits), which only the caller ever has — the database
    /// keeps a hash of it. A script sends it as `Authorization: Bearer SECRET` and acts as the
    /// user, with the user's role, until the token is revoked or the user disabled or removed.
    pub fn create_token(
        session: &mut Session,
        user: &str,
        token: &str,
    ) -> Result<(ApiToken, String)> {
        let name = token_name(token)?;
        let found = Self::find(session, user)?.ok_or_else(|| no_user(user))?;
        let secret = format!("{TOKEN_PREFIX}{}", session_token());
        let now = crate::backend::stamp::now();
        let added = session.run(|c| {
            crate::with_connection!(c, |c| diesel::insert_into(staffdb_api_tokens::table)
                .values((
                    staffdb_api_tokens::name.eq(&name),
                    staffdb_api_tokens::user_id.eq(found.id),
                    staffdb_api_tokens::token_hash.eq(token_hash(&secret)),
                    staffdb_api_tokens::created_at.eq(now),
                ))
                .execute(c))
        });
        added.map_err(|e| {
            e.with_unique_detail(|| format!("{} already has a token named `{name}`", found.name))
        })?;
        let token = ApiToken {
            name,
            user: found.name,
            created_at: now,
        };
        Ok((token, secret))
    }

    /// Every API token, by user then name.
    pub fn tokens(session: &mut Session) -> Result<Vec<ApiToken>> {
        let rows: Vec<(String, String, NaiveDateTime)> = session.run(|c| {
            crate::with_connection!(c, |c| staffdb_api_tokens::table
                .inner_join(staffdb_users::table)
                .select((
                    staffdb_api_tokens::name,
                    staffdb_users::name,
                    staffdb_api_tokens::created_at,
                ))
                .order((staffdb_users::name, staffdb_api_tokens::name))
                .load(c))
        })?;
        let token = |(name, user, created_at)| ApiToken {
            name,
            user,
            created_at,
        };
        Ok(rows.into_iter().map(token).collect())
    }

    /// Revokes the token named `token` of the user named `user`: it works no more.
    pub fn revoke_token(session: &mut Session, user: &str, token: &str) -> Result<()> {
        let found = Self::find(session, user)?.ok_or_else(|| no_user(user))?;
        let removed = session.run(|c| {
            crate::with_connection!(c, |c| diesel::delete(staffdb_api_tokens::table)
                .filter(staffdb_api_tokens::user_id.eq(found.id))
                .filter(staffdb_api_tokens::name.eq(token))
                .execute(c))
        })?;
        if removed == 0 {
            return Err(Error::NoSuchName {
                entity: "token",
                name: format!("{token} of {}", found.name),
            });
        }
        Ok(())
    }

    /// The enabled user an API token's `secret` acts as, if it is a token there is.
    pub fn by_token(session: &mut Session, secret: &str) -> Result<Option<User>> {
        let hex = secret.strip_prefix(TOKEN_PREFIX).unwrap_or_default();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = token_hash(secret);
        let name: Option<String> = session.run(|c| {
            crate::with_connection!(c, |c| staffdb_api_tokens::table
                .inner_join(staffdb_users::table)
                .filter(staffdb_api_tokens::token_hash.eq(&hash))
                .filter(staffdb_users::disabled.eq(false))
                .select(staffdb_users::name)
                .first(c)
                .optional())
        })?;
        match name {
            Some(name) => Self::find(session, &name),
            None => Ok(None),
        }
    }

    /// Ends every session of the user named `name` (as stored).
    fn end_sessions_of(session: &mut Session, name: &str) -> Result<()> {
        session.run(|c| {
            crate::with_connection!(c, |c| {
                let ids = staffdb_users::table
                    .filter(staffdb_users::name.eq(name))
                    .select(staffdb_users::id);
                diesel::delete(staffdb_sessions::table)
                    .filter(staffdb_sessions::user_id.eq_any(ids))
                    .execute(c)
            })
        })?;
        Ok(())
    }

    /// Runs `write` on the user named `name` (as stored) and returns the user as it is then;
    /// no such user is an error naming it.
    fn change(
        session: &mut Session,
        name: &str,
        write: impl FnOnce(&str, &mut crate::AnyConnection) -> QueryResult<usize>,
    ) -> Result<User> {
        let stored = user_name(name).map_err(|_| no_user(name))?;
        let changed = session.run(|c| write(&stored, c))?;
        if changed == 0 {
            return Err(no_user(name));
        }
        // A new password or a disabled account ends every login it had (and enabling it
        // again brings none back).
        Self::end_sessions_of(session, &stored)?;
        Self::find(session, &stored)?.ok_or_else(|| no_user(name))
    }
}

/// The columns of a [`User`], the role by name.
#[allow(clippy::type_complexity)]
fn user_columns() -> (
    staffdb_users::id,
    staffdb_users::name,
    staffdb_roles::name,
    staffdb_users::disabled,
    staffdb_users::created_at,
) {
    (
        staffdb_users::id,
        staffdb_users::name,
        staffdb_roles::name,
        staffdb_users::disabled,
        staffdb_users::created_at,
    )
}

/// The role's id; an unknown role is refused, naming those there are.
fn role_id(session: &mut Session, role: &str) -> Result<i64> {
    let roles: Vec<(i64, String)> = session.run(|c| {
        crate::with_connection!(c, |c| staffdb_roles::table
            .select((staffdb_roles::id, staffdb_roles::name))
            .order(staffdb_roles::id)
            .load(c))
    })?;
    roles
        .iter()
        .find(|(_, name)| name == role)
        .map(|(id, _)| *id)
        .ok_or_else(|| {
            let names: Vec<&str> = roles.iter().map(|(_, n)| n.as_str()).collect();
            Error::validation(
                "role",
                format!("no role named `{role}`: give one of {}", names.join(", ")),
            )
        })
}

/// A token's name as stored, checked as the schema checks it.
fn token_name(name: &str) -> Result<String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if name.is_empty() || name.len() > 100 || !name.chars().all(allowed) {
        let reason = "must be 1 to 100 of a-z, 0-9, `.`, `_` and `-`";
        return Err(Error::validation("token name", reason.to_owned()));
    }
    Ok(name.to_owned())
}

/// [`SESSION_LIFETIME`] and [`SESSION_IDLE`] as chrono's deltas.
fn session_limits() -> (chrono::TimeDelta, chrono::TimeDelta) {
    let delta = |d| chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::zero());
    (delta(SESSION_LIFETIME), delta(SESSION_IDLE))
}

/// A new session's token: 32 bytes from the operating system's generator, in hex.
fn session_token() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What the database keeps of a token: its BLAKE2b-256, in hex. The token is random, so a fast
/// hash is enough (no guess is cheaper than guessing the token).
fn token_hash(token: &str) -> String {
    use blake2::Digest;
    hex(&blake2::Blake2b::<blake2::digest::consts::U32>::digest(
        token.as_bytes(),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn no_user(name: &str) -> Error {
    Error::NoSuchName {
        entity: "user",
        name: name.to_owned(),
    }
}

/// An argon2id hash of a password nobody has, checked against when the name is unknown, so
/// that an unknown name costs what a wrong password does.
const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3RhZmZkYnVua25vd24$\
    Wc4u3kGYqOOa9n4qjcH6mBq0c2W6o1MxD+Q3m4lQKZk";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unknown_users_hash_is_one_argon2_checks() {
        let hash = PasswordHash::new(UNKNOWN_USER_HASH).expect("a PHC string");
        let checked = Argon2::default().verify_password(b"anything", &hash);
        assert_eq!(checked, Err(argon2::password_hash::Error::Password));
    }

    #[test]
    fn a_grant_of_every_model_leaves_the_users_out() {
        let may = Permissions {
            grants: vec![("*".into(), Action::Change)],
        };
        assert!(may.allows("projects", Action::Change));
        assert!(!may.allows(USERS_MODEL, Action::Change));
        assert!(!may.allows("projects", Action::Delete));
    }

    #[test]
    fn names_are_lowercased_and_checked() {
        assert_eq!(user_name("Ann.Lee@X").ok().as_deref(), Some("ann.lee@x"));
        assert!(user_name("ann lee").is_err());
        assert!(user_name("").is_err());
        assert!(user_name(&"a".repeat(151)).is_err());
        assert!(user_name("zoë").is_err());
    }

    #[test]
    fn a_password_is_long_enough_and_never_shown() {
        assert!(Password::new("short").is_err());
        assert!(Password::new("x".repeat(1025)).is_err());
        assert!(Password::new("eight\0chars").is_err());
        let password = Password::new("correct horse").expect("long enough");
        assert_eq!(format!("{password:?}"), "Password(…)");
    }
}
