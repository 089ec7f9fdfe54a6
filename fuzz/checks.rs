//! What every fuzz target checks on one input. The ordinary test suite replays the committed
//! corpus through these same functions (`staffdb-cli/tests/integration/fuzz_corpus.rs`), so the
//! corpus runs on every CI run, with or without cargo-fuzz.
//!
//! Each function panics on a broken promise: a reader that panics or never stops, an error that
//! names no line or record, a password shown by a parsed URL.

use staffdb::{CsvRecords, DatabaseUrl, ImportRecord, JsonRecords, Place, RecordError};

/// More records than any corpus file or fuzz input holds: a reader past it does not stop.
const BOUND: usize = 1_000_000;

/// Every record and error of a CSV input; each error names a line.
pub fn import_csv(data: &[u8]) {
    let records = CsvRecords::new(data).map(|r| r.take(BOUND).collect::<Vec<_>>());
    drained(records, |place| matches!(place, Place::Line(_)));
}

/// Every record and error of a JSON input; each error names a record, and none follows it.
pub fn import_json(data: &[u8]) {
    let records = JsonRecords::new(data).map(|r| r.take(BOUND).collect::<Vec<_>>());
    if let Ok(records) = &records {
        let first_error = records.iter().position(Result::is_err);
        assert!(
            first_error.is_none_or(|at| at + 1 == records.len()),
            "records after an error"
        );
    }
    drained(records, |place| matches!(place, Place::Record(_)));
}

fn drained(
    records: Result<Vec<Result<ImportRecord, RecordError>>, RecordError>,
    right_kind: impl Fn(Place) -> bool,
) {
    let records = match records {
        Ok(records) => records,
        Err(error) => vec![Err(error)],
    };
    assert!(records.len() < BOUND, "the reader did not stop");
    for error in records.iter().filter_map(|r| r.as_ref().err()) {
        let place = error.place();
        assert!(
            place.is_some_and(&right_kind),
            "{error:?} is placed at {place:?}"
        );
        let _ = error.to_string();
    }
}

/// A URL, parsed: its `Display` and `Debug` never show the password of a server URL written
/// `scheme://user:password@host…` (see [`written_password`]).
pub fn database_url(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let shown = match DatabaseUrl::parse(text) {
        Ok(url) if !url.backend().is_embedded() => format!("{url} {url:?}"),
        Ok(url) => {
            let _ = (url.to_string(), url.sqlite_path(), url.is_memory());
            return;
        }
        Err(error) => format!("{error} {error:?}"),
    };
    if let Some(password) = written_password(text) {
        assert!(
            !shown.contains(password),
            "{text:?} shows its password: {shown}"
        );
    }
}

/// The password of `scheme://user:password@host/…` when it is unambiguous: no `@`, `/` or `?`
/// in it, 6 characters or more with a letter and a digit, and nowhere else in the URL, in any
/// case.
fn written_password(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once("://")?;
    let (userinfo, _) = rest.split_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    // Short or wordy passwords would be found in the messages' own words (`post` in postgres).
    let plain = !password.contains(['/', '?', '@'])
        && password.len() >= 6
        && password.contains(|c: char| c.is_ascii_digit())
        && password.contains(|c: char| c.is_ascii_alphabetic());
    // Case aside: an unknown scheme is quoted lowercased.
    let once = text
        .to_lowercase()
        .matches(&password.to_lowercase())
        .count()
        == 1;
    (plain && once).then_some(password)
}
