//! Subject access requests (UK GDPR Art. 12 and 15; DPA 2018; UKCP's
//! guidance). A SAR is a matter whose requester is the client (or someone
//! with recorded authority on their behalf) asking for all their personal
//! data; its dated events are `subject-access` steps on the matter, sealed
//! and signed like every other step, each one audited (`sar.step`) in the
//! same transaction.
//!
//! The clock (one month from receipt or identity confirmation, pauses for
//! clarification, an extension of one or two months only when notified in
//! the first month) is `confidant_core::sar_clock`; this module rebuilds it
//! from the stored steps before every step, checks the new step against it,
//! and appends the step only if the matter still has exactly the steps it
//! checked. Every date a person sees is a date in the service's time zone.
//!
//! No fee is charged by default (Art. 12(5)): a reasonable fee may be
//! asked only for a manifestly unfounded or excessive request or for
//! further copies, with its ground and a note recorded as a `fee-asked`
//! step; the clock pauses until the fee is paid (`fee-paid`), since the
//! ICO starts the time limit when the fee is received, and the response
//! states the fee and its ground. A refusal is possible only for a
//! manifestly unfounded or excessive request, with the reason recorded,
//! and its letter states
//! the right to complain to the ICO and to seek a judicial remedy. The
//! response package holds all the client's personal data: details, notes,
//! consents, the decisions about them (matters), the accounting of
//! disclosures and the access log; other people are redacted from the text
//! with the record's known identifiers unless they consented; material is
//! withheld under the serious-harm exemption only on a recorded opinion of
//! an appropriate health professional, with its date.

use crate::package::{DeliverTo, is_subject, known_for, seal_age, write_synced};
use crate::{Result, Service, ServiceError, non_empty, refuse, sha256_hex};

use confidant_core::calendar::ServiceCalendar;
use confidant_core::ids::{CaseId, ClientId, MatterId, NoteId};
use confidant_core::record::{CivilDate, Client, Timestamp};
use confidant_core::sar_clock::{
    ClarificationPause, ClockStatus, Extension, IdentityCheck, SubjectAccessClock,
};
use confidant_core::situation::{AsksFor, Requester};
use confidant_deid::{Mode, Span};
use confidant_store::{NewStep, StepKind, StoredMatter};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Whose authority a request made on the client's behalf rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Authority {
    /// A parent (or other holder of parental responsibility) for a child.
    ParentalResponsibility,
    /// A lasting or enduring power of attorney.
    Attorney,
    /// A deputy appointed by the Court of Protection.
    Deputy,
    /// The client's written authorisation (e.g. to a solicitor).
    WrittenAuthorisation,
}

impl std::str::FromStr for Authority {
    type Err = ServiceError;
    fn from_str(s: &str) -> Result<Authority> {
        Ok(match s {
            "parental-responsibility" => Authority::ParentalResponsibility,
            "attorney" => Authority::Attorney,
            "deputy" => Authority::Deputy,
            "written-authorisation" => Authority::WrittenAuthorisation,
            _ => {
                return refuse(
                    "unknown authority (expected parental-responsibility, attorney, deputy or \
                     written-authorisation)",
                );
            }
        })
    }
}

/// A request made on the client's behalf.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnBehalf {
    /// Who is asking, as they gave it (sealed).
    pub requester: String,
    pub authority: Authority,
    /// The evidence of that authority seen (sealed), e.g. "LPA registered
    /// 2024, copy on file".
    pub evidence: String,
    /// For a competent child: the child's own view of the request (the
    /// ICO: a child who understands their rights decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_view: Option<String>,
    /// For a child judged not competent to decide: why (sealed). A
    /// request under parental responsibility records either the child's
    /// view or this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_not_competent: Option<String>,
}

impl OnBehalf {
    /// The rules on whose behalf a request can be made, checked against
    /// the client's age on the day the request was received (when the
    /// record has a date of birth).
    fn check(&self, age: Option<u32>) -> Result<()> {
        non_empty("--requester", &self.requester)?;
        non_empty("--evidence", &self.evidence)?;
        for v in [&self.child_view, &self.child_not_competent]
            .into_iter()
            .flatten()
        {
            non_empty("--child-view / --child-not-competent", v)?;
        }
        if self.authority != Authority::ParentalResponsibility {
            if self.child_view.is_some() || self.child_not_competent.is_some() {
                return refuse(
                    "--child-view and --child-not-competent are for a request made for a child \
                     under parental responsibility",
                );
            }
            return Ok(());
        }
        if age.is_some_and(|a| a >= 18) {
            return refuse(
                "parental responsibility ends at 18: the client is an adult on the date received \
                 (an attorney, a deputy or the client's written authorisation is needed)",
            );
        }
        match (&self.child_view, &self.child_not_competent) {
            (Some(_), Some(_)) => refuse(
                "give the child's view (a competent child) or why the child is not competent \
                 to decide, not both",
            ),
            (None, None) => refuse(
                "a request under parental responsibility records the child's own view \
                 (--child-view, where the child is competent to understand their rights) or why \
                 they are not competent to decide (--child-not-competent)",
            ),
            _ => Ok(()),
        }
    }
}

/// A SAR to open.
#[derive(Clone)]
pub struct OpenSar {
    pub client_id: ClientId,
    /// When it arrived (stored UTC; the receipt date is its date in the
    /// service's time zone).
    pub received_at: Timestamp,
    /// Whether the requester's identity must be confirmed before the clock
    /// starts.
    pub identity_check: bool,
    pub on_behalf: Option<OnBehalf>,
    /// The request's own words (any wording is a SAR), sealed.
    pub wording: Option<String>,
    /// The policy in force (a built-in name or a file).
    pub policy: String,
}

/// The grounds on which a request may be refused (Art. 12(5)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusalGrounds {
    ManifestlyUnfounded,
    ManifestlyExcessive,
}

impl std::str::FromStr for RefusalGrounds {
    type Err = ServiceError;
    fn from_str(s: &str) -> Result<RefusalGrounds> {
        match s {
            "manifestly-unfounded" => Ok(RefusalGrounds::ManifestlyUnfounded),
            "manifestly-excessive" => Ok(RefusalGrounds::ManifestlyExcessive),
            _ => refuse(
                "a request can be refused only as manifestly-unfounded or manifestly-excessive",
            ),
        }
    }
}

/// The grounds on which a reasonable fee may be charged (UK GDPR Art.
/// 12(5) and 15(3); ICO guidance). There is no fee otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeeGrounds {
    ManifestlyUnfounded,
    ManifestlyExcessive,
    FurtherCopies,
}

impl FeeGrounds {
    fn words(self) -> &'static str {
        match self {
            FeeGrounds::ManifestlyUnfounded => "the request is manifestly unfounded",
            FeeGrounds::ManifestlyExcessive => "the request is manifestly excessive",
            FeeGrounds::FurtherCopies => "further copies were requested",
        }
    }
}

impl std::str::FromStr for FeeGrounds {
    type Err = ServiceError;
    fn from_str(s: &str) -> Result<FeeGrounds> {
        match s {
            "manifestly-unfounded" => Ok(FeeGrounds::ManifestlyUnfounded),
            "manifestly-excessive" => Ok(FeeGrounds::ManifestlyExcessive),
            "further-copies" => Ok(FeeGrounds::FurtherCopies),
            _ => refuse(
                "no fee is charged for a subject access request unless it is \
                 manifestly-unfounded or manifestly-excessive, or for further-copies \
                 (--reason)",
            ),
        }
    }
}

/// A fee asked, with its payment if made (shown by `sar show`).
#[derive(Clone, Serialize)]
pub struct FeeView {
    pub asked_on: String,
    pub amount_pence: u64,
    pub grounds: FeeGrounds,
    pub note: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_on: Option<String>,
}

/// "£12.50" from 1250.
fn pounds(pence: u64) -> String {
    format!("£{}.{:02}", pence / 100, pence % 100)
}

/// What the response says about fees.
fn fee_statement(fees: &[FeeView]) -> String {
    if fees.is_empty() {
        return "none (UK GDPR Art. 12(5))".into();
    }
    fees.iter()
        .map(|f| {
            let paid = f
                .paid_on
                .as_deref()
                .map_or(String::new(), |d| format!(", paid on {d}"));
            format!(
                "a reasonable fee of {} was charged because {} (UK GDPR Article 12(5)){paid}",
                pounds(f.amount_pence),
                f.grounds.words()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// An item withheld under the serious-harm exemption (DPA 2018 Sch. 3
/// Part 2 para 5), on a health professional's opinion.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withheld {
    pub note_id: NoteId,
    /// The appropriate health professional consulted (sealed).
    pub professional: String,
    pub opinion_date: String,
}

/// What `sar respond` is given.
pub struct Respond {
    pub on: Option<CivilDate>,
    /// Other people on the record who consented to their information going
    /// to the requester: their names are kept.
    pub consenting_third_parties: Vec<ClientId>,
    pub withheld: Vec<Withheld>,
    pub to: DeliverTo,
    /// The directory the sealed package is written to.
    pub out_dir: PathBuf,
}

/// One dated event of a SAR (the body of a `subject-access` step).
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case", deny_unknown_fields)]
enum SarEvent {
    Opened {
        received: String,
        identity_check: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_behalf: Option<OnBehalf>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wording: Option<String>,
    },
    IdentityConfirmed {
        on: String,
    },
    Paused {
        on: String,
        asked: String,
    },
    Resumed {
        on: String,
    },
    FeeAsked {
        on: String,
        amount_pence: u64,
        grounds: FeeGrounds,
        note: String,
    },
    FeePaid {
        on: String,
    },
    Extended {
        notice_sent: String,
        further_months: u8,
        reasons: String,
    },
    Refused {
        on: String,
        grounds: RefusalGrounds,
        reason: String,
        letter: String,
    },
    Responded {
        on: String,
        package_sha256: String,
        file: String,
        notes: usize,
        consents: usize,
        decisions: usize,
        disclosures: usize,
        access_entries: usize,
        redactions: usize,
        withheld: Vec<Withheld>,
    },
}

/// A SAR as shown by `sar show` and listed by `sar list`.
#[derive(Clone, Serialize)]
pub struct SarView {
    pub id: MatterId,
    pub client_id: ClientId,
    pub received: String,
    pub identity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf: Option<OnBehalf>,
    pub clock: ClockStatus,
    /// open, responded or refused.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_reasons: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
    /// Fees asked (none by default), each with its ground and payment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fees: Vec<FeeView>,
    pub time_zone: String,
}

/// Which SARs `sar list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SarFilter {
    All,
    /// Open requests still awaiting a response.
    Due,
    Overdue,
}

fn date(s: &str) -> Result<CivilDate> {
    Ok(CivilDate::parse(s, "date")?)
}

fn corrupt() -> ServiceError {
    ServiceError::Store(confidant_store::StoreError::Corrupt {
        what: "subject access step",
    })
}

fn clock_err(e: confidant_core::sar_clock::SarClockError) -> ServiceError {
    ServiceError::Refused(e.to_string())
}

/// A SAR rebuilt from its matter.
struct SarState {
    stored: StoredMatter,
    received: CivilDate,
    on_behalf: Option<OnBehalf>,
    clock: SubjectAccessClock,
    extension_reasons: Option<String>,
    fees: Vec<FeeView>,
    /// The clock's open pause is for a fee (not a clarification).
    fee_pending: bool,
    finished: Option<SarEvent>,
}

impl SarState {
    fn from_stored(stored: StoredMatter, calendar: &ServiceCalendar) -> Result<SarState> {
        let mut events = stored
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::SubjectAccess)
            .map(|s| serde_json::from_value::<SarEvent>(s.body.clone()).map_err(|_| corrupt()));
        let Some(first) = events.next() else {
            return refuse("that matter is not a subject access request");
        };
        let SarEvent::Opened {
            received,
            identity_check,
            on_behalf,
            ..
        } = first?
        else {
            return Err(corrupt());
        };
        let received = date(&received)?;
        let mut identity = if identity_check {
            IdentityCheck::Pending
        } else {
            IdentityCheck::NotNeeded
        };
        let mut pauses = Vec::new();
        let mut extension = None;
        let mut extension_reasons = None;
        let mut finished = None;
        let mut fees: Vec<FeeView> = Vec::new();
        let mut fee_pending = false;
        for e in events {
            match e? {
                SarEvent::IdentityConfirmed { on } => {
                    identity = IdentityCheck::Confirmed(date(&on)?);
                }
                SarEvent::Paused { on, .. } => pauses.push(ClarificationPause {
                    asked: date(&on)?,
                    answered: None,
                }),
                SarEvent::Resumed { on } => {
                    if fee_pending {
                        return Err(corrupt());
                    }
                    let p: &mut ClarificationPause = pauses.last_mut().ok_or_else(corrupt)?;
                    p.answered = Some(date(&on)?);
                }
                // A fee pauses the clock as a clarification does: the time
                // limit runs from the day the fee is received.
                SarEvent::FeeAsked {
                    on,
                    amount_pence,
                    grounds,
                    note,
                } => {
                    pauses.push(ClarificationPause {
                        asked: date(&on)?,
                        answered: None,
                    });
                    fees.push(FeeView {
                        asked_on: on,
                        amount_pence,
                        grounds,
                        note,
                        paid_on: None,
                    });
                    fee_pending = true;
                }
                SarEvent::FeePaid { on } => {
                    let (Some(p), Some(f), true) =
                        (pauses.last_mut(), fees.last_mut(), fee_pending)
                    else {
                        return Err(corrupt());
                    };
                    p.answered = Some(date(&on)?);
                    f.paid_on = Some(on);
                    fee_pending = false;
                }
                SarEvent::Extended {
                    notice_sent,
                    further_months,
                    reasons,
                } => {
                    extension = Some(Extension {
                        notice_sent: date(&notice_sent)?,
                        further_months,
                    });
                    extension_reasons = Some(reasons);
                }
                ev @ (SarEvent::Refused { .. } | SarEvent::Responded { .. }) => {
                    finished = Some(ev);
                }
                SarEvent::Opened { .. } => return Err(corrupt()),
            }
        }
        // Replayed with the operations' own checks: a stored SAR cannot
        // hold a state the operations would have refused.
        let clock =
            SubjectAccessClock::from_events(received, identity, &pauses, extension, calendar)
                .map_err(|_| corrupt())?;
        Ok(SarState {
            stored,
            received,
            on_behalf,
            clock,
            extension_reasons,
            fees,
            fee_pending,
            finished,
        })
    }

    fn open(&self) -> Result<()> {
        if self.finished.is_some() || self.stored.closed_at.is_some() {
            return refuse("that subject access request has already been answered or refused");
        }
        Ok(())
    }
}

/// What the response tells the requester when anything is withheld (Art.
/// 12(4) and 15; DPA 2018 Sch. 3 Part 2).
const WITHHELD: &str = "Some information has been withheld because, in the opinion of an \
     appropriate health professional, giving it to you would be likely to cause serious harm \
     to your physical or mental health or that of another person (Data Protection Act 2018, \
     Schedule 3 Part 2). Each item withheld is listed under \"withheld\".";

/// The rights every response states.
const RIGHTS: &str = "If you are unhappy with this response you have the right to complain to \
     the Information Commissioner's Office (ico.org.uk/make-a-complaint, 0303 123 1113), and \
     the right to seek to enforce your right of access through a judicial remedy (the courts).";

/// The refusal letter: the grounds, the reason, and the requester's rights
/// (Art. 12(4): to complain to a supervisory authority and to seek a
/// judicial remedy).
fn refusal_letter(grounds: RefusalGrounds, reason: &str, on: CivilDate) -> String {
    let g = match grounds {
        RefusalGrounds::ManifestlyUnfounded => "manifestly unfounded",
        RefusalGrounds::ManifestlyExcessive => "manifestly excessive",
    };
    format!(
        "{on}\n\nWe are not complying with your subject access request because we consider it \
         {g} (UK GDPR Article 12(5)). Our reasons: {reason}\n\nYou have the right to complain \
         to the Information Commissioner's Office (ico.org.uk/make-a-complaint, 0303 123 1113), \
         and you have the right to seek to enforce your right of access through a judicial \
         remedy (the courts)."
    )
}

impl Service {
    fn today_or(&self, on: Option<CivilDate>) -> Result<CivilDate> {
        match on {
            Some(d) => Ok(d),
            None => self.local_today(),
        }
    }

    async fn sar_state(&self, actor: &str, id: &MatterId) -> Result<SarState> {
        let stored = self.store().get_matter(actor, id).await?;
        SarState::from_stored(stored, self.calendar())
    }

    async fn append_sar(&self, actor: &str, st: &SarState, ev: &SarEvent) -> Result<()> {
        let body = serde_json::to_value(ev).map_err(|_| corrupt())?;
        self.store()
            .append_matter_step(
                actor,
                &st.stored.id,
                st.stored.steps.len(),
                &NewStep {
                    kind: StepKind::SubjectAccess,
                    body,
                    disclosure: None,
                },
            )
            .await?;
        Ok(())
    }

    async fn close_sar(&self, actor: &str, id: &MatterId) -> Result<()> {
        let stored = self.store().get_matter(actor, id).await?;
        self.store()
            .append_matter_step(
                actor,
                id,
                stored.steps.len(),
                &NewStep {
                    kind: StepKind::Closed,
                    body: serde_json::json!({ "by": "subject-access" }),
                    disclosure: None,
                },
            )
            .await?;
        Ok(())
    }

    /// Opens a SAR: a matter (requester the client, asking for all personal
    /// data) and its first step with the receipt date in the service's zone.
    pub async fn open_sar(&self, actor: &str, req: &OpenSar) -> Result<MatterId> {
        if let Some(w) = &req.wording {
            non_empty("--wording", w)?;
        }
        // The client must exist before anything is written.
        let client = self.store().get_client(actor, &req.client_id).await?;
        let received = self.local_date(req.received_at)?;
        if let Some(b) = &req.on_behalf {
            b.check(client.date_of_birth.map(|dob| crate::age_on(dob, received)))?;
        }
        let id = self
            .open_matter(
                actor,
                &crate::OpenMatter {
                    client_id: req.client_id.clone(),
                    case_id: None::<CaseId>,
                    policy: req.policy.clone(),
                    subject: crate::MatterSubject::Request {
                        from: Requester::Client,
                        asks_for: AsksFor::AllPersonalData,
                        requester: req.on_behalf.as_ref().map(|b| b.requester.clone()),
                        court_order: false,
                        authority_reference: None,
                        statutory_basis: None,
                    },
                    arrived_at: Some(req.received_at),
                    summary: Some("subject access request".into()),
                },
            )
            .await?;
        let body = serde_json::to_value(SarEvent::Opened {
            received: received.to_string(),
            identity_check: req.identity_check,
            on_behalf: req.on_behalf.clone(),
            wording: req.wording.clone(),
        })
        .map_err(|_| corrupt())?;
        self.store()
            .append_matter_step(
                actor,
                &id,
                0,
                &NewStep {
                    kind: StepKind::SubjectAccess,
                    body,
                    disclosure: None,
                },
            )
            .await?;
        Ok(id)
    }

    pub async fn confirm_sar_identity(
        &self,
        actor: &str,
        id: &MatterId,
        on: Option<CivilDate>,
    ) -> Result<()> {
        let st = self.sar_state(actor, id).await?;
        st.open()?;
        let on = self.today_or(on)?;
        st.clock.clone().confirm_identity(on).map_err(clock_err)?;
        self.append_sar(
            actor,
            &st,
            &SarEvent::IdentityConfirmed { on: on.to_string() },
        )
        .await
    }

    pub async fn pause_sar(
        &self,
        actor: &str,
        id: &MatterId,
        on: Option<CivilDate>,
        asked: &str,
    ) -> Result<()> {
        non_empty("--asked", asked)?;
        let st = self.sar_state(actor, id).await?;
        st.open()?;
        let on = self.today_or(on)?;
        st.clock
            .clone()
            .pause(on, self.calendar())
            .map_err(clock_err)?;
        self.append_sar(
            actor,
            &st,
            &SarEvent::Paused {
                on: on.to_string(),
                asked: asked.to_owned(),
            },
        )
        .await
    }

    pub async fn resume_sar(
        &self,
        actor: &str,
        id: &MatterId,
        on: Option<CivilDate>,
    ) -> Result<()> {
        let st = self.sar_state(actor, id).await?;
        st.open()?;
        if st.fee_pending {
            return refuse(
                "the clock is paused until the fee is paid: record the payment with \
                 `sar fee-paid`",
            );
        }
        let on = self.today_or(on)?;
        st.clock.clone().resume(on).map_err(clock_err)?;
        self.append_sar(actor, &st, &SarEvent::Resumed { on: on.to_string() })
            .await
    }

    /// Asks a reasonable fee (Art. 12(5)): only on one of the grounds, with
    /// an amount and a note of why, on an open request whose clock is
    /// running. The clock pauses until [`Service::sar_fee_paid`].
    pub async fn sar_fee(
        &self,
        actor: &str,
        id: &MatterId,
        on: Option<CivilDate>,
        amount_pence: u64,
        grounds: FeeGrounds,
        note: &str,
    ) -> Result<()> {
        non_empty("--note", note)?;
        if amount_pence == 0 {
            return refuse("--amount-pence must be more than 0 (no fee is the default)");
        }
        let st = self.sar_state(actor, id).await?;
        st.open()?;
        if st.fee_pending {
            return refuse("a fee already asked on this request is not yet paid");
        }
        let on = self.today_or(on)?;
        st.clock
            .clone()
            .pause(on, self.calendar())
            .map_err(clock_err)?;
        self.append_sar(
            actor,
            &st,
            &SarEvent::FeeAsked {
                on: on.to_string(),
                amount_pence,
                grounds,
                note: note.trim().to_owned(),
            },
        )
        .await
    }

    /// Records that the fee asked was paid; the clock runs again from that
    /// day.
    pub async fn sar_fee_paid(
        &self,
        actor: &str,
        id: &MatterId,
        on: Option<CivilDate>,
    ) -> Result<()> {
        let st = self.sar_state(actor, id).await?;
        st.open()?;
        if !st.fee_pending {
            return refuse("no fee is awaiting payment on this request");
        }
        let on = self.today_or(on)?;
        self.not_after_today(on)?;
        st.clock.clone().resume(on).map_err(clock_err)?;
        self.append_sar(actor, &st, &SarEvent::FeePaid { on: on.to_string() })
            .await
    }

    fn not_after_today(&self, on: CivilDate) -> Result<()> {
        if on > self.local_today()? {
            return refuse("--on is in the future");
        }
        Ok(())
    }

    /// Extends the time limit; refused unless the notice (with reasons) is
    /// sent within the first month.
    pub async fn extend_sar(
        &self,
        actor: &str,
        id: &MatterId,
        notice_sent: Option<CivilDate>,
        further_months: u8,
        reasons: &str,
    ) -> Result<()> {
        let st = self.sar_state(actor, id).await?;
        st.open()?;
        let on = self.today_or(notice_sent)?;
        st.clock
            .clone()
            .extend(
                on,
                further_months,
                !reasons.trim().is_empty(),
                self.calendar(),
            )
            .map_err(clock_err)?;
        self.append_sar(
            actor,
            &st,
            &SarEvent::Extended {
                notice_sent: on.to_string(),
                further_months,
                reasons: reasons.to_owned(),
            },
        )
        .await
    }

    /// Refuses a manifestly unfounded or excessive request; returns the
    /// letter. The SAR's matter is closed.
    pub async fn refuse_sar(
        &self,
        actor: &str,
        id: &MatterId,
        on: Option<CivilDate>,
        grounds: RefusalGrounds,
        reason: &str,
    ) -> Result<String> {
        non_empty("--reason", reason)?;
        let st = self.sar_state(actor, id).await?;
        st.open()?;
        let on = self.today_or(on)?;
        if on < st.received {
            return refuse("the refusal date is before the request was received");
        }
        let letter = refusal_letter(grounds, reason.trim(), on);
        self.append_sar(
            actor,
            &st,
            &SarEvent::Refused {
                on: on.to_string(),
                grounds,
                reason: reason.to_owned(),
                letter: letter.clone(),
            },
        )
        .await?;
        self.close_sar(actor, id).await?;
        Ok(letter)
    }

    /// Builds the complete response package, seals it with `age` into
    /// `out_dir`, records the response and closes the SAR. Returns the
    /// file written.
    pub async fn respond_sar(&self, actor: &str, id: &MatterId, r: &Respond) -> Result<PathBuf> {
        let st = self.sar_state(actor, id).await?;
        st.open()?;
        if st.fee_pending {
            return refuse(
                "a fee asked on this request is not yet paid: the response waits until it is \
                 (record the payment with `sar fee-paid`); nothing was written",
            );
        }
        st.clock.check_can_respond().map_err(clock_err)?;
        let on = self.today_or(r.on)?;
        if let Some(started) = st.clock.started()
            && on < started
        {
            return refuse("the response date is before the clock started");
        }
        for w in &r.withheld {
            non_empty("--health-professional", &w.professional)?;
            let opinion = date(&w.opinion_date).map_err(|_| {
                ServiceError::Refused(
                    "withholding under the serious-harm exemption needs the appropriate health \
                     professional's opinion and its date (YYYY-MM-DD)"
                        .into(),
                )
            })?;
            if opinion > on {
                return refuse("the health professional's opinion is dated after the response");
            }
            // DPA 2018 Sch. 3 Part 2 para 2(2): the opinion must have been
            // obtained within the six months before the response.
            let oldest = confidant_core::calendar::add_months(on, -6)
                .map_err(|e| ServiceError::Refused(e.to_string()))?;
            if opinion < oldest {
                return refuse(
                    "the health professional's opinion is more than six months old: obtain a \
                     current one (DPA 2018 Sch. 3 Part 2)",
                );
            }
        }
        let (doc, counts) = self.sar_package(actor, &st, r).await?;
        let plain = serde_json::to_vec_pretty(&doc).map_err(|_| corrupt())?;
        let sha = sha256_hex(&plain);
        let sealed = seal_age(&r.to, &plain)?;
        let name = format!("{}.sar.json.age", st.stored.id);
        let final_path = r.out_dir.join(&name);
        if final_path.exists() {
            return refuse("the response file already exists in --out");
        }
        let partial = r.out_dir.join(format!("{name}.partial"));
        write_synced(&partial, &sealed)?;
        let step = SarEvent::Responded {
            on: on.to_string(),
            package_sha256: sha,
            file: name,
            notes: counts.notes,
            consents: counts.consents,
            decisions: counts.decisions,
            disclosures: counts.disclosures,
            access_entries: counts.access,
            redactions: counts.redactions,
            withheld: r.withheld.clone(),
        };
        // As for packages: the step commits first, then the file gets its
        // final name, so a crash never leaves a response file that the
        // record does not show.
        if let Err(e) = self.append_sar(actor, &st, &step).await {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        std::fs::rename(&partial, &final_path)
            .map_err(|e| ServiceError::Io(e.kind().to_string()))?;
        self.close_sar(actor, id).await?;
        Ok(final_path)
    }

    async fn sar_package(
        &self,
        actor: &str,
        st: &SarState,
        r: &Respond,
    ) -> Result<(serde_json::Value, Counts)> {
        let store = self.store();
        let client_id = &st.stored.client_id;
        let subject: Client = store.get_client(actor, client_id).await?;
        let notes = store.list_notes(actor, client_id).await?;
        let consents = store.list_consents(actor, client_id).await?;
        let matters = self.list(actor, client_id).await?;
        let disclosures = store.list_disclosures(actor, client_id).await?;
        let access = store.access_log(actor, client_id).await?;

        let withheld: BTreeSet<&str> = r.withheld.iter().map(|w| w.note_id.as_str()).collect();
        let known_notes: BTreeSet<&str> = notes.iter().map(|n| n.id.as_str()).collect();
        if let Some(w) = withheld.iter().find(|w| !known_notes.contains(**w)) {
            return refuse(format!("note {w} is not one of this client's notes"));
        }
        // The other people on the record: every party of the client's
        // cases and every other party a note is attributed to.
        let mut case_ids: BTreeSet<CaseId> = BTreeSet::new();
        let mut other_ids: BTreeSet<ClientId> = BTreeSet::new();
        for n in &notes {
            if let Some(c) = &n.case_id {
                case_ids.insert(c.clone());
            }
            other_ids.extend(n.parties.iter().filter(|p| *p != client_id).cloned());
        }
        for c in consents.iter().filter_map(|c| c.case_id.clone()) {
            case_ids.insert(c);
        }
        for c in &case_ids {
            let case = store.get_case(actor, c).await?;
            other_ids.extend(case.parties.into_iter().filter(|p| p != client_id));
        }
        for c in &r.consenting_third_parties {
            if !other_ids.contains(c) {
                return refuse(format!(
                    "client {c} is not another party on this record (--third-party-consented)"
                ));
            }
        }
        let mut others = Vec::new();
        let mut consenting = Vec::new();
        for o in &other_ids {
            let c = store.get_client(actor, o).await?;
            if r.consenting_third_parties.contains(o) {
                consenting.push(c.clone());
            }
            others.push(c);
        }
        let known = known_for(&subject, &others);
        let progress = crate::progress::bar(notes.len() as u64, "SAR package");
        let mut redactions = 0usize;
        let mut out_notes = Vec::with_capacity(notes.len());
        for n in &notes {
            progress.inc(1);
            if withheld.contains(n.id.as_str()) {
                out_notes.push(serde_json::json!({
                    "id": n.id, "case_id": n.case_id, "written": n.created_at.to_string(),
                    "withheld": "serious-harm exemption (DPA 2018 Sch. 3 Part 2), on the opinion of an appropriate health professional",
                }));
                continue;
            }
            let (text, n_removed) = redact_others(&n.text, &known, &subject, &consenting);
            redactions += n_removed;
            out_notes.push(serde_json::json!({
                "id": n.id, "case_id": n.case_id, "written": n.created_at.to_string(),
                "text": text,
            }));
        }
        progress.finish_and_clear();
        // The decisions (matters) are the client's data too, but their
        // steps can name other people (whom a practitioner consulted, a
        // package's removed spans with their original text, the package's
        // HTML): the originals and the HTML are dropped (the items a
        // package held are listed by id and reason, and are in this
        // response themselves), and every other free text goes through the
        // same redaction as the notes.
        let mut matters = serde_json::to_value(&matters).map_err(|_| corrupt())?;
        redact_value(&mut matters, &known, &subject, &consenting, &mut redactions);
        let mut by_action: BTreeMap<String, usize> = BTreeMap::new();
        let access_rows: Vec<serde_json::Value> = access
            .iter()
            .map(|e| {
                *by_action.entry(e.action.to_string()).or_default() += 1;
                serde_json::json!({
                    "at": e.at.to_string(), "who": e.actor, "what": e.action.as_str(),
                })
            })
            .collect();
        let counts = Counts {
            notes: notes.len(),
            consents: consents.len(),
            decisions: matters.as_array().map_or(0, Vec::len),
            disclosures: disclosures.len(),
            access: access.len(),
            redactions,
        };
        let doc = serde_json::json!({
            "subject_access_response": {
                "request": st.stored.id,
                "received": st.received.to_string(),
                "time_zone": self.calendar().zone_name(),
                "fee": fee_statement(&st.fees),
                "note_on_redaction": "Information about other people has been removed unless they consented; each removal is shown by its type in brackets.",
            },
            "details": subject,
            "notes": out_notes,
            "consents": consents,
            "decisions": matters,
            "disclosures": disclosures.iter().map(|d| serde_json::json!({
                "id": d.id, "at": d.at.to_string(), "matter": d.matter_id,
                "package": d.package_id, "what_to_whom": d.body,
            })).collect::<Vec<_>>(),
            "access_log": access_rows,
            "access_log_by_action": by_action,
            "withheld": r.withheld.iter().map(|w| serde_json::json!({
                "note_id": w.note_id, "exemption": "serious harm", "opinion_date": w.opinion_date,
            })).collect::<Vec<_>>(),
            "your_rights": if r.withheld.is_empty() {
                RIGHTS.to_owned()
            } else {
                format!("{WITHHELD} {RIGHTS}")
            },
        });
        Ok((doc, counts))
    }

    /// A SAR's page.
    pub async fn show_sar(&self, actor: &str, id: &MatterId) -> Result<SarView> {
        let st = self.sar_state(actor, id).await?;
        self.sar_view(st)
    }

    fn sar_view(&self, st: SarState) -> Result<SarView> {
        let today = self.local_today()?;
        let clock = st.clock.status(today, self.calendar()).map_err(clock_err)?;
        let (outcome, refusal, response) = match &st.finished {
            None => ("open", None, None),
            Some(ev @ SarEvent::Refused { .. }) => ("refused", serde_json::to_value(ev).ok(), None),
            Some(ev) => ("responded", None, serde_json::to_value(ev).ok()),
        };
        let mut clock = clock;
        if outcome != "open" {
            // A finished request is no longer counting down.
            clock.overdue = false;
        }
        Ok(SarView {
            id: st.stored.id.clone(),
            client_id: st.stored.client_id.clone(),
            received: st.received.to_string(),
            identity: match st.clock.identity() {
                IdentityCheck::NotNeeded => "not needed".into(),
                IdentityCheck::Pending => "to be confirmed".into(),
                IdentityCheck::Confirmed(d) => format!("confirmed {d}"),
            },
            on_behalf: st.on_behalf.clone(),
            clock,
            outcome: outcome.into(),
            extension_reasons: st.extension_reasons.clone(),
            refusal,
            response,
            fees: st.fees.clone(),
            time_zone: self.calendar().zone_name().to_owned(),
        })
    }

    /// Every SAR in the store (or one client's), overdue first, then by
    /// days left.
    pub async fn list_sars(
        &self,
        actor: &str,
        client: Option<&ClientId>,
        filter: SarFilter,
    ) -> Result<Vec<SarView>> {
        let clients: Vec<ClientId> = match client {
            Some(c) => vec![c.clone()],
            None => self
                .store()
                .client_activity(actor)
                .await?
                .into_iter()
                .map(|a| a.id)
                .collect(),
        };
        let mut out = Vec::new();
        for c in &clients {
            for m in self.store().list_matters(actor, c).await? {
                if !m.steps.iter().any(|s| s.kind == StepKind::SubjectAccess) {
                    continue;
                }
                let v = self.sar_view(SarState::from_stored(m, self.calendar())?)?;
                let keep = match filter {
                    SarFilter::All => true,
                    SarFilter::Due => v.outcome == "open",
                    SarFilter::Overdue => v.outcome == "open" && v.clock.overdue,
                };
                if keep {
                    out.push(v);
                }
            }
        }
        out.sort_by_key(|v| {
            (
                v.outcome != "open",
                !v.clock.overdue,
                v.clock.days_left.unwrap_or(i64::MAX),
            )
        });
        Ok(out)
    }

    /// The client's access log (who, when, what), audited.
    pub async fn access_log(
        &self,
        actor: &str,
        client: &ClientId,
    ) -> Result<Vec<confidant_store::AccessEntry>> {
        Ok(self.store().access_log(actor, client).await?)
    }
}

/// `text` with every identifier that is not the subject's own (or a
/// consenting party's) replaced by its type tag; and how many went.
fn redact_others(
    text: &str,
    known: &confidant_deid::Known,
    subject: &Client,
    consenting: &[Client],
) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let drop: Vec<Span> = confidant_deid::detect(text, Some(known))
        .into_iter()
        .filter(|s| {
            let t: String = chars[s.start..s.end.min(chars.len())].iter().collect();
            !is_subject(s.kind, &t, subject)
                && !consenting.iter().any(|c| is_subject(s.kind, &t, c))
        })
        .collect();
    (confidant_deid::redact(text, &drop, Mode::Tags), drop.len())
}

/// Redacts every free-text string in `v` (a string with a space in it:
/// ids, hashes, dates and codes are left alone) and drops the keys that
/// hold other people's text verbatim (`original`, `html`).
fn redact_value(
    v: &mut serde_json::Value,
    known: &confidant_deid::Known,
    subject: &Client,
    consenting: &[Client],
    count: &mut usize,
) {
    match v {
        serde_json::Value::Object(map) => {
            map.remove("original");
            map.remove("html");
            for (_, x) in map.iter_mut() {
                redact_value(x, known, subject, consenting, count);
            }
        }
        serde_json::Value::Array(xs) => {
            for x in xs {
                redact_value(x, known, subject, consenting, count);
            }
        }
        serde_json::Value::String(s) if s.contains(char::is_whitespace) => {
            let (t, n) = redact_others(s, known, subject, consenting);
            *count += n;
            *s = t;
        }
        _ => {}
    }
}

struct Counts {
    notes: usize,
    consents: usize,
    decisions: usize,
    disclosures: usize,
    access: usize,
    redactions: usize,
}

/// Used by the CLI to check an `--out` directory before anything is
/// written.
pub fn check_out_dir(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return refuse("--out must be an existing directory");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_letter_states_both_rights() {
        let l = refusal_letter(
            RefusalGrounds::ManifestlyExcessive,
            "the fifth identical request this month",
            CivilDate::new(2026, 3, 2).unwrap(),
        );
        assert!(l.contains("manifestly excessive"));
        assert!(l.contains("Information Commissioner"));
        assert!(l.contains("judicial remedy"));
        assert!(l.contains("fifth identical request"));
    }

    #[test]
    fn a_fee_needs_one_of_its_grounds_and_the_response_states_it() {
        assert!("further-copies".parse::<FeeGrounds>().is_ok());
        assert!("admin-costs".parse::<FeeGrounds>().is_err());
        assert!("".parse::<FeeGrounds>().is_err());
        assert_eq!(fee_statement(&[]), "none (UK GDPR Art. 12(5))");
        let s = fee_statement(&[FeeView {
            asked_on: "2026-03-02".into(),
            amount_pence: 1250,
            grounds: FeeGrounds::ManifestlyExcessive,
            note: "n".into(),
            paid_on: Some("2026-03-05".into()),
        }]);
        assert!(s.contains("£12.50"), "{s}");
        assert!(s.contains("manifestly excessive"), "{s}");
        assert!(s.contains("paid on 2026-03-05"), "{s}");
    }

    #[test]
    fn only_the_two_grounds_refuse() {
        assert!("manifestly-unfounded".parse::<RefusalGrounds>().is_ok());
        assert!("too-much-work".parse::<RefusalGrounds>().is_err());
        assert!("attorney".parse::<Authority>().is_ok());
        assert!("friend".parse::<Authority>().is_err());
    }
}
