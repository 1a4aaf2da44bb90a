//! The `confidant` binary: parses the command line and hands each command to
//! the module that owns it. Kept thin; the work happens in the library
//! crates. Exit codes follow shared/CONTRACT.md: 0 success, 1 a check that
//! ran and failed, 2 bad input or any other error (message on stderr).

mod commands;

use clap::Parser;
use std::process::ExitCode;

// De-identification (`deidentify --jsonl`) allocates per document (the
// record's name variants, tokens, candidates, output); mimalloc takes
// about a tenth off its CPU time against the system allocator
// (docs/deid-benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
            eprintln!("error: {}", error_message(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, each cause stated once. Library
/// errors often include their source's text in their own message (thiserror's
/// `"{file}: cannot read: {source}"`) and also return it as `source()`;
/// printing the chain naively would say the cause twice.
fn error_message(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::error_message;

    /// Shaped like a thiserror error whose message embeds its source.
    #[derive(Debug)]
    struct ReadError {
        source: std::io::Error,
    }

    impl std::fmt::Display for ReadError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "x.json: cannot read: {}", self.source)
        }
    }

    impl std::error::Error for ReadError {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(ReadError { source: io });
        assert_eq!(error_message(&e), "x.json: cannot read: no such file");
    }

    #[test]
    fn distinct_causes_are_all_kept_in_order() {
        let e = anyhow::anyhow!("disk full").context("cannot write the note");
        assert_eq!(error_message(&e), "cannot write the note: disk full");
    }
}
