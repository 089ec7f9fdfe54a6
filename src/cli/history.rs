//! The history commands of a model declared with history: `history ID` (who, when, which
//! columns changed from what to what), `history prune --before DATE`, `deleted`, `restore ID
//! --to CHANGE` and `list --as-of INSTANT` (their arguments are [`super::args`]'s).

use std::io::Write;

use chrono::NaiveDateTime;
use clap::ArgMatches;
use indicatif::ProgressBar;

use super::Context;
use super::error::CliError;
use super::print::{Format, Printer, lines, print_before_commit, shown_in_lines, stdout};
use super::values::id_of;
use crate::{Change, ChangeRecord, Describe, Listed, with_differences};

/// `history ID`, or `history prune`.
pub(super) fn history<M: Listed<Id: From<i64>>>(
    context: &Context,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    if let Some(("prune", prune)) = matches.subcommand() {
        return self::prune::<M>(context, prune);
    }
    let id = id_of(matches)?;
    let db = context.open_existing()?;
    let changes = db.read_session()?.history(M::Id::from(id))?;
    if changes.is_empty() {
        return Err(crate::Error::NotFound {
            entity: M::NAME,
            id,
        }
        .into());
    }
    let records = with_differences(&changes);
    let mut out = stdout();
    if matches.get_one::<String>("format").map(String::as_str) == Some("json") {
        serde_json::to_writer_pretty(&mut out, &records).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        for record in &records {
            write_change(&mut out, record)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// One change as a block: `#17  2026-12-07T18:50:01Z  update  by vera`, then a line per
/// column it changed (`  Age: 30 → 31`; a new row's values alone, NULL written `—`).
fn write_change<M: Describe>(
    out: &mut impl Write,
    record: &ChangeRecord<'_, M>,
) -> std::io::Result<()> {
    let change = record.change;
    writeln!(
        out,
        "#{}  {}  {}  by {}",
        change.history_id,
        change.at.format("%Y-%m-%dT%H:%M:%SZ"),
        change.operation,
        change.actor()
    )?;
    for d in &record.differences {
        let shown = |text: &str| {
            if text.is_empty() {
                "—".to_owned()
            } else {
                text.to_owned()
            }
        };
        match &d.from {
            Some(from) => writeln!(
                out,
                "  {}: {} → {}",
                d.column.label,
                shown(from),
                shown(&d.to)
            )?,
            // A new row's values, NULLs left out (as a row's line leaves them).
            None if d.to.is_empty() => {}
            None => writeln!(out, "  {}: {}", d.column.label, d.to)?,
        }
    }
    Ok(())
}

/// `history prune --before DATE`: in batches, a spinner of the changes deleted so far.
fn prune<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    let before = matches
        .get_one::<NaiveDateTime>("before")
        .copied()
        .ok_or_else(|| CliError::Invalid("no --before given".into()))?;
    let db = context.open()?;
    let bar = if context.progress_visible() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    let pruned = db.prune_history::<M>(before, |total| {
        bar.set_message(format!("{total} changes deleted"));
        bar.tick();
    });
    bar.finish_and_clear();
    let pruned = pruned?;
    context.note(format!(
        "deleted {pruned} change{} of {} made before {}",
        if pruned == 1 { "" } else { "s" },
        M::TABLE,
        before.format("%Y-%m-%dT%H:%M:%SZ")
    ));
    Ok(())
}

/// `deleted`: the deleted rows, most recently deleted first.
pub(super) fn deleted<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    let db = context.open_existing()?;
    let mut session = db.read_session()?;
    let deleted = session.deleted::<M>()?;
    let (rows, abouts): (Vec<M>, Vec<String>) = deleted
        .into_iter()
        .map(|change| {
            let about = about(&change);
            (change.row, about)
        })
        .unzip();
    let format = Format::of(matches);
    if format == Format::Lines {
        let lines = lines(&mut session, &rows, &shown_in_lines::<M>())?;
        let mut out = stdout();
        for (line, about) in lines.iter().zip(&abouts) {
            writeln!(out, "{line}  (deleted {about})")?;
        }
        out.flush()?;
        return Ok(());
    }
    let mut printer = Printer::<M, _>::new(format, stdout(), false)?;
    printer.page(&mut session, &rows)?;
    printer.finish()?;
    Ok(())
}

/// When and by whom a change was made, and its number: `2026-12-07T18:50:01Z by vera, change
/// 17`.
fn about<M>(change: &Change<M>) -> String {
    format!(
        "{} by {}, change {}",
        change.at.format("%Y-%m-%dT%H:%M:%SZ"),
        change.actor(),
        change.history_id
    )
}

/// `restore ID --to CHANGE`: prints the row as restored, before it commits.
pub(super) fn restore<M: Listed<Id: From<i64>>>(
    context: &Context,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    let id = id_of(matches)?;
    let to = matches
        .get_one::<i64>("to")
        .copied()
        .ok_or_else(|| CliError::Invalid("no --to given".into()))?;
    let format = Format::of(matches);
    let db = context.open()?;
    db.transaction(|s| {
        let row = s.restore(M::Id::from(id), to)?;
        print_before_commit(s, format, &row)
    })?;
    Ok(())
}

/// `list --as-of INSTANT`: every row as it was then, by id, up to `limit`.
pub(super) fn list_as_of<M: Listed>(
    context: &Context,
    format: Format,
    limit: Option<i64>,
    at: NaiveDateTime,
) -> Result<(), CliError> {
    let db = context.open_existing()?;
    let mut session = db.read_session()?;
    let rows = session.as_of::<M>(at)?;
    let mut printer = Printer::<M, _>::new(format, stdout(), false)?;
    let take = limit.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    // The departments (and any titled reference) are named as they are now.
    printer.page(&mut session, &rows[..take.min(rows.len())])?;
    printer.finish()?;
    Ok(())
}
