//! `staffdb::Model` (and `staffdb::Versioned`): one statement per write where the backend can —
//! `RETURNING` on SQLite and PostgreSQL, the write and one read-back on MySQL — multi-row
//! inserts (PostgreSQL's `COPY` for big batches), keyset pages.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attrs::Model;

/// The `impl Model` and, with a `version` field, `impl Versioned`.
pub fn expand(model: &Model) -> TokenStream {
    let (ident, new, changes, table) = (&model.ident, &model.new, &model.changes, &model.table);
    let key = &model.key().ident;
    let key_ty = &model.key().ty;
    let name = &model.name;
    let insert = insert(model);
    let update = update(model, quote!(#table::table.find(id)));
    let batch = insert_batch(model);
    let versioned = versioned(model);
    let select = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_select());
    quote! {
        const _: () = {
            use ::staffdb::diesel::prelude::*;
            use ::staffdb::diesel;

            impl ::staffdb::Model for #ident {
                type Id = #key_ty;
                type New = #new;
                type Changes = #changes;
                const NAME: &'static str = #name;

                fn id(&self) -> #key_ty {
                    self.#key
                }

                fn insert(conn: &mut ::staffdb::AnyConnection, new: #new) -> ::staffdb::Result<Self> {
                    #insert
                }

                fn find(conn: &mut ::staffdb::AnyConnection, id: #key_ty) -> ::staffdb::Result<::std::option::Option<Self>> {
                    ::staffdb::with_connection!(conn, |c| #table::table
                        .find(id)
                        .select(#select)
                        .get_result(c)
                        .optional())
                    .map_err(::std::convert::Into::into)
                }

                fn update(
                    conn: &mut ::staffdb::AnyConnection,
                    id: #key_ty,
                    changes: &#changes,
                ) -> ::staffdb::Result<::std::option::Option<Self>> {
                    #update
                }

                fn delete(conn: &mut ::staffdb::AnyConnection, id: #key_ty) -> ::staffdb::Result<bool> {
                    let deleted = ::staffdb::with_connection!(conn, |c| diesel::delete(#table::table.find(id)).execute(c))?;
                    ::std::result::Result::Ok(deleted > 0)
                }

                fn page_after(
                    conn: &mut ::staffdb::AnyConnection,
                    after: ::std::option::Option<#key_ty>,
                    limit: i64,
                ) -> ::staffdb::Result<::std::vec::Vec<Self>> {
                    // One statement shape for every page (so Diesel prepares and caches it once):
                    // the first page is the one after the smallest id there could be.
                    let after = after.unwrap_or_else(|| <#key_ty as ::std::convert::From<i64>>::from(i64::MIN));
                    ::staffdb::with_connection!(conn, |c| #table::table
                        .filter(#table::#key.gt(after))
                        .order(#table::#key)
                        .limit(limit)
                        .select(#select)
                        .load(c))
                    .map_err(::std::convert::Into::into)
                }

                fn insert_batch(conn: &mut ::staffdb::AnyConnection, rows: ::std::vec::Vec<#new>) -> ::staffdb::Result<usize> {
                    #batch
                }

                fn batch_size(_: ::staffdb::Backend) -> usize {
                    ::staffdb::__private::ROWS_PER_BATCH
                }

                fn existing(conn: &mut ::staffdb::AnyConnection, ids: &[#key_ty]) -> ::staffdb::Result<::std::vec::Vec<#key_ty>> {
                    ::staffdb::with_connection!(conn, |c| #table::table
                        .filter(#table::#key.eq_any(ids))
                        .select(#table::#key)
                        .load(c))
                    .map_err(::std::convert::Into::into)
                }

                fn delete_batch(conn: &mut ::staffdb::AnyConnection, ids: &[#key_ty]) -> ::staffdb::Result<usize> {
                    ::staffdb::with_connection!(conn, |c| diesel::delete(#table::table.filter(#table::#key.eq_any(ids))).execute(c))
                        .map_err(::std::convert::Into::into)
                }
            }

            #versioned
        };
    }
}

/// One `INSERT … RETURNING` on SQLite and PostgreSQL; on MySQL the insert and one read of the
/// row whose key is `LAST_INSERT_ID()`, in the same transaction.
fn insert(model: &Model) -> TokenStream {
    let (ident, table) = (&model.ident, &model.table);
    let key = &model.key().ident;
    let returning = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_returning());
    let select = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_select());
    let statement = quote!(diesel::insert_into(#table::table).values(&new));
    quote! {
        ::staffdb::__on_backends!(conn,
            sqlite: |c| #statement.returning(#returning).get_result(c),
            postgres: |c| #statement.returning(#returning).get_result(c),
            mysql: |c| #statement.execute(&mut *c).and_then(|_| #table::table
                .filter(#table::#key.eq(::staffdb::__private::last_insert_id_sql::<
                    ::staffdb::diesel::dsl::SqlTypeOf<#table::#key>>()))
                .select(#select)
                .get_result(c)),
        )
        .map_err(::std::convert::Into::into)
    }
}

/// One `UPDATE … RETURNING` (the version bumped where there is one); on MySQL the update and a
/// read of the row. `target` is the rows the update may touch.
fn update(model: &Model, target: TokenStream) -> TokenStream {
    let (ident, table) = (&model.ident, &model.table);
    let returning = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_returning());
    let select = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_select());
    let set = match model.version() {
        Some(version) => {
            let v = &version.ident;
            quote!((changes, #table::#v.eq(#table::#v + 1)))
        }
        None => quote!(changes),
    };
    let statement = quote!(diesel::update(#target).set(#set));
    quote! {
        ::staffdb::__on_backends!(conn,
            sqlite: |c| #statement.returning(#returning).get_result(c).optional(),
            postgres: |c| #statement.returning(#returning).get_result(c).optional(),
            mysql: |c| match #statement.execute(&mut *c) {
                ::std::result::Result::Ok(0) => ::std::result::Result::Ok(::std::option::Option::None),
                ::std::result::Result::Ok(_) => #table::table.find(id).select(#select).get_result(c).optional(),
                ::std::result::Result::Err(error) => ::std::result::Result::Err(error),
            },
        )
        .map_err(::std::convert::Into::into)
    }
}

/// Multi-row inserts: on SQLite and MySQL blocks of a fixed size (one cached statement) and the
/// rest in one; on PostgreSQL `COPY` from a threshold up, else one multi-row INSERT.
fn insert_batch(model: &Model) -> TokenStream {
    let table = &model.table;
    let blocks = quote! {{
        let (blocks, rest) = rows.as_chunks::<{ ::staffdb::__private::ROWS_PER_CACHED_INSERT }>();
        let mut written = 0;
        for block in blocks {
            written += diesel::insert_into(#table::table).values(block).execute(&mut *c)?;
        }
        if !rest.is_empty() {
            written += diesel::insert_into(#table::table).values(rest).execute(&mut *c)?;
        }
        ::std::result::Result::Ok(written)
    }};
    quote! {
        let written: ::staffdb::diesel::QueryResult<usize> = ::staffdb::__on_backends!(conn,
            sqlite: |c| #blocks,
            postgres: |c| if rows.len() >= ::staffdb::__private::COPY_THRESHOLD {
                diesel::copy_from(#table::table).from_insertable(rows).execute(c)
            } else {
                diesel::insert_into(#table::table).values(&rows).execute(c)
            },
            mysql: |c| #blocks,
        );
        written.map_err(::std::convert::Into::into)
    }
}

/// `Versioned`, for a model with a `version` field.
fn versioned(model: &Model) -> TokenStream {
    let Some(version) = model.version() else {
        return TokenStream::new();
    };
    let (ident, changes, table) = (&model.ident, &model.changes, &model.table);
    let key_ty = &model.key().ty;
    let v = &version.ident;
    let update = update(
        model,
        quote!(#table::table.find(id).filter(#table::#v.eq(expected))),
    );
    quote! {
        impl ::staffdb::Versioned for #ident {
            fn version(&self) -> i32 {
                self.#v
            }

            fn update_if_version(
                conn: &mut ::staffdb::AnyConnection,
                id: #key_ty,
                expected: i32,
                changes: &#changes,
            ) -> ::staffdb::Result<::std::option::Option<Self>> {
                #update
            }

            // A current read on MySQL, whose snapshot may predate the version the UPDATE saw.
            fn current_version(
                conn: &mut ::staffdb::AnyConnection,
                id: #key_ty,
            ) -> ::staffdb::Result<::std::option::Option<i32>> {
                let version = #table::table.find(id).select(#table::#v);
                ::staffdb::__on_backends!(conn,
                    sqlite: |c| version.get_result(c).optional(),
                    postgres: |c| version.get_result(c).optional(),
                    mysql: |c| version.for_update().get_result(c).optional(),
                )
                .map_err(::std::convert::Into::into)
            }
        }
    }
}
