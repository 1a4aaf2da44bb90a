//! Escalating a matter to the safeguarding officer.
//!
//! Handcrafted's Confidentiality Policy, "How to decide what to pass on and
//! to whom": "If it is a 'Safeguarding' issue then follow safeguarding
//! guidance and only contact the Safeguarding Officer or their deputy."
//! So a practitioner assigned to the client escalates a matter to one user
//! holding the `safeguarding-officer` role (the officer or a deputy), and
//! nobody else: the recipient must hold that role, and the matter becomes
//! visible to them alone (the `escalated_to` fact Cedar's
//! `safeguarding-escalations` policy reads), not to other practitioners
//! or the administrator.

use crate::accounts::Principal;
use crate::caseload::subject_words;
use crate::{Result, Service, ServiceError, refuse};
use confidant_access::{Operation, Role, Target};
use confidant_core::ids::{ClientId, EscalationId, MatterId, UserId};
use confidant_core::record::Timestamp;
use serde::Serialize;

/// An escalation waiting for the safeguarding officer.
#[derive(Clone, Serialize)]
pub struct EscalationSummary {
    pub id: EscalationId,
    pub matter_id: MatterId,
    pub client_id: ClientId,
    #[serde(skip)]
    pub client_name: String,
    /// The matter in words (its kind and policy; no note text).
    pub what: String,
    pub escalated: String,
}

/// A user who may receive an escalation (the officer or a deputy).
#[derive(Clone, Serialize)]
pub struct OfficerChoice {
    pub user_id: UserId,
    pub username: String,
}

impl Service {
    /// May `who` see matter `id` of `client`? Their own `view-matters` on
    /// the client (asked without auditing, since a refusal here is not the
    /// answer), else `view-escalated-matter` with the matter's
    /// `escalated_to` filled from the store (a refusal is audited).
    pub(crate) async fn authorize_matter_view(
        &self,
        who: &Principal,
        id: &MatterId,
        client: &ClientId,
    ) -> Result<()> {
        let facts = self.client_facts(client).await?;
        let now = Timestamp(confidant_store::now_micros());
        let break_glass = self.store().active_grant(&who.user_id, client, now).await?;
        let own = Target::Client {
            facts: facts.clone(),
            break_glass,
        };
        if self
            .access_policy()?
            .check(&who.subject(), Operation::ViewMatters, &own)
            .allowed
        {
            return Ok(());
        }
        let escalated_to = self
            .store()
            .escalated_to(id)
            .await?
            .iter()
            .map(ToString::to_string)
            .collect();
        let target = Target::Matter {
            matter: id.to_string(),
            client: facts,
            escalated_to,
        };
        self.authorize(who, Operation::ViewEscalatedMatter, &target)
            .await
    }

    /// The users holding the safeguarding-officer role (the officer and
    /// deputies), for a practitioner choosing whom to escalate to.
    pub async fn safeguarding_officers(&self) -> Result<Vec<OfficerChoice>> {
        Ok(self
            .store()
            .list_users()
            .await?
            .into_iter()
            .filter(|u| {
                u.roles
                    .iter()
                    .any(|r| r == Role::SafeguardingOfficer.as_str())
            })
            .map(|u| OfficerChoice {
                user_id: u.id,
                username: u.username,
            })
            .collect())
    }

    /// Whom the practitioner assigned to the matter's client may escalate
    /// it to (the users with the safeguarding-officer role); anyone else
    /// is refused "not allowed" (audited).
    pub async fn escalation_choices_as(
        &self,
        who: &Principal,
        matter: &MatterId,
    ) -> Result<Vec<OfficerChoice>> {
        self.authorize_escalation(who, matter).await?;
        self.safeguarding_officers().await
    }

    async fn authorize_escalation(&self, who: &Principal, matter: &MatterId) -> Result<()> {
        let client = match self.store().matter_client(matter).await {
            Ok(c) => c,
            Err(confidant_store::StoreError::UnknownRecord { .. }) => {
                self.store()
                    .record_event(
                        who.actor(),
                        confidant_store::Action::AccessRefused,
                        vec![who.user_id.to_string()],
                    )
                    .await?;
                return Err(ServiceError::NotAllowed);
            }
            Err(e) => return Err(e.into()),
        };
        // Opening and deciding matters on the client is the assigned
        // practitioner's; escalating is part of deciding one.
        self.authorize_client(who, Operation::OpenMatter, &client)
            .await?;
        if !who.roles.contains(&Role::Practitioner) {
            return Err(ServiceError::NotAllowed);
        }
        Ok(())
    }

    /// A practitioner assigned to the matter's client escalates it to a
    /// user holding the safeguarding-officer role (audited
    /// `matter.escalate`). Anyone else is refused "not allowed"; a
    /// recipient who is not a safeguarding officer is refused by name of
    /// the problem, nothing written.
    pub async fn escalate_matter_as(
        &self,
        who: &Principal,
        matter: &MatterId,
        to_user: &UserId,
    ) -> Result<EscalationId> {
        self.authorize_escalation(who, matter).await?;
        let officer = self
            .safeguarding_officers()
            .await?
            .into_iter()
            .any(|o| &o.user_id == to_user);
        if !officer {
            return refuse(
                "a safeguarding concern goes only to the Safeguarding Officer or their deputy: \
                 choose a user with the safeguarding-officer role",
            );
        }
        match self
            .store()
            .add_escalation(who.actor(), matter, to_user)
            .await
        {
            Ok(id) => Ok(id),
            Err(confidant_store::StoreError::AlreadyRecorded { what }) => refuse(what),
            Err(e) => Err(e.into()),
        }
    }

    /// The escalations waiting for me (matters escalated to me and still
    /// open), each still allowed by the policy. Empty for anyone without
    /// the safeguarding-officer role.
    pub async fn escalations_waiting_as(&self, who: &Principal) -> Result<Vec<EscalationSummary>> {
        if !who.roles.contains(&Role::SafeguardingOfficer) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for e in self
            .store()
            .escalations_to(who.actor(), &who.user_id)
            .await?
        {
            if self
                .authorize_matter_view(who, &e.matter_id, &e.client_id)
                .await
                .is_err()
            {
                continue;
            }
            let m = self.show(who.actor(), &e.matter_id).await?;
            let client_name = self
                .store()
                .get_client(who.actor(), &e.client_id)
                .await?
                .name;
            out.push(EscalationSummary {
                id: e.id,
                matter_id: e.matter_id,
                client_id: e.client_id,
                client_name,
                what: subject_words(&m.subject),
                escalated: self.date_of(e.at),
            });
        }
        Ok(out)
    }
}
