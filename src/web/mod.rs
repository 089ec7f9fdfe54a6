//! # The web front end: `staffdb serve` and its JSON API
//!
//! The library's second front end, beside the CLI and at the same layer: it reads HTTP
//! requests, runs the library's [`Session`](staffdb::Session) operations and writes JSON. It
//! builds no query of its own. Diesel's calls block, so every one runs on tokio's blocking
//! pool (`spawn_blocking`), never on the async workers that serve the sockets.
//!
//! Each request is logged as one line on stderr (method, path, status, milliseconds). Ctrl-C or
//! SIGTERM stops accepting connections and lets the requests in flight finish.

mod api;
mod departments;
mod errors;
mod transfer;

use std::net::SocketAddr;

use anyhow::Context as _;
use staffdb::Database;

/// Serves the API for `db` on `bind` until Ctrl-C or SIGTERM; says where on stderr.
pub fn serve(db: Database, bind: SocketAddr, quiet: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the web server's runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        let local = listener.local_addr().context("the bound address")?;
        // Always printed, --quiet or not: a test or a script reads the port from it.
        eprintln!("serving http://{local}/ (Ctrl-C stops)");
        axum::serve(listener, api::router(db, quiet))
            .with_graceful_shutdown(shutdown())
            .await
            .context("the web server failed")
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
