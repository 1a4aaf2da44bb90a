//! The `Store` facade and the two backends.
//!
//! The backend is chosen once, in [`Store::open`] / [`Store::init`], from
//! the configuration: a `postgres://` URL selects PostgreSQL, otherwise the
//! embedded SQLite file in the data directory. Each public method dispatches
//! to the same operation compiled for that backend (`ops.rs`, included into
//! `sqlite_ops` and `pg_ops` below), so the models carry no backend `cfg`s.

use crate::anchor::{
    AuditHead, FileWitness, HeadWitness, KeySource, StoredCheckpoint, VerifiedLog, VerifyPlan,
    check_signed_checkpoint,
};
use crate::certificate::{
    CertificateRecord, DestroyPlan, DestructionReport, SharedNotesDecision, SharedNotesReport,
    ShownCertificate, StorageStatus, certificate_json, certificate_message,
};
use crate::error::{Result, StoreError, io_error};
use crate::keys::{
    Keys, SealedClient, aad, chain_at, checkpoint_from_parts, draft, entry_from_parts,
    new_id_bytes, now_micros, open_text, open_text_padded, seal_padded, seq_to_i64,
};
use confidant_audit::SignedHead;
use confidant_audit::{Action, Chain, Entry, EntryDraft, Verifier, VerifyError};
use confidant_core::ids::{CaseId, ClientId, ConsentId, HoldId, NoteId, PractitionerId};
use confidant_core::record::{
    Case, CaseKind, CivilDate, Client, ClientFlags, Consent, DestroyedCounts, FieldError,
    HoldReason, LegalHold, NewClient, NewConsent, NewNote, NhsNumber, Note, Practitioner, Role,
    Timestamp,
};
use confidant_core::vocab::ConsentStatus;
use confidant_crypto::{
    AuditSigningKey, AuditVerifyingKey, DataKey, KeyFileLock, KeyRing, MasterKey, SecretString,
    seal,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Notes named per `note.read` audit entry when a list is read.
const READ_IDS_PER_ENTRY: usize = 1000;

macro_rules! backend_ops {
    ($name:ident, $db:ty) => {
        #[allow(clippy::too_many_arguments)]
        pub(crate) mod $name {
            use super::*;
            type Db = $db;
            include!("ops.rs");
            include!("ops_keys.rs");
            include!("ops_integrity.rs");
        }
    };
}
backend_ops!(sqlite_ops, sqlx::Sqlite);
backend_ops!(pg_ops, sqlx::Postgres);

/// Matters, steps and disclosures (`matters.rs`), compiled per backend like
/// `ops.rs` and sharing its audit helpers.
macro_rules! matter_ops {
    ($name:ident, $ops:ident, $db:ty) => {
        #[allow(clippy::too_many_arguments)]
        pub(crate) mod $name {
            use super::$ops::{lock_chain, write_entries};
            use super::*;
            use crate::matter_model::*;
            use confidant_core::ids::{DisclosureId, MatterEventId, MatterId, PackageId};
            type Db = $db;
            include!("matters.rs");
        }
    };
}
matter_ops!(sqlite_matters, sqlite_ops, sqlx::Sqlite);
matter_ops!(pg_matters, pg_ops, sqlx::Postgres);

mod matters_api;

/// Retention listings and the access log (`retention.rs`), compiled per
/// backend like `ops.rs`.
macro_rules! retention_ops {
    ($name:ident, $db:ty) => {
        pub(crate) mod $name {
            use super::*;
            use crate::retention_model::*;
            type Db = $db;
            include!("retention.rs");
        }
    };
}
retention_ops!(sqlite_retention, sqlx::Sqlite);
retention_ops!(pg_retention, sqlx::Postgres);

mod retention_api;

/// What the service promised and did, and policy reviews (`promises.rs`),
/// compiled per backend like `ops.rs` and sharing its audit helpers.
macro_rules! promise_ops {
    ($name:ident, $ops:ident, $db:ty) => {
        pub(crate) mod $name {
            use super::$ops::{lock_chain, place_hold_tx, release_hold_tx, write_entries};
            use super::*;
            use crate::promise_model::*;
            use confidant_core::ids::{PromiseId, ReviewId};
            type Db = $db;
            include!("promises.rs");
        }
    };
}
promise_ops!(sqlite_promises, sqlite_ops, sqlx::Sqlite);
promise_ops!(pg_promises, pg_ops, sqlx::Postgres);

mod promises_api;

/// Matters escalated to a safeguarding officer (`escalations.rs`),
/// compiled per backend like `promises.rs`.
macro_rules! escalation_ops {
    ($name:ident, $ops:ident, $db:ty) => {
        pub(crate) mod $name {
            use super::$ops::{lock_chain, write_entries};
            use super::*;
            use crate::matter_model::StoredEscalation;
            use confidant_core::ids::{EscalationId, MatterId, UserId};
            type Db = $db;
            include!("escalations.rs");
        }
    };
}
escalation_ops!(sqlite_escalations, sqlite_ops, sqlx::Sqlite);
escalation_ops!(pg_escalations, pg_ops, sqlx::Postgres);

mod escalations_api;

/// Server accounts, sessions, tokens and break-glass grants
/// (`accounts.rs`), compiled per backend like `ops.rs` and sharing its
/// audit helpers.
macro_rules! account_ops {
    ($name:ident, $ops:ident, $db:ty) => {
        #[allow(clippy::too_many_arguments)]
        pub(crate) mod $name {
            use super::$ops::{lock_chain, write_entries};
            use super::*;
            use crate::account_model::*;
            use confidant_core::ids::{GrantId, SessionId, TokenId, UserId};
            use zeroize::Zeroizing;
            type Db = $db;
            include!("accounts.rs");
            include!("account_admin.rs");
        }
    };
}
account_ops!(sqlite_accounts, sqlite_ops, sqlx::Sqlite);
account_ops!(pg_accounts, pg_ops, sqlx::Postgres);

mod account_admin_api;
mod accounts_api;
pub use account_admin_api::CoalescedRefusal;

/// Which database holds the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the store lives. Keys are always in `data_dir`; the records are in
/// `data_dir/confidant.db` unless `database_url` names a PostgreSQL database.
#[derive(Clone)]
pub struct StoreConfig {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// The Ed25519 audit signing key (default `DATA_DIR/audit-signing.key`):
    /// keep it where database administrators cannot read it.
    pub audit_signing_key: Option<PathBuf>,
    /// A file on another volume that receives every new signed head.
    pub audit_witness: Option<PathBuf>,
    /// The cap on a note's text in bytes (default
    /// `confidant_core::record::DEFAULT_MAX_NOTE_BYTES`).
    pub max_note_bytes: Option<usize>,
}

// The URL may carry a password: never print it.
impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "(set)"))
            .field("audit_signing_key", &self.audit_signing_key)
            .field("audit_witness", &self.audit_witness)
            .field("max_note_bytes", &self.max_note_bytes)
            .finish()
    }
}

impl StoreConfig {
    pub fn new(data_dir: impl Into<PathBuf>, database_url: Option<String>) -> StoreConfig {
        StoreConfig {
            data_dir: data_dir.into(),
            database_url,
            audit_signing_key: None,
            audit_witness: None,
            max_note_bytes: None,
        }
    }

    /// Caps a note's text at `max` bytes (`--max-note-bytes`).
    pub fn with_max_note_bytes(mut self, max: Option<usize>) -> StoreConfig {
        self.max_note_bytes = max;
        self
    }

    /// Where the signing key lives (`--audit-signing-key`).
    pub fn with_audit_signing_key(mut self, path: Option<PathBuf>) -> StoreConfig {
        self.audit_signing_key = path;
        self
    }

    /// Appends each new signed head to `path` (`--audit-witness`).
    pub fn with_audit_witness(mut self, path: Option<PathBuf>) -> StoreConfig {
        self.audit_witness = path;
        self
    }

    pub fn signing_key_path(&self) -> PathBuf {
        self.audit_signing_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join(confidant_crypto::SIGNING_KEY_FILE_NAME))
    }

    pub fn backend(&self) -> Backend {
        match &self.database_url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Backend::Postgres
            }
            _ => Backend::Sqlite,
        }
    }

    /// The SQLite database file (when the backend is SQLite).
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("confidant.db")
    }
}

enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The case-record store. Cheap to share behind an `Arc`; every method takes
/// the acting user's id (`actor`), which goes into the audit entries.
pub struct Store {
    db: Db,
    keys: Keys,
    witness: Option<Box<dyn HeadWitness>>,
    /// The newest head count handed to the witness.
    published: std::sync::atomic::AtomicU64,
    /// The last witness failure, for the caller to report.
    witness_error: std::sync::Mutex<Option<String>>,
    /// Group commit of read audit entries (`read_group.rs`).
    reads: crate::read_group::ReadGroup,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// Calls the operation `$f` on whichever backend this store runs. An
/// operation that met a KEK generation changed by another process's
/// destruction (its transaction rolled back) is run once more with the
/// re-read key file; after a success the new signed head goes to the
/// witness.
macro_rules! dispatch {
    ($self:ident . $f:ident ( $($arg:expr),* $(,)? )) => {{
        // With a witness: its last head, which `lock_chain` requires the
        // log to extend.
        $self.load_witness_anchor()?;
        let mut out = dispatch_once!($self.$f($($arg),*));
        // Each retry sees a newer generation; only back-to-back
        // destructions in other processes can need more than one.
        for _ in 0..KEY_GENERATION_RETRIES {
            if !matches!(out, Err(StoreError::KeyGenerationChanged)) {
                break;
            }
            out = dispatch_once!($self.$f($($arg),*));
        }
        if out.is_ok() {
            $self.publish_head().await;
        }
        out
    }};
}

/// Reruns of an operation whose transaction met a KEK generation changed by
/// a concurrent destruction.
const KEY_GENERATION_RETRIES: usize = 8;

/// A read-only step (no audit entry of its own; see `commit_read`), rerun
/// like `dispatch!` when a concurrent destruction changed the key
/// generation.
macro_rules! dispatch_read {
    ($self:ident . $f:ident ( $($arg:expr),* $(,)? )) => {{
        let mut out = dispatch_once!($self.$f($($arg),*));
        for _ in 0..KEY_GENERATION_RETRIES {
            if !matches!(out, Err(StoreError::KeyGenerationChanged)) {
                break;
            }
            out = dispatch_once!($self.$f($($arg),*));
        }
        out
    }};
}

macro_rules! dispatch_once {
    ($self:ident . $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$self.db {
            Db::Sqlite(pool) => sqlite_ops::$f(pool, &$self.keys, $($arg),*).await,
            Db::Postgres(pool) => pg_ops::$f(pool, &$self.keys, $($arg),*).await,
        }
    };
}

fn sqlite_options(path: &Path, create: bool) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit is on disk (WAL fsynced) before it returns.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        // Deleted content is overwritten with zeros, not left in free space.
        .pragma("secure_delete", "ON")
}

async fn connect_sqlite(path: &Path, create: bool) -> Result<SqlitePool> {
    Ok(SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(sqlite_options(path, create))
        .await?)
}

/// Opens an existing SQLite store. A WAL database on a read-only disk cannot
/// be opened normally once its `-shm` file is gone (SQLite needs to create
/// it); if the file cannot be opened for writing and no WAL content is
/// pending, it is opened immutable instead, so it can still be read and
/// verified, and every write fails as read-only.
async fn open_sqlite(path: &Path) -> Result<SqlitePool> {
    match connect_sqlite(path, false).await {
        Err(StoreError::CannotOpen(_)) | Err(StoreError::ReadOnly) => {
            let writable = std::fs::OpenOptions::new().write(true).open(path);
            let read_only = matches!(
                writable.as_ref().map_err(std::io::Error::kind),
                Err(std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied)
            );
            let mut wal = path.as_os_str().to_owned();
            wal.push("-wal");
            let wal_pending = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
            if !read_only || wal_pending {
                return connect_sqlite(path, false).await;
            }
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .read_only(true)
                .immutable(true)
                .busy_timeout(Duration::from_secs(5));
            Ok(SqlitePoolOptions::new()
                .max_connections(2)
                .connect_with(opts)
                .await?)
        }
        other => other,
    }
}

async fn connect_postgres(url: &str) -> Result<PgPool> {
    let opts = PgConnectOptions::from_str(url).map_err(|_| {
        StoreError::CannotOpen("the --database-url is not a valid postgres:// URL".into())
    })?;
    Ok(PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await?)
}

impl Store {
    /// Creates a new store: the master key file in `data_dir` (random, or
    /// from `passphrase` via Argon2id; holding the first key-encryption
    /// key), the audit signing key, and the database schema, and writes the
    /// first audit entry. Refuses an existing key file or store. A failed
    /// init removes what it created (key files, database files, the data
    /// directory if it made it), so it can simply be run again.
    pub async fn init(
        cfg: &StoreConfig,
        passphrase: Option<&SecretString>,
        actor: &str,
    ) -> Result<Store> {
        // Refuse before creating anything, so a refused init leaves no trace.
        let key_path = confidant_crypto::key_file_path(&cfg.data_dir);
        if std::fs::symlink_metadata(&key_path).is_ok() {
            return Err(confidant_crypto::CryptoError::KeyFileExists { path: key_path }.into());
        }
        if let Some(pass) = passphrase {
            confidant_crypto::check_passphrase_strength(pass)?;
        }
        if cfg.backend() == Backend::Sqlite && cfg.sqlite_path().exists() {
            return Err(StoreError::AlreadyInitialised);
        }
        let created_dir = !cfg.data_dir.exists();
        let signing_existed = cfg.signing_key_path().exists();
        let result = Store::init_inner(cfg, passphrase, actor).await;
        if result.is_err() {
            // Undo: nothing of a failed init may remain.
            let _ = std::fs::remove_file(&key_path);
            if !signing_existed {
                let _ = std::fs::remove_file(cfg.signing_key_path());
            }
            if cfg.backend() == Backend::Sqlite {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut p = cfg.sqlite_path().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(p));
                }
            }
            let _ = std::fs::remove_file(cfg.data_dir.join(confidant_crypto::LOCK_FILE_NAME));
            if created_dir {
                let _ = std::fs::remove_dir(&cfg.data_dir);
            }
        }
        result
    }

    async fn init_inner(
        cfg: &StoreConfig,
        passphrase: Option<&SecretString>,
        actor: &str,
    ) -> Result<Store> {
        let db = match cfg.backend() {
            Backend::Sqlite => {
                create_private_dir(&cfg.data_dir)?;
                let pool = connect_sqlite(&cfg.sqlite_path(), true).await?;
                restrict_permissions(&cfg.data_dir, &cfg.sqlite_path())?;
                Db::Sqlite(pool)
            }
            Backend::Postgres => {
                create_private_dir(&cfg.data_dir)?;
                Db::Postgres(connect_postgres(cfg.database_url.as_deref().unwrap_or("")).await?)
            }
        };
        // The database is checked before the key file is made, so a refused
        // init leaves no stray key behind.
        let initialised = match &db {
            Db::Sqlite(_) => false,
            Db::Postgres(p) => {
                sqlx::query("SELECT 1 FROM information_schema.tables WHERE table_name = 'meta'")
                    .fetch_optional(p)
                    .await?
                    .is_some()
            }
        };
        if initialised {
            if let Db::Postgres(p) = &db {
                let has_key = sqlx::query("SELECT 1 FROM meta WHERE k = 'key_check'")
                    .fetch_optional(p)
                    .await?
                    .is_some();
                if has_key {
                    return Err(StoreError::AlreadyInitialised);
                }
            }
        }
        // PostgreSQL: the tables this init creates, so a failure can drop
        // them again (DDL outside one transaction cannot simply roll back).
        let tables_before = match &db {
            Db::Sqlite(_) => Vec::new(),
            Db::Postgres(p) => pg_tables(p).await?,
        };
        let result = async {
            migrate(&db).await?;
            let master = MasterKey::init(&cfg.data_dir, passphrase)?;
            let ring = KeyRing::load(&cfg.data_dir, &master)?
                .ok_or(StoreError::Corrupt { what: "key file" })?;
            Ok::<KeyRing, StoreError>(ring)
        }
        .await;
        let ring = match result {
            Ok(ring) => ring,
            Err(e) => {
                if let Db::Postgres(p) = &db {
                    drop_new_tables(p, &tables_before).await;
                }
                return Err(e);
            }
        };
        let pg = match &db {
            Db::Postgres(p) => Some(p.clone()),
            Db::Sqlite(_) => None,
        };
        let store = Store::initialise_with(cfg, db, ring, actor).await;
        if store.is_err() {
            if let Some(p) = &pg {
                drop_new_tables(p, &tables_before).await;
            }
        }
        store
    }

    async fn initialise_with(
        cfg: &StoreConfig,
        db: Db,
        ring: KeyRing,
        actor: &str,
    ) -> Result<Store> {
        let signer_path = cfg.signing_key_path();
        let signer = match AuditSigningKey::load(&signer_path) {
            Ok(k) => k,
            Err(confidant_crypto::CryptoError::KeyFileMissing { .. }) => {
                AuditSigningKey::create(&signer_path)?
            }
            Err(e) => return Err(e.into()),
        };
        let generation = ring.newest_generation();
        let store = Store::assemble(cfg, db, ring, Some(signer));
        store.keys.set_generation(generation);
        dispatch!(store.initialise(actor))?;
        Ok(store)
    }

    fn assemble(
        cfg: &StoreConfig,
        db: Db,
        ring: KeyRing,
        signer: Option<AuditSigningKey>,
    ) -> Store {
        let mut keys = Keys::with_ring(ring, signer, cfg.data_dir.clone());
        keys.signer_path = cfg.signing_key_path();
        if let Some(max) = cfg.max_note_bytes {
            keys.max_note_bytes = max;
        }
        Store {
            db,
            keys,
            witness: cfg
                .audit_witness
                .as_ref()
                .map(|p| Box::new(FileWitness::new(p)) as Box<dyn HeadWitness>),
            published: std::sync::atomic::AtomicU64::new(0),
            witness_error: std::sync::Mutex::new(None),
            reads: crate::read_group::ReadGroup::default(),
        }
    }

    /// Like [`Store::init`] with a master key the caller already holds (tests
    /// and benchmarks, which cannot afford Argon2id per store). Writes a
    /// random-kind key file for it in `data_dir` if there is none (the KEK
    /// generations live there), and the audit signing key.
    pub async fn init_with_key(cfg: &StoreConfig, master: MasterKey, actor: &str) -> Result<Store> {
        create_private_dir(&cfg.data_dir)?;
        let db = match cfg.backend() {
            Backend::Sqlite => Db::Sqlite(connect_sqlite(&cfg.sqlite_path(), true).await?),
            Backend::Postgres => {
                Db::Postgres(connect_postgres(cfg.database_url.as_deref().unwrap_or("")).await?)
            }
        };
        migrate(&db).await?;
        let ring = match KeyRing::load(&cfg.data_dir, &master)? {
            Some(ring) => ring,
            None => {
                let mut ring = KeyRing::generate_for(master);
                ring.write_new(&cfg.data_dir)?;
                ring
            }
        };
        Store::initialise_with(cfg, db, ring, actor).await
    }

    /// Opens an existing store with its master key. Reads the key file's
    /// KEK generations (a store without a key file, e.g. one opened with a
    /// bare key, uses the master key alone) and the audit signing key (if
    /// absent, the store can be read by `verify` but refuses audited
    /// operations). A store from before signing began is upgraded on open:
    /// a signing key is created if none exists and the checkpoint signed.
    pub async fn open(cfg: &StoreConfig, master: MasterKey) -> Result<Store> {
        let db = match cfg.backend() {
            Backend::Sqlite => {
                if !cfg.sqlite_path().exists() {
                    return Err(StoreError::NotInitialised);
                }
                check_private_files(&cfg.data_dir, &cfg.sqlite_path())?;
                Db::Sqlite(open_sqlite(&cfg.sqlite_path()).await?)
            }
            Backend::Postgres => {
                check_private_files(&cfg.data_dir, &cfg.data_dir)?;
                Db::Postgres(connect_postgres(cfg.database_url.as_deref().unwrap_or("")).await?)
            }
        };
        let ring = KeyRing::load(&cfg.data_dir, &master)?
            .unwrap_or_else(|| KeyRing::from_master(master.clone()));
        let signer_path = cfg.signing_key_path();
        let signer = match AuditSigningKey::load(&signer_path) {
            Ok(k) => Some(k),
            Err(confidant_crypto::CryptoError::KeyFileMissing { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let mut store = Store::assemble(cfg, db, ring, signer);
        dispatch_once!(store.check_key())?;
        migrate_if_behind(&store.db).await?;
        let recorded = dispatch_once!(store.read_public_key())?;
        store.keys.set_verifying_key(recorded);
        // A signing key that does not match the recorded public key is kept:
        // every audited operation then refuses (AuditSigningKeyMismatch),
        // and `audit verify`, trusting the signing key, names the mismatch.
        let generation = dispatch_once!(store.read_generation())?;
        if !store.keys.ring().has_generation(generation) {
            return Err(StoreError::KeyFileStale { generation });
        }
        store.keys.set_generation(generation);
        let format_recorded = dispatch_once!(store.read_records_format())?;
        // Whether the store is "old" is decided from the verified audit
        // log, never from a missing `meta` row or column alone (SQL access
        // could delete those to have this open re-seal or re-sign what the
        // attacker wrote). None: the log does not verify.
        let history = if recorded.is_none() || !format_recorded {
            dispatch_once!(store.log_history())?
        } else {
            None
        };
        let legacy_unsigned = history.is_some_and(|h| !h.signed);
        if recorded.is_none()
            && legacy_unsigned
            && store.keys.signer.is_none()
            && !signer_path.exists()
        {
            // A store from before signing began (the log shows it never
            // signed, and no signing key exists beside it): upgrade it,
            // best effort. A key this open made is removed again if the
            // upgrade fails, so an existing key file always means a store
            // that signs.
            if let Ok(k) = AuditSigningKey::create(&signer_path) {
                store.keys.signer = Some(k);
                if dispatch_once!(store.upgrade_signing("system:upgrade")).is_err() {
                    store.keys.signer = None;
                    let _ = std::fs::remove_file(&signer_path);
                }
            }
        }
        // Otherwise a missing record is tampering (or this process lacks
        // the signing key): every audited operation refuses, naming it
        // (`check_signed_checkpoint`), and `audit verify` reports it.
        //
        // Schema 5: rows written in the old format (plaintext metadata,
        // unauthenticated rows) are sealed and authenticated now, in one
        // signed transaction, only if the log shows the store never was at
        // schema 5; a store that cannot be written stays unreadable
        // ("upgrade pending") rather than be read unauthenticated.
        let seal = |store: &Store| {
            store
                .keys
                .records_sealed
                .store(true, std::sync::atomic::Ordering::SeqCst);
        };
        if format_recorded {
            seal(&store);
        } else if history.is_some_and(|h| !h.sealed) {
            store.load_witness_anchor()?;
            dispatch_once!(store.upgrade_records("system:upgrade"))?;
        } else {
            // The marker was deleted from a sealed store (or the log was
            // tampered with): read nothing from the plaintext columns, and
            // refuse every operation with the tampering named.
            seal(&store);
            store
                .keys
                .format_marker_missing
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        store.prune_dead_generations().await;
        Ok(store)
    }

    /// Removes KEK generations older than the database's from the key file:
    /// left there when a process stopped between a destruction's commit and
    /// its key-file rewrite. Such a generation opens nothing the database
    /// still uses, only old backups: erasing it completes the destruction.
    /// Best effort, under the key-file lock.
    async fn prune_dead_generations(&self) {
        let ring = self.keys.ring();
        if !ring.is_file_backed() {
            return;
        }
        let current = self.keys.generation();
        if !ring.generations().iter().any(|g| *g < current) {
            return;
        }
        let Ok(Some(_lock)) = KeyFileLock::try_acquire(&self.keys.data_dir) else {
            return;
        };
        let Ok(Some(on_disk)) = self.keys.ring_on_disk() else {
            return;
        };
        let Ok(generation) = dispatch_once!(self.read_generation()) else {
            return;
        };
        let mut pruned = on_disk.retaining(|g| g >= generation);
        if pruned.generations().is_empty() || pruned.write(&self.keys.data_dir).is_err() {
            return;
        }
        self.keys.set_ring(pruned);
    }

    /// Hands the committed head to the witness, if one is configured and
    /// the head is newer than the last one published.
    async fn publish_head(&self) {
        let Some(witness) = &self.witness else {
            return;
        };
        let head = match &self.db {
            Db::Sqlite(pool) => sqlite_ops::current_head(pool, &self.keys).await,
            Db::Postgres(pool) => pg_ops::current_head(pool, &self.keys).await,
        };
        let head = match head {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(e) => {
                self.note_witness_error(e.to_string());
                return;
            }
        };
        let last = self.published.load(std::sync::atomic::Ordering::SeqCst);
        if head.count <= last && last != 0 {
            return;
        }
        // Never publish a head that does not extend the witness's last
        // one: that would hide a rollback from `audit verify --since`.
        let extends = match witness.last_head() {
            Ok(None) => Ok(true),
            Ok(Some(prev)) if head.count == prev.count => Ok(head.head_hash == prev.head_hash),
            Ok(Some(prev)) if head.count < prev.count => Ok(false),
            Ok(Some(prev)) => match &self.db {
                Db::Sqlite(pool) => {
                    sqlite_ops::log_extends(pool, &self.keys, prev.count, prev.head_hash).await
                }
                Db::Postgres(pool) => {
                    pg_ops::log_extends(pool, &self.keys, prev.count, prev.head_hash).await
                }
            }
            .map_err(|e| e.to_string()),
            Err(e) => Err(format!("cannot read the audit witness: {e}")),
        };
        match extends {
            Ok(true) => {}
            Ok(false) => {
                let published = witness.last_head().ok().flatten().map_or(0, |h| h.count);
                self.note_witness_error(
                    StoreError::WitnessRollback {
                        have: head.count,
                        published,
                    }
                    .to_string(),
                );
                return;
            }
            Err(e) => {
                self.note_witness_error(e);
                return;
            }
        }
        if head.count == witness.last_head().ok().flatten().map_or(0, |h| h.count) {
            return;
        }
        match witness.publish(&head) {
            Ok(()) => {
                self.published
                    .fetch_max(head.count, std::sync::atomic::Ordering::SeqCst);
            }
            Err(e) => self.note_witness_error(format!("cannot publish the audit head: {e}")),
        }
    }

    /// Reads the witness's last head (if a witness is configured) for
    /// `lock_chain` to check against. A head that is not this store's
    /// (another key) or cannot be read is refused.
    fn load_witness_anchor(&self) -> Result<()> {
        let Some(witness) = &self.witness else {
            return Ok(());
        };
        let head = witness
            .last_head()
            .map_err(|e| StoreError::Witness(format!("cannot read its last head: {e}")))?;
        let anchor = match head {
            None => None,
            Some(h) => {
                let ours = self
                    .keys
                    .verifying_key()
                    .or_else(|| self.keys.signer.as_ref().map(|s| s.verifying_key()));
                if !h.verify() || ours.is_some_and(|k| k != h.public_key) {
                    return Err(StoreError::Witness(
                        "its last head is not signed by this store's audit key (another store's witness, or a replaced key); run `confidant audit verify --since WITNESS`".to_owned(),
                    ));
                }
                Some((h.count, h.head_hash))
            }
        };
        self.keys.set_witness_anchor(anchor);
        Ok(())
    }

    fn note_witness_error(&self, message: String) {
        if let Ok(mut slot) = self.witness_error.lock() {
            *slot = Some(message);
        }
    }

    /// Publishes every new head to `witness` instead of the configured
    /// file (a server's HTTP publisher, a transparency log).
    pub fn set_witness(&mut self, witness: Box<dyn HeadWitness>) {
        self.witness = Some(witness);
    }

    /// The last failure to publish a head to the witness, if any (the
    /// change itself was committed).
    pub fn take_witness_error(&self) -> Option<String> {
        self.witness_error.lock().ok().and_then(|mut s| s.take())
    }

    /// The audit public key this store records (None: not yet upgraded).
    pub fn audit_public_key(&self) -> Option<AuditVerifyingKey> {
        self.keys.verifying_key()
    }

    /// Whether this process holds the audit signing key.
    pub fn has_signing_key(&self) -> bool {
        self.keys.signer.is_some()
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes the connection pool (waits for connections to finish).
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    pub async fn add_client(&self, actor: &str, client: &NewClient) -> Result<ClientId> {
        dispatch!(self.add_client(actor, client))
    }

    /// Registers several clients in one transaction and one durable commit
    /// (a bulk import; each gets its own `client.create` entry). All or
    /// nothing: any invalid client refuses the whole batch.
    pub async fn add_clients(&self, actor: &str, clients: &[NewClient]) -> Result<Vec<ClientId>> {
        dispatch!(self.add_clients(actor, clients))
    }

    pub async fn get_client(&self, actor: &str, id: &ClientId) -> Result<Client> {
        let client = dispatch_read!(self.read_client(id))?;
        self.commit_read(vec![draft(actor, Action::ClientRead, vec![id.to_string()])])
            .await?;
        Ok(client)
    }

    pub async fn set_client_flags(
        &self,
        actor: &str,
        id: &ClientId,
        flags: ClientFlags,
    ) -> Result<()> {
        dispatch!(self.set_client_flags(actor, id, flags))
    }

    /// Clients whose full name or one name part matches (blind index).
    pub async fn find_clients_by_name(&self, actor: &str, name: &str) -> Result<Vec<ClientId>> {
        dispatch!(self.find_clients_by_name(actor, name))
    }

    pub async fn add_practitioner(
        &self,
        actor: &str,
        name: &str,
        roles: &[Role],
    ) -> Result<PractitionerId> {
        dispatch!(self.add_practitioner(actor, name, roles))
    }

    pub async fn get_practitioner(&self, id: &PractitionerId) -> Result<Practitioner> {
        dispatch!(self.get_practitioner(id))
    }

    pub async fn add_case(
        &self,
        actor: &str,
        kind: CaseKind,
        parties: &[ClientId],
    ) -> Result<CaseId> {
        let ok = match kind {
            CaseKind::Individual => parties.len() == 1,
            CaseKind::Couple => parties.len() == 2,
            CaseKind::Group => !parties.is_empty(),
        };
        if !ok {
            return Err(FieldError::Empty {
                field: "case parties (individual: 1, couple: 2, group: 1 or more)",
            }
            .into());
        }
        dispatch!(self.add_case(actor, kind, parties))
    }

    pub async fn get_case(&self, actor: &str, id: &CaseId) -> Result<Case> {
        dispatch!(self.get_case(actor, id))
    }

    pub async fn add_note(&self, actor: &str, note: &NewNote) -> Result<NoteId> {
        let ids = self.add_notes(actor, std::slice::from_ref(note)).await?;
        ids.into_iter().next().ok_or(StoreError::Corrupt {
            what: "note insert returned no id",
        })
    }

    /// The notes a client shares with others (the joint notes it owns and
    /// the notes other clients own that name it), decrypted, for a caller
    /// deciding what a destruction keeps. Audited as `note.read`.
    pub async fn shared_notes(&self, actor: &str, client: &ClientId) -> Result<Vec<Note>> {
        dispatch!(self.shared_notes(actor, client))
    }

    /// Writes many notes in one transaction: one durable commit for the batch.
    pub async fn add_notes(&self, actor: &str, notes: &[NewNote]) -> Result<Vec<NoteId>> {
        dispatch!(self.add_notes(actor, notes))
    }

    /// Checks a whole batch of notes (text, size cap, and that every
    /// client, party, case and author exists) without writing anything, so
    /// a batch committed in chunks is refused before its first commit.
    pub async fn check_notes(&self, notes: &[NewNote]) -> Result<()> {
        dispatch_once!(self.check_notes(notes))
    }

    pub async fn list_notes(&self, actor: &str, client: &ClientId) -> Result<Vec<Note>> {
        let (notes, drafts) = dispatch_read!(self.read_notes(actor, client))?;
        self.commit_read(drafts).await?;
        Ok(notes)
    }

    pub async fn count_notes(&self, client: &ClientId) -> Result<u64> {
        match &self.db {
            Db::Sqlite(p) => sqlite_ops::count_notes(p, client).await,
            Db::Postgres(p) => pg_ops::count_notes(p, client).await,
        }
    }

    pub async fn add_consent(&self, actor: &str, consent: &NewConsent) -> Result<ConsentId> {
        dispatch!(self.add_consent(actor, consent))
    }

    pub async fn list_consents(&self, actor: &str, client: &ClientId) -> Result<Vec<Consent>> {
        let (consents, drafts) = dispatch_read!(self.read_consents(actor, client))?;
        self.commit_read(drafts).await?;
        Ok(consents)
    }

    pub async fn withdraw_consent(&self, actor: &str, id: &ConsentId, at: Timestamp) -> Result<()> {
        dispatch!(self.withdraw_consent(actor, id, at))
    }

    pub async fn place_hold(
        &self,
        actor: &str,
        client: &ClientId,
        reason: HoldReason,
    ) -> Result<HoldId> {
        dispatch!(self.place_hold(actor, client, reason))
    }

    pub async fn release_hold(&self, actor: &str, id: &HoldId) -> Result<()> {
        dispatch!(self.release_hold(actor, id))
    }

    /// A client's legal holds, each checked (MAC, seal) with the client's
    /// digest. Not audited here: callers record `legal_hold.list`.
    pub async fn list_holds(&self, client: &ClientId) -> Result<Vec<LegalHold>> {
        dispatch_once!(self.list_holds(client))
    }

    /// Checks every stored row end to end: each row's MAC and sealed
    /// metadata, each note's and case's links against its sealed party
    /// list, each client's digest, links pointing at nothing, and the store
    /// manifest against its Ed25519 signature bound to the audit
    /// checkpoint. `Err(Tampered { table, row })` or `Err(ManifestInvalid)`
    /// names what is wrong; audited as `store.verify` when it passes.
    pub async fn verify_store(&self, actor: &str) -> Result<crate::integrity::StoreSummary> {
        let summary = dispatch_once!(self.verify_store())?;
        self.record_event(actor, Action::StoreVerify, Vec::new())
            .await?;
        Ok(summary)
    }

    /// Destroys the client's record irrecoverably and returns the stored,
    /// signed certificate with what became of the storage.
    ///
    /// Order, so that a crash never strands the surviving clients:
    /// 1. under the key-file lock, write a key file holding the current
    ///    generation(s) and a new one (temp file, fsync, rename, dir fsync);
    /// 2. one transaction: delete the key and rows, re-wrap every surviving
    ///    data key under the new generation, record the generation, append
    ///    `client.destroy`, store the certificate; commit;
    /// 3. only then rewrite the key file without the old generation. A crash
    ///    before 3 leaves both generations (everything still opens; the next
    ///    open erases the dead one).
    ///
    /// Then SQLite's WAL is checkpointed and truncated (bounded retries;
    /// reported as pending if a reader holds it) and PostgreSQL's affected
    /// tables vacuumed.
    pub async fn destroy_client(
        &self,
        actor: &str,
        client: &ClientId,
        reason: &str,
    ) -> Result<DestructionReport> {
        self.destroy_client_deciding(actor, client, reason, None)
            .await
    }

    /// [`Store::destroy_client`] for a party of a couple or group: `shared`
    /// says what happens to the joint notes and the notes naming them
    /// (`None` refuses with `SharedNotes` listing their ids if there are
    /// any). The certificate reports the cross-references and the decision.
    pub async fn destroy_client_deciding(
        &self,
        actor: &str,
        client: &ClientId,
        reason: &str,
        shared: Option<&SharedNotesDecision>,
    ) -> Result<DestructionReport> {
        if reason.trim().is_empty() {
            return Err(FieldError::Empty { field: "reason" }.into());
        }
        let data_dir = self.keys.data_dir.clone();
        if data_dir.as_os_str().is_empty() {
            return Err(StoreError::Io(
                "the store has no data directory for its key file".into(),
            ));
        }
        let _lock = acquire_key_file_lock(&data_dir).await?;
        let current = match self.keys.ring_on_disk()? {
            Some(ring) => ring,
            None => KeyRing::from_master(self.keys.ring().master().clone()),
        };
        // Generations newer than the database's were staged by a
        // destruction that never committed: drop them now.
        let db_generation = dispatch_once!(self.read_generation())?;
        let base = current.retaining(|g| g <= db_generation);
        let (mut staged, next) = base.with_new_generation()?;
        staged.write(&data_dir)?;
        let plan = DestroyPlan {
            ring: &staged,
            to_generation: next,
            reason,
            method: match self.backend() {
                Backend::Sqlite => {
                    "wrapped data key deleted first, then every row, and every surviving data key re-wrapped \
                     under a new key-encryption key, in one transaction; the old key-encryption key then \
                     erased from master.key; deleted content overwritten (secure_delete); the outcome \
                     of the WAL checkpoint is reported beside the certificate (storage)"
                }
                Backend::Postgres => {
                    "wrapped data key deleted first, then every row, and every surviving data key re-wrapped \
                     under a new key-encryption key, in one transaction; the old key-encryption key then \
                     erased from master.key. PostgreSQL does not overwrite deleted rows: the old wrapped \
                     key and the ciphertexts stay in the table files until those pages are rewritten, in \
                     pg_wal until its segments are recycled, and in WAL archives, replicas and base \
                     backups; none of these copies can be opened once the old key-encryption key is \
                     erased. A VACUUM of the affected tables is attempted after the commit; its outcome \
                     is reported beside the certificate (storage), not certified"
                }
            },
            backend: match self.backend() {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            },
            destroyed_at: Timestamp(crate::now_micros()),
            shared,
        };
        let outcome = dispatch!(self.destroy_client(actor, client, &plan));
        let (_counts, record) = match outcome {
            Ok(done) => done,
            Err(e) => {
                // Not committed (or unknown): keep both generations in the
                // file; the next destruction or open sorts it out.
                self.keys.set_ring(staged);
                return Err(e);
            }
        };
        self.keys.set_generation(next);
        let mut finished = staged.retaining(|g| g == next);
        let old_key_generation = match finished.write(&data_dir) {
            Ok(()) => "erased: master.key now holds only the new key-encryption key".to_owned(),
            Err(e) => format!(
                "pending: master.key still holds the old key-encryption key ({e}); it is erased at \
                 the next open or destruction"
            ),
        };
        self.keys.set_ring(finished);
        drop(_lock);
        let mut storage = StorageStatus {
            old_key_generation,
            sqlite_wal: None,
            postgres_vacuum: None,
        };
        match &self.db {
            Db::Sqlite(pool) => storage.sqlite_wal = Some(checkpoint_wal(pool).await),
            Db::Postgres(pool) => storage.postgres_vacuum = Some(vacuum_after_destroy(pool).await),
        }
        let value: serde_json::Value =
            serde_json::from_slice(&record.json).map_err(|_| StoreError::Corrupt {
                what: "destruction certificate",
            })?;
        let serde_json::Value::Object(certificate) = value else {
            return Err(StoreError::Corrupt {
                what: "destruction certificate",
            });
        };
        Ok(DestructionReport {
            certificate,
            signature: crate::certificate::hex(&record.signature),
            public_key: self
                .keys
                .verifying_key()
                .map(|k| k.to_hex())
                .unwrap_or_default(),
            storage,
        })
    }

    /// The stored destruction certificates of a destroyed client, opened
    /// and checked (signature, and that the audit entry at its seq is the
    /// destruction). Audited.
    pub async fn destruction_certificates(
        &self,
        actor: &str,
        client: &ClientId,
    ) -> Result<Vec<ShownCertificate>> {
        dispatch!(self.destruction_certificates(actor, client))
    }

    /// Appends audit entries for events outside the store (decisions,
    /// exports) in one durable transaction.
    /// Commits a read's audit entries durably, in one transaction with the
    /// entries of every other read waiting at the moment (`read_group.rs`);
    /// the caller returns the plaintext only after this succeeds.
    async fn commit_read(&self, drafts: Vec<EntryDraft>) -> Result<()> {
        self.load_witness_anchor()?;
        self.reads
            .commit(drafts, |batch| self.append_audit(batch))
            .await
    }

    pub async fn append_audit(&self, drafts: Vec<EntryDraft>) -> Result<u64> {
        // As `dispatch!`, with the drafts cloned only for the rare retry.
        let mut out = dispatch_once!(self.append_audit(drafts.clone()));
        for _ in 0..KEY_GENERATION_RETRIES {
            if !matches!(out, Err(StoreError::KeyGenerationChanged)) {
                break;
            }
            out = dispatch_once!(self.append_audit(drafts.clone()));
        }
        if out.is_ok() {
            self.publish_head().await;
        }
        out
    }

    /// Records one event now. See [`Store::append_audit`] for batches.
    pub async fn record_event(
        &self,
        actor: &str,
        action: Action,
        record_ids: Vec<String>,
    ) -> Result<()> {
        self.append_audit(vec![draft(actor, action, record_ids)])
            .await
            .map(|_| ())
    }

    /// Checks the whole audit log: `Ok(Ok(n))` when intact with `n` entries,
    /// `Ok(Err(problem))` naming where it was tampered with.
    pub async fn verify_audit(&self) -> Result<Result<u64, VerifyError>> {
        Ok(self
            .verify_audit_against(None, None)
            .await?
            .map(|head| head.count))
    }

    /// Checks the whole log in one snapshot, its checkpoint's Ed25519
    /// signature under the trusted key, and, with `since`, that the log is
    /// an extension of that earlier head (catches rollback, truncation, a
    /// replayed old checkpoint and a rewrite). The trusted key is, in this
    /// order: `pinned`, the signing key this process holds, the head given
    /// as `since`, the key the database records. Returns the signed head.
    pub async fn verify_audit_against(
        &self,
        pinned: Option<AuditVerifyingKey>,
        since: Option<&SignedHead>,
    ) -> Result<Result<AuditHead, VerifyError>> {
        let recorded = self.keys.verifying_key();
        let (trusted, key_source) = if let Some(k) = pinned {
            (Some(k), KeySource::Pinned)
        } else if let Some(s) = &self.keys.signer {
            (Some(s.verifying_key()), KeySource::SigningKey)
        } else if let Some(h) = since {
            (Some(h.public_key), KeySource::PublishedHead)
        } else if let Some(k) = recorded {
            (Some(k), KeySource::Database)
        } else {
            (None, KeySource::None)
        };
        if let Some(t) = trusted {
            if recorded.is_some_and(|r| r != t) {
                return Ok(Err(VerifyError::PublicKeyMismatch));
            }
            // Holding the signing key (or pinning one) means the store
            // signs: a missing record was deleted.
            if recorded.is_none() && matches!(key_source, KeySource::Pinned | KeySource::SigningKey)
            {
                return Ok(Err(VerifyError::PublicKeyMissing));
            }
        }
        let mut plan = VerifyPlan {
            trusted: if recorded.is_some() || since.is_some() {
                trusted
            } else {
                None
            },
            anchor: None,
        };
        if let Some(head) = since {
            let Some(t) = trusted else {
                return Ok(Err(VerifyError::PublishedHeadInvalid));
            };
            if !head.verify_with(&t) {
                return Ok(Err(VerifyError::PublishedHeadInvalid));
            }
            plan.anchor = Some((head.count, head.head_hash));
            // A published head proves the store signs: its log must too.
            plan.trusted = Some(t);
        }
        let verdict: Result<VerifiedLog, VerifyError> = match &self.db {
            Db::Sqlite(pool) => sqlite_ops::verify_audit(pool, &self.keys, &plan).await?,
            Db::Postgres(pool) => pg_ops::verify_audit(pool, &self.keys, &plan).await?,
        };
        Ok(verdict.map(|log| AuditHead {
            count: log.count,
            head_hash: log.head_hash,
            signed: match (plan.trusted, log.signature) {
                (Some(public_key), Some(signature)) => Some(SignedHead {
                    count: log.count,
                    head_hash: log.head_hash,
                    public_key,
                    signature,
                }),
                _ => None,
            },
            key_source,
        }))
    }

    /// The newest `limit` audit entries, oldest first.
    pub async fn audit_tail(&self, limit: u32) -> Result<Vec<Entry>> {
        match &self.db {
            Db::Sqlite(p) => sqlite_ops::audit_tail(p, i64::from(limit)).await,
            Db::Postgres(p) => pg_ops::audit_tail(p, i64::from(limit)).await,
        }
    }
}

/// The tables and functions in the connection's schema (PostgreSQL), as
/// `table:NAME` and `function:NAME`: what a failed init must remove is
/// everything its migrations created, trigger functions included.
async fn pg_tables(pool: &PgPool) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT 'table:' || tablename FROM pg_tables WHERE schemaname = current_schema() \
         UNION ALL \
         SELECT 'function:' || p.proname FROM pg_proc p \
         JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| sqlx::Row::try_get::<String, _>(r, 0).map_err(StoreError::from))
        .collect()
}

/// Drops the tables and functions a failed init created, leaving any that
/// were there.
async fn drop_new_tables(pool: &PgPool, before: &[String]) {
    let Ok(now) = pg_tables(pool).await else {
        return;
    };
    // Names come from our own migrations; quoted all the same.
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let mut tables = Vec::new();
    let mut functions = Vec::new();
    for object in now.iter().filter(|o| !before.contains(o)) {
        if let Some(name) = object.strip_prefix("table:") {
            tables.push(quote(name));
        } else if let Some(name) = object.strip_prefix("function:") {
            functions.push(quote(name));
        }
    }
    if !tables.is_empty() {
        let _ = sqlx::raw_sql(&format!(
            "DROP TABLE IF EXISTS {} CASCADE",
            tables.join(", ")
        ))
        .execute(pool)
        .await;
    }
    for function in functions {
        let _ = sqlx::raw_sql(&format!("DROP FUNCTION IF EXISTS {function} CASCADE"))
            .execute(pool)
            .await;
    }
}

/// Takes the key-file lock without blocking the async runtime's threads
/// (another destruction may hold it for its whole transaction): polls, and
/// gives up after a minute as "locked".
async fn acquire_key_file_lock(data_dir: &Path) -> Result<KeyFileLock> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(lock) = KeyFileLock::try_acquire(data_dir)? {
            return Ok(lock);
        }
        if std::time::Instant::now() >= deadline {
            return Err(StoreError::Locked);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates the data directory (0700) if needed.
fn create_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| io_error(&e))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(|e| io_error(&e))?;
    Ok(())
}

/// Refuses a data directory or database file that group or others can
/// write: they could swap keys or rows under the store.
fn check_private_files(dir: &Path, db: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for path in [dir, db] {
            if let Ok(meta) = std::fs::metadata(path) {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o022 != 0 {
                    return Err(StoreError::InsecurePermissions {
                        path: path.display().to_string(),
                        mode,
                    });
                }
            }
        }
    }
    let _ = (dir, db);
    Ok(())
}

/// After a destruction: `PRAGMA wal_checkpoint(TRUNCATE)`, retried for
/// about 3 seconds while another connection's read transaction holds the
/// WAL (each attempt waits at most 250 ms, not the 5 s busy timeout); then
/// the honest outcome.
async fn checkpoint_wal(pool: &SqlitePool) -> String {
    let mut conn = match pool.acquire().await {
        Ok(c) => c,
        Err(e) => {
            return format!(
                "pending: cannot checkpoint the WAL ({})",
                StoreError::from(e)
            );
        }
    };
    let _ = sqlx::query("PRAGMA busy_timeout = 250")
        .execute(&mut *conn)
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    let mut last = String::new();
    let outcome = loop {
        match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *conn)
            .await
        {
            Ok(row) => {
                let busy: i64 = sqlx::Row::try_get(&row, 0).unwrap_or(1);
                let log: i64 = sqlx::Row::try_get(&row, 1).unwrap_or(-1);
                if busy == 0 && log == 0 {
                    break Some(
                        "checkpointed and truncated: the WAL holds no copy of the deleted pages"
                            .to_owned(),
                    );
                }
                last = format!("busy={busy}, frames={log}");
            }
            Err(e) => last = StoreError::from(e).to_string(),
        }
        if std::time::Instant::now() >= deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = sqlx::query("PRAGMA busy_timeout = 5000")
        .execute(&mut *conn)
        .await;
    outcome.unwrap_or_else(|| {
        format!(
            "pending: another connection holds the WAL ({last}); the deleted pages stay in the WAL \
             until the next checkpoint, sealed under keys that no longer exist"
        )
    })
}

/// After a destruction on PostgreSQL: VACUUM the tables rows were deleted
/// from, so their dead tuples' space can be reused. VACUUM overwrites
/// nothing: the bytes stay in the relation files until the pages are
/// rewritten, and in the WAL (archives, replicas, base backups) until
/// recycled; only the erased key-encryption key makes them unopenable.
async fn vacuum_after_destroy(pool: &PgPool) -> String {
    match sqlx::raw_sql(
        "VACUUM data_keys, clients, notes, note_parties, consents, case_parties, legal_holds, client_index, promises",
    )
    .execute(pool)
    .await
    {
        Ok(_) => "vacuumed: VACUUM ran on the affected tables; it marks the deleted rows' space \
                  reusable but does not overwrite it: the old wrapped key and ciphertexts stay in the \
                  table files until those pages are rewritten, and in pg_wal until its segments are \
                  recycled (and in WAL archives, replicas and base backups); none of these copies can \
                  be opened once the old key-encryption key is erased (old_key_generation)"
            .to_owned(),
        Err(e) => format!(
            "not vacuumed ({}): the deleted rows stay as dead tuples until autovacuum, and in pg_wal \
             until its segments are recycled (and in WAL archives, replicas and base backups); none \
             of these copies can be opened once the old key-encryption key is erased \
             (old_key_generation)",
            StoreError::from(e)
        ),
    }
}

/// The data directory and database are the operator's alone (0700/0600),
/// like the key file: even sealed data says how many clients there are.
fn restrict_permissions(dir: &Path, db: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io_error(&e))?;
        std::fs::set_permissions(db, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error(&e))?;
    }
    let _ = (dir, db);
    Ok(())
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

async fn migrate(db: &Db) -> Result<()> {
    match db {
        Db::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
        Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
    }
    Ok(())
}

/// Applies migrations newer than the store's schema, if any. Checked with
/// one read first, so opening an up-to-date store never writes (a read-only
/// database can still be read and verified).
async fn migrate_if_behind(db: &Db) -> Result<()> {
    const APPLIED: &str =
        "SELECT COALESCE(MAX(version), 0) AS v FROM _sqlx_migrations WHERE success";
    let (applied, latest): (i64, i64) = match db {
        Db::Sqlite(p) => (
            sqlx::Row::try_get(&sqlx::query(APPLIED).fetch_one(p).await?, "v")?,
            SQLITE_MIGRATIONS
                .iter()
                .map(|m| m.version)
                .max()
                .unwrap_or(0),
        ),
        Db::Postgres(p) => (
            sqlx::Row::try_get(&sqlx::query(APPLIED).fetch_one(p).await?, "v")?,
            POSTGRES_MIGRATIONS
                .iter()
                .map(|m| m.version)
                .max()
                .unwrap_or(0),
        ),
    };
    if applied < latest {
        migrate(db).await?;
    }
    Ok(())
}
