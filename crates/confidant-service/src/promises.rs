//! What the service promised and did, on the record.
//!
//! - **Limits explained at the outset** (WWDD: "Within a free consultation
//!   it will be explained to you about confidentiality and when we can
//!   break confidentiality"; UKCP: discuss the limits "at the outset of
//!   therapy"; CSRP 7: in a group format, discuss the increased difficulty
//!   with potential participants): the client was given the statement
//!   `policy explain` renders, which version (the SHA-256 of the rendered
//!   statement, computed here, never typed), when and how.
//! - **Confidentiality agreements** (IAPT: "a confidentiality agreement can
//!   be drawn up between the programme members and appropriate
//!   staff/supervisors"): parties and terms, shown on the member's record.
//! - **Complaints** (WWDD: the Directors first, or the RSPH and INLPTA;
//!   CSRP 4): a complaint with its route and, at closing, its outcome.
//!   Opening one places a legal hold and records the complaint in one store
//!   transaction; closing it records the outcome and releases that hold in
//!   one transaction too.
//! - **Policy reviews** (Handcrafted: "reviewed as required and at least
//!   annually ... and authorised by the Trustees"): who approved it and the
//!   SHA-256 of the exact policy text; `policy check` reads the last one.
//!
//! Everything said about a client is sealed under the client's data key by
//! the store; every step is audited in its own transaction.

use crate::{Result, Service, ServiceError, load_policy, non_empty, refuse, sha256_hex};
use confidant_core::calendar;
use confidant_core::ids::{CaseId, ClientId, HoldId, PromiseId, ReviewId};
use confidant_core::record::{CivilDate, Timestamp};
use confidant_store::{NewPromise, NewReview, PromiseKind, StoreError, StoredPromise};
use serde::{Deserialize, Serialize};

/// How the limits of confidentiality were explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HowGiven {
    InPerson,
    Written,
    Video,
    Phone,
    /// In a group, to all its potential participants (CSRP 7).
    GroupFormat,
}

impl std::str::FromStr for HowGiven {
    type Err = ServiceError;
    fn from_str(s: &str) -> Result<HowGiven> {
        Ok(match s {
            "in-person" => HowGiven::InPerson,
            "written" => HowGiven::Written,
            "video" => HowGiven::Video,
            "phone" => HowGiven::Phone,
            "group-format" => HowGiven::GroupFormat,
            _ => {
                return refuse(
                    "--how must be one of in-person, written, video, phone, group-format",
                );
            }
        })
    }
}

/// Where a complaint was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComplaintRoute {
    /// To the service itself (WWDD's Directors, a manager, the Trustees).
    Internal,
    /// To a professional or membership body (RSPH, INLPTA, UKCP, COSRT...).
    ProfessionalBody,
    /// To a statutory regulator.
    Regulator,
    /// To the Information Commissioner's Office.
    Ico,
}

impl std::str::FromStr for ComplaintRoute {
    type Err = ServiceError;
    fn from_str(s: &str) -> Result<ComplaintRoute> {
        Ok(match s {
            "internal" => ComplaintRoute::Internal,
            "professional-body" => ComplaintRoute::ProfessionalBody,
            "regulator" => ComplaintRoute::Regulator,
            "ico" => ComplaintRoute::Ico,
            _ => {
                return refuse(
                    "--route must be one of internal, professional-body, regulator, ico",
                );
            }
        })
    }
}

/// How a complaint ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComplaintOutcome {
    Upheld,
    PartlyUpheld,
    NotUpheld,
    Resolved,
    Withdrawn,
}

impl std::str::FromStr for ComplaintOutcome {
    type Err = ServiceError;
    fn from_str(s: &str) -> Result<ComplaintOutcome> {
        Ok(match s {
            "upheld" => ComplaintOutcome::Upheld,
            "partly-upheld" => ComplaintOutcome::PartlyUpheld,
            "not-upheld" => ComplaintOutcome::NotUpheld,
            "resolved" => ComplaintOutcome::Resolved,
            "withdrawn" => ComplaintOutcome::Withdrawn,
            _ => {
                return refuse(
                    "--outcome must be one of upheld, partly-upheld, not-upheld, resolved, withdrawn",
                );
            }
        })
    }
}

/// The limits statement given (sealed body of a `limits-given` row).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsGivenBody {
    pub policy: String,
    pub policy_sha256: String,
    /// SHA-256 of the statement as `policy explain` renders it (Markdown).
    pub statement_sha256: String,
    pub how: HowGiven,
    /// When it was given (RFC 3339, UTC).
    pub given_at: String,
    /// The date that was, in the service's time zone.
    pub given_on: String,
}

/// A confidentiality agreement (sealed body of an `agreement` row).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementBody {
    /// Everyone bound by it, as written (members, staff, supervisors).
    pub parties: Vec<String>,
    pub terms: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<CaseId>,
    pub agreed_on: String,
}

/// A complaint as opened (sealed body of a `complaint-opened` row).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintBody {
    pub route: ComplaintRoute,
    /// The body complained to, for a professional body or regulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub summary: String,
    pub received_on: String,
    pub hold_id: HoldId,
}

/// A complaint's closing (sealed body of a `complaint-closed` row).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosingBody {
    pub complaint_id: PromiseId,
    pub outcome: ComplaintOutcome,
    pub note: String,
    pub closed_on: String,
    /// The hold released by this step.
    pub hold_id: HoldId,
}

/// A complaint on the record, with its closing if any.
#[derive(Clone, Serialize)]
pub struct ComplaintView {
    pub id: PromiseId,
    pub opened_at: String,
    pub opened_by: String,
    #[serde(flatten)]
    pub complaint: ComplaintBody,
    pub closed: Option<ClosingBody>,
}

/// One recorded item, with who recorded it and when.
#[derive(Clone, Serialize)]
pub struct Recorded<T> {
    pub id: PromiseId,
    pub recorded_at: String,
    pub recorded_by: String,
    #[serde(flatten)]
    pub body: T,
}

/// Everything the service promised and did for one client.
#[derive(Clone, Serialize, Default)]
pub struct PromisesView {
    pub limits_given: Vec<Recorded<LimitsGivenBody>>,
    pub agreements: Vec<Recorded<AgreementBody>>,
    pub complaints: Vec<ComplaintView>,
}

/// A client who has not been given the current statement.
#[derive(Debug, Clone, Serialize)]
pub struct LimitsMissing {
    pub client_id: ClientId,
    /// `never`, or `earlier-version` when only another version of the
    /// statement was recorded as given.
    pub state: &'static str,
}

/// The last recorded review and what `policy check` says about it.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewStatus {
    pub policy: String,
    pub last_reviewed: Option<String>,
    pub approved_by: Option<String>,
    /// Whether the review was of the exact text in force.
    pub same_text: bool,
    /// Twelve months after the last review.
    pub due: Option<String>,
    pub overdue: bool,
    pub today: String,
}

/// The statement `policy explain` prints, and its SHA-256.
pub fn statement_sha256(policy: &confidant_policy::Policy) -> String {
    sha256_hex(policy.explain_markdown().as_bytes())
}

fn body<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|_| {
        ServiceError::Store(StoreError::Corrupt {
            what: "promise body does not serialise",
        })
    })
}

fn read<T: for<'de> Deserialize<'de>>(p: &StoredPromise) -> Result<T> {
    serde_json::from_value(p.body.clone()).map_err(|_| {
        ServiceError::Store(StoreError::Corrupt {
            what: "promise body",
        })
    })
}

fn recorded<T: for<'de> Deserialize<'de>>(p: &StoredPromise) -> Result<Recorded<T>> {
    Ok(Recorded {
        id: p.id.clone(),
        recorded_at: p.at.to_string(),
        recorded_by: p.actor.clone(),
        body: read(p)?,
    })
}

impl Service {
    fn not_future(&self, on: CivilDate, what: &str) -> Result<()> {
        if on > self.local_today()? {
            return refuse(format!("{what} is in the future"));
        }
        Ok(())
    }

    /// Records that the client was given the policy's limits-of-
    /// confidentiality statement (`policy explain`), how and when (default
    /// now). The statement's hash is computed from the rendered text.
    pub async fn record_limits_given(
        &self,
        actor: &str,
        client: &ClientId,
        policy: &str,
        how: HowGiven,
        at: Option<Timestamp>,
    ) -> Result<PromiseId> {
        let p = load_policy(policy)?;
        let at = at.unwrap_or(Timestamp(confidant_store::now_micros()));
        let on = self.local_date(at)?;
        self.not_future(on, "--at")?;
        let statement = statement_sha256(&p.policy);
        let b = LimitsGivenBody {
            policy: p.name.clone(),
            policy_sha256: p.sha256.clone(),
            statement_sha256: statement.clone(),
            how,
            given_at: at.to_string(),
            given_on: on.to_string(),
        };
        Ok(self
            .store()
            .add_promise(
                actor,
                &NewPromise {
                    client_id: client.clone(),
                    kind: PromiseKind::LimitsGiven,
                    ref_id: Some(statement),
                    body: body(&b)?,
                },
            )
            .await?)
    }

    /// The clients who have not been given the policy's current statement
    /// (never, or only an earlier version of it), oldest client first.
    pub async fn limits_missing(&self, actor: &str, policy: &str) -> Result<Vec<LimitsMissing>> {
        let p = load_policy(policy)?;
        let current = statement_sha256(&p.policy);
        Ok(self
            .store()
            .limits_given(actor)
            .await?
            .into_iter()
            .filter(|r| !r.statement_sha256.contains(&current))
            .map(|r| LimitsMissing {
                state: if r.statement_sha256.is_empty() {
                    "never"
                } else {
                    "earlier-version"
                },
                client_id: r.client_id,
            })
            .collect())
    }

    /// Records a confidentiality agreement on a member's record.
    pub async fn record_agreement(
        &self,
        actor: &str,
        client: &ClientId,
        parties: &[String],
        terms: &str,
        case_id: Option<CaseId>,
        on: Option<CivilDate>,
    ) -> Result<PromiseId> {
        if parties.len() < 2 || parties.iter().any(|p| p.trim().is_empty()) {
            return refuse(
                "a confidentiality agreement needs at least two parties (--party, each non-empty)",
            );
        }
        non_empty("--terms", terms)?;
        let on = match on {
            Some(d) => d,
            None => self.local_today()?,
        };
        self.not_future(on, "the agreement date")?;
        if let Some(c) = &case_id {
            let case = self.store().get_case(actor, c).await?;
            if !case.parties.contains(client) {
                return refuse("the client is not a party to that case");
            }
        }
        let b = AgreementBody {
            parties: parties.iter().map(|p| p.trim().to_owned()).collect(),
            terms: terms.trim().to_owned(),
            case_id,
            agreed_on: on.to_string(),
        };
        Ok(self
            .store()
            .add_promise(
                actor,
                &NewPromise {
                    client_id: client.clone(),
                    kind: PromiseKind::Agreement,
                    ref_id: None,
                    body: body(&b)?,
                },
            )
            .await?)
    }

    /// Opens a complaint and places a legal hold on the client's record
    /// (so nothing is destroyed while it runs): the hold and the complaint
    /// naming it are written in one store transaction, so a crash leaves
    /// both or neither.
    pub async fn open_complaint(
        &self,
        actor: &str,
        client: &ClientId,
        route: ComplaintRoute,
        to: Option<String>,
        summary: &str,
        received: Option<CivilDate>,
    ) -> Result<(PromiseId, HoldId)> {
        non_empty("--summary", summary)?;
        let to = match (route, to) {
            (ComplaintRoute::ProfessionalBody | ComplaintRoute::Regulator, None) => {
                return refuse(
                    "a complaint to a professional body or regulator names it (--to, e.g. RSPH)",
                );
            }
            (_, Some(t)) if t.trim().is_empty() => return refuse("--to must not be empty"),
            (_, t) => t.map(|t| t.trim().to_owned()),
        };
        let on = match received {
            Some(d) => d,
            None => self.local_today()?,
        };
        self.not_future(on, "--received")?;
        // The client must exist before anything is written.
        self.store().get_client(actor, client).await?;
        // The store places the hold and fills in its id (`hold_id`) in the
        // same transaction as the complaint.
        let b = ComplaintBody {
            route,
            to,
            summary: summary.trim().to_owned(),
            received_on: on.to_string(),
            hold_id: HoldId::from_bytes([0; 16]),
        };
        Ok(self
            .store()
            .open_complaint(
                actor,
                &NewPromise {
                    client_id: client.clone(),
                    kind: PromiseKind::ComplaintOpened,
                    ref_id: None,
                    body: body(&b)?,
                },
            )
            .await?)
    }

    /// Closes a complaint with its outcome and releases the hold it
    /// placed, in one store transaction (both or neither).
    pub async fn close_complaint(
        &self,
        actor: &str,
        client: &ClientId,
        complaint: &PromiseId,
        outcome: ComplaintOutcome,
        note: &str,
        on: Option<CivilDate>,
    ) -> Result<()> {
        non_empty("--note", note)?;
        let view = self.promises(actor, client).await?;
        let Some(c) = view.complaints.iter().find(|c| &c.id == complaint) else {
            return refuse("that complaint is not on this client's record");
        };
        let on = match on {
            Some(d) => d,
            None => self.local_today()?,
        };
        self.not_future(on, "--on")?;
        let hold = c.complaint.hold_id.clone();
        let standing = self
            .list_holds(actor, client)
            .await?
            .iter()
            .any(|h| h.id == hold && h.released_at.is_none());
        if c.closed.is_some() {
            if standing {
                // A complaint closed by an earlier version (closing then
                // releasing in two transactions) and interrupted between
                // them: finish the release.
                self.store().release_hold(actor, &hold).await?;
                return Ok(());
            }
            return refuse("that complaint is already closed");
        }
        if on < calendar_date(&c.complaint.received_on)? {
            return refuse("the closing date is before the complaint was received");
        }
        let b = ClosingBody {
            complaint_id: complaint.clone(),
            outcome,
            note: note.trim().to_owned(),
            closed_on: on.to_string(),
            hold_id: hold.clone(),
        };
        self.store()
            .close_complaint(
                actor,
                &NewPromise {
                    client_id: client.clone(),
                    kind: PromiseKind::ComplaintClosed,
                    ref_id: Some(complaint.to_string()),
                    body: body(&b)?,
                },
                standing.then_some(&hold),
            )
            .await?;
        Ok(())
    }

    /// Releases a legal hold by hand (`hold release`). A hold that a
    /// complaint placed is released only by closing that complaint: while
    /// the complaint is open this is refused, naming the complaint, and
    /// nothing is written.
    pub async fn release_hold(&self, actor: &str, hold: &HoldId) -> Result<()> {
        let client = self.store().hold_client(hold).await?;
        let view = self.promises(actor, &client).await?;
        if let Some(c) = view
            .complaints
            .iter()
            .find(|c| &c.complaint.hold_id == hold && c.closed.is_none())
        {
            return refuse(format!(
                "legal hold {hold} was placed by complaint {}, which is still open: it is \
                 released by closing the complaint (complaint close)",
                c.id
            ));
        }
        Ok(self.store().release_hold(actor, hold).await?)
    }

    /// Everything recorded as promised and done for the client (audited).
    pub async fn promises(&self, actor: &str, client: &ClientId) -> Result<PromisesView> {
        let rows = self.store().list_promises(actor, client).await?;
        let mut v = PromisesView::default();
        let mut closings = Vec::new();
        for p in &rows {
            match p.kind {
                PromiseKind::LimitsGiven => v.limits_given.push(recorded(p)?),
                PromiseKind::Agreement => v.agreements.push(recorded(p)?),
                PromiseKind::ComplaintOpened => v.complaints.push(ComplaintView {
                    id: p.id.clone(),
                    opened_at: p.at.to_string(),
                    opened_by: p.actor.clone(),
                    complaint: read(p)?,
                    closed: None,
                }),
                PromiseKind::ComplaintClosed => closings.push(read::<ClosingBody>(p)?),
            }
        }
        for c in closings {
            if let Some(open) = v.complaints.iter_mut().find(|o| o.id == c.complaint_id) {
                open.closed = Some(c);
            }
        }
        Ok(v)
    }

    /// Records a review of the policy, approved by `approved_by`, on `on`
    /// (default today in the service's time zone), with the SHA-256 of the
    /// exact text reviewed.
    pub async fn record_policy_review(
        &self,
        actor: &str,
        policy: &str,
        approved_by: &str,
        on: Option<CivilDate>,
    ) -> Result<ReviewId> {
        non_empty("--approved-by", approved_by)?;
        let p = load_policy(policy)?;
        let on = match on {
            Some(d) => d,
            None => self.local_today()?,
        };
        self.not_future(on, "the review date")?;
        Ok(self
            .store()
            .add_policy_review(
                actor,
                &NewReview {
                    policy_name: p.name.clone(),
                    policy_sha256: p.sha256.clone(),
                    reviewed_on: on.to_string(),
                    approved_by: approved_by.trim().to_owned(),
                },
            )
            .await?)
    }

    /// Where the policy's review stands: the last recorded review (its
    /// approver, whether it was of the text now in force), due twelve
    /// months later, overdue after that. `today` defaults to today in the
    /// service's time zone.
    pub async fn review_status(
        &self,
        actor: &str,
        policy: &str,
        today: Option<CivilDate>,
    ) -> Result<ReviewStatus> {
        let p = load_policy(policy)?;
        let today = match today {
            Some(d) => d,
            None => self.local_today()?,
        };
        let reviews = self.store().policy_reviews(actor, &p.name).await?;
        let last = reviews.last();
        let last_date = last.map(|r| calendar_date(&r.reviewed_on)).transpose()?;
        let due = last_date
            .map(|d| calendar::add_months(d, 12))
            .transpose()
            .map_err(|e| ServiceError::Refused(e.to_string()))?;
        Ok(ReviewStatus {
            policy: p.name.clone(),
            last_reviewed: last.map(|r| r.reviewed_on.clone()),
            approved_by: last.map(|r| r.approved_by.clone()),
            same_text: last.is_some_and(|r| r.policy_sha256 == p.sha256),
            overdue: due.is_none_or(|d| d < today),
            due: due.map(|d| d.to_string()),
            today: today.to_string(),
        })
    }
}

fn calendar_date(s: &str) -> Result<CivilDate> {
    CivilDate::parse(s, "date").map_err(|_| {
        ServiceError::Store(StoreError::Corrupt {
            what: "a stored date",
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_hash_is_of_the_rendered_statement() {
        let p = load_policy("wwdd-coaching").unwrap();
        assert_eq!(
            statement_sha256(&p.policy),
            sha256_hex(p.policy.explain_markdown().as_bytes())
        );
        let other = load_policy("ukcp").unwrap();
        assert_ne!(statement_sha256(&p.policy), statement_sha256(&other.policy));
    }

    #[test]
    fn vocabularies_are_closed() {
        assert!("group-format".parse::<HowGiven>().is_ok());
        assert!("telepathy".parse::<HowGiven>().is_err());
        assert!("professional-body".parse::<ComplaintRoute>().is_ok());
        assert!("newspaper".parse::<ComplaintRoute>().is_err());
        assert!("not-upheld".parse::<ComplaintOutcome>().is_ok());
        assert!("ignored".parse::<ComplaintOutcome>().is_err());
    }
}
