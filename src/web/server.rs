//! The listener of `staffdb serve`: every connection, wait and shutdown bounded.
//!
//! axum's own `serve` has no header-read or idle timeout, no cap on connections and no deadline
//! on shutdown, so idle sockets pile up until the process runs out of files, and a client that
//! trickles a body holds a SIGTERM for as long as it likes. This loop serves each connection with
//! hyper's HTTP/1 directly:
//!
//! - at most [`Limits::max_connections`] at once; past that, new ones wait in the kernel's
//!   backlog until one closes (the cap stays below the process's open-file limit, so the server
//!   can always still open its database and answer);
//! - a connection that has not sent a whole request head [`Limits::idle_timeout`] after it
//!   opened, or after its last response, is closed (slow headers and idle keep-alives alike);
//! - on Ctrl-C or SIGTERM it stops accepting, lets requests in flight finish, and closes what is
//!   still open after [`Limits::shutdown_timeout`].

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// How much a server lets its clients hold, and for how long. Every limit has a default fit
/// for an admin used by a team; `staffdb serve` sets them from its flags.
///
/// ```
/// use std::time::Duration;
/// use staffdb::web::Limits;
///
/// let limits = Limits { idle_timeout: Duration::from_secs(5), ..Limits::default() };
/// assert_eq!(limits.max_connections, 512);
/// ```
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once; more wait until one closes (clamped below the process's
    /// open-file limit).
    pub max_connections: usize,
    /// How long a connection may take to send a request's head, counted from when it opened or
    /// from its last response: it bounds slow headers and idle keep-alive connections alike.
    pub idle_timeout: Duration,
    /// How long a request body may send nothing before the request is abandoned.
    pub body_timeout: Duration,
    /// How long a streamed response (an export) may wait for its client to read before it is
    /// abandoned and its database connection returned.
    pub stall_timeout: Duration,
    /// Exports streamed at once: each holds a database connection while it runs, so they never
    /// get them all (the pages and the API keep the rest).
    pub exports: usize,
    /// How long a stop (Ctrl-C, SIGTERM) waits for requests in flight before it closes them.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 512,
            idle_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(30),
            exports: 4,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// File descriptors kept free for the database, the log and the runtime whatever the clients do.
const SPARE_FILES: usize = 64;

impl Limits {
    /// The connection cap actually used: [`Limits::max_connections`], but never so many that
    /// sockets could take the files the server needs itself.
    pub(crate) fn connection_cap(&self) -> usize {
        let cap = self.max_connections.max(1);
        match open_file_limit() {
            Some(files) => cap.min(files.saturating_sub(SPARE_FILES).max(1)),
            None => cap,
        }
    }
}

/// The soft limit on open files, where the system says (Linux's `/proc/self/limits`).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Serves `app` on `listener` until `stop` (see [`shutdown_signal`]) resolves, within `limits`.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    let cap = limits.connection_cap();
    let slots = Arc::new(Semaphore::new(cap));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout);
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of files or memory, or a connection reset before it was accepted:
                    // none of it is a reason to stop serving those already connected.
                    eprintln!("warning: cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or times out is no error of the server's.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_timeout) => {
            eprintln!(
                "stopping: requests still running after {} s are cut off",
                limits.shutdown_timeout.as_secs_f64()
            );
        }
    }
}

/// The slowest a request body may arrive on average, past its first [`Limits::body_timeout`]:
/// a client that sends a byte now and then, each inside the stall timeout, must not hold its
/// connection for days (a 1 MiB form at a byte every 2 s). As Apache's `mod_reqtimeout` does.
pub(crate) const BODY_MIN_RATE: u64 = 1024;

/// Abandons a request whose body sends nothing for `stall`, or arrives slower than
/// [`BODY_MIN_RATE`] bytes a second on average once `stall` has passed (a client trickling a
/// body, or one that announced more than it sends): the extractor reading it fails with a
/// time-out (408 on the pages), and the connection closes.
pub(crate) async fn bound_body(
    State(stall): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let has_body = request.headers().contains_key(header::TRANSFER_ENCODING)
        || request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0");
    if !has_body {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let started = tokio::time::Instant::now();
    let state = Some((body.into_data_stream(), 0u64));
    let bounded = futures_util::stream::unfold(state, move |state| async move {
        let (mut frames, received) = state?;
        // The body's deadline moves on with every byte that arrives, at the slowest rate taken.
        let deadline =
            started + stall + Duration::from_secs_f64(received as f64 / BODY_MIN_RATE as f64);
        let wait = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .min(stall);
        match tokio::time::timeout(wait, frames.next()).await {
            Ok(Some(Ok(frame))) => {
                let received = received + frame.len() as u64;
                Some((Ok(frame), Some((frames, received))))
            }
            Ok(Some(Err(error))) => Some((Err(error), None)),
            Ok(None) => None,
            Err(_) => {
                let stalled = std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "the request body stalled (nothing for {} s, or slower than {BODY_MIN_RATE} bytes/s)",
                        stall.as_secs_f64()
                    ),
                );
                Some((Err(axum::Error::new(stalled)), None))
            }
        }
    });
    next.run(Request::from_parts(parts, Body::from_stream(bounded)))
        .await
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: `serve` calls it before it prints its address, so a SIGTERM sent as
/// soon as a script has read that line stops the server gracefully instead of killing it.
/// Must be called inside the runtime.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        let received = |handler: Option<Signal>| async move {
            match handler {
                Some(mut handler) => {
                    handler.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        async move {
            tokio::select! {
                () = received(interrupt) => {}
                () = received(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
