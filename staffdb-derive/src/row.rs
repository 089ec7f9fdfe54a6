//! The row an insert writes: the insert form's fields plus what staffdb keeps (the version, 1 on
//! insert, and the `created`/`updated` times), as a private struct beside the model. Owned, so
//! that a fixed-size array of them has a `'static` query id and Diesel keeps the multi-row INSERT
//! prepared; encoded field by field for PostgreSQL's binary `COPY`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::attrs::{Field, Model, Role};

impl Model {
    /// The row struct's name: `__ProjectRow`, private to the model's module.
    pub fn row(&self) -> syn::Ident {
        format_ident!("__{}Row", self.ident)
    }

    /// The fields an insert writes, in declaration order.
    pub fn inserted(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|f| f.role == Role::Data || f.role.is_kept())
    }

    /// True when staffdb writes a time into the row.
    pub fn has_stamps(&self) -> bool {
        self.fields.iter().any(|f| f.role.is_stamp())
    }

    /// `Row::new(new, now)`'s arguments after `new`: the batch's one time, formatted once.
    pub fn stamp_arg(&self) -> TokenStream {
        match self.has_stamps() {
            true => quote!(, now),
            false => TokenStream::new(),
        }
    }

    /// `let now = …;` where the row has a time to write.
    pub fn stamp_now(&self) -> TokenStream {
        match self.has_stamps() {
            true => {
                quote!(let now = ::staffdb::__private::Stamp::new(::staffdb::__private::now());)
            }
            false => TokenStream::new(),
        }
    }

    /// The inserted columns as a tuple of the `table!`'s columns, for `COPY`.
    pub fn inserted_columns(&self) -> TokenStream {
        let table = &self.table;
        let columns = self.inserted().map(|f| {
            let name = &f.ident;
            quote!(#table::#name)
        });
        quote!((#(#columns,)*))
    }
}

/// The row struct, its constructor from the insert form, and its `COPY` encoding.
pub fn expand(model: &Model) -> TokenStream {
    let (new, table, row) = (&model.new, &model.table, model.row());
    let fields = model.inserted().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        match f.role {
            Role::Created | Role::Updated => quote!(#name: ::staffdb::__private::Stamp),
            _ => quote!(#name: #ty),
        }
    });
    let inits = model.inserted().map(|f| {
        let name = &f.ident;
        match f.role {
            Role::Version => quote!(#name: 1),
            Role::Created | Role::Updated => quote!(#name: now),
            _ => quote!(#name: new.#name),
        }
    });
    let now_param = match model.has_stamps() {
        true => quote!(, now: ::staffdb::__private::Stamp),
        false => TokenStream::new(),
    };
    let copies = model.inserted().map(|f| {
        let name = &f.ident;
        match f.role {
            Role::Created | Role::Updated => quote!(fields.stamp(&self.#name);),
            _ => quote!(::staffdb::FieldValue::write_copy(&self.#name, fields);),
        }
    });
    let binary = model.inserted().filter(|f| !f.role.is_stamp()).map(|f| {
        let ty = &f.ty;
        quote!(&& <#ty as ::staffdb::FieldValue>::COPY_BINARY)
    });
    let count = model.inserted().count();
    quote! {
        // Crate-visible, for the model's own bulk statements (an upsert, say); not public API.
        #[doc(hidden)]
        #[derive(::staffdb::diesel::Insertable)]
        #[diesel(table_name = #table, treat_none_as_default_value = false)]
        pub(crate) struct #row { #(#fields,)* }

        #[allow(dead_code, private_interfaces)]
        impl #row {
            /// Columns per row, for sizing batches to the backends' bind-parameter limits.
            pub(crate) const COLUMNS: usize = #count;
            /// Every column has a binary `COPY` encoding.
            pub(crate) const COPY_BINARY: bool = true #(#binary)*;

            /// The row an insert of `new` writes (at `now`, one time for a whole batch).
            pub(crate) fn new(new: #new #now_param) -> Self {
                #row { #(#inits,)* }
            }
        }

        impl ::staffdb::__private::CopyRow for #row {
            const COLUMNS: i16 = #count as i16;

            fn write_fields(&self, fields: &mut ::staffdb::__private::CopyFields<'_>) {
                #(#copies)*
            }
        }
    }
}
