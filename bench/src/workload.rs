//! The employees workload of `shared/bench/README.md`: deterministic rows, the six phases, and
//! what every implementation must end with.

use std::fmt::{self, Write as _};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// First names, indexed by `x & 15`.
pub const FIRST: [&str; 16] = [
    "Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
    "Niaj", "Olivia", "Peggy", "Rupert", "Sybil",
];
/// Last names, indexed by `(x >> 4) & 15`.
pub const LAST: [&str; 16] = [
    "Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts",
    "Walker", "Wright", "Green", "Hall", "Wood", "Clarke", "Baker",
];
/// Positions, indexed by `(x >> 40) & 7`.
pub const POSITIONS: [&str; 8] = [
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
pub const UPD_ROW_COUNT: usize = 1_000;
/// `delete` removes rows older than this.
pub const DELETE_ABOVE_AGE: i32 = 60;

/// The phases, in order.
pub const PHASES: [&str; 6] = ["insert", "load", "upd_set", "upd_row", "delete", "count"];

/// splitmix64, seeded with 42 for the workload.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator with this seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// One generated employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    /// `{FIRST} {LAST} {number}`.
    pub name: &'a str,
    /// 18..=65.
    pub age: i32,
    /// One of [`POSITIONS`].
    pub position: &'static str,
}

/// The N rows, generated before any timing starts and kept compactly (all names in one string),
/// so that holding them costs ~30 bytes a row and freeing them returns the memory at once.
#[derive(Debug, Clone)]
pub struct Workload {
    names: String,
    ends: Vec<u32>,
    ages: Vec<i32>,
    positions: Vec<u8>,
}

impl Workload {
    /// Generates `n` rows: splitmix64 seeded with 42, one value per row.
    pub fn generate(n: usize) -> Self {
        let mut rng = SplitMix64::new(42);
        let mut names = String::with_capacity(n * 22);
        let mut ends = Vec::with_capacity(n);
        let mut ages = Vec::with_capacity(n);
        let mut positions = Vec::with_capacity(n);
        for _ in 0..n {
            let x = rng.next_u64();
            // Writing to a String cannot fail.
            let _ = write!(
                names,
                "{} {} {}",
                FIRST[(x & 15) as usize],
                LAST[((x >> 4) & 15) as usize],
                (x >> 8) % 100_000
            );
            ends.push(names.len() as u32);
            ages.push(18 + ((x >> 32) % 48) as i32);
            positions.push(((x >> 40) & 7) as u8);
        }
        Workload {
            names,
            ends,
            ages,
            positions,
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.ages.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.ages.is_empty()
    }

    /// Row `i` (0-based; its id in a fresh table is `i + 1`).
    pub fn row(&self, i: usize) -> Row<'_> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Row {
            name: &self.names[start..self.ends[i] as usize],
            age: self.ages[i],
            position: POSITIONS[self.positions[i] as usize],
        }
    }

    /// Every row, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Row<'_>> + '_ {
        (0..self.len()).map(|i| self.row(i))
    }
}

/// The current UTC time, to the microsecond, as every implementation stores it.
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
    lines: u64,
}

impl Default for OutputHash {
    fn default() -> Self {
        Self::new()
    }
}

impl OutputHash {
    /// An empty output.
    pub fn new() -> Self {
        OutputHash {
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            line: String::with_capacity(128),
            bytes: 0,
            lines: 0,
        }
    }

    /// Adds one line formatted by `Display` (staffdb's `Employee`).
    pub fn display(&mut self, value: &impl fmt::Display) {
        self.line.clear();
        let _ = write!(self.line, "{value}");
        self.push_line();
    }

    /// Adds `ID: {id}, Name: {name}, Age: {age}, Position: {position}`.
    pub fn fields(&mut self, id: i64, name: &str, age: i64, position: &str) {
        self.line.clear();
        let _ = write!(
            self.line,
            "ID: {id}, Name: {name}, Age: {age}, Position: {position}"
        );
        self.push_line();
    }

    fn push_line(&mut self) {
        self.line.push('\n');
        self.hasher.update(self.line.as_bytes());
        self.bytes += self.line.len() as u64;
        self.lines += 1;
    }

    /// (hash, bytes, lines).
    pub fn finish(&self) -> (u64, u64, u64) {
        (self.hasher.digest(), self.bytes, self.lines)
    }
}

/// What every implementation must end with, computed without a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// Rows left after `delete`.
    pub count: i64,
    /// xxh3-64 of the load output.
    pub hash: u64,
    /// Bytes of the load output.
    pub out_bytes: u64,
}

/// Plays the workload in memory: the ids are 1..=N in a fresh table, and the count follows
/// from the ages after `upd_set` and `upd_row`.
pub fn expected(workload: &Workload) -> Expected {
    let n = workload.len();
    let mut out = OutputHash::new();
    let mut ages: Vec<i32> = Vec::with_capacity(n);
    for (i, row) in workload.iter().enumerate() {
        out.fields(i as i64 + 1, row.name, row.age.into(), row.position);
        ages.push(row.age + i32::from(row.position == UPD_SET_POSITION));
    }
    if n > 0 {
        for id in upd_row_ids(n) {
            ages[id as usize - 1] += 1;
        }
    }
    let count = ages.iter().filter(|&&age| age <= DELETE_ABOVE_AGE).count() as i64;
    let (hash, out_bytes, _) = out.finish();
    Expected {
        count,
        hash,
        out_bytes,
    }
}

/// One run of one implementation: seconds per phase and what it ended with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Seconds per phase, in [`PHASES`] order.
    pub seconds: Vec<f64>,
    /// Rows counted at the end.
    pub count: i64,
    /// xxh3-64 of the load output (None only where a reference reported none: a mismatch).
    pub hash: Option<u64>,
    /// Bytes of the load output.
    pub out_bytes: u64,
    /// Peak resident memory of the whole run, in KiB.
    pub peak_rss_kib: u64,
    /// Peak resident memory from the load phase on (after the input rows are freed), in KiB.
    pub load_rss_kib: Option<u64>,
    /// CPU seconds of this process per phase (empty for the Python references): steadier than
    /// wall-clock time on a busy machine, and what tuning decisions were made on.
    #[serde(default)]
    pub cpu_seconds: Vec<f64>,
    /// User + system CPU seconds of the whole child process, every thread, from its start to its
    /// exit (the input's generation and the fresh database included), as the parent's
    /// `getrusage(RUSAGE_CHILDREN)` counts it; set by the parent.
    #[serde(default)]
    pub process_cpu_seconds: Option<f64>,
    /// CPU seconds of the database server's processes per phase ([`server_cpu_seconds`]):
    /// empty on SQLite, which has no server, and for the Python references and the peers.
    #[serde(default)]
    pub server_cpu_seconds: Vec<f64>,
}

impl Outcome {
    /// The sum of the phases.
    pub fn total(&self) -> f64 {
        self.seconds.iter().sum()
    }
}

/// Times the phases of one run.
#[derive(Debug, Default)]
pub struct Phases {
    seconds: Vec<f64>,
    cpu_seconds: Vec<f64>,
    server_cpu_seconds: Vec<f64>,
}

/// The command names (`/proc/PID/comm`) of the database server whose CPU the phases measure:
/// set by the child for its backend (and by an example for each backend it runs on).
static SERVER: std::sync::Mutex<&'static [&'static str]> = std::sync::Mutex::new(&[]);

/// Measures the CPU of `backend`'s server beside each phase: PostgreSQL's `postgres` processes,
/// MariaDB's (or MySQL's) one server process; nothing on SQLite.
pub fn measure_server(backend: staffdb::Backend) {
    let names: &'static [&'static str] = match backend {
        staffdb::Backend::Postgres => &["postgres"],
        staffdb::Backend::Mysql => &["mariadbd", "mysqld"],
        _ => &[],
    };
    if let Ok(mut server) = SERVER.lock() {
        *server = names;
    }
}

/// User + system CPU seconds the server's processes have used so far, read from `/proc`: each
/// process's own time and the time of the children it has reaped (PostgreSQL's postmaster
/// collects a backend's time when the connection ends, so the sum only grows). `None` when no
/// server is measured or none of its processes is found. The kernel counts in ticks (10 ms), so
/// a phase of a few milliseconds reads as 0 or a tick.
pub fn server_cpu_seconds() -> Option<f64> {
    let names = *SERVER.lock().ok()?;
    if names.is_empty() {
        return None;
    }
    // SAFETY: sysconf only reads a constant of the system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let mut total = 0u64;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let path = entry.path();
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if !is_pid || !names.contains(&comm.trim_end()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        // The fields after the command's closing parenthesis: utime is the 14th field of the
        // line, so the 12th after it; stime, cutime and cstime follow.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<u64> = after
            .split_whitespace()
            .skip(11)
            .take(4)
            .filter_map(|f| f.parse().ok())
            .collect();
        total += fields.iter().sum::<u64>();
        found = true;
    }
    (found && ticks > 0.0).then(|| total as f64 / ticks)
}

/// CPU time of this thread so far, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`); 0 where the
/// clock is missing. The kernel brings a running thread's time up to date when this clock is
/// read, so a phase of a few milliseconds is measured to the microsecond;
/// `/proc/thread-self/schedstat`, read before, lags by up to a scheduler tick (4 ms), which made
/// the CPU of short phases move by whole ticks between runs.
fn cpu_nanos() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct it is given, which is plain data.
    let read = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if read != 0 {
        return 0;
    }
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

impl Phases {
    /// No phase timed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs and times the next phase.
    pub fn time<T>(&mut self, work: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
        // Read outside the clocks: a walk of /proc costs a millisecond or so.
        let server = server_cpu_seconds();
        let cpu = cpu_nanos();
        let start = Instant::now();
        let value = work()?;
        self.seconds.push(start.elapsed().as_secs_f64());
        self.cpu_seconds
            .push(cpu_nanos().saturating_sub(cpu) as f64 / 1e9);
        if let (Some(before), Some(after)) = (server, server_cpu_seconds()) {
            self.server_cpu_seconds.push((after - before).max(0.0));
        }
        Ok(value)
    }

    /// The wall-clock and CPU seconds measured, in order.
    pub fn finish(self) -> (Vec<f64>, Vec<f64>) {
        (self.seconds, self.cpu_seconds)
    }

    /// The server's CPU seconds per phase, when it was measured for every phase.
    fn server_cpu(&self) -> Vec<f64> {
        match self.server_cpu_seconds.len() == self.seconds.len() {
            true => self.server_cpu_seconds.clone(),
            false => Vec::new(),
        }
    }

    /// The run's outcome: these phases, the load output, the final count and the memory peaks
    /// (`insert_rss` measured before the input was freed; `reset` when the mark was reset then).
    pub fn outcome(self, out: &OutputHash, count: i64, insert_rss: u64, reset: bool) -> Outcome {
        let (hash, out_bytes, _) = out.finish();
        let server_cpu_seconds = self.server_cpu();
        let (seconds, cpu_seconds) = self.finish();
        let load_rss = peak_rss_kib();
        Outcome {
            seconds,
            count,
            hash: Some(hash),
            out_bytes,
            peak_rss_kib: insert_rss.max(load_rss),
            load_rss_kib: reset.then_some(load_rss),
            cpu_seconds,
            process_cpu_seconds: None,
            server_cpu_seconds,
        }
    }
}

/// This process's peak resident memory so far (VmHWM), in KiB; 0 where /proc is missing.
pub fn peak_rss_kib() -> u64 {
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

/// Resets the peak-memory mark to the current resident size (Linux ≥ 4.0), so that what follows
/// is measured on its own. Returns false where that is not possible.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator gives the rows the Python reference gives (first rows checked by hand).
    #[test]
    fn rows_are_deterministic() {
        let w = Workload::generate(3);
        let again = Workload::generate(3);
        assert_eq!(
            w.iter().collect::<Vec<_>>(),
            again.iter().collect::<Vec<_>>()
        );
        for row in w.iter() {
            assert!((18..=65).contains(&row.age));
            assert_eq!(row.name.split(' ').count(), 3);
        }
    }

    /// N = 100,000 leaves 89,412 rows, as the README says.
    #[test]
    fn expected_count_at_100k() {
        assert_eq!(expected(&Workload::generate(100_000)).count, 89_412);
    }
}
