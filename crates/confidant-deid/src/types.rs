//! Public data types: entity types, spans, and the `known` record.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The kind of identifier a span holds (names as in shared/deid/README.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityType {
    Name,
    Address,
    Postcode,
    Location,
    Phone,
    Email,
    Date,
    NhsNumber,
    NiNumber,
    Organisation,
    Url,
    Id,
    Username,
    Age,
}

impl EntityType {
    /// Every type, in a stable order (used for per-type reports).
    pub const ALL: [EntityType; 14] = [
        EntityType::Name,
        EntityType::Address,
        EntityType::Postcode,
        EntityType::Location,
        EntityType::Phone,
        EntityType::Email,
        EntityType::Date,
        EntityType::NhsNumber,
        EntityType::NiNumber,
        EntityType::Organisation,
        EntityType::Url,
        EntityType::Id,
        EntityType::Username,
        EntityType::Age,
    ];

    /// The wire name, e.g. `NHS_NUMBER`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Name => "NAME",
            EntityType::Address => "ADDRESS",
            EntityType::Postcode => "POSTCODE",
            EntityType::Location => "LOCATION",
            EntityType::Phone => "PHONE",
            EntityType::Email => "EMAIL",
            EntityType::Date => "DATE",
            EntityType::NhsNumber => "NHS_NUMBER",
            EntityType::NiNumber => "NI_NUMBER",
            EntityType::Organisation => "ORGANISATION",
            EntityType::Url => "URL",
            EntityType::Id => "ID",
            EntityType::Username => "USERNAME",
            EntityType::Age => "AGE",
        }
    }

    /// Parses a wire name; `None` for a type this engine does not know
    /// (gold files may carry extra types such as `TITLE` or `NRP`).
    pub fn parse(s: &str) -> Option<EntityType> {
        EntityType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A found identifier: Unicode code point offsets into the input text,
/// half-open. Holds no text, so `Debug` is safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub kind: EntityType,
}

/// What the record and the service already know (`known` in the corpora
/// and the CLI contract): the client, the other parties of the case, and,
/// since a note names far more than the client, everyone and everything
/// else the record and the service hold: people named on the record
/// (referrers, GPs, teachers), the service's own staff (practitioners and
/// users), the policy's contacts directory, and local organisations the
/// service has recorded (GP surgeries, schools, referrers). Every field is
/// optional, so the shared JSONL `known` format (`client`, `others`) reads
/// unchanged; unknown fields are kept in `extra` and their string values
/// are matched by the kind their key names.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct Known {
    #[serde(default)]
    pub client: Option<KnownPerson>,
    /// Other parties of the case (partner, child, ...).
    #[serde(default)]
    pub others: Vec<KnownOther>,
    /// People named on the record who are not parties (a referrer, a GP,
    /// a teacher, a social worker).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "names_or_records"
    )]
    pub people: Vec<KnownOther>,
    /// The service's own staff: practitioners and users.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "names_or_records"
    )]
    pub staff: Vec<KnownOther>,
    /// The policy's contacts directory (DSL, data protection lead, ...).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "names_or_records"
    )]
    pub contacts: Vec<KnownOther>,
    /// Local organisations the service has recorded.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "names_or_records"
    )]
    pub organisations: Vec<KnownOrg>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Something with a name that a list may give as a bare string.
trait FromName {
    fn from_name(name: String) -> Self;
}

impl FromName for KnownOther {
    fn from_name(name: String) -> Self {
        KnownOther {
            name: Some(name),
            ..KnownOther::default()
        }
    }
}

impl FromName for KnownOrg {
    fn from_name(name: String) -> Self {
        KnownOrg {
            name: Some(name),
            ..KnownOrg::default()
        }
    }
}

/// Reads a list whose items are records or bare names (`"staff": ["Bea
/// Lowe"]` and `"staff": [{"name": "Bea Lowe", "role": "counsellor"}]`
/// both work, as the free-form `extra` fields did before these lists had
/// types).
fn names_or_records<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromName + serde::de::DeserializeOwned,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Item<T> {
        Name(String),
        Record(T),
    }
    let items: Vec<Item<T>> = Vec::deserialize(d)?;
    Ok(items
        .into_iter()
        .map(|i| match i {
            Item::Name(n) => T::from_name(n),
            Item::Record(r) => r,
        })
        .collect())
}

/// An organisation the service has recorded: a GP surgery, a school, a
/// referrer, an employer.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct KnownOrg {
    #[serde(default)]
    pub name: Option<String>,
    /// What it is ("gp surgery", "school"); not matched.
    #[serde(default)]
    pub kind: Option<String>,
    /// Other names and abbreviations ("RBH", "the Priory").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Address, postcode, phone, email, ...: matched by key.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The client's own identifiers.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct KnownPerson {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub dob: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub nhs_number: Option<String>,
    /// The name the client goes by ("Ken" for Kenneth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_name: Option<String>,
    /// Other names: nicknames, former names, usernames.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Another person on the record (partner, child, ...).
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct KnownOther {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// Other names: a preferred name, nicknames, a username.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

// Identifiers must never reach logs: Debug prints only what is present.
impl fmt::Debug for Known {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Known")
            .field("client", &self.client.is_some())
            .field("others", &self.others.len())
            .field("people", &self.people.len())
            .field("staff", &self.staff.len())
            .field("contacts", &self.contacts.len())
            .field("organisations", &self.organisations.len())
            .field("extra_fields", &self.extra.len())
            .finish()
    }
}

impl fmt::Debug for KnownOrg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KnownOrg(<redacted>)")
    }
}

impl fmt::Debug for KnownPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KnownPerson(<redacted>)")
    }
}

impl fmt::Debug for KnownOther {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KnownOther(<redacted>)")
    }
}
