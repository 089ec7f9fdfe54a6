//! Generated inputs through the import readers and the URL parser, in process (thousands of
//! cases) and through the `staffdb` binary (a couple of hundred): no panic, every error placed,
//! no password shown, and a failed import changes nothing.
//!
//! The case counts are fixed and nothing is persisted (`failure_persistence: None`), so a run
//! never writes `proptest-regressions/`; each property prints how many cases it ran, straight to
//! stderr so that CI's log shows it even though libtest captures `println!`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use staffdb::{CsvRecords, DatabaseUrl, JsonRecords, Place, RecordError};

/// In-process cases per format and for URLs; process-level cases per format and for URLs.
const IN_PROCESS: u32 = 3_000;
const PROCESSES: u32 = 100;

/// Runs `test` on `cases` values of `strategy` and prints the count.
fn check<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases,
        failure_persistence: None,
        // A failing case is shrunk for at most this long: enough for a readable input.
        max_shrink_time: 30_000,
        ..Config::default()
    };
    let ran = std::sync::atomic::AtomicU32::new(0);
    let outcome = TestRunner::new(config).run(&strategy, |value| {
        ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        test(value)
    });
    if let Err(failure) = outcome {
        panic!("{name}: {failure}");
    }
    let ran = ran.into_inner();
    let _ = writeln!(std::io::stderr(), "property {name}: {ran} cases passed");
    assert!(ran >= cases, "{name}: only {ran} of {cases} cases ran");
}

// ---------------------------------------------------------------------------------------------
// Generators: near-valid CSV and JSON files.

/// A cell value: mostly plausible, often wrong in one way a person or a program gets wrong.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Z][a-z]{0,8}( [A-Z][a-z]{0,8})?",
        2 => (0i64..=150).prop_map(|n| n.to_string()),
        1 => prop_oneof![
            Just("-1".to_owned()),
            Just("151".to_owned()),
            Just(" 30 ".to_owned()),
            Just("1.5".to_owned()),
            Just("many".to_owned()),
            Just("99999999999999999999999".to_owned()),
            Just("2147483648".to_owned()),
            Just("-9223372036854775809".to_owned()),
        ],
        1 => "[a-z]{1,6}@(example\\.com|x)",
        1 => prop_oneof![
            Just("2026-02-28".to_owned()),
            Just("2026-02-30".to_owned()),
            Just("1999-12-31".to_owned()),
            Just("31/12/1999".to_owned()),
        ],
        1 => prop_oneof![
            Just(String::new()),
            Just(" ".to_owned()),
            Just("a,b".to_owned()),
            Just("say \"hi\"".to_owned()),
            Just("two\nlines".to_owned()),
            Just("tab\there".to_owned()),
            Just("Zoë Łukasz 日本".to_owned()),
            Just("x".repeat(201)),
            Just("\u{0}".to_owned()),
        ],
    ]
}

/// Column names: the real ones, ignored ones, and mistakes.
fn column() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["name", "age", "position", "email", "department", "hired_on"])
            .prop_map(str::to_owned),
        1 => prop::sample::select(vec!["id", "version", "created_at", "updated_at"])
            .prop_map(str::to_owned),
        1 => prop::sample::select(vec!["salary", " name ", "Name", "", "age\u{feff}"])
            .prop_map(str::to_owned),
    ]
}

/// What goes wrong with the bytes of a file once it is written.
#[derive(Debug, Clone)]
enum Damage {
    None,
    /// Cut at this fraction of the length.
    Truncate(f64),
    /// These bytes inserted at this fraction of the length (invalid UTF-8, NUL, a stray quote).
    Insert(f64, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    let bytes = prop::sample::select(vec![
        b"\xff".to_vec(),
        b"\xc3".to_vec(),
        b"\xed\xa0\x80".to_vec(),
        b"\0".to_vec(),
        b"\"".to_vec(),
        b"\r".to_vec(),
        b",".to_vec(),
        b"{[".to_vec(),
    ]);
    prop_oneof![
        4 => Just(Damage::None),
        1 => (0.0..1.0f64).prop_map(Damage::Truncate),
        1 => (0.0..1.0f64, bytes).prop_map(|(at, b)| Damage::Insert(at, b)),
    ]
}

fn apply(mut bytes: Vec<u8>, damage: &Damage) -> Vec<u8> {
    let at = |fraction: f64| (bytes.len() as f64 * fraction) as usize;
    match damage {
        Damage::None => {}
        Damage::Truncate(fraction) => bytes.truncate(at(*fraction)),
        Damage::Insert(fraction, inserted) => {
            let at = at(*fraction);
            bytes.splice(at..at, inserted.iter().copied());
        }
    }
    bytes
}

/// A CSV field as written: quoted (escaping quotes), bare, or quoted badly.
fn csv_field(text: &str, quoting: u8) -> String {
    match quoting {
        0 if !text.contains([',', '"', '\n', '\r']) => text.to_owned(),
        0 | 1 => format!("\"{}\"", text.replace('"', "\"\"")),
        _ => format!("\"{text}"),
    }
}

/// A near-valid CSV file: a header (usually the right columns), rows whose length is usually
/// the header's, a BOM, CRLF, and damage.
fn csv_file() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        3 => Just(vec!["name", "age", "position"].into_iter().map(str::to_owned).collect::<Vec<_>>())
            .prop_shuffle(),
        2 => Just(["name", "age", "position", "email", "department", "hired_on", "id"]
            .map(str::to_owned).to_vec()).prop_shuffle(),
        2 => prop::collection::vec(column(), 0..8),
    ];
    let rows = prop::collection::vec(
        (prop::collection::vec((value(), 0u8..8), 0..9), -1i8..=1),
        0..6,
    );
    (
        header,
        rows,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        damage(),
    )
        .prop_map(|(header, rows, bom, crlf, final_eol, damage)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = if bom {
                "\u{feff}".to_owned()
            } else {
                String::new()
            };
            text.push_str(&header.join(","));
            for (cells, extra) in rows {
                // Usually as many fields as the header, sometimes one more or one fewer.
                let wanted = (header.len() as i64 + i64::from(extra)).max(0) as usize;
                let fields: Vec<String> = cells
                    .iter()
                    .cycle()
                    .take(if cells.is_empty() { 0 } else { wanted })
                    .map(|(text, quoting)| csv_field(text, *quoting))
                    .collect();
                text.push_str(eol);
                text.push_str(&fields.join(","));
            }
            if final_eol {
                text.push_str(eol);
            }
            apply(text.into_bytes(), &damage)
        })
}

/// A JSON value for a field: the right type usually, any type sometimes, nested at times.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        4 => value().prop_map(Value::String),
        2 => (-5i64..200).prop_map(|n| json!(n)),
        1 => Just(Value::Null),
        1 => prop::sample::select(vec![
            json!(1.5), json!(1e40), json!(u64::MAX), json!(i64::MIN), json!(true), json!(30.0),
        ]),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A near-valid JSON file: an array of objects with the right keys, mostly; other shapes too.
fn json_file() -> impl Strategy<Value = Vec<u8>> {
    use serde_json::Value;
    let key = prop_oneof![
        8 => column(),
        1 => Just("boss".to_owned()),
    ];
    let object = prop::collection::btree_map(key, json_value(), 0..7)
        .prop_map(|m| Value::Object(m.into_iter().collect()));
    let element = prop_oneof![8 => object, 1 => json_value()];
    let document = prop_oneof![
        8 => prop::collection::vec(element, 0..6).prop_map(Value::Array),
        1 => json_value(),
    ];
    let tail = prop::sample::select(vec!["", "", "\n", " x", "]", ",", "[]"]);
    (document, any::<bool>(), any::<bool>(), tail, damage()).prop_map(
        |(document, bom, pretty, tail, damage)| {
            let body = if pretty {
                serde_json::to_string_pretty(&document)
            } else {
                serde_json::to_string(&document)
            };
            let mut text = if bom {
                "\u{feff}".to_owned()
            } else {
                String::new()
            };
            text.push_str(&body.unwrap_or_default());
            text.push_str(tail);
            apply(text.into_bytes(), &damage)
        },
    )
}

/// Every record or error of `records`, up to a bound (a reader that never ends is a failure).
fn drain(
    records: impl Iterator<Item = Result<staffdb::ImportRecord, RecordError>>,
) -> Result<Vec<Result<staffdb::ImportRecord, RecordError>>, TestCaseError> {
    let all: Vec<_> = records.take(1_001).collect();
    prop_assert!(all.len() <= 1_000, "the reader did not stop");
    Ok(all)
}

/// An error names its place, and the message starts with it where the message is the record's.
fn placed(error: &RecordError, csv: bool) -> Result<(), TestCaseError> {
    let place = error.place();
    prop_assert!(place.is_some(), "no place: {error:?}");
    let message = error.to_string();
    let syntax = matches!(
        error,
        RecordError::Json { .. }
            | RecordError::NotAnArray
            | RecordError::MissingSeparator { .. }
            | RecordError::TrailingCharacters { .. }
    );
    if let Some(place) = place.filter(|_| !syntax) {
        prop_assert!(
            message.starts_with(&place.to_string()),
            "{message} vs {place}"
        );
    }
    prop_assert_eq!(matches!(place, Some(Place::Line(_))), csv, "{}", message);
    Ok(())
}

/// Thousands of generated CSV files through [`CsvRecords`]: no panic, every error placed, the
/// records' lines increasing.
#[test]
fn csv_reader_never_panics_and_places_every_error() {
    check("csv_reader", IN_PROCESS, csv_file(), |bytes| {
        let records = match CsvRecords::new(&bytes[..]) {
            Ok(records) => drain(records)?,
            Err(error) => return placed(&error, true),
        };
        let mut last = 1;
        for record in &records {
            match record {
                Ok(record) => {
                    prop_assert!(record.place > last, "line {} after {last}", record.place);
                    last = record.place;
                }
                Err(error) => placed(error, true)?,
            }
        }
        Ok(())
    });
}

/// Thousands of generated JSON files through [`JsonRecords`]: no panic, every error placed,
/// records numbered 1, 2, 3…, and nothing after the first error.
#[test]
fn json_reader_never_panics_and_places_every_error() {
    check("json_reader", IN_PROCESS, json_file(), |bytes| {
        let records = match JsonRecords::new(&bytes[..]) {
            Ok(records) => drain(records)?,
            Err(error) => return placed(&error, false),
        };
        for (i, record) in records.iter().enumerate() {
            match record {
                Ok(record) => prop_assert_eq!(record.place, i as u64 + 1),
                Err(error) => {
                    placed(error, false)?;
                    prop_assert_eq!(i + 1, records.len(), "records after an error");
                }
            }
        }
        Ok(())
    });
}

/// Found by the properties: a record after a `\r\n` is placed on its own line, blank lines
/// and quoted line breaks counted, in messages too.
#[test]
fn crlf_records_are_placed_on_their_own_line() {
    let csv = "name,age,position\r\nA,1,P\r\n\r\n\"B\r\nC\",2,P\r\nD,x,P\r\n";
    let records = CsvRecords::new(csv.as_bytes()).expect("a header");
    let places: Vec<Result<u64, String>> = records
        .map(|r| r.map(|r| r.place).map_err(|e| e.to_string()))
        .collect();
    let expected: Vec<Result<u64, String>> = vec![
        Ok(2),
        Ok(4),
        Err("line 6: invalid age: `x` is not a whole number".into()),
    ];
    assert_eq!(places, expected);
}

// ---------------------------------------------------------------------------------------------
// Valid files: what the import must accept, exactly.

/// The seeded Bob's email, in another case: an import of it is refused (exit 1).
const TAKEN: &str = "Bob@Example.COM";

/// One valid record: name, age, position, email, department.
type Row = (String, i32, String, Option<String>, Option<String>);

/// Valid records, emails unique by index; now and then one is the seeded Bob's.
fn valid_rows() -> impl Strategy<Value = Vec<Row>> {
    let row = (
        "[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8})?",
        0i32..=150,
        prop::sample::select(vec![
            "Clerk",
            "Manager",
            "Senior Developer",
            "Zoë, the intern",
        ]),
        prop_oneof![4 => Just(0u8), 4 => Just(1u8), 1 => Just(2u8)],
        prop::option::of(prop::sample::select(vec!["Sales", "R&D", "Ops \"core\""])),
    );
    prop::collection::vec(row, 0..6).prop_map(|rows| {
        let row = |(i, (name, age, position, email, department)): (
            usize,
            (String, _, &str, u8, Option<&str>),
        )| {
            let email = match email {
                0 => None,
                1 => Some(format!("gen{i}@example.com")),
                _ => Some(TAKEN.to_owned()),
            };
            (
                name,
                age,
                position.to_owned(),
                email,
                department.map(str::to_owned),
            )
        };
        rows.into_iter().enumerate().map(row).collect()
    })
}

/// The exit code a valid file must give: 0, or 1 for the seeded Bob's email, or 2 for his
/// email twice in one file.
fn expected_exit(rows: &[Row]) -> i32 {
    let taken = rows
        .iter()
        .filter(|row| row.3.as_deref() == Some(TAKEN))
        .count();
    taken.min(2) as i32
}

fn valid_csv(rows: &[Row], crlf: bool) -> Vec<u8> {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut text = format!("position,age,name,email,department{eol}");
    for (name, age, position, email, department) in rows {
        let fields = [
            csv_field(position, 0),
            age.to_string(),
            csv_field(name, 1),
            email.clone().unwrap_or_default(),
            csv_field(department.as_deref().unwrap_or(""), 0),
        ];
        text.push_str(&fields.join(","));
        text.push_str(eol);
    }
    text.into_bytes()
}

fn valid_json(rows: &[Row]) -> Vec<u8> {
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|(name, age, position, email, department)| {
            serde_json::json!({
                "name": name, "age": age, "position": position,
                "email": email, "department": department,
            })
        })
        .collect();
    serde_json::to_vec_pretty(&items).unwrap_or_default()
}

/// Valid files read back as exactly the rows they were written from, in CSV and JSON.
#[test]
fn valid_files_read_back_exactly() {
    let strategy = (valid_rows(), any::<bool>(), any::<bool>());
    check(
        "valid_files",
        IN_PROCESS / 3,
        strategy,
        |(rows, json, crlf)| {
            let bytes = if json {
                valid_json(&rows)
            } else {
                valid_csv(&rows, crlf)
            };
            let read: Vec<_> = if json {
                JsonRecords::new(&bytes[..]).map(|r| r.collect())
            } else {
                CsvRecords::new(&bytes[..]).map(|r| r.collect())
            }
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(read.len(), rows.len());
            for (i, (record, row)) in read.into_iter().zip(&rows).enumerate() {
                let record = record.map_err(|e| TestCaseError::fail(e.to_string()))?;
                let e = &record.employee;
                prop_assert_eq!((&e.name, e.age, &e.position), (&row.0, row.1, &row.2));
                prop_assert_eq!(&e.email, &row.3);
                prop_assert_eq!(&record.department, &row.4);
                prop_assert_eq!(record.place, i as u64 + if json { 1 } else { 2 });
            }
            Ok(())
        },
    );
}

/// Any text, often beginning with `'`s and a character a spreadsheet runs (`= + - @`, tab, CR).
fn spreadsheet_text() -> impl Strategy<Value = String> {
    let start = prop::collection::vec(
        prop::sample::select(vec![
            "'", "=", "+", "-", "@", "\t", "\r", "a", " ", "\"", ",",
        ]),
        0..4,
    )
    .prop_map(|parts| parts.concat());
    (start, any::<String>(), "[=+@'a-z -]{0,6}").prop_map(|(start, any, tail)| {
        format!("{start}{}{tail}", any.chars().take(8).collect::<String>())
    })
}

/// Every string written as an export's CSV cell and read back by the CSV reader is the same
/// string, and no cell written begins with a character a spreadsheet would run.
#[test]
fn csv_cells_export_then_import_as_the_same_string() {
    check("csv_cells", IN_PROCESS, spreadsheet_text(), |text| {
        let cell = staffdb::csv_cell(&text);
        prop_assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{text:?} written as {cell:?}"
        );
        prop_assert_eq!(staffdb::csv_cell_read(&cell), text.as_str());
        // Through a real CSV file and the import's reader (an empty cell reads as none).
        let mut file = csv::Writer::from_writer(Vec::new());
        let write = file
            .write_record(["name", "age", "position"])
            .and_then(|()| file.write_record([cell.as_ref(), "30", cell.as_ref()]));
        prop_assert!(write.is_ok(), "{write:?}");
        let bytes = file
            .into_inner()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut records =
            CsvRecords::new(bytes.as_slice()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        match records.next() {
            Some(Ok(record)) => {
                prop_assert_eq!(&record.employee.name, &text);
                prop_assert_eq!(&record.employee.position, &text);
            }
            other => prop_assert!(text.is_empty(), "{text:?} read back as {other:?}"),
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// URLs.

/// A URL, and the password written in it (percent-encoded as written, or not), if any: in the
/// userinfo, or as a query parameter (`password`, libpq's `sslpassword`, a name in capitals or
/// percent-encoded) before or after the URL's other parameters.
fn url() -> impl Strategy<Value = (String, Option<String>)> {
    let scheme = prop::sample::select(vec![
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "POSTGRES",
        "PostgreSQL",
        "MySQL",
        "MariaDB",
        "pOsTgReS",
    ]);
    let separator =
        prop_oneof![8 => Just("://"), 1 => Just(":/"), 1 => Just(":"), 1 => Just(":///")];
    let user = prop::sample::select(vec!["u", "app", "u%40corp", "", "root"]);
    let password_char = prop_oneof![
        6 => "[a-zA-Z0-9]",
        2 => prop::sample::select(vec!["%40", "%2F", "%3A", "%25", "%20", "%3F", "%23", "%2B"])
            .prop_map(str::to_owned),
        2 => prop::sample::select(vec!["!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", "~",
            "-", "_", ".", " ", "@", ":", "?", "#", "/", "[", "]", "%", "é"])
            .prop_map(str::to_owned),
    ];
    let password = prop::option::of(
        prop::collection::vec(password_char, 4..12)
            .prop_map(|chars| format!("Pw{}", chars.concat())),
    );
    let host = prop::sample::select(vec![
        "127.0.0.1",
        "localhost",
        "[::1]",
        "[::1",
        "db.example",
        "h1:5443,h2:5442",
        "",
        "[fe80::1%25eth0]",
    ]);
    let port = prop::sample::select(vec![
        "", ":1", ":99999", ":54x62", ":0", ":65535", ":", ":-1",
    ]);
    let path = prop::sample::select(vec!["/db", "", "/", "/my%20db", "/db/extra", "/nodb_x"]);
    let query = prop::sample::select(vec![
        "",
        "?sslmode=require",
        "?ssl_mode=required&x=1",
        "?connect_timeout=1",
        "?",
        "#frag",
    ]);
    // None: the password (if any) goes in the userinfo.
    let parameter = prop::option::of(prop::sample::select(vec![
        "password",
        "sslpassword",
        "PASSWORD",
        "pass%77ord",
    ]));
    let parameter_first = any::<bool>();
    (
        (scheme, separator, user, password, host, port, path, query),
        (parameter, parameter_first),
    )
        .prop_map(
            |(
                (scheme, separator, user, password, host, port, path, query),
                (parameter, parameter_first),
            )| {
                let (userinfo, query) = match (&password, parameter) {
                    (Some(password), None) => (format!("{user}:{password}@"), query.to_owned()),
                    (Some(password), Some(name)) => (
                        if user.is_empty() {
                            String::new()
                        } else {
                            format!("{user}@")
                        },
                        with_parameter(query, &format!("{name}={password}"), parameter_first),
                    ),
                    (None, _) if user.is_empty() => (String::new(), query.to_owned()),
                    (None, _) => (format!("{user}@"), query.to_owned()),
                };
                (
                    format!("{scheme}{separator}{userinfo}{host}{port}{path}{query}"),
                    password,
                )
            },
        )
}

/// `query` (empty, `?…` or `#…`) with `pair` added as its first or last parameter.
fn with_parameter(query: &str, pair: &str, first: bool) -> String {
    match query.strip_prefix('?') {
        Some("") => format!("?{pair}"),
        None => format!("?{pair}{query}"),
        Some(rest) if first => format!("?{pair}&{rest}"),
        Some(rest) => format!("?{rest}&{pair}"),
    }
}

/// `%XX` decoded, as a driver reads a password (other bytes kept).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(byte) if bytes[i] == b'%' => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Fails when `shown` holds the password, as written or decoded.
fn hides(shown: &str, password: &str, what: &str) -> Result<(), TestCaseError> {
    let decoded = percent_decoded(password);
    prop_assert!(
        !shown.contains(password),
        "{what} shows the password {password:?}: {shown}"
    );
    prop_assert!(
        !shown.contains(&decoded),
        "{what} shows the password {decoded:?}: {shown}"
    );
    Ok(())
}

/// Generated server URLs through [`DatabaseUrl::parse`]: no panic, and the password is in
/// neither `Display`, `Debug` nor the error.
#[test]
fn url_parser_never_panics_or_shows_a_password() {
    check("database_url", IN_PROCESS, url(), |(url, password)| {
        let shown = match DatabaseUrl::parse(&url) {
            Ok(parsed) => format!("{parsed} {parsed:?}"),
            Err(error) => format!("{error} {error:?}"),
        };
        match password {
            Some(password) => hides(&shown, &password, &url),
            None => Ok(()),
        }
    });
}

/// Arbitrary strings (any scheme or none) through the URL parser: no panic.
#[test]
fn url_parser_takes_any_string() {
    let strategy = "(sqlite|file|postgres|mysql|SQLITE|mongodb)?(://|:)?[ -~é]{0,40}";
    check("database_url_any", IN_PROCESS, strategy, |text| {
        let parsed = DatabaseUrl::parse(&text);
        if let Ok(parsed) = parsed {
            let _ = (parsed.to_string(), parsed.sqlite_path(), parsed.is_memory());
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// The binary.

fn staffdb(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_staffdb"))
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .arg("--quiet")
        .args(args)
        .output()
        .expect("run staffdb")
}

/// What a database holds: its employees as `export --format json` prints them, then
/// `departments list`.
fn snapshot(cwd: &Path, db: &str) -> Result<(String, String), TestCaseError> {
    let mut all = Vec::new();
    for args in [
        &["export", "--format", "json"][..],
        &["departments", "list"],
    ] {
        let output = staffdb(cwd, &[&["--database-url", db], args].concat());
        prop_assert!(output.status.success(), "{args:?}: {output:?}");
        all.push(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let departments = all.pop().unwrap_or_default();
    Ok((all.pop().unwrap_or_default(), departments))
}

/// A seeded database to copy for every case: two employees, one department.
struct Template {
    _dir: tempfile::TempDir,
    db: String,
    before: (String, String),
}

fn template() -> Template {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("template.db").display().to_string();
    let bob = [
        "add",
        "--name",
        "Bob",
        "--age",
        "22",
        "--position",
        "Clerk",
        "--email",
        "bob@example.com",
        "--department",
        "Sales",
    ];
    for args in [
        &[
            "add",
            "--name",
            "Alice",
            "--age",
            "25",
            "--position",
            "Manager",
        ][..],
        &bob,
    ] {
        let output = staffdb(dir.path(), &[&["--database-url", &db], args].concat());
        assert!(output.status.success(), "{output:?}");
    }
    let before = snapshot(dir.path(), &db).expect("snapshot");
    Template {
        _dir: dir,
        db,
        before,
    }
}

/// The records the library reads from `bytes`, all of them, or the first error.
fn read_all(bytes: &[u8], json: bool) -> Result<Vec<staffdb::ImportRecord>, RecordError> {
    if json {
        JsonRecords::new(bytes)?.collect()
    } else {
        CsvRecords::new(bytes)?.collect()
    }
}

/// Imports `bytes` into a fresh copy of the template; checks the exit code, that a failure
/// changed nothing and that a success added exactly the records the library reads.
fn import_case(template: &Template, bytes: &[u8], json: bool) -> Result<i32, TestCaseError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("staff.db").display().to_string();
    std::fs::copy(&template.db, &db).expect("copy the template");
    let file = dir.path().join(if json { "in.json" } else { "in.csv" });
    std::fs::write(&file, bytes).expect("write the input");
    let file = file.display().to_string();
    let output = staffdb(dir.path(), &["--database-url", &db, "import", &file]);
    let code = output.status.code().unwrap_or(-1);
    prop_assert!(matches!(code, 0..=2), "exit {code}: {output:?}");
    let after = snapshot(dir.path(), &db)?;
    if code != 0 {
        prop_assert_eq!(&after, &template.before, "a failed import changed the data");
        return Ok(code);
    }
    let read = read_all(bytes, json)
        .map_err(|e| TestCaseError::fail(format!("imported, yet the reader refuses: {e}")))?;
    let rows = |text: &str| serde_json::from_str::<Vec<serde_json::Value>>(text);
    let (before, after) = match (rows(&template.before.0), rows(&after.0)) {
        (Ok(before), Ok(after)) => (before, after),
        other => {
            return Err(TestCaseError::fail(format!(
                "export is not JSON: {other:?}"
            )));
        }
    };
    prop_assert_eq!(&after[..before.len()], &before[..], "existing rows changed");
    let added = &after[before.len()..];
    prop_assert_eq!(added.len(), read.len(), "added rows vs records read");
    for (row, record) in added.iter().zip(&read) {
        let e = &record.employee;
        prop_assert_eq!(&row["name"], &serde_json::json!(e.name));
        prop_assert_eq!(&row["age"], &serde_json::json!(e.age));
        prop_assert_eq!(&row["position"], &serde_json::json!(e.position));
        let email = e.email.as_ref().map(|m| m.to_lowercase());
        prop_assert_eq!(&row["email"], &serde_json::json!(email));
    }
    Ok(code)
}

/// A couple of hundred generated files imported by the binary into a seeded database: exit 0,
/// 1 or 2; a failure leaves the data byte for byte as it was; a success adds exactly the
/// records read. Valid files must succeed, unless they hold the seeded Bob's email (exit 1).
#[test]
fn the_binary_imports_all_or_nothing() {
    let template = template();
    let noisy = prop_oneof![
        csv_file().prop_map(|bytes| (bytes, false, None)),
        json_file().prop_map(|bytes| (bytes, true, None)),
        (valid_rows(), any::<bool>(), any::<bool>()).prop_map(|(rows, json, crlf)| {
            let bytes = if json {
                valid_json(&rows)
            } else {
                valid_csv(&rows, crlf)
            };
            (bytes, json, Some(expected_exit(&rows)))
        }),
    ];
    let codes = std::sync::Mutex::new([0usize; 3]);
    check(
        "binary_import",
        2 * PROCESSES,
        noisy,
        |(bytes, json, expected)| {
            let code = import_case(&template, &bytes, json)?;
            if let Some(expected) = expected {
                prop_assert_eq!(code, expected, "a valid file's exit code");
            }
            if let Ok(mut codes) = codes.lock() {
                codes[code as usize] += 1;
            }
            Ok(())
        },
    );
    let codes = codes.into_inner().unwrap_or_default();
    let _ = writeln!(
        std::io::stderr(),
        "binary_import exit codes 0/1/2: {codes:?}"
    );
    assert!(
        codes.iter().all(|&n| n > 0),
        "the generators reach every outcome: {codes:?}"
    );
}

/// Generated `--database-url` values on `list --echo`, from an empty working directory: exit 0,
/// 1 or 2, no password in stdout or stderr, no file created.
#[test]
fn the_binary_never_shows_a_url_password() {
    // Ports nothing listens on and no name to resolve, so that a servers build fails fast
    // instead of reaching a real server or waiting on DNS.
    let fast = url().prop_filter("a URL that fails fast", |(url, _)| {
        ![":5432", ":3306", "db.example", "h1:"]
            .iter()
            .any(|slow| url.contains(slow))
    });
    check("binary_url", PROCESSES, fast, |(url, password)| {
        let cwd = tempfile::tempdir().expect("temp dir");
        // --echo: its "-- connecting to" line shows the URL too.
        let output = staffdb(cwd.path(), &["--echo", "--database-url", &url, "list"]);
        let code = output.status.code().unwrap_or(-1);
        prop_assert!(matches!(code, 0..=2), "{url}: exit {code}: {output:?}");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if let Some(password) = password {
            hides(&printed, &password, &url)?;
        }
        let created: Vec<_> = std::fs::read_dir(cwd.path()).expect("read cwd").collect();
        prop_assert!(created.is_empty(), "{url} created {created:?}");
        Ok(())
    });
}
