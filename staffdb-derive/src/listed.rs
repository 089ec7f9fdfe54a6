//! `staffdb::Listed`: the per-column code behind `Query` and `Session::list` — each filterable
//! column compared with a value read as its type, each text column searched, each sortable
//! column ordered (ties by id, NULLs last) and continued after a cursor, all as Diesel
//! expressions on the model's own table, so the compiler checks every one.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attrs::{Field, Model, is_named};

/// The `impl Listed`.
pub fn expand(model: &Model) -> TokenStream {
    let (ident, table) = (&model.ident, &model.table);
    // A unique column is compared too, though lists are not filtered by it unless it says
    // `filter` (`Query::matching` checks that): an upsert finds its rows by it.
    // So is the title: a titled reference to the model finds its rows by it.
    let title = crate::describe::title_field(model).map(|f| f.ident.clone());
    let compare = model
        .fields
        .iter()
        .filter(|f| f.filter || f.unique || is_key(model, f) || Some(&f.ident) == title.as_ref());
    let compare = compare.map(|f| compare_arm(model, f));
    let nullable = model.fields.iter().filter(|f| f.option_inner().is_some());
    let null_arms = nullable.map(|f| {
        let (name, column) = (&f.ident, f.column());
        quote!(#column => ::std::option::Option::Some(::std::boxed::Box::new(#table::#name.is_null())))
    });
    let like_arms = model.fields.iter().filter(|f| is_text(f)).map(|f| {
        let (col, column) = (compared(model, f), f.column());
        quote! {
            #column => ::std::option::Option::Some(::std::boxed::Box::new(
                ::staffdb::__private::Lowercase(#col).like(pattern.to_owned()).escape('!'),
            ))
        }
    });
    let sort_arms = model
        .fields
        .iter()
        .filter(|f| f.sort && !is_key(model, f))
        .map(|f| sort_arm(model, f))
        .collect::<Vec<_>>();
    let choice_arms = model.fields.iter().filter_map(|f| {
        let target = f.references.as_ref()?;
        let column = f.column();
        Some(quote!(#column => ::staffdb::__private::choices::<#target>(session)))
    });
    let title_arms = model.fields.iter().filter(|f| f.titled).filter_map(|f| {
        let target = f.references.as_ref()?;
        let column = f.column();
        Some(quote!(#column => ::staffdb::__private::ids_by_title::<#target>(session, titles, create)))
    });
    let check_arms = model.fields.iter().filter(|f| f.titled).filter_map(|f| {
        let target = f.references.as_ref()?;
        let column = f.column();
        Some(quote!(#column => ::staffdb::__private::new_from_title::<#target>(title).map(drop)))
    });
    let value_arms = model
        .fields
        .iter()
        .filter(|f| f.filter && is_text(f))
        .map(|f| values_arm(model, f));
    let key = &model.key().ident;
    let key_ty = &model.key().ty;
    let relations = crate::relations::listed_items(model);
    let select = quote!(<#ident as ::staffdb::diesel::SelectableHelper<::staffdb::__private::MultiBackend>>::as_select());
    // A page's conditions, order and cursor, on a boxed `query` of any selection: `__page`
    // selects the rows, `__page_ids` (which names a row it cannot read) their keys.
    let page_order = quote! {
        for condition in conditions {
            query = query.filter(condition);
        }
        let (column, desc) = (order.column, order.descending);
        let after_id = order.after.map(|after| <#key_ty as ::std::convert::From<i64>>::from(after.id));
        let after_value = order.after.and_then(|after| after.value.clone());
        query = match column.name {
            #(#sort_arms,)*
            _ => {
                if let ::std::option::Option::Some(id) = after_id {
                    query = if desc { query.filter(#table::#key.lt(id)) } else { query.filter(#table::#key.gt(id)) };
                }
                if desc { query.order_by(#table::#key.desc()) } else { query.order_by(#table::#key.asc()) }
            }
        };
        let _ = after_value;
    };
    quote! {
        const _: () = {
            use ::staffdb::diesel::prelude::*;
            use ::staffdb::diesel;
            use ::staffdb::Op;

            impl ::staffdb::Listed for #ident {
                type Table = #table::table;

                fn __compare(
                    column: &'static ::staffdb::Column,
                    op: Op,
                    value: &str,
                ) -> ::staffdb::Result<::staffdb::Condition<#table::table>> {
                    match column.name {
                        #(#compare,)*
                        _ => ::std::result::Result::Err(::staffdb::__private::not_comparable(column, op)),
                    }
                }

                fn __is_null(column: &'static ::staffdb::Column) -> ::std::option::Option<::staffdb::Condition<#table::table>> {
                    match column.name {
                        #(#null_arms,)*
                        _ => ::std::option::Option::None,
                    }
                }

                fn __like(column: &'static ::staffdb::Column, pattern: &str) -> ::std::option::Option<::staffdb::Condition<#table::table>> {
                    match column.name {
                        #(#like_arms,)*
                        _ => ::std::option::Option::None,
                    }
                }

                fn __page(
                    conn: &mut ::staffdb::AnyConnection,
                    conditions: ::std::vec::Vec<::staffdb::Condition<#table::table>>,
                    order: ::staffdb::__private::Order<'_>,
                    limit: i64,
                ) -> ::staffdb::Result<::std::vec::Vec<Self>> {
                    let mut query = #table::table.select(#select).into_boxed::<::staffdb::__private::MultiBackend>();
                    #page_order
                    query.limit(limit).load(conn).map_err(::std::convert::Into::into)
                }

                fn __page_ids(
                    conn: &mut ::staffdb::AnyConnection,
                    conditions: ::std::vec::Vec<::staffdb::Condition<#table::table>>,
                    order: ::staffdb::__private::Order<'_>,
                    limit: i64,
                ) -> ::staffdb::Result<::std::vec::Vec<i64>> {
                    let mut query = #table::table.select(#table::#key).into_boxed::<::staffdb::__private::MultiBackend>();
                    #page_order
                    let ids: ::std::vec::Vec<#key_ty> = query.limit(limit).load(conn)?;
                    ::std::result::Result::Ok(ids.into_iter().map(::std::convert::Into::into).collect())
                }

                fn __choices(
                    column: &'static ::staffdb::Column,
                    session: &mut ::staffdb::Session,
                ) -> ::staffdb::Result<::std::option::Option<::std::vec::Vec<(::std::string::String, ::std::string::String)>>> {
                    let _ = &session;
                    match column.name {
                        #(#choice_arms,)*
                        _ => ::std::result::Result::Ok(::std::option::Option::None),
                    }
                }

                fn __ids_by_title(
                    column: &'static ::staffdb::Column,
                    session: &mut ::staffdb::Session,
                    titles: &[::std::string::String],
                    create: bool,
                ) -> ::staffdb::Result<::std::collections::HashMap<::std::string::String, i64>> {
                    let _ = (&session, titles, create);
                    match column.name {
                        #(#title_arms,)*
                        _ => ::std::result::Result::Err(::staffdb::Error::validation(column.name, "is not a titled reference")),
                    }
                }

                fn __check_title(
                    column: &'static ::staffdb::Column,
                    title: &str,
                ) -> ::staffdb::Result<()> {
                    let _ = title;
                    match column.name {
                        #(#check_arms,)*
                        _ => ::std::result::Result::Err(::staffdb::Error::validation(column.name, "is not a titled reference")),
                    }
                }

                fn __values(
                    column: &'static ::staffdb::Column,
                    session: &mut ::staffdb::Session,
                    limit: i64,
                ) -> ::staffdb::Result<::std::option::Option<::std::vec::Vec<::std::string::String>>> {
                    let _ = (&session, limit);
                    match column.name {
                        #(#value_arms,)*
                        _ => ::std::result::Result::Ok(::std::option::Option::None),
                    }
                }

                fn __count(
                    conn: &mut ::staffdb::AnyConnection,
                    conditions: ::std::vec::Vec<::staffdb::Condition<#table::table>>,
                ) -> ::staffdb::Result<i64> {
                    let mut query = #table::table.into_boxed::<::staffdb::__private::MultiBackend>();
                    for condition in conditions {
                        query = query.filter(condition);
                    }
                    query.count().get_result(conn).map_err(::std::convert::Into::into)
                }

                fn __count_up_to(
                    conn: &mut ::staffdb::AnyConnection,
                    conditions: ::std::vec::Vec<::staffdb::Condition<#table::table>>,
                    limit: i64,
                ) -> ::staffdb::Result<i64> {
                    let mut query = #table::table.select(#table::#key).into_boxed::<::staffdb::__private::MultiBackend>();
                    for condition in conditions {
                        query = query.filter(condition);
                    }
                    let keys: ::std::vec::Vec<#key_ty> = query
                        .limit(limit.saturating_add(1))
                        .load(conn)
                        .map_err(::staffdb::Error::from)?;
                    ::std::result::Result::Ok(keys.len() as i64)
                }

                #relations
            }
        };
    }
}

fn is_key(model: &Model, field: &Field) -> bool {
    field.ident == model.key().ident
}

/// `String` or `Option<String>`, as written.
fn is_text(field: &Field) -> bool {
    is_named(&field.ty, "String") || field.option_inner().is_some_and(|t| is_named(t, "String"))
}

/// `SELECT DISTINCT column … ORDER BY column LIMIT n` for a filterable text column (a nullable
/// one without its NULL), read from the column's index.
fn values_arm(model: &Model, field: &Field) -> TokenStream {
    let (table, name, column) = (&model.table, &field.ident, field.column());
    let read = match field.option_inner() {
        Some(_) => quote! {
            let values: ::std::vec::Vec<::std::option::Option<::std::string::String>> =
                ::staffdb::with_connection!(conn, |c| #table::table
                    .select(#table::#name)
                    .filter(#table::#name.is_not_null())
                    .distinct()
                    .order(#table::#name)
                    .limit(limit)
                    .load(c))?;
            diesel::QueryResult::Ok(values.into_iter().flatten().collect())
        },
        None => quote! {
            ::staffdb::with_connection!(conn, |c| #table::table
                .select(#table::#name)
                .distinct()
                .order(#table::#name)
                .limit(limit)
                .load::<::std::string::String>(c))
        },
    };
    quote! {
        #column => session
            .run(|conn| -> diesel::QueryResult<::std::vec::Vec<::std::string::String>> { #read })
            .map(::std::option::Option::Some)
    }
}

/// The type a compared value is read as: the field's, or the inner one of a nullable field.
fn value_type(field: &Field) -> TokenStream {
    let ty = field.option_inner().unwrap_or(&field.ty);
    quote!(#ty)
}

/// The column as compared with a value: a nullable one as not null (a comparison with NULL is
/// never true, so its rows are left out, as SQL does).
fn compared(model: &Model, field: &Field) -> TokenStream {
    let (table, name) = (&model.table, &field.ident);
    match field.option_inner() {
        Some(_) => quote!(#table::#name.assume_not_null()),
        None => quote!(#table::#name),
    }
}

/// `column op value` for one column.
fn compare_arm(model: &Model, field: &Field) -> TokenStream {
    let column = field.column();
    let ty = value_type(field);
    let col = compared(model, field);
    quote! {
        #column => {
            let value: #ty = ::staffdb::__private::value_of(column, value)?;
            ::std::result::Result::Ok(match op {
                Op::Eq => ::std::boxed::Box::new(#col.eq(value)),
                Op::Ne => ::std::boxed::Box::new(#col.ne(value)),
                Op::Lt => ::std::boxed::Box::new(#col.lt(value)),
                Op::Le => ::std::boxed::Box::new(#col.le(value)),
                Op::Gt => ::std::boxed::Box::new(#col.gt(value)),
                Op::Ge => ::std::boxed::Box::new(#col.ge(value)),
                other => return ::std::result::Result::Err(::staffdb::__private::not_comparable(column, other)),
            })
        }
    }
}

/// The order by one sortable column (then the key, in the same direction, so that the index of
/// `(column, key)` serves it forwards or backwards), and the rows after a cursor: `(col > v) OR
/// (col = v AND id > last)` (`<` both, descending). A nullable column's NULLs come after every
/// value: read apart ([`staffdb::__private::Nulls`]), each part from the index, or in one
/// statement sorted by the database (`Both`).
fn sort_arm(model: &Model, field: &Field) -> TokenStream {
    let (table, name, column) = (&model.table, &field.ident, field.column());
    let key = &model.key().ident;
    let ty = value_type(field);
    let col = quote!(#table::#name);
    let value_col = compared(model, field);
    let id = quote!(#table::#key);
    let after = |null_tail: TokenStream| {
        quote! {
            let value: #ty = ::staffdb::__private::value_of(column, &text)?;
            // `col <= v AND (…)`: the leading range, implied by the rest, is what lets a planner
            // walk the (col, key) index in order from the cursor instead of sorting an OR's rows.
            if desc {
                query.filter(#value_col.le(value.clone()).and(#value_col.lt(value.clone()).or(#value_col.eq(value).and(#id.lt(id)))) #null_tail)
            } else {
                query.filter(#value_col.ge(value.clone()).and(#value_col.gt(value.clone()).or(#value_col.eq(value).and(#id.gt(id)))) #null_tail)
            }
        }
    };
    let by_value = quote! {
        if desc { query.then_order_by((#col.desc(), #id.desc())) } else { query.then_order_by((#col.asc(), #id.asc())) }
    };
    let by_key = quote! {
        if desc { query.order_by(#id.desc()) } else { query.order_by(#id.asc()) }
    };
    let after_key = quote! {
        match after_id {
            ::std::option::Option::Some(id) if desc => query.filter(#id.lt(id)),
            ::std::option::Option::Some(id) => query.filter(#id.gt(id)),
            ::std::option::Option::None => query,
        }
    };
    let (cursor, order) = if field.option_inner().is_some() {
        let (after_both, after_values) = (
            after(quote!(.or(#col.is_null()))),
            after(TokenStream::new()),
        );
        (
            quote! {
                match (order.nulls, after_id, after_value.clone()) {
                    (::staffdb::__private::Nulls::Null, _, _) => { let query = query.filter(#col.is_null()); #after_key }
                    (::staffdb::__private::Nulls::Values, ::std::option::Option::Some(id), ::std::option::Option::Some(::std::option::Option::Some(text))) => { #after_values }
                    (::staffdb::__private::Nulls::Values, _, _) => query.filter(#col.is_not_null()),
                    (_, ::std::option::Option::Some(id), ::std::option::Option::Some(::std::option::Option::Some(text))) => { #after_both }
                    (_, ::std::option::Option::Some(_), _) => { let query = query.filter(#col.is_null()); #after_key }
                    _ => query,
                }
            },
            quote! {
                match order.nulls {
                    ::staffdb::__private::Nulls::Null => #by_key,
                    ::staffdb::__private::Nulls::Values => {
                        let query = query.filter(#col.is_not_null());
                        if desc { query.order_by((#col.desc(), #id.desc())) } else { query.order_by((#col.asc(), #id.asc())) }
                    }
                    ::staffdb::__private::Nulls::Both => { let query = query.order_by(#col.is_null().asc()); #by_value }
                }
            },
        )
    } else {
        let after = after(TokenStream::new());
        (
            quote! {
                match (after_id, after_value.clone()) {
                    (::std::option::Option::Some(id), ::std::option::Option::Some(::std::option::Option::Some(text))) => { #after }
                    (::std::option::Option::Some(_), _) => return ::std::result::Result::Err(
                        ::staffdb::Error::validation("cursor", "is not a cursor of this sort")),
                    _ => query,
                }
            },
            quote! {
                if desc { query.order_by((#col.desc(), #id.desc())) } else { query.order_by((#col.asc(), #id.asc())) }
            },
        )
    };
    quote! {
        #column => {
            query = #cursor;
            #order
        }
    }
}
