//! `confidant` commands owned by the store area.

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Placeholder until the store commands land.
    #[command(hide = true, name = "__store_placeholder")]
    Placeholder,
}

pub fn run(_global: &super::GlobalOpts, command: StoreCommand) -> anyhow::Result<ExitCode> {
    match command {
        StoreCommand::Placeholder => anyhow::bail!("not implemented"),
    }
}
