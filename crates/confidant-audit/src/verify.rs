use std::fmt;

use confidant_crypto::AuditKey;
use sha2::{Digest, Sha256};

use crate::chain::{Checkpoint, Entry, GENESIS_PREV_HASH, encode_entry};

/// The first problem found in the audit log, saying where it is. Messages
/// carry sequence numbers only, never entry contents.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The entry's stored hash does not match its contents.
    Modified { seq: u64 },
    /// Entries `expected_seq .. found_seq - 1` are absent: `found_seq` came
    /// where `expected_seq` should have.
    Missing { expected_seq: u64, found_seq: u64 },
    /// Entry `seq` appears after entry `after` (moved, or a duplicate).
    OutOfOrder { seq: u64, after: u64 },
    /// The entry is intact but does not link to the entry before it: that
    /// entry was altered and re-hashed, or replaced.
    BrokenLink { seq: u64 },
    /// The log ends at entry `have` but the checkpoint covers `checkpoint`.
    Truncated { have: u64, checkpoint: u64 },
    /// Entries from `from_seq` on (to `have`) are not covered by the
    /// checkpoint: appended by someone without the key.
    Unsigned { from_seq: u64, have: u64 },
    /// The last entry (`seq`) is not the one the checkpoint signed.
    CheckpointMismatch { seq: u64 },
    /// The checkpoint's MAC is wrong: forged, altered, or another key.
    CheckpointInvalid,
    /// There is no checkpoint, so the log cannot be shown complete.
    CheckpointMissing,
    /// The store could not decode entry `seq` (e.g. an unknown action):
    /// for stores to report damaged rows the same way.
    Malformed { seq: u64, field: &'static str },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            VerifyError::Modified { seq } => {
                write!(f, "audit entry {seq} was modified (its hash does not match its contents)")
            }
            VerifyError::Missing { expected_seq, found_seq } => {
                let last_missing = found_seq.saturating_sub(1);
                if last_missing > expected_seq {
                    write!(f, "audit entries {expected_seq} to {last_missing} are missing")?;
                } else {
                    write!(f, "audit entry {expected_seq} is missing")?;
                }
                write!(f, " (entry {found_seq} comes where {expected_seq} should)")
            }
            VerifyError::OutOfOrder { seq, after } => {
                write!(f, "audit entry {seq} is out of order (it comes after entry {after})")
            }
            VerifyError::BrokenLink { seq } => write!(
                f,
                "audit entry {seq} does not link to entry {}: that entry was altered or replaced",
                seq.saturating_sub(1)
            ),
            VerifyError::Truncated { have, checkpoint } => write!(
                f,
                "the audit log was truncated: it ends at entry {have} but the signed checkpoint covers {checkpoint} entries"
            ),
            VerifyError::Unsigned { from_seq, have } => write!(
                f,
                "audit entries {from_seq} to {have} are not covered by the signed checkpoint (added without the key)"
            ),
            VerifyError::CheckpointMismatch { seq } => write!(
                f,
                "audit entry {seq}, the last one, is not the entry the signed checkpoint covers: it was altered or replaced"
            ),
            VerifyError::CheckpointInvalid => f.write_str(
                "the audit checkpoint's signature is invalid: it was forged or altered, or the master key is not this store's",
            ),
            VerifyError::CheckpointMissing => {
                f.write_str("the audit checkpoint is missing: the log cannot be shown to be complete")
            }
            VerifyError::Malformed { seq, field } => write!(f, "audit entry {seq} is malformed ({field})"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Streams entries in stored order and reports the first problem.
///
/// After `push` returns an error the verifier's verdict is final; further
/// pushes are not meaningful. Allocation-free per entry once its buffer has
/// grown to the largest entry.
pub struct Verifier {
    key: AuditKey,
    /// The seq the next entry must have.
    expected: u64,
    /// Hash of the last accepted entry.
    head: [u8; 32],
    /// A seq jump seen at the last push, judged at the next push or at
    /// `finish`: a later entry filling it means reordering, else deletion.
    gap: Option<(u64, u64)>,
    buf: Vec<u8>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    pub fn new(key: &AuditKey) -> Verifier {
        Verifier {
            key: key.clone(),
            expected: 1,
            head: GENESIS_PREV_HASH,
            gap: None,
            buf: Vec::with_capacity(256),
        }
    }

    /// Number of entries accepted so far.
    pub fn count(&self) -> u64 {
        self.expected - 1
    }

    pub fn push(&mut self, entry: &Entry) -> Result<(), VerifyError> {
        self.buf.clear();
        encode_entry(
            &mut self.buf,
            entry.seq,
            entry.at_unix_micros,
            &entry.actor,
            entry.action,
            &entry.record_ids,
            &entry.prev_hash,
        );
        let hash: [u8; 32] = Sha256::digest(&self.buf).into();
        if hash != entry.hash {
            return Err(VerifyError::Modified { seq: entry.seq });
        }
        if let Some((expected_seq, found_seq)) = self.gap {
            // The entry after a jump: if it is one of the skipped ones, or
            // older than the one that jumped, entries were moved; otherwise
            // the skipped ones are gone.
            return Err(if entry.seq < found_seq {
                VerifyError::OutOfOrder {
                    seq: entry.seq,
                    after: found_seq,
                }
            } else {
                VerifyError::Missing {
                    expected_seq,
                    found_seq,
                }
            });
        }
        if entry.seq < self.expected {
            return Err(VerifyError::OutOfOrder {
                seq: entry.seq,
                after: self.expected - 1,
            });
        }
        if entry.seq > self.expected {
            self.gap = Some((self.expected, entry.seq));
            return Ok(());
        }
        if entry.prev_hash != self.head {
            return Err(VerifyError::BrokenLink { seq: entry.seq });
        }
        self.head = entry.hash;
        self.expected += 1;
        Ok(())
    }

    /// Ends the stream: checks the checkpoint's MAC and that it covers
    /// exactly the entries seen. Returns the number of entries.
    pub fn finish(self, checkpoint: Option<&Checkpoint>) -> Result<u64, VerifyError> {
        if let Some((expected_seq, found_seq)) = self.gap {
            return Err(VerifyError::Missing {
                expected_seq,
                found_seq,
            });
        }
        let Some(cp) = checkpoint else {
            return Err(VerifyError::CheckpointMissing);
        };
        if !cp.verify(&self.key) {
            return Err(VerifyError::CheckpointInvalid);
        }
        let have = self.count();
        if have < cp.count {
            return Err(VerifyError::Truncated {
                have,
                checkpoint: cp.count,
            });
        }
        if have > cp.count {
            return Err(VerifyError::Unsigned {
                from_seq: cp.count + 1,
                have,
            });
        }
        if cp.head_hash != self.head {
            return Err(VerifyError::CheckpointMismatch { seq: have });
        }
        Ok(have)
    }
}
