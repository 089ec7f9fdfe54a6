//! Reading rows: Diesel's `Selectable` and `Queryable` for the model, as Diesel's own derives
//! write them, and the check of every field against its column on every backend.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Ident, Index};

use crate::attrs::Model;

/// `Selectable`, `Queryable` and the column checks.
pub fn expand(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let table = &model.table;
    let columns: Vec<_> = model
        .fields
        .iter()
        .map(|f| {
            let column = &f.ident;
            quote!(#table::#column)
        })
        .collect();
    let types: Vec<_> = model.fields.iter().map(row_type).collect();
    let values = model.fields.iter().enumerate().map(|(i, f)| {
        let (name, index) = (&f.ident, Index::from(i));
        match read_as(f) {
            Read::Plain => quote!(#name: row.#index),
            Read::Stamp => quote!(#name: ::std::convert::Into::into(row.#index)),
            Read::OptionalStamp => {
                quote!(#name: row.#index.map(::std::convert::Into::into))
            }
        }
    });
    let sql_types: Vec<_> = (0..model.fields.len())
        .map(|i| Ident::new(&format!("__ST{i}"), Span::mixed_site()))
        .collect();
    let checks = model.fields.iter().map(|f| {
        let ty = &f.ty;
        let column = &f.ident;
        let fits = |backend: TokenStream| {
            quote_spanned! {f.ty_span()=>
                #ty: ::staffdb::__private::ColumnFits<
                    ::staffdb::diesel::dsl::SqlTypeOf<#table::#column>,
                    #backend,
                >
            }
        };
        let sqlite = fits(quote!(::staffdb::__private::checked::Sqlite));
        let pg = fits(quote!(::staffdb::__private::checked::Pg));
        let mysql = fits(quote!(::staffdb::__private::checked::Mysql));
        let value = quote_spanned!(f.ty_span()=> #ty: ::staffdb::FieldValue);
        quote!(#sqlite, #pg, #mysql, #value,)
    });
    quote! {
        const _: () = {
            impl<__DB: ::staffdb::diesel::backend::Backend> ::staffdb::diesel::Selectable<__DB>
                for #ident
            {
                type SelectExpression = (#(#columns,)*);
                fn construct_selection() -> Self::SelectExpression {
                    (#(#columns,)*)
                }
            }

            impl<__DB: ::staffdb::diesel::backend::Backend, #(#sql_types,)*>
                ::staffdb::diesel::deserialize::Queryable<(#(#sql_types,)*), __DB> for #ident
            where
                (#(#types,)*): ::staffdb::diesel::deserialize::FromStaticSqlRow<(#(#sql_types,)*), __DB>,
            {
                type Row = (#(#types,)*);
                fn build(row: Self::Row) -> ::staffdb::diesel::deserialize::Result<Self> {
                    ::std::result::Result::Ok(Self { #(#values,)* })
                }
            }

            // Every field against its column, on every backend staffdb has (one staffdb
            // lacks stands for SQLite again): a mismatch is an error at the field.
            #[allow(dead_code)]
            fn check_fields_against_table()
            where
                #(#checks)*
            {
            }
        };
    }
}

/// How a field's value is read.
enum Read {
    /// As its own type.
    Plain,
    /// A `NaiveDateTime`, through staffdb's direct parser of SQLite's text (chrono's format
    /// strings cost ~45% of a streamed read's CPU on SQLite; see `staffdb::backend::stamp`).
    Stamp,
    /// An `Option<NaiveDateTime>`, the same way.
    OptionalStamp,
}

fn read_as(field: &crate::attrs::Field) -> Read {
    if crate::attrs::is_named(&field.ty, "NaiveDateTime") {
        Read::Stamp
    } else if field
        .option_inner()
        .is_some_and(|inner| crate::attrs::is_named(inner, "NaiveDateTime"))
    {
        Read::OptionalStamp
    } else {
        Read::Plain
    }
}

/// The type Diesel reads a field's column into.
fn row_type(field: &crate::attrs::Field) -> TokenStream {
    let ty = &field.ty;
    match read_as(field) {
        Read::Plain => quote!(#ty),
        Read::Stamp => quote!(::staffdb::__private::ReadStamp),
        Read::OptionalStamp => {
            quote!(::std::option::Option<::staffdb::__private::ReadStamp>)
        }
    }
}

impl crate::attrs::Field {
    /// Where the field's type is written, for errors about it.
    pub fn ty_span(&self) -> Span {
        syn::spanned::Spanned::span(&self.ty)
    }
}
