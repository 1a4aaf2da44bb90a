//! The policy file format (TOML), as a service manager writes it. Parsing
//! is strict: unknown fields and unknown vocabulary are errors, so a typo
//! never silently changes what a policy decides.
//!
//! ```toml
//! [policy]
//! name = "example"
//! title = "Example confidentiality policy"
//! owner = "Example service"
//! source_document = "example.txt"
//! extends = "uk-law"
//! last_review = "2025-06-01"
//! review_interval_months = 12
//!
//! [[rule]]
//! id = "police-without-order"
//! priority = 200
//! source = "example.txt: unless you receive a court order you can refuse"
//! outcome = "seek-consent"
//! obligations = ["document-decision"]
//! when = { from = "police", court_order = false, consent = { release-to-requester = "not-asked" } }
//! ```

use confidant_core::decision::{Obligation, Outcome, Recipient};
use confidant_core::situation::{
    Arrangement, AsksFor, Authority, Capacity, ClientRole, Compulsion, ConcernAbout, EventKind,
    Relationship, Requester, UseFor,
};
use confidant_core::vocab::{ConsentPurpose, UnknownValue};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

/// A whole policy file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    pub policy: Meta,
    /// Ids of baseline rules this organisation switches off. Only defaults
    /// can be switched off, never a legal duty.
    #[serde(default)]
    pub disable: Vec<String>,
    /// What the client is told at the outset (used by `policy explain`).
    #[serde(default)]
    pub statement: Statement,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleDef>,
    #[serde(default)]
    pub retention: Vec<RetentionDef>,
    #[serde(default, rename = "contact")]
    pub contacts: Vec<ContactDef>,
    #[serde(default, rename = "complaint")]
    pub complaints: Vec<ComplaintDef>,
    #[serde(default, rename = "communication")]
    pub communication: Vec<ClauseDef>,
}

/// Metadata.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    pub title: String,
    pub owner: String,
    pub source_document: String,
    /// The baseline this policy builds on; every policy but the baseline
    /// itself must extend `uk-law`.
    #[serde(default)]
    pub extends: Option<String>,
    /// `YYYY-MM-DD`, or `YYYY` when the document gives only a year.
    #[serde(default)]
    pub last_review: Option<String>,
    #[serde(default)]
    pub review_interval_months: Option<u32>,
    /// Who reviews the policy.
    #[serde(default)]
    pub reviewer: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

/// Text for the client-facing statement.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Opening paragraph: what confidentiality means here.
    #[serde(default)]
    pub intro: Option<String>,
    /// When and how the limits are explained to the client.
    #[serde(default)]
    pub outset: Option<String>,
}

/// One rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    /// The clause this rule encodes, quoted or cited with the file name.
    pub source: String,
    /// Higher wins. Baseline defaults use 0-99; organisations use 100 and
    /// up. Legal duties (baseline only) outrank every other rule.
    #[serde(default = "default_priority")]
    pub priority: i32,
    /// A legal duty: only the uk-law baseline may declare one.
    #[serde(default)]
    pub duty: bool,
    /// A decisive rule has an outcome; a rule without one only adds
    /// obligations and recipients to whatever was decided.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub obligations: Vec<Obligation>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    /// Recipients that must not receive anything when this rule applies.
    #[serde(default)]
    pub forbid_recipients: Vec<Recipient>,
    /// Obligations that must be absent when this rule applies, whoever adds
    /// them (e.g. `inform-client` where telling the client would tip off a
    /// suspect: Terrorism Act 2000 s.39). Removed last, like forbidden
    /// recipients.
    #[serde(default)]
    pub forbid_obligations: Vec<Obligation>,
    #[serde(default)]
    pub when: When,
    /// One plain-English sentence for the client-facing statement.
    #[serde(default)]
    pub explain: Option<String>,
    /// Under which heading of the client statement `explain` goes, when
    /// the default (by outcome) would mislead: a conversation before a
    /// possible disclosure is a limit of confidentiality, not something
    /// that "stays private".
    #[serde(default)]
    pub explain_under: Option<StatementHeading>,
}

/// A heading of the client-facing statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatementHeading {
    /// What stays private.
    Private,
    /// When information may be shared.
    Shared,
    /// What the law requires.
    Law,
    /// How we share, and what you will be told.
    How,
}

fn default_priority() -> i32 {
    100
}

/// An age band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeBand {
    #[serde(rename = "under-16")]
    Under16,
    #[serde(rename = "16-17")]
    From16To17,
    #[serde(rename = "adult")]
    Adult,
}

/// A crime condition: a crime, or `unspecified` for a crime concern that
/// does not say which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrimeCond {
    Crime(confidant_core::situation::Crime),
    Unspecified,
}

/// Where a consent stands, as a policy sees it: status and form folded
/// into one value, plus `partial` for joint work where some but not all
/// parties gave it. `given` stands for all three `given-*` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentCond {
    Given,
    GivenWritten,
    GivenVerbal,
    GivenApplicationForm,
    Partial,
    Refused,
    Withdrawn,
    NotAsked,
}

macro_rules! text_enum {
    ($name:ident, $field:literal { $($variant:expr => $text:literal),+ $(,)? }) => {
        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $(if s == $text { return Ok($variant); })+
                Err(UnknownValue {
                    field: $field,
                    value: s.chars().take(40).collect(),
                    expected: concat!($($text, " "),+),
                })
            }
        }
        impl $name {
            pub fn as_str(&self) -> &'static str {
                $(if *self == $variant { return $text; })+
                ""
            }
        }
    };
}

text_enum!(AgeBand, "age band" {
    AgeBand::Under16 => "under-16",
    AgeBand::From16To17 => "16-17",
    AgeBand::Adult => "adult",
});

text_enum!(ConsentCond, "consent state" {
    ConsentCond::Given => "given",
    ConsentCond::GivenWritten => "given-written",
    ConsentCond::GivenVerbal => "given-verbal",
    ConsentCond::GivenApplicationForm => "given-application-form",
    ConsentCond::Partial => "partial",
    ConsentCond::Refused => "refused",
    ConsentCond::Withdrawn => "withdrawn",
    ConsentCond::NotAsked => "not-asked",
});

impl FromStr for CrimeCond {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "unspecified" {
            return Ok(CrimeCond::Unspecified);
        }
        s.parse()
            .map(CrimeCond::Crime)
            .map_err(|mut e: UnknownValue| {
                e.expected = "a crime from FORMAT v1, or unspecified";
                e
            })
    }
}

impl CrimeCond {
    pub fn as_str(&self) -> &'static str {
        match self {
            CrimeCond::Crime(c) => c.as_str(),
            CrimeCond::Unspecified => "unspecified",
        }
    }
}

/// An optional vocabulary value as a condition: a value, or `none` for an
/// event that does not have one (no compulsion, nobody acting for the
/// client, the client's role not stated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrNone<T>(pub Option<T>);

impl<T: FromStr<Err = UnknownValue>> FromStr for OrNone<T> {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "none" {
            return Ok(OrNone(None));
        }
        s.parse()
            .map(|v| OrNone(Some(v)))
            .map_err(|mut e: UnknownValue| {
                e.expected = "a value of this field, or none";
                e
            })
    }
}

impl<T: fmt::Display> fmt::Display for OrNone<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(v) => v.fmt(f),
            None => f.write_str("none"),
        }
    }
}

/// A set of values written either as one string or as a list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set<T>(pub Vec<T>);

impl<T> Default for Set<T> {
    fn default() -> Self {
        Set(Vec::new())
    }
}

impl<'de, T> Deserialize<'de> for Set<T>
where
    T: FromStr<Err = UnknownValue>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SetVisitor<T>(PhantomData<T>);
        impl<'de, T: FromStr<Err = UnknownValue>> Visitor<'de> for SetVisitor<T> {
            type Value = Set<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map(|x| Set(vec![x])).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s.parse().map_err(de::Error::custom)?);
                }
                if out.is_empty() {
                    return Err(de::Error::custom(
                        "an empty list matches nothing; leave the condition out instead",
                    ));
                }
                Ok(Set(out))
            }
        }
        deserializer.deserialize_any(SetVisitor(PhantomData))
    }
}

/// The conditions of a rule: every condition given must hold. A condition
/// left out holds for every situation. Fields of an event kind (`from`,
/// `about`, `for`...) only hold for events of that kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default)]
    pub kind: Set<EventKind>,
    #[serde(default)]
    pub from: Set<Requester>,
    #[serde(default)]
    pub court_order: Option<bool>,
    #[serde(default)]
    pub asks_for: Set<AsksFor>,
    #[serde(default)]
    pub about: Set<ConcernAbout>,
    #[serde(default)]
    pub imminent: Option<bool>,
    #[serde(default)]
    pub confirmed: Option<bool>,
    #[serde(default)]
    pub crime: Set<CrimeCond>,
    #[serde(default)]
    pub life_threatening: Option<bool>,
    #[serde(default)]
    pub ongoing_risk: Option<bool>,
    #[serde(default, rename = "for")]
    pub for_: Set<UseFor>,
    #[serde(default)]
    pub age: Set<AgeBand>,
    #[serde(default)]
    pub capacity: Set<Capacity>,
    /// Whether the client can give valid consent (capacity presumed from
    /// 16, or assessed; not when assessed as lacking it).
    #[serde(default)]
    pub can_consent: Option<bool>,
    #[serde(default)]
    pub relationship: Set<Relationship>,
    #[serde(default)]
    pub arrangement: Set<Arrangement>,
    #[serde(default)]
    pub protected: Option<bool>,
    /// The client cares for children (FORMAT v1's `parental_responsibility`,
    /// still accepted with this meaning).
    #[serde(default, alias = "parental_responsibility")]
    pub cares_for_children: Option<bool>,
    /// The client is a child for whom someone else holds parental
    /// responsibility.
    #[serde(default)]
    pub parental_responsibility_held_elsewhere: Option<bool>,
    /// The client's identity (not only whereabouts) must be protected.
    #[serde(default)]
    pub identity_protected: Option<bool>,
    /// Requests: a statutory compulsion other than a court order, or `none`.
    #[serde(default)]
    pub compulsion: Set<OrNone<Compulsion>>,
    /// Requests: the authority of someone asking on the client's behalf, or
    /// `none`.
    #[serde(default)]
    pub on_behalf_of: Set<OrNone<Authority>>,
    /// Requests: whether a party to the couple or group record is asking.
    #[serde(default)]
    pub asking_party: Option<bool>,
    /// Concerns: the client's role (victim, perpetrator, witness), or `none`
    /// when not stated.
    #[serde(default)]
    pub client_role: Set<OrNone<ClientRole>>,
    /// Requests and concerns: telling the client would put someone at risk
    /// or prejudice an investigation.
    #[serde(default)]
    pub inform_client_unsafe: Option<bool>,
    /// Consent state per purpose.
    #[serde(default)]
    pub consent: BTreeMap<ConsentPurposeKey, Set<ConsentCond>>,
    /// Only for rules without an outcome: the outcome already decided.
    #[serde(default)]
    pub decided: Set<Outcome>,
}

/// A consent purpose used as a table key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsentPurposeKey(pub ConsentPurpose);

impl<'de> Deserialize<'de> for ConsentPurposeKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map(ConsentPurposeKey).map_err(de::Error::custom)
    }
}

/// A retention period.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionDef {
    /// What is kept ("session notes").
    pub record: String,
    /// How long, in months, from `from`.
    pub months: u32,
    /// When the period starts ("the last session").
    #[serde(default)]
    pub from: Option<String>,
    /// What happens then ("shredded").
    #[serde(default)]
    pub then: Option<String>,
    pub source: String,
}

/// An entry in the contacts directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactDef {
    pub role: ContactRole,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// What a contact is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContactRole {
    SafeguardingOfficer,
    DeputySafeguardingOfficer,
    PolicyContact,
    SocialCare,
    Police,
    Helpline,
    CrisisLine,
    EmergencyServices,
}

impl ContactRole {
    pub fn label(self) -> &'static str {
        match self {
            ContactRole::SafeguardingOfficer => "Safeguarding Officer",
            ContactRole::DeputySafeguardingOfficer => "Deputy Safeguarding Officer",
            ContactRole::PolicyContact => "Questions about this policy",
            ContactRole::SocialCare => "Social care",
            ContactRole::Police => "Police",
            ContactRole::Helpline => "Helpline",
            ContactRole::CrisisLine => "Crisis line",
            ContactRole::EmergencyServices => "Emergency services",
        }
    }
}

/// A route for complaints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintDef {
    pub name: String,
    #[serde(default)]
    pub note: Option<String>,
    pub source: String,
}

/// A free-text clause with its source (communication constraints).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClauseDef {
    pub text: String,
    pub source: String,
}
