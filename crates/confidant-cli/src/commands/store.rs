//! `confidant` commands owned by the store area: init, clients, notes,
//! consents, legal holds, destruction, the audit log, and the store
//! benchmark. Contract: shared/CONTRACT.md, "Store".
//!
//! The CLI is synchronous at the top; each command builds a small tokio
//! runtime and runs the async store on it. The acting identity recorded in
//! audit entries is authenticated, never a free string: `$CONFIDANT_ACTOR`
//! must be the id of a practitioner registered in the store; otherwise it
//! is the local operator account the process runs as (`operator:<login>`,
//! looked up from the real uid, not from `$USER`).

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use confidant_core::ids::{CaseId, ClientId, PractitionerId};
use confidant_core::record::{
    CivilDate, ClientFlags, HoldReason, NewClient, NewConsent, NewNote, NhsNumber, Timestamp,
};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_crypto::SecretString;
use confidant_store::{Store, StoreConfig};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Create the store and a new master key (key file, mode 0600; or derived
    /// with Argon2id from a passphrase: --passphrase-fd, $CONFIDANT_PASSPHRASE,
    /// or --passphrase to be prompted) and the audit signing key.
    Init {
        /// Prompt for a passphrase on the terminal.
        #[arg(long)]
        passphrase: bool,
    },
    /// Add, show, find or destroy clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Write and read session notes.
    #[command(subcommand)]
    Note(NoteCommand),
    /// Record and list consents.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Place, release and list legal holds.
    #[command(subcommand)]
    Hold(HoldCommand),
    /// Check the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check the stored records themselves (rows, links, digests, manifest).
    #[command(name = "store", subcommand)]
    StoreCheck(StoreCheckCommand),
    /// Measure the store (see docs/store-benchmarks.md).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Add a client; prints the new client id.
    Add(ClientAddArgs),
    /// Show a client's record, decrypted, with the date it falls due for
    /// destruction and what the service promised and did.
    Show {
        client_id: String,
        #[command(flatten)]
        policy: super::promises::PolicyArg,
        #[command(flatten)]
        tz: super::sar::Tz,
        #[arg(long)]
        json: bool,
    },
    /// Record that the client was given the policy's limits-of-
    /// confidentiality statement (`policy explain`): how and when.
    LimitsGiven(super::promises::LimitsGivenArgs),
    /// The clients not yet given the policy's current statement.
    LimitsMissing {
        #[command(flatten)]
        policy: super::promises::PolicyArg,
        #[command(flatten)]
        tz: super::sar::Tz,
        #[arg(long)]
        json: bool,
    },
    /// Record a confidentiality agreement (parties and terms) on a
    /// member's record.
    Agreement(super::promises::AgreementArgs),
    /// Find clients by full name or one name part (through the blind index).
    Find {
        #[arg(long)]
        name: String,
    },
    /// Destroy a client's record irrecoverably (keys first, then the
    /// key-encryption key rotated) unless a legal hold stands; prints the
    /// stored, signed destruction certificate (JSON).
    Destroy {
        client_id: String,
        #[arg(long)]
        reason: String,
        /// When the client shares notes with other clients (a couple's or
        /// group's joint notes, notes of others naming them): keep-redacted
        /// (each stays with a remaining party, this client's identifiers
        /// removed) or destroy. Refused without it if there are any.
        #[arg(long, value_name = "keep-redacted|destroy")]
        shared_notes: Option<String>,
    },
    /// Show the stored destruction certificate(s) of a destroyed client.
    Certificate { client_id: String },
    /// Who accessed the client's record: who, when, what (audit log).
    AccessLog {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// The client's accounting of disclosures (every package delivered).
    Disclosures {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Set the client's flags (each true or false); prints them.
    Flags {
        client_id: String,
        #[arg(long)]
        protected: Option<bool>,
        #[arg(long)]
        capacity_concern: Option<bool>,
        #[arg(long)]
        parental_responsibility: Option<bool>,
        #[arg(long)]
        work_ended: Option<bool>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ClientAddArgs {
    #[arg(long)]
    name: String,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long)]
    dob: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    postcode: Option<String>,
    /// NHS number (10 digits, mod-11 check digit; spaces allowed).
    #[arg(long)]
    nhs_number: Option<String>,
    /// Their whereabouts must never be revealed.
    #[arg(long)]
    protected: bool,
    /// There is a concern about their capacity to consent.
    #[arg(long)]
    capacity_concern: bool,
    /// Someone else holds parental responsibility for them.
    #[arg(long)]
    parental_responsibility: bool,
}

#[derive(Debug, Subcommand)]
pub enum NoteCommand {
    /// Add a session note (text from --text, else stdin); prints the note id.
    /// With --batch FILE (JSONL, `-` for stdin) adds many notes, committing
    /// every --chunk notes and printing each id once its chunk is durable.
    Add {
        client_id: String,
        #[arg(long, conflicts_with = "batch")]
        text: Option<String>,
        /// Another client the note is attributable to (repeat for several).
        #[arg(long = "party")]
        parties: Vec<String>,
        #[arg(long = "case")]
        case_id: Option<String>,
        #[arg(long)]
        author: Option<String>,
        /// JSONL file of notes: {"text": ..., "parties": [...]?, "case_id": ...?}
        #[arg(long)]
        batch: Option<PathBuf>,
        /// Notes per transaction with --batch.
        #[arg(long, default_value_t = 500)]
        chunk: usize,
    },
    /// Show the client's notes, decrypted, oldest first.
    List {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Record a consent; prints the consent id.
    Add {
        client_id: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        form: String,
        #[arg(long, default_value = "given")]
        status: String,
        /// When it was given (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ); default now
        /// when the status is `given`.
        #[arg(long)]
        given_at: Option<String>,
        #[arg(long)]
        withdrawn_at: Option<String>,
        /// Where the consent is evidenced (free text, stored encrypted).
        #[arg(long)]
        evidence: Option<String>,
        #[arg(long = "case")]
        case_id: Option<String>,
    },
    /// List a client's consents.
    List {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Export a client's consents in a standard format (the read is
    /// audited like any other).
    Export {
        client_id: String,
        /// As FHIR R4 Consent resources in a collection Bundle (JSON).
        #[arg(long)]
        fhir: bool,
        /// The confidentiality policy the consents are held under, named in
        /// each resource's `policy`.
        #[arg(long, default_value = "uk-law")]
        policy: String,
    },
    /// Withdraw a consent (the record of it having been given stays).
    Withdraw {
        consent_id: String,
        /// When it was withdrawn (default now).
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Place a legal hold; prints the hold id.
    Add {
        client_id: String,
        /// court-application, complaint, investigation or other.
        #[arg(long)]
        reason: String,
    },
    /// Release a legal hold.
    Release { hold_id: String },
    /// List a client's legal holds (JSON; audited).
    List {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum StoreCheckCommand {
    /// Check every stored row end to end: each row's MAC and sealed
    /// metadata, every case and note link, every client's digest, and the
    /// store manifest signed with the audit checkpoint. Prints
    /// `ok N clients, M rows`, or `tampered: record tampered: TABLE ROW_ID`
    /// (ids only, never content) and exits 1. Run `audit verify` too: the
    /// two check different things.
    Verify {
        /// One JSON object on stdout: {"ok", "clients", "rows"} or
        /// {"ok": false, "problem"}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole audit log: prints `ok N entries` and the signed
    /// head (keep it elsewhere), or what is wrong and exits 1.
    Verify {
        /// A head printed earlier (the string, or a file whose last head
        /// line is used, e.g. the witness file): the log must extend it.
        #[arg(long)]
        since: Option<String>,
        /// The audit public key to trust (hex), instead of the signing key
        /// or the key the database records.
        #[arg(long)]
        public_key: Option<String>,
        /// One JSON object on stdout: {"ok", "entries", "head",
        /// "public_key", "key_source"} or {"ok": false, "problem"}.
        #[arg(long)]
        json: bool,
    },
    /// Print the newest entries (JSON lines; ids and actions only).
    Tail {
        #[arg(short = 'n', default_value_t = 20)]
        n: u32,
    },
}

/// The local operator account: the login name of the real uid (from the
/// password database, not `$USER`, which anyone can set).
fn operator_account() -> anyhow::Result<String> {
    #[cfg(unix)]
    {
        let uid = nix::unistd::getuid();
        let name = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_else(|| format!("uid-{uid}"));
        Ok(format!("operator:{name}"))
    }
    #[cfg(not(unix))]
    {
        Ok("operator:local".to_owned())
    }
}

/// The authenticated actor: `$CONFIDANT_ACTOR` if it names a registered
/// practitioner (checked against the store), else the operator account.
pub(crate) async fn actor(store: Option<&Store>) -> anyhow::Result<String> {
    let Some(requested) = std::env::var("CONFIDANT_ACTOR")
        .ok()
        .filter(|s| !s.trim().is_empty())
    else {
        return operator_account();
    };
    let Ok(id) = requested.trim().parse::<PractitionerId>() else {
        bail!(
            "$CONFIDANT_ACTOR must be the id of a registered practitioner (prac_...); unset it to act as the local operator account"
        );
    };
    let Some(store) = store else {
        bail!("$CONFIDANT_ACTOR cannot be used before the store exists: unset it for init");
    };
    store.get_practitioner(&id).await.map_err(|_| {
        anyhow::anyhow!("$CONFIDANT_ACTOR is not a practitioner registered in this store")
    })?;
    Ok(id.to_string())
}

/// Disables core dumps (RLIMIT_CORE 0, not dumpable): a crash must not
/// write keys or decrypted notes to disk. Through nix's safe wrappers.
pub(crate) fn harden_process() {
    #[cfg(target_os = "linux")]
    {
        let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
        let _ = nix::sys::prctl::set_dumpable(false);
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
    }
}

/// The passphrase, if one is given: `--passphrase-fd N`, else
/// `$CONFIDANT_PASSPHRASE`. (A prompt is offered where one is needed.)
fn passphrase(global: &super::GlobalOpts) -> anyhow::Result<Option<SecretString>> {
    if let Some(fd) = global.passphrase_fd {
        let mut s = String::new();
        std::fs::File::open(format!("/dev/fd/{fd}"))
            .and_then(|mut f| f.read_to_string(&mut s))
            .with_context(|| format!("cannot read the passphrase from file descriptor {fd}"))?;
        let trimmed = s.trim_end_matches(['\n', '\r']).len();
        s.truncate(trimmed);
        return Ok(Some(SecretString::from(s)));
    }
    Ok(std::env::var("CONFIDANT_PASSPHRASE")
        .ok()
        .map(SecretString::from))
}

fn prompt_passphrase(confirm: bool) -> anyhow::Result<SecretString> {
    let first = rpassword::prompt_password("passphrase: ").context(
        "cannot read a passphrase from the terminal (use --passphrase-fd or $CONFIDANT_PASSPHRASE)",
    )?;
    if confirm {
        let again = rpassword::prompt_password("passphrase again: ")
            .context("cannot read a passphrase from the terminal")?;
        if again != first {
            bail!("the two passphrases differ: nothing was created");
        }
    }
    Ok(SecretString::from(first))
}

pub(crate) fn config(global: &super::GlobalOpts) -> StoreConfig {
    StoreConfig::new(global.data.clone(), global.database_url.clone())
        .with_audit_signing_key(global.audit_signing_key.clone())
        .with_audit_witness(global.audit_witness.clone())
        .with_max_note_bytes(global.max_note_bytes)
}

pub(crate) fn runtime() -> anyhow::Result<confidant_store::tokio::runtime::Runtime> {
    confidant_store::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) async fn open(global: &super::GlobalOpts) -> anyhow::Result<Store> {
    let cfg = config(global);
    let pass = passphrase(global)?;
    let master = match confidant_store::load_master_key(&cfg.data_dir, pass.as_ref()) {
        Err(confidant_store::StoreError::Crypto(
            confidant_crypto::CryptoError::PassphraseRequired { .. },
        )) if pass.is_none() && std::io::stdin().is_terminal() => {
            confidant_store::load_master_key(&cfg.data_dir, Some(&prompt_passphrase(false)?))?
        }
        other => other?,
    };
    Ok(Store::open(&cfg, master).await?)
}

fn parse_client(s: &str) -> anyhow::Result<ClientId> {
    Ok(s.parse::<ClientId>()?)
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(v)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", super::terminal_safe_json(&json))?;
    Ok(())
}

pub fn run(global: &super::GlobalOpts, command: StoreCommand) -> anyhow::Result<ExitCode> {
    if let StoreCommand::Bench(b) = command {
        return bench::run(global, b);
    }
    harden_process();
    let rt = runtime()?;
    rt.block_on(run_async(global, command))
}

async fn run_async(global: &super::GlobalOpts, command: StoreCommand) -> anyhow::Result<ExitCode> {
    if let StoreCommand::Init { passphrase: prompt } = command {
        let actor = actor(None).await?;
        let pass = match passphrase(global)? {
            Some(p) => Some(p),
            None if prompt => Some(prompt_passphrase(true)?),
            None => None,
        };
        let store = Store::init(&config(global), pass.as_ref(), &actor).await?;
        let public_key = store
            .audit_public_key()
            .map(|k| k.to_hex())
            .unwrap_or_default();
        store.close().await;
        eprintln!("initialised a new store in {}", global.data.display());
        eprintln!("audit public key: {public_key} (record it outside this machine)");
        return Ok(ExitCode::SUCCESS);
    }
    if let StoreCommand::Audit(c) = command {
        return audit(global, c).await;
    }
    if let StoreCommand::StoreCheck(StoreCheckCommand::Verify { json }) = command {
        return store_verify(global, json).await;
    }
    // Commands that live in the application layer open it themselves.
    match command {
        StoreCommand::Client(ClientCommand::AccessLog { client_id, json }) => {
            return super::sar::access_log(global, &client_id, json).await;
        }
        StoreCommand::Client(ClientCommand::Show {
            client_id,
            policy,
            tz,
            json,
        }) => {
            return super::promises::client_show(global, &client_id, &policy.policy, &tz, json)
                .await;
        }
        StoreCommand::Client(ClientCommand::LimitsGiven(a)) => {
            return super::promises::limits_given(global, a).await;
        }
        StoreCommand::Client(ClientCommand::LimitsMissing { policy, tz, json }) => {
            return super::promises::limits_missing(global, &policy.policy, &tz, json).await;
        }
        StoreCommand::Client(ClientCommand::Agreement(a)) => {
            return super::promises::agreement(global, a).await;
        }
        StoreCommand::Client(ClientCommand::Disclosures { client_id, json }) => {
            return super::matters::client_disclosures(global, &client_id, json).await;
        }
        StoreCommand::Client(ClientCommand::Flags {
            client_id,
            protected,
            capacity_concern,
            parental_responsibility,
            work_ended,
            json,
        }) => {
            let change = confidant_service::record::FlagChange {
                protected,
                capacity_concern,
                parental_responsibility_held_elsewhere: parental_responsibility,
                work_ended,
            };
            return super::matters::client_flags(global, &client_id, change, json).await;
        }
        StoreCommand::Consent(ConsentCommand::Withdraw { consent_id, at }) => {
            return super::matters::consent_withdraw(global, &consent_id, at.as_deref()).await;
        }
        StoreCommand::Hold(HoldCommand::List { client_id, json }) => {
            return super::matters::hold_list(global, &client_id, json).await;
        }
        StoreCommand::Hold(HoldCommand::Release { hold_id }) => {
            return super::matters::hold_release(global, &hold_id).await;
        }
        StoreCommand::Client(ClientCommand::Destroy {
            client_id,
            reason,
            shared_notes,
        }) => {
            return super::matters::client_destroy(
                global,
                &client_id,
                &reason,
                shared_notes.as_deref(),
            )
            .await;
        }
        command => run_on_store(global, command).await,
    }
}

async fn run_on_store(
    global: &super::GlobalOpts,
    command: StoreCommand,
) -> anyhow::Result<ExitCode> {
    let store = open(global).await?;
    let actor = actor(Some(&store)).await;
    let actor = match actor {
        Ok(a) => a,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };
    let out = match command {
        StoreCommand::Client(c) => client(&store, &actor, c).await,
        StoreCommand::Note(c) => note(&store, &actor, c).await,
        StoreCommand::Consent(c) => consent(&store, &actor, c).await,
        StoreCommand::Hold(c) => hold(&store, &actor, c).await,
        StoreCommand::Init { .. }
        | StoreCommand::Audit(_)
        | StoreCommand::StoreCheck(_)
        | StoreCommand::Bench(_) => Err(anyhow::anyhow!("internal: dispatched above")),
    };
    if let Some(problem) = store.take_witness_error() {
        eprintln!("warning: {problem}");
    }
    store.close().await;
    out
}

async fn client(store: &Store, actor: &str, c: ClientCommand) -> anyhow::Result<ExitCode> {
    match c {
        ClientCommand::Add(a) => {
            // Validate everything before touching the store.
            let new = NewClient {
                date_of_birth: a
                    .dob
                    .as_deref()
                    .map(|d| CivilDate::parse(d, "--dob"))
                    .transpose()?,
                nhs_number: a
                    .nhs_number
                    .as_deref()
                    .map(str::parse::<NhsNumber>)
                    .transpose()?,
                name: a.name,
                email: a.email,
                phone: a.phone,
                address: a.address,
                postcode: a.postcode,
                flags: ClientFlags {
                    protected: a.protected,
                    capacity_concern: a.capacity_concern,
                    parental_responsibility_held_elsewhere: a.parental_responsibility,
                    work_ended: false,
                },
            };
            if new.name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            let id = store.add_client(actor, &new).await?;
            println!("{id}");
        }
        ClientCommand::Find { name } => {
            let ids = store.find_clients_by_name(actor, &name).await?;
            for id in ids {
                println!("{id}");
            }
        }
        ClientCommand::Destroy { .. } => {
            bail!("internal: dispatched to the application layer")
        }
        ClientCommand::Certificate { client_id } => {
            let id = parse_client(&client_id)?;
            let certificates = store.destruction_certificates(actor, &id).await?;
            print_json(&certificates)?;
            // A certificate whose signature or audit entry does not check
            // is a failed check (exit 1), not a certificate to rely on.
            if certificates
                .iter()
                .any(|c| !c.signature_valid || !c.audit_entry_matches)
            {
                eprintln!(
                    "tampered: a destruction certificate does not verify (signature or audit entry); run `confidant audit verify`"
                );
                return Ok(ExitCode::from(1));
            }
        }
        ClientCommand::Disclosures { .. }
        | ClientCommand::AccessLog { .. }
        | ClientCommand::Flags { .. }
        | ClientCommand::Show { .. }
        | ClientCommand::LimitsGiven(_)
        | ClientCommand::LimitsMissing { .. }
        | ClientCommand::Agreement(_) => {
            bail!("internal: dispatched to the application layer")
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchNote {
    text: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    parties: Vec<String>,
    #[serde(default)]
    case_id: Option<String>,
    #[serde(default)]
    author: Option<String>,
    /// Accepted and ignored, so de-id style `{"id": ...}` lines import.
    #[serde(default)]
    #[allow(dead_code)]
    id: Option<serde_json::Value>,
}

fn parse_note(
    default_client: &ClientId,
    client: Option<&str>,
    text: String,
    parties: &[String],
    case_id: Option<&str>,
    author: Option<&str>,
) -> anyhow::Result<NewNote> {
    let client_id = match client {
        Some(c) => parse_client(c)?,
        None => default_client.clone(),
    };
    if text.trim().is_empty() {
        bail!("the note text is empty");
    }
    Ok(NewNote {
        client_id,
        case_id: case_id.map(str::parse::<CaseId>).transpose()?,
        author: author.map(str::parse::<PractitionerId>).transpose()?,
        parties: parties
            .iter()
            .map(|p| parse_client(p))
            .collect::<anyhow::Result<_>>()?,
        text,
    })
}

fn read_batch(path: &std::path::Path, client: &ClientId) -> anyhow::Result<Vec<NewNote>> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path)
                .with_context(|| format!("cannot read the batch file {}", path.display()))?,
        ))
    };
    let mut notes = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.context("cannot read the batch input")?;
        if line.trim().is_empty() {
            continue;
        }
        // serde's message could quote the text: report the line number only.
        let b: BatchNote = serde_json::from_str(&line).map_err(|_| {
            anyhow::anyhow!(
                "batch line {} is not a valid note object ({{\"text\": ...}})",
                i + 1
            )
        })?;
        let note = parse_note(
            client,
            b.client_id.as_deref(),
            b.text,
            &b.parties,
            b.case_id.as_deref(),
            b.author.as_deref(),
        )
        .with_context(|| format!("batch line {}", i + 1))?;
        notes.push(note);
    }
    Ok(notes)
}

async fn note(store: &Store, actor: &str, c: NoteCommand) -> anyhow::Result<ExitCode> {
    match c {
        NoteCommand::Add {
            client_id,
            text,
            parties,
            case_id,
            author,
            batch,
            chunk,
        } => {
            let client = parse_client(&client_id)?;
            if let Some(path) = batch {
                // Parse the whole batch first: malformed input writes nothing.
                let notes = read_batch(&path, &client)?;
                // ... and check all of it (text, size, every id it names)
                // before the first chunk commits: a bad note anywhere in
                // the batch writes nothing.
                store.check_notes(&notes).await?;
                let mut out = std::io::stdout().lock();
                for part in notes.chunks(chunk.max(1)) {
                    let ids = store.add_notes(actor, part).await?;
                    // Printed only once the chunk is committed: an id on
                    // stdout is an acknowledged, durable note.
                    for id in ids {
                        writeln!(out, "{id}")?;
                    }
                    out.flush()?;
                }
                drop(out);
                return Ok(ExitCode::SUCCESS);
            }
            let text = match text {
                Some(t) => t,
                None => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .context("cannot read the note text from stdin")?;
                    // The newline that ends the last line is not part of the note.
                    let trimmed = s.trim_end_matches(['\n', '\r']).len();
                    s.truncate(trimmed);
                    s
                }
            };
            let note = parse_note(
                &client,
                None,
                text,
                &parties,
                case_id.as_deref(),
                author.as_deref(),
            )?;
            let id = store.add_note(actor, &note).await?;
            println!("{id}");
        }
        NoteCommand::List { client_id, json } => {
            let client = parse_client(&client_id)?;
            let notes = store.list_notes(actor, &client).await?;
            if json {
                print_json(&notes)?;
            } else {
                let mut out = std::io::stdout().lock();
                for n in &notes {
                    writeln!(out, "{}  {}", n.id, n.created_at)?;
                    writeln!(out, "{}", super::terminal_safe(n.text.trim_end(), true))?;
                    writeln!(out)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn consent(store: &Store, actor: &str, c: ConsentCommand) -> anyhow::Result<ExitCode> {
    match c {
        ConsentCommand::Add {
            client_id,
            purpose,
            form,
            status,
            given_at,
            withdrawn_at,
            evidence,
            case_id,
        } => {
            let client = parse_client(&client_id)?;
            let purpose: ConsentPurpose = purpose.parse()?;
            let form: ConsentForm = form.parse()?;
            let status: ConsentStatus = status.parse()?;
            let mut given_at = given_at
                .as_deref()
                .map(|t| Timestamp::parse(t, "--given-at"))
                .transpose()?;
            let withdrawn_at = withdrawn_at
                .as_deref()
                .map(|t| Timestamp::parse(t, "--withdrawn-at"))
                .transpose()?;
            if given_at.is_none() && status == ConsentStatus::Given {
                given_at = Some(Timestamp(confidant_store::now_micros()));
            }
            let new = NewConsent {
                client_id: client,
                case_id: case_id.as_deref().map(str::parse::<CaseId>).transpose()?,
                purpose,
                form,
                status,
                given_at,
                withdrawn_at,
                evidence,
            };
            let id = store.add_consent(actor, &new).await?;
            println!("{id}");
        }
        ConsentCommand::List { client_id, json } => {
            let client = parse_client(&client_id)?;
            let consents = store.list_consents(actor, &client).await?;
            if json {
                print_json(&consents)?;
            } else {
                for c in consents {
                    println!(
                        "{}  {}  {}  {}  {}",
                        c.id, c.purpose, c.form, c.status, c.recorded_at
                    );
                }
            }
        }
        ConsentCommand::Export {
            client_id,
            fhir,
            policy,
        } => {
            if !fhir {
                bail!("choose an export format: --fhir");
            }
            confidant_policy::Policy::builtin(&policy)
                .map_err(|e| anyhow::anyhow!("--policy: {e}"))?;
            let client = parse_client(&client_id)?;
            let consents = store.list_consents(actor, &client).await?;
            let bundle = confidant_fhir::consent_bundle(
                &client,
                &consents,
                &policy,
                Timestamp(confidant_store::now_micros()),
            );
            print_json(&bundle)?;
        }
        ConsentCommand::Withdraw { .. } => {
            bail!("internal: dispatched to the application layer")
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn hold(store: &Store, actor: &str, c: HoldCommand) -> anyhow::Result<ExitCode> {
    match c {
        HoldCommand::Add { client_id, reason } => {
            let client = parse_client(&client_id)?;
            let reason: HoldReason = reason.parse()?;
            let id = store.place_hold(actor, &client, reason).await?;
            println!("{id}");
        }
        HoldCommand::Release { .. } | HoldCommand::List { .. } => {
            bail!("internal: dispatched to the application layer")
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `confidant store verify`: exit 0 when every row, link, digest and the
/// manifest verify; 1 naming the table and row id of what does not.
async fn store_verify(global: &super::GlobalOpts, json: bool) -> anyhow::Result<ExitCode> {
    let store = open(global).await?;
    let actor = match actor(Some(&store)).await {
        Ok(a) => a,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };
    let verdict = store.verify_store(&actor).await;
    store.close().await;
    let verdict = match verdict {
        Ok(summary) => Ok(summary),
        Err(
            e @ (confidant_store::StoreError::Tampered { .. }
            | confidant_store::StoreError::ManifestInvalid
            | confidant_store::StoreError::AuditCheckpointInvalid
            | confidant_store::StoreError::AuditTampered),
        ) => Err(e.to_string()),
        Err(e) => return Err(e.into()),
    };
    if json {
        let (value, code) = match &verdict {
            Ok(s) => (
                serde_json::json!({"ok": true, "clients": s.clients, "rows": s.rows}),
                ExitCode::SUCCESS,
            ),
            Err(problem) => (
                serde_json::json!({"ok": false, "problem": problem}),
                ExitCode::from(1),
            ),
        };
        print_json(&value)?;
        return Ok(code);
    }
    match verdict {
        Ok(s) => {
            println!("ok {} clients, {} rows", s.clients, s.rows);
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("tampered: {problem}");
            Ok(ExitCode::from(1))
        }
    }
}

async fn audit(global: &super::GlobalOpts, c: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = open(global).await?;
    match c {
        AuditCommand::Verify {
            since,
            public_key,
            json,
        } => {
            let pinned = public_key
                .as_deref()
                .map(|k| {
                    confidant_store::AuditVerifyingKey::from_hex(k)
                        .ok_or_else(|| anyhow::anyhow!("--public-key must be 64 hex digits"))
                })
                .transpose()?;
            let since = since
                .as_deref()
                .map(confidant_store::read_published_head)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
            let verdict = store.verify_audit_against(pinned, since.as_ref()).await?;
            store.close().await;
            if json {
                let (value, code) = match &verdict {
                    Ok(head) => (
                        serde_json::json!({
                            "ok": true,
                            "entries": head.count,
                            "head": head.signed.as_ref().map(ToString::to_string),
                            "public_key": head.signed.as_ref().map(|h| h.public_key.to_hex()),
                            "key_source": head.key_source.describe(),
                            "extends": since.as_ref().map(|s| s.count),
                        }),
                        ExitCode::SUCCESS,
                    ),
                    Err(problem) => (
                        serde_json::json!({"ok": false, "problem": problem.to_string()}),
                        ExitCode::from(1),
                    ),
                };
                print_json(&value)?;
                return Ok(code);
            }
            match verdict {
                Ok(head) => {
                    // stdout keeps the contract's one line; the signed head
                    // goes to stderr (`2>>heads.txt` keeps it for --since).
                    println!("ok {} entries", head.count);
                    match &head.signed {
                        Some(signed) => {
                            eprintln!("head: {signed}");
                            eprintln!(
                                "public key: {} ({})",
                                signed.public_key,
                                head.key_source.describe()
                            );
                        }
                        None => eprintln!(
                            "head: unsigned (this store has no audit signing key yet; open it with one to sign)"
                        ),
                    }
                    if let Some(s) = &since {
                        eprintln!("extends the published head of {} entries", s.count);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(problem) => {
                    println!("tampered: {problem}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        AuditCommand::Tail { n } => {
            let entries = store.audit_tail(n).await?;
            store.close().await;
            let mut out = std::io::stdout().lock();
            for e in entries {
                let line = serde_json::json!({
                    "seq": e.seq,
                    "at": Timestamp(e.at_unix_micros).to_string(),
                    "actor": e.actor,
                    "action": e.action.as_str(),
                    "record_ids": e.record_ids,
                });
                writeln!(out, "{line}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `confidant bench store`: measured figures for docs/store-benchmarks.md.
mod bench {
    use clap::Subcommand;
    use confidant_core::ids::ClientId;
    use confidant_core::record::{NewClient, NewNote};
    use confidant_crypto::MasterKey;
    use confidant_store::sqlx::{self, Connection, Row};
    use confidant_store::{Action, AuditCommitter, EntryDraft, Store, StoreConfig};
    use std::process::ExitCode;
    use std::sync::Arc;
    use std::time::Instant;

    #[derive(Debug, Subcommand)]
    pub enum BenchCommand {
        /// Note writes/reads and audit appends through the store (encryption
        /// and audit), against plain SQLite with the same bytes, in one run.
        /// Works in a fresh temporary directory; never touches --data. With
        /// --database-url (PostgreSQL) it creates and drops a database per
        /// size on that server and the plain reference is a PostgreSQL table.
        Store {
            /// Note counts to measure, comma-separated (e.g. 10000,100000).
            #[arg(long, default_value = "10000", value_delimiter = ',')]
            notes: Vec<usize>,
            /// Notes per transaction.
            #[arg(long, default_value_t = 1000)]
            batch: usize,
            /// Clients the notes are spread over.
            #[arg(long, default_value_t = 100)]
            clients: usize,
            /// Bytes of text per note.
            #[arg(long, default_value_t = 400)]
            text_bytes: usize,
            /// Audit entries appended in the audit-append measurements.
            #[arg(long, default_value_t = 100_000)]
            audit: usize,
            /// Concurrent tasks appending one entry at a time through the
            /// group committer.
            #[arg(long, default_value_t = 64)]
            tasks: usize,
            /// Where to create the temporary stores (default: the system temp dir).
            #[arg(long)]
            dir: Option<std::path::PathBuf>,
        },
        /// Matters: a de-identified package from a client with many notes,
        /// and opening-to-decision of many matters (see BENCHMARKS.md).
        Matters(super::super::matters::BenchMattersArgs),
        /// A complete subject access response for a client with many notes.
        Sar(super::super::sar::BenchSarArgs),
        /// Retention: a dry-run and an applied sweep over stores of many
        /// clients, a few of them due.
        Sweep(super::super::sar::BenchSweepArgs),
    }

    fn rate(n: usize, secs: f64) -> String {
        format!("{:.0}", n as f64 / secs.max(1e-9))
    }

    /// Deterministic note text of about `len` bytes, different per note.
    fn text(i: usize, len: usize) -> String {
        const WORDS: &[&str] = &[
            "session", "client", "reported", "sleep", "better", "anxious", "about", "work",
            "family", "we", "explored", "feelings", "of", "loss", "and", "agreed", "to",
            "continue", "next", "week",
        ];
        let mut s = format!("note {i}:");
        let mut x = i.wrapping_mul(2_654_435_761).wrapping_add(1);
        while s.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push(' ');
            s.push_str(WORDS[x % WORDS.len()]);
        }
        s.truncate(len);
        s
    }

    pub fn run(global: &super::super::GlobalOpts, c: BenchCommand) -> anyhow::Result<ExitCode> {
        let c = match c {
            BenchCommand::Matters(a) => return super::super::matters::bench(global, a),
            BenchCommand::Sar(a) => return super::super::sar::bench_sar(global, a),
            BenchCommand::Sweep(a) => return super::super::sar::bench_sweep(global, a),
            c => c,
        };
        let BenchCommand::Store {
            notes,
            batch,
            clients,
            text_bytes,
            audit,
            tasks,
            dir,
        } = c
        else {
            anyhow::bail!("internal: unknown bench");
        };
        let rt = confidant_store::tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let base = dir.unwrap_or_else(std::env::temp_dir);
        // With --database-url (PostgreSQL), each size runs in a database of
        // its own, created on that server and dropped afterwards.
        let admin = global.database_url.clone();
        println!(
            "| notes | store writes/s | plain writes/s | store reads/s | plain reads/s | audit appends/s (batch 1000) | audit appends/s (committer, {tasks} tasks) | audit appends/s (1 per txn) | verify entries/s (entries) |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for n in notes {
            let dir = base.join(format!("confidant-bench-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let db = format!("confidant_bench_{}_{n}", std::process::id());
            let db_url = match &admin {
                None => None,
                Some(a) => Some(rt.block_on(async {
                    let mut c = sqlx::PgConnection::connect(a).await?;
                    sqlx::raw_sql(&format!("CREATE DATABASE {db}"))
                        .execute(&mut c)
                        .await?;
                    let base = a.rsplit_once('/').map_or(a.as_str(), |(b, _)| b);
                    Ok::<_, anyhow::Error>(format!("{base}/{db}"))
                })?),
            };
            let row = rt.block_on(one(
                &dir,
                n,
                batch.max(1),
                clients.max(1),
                text_bytes,
                audit,
                tasks.max(1),
                db_url,
            ));
            let _ = std::fs::remove_dir_all(&dir);
            if let Some(a) = &admin {
                rt.block_on(async {
                    let mut c = sqlx::PgConnection::connect(a).await?;
                    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                        .execute(&mut c)
                        .await?;
                    Ok::<_, anyhow::Error>(())
                })?;
            }
            println!("{}", row?);
        }
        Ok(ExitCode::SUCCESS)
    }

    #[allow(clippy::too_many_arguments)] // one benchmark's knobs, named at the one call site
    async fn one(
        dir: &std::path::Path,
        n: usize,
        batch: usize,
        clients: usize,
        text_bytes: usize,
        audit: usize,
        tasks: usize,
        db_url: Option<String>,
    ) -> anyhow::Result<String> {
        let cfg = StoreConfig::new(dir.join("store"), db_url.clone());
        let store = Arc::new(Store::init_with_key(&cfg, MasterKey::generate(), "bench").await?);
        let mut ids: Vec<ClientId> = Vec::with_capacity(clients);
        for i in 0..clients {
            ids.push(
                store
                    .add_client(
                        "bench",
                        &NewClient {
                            name: format!("Client {i}"),
                            ..NewClient::default()
                        },
                    )
                    .await?,
            );
        }
        let all: Vec<NewNote> = (0..n)
            .map(|i| NewNote::new(ids[i % clients].clone(), text(i, text_bytes)))
            .collect();

        // Store writes: sealed, attributed and audited, `batch` per transaction.
        let t = Instant::now();
        let mut note_ids = Vec::with_capacity(n);
        for part in all.chunks(batch) {
            note_ids.extend(store.add_notes("bench", part).await?);
        }
        let store_w = t.elapsed().as_secs_f64();

        // Store reads: every client's notes, decrypted, each read audited.
        let t = Instant::now();
        let mut read = 0;
        for id in &ids {
            read += store.list_notes("bench", id).await?.len();
        }
        let store_r = t.elapsed().as_secs_f64();
        anyhow::ensure!(read == n, "read back {read} of {n} notes");

        // Plain reference: the same plaintext bytes, same ids, same batches,
        // same durability, no encryption or audit. SQLite: a separate file
        // with the store's pragmas (WAL, synchronous=FULL). PostgreSQL: a
        // plain table in the same database.
        macro_rules! plain_bench {
            ($plain:expr, $db:ty, $ddl:expr) => {{
                let plain = $plain;
                sqlx::raw_sql($ddl).execute(&mut *plain).await?;
                let t = Instant::now();
                for (part, idp) in all.chunks(batch).zip(note_ids.chunks(batch)) {
                    let mut tx = plain.begin().await?;
                    for chunk in part.iter().zip(idp).collect::<Vec<_>>().chunks(400) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO plain_notes (id, client_id, created_at, text) ",
                        );
                        qb.push_values(chunk, |mut b, (note, id)| {
                            b.push_bind(id.as_str().to_owned())
                                .push_bind(note.client_id.as_str().to_owned())
                                .push_bind(confidant_store::now_micros())
                                .push_bind(note.text.as_bytes().to_vec());
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                }
                let plain_w = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let mut pread = 0;
                for id in &ids {
                    let rows = sqlx::query::<$db>(
                        "SELECT id, created_at, text FROM plain_notes WHERE client_id = $1 ORDER BY seq",
                    )
                    .bind(id.as_str())
                    .fetch_all(&mut *plain)
                    .await?;
                    for r in rows {
                        let _id: String = r.try_get("id")?;
                        let bytes: Vec<u8> = r.try_get("text")?;
                        let _text = String::from_utf8(bytes)?;
                        pread += 1;
                    }
                }
                let plain_r = t.elapsed().as_secs_f64();
                anyhow::ensure!(pread == n, "plain read back {pread} of {n}");
                (plain_w, plain_r)
            }};
        }
        let (plain_w, plain_r) = match &db_url {
            None => {
                let opts = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(dir.join("plain.db"))
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
                let mut c = sqlx::SqliteConnection::connect_with(&opts).await?;
                let r = plain_bench!(
                    &mut c,
                    sqlx::Sqlite,
                    "CREATE TABLE plain_notes (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, \
                     client_id TEXT NOT NULL, created_at INTEGER NOT NULL, text BLOB NOT NULL); \
                     CREATE INDEX plain_notes_client ON plain_notes (client_id, seq);"
                );
                c.close().await?;
                r
            }
            Some(url) => {
                let mut c = sqlx::PgConnection::connect(url).await?;
                let r = plain_bench!(
                    &mut c,
                    sqlx::Postgres,
                    "CREATE TABLE plain_notes (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, \
                     client_id TEXT NOT NULL, created_at BIGINT NOT NULL, text BYTEA NOT NULL); \
                     CREATE INDEX plain_notes_client ON plain_notes (client_id, seq);"
                );
                c.close().await?;
                r
            }
        };

        // Audit appends, group-committed in batches of 1000.
        let drafts = |k: usize, tag: &str| -> Vec<EntryDraft> {
            (0..k)
                .map(|i| EntryDraft {
                    at_unix_micros: confidant_store::now_micros(),
                    actor: "bench".into(),
                    action: Action::Decision,
                    record_ids: vec![format!("{tag}-{i}")],
                })
                .collect()
        };
        let t = Instant::now();
        let all_drafts = drafts(audit, "b");
        let mut it = all_drafts.into_iter().peekable();
        while it.peek().is_some() {
            let part: Vec<EntryDraft> = it.by_ref().take(1000).collect();
            store.append_audit(part).await?;
        }
        let audit_batch = t.elapsed().as_secs_f64();

        // Audit appends one at a time from `tasks` concurrent tasks, coalesced
        // by the committer.
        let committer = AuditCommitter::start(store.clone());
        let per_task = audit.div_ceil(tasks);
        let t = Instant::now();
        let mut handles = Vec::new();
        for task in 0..tasks {
            let c = committer.clone();
            handles.push(confidant_store::tokio::spawn(async move {
                for i in 0..per_task {
                    c.record("bench", Action::Decision, vec![format!("c-{task}-{i}")])
                        .await?;
                }
                Ok::<(), confidant_store::StoreError>(())
            }));
        }
        for h in handles {
            h.await??;
        }
        let audit_committer = t.elapsed().as_secs_f64();

        // For contrast: one durable transaction per entry.
        let single = 200;
        let t = Instant::now();
        for i in 0..single {
            store
                .record_event("bench", Action::Decision, vec![format!("s-{i}")])
                .await?;
        }
        let audit_single = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let verified = store
            .verify_audit()
            .await?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let verify = t.elapsed().as_secs_f64();
        store.close().await;

        Ok(format!(
            "| {n} | {} | {} | {} | {} | {} | {} | {} | {} ({verified}) |",
            rate(n, store_w),
            rate(n, plain_w),
            rate(n, store_r),
            rate(n, plain_r),
            rate(audit, audit_batch),
            rate(per_task * tasks, audit_committer),
            rate(single, audit_single),
            rate(usize::try_from(verified).unwrap_or(0), verify),
        ))
    }
}
