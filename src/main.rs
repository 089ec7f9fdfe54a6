//! The `staffdb` command-line tool.

mod cli;
mod web;

fn main() -> std::process::ExitCode {
    cli::main()
}
