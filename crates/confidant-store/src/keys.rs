//! Key handling and the small helpers both backends share: sealing, ids,
//! time, audit drafts.

use crate::error::{Result, StoreError};
use confidant_audit::{Action, Chain, Checkpoint, Entry, EntryDraft, VerifyError};
use confidant_core::ids::ClientId;
use confidant_core::record::NewClient;
use confidant_crypto::{
    Aad, AuditKey, AuditSigningKey, AuditVerifyingKey, BlindIndexKey, CryptoError, DataKey,
    KeyRing, MasterKey, SecretString, open, seal,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

/// The master key and its subkeys, derived once per open store; the key
/// ring (KEK generations from the key file) and the audit signing key.
pub(crate) struct Keys {
    pub(crate) blind: BlindIndexKey,
    pub(crate) audit: AuditKey,
    /// Keyed link digests (case and note parties).
    pub(crate) links: AuditKey,
    /// Row MACs, client digests, the store manifest.
    pub(crate) records: AuditKey,
    /// Seals each case's list of parties.
    pub(crate) case_parties: DataKey,
    /// The database's rows are in the sealed, authenticated format
    /// (`meta.records_format = 2`): a missing manifest is then tampering.
    pub(crate) records_sealed: std::sync::atomic::AtomicBool,
    /// The KEKs as last read from the key file; replaced, never edited.
    ring: RwLock<Arc<KeyRing>>,
    /// The KEK generation the database wraps under, as last seen under the
    /// writer lock (`lock_chain`). New data keys are wrapped under it.
    generation: AtomicU32,
    /// The Ed25519 key that signs checkpoints (None: read-only auditing).
    pub(crate) signer: Option<AuditSigningKey>,
    /// The store's audit public key as recorded in the database (None: a
    /// store from before signing began).
    pub(crate) verifying: RwLock<Option<AuditVerifyingKey>>,
    pub(crate) data_dir: PathBuf,
    /// Where the signing key was looked for (named in errors).
    pub(crate) signer_path: PathBuf,
    /// The cap on a note's text (bytes).
    pub(crate) max_note_bytes: usize,
    /// `meta.records_format` is missing although the verified audit log
    /// shows this store was at schema 5 (or the log does not verify):
    /// tampering, so every audited operation refuses (`lock_chain`).
    pub(crate) format_marker_missing: std::sync::atomic::AtomicBool,
    /// The last head the configured witness holds (count, head hash), as
    /// read before this operation: `lock_chain` refuses a log that does
    /// not extend it (a rolled-back database).
    pub(crate) witness_anchor: std::sync::Mutex<Option<(u64, [u8; 32])>>,
}

impl Keys {
    pub(crate) fn with_ring(
        ring: KeyRing,
        signer: Option<AuditSigningKey>,
        data_dir: PathBuf,
    ) -> Keys {
        // The master key lives once, in the ring (boxed, zeroized on drop);
        // the derived subkeys are separate keys, not copies of it.
        let blind = ring.master().blind_index_key();
        let audit = ring.master().audit_key();
        let links = ring.master().link_key();
        let records = ring.master().record_mac_key();
        let case_parties = ring.master().case_parties_key();
        Keys {
            blind,
            audit,
            links,
            records,
            case_parties,
            records_sealed: std::sync::atomic::AtomicBool::new(false),
            ring: RwLock::new(Arc::new(ring)),
            generation: AtomicU32::new(0),
            signer,
            verifying: RwLock::new(None),
            data_dir,
            signer_path: PathBuf::new(),
            max_note_bytes: confidant_core::record::DEFAULT_MAX_NOTE_BYTES,
            format_marker_missing: std::sync::atomic::AtomicBool::new(false),
            witness_anchor: std::sync::Mutex::new(None),
        }
    }

    /// The service key sealing destruction certificates.
    pub(crate) fn certificate_key(&self) -> DataKey {
        self.ring().master().certificate_key()
    }

    pub(crate) fn ring(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn set_ring(&self, ring: KeyRing) {
        let ring = Arc::new(ring);
        match self.ring.write() {
            Ok(mut r) => *r = ring,
            Err(poisoned) => *poisoned.into_inner() = ring,
        }
    }

    pub(crate) fn verifying_key(&self) -> Option<AuditVerifyingKey> {
        match self.verifying.read() {
            Ok(v) => *v,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    pub(crate) fn set_verifying_key(&self, key: Option<AuditVerifyingKey>) {
        match self.verifying.write() {
            Ok(mut v) => *v = key,
            Err(poisoned) => *poisoned.into_inner() = key,
        }
    }

    pub(crate) fn witness_anchor(&self) -> Option<(u64, [u8; 32])> {
        match self.witness_anchor.lock() {
            Ok(a) => *a,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    pub(crate) fn set_witness_anchor(&self, anchor: Option<(u64, [u8; 32])>) {
        match self.witness_anchor.lock() {
            Ok(mut a) => *a = anchor,
            Err(poisoned) => *poisoned.into_inner() = anchor,
        }
    }

    pub(crate) fn records_sealed(&self) -> bool {
        self.records_sealed.load(Ordering::SeqCst)
    }

    pub(crate) fn generation(&self) -> u32 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn set_generation(&self, generation: u32) {
        self.generation.store(generation, Ordering::SeqCst);
    }

    /// The key file as it is on disk now (never the in-memory ring, which
    /// may still hold a generation erased from the file).
    pub(crate) fn ring_on_disk(&self) -> Result<Option<KeyRing>> {
        Ok(KeyRing::load(&self.data_dir, self.ring().master())?)
    }

    /// Re-reads the key file (another process may have rotated). A store
    /// opened without a key file keeps its master-only ring.
    pub(crate) fn reload_ring(&self) -> Result<()> {
        if self.data_dir.as_os_str().is_empty() {
            return Ok(());
        }
        let current = self.ring();
        if let Some(ring) = KeyRing::load(&self.data_dir, current.master())? {
            // Keep the generation this process wraps under until it sees the
            // database move on (lock_chain), so a wrap in flight never fails.
            self.set_ring(ring.keeping_from(&current, self.generation()));
        }
        Ok(())
    }

    /// Takes note of the database's KEK generation, seen under the writer
    /// lock. If it moved (a destruction in another process), the key file
    /// is re-read and the operation must be retried, since it may already
    /// have wrapped a key under the old generation.
    pub(crate) fn observe_generation(&self, db_generation: u32) -> Result<()> {
        if db_generation == self.generation() && self.ring().has_generation(db_generation) {
            return Ok(());
        }
        if !self.ring().has_generation(db_generation) {
            self.reload_ring()?;
            if !self.ring().has_generation(db_generation) {
                return Err(StoreError::KeyFileStale {
                    generation: db_generation,
                });
            }
        }
        let before = self.generation.swap(db_generation, Ordering::SeqCst);
        if before != db_generation {
            return Err(StoreError::KeyGenerationChanged);
        }
        Ok(())
    }

    /// Wraps a new data key under the current generation.
    pub(crate) fn wrap(&self, owner_id: &str, key: &DataKey) -> Result<Vec<u8>> {
        Ok(self.ring().wrap(self.generation(), owner_id, key)?)
    }

    /// Unwraps a data key; re-reads the key file once if it names a
    /// generation this process has not seen yet.
    pub(crate) fn unwrap(&self, owner_id: &str, wrapped: &[u8]) -> Result<DataKey> {
        match self.ring().unwrap(owner_id, wrapped) {
            Err(CryptoError::UnknownKeyGeneration { .. }) => {
                self.reload_ring()?;
                Ok(self.ring().unwrap(owner_id, wrapped)?)
            }
            other => Ok(other?),
        }
    }

    /// A value stored in the database at init that only this master key
    /// reproduces, so a store opened with the wrong key file (or a
    /// PostgreSQL URL pointing at another store) fails up front.
    pub(crate) fn key_check(&self) -> [u8; 32] {
        self.blind.index("meta", "confidant store key check v1")
    }
}

/// Loads the master key from the data directory (random key file, or derived
/// from the passphrase), with the store's error messages.
pub fn load_master_key(data_dir: &Path, passphrase: Option<&SecretString>) -> Result<MasterKey> {
    Ok(MasterKey::load(data_dir, passphrase)?)
}

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// 16 bytes for a new id: a UUID v7 (time-ordered, 74 random bits), so new
/// rows land at the end of the id indexes.
pub(crate) fn new_id_bytes() -> [u8; 16] {
    *uuid::Uuid::now_v7().as_bytes()
}

pub(crate) fn aad<'a>(
    table: &'a str,
    column: &'a str,
    row_id: &'a str,
    client_id: &'a str,
) -> Aad<'a> {
    Aad {
        table,
        column,
        row_id,
        client_id,
    }
}

/// Opens a sealed text value. A failure means the ciphertext was altered,
/// moved, or sealed under another key: reported without any content.
pub(crate) fn open_text(
    key: &DataKey,
    table: &str,
    column: &str,
    row_id: &str,
    client_id: &str,
    sealed: &[u8],
) -> Result<String> {
    let plain = open(key, &aad(table, column, row_id, client_id), sealed)?;
    String::from_utf8(plain.to_vec()).map_err(|_| StoreError::Corrupt {
        what: "sealed text is not utf-8",
    })
}

/// The AAD column of a padded short field (schema 5): distinct from the
/// unpadded column name, so a reader knows which format it opened.
fn padded_column(column: &str) -> String {
    format!("{column}:padded")
}

/// Seals a short field (a name, a contact detail) padded to its size bucket
/// (`integrity::pad`), so its ciphertext length says only the bucket.
pub(crate) fn seal_padded(
    key: &DataKey,
    table: &str,
    column: &str,
    row_id: &str,
    client_id: &str,
    value: &str,
) -> Vec<u8> {
    let col = padded_column(column);
    let plain = zeroize::Zeroizing::new(crate::integrity::pad(value.as_bytes()));
    seal(key, &aad(table, &col, row_id, client_id), &plain)
}

/// Opens a short field sealed padded, or unpadded by schema 4 (which the
/// AAD tells apart: a padded value never opens under the plain column).
pub(crate) fn open_text_padded(
    key: &DataKey,
    table: &str,
    column: &str,
    row_id: &str,
    client_id: &str,
    sealed: &[u8],
) -> Result<String> {
    let col = padded_column(column);
    match open(key, &aad(table, &col, row_id, client_id), sealed) {
        Ok(plain) => {
            let value = crate::integrity::unpad(&plain).ok_or(StoreError::Corrupt {
                what: "sealed field padding",
            })?;
            String::from_utf8(value.to_vec()).map_err(|_| StoreError::Corrupt {
                what: "sealed text is not utf-8",
            })
        }
        Err(_) => open_text(key, table, column, row_id, client_id, sealed),
    }
}

pub(crate) fn draft(actor: &str, action: Action, record_ids: Vec<String>) -> EntryDraft {
    EntryDraft {
        at_unix_micros: now_micros(),
        actor: actor.to_owned(),
        action,
        record_ids,
    }
}

pub(crate) fn seq_to_i64(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

pub(crate) fn checkpoint_from_parts(count: i64, head: Vec<u8>, mac: Vec<u8>) -> Option<Checkpoint> {
    Some(Checkpoint {
        count: u64::try_from(count).ok()?,
        head_hash: head.try_into().ok()?,
        mac: mac.try_into().ok()?,
    })
}

/// The writer's chain positioned where the signed checkpoint says the log
/// ends (not where the table ends: a truncated table must not be extended
/// as if nothing were missing).
pub(crate) fn chain_at(cp: &Checkpoint) -> Chain {
    Chain::from_checkpoint(cp)
}

/// Rebuilds an entry from its stored columns; a column that cannot be
/// decoded is reported as a malformed entry at that seq.
pub(crate) fn entry_from_parts(
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    record_ids: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
) -> Result<Entry, VerifyError> {
    let useq = u64::try_from(seq).map_err(|_| VerifyError::Malformed {
        seq: 0,
        field: "seq",
    })?;
    let action = action
        .parse::<Action>()
        .map_err(|_| VerifyError::Malformed {
            seq: useq,
            field: "action",
        })?;
    let prev_hash: [u8; 32] = prev_hash.try_into().map_err(|_| VerifyError::Malformed {
        seq: useq,
        field: "prev_hash",
    })?;
    let hash: [u8; 32] = hash.try_into().map_err(|_| VerifyError::Malformed {
        seq: useq,
        field: "hash",
    })?;
    let record_ids = if record_ids.is_empty() {
        Vec::new()
    } else {
        record_ids.split(' ').map(str::to_owned).collect()
    };
    Ok(Entry {
        seq: useq,
        at_unix_micros: at,
        actor,
        action,
        record_ids,
        prev_hash,
        hash,
    })
}

/// The blind-index kind of name buckets (schema 5).
pub(crate) const NAME_BUCKET_KIND: &str = "name-b8";

/// The bucket of a normalised name or name part: the first byte of its
/// HMAC. 256 buckets: a lookup returns every client with a name or part in
/// the bucket, and the store confirms each candidate by decrypting its
/// name, so the index alone never says that two clients share a name part.
pub(crate) fn name_bucket(keys: &Keys, value: &str) -> Vec<u8> {
    keys.blind.index(NAME_BUCKET_KIND, value)[..1].to_vec()
}

/// A client's blind-index rows: one bucket for the full name and one per
/// distinct part (deduplicated, so a bucket row never says "two parts
/// collide"), and the NHS number's full digest.
pub(crate) fn name_index(
    keys: &Keys,
    name: &str,
    nhs: Option<&str>,
) -> Vec<(&'static str, Vec<u8>)> {
    let mut buckets = vec![name_bucket(keys, name)];
    for part in name.split_whitespace() {
        buckets.push(name_bucket(keys, part));
    }
    buckets.sort();
    buckets.dedup();
    let mut index: Vec<(&'static str, Vec<u8>)> =
        buckets.into_iter().map(|b| (NAME_BUCKET_KIND, b)).collect();
    if let Some(nhs) = nhs {
        index.push(("nhs-number", keys.blind.index("nhs-number", nhs).to_vec()));
    }
    index
}

/// Whether a client's (decrypted) name answers a lookup: the whole name or
/// one of its parts equals the query, both normalised.
pub(crate) fn name_matches(name: &str, query: &str) -> bool {
    let name = zeroize::Zeroizing::new(confidant_crypto::normalise(name));
    let query = zeroize::Zeroizing::new(confidant_crypto::normalise(query));
    *name == *query || name.split(' ').any(|p| p == query.as_str())
}

/// A client's fields sealed under a fresh data key, ready to insert.
pub(crate) struct SealedClient {
    pub(crate) id: ClientId,
    pub(crate) created_at: i64,
    pub(crate) wrapped_key: Vec<u8>,
    pub(crate) name: Vec<u8>,
    pub(crate) dob: Option<Vec<u8>>,
    pub(crate) email: Option<Vec<u8>>,
    pub(crate) phone: Option<Vec<u8>>,
    pub(crate) address: Option<Vec<u8>>,
    pub(crate) postcode: Option<Vec<u8>>,
    pub(crate) nhs_number: Option<Vec<u8>>,
    /// The flags, sealed (`meta_ct`).
    pub(crate) meta: Vec<u8>,
    /// Blind-index digests: (kind, HMAC or its bucket).
    pub(crate) index: Vec<(&'static str, Vec<u8>)>,
}

impl SealedClient {
    pub(crate) fn seal(keys: &Keys, c: &NewClient) -> Result<SealedClient> {
        c.validate(confidant_core::record::CivilDate::today_utc())?;
        let id = ClientId::from_bytes(new_id_bytes());
        let key = DataKey::generate();
        let wrapped_key = keys.wrap(id.as_str(), &key)?;
        let s = |col: &str, v: &str| seal_padded(&key, "clients", col, id.as_str(), id.as_str(), v);
        let opt = |col: &str, v: &Option<String>| {
            v.as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| s(col, v))
        };
        let index = name_index(keys, &c.name, c.nhs_number.as_ref().map(|n| n.as_str()));
        Ok(SealedClient {
            name: s("name_ct", &c.name),
            dob: c.date_of_birth.map(|d| s("dob_ct", &d.to_string())),
            email: opt("email_ct", &c.email),
            phone: opt("phone_ct", &c.phone),
            address: opt("address_ct", &c.address),
            postcode: opt("postcode_ct", &c.postcode),
            nhs_number: c
                .nhs_number
                .as_ref()
                .map(|n| s("nhs_number_ct", n.as_str())),
            meta: crate::integrity::seal_meta(
                &key,
                "clients",
                id.as_str(),
                id.as_str(),
                &crate::integrity::flags_meta(&c.flags),
            ),
            index,
            id,
            created_at: now_micros(),
            wrapped_key,
        })
    }
}
