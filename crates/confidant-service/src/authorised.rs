//! The application layer's operations as a signed-in user does them: each
//! asks the access policy first (with the record's facts: who is assigned,
//! who supervises, any break-glass grant in force), refuses with "not
//! allowed" (audited) when denied, and otherwise runs the operation with
//! the user as the audit actor. The server's handlers call only these.

use crate::accounts::Principal;
use crate::matter::{DecideInput, MatterView, OpenMatter};
use crate::{Result, Service, ServiceError, refuse};
use confidant_access::{Operation, Role, Target};
use confidant_core::ids::{ClientId, ConsentId, HoldId, MatterId, NoteId};
use confidant_core::record::{
    CivilDate, Client, Consent, HoldReason, LegalHold, NewClient, NewConsent, NewNote, Note,
    Timestamp,
};
use confidant_store::Action;

impl Service {
    /// A practitioner registers a client and is assigned to them.
    pub async fn create_client_as(&self, who: &Principal, new: &NewClient) -> Result<ClientId> {
        let Some(practitioner) = who
            .practitioner_id
            .clone()
            .filter(|_| who.roles.contains(&Role::Practitioner))
        else {
            self.store()
                .record_event(
                    who.actor(),
                    Action::AccessRefused,
                    vec![who.user_id.to_string()],
                )
                .await?;
            return Err(ServiceError::NotAllowed);
        };
        let id = self.store().add_client(who.actor(), new).await?;
        // A second transaction: if it fails the client exists unassigned,
        // visible to no practitioner until assigned; nothing is lost.
        self.store()
            .assign_client(who.actor(), &id, &practitioner)
            .await?;
        Ok(id)
    }

    pub async fn client_as(&self, who: &Principal, id: &ClientId) -> Result<Client> {
        self.authorize_client(who, Operation::ViewClientDetails, id)
            .await?;
        Ok(self.store().get_client(who.actor(), id).await?)
    }

    /// The clients assigned to me, with their details (each read audited).
    pub async fn my_clients_as(&self, who: &Principal) -> Result<Vec<Client>> {
        let mut out = Vec::new();
        for id in self.my_clients(who).await? {
            out.push(self.client_as(who, &id).await?);
        }
        Ok(out)
    }

    pub async fn notes_as(&self, who: &Principal, client: &ClientId) -> Result<Vec<Note>> {
        self.authorize_client(who, Operation::ViewNotes, client)
            .await?;
        Ok(self.store().list_notes(who.actor(), client).await?)
    }

    pub async fn add_note_as(
        &self,
        who: &Principal,
        client: &ClientId,
        text: &str,
    ) -> Result<NoteId> {
        self.authorize_client(who, Operation::WriteNote, client)
            .await?;
        if text.trim().is_empty() {
            return refuse("the note's text must not be empty");
        }
        let note = NewNote {
            client_id: client.clone(),
            case_id: None,
            author: who.practitioner_id.clone(),
            parties: Vec::new(),
            text: text.to_owned(),
        };
        Ok(self.store().add_note(who.actor(), &note).await?)
    }

    pub async fn consents_as(&self, who: &Principal, client: &ClientId) -> Result<Vec<Consent>> {
        self.authorize_client(who, Operation::ViewConsents, client)
            .await?;
        Ok(self.store().list_consents(who.actor(), client).await?)
    }

    pub async fn add_consent_as(&self, who: &Principal, consent: &NewConsent) -> Result<ConsentId> {
        self.authorize_client(who, Operation::RecordConsent, &consent.client_id)
            .await?;
        Ok(self.store().add_consent(who.actor(), consent).await?)
    }

    /// Withdraws a consent of `client` (a consent of another client is an
    /// unknown id here).
    pub async fn withdraw_consent_as(
        &self,
        who: &Principal,
        client: &ClientId,
        consent: &ConsentId,
        at: Timestamp,
    ) -> Result<()> {
        self.authorize_client(who, Operation::RecordConsent, client)
            .await?;
        if &self.store().consent_client(consent).await? != client {
            return Err(ServiceError::Store(
                confidant_store::StoreError::UnknownRecord { kind: "consent" },
            ));
        }
        self.withdraw_consent(who.actor(), consent, at).await
    }

    pub async fn holds_as(&self, who: &Principal, client: &ClientId) -> Result<Vec<LegalHold>> {
        self.authorize_client(who, Operation::ViewRetention, client)
            .await?;
        self.list_holds(who.actor(), client).await
    }

    pub async fn place_hold_as(
        &self,
        who: &Principal,
        client: &ClientId,
        reason: HoldReason,
    ) -> Result<HoldId> {
        self.authorize_client(who, Operation::PlaceHold, client)
            .await?;
        Ok(self.store().place_hold(who.actor(), client, reason).await?)
    }

    pub async fn open_matter_as(&self, who: &Principal, m: &OpenMatter) -> Result<MatterId> {
        self.authorize_client(who, Operation::OpenMatter, &m.client_id)
            .await?;
        self.open_matter(who.actor(), m).await
    }

    /// May `who` see matter `id`? Its client's `view-matters`, or, for a
    /// matter escalated to them, `view-escalated-matter`.
    async fn authorize_matter(
        &self,
        who: &Principal,
        op: Operation,
        id: &MatterId,
    ) -> Result<ClientId> {
        let client = match self.store().matter_client(id).await {
            Ok(c) => c,
            Err(confidant_store::StoreError::UnknownRecord { .. }) => {
                // Unknown and forbidden look the same to the caller.
                self.store()
                    .record_event(
                        who.actor(),
                        Action::AccessRefused,
                        vec![who.user_id.to_string()],
                    )
                    .await?;
                return Err(ServiceError::NotAllowed);
            }
            Err(e) => return Err(e.into()),
        };
        if op == Operation::ViewMatters {
            // Or escalated to them (escalation.rs).
            self.authorize_matter_view(who, id, &client).await?;
        } else {
            self.authorize_client(who, op, &client).await?;
        }
        Ok(client)
    }

    pub async fn matter_as(&self, who: &Principal, id: &MatterId) -> Result<MatterView> {
        self.authorize_matter(who, Operation::ViewMatters, id)
            .await?;
        self.show(who.actor(), id).await
    }

    pub async fn matters_as(&self, who: &Principal, client: &ClientId) -> Result<Vec<MatterView>> {
        self.authorize_client(who, Operation::ViewMatters, client)
            .await?;
        self.list(who.actor(), client).await
    }

    /// Puts the matter's situation to its policy (as `matter decide`).
    pub async fn decide_as(
        &self,
        who: &Principal,
        id: &MatterId,
        on: Option<CivilDate>,
    ) -> Result<serde_json::Value> {
        self.authorize_matter(who, Operation::OpenMatter, id)
            .await?;
        let rec = self
            .decide(
                who.actor(),
                id,
                &DecideInput {
                    on,
                    ..DecideInput::default()
                },
            )
            .await?;
        serde_json::to_value(&rec)
            .map_err(|_| ServiceError::Refused("the recommendation could not be shown".into()))
    }

    pub async fn sars_as(
        &self,
        who: &Principal,
        client: &ClientId,
    ) -> Result<Vec<crate::sar::SarView>> {
        self.authorize_client(who, Operation::TrackSar, client)
            .await?;
        self.list_sars(who.actor(), Some(client), crate::sar::SarFilter::All)
            .await
    }

    pub async fn retention_due_as(
        &self,
        who: &Principal,
        policy: &str,
        by: Option<CivilDate>,
    ) -> Result<Vec<crate::retention::ClientRetention>> {
        self.authorize(who, Operation::RunRetention, &Target::Service)
            .await?;
        self.retention_due(who.actor(), policy, by).await
    }

    /// Verifies the whole audit log: `Ok(entries)` or where it breaks.
    pub async fn verify_audit_as(
        &self,
        who: &Principal,
    ) -> Result<std::result::Result<u64, String>> {
        self.authorize(who, Operation::VerifyAudit, &Target::Service)
            .await?;
        let r = self.store().verify_audit().await?;
        self.store()
            .record_event(who.actor(), Action::AuditVerify, Vec::new())
            .await?;
        Ok(r.map_err(|e| e.to_string()))
    }
}
