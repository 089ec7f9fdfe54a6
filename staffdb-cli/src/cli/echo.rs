//! `--echo`: every SQL statement and its duration on stderr, through Diesel's instrumentation.

use std::io::Write;
use std::time::Instant;

use anyhow::Context as _;
use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};

/// Makes every connection opened from now on print its statements; call before opening.
pub fn install() -> anyhow::Result<()> {
    set_default_instrumentation(echo).context("cannot turn on --echo")
}

fn echo() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(Echo { started: None }))
}

/// Times each statement from `StartQuery` to `FinishQuery`.
struct Echo {
    started: Option<Instant>,
}

impl Instrumentation for Echo {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        let line = match event {
            InstrumentationEvent::StartEstablishConnection { url, .. } => {
                // The URL may carry a password.
                let shown = staffdb::DatabaseUrl::parse(url)
                    .map(|url| url.to_string())
                    .unwrap_or_else(|_| "the database".to_owned());
                format!("-- connecting to {shown}")
            }
            InstrumentationEvent::StartQuery { .. } => {
                self.started = Some(Instant::now());
                return;
            }
            InstrumentationEvent::FinishQuery { query, error, .. } => {
                let millis = self
                    .started
                    .take()
                    .map(|t| t.elapsed().as_secs_f64() * 1000.0)
                    .unwrap_or_default();
                let outcome = match error {
                    Some(error) => format!(" -- failed: {error}"),
                    None => String::new(),
                };
                // Statements carry no URL, so no password.
                format!("{query} -- {millis:.3} ms{outcome}")
            }
            _ => return,
        };
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}
