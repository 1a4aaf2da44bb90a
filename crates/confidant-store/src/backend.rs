//! The `Store` facade and the two backends.
//!
//! The backend is chosen once, in [`Store::open`] / [`Store::init`], from
//! the configuration: a `postgres://` URL selects PostgreSQL, otherwise the
//! embedded SQLite file in the data directory. Each public method dispatches
//! to the same operation compiled for that backend (`ops.rs`, included into
//! `sqlite_ops` and `pg_ops` below), so the models carry no backend `cfg`s.

use crate::error::{Result, StoreError, io_error};
use crate::keys::{
    Keys, SealedClient, aad, chain_at, checkpoint_from_parts, draft, entry_from_parts,
    new_id_bytes, now_micros, open_text, seq_to_i64,
};
use confidant_audit::{Action, Chain, Entry, EntryDraft, Verifier, VerifyError};
use confidant_core::ids::{CaseId, ClientId, ConsentId, HoldId, NoteId, PractitionerId};
use confidant_core::record::{
    Case, CaseKind, CivilDate, Client, ClientFlags, Consent, DestroyedCounts,
    DestructionCertificate, FieldError, HoldReason, LegalHold, NewClient, NewConsent, NewNote,
    NhsNumber, Note, Practitioner, Role, Timestamp,
};
use confidant_crypto::{DataKey, MasterKey, SecretString, seal, unwrap_data_key, wrap_data_key};
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
}

// The URL may carry a password: never print it.
impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "(set)"))
            .finish()
    }
}

impl StoreConfig {
    pub fn new(data_dir: impl Into<PathBuf>, database_url: Option<String>) -> StoreConfig {
        StoreConfig {
            data_dir: data_dir.into(),
            database_url,
        }
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
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// Calls the operation `$f` on whichever backend this store runs.
macro_rules! dispatch {
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
    /// from `passphrase` via Argon2id) and the database schema, and writes
    /// the first audit entry. Refuses an existing key file or store.
    pub async fn init(
        cfg: &StoreConfig,
        passphrase: Option<&SecretString>,
        actor: &str,
    ) -> Result<Store> {
        // Refuse before creating anything, so a refused init leaves no trace.
        let key_path = confidant_crypto::key_file_path(&cfg.data_dir);
        if key_path.exists() {
            return Err(confidant_crypto::CryptoError::KeyFileExists { path: key_path }.into());
        }
        let db = match cfg.backend() {
            Backend::Sqlite => {
                std::fs::create_dir_all(&cfg.data_dir).map_err(|e| io_error(&e))?;
                if cfg.sqlite_path().exists() {
                    return Err(StoreError::AlreadyInitialised);
                }
                let pool = connect_sqlite(&cfg.sqlite_path(), true).await?;
                restrict_permissions(&cfg.data_dir, &cfg.sqlite_path())?;
                Db::Sqlite(pool)
            }
            Backend::Postgres => {
                Db::Postgres(connect_postgres(cfg.database_url.as_deref().unwrap_or("")).await?)
            }
        };
        migrate(&db).await?;
        // The database is checked before the key file is made, so a refused
        // init leaves no stray key behind.
        let initialised = match &db {
            Db::Sqlite(p) => sqlx::query("SELECT 1 FROM meta WHERE k = 'key_check'")
                .fetch_optional(p)
                .await?
                .is_some(),
            Db::Postgres(p) => sqlx::query("SELECT 1 FROM meta WHERE k = 'key_check'")
                .fetch_optional(p)
                .await?
                .is_some(),
        };
        if initialised {
            return Err(StoreError::AlreadyInitialised);
        }
        let master = MasterKey::init(&cfg.data_dir, passphrase)?;
        let store = Store {
            db,
            keys: Keys::new(master),
        };
        dispatch!(store.initialise(actor))?;
        Ok(store)
    }

    /// Like [`Store::init`] with a master key the caller already holds (tests
    /// and benchmarks, which cannot afford Argon2id per store).
    pub async fn init_with_key(cfg: &StoreConfig, master: MasterKey, actor: &str) -> Result<Store> {
        let db = match cfg.backend() {
            Backend::Sqlite => {
                std::fs::create_dir_all(&cfg.data_dir).map_err(|e| io_error(&e))?;
                Db::Sqlite(connect_sqlite(&cfg.sqlite_path(), true).await?)
            }
            Backend::Postgres => {
                Db::Postgres(connect_postgres(cfg.database_url.as_deref().unwrap_or("")).await?)
            }
        };
        migrate(&db).await?;
        let store = Store {
            db,
            keys: Keys::new(master),
        };
        dispatch!(store.initialise(actor))?;
        Ok(store)
    }

    /// Opens an existing store with its master key.
    pub async fn open(cfg: &StoreConfig, master: MasterKey) -> Result<Store> {
        let db = match cfg.backend() {
            Backend::Sqlite => {
                if !cfg.sqlite_path().exists() {
                    return Err(StoreError::NotInitialised);
                }
                Db::Sqlite(open_sqlite(&cfg.sqlite_path()).await?)
            }
            Backend::Postgres => {
                Db::Postgres(connect_postgres(cfg.database_url.as_deref().unwrap_or("")).await?)
            }
        };
        let store = Store {
            db,
            keys: Keys::new(master),
        };
        dispatch!(store.check_key())?;
        migrate_if_behind(&store.db).await?;
        Ok(store)
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

    pub async fn get_client(&self, actor: &str, id: &ClientId) -> Result<Client> {
        dispatch!(self.get_client(actor, id))
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

    /// Writes many notes in one transaction: one durable commit for the batch.
    pub async fn add_notes(&self, actor: &str, notes: &[NewNote]) -> Result<Vec<NoteId>> {
        dispatch!(self.add_notes(actor, notes))
    }

    pub async fn list_notes(&self, actor: &str, client: &ClientId) -> Result<Vec<Note>> {
        dispatch!(self.list_notes(actor, client))
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
        dispatch!(self.list_consents(actor, client))
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

    pub async fn list_holds(&self, client: &ClientId) -> Result<Vec<LegalHold>> {
        match &self.db {
            Db::Sqlite(p) => sqlite_ops::list_holds(p, client).await,
            Db::Postgres(p) => pg_ops::list_holds(p, client).await,
        }
    }

    /// Destroys the client's record irrecoverably (see `ops::destroy_client`)
    /// and returns the certificate. On SQLite the WAL is then checkpointed
    /// and truncated, so no copy of the deleted pages survives in it.
    pub async fn destroy_client(
        &self,
        actor: &str,
        client: &ClientId,
        reason: &str,
    ) -> Result<DestructionCertificate> {
        if reason.trim().is_empty() {
            return Err(FieldError::Empty { field: "reason" }.into());
        }
        let destroyed = dispatch!(self.destroy_client(actor, client))?;
        let destroyed_at = Timestamp(crate::now_micros());
        if let Db::Sqlite(pool) = &self.db {
            // Another connection reading at that moment can make the
            // checkpoint report "busy"; retry briefly until it completes.
            for attempt in 0..20u64 {
                let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(pool)
                    .await?;
                let busy: i64 = sqlx::Row::try_get(&row, 0)?;
                if busy == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10 * (attempt + 1))).await;
            }
        }
        Ok(DestructionCertificate {
            client_id: client.clone(),
            destroyed_at,
            destroyed_by: actor.to_owned(),
            reason: reason.to_owned(),
            destroyed,
            method: match self.backend() {
                Backend::Sqlite => {
                    "wrapped data key deleted first, then every row, in one transaction; deleted content \
                     overwritten (secure_delete) and the WAL checkpointed and truncated"
                }
                Backend::Postgres => {
                    "wrapped data key deleted first, then every row, in one transaction; dead tuples are \
                     unreadable without the key and reclaimed by VACUUM"
                }
            },
        })
    }

    /// Appends audit entries for events outside the store (decisions,
    /// exports) in one durable transaction.
    pub async fn append_audit(&self, drafts: Vec<EntryDraft>) -> Result<u64> {
        dispatch!(self.append_audit(drafts))
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
        dispatch!(self.verify_audit())
    }

    /// The newest `limit` audit entries, oldest first.
    pub async fn audit_tail(&self, limit: u32) -> Result<Vec<Entry>> {
        match &self.db {
            Db::Sqlite(p) => sqlite_ops::audit_tail(p, i64::from(limit)).await,
            Db::Postgres(p) => pg_ops::audit_tail(p, i64::from(limit)).await,
        }
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
