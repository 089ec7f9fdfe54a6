//! `staffdb::Model` (and `staffdb::Versioned`): one statement per write where the backend can —
//! `RETURNING` on SQLite and PostgreSQL, the write and one read-back on MySQL, none at all when
//! MySQL updates a row the session has just read — cached multi-row inserts, one binary `COPY`
//! for PostgreSQL's bulk inserts, keyset pages.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attrs::{Model, Role};

/// The `impl Model` and, with a `version` field, `impl Versioned`.
pub fn expand(model: &Model) -> TokenStream {
    let (ident, new, changes, table) = (&model.ident, &model.new, &model.changes, &model.table);
    let key = &model.key().ident;
    let key_ty = &model.key().ty;
    let name = &model.name;
    let insert = insert(model);
    let update = update(model, quote!(#table::#key.eq(id)));
    let batch = insert_batch(model);
    let stream = insert_stream(model);
    let kept = kept_read(model);
    let versioned = versioned(model);
    let row = model.row();
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
                    // `get_result`, not `first`: a key lookup needs no `LIMIT ?`, whose rebinding
                    // expires SQLite's cached statement (3.47 and later).
                    ::staffdb::with_connection!(conn, |c| #table::table
                        .find(id)
                        .select(#select)
                        .get_result(c)
                        .optional())
                    .map_err(|e| ::staffdb::Error::from(e)
                        .unreadable_at(Self::NAME, ::std::option::Option::Some(::std::convert::Into::<i64>::into(id))))
                }

                fn find_many(conn: &mut ::staffdb::AnyConnection, ids: &[#key_ty]) -> ::staffdb::Result<::std::vec::Vec<Self>> {
                    ::staffdb::with_connection!(conn, |c| #table::table
                        .filter(#table::#key.eq_any(ids))
                        .order(#table::#key)
                        .select(#select)
                        .load(c))
                    .map_err(::staffdb::Error::from)
                }

                fn update(
                    conn: &mut ::staffdb::AnyConnection,
                    id: #key_ty,
                    changes: &#changes,
                ) -> ::staffdb::Result<::std::option::Option<Self>> {
                    #update
                }

                #kept

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

                fn batch_size(backend: ::staffdb::Backend) -> usize {
                    ::staffdb::__private::rows_per_statement(backend, #row::COLUMNS)
                }

                fn streams_inserts(backend: ::staffdb::Backend) -> bool {
                    #row::COPY_BINARY && ::staffdb::__private::copy_streams(backend)
                }

                fn insert_stream(
                    conn: &mut ::staffdb::AnyConnection,
                    rows: &mut dyn ::std::iter::Iterator<Item = ::staffdb::Result<#new>>,
                ) -> ::staffdb::Result<usize> {
                    #stream
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
    let (ident, table, row) = (&model.ident, &model.table, model.row());
    let key = &model.key().ident;
    let returning = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_returning());
    let select = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_select());
    let (now, stamp) = (model.stamp_now(), model.stamp_arg());
    let statement = quote!(diesel::insert_into(#table::table).values(&row));
    quote! {
        #now
        let row = #row::new(new #stamp);
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

/// What every update sets beside the changes: the next version and the `updated` times, at
/// `now` (bound where the update has a time to write).
fn kept_assignments(model: &Model) -> (TokenStream, Vec<TokenStream>) {
    let table = &model.table;
    let now = match model.fields.iter().any(|f| f.role == Role::Updated) {
        true => quote!(let now = ::staffdb::__private::now();),
        false => TokenStream::new(),
    };
    let assignments = model
        .fields
        .iter()
        .filter_map(|f| {
            let name = &f.ident;
            match f.role {
                Role::Version => Some(quote!(#table::#name.eq(#table::#name + 1))),
                Role::Updated => Some(quote!(#table::#name.eq(now))),
                _ => None,
            }
        })
        .collect();
    (now, assignments)
}

/// One `UPDATE … RETURNING` of the rows `filter` matches (the row `id`, perhaps at a version),
/// the version bumped and the `updated` times set; on MySQL the update and a read of the row.
/// With something staffdb always sets, the statement is one Diesel keeps prepared.
fn update(model: &Model, filter: TokenStream) -> TokenStream {
    let (ident, table) = (&model.ident, &model.table);
    let returning = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_returning());
    let select = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_select());
    let (now, kept) = kept_assignments(model);
    // Diesel marks its UPDATE unsafe to cache; staffdb's cached one needs a non-empty SET
    // whatever the changes hold, which the version or an `updated` time gives.
    let statement = match kept.is_empty() {
        true => quote!(diesel::update(#table::table.filter(#filter)).set(changes)),
        false => {
            quote!(::staffdb::__private::cached_update(#table::table, (changes, #(#kept,)*), #filter))
        }
    };
    quote! {
        #now
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

/// `keep_read` and `update_read`, for a versioned model whose every column staffdb writes or the
/// changes set: an unchanged version then means an unchanged row (every writer bumps it — staffdb,
/// and other clients through the schema's version trigger), and the stored row is the one read
/// with the changes, the next version and this update's time. A `generated` column could change
/// under a trigger, so a model with one reads back as usual.
fn kept_read(model: &Model) -> TokenStream {
    let Some(version) = model.version() else {
        return TokenStream::new();
    };
    if model.with_role(Role::Generated).next().is_some() {
        return TokenStream::new();
    }
    let (changes, table, key_ty) = (&model.changes, &model.table, &model.key().ty);
    let key = &model.key().ident;
    let v = &version.ident;
    let (now, kept) = kept_assignments(model);
    let apply = model.with_role(Role::Data).map(|f| {
        let name = &f.ident;
        quote! {
            if let ::std::option::Option::Some(value) = &changes.#name {
                row.#name = ::std::clone::Clone::clone(value);
            }
        }
    });
    let stamps = model.with_role(Role::Updated).map(|f| {
        let name = &f.ident;
        quote!(row.#name = now;)
    });
    quote! {
        fn keep_read(&self) -> ::std::option::Option<::staffdb::KeptRow> {
            use ::staffdb::__private::{KeepClone as _, KeepNothing as _};
            (&::staffdb::__private::KeepProbe(self)).kept()
        }

        fn update_read(
            conn: &mut ::staffdb::AnyConnection,
            read: ::staffdb::KeptRow,
            id: #key_ty,
            changes: &#changes,
        ) -> ::staffdb::Result<::std::option::Option<Self>> {
            let ::std::result::Result::Ok(mut row) = read.downcast::<Self>() else {
                return ::std::result::Result::Ok(::std::option::Option::None);
            };
            if row.#key != id {
                return ::std::result::Result::Ok(::std::option::Option::None);
            }
            #now
            let filter = #table::#key.eq(id).and(#table::#v.eq(row.#v));
            let statement = ::staffdb::__private::cached_update(#table::table, (changes, #(#kept,)*), filter);
            let updated = ::staffdb::with_connection!(conn, |c| statement.execute(c))?;
            if updated != 1 {
                return ::std::result::Result::Ok(::std::option::Option::None);
            }
            #(#apply)*
            row.#v += 1;
            #(#stamps)*
            ::std::result::Result::Ok(::std::option::Option::Some(*row))
        }
    }
}

/// Multi-row inserts: on SQLite and MySQL blocks of a fixed size (one cached statement) and the
/// rest in one; on PostgreSQL `COPY` from a threshold up (binary, encoded by the row), else one
/// multi-row INSERT.
fn insert_batch(model: &Model) -> TokenStream {
    let (table, row) = (&model.table, model.row());
    let (now, stamp) = (model.stamp_now(), model.stamp_arg());
    let columns = model.inserted_columns();
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
        #now
        let rows: ::std::vec::Vec<#row> = rows.into_iter().map(|new| #row::new(new #stamp)).collect();
        let written: ::staffdb::diesel::QueryResult<usize> = ::staffdb::__on_backends!(conn,
            sqlite: |c| #blocks,
            postgres: |c| if rows.len() < ::staffdb::__private::COPY_THRESHOLD {
                diesel::insert_into(#table::table).values(&rows).execute(c)
            } else if #row::COPY_BINARY {
                let mut rows = rows.into_iter().map(::std::result::Result::<_, diesel::result::Error>::Ok);
                ::staffdb::__private::copy_in(c, #table::table, #columns, &mut rows)
            } else {
                diesel::copy_from(#table::table).from_insertable(&rows).execute(c)
            },
            mysql: |c| #blocks,
        );
        written.map_err(::std::convert::Into::into)
    }
}

/// One binary `COPY` of every row as it comes (called only where `streams_inserts`: PostgreSQL).
fn insert_stream(model: &Model) -> TokenStream {
    let (table, row) = (&model.table, model.row());
    let (now, stamp) = (model.stamp_now(), model.stamp_arg());
    let columns = model.inserted_columns();
    let elsewhere = quote! {{
        let _ = c;
        ::std::result::Result::Err(::staffdb::__private::not_streamed())
    }};
    quote! {
        #now
        let mut rows = rows.map(|row| row.map(|new| #row::new(new #stamp)));
        ::staffdb::__on_backends!(conn,
            sqlite: |c| #elsewhere,
            postgres: |c| ::staffdb::__private::copy_in(c, #table::table, #columns, &mut rows),
            mysql: |c| #elsewhere,
        )
    }
}

/// `Versioned`, for a model with a `version` field.
fn versioned(model: &Model) -> TokenStream {
    let Some(version) = model.version() else {
        return TokenStream::new();
    };
    let (ident, changes, table) = (&model.ident, &model.changes, &model.table);
    let key = &model.key().ident;
    let key_ty = &model.key().ty;
    let v = &version.ident;
    let update = update(
        model,
        quote!(#table::#key.eq(id).and(#table::#v.eq(expected))),
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
