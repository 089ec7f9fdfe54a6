//! The house rules, checked on the source: layers whose arrows point one way, dialects named in
//! the backend folder only, a CLI that builds no query, and functions short enough to read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, bottom first: a file may use its own layer and those below it.
const LAYERS: [&str; 4] = ["backend", "core", "models", "cli"];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layer of a file under `src/`, if it is in one (`lib.rs` and `schema.rs` are not).
fn layer_of(path: &Path) -> Option<usize> {
    let relative = path.strip_prefix(src()).ok()?;
    let top = relative.components().next()?.as_os_str().to_str()?;
    let top = if top == "main.rs" { "cli" } else { top };
    LAYERS.iter().position(|layer| *layer == top)
}

/// Which layer each name that `lib.rs` re-exports at the crate root comes from.
fn root_exports() -> BTreeMap<String, usize> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let mut exports = BTreeMap::new();
    for statement in lib.split(';') {
        let statement = statement.trim();
        let Some(path) = statement.strip_prefix("pub use crate::") else {
            continue;
        };
        let layer = LAYERS
            .iter()
            .position(|l| path.starts_with(l))
            .expect("a root re-export from a layer");
        let names = path.rsplit("::").next().unwrap_or_default();
        for name in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            exports.insert(name.trim().to_owned(), layer);
        }
    }
    exports
}

/// Every `crate::…` path in a file, with the layer it reaches.
fn reaches(text: &str, exports: &BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let layer = LAYERS
            .iter()
            .position(|l| *l == name)
            .or_else(|| exports.get(&name).copied());
        if let Some(layer) = layer {
            found.push((name, layer));
        } else if rest.starts_with('{') {
            // `use crate::{Error, Session}`: each name in the braces.
            let group = &rest[1..rest.find('}').unwrap_or(1)];
            for name in group
                .split(',')
                .map(|n| n.trim().split("::").next().unwrap_or(""))
            {
                if let Some(layer) = LAYERS
                    .iter()
                    .position(|l| *l == name)
                    .or_else(|| exports.get(name).copied())
                {
                    found.push((name.to_owned(), layer));
                }
            }
        }
    }
    found
}

/// No module uses a layer above its own: backend ← core ← models ← cli (so there is no cycle
/// between them either).
#[test]
fn layers_point_one_way() {
    let exports = root_exports();
    let mut violations = Vec::new();
    for file in rust_files(&src()) {
        let Some(own) = layer_of(&file) else { continue };
        // Comments may name any layer (a doc link is no dependency); code may not.
        let code: String = std::fs::read_to_string(&file)
            .expect("source")
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .map(|line| format!("{line}\n"))
            .collect();
        for (name, layer) in reaches(&code, &exports) {
            if layer > own {
                violations.push(format!(
                    "{} ({}) uses crate::{name} ({})",
                    file.display(),
                    LAYERS[own],
                    LAYERS[layer]
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// Only the backend folder names a dialect or a backend feature flag.
#[test]
fn only_the_backend_names_a_dialect() {
    let needles = [
        "cfg(feature = \"mysql\")",
        "cfg(feature = \"postgres\")",
        "Backend::Sqlite",
        "Backend::Postgres",
        "Backend::Mysql",
    ];
    let offenders: Vec<String> = rust_files(&src())
        .into_iter()
        .filter(|file| layer_of(file) != Some(0))
        .filter(|file| {
            let text = std::fs::read_to_string(file).expect("source");
            needles.iter().any(|needle| text.contains(needle))
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "{offenders:?}");
}

/// The CLI parses, calls the library and prints: it builds no query of its own.
#[test]
fn the_cli_builds_no_query() {
    let query_words = [
        "sql_query",
        "insert_into",
        "diesel::update",
        "diesel::delete",
        "diesel::select",
        "diesel::prelude",
        "QueryDsl",
        "schema::",
    ];
    for file in rust_files(&src().join("cli")) {
        let text = std::fs::read_to_string(&file).expect("source");
        for word in query_words {
            assert!(!text.contains(word), "{} uses {word}", file.display());
        }
    }
}

/// No function in `src/` is longer than 60 lines (rustfmt's layout: a `fn` line to the brace
/// that closes it at the same indentation).
#[test]
fn functions_fit_on_a_screen() {
    let mut long = Vec::new();
    for file in rust_files(&src()) {
        let text = std::fs::read_to_string(&file).expect("source");
        let lines: Vec<&str> = text.lines().collect();
        for (start, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "async fn ",
            ]
            .iter()
            .any(|p| trimmed.starts_with(p));
            // A declaration without a body (in a trait or an extern block) ends in `;`.
            let signature_end = lines[start..]
                .iter()
                .find(|l| l.ends_with('{') || l.ends_with(';'));
            if !is_fn || signature_end.is_none_or(|l| l.ends_with(';')) {
                continue;
            }
            let indent = &line[..line.len() - trimmed.len()];
            let close = format!("{indent}}}");
            let Some(length) = lines[start..].iter().position(|l| *l == close) else {
                continue;
            };
            if length + 1 > 60 {
                long.push(format!(
                    "{}:{} is {} lines",
                    file.display(),
                    start + 1,
                    length + 1
                ));
            }
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}
