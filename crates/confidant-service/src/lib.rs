//! confidant-service: the application layer. The use cases a practitioner
//! carries out on stored records (open a matter, get the policy's
//! recommendation on the situation built from the record, sign the decision
//! record, build and deliver the minimum-necessary disclosure package, close
//! the matter against its checklist), written once for the CLI now and the
//! web server next. Every rule about matters lives here; the store only
//! seals, signs, appends and audits, and the callers only parse and print.
//!
//! Invariants this layer keeps (tested end to end in
//! `crates/confidant-cli/tests/matters_e2e.rs`):
//! - no disclosure without a signed decision record whose outcome discloses;
//! - no package outside what the decision allows: only recipients the
//!   decision names, only explicitly selected items each with a reason, only
//!   the consenting party's material, third parties redacted, a protected
//!   person's whereabouts never, de-identified when the decision says so,
//!   no file at all under verbal-only;
//! - the accounting of disclosures is append-only and every delivered
//!   package is in it, written in the same transaction as the delivery;
//! - every check runs against the matter exactly as it is when the step is
//!   appended (the store refuses a step if another was appended meanwhile),
//!   and bad input is refused before anything is written.

pub mod account_admin;
pub mod accounts;
pub mod authorised;
pub mod authorised_matters;
pub mod authorised_records;
pub mod caseload;
pub mod demo;
pub mod escalation;
pub mod health;
pub mod matter;
pub mod package;
pub mod progress;
pub mod promises;
pub mod record;
pub mod retention;
pub mod sar;
pub mod situations;

use confidant_core::record::{CivilDate, FieldError, Timestamp};
use confidant_core::vocab::UnknownValue;
use confidant_policy::{Policy, PolicyError};
use confidant_store::{Store, StoreError};
use sha2::{Digest, Sha256};

pub use confidant_policy::render::{Statement, StatementSection};
pub use matter::{
    CapacityAssessment, ChecklistItem, ClientTold, Consulted, DecideInput, MatterSubject,
    MatterView, NewDecisionRecord, OpenMatter, PractitionerFacts,
};
pub use package::{BuildPackage, ClientField, DeliverTo, Selection, VerbalRecord};

/// Errors from a use case. Messages name the problem and never contain note
/// text, names or other identifiers.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input or a step the rules do not allow; nothing was written.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("policy: {0}")]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Unknown(#[from] UnknownValue),
    #[error("i/o error writing the package: {0}")]
    Io(String),
    /// No valid session or token (forged, expired, revoked or absent).
    #[error("not authenticated")]
    Unauthenticated,
    /// A sign-in step was refused; the message says which step, never
    /// whether the account exists.
    #[error("{0}")]
    SignInRefused(String),
    /// Too many failed sign-ins: wait this many seconds.
    #[error("too many failed attempts: try again in {0} seconds")]
    Throttled(i64),
    /// Refused by the access policy. Says nothing more.
    #[error("not allowed")]
    NotAllowed,
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

pub(crate) fn refuse<T>(msg: impl Into<String>) -> Result<T> {
    Err(ServiceError::Refused(msg.into()))
}

/// The application layer over one open store.
#[derive(Debug)]
pub struct Service {
    store: Store,
    calendar: confidant_core::calendar::ServiceCalendar,
    accounts: accounts::AccountSettings,
    access: Option<std::sync::Arc<confidant_access::AccessPolicy>>,
    records_policy: String,
}

/// The policy the records pages work under unless the service sets one:
/// the UK-law baseline, whose retention periods are labelled as defaults.
pub const DEFAULT_RECORDS_POLICY: &str = "uk-law";

impl Service {
    /// The service in the default calendar (Europe/London, no holidays).
    pub fn new(store: Store) -> Service {
        Service {
            store,
            calendar: confidant_core::calendar::ServiceCalendar::default(),
            accounts: accounts::AccountSettings::default(),
            access: None,
            records_policy: DEFAULT_RECORDS_POLICY.to_owned(),
        }
    }

    /// The same service with `spec` (a built-in policy name or a policy
    /// file) as the policy its records pages (retention, reviews, the
    /// limits statement) work under by default.
    pub fn with_records_policy(mut self, spec: impl Into<String>) -> Service {
        self.records_policy = spec.into();
        self
    }

    /// The service's own policy for its records (see
    /// [`Service::with_records_policy`]).
    pub fn records_policy(&self) -> &str {
        &self.records_policy
    }

    /// The same service working in `calendar` (its time zone and
    /// holidays): every date a person sees is computed in it.
    pub fn with_calendar(mut self, calendar: confidant_core::calendar::ServiceCalendar) -> Service {
        self.calendar = calendar;
        self
    }

    pub fn calendar(&self) -> &confidant_core::calendar::ServiceCalendar {
        &self.calendar
    }

    /// Today in the service's time zone.
    pub fn local_today(&self) -> Result<CivilDate> {
        self.local_date(Timestamp(confidant_store::now_micros()))
    }

    /// The date `at` fell on in the service's time zone.
    pub fn local_date(&self, at: Timestamp) -> Result<CivilDate> {
        self.calendar
            .local_date(at)
            .map_err(|e| ServiceError::Refused(e.to_string()))
    }

    /// The store, for the commands that are plain record operations.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// A policy as used for a decision: its name, the exact text in force and
/// that text's SHA-256, so a later change never rewrites what was decided.
pub struct LoadedPolicy {
    pub name: String,
    pub sha256: String,
    pub policy: Policy,
}

/// Loads a built-in policy by name, or a policy file by path.
pub fn load_policy(spec: &str) -> Result<LoadedPolicy> {
    let text = match Policy::builtin_text(spec) {
        Some(t) => t.to_owned(),
        None => std::fs::read_to_string(spec).map_err(|_| {
            ServiceError::Refused(
                "unknown policy: not a built-in policy name (see `confidant policy list`) and \
                 not a readable policy file"
                    .into(),
            )
        })?,
    };
    let policy = Policy::from_toml_str(&text)?;
    Ok(LoadedPolicy {
        name: policy.name().to_owned(),
        sha256: sha256_hex(text.as_bytes()),
        policy,
    })
}

/// The client-facing "limits of confidentiality" statement of a policy (a
/// built-in name or a file), structured for a page to render and print.
pub fn client_statement(spec: &str) -> Result<confidant_policy::render::Statement> {
    Ok(load_policy(spec)?.policy.statement())
}

/// The built-in policies' names, for a page offering a choice.
pub fn builtin_policies() -> Vec<&'static str> {
    Policy::builtin_names().collect()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Today's date in UTC. Dates a person sees use [`Service::local_today`]
/// (the service's time zone) instead.
pub fn today() -> CivilDate {
    let now = confidant_store::now_micros();
    CivilDate::from_days_since_epoch(now.div_euclid(86_400_000_000))
}

/// Whole years from `dob` to `on`.
pub(crate) fn age_on(dob: CivilDate, on: CivilDate) -> u32 {
    let mut years = on.year() - dob.year();
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    u32::try_from(years.max(0)).unwrap_or(0)
}

/// The last microsecond of `on`: a consent given or withdrawn during the
/// decision day counts on that day.
pub(crate) fn end_of_day(on: CivilDate) -> Timestamp {
    Timestamp(Timestamp::from_date(on).unix_micros() + 86_400_000_000 - 1)
}

pub(crate) fn non_empty(field: &'static str, v: &str) -> Result<()> {
    if v.trim().is_empty() {
        return refuse(format!("{field} must not be empty"));
    }
    Ok(())
}

/// Parses a stored or given time: RFC 3339 as `Timestamp` prints it
/// (`2026-11-23T17:54:20.123456Z`), or `YYYY-MM-DD[THH:MM:SSZ]`.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    if let Ok(t) = Timestamp::parse(s, "time") {
        return Some(t);
    }
    let b = s.as_bytes();
    if b.len() != 27 || b[19] != b'.' || b[26] != b'Z' {
        return None;
    }
    let base = Timestamp::parse(&format!("{}Z", s.get(..19)?), "time").ok()?;
    let frac = s.get(20..26)?;
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(Timestamp(base.unix_micros() + frac.parse::<i64>().ok()?))
}

/// serde for `Timestamp` fields of stored bodies (written as RFC 3339).
pub(crate) mod ts {
    use confidant_core::record::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(t)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_time(&s).ok_or_else(|| serde::de::Error::custom("invalid time"))
    }

    pub mod opt {
        use super::*;

        pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.collect_str(t),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(s) => super::super::parse_time(&s)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom("invalid time")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_read_back() {
        let t = Timestamp(1_764_000_000_123_456);
        assert_eq!(parse_time(&t.to_string()), Some(t));
        assert_eq!(
            parse_time("2026-01-02"),
            Some(Timestamp::from_date(CivilDate::new(2026, 1, 2).unwrap()))
        );
        assert_eq!(parse_time("2026-01-02T00:00:00.00000xZ"), None);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn age_counts_whole_years_on_the_decision_date() {
        let dob = CivilDate::new(2009, 12, 2).unwrap();
        assert_eq!(age_on(dob, CivilDate::new(2025, 12, 1).unwrap()), 15);
        assert_eq!(age_on(dob, CivilDate::new(2025, 12, 2).unwrap()), 16);
        let leap = CivilDate::new(2008, 2, 29).unwrap();
        assert_eq!(age_on(leap, CivilDate::new(2026, 2, 28).unwrap()), 17);
        assert_eq!(age_on(leap, CivilDate::new(2026, 3, 1).unwrap()), 18);
    }

    #[test]
    fn policy_hash_is_of_the_exact_text() {
        let p = load_policy("ukcp").unwrap();
        assert_eq!(
            p.sha256,
            sha256_hex(Policy::builtin_text("ukcp").unwrap().as_bytes())
        );
        assert_eq!(p.name, "ukcp");
        assert!(load_policy("no-such-policy").is_err());
    }
}
