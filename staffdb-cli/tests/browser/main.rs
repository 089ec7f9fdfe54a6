//! The HTML admin pages of `staffdb serve`, in a real browser: headless Chromium driven over
//! WebDriver (chromedriver) by `fantoccini`.
//!
//! Each test starts `staffdb serve --bind 127.0.0.1:0` on a SQLite file of its own, seeds it with
//! the CLI, opens a browser session of its own (a fresh profile), walks the pages, and saves a
//! screenshot to `target/screenshots/<scenario>.png` — also when it fails, which then shows the
//! page the assertion saw. One chromedriver serves the tests that run at the same time; it is
//! stopped when the last of them ends.
//!
//! Needs `/usr/bin/chromium` (or `chromium` on the PATH) and `chromedriver` (Debian:
//! `apt-get install chromium chromium-driver`), so every test is `#[ignore]`d: a plain
//! `cargo test` reports them as ignored, never as passed. Asked for, they run, and a missing
//! browser fails them.
//!
//! Run: `cargo test --test browser -- --ignored` (add `--nocapture` to see the steps).
//!
//! The selectors, paths and texts the pages promise are all in `contract`: if the pages change,
//! that is the one place to edit.

mod contract;
mod harness;
mod page;
mod staffdb;

mod attack;
mod edit;
mod listing;
mod projects;
mod security;
mod transfer;
