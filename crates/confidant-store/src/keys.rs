//! Key handling and the small helpers both backends share: sealing, ids,
//! time, audit drafts.

use crate::error::{Result, StoreError};
use confidant_audit::{Action, Chain, Checkpoint, Entry, EntryDraft, VerifyError};
use confidant_core::ids::ClientId;
use confidant_core::record::NewClient;
use confidant_crypto::{
    Aad, AuditKey, BlindIndexKey, DataKey, MasterKey, SecretString, open, seal, wrap_data_key,
};
use std::path::Path;

/// The master key and its subkeys, derived once per open store.
pub(crate) struct Keys {
    pub(crate) master: MasterKey,
    pub(crate) blind: BlindIndexKey,
    pub(crate) audit: AuditKey,
}

impl Keys {
    pub(crate) fn new(master: MasterKey) -> Keys {
        let blind = master.blind_index_key();
        let audit = master.audit_key();
        Keys {
            master,
            blind,
            audit,
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
    /// Blind-index digests: (kind, HMAC).
    pub(crate) index: Vec<(&'static str, [u8; 32])>,
}

impl SealedClient {
    pub(crate) fn seal(keys: &Keys, c: &NewClient) -> Result<SealedClient> {
        if c.name.trim().is_empty() {
            return Err(confidant_core::record::FieldError::Empty { field: "name" }.into());
        }
        let id = ClientId::from_bytes(new_id_bytes());
        let key = DataKey::generate();
        let wrapped_key = wrap_data_key(&keys.master, id.as_str(), &key);
        let s = |col: &str, v: &str| {
            seal(
                &key,
                &aad("clients", col, id.as_str(), id.as_str()),
                v.as_bytes(),
            )
        };
        let opt = |col: &str, v: &Option<String>| {
            v.as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| s(col, v))
        };
        let mut index = vec![("name", keys.blind.index("name", &c.name))];
        for part in c.name.split_whitespace() {
            index.push(("name-part", keys.blind.index("name-part", part)));
        }
        if let Some(nhs) = &c.nhs_number {
            index.push(("nhs-number", keys.blind.index("nhs-number", nhs.as_str())));
        }
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
            index,
            id,
            created_at: now_micros(),
            wrapped_key,
        })
    }
}
