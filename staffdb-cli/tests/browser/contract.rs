//! What the HTML pages promise: their paths, CSS selectors and the texts the tests look for.
//! Every selector the tests use is here and nowhere else, so a change of the pages is one edit.

// --- paths ----------------------------------------------------------------------------------

/// The employee list (and where `/` redirects).
pub const LIST: &str = "/employees";
/// The form for a new employee.
pub const NEW: &str = "/employees/new";
/// The import page.
pub const IMPORT: &str = "/import";
/// The login page.
pub const LOGIN: &str = "/login";
/// The CSV download.
pub const EXPORT_CSV: &str = "/export?format=csv";

/// The edit form of one employee.
pub fn edit(id: i64) -> String {
    format!("/employees/{id}")
}

// --- every page -----------------------------------------------------------------------------

/// The menu on every page.
pub const MENU: &str = "nav#menu";
/// The menu's links: each page's path contains one of these.
pub const MENU_TARGETS: [&str; 4] = ["employees", "departments", "stats", "import"];
/// The confirmation of a save or an import (`Saved employee 7`, `Imported 2 added, 0 updated`).
pub const MESSAGE: &str = "p#message";

// --- the list ---------------------------------------------------------------------------------

/// The filter form (GET): every model's list has the same.
pub const FILTERS: &str = "form#filters";
/// The filter form's search field (`q`: any searchable column contains it).
pub const FILTER_SEARCH: &str = "form#filters input[name=q]";
/// The filter form's submit button.
pub const APPLY: &str = "button#apply";
/// The table of employees.
pub const ROWS_TABLE: &str = "table#rows";
/// `N employees`: how many match the filter.
pub const COUNT: &str = "p#total";
/// The link to the CSV download.
pub const EXPORT_CSV_LINK: &str = "a#export-csv";
/// The link to the form for a new employee.
pub const ADD_LINK: &str = "a#add";

/// The links of the position filter bar ("All", then each position).
pub const POSITION_CHOICES: &str = "nav#list-filter div.filter[data-column=position] a";

/// The name cells of the rows, in order.
pub const CELL_NAME: &str = "table#rows tr[data-id] .c-name";
/// The age cells of the rows, in order.
pub const CELL_AGE: &str = "table#rows tr[data-id] .c-age";
/// The position cells of the rows, in order.
pub const CELL_POSITION: &str = "table#rows tr[data-id] .c-position";

/// The data row of employee `id`.
pub fn row(id: i64) -> String {
    format!("table#rows tr[data-id=\"{id}\"]")
}

/// A cell of the row of employee `id`; `column` is `name`, `age`, `position`, …
pub fn cell(id: i64, column: &str) -> String {
    format!("table#rows tr[data-id=\"{id}\"] .c-{column}")
}

/// The header link that sorts by the column `key` (`id`, `name`, `age`, `position`, `hired_on`).
pub fn sort_link(key: &str) -> String {
    format!("a.sort[data-sort=\"{key}\"]")
}

/// The count line for `n` matching employees.
pub fn count_text(n: usize) -> String {
    format!("{n} employee{}", if n == 1 { "" } else { "s" })
}

// --- the employee form ------------------------------------------------------------------------

/// The form of one employee, new or existing.
pub const RECORD: &str = "form#record";
/// The name field.
pub const FIELD_NAME: &str = "form#record input[name=name]";
/// The age field.
pub const FIELD_AGE: &str = "form#record input[name=age]";
/// The position field.
pub const FIELD_POSITION: &str = "form#record input[name=position]";
/// The email field.
pub const FIELD_EMAIL: &str = "form#record input[name=email]";
/// The department select (`""` = none).
pub const FIELD_DEPARTMENT: &str = "form#record select[name=department_id]";
/// The options of the department select.
pub const DEPARTMENT_OPTIONS: &str = "form#record select[name=department_id] option";
/// The hiring date (`type=date`).
pub const FIELD_HIRED_ON: &str = "form#record input[name=hired_on]";
/// The hidden version of the row the form was filled from.
pub const FIELD_VERSION: &str = "form#record input[name=version]";
/// The hidden CSRF token.
pub const FIELD_CSRF: &str = "form#record input[name=csrf]";
/// The save button.
pub const SAVE: &str = "button#save";
/// The notice that the row changed since the form was opened.
pub const CONFLICT: &str = "#conflict";
/// What the conflict notice says.
pub const CONFLICT_TEXT: &str = "changed by someone else";

/// The error shown beside `field`'s input.
pub fn field_error(field: &str) -> String {
    format!("#error-{field}")
}

/// What the age error says.
pub const AGE_RANGE_TEXT: &str = "between 0 and 150";

/// The message after saving employee `id`.
pub fn saved_text(id: i64) -> String {
    format!("Saved employee {id}")
}

// --- import -----------------------------------------------------------------------------------

/// The import form (multipart).
pub const IMPORT_FORM: &str = "form#import";
/// Its file input.
pub const IMPORT_FILE: &str = "form#import input[type=file][name=file]";
/// Its submit button.
pub const IMPORT_SUBMIT: &str = "button#import-submit";
/// Why an import was refused (`line 3: invalid age: …; nothing was imported`).
pub const IMPORT_ERROR: &str = "p#import-error";
/// What the refusal ends with.
pub const NOTHING_IMPORTED_TEXT: &str = "nothing was imported";

/// The message after an import.
pub fn imported_text(added: usize, updated: usize) -> String {
    format!("Imported {added} added, {updated} updated")
}

// --- login ------------------------------------------------------------------------------------

/// The login form.
pub const LOGIN_FORM: &str = "form#login";
/// Its password field.
pub const PASSWORD: &str = "form#login input[name=password]";
/// Its submit button.
pub const LOGIN_BUTTON: &str = "button#login";
/// Its user-name field (on a server with users).
pub const USER_NAME: &str = "form#login input[name=name]";
/// Who is logged in, in the frame: `ann (viewer)`.
pub const WHO: &str = "span#who";
/// The frame's "Log out" button.
pub const LOG_OUT: &str = "form.logout button";
/// The list's boxes to tick rows for the bulk delete.
pub const BULK_FORM: &str = "form#bulk";
/// The refusal of a wrong password.
pub const LOGIN_ERROR: &str = "p#login-error";
/// The session cookie.
pub const SESSION_COOKIE: &str = "staffdb_session";

// --- an application's own model: the example's projects -------------------------------------

/// The projects' list (the generic admin list of a registered model).
pub const PROJECTS: &str = "/projects";
/// `N projects`: how many the list's query selects.
pub const PROJECT_TOTAL: &str = "p#total";
/// The name cells of the projects' rows, in order.
pub const PROJECT_NAMES: &str = "table#rows tr[data-id] .c-name";
/// The budget cells of the projects' rows, in order.
pub const PROJECT_BUDGETS: &str = "table#rows tr[data-id] .c-budget";
/// The lead cells of the projects' rows, in order (the lead's name).
pub const PROJECT_LEADS: &str = "table#rows tr[data-id] .c-lead_id";
/// The members picker of a project's form (a multi-select of employees by name).
pub const MEMBERS_PICKER: &str = "select#field-members";
/// Its options.
pub const MEMBER_OPTIONS: &str = "select#field-members option";
/// Its selected options.
pub const MEMBERS_SELECTED: &str = "select#field-members option:checked";
/// The budget field of a project's form.
pub const FIELD_BUDGET: &str = "form#record input[name=budget]";

/// The text of `N projects`.
pub fn project_total(n: usize) -> String {
    format!("{n} project{}", if n == 1 { "" } else { "s" })
}

/// The edit form of project `id`.
pub fn project(id: i64) -> String {
    format!("/projects/{id}")
}

/// The links of the lead filter bar ("All", each employee by name, "(none)").
pub const LEAD_CHOICES: &str = "nav#list-filter div.filter[data-column=lead_id] a";
/// The filter form's "budget from" input (`budget>`: at least).
pub const PROJECT_BUDGET_FROM: &str = "form#filters input[name=\"budget>\"]";

/// The members cell of project `id`'s row in the list.
pub fn project_members(id: i64) -> String {
    format!("table#rows tr[data-id=\"{id}\"] td.c-members")
}
