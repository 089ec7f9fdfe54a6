//! staffdb's own models in the admin: how an employee and a department are shown and edited.
//! An application registers its own models the same way (see [`AdminModel`]).

use crate::{
    Column, Department, DepartmentChanges, DepartmentId, Describe, Employee, EmployeeChanges,
    EmployeeId, Kind, NewDepartment, NewEmployee, Result, Session,
};

use super::admin::AdminModel;
use super::html::{Field, FieldKind, FormValues};

impl AdminModel for Employee {
    const PLURAL: &'static str = "employees";

    fn id_from(raw: i64) -> EmployeeId {
        EmployeeId(raw)
    }

    fn fields(session: &mut Session) -> Result<Vec<Field>> {
        let departments = Department::all(session)?
            .into_iter()
            .map(|d| (d.id.get().to_string(), d.name))
            .collect();
        Ok(vec![
            Field::new("name", "Name", FieldKind::Text).required(),
            Field::new("age", "Age", FieldKind::Number { min: 0, max: 150 }).required(),
            Field::new("position", "Position", FieldKind::Text).required(),
            Field::new("email", "Email", FieldKind::Email),
            Field::new(
                "department_id",
                "Department",
                FieldKind::Choice(departments),
            ),
            Field::new("hired_on", "Hired on", FieldKind::Date),
        ])
    }

    fn columns() -> Vec<&'static str> {
        vec![
            "id", "name", "age", "position", "email", "hired on", "version",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.age.to_string(),
            self.position.clone(),
            self.email.clone().unwrap_or_default(),
            self.hired_on.map(|d| d.to_string()).unwrap_or_default(),
            self.version.to_string(),
        ]
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

    fn version(&self) -> Option<i32> {
        Some(self.version)
    }

    fn save(
        session: &mut Session,
        id: EmployeeId,
        version: Option<i32>,
        changes: &EmployeeChanges,
    ) -> Result<Employee> {
        match version {
            Some(version) => session.update_if_version(id, version, changes),
            None => session.update(id, changes),
        }
    }
}

impl AdminModel for Department {
    const PLURAL: &'static str = "departments";

    fn id_from(raw: i64) -> DepartmentId {
        DepartmentId(raw)
    }

    fn fields(_: &mut Session) -> Result<Vec<Field>> {
        Ok(vec![Field::new("name", "Name", FieldKind::Text).required()])
    }

    fn columns() -> Vec<&'static str> {
        vec!["id", "name", "created"]
    }

    fn cells(&self) -> Vec<String> {
        let created = self.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
        vec![self.id.to_string(), self.name.clone(), created]
    }

    fn values(&self) -> FormValues {
        FormValues(vec![("name".into(), self.name.clone())])
    }

    fn new_from(form: &FormValues) -> Result<NewDepartment> {
        Ok(NewDepartment::new(form.string("name")))
    }

    fn changes_from(form: &FormValues) -> Result<DepartmentChanges> {
        Ok(DepartmentChanges {
            name: form.string("name"),
        })
    }
}

/// Every model with a description (`#[derive(Model)]`) gets the admin's pages from it: its
/// form's fields are its written columns, its list shows every column but the version.
impl<M> AdminModel for M
where
    M: Describe<Id: Send + From<i64> + 'static, New: Send + 'static, Changes: Send + 'static>
        + Send
        + 'static,
{
    const PLURAL: &'static str = <M as Describe>::TABLE;

    fn id_from(raw: i64) -> M::Id {
        M::Id::from(raw)
    }

    fn fields(_: &mut Session) -> Result<Vec<Field>> {
        Ok(M::COLUMNS
            .iter()
            .filter(|c| c.is_written())
            .map(form_field)
            .collect())
    }

    fn columns() -> Vec<&'static str> {
        M::COLUMNS
            .iter()
            .filter(|c| !c.version)
            .map(|c| c.label)
            .collect()
    }

    fn cells(&self) -> Vec<String> {
        M::COLUMNS
            .iter()
            .zip(self.texts())
            .filter(|(c, _)| !c.version)
            .map(|(_, text)| text)
            .collect()
    }

    fn values(&self) -> FormValues {
        FormValues(
            M::COLUMNS
                .iter()
                .zip(self.texts())
                .filter(|(c, _)| c.is_written())
                .map(|(c, text)| (c.name.to_owned(), text))
                .collect(),
        )
    }

    fn new_from(form: &FormValues) -> Result<M::New> {
        M::new_from_texts(&|name| Some(form.raw(name).trim().to_owned()))
    }

    fn changes_from(form: &FormValues) -> Result<M::Changes> {
        M::changes_from_texts(&|name| Some(form.raw(name).trim().to_owned()))
    }

    fn version(&self) -> Option<i32> {
        self.row_version()
    }

    fn save(
        session: &mut Session,
        id: M::Id,
        version: Option<i32>,
        changes: &M::Changes,
    ) -> Result<M> {
        M::update_expecting(session, id, version, changes)
    }
}

/// A described column as a form field.
fn form_field(column: &Column) -> Field {
    let number = |min: i64, max: i64| FieldKind::Number {
        min: column.rules.min.unwrap_or(min),
        max: column.rules.max.unwrap_or(max),
    };
    let kind = match column.kind {
        Kind::Text if column.rules.email => FieldKind::Email,
        Kind::Integer => number(i64::MIN, i64::MAX),
        Kind::Id => number(1, i64::MAX),
        Kind::Date => FieldKind::Date,
        Kind::Bool => FieldKind::Choice(vec![
            ("true".into(), "yes".into()),
            ("false".into(), "no".into()),
        ]),
        _ => FieldKind::Text,
    };
    let field = Field::new(column.name, column.label, kind);
    if column.nullable || column.kind == Kind::Bool {
        field
    } else {
        field.required()
    }
}
