//! The insert form (`NewProject`, with a builder) and the changes form (`ProjectChanges`), their
//! Diesel `Insertable` and `AsChangeset`, and their validation from the field options.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::attrs::{Field, Model, Role};

/// The two forms beside the model, with their builder, validation and checks. Diesel's derives
/// on them expand to `use diesel;`, which the crate's `diesel` dependency answers (`table!`
/// needs it too) — and inside staffdb, staffdb's own.
pub fn expand(model: &Model) -> TokenStream {
    let structs = structs(model);
    let builder = builder(model);
    let validate = validate(model);
    let checks = option_checks(model);
    quote! {
        #structs
        #builder
        #validate
        #checks
    }
}

/// The fields an insert writes.
fn written(model: &Model) -> impl Iterator<Item = &Field> {
    model.with_role(Role::Data)
}

/// The two structs, with Diesel's derives.
fn structs(model: &Model) -> TokenStream {
    let (ident, new, changes, table) = (&model.ident, &model.new, &model.changes, &model.table);
    let vis = &model.vis;
    let new_doc = format!(
        "A {} to insert: `session.add(&{new}::new(…))`. The database assigns the rest of a \
         [`{ident}`].",
        model.name
    );
    let changes_doc = format!(
        "Changes to a {}: each `None` leaves its column alone (`Some(None)` sets a nullable \
         one to NULL).",
        model.name
    );
    let new_fields = written(model).map(|f| {
        let (name, ty, docs) = (&f.ident, &f.ty, &f.docs);
        quote!(#(#docs)* pub #name: #ty,)
    });
    let change_fields = written(model).map(|f| {
        let (name, ty, docs) = (&f.ident, &f.ty, &f.docs);
        quote!(#(#docs)* pub #name: ::std::option::Option<#ty>,)
    });
    quote! {
        #[doc = #new_doc]
        #[allow(missing_docs)] // a field without docs is reported once, at the model's field
        #[derive(Debug, Clone, PartialEq)]
        #vis struct #new { #(#new_fields)* }

        #[doc = #changes_doc]
        #[allow(missing_docs)]
        #[derive(Debug, Clone, Default, PartialEq, ::staffdb::diesel::AsChangeset)]
        #[diesel(table_name = #table)]
        #vis struct #changes { #(#change_fields)* }

        impl ::staffdb::NewModel for #new {
            type Model = #ident;
        }

        impl #changes {
            /// True when no field would change (an update refuses it: "nothing to change").
            pub fn is_empty(&self) -> bool {
                *self == <Self as ::std::default::Default>::default()
            }
        }
    }
}

/// `NewProject::new(required…)` and a setter for every other field.
fn builder(model: &Model) -> TokenStream {
    let new = &model.new;
    let required: Vec<&Field> = written(model)
        .filter(|f| f.option_inner().is_none() && !f.default)
        .collect();
    let params = required.iter().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        quote!(#name: impl ::std::convert::Into<#ty>)
    });
    let inits = written(model).map(|f| {
        let name = &f.ident;
        if required.iter().any(|r| r.ident == f.ident) {
            quote!(#name: ::std::convert::Into::into(#name))
        } else {
            quote!(#name: ::std::default::Default::default())
        }
    });
    let setters = written(model)
        .filter(|f| !required.iter().any(|r| r.ident == f.ident))
        .map(|f| {
            let name = &f.ident;
            let doc = format!("With this `{name}`.");
            match f.option_inner() {
                Some(inner) => quote! {
                    #[doc = #doc]
                    pub fn #name(mut self, #name: impl ::std::convert::Into<#inner>) -> Self {
                        self.#name = ::std::option::Option::Some(::std::convert::Into::into(#name));
                        self
                    }
                },
                None => {
                    let ty = &f.ty;
                    quote! {
                        #[doc = #doc]
                        pub fn #name(mut self, #name: impl ::std::convert::Into<#ty>) -> Self {
                            self.#name = ::std::convert::Into::into(#name);
                            self
                        }
                    }
                }
            }
        });
    let names: Vec<String> = required.iter().map(|f| format!("`{}`", f.ident)).collect();
    let doc = if names.is_empty() {
        "An insert form with every field at its default; set them with the methods below.".into()
    } else {
        format!(
            "An insert form with {}; the other fields start empty (NULL) or at their default.",
            names.join(", ")
        )
    };
    quote! {
        impl #new {
            #[doc = #doc]
            #[allow(clippy::new_without_default)]
            pub fn new(#(#params),*) -> Self {
                #new { #(#inits,)* }
            }
            #(#setters)*
        }
    }
}

/// `Validate` for both forms, from the field options.
fn validate(model: &Model) -> TokenStream {
    let (new, changes) = (&model.new, &model.changes);
    let new_checks = written(model).map(|f| {
        let (name, rules) = (&f.ident, f.rules());
        let column = f.column();
        quote!(::staffdb::FieldValue::check(&mut self.#name, #column, &#rules)?;)
    });
    let change_checks = written(model).map(|f| {
        let (name, rules) = (&f.ident, f.rules());
        let column = f.column();
        quote! {
            if let ::std::option::Option::Some(value) = &mut self.#name {
                ::staffdb::FieldValue::check(value, #column, &#rules)?;
            }
        }
    });
    quote! {
        impl ::staffdb::Validate for #new {
            fn validate(&mut self) -> ::staffdb::Result<()> {
                #(#new_checks)*
                ::std::result::Result::Ok(())
            }
        }

        impl ::staffdb::Validate for #changes {
            fn validate(&mut self) -> ::staffdb::Result<()> {
                if self.is_empty() {
                    return ::std::result::Result::Err(::staffdb::__private::nothing_to_change());
                }
                #(#change_checks)*
                ::std::result::Result::Ok(())
            }
        }
    }
}

/// An option on a field of the wrong kind (`max_chars` on a number, `references` on text) is a
/// compile error at that field, in words.
fn option_checks(model: &Model) -> TokenStream {
    let checks = model.fields.iter().map(|f| {
        let ty = &f.ty;
        let span = f.ty_span();
        let mut bounds = Vec::new();
        if f.blank || f.multiline || f.email || f.max_chars.is_some() {
            bounds.push(quote_spanned!(span=> #ty: ::staffdb::__private::TextField));
        }
        if f.min.is_some() || f.max.is_some() {
            bounds.push(quote_spanned!(span=> #ty: ::staffdb::__private::NumberField));
        }
        // One bound, at the field's type: "holds no row's id", or the two id types that differ.
        if let Some(target) = &f.references {
            bounds.push(quote_spanned! {span=>
                #ty: ::staffdb::__private::IdField<Id = <#target as ::staffdb::Model>::Id>
            });
        }
        (!bounds.is_empty()).then(|| {
            let check = format_ident!("check_{}_options", f.ident, span = Span::mixed_site());
            quote! {
                #[allow(dead_code, non_snake_case)]
                fn #check() where #(#bounds,)* {}
            }
        })
    });
    quote! {
        const _: () = { #(#checks)* };
    }
}
