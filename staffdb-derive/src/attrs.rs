//! What a `#[derive(Model)]` declaration says: the struct's `#[staffdb(…)]` options and each
//! field's, read once and checked here, so that every generator works from the same description
//! and a mistake is reported at the attribute that made it.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Error, Expr, Fields, Ident, LitStr, Path, Result, Type, Visibility};

/// The model as declared.
pub struct Model {
    /// The struct's name: `Project`.
    pub ident: Ident,
    /// Its visibility, which the generated forms share.
    pub vis: Visibility,
    /// The `table!` module: `projects`.
    pub table: Path,
    /// What a row is called in messages: `project`.
    pub name: String,
    /// The insert form's name: `NewProject`.
    pub new: Ident,
    /// The changes form's name: `ProjectChanges`.
    pub changes: Ident,
    /// Every field, in declaration order (the `SELECT` list's order).
    pub fields: Vec<Field>,
    /// `#[staffdb(many_to_many(…))]` on the struct, in order.
    pub many_to_many: Vec<ManyToMany>,
    /// `#[staffdb(history = projects_history)]`: the `table!` of the history table that the
    /// database's triggers keep.
    pub history: Option<Path>,
    /// `#[staffdb(display)]`: a row's line in a command's output is its `Display`.
    pub display: bool,
}

/// `#[staffdb(many_to_many(members = Employee, through = project_members, from = project_id,
/// to = employee_id))]`: the rows of another model related through a join table.
pub struct ManyToMany {
    /// The relation's name, which is its method's: `members`.
    pub name: Ident,
    /// The related model: `Employee`.
    pub target: Path,
    /// The join table's `table!` module: `project_members`.
    pub through: Path,
    /// The join table's column that holds this model's id.
    pub from: Ident,
    /// The join table's column that holds the related model's id.
    pub to: Ident,
}

impl ManyToMany {
    /// Reads the parenthesised options; every one is required.
    fn parse(meta: &syn::meta::ParseNestedMeta<'_>) -> Result<ManyToMany> {
        let (mut named, mut through, mut from, mut to) = (None, None, None, None);
        meta.parse_nested_meta(|inner| {
            if inner.path.is_ident("through") {
                through = Some(inner.value()?.parse::<Path>()?);
            } else if inner.path.is_ident("from") {
                from = Some(inner.value()?.parse::<Ident>()?);
            } else if inner.path.is_ident("to") {
                to = Some(inner.value()?.parse::<Ident>()?);
            } else if let (Some(name), None) = (inner.path.get_ident(), &named) {
                named = Some((name.clone(), inner.value()?.parse::<Path>()?));
            } else {
                return Err(inner.error(MANY_TO_MANY));
            }
            Ok(())
        })?;
        match (named, through, from, to) {
            (Some((name, target)), Some(through), Some(from), Some(to)) => Ok(ManyToMany {
                name,
                target,
                through,
                from,
                to,
            }),
            _ => Err(meta.error(MANY_TO_MANY)),
        }
    }
}

/// What `many_to_many` takes, for the error that says so.
const MANY_TO_MANY: &str = "expected `many_to_many(name = Model, through = join_table, from = \
     column, to = column)`: the relation's name and model, the join table, its column holding \
     this model's id and its column holding the other's";

/// What the database does with a field on insert.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The primary key, assigned by the database.
    Key,
    /// An ordinary column: written by the insert and update forms.
    Data,
    /// The optimistic-locking version: 1 on insert, one more on every update.
    Version,
    /// Set by the database (a default or a trigger), never written by staffdb.
    Generated,
    /// `#[staffdb(created)]`: the time of the insert, written by staffdb (as Django's
    /// `auto_now_add`).
    Created,
    /// `#[staffdb(updated)]`: the time of the last write, written by staffdb on insert and on
    /// every update (as Django's `auto_now`).
    Updated,
}

impl Role {
    /// Written by staffdb, not by the forms: the version and the two stamps.
    pub fn is_kept(self) -> bool {
        matches!(self, Role::Version | Role::Created | Role::Updated)
    }

    /// A time staffdb writes.
    pub fn is_stamp(self) -> bool {
        matches!(self, Role::Created | Role::Updated)
    }
}

/// One field and its options.
pub struct Field {
    /// Its name, which is its column's.
    pub ident: Ident,
    /// Its Rust type.
    pub ty: Type,
    /// Its role.
    pub role: Role,
    /// `#[staffdb(unique)]`: the database keeps it unique (described; the constraint is the
    /// migration's).
    pub unique: bool,
    /// `#[staffdb(search)]`: a text search looks in it.
    pub search: bool,
    /// `#[staffdb(sort)]`: lists may be sorted by it.
    pub sort: bool,
    /// `#[staffdb(filter)]`: lists may be filtered by it.
    pub filter: bool,
    /// `#[staffdb(blank)]`: text may be blank.
    pub blank: bool,
    /// `#[staffdb(multiline)]`: text may hold line breaks and tabs.
    pub multiline: bool,
    /// `#[staffdb(email)]`: a well-formed email address, stored lowercased.
    pub email: bool,
    /// `#[staffdb(default)]`: the insert form's builder starts it at `Default::default()`.
    pub default: bool,
    /// `#[staffdb(max_chars = N)]`.
    pub max_chars: Option<Expr>,
    /// `#[staffdb(min = N)]`.
    pub min: Option<Expr>,
    /// `#[staffdb(max = N)]`.
    pub max: Option<Expr>,
    /// `#[staffdb(references = Model)]`.
    pub references: Option<Path>,
    /// `#[staffdb(titled)]`: records show and read the reference by its row's title.
    pub titled: bool,
    /// `#[staffdb(create_titled)]`: `titled`, and an import adds a row for a title no row has.
    pub create_titled: bool,
    /// `#[staffdb(label = "…")]`, else made from the name.
    pub label: String,
    /// Where the field is declared, for errors about it.
    pub span: Span,
    /// Its doc comments, which the forms' fields repeat.
    pub docs: Vec<syn::Attribute>,
}

/// Every option a field takes, for the error that names an unknown one.
const FIELD_OPTIONS: &str = "unique, search, sort, filter, blank, multiline, email, default, \
     version, generated, created, updated, primary_key, max_chars = N, min = N, max = N, \
     references = Model, titled, create_titled, label = \"…\"";

impl Model {
    /// Reads the declaration; an error points at what is wrong.
    pub fn parse(input: &DeriveInput) -> Result<Model> {
        let Data::Struct(data) = &input.data else {
            return Err(Error::new(
                input.ident.span(),
                "#[derive(staffdb::Model)] goes on a struct with named fields, one per column",
            ));
        };
        let Fields::Named(named) = &data.fields else {
            return Err(Error::new(
                input.ident.span(),
                "#[derive(staffdb::Model)] needs named fields: each field is the column of the same name",
            ));
        };
        if !input.generics.params.is_empty() {
            return Err(Error::new(
                input.generics.span(),
                "a model has no generic parameters: it is one table's row",
            ));
        }
        let ident = input.ident.clone();
        let mut table = None;
        let mut name = None;
        let mut many_to_many = Vec::new();
        let mut history = None;
        let mut display = false;
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("staffdb")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("table") {
                    table = Some(meta.value()?.parse::<Path>()?);
                } else if meta.path.is_ident("name") {
                    name = Some(meta.value()?.parse::<LitStr>()?.value());
                } else if meta.path.is_ident("many_to_many") {
                    many_to_many.push(ManyToMany::parse(&meta)?);
                } else if meta.path.is_ident("history") {
                    history = Some(meta.value()?.parse::<Path>()?);
                } else if meta.path.is_ident("display") {
                    display = true;
                } else {
                    return Err(meta.error(
                        "unknown staffdb option on a model; expected `table = …`, `name = \"…\"`, `many_to_many(…)`, `history = …` or `display`",
                    ));
                }
                Ok(())
            })?;
        }
        let table = table.ok_or_else(|| {
            Error::new(
                ident.span(),
                "a model names its `table!`: add #[staffdb(table = your_table)]",
            )
        })?;
        let fields = named
            .named
            .iter()
            .map(Field::parse)
            .collect::<Result<Vec<_>>>()?;
        let model = Model {
            name: name.unwrap_or_else(|| snake_case(&ident.to_string())),
            new: Ident::new(&format!("New{ident}"), ident.span()),
            changes: Ident::new(&format!("{ident}Changes"), ident.span()),
            vis: input.vis.clone(),
            ident,
            table,
            fields,
            many_to_many,
            history,
            display,
        };
        model.check_roles()?;
        Ok(model)
    }

    /// One key, at most one version, and something an insert can write.
    fn check_roles(&self) -> Result<()> {
        let keys: Vec<&Field> = self.with_role(Role::Key).collect();
        match keys.as_slice() {
            [_] => {}
            [] => {
                return Err(Error::new(
                    self.ident.span(),
                    "a model needs its primary key: a field named `id` (or marked #[staffdb(primary_key)]) of a type made by staffdb::id!",
                ));
            }
            [_, second, ..] => {
                return Err(Error::new(
                    second.span,
                    "a model has one primary key field; composite keys are not supported",
                ));
            }
        }
        if let Some(second) = self.with_role(Role::Version).nth(1) {
            return Err(Error::new(
                second.span,
                "a model has at most one `version` field",
            ));
        }
        if self.with_role(Role::Data).next().is_none() {
            return Err(Error::new(
                self.ident.span(),
                "a model needs at least one column that an insert writes",
            ));
        }
        Ok(())
    }

    /// The fields with this role, in order.
    pub fn with_role(&self, role: Role) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(move |f| f.role == role)
    }

    /// The primary key's field.
    pub fn key(&self) -> &Field {
        // `check_roles` made sure there is exactly one.
        self.with_role(Role::Key).next().unwrap_or(&self.fields[0])
    }

    /// The version field, if the model has one.
    pub fn version(&self) -> Option<&Field> {
        self.with_role(Role::Version).next()
    }
}

impl Field {
    /// Its doc comment's first paragraph, as one line (empty without one): what the API's
    /// document says of the column.
    pub fn doc_text(&self) -> String {
        let lines = self.docs.iter().filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value().trim().to_owned()),
            _ => None,
        });
        let paragraph: Vec<String> = lines.take_while(|line| !line.is_empty()).collect();
        paragraph.join(" ")
    }

    fn parse(field: &syn::Field) -> Result<Field> {
        let ident = field
            .ident
            .clone()
            .ok_or_else(|| Error::new(field.span(), "a model's fields are named"))?;
        let mut parsed = Field {
            role: if ident == "id" { Role::Key } else { Role::Data },
            label: label_for(&ident.to_string()),
            span: ident.span(),
            ty: field.ty.clone(),
            ident,
            unique: false,
            search: false,
            sort: false,
            filter: false,
            blank: false,
            multiline: false,
            email: false,
            default: false,
            max_chars: None,
            min: None,
            max: None,
            references: None,
            titled: false,
            create_titled: false,
            docs: field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect(),
        };
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("staffdb")) {
            attr.parse_nested_meta(|meta| parsed.option(meta))?;
        }
        parsed.titled |= parsed.create_titled;
        if parsed.titled && parsed.references.is_none() {
            return Err(Error::new(
                parsed.span,
                "`titled` and `create_titled` go on a reference: add `references = Model` (the model whose rows' titles name it)",
            ));
        }
        if parsed.role.is_stamp() && !is_named(&parsed.ty, "NaiveDateTime") {
            return Err(Error::new(
                parsed.ty.span(),
                "a `created` or `updated` field is a `chrono::NaiveDateTime` (a `Timestamp` column): staffdb writes the UTC time of the write",
            ));
        }
        if parsed.role == Role::Version && !is_i32(&parsed.ty) {
            return Err(Error::new(
                parsed.ty.span(),
                "a `version` field is an `i32`: it counts the row's updates (1, 2, 3, …)",
            ));
        }
        Ok(parsed)
    }

    /// One `#[staffdb(…)]` option.
    fn option(&mut self, meta: syn::meta::ParseNestedMeta<'_>) -> Result<()> {
        let path = &meta.path;
        let name = path.get_ident().map(Ident::to_string).unwrap_or_default();
        // A flag given a value (`unique = true`) would otherwise be syn's "expected `,`".
        let no_value = || match meta.input.is_empty() || meta.input.peek(syn::Token![,]) {
            true => Ok(()),
            false => Err(meta.error(format!("`{name}` takes no value: write #[staffdb({name})]"))),
        };
        let flag = |slot: &mut bool| {
            no_value()?;
            *slot = true;
            Ok(())
        };
        let role = |field: &mut Field, role: Role| {
            no_value()?;
            field.role = role;
            Ok(())
        };
        let number = |meta: &syn::meta::ParseNestedMeta<'_>| -> Result<Expr> {
            let value: Expr = meta.value()?.parse()?;
            match &value {
                Expr::Lit(syn::ExprLit { lit, .. }) if !matches!(lit, syn::Lit::Int(_)) => {
                    Err(Error::new(
                        lit.span(),
                        format!("`{name}` takes a whole number, as in `{name} = 100`"),
                    ))
                }
                _ => Ok(value),
            }
        };
        match path.get_ident().map(Ident::to_string).as_deref() {
            Some("unique") => flag(&mut self.unique),
            Some("search") => flag(&mut self.search),
            Some("sort") => flag(&mut self.sort),
            Some("filter") => flag(&mut self.filter),
            Some("blank") => flag(&mut self.blank),
            Some("multiline") => flag(&mut self.multiline),
            Some("email") => flag(&mut self.email),
            Some("default") => flag(&mut self.default),
            Some("titled") => flag(&mut self.titled),
            Some("create_titled") => flag(&mut self.create_titled),
            Some("version") => role(self, Role::Version),
            Some("generated") => role(self, Role::Generated),
            Some("created") => role(self, Role::Created),
            Some("updated") => role(self, Role::Updated),
            Some("primary_key") => role(self, Role::Key),
            Some("max_chars") => number(&meta).map(|v| self.max_chars = Some(v)),
            Some("min") => number(&meta).map(|v| self.min = Some(v)),
            Some("max") => number(&meta).map(|v| self.max = Some(v)),
            Some("references") => meta.value()?.parse().map(|v| self.references = Some(v)),
            Some("label") => meta
                .value()?
                .parse::<LitStr>()
                .map_err(|e| Error::new(e.span(), "`label` takes text, as in `label = \"Lead\"`"))
                .map(|v| self.label = v.value()),
            _ => Err(meta.error(format!(
                "unknown staffdb option on a field; expected one of: {FIELD_OPTIONS}"
            ))),
        }
    }

    /// The column's name: the field's.
    pub fn column(&self) -> String {
        self.ident.to_string()
    }

    /// `T` when the field is an `Option<T>` (a nullable column).
    pub fn option_inner(&self) -> Option<&Type> {
        let Type::Path(path) = &self.ty else {
            return None;
        };
        let last = path.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        match (last.ident == "Option", args.args.first()) {
            (true, Some(syn::GenericArgument::Type(inner))) if args.args.len() == 1 => Some(inner),
            _ => None,
        }
    }

    /// The rules its value keeps, as a `staffdb::Rules` expression.
    pub fn rules(&self) -> proc_macro2::TokenStream {
        // Typed, not cast: `max_chars = "200"` or `= -1` is an error at the value, not a
        // silent wrap-around (`as`) or an error at the derive.
        let some = |value: &Option<Expr>, ty: proc_macro2::TokenStream| match value {
            Some(value) => {
                quote::quote_spanned!(value.span()=> ::std::option::Option::Some::<#ty>(#value))
            }
            None => quote::quote!(::std::option::Option::None),
        };
        let (blank, email, multiline) = (self.blank, self.email, self.multiline);
        let max_chars = some(&self.max_chars, quote::quote!(usize));
        let (min, max) = (
            some(&self.min, quote::quote!(i64)),
            some(&self.max, quote::quote!(i64)),
        );
        quote::quote! {
            ::staffdb::Rules { blank: #blank, email: #email, multiline: #multiline, max_chars: #max_chars, min: #min, max: #max }
        }
    }
}

/// `i32`, as written.
fn is_i32(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("i32"))
}

/// A type whose path ends in `name` (`NaiveDateTime`, `chrono::NaiveDateTime`), as written.
pub fn is_named(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| s.ident == name && s.arguments.is_empty()))
}

/// `ProjectTask` → `project_task`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// `lead_id` → `Lead`, `created_at` → `Created at`.
pub(crate) fn label_for(field: &str) -> String {
    let words = field.strip_suffix("_id").unwrap_or(field).replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels() {
        assert_eq!(snake_case("ProjectTask"), "project_task");
        assert_eq!(label_for("lead_id"), "Lead");
        assert_eq!(label_for("created_at"), "Created at");
    }
}
