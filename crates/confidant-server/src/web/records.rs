//! The records pages: the subject access tracker (days left, overdue
//! first, each step a form, the response and the refusal letter),
//! retention (due list, dry run, destruction with a confirmation naming
//! what goes, and the certificates after), complaints, the audit log
//! (verify, search by record or user), policy reviews, and a client's
//! records page (limits statement given, holds, agreements, the accounting
//! of disclosures, who accessed the record). Handlers parse and render;
//! every rule and every access check is in `confidant-service`
//! (`authorised_records.rs`).

use super::{Chrome, FormErrors, PageUser, WebError, render, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use confidant_core::ids::{ClientId, HoldId, MatterId, PromiseId};
use confidant_core::record::CivilDate;
use confidant_service::DeliverTo;
use confidant_service::ServiceError;
use confidant_service::authorised_records::{AuditQuery, AuditRow, ComplaintRow, RespondInput};
use confidant_service::sar::{FeeGrounds, OpenSar, RefusalGrounds, SarFilter, SarView};
use serde::Deserialize;
use std::str::FromStr;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/records", get(index))
        .route("/records/sars", get(sars).post(open_sar))
        .route("/records/sars/{id}", get(sar))
        .route("/records/sars/{id}/{step}", post(sar_step))
        .route("/records/retention", get(retention))
        .route("/records/retention/confirm", post(retention_confirm))
        .route("/records/retention/destroy", post(retention_destroy))
        .route("/records/complaints", get(complaints).post(open_complaint))
        .route(
            "/records/complaints/{client}/{id}/close",
            post(close_complaint),
        )
        .route("/records/audit", get(audit))
        .route("/records/audit/verify", post(audit_verify))
        .route("/records/policy", get(policy).post(policy_review))
        .route("/clients/{id}/records", get(client_records))
        .route("/clients/{id}/records/limits", post(limits_given))
        .route("/clients/{id}/records/agreements", post(agreement))
        .route("/clients/{id}/records/holds/{hold}/release", post(release))
}

/// The policy a page works under: a built-in one the user chose, or the
/// service's own records policy (`Service::records_policy`, which may be a
/// file the server was started with; never a path from a request).
fn chosen_policy(state: &AppState, p: &str) -> String {
    let own = state.service().records_policy();
    if !p.is_empty() && (p == own || confidant_service::builtin_policies().contains(&p)) {
        p.to_owned()
    } else {
        own.to_owned()
    }
}

/// The policies a page offers: the service's own first, then the
/// built-in ones.
fn policies(state: &AppState) -> Vec<String> {
    let own = state.service().records_policy().to_owned();
    let mut out = vec![own.clone()];
    out.extend(
        confidant_service::builtin_policies()
            .into_iter()
            .filter(|p| *p != own)
            .map(str::to_owned),
    );
    out
}

fn opt_date(s: &str) -> Result<Option<CivilDate>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    CivilDate::parse(s, "date")
        .map(Some)
        .map_err(|_| "Enter the date as YYYY-MM-DD, for example 2026-03-31.".to_owned())
}

/// A service refusal shown next to `field`; access refusals and faults
/// become an error page.
fn field_error(e: ServiceError, field: &'static str) -> Result<FormErrors, WebError> {
    match e {
        ServiceError::Refused(m) => {
            let mut errors = FormErrors::default();
            errors.add(field, m);
            Ok(errors)
        }
        ServiceError::Field(f) => {
            let mut errors = FormErrors::default();
            errors.add(field, f.to_string());
            Ok(errors)
        }
        ServiceError::Store(confidant_store::StoreError::LegalHold) => {
            let mut errors = FormErrors::default();
            errors.add(field, "The record is under a legal hold.");
            Ok(errors)
        }
        other => Err(WebError(AppError::from(other))),
    }
}

fn one_error(field: &'static str, msg: impl Into<String>) -> FormErrors {
    let mut e = FormErrors::default();
    e.add(field, msg);
    e
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

// ------------------------------------------------------------ index

#[derive(Template)]
#[template(path = "records_index.html")]
struct IndexPage {
    chrome: Chrome,
}

async fn index(user: PageUser) -> Response {
    render(&IndexPage {
        chrome: user.chrome(),
    })
}

// ------------------------------------------------------------ subject access

/// A SAR as a row of the tracker.
struct SarRow {
    id: String,
    client_id: String,
    received: String,
    due: String,
    days_left: String,
    overdue: bool,
    outcome: String,
    identity: String,
}

fn sar_row(v: &SarView) -> SarRow {
    SarRow {
        id: v.id.to_string(),
        client_id: v.client_id.to_string(),
        received: v.received.clone(),
        due: v
            .clock
            .due
            .map(|d| d.to_string())
            .unwrap_or_else(|| "not started".into()),
        days_left: match (v.outcome.as_str(), v.clock.days_left) {
            ("open", Some(d)) if d < 0 => format!("{} days overdue", -d),
            ("open", Some(d)) => format!("{d} days left"),
            ("open", None) => "the clock has not started".into(),
            _ => "answered".into(),
        },
        overdue: v.clock.overdue,
        outcome: v.outcome.clone(),
        identity: v.identity.clone(),
    }
}

#[derive(Template)]
#[template(path = "records_sars.html")]
struct SarsPage {
    chrome: Chrome,
    csrf_token: String,
    rows: Vec<SarRow>,
    errors: FormErrors,
    form: OpenSarForm,
    policies: Vec<String>,
}

#[derive(Deserialize, Default)]
struct OpenSarForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    received: String,
    #[serde(default)]
    identity_check: Option<String>,
    #[serde(default)]
    wording: String,
    #[serde(default)]
    policy: String,
}

async fn sars_page(
    state: &AppState,
    user: &PageUser,
    errors: FormErrors,
    form: OpenSarForm,
) -> Result<Response, WebError> {
    let rows = state
        .service()
        .list_sars_as(user.0.principal(), SarFilter::All)
        .await?
        .iter()
        .map(sar_row)
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &SarsPage {
            chrome: user.chrome(),
            csrf_token: user.csrf().to_owned(),
            rows,
            errors,
            form,
            policies: policies(state),
        },
    ))
}

async fn sars(State(state): State<AppState>, user: PageUser) -> Result<Response, WebError> {
    sars_page(&state, &user, FormErrors::default(), OpenSarForm::default()).await
}

async fn open_sar(
    State(state): State<AppState>,
    user: PageUser,
    axum::Form(form): axum::Form<OpenSarForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let mut errors = FormErrors::default();
    let client = ClientId::from_str(form.client_id.trim());
    if client.is_err() {
        errors.add(
            "client_id",
            "Enter the client's record number (from their record page).",
        );
    }
    let received = match opt_date(&form.received) {
        Ok(d) => d,
        Err(m) => {
            errors.add("received", m);
            None
        }
    };
    let (Ok(client), true) = (client, errors.is_empty()) else {
        return sars_page(&state, &user, errors, form).await;
    };
    let received_at = match received {
        Some(d) => confidant_core::record::Timestamp::from_date(d),
        None => confidant_core::record::Timestamp(confidant_store::now_micros()),
    };
    let req = OpenSar {
        client_id: client,
        received_at,
        identity_check: form.identity_check.is_some(),
        on_behalf: None,
        wording: (!form.wording.trim().is_empty()).then(|| form.wording.clone()),
        policy: chosen_policy(&state, &form.policy),
    };
    match state.service().open_sar_as(user.0.principal(), &req).await {
        Ok(id) => Ok(Redirect::to(&format!("/records/sars/{id}")).into_response()),
        Err(ServiceError::Store(confidant_store::StoreError::UnknownClient)) => {
            sars_page(
                &state,
                &user,
                one_error("client_id", "There is no client with that record number."),
                form,
            )
            .await
        }
        Err(e) => {
            let errors = field_error(e, "client_id")?;
            sars_page(&state, &user, errors, form).await
        }
    }
}

#[derive(Template)]
#[template(path = "records_sar.html")]
struct SarPage {
    chrome: Chrome,
    csrf_token: String,
    row: SarRow,
    first_month_due: String,
    fees: Vec<String>,
    extension: Option<String>,
    letter: Option<String>,
    response: Option<String>,
    errors: FormErrors,
}

async fn sar_page(
    state: &AppState,
    user: &PageUser,
    id: &MatterId,
    errors: FormErrors,
) -> Result<Response, WebError> {
    let v = state.service().sar_as(user.0.principal(), id).await?;
    let letter = v
        .refusal
        .as_ref()
        .and_then(|r| r.get("letter"))
        .and_then(|l| l.as_str())
        .map(str::to_owned);
    let response = v.response.as_ref().map(|r| {
        format!(
            "Answered on {}: {} notes, {} consents, {} decisions, {} disclosures, {} access \
             entries; {} removals of other people's details. Package {} (SHA-256 {}).",
            r["on"].as_str().unwrap_or("-"),
            r["notes"],
            r["consents"],
            r["decisions"],
            r["disclosures"],
            r["access_entries"],
            r["redactions"],
            r["file"].as_str().unwrap_or("-"),
            r["package_sha256"].as_str().unwrap_or("-"),
        )
    });
    let fees = v
        .fees
        .iter()
        .map(|f| {
            format!(
                "£{}.{:02} asked on {} ({}){}",
                f.amount_pence / 100,
                f.amount_pence % 100,
                f.asked_on,
                f.note,
                f.paid_on
                    .as_deref()
                    .map_or(", not yet paid".to_owned(), |d| format!(", paid on {d}"))
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &SarPage {
            chrome: user.chrome(),
            csrf_token: user.csrf().to_owned(),
            first_month_due: v
                .clock
                .first_month_due
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
            fees,
            extension: v.extension_reasons.clone(),
            letter,
            response,
            row: sar_row(&v),
            errors,
        },
    ))
}

fn sar_id(id: &str) -> Result<MatterId, WebError> {
    id.parse().map_err(|_| WebError(AppError::NotFound))
}

async fn sar(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = sar_id(&id)?;
    sar_page(&state, &user, &id, FormErrors::default()).await
}

#[derive(Deserialize, Default)]
struct StepForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    asked: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    grounds: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    months: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    recipient: String,
}

/// One step of a SAR, from its form. `Err` with the field the message
/// belongs next to.
async fn run_step(
    state: &AppState,
    user: &PageUser,
    id: &MatterId,
    step: &str,
    f: &StepForm,
) -> Result<Option<Response>, (ServiceError, &'static str)> {
    let svc = state.service();
    let who = user.0.principal();
    let date_field: &'static str = match step {
        "identity" => "identity-on",
        "pause" => "pause-on",
        "resume" => "resume-on",
        "fee-paid" => "fee-paid-on",
        "extend" => "extend-on",
        "refuse" => "refuse-on",
        _ => "respond-recipient",
    };
    let on = opt_date(&f.on).map_err(|m| (ServiceError::Refused(m), date_field))?;
    match step {
        "identity" => svc
            .confirm_sar_identity_as(who, id, on)
            .await
            .map_err(|e| (e, "identity-on"))?,
        "pause" => svc
            .pause_sar_as(who, id, on, &f.asked)
            .await
            .map_err(|e| (e, "pause-asked"))?,
        "resume" => svc
            .resume_sar_as(who, id, on)
            .await
            .map_err(|e| (e, "resume-on"))?,
        "fee" => {
            let pence = pence(&f.amount).ok_or((
                ServiceError::Refused("Enter the fee in pounds, for example 10.00.".into()),
                "fee-amount",
            ))?;
            let grounds = FeeGrounds::from_str(&f.grounds).map_err(|e| (e, "fee-grounds"))?;
            svc.sar_fee_as(who, id, on, pence, grounds, &f.note)
                .await
                .map_err(|e| (e, "fee-note"))?
        }
        "fee-paid" => svc
            .sar_fee_paid_as(who, id, on)
            .await
            .map_err(|e| (e, "fee-paid-on"))?,
        "extend" => {
            let months = f.months.trim().parse::<u8>().map_err(|_| {
                (
                    ServiceError::Refused("Choose one or two further months.".into()),
                    "extend-months",
                )
            })?;
            svc.extend_sar_as(who, id, on, months, &f.reasons)
                .await
                .map_err(|e| (e, "extend-reasons"))?
        }
        "refuse" => {
            let grounds =
                RefusalGrounds::from_str(&f.grounds).map_err(|e| (e, "refuse-grounds"))?;
            svc.refuse_sar_as(who, id, on, grounds, &f.reasons)
                .await
                .map_err(|e| (e, "refuse-reasons"))?;
        }
        "respond" => {
            let out = svc
                .respond_sar_as(
                    who,
                    id,
                    RespondInput {
                        on,
                        consenting_third_parties: Vec::new(),
                        withheld: Vec::new(),
                        to: DeliverTo::AgeRecipient(f.recipient.trim().to_owned()),
                    },
                )
                .await
                .map_err(|e| (e, "respond-recipient"))?;
            return Ok(Some(crate::api::records_admin::sealed_file(out)));
        }
        _ => return Err((ServiceError::NotAllowed, "respond-recipient")),
    }
    Ok(None)
}

/// "10", "10.5", "10.50" in pounds to pence.
fn pence(s: &str) -> Option<u64> {
    let s = s.trim().trim_start_matches('£');
    let (p, f) = s.split_once('.').unwrap_or((s, "0"));
    if p.is_empty() || f.len() > 2 || !p.bytes().chain(f.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let f = if f.len() == 1 {
        format!("{f}0")
    } else {
        f.to_owned()
    };
    p.parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(f.parse::<u64>().ok()?)
}

async fn sar_step(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, step)): Path<(String, String)>,
    axum::Form(form): axum::Form<StepForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let id = sar_id(&id)?;
    match run_step(&state, &user, &id, &step, &form).await {
        Ok(Some(file)) => Ok(file),
        Ok(None) => Ok(Redirect::to(&format!("/records/sars/{id}")).into_response()),
        Err((e, field)) => {
            let errors = field_error(e, field)?;
            sar_page(&state, &user, &id, errors).await
        }
    }
}

// ------------------------------------------------------------ retention

#[derive(Deserialize, Default)]
struct RetentionQuery {
    #[serde(default)]
    policy: String,
    #[serde(default)]
    by: String,
}

struct DueRow {
    client_id: String,
    state: String,
    due: String,
    rule: String,
    default_rule: bool,
    on_hold: bool,
}

fn due_row(r: &confidant_service::retention::ClientRetention) -> DueRow {
    DueRow {
        client_id: r.client_id.to_string(),
        state: match r.state {
            confidant_service::retention::RetentionState::Due => "due".into(),
            confidant_service::retention::RetentionState::NotDue => "not due".into(),
            confidant_service::retention::RetentionState::NotStarted => {
                "not started (the work goes on)".into()
            }
            confidant_service::retention::RetentionState::Undetermined => {
                "cannot be worked out (no date of birth)".into()
            }
        },
        due: r.due.clone().unwrap_or_else(|| "-".into()),
        rule: r.rule.clone().unwrap_or_else(|| "-".into()),
        default_rule: r.default_rule,
        on_hold: r.on_hold,
    }
}

#[derive(Template)]
#[template(path = "records_retention.html")]
struct RetentionPage {
    chrome: Chrome,
    csrf_token: String,
    policy: String,
    by: String,
    policies: Vec<String>,
    rows: Vec<DueRow>,
    dry_destroy: Vec<DueRow>,
    dry_held: Vec<DueRow>,
    dry_shared: Vec<DueRow>,
    errors: FormErrors,
}

async fn retention(
    State(state): State<AppState>,
    user: PageUser,
    q: Result<Query<RetentionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let policy = chosen_policy(&state, &q.policy);
    let (by, errors) = match opt_date(&q.by) {
        Ok(d) => (d, FormErrors::default()),
        Err(m) => (None, one_error("by", m)),
    };
    let svc = state.service();
    let who = user.0.principal();
    let rows = svc
        .retention_due_as(who, &policy, by)
        .await?
        .iter()
        .map(due_row)
        .collect();
    let dry = svc.retention_sweep_as(who, &policy, by, &[], false).await;
    let (dry, errors) = match dry {
        Ok(r) => (Some(r), errors),
        Err(e) => (None, field_error(e, "by")?),
    };
    Ok(render(&RetentionPage {
        chrome: user.chrome(),
        csrf_token: user.csrf().to_owned(),
        policy,
        by: by.map(|d| d.to_string()).unwrap_or_default(),
        policies: policies(&state),
        rows,
        dry_destroy: dry
            .as_ref()
            .map_or_else(Vec::new, |r| r.destroyed.iter().map(due_row).collect()),
        dry_held: dry
            .as_ref()
            .map_or_else(Vec::new, |r| r.held.iter().map(due_row).collect()),
        dry_shared: dry
            .as_ref()
            .map_or_else(Vec::new, |r| r.shared_notes.iter().map(due_row).collect()),
        errors,
    }))
}

#[derive(Deserialize)]
struct DestroyForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    policy: String,
    /// Comma-separated client ids, as the confirmation named them.
    #[serde(default)]
    clients: String,
    #[serde(default)]
    confirm: Option<String>,
}

#[derive(Template)]
#[template(path = "records_retention_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    csrf_token: String,
    policy: String,
    destroy: Vec<DueRow>,
    held: Vec<DueRow>,
    clients: String,
    errors: FormErrors,
}

/// The confirmation: exactly which records today's sweep destroys, and
/// which it skips under a hold.
async fn confirm_page(
    state: &AppState,
    user: &PageUser,
    policy: &str,
    errors: FormErrors,
) -> Result<Response, WebError> {
    let r = state
        .service()
        .retention_sweep_as(user.0.principal(), policy, None, &[], false)
        .await?;
    let clients = r
        .destroyed
        .iter()
        .map(|c| c.client_id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    Ok(render(&ConfirmPage {
        chrome: user.chrome(),
        csrf_token: user.csrf().to_owned(),
        policy: policy.to_owned(),
        destroy: r.destroyed.iter().map(due_row).collect(),
        held: r.held.iter().map(due_row).collect(),
        clients,
        errors,
    }))
}

async fn retention_confirm(
    State(state): State<AppState>,
    user: PageUser,
    axum::Form(form): axum::Form<DestroyForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let policy = chosen_policy(&state, &form.policy);
    confirm_page(&state, &user, &policy, FormErrors::default()).await
}

#[derive(Template)]
#[template(path = "records_retention_done.html")]
struct DonePage {
    chrome: Chrome,
    destroyed: Vec<DueRow>,
    held: Vec<DueRow>,
    shared: Vec<DueRow>,
    certificates: Vec<String>,
}

async fn retention_destroy(
    State(state): State<AppState>,
    user: PageUser,
    axum::Form(form): axum::Form<DestroyForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let policy = chosen_policy(&state, &form.policy);
    if form.confirm.is_none() {
        return confirm_page(
            &state,
            &user,
            &policy,
            one_error(
                "confirm",
                "Tick the box to confirm that these records are to be destroyed.",
            ),
        )
        .await;
    }
    let only = form
        .clients
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| ClientId::from_str(s.trim()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            WebError(AppError::BadRequest(
                "the list of records is damaged".into(),
            ))
        })?;
    if only.is_empty() {
        return Ok(Redirect::to(&format!("/records/retention?policy={policy}")).into_response());
    }
    // Exactly the records the confirmation named; a sweep over them is
    // refused whole if one has since come under a hold.
    let r = match state
        .service()
        .retention_sweep_as(user.0.principal(), &policy, None, &only, true)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let errors = field_error(e, "confirm")?;
            return confirm_page(&state, &user, &policy, errors).await;
        }
    };
    // What the sweep left because of a hold: the records still due today.
    let after = state
        .service()
        .retention_sweep_as(user.0.principal(), &policy, None, &[], false)
        .await?;
    let certificates = r
        .certificates
        .iter()
        .map(|c| serde_json::to_string_pretty(c).unwrap_or_default())
        .collect();
    Ok(render(&DonePage {
        chrome: user.chrome(),
        destroyed: r.destroyed.iter().map(due_row).collect(),
        held: after.held.iter().map(due_row).collect(),
        shared: r.shared_notes.iter().map(due_row).collect(),
        certificates,
    }))
}

// ------------------------------------------------------------ complaints

#[derive(Template)]
#[template(path = "records_complaints.html")]
struct ComplaintsPage {
    chrome: Chrome,
    csrf_token: String,
    rows: Vec<ComplaintRow>,
    errors: FormErrors,
    form: ComplaintForm,
}

#[derive(Deserialize, Default)]
struct ComplaintForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    route: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    received: String,
}

async fn complaints_page(
    state: &AppState,
    user: &PageUser,
    errors: FormErrors,
    form: ComplaintForm,
) -> Result<Response, WebError> {
    let rows = state.service().complaints_as(user.0.principal()).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &ComplaintsPage {
            chrome: user.chrome(),
            csrf_token: user.csrf().to_owned(),
            rows,
            errors,
            form,
        },
    ))
}

async fn complaints(State(state): State<AppState>, user: PageUser) -> Result<Response, WebError> {
    complaints_page(
        &state,
        &user,
        FormErrors::default(),
        ComplaintForm::default(),
    )
    .await
}

async fn open_complaint(
    State(state): State<AppState>,
    user: PageUser,
    axum::Form(form): axum::Form<ComplaintForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let Ok(client) = ClientId::from_str(form.client_id.trim()) else {
        return complaints_page(
            &state,
            &user,
            one_error(
                "client_id",
                "Enter the client's record number (from their record page).",
            ),
            form,
        )
        .await;
    };
    let route = match confidant_service::promises::ComplaintRoute::from_str(&form.route) {
        Ok(r) => r,
        Err(_) => {
            return complaints_page(
                &state,
                &user,
                one_error("route", "Choose where the complaint was made."),
                form,
            )
            .await;
        }
    };
    let received = match opt_date(&form.received) {
        Ok(d) => d,
        Err(m) => return complaints_page(&state, &user, one_error("received", m), form).await,
    };
    let to = (!form.to.trim().is_empty()).then(|| form.to.clone());
    match state
        .service()
        .open_complaint_as(
            user.0.principal(),
            &client,
            route,
            to,
            &form.summary,
            received,
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/records/complaints").into_response()),
        Err(ServiceError::Store(
            confidant_store::StoreError::UnknownClient
            | confidant_store::StoreError::UnknownRecord { .. },
        )) => {
            complaints_page(
                &state,
                &user,
                one_error("client_id", "There is no client with that record number."),
                form,
            )
            .await
        }
        Err(e) => {
            let field = match &e {
                ServiceError::Refused(m) if m.contains("--to") || m.contains("professional") => {
                    "to"
                }
                _ => "summary",
            };
            let errors = field_error(e, field)?;
            complaints_page(&state, &user, errors, form).await
        }
    }
}

#[derive(Deserialize)]
struct CloseForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

async fn close_complaint(
    State(state): State<AppState>,
    user: PageUser,
    Path((client, id)): Path<(String, String)>,
    axum::Form(form): axum::Form<CloseForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let client: ClientId = client.parse().map_err(|_| WebError(AppError::NotFound))?;
    let id: PromiseId = id.parse().map_err(|_| WebError(AppError::NotFound))?;
    let field = "close-note";
    let outcome = match confidant_service::promises::ComplaintOutcome::from_str(&form.outcome) {
        Ok(o) => o,
        Err(_) => {
            return complaints_page(
                &state,
                &user,
                one_error(field, "Choose how the complaint ended."),
                ComplaintForm::default(),
            )
            .await;
        }
    };
    match state
        .service()
        .close_complaint_as(user.0.principal(), &client, &id, outcome, &form.note, None)
        .await
    {
        Ok(()) => Ok(Redirect::to("/records/complaints").into_response()),
        Err(e) => {
            let errors = field_error(e, field)?;
            complaints_page(&state, &user, errors, ComplaintForm::default()).await
        }
    }
}

// ------------------------------------------------------------ audit

#[derive(Deserialize, Default)]
struct AuditForm {
    #[serde(default)]
    by: String,
    #[serde(default)]
    id: String,
}

#[derive(Template)]
#[template(path = "records_audit.html")]
struct AuditPage {
    chrome: Chrome,
    csrf_token: String,
    by: String,
    id: String,
    rows: Option<Vec<AuditRow>>,
    verified: Option<String>,
    errors: FormErrors,
}

async fn audit(
    State(state): State<AppState>,
    user: PageUser,
    q: Result<Query<AuditForm>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let mut errors = FormErrors::default();
    let mut rows = None;
    if !q.id.trim().is_empty() {
        let query = if q.by == "user" {
            AuditQuery::User(q.id.trim().to_owned())
        } else {
            AuditQuery::Record(q.id.trim().to_owned())
        };
        match state
            .service()
            .audit_search_as(user.0.principal(), &query)
            .await
        {
            Ok(r) => rows = Some(r),
            Err(e) => errors = field_error(e, "id")?,
        }
    }
    Ok(render(&AuditPage {
        chrome: user.chrome(),
        csrf_token: user.csrf().to_owned(),
        by: if q.by == "user" {
            "user".into()
        } else {
            "record".into()
        },
        id: q.id,
        rows,
        verified: None,
        errors,
    }))
}

async fn audit_verify(
    State(state): State<AppState>,
    user: PageUser,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let verified = match state.service().verify_audit_as(user.0.principal()).await? {
        Ok(n) => format!("The audit log verifies: {n} entries, each linked to the one before."),
        Err(p) => format!("The audit log does not verify: {p}"),
    };
    Ok(render(&AuditPage {
        chrome: user.chrome(),
        csrf_token: user.csrf().to_owned(),
        by: "record".into(),
        id: String::new(),
        rows: None,
        verified: Some(verified),
        errors: FormErrors::default(),
    }))
}

// ------------------------------------------------------------ policy

#[derive(Deserialize, Default)]
struct PolicyQuery {
    #[serde(default)]
    policy: String,
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    approved_by: String,
    #[serde(default)]
    on: String,
}

#[derive(Template)]
#[template(path = "records_policy.html")]
struct PolicyPage {
    chrome: Chrome,
    csrf_token: String,
    policy: String,
    policies: Vec<String>,
    status: confidant_service::promises::ReviewStatus,
    reviews: Vec<confidant_service::authorised_records::ReviewRow>,
    errors: FormErrors,
}

async fn policy_page(
    state: &AppState,
    user: &PageUser,
    policy: &str,
    errors: FormErrors,
) -> Result<Response, WebError> {
    let svc = state.service();
    let who = user.0.principal();
    let status = svc.review_status_as(who, policy).await?;
    let reviews = svc.policy_reviews_as(who, policy).await?;
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        code,
        &PolicyPage {
            chrome: user.chrome(),
            csrf_token: user.csrf().to_owned(),
            policy: policy.to_owned(),
            policies: policies(state),
            status,
            reviews,
            errors,
        },
    ))
}

async fn policy(
    State(state): State<AppState>,
    user: PageUser,
    q: Result<Query<PolicyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    policy_page(
        &state,
        &user,
        &chosen_policy(&state, &q.policy),
        FormErrors::default(),
    )
    .await
}

async fn policy_review(
    State(state): State<AppState>,
    user: PageUser,
    axum::Form(form): axum::Form<ReviewForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let policy = chosen_policy(&state, &form.policy);
    let on = match opt_date(&form.on) {
        Ok(d) => d,
        Err(m) => return policy_page(&state, &user, &policy, one_error("on", m)).await,
    };
    match state
        .service()
        .record_policy_review_as(user.0.principal(), &policy, &form.approved_by, on)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/records/policy?policy={policy}")).into_response()),
        Err(e) => {
            let errors = field_error(e, "approved_by")?;
            policy_page(&state, &user, &policy, errors).await
        }
    }
}

// ------------------------------------------------------------ a client's records

struct HoldRow {
    id: String,
    reason: String,
    placed: String,
    released: Option<String>,
}

#[derive(Template)]
#[template(path = "records_client.html")]
struct ClientRecordsPage {
    chrome: Chrome,
    csrf_token: String,
    client_id: String,
    policies: Vec<String>,
    limits: Vec<String>,
    agreements: Vec<String>,
    complaints: Vec<String>,
    holds: Option<Vec<HoldRow>>,
    disclosures: Option<Vec<String>>,
    access: Option<Vec<AuditRow>>,
    errors: FormErrors,
}

async fn client_page(
    state: &AppState,
    user: &PageUser,
    client: &ClientId,
    errors: FormErrors,
) -> Result<Response, WebError> {
    let svc = state.service();
    let who = user.0.principal();
    let promises = svc.promises_as(who, client).await?;
    let limits = promises
        .limits_given
        .iter()
        .map(|l| {
            format!(
                "{} statement given on {} ({:?}), version {}",
                l.body.policy,
                l.body.given_on,
                l.body.how,
                l.body.statement_sha256.get(..12).unwrap_or("")
            )
        })
        .collect();
    let agreements = promises
        .agreements
        .iter()
        .map(|a| {
            format!(
                "Agreed on {} between {}: {}",
                a.body.agreed_on,
                a.body.parties.join(", "),
                a.body.terms
            )
        })
        .collect();
    let complaints =
        promises
            .complaints
            .iter()
            .map(|c| {
                format!(
                    "Received {}: {}{}",
                    c.complaint.received_on,
                    c.complaint.summary,
                    c.closed.as_ref().map_or(
                        " (open; the record is held)".to_owned(),
                        |x| format!(" (closed {}: {:?})", x.closed_on, x.outcome)
                    )
                )
            })
            .collect();
    let holds = match svc.holds_as(who, client).await {
        Ok(h) => Some(
            h.iter()
                .map(|h| HoldRow {
                    id: h.id.to_string(),
                    reason: h.reason.as_str().to_owned(),
                    placed: h.placed_at.to_string(),
                    released: h.released_at.map(|t| t.to_string()),
                })
                .collect(),
        ),
        Err(ServiceError::NotAllowed) => None,
        Err(e) => return Err(e.into()),
    };
    let disclosures = match svc.disclosures_as(who, client).await {
        Ok(d) => Some(
            d.iter()
                .map(|d| {
                    format!(
                        "{}: package {}",
                        d["at"].as_str().unwrap_or("-"),
                        d["package_id"].as_str().unwrap_or("-")
                    )
                })
                .collect(),
        ),
        Err(ServiceError::NotAllowed) => None,
        Err(e) => return Err(e.into()),
    };
    let access = match svc.access_log_as(who, client).await {
        Ok(a) => Some(a),
        Err(ServiceError::NotAllowed) => None,
        Err(e) => return Err(e.into()),
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        code,
        &ClientRecordsPage {
            chrome: user.chrome(),
            csrf_token: user.csrf().to_owned(),
            client_id: client.to_string(),
            policies: policies(state),
            limits,
            agreements,
            complaints,
            holds,
            disclosures,
            access,
            errors,
        },
    ))
}

fn client_id(id: &str) -> Result<ClientId, WebError> {
    id.parse().map_err(|_| WebError(AppError::NotFound))
}

async fn client_records(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = client_id(&id)?;
    client_page(&state, &user, &id, FormErrors::default()).await
}

#[derive(Deserialize)]
struct LimitsForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    how: String,
}

async fn limits_given(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<LimitsForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let id = client_id(&id)?;
    let how = match confidant_service::promises::HowGiven::from_str(&form.how) {
        Ok(h) => h,
        Err(_) => {
            return client_page(
                &state,
                &user,
                &id,
                one_error("how", "Choose how it was given."),
            )
            .await;
        }
    };
    match state
        .service()
        .record_limits_given_as(
            user.0.principal(),
            &id,
            &chosen_policy(&state, &form.policy),
            how,
            None,
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/clients/{id}/records")).into_response()),
        Err(e) => {
            let errors = field_error(e, "how")?;
            client_page(&state, &user, &id, errors).await
        }
    }
}

#[derive(Deserialize)]
struct AgreementForm {
    #[serde(default)]
    csrf_token: String,
    /// One party per line.
    #[serde(default)]
    parties: String,
    #[serde(default)]
    terms: String,
}

async fn agreement(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<AgreementForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let id = client_id(&id)?;
    let parties: Vec<String> = form
        .parties
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    match state
        .service()
        .record_agreement_as(user.0.principal(), &id, &parties, &form.terms, None, None)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/clients/{id}/records")).into_response()),
        Err(e) => {
            let field = match &e {
                ServiceError::Refused(m) if m.contains("parties") => "parties",
                _ => "terms",
            };
            let errors = field_error(e, field)?;
            client_page(&state, &user, &id, errors).await
        }
    }
}

async fn release(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, hold)): Path<(String, String)>,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let id = client_id(&id)?;
    let hold: HoldId = hold.parse().map_err(|_| WebError(AppError::NotFound))?;
    match state
        .service()
        .release_hold_as(user.0.principal(), &id, &hold)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/clients/{id}/records")).into_response()),
        Err(e) => {
            let errors = field_error(e, "holds")?;
            client_page(&state, &user, &id, errors).await
        }
    }
}
