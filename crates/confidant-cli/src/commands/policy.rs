//! `confidant` commands owned by the policy area.

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Placeholder until the policy commands land.
    #[command(hide = true, name = "__policy_placeholder")]
    Placeholder,
}

pub fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Placeholder => anyhow::bail!("not implemented"),
    }
}
