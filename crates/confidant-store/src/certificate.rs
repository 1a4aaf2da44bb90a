//! Destruction certificates: what is stored (sealed under a service key,
//! signed with the audit signing key) and what `client destroy` reports.

use confidant_core::ids::ClientId;
use confidant_core::record::{DestroyedCounts, DestructionCertificate, Timestamp};
use confidant_crypto::KeyRing;
use serde::Serialize;

/// Domain of the signed certificate bytes:
/// `"confidant.destruction-certificate.v1" || lp(certificate id) ||
/// u64be(audit seq) || lp(certificate json)`.
const CERT_DOMAIN: &[u8] = b"confidant.destruction-certificate.v1";

pub(crate) fn certificate_message(id: &str, audit_seq: u64, json: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(CERT_DOMAIN.len() + 32 + id.len() + json.len());
    m.extend_from_slice(CERT_DOMAIN);
    m.extend_from_slice(&(id.len() as u64).to_be_bytes());
    m.extend_from_slice(id.as_bytes());
    m.extend_from_slice(&audit_seq.to_be_bytes());
    m.extend_from_slice(&(json.len() as u64).to_be_bytes());
    m.extend_from_slice(json);
    m
}

/// Everything a destruction needs beyond the client id: the staged key
/// ring (old and new generation), and what the certificate says.
pub(crate) struct DestroyPlan<'a> {
    pub(crate) ring: &'a KeyRing,
    pub(crate) to_generation: u32,
    pub(crate) reason: &'a str,
    pub(crate) method: &'static str,
    pub(crate) backend: &'static str,
    pub(crate) destroyed_at: Timestamp,
    /// What to do with notes shared with other clients (None: refuse if
    /// there are any).
    pub(crate) shared: Option<&'a SharedNotesDecision>,
}

/// What a destruction does with the notes its client shares with others:
/// the joint notes it owns and the notes other clients own that name it.
#[derive(Clone)]
pub enum SharedNotesDecision {
    /// Each note stays with a remaining party (a joint note is re-owned by
    /// the first remaining party in id order and re-sealed under their key)
    /// with its text replaced by the given redacted text; every shared note
    /// must have one.
    KeepRedacted(Vec<(confidant_core::ids::NoteId, String)>),
    /// The shared notes are destroyed with the client, for every party.
    Destroy,
}

impl std::fmt::Debug for SharedNotesDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SharedNotesDecision::KeepRedacted(v) => write!(f, "KeepRedacted({} notes)", v.len()),
            SharedNotesDecision::Destroy => f.write_str("Destroy"),
        }
    }
}

impl SharedNotesDecision {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            SharedNotesDecision::KeepRedacted(_) => "keep-redacted",
            SharedNotesDecision::Destroy => "destroy",
        }
    }
}

/// The cross-references a destruction found and what it did with them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SharedNotesReport {
    /// "keep-redacted", "destroy", or "none" (nothing was shared).
    pub decision: &'static str,
    /// Notes the client owned with other parties.
    pub joint_notes: Vec<String>,
    /// Notes other clients own that named the client.
    pub notes_naming: Vec<String>,
}

/// The certificate as stored and signed (sealed: the reason is free text).
#[derive(Serialize)]
pub struct CertificateBody<'a> {
    #[serde(flatten)]
    pub certificate: &'a DestructionCertificate,
    pub certificate_id: &'a str,
    /// The `client.destroy` audit entry's sequence number.
    pub audit_seq: u64,
    pub backend: &'a str,
    /// The KEK generation the destroyed client's key was wrapped under
    /// (0: the version 1 wrap under the master key, which cannot be erased).
    pub key_generation_erased: u32,
    /// The generation every surviving key is wrapped under now.
    pub key_generation_now: u32,
    /// Who could still recover the destroyed record, and until when.
    pub recovery_window: String,
    /// The couple/group cross-references and the decision taken on them.
    pub shared_notes: &'a SharedNotesReport,
}

pub(crate) fn recovery_window(erased: u32, destroyed_at: Timestamp) -> String {
    if erased == 0 {
        format!(
            "this client's data key was wrapped under the master key itself (a store created before \
             key rotation, or not yet upgraded): a database backup taken before {destroyed_at} still \
             opens with master.key, current or any copy, so the record stays recoverable for as long \
             as such database backups are kept; retire them"
        )
    } else {
        format!(
            "key generation {erased} was erased from master.key and every surviving key re-wrapped \
             under a new one: the record can be recovered only by someone holding BOTH a database \
             backup taken before {destroyed_at} AND a copy of master.key made before {destroyed_at}; \
             the window therefore equals your retention of master.key backups: delete key-file copies \
             older than this certificate to close it"
        )
    }
}

/// A stored certificate and its signature, as written in the destruction's
/// transaction.
#[derive(Debug, Clone)]
pub(crate) struct CertificateRecord {
    pub(crate) json: Vec<u8>,
    pub(crate) signature: [u8; 64],
}

/// What happened to the storage after the commit (not part of the signed
/// certificate: it is known only afterwards).
#[derive(Debug, Clone, Serialize)]
pub struct StorageStatus {
    /// "erased" once the key file holds only the new generation, else
    /// "pending: ..." (the old generation is still in master.key).
    pub old_key_generation: String,
    /// SQLite: whether the WAL was checkpointed and truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqlite_wal: Option<String>,
    /// PostgreSQL: whether VACUUM ran on the affected tables, and what it
    /// does not do (the bytes stay in the files and WAL until reused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres_vacuum: Option<String>,
}

/// What `client destroy` prints: the stored, signed certificate and what
/// became of the storage.
#[derive(Debug, Clone, Serialize)]
pub struct DestructionReport {
    /// The stored certificate (JSON object).
    #[serde(flatten)]
    pub certificate: serde_json::Map<String, serde_json::Value>,
    /// Ed25519 signature (hex) of the certificate bytes.
    pub signature: String,
    pub public_key: String,
    pub storage: StorageStatus,
}

/// A stored certificate read back, with the checks made on it.
#[derive(Debug, Clone, Serialize)]
pub struct ShownCertificate {
    #[serde(flatten)]
    pub certificate: serde_json::Map<String, serde_json::Value>,
    pub signature: String,
    /// The signature verifies under the store's audit public key.
    pub signature_valid: bool,
    /// The audit entry at `audit_seq` is the `client.destroy` of this client.
    pub audit_entry_matches: bool,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn certificate_json(
    plan: &DestroyPlan<'_>,
    client: &ClientId,
    actor: &str,
    counts: DestroyedCounts,
    id: &str,
    audit_seq: u64,
    erased: u32,
    shared: &SharedNotesReport,
) -> Vec<u8> {
    let certificate = DestructionCertificate {
        client_id: client.clone(),
        destroyed_at: plan.destroyed_at,
        destroyed_by: actor.to_owned(),
        reason: plan.reason.to_owned(),
        destroyed: counts,
        method: plan.method,
    };
    let body = CertificateBody {
        certificate: &certificate,
        certificate_id: id,
        audit_seq,
        backend: plan.backend,
        key_generation_erased: erased,
        key_generation_now: plan.to_generation,
        recovery_window: recovery_window(erased, plan.destroyed_at),
        shared_notes: shared,
    };
    serde_json::to_vec(&body).unwrap_or_default()
}
