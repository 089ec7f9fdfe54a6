//! The history items of `staffdb::Describe` for a model declared
//! `#[staffdb(history = projects_history)]`: its
//! changes read from the history table the database's triggers keep, through that table's
//! `table!` — a model column the history table lacks, or holds as another type, is a compile
//! error — and a deleted row inserted again as one of them holds it.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attrs::{Model, Role};

/// `HISTORY_TABLE`, `read_history` and `reinsert` (nothing for a model without history, which
/// keeps the trait's defaults).
pub fn items(model: &Model) -> TokenStream {
    let Some(history) = &model.history else {
        return TokenStream::new();
    };
    let table = &model.table;
    let key = &model.key().ident;
    let name = history
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    let kept: Vec<TokenStream> = model
        .fields
        .iter()
        .map(|f| {
            let column = &f.ident;
            quote!(#history::#column)
        })
        .collect();
    let values = model.fields.iter().map(|f| {
        let column = &f.ident;
        match f.role {
            Role::Version => quote!(#table::#column.eq(row.#column + 1)),
            _ => quote!(#table::#column.eq(&row.#column)),
        }
    });
    quote! {
                const HISTORY_TABLE: ::std::option::Option<&'static str> =
                    ::std::option::Option::Some(#name);

                fn read_history(
                    conn: &mut ::staffdb::AnyConnection,
                    query: ::staffdb::HistoryQuery<Self::Id>,
                ) -> ::staffdb::Result<::std::vec::Vec<::staffdb::Change<Self>>> {
                    use ::staffdb::diesel::prelude::*;
                    use ::staffdb::diesel;
                    let rows = ::staffdb::with_connection!(conn, |c| {
                        let changes = #history::table
                            .select((
                                #history::history_id,
                                #history::history_operation,
                                #history::history_at,
                                #history::history_user,
                                #history::history_database_user,
                                (#(#kept,)*),
                            ))
                            .order(#history::history_id)
                            .into_boxed();
                        let changes = match query {
                            ::staffdb::HistoryQuery::Row(id) => changes.filter(#history::#key.eq(id)),
                            ::staffdb::HistoryQuery::Entry(entry) => {
                                changes.filter(#history::history_id.eq(entry))
                            }
                            ::staffdb::HistoryQuery::Latest => {
                                let latest = diesel::alias!(#history as staffdb_latest);
                                changes.filter(#history::history_id.nullable().eq_any(
                                    latest
                                        .group_by(latest.field(#history::#key))
                                        .select(diesel::dsl::max(latest.field(#history::history_id))),
                                ))
                            }
                            ::staffdb::HistoryQuery::LatestAt(at) => {
                                // The same table in the subquery: under another name.
                                let latest = diesel::alias!(#history as staffdb_latest);
                                changes.filter(#history::history_id.nullable().eq_any(
                                    latest
                                        .filter(latest.field(#history::history_at).le(at))
                                        .group_by(latest.field(#history::#key))
                                        .select(diesel::dsl::max(latest.field(#history::history_id))),
                                ))
                            }
                        };
                        changes.load::<(
                            i64,
                            ::std::string::String,
                            ::staffdb::__private::ReadStamp,
                            ::std::option::Option<::std::string::String>,
                            ::std::option::Option<::std::string::String>,
                            Self,
                        )>(c)
                    })?;
                    rows.into_iter().map(::staffdb::__private::change_from_row).collect()
                }

                fn reinsert(conn: &mut ::staffdb::AnyConnection, row: &Self) -> ::staffdb::Result<usize> {
                    use ::staffdb::diesel::prelude::*;
                    use ::staffdb::diesel;
                    // From the row read, not by INSERT … SELECT from the history table, which
                    // MySQL refuses: the insert's trigger writes to the table it reads.
                    ::staffdb::with_connection!(conn, |c| diesel::insert_into(#table::table)
                        .values((#(#values,)*))
                        .execute(c))
                    .map_err(::staffdb::Error::from)
                }
    }
}
