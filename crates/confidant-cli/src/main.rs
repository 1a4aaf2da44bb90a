//! The `confidant` binary: parses the command line and hands each command to
//! the module that owns it. Kept thin; the work happens in the library
//! crates. Exit codes follow shared/CONTRACT.md: 0 success, 1 a check that
//! ran and failed, 2 bad input or any other error (message on stderr).

mod commands;

use clap::Parser;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "confidant",
    version,
    about = "Confidential case records and executable confidentiality policies"
)]
struct Cli {
    #[command(flatten)]
    global: commands::GlobalOpts,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0 and usage errors
            // to stderr; usage errors must exit 2 as the contract says.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match commands::run(&cli.global, cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
