//! The stored shape of matters, their steps and the accounting of
//! disclosures. Bodies are JSON the application layer (`confidant-service`)
//! defines; the store seals them and never looks inside. `Debug` prints ids,
//! kinds and times only, never a body.

use confidant_audit::Action;
use confidant_core::ids::{CaseId, ClientId, DisclosureId, MatterId, PackageId};
use confidant_core::record::Timestamp;
use std::fmt;
use std::str::FromStr;

/// What a step on a matter is. Spellings are stored: add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// The policy's recommendation on the situation built from the record.
    Decided,
    /// The practitioner's signed decision record.
    Recorded,
    /// A correction appended to the decision record.
    Amended,
    /// An obligation on the checklist attested by a person.
    Attested,
    PackageBuilt,
    /// A package delivered (with its row in the accounting of disclosures).
    PackageDelivered,
    Closed,
    /// A step on a subject access request (the body says which).
    SubjectAccess,
}

impl StepKind {
    pub const ALL: &'static [StepKind] = &[
        StepKind::Decided,
        StepKind::Recorded,
        StepKind::Amended,
        StepKind::Attested,
        StepKind::PackageBuilt,
        StepKind::PackageDelivered,
        StepKind::Closed,
        StepKind::SubjectAccess,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Decided => "decided",
            StepKind::Recorded => "recorded",
            StepKind::Amended => "amended",
            StepKind::Attested => "attested",
            StepKind::PackageBuilt => "package-built",
            StepKind::PackageDelivered => "package-delivered",
            StepKind::Closed => "closed",
            StepKind::SubjectAccess => "subject-access",
        }
    }

    /// The audit action a step of this kind is recorded as.
    pub fn action(self) -> Action {
        match self {
            StepKind::Decided => Action::MatterDecide,
            StepKind::Recorded => Action::MatterRecord,
            StepKind::Amended => Action::MatterAmend,
            StepKind::Attested => Action::MatterAttest,
            StepKind::PackageBuilt => Action::PackageBuild,
            StepKind::PackageDelivered => Action::PackageDeliver,
            StepKind::Closed => Action::MatterClose,
            StepKind::SubjectAccess => Action::SarStep,
        }
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StepKind {
    type Err = ();
    fn from_str(s: &str) -> Result<StepKind, ()> {
        StepKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// A matter to open: on a client, optionally within one of their cases.
#[derive(Clone)]
pub struct NewMatter {
    pub client_id: ClientId,
    pub case_id: Option<CaseId>,
    pub body: serde_json::Value,
}

impl fmt::Debug for NewMatter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewMatter")
            .field("client_id", &self.client_id)
            .field("case_id", &self.case_id)
            .finish_non_exhaustive()
    }
}

/// A step to append. `disclosure` is given with, and only with, a
/// `PackageDelivered` step: the two are written in one transaction.
#[derive(Clone)]
pub struct NewStep {
    pub kind: StepKind,
    pub body: serde_json::Value,
    pub disclosure: Option<NewDisclosure>,
}

impl fmt::Debug for NewStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewStep")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// One row of the accounting of disclosures, as delivered.
#[derive(Clone)]
pub struct NewDisclosure {
    pub package_id: PackageId,
    /// The decision record (step id) the disclosure was made under.
    pub record_id: String,
    /// SHA-256 of the package manifest, lowercase hex.
    pub manifest_hash: String,
    /// What, to whom, how (sealed).
    pub body: serde_json::Value,
}

/// A stored matter with every step, oldest first.
#[derive(Clone)]
pub struct StoredMatter {
    pub id: MatterId,
    pub client_id: ClientId,
    pub case_id: Option<CaseId>,
    pub opened_at: Timestamp,
    pub opened_by: String,
    pub closed_at: Option<Timestamp>,
    pub body: serde_json::Value,
    pub steps: Vec<MatterStep>,
}

impl fmt::Debug for StoredMatter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredMatter")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .field("case_id", &self.case_id)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

/// A stored step. `signature` is the step's MAC (hex), verified on read.
#[derive(Clone)]
pub struct MatterStep {
    pub id: String,
    pub kind: StepKind,
    pub at: Timestamp,
    pub actor: String,
    pub body: serde_json::Value,
    pub signature: String,
}

impl fmt::Debug for MatterStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MatterStep")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// What appending a step created.
#[derive(Debug, Clone)]
pub struct AppendedStep {
    pub id: String,
    pub at: Timestamp,
    pub disclosure_id: Option<DisclosureId>,
}

/// One entry of a client's accounting of disclosures.
#[derive(Clone)]
pub struct Disclosure {
    pub id: DisclosureId,
    pub client_id: ClientId,
    pub matter_id: MatterId,
    pub package_id: PackageId,
    pub record_id: String,
    pub at: Timestamp,
    pub manifest_hash: String,
    pub body: serde_json::Value,
}

impl fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Disclosure")
            .field("id", &self.id)
            .field("matter_id", &self.matter_id)
            .field("package_id", &self.package_id)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// A matter escalated to a safeguarding officer (ids and time only; its
/// MAC checked when read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEscalation {
    pub id: confidant_core::ids::EscalationId,
    pub matter_id: confidant_core::ids::MatterId,
    pub client_id: ClientId,
    /// The safeguarding officer (or deputy) it went to.
    pub to_user: confidant_core::ids::UserId,
    pub at: Timestamp,
    /// Who escalated it.
    pub actor: String,
}
