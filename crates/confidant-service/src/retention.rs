//! Retention on schedule: each policy's `[[retention]]` rules applied to
//! each client, the date each record falls due, and the sweep that destroys
//! what is due (a dry run unless applied), skipping every client under a
//! legal hold, each destruction with its signed certificate naming the rule.
//!
//! A rule's `from` is read in a closed vocabulary (`RetentionStart`); the
//! spellings the built-in policies already use ("the last session", "the
//! end of the work") are part of it, so existing files keep loading. A
//! policy with no rules of its own uses the `uk-law` baseline's, labelled
//! as a default everywhere it is shown.
//!
//! When several rules apply, the record is kept until the latest of their
//! dates: destruction is irreversible, so the longest period wins. A rule
//! that cannot be computed for a client (work not ended; an age rule with no
//! date of birth) means the record is not due: the sweep fails closed.

use crate::{LoadedPolicy, Result, Service, ServiceError, load_policy, refuse};

use confidant_core::calendar;
use confidant_core::ids::ClientId;
use confidant_core::record::CivilDate;
use confidant_policy::format::RetentionDef;
use confidant_store::{Action, ClientActivity, DestructionReport, StoreError};
use serde::Serialize;

/// The event a retention period runs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "from", content = "years")]
pub enum RetentionStart {
    /// The newest note attributable to the client.
    LastSession,
    /// The end of the work (the client's `work_ended` flag), dated by the
    /// last session; not started while the work goes on.
    EndOfWork,
    /// The day the record was opened.
    RecordOpened,
    /// The client's birthday at this age (a child client's record kept
    /// until they are, say, 25).
    Age(u32),
}

/// The accepted spellings of `from` (case-insensitive; a leading "the" and
/// the client's possessive are ignored).
pub const START_VOCABULARY: &str = "last-session (\"the last session\"), end-of-work (\"the end of \
     the work\"), record-opened (\"the record was opened\"), age-N (\"age 25\")";

impl RetentionStart {
    /// Reads a rule's `from`. No `from` means the end of the work (the
    /// baseline's own start).
    pub fn parse(from: Option<&str>) -> Result<RetentionStart> {
        let Some(raw) = from else {
            return Ok(RetentionStart::EndOfWork);
        };
        let s = raw.trim().to_lowercase().replace(['-', '_'], " ");
        let s = s.strip_prefix("the ").unwrap_or(&s).trim();
        let s = s.strip_prefix("client's ").unwrap_or(s).trim();
        Ok(match s {
            "last session" => RetentionStart::LastSession,
            "end of the work" | "end of work" => RetentionStart::EndOfWork,
            "record opened" | "record was opened" | "first contact" => RetentionStart::RecordOpened,
            _ => {
                if let Some(n) = s.strip_prefix("age ")
                    && let Ok(n) = n.trim().parse::<u32>()
                    && (1..=120).contains(&n)
                {
                    return Ok(RetentionStart::Age(n));
                }
                return Err(ServiceError::Refused(format!(
                    "a retention rule's `from` is not in the vocabulary (one of {START_VOCABULARY})"
                )));
            }
        })
    }
}

/// One rule as applied.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedRule {
    pub record: String,
    pub months: u32,
    pub start: RetentionStart,
    pub then: Option<String>,
    pub source: String,
    /// True when the rule is the baseline's default (the policy sets none).
    pub default: bool,
}

impl RetentionStart {
    /// The event as it reads on a record.
    pub fn event(self) -> String {
        match self {
            RetentionStart::LastSession => "the last session".to_owned(),
            RetentionStart::EndOfWork => "the end of the work".to_owned(),
            RetentionStart::RecordOpened => "the record was opened".to_owned(),
            RetentionStart::Age(n) => format!("the client's {n}th birthday"),
        }
    }
}

impl AppliedRule {
    /// How the rule reads on a record or a certificate.
    pub fn text(&self) -> String {
        let start = self.start.event();
        format!(
            "{}{} kept {} months after {start}{}",
            if self.default { "(default) " } else { "" },
            self.record,
            self.months,
            self.then
                .as_deref()
                .map(|t| format!(", then {t}"))
                .unwrap_or_default()
        )
    }
}

/// The rules a policy applies: its own, or the baseline's as defaults.
pub fn rules_of(policy: &LoadedPolicy) -> Result<Vec<AppliedRule>> {
    let (defs, default): (&[RetentionDef], bool) = if policy.policy.file.retention.is_empty() {
        (&policy.policy.baseline.retention, true)
    } else {
        (&policy.policy.file.retention, false)
    };
    if defs.is_empty() {
        return refuse("the policy and its baseline set no retention period");
    }
    defs.iter()
        .map(|d| {
            Ok(AppliedRule {
                record: d.record.clone(),
                months: d.months,
                start: RetentionStart::parse(d.from.as_deref())?,
                then: d.then.clone(),
                source: d.source.clone(),
                default,
            })
        })
        .collect()
}

/// Where a client's record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionState {
    /// The due date is on or before the date asked about.
    Due,
    NotDue,
    /// A rule's starting event has not happened (the work goes on).
    NotStarted,
    /// A rule cannot be computed (an age rule and no date of birth).
    Undetermined,
}

/// A client's retention position.
#[derive(Debug, Clone, Serialize)]
pub struct ClientRetention {
    pub client_id: ClientId,
    pub state: RetentionState,
    /// The date the record falls due (in the service's time zone).
    pub due: Option<String>,
    /// The rule that sets the due date (the latest of the rules).
    pub rule: Option<String>,
    /// The event that rule runs from and its date ("the last session,
    /// 2026-01-10").
    pub event: Option<String>,
    pub default_rule: bool,
    pub on_hold: bool,
    pub why: String,
}

/// What a sweep did (or, in a dry run, would do).
#[derive(Serialize)]
pub struct SweepReport {
    pub applied: bool,
    pub by: String,
    pub policy: String,
    pub policy_sha256: String,
    /// Due and destroyed (or to be destroyed).
    pub destroyed: Vec<ClientRetention>,
    /// Due but under a legal hold: skipped.
    pub held: Vec<ClientRetention>,
    /// Due but sharing notes with another party of a couple or group:
    /// skipped, because destroying them needs a recorded decision about the
    /// joint notes (`client destroy --shared-notes keep-redacted|destroy`);
    /// a sweep never takes that decision on anyone's behalf.
    pub shared_notes: Vec<ClientRetention>,
    pub certificates: Vec<DestructionReport>,
    /// Not yet due, not started or undetermined.
    pub kept: usize,
}

impl Service {
    async fn retention_of(
        &self,
        actor: &str,
        a: &ClientActivity,
        rules: &[AppliedRule],
        by: CivilDate,
    ) -> Result<ClientRetention> {
        let mut latest: Option<(CivilDate, &AppliedRule, CivilDate)> = None;
        let mut state = None;
        let mut why = String::new();
        let last = a.last_note_at.unwrap_or(a.created_at);
        for r in rules {
            let start = match r.start {
                RetentionStart::LastSession => Some(self.local_date(last)?),
                RetentionStart::RecordOpened => Some(self.local_date(a.created_at)?),
                RetentionStart::EndOfWork => {
                    if a.work_ended {
                        Some(self.local_date(last)?)
                    } else {
                        state.get_or_insert(RetentionState::NotStarted);
                        why = "the work has not ended".into();
                        None
                    }
                }
                RetentionStart::Age(n) => {
                    match self.store().get_client(actor, &a.id).await?.date_of_birth {
                        Some(dob) => Some(months(dob, n.saturating_mul(12))?),
                        None => {
                            state = Some(RetentionState::Undetermined);
                            why = "an age rule applies and the record has no date of birth".into();
                            None
                        }
                    }
                }
            };
            if let Some(start) = start {
                let due = months(start, r.months)?;
                if latest.is_none_or(|(d, _, _)| due > d) {
                    latest = Some((due, r, start));
                }
            }
        }
        let state = match (state, latest) {
            (Some(s), _) => s,
            (None, Some((due, _, _))) if due <= by => RetentionState::Due,
            (None, _) => RetentionState::NotDue,
        };
        if why.is_empty() {
            why = match state {
                RetentionState::Due => "the retention period has run".into(),
                _ => "the retention period has not run".into(),
            };
        }
        Ok(ClientRetention {
            client_id: a.id.clone(),
            state,
            due: latest.map(|(d, _, _)| d.to_string()),
            rule: latest.map(|(_, r, _)| r.text()),
            event: latest.map(|(_, r, start)| format!("{}, {start}", r.start.event())),
            // The rules are all the policy's own or all the baseline's.
            default_rule: rules.first().is_some_and(|r| r.default),
            on_hold: a.open_holds > 0,
            why,
        })
    }

    /// Every client's retention position on `by` (default today, in the
    /// service's time zone) under the policy's rules.
    pub async fn retention_due(
        &self,
        actor: &str,
        policy: &str,
        by: Option<CivilDate>,
    ) -> Result<Vec<ClientRetention>> {
        let policy = load_policy(policy)?;
        let rules = rules_of(&policy)?;
        let by = match by {
            Some(d) => d,
            None => self.local_today()?,
        };
        let mut out = Vec::new();
        for a in self.store().client_activity(actor).await? {
            out.push(self.retention_of(actor, &a, &rules, by).await?);
        }
        Ok(out)
    }

    /// One client's retention position today (shown on the record).
    pub async fn client_retention(
        &self,
        actor: &str,
        policy: &str,
        client: &ClientId,
    ) -> Result<ClientRetention> {
        let policy = load_policy(policy)?;
        let rules = rules_of(&policy)?;
        let today = self.local_today()?;
        let Some(a) = self
            .store()
            .client_activity(actor)
            .await?
            .into_iter()
            .find(|a| &a.id == client)
        else {
            return Err(StoreError::UnknownClient.into());
        };
        self.retention_of(actor, &a, &rules, today).await
    }

    /// The sweep. A dry run unless `apply`. With `only`, the sweep is
    /// limited to those clients and refused (nothing destroyed) if any of
    /// them is under a hold or not due. Each destruction is the store's own
    /// single transaction, so an interrupted sweep leaves every client
    /// either whole or destroyed.
    pub async fn retention_sweep(
        &self,
        actor: &str,
        policy_spec: &str,
        by: Option<CivilDate>,
        only: &[ClientId],
        apply: bool,
    ) -> Result<SweepReport> {
        let policy = load_policy(policy_spec)?;
        let by = match by {
            Some(d) => d,
            None => self.local_today()?,
        };
        if apply && by > self.local_today()? {
            return refuse(
                "--apply destroys what is due today; --by a later date is a dry run only",
            );
        }
        let mut all = self.retention_due(actor, policy_spec, Some(by)).await?;
        if !only.is_empty() {
            for c in only {
                let Some(r) = all.iter().find(|r| &r.client_id == c) else {
                    return Err(StoreError::UnknownClient.into());
                };
                if r.on_hold {
                    return refuse(format!(
                        "client {c} is under a legal hold: the sweep would destroy it; release \
                         the hold first (nothing was destroyed)"
                    ));
                }
                if r.state != RetentionState::Due {
                    return refuse(format!(
                        "client {c} is not due for destruction by {by} (nothing was destroyed)"
                    ));
                }
            }
            all.retain(|r| only.contains(&r.client_id));
        }
        let kept = all
            .iter()
            .filter(|r| r.state != RetentionState::Due)
            .count();
        let (held, due): (Vec<_>, Vec<_>) = all
            .into_iter()
            .filter(|r| r.state == RetentionState::Due)
            .partition(|r| r.on_hold);
        let mut report = SweepReport {
            applied: apply,
            by: by.to_string(),
            policy: policy.name.clone(),
            policy_sha256: policy.sha256.clone(),
            destroyed: Vec::new(),
            held,
            shared_notes: Vec::new(),
            certificates: Vec::new(),
            kept,
        };
        if !apply {
            report.destroyed = due;
        } else {
            let bar = crate::progress::bar(due.len() as u64, "retention sweep");
            for r in due {
                bar.inc(1);
                let reason = format!(
                    "retention: {} (policy {} sha256 {}), due {}",
                    r.rule.as_deref().unwrap_or("retention rule"),
                    policy.name,
                    policy.sha256,
                    r.due.as_deref().unwrap_or("-"),
                );
                match self
                    .store()
                    .destroy_client(actor, &r.client_id, &reason)
                    .await
                {
                    Ok(cert) => {
                        report.certificates.push(cert);
                        report.destroyed.push(r);
                        crash_after(report.destroyed.len());
                    }
                    // A hold placed since the listing: skipped, not forced.
                    Err(StoreError::LegalHold) => {
                        let mut r = r;
                        r.on_hold = true;
                        report.held.push(r);
                    }
                    Err(StoreError::SharedNotes { .. }) => report.shared_notes.push(r),
                    Err(e) => return Err(e.into()),
                }
            }
            bar.finish_and_clear();
        }
        let mut ids: Vec<String> = report
            .destroyed
            .iter()
            .chain(report.held.iter())
            .chain(report.shared_notes.iter())
            .map(|r| r.client_id.to_string())
            .collect();
        ids.truncate(1000);
        self.store()
            .record_event(actor, Action::RetentionSweep, ids)
            .await?;
        Ok(report)
    }
}

/// A test hook for the "interrupted sweep" guarantee: with
/// `CONFIDANT_FAULT=abort-after-destructions:N` the process aborts (no
/// unwinding, no flush, as a crash or SIGKILL would) right after the N-th
/// destruction of a sweep has committed. Nothing else reads the variable.
fn crash_after(destroyed: usize) {
    if let Ok(v) = std::env::var("CONFIDANT_FAULT")
        && let Some(n) = v.strip_prefix("abort-after-destructions:")
        && n.parse::<usize>().ok() == Some(destroyed)
    {
        std::process::abort();
    }
}

fn months(d: CivilDate, n: u32) -> Result<CivilDate> {
    calendar::add_months(d, i32::try_from(n).unwrap_or(i32::MAX))
        .map_err(|e| ServiceError::Refused(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_spellings_are_in_the_vocabulary() {
        assert_eq!(
            RetentionStart::parse(Some("the last session")).unwrap(),
            RetentionStart::LastSession
        );
        assert_eq!(
            RetentionStart::parse(Some("the end of the work")).unwrap(),
            RetentionStart::EndOfWork
        );
        assert_eq!(
            RetentionStart::parse(Some("age 25")).unwrap(),
            RetentionStart::Age(25)
        );
        assert_eq!(
            RetentionStart::parse(Some("age-25")).unwrap(),
            RetentionStart::Age(25)
        );
        assert_eq!(
            RetentionStart::parse(None).unwrap(),
            RetentionStart::EndOfWork
        );
        assert!(RetentionStart::parse(Some("whenever")).is_err());
        assert!(RetentionStart::parse(Some("age 0")).is_err());
    }

    #[test]
    fn every_builtin_policy_rule_reads() {
        for name in confidant_policy::Policy::builtin_names() {
            let p = load_policy(name).unwrap();
            let rules = rules_of(&p).unwrap();
            assert!(!rules.is_empty(), "{name}");
            assert_eq!(rules[0].default, p.policy.file.retention.is_empty());
        }
        let wwdd = rules_of(&load_policy("wwdd-coaching").unwrap()).unwrap();
        assert_eq!(wwdd[0].months, 36);
        assert_eq!(wwdd[0].start, RetentionStart::LastSession);
        assert!(!wwdd[0].text().contains("default"));
    }
}
