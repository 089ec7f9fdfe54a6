//! `staffdb users`: the people who may log in to `staffdb serve`, each with a role (`viewer`,
//! `editor`, `admin`), their passwords kept as argon2 hashes ([`staffdb::User`]).
//!
//! A password is read from `--password-file PATH` (its first line; `-` is stdin), else from a
//! prompt on the terminal (typed twice, not echoed), else from the first line of stdin: never
//! from the command line, where `ps` and the shell's history would show it.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use staffdb::{Password, User};

use super::{Context, Failure};

/// The `users` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add a user with a role; the password is read from a file, a prompt or stdin.
    Add {
        /// The user's name: ASCII letters, digits and @ . + _ - (stored lowercased).
        name: String,
        /// What the user may do: viewer, editor or admin (or a role of the database's own).
        #[arg(long)]
        role: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Every user, by name: role, whether disabled, when added.
    List,
    /// Give a user a new password.
    Passwd {
        /// The user's name.
        name: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Stop a user from logging in (the row stays; `enable` undoes it).
    Disable {
        /// The user's name.
        name: String,
    },
    /// Let a disabled user log in again.
    Enable {
        /// The user's name.
        name: String,
    },
    /// Remove a user.
    Remove {
        /// The user's name.
        name: String,
    },
}

/// Where a new password comes from.
#[derive(Debug, Args)]
pub struct PasswordSource {
    /// Read the password from the first line of this file (`-`: stdin).
    #[arg(long, value_name = "PATH")]
    password_file: Option<PathBuf>,
}

/// Runs one `users` subcommand.
pub fn run(context: &Context, command: Command) -> anyhow::Result<()> {
    // Bad input changes nothing: the password is read and checked before the database is
    // opened (which may create and migrate it).
    let new_password = match &command {
        Command::Add { password, .. } | Command::Passwd { password, .. } => Some(password.read()?),
        _ => None,
    };
    let db = context.open_for(matches!(command, Command::List))?;
    let mut out = super::stdout();
    match command {
        Command::Add {
            name,
            role,
            password: _,
        } => {
            let password = new_password.context("the password, read above")?;
            let user = db.transaction(|s| User::add(s, &name, &role, &password))?;
            context.note(format!("added user {} ({})", user.name, user.role));
        }
        Command::List => {
            let users = User::all(&mut db.read_session()?)?;
            writeln!(out, "{:<24} {:<10} {:<8} added", "name", "role", "status")?;
            for user in users {
                let status = if user.disabled { "disabled" } else { "active" };
                let added = user.created_at.format("%Y-%m-%d %H:%M");
                writeln!(
                    out,
                    "{:<24} {:<10} {:<8} {added}",
                    user.name, user.role, status
                )?;
            }
        }
        Command::Passwd { name, .. } => {
            let password = new_password.context("the password, read above")?;
            let user = db.transaction(|s| User::set_password(s, &name, &password))?;
            context.note(format!("changed the password of {}", user.name));
        }
        Command::Disable { name } => {
            let user = db.transaction(|s| User::set_disabled(s, &name, true))?;
            context.note(format!("disabled {}", user.name));
        }
        Command::Enable { name } => {
            let user = db.transaction(|s| User::set_disabled(s, &name, false))?;
            context.note(format!("enabled {}", user.name));
        }
        Command::Remove { name } => {
            let user = db.transaction(|s| User::remove(s, &name))?;
            context.note(format!("removed {}", user.name));
        }
    }
    out.flush()?;
    Ok(())
}

impl PasswordSource {
    /// The password: from the file, a prompt on a terminal, or stdin's first line; checked by
    /// [`Password::new`] before the database is opened for the write.
    fn read(&self) -> anyhow::Result<Password> {
        let text = match &self.password_file {
            Some(path) if path == Path::new("-") => first_line(io::stdin().lock(), "stdin")?,
            Some(path) => {
                let file = std::fs::File::open(path)
                    .with_context(|| format!("reading the password file {}", path.display()))
                    .map_err(|e| Failure::Invalid(format!("{e:#}")))?;
                first_line(io::BufReader::new(file), &path.display().to_string())?
            }
            None if io::stdin().is_terminal() => prompt()?,
            None => first_line(io::stdin().lock(), "stdin")?,
        };
        Ok(Password::new(text)?)
    }
}

/// The first line of `input`, without its line ending; an empty input is refused.
fn first_line(mut input: impl BufRead, what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| Failure::Invalid(format!("reading the password from {what}: {e}")))?;
    let line = line.trim_end_matches(['\n', '\r']).to_owned();
    if line.is_empty() {
        return Err(Failure::Invalid(format!("no password in {what}")).into());
    }
    Ok(line)
}

/// The password typed twice at the terminal, not echoed.
fn prompt() -> anyhow::Result<String> {
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Password (again): ")?;
    if first != again {
        return Err(Failure::Invalid("the two passwords differ".into()).into());
    }
    Ok(first)
}
