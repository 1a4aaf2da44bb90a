//! One module per area of the command line. Each owns its clap types and a
//! `run` function returning the exit code: `Ok(ExitCode::SUCCESS)`,
//! `Ok(ExitCode::from(1))` for a check that failed, or `Err` for bad input
//! (printed and mapped to exit 2 by `main`).

pub mod access;
pub mod deid;
pub mod matters;
pub mod policy;
pub mod promises;
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
    /// The largest note text accepted, in bytes (default 1 MiB).
    #[arg(long, global = true, env = "CONFIDANT_MAX_NOTE_BYTES")]
    pub max_note_bytes: Option<usize>,
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
    #[command(flatten)]
    Complaint(promises::ComplaintTop),
}

pub fn run(global: &GlobalOpts, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Store(c) => store::run(global, c),
        Command::Policy(c) => policy::run(global, c),
        Command::Deid(c) => deid::run(c),
        Command::Access(c) => access::run(c),
        Command::Work(c) => matters::run(global, c),
        Command::Serve(a) => serve::run(global, a),
        Command::Demo(a) => serve::run_demo(global, a),
        Command::Sar(c) => sar::run(global, c),
        Command::Users(c) => users::run(global, c),
        Command::Complaint(c) => promises::run(global, c),
    }
}

/// The one output filter for anything the CLI prints that came from the
/// store (names, note text, free-text fields): control characters (C0 and
/// C1, so ESC and every ANSI/OSC sequence), bidirectional controls and
/// other invisible format characters are shown as `\u{XXXX}` instead of
/// acting on the terminal. Newlines and tabs inside multi-line text stay
/// when `multiline` is set.
pub(crate) fn terminal_safe(s: &str, multiline: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        !(multiline && (c == '\n' || c == '\t'))
            && (c.is_control()
                || (c != ' ' && confidant_core::record::is_invisible(c) && !c.is_whitespace())
                || matches!(c, '\u{2028}' | '\u{2029}'))
    };
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// JSON for a terminal: serde_json already escapes C0 controls; this also
/// escapes C1 controls, bidi and invisible format characters (as JSON
/// `\uXXXX`, so the document means the same).
pub(crate) fn terminal_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_control() && c != '\n'
            || (confidant_core::record::is_invisible(c) && !c.is_whitespace())
            || matches!(c, '\u{2028}' | '\u{2029}')
        {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", u));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod output_tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bidi_controls_never_reach_the_terminal() {
        let hostile = "Ann\u{1b}[2J\u{1b}]0;owned\u{7}\u{202e}txt.exe\u{9b}31m";
        let shown = terminal_safe(hostile, false);
        assert!(
            !shown.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{shown}"
        );
        assert!(shown.contains("\\u{001B}[2J") && shown.contains("\\u{202E}"));
        assert_eq!(
            terminal_safe("line one\nline two", true),
            "line one\nline two"
        );
        assert_eq!(
            terminal_safe("line one\nline two", false),
            "line one\\u{000A}line two"
        );
        assert_eq!(terminal_safe("Siân Ó Dálaigh", false), "Siân Ó Dálaigh");
        let json = serde_json::to_string(&serde_json::json!({"name": hostile})).unwrap();
        let safe = terminal_safe_json(&json);
        assert!(
            !safe.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["name"], hostile);
    }
}
