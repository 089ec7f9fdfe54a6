//! `staffdb completions SHELL`: a completion script on stdout.

use std::io::Write;

use clap::{Args, ValueEnum};
use clap_complete::Shell as Generator;

/// Options of `staffdb completions`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

/// The shells completions are generated for.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Prints the completion script for `command`, the whole command line.
pub fn run(opts: Opts, mut command: clap::Command) -> anyhow::Result<()> {
    let generator = match opts.shell {
        Shell::Bash => Generator::Bash,
        Shell::Zsh => Generator::Zsh,
        Shell::Fish => Generator::Fish,
    };
    let mut out = super::stdout();
    clap_complete::generate(generator, &mut command, "staffdb", &mut out);
    out.flush()?;
    Ok(())
}
