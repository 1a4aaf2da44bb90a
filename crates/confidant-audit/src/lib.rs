//! confidant-audit: the tamper-evident audit log's pure core (no I/O).
//!
//! Entries form a SHA-256 hash chain: each entry's hash covers a canonical,
//! length-prefixed encoding of its fields and the previous entry's hash. A
//! checkpoint, HMAC-SHA256 under the audit key derived from the master key,
//! signs the entry count and the head hash. [`Verifier`] streams the stored
//! entries and reports the first problem and where it is:
//!
//! | tampering                                   | detected as                          |
//! |---------------------------------------------|--------------------------------------|
//! | a field changed, hash left alone            | [`VerifyError::Modified`]            |
//! | a field changed and its hash recomputed     | [`VerifyError::BrokenLink`] at the next entry, or [`VerifyError::CheckpointMismatch`] for the last |
//! | an entry deleted (first or middle)          | [`VerifyError::Missing`]             |
//! | entries swapped / moved                     | [`VerifyError::OutOfOrder`] (or `Missing`/`Modified`) |
//! | entries deleted from the end                | [`VerifyError::Truncated`]           |
//! | ... and the checkpoint rewritten (no key)   | [`VerifyError::CheckpointInvalid`]   |
//! | entries appended without the key            | [`VerifyError::Unsigned`]            |
//! | checkpoint deleted                          | [`VerifyError::CheckpointMissing`]   |
//!
//! Entries never contain content: actions, actor ids, record ids and times.

mod action;
mod chain;
mod head;
mod verify;

pub use action::{Action, UnknownAction};
pub use chain::{
    Chain, Checkpoint, Entry, EntryDraft, GENESIS_PREV_HASH, encode_checkpoint, encode_entry,
    encode_entry_parts, entry_hash,
};
pub use confidant_crypto::{AuditKey, AuditSigningKey, AuditVerifyingKey};
pub use head::{HeadParseError, SignedHead, encode_head};
pub use verify::{Verifier, VerifyError};
