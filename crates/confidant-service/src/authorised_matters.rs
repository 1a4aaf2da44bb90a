//! The matter flows as a signed-in user does them: couple and group cases
//! with their parties, notes attributed to parties, the decision record
//! (sign, amend, attest), closing, and disclosure packages (build, preview,
//! deliver as a sealed `age` file or record a verbal disclosure). Each
//! function asks the access policy first (`authorize_client` on the record
//! the operation touches, refusal audited) and runs the operation with the
//! user as the audit actor; the rules themselves stay in `matter.rs` and
//! `package.rs`. The server's API and pages call only these.

use crate::accounts::Principal;
use crate::matter::{ChecklistItem, NewDecisionRecord, OpenMatter, allowed_recipients};
use crate::package::{BuildPackage, DeliverTo, Delivered};
use crate::{Result, Service, ServiceError, refuse};
use confidant_access::Operation;
use confidant_core::decision::{Obligation, Recipient};
use confidant_core::ids::{CaseId, ClientId, MatterId, NoteId, PackageId};
use confidant_core::record::{Case, CaseKind, NewConsent, NewNote};
use confidant_store::Action;
use serde::Serialize;
use serde_json::Value;

/// One identifier the engine removed from a package, by kind and position
/// (Unicode code points of the item's text as selected). The removed text
/// is shown to the practitioner who reviews it, never logged.
#[derive(Debug, Clone, Serialize)]
pub struct RemovedIdentifier {
    /// Which selected note (0-based, in the order selected).
    pub item: usize,
    pub start: usize,
    pub end: usize,
    pub kind: String,
    #[serde(skip)]
    pub text: String,
}

/// A built package as reviewed before delivery.
#[derive(Debug, Clone, Serialize)]
pub struct PackagePreview {
    pub package_id: String,
    pub matter_id: String,
    /// `identifiable`, `deidentified` or `verbal`.
    pub mode: String,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub delivered: bool,
    /// Each selected note's text as it was selected (before the engine),
    /// for highlighting what was removed. Empty for a verbal package.
    #[serde(skip)]
    pub originals: Vec<String>,
    pub removed: Vec<RemovedIdentifier>,
    /// What a verbal disclosure records as said.
    #[serde(skip)]
    pub verbal_said: Option<String>,
}

/// A delivered package and its sealed files (name, `age` bytes), for the
/// server to hand to the practitioner; nothing of them stays on disk.
pub struct SealedDelivery {
    pub delivered: Delivered,
    pub files: Vec<(String, Vec<u8>)>,
}

/// A note that may (or may not) go into a package under the matter.
#[derive(Debug, Clone)]
pub struct SelectableNote {
    pub note_id: NoteId,
    pub text: String,
    /// Why it cannot be selected (a party who has not consented), if so.
    pub blocked: Option<String>,
}

/// What the package builder offers under a matter's signed decision.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    pub matter_id: MatterId,
    pub client_id: ClientId,
    /// The recipients the decision allows, as the policy named them.
    pub recipients: Vec<Recipient>,
    pub verbal_only: bool,
    pub deidentify: bool,
    pub notes: Vec<SelectableNote>,
    /// Set when no package can be built, with the reason.
    pub unavailable: Option<String>,
}

impl Service {
    async fn refuse_unknown(&self, who: &Principal) -> Result<()> {
        self.store()
            .record_event(
                who.actor(),
                Action::AccessRefused,
                vec![who.user_id.to_string()],
            )
            .await?;
        Err(ServiceError::NotAllowed)
    }

    /// The client of matter `id`, once `who` may do `op` to it; an unknown
    /// matter is refused alike.
    async fn matter_for(&self, who: &Principal, op: Operation, id: &MatterId) -> Result<ClientId> {
        let client = match self.store().matter_client(id).await {
            Ok(c) => c,
            Err(confidant_store::StoreError::UnknownRecord { .. }) => {
                self.refuse_unknown(who).await?;
                return Err(ServiceError::NotAllowed);
            }
            Err(e) => return Err(e.into()),
        };
        self.authorize_client(who, op, &client).await?;
        Ok(client)
    }

    async fn package_for(
        &self,
        who: &Principal,
        op: Operation,
        package: &PackageId,
    ) -> Result<MatterId> {
        let matter = match self.matter_of_package(package).await {
            Ok(m) => m,
            Err(ServiceError::Store(confidant_store::StoreError::UnknownRecord { .. })) => {
                self.refuse_unknown(who).await?;
                return Err(ServiceError::NotAllowed);
            }
            Err(e) => return Err(e),
        };
        self.matter_for(who, op, &matter).await?;
        Ok(matter)
    }

    /// A case (individual, couple or group) of clients assigned to `who`:
    /// they must be allowed to write notes on every party's record.
    pub async fn add_case_as(
        &self,
        who: &Principal,
        kind: CaseKind,
        parties: &[ClientId],
    ) -> Result<CaseId> {
        if parties.is_empty() {
            return refuse("a case needs at least one party");
        }
        for p in parties {
            self.authorize_client(who, Operation::WriteNote, p).await?;
        }
        self.add_case(who.actor(), kind, parties).await
    }

    /// A case, when `who` may see every party's record.
    pub async fn case_as(&self, who: &Principal, id: &CaseId) -> Result<Case> {
        let case = match self.store().get_case(who.actor(), id).await {
            Ok(c) => c,
            Err(confidant_store::StoreError::UnknownRecord { .. }) => {
                self.refuse_unknown(who).await?;
                return Err(ServiceError::NotAllowed);
            }
            Err(e) => return Err(e.into()),
        };
        for p in &case.parties {
            self.authorize_client(who, Operation::ViewClientDetails, p)
                .await?;
        }
        Ok(case)
    }

    /// A note on `client`'s record in a case, attributed to the parties it
    /// is about (none: the client's own). Every party must be of the case.
    pub async fn add_case_note_as(
        &self,
        who: &Principal,
        case: &CaseId,
        client: &ClientId,
        parties: &[ClientId],
        text: &str,
    ) -> Result<NoteId> {
        let c = self.case_as(who, case).await?;
        self.authorize_client(who, Operation::WriteNote, client)
            .await?;
        if text.trim().is_empty() {
            return refuse("the note's text must not be empty");
        }
        if !c.parties.contains(client) {
            return refuse("the client is not a party of the case");
        }
        if parties.iter().any(|p| !c.parties.contains(p)) {
            return refuse("a party the note is attributed to is not a party of the case");
        }
        let note = NewNote {
            client_id: client.clone(),
            case_id: Some(case.clone()),
            author: who.practitioner_id.clone(),
            parties: parties.to_vec(),
            text: text.to_owned(),
        };
        Ok(self.store().add_note(who.actor(), &note).await?)
    }

    /// A consent given (or refused) for a case, on one party's record.
    pub async fn add_case_consent_as(
        &self,
        who: &Principal,
        consent: &NewConsent,
    ) -> Result<confidant_core::ids::ConsentId> {
        if let Some(case) = &consent.case_id {
            let c = self.case_as(who, case).await?;
            if !c.parties.contains(&consent.client_id) {
                return refuse("the client is not a party of the case");
            }
        }
        self.add_consent_as(who, consent).await
    }

    /// Opens a matter on a case (its parties' consents then decide what
    /// may leave: CSRP 9).
    pub async fn open_case_matter_as(&self, who: &Principal, m: &OpenMatter) -> Result<MatterId> {
        if let Some(case) = &m.case_id {
            let c = self.case_as(who, case).await?;
            if !c.parties.contains(&m.client_id) {
                return refuse("the client is not a party of the case");
            }
        }
        self.open_matter_as(who, m).await
    }

    /// Puts the matter to its policy with the facts only the practitioner
    /// knows (imminence, confirmation...).
    pub async fn decide_with_as(
        &self,
        who: &Principal,
        id: &MatterId,
        input: &crate::matter::DecideInput,
    ) -> Result<Value> {
        self.matter_for(who, Operation::OpenMatter, id).await?;
        let rec = self.decide(who.actor(), id, input).await?;
        serde_json::to_value(&rec)
            .map_err(|_| ServiceError::Refused("the recommendation could not be shown".into()))
    }

    /// Signs `who`'s decision record on the matter.
    pub async fn record_as(
        &self,
        who: &Principal,
        id: &MatterId,
        r: &NewDecisionRecord,
    ) -> Result<String> {
        self.matter_for(who, Operation::OpenMatter, id).await?;
        self.record(who.actor(), id, r).await
    }

    /// Amends a field of the signed decision record (the original stays).
    pub async fn amend_as(
        &self,
        who: &Principal,
        id: &MatterId,
        field: &str,
        correction: &str,
        reason: &str,
    ) -> Result<String> {
        self.matter_for(who, Operation::OpenMatter, id).await?;
        self.amend(who.actor(), id, field, correction, reason).await
    }

    /// Attests an obligation on the matter's checklist.
    pub async fn attest_as(
        &self,
        who: &Principal,
        id: &MatterId,
        obligation: Obligation,
        note: &str,
    ) -> Result<String> {
        self.matter_for(who, Operation::OpenMatter, id).await?;
        self.attest(who.actor(), id, obligation, note).await
    }

    /// Closes the matter once every obligation is met, attested or reasoned.
    pub async fn close_matter_as(
        &self,
        who: &Principal,
        id: &MatterId,
        attest: &[(Obligation, String)],
        unmet: &[(Obligation, String)],
    ) -> Result<Vec<ChecklistItem>> {
        self.matter_for(who, Operation::OpenMatter, id).await?;
        self.close_matter(who.actor(), id, attest, unmet).await
    }

    /// What the package builder offers: the recipients the signed decision
    /// allows and the notes that may be selected (a note attributed to a
    /// party who has not consented is shown as blocked, with why).
    pub async fn package_options_as(
        &self,
        who: &Principal,
        id: &MatterId,
    ) -> Result<PackageOptions> {
        let client = self.matter_for(who, Operation::BuildPackage, id).await?;
        let st = self.state(who.actor(), id).await?;
        let mut out = PackageOptions {
            matter_id: id.clone(),
            client_id: client.clone(),
            recipients: Vec::new(),
            verbal_only: false,
            deidentify: false,
            notes: Vec::new(),
            unavailable: None,
        };
        let (Some((_, rec)), Some((_, _, record))) = (&st.recommendation, &st.record) else {
            out.unavailable =
                Some("Sign the decision record first: a package is built only under it.".into());
            return Ok(out);
        };
        if st.stored.closed_at.is_some() {
            out.unavailable = Some("The matter is closed.".into());
            return Ok(out);
        }
        if !record.outcome.is_disclosure() {
            out.unavailable =
                Some("The decision discloses nothing, so no package is built.".into());
            return Ok(out);
        }
        out.recipients = allowed_recipients(rec, true);
        out.verbal_only = rec.decision.obligations.contains(&Obligation::VerbalOnly);
        out.deidentify = rec.decision.obligations.contains(&Obligation::Deidentify);
        let consenting: Vec<&ClientId> = rec
            .parties
            .iter()
            .filter(|p| p.consenting)
            .map(|p| &p.client_id)
            .collect();
        let mut owners = vec![client.clone()];
        for p in &rec.parties {
            if !owners.contains(&p.client_id) {
                owners.push(p.client_id.clone());
            }
        }
        for owner in &owners {
            for n in self.store().list_notes(who.actor(), owner).await? {
                let blocked = if rec.parties.is_empty() {
                    None
                } else {
                    n.parties.iter().any(|p| !consenting.contains(&p)).then(|| {
                        "Attributed to a partner or member who has not consented: only the \
                             consenting party's material may be released."
                            .to_owned()
                    })
                };
                out.notes.push(SelectableNote {
                    note_id: n.id.clone(),
                    text: n.text.clone(),
                    blocked,
                });
            }
        }
        Ok(out)
    }

    /// Builds a minimum-necessary package under the matter's signed
    /// decision record (every rule in `package.rs`).
    pub async fn build_package_as(
        &self,
        who: &Principal,
        id: &MatterId,
        b: &BuildPackage,
    ) -> Result<PackageId> {
        self.matter_for(who, Operation::BuildPackage, id).await?;
        self.build_package(who.actor(), id, b).await
    }

    /// A built package for review: every identifier removed, by kind and
    /// position (and, for the reviewer only, its text).
    pub async fn package_preview_as(
        &self,
        who: &Principal,
        package: &PackageId,
    ) -> Result<PackagePreview> {
        let matter = self
            .package_for(who, Operation::BuildPackage, package)
            .await?;
        let body = self.show_package(who.actor(), package).await?;
        let st = self.state(who.actor(), &matter).await?;
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        // The selected notes' texts as selected, to show the removed spans.
        let mut originals = Vec::new();
        if let Some(items) = body.get("items").and_then(Value::as_array) {
            let client = st.stored.client_id.clone();
            let mut owners = vec![client];
            if let Some((_, rec)) = &st.recommendation {
                for p in &rec.parties {
                    if !owners.contains(&p.client_id) {
                        owners.push(p.client_id.clone());
                    }
                }
            }
            let mut notes = Vec::new();
            for o in &owners {
                notes.extend(self.store().list_notes(who.actor(), o).await?);
            }
            for item in items {
                let Some(nid) = item.get("note").and_then(Value::as_str) else {
                    continue;
                };
                let Some(n) = notes.iter().find(|n| n.id.as_str() == nid) else {
                    continue;
                };
                let text = match item.get("extract").and_then(Value::as_array) {
                    Some(r) if r.len() == 2 => {
                        let a = r[0].as_u64().unwrap_or(0) as usize;
                        let b = r[1].as_u64().unwrap_or(0) as usize;
                        n.text.chars().skip(a).take(b.saturating_sub(a)).collect()
                    }
                    _ => n.text.clone(),
                };
                originals.push(text);
            }
        }
        let removed = body
            .get("removed")
            .and_then(Value::as_array)
            .map(|rs| {
                rs.iter()
                    .map(|r| RemovedIdentifier {
                        item: r.get("item").and_then(Value::as_u64).unwrap_or(0) as usize,
                        start: r.get("start").and_then(Value::as_u64).unwrap_or(0) as usize,
                        end: r.get("end").and_then(Value::as_u64).unwrap_or(0) as usize,
                        kind: r
                            .get("type")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        text: r
                            .get("original")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(PackagePreview {
            package_id: package.to_string(),
            matter_id: matter.to_string(),
            mode: s("mode").unwrap_or_default(),
            recipient: body
                .get("recipient")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            recipient_name: s("recipient_name"),
            delivered: body
                .get("delivered")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            originals,
            removed,
            verbal_said: body
                .get("verbal")
                .and_then(|v| v.get("said"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// Delivers a built package: sealed `age` files to the recipient's
    /// public key (returned, not kept), or, for a verbal package, the
    /// disclosure recorded as said; either way it enters the client's
    /// accounting of disclosures.
    pub async fn deliver_package_as(
        &self,
        who: &Principal,
        package: &PackageId,
        to: &DeliverTo,
        reviewed: bool,
    ) -> Result<SealedDelivery> {
        self.package_for(who, Operation::DeliverPackage, package)
            .await?;
        if matches!(to, DeliverTo::Verbal) {
            let delivered = self
                .deliver_package(who.actor(), package, to, None, reviewed)
                .await?;
            return Ok(SealedDelivery {
                delivered,
                files: Vec::new(),
            });
        }
        let io = |e: std::io::Error| ServiceError::Io(e.kind().to_string());
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|_| ServiceError::Io("random".into()))?;
        let name: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let dir = std::env::temp_dir().join(format!("confidant-package-{name}"));
        std::fs::create_dir(&dir).map_err(io)?;
        let result = self
            .deliver_package(who.actor(), package, to, Some(&dir), reviewed)
            .await;
        let out = match result {
            Ok(delivered) => {
                let mut files = Vec::new();
                let mut err = None;
                for f in &delivered.files {
                    match std::fs::read(f) {
                        Ok(bytes) => files.push((
                            f.file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                            bytes,
                        )),
                        Err(e) => err = Some(io(e)),
                    }
                }
                match err {
                    Some(e) => Err(e),
                    None => Ok(SealedDelivery { delivered, files }),
                }
            }
            Err(e) => Err(e),
        };
        let _ = std::fs::remove_dir_all(&dir);
        out
    }

    /// The client's accounting of disclosures.
    pub async fn disclosures_as(&self, who: &Principal, client: &ClientId) -> Result<Vec<Value>> {
        self.authorize_client(who, Operation::ViewDisclosures, client)
            .await?;
        self.disclosures(who.actor(), client).await
    }
}
