//! staffdb's own models in the admin: what an employee and a department show their own way.
//! Everything else comes from their description, as for an application's models (see
//! [`AdminModel`]).

use crate::{
    Column, Department, DepartmentId, Describe, Employee, EmployeeChanges, EmployeeFilter, Error,
    MAX_PATTERN_CHARS, NewEmployee, Query, Result, SortKey,
};

use super::admin::{AdminModel, ApiParameter, ApiValues};
use super::html::FormValues;

/// The list without the times and the version, the form's values as the employees' pages
/// read them; in the API, a row with its department's name, and the list's parameters of
/// their own.
impl AdminModel for Employee {
    const API_TITLES: &'static [&'static str] = &["department"];

    /// The employees' list takes, besides the generic query (`age>=30`, `q=`, `sort=-name`),
    /// the parameters its clients have always sent: `position` (exactly), `department` (by
    /// name), `min_age`, `max_age`, `name` (contains, ignoring case), and `sort` by a
    /// [`SortKey`] with `desc=1`.
    fn api_query(raw: &str) -> Result<Query<Employee>> {
        let (own, rest) = EmployeeParameters::read(raw)?;
        let mut query = own.filter.query().and_url_query(&rest)?;
        if let Some((key, descending)) = own.sort {
            query = query.sort_by(key.column().name, descending)?;
        }
        Ok(query)
    }

    fn api_parameters() -> Vec<ApiParameter> {
        let own = |name, description, values| ApiParameter {
            name,
            description,
            values,
        };
        vec![
            own(
                "position",
                "Only employees with exactly this position.",
                ApiValues::Text,
            ),
            own(
                "department",
                "Only employees in the department of this name.",
                ApiValues::Text,
            ),
            own(
                "min_age",
                "Only employees at least this old.",
                ApiValues::Integer,
            ),
            own(
                "max_age",
                "Only employees at most this old.",
                ApiValues::Integer,
            ),
            own(
                "name",
                "Only employees whose name contains this text (ignoring case; `%` and `_` are literal).",
                ApiValues::Text,
            ),
            own(
                "sort",
                "The order (empty: by id), ties broken by id in the same direction (NULL hiring dates last); `-` before a key, or `desc`, for largest first; a `next` cursor continues it.",
                ApiValues::OneOf(&SORT_KEYS),
            ),
            own(
                "desc",
                "`1` or `true`: largest first (empty, `0` or `false`: smallest first).",
                ApiValues::OneOf(&["", "0", "1", "false", "true"]),
            ),
        ]
    }

    fn list_display() -> Vec<&'static Column> {
        Self::COLUMNS
            .iter()
            .filter(|c| c.key || c.is_written())
            .collect()
    }

    fn values(&self) -> FormValues {
        let optional = |value: Option<String>| value.unwrap_or_default();
        FormValues(vec![
            ("name".into(), self.name.clone()),
            ("age".into(), self.age.to_string()),
            ("position".into(), self.position.clone()),
            ("email".into(), optional(self.email.clone())),
            (
                "department_id".into(),
                optional(self.department_id.map(|d| d.get().to_string())),
            ),
            (
                "hired_on".into(),
                optional(self.hired_on.map(|d| d.to_string())),
            ),
        ])
    }

    fn new_from(form: &FormValues) -> Result<NewEmployee> {
        Ok(NewEmployee {
            name: form.string("name"),
            age: form.required_number("age")?,
            position: form.string("position"),
            email: form.text("email"),
            department_id: form.number("department_id")?.map(DepartmentId),
            hired_on: form.date("hired_on")?,
        })
    }

    /// Every field of the form: a blank optional one clears the value.
    fn changes_from(form: &FormValues) -> Result<EmployeeChanges> {
        let new = Self::new_from(form)?;
        Ok(EmployeeChanges {
            name: Some(new.name),
            age: Some(new.age),
            position: Some(new.position),
            email: Some(new.email),
            department_id: Some(new.department_id),
            hired_on: Some(new.hired_on),
        })
    }
}

/// The list's creation time to the minute; the rest from the description. The API's list is
/// every department at once, as its clients have always had it.
impl AdminModel for Department {
    const API_UNPAGED: bool = true;

    fn cells(&self) -> Vec<String> {
        let created = self.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
        vec![self.id.to_string(), self.name.clone(), created]
    }
}

/// The employees' list parameters of their own (see [`Employee::api_query`]), and the rest of
/// the query string.
#[derive(Debug, Default)]
struct EmployeeParameters {
    filter: EmployeeFilter,
    /// `sort` and `desc`, when either is given.
    sort: Option<(SortKey, bool)>,
}

impl EmployeeParameters {
    /// Takes the employees' own parameters out of `raw`, each given at most once; a value that
    /// cannot be read is refused naming its parameter.
    fn read(raw: &str) -> Result<(EmployeeParameters, String)> {
        // The parameters the document describes are the ones read here.
        let names: Vec<&'static str> = Employee::api_parameters().iter().map(|p| p.name).collect();
        let mut own = EmployeeParameters::default();
        let (mut rest, mut seen, mut sort, mut desc) = (Vec::new(), Vec::new(), None, None);
        for piece in raw.split('&').filter(|piece| !piece.is_empty()) {
            let Some((key, value)) = url::form_urlencoded::parse(piece.as_bytes()).next() else {
                continue;
            };
            let known = names.iter().copied().find(|name| *name == key);
            let Some(name) = known.filter(|_| piece.contains('=')) else {
                rest.push(piece);
                continue;
            };
            if seen.contains(&name) {
                return Err(Error::validation(name, "is given twice in the query"));
            }
            seen.push(name);
            if value.chars().count() > MAX_PATTERN_CHARS {
                let reason = format!("is longer than {MAX_PATTERN_CHARS} characters");
                return Err(Error::validation(name, reason));
            }
            let (value, filter) = (value.into_owned(), &mut own.filter);
            match name {
                "position" => filter.position = Some(value),
                "department" => filter.department = Some(value),
                "min_age" => filter.min_age = Some(age(name, &value)?),
                "max_age" => filter.max_age = Some(age(name, &value)?),
                "name" => filter.name_contains = Some(value),
                "sort" => sort = Some(value),
                "desc" => desc = Some(value),
                // Every parameter `api_parameters` describes has its arm above (the web tests
                // use each one).
                _ => {}
            }
        }
        if sort.is_some() || desc.is_some() {
            own.sort = Some(sort_and_direction(sort.as_deref(), desc.as_deref())?);
        }
        Ok((own, rest.join("&")))
    }
}

/// What the employees' `sort` takes: a [`SortKey`]'s name (`hired_on` too), each also after `-`.
const SORT_KEYS: [&str; 13] = [
    "",
    "id",
    "name",
    "age",
    "position",
    "hired-on",
    "hired_on",
    "-id",
    "-name",
    "-age",
    "-position",
    "-hired-on",
    "-hired_on",
];

/// An age bound: a whole number of `i32`'s range.
fn age(name: &'static str, value: &str) -> Result<i32> {
    crate::whole_number(value)
        .ok_or_else(|| Error::validation(name, format!("`{value}` is not a whole number")))
}

/// `sort` (a [`SortKey`], `id` when empty or absent; `-name` is `name` largest first, as the
/// generic `sort` writes it) and `desc` (`1` or `true` largest first; empty, `0` or `false`
/// smallest first).
fn sort_and_direction(sort: Option<&str>, desc: Option<&str>) -> Result<(SortKey, bool)> {
    let sort = sort.unwrap_or_default();
    let (name, minus) = match sort.strip_prefix('-') {
        Some(name) => (name, true),
        None => (sort, false),
    };
    let key = match name {
        "" => SortKey::Id,
        name => name
            .parse()
            .map_err(|reason: String| Error::validation("sort", reason))?,
    };
    let descending = match desc {
        None | Some("" | "0" | "false") => false,
        Some("1" | "true") => true,
        Some(_) => return Err(Error::validation("desc", "must be 1, true, 0 or false")),
    };
    Ok((key, descending || minus))
}
