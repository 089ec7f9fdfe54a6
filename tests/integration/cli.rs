//! Tests of the `staffdb` binary.
