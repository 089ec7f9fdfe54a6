//! `staffdb serve`: the admin pages and the JSON API over HTTP (the library's `staffdb::web`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use super::{Context, Failure};

/// Options of `staffdb serve`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Where to listen (port 0 picks a free one, printed on stderr). An address other than
    /// loopback is refused without --password-file.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    bind: String,
    /// Ask for the password in this file (its first line; or an argon2 hash, `$argon2id$…`)
    /// before any page or API call.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

/// Serves until Ctrl-C or SIGTERM, then lets the requests in flight finish.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let bind: SocketAddr = opts.bind.parse().map_err(|_| {
        Failure::Invalid(format!(
            "--bind {}: not an address and port, like 127.0.0.1:8080",
            opts.bind
        ))
    })?;
    if !bind.ip().is_loopback() && opts.password_file.is_none() {
        return Err(Failure::Invalid(format!(
            "refusing to serve on {bind} without a password: give --password-file FILE, or \
             bind a loopback address such as 127.0.0.1:8080"
        ))
        .into());
    }
    let password = match &opts.password_file {
        Some(path) => Some(
            staffdb::web::Password::from_file(path)
                .map_err(|error| Failure::Invalid(format!("{error:#}")))?,
        ),
        None => None,
    };
    let db = context.open()?;
    staffdb::web::Admin::new(db)
        .password(password)
        .quiet(context.quiet)
        .serve(bind)
}
