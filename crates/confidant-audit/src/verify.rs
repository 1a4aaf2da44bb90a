use std::fmt;

use confidant_crypto::AuditKey;
use sha2::{Digest, Sha256};

use crate::action::Action;
use crate::chain::{Checkpoint, Entry, GENESIS_PREV_HASH, encode_entry_parts};

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
    /// The checkpoint has no Ed25519 signature although the store signs
    /// its checkpoints (the signature was removed, or the checkpoint
    /// replaced by one from before signing began).
    CheckpointUnsigned,
    /// The checkpoint's Ed25519 signature does not verify under the
    /// trusted audit public key: re-signed without the signing key.
    CheckpointSignatureInvalid,
    /// The audit public key recorded in the database is not the trusted
    /// one (pinned, from the signing key, or from a published head).
    PublicKeyMismatch,
    /// The database records no audit public key although the store signs
    /// (the signing key is held, or a key was pinned): the record was
    /// deleted, e.g. to have the store re-sign a replayed state.
    PublicKeyMissing,
    /// The log is shorter than a head published earlier: rolled back,
    /// truncated, or an old checkpoint replayed.
    RolledBack { have: u64, published: u64 },
    /// Entry `seq` is not the one a head published earlier covers: the log
    /// was rewritten after that head was published.
    Diverged { seq: u64 },
    /// The published head given to check against is not validly signed by
    /// the trusted key.
    PublishedHeadInvalid,
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
            VerifyError::CheckpointUnsigned => f.write_str(
                "the audit checkpoint carries no Ed25519 signature although this store signs its checkpoints: it was replaced or stripped",
            ),
            VerifyError::CheckpointSignatureInvalid => f.write_str(
                "the audit checkpoint's Ed25519 signature does not verify under the audit public key: the log was re-signed without the signing key",
            ),
            VerifyError::PublicKeyMismatch => f.write_str(
                "the audit public key recorded in the database is not the trusted one: the log was re-signed under another key",
            ),
            VerifyError::PublicKeyMissing => f.write_str(
                "the database records no audit public key although this store signs its checkpoints: the key's record was deleted",
            ),
            VerifyError::RolledBack { have, published } => write!(
                f,
                "the audit log has {have} entries but a head published earlier covers {published}: it was rolled back, truncated or an old checkpoint replayed"
            ),
            VerifyError::Diverged { seq } => write!(
                f,
                "audit entry {seq} is not the entry the published head covers: the log was rewritten after that head was published"
            ),
            VerifyError::PublishedHeadInvalid => f.write_str(
                "the published head is not validly signed by the trusted audit key",
            ),
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
    /// A published head the log must extend: (count, hash of that entry).
    anchor: Option<(u64, [u8; 32])>,
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
            anchor: None,
            buf: Vec::with_capacity(256),
        }
    }

    /// A verifier for the part of a log that starts at entry `next_seq`,
    /// taking `head` as the hash of the entry before it (for checking a log
    /// in ranges, e.g. in parallel). It proves nothing about the entries
    /// before `next_seq`: the caller must check them separately and that
    /// their last hash ([`Verifier::head`]) equals `head`.
    pub fn resume(key: &AuditKey, next_seq: u64, head: [u8; 32]) -> Verifier {
        Verifier {
            key: key.clone(),
            expected: next_seq.max(1),
            head,
            gap: None,
            anchor: None,
            buf: Vec::with_capacity(256),
        }
    }

    /// Requires the log to extend a head published earlier: the entry at
    /// `count` must have hash `head_hash`, and the log must reach it.
    /// Checked as entries stream past ([`VerifyError::Diverged`]) and at
    /// [`Verifier::finish`] ([`VerifyError::RolledBack`]). The caller checks
    /// the head's signature first.
    pub fn with_anchor(mut self, count: u64, head_hash: [u8; 32]) -> Verifier {
        self.anchor = Some((count, head_hash));
        self
    }

    /// The hash of the last accepted entry ([`GENESIS_PREV_HASH`] when
    /// none), i.e. the `prev_hash` the next entry must carry.
    pub fn head(&self) -> [u8; 32] {
        self.head
    }

    /// Number of entries accepted so far.
    pub fn count(&self) -> u64 {
        self.expected - 1
    }

    pub fn push(&mut self, entry: &Entry) -> Result<(), VerifyError> {
        self.push_parts(
            entry.seq,
            entry.at_unix_micros,
            &entry.actor,
            entry.action,
            entry.record_ids.iter().map(String::as_str),
            &entry.prev_hash,
            &entry.hash,
        )
    }

    /// [`Verifier::push`] for an entry given as borrowed parts (e.g. read
    /// straight from a database row), so a store need not build an owned
    /// [`Entry`] per row. Same checks, same verdicts.
    #[allow(clippy::too_many_arguments)]
    pub fn push_parts<'a, I>(
        &mut self,
        seq: u64,
        at_unix_micros: i64,
        actor: &str,
        action: Action,
        record_ids: I,
        prev_hash: &[u8; 32],
        hash: &[u8; 32],
    ) -> Result<(), VerifyError>
    where
        I: IntoIterator<Item = &'a str>,
    {
        self.buf.clear();
        encode_entry_parts(
            &mut self.buf,
            seq,
            at_unix_micros,
            actor,
            action,
            record_ids,
            prev_hash,
        );
        let computed: [u8; 32] = Sha256::digest(&self.buf).into();
        if computed != *hash {
            return Err(VerifyError::Modified { seq });
        }
        if let Some((expected_seq, found_seq)) = self.gap {
            // The entry after a jump: if it is one of the skipped ones, or
            // older than the one that jumped, entries were moved; otherwise
            // the skipped ones are gone.
            return Err(if seq < found_seq {
                VerifyError::OutOfOrder {
                    seq,
                    after: found_seq,
                }
            } else {
                VerifyError::Missing {
                    expected_seq,
                    found_seq,
                }
            });
        }
        if seq < self.expected {
            return Err(VerifyError::OutOfOrder {
                seq,
                after: self.expected - 1,
            });
        }
        if seq > self.expected {
            self.gap = Some((self.expected, seq));
            return Ok(());
        }
        if *prev_hash != self.head {
            return Err(VerifyError::BrokenLink { seq });
        }
        if let Some((at, anchored)) = self.anchor
            && at == seq
            && anchored != *hash
        {
            return Err(VerifyError::Diverged { seq });
        }
        self.head = *hash;
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
        if let Some((published, anchored)) = self.anchor {
            if have < published {
                return Err(VerifyError::RolledBack { have, published });
            }
            if published == 0 && anchored != GENESIS_PREV_HASH {
                return Err(VerifyError::Diverged { seq: 0 });
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{Chain, EntryDraft, encode_entry};

    fn log(n: u64) -> (Vec<Entry>, Checkpoint, AuditKey) {
        let key = AuditKey::from_bytes([3u8; 32]);
        let mut chain = Chain::genesis();
        let entries: Vec<Entry> = (0..n)
            .map(|i| {
                chain.append(EntryDraft {
                    at_unix_micros: 1_700_000_000_000_000 + i as i64,
                    actor: format!("pr_{i}"),
                    action: Action::NoteRead,
                    // 0, 1 and 2 record ids in turn.
                    record_ids: (0..i % 3).map(|j| format!("note_{i}_{j}")).collect(),
                })
            })
            .collect();
        let cp = chain.checkpoint(&key);
        (entries, cp, key)
    }

    #[test]
    fn parts_encode_exactly_as_the_entry() {
        let (entries, _, _) = log(6);
        for e in &entries {
            let mut whole = Vec::new();
            encode_entry(
                &mut whole,
                e.seq,
                e.at_unix_micros,
                &e.actor,
                e.action,
                &e.record_ids,
                &e.prev_hash,
            );
            let mut parts = Vec::new();
            encode_entry_parts(
                &mut parts,
                e.seq,
                e.at_unix_micros,
                &e.actor,
                e.action,
                e.record_ids.iter().map(String::as_str),
                &e.prev_hash,
            );
            assert_eq!(whole, parts);
        }
    }

    #[test]
    fn push_parts_gives_the_same_verdicts_as_push() {
        let (entries, cp, key) = log(8);
        let mut changed = entries.clone();
        changed[4].actor.push('x');
        for log in [&entries, &changed] {
            let mut a = Verifier::new(&key);
            let mut b = Verifier::new(&key);
            let mut ra = Ok(());
            let mut rb = Ok(());
            for e in log.iter() {
                ra = ra.and_then(|()| a.push(e));
                rb = rb.and_then(|()| {
                    b.push_parts(
                        e.seq,
                        e.at_unix_micros,
                        &e.actor,
                        e.action,
                        e.record_ids.iter().map(String::as_str),
                        &e.prev_hash,
                        &e.hash,
                    )
                });
            }
            assert_eq!(ra, rb);
            if ra.is_ok() {
                assert_eq!(a.finish(Some(&cp)), b.finish(Some(&cp)));
            }
        }
        let mut v = Verifier::new(&key);
        for e in &changed[..4] {
            assert_eq!(v.push(e), Ok(()));
        }
        assert_eq!(v.push(&changed[4]), Err(VerifyError::Modified { seq: 5 }));
    }

    #[test]
    fn a_log_checked_in_two_ranges_joins_only_where_the_hashes_meet() {
        let (entries, cp, key) = log(10);
        let mut first = Verifier::new(&key);
        for e in &entries[..5] {
            assert_eq!(first.push(e), Ok(()));
        }
        let mut second = Verifier::resume(&key, 6, entries[5].prev_hash);
        for e in &entries[5..] {
            assert_eq!(second.push(e), Ok(()));
        }
        assert_eq!(first.count(), 5);
        assert_eq!(first.head(), entries[5].prev_hash);
        assert_eq!(second.finish(Some(&cp)), Ok(10));

        // Resumed from the wrong head, the range's first entry does not link.
        let mut wrong = Verifier::resume(&key, 6, entries[3].hash);
        assert_eq!(
            wrong.push(&entries[5]),
            Err(VerifyError::BrokenLink { seq: 6 })
        );
        // Resumed at the wrong seq, the first entry is reported out of place.
        let mut late = Verifier::resume(&key, 7, entries[5].prev_hash);
        assert_eq!(
            late.push(&entries[5]),
            Err(VerifyError::OutOfOrder { seq: 6, after: 6 })
        );
    }
}
