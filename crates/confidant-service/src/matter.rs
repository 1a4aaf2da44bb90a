//! Matters: one request, concern or intended use on a client or case, from
//! opening to closing. The situation is built from the record (the
//! practitioner supplies only what the record cannot know, and every fact
//! says where it came from), the recommendation is the policy engine's
//! decision with the policy's name, text hash and rules fired, the decision
//! record is signed and then immutable (corrections are amendments), and
//! the obligations become a checklist that must be met, attested or
//! reasoned before the matter closes.

use crate::{Result, Service, ServiceError, age_on, end_of_day, load_policy, non_empty, refuse};

use confidant_core::decision::{Decision, Obligation, Outcome, Recipient};
use confidant_core::ids::{CaseId, ClientId, MatterId};
use confidant_core::record::{CaseKind, CivilDate, Client, ClientFlags, Timestamp};
use confidant_core::situation::{
    Arrangement, AsksFor, Capacity, ClientCircumstances, Concern, ConcernAbout, Consent, Crime,
    Event, Party, Request, Requester, Situation, UseFor,
};
use confidant_core::vocab::{ConsentPurpose, ConsentStatus};
use confidant_store::{NewMatter, NewStep, StepKind, StoredMatter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What the matter is about.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MatterSubject {
    /// Someone asks for information.
    Request {
        from: Requester,
        asks_for: AsksFor,
        /// Who is asking (a person or organisation, as they gave it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requester: Option<String>,
        /// Whether the request comes with a court order.
        #[serde(default)]
        court_order: bool,
        /// The order's or production order's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        authority_reference: Option<String>,
        /// The statutory basis the requester cites.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        statutory_basis: Option<String>,
    },
    /// The practitioner is worried.
    Concern { about: ConcernAbout },
    /// The practitioner intends to use the material.
    Use {
        #[serde(rename = "for")]
        for_: UseFor,
    },
}

/// A matter to open.
#[derive(Clone)]
pub struct OpenMatter {
    pub client_id: ClientId,
    pub case_id: Option<CaseId>,
    /// A built-in policy name or a policy file.
    pub policy: String,
    pub subject: MatterSubject,
    /// When the request or concern arrived (default: now).
    pub arrived_at: Option<Timestamp>,
    /// A short description, sealed.
    pub summary: Option<String>,
}

/// The sealed body of a matter.
#[derive(Clone, Serialize, Deserialize)]
struct MatterBody {
    policy: String,
    subject: MatterSubject,
    #[serde(with = "crate::ts")]
    arrived_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
}

/// Facts only the practitioner can know, for the event.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PractitionerFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imminent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_threatening: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ongoing_risk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crime: Option<Crime>,
    /// Only when the record holds no date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u32>,
}

/// A capacity assessment for this decision (MCA 2005: per decision, per
/// time), with who made it and when.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityAssessment {
    pub outcome: Capacity,
    pub assessed_by: String,
    #[serde(with = "crate::ts")]
    pub assessed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What `matter decide` is given.
#[derive(Clone, Default)]
pub struct DecideInput {
    /// The decision date (default: today in the service's time zone): age
    /// and consents on it.
    pub on: Option<CivilDate>,
    pub facts: PractitionerFacts,
    pub capacity: Option<CapacityAssessment>,
}

/// One fact of the situation and where it came from.
#[derive(Clone, Serialize, Deserialize)]
pub struct Provenance {
    pub fact: String,
    pub value: Value,
    /// `record`, `practitioner`, `matter` (as opened) or `presumed`.
    pub source: String,
    pub detail: String,
}

/// A party of a couple or group case as labelled in the situation.
#[derive(Clone, Serialize, Deserialize)]
pub struct PartyLabel {
    pub label: String,
    pub client_id: ClientId,
    /// Whether the consent that matters for this event is given and in
    /// force for this party (CSRP 9: only their material may be released).
    pub consenting: bool,
    pub protected: bool,
}

/// The stored recommendation (a `decided` step).
#[derive(Clone, Serialize, Deserialize)]
pub struct Recommendation {
    pub policy: String,
    pub policy_source: String,
    pub policy_sha256: String,
    pub decided_on: String,
    pub situation: Situation,
    pub provenance: Vec<Provenance>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<PartyLabel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_assessment: Option<CapacityAssessment>,
    pub decision: Decision,
}

/// Someone consulted before deciding.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consulted {
    /// None when consulted anonymously (Handcrafted: a line manager may be
    /// asked for advice without naming the client or the practitioner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub role: String,
    #[serde(default)]
    pub anonymously: bool,
}

/// Whether and how the client was told, or why not.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTold {
    pub told: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    #[serde(
        default,
        with = "crate::ts::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub when: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
}

/// A decision record as the practitioner gives it.
#[derive(Clone)]
pub struct NewDecisionRecord {
    pub outcome: Outcome,
    pub differs_reason: Option<String>,
    pub consulted: Vec<Consulted>,
    pub factors: Vec<String>,
    pub why: String,
    pub client_told: ClientTold,
}

/// The stored decision record (a `recorded` step).
#[derive(Clone, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub recommendation: String,
    pub recommended: Outcome,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub differs_reason: Option<String>,
    pub consulted: Vec<Consulted>,
    pub factors: Vec<String>,
    pub why: String,
    pub client_told: ClientTold,
    pub author: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct Amendment {
    amends: String,
    field: String,
    correction: String,
    reason: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct Attestation {
    obligation: Obligation,
    note: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct Closing {
    attested: Vec<Attestation>,
    unmet: Vec<UnmetReason>,
    checklist: Vec<ChecklistItem>,
}

#[derive(Clone, Serialize, Deserialize)]
struct UnmetReason {
    obligation: Obligation,
    reason: String,
}

/// One obligation on the matter's checklist.
#[derive(Clone, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub obligation: Obligation,
    /// `met-by-system`, `attested`, `not-applicable`, `reasoned` or `unmet`.
    pub status: String,
    pub detail: String,
}

/// A step as shown.
#[derive(Clone, Serialize)]
pub struct StepView {
    pub id: String,
    pub kind: String,
    pub at: Timestamp,
    pub actor: String,
    pub signature: String,
    pub body: Value,
}

/// A matter as shown by `matter show`.
#[derive(Clone, Serialize)]
pub struct MatterView {
    pub id: MatterId,
    pub client_id: ClientId,
    pub case_id: Option<CaseId>,
    pub status: &'static str,
    pub opened_at: Timestamp,
    pub opened_by: String,
    pub closed_at: Option<Timestamp>,
    pub policy: String,
    pub subject: Value,
    pub arrived_at: Timestamp,
    pub summary: Option<String>,
    pub recommendation: Option<Value>,
    pub decision_record: Option<StepView>,
    pub amendments: Vec<StepView>,
    pub packages: Vec<Value>,
    pub checklist: Vec<ChecklistItem>,
    pub steps: Vec<StepView>,
}

/// A matter as it stands, parsed from its stored steps.
pub(crate) struct MatterState {
    pub stored: StoredMatter,
    body: MatterBody,
    pub recommendation: Option<(String, Recommendation)>,
    pub record: Option<(String, Timestamp, DecisionRecord)>,
    attestations: Vec<Attestation>,
    /// (package step id, built body)
    pub packages: Vec<(String, Value)>,
    /// package ids delivered
    pub delivered: Vec<String>,
}

fn corrupt(what: &'static str) -> ServiceError {
    ServiceError::Store(confidant_store::StoreError::Corrupt { what })
}

impl MatterState {
    pub(crate) fn from_stored(stored: StoredMatter) -> Result<MatterState> {
        let body: MatterBody =
            serde_json::from_value(stored.body.clone()).map_err(|_| corrupt("matter body"))?;
        let mut s = MatterState {
            stored,
            body,
            recommendation: None,
            record: None,
            attestations: Vec::new(),
            packages: Vec::new(),
            delivered: Vec::new(),
        };
        for step in &s.stored.steps {
            let b = step.body.clone();
            match step.kind {
                StepKind::Decided => {
                    s.recommendation = Some((
                        step.id.clone(),
                        serde_json::from_value(b).map_err(|_| corrupt("recommendation"))?,
                    ));
                }
                StepKind::Recorded => {
                    s.record = Some((
                        step.id.clone(),
                        step.at,
                        serde_json::from_value(b).map_err(|_| corrupt("decision record"))?,
                    ));
                }
                StepKind::Attested => s
                    .attestations
                    .push(serde_json::from_value(b).map_err(|_| corrupt("attestation"))?),
                StepKind::PackageBuilt => s.packages.push((step.id.clone(), step.body.clone())),
                StepKind::PackageDelivered => {
                    if let Some(p) = step.body.get("package_id").and_then(Value::as_str) {
                        s.delivered.push(p.to_owned());
                    }
                }
                StepKind::Amended | StepKind::Closed | StepKind::SubjectAccess => {}
            }
        }
        Ok(s)
    }

    pub(crate) fn steps(&self) -> usize {
        self.stored.steps.len()
    }

    pub(crate) fn subject(&self) -> &MatterSubject {
        &self.body.subject
    }

    fn open(&self) -> Result<()> {
        if self.stored.closed_at.is_some() {
            return refuse("the matter is closed: nothing more can be recorded on it");
        }
        Ok(())
    }
}

/// The consent purpose whose consent matters for an event, if any.
pub(crate) fn purpose_for(event: &Event) -> Option<ConsentPurpose> {
    match event {
        Event::Request(r) => Some(match r.asks_for {
            AsksFor::Progress => ConsentPurpose::ShareProgress,
            _ => ConsentPurpose::ReleaseToRequester,
        }),
        Event::Use(u) => match u {
            UseFor::Research => Some(ConsentPurpose::Research),
            UseFor::Publication => Some(ConsentPurpose::Publication),
            UseFor::Training => Some(ConsentPurpose::Training),
            UseFor::Supervision | UseFor::Consultation => {
                Some(ConsentPurpose::SupervisionIdentifiable)
            }
            UseFor::ProgressSharing => Some(ConsentPurpose::ShareProgress),
            UseFor::ComplaintDefence | UseFor::GroupSharing => None,
        },
        Event::Concern(_) => None,
    }
}

/// The consents in force on `on`: the latest recorded consent per purpose
/// (for this case or for no case), withdrawn if withdrawn by the end of
/// that day, ignored if given only later.
fn consents_in_force(
    all: &[confidant_core::record::Consent],
    case: Option<&CaseId>,
    on: CivilDate,
) -> Vec<Consent> {
    let cutoff = end_of_day(on);
    let mut latest: BTreeMap<ConsentPurpose, &confidant_core::record::Consent> = BTreeMap::new();
    for c in all {
        if c.case_id.as_ref().is_some_and(|cc| Some(cc) != case) {
            continue;
        }
        let when = c.given_at.unwrap_or(c.recorded_at);
        if when > cutoff {
            continue;
        }
        match latest.get(&c.purpose) {
            Some(prev) if prev.given_at.unwrap_or(prev.recorded_at) > when => {}
            _ => {
                latest.insert(c.purpose, c);
            }
        }
    }
    latest
        .into_values()
        .map(|c| {
            // The store marks a withdrawn consent `withdrawn` and keeps when;
            // on a date before the withdrawal it was still in force.
            let status = match c.withdrawn_at {
                Some(w) if w <= cutoff => ConsentStatus::Withdrawn,
                Some(_) if c.status == ConsentStatus::Withdrawn => ConsentStatus::Given,
                _ => c.status,
            };
            Consent {
                purpose: c.purpose,
                form: c.form,
                status,
            }
        })
        .collect()
}

fn consenting(consents: &[Consent], purpose: Option<ConsentPurpose>) -> bool {
    purpose.is_some_and(|p| {
        consents
            .iter()
            .any(|c| c.purpose == p && c.status == ConsentStatus::Given)
    })
}

/// The record flags that feed the situation, mapped in one place (core's
/// `apply_record_flags`): the record's parental-responsibility flag means
/// someone else holds it for a child client, not that the client cares for
/// children.
fn circumstances_from_flags(flags: &ClientFlags) -> ClientCircumstances {
    let mut circ = ClientCircumstances::default();
    circ.apply_record_flags(flags);
    circ
}

fn prov(fact: &str, value: impl Serialize, source: &str, detail: impl Into<String>) -> Provenance {
    Provenance {
        fact: fact.to_owned(),
        value: serde_json::to_value(value).unwrap_or(Value::Null),
        source: source.to_owned(),
        detail: detail.into(),
    }
}

fn ser<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|_| corrupt("value does not serialise"))
}

impl Service {
    pub(crate) async fn state(&self, actor: &str, id: &MatterId) -> Result<MatterState> {
        MatterState::from_stored(self.store().get_matter(actor, id).await?)
    }

    /// Opens a matter. The client (and case) must exist; the policy must
    /// load; free text is sealed.
    pub async fn open_matter(&self, actor: &str, m: &OpenMatter) -> Result<MatterId> {
        load_policy(&m.policy)?;
        if let MatterSubject::Request {
            court_order,
            authority_reference,
            ..
        } = &m.subject
            && *court_order
            && authority_reference
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
        {
            return refuse(
                "a request with a court order needs the order's reference (--authority-reference)",
            );
        }
        if let Some(s) = &m.summary {
            non_empty("--summary", s)?;
        }
        let body = MatterBody {
            policy: m.policy.clone(),
            subject: m.subject.clone(),
            arrived_at: m
                .arrived_at
                .unwrap_or(Timestamp(confidant_store::now_micros())),
            summary: m.summary.clone(),
        };
        let id = self
            .store()
            .open_matter(
                actor,
                &NewMatter {
                    client_id: m.client_id.clone(),
                    case_id: m.case_id.clone(),
                    body: ser(&body)?,
                },
            )
            .await?;
        Ok(id)
    }

    /// Builds the situation from the record and the practitioner's facts.
    async fn situation(
        &self,
        actor: &str,
        st: &MatterState,
        input: &DecideInput,
        on: CivilDate,
    ) -> Result<(Situation, Vec<Provenance>, Vec<PartyLabel>)> {
        let store = self.store();
        let client: Client = store.get_client(actor, &st.stored.client_id).await?;
        let mut p = Vec::new();
        let mut circ = circumstances_from_flags(&client.flags);
        p.push(prov(
            "protected",
            circ.protected,
            "record",
            "the client's protected flag",
        ));
        p.push(prov(
            "parental_responsibility_held_elsewhere",
            circ.parental_responsibility_held_elsewhere,
            "record",
            "the client's record flag",
        ));
        p.push(prov(
            "relationship",
            circ.relationship,
            "record",
            "whether the client's work has ended",
        ));
        match (client.date_of_birth, input.facts.age) {
            (Some(_), Some(_)) => {
                return refuse(
                    "the client's age comes from the date of birth on the record: do not give --age",
                );
            }
            (Some(dob), None) => {
                circ.age = age_on(dob, on);
                p.push(prov(
                    "age",
                    circ.age,
                    "record",
                    format!("from the date of birth, on {on}"),
                ));
            }
            (None, Some(age)) => {
                circ.age = age;
                p.push(prov(
                    "age",
                    age,
                    "practitioner",
                    "the record holds no date of birth",
                ));
            }
            (None, None) => {
                return refuse(
                    "the record holds no date of birth for the client: give their age with --age",
                );
            }
        }
        match &input.capacity {
            Some(a) => {
                non_empty("--assessed-by", &a.assessed_by)?;
                circ.capacity = a.outcome;
                p.push(prov(
                    "capacity",
                    a.outcome,
                    "matter",
                    format!(
                        "assessed for this decision by {} at {}",
                        a.assessed_by, a.assessed_at
                    ),
                ));
            }
            None if client.flags.capacity_concern => {
                return refuse(
                    "the record notes a concern about the client's capacity: record a capacity \
                     assessment for this decision (--capacity, --assessed-by, --assessed-at)",
                );
            }
            None => p.push(prov(
                "capacity",
                Capacity::Presumed,
                "presumed",
                "no assessment recorded and no capacity concern on the record",
            )),
        }
        let event = match st.subject() {
            MatterSubject::Request {
                from,
                asks_for,
                court_order,
                ..
            } => {
                for (name, set) in [
                    ("imminent", input.facts.imminent.is_some()),
                    ("confirmed", input.facts.confirmed.is_some()),
                    ("life-threatening", input.facts.life_threatening.is_some()),
                    ("ongoing-risk", input.facts.ongoing_risk.is_some()),
                    ("crime", input.facts.crime.is_some()),
                ] {
                    if set {
                        return refuse(format!(
                            "--{name} is a fact about a concern; this matter is a request"
                        ));
                    }
                }
                p.push(prov("event", "request", "matter", "as opened"));
                p.push(prov(
                    "court_order",
                    court_order,
                    "matter",
                    "the request's authority",
                ));
                Event::Request(Request {
                    court_order: *court_order,
                    ..Request::new(*from, *asks_for)
                })
            }
            MatterSubject::Concern { about } => {
                if input.facts.crime.is_some() && *about != ConcernAbout::Crime {
                    return refuse("--crime is only for a concern about a crime");
                }
                let mut c = Concern::new(*about);
                c.imminent = input.facts.imminent.unwrap_or(false);
                c.confirmed = input.facts.confirmed.unwrap_or(false);
                c.life_threatening = input.facts.life_threatening.unwrap_or(false);
                c.ongoing_risk = input.facts.ongoing_risk.unwrap_or(false);
                c.crime = input.facts.crime;
                for (name, v) in [
                    ("imminent", c.imminent),
                    ("confirmed", c.confirmed),
                    ("life_threatening", c.life_threatening),
                    ("ongoing_risk", c.ongoing_risk),
                ] {
                    p.push(prov(
                        name,
                        v,
                        "practitioner",
                        "only the practitioner can know this",
                    ));
                }
                if let Some(cr) = c.crime {
                    p.push(prov("crime", cr, "practitioner", "the kind of crime"));
                }
                Event::Concern(c)
            }
            MatterSubject::Use { for_ } => {
                if input.facts.imminent.is_some()
                    || input.facts.confirmed.is_some()
                    || input.facts.crime.is_some()
                    || input.facts.life_threatening.is_some()
                    || input.facts.ongoing_risk.is_some()
                {
                    return refuse(
                        "concern facts (--imminent, --crime, ...) do not apply to a use",
                    );
                }
                p.push(prov("event", "use", "matter", "as opened"));
                Event::Use(*for_)
            }
        };
        let purpose = purpose_for(&event);
        let case = match &st.stored.case_id {
            Some(c) => Some(store.get_case(actor, c).await?),
            None => None,
        };
        let mut parties = Vec::new();
        let mut consents = Vec::new();
        match &case {
            Some(case) if matches!(case.kind, CaseKind::Couple | CaseKind::Group) => {
                circ.arrangement = if case.kind == CaseKind::Couple {
                    Arrangement::Couple
                } else {
                    Arrangement::Group
                };
                p.push(prov(
                    "arrangement",
                    circ.arrangement,
                    "record",
                    format!("case {}", case.id),
                ));
                for (i, party) in case.parties.iter().enumerate() {
                    let label = party_label(i);
                    let all = store.list_consents(actor, party).await?;
                    let in_force = consents_in_force(&all, Some(&case.id), on);
                    let flags = if party == &client.id {
                        client.flags
                    } else {
                        store.get_client(actor, party).await?.flags
                    };
                    circ.protected |= flags.protected;
                    parties.push(PartyLabel {
                        label: label.clone(),
                        client_id: party.clone(),
                        consenting: consenting(&in_force, purpose),
                        protected: flags.protected,
                    });
                    p.push(prov(
                        &format!("parties.{label}.consents"),
                        &in_force,
                        "record",
                        format!("latest per purpose on {on}, withdrawals honoured"),
                    ));
                    circ.parties.push(Party {
                        id: label,
                        consents: in_force,
                    });
                }
                if parties.iter().any(|x| x.protected) {
                    p.push(prov(
                        "protected",
                        true,
                        "record",
                        "a party of the case is protected",
                    ));
                }
            }
            _ => {
                circ.arrangement = Arrangement::Individual;
                p.push(prov(
                    "arrangement",
                    Arrangement::Individual,
                    "record",
                    match &case {
                        Some(c) => format!("case {} (individual)", c.id),
                        None => "no case: individual work".to_owned(),
                    },
                ));
                let all = store.list_consents(actor, &client.id).await?;
                consents = consents_in_force(&all, case.as_ref().map(|c| &c.id), on);
                p.push(prov(
                    "consents",
                    &consents,
                    "record",
                    format!("latest per purpose on {on}, withdrawals honoured"),
                ));
            }
        }
        // Which member of a couple or group is asking is not yet recorded
        // on a matter; the engine then reads the request as from outside.
        let situation = Situation {
            client: circ,
            consents,
            event,
            asking_party: None,
        };
        situation
            .validate()
            .map_err(|e| ServiceError::Refused(format!("invalid situation: {e}")))?;
        Ok((situation, p, parties))
    }

    /// Puts the situation built from the record to the matter's policy and
    /// stores the recommendation. May be repeated (facts change) until the
    /// decision record is signed.
    pub async fn decide(
        &self,
        actor: &str,
        id: &MatterId,
        input: &DecideInput,
    ) -> Result<Recommendation> {
        let st = self.state(actor, id).await?;
        st.open()?;
        if st.record.is_some() {
            return refuse(
                "the decision record is signed: the recommendation it answers cannot be replaced",
            );
        }
        let policy = load_policy(&st.body.policy)?;
        // Today in the service's time zone, as every date a person sees.
        let on = match input.on {
            Some(d) => d,
            None => self.local_today()?,
        };
        let (situation, provenance, parties) = self.situation(actor, &st, input, on).await?;
        let decision = policy.policy.decide(&situation)?;
        let rec = Recommendation {
            policy: policy.name,
            policy_source: st.body.policy.clone(),
            policy_sha256: policy.sha256,
            decided_on: on.to_string(),
            situation,
            provenance,
            parties,
            capacity_assessment: input.capacity.clone(),
            decision,
        };
        self.store()
            .append_matter_step(
                actor,
                id,
                st.steps(),
                &NewStep {
                    kind: StepKind::Decided,
                    body: ser(&rec)?,
                    disclosure: None,
                },
            )
            .await?;
        Ok(rec)
    }

    /// Signs the practitioner's decision record. Refused without reasons,
    /// with an outcome that differs from the recommendation and no reason,
    /// or when a record is already signed (corrections are amendments).
    pub async fn record(
        &self,
        actor: &str,
        id: &MatterId,
        r: &NewDecisionRecord,
    ) -> Result<String> {
        let st = self.state(actor, id).await?;
        st.open()?;
        if st.record.is_some() {
            return refuse(
                "the decision record is already signed and cannot be changed in place: append a \
                 correction with `matter amend`",
            );
        }
        let Some((rec_id, rec)) = &st.recommendation else {
            return refuse("no recommendation yet: run `matter decide` first");
        };
        non_empty("--why (the reasons for the decision)", &r.why)?;
        if r.factors.is_empty() || r.factors.iter().any(|f| f.trim().is_empty()) {
            return refuse(
                "the decision record needs the factors considered (--factor, one or more)",
            );
        }
        if r.outcome != rec.decision.outcome
            && r.differs_reason
                .as_deref()
                .is_none_or(|x| x.trim().is_empty())
        {
            return refuse(format!(
                "the outcome {} differs from the recommendation ({}): give the reason with --differs-reason",
                r.outcome, rec.decision.outcome
            ));
        }
        for c in &r.consulted {
            non_empty("the consulted person's role", &c.role)?;
            match (&c.name, c.anonymously) {
                (None, false) => {
                    return refuse(
                        "each person consulted needs a name, or to be recorded as consulted anonymously",
                    );
                }
                (Some(n), _) => non_empty("the consulted person's name", n)?,
                _ => {}
            }
        }
        let t = &r.client_told;
        if t.told {
            if t.how.as_deref().is_none_or(|h| h.trim().is_empty()) {
                return refuse("say how the client was told (--told-how)");
            }
        } else if t.why_not.as_deref().is_none_or(|w| w.trim().is_empty()) {
            return refuse(
                "say why the client was not told (--not-told-because, e.g. tipping off or risk)",
            );
        }
        let record = DecisionRecord {
            recommendation: rec_id.clone(),
            recommended: rec.decision.outcome,
            outcome: r.outcome,
            differs_reason: r
                .differs_reason
                .clone()
                .filter(|_| r.outcome != rec.decision.outcome),
            consulted: r.consulted.clone(),
            factors: r.factors.clone(),
            why: r.why.clone(),
            client_told: r.client_told.clone(),
            author: actor.to_owned(),
        };
        let step = self
            .store()
            .append_matter_step(
                actor,
                id,
                st.steps(),
                &NewStep {
                    kind: StepKind::Recorded,
                    body: ser(&record)?,
                    disclosure: None,
                },
            )
            .await?;
        Ok(step.id)
    }

    /// Appends a correction to the signed decision record.
    pub async fn amend(
        &self,
        actor: &str,
        id: &MatterId,
        field: &str,
        correction: &str,
        reason: &str,
    ) -> Result<String> {
        const FIELDS: &[&str] = &[
            "outcome",
            "differs-reason",
            "consulted",
            "factors",
            "why",
            "client-told",
        ];
        let st = self.state(actor, id).await?;
        st.open()?;
        let Some((record_id, _, _)) = &st.record else {
            return refuse("there is no signed decision record to amend: use `matter record`");
        };
        if !FIELDS.contains(&field) {
            return refuse(format!(
                "unknown field to amend (expected one of: {})",
                FIELDS.join(" ")
            ));
        }
        non_empty("--correction", correction)?;
        non_empty("--reason", reason)?;
        let body = Amendment {
            amends: record_id.clone(),
            field: field.to_owned(),
            correction: correction.to_owned(),
            reason: reason.to_owned(),
        };
        Ok(self
            .store()
            .append_matter_step(
                actor,
                id,
                st.steps(),
                &NewStep {
                    kind: StepKind::Amended,
                    body: ser(&body)?,
                    disclosure: None,
                },
            )
            .await?
            .id)
    }

    /// Attests that an obligation on the checklist was met.
    pub async fn attest(
        &self,
        actor: &str,
        id: &MatterId,
        obligation: Obligation,
        note: &str,
    ) -> Result<String> {
        let st = self.state(actor, id).await?;
        st.open()?;
        let Some((_, rec)) = &st.recommendation else {
            return refuse("no recommendation yet: the checklist comes from `matter decide`");
        };
        if !rec.decision.has_obligation(obligation) {
            return refuse(format!("{obligation} is not an obligation on this matter"));
        }
        non_empty("--note (how the obligation was met)", note)?;
        let body = Attestation {
            obligation,
            note: note.to_owned(),
        };
        Ok(self
            .store()
            .append_matter_step(
                actor,
                id,
                st.steps(),
                &NewStep {
                    kind: StepKind::Attested,
                    body: ser(&body)?,
                    disclosure: None,
                },
            )
            .await?
            .id)
    }

    /// Closes the matter. Needs a signed decision record; every obligation
    /// must be met by the system, attested (now or before), or have a
    /// recorded reason why it was not met.
    pub async fn close_matter(
        &self,
        actor: &str,
        id: &MatterId,
        attest: &[(Obligation, String)],
        unmet: &[(Obligation, String)],
    ) -> Result<Vec<ChecklistItem>> {
        let mut st = self.state(actor, id).await?;
        st.open()?;
        if st.record.is_none() {
            return refuse("the matter has no signed decision record: record the decision first");
        }
        let on_matter = st
            .recommendation
            .as_ref()
            .map(|(_, r)| r.decision.obligations.clone())
            .unwrap_or_default();
        for (o, _) in attest.iter().chain(unmet) {
            if !on_matter.contains(o) {
                return refuse(format!("{o} is not an obligation on this matter"));
            }
        }
        for (o, note) in attest {
            non_empty("an attestation's note", note)?;
            st.attestations.push(Attestation {
                obligation: *o,
                note: note.clone(),
            });
        }
        let mut checklist = checklist(&st);
        let mut open_items = Vec::new();
        for item in &mut checklist {
            if item.status != "unmet" {
                continue;
            }
            match unmet.iter().find(|(o, _)| *o == item.obligation) {
                Some((_, reason)) if !reason.trim().is_empty() => {
                    item.status = "reasoned".into();
                    item.detail = format!("not met; reason recorded at closing: {reason}");
                }
                _ => open_items.push(item.obligation.as_str()),
            }
        }
        if !open_items.is_empty() {
            return refuse(format!(
                "the matter cannot be closed with unmet obligations: {} (meet or attest them, or \
                 record why not with --unmet OBLIGATION=REASON)",
                open_items.join(", ")
            ));
        }
        let body = Closing {
            attested: attest
                .iter()
                .map(|(o, n)| Attestation {
                    obligation: *o,
                    note: n.clone(),
                })
                .collect(),
            unmet: unmet
                .iter()
                .map(|(o, r)| UnmetReason {
                    obligation: *o,
                    reason: r.clone(),
                })
                .collect(),
            checklist: checklist.clone(),
        };
        self.store()
            .append_matter_step(
                actor,
                id,
                st.steps(),
                &NewStep {
                    kind: StepKind::Closed,
                    body: ser(&body)?,
                    disclosure: None,
                },
            )
            .await?;
        Ok(checklist)
    }

    /// A matter as it stands, with its checklist.
    pub async fn show(&self, actor: &str, id: &MatterId) -> Result<MatterView> {
        let st = self.state(actor, id).await?;
        Ok(view(&st))
    }

    /// A client's matters.
    pub async fn list(&self, actor: &str, client: &ClientId) -> Result<Vec<MatterView>> {
        let all = self.store().list_matters(actor, client).await?;
        let mut out = Vec::with_capacity(all.len());
        for m in all {
            out.push(view(&MatterState::from_stored(m)?));
        }
        Ok(out)
    }
}

fn party_label(i: usize) -> String {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    match letters.get(i) {
        Some(l) => char::from(*l).to_string(),
        None => format!("P{}", i + 1),
    }
}

fn step_view(s: &confidant_store::MatterStep) -> StepView {
    StepView {
        id: s.id.clone(),
        kind: s.kind.as_str().to_owned(),
        at: s.at,
        actor: s.actor.clone(),
        signature: s.signature.clone(),
        body: s.body.clone(),
    }
}

fn view(st: &MatterState) -> MatterView {
    let steps: Vec<StepView> = st.stored.steps.iter().map(step_view).collect();
    let find = |id: &str| steps.iter().find(|s| s.id == id).cloned();
    MatterView {
        id: st.stored.id.clone(),
        client_id: st.stored.client_id.clone(),
        case_id: st.stored.case_id.clone(),
        status: if st.stored.closed_at.is_some() {
            "closed"
        } else if st.record.is_some() {
            "recorded"
        } else if st.recommendation.is_some() {
            "decided"
        } else {
            "open"
        },
        opened_at: st.stored.opened_at,
        opened_by: st.stored.opened_by.clone(),
        closed_at: st.stored.closed_at,
        policy: st.body.policy.clone(),
        subject: st
            .stored
            .body
            .get("subject")
            .cloned()
            .unwrap_or(Value::Null),
        arrived_at: st.body.arrived_at,
        summary: st.body.summary.clone(),
        recommendation: st
            .recommendation
            .as_ref()
            .and_then(|(id, _)| find(id))
            .map(|s| s.body),
        decision_record: st.record.as_ref().and_then(|(id, _, _)| find(id)),
        amendments: steps
            .iter()
            .filter(|s| s.kind == StepKind::Amended.as_str())
            .cloned()
            .collect(),
        packages: st
            .packages
            .iter()
            .map(|(id, b)| {
                serde_json::json!({
                    "package_id": id,
                    "mode": b.get("mode"),
                    "recipient": b.get("recipient"),
                    "delivered": st.delivered.contains(id),
                })
            })
            .collect(),
        checklist: checklist(st),
        steps,
    }
}

/// Obligations the package builder enforces: met by the system once every
/// package delivered was built under them (and trivially when nothing was
/// disclosed).
const ENFORCED_BY_PACKAGES: &[Obligation] = &[
    Obligation::MinimumNecessary,
    Obligation::NeedToKnow,
    Obligation::ConsentingPartyOnly,
    Obligation::RedactThirdParties,
    Obligation::ProtectWhereabouts,
    Obligation::Deidentify,
    Obligation::VerbalOnly,
];

/// The checklist: each obligation of the recommendation and whether it is
/// met, by the system or by attestation.
pub(crate) fn checklist(st: &MatterState) -> Vec<ChecklistItem> {
    let Some((_, rec)) = &st.recommendation else {
        return Vec::new();
    };
    let record = st.record.as_ref().map(|(_, _, r)| r);
    let discloses = record.is_some_and(|r| r.outcome.is_disclosure());
    let delivered = !st.delivered.is_empty();
    let mut out = Vec::new();
    for o in &rec.decision.obligations {
        let attested = st.attestations.iter().find(|a| a.obligation == *o);
        let item = |status: &str, detail: String| ChecklistItem {
            obligation: *o,
            status: status.to_owned(),
            detail,
        };
        let it = if let Some(a) = attested {
            item("attested", a.note.clone())
        } else if *o == Obligation::DocumentDecision {
            match record {
                Some(_) => item("met-by-system", "the decision record is signed".into()),
                None => item("unmet", "no signed decision record".into()),
            }
        } else if *o == Obligation::InformClient {
            match record.map(|r| &r.client_told) {
                Some(t) if t.told => item(
                    "met-by-system",
                    format!("the client was told: {}", t.how.clone().unwrap_or_default()),
                ),
                Some(t) => item(
                    "reasoned",
                    format!(
                        "the client was not told: {}",
                        t.why_not.clone().unwrap_or_default()
                    ),
                ),
                None => item("unmet", "the decision record is not signed".into()),
            }
        } else if *o == Obligation::ConsultAdvisors
            && record.is_some_and(|r| !r.consulted.is_empty())
        {
            item(
                "met-by-system",
                "the decision record names who was consulted".into(),
            )
        } else if ENFORCED_BY_PACKAGES.contains(o) {
            if record.is_some() && !discloses {
                item(
                    "not-applicable",
                    "the decision record discloses nothing".into(),
                )
            } else if delivered {
                item(
                    "met-by-system",
                    "enforced when the delivered package was built".into(),
                )
            } else {
                item("unmet", "nothing has been delivered yet".into())
            }
        } else {
            item(
                "unmet",
                "attest it with `matter attest` or at closing".into(),
            )
        };
        out.push(it);
    }
    out
}

/// Recipients a package may go to under a recommendation: those the
/// decision names, with `requester` standing for whoever made the request.
pub(crate) fn allowed_recipients(rec: &Recommendation, discloses: bool) -> Vec<Recipient> {
    let mut out = Vec::new();
    for r in &rec.decision.recipients {
        match (r, rec.situation.event) {
            (Recipient::Requester, Event::Request(q)) => out.push(Recipient::for_requester(q.from)),
            (Recipient::Requester, _) => {}
            (r, _) => out.push(*r),
        }
    }
    if discloses && rec.decision.recipients.is_empty() {
        // A practitioner's decision to disclose where the policy named no
        // recipient (it recommended otherwise) goes only to whoever the
        // matter is about: the requester, or the audience of the use.
        match rec.situation.event {
            Event::Request(q) => out.push(Recipient::for_requester(q.from)),
            Event::Use(UseFor::Supervision | UseFor::Consultation) => {
                out.push(Recipient::Supervisor)
            }
            Event::Use(UseFor::Training) => out.push(Recipient::TeachingGroup),
            Event::Use(UseFor::Research) => out.push(Recipient::Researcher),
            Event::Use(_) | Event::Concern(_) => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use confidant_core::ids::ConsentId;
    use confidant_core::record::Consent as RecConsent;
    use confidant_core::vocab::ConsentForm;

    fn c(
        purpose: ConsentPurpose,
        status: ConsentStatus,
        given: i64,
        withdrawn: Option<i64>,
    ) -> RecConsent {
        RecConsent {
            id: ConsentId::from_bytes([given as u8; 16]),
            client_id: ClientId::from_bytes([1; 16]),
            case_id: None,
            purpose,
            form: ConsentForm::Written,
            status,
            recorded_at: Timestamp(given),
            given_at: Some(Timestamp(given)),
            withdrawn_at: withdrawn.map(Timestamp),
            evidence: None,
        }
    }

    #[test]
    fn latest_consent_per_purpose_and_withdrawal_on_the_day() {
        let day = CivilDate::new(2026, 6, 1).unwrap();
        let t = Timestamp::from_date(day).unix_micros();
        let all = vec![
            c(ConsentPurpose::Research, ConsentStatus::Given, t - 10, None),
            c(
                ConsentPurpose::Research,
                ConsentStatus::Refused,
                t - 5,
                None,
            ),
            c(
                ConsentPurpose::Training,
                ConsentStatus::Given,
                t - 10,
                Some(t + 5),
            ),
            c(
                ConsentPurpose::Publication,
                ConsentStatus::Given,
                t + 86_400_000_000 * 2,
                None,
            ),
        ];
        let got = consents_in_force(&all, None, day);
        assert_eq!(
            got.len(),
            2,
            "a consent given after the decision day is not in force"
        );
        assert_eq!(got[0].purpose, ConsentPurpose::Research);
        assert_eq!(got[0].status, ConsentStatus::Refused, "the latest wins");
        assert_eq!(
            got[1].status,
            ConsentStatus::Withdrawn,
            "withdrawn that day"
        );
        // The day before the withdrawal it was in force.
        let before = CivilDate::from_days_since_epoch(day.days_since_epoch() - 1);
        let got = consents_in_force(&all, None, before);
        assert!(
            got.iter()
                .any(|x| x.purpose == ConsentPurpose::Training && x.status == ConsentStatus::Given)
        );
    }
}
