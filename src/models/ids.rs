//! Typed ids: an [`EmployeeId`](crate::EmployeeId) can't be passed where a
//! [`DepartmentId`](crate::DepartmentId) goes. Each model's file declares its own id with
//! [`model_id!`].

/// Declares an id newtype over the `BigInt` primary key of `$model`.
macro_rules! model_id {
    ($(#[$doc:meta])* $id:ident => $model:ty) => {
        $(#[$doc])*
        #[derive(
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        #[serde(transparent)]
        pub struct $id(pub i64);

        impl $id {
            /// The number the database stores.
            pub fn get(self) -> i64 {
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
                id.0
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::BigInt, DB> for $id
        where
            DB: diesel::backend::Backend,
            i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB> for $id
        where
            DB: diesel::backend::Backend,
            i64: diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                <i64 as diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>>::from_sql(bytes)
                    .map($id)
            }
        }

        impl crate::ModelId for $id {
            type Model = $model;
        }
    };
}
pub(crate) use model_id;
