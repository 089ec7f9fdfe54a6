//! The fuzz targets' committed corpus (`fuzz/corpus/<target>/`), replayed through the checks the
//! targets run (`fuzz/checks.rs`): every CI run exercises the corpus, cargo-fuzz or not.

use std::path::Path;

#[path = "../../../fuzz/checks.rs"]
mod checks;

/// Runs `check` on every file of `fuzz/corpus/<target>/` and returns how many there were.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    files.sort();
    for file in &files {
        let data = std::fs::read(file).expect("read a corpus file");
        // A panic names the file, so a failing seed can be found and fuzzed from.
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its check", file.display());
    }
    files.len()
}

/// Every CSV seed (valid files, CRLF and a BOM, bad headers, bad ages, non-UTF-8…) reads without
/// a panic, every error placed on a line.
#[test]
fn the_import_csv_corpus_passes_its_checks() {
    assert!(replay("import_csv", checks::import_csv) >= 12);
}

/// Every JSON seed (nested, truncated, huge numbers, wrong types…) reads without a panic, every
/// error placed on a record.
#[test]
fn the_import_json_corpus_passes_its_checks() {
    assert!(replay("import_json", checks::import_json) >= 12);
}

/// Every URL seed (mixed case, percent-encoding, bad ports, IPv6, several hosts, a raw `?` in
/// the password…) parses without a panic or a password shown.
#[test]
fn the_database_url_corpus_passes_its_checks() {
    assert!(replay("database_url", checks::database_url) >= 12);
}
