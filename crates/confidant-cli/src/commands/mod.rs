//! One module per area of the command line. Each owns its clap types and a
//! `run` function returning the exit code: `Ok(ExitCode::SUCCESS)`,
//! `Ok(ExitCode::from(1))` for a check that failed, or `Err` for bad input
//! (printed and mapped to exit 2 by `main`).

pub mod access;
pub mod deid;
pub mod matters;
pub mod policy;
pub mod sar;
pub mod serve;
pub mod store;
pub mod users;

use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options every command accepts (shared/CONTRACT.md, "Store").
#[derive(Debug, Args)]
pub struct GlobalOpts {
    /// Data directory: keys, and the embedded SQLite store.
    #[arg(
        long,
        global = true,
        env = "CONFIDANT_DATA",
        default_value = "confidant-data"
    )]
    pub data: PathBuf,
    /// Put the records in PostgreSQL instead (postgres://...); keys stay in
    /// the data directory.
    #[arg(
        long,
        global = true,
        env = "CONFIDANT_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// The Ed25519 audit signing key (default DATA/audit-signing.key). Keep
    /// it where database administrators cannot read it.
    #[arg(long, global = true, env = "CONFIDANT_AUDIT_SIGNING_KEY")]
    pub audit_signing_key: Option<PathBuf>,
    /// Append every new signed audit head to this file (put it on another
    /// volume or host).
    #[arg(long, global = true, env = "CONFIDANT_AUDIT_WITNESS")]
    pub audit_witness: Option<PathBuf>,
    /// Read the passphrase from this open file descriptor (instead of
    /// $CONFIDANT_PASSPHRASE or a prompt).
    #[arg(long, global = true)]
    pub passphrase_fd: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Store(store::StoreCommand),
    #[command(flatten)]
    Policy(policy::PolicyCommand),
    #[command(flatten)]
    Deid(deid::DeidCommand),
    #[command(flatten)]
    Access(access::AccessCommand),
    #[command(flatten)]
    Work(matters::WorkCommand),
    /// Start the server (JSON API) on 127.0.0.1:8080, creating the embedded
    /// store on first run.
    Serve(serve::ServeArgs),
    /// Start the server on a separate data directory (./confidant-demo)
    /// seeded with a fictional organisation: a user for every role (with
    /// their passwords and TOTP secrets printed), clients, a couple, a
    /// group, notes, consents, an open matter, a SAR in progress.
    Demo(serve::DemoArgs),
    #[command(flatten)]
    Sar(sar::SarTopCommand),
    #[command(flatten)]
    Users(users::UsersCommand),
}

pub fn run(global: &GlobalOpts, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Store(c) => store::run(global, c),
        Command::Policy(c) => policy::run(c),
        Command::Deid(c) => deid::run(c),
        Command::Access(c) => access::run(c),
        Command::Work(c) => matters::run(global, c),
        Command::Serve(a) => serve::run(global, a),
        Command::Demo(a) => serve::run_demo(global, a),
        Command::Sar(c) => sar::run(global, c),
        Command::Users(c) => users::run(global, c),
    }
}
