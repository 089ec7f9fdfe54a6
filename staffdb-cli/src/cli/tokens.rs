//! `staffdb tokens`: API tokens for scripts, each acting as a user ([`staffdb::User`]) with the
//! user's role, sent as `Authorization: Bearer SECRET` to `staffdb serve`'s JSON API.

use std::io::Write;

use clap::Subcommand;
use staffdb::User;

use super::Context;

/// The `tokens` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a token; its secret is printed once, on stdout, and never again.
    Create {
        /// The token's name (a-z, 0-9, `.`, `_`, `-`), unique per user: what it is for.
        name: String,
        /// The user it acts as.
        #[arg(long)]
        user: String,
    },
    /// Every token: its name, its user, when it was created (never its secret).
    List,
    /// Revoke a token: it works no more.
    Revoke {
        /// The token's name.
        name: String,
        /// Its user.
        #[arg(long)]
        user: String,
    },
}

/// Runs one `tokens` subcommand.
pub fn run(context: &Context, command: Command) -> anyhow::Result<()> {
    let db = context.open_for(matches!(command, Command::List))?;
    let mut out = super::stdout();
    match command {
        Command::Create { name, user } => {
            let (token, secret) = db.transaction(|s| User::create_token(s, &user, &name))?;
            // A secret nobody saw is no token: if it cannot be printed, it is revoked.
            if let Err(error) = writeln!(out, "{secret}").and_then(|()| out.flush()) {
                db.transaction(|s| User::revoke_token(s, &token.user, &token.name))?;
                return Err(error.into());
            }
            context.note(format!(
                "created token {} for {}: keep the secret above, it is not shown again",
                token.name, token.user
            ));
        }
        Command::List => {
            writeln!(out, "{:<24} {:<24} created", "name", "user")?;
            for token in User::tokens(&mut db.read_session()?)? {
                let created = token.created_at.format("%Y-%m-%d %H:%M");
                writeln!(out, "{:<24} {:<24} {created}", token.name, token.user)?;
            }
        }
        Command::Revoke { name, user } => {
            db.transaction(|s| User::revoke_token(s, &user, &name))?;
            context.note(format!("revoked token {name} of {}", user.to_lowercase()));
        }
    }
    out.flush()?;
    Ok(())
}
