//! The case-record model: clients and their flags, cases with parties,
//! practitioners and roles, session notes attributable to parties, consents,
//! legal holds, and the certificate a destruction leaves behind.
//!
//! These are plain values. The store seals every identifying field (names,
//! contact details, date of birth, NHS number, note text, free text) under
//! the client's data key; nothing here knows about that.
//!
//! Invariant: `Debug` of any type that can hold an identifier or free text
//! prints ids (and closed-vocabulary values) only. The impls are written by
//! hand so that adding a field cannot leak it by accident.

use crate::ids::{CaseId, ClientId, ConsentId, HoldId, NoteId, PractitionerId};
use crate::vocab::{ConsentForm, ConsentPurpose, ConsentStatus, UnknownValue};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Bad input for a record field. Messages name the field and the rule,
/// never the offending value (it may be an identifier).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("invalid date for {field} (expected a real calendar date as YYYY-MM-DD)")]
    InvalidDate { field: &'static str },
    #[error("invalid NHS number (expected 10 digits whose last digit is the mod-11 check digit)")]
    InvalidNhsNumber,
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("invalid timestamp for {field} (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)")]
    InvalidTimestamp { field: &'static str },
    /// Fields that are each valid but contradict one another.
    #[error("inconsistent record: {rule}")]
    Inconsistent { rule: &'static str },
    /// A value outside what the field can hold.
    #[error("{field} is out of range: {rule}")]
    OutOfRange {
        field: &'static str,
        rule: &'static str,
    },
    #[error(
        "{field} is too long: at most {max} bytes (set --max-note-bytes / CONFIDANT_MAX_NOTE_BYTES to change the limit)"
    )]
    TooLong { field: &'static str, max: usize },
    /// One note of a batch is bad: nothing of the batch was written.
    #[error("batch note {index}: {error}")]
    InBatch {
        index: usize,
        error: Box<FieldError>,
    },
}

/// The default cap on a note's text, in bytes (UTF-8).
pub const DEFAULT_MAX_NOTE_BYTES: usize = 1 << 20;

/// The earliest date of birth accepted.
pub const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// Characters that render as nothing (or reorder what is around them):
/// zero-width characters, bidirectional controls, the soft hyphen, other
/// format and control characters. A name made only of them is empty.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E007F}'
    ) || c.is_control()
        || c.is_whitespace()
}

/// True when `s` has nothing visible once invisible characters and
/// whitespace are ignored.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(is_invisible)
}

// ---------------------------------------------------------------- dates

/// A calendar date (proleptic Gregorian), validated on construction.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: i32,
    month: u8,
    day: u8,
}

// The calendar arithmetic is jiff's; this type keeps the stored format
// (`YYYY-MM-DD`, years 1 to 9999) and hides a date of birth from `Debug`.

fn jiff_date(year: i32, month: u8, day: u8) -> Option<jiff::civil::Date> {
    if !(1..=9999).contains(&year) {
        return None;
    }
    jiff::civil::Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

fn from_jiff_date(d: jiff::civil::Date) -> Option<CivilDate> {
    CivilDate::new(
        i32::from(d.year()),
        u8::try_from(d.month()).ok()?,
        u8::try_from(d.day()).ok()?,
    )
}

/// Reads exactly `len` ASCII digits.
fn digits(s: &str, r: std::ops::Range<usize>) -> Option<i64> {
    let part = s.get(r)?;
    if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

impl CivilDate {
    pub fn new(year: i32, month: u8, day: u8) -> Option<CivilDate> {
        jiff_date(year, month, day).map(|_| CivilDate { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`; `field` names the input in the error.
    pub fn parse(s: &str, field: &'static str) -> Result<CivilDate, FieldError> {
        let err = FieldError::InvalidDate { field };
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err);
        }
        let (Some(y), Some(m), Some(d)) = (digits(s, 0..4), digits(s, 5..7), digits(s, 8..10))
        else {
            return Err(err);
        };
        let (Ok(y), Ok(m), Ok(d)) = (i32::try_from(y), u8::try_from(m), u8::try_from(d)) else {
            return Err(err);
        };
        CivilDate::new(y, m, d).ok_or(err)
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    /// The date as a `jiff` civil date.
    pub fn to_jiff(self) -> jiff::civil::Date {
        // Always valid: checked on construction.
        jiff_date(self.year, self.month, self.day).unwrap_or(jiff::civil::Date::MIN)
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        let epoch = jiff::civil::date(1970, 1, 1);
        self.to_jiff()
            .since((jiff::Unit::Day, epoch))
            .map(|span| i64::from(span.get_days()))
            .unwrap_or(0)
    }

    /// The inverse of [`CivilDate::days_since_epoch`] (clamped to years 1
    /// to 9999).
    pub fn from_days_since_epoch(z: i64) -> CivilDate {
        let epoch = jiff::civil::date(1970, 1, 1);
        let max = CivilDate {
            year: 9999,
            month: 12,
            day: 31,
        };
        let min = CivilDate {
            year: 1,
            month: 1,
            day: 1,
        };
        match jiff::Span::new()
            .try_days(z)
            .ok()
            .and_then(|span| epoch.checked_add(span).ok())
            .and_then(from_jiff_date)
        {
            Some(d) => d,
            None if z < 0 => min,
            None => max,
        }
    }
}

impl CivilDate {
    /// Today's date in UTC, from the system clock.
    pub fn today_utc() -> CivilDate {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        CivilDate::from_days_since_epoch(i64::try_from(secs / 86_400).unwrap_or(0))
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

// A date of birth is an identifier: Debug hides it.
impl fmt::Debug for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CivilDate(..)")
    }
}

/// A point in time, microseconds since the Unix epoch, UTC. Displays and
/// serialises as RFC 3339 (`2026-11-23T17:54:20.123456Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_unix_micros(us: i64) -> Timestamp {
        Timestamp(us)
    }
    pub fn unix_micros(self) -> i64 {
        self.0
    }
    pub fn from_date(date: CivilDate) -> Timestamp {
        Timestamp(date.days_since_epoch() * 86_400_000_000)
    }
    /// Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse(s: &str, field: &'static str) -> Result<Timestamp, FieldError> {
        let err = FieldError::InvalidTimestamp { field };
        let date =
            CivilDate::parse(s.get(..10).ok_or(err.clone())?, field).map_err(|_| err.clone())?;
        let rest = &s[10..];
        if rest.is_empty() {
            return Ok(Timestamp::from_date(date));
        }
        let b = rest.as_bytes();
        if b.len() != 10 || b[0] != b'T' || b[3] != b':' || b[6] != b':' || b[9] != b'Z' {
            return Err(err);
        }
        let (Some(h), Some(mi), Some(se)) =
            (digits(rest, 1..3), digits(rest, 4..6), digits(rest, 7..9))
        else {
            return Err(err);
        };
        let (Ok(h), Ok(mi), Ok(se)) = (i8::try_from(h), i8::try_from(mi), i8::try_from(se)) else {
            return Err(err);
        };
        // jiff validates the time of day; the instant is the date's
        // midnight (UTC) plus that time.
        let time = jiff::civil::Time::new(h, mi, se, 0).map_err(|_| err)?;
        let secs = i64::from(time.hour()) * 3600
            + i64::from(time.minute()) * 60
            + i64::from(time.second());
        Ok(Timestamp(Timestamp::from_date(date).0 + secs * 1_000_000))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DAY: i64 = 86_400_000_000;
        let days = self.0.div_euclid(DAY);
        let in_day = self.0.rem_euclid(DAY);
        let date = CivilDate::from_days_since_epoch(days);
        let time = jiff::Span::new()
            .try_microseconds(in_day)
            .ok()
            .and_then(|span| jiff::civil::Time::midnight().checked_add(span).ok());
        match time {
            Some(time) if date.days_since_epoch() == days => {
                write!(f, "{date}T{}Z", time.strftime("%H:%M:%S.%6f"))
            }
            // Outside years 1 to 9999: not a time any record holds; shown
            // as the raw count rather than a wrong date.
            _ => write!(f, "@{}us", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

// ---------------------------------------------------------------- NHS number

/// A 10-digit NHS number whose check digit is valid (mod 11). Spaces and
/// hyphens in the input are ignored; it is stored as the 10 digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NhsNumber(String);

impl NhsNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for NhsNumber {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<NhsNumber, FieldError> {
        let digits: Vec<u32> = s
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .map(|c| c.to_digit(10).ok_or(FieldError::InvalidNhsNumber))
            .collect::<Result<_, _>>()?;
        if digits.len() != 10 {
            return Err(FieldError::InvalidNhsNumber);
        }
        let sum: u32 = digits[..9]
            .iter()
            .zip((2..=10).rev())
            .map(|(d, w)| d * w)
            .sum();
        let check = 11 - (sum % 11);
        let check = match check {
            11 => 0,
            10 => return Err(FieldError::InvalidNhsNumber),
            c => c,
        };
        if digits[9] != check {
            return Err(FieldError::InvalidNhsNumber);
        }
        // 0000000000 (and any run of one digit) passes the check digit but
        // is a placeholder, never an issued number.
        if digits.iter().all(|d| *d == digits[0]) {
            return Err(FieldError::InvalidNhsNumber);
        }
        Ok(NhsNumber(
            digits
                .iter()
                .filter_map(|d| char::from_digit(*d, 10))
                .collect(),
        ))
    }
}

impl fmt::Debug for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NhsNumber(..)")
    }
}

// ---------------------------------------------------------------- clients

/// Facts about a client that policies need. Not identifying, so stored in
/// plaintext columns the policy engine can query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFlags {
    /// Their whereabouts must never be revealed (e.g. fleeing abuse).
    pub protected: bool,
    /// There is a concern about their capacity to consent.
    pub capacity_concern: bool,
    /// Someone other than the client holds parental responsibility for them
    /// (the client is a child), so that person's consent may be needed.
    /// Stored as `parental_responsibility` (column and JSON); not the
    /// situation's `cares_for_children`, which says the client cares for
    /// children.
    #[serde(rename = "parental_responsibility")]
    pub parental_responsibility_held_elsewhere: bool,
    /// The therapeutic work with them has ended (retention clock running).
    pub work_ended: bool,
}

/// A client to be added. Every field except the flags is identifying and is
/// sealed by the store.
#[derive(Clone, Default)]
pub struct NewClient {
    pub name: String,
    pub date_of_birth: Option<CivilDate>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub nhs_number: Option<NhsNumber>,
    pub flags: ClientFlags,
}

impl NewClient {
    /// The record model's rules for a new client: a name with something
    /// visible in it (zero-width and bidi characters do not count), a date
    /// of birth not in the future (`today`) nor before 1900. Every caller
    /// (store, service, CLI) gets the same checks.
    pub fn validate(&self, today: CivilDate) -> Result<(), FieldError> {
        if is_blank(&self.name) {
            return Err(FieldError::Empty { field: "name" });
        }
        if let Some(dob) = self.date_of_birth {
            if dob > today {
                return Err(FieldError::OutOfRange {
                    field: "date of birth",
                    rule: "it is in the future",
                });
            }
            if dob.year() < EARLIEST_BIRTH_YEAR {
                return Err(FieldError::OutOfRange {
                    field: "date of birth",
                    rule: "it is before 1900",
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for NewClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewClient")
            .field("flags", &self.flags)
            .finish_non_exhaustive()
    }
}

/// A stored client, decrypted.
#[derive(Clone, Serialize)]
pub struct Client {
    pub id: ClientId,
    pub created_at: Timestamp,
    pub name: String,
    #[serde(serialize_with = "ser_opt_display")]
    pub date_of_birth: Option<CivilDate>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    #[serde(serialize_with = "ser_opt_nhs")]
    pub nhs_number: Option<NhsNumber>,
    pub flags: ClientFlags,
}

fn ser_opt_display<S: serde::Serializer, T: fmt::Display>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

fn ser_opt_nhs<S: serde::Serializer>(v: &Option<NhsNumber>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(v.as_str()),
        None => s.serialize_none(),
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("flags", &self.flags)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------- cases

/// What kind of work a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaseKind {
    Individual,
    Couple,
    Group,
}

impl CaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Individual => "individual",
            CaseKind::Couple => "couple",
            CaseKind::Group => "group",
        }
    }
}

impl FromStr for CaseKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<CaseKind, UnknownValue> {
        match s {
            "individual" => Ok(CaseKind::Individual),
            "couple" => Ok(CaseKind::Couple),
            "group" => Ok(CaseKind::Group),
            _ => Err(UnknownValue {
                field: "case kind",
                value: s.chars().take(40).collect(),
                expected: "individual couple group",
            }),
        }
    }
}

/// A case and the clients who are parties to it (one for individual work,
/// two for a couple, several for a group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    pub id: CaseId,
    pub kind: CaseKind,
    pub created_at: Timestamp,
    pub parties: Vec<ClientId>,
}

// ---------------------------------------------------------------- practitioners

/// What a member of staff may act as. A person can hold several roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Practitioner,
    Supervisor,
    SafeguardingOfficer,
    ProgrammeLead,
    ClinicalLead,
    Administrator,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Practitioner,
        Role::Supervisor,
        Role::SafeguardingOfficer,
        Role::ProgrammeLead,
        Role::ClinicalLead,
        Role::Administrator,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Practitioner => "practitioner",
            Role::Supervisor => "supervisor",
            Role::SafeguardingOfficer => "safeguarding-officer",
            Role::ProgrammeLead => "programme-lead",
            Role::ClinicalLead => "clinical-lead",
            Role::Administrator => "administrator",
        }
    }
}

impl FromStr for Role {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Role, UnknownValue> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s).ok_or_else(|| UnknownValue {
            field: "role",
            value: s.chars().take(40).collect(),
            expected: "practitioner supervisor safeguarding-officer programme-lead clinical-lead administrator",
        })
    }
}

/// A member of staff, decrypted.
#[derive(Clone, Serialize)]
pub struct Practitioner {
    pub id: PractitionerId,
    pub name: String,
    pub roles: Vec<Role>,
}

impl fmt::Debug for Practitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Practitioner")
            .field("id", &self.id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------- notes

/// A session note to be written. `parties` lists the clients the note is
/// attributable to (empty means the owning client alone); a couple's joint
/// session note names both partners, so a later disclosure package can hold
/// only the consenting partner's material.
#[derive(Clone)]
pub struct NewNote {
    pub client_id: ClientId,
    pub case_id: Option<CaseId>,
    pub author: Option<PractitionerId>,
    pub parties: Vec<ClientId>,
    pub text: String,
}

impl NewNote {
    pub fn new(client_id: ClientId, text: impl Into<String>) -> NewNote {
        NewNote {
            client_id,
            case_id: None,
            author: None,
            parties: Vec::new(),
            text: text.into(),
        }
    }
}

impl NewNote {
    /// A note's text has something visible in it and is at most
    /// `max_bytes` bytes.
    pub fn validate(&self, max_bytes: usize) -> Result<(), FieldError> {
        if is_blank(&self.text) {
            return Err(FieldError::Empty { field: "note text" });
        }
        if self.text.len() > max_bytes {
            return Err(FieldError::TooLong {
                field: "note text",
                max: max_bytes,
            });
        }
        Ok(())
    }
}

/// Checks every note of a batch before anything is written; the error names
/// the first bad note's position (1-based), never its text.
pub fn validate_notes(notes: &[NewNote], max_bytes: usize) -> Result<(), FieldError> {
    for (i, n) in notes.iter().enumerate() {
        n.validate(max_bytes).map_err(|e| FieldError::InBatch {
            index: i + 1,
            error: Box::new(e),
        })?;
    }
    Ok(())
}

impl fmt::Debug for NewNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewNote")
            .field("client_id", &self.client_id)
            .field("case_id", &self.case_id)
            .field("author", &self.author)
            .field("parties", &self.parties)
            .finish_non_exhaustive()
    }
}

/// A stored note, decrypted.
#[derive(Clone, Serialize)]
pub struct Note {
    pub id: NoteId,
    pub client_id: ClientId,
    pub case_id: Option<CaseId>,
    pub author: Option<PractitionerId>,
    pub parties: Vec<ClientId>,
    pub created_at: Timestamp,
    pub text: String,
}

impl fmt::Debug for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Note")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .field("case_id", &self.case_id)
            .field("author", &self.author)
            .field("parties", &self.parties)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------- consents

/// A consent to be recorded. `evidence` is a free-text reference to where
/// the consent is evidenced (a form's location, a session date) and is sealed.
#[derive(Clone)]
pub struct NewConsent {
    pub client_id: ClientId,
    pub case_id: Option<CaseId>,
    pub purpose: ConsentPurpose,
    pub form: ConsentForm,
    pub status: ConsentStatus,
    pub given_at: Option<Timestamp>,
    pub withdrawn_at: Option<Timestamp>,
    pub evidence: Option<String>,
}

impl NewConsent {
    /// A consent's dates agree with its status: a given consent has no
    /// withdrawal date, and nothing is withdrawn before it was given.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.status == ConsentStatus::Given && self.withdrawn_at.is_some() {
            return Err(FieldError::Inconsistent {
                rule: "a consent recorded as given has a withdrawal date (record it as withdrawn)",
            });
        }
        if let (Some(g), Some(w)) = (self.given_at, self.withdrawn_at)
            && w < g
        {
            return Err(FieldError::Inconsistent {
                rule: "a consent cannot be withdrawn before it was given",
            });
        }
        Ok(())
    }
}

impl fmt::Debug for NewConsent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewConsent")
            .field("client_id", &self.client_id)
            .field("purpose", &self.purpose)
            .field("form", &self.form)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A stored consent, decrypted.
#[derive(Clone, Serialize)]
pub struct Consent {
    pub id: ConsentId,
    pub client_id: ClientId,
    pub case_id: Option<CaseId>,
    pub purpose: ConsentPurpose,
    pub form: ConsentForm,
    pub status: ConsentStatus,
    pub recorded_at: Timestamp,
    pub given_at: Option<Timestamp>,
    pub withdrawn_at: Option<Timestamp>,
    pub evidence: Option<String>,
}

impl fmt::Debug for Consent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consent")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .field("purpose", &self.purpose)
            .field("form", &self.form)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------- legal holds

/// Why a record must not be destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HoldReason {
    CourtApplication,
    Complaint,
    Investigation,
    Other,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::CourtApplication => "court-application",
            HoldReason::Complaint => "complaint",
            HoldReason::Investigation => "investigation",
            HoldReason::Other => "other",
        }
    }
}

impl FromStr for HoldReason {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<HoldReason, UnknownValue> {
        match s {
            "court-application" => Ok(HoldReason::CourtApplication),
            "complaint" => Ok(HoldReason::Complaint),
            "investigation" => Ok(HoldReason::Investigation),
            "other" => Ok(HoldReason::Other),
            _ => Err(UnknownValue {
                field: "legal hold reason",
                value: s.chars().take(40).collect(),
                expected: "court-application complaint investigation other",
            }),
        }
    }
}

/// A legal hold on a client's record; it stands until released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegalHold {
    pub id: HoldId,
    pub client_id: ClientId,
    pub reason: HoldReason,
    pub placed_at: Timestamp,
    pub placed_by: String,
    pub released_at: Option<Timestamp>,
}

// ---------------------------------------------------------------- destruction

/// How many of each thing a destruction removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DestroyedCounts {
    pub data_keys: u64,
    pub clients: u64,
    pub notes: u64,
    pub note_attributions: u64,
    pub consents: u64,
    pub case_parties: u64,
    pub legal_holds: u64,
    pub blind_index_entries: u64,
}

/// Proof that a client's record was destroyed: who, when, why, how much.
/// Holds no content. `reason` is the operator's stated reason as given.
#[derive(Clone, Serialize)]
pub struct DestructionCertificate {
    pub client_id: ClientId,
    pub destroyed_at: Timestamp,
    pub destroyed_by: String,
    pub reason: String,
    pub destroyed: DestroyedCounts,
    /// How: the data key was deleted before the rows, in one transaction.
    pub method: &'static str,
}

impl fmt::Debug for DestructionCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DestructionCertificate")
            .field("client_id", &self.client_id)
            .field("destroyed_at", &self.destroyed_at)
            .field("destroyed", &self.destroyed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_numbers_follow_mod_11() {
        // 943 476 5919 is the NHS's published example of a valid number.
        assert_eq!(
            "943 476 5919".parse::<NhsNumber>().unwrap().as_str(),
            "9434765919"
        );
        assert_eq!(
            "943-476-5919".parse::<NhsNumber>().unwrap().as_str(),
            "9434765919"
        );
        assert!("9434765918".parse::<NhsNumber>().is_err());
        assert!("943476591".parse::<NhsNumber>().is_err());
        assert!("94347659190".parse::<NhsNumber>().is_err());
        assert!("94347x5919".parse::<NhsNumber>().is_err());
        // Weighted sum gives remainder 1 => check value 10 => never valid.
        assert!("0000000060".parse::<NhsNumber>().is_err());
        // Check value 11 maps to 0.
        assert!("1000000060".parse::<NhsNumber>().is_ok());
        // The placeholder passes the check digit but is never issued.
        assert!("0000000000".parse::<NhsNumber>().is_err());
        assert!("000 000 0000".parse::<NhsNumber>().is_err());
    }

    #[test]
    fn names_of_invisible_characters_are_blank() {
        assert!(is_blank("\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}"));
        assert!(is_blank(" \u{202A}\u{202E}\u{2066}\u{2069}\u{200E}\t"));
        assert!(is_blank("\u{E0041}\u{00AD}"));
        assert!(!is_blank("\u{200B}A"));
        assert!(!is_blank("Siân"));
    }

    #[test]
    fn dates_are_real_calendar_dates() {
        assert_eq!(
            CivilDate::parse("2024-02-29", "dob").unwrap().to_string(),
            "2024-02-29"
        );
        assert!(CivilDate::parse("2023-02-29", "dob").is_err());
        assert!(CivilDate::parse("1900-02-29", "dob").is_err());
        assert!(CivilDate::parse("2000-02-29", "dob").is_ok());
        assert!(CivilDate::parse("2024-13-01", "dob").is_err());
        assert!(CivilDate::parse("2024-1-01", "dob").is_err());
        assert!(CivilDate::parse("24-01-01xx", "dob").is_err());
        assert!(CivilDate::parse("+024-01-01", "dob").is_err());
        let msg = CivilDate::parse("1980-99-99", "dob")
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("1980"), "{msg}");
    }

    #[test]
    fn timestamps_round_trip_days_and_print_rfc3339() {
        for days in [-719_162i64, -1, 0, 1, 19_000, 2_932_896] {
            assert_eq!(
                CivilDate::from_days_since_epoch(days).days_since_epoch(),
                days
            );
        }
        // Outside years 1 to 9999 (which `CivilDate::new` refuses) the
        // conversion clamps instead of making an invalid date.
        assert_eq!(
            CivilDate::from_days_since_epoch(-1_000_000).to_string(),
            "0001-01-01"
        );
        assert_eq!(
            CivilDate::from_days_since_epoch(3_000_000).to_string(),
            "9999-12-31"
        );
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        let t = Timestamp::parse("2026-11-23T17:54:20Z", "at").unwrap();
        assert_eq!(t.to_string(), "2026-11-23T17:54:20.000000Z");
        assert_eq!(
            Timestamp::parse("2024-02-29", "at").unwrap().to_string(),
            "2024-02-29T00:00:00.000000Z"
        );
        assert!(Timestamp::parse("2024-02-29T25:00:00Z", "at").is_err());
    }

    #[test]
    fn debug_never_shows_identifying_fields() {
        let c = Client {
            id: ClientId::from_bytes([1; 16]),
            created_at: Timestamp(0),
            name: "Jane Smith".into(),
            date_of_birth: CivilDate::new(1980, 1, 2),
            email: Some("jane@example.org".into()),
            phone: Some("07700 900123".into()),
            address: Some("1 High Street".into()),
            postcode: Some("AB1 2CD".into()),
            nhs_number: "9434765919".parse().ok(),
            flags: ClientFlags::default(),
        };
        let n = Note {
            id: NoteId::from_bytes([2; 16]),
            client_id: c.id.clone(),
            case_id: None,
            author: None,
            parties: vec![],
            created_at: Timestamp(0),
            text: "disclosed something".into(),
        };
        let out = format!(
            "{c:?} {n:?} {:?}",
            NewNote::new(c.id.clone(), "secret words")
        );
        for needle in [
            "Jane",
            "example",
            "07700",
            "High",
            "AB1",
            "943",
            "1980",
            "disclosed",
            "secret",
        ] {
            assert!(!out.contains(needle), "{needle} leaked: {out}");
        }
        assert!(out.contains(c.id.as_str()));
    }
}
