//! What the list pages read of a whole table, kept a few seconds per model and filter, as large
//! admins keep it: a list's total (a filtered total reads every matching row's key, up to
//! [`COUNT_LIMIT`](super::admin::COUNT_LIMIT), which on a large table costs more than the page
//! itself, and paging through a filter asks for the same total again and again), and the
//! choices of its filters by choice (a reference's rows by title, a small enumeration's
//! distinct values), which every page shows. Either is at most
//! [`FRESH`] old; any write through this server (a POST, PATCH or DELETE that succeeds) forgets
//! them all at once, so only another client's writes are seen late, by [`FRESH`] at most.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::{Counted, Result};

/// How long a total is shown before it is counted again.
pub(crate) const FRESH: Duration = Duration::from_secs(10);

/// The most totals kept; past it, the oldest half is forgotten (a client cannot grow the map
/// without bound by asking for ever new filters).
const MOST: usize = 1_000;

/// Kept things of one kind, by key, each with when it was read.
type Kept<T> = HashMap<String, (T, Instant)>;

/// The choices of a filter: each value as the URL writes it, and as it is shown.
pub(crate) type Choices = Vec<(String, String)>;

/// The totals by list and filter, and the choices by list and column.
#[derive(Debug, Default)]
struct Maps {
    totals: Kept<Counted>,
    choices: Kept<Option<Choices>>,
}

/// Totals and choices, shared by every request of one server.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counts(Arc<Mutex<Maps>>);

impl Counts {
    /// The total under `key` (the list and its conditions), counted by `count` when none is
    /// kept or the kept one is older than [`FRESH`].
    pub(crate) fn get_or(
        &self,
        key: String,
        count: impl FnOnce() -> Result<Counted>,
    ) -> Result<Counted> {
        self.kept_or(|maps| &mut maps.totals, key, count)
    }

    /// The choices under `key` ([`choices_key`]; `None`: too many to offer), read by `read`
    /// when none are kept or the kept ones are older than [`FRESH`].
    pub(crate) fn choices_or(
        &self,
        key: String,
        read: impl FnOnce() -> Result<Option<Choices>>,
    ) -> Result<Option<Choices>> {
        self.kept_or(|maps| &mut maps.choices, key, read)
    }

    /// What the map `pick` keeps under `key`, made anew by `make` (outside the lock) when it
    /// keeps nothing younger than [`FRESH`]. Past [`MOST`] keys, the older half is forgotten.
    fn kept_or<T: Clone>(
        &self,
        pick: fn(&mut Maps) -> &mut Kept<T>,
        key: String,
        make: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let now = Instant::now();
        if let Some((kept, at)) = pick(&mut self.lock()).get(&key)
            && now.duration_since(*at) < FRESH
        {
            return Ok(kept.clone());
        }
        let made = make()?;
        let mut maps = self.lock();
        let kept = pick(&mut maps);
        if kept.len() >= MOST {
            let mut ages: Vec<Instant> = kept.values().map(|(_, at)| *at).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2];
            kept.retain(|_, (_, at)| *at > cut);
        }
        kept.insert(key, (made.clone(), now));
        Ok(made)
    }

    /// Forgets every total and every column's choices (after a write).
    pub(crate) fn forget(&self) {
        *self.lock() = Maps::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        // A panic while holding the maps left them whole (each step is one insert or retain).
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The key of a column's choices: its list's path and its name (`employees#position`).
pub(crate) fn choices_key(path: &str, column: &str) -> String {
    format!("{path}#{column}")
}

/// The key of a list's total: its path and the query string's conditions, without what only
/// moves through the list (sort, cursor, page size) or reports a write (`saved`, `deleted`).
pub(crate) fn key(path: &str, raw_query: &str) -> String {
    let moving = [
        "sort", "desc", "after", "cursor", "limit", "saved", "deleted",
    ];
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .filter(|(name, _)| !moving.contains(&name.as_ref()))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    let conditions = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{conditions}")
}

/// Forgets every total after a request that may have written (any method but GET, HEAD and
/// OPTIONS) and succeeded or was redirected, as the admin's forms are.
pub(crate) async fn forget_after_writes(
    State(counts): State<Counts>,
    request: Request,
    next: Next,
) -> Response {
    let reads = matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let response = next.run(request).await;
    if !reads && !response.status().is_client_error() && !response.status().is_server_error() {
        counts.forget();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept total is given back until a write forgets it; the key ignores the order of the
    /// conditions and what only pages or sorts.
    #[test]
    fn kept_until_forgotten() -> Result<()> {
        let counts = Counts::default();
        let total = |rows| Counted { rows, more: false };
        let mut counted = 0;
        let mut count = |rows| {
            counted += 1;
            Ok(total(rows))
        };
        let key1 = key("/employees", "position=Chef&min_age=30&sort=name&after=7");
        let key2 = key("/employees", "min_age=30&position=Chef");
        assert_eq!(key1, key2);
        assert_eq!(counts.get_or(key1.clone(), || count(5))?, total(5));
        assert_eq!(counts.get_or(key2, || count(6))?, total(5));
        counts.forget();
        assert_eq!(counts.get_or(key1, || count(7))?, total(7));
        assert_eq!(counted, 2);
        assert_ne!(
            key("/employees", "position=Chef"),
            key("/projects", "position=Chef")
        );
        Ok(())
    }

    /// A column's choices are kept apart from the totals, and forgotten with them.
    #[test]
    fn choices_kept_until_forgotten() -> Result<()> {
        let counts = Counts::default();
        let mut read = 0;
        let mut choices = |value: &str| {
            read += 1;
            Ok(Some(vec![(value.to_owned(), value.to_owned())]))
        };
        let key = choices_key("/employees", "position");
        let chef = Some(vec![("Chef".to_owned(), "Chef".to_owned())]);
        assert_eq!(counts.choices_or(key.clone(), || choices("Chef"))?, chef);
        assert_eq!(counts.choices_or(key.clone(), || choices("Cook"))?, chef);
        let total = Counted {
            rows: 3,
            more: false,
        };
        assert_eq!(
            counts.get_or(key.clone(), || Ok(total))?,
            total,
            "a total apart"
        );
        counts.forget();
        assert_ne!(counts.choices_or(key, || choices("Cook"))?, chef);
        assert_eq!(read, 2);
        Ok(())
    }

    /// Past [`MOST`] totals, the older half is forgotten.
    #[test]
    fn bounded() -> Result<()> {
        let counts = Counts::default();
        for i in 0..MOST + 10 {
            counts.get_or(format!("/k?{i}"), || {
                Ok(Counted {
                    rows: 1,
                    more: false,
                })
            })?;
        }
        assert!(counts.lock().totals.len() <= MOST);
        Ok(())
    }
}
