//! Relations: for every `references = Model` field, the reference (`Project::lead()`) and its
//! other side (`Project::by_lead()`); for every `many_to_many(…)`, the relation through its
//! join table (`Project::members()`). Each loads for any number of rows in one statement.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Path;

use crate::attrs::{Field, ManyToMany, Model};

/// The `impl` with one associated function per relation (nothing when there is none).
pub fn expand(model: &Model) -> TokenStream {
    let references: Vec<TokenStream> = model
        .fields
        .iter()
        .filter_map(|f| {
            f.references
                .as_ref()
                .map(|target| reference(model, f, target))
        })
        .collect();
    let many: Vec<TokenStream> = model
        .many_to_many
        .iter()
        .map(|m| many_to_many(model, m))
        .collect();
    if references.is_empty() && many.is_empty() {
        return TokenStream::new();
    }
    let ident = &model.ident;
    quote! {
        #[allow(clippy::type_complexity)]
        impl #ident {
            #(#references)*
            #(#many)*
        }
    }
}

/// The relation's name for a reference field: `lead_id` → `lead`.
fn relation_name(field: &Field) -> String {
    let column = field.ident.to_string();
    column
        .strip_suffix("_id")
        .filter(|name| !name.is_empty())
        .unwrap_or(&column)
        .to_owned()
}

/// `Self::lead()` and `Self::by_lead()` for the field `lead_id` that references `target`.
fn reference(model: &Model, field: &Field, target: &Path) -> TokenStream {
    let (ident, table) = (&model.ident, &model.table);
    let (column, key) = (&field.ident, &model.key().ident);
    let name = relation_name(field);
    let (to_one, to_many) = (format_ident!("{name}"), format_ident!("by_{name}"));
    let table_name = table
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    let many_name = format!("{table_name}_by_{name}");
    let value = match field.option_inner() {
        Some(_) => quote!(row.#column),
        None => quote!(::std::option::Option::Some(row.#column)),
    };
    let select = quote!(<#ident as ::staffdb::diesel::SelectableHelper<_>>::as_select());
    let doc_one = format!(
        "Each row's `{}` through `{column}`, for [`Session::related`](::staffdb::Session::related): one statement for any number of rows.",
        quote!(#target)
    );
    let doc_many = format!(
        "The other side of `{column}`: each `{}`'s rows of this model, by id.",
        quote!(#target)
    );
    quote! {
        #[doc = #doc_one]
        pub fn #to_one() -> ::staffdb::BelongsTo<#ident, #target> {
            ::staffdb::BelongsTo::new(#name, |row: &#ident| #value)
        }

        #[doc = #doc_many]
        pub fn #to_many() -> ::staffdb::HasMany<#target, #ident> {
            ::staffdb::HasMany::new(
                #many_name,
                |conn, ids| {
                    use ::staffdb::diesel::prelude::*;
                    ::staffdb::with_connection!(conn, |c| #table::table
                        .filter(#table::#column.eq_any(ids))
                        .order(#table::#key)
                        .select(#select)
                        .load(c))
                    .map_err(::staffdb::Error::from)
                },
                |row: &#ident| #value,
            )
        }
    }
}

/// `Self::members()`: the related model's rows through the join table.
fn many_to_many(model: &Model, relation: &ManyToMany) -> TokenStream {
    let ident = &model.ident;
    let ManyToMany {
        name,
        target,
        through,
        from,
        to,
    } = relation;
    let name_text = name.to_string();
    let select = quote!(<#target as ::staffdb::diesel::SelectableHelper<_>>::as_select());
    let target_table =
        quote!(<<#target as ::staffdb::Listed>::Table as ::std::default::Default>::default());
    let doc = format!(
        "Each row's `{}` rows through `{}`, for [`Session::related`](::staffdb::Session::related) (one statement for any number of rows) and [`Session::set_related`](::staffdb::Session::set_related).",
        quote!(#target),
        quote!(#through)
    );
    quote! {
        #[doc = #doc]
        pub fn #name() -> ::staffdb::ManyToMany<#ident, #target> {
            ::staffdb::ManyToMany::new(
                #name_text,
                |conn, ids| {
                    use ::staffdb::diesel::prelude::*;
                    ::staffdb::with_connection!(conn, |c| #through::table
                        .inner_join(#target_table)
                        .filter(#through::#from.eq_any(ids))
                        .order((#through::#from, #through::#to))
                        .select((#through::#from, #select))
                        .load(c))
                    .map_err(::staffdb::Error::from)
                },
                |conn, id, related| {
                    use ::staffdb::diesel::prelude::*;
                    use ::staffdb::diesel;
                    ::staffdb::with_connection!(conn, |c| {
                        let mine = #through::table.filter(#through::#from.eq(id));
                        diesel::delete(mine.filter(diesel::dsl::not(#through::#to.eq_any(related))))
                            .execute(c)?;
                        let present: ::std::vec::Vec<<#target as ::staffdb::Model>::Id> =
                            mine.select(#through::#to).load(c)?;
                        let missing: ::std::vec::Vec<_> = related
                            .iter()
                            .filter(|r| !present.contains(r))
                            .map(|r| (#through::#from.eq(id), #through::#to.eq(*r)))
                            .collect();
                        for chunk in missing.chunks(1_000) {
                            diesel::insert_into(#through::table).values(chunk).execute(c)?;
                        }
                        ::staffdb::diesel::QueryResult::Ok(())
                    })
                    .map_err(::staffdb::Error::from)
                },
            )
        }
    }
}
