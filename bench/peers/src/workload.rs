//! What the peers need of the employees workload (`shared/bench/README.md`), copied from the
//! harness's `bench/src/workload.rs`: the splitmix64 rows, the constants of the phases, the load
//! line and its xxh3 hash, the phase timer and the memory marks. The harness checks that every
//! peer ends with its expected count and hash, so a copy that drifts fails there.

use std::fmt::Write as _;
use std::future::Future;
use std::time::Instant;

const FIRST: [&str; 16] = [
    "Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
    "Niaj", "Olivia", "Peggy", "Rupert", "Sybil",
];
const LAST: [&str; 16] = [
    "Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts",
    "Walker", "Wright", "Green", "Hall", "Wood", "Clarke", "Baker",
];
const POSITIONS: [&str; 8] = [
    "Manager",
    "Developer",
    "Designer",
    "Tester",
    "Analyst",
    "Architect",
    "Support",
    "Intern",
];

/// The position `upd_set` raises by one year.
pub const UPD_SET_POSITION: &str = "Developer";
/// The position `upd_row` gives.
pub const UPD_ROW_POSITION: &str = "Senior Developer";
/// How many rows `upd_row` reads and updates one by one.
const UPD_ROW_COUNT: usize = 1_000;
/// `delete` removes rows older than this.
pub const DELETE_ABOVE_AGE: i32 = 60;
/// The phases, in order.
pub const PHASES: [&str; 6] = ["insert", "load", "upd_set", "upd_row", "delete", "count"];

/// One generated employee.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// `{FIRST} {LAST} {number}`.
    pub name: &'a str,
    /// 18..=65.
    pub age: i32,
    /// One of the eight positions.
    pub position: &'static str,
}

/// The N rows, generated before any timing starts and kept as the harness keeps them (all names
/// in one string, ~30 bytes a row), so that the peak memory of the runs compares.
#[derive(Debug)]
pub struct Workload {
    names: String,
    ends: Vec<u32>,
    ages: Vec<i32>,
    positions: Vec<u8>,
}

impl Workload {
    /// Generates `n` rows: splitmix64 seeded with 42, one value per row.
    pub fn generate(n: usize) -> Self {
        let mut state = 42u64;
        let mut workload = Workload {
            names: String::with_capacity(n * 22),
            ends: Vec::with_capacity(n),
            ages: Vec::with_capacity(n),
            positions: Vec::with_capacity(n),
        };
        for _ in 0..n {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let x = z ^ (z >> 31);
            // Writing to a String cannot fail.
            let _ = write!(
                workload.names,
                "{} {} {}",
                FIRST[(x & 15) as usize],
                LAST[((x >> 4) & 15) as usize],
                (x >> 8) % 100_000
            );
            workload.ends.push(workload.names.len() as u32);
            workload.ages.push(18 + ((x >> 32) % 48) as i32);
            workload.positions.push(((x >> 40) & 7) as u8);
        }
        workload
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.ages.len()
    }

    /// Row `i` (0-based; its id in a fresh table is `i + 1`).
    fn row(&self, i: usize) -> Row<'_> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Row {
            name: &self.names[start..self.ends[i] as usize],
            age: self.ages[i],
            position: POSITIONS[self.positions[i] as usize],
        }
    }

    /// Every row, in order.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        (0..self.len()).map(|i| self.row(i))
    }
}

/// The current UTC time, to the microsecond, as staffdb stores it.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// The ids `upd_row` touches, in order: `(i * 7919) % n + 1`.
pub fn upd_row_ids(n: usize) -> impl Iterator<Item = i64> {
    (0..UPD_ROW_COUNT).map(move |i| ((i * 7919) % n.max(1) + 1) as i64)
}

/// Hashes the load phase's output line by line (xxh3-64 of every `line\n`), never holding it.
pub struct OutputHash {
    hasher: xxhash_rust::xxh3::Xxh3,
    line: String,
    bytes: u64,
}

impl OutputHash {
    /// An empty output.
    pub fn new() -> Self {
        OutputHash {
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            line: String::with_capacity(128),
            bytes: 0,
        }
    }

    /// Adds `ID: {id}, Name: {name}, Age: {age}, Position: {position}`.
    pub fn fields(&mut self, id: i64, name: &str, age: i32, position: &str) {
        self.line.clear();
        let _ = writeln!(
            self.line,
            "ID: {id}, Name: {name}, Age: {age}, Position: {position}"
        );
        self.hasher.update(self.line.as_bytes());
        self.bytes += self.line.len() as u64;
    }
}

/// The six phases of the workload as one library runs them on one backend, each in a
/// transaction of its own but `count`.
pub(crate) trait Peer {
    /// Writes every row in one transaction.
    async fn insert(&mut self, workload: &Workload) -> anyhow::Result<()>;
    /// Streams every row, formatting and hashing each line.
    async fn load(&mut self) -> anyhow::Result<OutputHash>;
    /// `age + 1` (with the version and `updated_at`) where the position is `Developer`.
    async fn upd_set(&mut self) -> anyhow::Result<()>;
    /// Reads then updates each of [`upd_row_ids`], one round trip each, in one transaction.
    async fn upd_row(&mut self, n: usize) -> anyhow::Result<()>;
    /// Deletes the rows older than [`DELETE_ABOVE_AGE`].
    async fn delete(&mut self) -> anyhow::Result<()>;
    /// The rows left.
    async fn count(&mut self) -> anyhow::Result<i64>;
}

/// One run: seconds per phase and what it ended with, as the harness's `Outcome` holds it.
#[derive(Debug)]
pub struct Outcome {
    /// Wall-clock seconds per phase, in [`PHASES`] order.
    pub seconds: Vec<f64>,
    /// CPU seconds of the whole process (every thread) per phase.
    pub cpu_seconds: Vec<f64>,
    /// Rows counted at the end.
    pub count: i64,
    /// xxh3-64 of the load output.
    pub hash: u64,
    /// Bytes of the load output.
    pub out_bytes: u64,
    /// Peak resident memory of the whole run, in KiB.
    pub peak_rss_kib: u64,
    /// Peak resident memory from the load phase on, in KiB (None where it cannot be reset).
    pub load_rss_kib: Option<u64>,
}

/// Runs the six phases, timing each, and frees the input rows after the insert, as the harness
/// does for its own implementations.
pub(crate) async fn run(peer: &mut impl Peer, workload: Workload) -> anyhow::Result<Outcome> {
    let n = workload.len();
    let mut timer = Timer::default();
    timer.time(peer.insert(&workload)).await?;
    let insert_rss = peak_rss_kib();
    drop(workload);
    let reset = reset_peak_rss();
    let out = timer.time(peer.load()).await?;
    timer.time(peer.upd_set()).await?;
    timer.time(peer.upd_row(n)).await?;
    timer.time(peer.delete()).await?;
    let count = timer.time(peer.count()).await?;
    let load_rss = peak_rss_kib();
    Ok(Outcome {
        seconds: timer.seconds,
        cpu_seconds: timer.cpu_seconds,
        count,
        hash: out.hasher.digest(),
        out_bytes: out.bytes,
        peak_rss_kib: insert_rss.max(load_rss),
        load_rss_kib: reset.then_some(load_rss),
    })
}

/// Times the phases of one run.
#[derive(Debug, Default)]
struct Timer {
    seconds: Vec<f64>,
    cpu_seconds: Vec<f64>,
}

impl Timer {
    /// Runs and times the next phase.
    async fn time<T>(
        &mut self,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let cpu = cpu_nanos();
        let start = Instant::now();
        let value = work.await?;
        self.seconds.push(start.elapsed().as_secs_f64());
        self.cpu_seconds
            .push(cpu_nanos().saturating_sub(cpu) as f64 / 1e9);
        Ok(value)
    }
}

/// CPU time of every live thread of this process so far (the first field of each
/// /proc/self/task/*/schedstat), in nanoseconds; 0 where /proc is missing. Every thread, since
/// sqlx runs each SQLite connection on a thread of its own.
fn cpu_nanos() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// This process's peak resident memory so far (VmHWM), in KiB; 0 where /proc is missing.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Resets the peak-memory mark to the current resident size (Linux ≥ 4.0). False where that is
/// not possible.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Test support: staffdb's SQLite schema and the instants at the edge of a second.
#[cfg(test)]
pub(crate) mod testing {
    /// The SQL of staffdb's SQLite migrations (`migrations/sqlite/*/up.sql`), in order.
    pub fn sqlite_migrations() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
        let mut ups: Vec<_> = std::fs::read_dir(&dir)
            .expect("staffdb's SQLite migrations")
            .map(|entry| entry.expect("a migration").path().join("up.sql"))
            .collect();
        ups.sort();
        ups.iter()
            .map(|up| std::fs::read_to_string(up).expect("an up.sql"))
            .collect()
    }

    /// UTC instants to the microsecond, among them the last half millisecond of a second.
    pub fn edge_instants() -> Vec<chrono::NaiveDateTime> {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date");
        [0, 123_000, 999_000, 999_499, 999_500, 999_999]
            .into_iter()
            .map(|micros| day.and_hms_micro_opt(23, 59, 59, micros).expect("a time"))
            .collect()
    }

    /// The stored text is staffdb's form, `YYYY-MM-DD HH:MM:SS[.f]`, of `at`.
    pub fn assert_stored(text: &str, at: chrono::NaiveDateTime) {
        let want = at.format("%F %T%.f").to_string();
        assert_eq!(text, want, "the text stored for {at}");
        assert_eq!(text.as_bytes()[10], b' ', "{text}: a space, not a T");
    }
}
