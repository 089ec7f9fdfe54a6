//! The ledger of faults tried: every scenario of this suite with its run count and what it
//! asserts, and every other test of the integration suite that proves one of the defects found
//! by trying to break staffdb. RELIABILITY.md's tables are rendered from here and kept equal by
//! [`reliability_md_shows_this_ledger`].

use std::path::Path;

/// One fault-injection scenario of this suite.
pub struct Scenario {
    /// The test function (per backend where `backends` says so).
    pub test: &'static str,
    /// What is done to staffdb.
    pub fault: &'static str,
    /// Where it runs.
    pub backends: &'static str,
    /// Runs per backend, each at a random moment.
    pub runs: usize,
    /// What the scenario asserts after every run.
    pub holds: &'static str,
}

const ALL: &str = "SQLite, PostgreSQL, MariaDB";

pub const KILL_IMPORT: Scenario = Scenario {
    test: "kill_9_during_import_writes_all_or_nothing",
    fault: "kill -9 of `import` (20,000 rows) at a random moment",
    backends: ALL,
    runs: 20,
    holds: "none of the rows or all of them; `integrity_check` ok; the next `add` works",
};
pub const KILL_EXPORT: Scenario = Scenario {
    test: "kill_9_during_export_never_leaves_a_partial_file",
    fault: "kill -9 of `export --output` (20,000 rows) at a random moment",
    backends: ALL,
    runs: 20,
    holds: "the output is the previous export or the new one, byte for byte; the next export \
            sweeps every temporary file the killed ones left",
};
pub const KILL_MIGRATE: Scenario = Scenario {
    test: "kill_9_during_migrate_leaves_a_database_the_next_command_uses",
    fault: "kill -9 of `migrate` on an empty database at a random moment",
    backends: ALL,
    runs: 20,
    holds: "the next `migrate` exits 0 with nothing pending; `add` then works; \
            `integrity_check` ok",
};
pub const KILL_REBUILD: Scenario = Scenario {
    test: "kill_9_during_the_sqlite_rebuild_keeps_every_row_and_the_next_migrate_finishes_it",
    fault: "kill -9 of `migrate` while it rebuilds SQLite's `employees` (50,000 rows, an \
            application's table referring to them) for the checks migration, at a random moment",
    backends: "SQLite",
    runs: 20,
    holds: "the tables as they were or rebuilt, with every row, the application's too; \
            `integrity_check` ok; the next `migrate` exits 0 with nothing pending, and the \
            checks refuse an age of 25.5; `foreign_key_check` clean",
};
pub const SIGNAL_IMPORT: Scenario = Scenario {
    test: "ctrl_c_or_sigterm_during_import_exits_130_and_writes_nothing",
    fault: "SIGINT or SIGTERM (alternately) of `import` at a random moment",
    backends: ALL,
    runs: 20,
    holds: "exit 130 and nothing written, or exit 0 and everything; never another exit",
};
pub const SIGNAL_EXPORT: Scenario = Scenario {
    test: "ctrl_c_or_sigterm_during_export_exits_130_and_leaves_no_file",
    fault: "SIGINT or SIGTERM (alternately) of `export --output` at a random moment",
    backends: ALL,
    runs: 20,
    holds: "exit 130 with the previous output untouched, or exit 0 with the new one; \
            no temporary file left, ever",
};
pub const FULL_DISK_IMPORT: Scenario = Scenario {
    test: "a_full_disk_during_import_fails_and_writes_nothing",
    fault: "the database's disk (a tmpfs) fills during `import` of 100,000 rows, \
            64 KiB–2 MiB free at the start",
    backends: "SQLite",
    runs: 8,
    holds: "exit 1 saying the disk is full; nothing written; `integrity_check` ok; \
            once there is room the next `add` works",
};
pub const FULL_DISK_EXPORT: Scenario = Scenario {
    test: "a_full_disk_during_export_fails_and_leaves_no_file",
    fault: "the output's disk (a tmpfs) fills during `export --output` of 50,000 rows",
    backends: ALL,
    runs: 5,
    holds: "exit 1; no output and no temporary file left; the data unchanged",
};
pub const SERVER_CRASH: Scenario = Scenario {
    test: "a_*_crash_during_import_writes_all_or_nothing_and_the_restart_serves",
    fault: "the server crashes during `import` (`pg_ctl stop -m immediate`; SIGKILL of \
            mariadbd) at a random moment, then restarts",
    backends: "PostgreSQL, MariaDB (private servers)",
    runs: 6,
    holds: "the import ends by itself with exit 0, 1 or 3 (outcome unknown: COMMIT cut off), never a hang; none of the rows or all \
            of them after recovery; the next `add` works",
};

/// Every scenario, in the order RELIABILITY.md lists them.
pub const SCENARIOS: &[&Scenario] = &[
    &KILL_IMPORT,
    &KILL_EXPORT,
    &KILL_MIGRATE,
    &KILL_REBUILD,
    &SIGNAL_IMPORT,
    &SIGNAL_EXPORT,
    &FULL_DISK_IMPORT,
    &FULL_DISK_EXPORT,
    &SERVER_CRASH,
];

/// A defect found by breaking staffdb and the integration test that proves it fixed.
pub struct Proven {
    pub defect: &'static str,
    /// Tests in `tests/integration` or a crate's `src` (a unit test), each named after what it
    /// proves.
    pub tests: &'static [&'static str],
    /// Where and how often: the backends, or the property's case count.
    pub runs: &'static str,
}

const EACH: &str = "once per backend";

/// The defects of issue 10 (other clients, bad input, faults) with their tests.
pub const PROVEN: &[Proven] = &[
    Proven {
        defect: "another client stores `Sam@Example.COM`; `add`/`import --upsert` of \
                 `sam@example.com` duplicated it",
        tests: &["an_email_is_unique_whatever_its_case_for_every_client"],
        runs: EACH,
    },
    Proven {
        defect: "a plain `UPDATE` by another client left `version` alone: `--if-version` was blind",
        tests: &["another_clients_update_bumps_the_version"],
        runs: EACH,
    },
    Proven {
        defect: "a department deleted with foreign keys off: `show`/`update` said \"not found\"",
        tests: &["a_dangling_department_reads_as_none_on_every_command"],
        runs: "SQLite (the servers enforce the key)",
    },
    Proven {
        defect: "one unreadable value (epoch in `created_at`, `2020-02-30`, `25.5`) failed the \
                 whole table, its text doubled",
        tests: &[
            "other_clients_cannot_store_values_staffdb_cannot_read",
            "an_unreadable_value_is_one_error_naming_the_row_and_column",
        ],
        runs: EACH,
    },
    Proven {
        defect: "a client in Asia/Tokyo shifted timestamps 9 h; MariaDB refused dates after 2038",
        tests: &[
            "a_timestamp_is_the_same_instant_whatever_a_clients_time_zone",
            "timestamps_after_2038_are_stored_and_read_back",
        ],
        runs: EACH,
    },
    Proven {
        defect: "SQLite ids past 2,147,483,647 wrapped negative and `list` never ended",
        tests: &[
            "ids_past_2147483647_read_as_the_64_bit_numbers_they_are",
            "ids_past_2147483647_list_show_and_export_as_themselves",
        ],
        runs: EACH,
    },
    Proven {
        defect: "passwords printed for 7 of 8 unusual URL shapes and by `--echo`",
        tests: &[
            "url_parser_never_panics_or_shows_a_password",
            "the_binary_never_shows_a_url_password",
            "connection_errors_redact_the_password",
            "hides_the_password_in_every_url_shape",
        ],
        runs: "3,000 parsed URLs + 100 binary runs (properties), and each shape",
    },
    Proven {
        defect: "a server that accepts and never answers: `list` hung until killed",
        tests: &[
            "a_server_that_never_answers_is_given_up_after_the_connect_timeout",
            "a_mysql_server_that_never_answers_is_given_up_after_the_connect_timeout",
        ],
        runs: "PostgreSQL, MySQL schemes",
    },
    Proven {
        defect: "`export` with a concurrent writer was not one snapshot (50,214 rows of 50,000)",
        tests: &["an_export_reads_one_snapshot_while_a_writer_runs"],
        runs: EACH,
    },
    Proven {
        defect: "`export --output self.db` replaced the database with CSV, exit 0",
        tests: &["export_refuses_to_overwrite_the_database_itself"],
        runs: "SQLite",
    },
    Proven {
        defect: "`add … > /dev/full` exited 1 but committed the row",
        tests: &["a_write_whose_result_cannot_be_printed_changes_nothing"],
        runs: "SQLite",
    },
    Proven {
        defect: "killed or interrupted exports left `.staffdb-export*` files for good",
        tests: &[
            "an_export_sweeps_the_temporary_files_of_killed_exports",
            "sigterm_during_an_export_leaves_no_file_behind",
        ],
        runs: "SQLite, and the scenarios above on every backend",
    },
    Proven {
        defect: "concurrent `import --upsert` of the same new emails and `add --department New` \
                 failed 2 of 3 and 5 of 60",
        tests: &[
            "concurrent_upserts_of_the_same_new_emails_all_succeed",
            "concurrent_adds_to_a_new_department_all_succeed",
        ],
        runs: EACH,
    },
    Proven {
        defect: "waits multiplied (60.6 s for a 10 s busy timeout); Ctrl-C ignored while waiting",
        tests: &[
            "a_blocked_writer_waits_the_lock_timeout_once",
            "ctrl_c_while_an_import_waits_for_a_lock_exits_130_at_once",
        ],
        runs: EACH,
    },
    Proven {
        // The import has read its input once since 2026-12-08 (a stream copied aside first, so
        // that a transaction run again reads the same bytes): a file cannot differ between two
        // reads any more, and the test of that was retired with the second read.
        defect: "an import file that grew mid-import lost departments; FIFOs hung; `/dev/stdin` \
                 found no header",
        tests: &["streams_that_read_once_import_like_standard_input"],
        runs: "SQLite",
    },
    Proven {
        defect: "`postgres://` with no host, `sqlite:x.db`, `-`, a mistyped path: silently \
                 created or migrated databases",
        tests: &[
            "mistyped_urls_are_refused_and_create_nothing",
            "read_only_commands_on_a_missing_file_exit_1_and_create_nothing",
        ],
        runs: "every URL shape",
    },
    Proven {
        defect: "messages doubled, clap's suggestions dropped, `--limit -1` misread, \
                 `export | import -` could not tell the format",
        tests: &[
            "usage_errors_keep_their_suggestions_and_name_bad_numbers",
            "export_pipes_into_import_from_standard_input",
        ],
        runs: "SQLite",
    },
    Proven {
        defect: "fuzzed CSV and JSON imports: no panic and no partial write",
        tests: &[
            "csv_reader_never_panics_and_places_every_error",
            "json_reader_never_panics_and_places_every_error",
            "the_binary_imports_all_or_nothing",
        ],
        runs: "3,000 + 3,000 in-process files, 200 binary imports (properties)",
    },
    Proven {
        defect: "schemathesis, from the API's own OpenAPI document: 6 (SQLite) and 10 (PostgreSQL) kinds of schema-valid requests refused (empty `cursor=`, `PATCH {}`, control characters in a name, `\"age\": 39.0`, a blank import name, an empty CSV) and 14 undocumented 401s",
        tests: &[
            "the_openapi_document_and_the_router_name_the_same_routes",
            "an_integral_float_is_taken_where_the_document_says_integer",
            "an_empty_cursor_is_the_first_page_and_a_foreign_one_a_400",
            "a_patch_needs_a_field_and_refuses_null_for_required_ones",
            "an_unknown_department_id_is_a_409_on_its_field",
            "an_import_takes_an_integral_float_age",
        ],
        runs: "`.ci/contract` in CI, 0 failures: 1,765 cases on SQLite, 1,716 on PostgreSQL, 699 not logged in",
    },
    Proven {
        defect: "`serve`: a per-row delete or `/logout` posted as `text/plain`, multipart or with no \
                 body skipped the CSRF check (a row deleted from an attack page on another port, \
                 logged in or not)",
        tests: &[
            "a_post_of_any_body_type_without_the_token_deletes_nothing",
            "an_attack_page_on_another_port_deletes_nothing",
            "a_same_site_attack_page_cannot_use_the_login",
        ],
        runs: "SQLite; 5 body types × 4 routes; Chromium, 4 attack pages × 3 targets",
    },
    Proven {
        defect: "`serve` answered any Host (DNS rebinding: reads 200, DELETE 204) and took \
                 writes with a foreign `Origin`; later: two Hosts, two Origins, an absolute-form \
                 target and `Host: 127.0.0.1:99999` got through",
        tests: &[
            "a_foreign_host_is_answered_421_and_changes_nothing",
            "a_request_from_another_origin_changes_nothing",
            "ambiguous_hosts_and_origins_are_refused",
            "a_loopback_server_admits_only_its_own_hosts",
            "only_the_servers_own_origin_may_change_things",
        ],
        runs: "SQLite",
    },
    Proven {
        defect: "`?password=` shown in errors, `--echo` and `serve`'s 503s; a libpq keyword \
                 string, or `postgres//u:pw@h` with its `:` forgotten, was taken for a file name \
                 (and printed); a 503 named the database's host, user and name",
        tests: &[
            "hides_query_parameter_passwords",
            "refuses_keyword_strings_without_quoting_them",
            "a_keyword_string_url_is_refused_without_its_password_and_creates_no_file",
            "mistyped_urls_are_refused_and_create_nothing",
            "a_lost_database_is_a_503_that_names_no_database",
        ],
        runs: "PostgreSQL, MariaDB; and the URL properties above",
    },
    Proven {
        defect: "12 clients reading an export and stopping held every pooled connection (all else \
                 503 for 5 s); an export abandoned later ended as if complete",
        tests: &["a_client_that_stops_reading_an_export_holds_no_connection"],
        runs: EACH,
    },
    Proven {
        defect: "`serve` never closed idle or half-open sockets (1,100 under a 1,024-file limit \
                 stopped it); a stalled form body, or one trickled a byte every 2 s, was held for \
                 ever; SIGTERM waited for a trickling body without end",
        tests: &[
            "idle_and_half_open_connections_are_closed",
            "a_stalled_form_or_upload_is_a_408",
            "a_trickled_body_is_abandoned",
            "sigterm_stops_within_the_deadline_despite_a_trickling_body",
        ],
        runs: "SQLite; 300 sockets under a 256-file limit",
    },
    Proven {
        defect: "639 wrong passwords at 18–27 a second, then the right one taken; later, a burst \
                 of 100 guesses at once all checked",
        tests: &[
            "wrong_passwords_are_slowed_and_then_refused_unchecked",
            "a_burst_of_guesses_is_counted_guess_by_guess",
            "failures_slow_their_address_then_the_account",
        ],
        runs: "SQLite; 30 guesses at once",
    },
    Proven {
        defect: "`serve`'s smaller holes: an oversized chunked upload a 400 (413 promised), pages \
                 cacheable, a malformed argon2 hash started a server nobody could log in to, \
                 `--bind localhost:8080` refused, a port in use still created the database, a \
                 read-only SQLite file called a standby, CSV cells exported as formulas",
        tests: &[
            "an_oversized_upload_to_the_import_page_is_a_413",
            "pages_and_answers_are_never_cached",
            "a_malformed_argon2_hash_is_refused_at_start",
            "bind_takes_localhost_by_name",
            "a_serve_that_cannot_bind_creates_nothing",
            "a_write_to_a_read_only_sqlite_file_says_the_file_cannot_be_written",
            "csv_exports_neutralise_formulas_and_import_back_exactly",
        ],
        runs: "SQLite",
    },
    Proven {
        defect: "`list` on a server's maintenance database created staffdb's tables there, exit 0",
        tests: &[
            "a_read_on_a_database_without_the_schema_exits_1_and_creates_no_table",
            "a_read_on_a_database_with_migrations_pending_exits_1_and_changes_nothing",
            "a_read_only_serve_of_a_database_without_the_schema_exits_1",
        ],
        runs: EACH,
    },
];

/// The generated part of RELIABILITY.md.
fn render() -> String {
    let mut text = String::from(
        "| Fault | Backends | Runs per backend | What held, every run | Test |\n\
         |---|---|---:|---|---|\n",
    );
    for s in SCENARIOS {
        text += &format!(
            "| {} | {} | {} | {} | `{}` |\n",
            s.fault, s.backends, s.runs, s.holds, s.test
        );
    }
    text += "\n| Defect found by breaking it | Runs | Proven by |\n|---|---|---|\n";
    for p in PROVEN {
        let tests: Vec<_> = p.tests.iter().map(|t| format!("`{t}`")).collect();
        text += &format!("| {} | {} | {} |\n", p.defect, p.runs, tests.join(", "));
    }
    text
}

const BEGIN: &str = "<!-- begin: generated by staffdb-cli/tests/faults/ledger.rs -->\n";
const END: &str = "<!-- end: generated -->";

/// RELIABILITY.md shows this ledger; `STAFFDB_UPDATE_RELIABILITY=1` rewrites it.
#[test]
fn reliability_md_shows_this_ledger() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../RELIABILITY.md");
    let doc = std::fs::read_to_string(&path).expect("RELIABILITY.md");
    let (Some(start), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("RELIABILITY.md has no generated section ({BEGIN:?} … {END:?})");
    };
    let shown = &doc[start + BEGIN.len()..end];
    let wanted = render();
    if std::env::var("STAFFDB_UPDATE_RELIABILITY").as_deref() == Ok("1") {
        let updated = format!("{}{BEGIN}{wanted}{}", &doc[..start], &doc[end..]);
        std::fs::write(&path, updated).expect("write RELIABILITY.md");
        return;
    }
    assert_eq!(
        shown, wanted,
        "RELIABILITY.md is out of date: run STAFFDB_UPDATE_RELIABILITY=1 cargo test \
         --features servers --test faults ledger"
    );
}

/// Every test the ledger names exists, so that the tables cannot point at nothing.
#[test]
fn every_test_in_the_ledger_exists() {
    // This package's (the binary and its suites) and the library's, at the repository's root.
    let cli = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = String::new();
    for root in [cli, &cli.join("..")] {
        for dir in ["src", "tests"] {
            collect_rust(&root.join(dir), &mut sources);
        }
    }
    let defined = |name: &str| {
        if name.contains('*') {
            wildcard(&sources, name)
        } else {
            sources.contains(&format!("fn {name}(")) || sources.contains(&format!("    {name},"))
        }
    };
    let names = SCENARIOS
        .iter()
        .map(|s| s.test)
        .chain(PROVEN.iter().flat_map(|p| p.tests.iter().copied()));
    let missing: Vec<_> = names.filter(|name| !defined(name)).collect();
    assert!(
        missing.is_empty(),
        "the ledger names tests that do not exist: {missing:?}"
    );
}

/// Whether some `fn` in `sources` matches `name`, whose `*` stands for one word.
fn wildcard(sources: &str, name: &str) -> bool {
    let (head, tail) = name.split_once('*').expect("a wildcard");
    sources.match_indices(&format!("fn {head}")).any(|(at, _)| {
        let rest = &sources[at + 3 + head.len()..];
        let word_end = rest.find('_').unwrap_or(0);
        rest[word_end..].starts_with(&format!("{tail}("))
    })
}

fn collect_rust(dir: &Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rust(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).expect("read source"));
        }
    }
}
