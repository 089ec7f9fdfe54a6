//! `staffdb::Describe`: the model's columns as the front ends read them, and its values as text.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attrs::{Model, Role};

/// The `impl Describe`.
pub fn expand(model: &Model) -> TokenStream {
    let (ident, changes, table) = (&model.ident, &model.changes, &model.table);
    let new = &model.new;
    let table_name = table
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    let columns = model.fields.iter().map(|f| {
        let (name, label, ty) = (f.column(), &f.label, &f.ty);
        let (key, version, generated) = (
            f.role == Role::Key,
            f.role == Role::Version,
            // A stamp is written by staffdb itself, never by a form, an import or a client.
            f.role == Role::Generated || f.role.is_stamp(),
        );
        let (unique, sortable, filterable, searchable) = (f.unique, f.sort, f.filter, f.search);
        let references = match &f.references {
            Some(target) => {
                quote!(::std::option::Option::Some(<#target as ::staffdb::Model>::NAME))
            }
            None => quote!(::std::option::Option::None),
        };
        let titled = match f.titled {
            true => {
                let name = crate::relations::relation_name(f);
                quote!(::std::option::Option::Some(#name))
            }
            false => quote!(::std::option::Option::None),
        };
        let creates_titled = f.create_titled;
        let rules = f.rules();
        let doc = f.doc_text();
        quote! {
            ::staffdb::Column {
                name: #name,
                label: #label,
                doc: #doc,
                kind: <#ty as ::staffdb::FieldValue>::KIND,
                nullable: <#ty as ::staffdb::FieldValue>::NULLABLE,
                key: #key,
                version: #version,
                generated: #generated,
                unique: #unique,
                sortable: #sortable,
                filterable: #filterable,
                searchable: #searchable,
                references: #references,
                titled: #titled,
                creates_titled: #creates_titled,
                rules: #rules,
            }
        }
    });
    let texts = model.fields.iter().map(|f| {
        let name = &f.ident;
        quote!(::staffdb::FieldValue::to_text(&self.#name))
    });
    let field_names: Vec<_> = model.fields.iter().map(|f| &f.ident).collect();
    let text_arms = model.fields.iter().map(|f| {
        let (name, column) = (&f.ident, f.column());
        quote!(#column => ::std::option::Option::Some(::staffdb::FieldValue::to_text(&self.#name)))
    });
    let written: Vec<_> = model.with_role(Role::Data).collect();
    let new_values = written.iter().map(|f| {
        let (name, column) = (&f.ident, f.column());
        if f.default {
            quote!(#name: ::staffdb::__private::defaulted_from_text(#column, value(#column))?)
        } else {
            quote!(#name: ::staffdb::__private::required_from_text(#column, value(#column))?)
        }
    });
    let change_values = written.iter().map(|f| {
        let (name, column) = (&f.ident, f.column());
        quote!(#name: ::staffdb::__private::change_from_text(#column, value(#column))?)
    });
    let version = match model.version() {
        Some(v) => {
            let v = &v.ident;
            quote!(::std::option::Option::Some(self.#v))
        }
        None => quote!(::std::option::Option::None),
    };
    let update_expecting = match model.version() {
        Some(_) => quote! {
            match version {
                ::std::option::Option::Some(version) => session.update_if_version(id, version, changes),
                ::std::option::Option::None => session.update(id, changes),
            }
        },
        None => quote! {
            let _ = version;
            session.update(id, changes)
        },
    };
    let titled: Vec<_> = written.iter().filter(|f| f.titled).collect();
    let set_new_arms = titled.iter().map(|f| {
        let (name, column) = (&f.ident, f.column());
        quote!(#column => new.#name = ::staffdb::__private::required_from_text(#column, ::std::option::Option::Some(text.to_owned()))?)
    });
    let set_change_arms = titled.iter().map(|f| {
        let (name, column) = (&f.ident, f.column());
        quote!(#column => changes.#name = ::staffdb::__private::change_from_text(#column, ::std::option::Option::Some(text.to_owned()))?)
    });
    let set_texts = (!titled.is_empty()).then(|| {
        quote! {
            fn __set_new_text(new: &mut #new, column: &'static str, text: &str) -> ::staffdb::Result<()> {
                match column {
                    #(#set_new_arms,)*
                    _ => return ::std::result::Result::Err(::staffdb::Error::validation(column, "is not a titled reference")),
                }
                ::std::result::Result::Ok(())
            }

            fn __set_change_text(changes: &mut #changes, column: &'static str, text: &str) -> ::staffdb::Result<()> {
                match column {
                    #(#set_change_arms,)*
                    _ => return ::std::result::Result::Err(::staffdb::Error::validation(column, "is not a titled reference")),
                }
                ::std::result::Result::Ok(())
            }
        }
    });
    // A model that says its `Display` is its line.
    let line = model.display.then(|| {
        quote! {
            fn line(&self) -> ::std::option::Option<::std::string::String> {
                ::std::option::Option::Some(::std::string::ToString::to_string(self))
            }
        }
    });
    let title_column = match title_field(model) {
        Some(field) => {
            let name = field.column();
            quote!(::std::option::Option::Some(#name))
        }
        None => quote!(::std::option::Option::None),
    };
    let key_ty = &model.key().ty;
    let title = title(model);
    let history = crate::history::items(model);
    quote! {
        impl ::staffdb::Describe for #ident {
            const TABLE: &'static str = #table_name;
            const COLUMNS: &'static [::staffdb::Column] = &[#(#columns),*];

            fn texts(&self) -> ::std::vec::Vec<::std::string::String> {
                ::std::vec![#(#texts),*]
            }

            fn push_texts(&self, out: &mut ::std::string::String, ends: &mut ::std::vec::Vec<usize>) {
                #(
                    ::staffdb::FieldValue::push_text(&self.#field_names, out);
                    ends.push(out.len());
                )*
            }

            fn text(&self, column: &str) -> ::std::option::Option<::std::string::String> {
                match column {
                    #(#text_arms,)*
                    _ => ::std::option::Option::None,
                }
            }

            fn new_from_texts(
                value: &dyn Fn(&str) -> ::std::option::Option<::std::string::String>,
            ) -> ::staffdb::Result<#new> {
                ::std::result::Result::Ok(#new { #(#new_values,)* })
            }

            fn changes_from_texts(
                value: &dyn Fn(&str) -> ::std::option::Option<::std::string::String>,
            ) -> ::staffdb::Result<#changes> {
                ::std::result::Result::Ok(#changes { #(#change_values,)* })
            }

            fn row_version(&self) -> ::std::option::Option<i32> {
                #version
            }

            fn title(&self) -> ::std::string::String {
                #title
            }

            const TITLE_COLUMN: ::std::option::Option<&'static str> = #title_column;

            #line

            #set_texts

            fn update_expecting(
                session: &mut ::staffdb::Session,
                id: #key_ty,
                version: ::std::option::Option<i32>,
                changes: &#changes,
            ) -> ::staffdb::Result<Self> {
                #update_expecting
            }

            #history
        }
    }
}

/// The field a row's title is: its first unique text field, else its first text field (`None`:
/// its key).
pub fn title_field(model: &Model) -> Option<&crate::attrs::Field> {
    let text = |f: &&crate::attrs::Field| crate::attrs::is_named(&f.ty, "String");
    model
        .fields
        .iter()
        .filter(text)
        .find(|f| f.unique)
        .or_else(|| model.fields.iter().find(text))
}

/// The row's title: its first unique text field, else its first text field, else its key.
fn title(model: &Model) -> TokenStream {
    match title_field(model) {
        Some(field) => {
            let name = &field.ident;
            quote!(::std::clone::Clone::clone(&self.#name))
        }
        None => {
            let key = &model.key().ident;
            quote!(::std::string::ToString::to_string(&self.#key))
        }
    }
}
