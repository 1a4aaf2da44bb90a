//! The stored-row integrity formats of schema 5 (issue 8 part A), free of
//! any database: row MACs, keyed link digests, per-client digests, the store
//! manifest and the sealed metadata encodings. The operations that read and
//! write them are in `ops_integrity.rs` (compiled per backend).
//!
//! All formats are pinned by known-answer tests (`tests/stored_format.rs`)
//! and described in `docs/crypto-architecture.md`.

use confidant_crypto::{AuditKey, DataKey};

/// The `meta.records_format` value of a store whose metadata is sealed and
/// whose rows are authenticated.
pub(crate) const RECORDS_FORMAT: &str = "2";

/// Named by the audit entry that made a store schema 5 (`init`, or the
/// `store.upgrade` of the schema-4 upgrade): the hash-chained, checkpointed
/// log, not an unauthenticated `meta` row, shows the store is sealed.
pub(crate) const FORMAT_MARKER: &str = "records-format-2";

/// Named by the `key.rotate` entry that began signing a legacy store.
pub(crate) const SIGNING_MARKER: &str = "audit-signing-key";

/// What the verified audit log shows about a store's history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LogHistory {
    /// The store was made, or upgraded to, schema 5 (sealed records).
    pub(crate) sealed: bool,
    /// The store signs its checkpoints (every schema-5 store does; a
    /// legacy store from when its signing upgrade ran).
    pub(crate) signed: bool,
}

impl LogHistory {
    pub(crate) fn note(&mut self, action: &str, record_ids: &str) {
        let names = |m: &str| record_ids.split(' ').any(|id| id == m);
        if (action == "init" || action == "store.upgrade") && names(FORMAT_MARKER) {
            self.sealed = true;
            self.signed = true;
        }
        if action == "key.rotate" && names(SIGNING_MARKER) {
            self.signed = true;
        }
    }
}

/// The pseudo client id whose digest covers cases and their links.
pub(crate) const CASES_DIGEST_ID: &str = "~cases";

/// What `confidant store verify` checked (counts only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreSummary {
    /// Clients whose rows, links and digest verified.
    pub clients: u64,
    /// Rows checked (clients, notes, consents, holds, cases).
    pub rows: u64,
}

/// One stored column as it enters a row MAC.
pub(crate) enum Field<'a> {
    Bytes(Option<&'a [u8]>),
    Text(Option<&'a str>),
    Int(Option<i64>),
}

fn lp(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// `HMAC(records key, "confidant.row.v1" || lp(table) || lp(row id) ||
/// lp(client id) || u64be(n) || field_1 .. field_n)`, each field
/// `0x00` (NULL) or `0x01 || lp(bytes)` (blob, UTF-8 text, or i64be).
pub(crate) fn row_mac(
    key: &AuditKey,
    table: &str,
    row_id: &str,
    client_id: &str,
    fields: &[Field<'_>],
) -> [u8; 32] {
    let mut msg = Vec::with_capacity(256);
    msg.extend_from_slice(b"confidant.row.v1");
    lp(&mut msg, table.as_bytes());
    lp(&mut msg, row_id.as_bytes());
    lp(&mut msg, client_id.as_bytes());
    msg.extend_from_slice(&(fields.len() as u64).to_be_bytes());
    for f in fields {
        let bytes: Option<Vec<u8>> = match f {
            Field::Bytes(b) => b.map(<[u8]>::to_vec),
            Field::Text(t) => t.map(|t| t.as_bytes().to_vec()),
            Field::Int(i) => i.map(|i| i.to_be_bytes().to_vec()),
        };
        match bytes {
            None => msg.push(0),
            Some(b) => {
                msg.push(1);
                lp(&mut msg, &b);
            }
        }
    }
    key.mac(&msg)
}

/// A link (a client's part in a case or note) as stored: lower-case hex of
/// `HMAC(link key, "confidant.link.v1" || lp(table) || lp(row id) ||
/// lp(client id))`. Bound to its row, so two rows naming the same person
/// store unrelated digests.
pub(crate) fn link_digest(key: &AuditKey, table: &str, row_id: &str, client_id: &str) -> String {
    let mut msg = Vec::with_capacity(128);
    msg.extend_from_slice(b"confidant.link.v1");
    lp(&mut msg, table.as_bytes());
    lp(&mut msg, row_id.as_bytes());
    lp(&mut msg, client_id.as_bytes());
    hex(&key.mac(&msg))
}

/// One member of a client's row set: (table, row id, row MAC; empty for a
/// link, whose row id already holds its digest).
pub(crate) type RowRef = (&'static str, String, Vec<u8>);

/// `HMAC(records key, "confidant.client-digest.v1" || lp(client id) ||
/// u64be(n) || n x (lp(table) || lp(row id) || lp(mac)))`, rows sorted by
/// (table, row id).
pub(crate) fn client_digest(key: &AuditKey, client_id: &str, rows: &mut [RowRef]) -> [u8; 32] {
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut msg = Vec::with_capacity(64 + rows.len() * 96);
    msg.extend_from_slice(b"confidant.client-digest.v1");
    lp(&mut msg, client_id.as_bytes());
    msg.extend_from_slice(&(rows.len() as u64).to_be_bytes());
    for (table, row, mac) in rows.iter() {
        lp(&mut msg, table.as_bytes());
        lp(&mut msg, row.as_bytes());
        lp(&mut msg, mac);
    }
    key.mac(&msg)
}

/// `HMAC(records key, "confidant.manifest.v1" || u64be(n) || n x
/// (lp(client id) || lp(digest)))`, sorted by client id.
pub(crate) fn manifest(key: &AuditKey, digests: &mut [(String, Vec<u8>)]) -> [u8; 32] {
    digests.sort();
    let mut msg = Vec::with_capacity(32 + digests.len() * 88);
    msg.extend_from_slice(b"confidant.manifest.v1");
    msg.extend_from_slice(&(digests.len() as u64).to_be_bytes());
    for (client, digest) in digests.iter() {
        lp(&mut msg, client.as_bytes());
        lp(&mut msg, digest);
    }
    key.mac(&msg)
}

/// What the Ed25519 audit signing key signs to bind the manifest to the
/// checkpoint: `"confidant.store.manifest.v1" || u64be(count) || head_hash
/// || manifest`.
pub(crate) fn manifest_message(count: u64, head_hash: &[u8; 32], manifest: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(96);
    msg.extend_from_slice(b"confidant.store.manifest.v1");
    msg.extend_from_slice(&count.to_be_bytes());
    msg.extend_from_slice(head_hash);
    msg.extend_from_slice(manifest);
    msg
}

/// Seals a row's metadata (JSON), padded to its size bucket.
pub(crate) fn seal_meta(
    key: &DataKey,
    table: &str,
    row: &str,
    client: &str,
    value: &serde_json::Value,
) -> Vec<u8> {
    let plain = zeroize::Zeroizing::new(pad(value.to_string().as_bytes()));
    confidant_crypto::seal(
        key,
        &crate::keys::aad(table, "meta_ct", row, client),
        &plain,
    )
}

pub(crate) fn flags_meta(f: &confidant_core::record::ClientFlags) -> serde_json::Value {
    serde_json::json!({
        "protected": f.protected,
        "capacity_concern": f.capacity_concern,
        "parental_responsibility": f.parental_responsibility_held_elsewhere,
        "work_ended": f.work_ended,
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Pads a plaintext to its size bucket before sealing, so a ciphertext's
/// length says only which bucket the value is in: `u16be(len) || value ||
/// zeros` up to the next of 32, 64, 128, 256 bytes, then multiples of 256.
/// (Sealed metadata uses it; `unpad` reverses it.)
pub(crate) fn pad(value: &[u8]) -> Vec<u8> {
    let need = value.len() + 2;
    let bucket = [32usize, 64, 128, 256]
        .into_iter()
        .find(|b| *b >= need)
        .unwrap_or_else(|| need.div_ceil(256) * 256);
    let mut out = Vec::with_capacity(bucket);
    let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&value[..usize::from(len)]);
    out.resize(bucket, 0);
    out
}

/// The value inside a padded plaintext; `None` if the padding is malformed.
pub(crate) fn unpad(padded: &[u8]) -> Option<&[u8]> {
    let (len, rest) = padded.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len));
    let (value, zeros) = rest.split_at_checked(len)?;
    zeros.iter().all(|b| *b == 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_hides_the_exact_length_and_round_trips() {
        for n in [0usize, 1, 29, 30, 31, 62, 100, 254, 255, 600] {
            let v = vec![b'x'; n];
            let p = pad(&v);
            assert!([32, 64, 128, 256].contains(&p.len()) || p.len() % 256 == 0);
            assert!(p.len() >= n + 2);
            assert_eq!(unpad(&p), Some(&v[..]));
        }
        assert_eq!(pad(b"a").len(), pad(b"abcdefghij").len());
        assert_eq!(unpad(&[0, 5, b'a']), None);
        assert_eq!(unpad(&[0, 1, b'a', 1]), None);
    }

    #[test]
    fn kat_pad_encoding() {
        let p = pad(b"given");
        assert_eq!(p.len(), 32);
        assert_eq!(&p[..7], b"\x00\x05given");
        assert!(p[7..].iter().all(|b| *b == 0));
    }

    #[test]
    /// Pinned, and recomputed independently with Python's `hmac`.
    fn kat_row_mac_and_link_digest() {
        let key = AuditKey::from_bytes([7; 32]);
        let mac = row_mac(
            &key,
            "legal_holds",
            "hold_1",
            "cl_1",
            &[
                Field::Bytes(Some(b"ct")),
                Field::Text(None),
                Field::Int(Some(5)),
            ],
        );
        assert_eq!(
            hex(&mac),
            "314b70ada7d32ae14f74ee79a26799671dd406e4fbe00ba547c47be1860c7def",
        );
        assert_eq!(
            link_digest(&key, "case_parties", "case_1", "cl_1"),
            "34765865813cb34c861d3ff0ae1d3946b58e6bdd1760f87365fb44a7d9de508f",
        );
    }
}
