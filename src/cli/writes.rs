//! The commands that write: `add`, `update` and `delete` (`import` has a module of its own).
//! Each runs in one transaction of the Session, migrating the database first; a value the
//! flags give is checked before the database is opened where it can be (a reference by title
//! needs the database).

use clap::ArgMatches;

use super::Context;
use super::args::flag_of;
use super::error::CliError;
use super::print::{Format, print_before_commit};
use super::values::id_of;
use super::values::{Texts, resolve, texts, without_titles};
use crate::{Listed, Validate, write_fields};

/// `add`: a new row from the flags, printed as stored.
pub(super) fn add<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    let texts = texts::<M>(matches, &write_fields::<M>())?;
    let new = |texts: &Texts| M::new_from_texts(&|name| texts.get(name).cloned());
    // Every value but a reference's title is checked before the database is opened.
    new(&without_titles::<M>(&texts))?.validate()?;
    let format = Format::of(matches);
    let db = context.open()?;
    db.transaction(|s| {
        let new = new(&resolve::<M>(s, &texts)?)?;
        let row = s.add(&new)?;
        print_before_commit(s, format, &row)
    })?;
    Ok(())
}

/// `update ID`: the flags' changes, only at `--if-version` if given, printed as stored.
pub(super) fn update<M: Listed<Id: From<i64>>>(
    context: &Context,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    let id = M::Id::from(id_of(matches)?);
    let fields = write_fields::<M>();
    let texts = texts::<M>(matches, &fields)?;
    if texts.is_empty() {
        let flags: Vec<String> = fields
            .iter()
            .filter(|f| f.written)
            .filter_map(|f| flag_of(f.column).map(|flag| format!("--{flag}")))
            .collect();
        return Err(CliError::Invalid(format!(
            "nothing to change: give at least one of {}, --set or --clear",
            flags.join(", ")
        )));
    }
    let changes = |texts: &Texts| M::changes_from_texts(&|name| texts.get(name).cloned());
    changes(&without_titles::<M>(&texts))?.validate()?;
    let version = matches
        .try_get_one::<i32>("if_version")
        .ok()
        .flatten()
        .copied();
    let format = Format::of(matches);
    let db = context.open()?;
    db.transaction(|s| {
        let changes = changes(&resolve::<M>(s, &texts)?)?;
        let row = M::update_expecting(s, id, version, &changes)?;
        print_before_commit(s, format, &row)
    })?;
    Ok(())
}

/// `delete ID…`: every one, or none if one is unknown.
pub(super) fn delete<M: Listed<Id: From<i64>>>(
    context: &Context,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    let ids: Vec<M::Id> = matches
        .get_many::<i64>("id")
        .into_iter()
        .flatten()
        .map(|&id| M::Id::from(id))
        .collect();
    let db = context.open()?;
    let deleted = db.transaction(|s| s.delete_many(&ids))?;
    let rows = if deleted == 1 { M::NAME } else { M::TABLE };
    context.note(format!("deleted {deleted} {rows}"));
    Ok(())
}
