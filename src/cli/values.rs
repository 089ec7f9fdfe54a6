//! What the flags say, as the library takes it: the text of each column a write sets (read by
//! the model's own readers, [`Describe::new_from_texts`](crate::Describe::new_from_texts), as
//! the JSON API's bodies are), a reference given by its row's title made its id, and the
//! [`Query`] of `--filter`, `--search` and `--sort`.

use std::collections::BTreeMap;
use std::path::Path;

use clap::ArgMatches;

use super::args::flag_of;
use super::error::CliError;
use crate::{Error, Listed, Query, RecordFormat, Session, WriteField};

/// The text of each column a write sets, by column name (`""`: NULL).
pub(super) type Texts = BTreeMap<&'static str, String>;

/// The texts the flags of `add` or `update` give: each column's flag, `--set COLUMN=VALUE`,
/// and (for `update`) `--clear COLUMN`. A column given twice, set and cleared, unknown, or not
/// written is refused naming it, as is blank text for a nullable column (`--clear` says NULL).
pub(super) fn texts<M: Listed>(
    matches: &ArgMatches,
    fields: &[WriteField],
) -> Result<Texts, CliError> {
    let mut texts = Texts::new();
    for field in fields.iter().filter(|f| f.written) {
        if flag_of(field.column).is_some()
            && let Some(value) = matches.get_one::<String>(field.column.name)
        {
            texts.insert(field.column.name, checked::<M>(field, value)?);
        }
    }
    let sets = matches.get_many::<String>("set").into_iter().flatten();
    for set in sets {
        let Some((name, value)) = set.split_once('=') else {
            return Err(CliError::Invalid(format!(
                "--set {set}: write COLUMN=VALUE"
            )));
        };
        let field = written(fields, name.trim())?;
        if texts
            .insert(field.column.name, checked::<M>(field, value)?)
            .is_some()
        {
            return Err(given_twice(field));
        }
    }
    let clears = matches.try_get_many::<String>("clear").ok().flatten();
    for name in clears.into_iter().flatten() {
        let field = written(fields, name)?;
        if texts.insert(field.column.name, String::new()).is_some() {
            return Err(CliError::Invalid(format!(
                "{0} is given a value and cleared: the two contradict each other",
                field.column.name
            )));
        }
    }
    Ok(texts)
}

/// The written column named `name` (its column's name, or a titled reference's relation's,
/// `-` or `_` alike); any other name is refused, saying why.
fn written<'a>(fields: &'a [WriteField], name: &str) -> Result<&'a WriteField, CliError> {
    let name = &name.replace('-', "_");
    let named = |f: &&WriteField| f.column.name == name || f.column.record_name() == name;
    match fields.iter().find(named) {
        Some(field) if field.written => Ok(field),
        Some(field) if field.column.version => Err(CliError::Invalid(format!(
            "`{name}` is the version: give it to update as --if-version"
        ))),
        Some(_) => Err(CliError::Invalid(format!(
            "`{name}` is set by the database, not by a command"
        ))),
        None => {
            let names: Vec<&str> = fields
                .iter()
                .filter(|f| f.written)
                .map(|f| f.column.record_name())
                .collect();
            Err(CliError::Invalid(format!(
                "unknown column `{name}`; the columns a write sets: {}",
                names.join(", ")
            )))
        }
    }
}

/// A column given a value twice.
fn given_twice(field: &WriteField) -> CliError {
    CliError::Invalid(format!("{} is given twice", field.column.name))
}

/// The value of a flag. The model's reader takes blank text in a nullable column for NULL, so
/// it is refused here, naming the column, and NULL is said with `--clear`; a title that no row
/// could be made from, for a reference that adds rows (`create_titled`), is refused in the
/// words of the referenced model's column (`invalid department name: …`).
fn checked<M: Listed>(field: &WriteField, value: &str) -> Result<String, CliError> {
    let column = field.column;
    if column.creates_titled {
        crate::models::check_title::<M>(column, value)?;
    }
    if column.nullable && value.trim().is_empty() {
        return Err(Error::validation(
            column.record_name(),
            "must not be empty (to make it NULL, update with --clear)",
        )
        .into());
    }
    Ok(value.to_owned())
}

/// The texts with every reference given by title made the id of the one row of that title
/// (`--lead-id Alice`); a title no row has, or several have, is refused naming the column.
pub(super) fn resolve<M: Listed>(session: &mut Session, texts: &Texts) -> crate::Result<Texts> {
    let mut resolved = texts.clone();
    for (name, text) in &mut resolved {
        let Some(column) = M::column(name).filter(|c| c.references.is_some()) else {
            continue;
        };
        if column.titled.is_some() && !text.is_empty() {
            *text = titled_id::<M>(session, column, text)?;
            continue;
        }
        if text.is_empty() || text.trim().parse::<i64>().is_ok() {
            continue;
        }
        let model = column.references.unwrap_or("row");
        let Some(choices) = M::__choices(column, session)? else {
            let reason =
                format!("there are too many {model} rows to pick one by title: give its id");
            return Err(Error::validation(column.name, reason));
        };
        let title = text.trim();
        let ids: Vec<&String> = choices
            .iter()
            .filter(|(_, t)| t == title)
            .map(|(id, _)| id)
            .collect();
        *text = match ids.as_slice() {
            [id] => (*id).clone(),
            [] => {
                let reason = format!("no {model} is called `{title}` (give a title or an id)");
                return Err(Error::validation(column.name, reason));
            }
            _ => {
                let reason = format!(
                    "{} rows of {model} are called `{title}`: give the id",
                    ids.len()
                );
                return Err(Error::validation(column.name, reason));
            }
        };
    }
    Ok(resolved)
}

/// The id of the row a [`titled`](crate::Column::titled) reference's `title` names (always a
/// title, even one made of digits); with `create_titled`, a new row for a title none has.
fn titled_id<M: Listed>(
    session: &mut Session,
    column: &'static crate::Column,
    title: &str,
) -> crate::Result<String> {
    let titles = [title.to_owned()];
    let ids = M::__ids_by_title(column, session, &titles, column.creates_titled)?;
    match ids.get(title) {
        Some(id) => Ok(id.to_string()),
        None => {
            let model = column.references.unwrap_or("row");
            let reason = format!("no {model} is called `{title}`");
            Err(Error::validation(column.record_name(), reason))
        }
    }
}

/// The texts with each reference given by title replaced by a placeholder id, to check every
/// other value before the database is opened.
pub(super) fn without_titles<M: Listed>(texts: &Texts) -> Texts {
    let mut texts = texts.clone();
    for (name, text) in &mut texts {
        let Some(column) = M::column(name).filter(|c| c.references.is_some()) else {
            continue;
        };
        let by_title = column.titled.is_some() || text.trim().parse::<i64>().is_err();
        if by_title && !text.is_empty() {
            *text = "1".to_owned();
        }
    }
    texts
}

/// The query `--filter`, `--search` and `--sort` ask for; anything wrong is refused naming the
/// column, before anything runs.
pub(super) fn query<M: Listed>(matches: &ArgMatches) -> Result<Query<M>, CliError> {
    let mut query = Query::<M>::new();
    for filter in matches.get_many::<String>("filter").into_iter().flatten() {
        query = query.filter_text(filter)?;
    }
    if let Some(text) = matches.get_one::<String>("search") {
        query = query.search(text)?;
    }
    if let Some(sort) = matches.get_one::<String>("sort") {
        query = match sort.strip_prefix('-') {
            Some(column) => query.sort_by(column.trim(), true)?,
            None => query.sort_by(sort.trim(), false)?,
        };
    }
    Ok(query)
}

/// The format of `import`'s or `export`'s file: `--format`, else the one `path`'s extension
/// names (`.csv`, `.json`, any case); `None` when neither says.
pub(super) fn file_format(matches: &ArgMatches, path: Option<&Path>) -> Option<RecordFormat> {
    match matches.get_one::<String>("format").map(String::as_str) {
        Some("json") => Some(RecordFormat::Json),
        Some(_) => Some(RecordFormat::Csv),
        None => {
            let ext = path?.extension()?.to_str()?.to_ascii_lowercase();
            match ext.as_str() {
                "csv" => Some(RecordFormat::Csv),
                "json" => Some(RecordFormat::Json),
                _ => None,
            }
        }
    }
}

/// The `ID` of `show`, `update`, `history` and `restore`.
pub(super) fn id_of(matches: &ArgMatches) -> Result<i64, CliError> {
    matches
        .get_one::<i64>("id")
        .copied()
        .ok_or_else(|| CliError::Invalid("no id given".into()))
}
