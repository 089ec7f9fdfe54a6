//! The database as a request's user writes to it: with users, every write a request makes acts
//! for the logged-in user ([`Database::acting_as`]), so that the history of every row it
//! changes names them.

use std::convert::Infallible;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::Database;

/// The user a request acts for: put among its extensions by the login check
/// ([`super::login::require_login`]) when the database has users.
#[derive(Debug, Clone)]
pub(crate) struct Acting(pub(crate) String);

/// The app's [`Database`], acting for the request's user when there is one: what every handler
/// takes instead of the plain state.
pub(crate) struct Db(pub(crate) Database);

impl<S: Send + Sync> FromRequestParts<S> for Db
where
    Database: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Db, Infallible> {
        let db = Database::from_ref(state);
        Ok(Db(match parts.extensions.get::<Acting>() {
            Some(Acting(user)) => db.acting_as(user),
            None => db,
        }))
    }
}
