//! staffdb's own models in the admin: what an employee and a department show their own way.
//! Everything else comes from their description, as for an application's models (see
//! [`AdminModel`]).

use crate::{
    Column, Department, DepartmentId, Describe, Employee, EmployeeChanges, NewEmployee, Result,
};

use super::admin::AdminModel;
use super::html::FormValues;

/// The list without the times and the version, the form's values as the employees' pages
/// read them.
impl AdminModel for Employee {
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

/// The list's creation time to the minute; the rest from the description.
impl AdminModel for Department {
    fn cells(&self) -> Vec<String> {
        let created = self.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
        vec![self.id.to_string(), self.name.clone(), created]
    }
}
