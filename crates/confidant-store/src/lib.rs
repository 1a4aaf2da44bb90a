//! confidant-store: the encrypted case-record store and its audit log.
//!
//! [`Store`] is the one storage API. It runs on embedded SQLite (the default:
//! bundled, WAL, `secure_delete=ON`, `synchronous=FULL`) or on PostgreSQL,
//! picked once when the store is opened. The operations are written once
//! (`ops.rs`) and compiled for each backend; only connection set-up,
//! migrations and the post-destruction WAL checkpoint differ.
//!
//! Invariants:
//! - the store never holds a plaintext name, contact detail, date of birth,
//!   NHS number, note text or other free text: each is sealed with AES-256-GCM
//!   under the owning client's data key, with associated data naming the
//!   table, column, row and client;
//! - every write and destruction appends audit entries (ids, action, actor,
//!   time; never content) in the same transaction as the change, and
//!   re-signs the audit checkpoint in that transaction; a read returns its
//!   plaintext only after its entries are durably committed (group commit,
//!   `read_group.rs`);
//! - destruction deletes the client's wrapped data key before their rows, in
//!   one transaction, and refuses while a legal hold stands;
//! - errors never contain identifiers or text.

mod account_model;
mod anchor;
mod backend;
mod certificate;
mod committer;
mod error;
mod integrity;
mod keys;
mod matter_model;
mod promise_model;
mod read_group;
mod retention_model;

pub use account_model::{
    ClientRelations, NewSession, NewToken, NewUser, StoredGrant, StoredSession, StoredToken,
    StoredUser, UserCreated,
};
pub use anchor::{AuditHead, FileWitness, HeadWitness, KeySource, read_published_head};
pub use backend::{Backend, CoalescedRefusal, Store, StoreConfig};
pub use certificate::{
    DestructionReport, SharedNotesDecision, SharedNotesReport, ShownCertificate, StorageStatus,
};
pub use committer::AuditCommitter;
pub use confidant_audit::SignedHead;
pub use confidant_audit::{Action, Entry, EntryDraft, VerifyError};
pub use confidant_crypto::AuditVerifyingKey;
pub use error::{Result, StoreError};
pub use integrity::StoreSummary;
pub use keys::{load_master_key, now_micros};
pub use matter_model::{
    AppendedStep, Disclosure, MatterStep, NewDisclosure, NewMatter, NewStep, StepKind,
    StoredEscalation, StoredMatter,
};
pub use promise_model::{
    LimitsGivenRow, NewPromise, NewReview, PromiseKind, StoredPromise, StoredReview,
};
pub use retention_model::{AccessEntry, ClientActivity};

/// Re-exported so that tests and tools can reach the database directly
/// (the tamper tests do) without pinning their own sqlx version.
pub use sqlx;
/// Re-exported so the synchronous CLI can build the runtime the store runs on.
pub use tokio;
