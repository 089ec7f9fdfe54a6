//! The workload written with SeaORM 1.1 as its users write it at their best: an entity for
//! staffdb's `employees` table, `insert_many` of ActiveModels in chunks as large as the bind
//! limit allows (`exec_without_returning`: no ids read back), a `.stream()` of the four printed
//! columns as tuples for the load, `find_by_id` then `update` of the ActiveModel for `upd_row`
//! (`UPDATE … RETURNING` the whole row, on SQLite too), and `update_many` / `delete_many` with
//! filters. One pooled connection, statement logging off, each phase a transaction of its own
//! but the count.
//!
//! The entity is declared once per backend, as `sea-orm-cli` would generate it from each
//! schema: the timestamps are `DateTime` (naive, written as staffdb's `%F %T%.f` text) on SQLite
//! and `DateTimeUtc` on PostgreSQL, whose columns are `TIMESTAMPTZ` (sqlx will not read those
//! into a naive time). The `departments` table is not needed: the workload never joins it.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend};
use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

use crate::workload::{self, Outcome, Workload};

/// Parameters a row of the insert binds.
const BINDS_PER_ROW: usize = 6;

/// Runs the workload on `url` (`sqlite://FILE` or `postgres://…`), which holds staffdb's
/// migrated, empty tables.
pub async fn run(url: &str, workload: Workload) -> Result<Outcome> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(1)
        .sqlx_logging(false)
        // staffdb's pragmas, so that only the code differs.
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    let db = Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    match db.get_database_backend() {
        DbBackend::Sqlite => workload::run(&mut on_sqlite::Employees(db), workload).await,
        DbBackend::Postgres => workload::run(&mut on_postgres::Employees(db), workload).await,
        DbBackend::MySql => bail!("the SeaORM peer runs on SQLite and PostgreSQL, not MySQL"),
    }
}

/// The entity of staffdb's `employees` table with the timestamp type `$stamp` (made from UTC
/// now by `$to_stamp`), and the workload's phases on it, `$chunk` rows per INSERT.
macro_rules! employees_on {
    ($stamp:ident, $to_stamp:path, $chunk:expr) => {
        use anyhow::{Context as _, Result, ensure};
        use futures_util::TryStreamExt as _;
        use sea_orm::entity::prelude::*;
        use sea_orm::{
            ActiveValue::Set, IntoActiveModel, QueryOrder, QuerySelect, TransactionTrait,
        };

        use crate::workload::{
            DELETE_ABOVE_AGE, OutputHash, Peer, UPD_ROW_POSITION, UPD_SET_POSITION, Workload,
            upd_row_ids,
        };

        /// A row of staffdb's `employees` table.
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "employees")]
        pub struct Model {
            /// The key, assigned by the database.
            #[sea_orm(primary_key)]
            pub id: i64,
            /// The full name.
            pub name: String,
            /// 0..=150.
            pub age: i32,
            /// The job title.
            pub position: String,
            /// Unique when present.
            pub email: Option<String>,
            /// `departments.id`, or none.
            pub department_id: Option<i64>,
            /// The hiring date.
            pub hired_on: Option<Date>,
            /// Raised by every update.
            pub version: i32,
            /// When the row was inserted (UTC).
            pub created_at: $stamp,
            /// When the row was last changed (UTC).
            pub updated_at: $stamp,
        }

        /// No relation is used by the workload.
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}

        /// UTC now, as the timestamp columns take it.
        fn now() -> $stamp {
            $to_stamp(crate::workload::now())
        }

        /// The workload's phases through SeaORM on this backend.
        pub struct Employees(pub DatabaseConnection);

        impl Peer for Employees {
            async fn insert(&mut self, workload: &Workload) -> Result<()> {
                let now = now();
                let txn = self.0.begin().await?;
                let mut rows = workload.iter().peekable();
                let mut written = 0;
                while rows.peek().is_some() {
                    let models = rows.by_ref().take($chunk).map(|row| ActiveModel {
                        name: Set(row.name.to_owned()),
                        age: Set(row.age),
                        position: Set(row.position.to_owned()),
                        version: Set(1),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    });
                    written += Entity::insert_many(models)
                        .exec_without_returning(&txn)
                        .await?;
                }
                txn.commit().await?;
                let n = workload.len() as u64;
                ensure!(written == n, "inserted {written} rows of {n}");
                Ok(())
            }

            async fn load(&mut self) -> Result<OutputHash> {
                let mut out = OutputHash::new();
                let txn = self.0.begin().await?;
                {
                    let rows = Entity::find()
                        .select_only()
                        .columns([Column::Id, Column::Name, Column::Age, Column::Position])
                        .order_by_asc(Column::Id)
                        .into_tuple::<(i64, String, i32, String)>()
                        .stream(&txn)
                        .await?;
                    let mut rows = std::pin::pin!(rows);
                    while let Some((id, name, age, position)) = rows.try_next().await? {
                        out.fields(id, &name, age, &position);
                    }
                }
                txn.commit().await?;
                Ok(out)
            }

            async fn upd_set(&mut self) -> Result<()> {
                let txn = self.0.begin().await?;
                Entity::update_many()
                    .col_expr(Column::Age, Expr::col(Column::Age).add(1))
                    .col_expr(Column::Version, Expr::col(Column::Version).add(1))
                    .col_expr(Column::UpdatedAt, Expr::value(now()))
                    .filter(Column::Position.eq(UPD_SET_POSITION))
                    .exec(&txn)
                    .await?;
                txn.commit().await?;
                Ok(())
            }

            async fn upd_row(&mut self, n: usize) -> Result<()> {
                let txn = self.0.begin().await?;
                for id in upd_row_ids(n) {
                    let employee = Entity::find_by_id(id)
                        .one(&txn)
                        .await?
                        .with_context(|| format!("no employee {id}"))?;
                    let (age, version) = (employee.age, employee.version);
                    let mut employee = employee.into_active_model();
                    employee.age = Set(age + 1);
                    employee.position = Set(UPD_ROW_POSITION.to_owned());
                    employee.version = Set(version + 1);
                    employee.updated_at = Set(now());
                    employee.update(&txn).await?;
                }
                txn.commit().await?;
                Ok(())
            }

            async fn delete(&mut self) -> Result<()> {
                let txn = self.0.begin().await?;
                Entity::delete_many()
                    .filter(Column::Age.gt(DELETE_ABOVE_AGE))
                    .exec(&txn)
                    .await?;
                txn.commit().await?;
                Ok(())
            }

            async fn count(&mut self) -> Result<i64> {
                Ok(i64::try_from(Entity::find().count(&self.0).await?)?)
            }
        }
    };
}

/// On SQLite: naive timestamps (staffdb's text form, bound through sqlx's `%F %T%.f`);
/// 32,766 parameters a statement.
mod on_sqlite {
    employees_on!(DateTime, super::naive, 32_766 / super::BINDS_PER_ROW);
}

/// On PostgreSQL: `TIMESTAMPTZ` instants, 65,535 parameters a statement.
mod on_postgres {
    employees_on!(DateTimeUtc, super::utc, 65_535 / super::BINDS_PER_ROW);
}

/// A UTC wall-clock time as SQLite's text columns take it: unchanged.
fn naive(now: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    now
}

/// A UTC wall-clock time as the instant PostgreSQL's `TIMESTAMPTZ` columns hold.
fn utc(now: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    now.and_utc()
}
