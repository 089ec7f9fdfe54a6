//! `staffdb roles`: the roles users have ([`staffdb::Role`]) — three built in (viewer, editor,
//! admin) and any the database's owners add, each granting actions on models, as Django's groups
//! do.

use std::io::Write;

use clap::Subcommand;
use staffdb::{Action, Role};

use super::{Context, Failure};

/// The `roles` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every role and what it grants.
    List,
    /// Add a role: `--grant MODEL:ACTION[,ACTION…]`, repeatable (`employees:view,change`;
    /// `*` for every model but the users, `users` for them).
    Add {
        /// The role's name (a-z, 0-9, `_`, `-`).
        name: String,
        /// What it grants, e.g. `projects:view,change` (at least one).
        #[arg(long = "grant", value_name = "MODEL:ACTIONS", required = true)]
        grants: Vec<String>,
    },
    /// Remove a role that no user has (the built-in ones stay).
    Remove {
        /// The role's name.
        name: String,
    },
}

/// Runs one `roles` subcommand.
pub fn run(context: &Context, command: Command) -> anyhow::Result<()> {
    // Bad input changes nothing: the grants are read before the database is opened.
    let grants = match &command {
        Command::Add { grants, .. } => grants_of(grants)?,
        _ => Vec::new(),
    };
    let db = context.open_for(matches!(command, Command::List))?;
    let mut out = super::stdout();
    match command {
        Command::List => {
            for role in Role::all(&mut db.read_session()?)? {
                writeln!(out, "{:<16} {}", role.name, shown(&role.grants))?;
            }
        }
        Command::Add { name, .. } => {
            let role = db.transaction(|s| Role::add(s, &name, &grants))?;
            context.note(format!("added role {}: {}", role.name, shown(&role.grants)));
        }
        Command::Remove { name } => {
            db.transaction(|s| Role::remove(s, &name))?;
            context.note(format!("removed role {name}"));
        }
    }
    out.flush()?;
    Ok(())
}

/// `MODEL:ACTION[,ACTION…]` flags as grants; a malformed one is invalid input (exit 2).
fn grants_of(flags: &[String]) -> Result<Vec<(String, Action)>, Failure> {
    let mut grants = Vec::new();
    for flag in flags {
        let invalid = |why: String| Failure::Invalid(format!("--grant {flag}: {why}"));
        let (model, actions) = flag
            .split_once(':')
            .ok_or_else(|| invalid("give MODEL:ACTIONS, like employees:view,change".into()))?;
        for action in actions.split(',') {
            let action: Action = action.trim().parse().map_err(invalid)?;
            grants.push((model.trim().to_owned(), action));
        }
    }
    Ok(grants)
}

/// Grants as `employees:view,change projects:view`.
fn shown(grants: &[(String, Action)]) -> String {
    let mut models: Vec<(&str, Vec<&str>)> = Vec::new();
    for (model, action) in grants {
        match models.iter_mut().find(|(m, _)| m == model) {
            Some((_, actions)) => actions.push(action.name()),
            None => models.push((model, vec![action.name()])),
        }
    }
    let shown: Vec<String> = models
        .iter()
        .map(|(model, actions)| format!("{model}:{}", actions.join(",")))
        .collect();
    shown.join(" ")
}
