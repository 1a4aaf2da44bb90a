//! The situation put to a confidentiality policy: the client's
//! circumstances, their consents, and exactly one event (a request from
//! someone else, a concern the practitioner has, or a use the practitioner
//! intends). Spellings are those of `shared/scenarios/FORMAT.md` v1; values
//! marked "extension" are Confidant's additions, which FORMAT allows.
//!
//! Deserialisation is strict: unknown fields and unknown values are errors,
//! so a typo can never silently change a decision. Fields that belong to a
//! different kind of event are errors too.

use crate::record::ClientFlags;
use crate::vocab::{ConsentForm, ConsentPurpose, ConsentStatus, UnknownValue, vocabulary};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

vocabulary!(
    /// Whether the client can make this decision (Mental Capacity Act 2005).
    Capacity, "capacity" {
        Presumed => "presumed",
        Lacks => "lacks",
        // Extension: assessed as able to decide, e.g. a Gillick-competent
        // child under 16, for whom the statutory presumption does not apply.
        Assessed => "assessed",
    }
);

vocabulary!(
    /// Whether work with the client is ongoing.
    Relationship, "relationship" {
        Active => "active",
        Ended => "ended",
    }
);

vocabulary!(
    /// The kind of work the record comes from.
    Arrangement, "arrangement" {
        Individual => "individual",
        Couple => "couple",
        Group => "group",
        ProgrammeMember => "programme-member",
    }
);

vocabulary!(
    /// Who a request comes from (`event.from`).
    Requester, "requester" {
        Police => "police",
        Court => "court",
        StatutoryBody => "statutory-body",
        Solicitor => "solicitor",
        Gp => "gp",
        Client => "client",
        Partner => "partner",
        Family => "family",
        Employer => "employer",
        ClinicalLead => "clinical-lead",
        ProgrammeMember => "programme-member",
        Researcher => "researcher",
        Insurer => "insurer",
        Media => "media",
    }
);

vocabulary!(
    /// What a request asks for (`event.asks_for`).
    AsksFor, "asks_for" {
        Notes => "notes",
        Report => "report",
        AllPersonalData => "all-personal-data",
        Progress => "progress",
        PersonalMaterial => "personal-material",
    }
);

vocabulary!(
    /// What a concern is about (`event.about`).
    ConcernAbout, "about" {
        Suicide => "suicide",
        SelfHarm => "self-harm",
        HarmToOthers => "harm-to-others",
        ChildProtection => "child-protection",
        AdultSafeguarding => "adult-safeguarding",
        Terrorism => "terrorism",
        Crime => "crime",
        DrugTrafficking => "drug-trafficking",
        PsychologicalDistress => "psychological-distress",
        HistoricAbuse => "historic-abuse",
        DangerToPractitioner => "danger-to-practitioner",
        // Extensions.
        // A parent or carer using substances while caring for children,
        // with no indication yet that a child is harmed (WWDD's trigger for
        // a conversation and assessment first).
        CarerSubstanceUse => "carer-substance-use",
        // A concern about a trainee's fitness to practise (IAPT: personal
        // matters that may affect performance or patient care).
        FitnessToPractise => "fitness-to-practise",
        // Terrorist property or financing learned in the course of work
        // (Terrorism Act 2000 ss.15-19).
        TerroristProperty => "terrorist-property",
    }
);

vocabulary!(
    /// The crime a concern is about (`event.crime`, with `about: crime`).
    Crime, "crime" {
        Murder => "murder",
        Manslaughter => "manslaughter",
        Rape => "rape",
        Treason => "treason",
        Kidnapping => "kidnapping",
        ChildAbuse => "child-abuse",
        StateSecurity => "state-security",
        PublicOrder => "public-order",
        SubstantialFinancial => "substantial-financial",
        Theft => "theft",
        Fraud => "fraud",
        PropertyDamage => "property-damage",
    }
);

vocabulary!(
    /// A use the practitioner intends (`event.for`).
    UseFor, "for" {
        Supervision => "supervision",
        Consultation => "consultation",
        Training => "training",
        Research => "research",
        Publication => "publication",
        ComplaintDefence => "complaint-defence",
        GroupSharing => "group-sharing",
        // Extension: proactively sharing marks and progress with the
        // programme member's clinical lead (IAPT, application-form consent).
        ProgressSharing => "progress-sharing",
    }
);

vocabulary!(
    /// Extension: a statutory power compelling disclosure other than a
    /// court order in the proceedings (`event.compulsion`).
    Compulsion, "compulsion" {
        // Coroners and Justice Act 2009 Sch. 5 para 1: a coroner's notice.
        CoronerNotice => "coroner-notice",
        // A regulator's statutory notice (e.g. an information notice).
        RegulatorNotice => "regulator-notice",
        // PACE 1984 s.9 and Sch. 1: a judge's production order for
        // excluded or special procedure material.
        ProductionOrder => "production-order",
    }
);

vocabulary!(
    /// Extension: the authority of someone asking on the client's behalf
    /// (`event.on_behalf_of`).
    Authority, "on_behalf_of" {
        // A parent or other person with parental responsibility, for a child.
        ParentalResponsibility => "parental-responsibility",
        // An attorney under a lasting power of attorney (MCA 2005 s.9).
        Attorney => "attorney",
        // A deputy appointed by the Court of Protection (MCA 2005 s.16).
        Deputy => "deputy",
    }
);

vocabulary!(
    /// Extension: the client's part in the crime or abuse a concern is
    /// about (`event.client_role`).
    ClientRole, "client_role" {
        Victim => "victim",
        Perpetrator => "perpetrator",
        Witness => "witness",
    }
);

/// Age at which the Mental Capacity Act 2005 presumes capacity.
pub const CAPACITY_PRESUMED_FROM_AGE: u32 = 16;
/// Age of majority.
pub const ADULT_FROM_AGE: u32 = 18;
/// Ages above this are taken to be typing mistakes.
pub const MAX_AGE: u32 = 130;

/// One consent: what it allows, how it was given and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub purpose: ConsentPurpose,
    pub form: ConsentForm,
    pub status: ConsentStatus,
}

/// One person whose material is in a couple or group record.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// A label for the party within the record ("A", "B"); never a name.
    pub id: String,
    #[serde(default)]
    pub consents: Vec<Consent>,
}

impl fmt::Debug for Party {
    // Ids are labels, but an operator could type a name there: print only
    // how many consents there are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Party")
            .field("id_len", &self.id.len())
            .field("consents", &self.consents)
            .finish()
    }
}

fn default_age() -> u32 {
    30
}

/// The client's circumstances (`situation.client`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCircumstances {
    #[serde(default = "default_age")]
    pub age: u32,
    #[serde(default = "default_capacity")]
    pub capacity: Capacity,
    #[serde(default = "default_relationship")]
    pub relationship: Relationship,
    #[serde(default = "default_arrangement")]
    pub arrangement: Arrangement,
    /// Their whereabouts must never be revealed (refuge, witness
    /// protection).
    #[serde(default)]
    pub protected: bool,
    /// The client cares for children (FORMAT v1 spells this
    /// `parental_responsibility`, which is still accepted with this
    /// meaning). Not the store's flag of the same old name, which says
    /// someone else holds parental responsibility for a child client: see
    /// [`Self::parental_responsibility_held_elsewhere`].
    #[serde(default, alias = "parental_responsibility")]
    pub cares_for_children: bool,
    /// Extension: the client is a child and someone else (a parent,
    /// guardian or local authority) holds parental responsibility for them.
    #[serde(default, skip_serializing_if = "is_false")]
    pub parental_responsibility_held_elsewhere: bool,
    /// Extension: the client's identity must be protected beyond their
    /// whereabouts (Handcrafted: refuges, witness protection, people on the
    /// sex offenders register).
    #[serde(default, skip_serializing_if = "is_false")]
    pub identity_protected: bool,
    /// For couple and group work: whose material is in the record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn default_capacity() -> Capacity {
    Capacity::Presumed
}
fn default_relationship() -> Relationship {
    Relationship::Active
}
fn default_arrangement() -> Arrangement {
    Arrangement::Individual
}

impl Default for ClientCircumstances {
    fn default() -> Self {
        Self {
            age: default_age(),
            capacity: Capacity::Presumed,
            relationship: Relationship::Active,
            arrangement: Arrangement::Individual,
            protected: false,
            cares_for_children: false,
            parental_responsibility_held_elsewhere: false,
            identity_protected: false,
            parties: Vec::new(),
        }
    }
}

impl ClientCircumstances {
    /// Whether the client can give or withhold valid consent for this
    /// decision: adults and over-16s are presumed to (Mental Capacity Act
    /// 2005, s.1(2)), rebuttably; a child under 16 only when assessed as
    /// competent.
    pub fn can_consent(&self) -> bool {
        match self.capacity {
            Capacity::Lacks => false,
            Capacity::Assessed => true,
            Capacity::Presumed => self.age >= CAPACITY_PRESUMED_FROM_AGE,
        }
    }

    /// Circumstances read from a stored client's flags. Each flag maps to
    /// the fact of the same meaning: the store's parental-responsibility
    /// flag (someone else holds it for a child client) is
    /// `parental_responsibility_held_elsewhere`, never `cares_for_children`;
    /// a capacity *concern* is not an assessment that capacity is lacking,
    /// so capacity stays presumed until assessed.
    pub fn apply_record_flags(&mut self, flags: &ClientFlags) {
        self.protected |= flags.protected;
        self.parental_responsibility_held_elsewhere |= flags.parental_responsibility_held_elsewhere;
        if flags.work_ended {
            self.relationship = Relationship::Ended;
        }
    }

    /// Whether the record holds material of several people.
    pub fn is_joint(&self) -> bool {
        matches!(self.arrangement, Arrangement::Couple | Arrangement::Group)
    }
}

/// A request from someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Request {
    pub from: Requester,
    pub court_order: bool,
    pub asks_for: AsksFor,
    /// Extension: a statutory compulsion other than a court order.
    pub compulsion: Option<Compulsion>,
    /// Extension: the requester asks on the client's behalf, with this
    /// authority.
    pub on_behalf_of: Option<Authority>,
    /// Extension: telling the client would put someone at risk or
    /// prejudice an investigation.
    pub inform_client_unsafe: bool,
}

impl Request {
    /// A request from `from` for `asks_for`, without an order.
    pub fn new(from: Requester, asks_for: AsksFor) -> Self {
        Self {
            from,
            court_order: false,
            asks_for,
            compulsion: None,
            on_behalf_of: None,
            inform_client_unsafe: false,
        }
    }
}

/// A concern the practitioner has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concern {
    pub about: ConcernAbout,
    pub imminent: bool,
    pub confirmed: bool,
    pub crime: Option<Crime>,
    pub life_threatening: bool,
    pub ongoing_risk: bool,
    /// Extension: whether the client is the victim, perpetrator or a
    /// witness of what the concern is about.
    pub client_role: Option<ClientRole>,
    /// Extension: telling the client would put someone at risk or
    /// prejudice an investigation.
    pub inform_client_unsafe: bool,
}

impl Concern {
    /// A concern about `about` with every flag false.
    pub fn new(about: ConcernAbout) -> Self {
        Self {
            about,
            imminent: false,
            confirmed: false,
            crime: None,
            life_threatening: false,
            ongoing_risk: false,
            client_role: None,
            inform_client_unsafe: false,
        }
    }
}

/// Exactly one event per situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawEvent", into = "RawEvent")]
pub enum Event {
    Request(Request),
    Concern(Concern),
    Use(UseFor),
}

vocabulary!(
    /// The three kinds of event.
    EventKind, "kind" {
        Request => "request",
        Concern => "concern",
        Use => "use",
    }
);

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Request(_) => EventKind::Request,
            Event::Concern(_) => EventKind::Concern,
            Event::Use(_) => EventKind::Use,
        }
    }
}

/// The event as it is written: one flat object, checked and turned into
/// [`Event`]. Flat so that a wrong field is reported with its own name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    kind: Option<EventKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<Requester>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    court_order: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    asks_for: Option<AsksFor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    compulsion: Option<Compulsion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on_behalf_of: Option<Authority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    about: Option<ConcernAbout>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    imminent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    confirmed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crime: Option<Crime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    life_threatening: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ongoing_risk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_role: Option<ClientRole>,
    /// Requests and concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inform_client_unsafe: Option<bool>,
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    for_: Option<UseFor>,
}

/// An event that is well-formed JSON but not a valid event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("missing field `kind` (expected request, concern or use)")]
    MissingKind,
    #[error("missing field `{field}` for an event of kind {kind}")]
    Missing {
        field: &'static str,
        kind: EventKind,
    },
    #[error("field `{field}` does not belong to an event of kind {kind}")]
    Misplaced {
        field: &'static str,
        kind: EventKind,
    },
}

impl TryFrom<RawEvent> for Event {
    type Error = EventError;

    fn try_from(raw: RawEvent) -> Result<Self, Self::Error> {
        let kind = raw.kind.ok_or(EventError::MissingKind)?;
        let request_fields = [
            ("from", raw.from.is_some()),
            ("court_order", raw.court_order.is_some()),
            ("asks_for", raw.asks_for.is_some()),
            ("compulsion", raw.compulsion.is_some()),
            ("on_behalf_of", raw.on_behalf_of.is_some()),
        ];
        let concern_fields = [
            ("about", raw.about.is_some()),
            ("imminent", raw.imminent.is_some()),
            ("confirmed", raw.confirmed.is_some()),
            ("crime", raw.crime.is_some()),
            ("life_threatening", raw.life_threatening.is_some()),
            ("ongoing_risk", raw.ongoing_risk.is_some()),
            ("client_role", raw.client_role.is_some()),
        ];
        let use_fields = [
            ("for", raw.for_.is_some()),
            ("inform_client_unsafe", raw.inform_client_unsafe.is_some()),
        ];
        let misplaced = |groups: &[&[(&'static str, bool)]]| -> Result<(), EventError> {
            for group in groups {
                if let Some((field, _)) = group.iter().find(|(_, present)| *present) {
                    return Err(EventError::Misplaced { field, kind });
                }
            }
            Ok(())
        };
        let missing = |field| EventError::Missing { field, kind };
        match kind {
            EventKind::Request => {
                misplaced(&[&concern_fields, &use_fields[..1]])?;
                Ok(Event::Request(Request {
                    from: raw.from.ok_or_else(|| missing("from"))?,
                    court_order: raw.court_order.unwrap_or(false),
                    asks_for: raw.asks_for.ok_or_else(|| missing("asks_for"))?,
                    compulsion: raw.compulsion,
                    on_behalf_of: raw.on_behalf_of,
                    inform_client_unsafe: raw.inform_client_unsafe.unwrap_or(false),
                }))
            }
            EventKind::Concern => {
                misplaced(&[&request_fields, &use_fields[..1]])?;
                Ok(Event::Concern(Concern {
                    about: raw.about.ok_or_else(|| missing("about"))?,
                    imminent: raw.imminent.unwrap_or(false),
                    confirmed: raw.confirmed.unwrap_or(false),
                    crime: raw.crime,
                    life_threatening: raw.life_threatening.unwrap_or(false),
                    ongoing_risk: raw.ongoing_risk.unwrap_or(false),
                    client_role: raw.client_role,
                    inform_client_unsafe: raw.inform_client_unsafe.unwrap_or(false),
                }))
            }
            EventKind::Use => {
                // inform_client_unsafe belongs to requests and concerns.
                misplaced(&[&request_fields, &concern_fields, &use_fields[1..]])?;
                Ok(Event::Use(raw.for_.ok_or_else(|| missing("for"))?))
            }
        }
    }
}

impl From<Event> for RawEvent {
    fn from(event: Event) -> Self {
        match event {
            Event::Request(r) => RawEvent {
                kind: Some(EventKind::Request),
                from: Some(r.from),
                court_order: Some(r.court_order),
                asks_for: Some(r.asks_for),
                compulsion: r.compulsion,
                on_behalf_of: r.on_behalf_of,
                inform_client_unsafe: r.inform_client_unsafe.then_some(true),
                ..RawEvent::default()
            },
            Event::Concern(c) => RawEvent {
                kind: Some(EventKind::Concern),
                about: Some(c.about),
                imminent: Some(c.imminent),
                confirmed: Some(c.confirmed),
                crime: c.crime,
                life_threatening: Some(c.life_threatening),
                ongoing_risk: Some(c.ongoing_risk),
                client_role: c.client_role,
                inform_client_unsafe: c.inform_client_unsafe.then_some(true),
                ..RawEvent::default()
            },
            Event::Use(u) => RawEvent {
                kind: Some(EventKind::Use),
                for_: Some(u),
                ..RawEvent::default()
            },
        }
    }
}

/// A situation that parsed but is not coherent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SituationError {
    #[error("client.age {0} is not a plausible age (at most {MAX_AGE})")]
    Age(u32),
    #[error("client.parties is only allowed with arrangement couple or group")]
    PartiesWithoutJointWork,
    #[error("client.parties has two parties with the same id")]
    DuplicateParty,
    #[error("asking_party is only allowed for a request in couple or group work")]
    AskingPartyWithoutJointRequest,
    #[error("asking_party names no party in client.parties")]
    UnknownAskingParty,
}

/// The whole situation (`situation` in a scenario file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Situation {
    #[serde(default)]
    pub client: ClientCircumstances,
    /// The client's consents. For couple and group work these apply to
    /// nobody: each party's consents are in `client.parties`.
    #[serde(default)]
    pub consents: Vec<Consent>,
    pub event: Event,
    /// Extension: for a request in couple or group work, the id (in
    /// `client.parties`) of the party to the record who is asking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asking_party: Option<PartyLabel>,
}

/// A party's label within a record ("A"). Labels are not names, but an
/// operator could type one, so `Debug` prints only its length.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartyLabel(pub String);

impl fmt::Debug for PartyLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartyLabel(len {})", self.0.len())
    }
}

impl Situation {
    /// A situation with default circumstances, no consents and `event`.
    pub fn new(event: Event) -> Self {
        Self {
            client: ClientCircumstances::default(),
            consents: Vec::new(),
            event,
            asking_party: None,
        }
    }

    /// Checks what the types alone cannot.
    pub fn validate(&self) -> Result<(), SituationError> {
        if self.client.age > MAX_AGE {
            return Err(SituationError::Age(self.client.age));
        }
        if !self.client.parties.is_empty() && !self.client.is_joint() {
            return Err(SituationError::PartiesWithoutJointWork);
        }
        let parties = &self.client.parties;
        for (i, p) in parties.iter().enumerate() {
            if parties[..i].iter().any(|q| q.id == p.id) {
                return Err(SituationError::DuplicateParty);
            }
        }
        if let Some(asker) = &self.asking_party {
            if !self.client.is_joint() || !matches!(self.event, Event::Request(_)) {
                return Err(SituationError::AskingPartyWithoutJointRequest);
            }
            if !parties.iter().any(|p| p.id == asker.0) {
                return Err(SituationError::UnknownAskingParty);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Situation, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn defaults_follow_format_v1() {
        let s = parse(
            r#"{"client": {}, "consents": [], "event": {"kind": "use", "for": "supervision"}}"#,
        )
        .unwrap();
        assert_eq!(s.client.age, 30);
        assert_eq!(s.client.capacity, Capacity::Presumed);
        assert_eq!(s.client.relationship, Relationship::Active);
        assert_eq!(s.client.arrangement, Arrangement::Individual);
        assert!(!s.client.protected && !s.client.cares_for_children);
        assert_eq!(s.event, Event::Use(UseFor::Supervision));
    }

    #[test]
    fn request_court_order_defaults_to_false() {
        let s = parse(r#"{"event": {"kind": "request", "from": "police", "asks_for": "notes"}}"#)
            .unwrap();
        assert_eq!(
            s.event,
            Event::Request(Request::new(Requester::Police, AsksFor::Notes))
        );
    }

    #[test]
    fn concern_flags_parse() {
        let s = parse(
            r#"{"event": {"kind": "concern", "about": "crime", "crime": "theft", "imminent": true, "confirmed": true}}"#,
        )
        .unwrap();
        let Event::Concern(c) = s.event else {
            panic!("not a concern")
        };
        assert_eq!(c.crime, Some(Crime::Theft));
        assert!(c.imminent && c.confirmed && !c.life_threatening);
    }

    #[test]
    fn unknown_field_is_an_error() {
        let err = parse(r#"{"event": {"kind": "use", "for": "research", "fro": 1}}"#).unwrap_err();
        assert!(err.to_string().contains("fro"), "{err}");
        let err = parse(r#"{"client": {"agee": 3}, "event": {"kind": "use", "for": "research"}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("agee"), "{err}");
    }

    #[test]
    fn unknown_value_is_an_error() {
        let err =
            parse(r#"{"event": {"kind": "request", "from": "neighbour", "asks_for": "notes"}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("neighbour"), "{err}");
    }

    #[test]
    fn fields_of_another_kind_are_errors() {
        let err = parse(r#"{"event": {"kind": "concern", "about": "suicide", "from": "police"}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("`from`"), "{err}");
        let err = parse(r#"{"event": {"kind": "request", "from": "police"}}"#).unwrap_err();
        assert!(err.to_string().contains("asks_for"), "{err}");
        let err = parse(r#"{"event": {"about": "suicide"}}"#).unwrap_err();
        assert!(err.to_string().contains("kind"), "{err}");
    }

    #[test]
    fn capacity_presumption_depends_on_age() {
        let mut c = ClientCircumstances::default();
        assert!(c.can_consent());
        c.age = 16;
        assert!(c.can_consent());
        c.age = 15;
        assert!(!c.can_consent());
        c.capacity = Capacity::Assessed;
        assert!(c.can_consent());
        c.age = 40;
        c.capacity = Capacity::Lacks;
        assert!(!c.can_consent());
    }

    #[test]
    fn parties_need_joint_work() {
        let s = parse(r#"{"client": {"parties": [{"id": "A"}]}, "event": {"kind": "use", "for": "research"}}"#)
            .unwrap();
        assert_eq!(s.validate(), Err(SituationError::PartiesWithoutJointWork));
        let s = parse(
            r#"{"client": {"arrangement": "couple", "parties": [{"id": "A"}, {"id": "A"}]}, "event": {"kind": "use", "for": "research"}}"#,
        )
        .unwrap();
        assert_eq!(s.validate(), Err(SituationError::DuplicateParty));
    }

    #[test]
    fn events_round_trip() {
        for json in [
            r#"{"kind":"request","from":"court","court_order":true,"asks_for":"report"}"#,
            r#"{"kind":"concern","about":"self-harm","imminent":false,"confirmed":false,"life_threatening":true,"ongoing_risk":false}"#,
            r#"{"kind":"use","for":"group-sharing"}"#,
        ] {
            let e: Event = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&e).unwrap(), json);
        }
    }

    #[test]
    fn party_debug_prints_no_id() {
        let p = Party {
            id: "Jane Doe".into(),
            consents: vec![],
        };
        assert!(!format!("{p:?}").contains("Jane"));
    }

    #[test]
    fn format_v1_parental_responsibility_is_cares_for_children() {
        let s = parse(r#"{"client": {"parental_responsibility": true}, "event": {"kind": "use", "for": "supervision"}}"#)
            .unwrap();
        assert!(s.client.cares_for_children);
        assert!(!s.client.parental_responsibility_held_elsewhere);
        let s = parse(r#"{"client": {"cares_for_children": true}, "event": {"kind": "use", "for": "supervision"}}"#)
            .unwrap();
        assert!(s.client.cares_for_children);
        // Both spellings at once is ambiguous: an error.
        assert!(parse(r#"{"client": {"cares_for_children": true, "parental_responsibility": true}, "event": {"kind": "use", "for": "supervision"}}"#).is_err());
    }

    #[test]
    fn record_flags_map_to_the_fact_of_the_same_meaning() {
        let mut c = ClientCircumstances::default();
        c.apply_record_flags(&ClientFlags {
            protected: true,
            capacity_concern: true,
            parental_responsibility_held_elsewhere: true,
            work_ended: true,
        });
        assert!(c.protected && c.parental_responsibility_held_elsewhere);
        assert!(
            !c.cares_for_children,
            "the store's flag is not the FORMAT field"
        );
        assert_eq!(
            c.capacity,
            Capacity::Presumed,
            "a concern is not an assessment"
        );
        assert_eq!(c.relationship, Relationship::Ended);
    }

    #[test]
    fn extension_fields_parse_and_belong_to_their_kind() {
        let s = parse(r#"{"event": {"kind": "request", "from": "police", "asks_for": "notes", "compulsion": "production-order", "on_behalf_of": "attorney", "inform_client_unsafe": true}}"#)
            .unwrap();
        let Event::Request(r) = s.event else {
            panic!("not a request")
        };
        assert_eq!(r.compulsion, Some(Compulsion::ProductionOrder));
        assert_eq!(r.on_behalf_of, Some(Authority::Attorney));
        assert!(r.inform_client_unsafe);
        let s = parse(r#"{"event": {"kind": "concern", "about": "crime", "crime": "rape", "client_role": "victim"}}"#)
            .unwrap();
        let Event::Concern(c) = s.event else {
            panic!("not a concern")
        };
        assert_eq!(c.client_role, Some(ClientRole::Victim));
        let err =
            parse(r#"{"event": {"kind": "use", "for": "research", "inform_client_unsafe": true}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("inform_client_unsafe"), "{err}");
        let err = parse(
            r#"{"event": {"kind": "concern", "about": "suicide", "compulsion": "coroner-notice"}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("compulsion"), "{err}");
        let err = parse(r#"{"event": {"kind": "request", "from": "police", "asks_for": "notes", "compulsion": "subpoena"}}"#).unwrap_err();
        assert!(err.to_string().contains("subpoena"), "{err}");
    }

    #[test]
    fn asking_party_must_name_a_party_of_a_joint_request() {
        let ok = r#"{"client": {"arrangement": "couple", "parties": [{"id": "A"}, {"id": "B"}]}, "asking_party": "A", "event": {"kind": "request", "from": "partner", "asks_for": "notes"}}"#;
        assert_eq!(parse(ok).unwrap().validate(), Ok(()));
        let s = parse(&ok.replace(r#""asking_party": "A""#, r#""asking_party": "C""#)).unwrap();
        assert_eq!(s.validate(), Err(SituationError::UnknownAskingParty));
        let s = parse(r#"{"asking_party": "A", "event": {"kind": "request", "from": "partner", "asks_for": "notes"}}"#).unwrap();
        assert_eq!(
            s.validate(),
            Err(SituationError::AskingPartyWithoutJointRequest)
        );
        let s = parse(ok).unwrap();
        assert!(!format!("{s:?}").contains("\"A\""), "{s:?}");
    }
}
