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

/// What the client's record already holds (`known` in the corpora and the
/// CLI contract). Every field is optional; unknown fields are kept in
/// `extra` and their string values are matched literally.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct Known {
    #[serde(default)]
    pub client: Option<KnownPerson>,
    #[serde(default)]
    pub others: Vec<KnownOther>,
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
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

// Identifiers must never reach logs: Debug prints only what is present.
impl fmt::Debug for Known {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Known")
            .field("client", &self.client.is_some())
            .field("others", &self.others.len())
            .field("extra_fields", &self.extra.len())
            .finish()
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
