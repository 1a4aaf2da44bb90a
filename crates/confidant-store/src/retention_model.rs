//! What the retention listing and the access log return: ids, times,
//! flags and audit actions only.

use confidant_audit::Action;
use confidant_core::ids::ClientId;
use confidant_core::record::Timestamp;

/// A client with the dates a retention rule can run from.
#[derive(Debug, Clone)]
pub struct ClientActivity {
    pub id: ClientId,
    pub created_at: Timestamp,
    pub work_ended: bool,
    /// The newest note attributable to the client (their last session).
    pub last_note_at: Option<Timestamp>,
    /// Legal holds not released.
    pub open_holds: u64,
}

/// One audit entry naming a client: who, when, what.
#[derive(Debug, Clone)]
pub struct AccessEntry {
    pub seq: u64,
    pub at: Timestamp,
    pub actor: String,
    pub action: Action,
    pub record_ids: Vec<String>,
}
