//! The store's errors. Messages say what is wrong and what the user can do,
//! and never contain an identifier, a name or note text: ids are not echoed
//! either, since a mistyped id may be someone's name pasted by accident.

use confidant_core::ids::InvalidId;
use confidant_core::record::FieldError;
use confidant_core::vocab::UnknownValue;
use confidant_crypto::CryptoError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("unknown client id: no client with that id exists in this store")]
    UnknownClient,
    #[error("unknown {kind} id: no {kind} with that id exists in this store")]
    UnknownRecord { kind: &'static str },
    #[error(transparent)]
    InvalidId(#[from] InvalidId),
    #[error(transparent)]
    InvalidField(#[from] FieldError),
    #[error(transparent)]
    UnknownValue(#[from] UnknownValue),
    #[error("the client's record is under a legal hold: release the hold before destroying it")]
    LegalHold,
    #[error(
        "no store here: run `confidant init` first, or point --data / --database-url at the store"
    )]
    NotInitialised,
    #[error("a Confidant store already exists there: refusing to initialise it again")]
    AlreadyInitialised,
    #[error("the master key does not belong to this database: check --data and --database-url")]
    WrongKeyForDatabase,
    #[error("wrong passphrase: $CONFIDANT_PASSPHRASE does not unlock this store's master key")]
    WrongPassphrase,
    #[error("missing key file: {0}")]
    MissingKeyFile(String),
    #[error("the database is locked by another process: try again in a moment")]
    Locked,
    #[error(
        "the database is read-only: check the file's permissions or the database user's rights"
    )]
    ReadOnly,
    #[error("the disk is full: free some space and try again (nothing was written)")]
    DiskFull,
    #[error("cannot open the database: {0}")]
    CannotOpen(String),
    #[error(
        "the audit checkpoint does not verify, so no further entries are written: run `confidant audit verify`"
    )]
    AuditCheckpointInvalid,
    #[error(
        "stored data is damaged ({what}): run `confidant audit verify` and restore from a backup"
    )]
    Corrupt { what: &'static str },
    /// A step that may be recorded once was recorded already.
    #[error("already recorded: {what}")]
    AlreadyRecorded { what: &'static str },
    #[error(transparent)]
    Crypto(CryptoError),
    #[error("database error: {0}")]
    Database(String),
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("i/o error: {0}")]
    Io(String),
    #[error(
        "the audit log has entries beyond its signed checkpoint (added without the keys): nothing was written; run `confidant audit verify`"
    )]
    AuditTampered,
    #[error(
        "no audit signing key at {0}: writes need it (it signs every checkpoint); restore it, or point --audit-signing-key at it"
    )]
    AuditSigningKeyMissing(String),
    #[error(
        "the audit signing key does not match the public key this store recorded: the key file or the database was replaced; run `confidant audit verify`"
    )]
    AuditSigningKeyMismatch,
    #[error(
        "the key file does not hold key generation {generation}, which the database uses: it is older than the database; restore the newest master.key"
    )]
    KeyFileStale { generation: u32 },
    #[error(
        "{path} can be written by group or others (mode {mode:o}): run `chmod go-w {path}` (the store refuses to trust it)"
    )]
    InsecurePermissions { path: String, mode: u32 },
    #[error("the key generation changed under a concurrent destruction: retry")]
    KeyGenerationChanged,
    /// A stored row, link or digest does not authenticate: it was edited,
    /// deleted, added or replayed outside the store. Names the table and
    /// the row id, never content.
    #[error(
        "record tampered: {table} {row}: the stored row does not match its MAC or the client's digest; run `confidant store verify` and restore from a backup"
    )]
    Tampered { table: &'static str, row: String },
    #[error(
        "record tampered: store manifest: the set of client records does not match the signed manifest (a client's rows were deleted, added or replayed); run `confidant store verify`"
    )]
    ManifestInvalid,
    #[error(
        "this store's records are in the old (schema 4) format and could not be upgraded: open it once with write access"
    )]
    UpgradePending,
    /// Destroying a party of a couple or group: the joint notes and the
    /// notes that name them need a decision first (ids only).
    #[error(
        "the client shares {count} note(s) with other clients ({notes}): decide what happens to them with --shared-notes keep-redacted (each stays with a remaining party, this client's identifiers removed, re-sealed under that party's key) or --shared-notes destroy"
    )]
    SharedNotes { count: usize, notes: String },
    /// The database records no audit public key although the audit
    /// signing key exists beside the store: the record (and usually the
    /// checkpoint's signature) was removed to have the store re-sign.
    #[error(
        "store tampered: the audit public key recorded in the database (meta.audit_public_key) is missing although the audit signing key exists beside the store; nothing was signed or written; run `confidant audit verify` and restore the database from a backup"
    )]
    AuditKeyRecordMissing,
    /// `meta.records_format` is missing although the audit log shows the
    /// store already uses the sealed format (or the log does not verify):
    /// the old-format upgrade would seal whatever the plaintext columns say.
    #[error(
        "store tampered: the records format marker (meta.records_format) is missing although the signed audit log shows this store already uses the sealed format (or the log does not verify); nothing was upgraded or written; run `confidant audit verify` and `confidant store verify`, and restore the database from a backup"
    )]
    RecordsFormatTampered,
    /// The log does not extend the last head the audit witness holds.
    #[error(
        "audit rollback or tampering: the audit log ({have} entries) does not extend the last head in the audit witness ({published} entries); the database was rolled back or its log replaced; nothing was written and the witness was left unchanged; run `confidant audit verify --since WITNESS`"
    )]
    WitnessRollback { have: u64, published: u64 },
    /// The audit witness cannot be read or its last head is not this
    /// store's.
    #[error("audit witness: {0}; nothing was written")]
    Witness(String),
    #[error("the client is not a party to that case")]
    NotAParty,
    #[error("the matter is closed: nothing more can be recorded on it")]
    MatterClosed,
    #[error(
        "the matter changed while this command ran (someone else recorded a step): run it again"
    )]
    MatterChanged,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<CryptoError> for StoreError {
    fn from(e: CryptoError) -> StoreError {
        match e {
            CryptoError::WrongPassphrase => StoreError::WrongPassphrase,
            e @ CryptoError::KeyFileMissing { .. } => StoreError::MissingKeyFile(e.to_string()),
            e => StoreError::Crypto(e),
        }
    }
}

/// SQLite's primary result codes that have a clearer meaning for a user.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_CORRUPT: i64 = 11;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_NOTADB: i64 = 26;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                // SQLite reports (extended) integer codes; PostgreSQL SQLSTATEs.
                if let Ok(n) = code.parse::<i64>() {
                    match n & 0xff {
                        SQLITE_BUSY | SQLITE_LOCKED => return StoreError::Locked,
                        SQLITE_READONLY => return StoreError::ReadOnly,
                        SQLITE_FULL => return StoreError::DiskFull,
                        SQLITE_CANTOPEN => {
                            return StoreError::CannotOpen("sqlite could not open the file".into());
                        }
                        SQLITE_CORRUPT | SQLITE_NOTADB => {
                            return StoreError::Corrupt {
                                what: "the database file is not a valid SQLite database",
                            };
                        }
                        SQLITE_IOERR => {
                            return StoreError::Io(format!("sqlite i/o error (code {n})"));
                        }
                        _ => {}
                    }
                }
                match code.as_str() {
                    "53100" => return StoreError::DiskFull,
                    "25006" => return StoreError::ReadOnly,
                    "55P03" | "40P01" | "40001" => return StoreError::Locked,
                    "3D000" => {
                        return StoreError::CannotOpen(
                            "the PostgreSQL database does not exist".into(),
                        );
                    }
                    "42P01" => return StoreError::NotInitialised,
                    _ => {}
                }
                // The primary message only: PostgreSQL's DETAIL may quote values.
                StoreError::Database(format!("{} (code {code})", db.message()))
            }
            sqlx::Error::Io(io) => io_error(&io),
            sqlx::Error::PoolTimedOut => StoreError::Locked,
            sqlx::Error::RowNotFound => StoreError::Corrupt {
                what: "an expected row is missing",
            },
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt {
                what: "a column could not be decoded",
            },
            other => StoreError::Database(other.to_string()),
        }
    }
}

pub(crate) fn io_error(io: &std::io::Error) -> StoreError {
    match io.kind() {
        std::io::ErrorKind::StorageFull => StoreError::DiskFull,
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
            StoreError::ReadOnly
        }
        _ => StoreError::Io(io.to_string()),
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        match e {
            sqlx::migrate::MigrateError::Execute(inner) => StoreError::from(inner),
            other => StoreError::Migrate(other.to_string()),
        }
    }
}
