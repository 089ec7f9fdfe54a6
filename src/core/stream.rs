//! Rows streamed a page at a time, whatever produces the pages.

use super::error::Result;
use super::session::Session;
use crate::backend::AnyConnection;

/// Rows fetched per page while streaming.
pub(crate) const PAGE_SIZE: i64 = 5_000;

/// Loads the next page of up to `n` rows.
type Fetch<'s, R> = Box<dyn FnMut(&mut AnyConnection, i64) -> Result<Vec<R>> + 's>;

/// Rows read a page at a time inside a session (see [`Session::stream_pages`]): an iterator of
/// `Result<R>` that holds one page, never the whole result. An error ends it.
pub struct RowStream<'s, R> {
    session: &'s mut Session,
    fetch: Fetch<'s, R>,
    page: std::vec::IntoIter<R>,
    remaining: Option<i64>,
    done: bool,
}

impl<'s, R> RowStream<'s, R> {
    pub(crate) fn new(session: &'s mut Session, limit: Option<i64>, fetch: Fetch<'s, R>) -> Self {
        RowStream {
            session,
            fetch,
            page: Vec::new().into_iter(),
            remaining: limit,
            done: false,
        }
    }
}

impl<R> Iterator for RowStream<'_, R> {
    type Item = Result<R>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.page.next() {
            return Some(Ok(row));
        }
        let limit = match self.remaining {
            _ if self.done => return None,
            Some(remaining) if remaining <= 0 => return None,
            Some(remaining) => remaining.min(PAGE_SIZE),
            None => PAGE_SIZE,
        };
        let fetch = &mut self.fetch;
        let page = match self.session.run(|conn| fetch(conn, limit)) {
            Ok(page) => page,
            Err(error) => {
                self.done = true;
                return Some(Err(error));
            }
        };
        let len = page.len() as i64;
        self.done = len < limit;
        if let Some(remaining) = &mut self.remaining {
            *remaining -= len;
        }
        self.page = page.into_iter();
        self.page.next().map(Ok)
    }
}
