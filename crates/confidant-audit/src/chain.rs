use confidant_crypto::AuditKey;
use sha2::{Digest, Sha256};

use crate::action::Action;

/// The `prev_hash` of the first entry.
pub const GENESIS_PREV_HASH: [u8; 32] = [0u8; 32];

const ENTRY_DOMAIN: &[u8] = b"confidant.audit.entry.v1";
const CHECKPOINT_DOMAIN: &[u8] = b"confidant.audit.checkpoint.v1";
const CHECKPOINT_ENCODED_LEN: usize = CHECKPOINT_DOMAIN.len() + 8 + 32;

/// An entry before it is placed in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryDraft {
    /// When, in microseconds since the Unix epoch (UTC).
    pub at_unix_micros: i64,
    /// Who: a practitioner or system actor id, never a name.
    pub actor: String,
    pub action: Action,
    /// Which records: ids only, never content.
    pub record_ids: Vec<String>,
}

/// A chained audit entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// 1 for the first entry, then consecutive.
    pub seq: u64,
    pub at_unix_micros: i64,
    pub actor: String,
    pub action: Action,
    pub record_ids: Vec<String>,
    pub prev_hash: [u8; 32],
    /// SHA-256 of [`encode_entry`] of the fields above.
    pub hash: [u8; 32],
}

impl Entry {
    /// Recomputes the hash from the entry's fields (ignores `self.hash`).
    pub fn compute_hash(&self) -> [u8; 32] {
        entry_hash(
            self.seq,
            self.at_unix_micros,
            &self.actor,
            self.action,
            &self.record_ids,
            &self.prev_hash,
        )
    }
}

fn push_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Appends the canonical encoding hashed for an entry to `out`:
///
/// ```text
/// "confidant.audit.entry.v1" || u64be(seq) || i64be(at_unix_micros)
///   || lp(actor) || lp(action) || u64be(n) || lp(record_id_1) .. lp(record_id_n)
///   || prev_hash (32)
/// lp(s) = u64be(len(s)) || s
/// ```
///
/// Every variable-length field carries its length, so no two different
/// entries share an encoding. Part of the stored format: pinned by a
/// known-answer test.
pub fn encode_entry<S: AsRef<str>>(
    out: &mut Vec<u8>,
    seq: u64,
    at_unix_micros: i64,
    actor: &str,
    action: Action,
    record_ids: &[S],
    prev_hash: &[u8; 32],
) {
    encode_entry_parts(
        out,
        seq,
        at_unix_micros,
        actor,
        action,
        record_ids.iter().map(AsRef::as_ref),
        prev_hash,
    );
}

/// [`encode_entry`] with the record ids from an iterator of borrowed
/// strings (e.g. split from a stored column), so a verifier can encode a
/// stored row without building an [`Entry`]. Same bytes as [`encode_entry`]:
/// the id count is written once the ids have been counted.
pub fn encode_entry_parts<'a, I>(
    out: &mut Vec<u8>,
    seq: u64,
    at_unix_micros: i64,
    actor: &str,
    action: Action,
    record_ids: I,
    prev_hash: &[u8; 32],
) where
    I: IntoIterator<Item = &'a str>,
{
    out.extend_from_slice(ENTRY_DOMAIN);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&at_unix_micros.to_be_bytes());
    push_lp(out, actor.as_bytes());
    push_lp(out, action.as_str().as_bytes());
    let count_at = out.len();
    out.extend_from_slice(&0u64.to_be_bytes());
    let mut n: u64 = 0;
    for id in record_ids {
        push_lp(out, id.as_bytes());
        n += 1;
    }
    out[count_at..count_at + 8].copy_from_slice(&n.to_be_bytes());
    out.extend_from_slice(prev_hash);
}

/// SHA-256 of [`encode_entry`].
pub fn entry_hash<S: AsRef<str>>(
    seq: u64,
    at_unix_micros: i64,
    actor: &str,
    action: Action,
    record_ids: &[S],
    prev_hash: &[u8; 32],
) -> [u8; 32] {
    let mut buf = Vec::with_capacity(128);
    encode_entry(
        &mut buf,
        seq,
        at_unix_micros,
        actor,
        action,
        record_ids,
        prev_hash,
    );
    Sha256::digest(&buf).into()
}

/// The writer's view of the chain: the next sequence number and the head
/// hash. Cheap to clone, so a store can roll it back with a failed
/// transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    next_seq: u64,
    head: [u8; 32],
}

impl Chain {
    /// An empty chain: the first entry gets seq 1 and [`GENESIS_PREV_HASH`].
    pub fn genesis() -> Chain {
        Chain {
            next_seq: 1,
            head: GENESIS_PREV_HASH,
        }
    }

    /// Continue after the newest stored entry (`None`: the log is empty).
    pub fn resume(last: Option<&Entry>) -> Chain {
        match last {
            None => Chain::genesis(),
            Some(e) => Chain {
                next_seq: e.seq.saturating_add(1),
                head: e.hash,
            },
        }
    }

    /// Continue where a checkpoint says the log ends: `count` entries ending
    /// in `head_hash`. Does not check the MAC: verify the checkpoint first
    /// (a writer positioned by a forged checkpoint would launder tampering).
    pub fn from_checkpoint(checkpoint: &Checkpoint) -> Chain {
        Chain {
            next_seq: checkpoint.count.saturating_add(1),
            head: checkpoint.head_hash,
        }
    }

    /// Places `draft` at the end of the chain.
    pub fn append(&mut self, draft: EntryDraft) -> Entry {
        let seq = self.next_seq;
        let prev_hash = self.head;
        let hash = entry_hash(
            seq,
            draft.at_unix_micros,
            &draft.actor,
            draft.action,
            &draft.record_ids,
            &prev_hash,
        );
        self.next_seq = seq.saturating_add(1);
        self.head = hash;
        Entry {
            seq,
            at_unix_micros: draft.at_unix_micros,
            actor: draft.actor,
            action: draft.action,
            record_ids: draft.record_ids,
            prev_hash,
            hash,
        }
    }

    /// Number of entries so far (the seq of the newest entry).
    pub fn len(&self) -> u64 {
        self.next_seq - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The newest entry's hash ([`GENESIS_PREV_HASH`] when empty).
    pub fn head(&self) -> [u8; 32] {
        self.head
    }

    /// The chain's head signed with the Ed25519 audit signing key.
    pub fn signed_head(&self, key: &confidant_crypto::AuditSigningKey) -> crate::SignedHead {
        crate::SignedHead::sign(key, self.len(), self.head)
    }

    /// A checkpoint over the whole chain so far. The store must write it in
    /// the same transaction as the entries it covers.
    pub fn checkpoint(&self, key: &AuditKey) -> Checkpoint {
        Checkpoint::sign(key, self.len(), self.head)
    }
}

/// The signed statement "the log has `count` entries and ends in
/// `head_hash`". Without the audit key nobody can make one, so truncating the
/// log or rewriting it wholesale cannot go unnoticed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub count: u64,
    pub head_hash: [u8; 32],
    pub mac: [u8; 32],
}

/// The bytes MACed for a checkpoint:
/// `"confidant.audit.checkpoint.v1" || u64be(count) || head_hash`.
pub fn encode_checkpoint(count: u64, head_hash: &[u8; 32]) -> [u8; CHECKPOINT_ENCODED_LEN] {
    const D: usize = CHECKPOINT_DOMAIN.len();
    let mut out = [0u8; CHECKPOINT_ENCODED_LEN];
    out[..D].copy_from_slice(CHECKPOINT_DOMAIN);
    out[D..D + 8].copy_from_slice(&count.to_be_bytes());
    out[D + 8..].copy_from_slice(head_hash);
    out
}

impl Checkpoint {
    pub fn sign(key: &AuditKey, count: u64, head: [u8; 32]) -> Checkpoint {
        let mac = key.mac(&encode_checkpoint(count, &head));
        Checkpoint {
            count,
            head_hash: head,
            mac,
        }
    }

    /// Whether the MAC is valid under `key` (constant time).
    pub fn verify(&self, key: &AuditKey) -> bool {
        key.verify(&encode_checkpoint(self.count, &self.head_hash), &self.mac)
    }
}
