//! `staffdb serve`: the JSON API over HTTP (see the binary's `web` module).

use std::net::SocketAddr;

use clap::Args;

use super::{Context, Failure};

/// Options of `staffdb serve`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Where to listen: a loopback address and port (port 0 picks a free one, printed on
    /// stderr). A non-loopback address is refused: it would need a password, which `serve` does
    /// not take yet.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    bind: String,
}

/// Serves until Ctrl-C or SIGTERM, then lets the requests in flight finish.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let bind: SocketAddr = opts.bind.parse().map_err(|_| {
        Failure::Invalid(format!(
            "--bind {}: not an address and port, like 127.0.0.1:8080",
            opts.bind
        ))
    })?;
    if !bind.ip().is_loopback() {
        return Err(Failure::Invalid(format!(
            "refusing to serve on {bind}: only loopback addresses are served, as there is no \
             login yet"
        ))
        .into());
    }
    let db = context.open()?;
    crate::web::serve(db, bind, context.quiet)
}
