//! Typed ids: [`id!`](crate::id) declares one, so that an `EmployeeId` can't be passed where a
//! `ProjectId` goes.

/// Declares a model's id: a newtype over the `BigInt` primary key, usable in Diesel queries and
/// results on every backend, shown and serialized as the bare number, and known to the model
/// (`session.get(id)` needs no annotation).
///
/// ```
/// # use staffdb::diesel;
/// # diesel::table! { projects (id) { id -> BigInt, name -> Text } }
/// # #[derive(Debug, Clone, staffdb::Model)]
/// # #[staffdb(table = projects)]
/// # pub struct Project { pub id: ProjectId, pub name: String }
/// staffdb::id! {
///     /// A project's id.
///     pub ProjectId => Project
/// }
///
/// assert_eq!(ProjectId(7).to_string(), "7");
/// assert_eq!(i64::from(ProjectId(7)), 7);
/// ```
///
/// The crate that uses it depends on `diesel` under that name (as `diesel::table!` needs too).
#[macro_export]
macro_rules! id {
    ($(#[$doc:meta])* $vis:vis $id:ident => $model:ty) => {
        $(#[$doc])*
        #[derive(
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            $crate::diesel::expression::AsExpression,
            $crate::diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = $crate::diesel::sql_types::BigInt)]
        $vis struct $id(pub i64);

        impl $id {
            /// The number the database stores.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        /// The bare number, as `--echo` shows a bound id.
        impl ::std::fmt::Debug for $id {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::fmt::Display for $id {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::convert::From<i64> for $id {
            fn from(id: i64) -> $id {
                $id(id)
            }
        }

        impl ::std::convert::From<$id> for i64 {
            fn from(id: $id) -> i64 {
                id.0
            }
        }

        impl<DB> $crate::diesel::serialize::ToSql<$crate::diesel::sql_types::BigInt, DB> for $id
        where
            DB: $crate::diesel::backend::Backend,
            i64: $crate::diesel::serialize::ToSql<$crate::diesel::sql_types::BigInt, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut $crate::diesel::serialize::Output<'b, '_, DB>,
            ) -> $crate::diesel::serialize::Result {
                <i64 as $crate::diesel::serialize::ToSql<$crate::diesel::sql_types::BigInt, DB>>::to_sql(&self.0, out)
            }
        }

        impl<DB> $crate::diesel::deserialize::FromSql<$crate::diesel::sql_types::BigInt, DB> for $id
        where
            DB: $crate::diesel::backend::Backend,
            i64: $crate::diesel::deserialize::FromSql<$crate::diesel::sql_types::BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> $crate::diesel::deserialize::Result<Self> {
                <i64 as $crate::diesel::deserialize::FromSql<$crate::diesel::sql_types::BigInt, DB>>::from_sql(bytes)
                    .map($id)
            }
        }

        impl $crate::__private::serde::Serialize for $id {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.0)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $id {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                <i64 as $crate::__private::serde::Deserialize<'de>>::deserialize(deserializer).map($id)
            }
        }

        impl $crate::ModelId for $id {
            type Model = $model;
        }

        impl $crate::FieldValue for $id {
            const KIND: $crate::Kind = $crate::Kind::Id;
            fn to_text(&self) -> ::std::string::String {
                self.0.to_string()
            }
            fn push_text(&self, out: &mut ::std::string::String) {
                $crate::FieldValue::push_text(&self.0, out);
            }
            fn from_text(text: &str) -> ::std::result::Result<Self, ::std::string::String> {
                match $crate::whole_number::<i64>(text) {
                    Some(id) if id > 0 => Ok($id(id)),
                    _ => Err(format!("`{text}` is not an id (a whole number from 1)")),
                }
            }
            const COPY_BINARY: bool = true;
            fn write_copy(&self, fields: &mut $crate::__private::CopyFields<'_>) {
                fields.int8(self.0);
            }
        }

        impl $crate::__private::IdField for $id {
            type Id = $id;
            fn held_id(&self) -> ::std::option::Option<$id> {
                Some(*self)
            }
        }
    };
}
