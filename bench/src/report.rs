//! Medians, markdown tables and BENCHMARKS.md.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use staffdb::Backend;

use crate::impls::Impl;
use crate::workload::{Outcome, PHASES};

/// The medians of one implementation's runs, and the runs themselves (in round order, for the
/// per-round ratios of [`Ratio`]).
#[derive(Debug, Clone)]
pub struct Summary {
    /// Which implementation.
    pub which: Impl,
    /// How many runs the medians are of.
    pub runs: usize,
    /// Median seconds per phase.
    pub seconds: Vec<f64>,
    /// Median total seconds (the median of the runs' totals).
    pub total: f64,
    /// Median peak RSS of the whole run, KiB.
    pub peak_rss_kib: u64,
    /// Median peak RSS from the load phase on, KiB.
    pub load_rss_kib: Option<u64>,
    /// The runs, in round order.
    pub outcomes: Vec<Outcome>,
}

/// The median (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// The `q` quantile of `values` (0 ≤ q ≤ 1), interpolated between the two nearest ranks (as
/// R's default and numpy's `linear`); NaN for none.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let at = q.clamp(0.0, 1.0) * last as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (at - low as f64)
}

/// A median and the middle half around it: the first and third quartiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The first quartile.
    pub low: f64,
    /// The median.
    pub median: f64,
    /// The third quartile.
    pub high: f64,
}

impl Spread {
    /// The spread of `values`.
    pub fn of(values: &[f64]) -> Spread {
        Spread {
            low: quantile(values, 0.25),
            median: median(values),
            high: quantile(values, 0.75),
        }
    }

    /// `1.08× [1.03–1.12]`.
    pub fn times(&self) -> String {
        if self.median.is_nan() {
            return "–".into();
        }
        format!("{:.2}× [{:.2}–{:.2}]", self.median, self.low, self.high)
    }

    /// Whether the whole middle half is at most `limit`.
    pub fn at_most(&self, limit: f64) -> bool {
        self.high <= limit
    }

    /// Whether the whole middle half is at least `limit`.
    pub fn at_least(&self, limit: f64) -> bool {
        self.low >= limit
    }
}

fn median_u64(values: impl Iterator<Item = u64>) -> u64 {
    let values: Vec<f64> = values.map(|v| v as f64).collect();
    median(&values) as u64
}

/// Medians over `runs` (at least one).
pub fn summarize(which: Impl, runs: &[Outcome]) -> Summary {
    let seconds = (0..PHASES.len())
        .map(|p| {
            let phase: Vec<f64> = runs
                .iter()
                .map(|r| r.seconds.get(p).copied().unwrap_or(f64::NAN))
                .collect();
            median(&phase)
        })
        .collect();
    let totals: Vec<f64> = runs.iter().map(Outcome::total).collect();
    let load_rss = runs.iter().filter_map(|r| r.load_rss_kib);
    Summary {
        which,
        runs: runs.len(),
        seconds,
        total: median(&totals),
        peak_rss_kib: median_u64(runs.iter().map(|r| r.peak_rss_kib)),
        load_rss_kib: if runs.iter().all(|r| r.load_rss_kib.is_some()) {
            Some(median_u64(load_rss))
        } else {
            None
        },
        outcomes: runs.to_vec(),
    }
}

/// What a measure of one run is: a phase (by its index in [`PHASES`]) or the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// One phase.
    Phase(usize),
    /// Every phase.
    Total,
}

impl Part {
    /// The phase's name, or `total`.
    pub fn name(self) -> &'static str {
        match self {
            Part::Phase(p) => PHASES.get(p).copied().unwrap_or("?"),
            Part::Total => "total",
        }
    }

    fn pick(self, values: &[f64]) -> Option<f64> {
        match self {
            Part::Phase(p) => values.get(p).copied(),
            Part::Total => (!values.is_empty()).then(|| values.iter().sum()),
        }
    }

    /// Wall-clock seconds of this part of `run`.
    pub fn wall(self, run: &Outcome) -> Option<f64> {
        self.pick(&run.seconds)
    }

    /// Client CPU seconds of this part of `run`, and the server's beside them where it was
    /// measured. `None` where the client's was not (the Python references), or where the server
    /// was measured and the sum is under [`SERVER_CPU_RESOLUTION`]: a few of the server's 10 ms
    /// ticks are no figure to divide by.
    pub fn cpu(self, run: &Outcome) -> Option<f64> {
        let client = self.pick(&run.cpu_seconds)?;
        match self.pick(&run.server_cpu_seconds) {
            Some(server) if client + server < SERVER_CPU_RESOLUTION => None,
            server => Some(client + server.unwrap_or(0.0)),
        }
    }
}

/// The least CPU (client and server) a part of a run on a server backend must take for its
/// ratio to be given: five of the server's 10 ms ticks.
pub const SERVER_CPU_RESOLUTION: f64 = 0.05;

/// `a`'s runs over `b`'s, round by round (the rounds are interleaved, so a round's two runs saw
/// the same machine), by `measure`: the spread of the per-round ratios.
pub fn ratio_spread(a: &Summary, b: &Summary, measure: impl Fn(&Outcome) -> Option<f64>) -> Spread {
    let ratios: Vec<f64> = a
        .outcomes
        .iter()
        .zip(&b.outcomes)
        .filter_map(|(x, y)| Some(measure(x)? / measure(y)?))
        .filter(|r| r.is_finite())
        .collect();
    Spread::of(&ratios)
}

/// Seconds with three significant figures or so.
pub fn secs(s: f64) -> String {
    if s.is_nan() {
        "–".into()
    } else if s < 0.01 {
        format!("{s:.4}")
    } else if s < 10.0 {
        format!("{s:.3}")
    } else {
        format!("{s:.1}")
    }
}

/// KiB as MB.
pub fn mb(kib: u64) -> String {
    format!("{:.0} MB", kib as f64 / 1024.0)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

/// One backend's table: seconds per phase, total (with its middle half), ratios to the floor,
/// client and server CPU, memory.
pub fn table(backend: Backend, summaries: &[Summary], notes: &[(Impl, String)]) -> String {
    let floor = summaries.iter().find(|s| s.which == Impl::Floor);
    let mut out = String::from("| implementation | ");
    for phase in PHASES {
        let _ = write!(out, "{phase} | ");
    }
    out.push_str("total [middle half] | × floor [middle half] | insert × floor | client CPU | server CPU | peak RSS | RSS from load on |\n|---|");
    out.push_str(&"---:|".repeat(PHASES.len() + 7));
    out.push('\n');
    for s in summaries {
        let _ = write!(out, "| {} | ", s.which.describe(backend));
        for v in &s.seconds {
            let _ = write!(out, "{} | ", secs(*v));
        }
        let totals: Vec<f64> = s.outcomes.iter().map(Outcome::total).collect();
        let spread = Spread::of(&totals);
        let (total_ratio, insert_ratio) = match floor {
            Some(f) => (
                ratio_spread(s, f, |r| Part::Total.wall(r)).times(),
                ratio(s.seconds[0], f.seconds[0]),
            ),
            None => ("–".into(), "–".into()),
        };
        let client = median_of(s, |r| Part::Total.pick(&r.cpu_seconds));
        let server = median_of(s, |r| Part::Total.pick(&r.server_cpu_seconds));
        let _ = writeln!(
            out,
            "**{}** [{}–{}] | {} | {} | {} | {} | {} | {} |",
            secs(s.total),
            secs(spread.low),
            secs(spread.high),
            total_ratio,
            insert_ratio,
            secs(client),
            secs(server),
            mb(s.peak_rss_kib),
            s.load_rss_kib.map_or("–".into(), mb)
        );
    }
    for (which, note) in notes {
        let _ = writeln!(
            out,
            "| {} | {} |",
            which.describe(backend),
            note.replace('|', "\\|")
        );
    }
    out
}

/// The median of `measure` over the runs that have it (NaN, shown "–", if none has).
fn median_of(s: &Summary, measure: impl Fn(&Outcome) -> Option<f64>) -> f64 {
    let values: Vec<f64> = s.outcomes.iter().filter_map(measure).collect();
    median(&values)
}

/// staffdb against its floor, phase by phase and in total: the median and middle half of the
/// per-round ratios, in wall-clock seconds and in CPU seconds (the client's and, for a server,
/// the server's), each judged against the 1.10×.
pub fn floor_table(summaries: &[Summary]) -> Option<String> {
    let get = |which| summaries.iter().find(|s| s.which == which);
    let (staffdb, floor) = (get(Impl::Staffdb)?, get(Impl::Floor)?);
    let mut out = String::from(
        "| staffdb ÷ floor | wall clock | CPU (client + server) | ≤ 1.10× by its middle half |\n|---|---:|---:|---|\n",
    );
    let parts = (0..PHASES.len()).map(Part::Phase).chain([Part::Total]);
    for part in parts {
        let wall = ratio_spread(staffdb, floor, |r| part.wall(r));
        let cpu = ratio_spread(staffdb, floor, |r| part.cpu(r));
        let verdict = match (wall.at_most(FLOOR_TARGET), cpu.at_most(FLOOR_TARGET)) {
            (true, _) if cpu.median.is_nan() => "met (too short to read the server's CPU)",
            (false, _) if cpu.median.is_nan() => "not met",
            (true, true) => "met",
            (true, false) => "wall clock only",
            (false, true) => "CPU only",
            (false, false) => "not met",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {verdict} |",
            part.name(),
            wall.times(),
            cpu.times()
        );
    }
    Some(out)
}

/// Issue 27's target: staffdb at most this many times its floor, in total and in every phase.
pub const FLOOR_TARGET: f64 = 1.10;

/// The issues' targets, each judged by the middle half of its per-round ratios: met only when
/// the whole of it is inside the target.
pub fn targets(backend: Backend, summaries: &[Summary]) -> Vec<(String, bool)> {
    let get = |which| summaries.iter().find(|s| s.which == which);
    let mut checks = Vec::new();
    let Some(staffdb) = get(Impl::Staffdb) else {
        return checks;
    };
    let mut check = |label: String, ok: bool| checks.push((label, ok));
    let wall = |part: Part| move |r: &Outcome| part.wall(r);
    let (insert, total) = (Part::Phase(0), Part::Total);
    if let Some(floor) = get(Impl::Floor) {
        let spreads: Vec<(Spread, Spread)> = (0..PHASES.len())
            .map(Part::Phase)
            .chain([total])
            .map(|part| {
                let cpu = move |r: &Outcome| part.cpu(r);
                (
                    ratio_spread(staffdb, floor, wall(part)),
                    ratio_spread(staffdb, floor, cpu),
                )
            })
            .collect();
        let all = spreads.iter().all(|(w, c)| {
            w.at_most(FLOOR_TARGET) && (c.median.is_nan() || c.at_most(FLOOR_TARGET))
        });
        check(
            format!(
                "total and every phase ≤ {FLOOR_TARGET:.2}× the floor, wall clock and CPU (issue 27; the table above)"
            ),
            all,
        );
        if backend == Backend::Sqlite {
            let r = ratio_spread(staffdb, floor, wall(total));
            check(
                format!("total ≤ 1.15× the rusqlite floor: {}", r.times()),
                r.at_most(1.15),
            );
            let r = ratio_spread(staffdb, floor, wall(insert));
            check(
                format!("insert ≤ 1.1× the floor: {}", r.times()),
                r.at_most(1.1),
            );
        }
    }
    if let (Backend::Postgres, Some(diesel)) = (backend, get(Impl::Diesel)) {
        let r = ratio_spread(staffdb, diesel, wall(insert));
        check(
            format!(
                "insert ≤ 0.6× Diesel's chunked multi-row INSERT: {}",
                r.times()
            ),
            r.at_most(0.6),
        );
    }
    let orm_target = match backend {
        Backend::Sqlite => Some(25.0),
        Backend::Postgres => Some(7.0),
        _ => None,
    };
    if let (Some(target), Some(orm)) = (orm_target, get(Impl::SqlaOrm)) {
        let r = ratio_spread(orm, staffdb, wall(total));
        check(
            format!("≥ {target}× faster than the SQLAlchemy ORM: {}", r.times()),
            r.at_least(target),
        );
    }
    if let Some(rss) = staffdb.load_rss_kib {
        check(
            format!("peak RSS from load on < 64 MB: {}", mb(rss)),
            rss < 64 * 1024,
        );
    }
    checks
}

/// What the ORM target asks of staffdb, in terms of the tutorial-table yardstick (SQLite): how
/// many times the yardstick the ORM and staffdb's own floor take, and so how close to its floor
/// staffdb would have to be to run 25× faster than the ORM.
pub fn orm_target_context(backend: Backend, summaries: &[Summary]) -> Option<String> {
    let get = |which| summaries.iter().find(|s| s.which == which);
    let (Backend::Sqlite, Some(yardstick), Some(floor), Some(orm)) = (
        backend,
        get(Impl::TutorialTable),
        get(Impl::Floor),
        get(Impl::SqlaOrm),
    ) else {
        return None;
    };
    Some(format!(
        "The SQLAlchemy ORM takes {:.0}× the tutorial-table yardstick and the floor on staffdb's \
         table {:.1}× it, so ≥ 25× faster than the ORM would need staffdb at {:.2}× its own \
         floor or less.",
        orm.total / yardstick.total,
        floor.total / yardstick.total,
        orm.total / 25.0 / floor.total,
    ))
}

/// The machine, for the report.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown".into(),
            |kib| format!("{:.1} GiB", kib as f64 / 1048576.0),
        );
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} CPUs ({cpu}), {memory} RAM, Linux {kernel}")
}

const HEAD: &str = "<!-- head:start -->
# Benchmarks

Generated by `bench/run-all`, which runs the harness in `bench/` on SQLite, PostgreSQL and MariaDB
at N = 100,000 and 1,000,000 and the command-line tool against the databases' own (about 30
minutes); each section below is replaced when the harness runs that backend and N again (the
README's Performance section has the single commands). The workload is
the employees workload of `shared/bench/README.md`: N rows from splitmix64 seeded with 42, six
timed phases, and every implementation must end with the same count and the same hash of its
formatted load output, or the harness fails and writes nothing. Each implementation × round runs
in a process of its own, interleaved over the rounds; figures are medians, wall-clock seconds.
The machine is a shared 2-core VM, where one round can be 0.4× or 1.6× the next, so a median is
not the whole figure: beside it each table gives the middle half of the rounds (the first to
the third quartile, `[low–high]`), and a ratio to another implementation is taken round by
round (the two ran back to back, on the same machine) and given as the median and middle half
of those per-round ratios. Beside wall-clock time, each run's CPU seconds: the client's (the
timed thread's own, `CLOCK_THREAD_CPUTIME_ID`; the whole process's for sqlx and SeaORM) and, on
PostgreSQL and MariaDB, the server's (its processes' user and system time from `/proc`, read at
each phase's start and end — in 10 ms ticks, so a phase of a few milliseconds reads 0 or 0.01).
A target is **met** only when the whole middle half of its ratios is inside it.

- **floor**: the database's own client at its best: rusqlite prepared statements, 256-row INSERTs (SQLite), the
  `postgres` crate with binary `COPY` and prepared statements (PostgreSQL), the `mysql` crate with
  multi-row prepared INSERTs (MariaDB). It and raw Diesel write staffdb's real, migrated
  `employees` table (three indexes) with the same columns staffdb writes (version, `created_at`,
  `updated_at`) and the same SQLite pragmas (WAL, `synchronous = NORMAL`, foreign keys on). The
  floor's load reads the four columns it prints; staffdb's load streams `EmployeeSummary`s
  (`stream_summaries`: those four and `hired_on`).
- **yardstick** (SQLite): the floor's code on the tutorial's own table (id, name, age, position;
  no index, no version or timestamps), the table the SQLAlchemy references write. Not a target:
  it measures what staffdb's real table costs before any library code runs, which decides how
  far ahead of the ORM staffdb can be.
- **SQLAlchemy**: `shared/bench/sqlalchemy_workload.py` on a database of its own, with its own
  four-column table and no index (which is why its `upd_set` and `delete` beat the floor's);
  `JOURNAL=wal` on SQLite; on MariaDB its `String` columns get length 200, which MySQL requires.
  Not run above N = 200,000 by default (the ORM holds ~3 KB a row). The script reports only the
  length of its load output; the harness's wrapper hands it a `len` that also hashes the string
  it measures (after the load's clock stops), so its bytes are checked like everyone's.
- **Django**: `bench/django_workload.py`, Django 5.2's ORM standalone (`settings.configure`, no
  project), on a database of its own (`…-django.db`, `…_django`) with staffdb's columns and
  constraints: departments, `email` UNIQUE, `department_id` FK, `hired_on`, a version,
  `created_at`/`updated_at` (`auto_now_add`/`auto_now`), CHECK on age, indexes on position and
  department (tables made by the script's `schema_editor`). insert: model instances through
  `bulk_create(batch_size=5000)` in one `atomic()` (Django caps a statement at 999 variables on
  SQLite, i.e. 111 rows; on PostgreSQL it sends `INSERT … SELECT * FROM UNNEST(…)`); load:
  `values_list(…).iterator(chunk_size=2000)` in a transaction (tuples, not model instances; a
  server-side cursor on PostgreSQL), each line formatted and hashed (xxh3, the `xxhash`
  package); upd_set: `update(age=F('age') + 1, version=F('version') + 1, updated_at=Now())`;
  upd_row: `get()` then `save(update_fields=[…])` with the version bumped in code (Django has no
  version counter), in one `atomic()`; delete: `QuerySet.delete()`, which takes the collector's
  fast path here (nothing refers to employees, no delete signal): one `DELETE`; count: `count()`.
  `JOURNAL=wal` on SQLite; MariaDB through mysqlclient. The same N limit as SQLAlchemy.
- **sqlx**, **SeaORM** (SQLite and PostgreSQL): `bench/peers`, a Cargo workspace of its own
  (sqlx's SQLite driver links another libsqlite3-sys than staffdb's), one `staffdb-peers` binary
  on a current-thread tokio runtime, run as a child process like the Python references but on
  staffdb's migrated table, writing the columns the floor writes (version, `created_at`,
  `updated_at` as staffdb stores them) with the same SQLite pragmas and statement logging off.
  sqlx 0.8, one connection: insert by `QueryBuilder::push_values`, as many rows a statement as the
  bind limit allows (5,461 on SQLite, 10,922 on PostgreSQL), one builder reused, in one
  transaction; load by `sqlx::query(…).fetch()`, streamed, the four columns read from each row;
  upd_set, upd_row (a SELECT then an UPDATE by id, one round trip each, in one transaction),
  delete and count by `sqlx::query`, which sqlx prepares once and caches. SeaORM 1.1, one pooled
  connection, an entity of `employees` (timestamps `DateTime` on SQLite, `DateTimeUtc` on
  PostgreSQL): insert by `insert_many` of ActiveModels in the same chunks
  (`exec_without_returning`); load by `select_only().columns(…).into_tuple().stream()`; upd_set
  by `update_many().col_expr(…)`; upd_row by `find_by_id` then the ActiveModel's `update`, which
  reads the whole row back with `RETURNING` (on SQLite through the `sqlite-use-returning-for-3_35`
  feature; without it SeaORM sends a SELECT after each UPDATE); delete by `delete_many()`; count
  by `count()`. Their CPU seconds are the whole process's, every thread (sqlx runs each SQLite
  connection on a thread of its own). On SQLite they run the SQLite that sqlx 0.8 bundles,
  3.46.0 (libsqlite3-sys 0.30), not the section's version: sqlx cannot be built with another.
- **before and after** (issue 24): `bench/before-after COMMIT --write` writes its own section,
  staffdb built from COMMIT beside staffdb built from the checkout, interleaved in one run, with
  each phase's ratio after / before in wall-clock and client CPU seconds.
- **transport**: every process talks to PostgreSQL without TLS (the harness sets
  `PGSSLMODE=disable`): libpq's default would encrypt staffdb's, raw Diesel's, psql's and the
  Python drivers' traffic with a server that offers TLS, while the floor's `postgres` crate and
  sqlx, built here without TLS, talk in the clear. MariaDB's clients here do not encrypt.
- **peak RSS**: the whole process, input rows included (generated before the clock starts, ~30
  bytes a row); **RSS from load on**: the peak after the input is freed and the mark reset, i.e.
  what streaming, updating and deleting cost.
<!-- head:end -->
";

/// Replaces (or appends) the section `key` of BENCHMARKS.md at `path`, and its machine line.
pub fn write_section(path: &Path, key: &str, body: &str) -> Result<()> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let mut text = if existing.is_empty() {
        HEAD.to_owned()
    } else {
        existing
    };
    let machine = format!(
        "<!-- machine:start -->\nLast run {}; machine: {}.\n<!-- machine:end -->\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine()
    );
    text = replace_block(&text, "head", HEAD);
    text = replace_block(&text, "machine", &machine);
    let section = format!("<!-- section:{key}:start -->\n{body}<!-- section:{key}:end -->\n");
    text = replace_block(&text, &format!("section:{key}"), &section);
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Replaces `<!-- {name}:start -->…<!-- {name}:end -->\n` with `block`, or appends it.
fn replace_block(text: &str, name: &str, block: &str) -> String {
    let start = format!("<!-- {name}:start -->");
    let end = format!("<!-- {name}:end -->\n");
    match (text.find(&start), text.find(&end)) {
        (Some(a), Some(b)) if b > a => format!("{}{block}{}", &text[..a], &text[b + end.len()..]),
        _ => format!("{}\n{block}", text.trim_end_matches('\n').to_owned() + "\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Medians of odd and even counts.
    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    /// Quartiles interpolate between ranks (numpy's `linear`); a target is met only when the
    /// whole middle half is inside it.
    #[test]
    fn spreads_and_targets_by_the_middle_half() {
        let spread = Spread::of(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!((spread.low, spread.median, spread.high), (2.0, 3.0, 4.0));
        assert_eq!(quantile(&[1.0, 2.0], 0.25), 1.25);
        assert!(spread.at_most(4.0) && !spread.at_most(3.9));
        assert!(spread.at_least(2.0) && !spread.at_least(2.1));
        assert_eq!(spread.times(), "3.00× [2.00–4.00]");
    }

    /// A ratio is taken round by round: the first run of one over the first of the other.
    #[test]
    fn ratios_pair_the_rounds() {
        let run = |total: f64| Outcome {
            seconds: vec![total],
            ..Outcome::default()
        };
        let summary = |which, totals: &[f64]| {
            let runs: Vec<Outcome> = totals.iter().map(|t| run(*t)).collect();
            summarize(which, &runs)
        };
        let staffdb = summary(Impl::Staffdb, &[2.0, 4.0, 6.0]);
        let floor = summary(Impl::Floor, &[2.0, 2.0, 3.0]);
        // Per round: 1, 2, 2 — where the medians alone would say 4 / 2 = 2.
        let spread = ratio_spread(&staffdb, &floor, |r| Part::Total.wall(r));
        assert_eq!((spread.low, spread.median, spread.high), (1.5, 2.0, 2.0));
    }

    /// A section is replaced in place and others are kept.
    #[test]
    fn sections_are_replaced() {
        let text = "head\n<!-- a:start -->\nold\n<!-- a:end -->\ntail\n";
        let text = replace_block(text, "a", "<!-- a:start -->\nnew\n<!-- a:end -->\n");
        assert_eq!(text, "head\n<!-- a:start -->\nnew\n<!-- a:end -->\ntail\n");
        let text = replace_block(&text, "b", "<!-- b:start -->\nb\n<!-- b:end -->\n");
        assert!(text.ends_with("tail\n\n<!-- b:start -->\nb\n<!-- b:end -->\n"));
    }
}
