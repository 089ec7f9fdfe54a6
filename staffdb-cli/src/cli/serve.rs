//! `staffdb serve`: the admin pages and the JSON API over HTTP (the library's `staffdb::web`).

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use staffdb::web::Limits;

use super::{Context, Failure};

/// Options of `staffdb serve`.
#[derive(Debug, Args)]
#[command(
    long_about = "Serves the admin pages (employees with search, filters, sorting and bulk \
                  delete; add and edit forms; departments; statistics; import and export) and the \
                  JSON API under /api/ (its OpenAPI document at /api/openapi.json).\n\n\
                  Loopback only unless --password-file is given. Every request must name this \
                  server in its Host (its address, localhost, or an --allowed-host); every \
                  request that changes something must come from its own pages (Origin) and, for \
                  a page, carry its form's CSRF token."
)]
pub struct Opts {
    /// Where to listen: an address and port, or `localhost:PORT` (port 0 picks a free one,
    /// printed on stderr). An address other than loopback is refused without --password-file.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    bind: String,
    /// Ask for the password in this file (its first line; or an argon2 hash, `$argon2id$…`)
    /// before any page or API call.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Also answer requests whose Host is NAME (repeatable; `.example.com` admits every name
    /// under it), as behind a proxy or a DNS name. Requests naming any other Host get 421.
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
    /// Serve reads only: no migration is run (the schema must be there and current) and every
    /// request that would change something is refused with 403.
    #[arg(long)]
    read_only: bool,
    /// Connections served at once; more wait until one closes.
    #[arg(long, default_value_t = Limits::default().max_connections, value_name = "N")]
    max_connections: usize,
    /// Seconds a connection may take to send a request's head, after it opens or after its
    /// last response (slow headers and idle keep-alive connections alike are then closed).
    #[arg(long, default_value_t = Limits::default().idle_timeout.as_secs(), value_name = "SECONDS")]
    idle_timeout: u64,
    /// Seconds a request body may send nothing, and an export may wait for its client to read,
    /// before it is abandoned.
    #[arg(long, default_value_t = Limits::default().stall_timeout.as_secs(), value_name = "SECONDS")]
    stall_timeout: u64,
    /// Exports streamed at once (each holds a database connection while it runs).
    #[arg(long, default_value_t = Limits::default().exports, value_name = "N")]
    max_exports: usize,
    /// Seconds Ctrl-C or SIGTERM waits for requests in flight before it closes them.
    #[arg(long, default_value_t = Limits::default().shutdown_timeout.as_secs(), value_name = "SECONDS")]
    shutdown_timeout: u64,
}

impl Opts {
    fn limits(&self) -> Result<Limits, Failure> {
        let positive = |name: &str, value: u64| {
            if value == 0 {
                Err(Failure::Invalid(format!("--{name} must be at least 1")))
            } else {
                Ok(Duration::from_secs(value))
            }
        };
        if self.max_connections == 0 || self.max_exports == 0 {
            return Err(Failure::Invalid(
                "--max-connections and --max-exports must be at least 1".into(),
            ));
        }
        let stall = positive("stall-timeout", self.stall_timeout)?;
        Ok(Limits {
            max_connections: self.max_connections,
            idle_timeout: positive("idle-timeout", self.idle_timeout)?,
            body_timeout: stall,
            stall_timeout: stall,
            exports: self.max_exports,
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout),
        })
    }
}

/// The address `--bind` names: `IP:PORT`, or a name such as `localhost:8080` (its first
/// IPv4 address, else its first); with whether every address the name has is loopback.
fn bind_address(bind: &str) -> Result<(SocketAddr, bool), Failure> {
    let invalid = || {
        Failure::Invalid(format!(
            "--bind {bind}: not an address and port, like 127.0.0.1:8080 or localhost:8080"
        ))
    };
    if let Ok(address) = bind.parse::<SocketAddr>() {
        return Ok((address, address.ip().is_loopback()));
    }
    let addresses: Vec<SocketAddr> = bind.to_socket_addrs().map_err(|_| invalid())?.collect();
    let loopback = addresses.iter().all(|a| a.ip().is_loopback());
    let chosen = addresses
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addresses.first())
        .copied()
        .ok_or_else(invalid)?;
    Ok((chosen, loopback))
}

/// Serves until Ctrl-C or SIGTERM, then lets the requests in flight finish.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let (bind, loopback) = bind_address(&opts.bind)?;
    // A database with users has its own login; one without them needs a password off loopback.
    // Asked of the database as it is, without migrating it: a refusal changes nothing.
    let has_users = context
        .open_existing()
        .ok()
        .map(|db| {
            db.read_session()
                .and_then(|mut s| staffdb::User::all(&mut s))
        })
        .is_some_and(|users| users.is_ok_and(|users| !users.is_empty()));
    if !loopback && opts.password_file.is_none() && !has_users {
        return Err(Failure::Invalid(format!(
            "refusing to serve on {bind} without a password: add a user (staffdb users add), \
             give --password-file FILE, or bind a loopback address such as 127.0.0.1:8080"
        ))
        .into());
    }
    if has_users && opts.password_file.is_some() {
        return Err(Failure::Invalid(
            "the database has users, who log in with their own names and passwords: \
             --password-file is for a database without users"
                .into(),
        )
        .into());
    }
    let limits = opts.limits()?;
    let password = match &opts.password_file {
        Some(path) => Some(
            staffdb::web::Password::from_file(path)
                .map_err(|error| Failure::Invalid(format!("{error:#}")))?,
        ),
        None => None,
    };
    // Bound before the database is opened: a port in use creates and migrates nothing.
    let listener = TcpListener::bind(bind).with_context(|| format!("cannot listen on {bind}"))?;
    let db = if opts.read_only {
        context.open_existing()?
    } else {
        context.open()?
    };
    staffdb::web::Admin::new(db)
        .password(password)
        .users(has_users)
        .quiet(context.quiet)
        .allowed_hosts(opts.allowed_hosts)
        .limits(limits)
        .read_only(opts.read_only)
        .serve_on(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--bind localhost:PORT` is an address like any other, and loopback.
    #[test]
    fn bind_takes_localhost_by_name() {
        let (address, loopback) = bind_address("localhost:8080").expect("localhost resolves");
        assert!(loopback && address.ip().is_loopback() && address.port() == 8080);
        assert!(bind_address("127.0.0.1:0").is_ok_and(|(_, loopback)| loopback));
        assert!(bind_address("0.0.0.0:80").is_ok_and(|(_, loopback)| !loopback));
        assert!(bind_address("no port").is_err());
    }
}
