//! Typed ids: an [`EmployeeId`] can't be passed where a [`DepartmentId`] goes.

use diesel::backend::Backend as DieselBackend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Integer;
use serde::{Deserialize, Serialize};

/// Declares an id newtype over the `Integer` primary key of `$model`.
macro_rules! model_id {
    ($(#[$doc:meta])* $id:ident => $model:ty) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow,
            Serialize, Deserialize,
        )]
        #[diesel(sql_type = Integer)]
        #[serde(transparent)]
        pub struct $id(pub i32);

        impl $id {
            /// The number the database stores.
            pub fn get(self) -> i32 {
                self.0
            }
        }

        /// The bare number, as `--echo` shows a bound id.
        impl std::fmt::Debug for $id {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::fmt::Display for $id {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$id> for i64 {
            fn from(id: $id) -> i64 {
                id.0.into()
            }
        }

        impl<DB: DieselBackend> ToSql<Integer, DB> for $id
        where
            i32: ToSql<Integer, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB: DieselBackend> FromSql<Integer, DB> for $id
        where
            i32: FromSql<Integer, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i32::from_sql(bytes).map($id)
            }
        }

        impl crate::ModelId for $id {
            type Model = $model;
        }
    };
}

model_id! {
    /// An employee's id.
    ///
    /// ```
    /// use staffdb::EmployeeId;
    ///
    /// assert_eq!(EmployeeId(7).to_string(), "7");
    /// ```
    EmployeeId => super::Employee
}

model_id! {
    /// A department's id.
    DepartmentId => super::Department
}
