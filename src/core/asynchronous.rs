//! A [`Database`] from async code: Diesel's calls block, so they run on tokio's blocking pool
//! while the task that awaits them yields its worker — what deadpool-diesel's `interact` does,
//! and what `staffdb serve` does for every request.

use super::database::Database;
use super::error::Result;
use super::session::Session;

impl Database {
    /// Runs `work` with this database on tokio's blocking pool and awaits its result, without
    /// blocking the async worker. A panic in `work` goes on unwinding in the awaiting task.
    ///
    /// Call it from a tokio runtime (multi-threaded or current-thread, with the blocking pool);
    /// the `Database` handle is cheap to clone (a pool behind an `Arc`).
    pub async fn blocking<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T> + Send + 'static,
    {
        let db = self.clone();
        match tokio::task::spawn_blocking(move || work(&db)).await {
            Ok(result) => result,
            Err(join) => {
                let payload = join
                    .try_into_panic()
                    .unwrap_or_else(|cancelled| Box::new(cancelled.to_string()));
                std::panic::resume_unwind(payload)
            }
        }
    }

    /// [`Database::transaction`] from async code: `work` runs in a transaction on tokio's
    /// blocking pool (committed on `Ok`, rolled back on `Err`, run again on contention, so it
    /// must only touch the database), and the task awaits the result without blocking its
    /// worker.
    ///
    /// ```
    /// use staffdb::{Database, NewEmployee};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), staffdb::Error> {
    /// let db = Database::open(":memory:")?;
    /// let ann = db.run(|s| s.add(&NewEmployee::new("Ann", 30, "Clerk"))).await?;
    /// let found = db.run(move |s| s.get(ann.id)).await?;
    /// assert_eq!(found.map(|e| e.name).as_deref(), Some("Ann"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&mut Session) -> Result<T> + Send + 'static,
    {
        self.blocking(move |db| db.transaction(work)).await
    }
}
