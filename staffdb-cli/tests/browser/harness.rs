//! chromedriver and Chromium: one chromedriver shared by the tests that run at the same time,
//! one browser session (with a fresh profile) per test, a screenshot per scenario.

use std::future::Future;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The Chromium binary (a Debian wrapper script that chromedriver starts).
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one scenario's steps may take (a hung page or driver fails the test, not CI).
const SCENARIO_LIMIT: Duration = Duration::from_secs(60);
/// How long opening a session, taking the screenshot or closing the session may take.
const BROWSER_LIMIT: Duration = Duration::from_secs(30);
/// How long chromedriver may take to answer its first `/status`.
const DRIVER_START_LIMIT: Duration = Duration::from_secs(20);

/// A running chromedriver on a port of 127.0.0.1; killed when the last test holding it ends.
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// The chromedriver of this process: the running one, or a new one. Fails the test, saying
    /// what to install, when Chromium or chromedriver is missing (the tests are ignored unless
    /// asked for, and one asked for never passes without running).
    fn shared() -> Arc<Driver> {
        static CURRENT: Mutex<Weak<Driver>> = Mutex::new(Weak::new());
        let (chromium, chromedriver) = (browser_binary(), on_path("chromedriver"));
        let (Some(_), Some(chromedriver)) = (chromium, chromedriver) else {
            panic!(
                "the browser tests need chromium ({CHROMIUM}) and chromedriver (on the PATH): \
                 apt-get install chromium chromium-driver"
            );
        };
        let mut current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(driver) = current.upgrade() {
            return driver;
        }
        let driver = Arc::new(Driver::start(&chromedriver));
        *current = Arc::downgrade(&driver);
        driver
    }

    /// Starts chromedriver on a free port and waits until it says it is ready; a port taken
    /// between the probe and the start is retried on another.
    fn start(chromedriver: &Path) -> Driver {
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
            let mut driver = Driver {
                child,
                url: format!("http://127.0.0.1:{port}"),
            };
            match driver.wait_until_ready() {
                Ok(()) => return driver,
                Err(why) => last = why,
            }
        }
        panic!("chromedriver did not start: {last}");
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let status = format!("{}/status", self.url);
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(format!("it exited ({exit}) on {}", self.url));
            }
            let ready = ureq::get(&status)
                .timeout(Duration::from_secs(2))
                .call()
                .ok()
                .and_then(|response| response.into_json::<Value>().ok())
                .is_some_and(|body| body["value"]["ready"] == true);
            if ready {
                return Ok(());
            }
            if started.elapsed() > DRIVER_START_LIMIT {
                return Err(format!(
                    "{status} did not answer ready within {DRIVER_START_LIMIT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one scenario: opens a browser session with a fresh profile, runs `body` with it (on a
/// task of its own, so that a failed assertion still lets the session close), saves a
/// screenshot of the page it ended on as `target/screenshots/<scenario>.png`, closes the
/// session, then passes `body`'s panic on. Fails when the browser is missing (see
/// [`Driver::shared`]).
pub async fn run<F, Fut>(scenario: &'static str, body: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let driver = Driver::shared();
    let profile = tempfile::tempdir().expect("a temp dir for the browser profile");
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(capabilities(profile.path()));
    let client = match tokio::time::timeout(BROWSER_LIMIT, builder.connect(&driver.url)).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => panic!("cannot open a Chromium session through chromedriver: {e}"),
        Err(_) => panic!("Chromium did not start within {BROWSER_LIMIT:?}"),
    };

    let mut task = tokio::spawn(body(client.clone()));
    let outcome = match tokio::time::timeout(SCENARIO_LIMIT, &mut task).await {
        Ok(outcome) => outcome.map_err(|e| {
            if e.is_panic() {
                Failure::Panic(e.into_panic())
            } else {
                Failure::Message(format!("the scenario's task ended: {e}"))
            }
        }),
        Err(_) => {
            task.abort();
            Err(Failure::Message(format!(
                "{scenario} took longer than {SCENARIO_LIMIT:?}"
            )))
        }
    };
    let shot = match tokio::time::timeout(BROWSER_LIMIT, save_screenshot(&client, scenario)).await {
        Ok(shot) => shot,
        Err(_) => Err(format!("no screenshot within {BROWSER_LIMIT:?}")),
    };
    match tokio::time::timeout(BROWSER_LIMIT, client.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let _ = writeln!(std::io::stderr(), "{scenario}: closing the session: {e}");
        }
        Err(_) => {
            let _ = writeln!(std::io::stderr(), "{scenario}: the session did not close");
        }
    }
    drop(profile);
    drop(driver);
    match outcome {
        Ok(()) => {
            let path = shot.unwrap_or_else(|e| panic!("{scenario}: no screenshot: {e}"));
            println!("{scenario}: screenshot {}", path.display());
        }
        Err(Failure::Panic(payload)) => {
            if let Ok(path) = shot {
                let _ = writeln!(
                    std::io::stderr(),
                    "{scenario} failed; the page it ended on: {}",
                    path.display()
                );
            }
            std::panic::resume_unwind(payload)
        }
        Err(Failure::Message(message)) => panic!("{message}"),
    }
}

enum Failure {
    Panic(Box<dyn std::any::Any + Send>),
    Message(String),
}

/// Headless Chromium with a profile of its own, nothing fetched in the background, alerts left
/// open for the test to see.
fn capabilities(profile: &Path) -> serde_json::Map<String, Value> {
    let binary = browser_binary().unwrap_or_else(|| PathBuf::from(CHROMIUM));
    let capabilities = json!({
        "browserName": "chrome",
        "unhandledPromptBehavior": "ignore",
        "goog:chromeOptions": {
            "binary": binary,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    match capabilities {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// Saves the current page as `target/screenshots/<scenario>.png`.
async fn save_screenshot(client: &Client, scenario: &str) -> Result<PathBuf, String> {
    let png = client.screenshot().await.map_err(|e| e.to_string())?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{scenario}.png"));
    std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// `/usr/bin/chromium`, else `chromium` on the PATH.
fn browser_binary() -> Option<PathBuf> {
    let fixed = PathBuf::from(CHROMIUM);
    if fixed.is_file() {
        Some(fixed)
    } else {
        on_path("chromium")
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a probe port");
    listener.local_addr().expect("the probe's address").port()
}
