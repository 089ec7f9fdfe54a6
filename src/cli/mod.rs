//! Placeholder; the command-line tool lands in its own commits.

pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
