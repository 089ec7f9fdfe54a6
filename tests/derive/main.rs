//! `#[derive(staffdb::Model)]`'s compile errors: each case in `fail/` must fail to compile with
//! the message its `.stderr` keeps, and the case in `pass/`, which uses every option, must
//! compile. After a deliberate change to the messages, `TRYBUILD=overwrite cargo test --test
//! derive` rewrites the `.stderr` files: read each one before committing it.
//!
//! The messages are those of the SQLite-only build (`cargo test`): with a server backend the
//! column checks also run for PostgreSQL or MySQL and a mismatch is reported once per backend,
//! so there the test is ignored (its declarations compile for every backend in
//! `examples/own_table`). trybuild builds staffdb once more, in `target/tests/trybuild`.

#[test]
#[cfg_attr(
    any(feature = "postgres", feature = "mysql"),
    ignore = "the .stderr files are the SQLite-only build's"
)]
fn derive_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/derive/fail/*.rs");
    cases.pass("tests/derive/pass/*.rs");
}
