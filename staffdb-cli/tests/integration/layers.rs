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

/// The library's `src/` (the repository's root package).
fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("staffdb-cli sits in the repository")
        .join("src")
}

/// The binary's `src/` (`main.rs` and the `cli` folder), in staffdb-cli.
fn cli_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The folder of a layer or front end: `cli` is staffdb-cli's, `app-cli` the library's own
/// `staffdb::cli` (an application's command line), the others the library's.
fn folder(name: &str) -> PathBuf {
    match name {
        "cli" => cli_src().join("cli"),
        "app-cli" => src().join("cli"),
        _ => src().join(name),
    }
}

/// Every source file of both crates: the library's, then the binary's.
fn all_files() -> Vec<PathBuf> {
    let mut files = rust_files(&src());
    files.extend(rust_files(&cli_src()));
    files
}

/// The layer of a file under either `src/`, if it is in one (`lib.rs` and `schema.rs` are not).
fn layer_of(path: &Path) -> Option<usize> {
    let relative = path
        .strip_prefix(src())
        .or_else(|_| path.strip_prefix(cli_src()))
        .ok()?;
    let top = relative.components().next()?.as_os_str().to_str()?;
    // The two front ends, the binary (`main.rs`, `cli/`) and the web API, are one layer.
    let top = if top == "main.rs" || top == "web" {
        "cli"
    } else {
        top
    };
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
    for file in all_files() {
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
    let offenders: Vec<String> = all_files()
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

/// The CLI and the web API parse, call the library and print: they build no query of their own.
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
    let front_ends = [
        rust_files(&folder("cli")),
        rust_files(&folder("app-cli")),
        rust_files(&folder("web")),
    ];
    for file in front_ends.iter().flatten() {
        let text = std::fs::read_to_string(file).expect("source");
        for word in query_words {
            assert!(!text.contains(word), "{} uses {word}", file.display());
        }
    }
}

/// No function in either crate's `src/` is longer than 60 lines (rustfmt's layout: a `fn` line to
/// the brace that closes it at the same indentation).
#[test]
fn functions_fit_on_a_screen() {
    let mut long = Vec::new();
    for file in all_files() {
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

/// Which file of `folder` defines or re-exports each name: a sibling file's own name, and the
/// names its `mod.rs` re-exports with `pub use self::file::…` (or `pub(crate) use`).
fn names_in(folder: &Path) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for file in rust_files(folder) {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if stem != "mod" && file.parent() == Some(folder) {
            names.insert(stem.to_owned(), stem.to_owned());
        }
    }
    let module = std::fs::read_to_string(folder.join("mod.rs")).unwrap_or_default();
    for statement in code_of(&module).split(';') {
        let statement = statement.trim();
        let Some(rest) = statement
            .strip_prefix("pub use self::")
            .or_else(|| statement.strip_prefix("pub(crate) use self::"))
        else {
            continue;
        };
        let (file, items) = rest.split_once("::").unwrap_or((rest, ""));
        for item in identifiers(items) {
            names.insert(item, file.to_owned());
        }
    }
    names
}

/// The code of a source file, comments left out.
fn code_of(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| format!("{line}\n"))
        .collect()
}

fn identifiers(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty() && word != &"self")
        .map(str::to_owned)
        .collect()
}

/// The paths after each `super::` and `crate::` in `code`, up to the end of the path (a brace
/// group included): `super::{A, b}` gives `{A, b}`, `crate::backend::stamp::now` gives
/// `backend::stamp::now`.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        let mut depth = 0;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => depth -= 1,
                    _ => {}
                }
                depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':' || c == '}')
            })
            .map_or(rest.len(), |(i, _)| i);
        paths.push(rest[..end].to_owned());
    }
    paths
}

/// The folders whose files the module graph covers: the three library layers and the front
/// ends (the binary's commands, the library's command line for applications, the web).
const FOLDERS: [&str; 6] = ["backend", "core", "models", "cli", "app-cli", "web"];

/// The file-level module graph inside the layers: an edge for every name one file takes from
/// another of its folder (through `super::`) or of a layer below (through `crate::`).
fn module_graph() -> BTreeMap<String, Vec<String>> {
    let folders: BTreeMap<&str, BTreeMap<String, String>> = FOLDERS
        .iter()
        .map(|layer| (*layer, names_in(&folder(layer))))
        .collect();
    let root = root_files(&folders);
    let mut graph = BTreeMap::new();
    for layer in &FOLDERS {
        for file in rust_files(&folder(layer)) {
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if stem == "mod" {
                continue;
            }
            let code = code_of(&std::fs::read_to_string(&file).expect("source"));
            let mut edges = Vec::new();
            for path in paths_after(&code, "super::") {
                let first = path.split("::").next().unwrap_or_default();
                let names = if first.starts_with('{') {
                    identifiers(first)
                } else {
                    vec![first.to_owned()]
                };
                edges.extend(
                    names
                        .iter()
                        .filter_map(|n| folders[layer].get(n))
                        .map(|f| format!("{layer}/{f}")),
                );
            }
            for path in paths_after(&code, "crate::") {
                let mut segments = path.splitn(2, "::");
                let first = segments.next().unwrap_or_default();
                if let Some(names) = folders.get(first) {
                    let rest = segments.next().unwrap_or_default();
                    let inner = rest.split("::").next().unwrap_or_default();
                    let wanted = if inner.starts_with('{') {
                        identifiers(inner)
                    } else {
                        vec![inner.to_owned()]
                    };
                    edges.extend(
                        wanted
                            .iter()
                            .filter_map(|n| names.get(n))
                            .map(|f| format!("{first}/{f}")),
                    );
                } else {
                    let wanted = if first.starts_with('{') {
                        identifiers(first)
                    } else {
                        vec![first.to_owned()]
                    };
                    edges.extend(wanted.iter().filter_map(|n| root.get(n)).cloned());
                }
            }
            let own = format!("{layer}/{stem}");
            edges.retain(|edge| *edge != own);
            edges.sort();
            edges.dedup();
            graph.insert(own, edges);
        }
    }
    graph
}

/// The file behind each name `lib.rs` re-exports at the crate root.
fn root_files(folders: &BTreeMap<&str, BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let lib = code_of(&std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs"));
    let mut files = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use crate::") else {
            continue;
        };
        let mut segments = path.splitn(3, "::");
        let (layer, second) = (
            segments.next().unwrap_or_default(),
            segments.next().unwrap_or_default(),
        );
        let Some(names) = folders.get(layer) else {
            continue;
        };
        if second == "*" || second.starts_with('{') {
            // Re-exported through the folder's mod.rs.
            for (name, file) in names {
                if second == "*" || identifiers(second).contains(name) {
                    files.insert(name.clone(), format!("{layer}/{file}"));
                }
            }
        } else if names.values().any(|f| f == second) {
            for item in identifiers(segments.next().unwrap_or_default()) {
                files.insert(item, format!("{layer}/{second}"));
            }
        }
    }
    files
}

/// The modules of each layer (one file each) form no cycle: a file can be read, and changed,
/// without the ones that use it.
#[test]
fn the_module_graph_has_no_cycle() {
    let graph = module_graph();
    // The graph sees real edges, through `super::`, a folder's re-exports and the crate root.
    let uses = |from: &str, to: &str| graph.get(from).is_some_and(|e| e.iter().any(|n| n == to));
    assert!(uses("core/session", "core/pool"), "{graph:?}");
    assert!(uses("models/employee", "models/department"), "{graph:?}");
    assert!(uses("models/listing", "core/session"), "{graph:?}");
    assert!(uses("cli/list", "cli/values"), "{graph:?}");
    assert!(uses("web/model_api", "web/handlers"), "{graph:?}");
    fn visit(
        node: &str,
        graph: &BTreeMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("a cycle between modules: {}", cycle.join(" -> "));
        }
    }
}
