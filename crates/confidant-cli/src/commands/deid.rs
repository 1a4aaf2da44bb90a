//! `confidant` commands owned by the deid area.

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum DeidCommand {
    /// Placeholder until the deid commands land.
    #[command(hide = true, name = "__deid_placeholder")]
    Placeholder,
}

pub fn run(command: DeidCommand) -> anyhow::Result<ExitCode> {
    match command {
        DeidCommand::Placeholder => anyhow::bail!("not implemented"),
    }
}
