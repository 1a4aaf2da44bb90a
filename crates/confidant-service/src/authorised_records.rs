//! Subject access, retention, holds, complaints, the promises record,
//! policy reviews and the audit log as a signed-in user does them. Each
//! operation asks the access policy first (refusals audited, "not
//! allowed"), then runs the operation of `sar.rs`, `retention.rs`,
//! `promises.rs` or the store with the user as the audit actor. The
//! server's records API and pages call only these.
//!
//! Which operation guards what:
//! - a SAR's dated steps (open, identity, pause, resume, fee, fee paid,
//!   extend, refuse): `manage-sar` on its client; reading it `track-sar`;
//!   building the response (it reads every note) `respond-sar`, which is
//!   clinical content: the assigned practitioner's;
//! - retention listings, sweeps and destruction certificates:
//!   `run-retention` (the records manager);
//! - holds: `place-hold` / `release-hold` on the client (a complaint's
//!   hold only by closing the complaint);
//! - complaints: `manage-complaints` (the service manager);
//! - limits given and confidentiality agreements: `record-promise` on the
//!   client; reading the promises record `view-promises`;
//! - policy reviews: `manage-policy` to record, `view-policy` to read;
//! - the audit log: `verify-audit`, `search-audit`; a client's access log
//!   `view-access-log`; the accounting of disclosures `view-disclosures`.
//!
//! Listings across clients (every SAR, the clients missing the limits
//! statement) keep only the clients the user may see for that purpose,
//! checked without recording a refusal for each one left out.

use crate::accounts::Principal;
use crate::package::DeliverTo;
use crate::promises::{ComplaintOutcome, ComplaintRoute, ComplaintView, HowGiven, PromisesView};
use crate::retention::{ClientRetention, SweepReport};
use crate::sar::{FeeGrounds, OpenSar, RefusalGrounds, Respond, SarFilter, SarView, Withheld};
use crate::{Result, Service, ServiceError, refuse};
use confidant_access::{Operation, Target};
use confidant_core::ids::{CaseId, ClientId, HoldId, MatterId, PromiseId, ReviewId};
use confidant_core::record::{CivilDate, Timestamp};
use serde::Serialize;

/// Most audit entries one search returns (the newest).
pub const AUDIT_SEARCH_LIMIT: u32 = 500;

/// One audit entry as a search shows it: ids and actions only.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub seq: u64,
    pub at: String,
    /// The user id (or system actor) that wrote the entry.
    pub who: String,
    pub what: String,
    pub records: Vec<String>,
}

impl From<confidant_store::AccessEntry> for AuditRow {
    fn from(e: confidant_store::AccessEntry) -> AuditRow {
        AuditRow {
            seq: e.seq,
            at: e.at.to_string(),
            who: e.actor,
            what: e.action.as_str().to_owned(),
            records: e.record_ids,
        }
    }
}

/// What an audit search looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditQuery {
    /// Entries naming this record id (a client, matter, hold, user...).
    Record(String),
    /// Entries written by this user id.
    User(String),
}

/// A recorded policy review.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewRow {
    pub id: ReviewId,
    pub policy: String,
    pub policy_sha256: String,
    pub reviewed_on: String,
    pub approved_by: String,
    pub recorded_at: String,
    pub recorded_by: String,
}

/// A complaint with the client it is on.
#[derive(Clone, Serialize)]
pub struct ComplaintRow {
    pub client_id: ClientId,
    #[serde(flatten)]
    pub complaint: ComplaintView,
}

/// A SAR's response: the sealed package (an `age` file) and its name.
pub struct SarResponse {
    pub file_name: String,
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for SarResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SarResponse")
            .field("file_name", &self.file_name)
            .field("bytes", &self.sealed.len())
            .finish()
    }
}

/// What answering a SAR is given (the package is sealed to `to`).
pub struct RespondInput {
    pub on: Option<CivilDate>,
    pub consenting_third_parties: Vec<ClientId>,
    pub withheld: Vec<Withheld>,
    pub to: DeliverTo,
}

/// The records items of the home page, each present only for those whose
/// job it is.
#[derive(Clone, Default, Serialize)]
pub struct RecordsHome {
    /// Open SARs the user may track on clients not assigned to them,
    /// overdue first, then by days left.
    pub sars: Vec<SarView>,
    /// Clients due for destruction under the policy (for those who run
    /// retention).
    pub retention_due: Option<Vec<ClientRetention>>,
    /// The policy's review, when the user manages the policy and the
    /// review is overdue.
    pub review_overdue: Option<crate::promises::ReviewStatus>,
    pub policy: String,
}

impl Service {
    /// May `who` do `op` to `client`? Asked without recording a refusal:
    /// for filtering a listing, never for an operation itself.
    async fn may(&self, who: &Principal, op: Operation, client: &ClientId) -> Result<bool> {
        let facts = match self.client_facts(client).await {
            Ok(f) => f,
            Err(_) => return Ok(false),
        };
        let now = Timestamp(confidant_store::now_micros());
        let break_glass = self.store().active_grant(&who.user_id, client, now).await?;
        Ok(self
            .access_policy()?
            .check(&who.subject(), op, &Target::Client { facts, break_glass })
            .allowed)
    }

    async fn may_service(&self, who: &Principal, op: Operation) -> Result<bool> {
        Ok(self
            .access_policy()?
            .check(&who.subject(), op, &Target::Service)
            .allowed)
    }

    /// The SAR's client, after asking `op` on it. An id that is not a SAR
    /// (or not a matter) is "not allowed", as an unknown client is.
    async fn authorize_sar(&self, who: &Principal, op: Operation, id: &MatterId) -> Result<()> {
        let client = match self.store().matter_client(id).await {
            Ok(c) => c,
            Err(confidant_store::StoreError::UnknownRecord { .. }) => {
                self.store()
                    .record_event(
                        who.actor(),
                        confidant_store::Action::AccessRefused,
                        vec![who.user_id.to_string()],
                    )
                    .await?;
                return Err(ServiceError::NotAllowed);
            }
            Err(e) => return Err(e.into()),
        };
        self.authorize_client(who, op, &client).await
    }

    // ------------------------------------------------------------ SARs

    pub async fn open_sar_as(&self, who: &Principal, req: &OpenSar) -> Result<MatterId> {
        self.authorize_client(who, Operation::ManageSar, &req.client_id)
            .await?;
        self.open_sar(who.actor(), req).await
    }

    pub async fn sar_as(&self, who: &Principal, id: &MatterId) -> Result<SarView> {
        self.authorize_sar(who, Operation::TrackSar, id).await?;
        self.show_sar(who.actor(), id).await
    }

    /// Every SAR the user may track (`Due`: open ones; `Overdue`), overdue
    /// first, then by days left.
    pub async fn list_sars_as(&self, who: &Principal, filter: SarFilter) -> Result<Vec<SarView>> {
        let mut out = Vec::new();
        for a in self.store().client_activity(who.actor()).await? {
            if !self.may(who, Operation::TrackSar, &a.id).await? {
                continue;
            }
            out.extend(self.list_sars(who.actor(), Some(&a.id), filter).await?);
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

    pub async fn confirm_sar_identity_as(
        &self,
        who: &Principal,
        id: &MatterId,
        on: Option<CivilDate>,
    ) -> Result<()> {
        self.authorize_sar(who, Operation::ManageSar, id).await?;
        self.confirm_sar_identity(who.actor(), id, on).await
    }

    pub async fn pause_sar_as(
        &self,
        who: &Principal,
        id: &MatterId,
        on: Option<CivilDate>,
        asked: &str,
    ) -> Result<()> {
        self.authorize_sar(who, Operation::ManageSar, id).await?;
        self.pause_sar(who.actor(), id, on, asked).await
    }

    pub async fn resume_sar_as(
        &self,
        who: &Principal,
        id: &MatterId,
        on: Option<CivilDate>,
    ) -> Result<()> {
        self.authorize_sar(who, Operation::ManageSar, id).await?;
        self.resume_sar(who.actor(), id, on).await
    }

    pub async fn sar_fee_as(
        &self,
        who: &Principal,
        id: &MatterId,
        on: Option<CivilDate>,
        amount_pence: u64,
        grounds: FeeGrounds,
        note: &str,
    ) -> Result<()> {
        self.authorize_sar(who, Operation::ManageSar, id).await?;
        self.sar_fee(who.actor(), id, on, amount_pence, grounds, note)
            .await
    }

    pub async fn sar_fee_paid_as(
        &self,
        who: &Principal,
        id: &MatterId,
        on: Option<CivilDate>,
    ) -> Result<()> {
        self.authorize_sar(who, Operation::ManageSar, id).await?;
        self.sar_fee_paid(who.actor(), id, on).await
    }

    pub async fn extend_sar_as(
        &self,
        who: &Principal,
        id: &MatterId,
        notice_sent: Option<CivilDate>,
        further_months: u8,
        reasons: &str,
    ) -> Result<()> {
        self.authorize_sar(who, Operation::ManageSar, id).await?;
        self.extend_sar(who.actor(), id, notice_sent, further_months, reasons)
            .await
    }

    /// Refuses the request; returns the letter.
    pub async fn refuse_sar_as(
        &self,
        who: &Principal,
        id: &MatterId,
        on: Option<CivilDate>,
        grounds: RefusalGrounds,
        reason: &str,
    ) -> Result<String> {
        self.authorize_sar(who, Operation::ManageSar, id).await?;
        self.refuse_sar(who.actor(), id, on, grounds, reason).await
    }

    /// Builds the complete response package, sealed to `r.to`, records the
    /// response and closes the SAR; returns the sealed file. The package is
    /// written to a private directory of its own, read back and removed:
    /// the server keeps no copy.
    pub async fn respond_sar_as(
        &self,
        who: &Principal,
        id: &MatterId,
        r: RespondInput,
    ) -> Result<SarResponse> {
        self.authorize_sar(who, Operation::RespondSar, id).await?;
        if matches!(r.to, DeliverTo::Verbal) {
            return refuse("a subject access response is a file: give an age recipient key");
        }
        let mut rnd = [0u8; 16];
        getrandom::fill(&mut rnd).map_err(|_| ServiceError::Io("no randomness".into()))?;
        let name: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
        let dir = std::env::temp_dir().join(format!("confidant-sar-{name}"));
        std::fs::create_dir(&dir).map_err(|e| ServiceError::Io(e.kind().to_string()))?;
        let out = self
            .respond_sar(
                who.actor(),
                id,
                &Respond {
                    on: r.on,
                    consenting_third_parties: r.consenting_third_parties,
                    withheld: r.withheld,
                    to: r.to,
                    out_dir: dir.clone(),
                },
            )
            .await;
        let result = out.and_then(|path| {
            let sealed =
                std::fs::read(&path).map_err(|e| ServiceError::Io(e.kind().to_string()))?;
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(SarResponse { file_name, sealed })
        });
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    // ------------------------------------------------------------ retention

    /// A sweep under the policy by `by` (default today): a dry run unless
    /// `apply`, which destroys what is due and skips (listing) every client
    /// under a legal hold. `only` limits it to those clients.
    pub async fn retention_sweep_as(
        &self,
        who: &Principal,
        policy: &str,
        by: Option<CivilDate>,
        only: &[ClientId],
        apply: bool,
    ) -> Result<SweepReport> {
        self.authorize(who, Operation::RunRetention, &Target::Service)
            .await?;
        self.retention_sweep(who.actor(), policy, by, only, apply)
            .await
    }

    /// The stored destruction certificates of a (destroyed) client.
    pub async fn destruction_certificates_as(
        &self,
        who: &Principal,
        client: &ClientId,
    ) -> Result<Vec<confidant_store::ShownCertificate>> {
        self.authorize(who, Operation::RunRetention, &Target::Service)
            .await?;
        Ok(self
            .store()
            .destruction_certificates(who.actor(), client)
            .await?)
    }

    /// One client's retention position (shown on the record).
    pub async fn client_retention_as(
        &self,
        who: &Principal,
        policy: &str,
        client: &ClientId,
    ) -> Result<ClientRetention> {
        self.authorize_client(who, Operation::ViewRetention, client)
            .await?;
        self.client_retention(who.actor(), policy, client).await
    }

    // ------------------------------------------------------------ holds

    /// Releases a hold on `client`. A hold a complaint placed is released
    /// only by closing the complaint (refused here, nothing written).
    pub async fn release_hold_as(
        &self,
        who: &Principal,
        client: &ClientId,
        hold: &HoldId,
    ) -> Result<()> {
        self.authorize_client(who, Operation::ReleaseHold, client)
            .await?;
        match self.store().hold_client(hold).await {
            Ok(c) if &c == client => {}
            Ok(_) | Err(confidant_store::StoreError::UnknownRecord { .. }) => {
                return Err(ServiceError::Store(
                    confidant_store::StoreError::UnknownRecord { kind: "legal hold" },
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.release_hold(who.actor(), hold).await
    }

    // ------------------------------------------------------------ complaints

    /// Opens a complaint on the client and places its legal hold (one
    /// transaction).
    pub async fn open_complaint_as(
        &self,
        who: &Principal,
        client: &ClientId,
        route: ComplaintRoute,
        to: Option<String>,
        summary: &str,
        received: Option<CivilDate>,
    ) -> Result<(PromiseId, HoldId)> {
        self.authorize(who, Operation::ManageComplaints, &Target::Service)
            .await?;
        self.client_facts(client).await?;
        self.open_complaint(who.actor(), client, route, to, summary, received)
            .await
    }

    /// Closes a complaint with its outcome and releases its hold (one
    /// transaction).
    pub async fn close_complaint_as(
        &self,
        who: &Principal,
        client: &ClientId,
        complaint: &PromiseId,
        outcome: ComplaintOutcome,
        note: &str,
        on: Option<CivilDate>,
    ) -> Result<()> {
        self.authorize(who, Operation::ManageComplaints, &Target::Service)
            .await?;
        self.client_facts(client).await?;
        self.close_complaint(who.actor(), client, complaint, outcome, note, on)
            .await
    }

    /// Every complaint on every record, open ones first.
    pub async fn complaints_as(&self, who: &Principal) -> Result<Vec<ComplaintRow>> {
        self.authorize(who, Operation::ManageComplaints, &Target::Service)
            .await?;
        let mut out = Vec::new();
        for a in self.store().client_activity(who.actor()).await? {
            for c in self.promises(who.actor(), &a.id).await?.complaints {
                out.push(ComplaintRow {
                    client_id: a.id.clone(),
                    complaint: c,
                });
            }
        }
        out.sort_by_key(|c| (c.complaint.closed.is_some(), c.complaint.opened_at.clone()));
        Ok(out)
    }

    // ------------------------------------------------------------ promises

    /// The promises record of a client: limits given, agreements,
    /// complaints.
    pub async fn promises_as(&self, who: &Principal, client: &ClientId) -> Result<PromisesView> {
        self.authorize_client(who, Operation::ViewPromises, client)
            .await?;
        self.promises(who.actor(), client).await
    }

    pub async fn record_limits_given_as(
        &self,
        who: &Principal,
        client: &ClientId,
        policy: &str,
        how: HowGiven,
        at: Option<Timestamp>,
    ) -> Result<PromiseId> {
        self.authorize_client(who, Operation::RecordPromise, client)
            .await?;
        self.record_limits_given(who.actor(), client, policy, how, at)
            .await
    }

    /// The clients not given the policy's current statement: all of them
    /// for those who manage the policy, otherwise the user's own.
    pub async fn limits_missing_as(
        &self,
        who: &Principal,
        policy: &str,
    ) -> Result<Vec<crate::promises::LimitsMissing>> {
        let all = self.may_service(who, Operation::ManagePolicy).await?;
        let mut out = Vec::new();
        for m in self.limits_missing(who.actor(), policy).await? {
            if all || self.may(who, Operation::ViewPromises, &m.client_id).await? {
                out.push(m);
            }
        }
        Ok(out)
    }

    pub async fn record_agreement_as(
        &self,
        who: &Principal,
        client: &ClientId,
        parties: &[String],
        terms: &str,
        case_id: Option<CaseId>,
        on: Option<CivilDate>,
    ) -> Result<PromiseId> {
        self.authorize_client(who, Operation::RecordPromise, client)
            .await?;
        self.record_agreement(who.actor(), client, parties, terms, case_id, on)
            .await
    }

    // ------------------------------------------------------------ policy

    pub async fn record_policy_review_as(
        &self,
        who: &Principal,
        policy: &str,
        approved_by: &str,
        on: Option<CivilDate>,
    ) -> Result<ReviewId> {
        self.authorize(who, Operation::ManagePolicy, &Target::Service)
            .await?;
        self.record_policy_review(who.actor(), policy, approved_by, on)
            .await
    }

    pub async fn review_status_as(
        &self,
        who: &Principal,
        policy: &str,
    ) -> Result<crate::promises::ReviewStatus> {
        self.authorize(who, Operation::ViewPolicy, &Target::Service)
            .await?;
        self.review_status(who.actor(), policy, None).await
    }

    /// The recorded reviews of the policy, oldest first.
    pub async fn policy_reviews_as(&self, who: &Principal, policy: &str) -> Result<Vec<ReviewRow>> {
        self.authorize(who, Operation::ViewPolicy, &Target::Service)
            .await?;
        let p = crate::load_policy(policy)?;
        Ok(self
            .store()
            .policy_reviews(who.actor(), &p.name)
            .await?
            .into_iter()
            .map(|r| ReviewRow {
                id: r.id,
                policy: r.policy_name,
                policy_sha256: r.policy_sha256,
                reviewed_on: r.reviewed_on,
                approved_by: r.approved_by,
                recorded_at: r.at.to_string(),
                recorded_by: r.actor,
            })
            .collect())
    }

    // ------------------------------------------------------------ audit

    /// Searches the audit log by record or by user: who, when, what (ids
    /// and actions only), the newest [`AUDIT_SEARCH_LIMIT`] entries.
    pub async fn audit_search_as(&self, who: &Principal, q: &AuditQuery) -> Result<Vec<AuditRow>> {
        self.authorize(who, Operation::SearchAudit, &Target::Service)
            .await?;
        let (id, by_record) = match q {
            AuditQuery::Record(id) => (id.trim(), true),
            AuditQuery::User(id) => (id.trim(), false),
        };
        if id.is_empty() || id.len() > 100 || id.contains(char::is_whitespace) {
            return refuse("give one record id or user id to search for (no spaces)");
        }
        Ok(self
            .store()
            .audit_search(who.actor(), id, by_record, AUDIT_SEARCH_LIMIT)
            .await?
            .into_iter()
            .map(AuditRow::from)
            .collect())
    }

    /// Who accessed this client's record: who, when, what.
    pub async fn access_log_as(&self, who: &Principal, client: &ClientId) -> Result<Vec<AuditRow>> {
        self.authorize_client(who, Operation::ViewAccessLog, client)
            .await?;
        Ok(self
            .access_log(who.actor(), client)
            .await?
            .into_iter()
            .map(AuditRow::from)
            .collect())
    }

    // ------------------------------------------------------------ home

    /// The home page's records items for this user under `policy`: open
    /// SARs they may track, records falling due for destruction (for those
    /// who run retention), and the policy's review when overdue (for those
    /// who manage the policy).
    pub async fn records_home(&self, who: &Principal, policy: &str) -> Result<RecordsHome> {
        let mut home = RecordsHome {
            policy: policy.to_owned(),
            ..RecordsHome::default()
        };
        // The practitioner's own clients' requests are on the home page
        // already (`caseload::Home::sars`); these are the others.
        let mine = self.my_clients(who).await?;
        home.sars = self
            .list_sars_as(who, SarFilter::Due)
            .await?
            .into_iter()
            .filter(|s| !mine.contains(&s.client_id))
            .collect();
        if self.may_service(who, Operation::RunRetention).await? {
            let due = self
                .retention_due(who.actor(), policy, None)
                .await?
                .into_iter()
                .filter(|r| r.state == crate::retention::RetentionState::Due)
                .collect();
            home.retention_due = Some(due);
        }
        if self.may_service(who, Operation::ManagePolicy).await? {
            let st = self.review_status(who.actor(), policy, None).await?;
            if st.overdue {
                home.review_overdue = Some(st);
            }
        }
        Ok(home)
    }
}
