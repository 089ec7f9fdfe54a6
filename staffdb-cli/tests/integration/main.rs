//! staffdb's integration tests: one binary, each test on a database of its own, every library
//! test run once per available backend (see `common`).

mod admin;
mod attacks;
mod cli;
mod common;
mod database;
mod derived;
mod fuzz_corpus;
mod history;
mod layers;
mod migrations;
mod model_api;
mod model_cli;
mod openapi;
mod permissions;
mod plans;
mod properties;
mod queries;
mod relations;
mod session;
mod users;
mod web;
