//! The practitioner's day as the web app shows it: what needs me now, a
//! client's record, writing notes, recording and withdrawing consents, and
//! the matter flow, each use case taking the signed-in [`Principal`] and
//! asking the access policy before anything is read or written (a refusal
//! is audited and says only "not allowed"). The views are plain data in
//! the words a page shows; the pages only render them.

use crate::accounts::Principal;
use crate::matter::{MatterView, NewDecisionRecord, OpenMatter, PractitionerFacts};
use crate::sar::SarFilter;
use crate::situations;
use crate::{DecideInput, Result, Service, ServiceError, refuse};
use confidant_access::{Operation, Role};
use confidant_core::decision::{Obligation, Outcome};
use confidant_core::ids::{ClientId, ConsentId, MatterId, NoteId};
use confidant_core::record::{CivilDate, NewClient, NewConsent, NewNote, Timestamp};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_policy::render::{obligation_plain, recipient_plain};
use serde_json::Value;

/// A client in a list: id and name (the name is shown only to those the
/// policy lets see client details).
#[derive(Clone)]
pub struct ClientSummary {
    pub id: ClientId,
    pub name: String,
}

/// An open matter on the home page.
#[derive(Clone)]
pub struct OpenMatterSummary {
    pub id: MatterId,
    pub client_name: String,
    pub what: String,
    /// Obligations on its checklist not yet met.
    pub outstanding: usize,
}

/// A subject access request on the home page.
#[derive(Clone)]
pub struct SarSummary {
    pub client_id: ClientId,
    pub client_name: String,
    pub due: String,
    pub days_left: i64,
    pub overdue: bool,
}

/// What needs the user now.
#[derive(Clone, Default)]
pub struct Home {
    pub clients: Vec<ClientSummary>,
    pub open_matters: Vec<OpenMatterSummary>,
    /// Open SARs on my clients, overdue first, then by days left.
    pub sars: Vec<SarSummary>,
    /// Break-glass grants waiting for review, for those who review them
    /// (`None`: not this user's job).
    pub break_glass: Option<Vec<crate::accounts::GrantView>>,
    /// Whether the user may add clients (a practitioner linked to a
    /// practitioner record).
    pub may_add_clients: bool,
    /// Matters escalated to me as safeguarding officer, still open.
    pub escalations: Vec<crate::escalation::EscalationSummary>,
}

impl Home {
    pub fn is_empty(&self) -> bool {
        self.open_matters.is_empty()
            && self.sars.is_empty()
            && self.escalations.is_empty()
            && self.break_glass.as_ref().is_none_or(Vec::is_empty)
    }
}

/// A consent as listed on the record.
#[derive(Clone)]
pub struct ConsentRow {
    pub id: ConsentId,
    pub purpose: &'static str,
    pub form: &'static str,
    pub status: &'static str,
    pub recorded: String,
    /// Given and not yet withdrawn.
    pub may_withdraw: bool,
}

/// A note as listed on the record.
#[derive(Clone)]
pub struct NoteRow {
    pub id: NoteId,
    pub written: String,
    pub text: String,
}

/// A matter as listed on the record.
#[derive(Clone)]
pub struct MatterRow {
    pub id: MatterId,
    pub what: String,
    pub opened: String,
    pub status: &'static str,
}

/// A client's record as the practitioner sees it.
#[derive(Clone)]
pub struct ClientRecord {
    pub id: ClientId,
    pub name: String,
    /// (label, value) for each detail held.
    pub details: Vec<(&'static str, String)>,
    pub flags: Vec<(&'static str, bool)>,
    pub consents: Vec<ConsentRow>,
    pub notes: Vec<NoteRow>,
    pub matters: Vec<MatterRow>,
}

/// One clause behind a recommendation: the document and the quoted words.
#[derive(Clone)]
pub struct Clause {
    pub rule: String,
    pub document: String,
    pub quote: String,
}

/// One fact of the situation, where it came from.
#[derive(Clone)]
pub struct FactRow {
    pub fact: String,
    pub value: String,
    pub source: String,
    pub detail: String,
}

#[derive(Clone)]
pub struct RecommendationView {
    pub outcome: String,
    pub outcome_words: &'static str,
    pub recipients: Vec<&'static str>,
    pub clauses: Vec<Clause>,
    pub facts: Vec<FactRow>,
}

#[derive(Clone)]
pub struct ChecklistRow {
    pub obligation: String,
    pub status: String,
    pub status_words: &'static str,
    pub detail: String,
}

#[derive(Clone)]
pub struct RecordView {
    pub outcome_words: &'static str,
    pub recommended_words: &'static str,
    pub differs_reason: Option<String>,
    pub consulted: Vec<String>,
    pub factors: Vec<String>,
    pub why: String,
    pub client_told: String,
    pub signed: String,
    pub signature: String,
}

/// A matter as its page shows it.
#[derive(Clone)]
pub struct MatterPage {
    pub id: MatterId,
    pub client_id: ClientId,
    pub client_name: String,
    pub what: String,
    pub status: &'static str,
    pub policy: String,
    pub opened: String,
    pub is_concern: bool,
    /// Not closed and no signed record yet: the policy may be asked
    /// (again), and the decision recorded once it has answered.
    pub may_decide: bool,
    pub recommendation: Option<RecommendationView>,
    pub record: Option<RecordView>,
    pub checklist: Vec<ChecklistRow>,
}

/// A consent to record, as typed.
pub struct ConsentInput<'a> {
    pub purpose: &'a str,
    pub status: &'a str,
    pub form: &'a str,
    pub evidence: Option<&'a str>,
}

/// A matter to open, as chosen.
pub struct MatterInput<'a> {
    pub situation: &'a str,
    pub policy: &'a str,
    pub requester: Option<String>,
    pub court_order: bool,
    pub authority_reference: Option<String>,
    pub summary: Option<String>,
}

/// The outcome in the words a practitioner reads.
pub fn outcome_words(o: Outcome) -> &'static str {
    match o {
        Outcome::Withhold => "Do not share",
        Outcome::SeekConsent => "Ask for the client's consent first",
        Outcome::Escalate => "Refer it to the person your policy names",
        Outcome::Disclose => "Share only what is necessary",
        Outcome::Emergency => "Act now: an emergency",
    }
}

/// Every outcome a decision record may take, with its words, for a form.
pub fn outcome_choices() -> Vec<(&'static str, &'static str)> {
    [
        Outcome::Withhold,
        Outcome::SeekConsent,
        Outcome::Escalate,
        Outcome::Disclose,
        Outcome::Emergency,
    ]
    .into_iter()
    .map(|o| (o.as_str(), outcome_words(o)))
    .collect()
}

fn status_words(s: &str) -> &'static str {
    match s {
        "met-by-system" => "Done",
        "attested" => "Done (confirmed)",
        "not-applicable" => "Not needed",
        "reasoned" => "Reason recorded",
        _ => "To do",
    }
}

/// What a consent is for, in words.
pub fn purpose_words(p: ConsentPurpose) -> &'static str {
    match p {
        ConsentPurpose::ShareProgress => "Sharing their progress",
        ConsentPurpose::ContactGpOnRisk => "Contacting their GP if they are at risk",
        ConsentPurpose::ReleaseToRequester => "Releasing information to someone who asks",
        ConsentPurpose::SupervisionIdentifiable => "Discussing them, identifiably, in supervision",
        ConsentPurpose::Research => "Research",
        ConsentPurpose::Publication => "Publication",
        ConsentPurpose::Training => "Training",
    }
}

pub fn consent_status_words(s: ConsentStatus) -> &'static str {
    match s {
        ConsentStatus::Given => "Agreed",
        ConsentStatus::Refused => "Refused",
        ConsentStatus::Withdrawn => "Withdrawn",
        ConsentStatus::NotAsked => "Not asked yet",
    }
}

pub fn consent_form_words(f: ConsentForm) -> &'static str {
    match f {
        ConsentForm::Written => "In writing",
        ConsentForm::Verbal => "Spoken",
        ConsentForm::ApplicationForm => "On the application form",
    }
}

/// A form's choices: (value sent, words shown).
pub type Choices = Vec<(&'static str, &'static str)>;

/// The consent vocabularies with their words, for a form's choices.
pub fn consent_choices() -> (Choices, Choices, Choices) {
    (
        ConsentPurpose::ALL
            .iter()
            .map(|p| (p.as_str(), purpose_words(*p)))
            .collect(),
        ConsentStatus::ALL
            .iter()
            .map(|s| (s.as_str(), consent_status_words(*s)))
            .collect(),
        ConsentForm::ALL
            .iter()
            .map(|f| (f.as_str(), consent_form_words(*f)))
            .collect(),
    )
}

/// A matter's subject (as stored) in words: the situation's own words when
/// it is one of the listed situations.
pub fn subject_words(subject: &Value) -> String {
    let Ok(s) = serde_json::from_value::<crate::MatterSubject>(subject.clone()) else {
        return "A matter".into();
    };
    situations::words_of(&s)
}

fn fact_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Null => "not known".into(),
        other => other.to_string(),
    }
}

impl Service {
    pub(crate) fn date_of(&self, t: Timestamp) -> String {
        self.local_date(t)
            .map(|d| d.to_string())
            .unwrap_or_else(|_| t.to_string())
    }

    async fn client_name(&self, who: &Principal, id: &ClientId) -> Result<String> {
        Ok(self.store().get_client(who.actor(), id).await?.name)
    }

    /// What needs the user now: their clients, their open matters with
    /// what is outstanding, open SARs on their clients (overdue first), and
    /// break-glass grants to review when that is their job.
    pub async fn home(&self, who: &Principal) -> Result<Home> {
        let mut home = Home {
            may_add_clients: who.roles.contains(&Role::Practitioner)
                && who.practitioner_id.is_some(),
            ..Home::default()
        };
        for id in self.my_clients(who).await? {
            if self
                .authorize_client(who, Operation::ViewClientDetails, &id)
                .await
                .is_err()
            {
                continue;
            }
            let name = self.client_name(who, &id).await?;
            if self
                .authorize_client(who, Operation::ViewMatters, &id)
                .await
                .is_ok()
            {
                for m in self.list(who.actor(), &id).await? {
                    if m.status == "closed" || is_sar(&m) {
                        continue;
                    }
                    home.open_matters.push(OpenMatterSummary {
                        id: m.id.clone(),
                        client_name: name.clone(),
                        what: subject_words(&m.subject),
                        outstanding: m.checklist.iter().filter(|i| i.status == "unmet").count(),
                    });
                }
            }
            if self
                .authorize_client(who, Operation::TrackSar, &id)
                .await
                .is_ok()
            {
                for s in self
                    .list_sars(who.actor(), Some(&id), SarFilter::Due)
                    .await?
                {
                    home.sars.push(SarSummary {
                        client_id: id.clone(),
                        client_name: name.clone(),
                        due: s.clock.due.map(|d| d.to_string()).unwrap_or_default(),
                        days_left: s.clock.days_left.unwrap_or(0),
                        overdue: s.clock.overdue,
                    });
                }
            }
            home.clients.push(ClientSummary { id, name });
        }
        home.sars.sort_by_key(|s| (!s.overdue, s.days_left));
        if who
            .roles
            .iter()
            .any(|r| matches!(r, Role::SafeguardingOfficer | Role::RecordsManager))
        {
            home.break_glass = Some(self.break_glass_queue(who).await?);
        }
        home.escalations = self.escalations_waiting_as(who).await?;
        Ok(home)
    }

    /// Adds a client and assigns them to the practitioner adding them.
    pub async fn add_my_client(&self, who: &Principal, client: &NewClient) -> Result<ClientId> {
        let Some(p) = who
            .practitioner_id
            .as_ref()
            .filter(|_| who.roles.contains(&Role::Practitioner))
        else {
            return Err(ServiceError::NotAllowed);
        };
        if client.name.trim().is_empty() {
            return refuse("give the client's name");
        }
        let id = self.store().add_client(who.actor(), client).await?;
        self.assign_client_unchecked(who.actor(), &id, p).await?;
        Ok(id)
    }

    /// A client's record: details, flags, consents, notes and matters, each
    /// part read only if the policy allows it (details are required).
    pub async fn client_record(&self, who: &Principal, id: &ClientId) -> Result<ClientRecord> {
        self.authorize_client(who, Operation::ViewClientDetails, id)
            .await?;
        let c = self.store().get_client(who.actor(), id).await?;
        let mut details: Vec<(&'static str, String)> = Vec::new();
        if let Some(d) = c.date_of_birth {
            details.push(("Date of birth", d.to_string()));
        }
        for (label, v) in [
            ("Email", &c.email),
            ("Phone", &c.phone),
            ("Address", &c.address),
            ("Postcode", &c.postcode),
        ] {
            if let Some(v) = v {
                details.push((label, v.clone()));
            }
        }
        if let Some(n) = &c.nhs_number {
            details.push(("NHS number", n.as_str().to_owned()));
        }
        details.push(("Record opened", self.date_of(c.created_at)));
        let flags = vec![
            ("Protected (whereabouts never disclosed)", c.flags.protected),
            ("Capacity concern", c.flags.capacity_concern),
            (
                "Parental responsibility held by someone else",
                c.flags.parental_responsibility_held_elsewhere,
            ),
            ("Work has ended", c.flags.work_ended),
        ];
        let mut consents = Vec::new();
        if self
            .authorize_client(who, Operation::ViewConsents, id)
            .await
            .is_ok()
        {
            for k in self.store().list_consents(who.actor(), id).await? {
                consents.push(ConsentRow {
                    id: k.id.clone(),
                    purpose: purpose_words(k.purpose),
                    form: consent_form_words(k.form),
                    status: consent_status_words(k.status),
                    recorded: self.date_of(k.recorded_at),
                    may_withdraw: k.status == ConsentStatus::Given && k.withdrawn_at.is_none(),
                });
            }
        }
        let mut notes = Vec::new();
        if self
            .authorize_client(who, Operation::ViewNotes, id)
            .await
            .is_ok()
        {
            let mut all = self.store().list_notes(who.actor(), id).await?;
            all.sort_by_key(|n| std::cmp::Reverse(n.created_at));
            for n in all {
                notes.push(NoteRow {
                    id: n.id.clone(),
                    written: self.date_of(n.created_at),
                    text: n.text.clone(),
                });
            }
        }
        let mut matters = Vec::new();
        if self
            .authorize_client(who, Operation::ViewMatters, id)
            .await
            .is_ok()
        {
            for m in self.list(who.actor(), id).await? {
                matters.push(MatterRow {
                    id: m.id.clone(),
                    what: subject_words(&m.subject),
                    opened: self.date_of(m.opened_at),
                    status: m.status,
                });
            }
        }
        Ok(ClientRecord {
            id: c.id.clone(),
            name: c.name.clone(),
            details,
            flags,
            consents,
            notes,
            matters,
        })
    }

    /// Writes a note on the client's record, by the user's practitioner.
    pub async fn write_note(
        &self,
        who: &Principal,
        client: &ClientId,
        text: &str,
    ) -> Result<NoteId> {
        self.authorize_client(who, Operation::WriteNote, client)
            .await?;
        if text.trim().is_empty() {
            return refuse("write the note before saving it");
        }
        let mut note = NewNote::new(client.clone(), text);
        note.author = who.practitioner_id.clone();
        Ok(self.store().add_note(who.actor(), &note).await?)
    }

    /// Records a consent (given, refused or not asked) as typed.
    pub async fn record_consent(
        &self,
        who: &Principal,
        client: &ClientId,
        input: &ConsentInput<'_>,
    ) -> Result<ConsentId> {
        self.authorize_client(who, Operation::RecordConsent, client)
            .await?;
        let purpose: ConsentPurpose = input.purpose.parse()?;
        let status: ConsentStatus = input.status.parse()?;
        let form: ConsentForm = input.form.parse()?;
        if status == ConsentStatus::Withdrawn {
            return refuse("to withdraw a consent, use Withdraw beside it");
        }
        let now = Timestamp(confidant_store::now_micros());
        let consent = NewConsent {
            client_id: client.clone(),
            case_id: None,
            purpose,
            form,
            status,
            given_at: (status == ConsentStatus::Given).then_some(now),
            withdrawn_at: None,
            evidence: input
                .evidence
                .map(|e| e.trim().to_owned())
                .filter(|e| !e.is_empty()),
        };
        Ok(self.store().add_consent(who.actor(), &consent).await?)
    }

    /// Withdraws one of the client's consents, now.
    pub async fn withdraw_my_clients_consent(
        &self,
        who: &Principal,
        client: &ClientId,
        consent: &ConsentId,
    ) -> Result<()> {
        self.authorize_client(who, Operation::RecordConsent, client)
            .await?;
        let held = self.store().list_consents(who.actor(), client).await?;
        if !held.iter().any(|k| &k.id == consent) {
            return Err(ServiceError::Store(
                confidant_store::StoreError::UnknownRecord {
                    kind: "consent of this client",
                },
            ));
        }
        self.withdraw_consent(
            who.actor(),
            consent,
            Timestamp(confidant_store::now_micros()),
        )
        .await
    }

    /// Opens a matter on the client from a situation in words.
    pub async fn open_matter_for(
        &self,
        who: &Principal,
        client: &ClientId,
        m: &MatterInput<'_>,
    ) -> Result<MatterId> {
        self.authorize_client(who, Operation::OpenMatter, client)
            .await?;
        let choice = situations::situation(m.situation)?;
        if !crate::builtin_policies().contains(&m.policy) {
            return refuse("choose your service's policy from the list");
        }
        let subject = situations::subject_of(
            choice,
            m.requester.clone(),
            m.court_order,
            m.authority_reference.clone(),
        );
        self.open_matter(
            who.actor(),
            &OpenMatter {
                client_id: client.clone(),
                case_id: None,
                policy: m.policy.to_owned(),
                subject,
                arrived_at: None,
                summary: m.summary.clone().filter(|s| !s.trim().is_empty()),
            },
        )
        .await
    }

    /// The matter, once the user may see the client's matters: asked
    /// before the matter is read (so a refused user leaves no read in the
    /// audit log), and an unknown id is refused exactly like a forbidden
    /// one.
    async fn my_matter(&self, who: &Principal, id: &MatterId) -> Result<MatterView> {
        self.matter_as(who, id).await
    }

    /// Asks the policy about the matter with the facts only the
    /// practitioner knows.
    pub async fn decide_for(
        &self,
        who: &Principal,
        id: &MatterId,
        facts: PractitionerFacts,
    ) -> Result<()> {
        let v = self.my_matter(who, id).await?;
        self.authorize_client(who, Operation::OpenMatter, &v.client_id)
            .await?;
        self.decide(
            who.actor(),
            id,
            &DecideInput {
                on: None,
                facts,
                capacity: None,
            },
        )
        .await?;
        Ok(())
    }

    /// Signs the user's decision record on the matter.
    pub async fn record_for(
        &self,
        who: &Principal,
        id: &MatterId,
        r: &NewDecisionRecord,
    ) -> Result<String> {
        let v = self.my_matter(who, id).await?;
        self.authorize_client(who, Operation::OpenMatter, &v.client_id)
            .await?;
        self.record(who.actor(), id, r).await
    }

    /// The matter as its page shows it.
    pub async fn matter_page(&self, who: &Principal, id: &MatterId) -> Result<MatterPage> {
        let v = self.my_matter(who, id).await?;
        let client_name = self.client_name(who, &v.client_id).await?;
        let recommendation = match &v.recommendation {
            Some(rec) => Some(recommendation_view(rec)?),
            None => None,
        };
        let record = match &v.decision_record {
            Some(step) => Some(self.record_view(step)?),
            None => None,
        };
        let is_concern = v.subject.get("kind").and_then(Value::as_str) == Some("concern");
        Ok(MatterPage {
            id: v.id.clone(),
            client_id: v.client_id.clone(),
            client_name,
            what: subject_words(&v.subject),
            status: v.status,
            policy: v.policy.clone(),
            opened: self.date_of(v.opened_at),
            is_concern,
            may_decide: v.status != "closed" && record.is_none(),
            recommendation,
            record,
            checklist: v
                .checklist
                .iter()
                .map(|i| ChecklistRow {
                    obligation: obligation_plain(i.obligation).to_owned(),
                    status: i.status.clone(),
                    status_words: status_words(&i.status),
                    detail: i.detail.clone(),
                })
                .collect(),
        })
    }

    fn record_view(&self, step: &crate::matter::StepView) -> Result<RecordView> {
        let r: crate::matter::DecisionRecord =
            serde_json::from_value(step.body.clone()).map_err(|_| {
                ServiceError::Store(confidant_store::StoreError::Corrupt {
                    what: "decision record",
                })
            })?;
        let consulted = r
            .consulted
            .iter()
            .map(|c| match (&c.name, c.anonymously) {
                (Some(n), _) => format!("{} ({})", n, c.role),
                (None, _) => format!("{} (consulted without naming the client)", c.role),
            })
            .collect();
        let t = &r.client_told;
        let client_told = if t.told {
            format!("Told: {}", t.how.clone().unwrap_or_default())
        } else {
            format!("Not told: {}", t.why_not.clone().unwrap_or_default())
        };
        Ok(RecordView {
            outcome_words: outcome_words(r.outcome),
            recommended_words: outcome_words(r.recommended),
            differs_reason: r.differs_reason.clone(),
            consulted,
            factors: r.factors.clone(),
            why: r.why.clone(),
            client_told,
            signed: format!("{} by user {}", self.date_of(step.at), step.actor),
            signature: step.signature.clone(),
        })
    }
}

fn is_sar(m: &MatterView) -> bool {
    m.steps.iter().any(|s| s.kind == "subject-access")
}

fn recommendation_view(rec: &Value) -> Result<RecommendationView> {
    let r: crate::matter::Recommendation = serde_json::from_value(rec.clone()).map_err(|_| {
        ServiceError::Store(confidant_store::StoreError::Corrupt {
            what: "recommendation",
        })
    })?;
    let clauses = r
        .decision
        .rules
        .iter()
        .map(|f| {
            let (document, quote) = match f.source.split_once(": ") {
                Some((d, q)) => (d.to_owned(), q.trim_matches('\'').to_owned()),
                None => (String::new(), f.source.to_string()),
            };
            Clause {
                rule: f.id.to_string(),
                document,
                quote,
            }
        })
        .collect();
    let facts = r
        .provenance
        .iter()
        .map(|p| FactRow {
            fact: p.fact.replace('_', " "),
            value: fact_value(&p.value),
            source: p.source.clone(),
            detail: p.detail.clone(),
        })
        .collect();
    Ok(RecommendationView {
        outcome: r.decision.outcome.as_str().to_owned(),
        outcome_words: outcome_words(r.decision.outcome),
        recipients: r
            .decision
            .recipients
            .iter()
            .map(|x| recipient_plain(*x))
            .collect(),
        clauses,
        facts,
    })
}

/// Parses one line per factor, dropping empty lines.
pub fn factors_from_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An obligation as the checklist words it.
pub fn obligation_words(o: Obligation) -> &'static str {
    obligation_plain(o)
}

/// Today in the service's calendar, for a form's default date.
pub fn today_string(service: &Service) -> String {
    service
        .local_today()
        .map(|d: CivilDate| d.to_string())
        .unwrap_or_default()
}
