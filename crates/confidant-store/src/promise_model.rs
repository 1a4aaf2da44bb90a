//! What the promises operations take and return. Bodies are JSON values the
//! application layer writes and reads; the store seals them and knows
//! nothing of their rules.

use confidant_core::ids::{ClientId, PromiseId, ReviewId};
use confidant_core::record::Timestamp;
use std::fmt;
use std::str::FromStr;

/// The kind of a recorded promise or step (stored spellings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromiseKind {
    /// The limits of confidentiality explained to the client.
    LimitsGiven,
    /// A confidentiality agreement.
    Agreement,
    /// A complaint opened (its legal hold's id in `ref_id`).
    ComplaintOpened,
    /// A complaint closed with its outcome (the complaint's id in `ref_id`).
    ComplaintClosed,
}

impl PromiseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseKind::LimitsGiven => "limits-given",
            PromiseKind::Agreement => "agreement",
            PromiseKind::ComplaintOpened => "complaint-opened",
            PromiseKind::ComplaintClosed => "complaint-closed",
        }
    }
}

impl fmt::Display for PromiseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PromiseKind {
    type Err = ();
    fn from_str(s: &str) -> Result<PromiseKind, ()> {
        Ok(match s {
            "limits-given" => PromiseKind::LimitsGiven,
            "agreement" => PromiseKind::Agreement,
            "complaint-opened" => PromiseKind::ComplaintOpened,
            "complaint-closed" => PromiseKind::ComplaintClosed,
            _ => return Err(()),
        })
    }
}

/// A promise to record. `ref_id` is plaintext: only ids or the hash of a
/// public document (the statement's SHA-256) go there.
#[derive(Clone)]
pub struct NewPromise {
    pub client_id: ClientId,
    pub kind: PromiseKind,
    pub ref_id: Option<String>,
    /// Sealed under the client's data key.
    pub body: serde_json::Value,
}

impl fmt::Debug for NewPromise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewPromise")
            .field("client_id", &self.client_id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A stored promise, opened.
#[derive(Clone)]
pub struct StoredPromise {
    pub id: PromiseId,
    pub client_id: ClientId,
    pub kind: PromiseKind,
    pub ref_id: Option<String>,
    pub at: Timestamp,
    pub actor: String,
    pub body: serde_json::Value,
}

impl fmt::Debug for StoredPromise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredPromise")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A client and the statement hashes they were given (plaintext columns
/// only: for `client limits-missing`).
#[derive(Debug, Clone)]
pub struct LimitsGivenRow {
    pub client_id: ClientId,
    /// The SHA-256 of every statement recorded as given, oldest first.
    pub statement_sha256: Vec<String>,
}

/// A review of a policy to record.
#[derive(Debug, Clone)]
pub struct NewReview {
    pub policy_name: String,
    pub policy_sha256: String,
    /// YYYY-MM-DD, in the service's time zone.
    pub reviewed_on: String,
    /// Who approved it (a body or role: "the Trustees").
    pub approved_by: String,
}

/// A stored review, its MAC checked.
#[derive(Debug, Clone)]
pub struct StoredReview {
    pub id: ReviewId,
    pub policy_name: String,
    pub policy_sha256: String,
    pub reviewed_on: String,
    pub approved_by: String,
    pub at: Timestamp,
    pub actor: String,
}
