//! The record around a matter: the operations the library already had that
//! the CLI could not reach, kept here so the CLI and the web server share
//! them. Thin on purpose: the store enforces the record's own rules.

use crate::{Result, Service, ServiceError, refuse};
use confidant_core::ids::{CaseId, ClientId, ConsentId, PractitionerId};
use confidant_core::record::{
    Case, CaseKind, ClientFlags, LegalHold, Practitioner, Role, Timestamp,
};
use confidant_store::Action;

/// A change to a client's flags; `None` leaves a flag as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlagChange {
    pub protected: Option<bool>,
    pub capacity_concern: Option<bool>,
    pub parental_responsibility_held_elsewhere: Option<bool>,
    pub work_ended: Option<bool>,
}

/// What a destruction does with the notes a party of a couple or group
/// shares with the others (`confidant client destroy --shared-notes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedNotesChoice {
    /// Each shared note stays with a remaining party, with every identifier
    /// of the destroyed party the record knows removed (confidant-deid),
    /// re-sealed under that party's key.
    KeepRedacted,
    /// The shared notes go with the destroyed party, for everyone.
    Destroy,
}

impl std::str::FromStr for SharedNotesChoice {
    type Err = ServiceError;
    fn from_str(s: &str) -> Result<SharedNotesChoice> {
        match s {
            "keep-redacted" => Ok(SharedNotesChoice::KeepRedacted),
            "destroy" => Ok(SharedNotesChoice::Destroy),
            _ => Err(ServiceError::Refused(
                "--shared-notes must be keep-redacted or destroy".to_owned(),
            )),
        }
    }
}

/// Replaces every occurrence (ASCII case-insensitive) of the subject's
/// stored contact details and numbers with a tag.
fn remove_known_values(mut text: String, subject: &confidant_core::record::Client) -> String {
    let values = [
        (subject.email.clone(), "[EMAIL]"),
        (subject.phone.clone(), "[PHONE]"),
        (subject.address.clone(), "[ADDRESS]"),
        (subject.postcode.clone(), "[POSTCODE]"),
        (
            subject.nhs_number.as_ref().map(|n| n.as_str().to_owned()),
            "[NHS_NUMBER]",
        ),
        (subject.date_of_birth.map(|d| d.to_string()), "[DATE]"),
        (Some(subject.name.clone()), "[NAME]"),
    ];
    for (value, tag) in values {
        let Some(value) = value.filter(|v| v.trim().len() >= 3) else {
            continue;
        };
        let needle = value.trim().to_ascii_lowercase();
        loop {
            let hay = text.to_ascii_lowercase();
            let Some(at) = hay.find(&needle) else {
                break;
            };
            text.replace_range(at..at + needle.len(), tag);
        }
    }
    text
}

impl Service {
    /// Destroys a client. When they share notes with other clients (a
    /// couple's or group's joint notes, or notes of others naming them),
    /// `shared` must say what happens to them (else the store refuses,
    /// listing the note ids). With `KeepRedacted` each note's text loses the
    /// destroyed party's identifiers (name, date of birth, contact details,
    /// NHS number, as the record knows them) before the store re-seals it
    /// under a remaining party's key; the certificate reports the notes and
    /// the decision.
    pub async fn destroy_client(
        &self,
        actor: &str,
        client: &ClientId,
        reason: &str,
        shared: Option<SharedNotesChoice>,
    ) -> Result<confidant_store::DestructionReport> {
        let decision = match shared {
            None => None,
            Some(SharedNotesChoice::Destroy) => Some(confidant_store::SharedNotesDecision::Destroy),
            Some(SharedNotesChoice::KeepRedacted) => {
                let subject = self.store().get_client(actor, client).await?;
                let notes = self.store().shared_notes(actor, client).await?;
                let known = crate::package::known_for(&subject, &[]);
                let texts = notes
                    .into_iter()
                    .map(|n| {
                        let chars: Vec<char> = n.text.chars().collect();
                        let drop: Vec<confidant_deid::Span> =
                            confidant_deid::detect(&n.text, Some(&known))
                                .into_iter()
                                .filter(|s| {
                                    let text: String =
                                        chars[s.start..s.end.min(chars.len())].iter().collect();
                                    crate::package::is_subject(s.kind, &text, &subject)
                                })
                                .collect();
                        let redacted =
                            confidant_deid::redact(&n.text, &drop, confidant_deid::Mode::Tags);
                        // Whatever detection missed, the record's own values
                        // of the destroyed party go too, verbatim.
                        (n.id, remove_known_values(redacted, &subject))
                    })
                    .collect();
                Some(confidant_store::SharedNotesDecision::KeepRedacted(texts))
            }
        };
        Ok(self
            .store()
            .destroy_client_deciding(actor, client, reason, decision.as_ref())
            .await?)
    }

    /// Sets some of a client's flags, keeping the others.
    pub async fn set_flags(
        &self,
        actor: &str,
        client: &ClientId,
        change: FlagChange,
    ) -> Result<ClientFlags> {
        if change.protected.is_none()
            && change.capacity_concern.is_none()
            && change.parental_responsibility_held_elsewhere.is_none()
            && change.work_ended.is_none()
        {
            return refuse("no flag to change (give --protected, --work-ended, ... true|false)");
        }
        let mut flags = self.store().get_client(actor, client).await?.flags;
        if let Some(v) = change.protected {
            flags.protected = v;
        }
        if let Some(v) = change.capacity_concern {
            flags.capacity_concern = v;
        }
        if let Some(v) = change.parental_responsibility_held_elsewhere {
            flags.parental_responsibility_held_elsewhere = v;
        }
        if let Some(v) = change.work_ended {
            flags.work_ended = v;
        }
        self.store().set_client_flags(actor, client, flags).await?;
        Ok(flags)
    }

    pub async fn withdraw_consent(&self, actor: &str, id: &ConsentId, at: Timestamp) -> Result<()> {
        Ok(self.store().withdraw_consent(actor, id, at).await?)
    }

    pub async fn add_practitioner(
        &self,
        actor: &str,
        name: &str,
        roles: &[Role],
    ) -> Result<PractitionerId> {
        if name.trim().is_empty() {
            return refuse("--name must not be empty");
        }
        Ok(self.store().add_practitioner(actor, name, roles).await?)
    }

    /// A case and its parties (individual: one, couple: two, group: one or
    /// more; each an existing client).
    pub async fn add_case(
        &self,
        actor: &str,
        kind: CaseKind,
        parties: &[ClientId],
    ) -> Result<CaseId> {
        let mut seen = std::collections::HashSet::new();
        if !parties.iter().all(|p| seen.insert(p)) {
            return refuse("a client is named twice among the case's parties");
        }
        Ok(self.store().add_case(actor, kind, parties).await?)
    }

    pub async fn case(&self, actor: &str, id: &CaseId) -> Result<Case> {
        Ok(self.store().get_case(actor, id).await?)
    }

    /// A member of staff. The store's read is not audited, so it is
    /// recorded here before the record is returned.
    pub async fn practitioner(&self, actor: &str, id: &PractitionerId) -> Result<Practitioner> {
        let p = self.store().get_practitioner(id).await?;
        self.store()
            .record_event(actor, Action::PractitionerRead, vec![id.to_string()])
            .await?;
        Ok(p)
    }

    /// A client's legal holds. The store's listing is not audited yet, so
    /// the read is recorded here, before the holds are returned: a listing
    /// whose audit entry cannot be written is not shown.
    pub async fn list_holds(&self, actor: &str, client: &ClientId) -> Result<Vec<LegalHold>> {
        let holds = self.store().list_holds(client).await?;
        let mut ids = vec![client.to_string()];
        ids.extend(holds.iter().map(|h| h.id.to_string()));
        self.store()
            .record_event(actor, Action::LegalHoldList, ids)
            .await?;
        Ok(holds)
    }
}

/// A client's record as `client show` presents it: the record itself, the
/// date it falls due for destruction (with the rule and the event it runs
/// from, `(default)` when the policy sets no period), and what the service
/// promised and did (limits explained, agreements, complaints).
#[derive(serde::Serialize)]
pub struct RecordView {
    #[serde(flatten)]
    pub client: confidant_core::record::Client,
    pub retention: crate::retention::ClientRetention,
    pub policy: String,
    pub promises: crate::promises::PromisesView,
}

impl Service {
    /// The record view of one client under `policy` (every read audited).
    pub async fn client_promises_record(
        &self,
        actor: &str,
        client: &ClientId,
        policy: &str,
    ) -> Result<RecordView> {
        let record = self.store().get_client(actor, client).await?;
        let retention = self.client_retention(actor, policy, client).await?;
        let promises = self.promises(actor, client).await?;
        Ok(RecordView {
            client: record,
            retention,
            policy: crate::load_policy(policy)?.name,
            promises,
        })
    }
}
