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
pub fn relation_name(field: &Field) -> String {
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

/// A relation as `Listed::RELATIONS` lists it: its name, the related model, and whether it is
/// a many-to-many (many rows, edited as a set).
struct Named<'a> {
    name: String,
    target: &'a Path,
    many: bool,
    method: syn::Ident,
    /// The reference's column (`lead_id`); `None` for a many-to-many.
    column: Option<String>,
}

/// Every relation the declaration gives, references first, in declaration order.
fn named(model: &Model) -> Vec<Named<'_>> {
    let references = model.fields.iter().filter_map(|f| {
        let target = f.references.as_ref()?;
        let name = relation_name(f);
        Some(Named {
            method: format_ident!("{name}"),
            name,
            target,
            many: false,
            column: Some(f.column()),
        })
    });
    let many = model.many_to_many.iter().map(|m| Named {
        name: m.name.to_string(),
        target: &m.target,
        many: true,
        method: m.name.clone(),
        column: None,
    });
    references.chain(many).collect()
}

/// `Listed::RELATIONS` and the hooks that reach each relation by name, for the front ends.
pub fn listed_items(model: &Model) -> TokenStream {
    let relations = named(model);
    if relations.is_empty() {
        return TokenStream::new();
    }
    let infos = relations.iter().map(|r| {
        let (name, target, many) = (&r.name, r.target, r.many);
        let label = crate::attrs::label_for(name);
        let column = match &r.column {
            Some(column) => quote!(::std::option::Option::Some(#column)),
            None => quote!(::std::option::Option::None),
        };
        quote! {
            ::staffdb::RelationInfo {
                name: #name,
                label: #label,
                target: <#target as ::staffdb::Describe>::TABLE,
                columns: <#target as ::staffdb::Describe>::COLUMNS,
                many: #many,
                editable: #many,
                column: #column,
            }
        }
    });
    let related = relations.iter().map(|r| {
        let (name, method) = (&r.name, &r.method);
        quote!(#name => ::std::result::Result::Ok(::staffdb::__private::shown(session.related(rows, &Self::#method())?)))
    });
    let editable: Vec<&Named> = relations.iter().filter(|r| r.many).collect();
    let set = editable.iter().map(|r| {
        let (name, method, target) = (&r.name, &r.method, r.target);
        quote! {
            #name => {
                let related: ::std::vec::Vec<<#target as ::staffdb::Model>::Id> =
                    related.iter().map(|&id| ::std::convert::From::from(id)).collect();
                session.set_related(::std::convert::From::from(id), &Self::#method(), &related)
            }
        }
    });
    let not_sets = model.fields.iter().filter(|f| f.references.is_some()).map(|f| {
        let (name, column) = (relation_name(f), f.column());
        let reason = format!("is a reference, not a set: change the column `{column}`");
        quote!(#name => ::std::result::Result::Err(::staffdb::Error::validation(#name, #reason)))
    });
    let choices = relations.iter().map(|r| {
        let (name, target) = (&r.name, r.target);
        quote!(#name => ::staffdb::__private::choices::<#target>(session))
    });
    quote! {
        const RELATIONS: &'static [::staffdb::RelationInfo] = &[#(#infos),*];

        fn __related(
            name: &str,
            session: &mut ::staffdb::Session,
            rows: &[Self],
        ) -> ::staffdb::Result<::std::vec::Vec<::std::vec::Vec<::staffdb::RelatedRow>>> {
            match name {
                #(#related,)*
                _ => ::std::result::Result::Err(::staffdb::__private::no_relation::<Self>(name)),
            }
        }

        fn __set_related(
            name: &str,
            session: &mut ::staffdb::Session,
            id: i64,
            related: &[i64],
        ) -> ::staffdb::Result<()> {
            let _ = (&session, id, related);
            match name {
                #(#set,)*
                #(#not_sets,)*
                _ => ::std::result::Result::Err(::staffdb::__private::no_relation::<Self>(name)),
            }
        }

        fn __related_choices(
            name: &str,
            session: &mut ::staffdb::Session,
        ) -> ::staffdb::Result<::std::option::Option<::std::vec::Vec<(::std::string::String, ::std::string::String)>>> {
            match name {
                #(#choices,)*
                _ => ::std::result::Result::Err(::staffdb::__private::no_relation::<Self>(name)),
            }
        }
    }
}
