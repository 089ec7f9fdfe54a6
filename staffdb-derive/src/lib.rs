//! `#[derive(staffdb::Model)]`: one declaration per table.
//!
//! On a read struct beside its `diesel::table!`, the derive writes what an application would
//! otherwise write by hand for every table: Diesel's `Selectable` and `Queryable`, checked
//! against the `table!` on every backend staffdb has; the insert form (`NewProject`, with a
//! builder) and the changes form (`ProjectChanges`); their validation from the field options;
//! `staffdb::Model` with one statement per write; `staffdb::Versioned` for a model with a
//! `version`; and `staffdb::Describe`, the description of its columns that the front ends read.
//! Use it through `staffdb`, which re-exports it; its documentation is `staffdb::Model`'s.

mod attrs;
mod describe;
mod forms;
mod history;
mod listed;
mod model;
mod read;
mod relations;
mod row;

use proc_macro::TokenStream;
use quote::quote;
use syn::{DeriveInput, parse_macro_input};

/// Derives a staffdb model from a struct beside its `diesel::table!`; see `staffdb`'s
/// documentation of the derive for its options.
#[proc_macro_derive(Model, attributes(staffdb))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match attrs::Model::parse(&input) {
        Ok(model) => expand(&model).into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// Everything the derive writes.
fn expand(model: &attrs::Model) -> proc_macro2::TokenStream {
    let read = read::expand(model);
    let forms = forms::expand(model);
    let row = row::expand(model);
    let model_impl = model::expand(model);
    let describe = describe::expand(model);
    let listed = listed::expand(model);
    let relations = relations::expand(model);
    quote! {
        #read
        #forms
        #row
        #model_impl
        #describe
        #listed
        #relations
    }
}
