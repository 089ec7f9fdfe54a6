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
    let types: Vec<_> = model.fields.iter().map(|f| &f.ty).collect();
    let names: Vec<_> = model.fields.iter().map(|f| &f.ident).collect();
    let indexes = (0..model.fields.len()).map(Index::from);
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
                    ::std::result::Result::Ok(Self { #(#names: row.#indexes,)* })
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

impl crate::attrs::Field {
    /// Where the field's type is written, for errors about it.
    pub fn ty_span(&self) -> Span {
        syn::spanned::Spanned::span(&self.ty)
    }
}
