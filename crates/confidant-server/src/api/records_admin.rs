//! `/api/v1` for subject access, retention and destruction, legal holds,
//! complaints, the promises record (limits given, confidentiality
//! agreements), policy reviews and the audit log. Each handler parses
//! (unknown fields refused, ids and dates checked), takes the user from
//! [`ApiUser`] (CSRF and token scope on writes) and calls the authorised
//! operation in `confidant-service` (`authorised_records.rs`), which asks
//! the access policy and audits.

use super::ApiJson;
use super::records::Created;
use super::{date, id, time};
use crate::session::ApiUser;
use crate::{AppError, AppState};
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use confidant_core::ids::{ClientId, HoldId, MatterId, NoteId, PromiseId};
use confidant_core::record::Timestamp;
use confidant_service::DeliverTo;
use confidant_service::authorised_records::{AuditQuery, RespondInput};
use confidant_service::promises::{ComplaintOutcome, ComplaintRoute, HowGiven};
use confidant_service::sar::{
    Authority, FeeGrounds, OnBehalf, OpenSar, RefusalGrounds, SarFilter, Withheld,
};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::OpenApi;

/// The routes of this file, merged into `app(state)`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sars", get(list_sars).post(open_sar))
        .route("/api/v1/sars/{id}", get(show_sar))
        .route("/api/v1/sars/{id}/identity-confirmed", post(sar_identity))
        .route("/api/v1/sars/{id}/extend", post(sar_extend))
        .route("/api/v1/sars/{id}/pause", post(sar_pause))
        .route("/api/v1/sars/{id}/resume", post(sar_resume))
        .route("/api/v1/sars/{id}/fee", post(sar_fee))
        .route("/api/v1/sars/{id}/fee-paid", post(sar_fee_paid))
        .route("/api/v1/sars/{id}/respond", post(sar_respond))
        .route("/api/v1/sars/{id}/refuse", post(sar_refuse))
        .route("/api/v1/retention/sweep", post(retention_sweep))
        .route(
            "/api/v1/clients/{id}/destruction-certificates",
            get(destruction_certificates),
        )
        .route(
            "/api/v1/clients/{id}/holds/{hold}/release",
            post(release_hold),
        )
        .route("/api/v1/complaints", get(complaints))
        .route("/api/v1/clients/{id}/complaints", post(open_complaint))
        .route(
            "/api/v1/clients/{id}/complaints/{complaint}/close",
            post(close_complaint),
        )
        .route("/api/v1/clients/{id}/promises", get(promises))
        .route("/api/v1/clients/{id}/agreements", post(add_agreement))
        .route("/api/v1/clients/{id}/limits-given", post(limits_given))
        .route("/api/v1/limits-missing", get(limits_missing))
        .route(
            "/api/v1/policies/{name}/reviews",
            get(policy_reviews).post(add_policy_review),
        )
        .route("/api/v1/audit/search", get(audit_search))
        .route("/api/v1/clients/{id}/access-log", get(access_log))
}

/// The OpenAPI paths of this file, merged into the document.
#[derive(OpenApi)]
#[openapi(paths(
    open_sar,
    list_sars,
    show_sar,
    sar_identity,
    sar_extend,
    sar_pause,
    sar_resume,
    sar_fee,
    sar_fee_paid,
    sar_respond,
    sar_refuse,
    retention_sweep,
    destruction_certificates,
    release_hold,
    complaints,
    open_complaint,
    close_complaint,
    promises,
    add_agreement,
    limits_given,
    limits_missing,
    policy_reviews,
    add_policy_review,
    audit_search,
    access_log,
))]
pub struct RecordsAdminDoc;

/// A word of one of the service's closed vocabularies (its own message
/// names what is expected, never the input).
fn word<T: FromStr<Err = confidant_service::ServiceError>>(s: &str) -> Result<T, AppError> {
    s.parse().map_err(AppError::from)
}

/// A built-in policy, or the service's own records policy (which may be
/// a file the server was started with): never a path from a request.
fn policy_name(state: &AppState, name: &str) -> Result<(), AppError> {
    if confidant_policy::Policy::builtin_text(name).is_none()
        && name != state.service().records_policy()
    {
        return Err(AppError::BadRequest(
            "unknown policy: give a built-in policy name".into(),
        ));
    }
    Ok(())
}

fn query<T>(
    q: Result<Query<T>, axum::extract::rejection::QueryRejection>,
    expected: &'static str,
) -> Result<T, AppError> {
    q.map(|Query(v)| v).map_err(|_| {
        AppError::BadRequest(format!(
            "the query string does not fit this endpoint ({expected})"
        ))
    })
}

fn created(id: impl ToString) -> (StatusCode, Json<Created>) {
    (StatusCode::CREATED, Json(Created { id: id.to_string() }))
}

// ------------------------------------------------------------ subject access

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnBehalfBody {
    pub requester: String,
    /// parental-responsibility, attorney, deputy or written-authorisation.
    pub authority: String,
    pub evidence: String,
    #[serde(default)]
    pub child_view: Option<String>,
    #[serde(default)]
    pub child_not_competent: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenSarBody {
    pub client_id: String,
    /// A built-in policy name.
    pub policy: String,
    /// When it arrived (YYYY-MM-DD or RFC 3339; default now).
    #[serde(default)]
    pub received_at: Option<String>,
    /// The requester's identity must be confirmed before the clock starts.
    #[serde(default)]
    pub identity_check: bool,
    /// The request's own words.
    #[serde(default)]
    pub wording: Option<String>,
    #[serde(default)]
    pub on_behalf: Option<OnBehalfBody>,
}

#[utoipa::path(
    post,
    path = "/api/v1/sars",
    tag = "subject-access",
    request_body = OpenSarBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "opened", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn open_sar(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<OpenSarBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    policy_name(&state, &b.policy)?;
    let on_behalf = match b.on_behalf {
        None => None,
        Some(o) => Some(OnBehalf {
            requester: o.requester,
            authority: word::<Authority>(&o.authority)?,
            evidence: o.evidence,
            child_view: o.child_view,
            child_not_competent: o.child_not_competent,
        }),
    };
    let req = OpenSar {
        client_id: id(&b.client_id)?,
        received_at: time(&b.received_at, "received_at")?
            .unwrap_or(Timestamp(confidant_store::now_micros())),
        identity_check: b.identity_check,
        on_behalf,
        wording: b.wording,
        policy: b.policy,
    };
    let id = state.service().open_sar_as(user.principal(), &req).await?;
    Ok(created(id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SarListQuery {
    #[serde(default)]
    pub filter: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/sars",
    tag = "subject-access",
    params(("filter" = Option<String>, Query, description = "all (default), due (open) or overdue")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the requests I may track, overdue first, then by days left", body = super::RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn list_sars(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    q: Result<Query<SarListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<confidant_service::sar::SarView>>, AppError> {
    let q = query(q, "`filter`: all, due or overdue")?;
    let filter = match q.filter.as_deref() {
        None | Some("all") => SarFilter::All,
        Some("due") => SarFilter::Due,
        Some("overdue") => SarFilter::Overdue,
        Some(_) => {
            return Err(AppError::BadRequest(
                "unknown `filter` (expected one of: all, due, overdue)".into(),
            ));
        }
    };
    Ok(Json(
        state
            .service()
            .list_sars_as(user.principal(), filter)
            .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/sars/{id}",
    tag = "subject-access",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the request, its clock and its steps", body = super::Record),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn show_sar(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(sar): Path<String>,
) -> Result<Json<confidant_service::sar::SarView>, AppError> {
    let sar: MatterId = id(&sar)?;
    Ok(Json(state.service().sar_as(user.principal(), &sar).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnBody {
    /// YYYY-MM-DD (default today in the service's time zone).
    #[serde(default)]
    pub on: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/sars/{id}/identity-confirmed",
    tag = "subject-access",
    params(("id" = String, Path, description = "the id")),
    request_body = OnBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "recorded; the clock runs from that date"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sar_identity(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(sar): Path<String>,
    ApiJson(b): ApiJson<OnBody>,
) -> Result<StatusCode, AppError> {
    let sar: MatterId = id(&sar)?;
    let on = date(&b.on, "on")?;
    state
        .service()
        .confirm_sar_identity_as(user.principal(), &sar, on)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// The day the notice with reasons was sent (default today).
    #[serde(default)]
    pub notice_sent: Option<String>,
    /// 1 or 2.
    pub further_months: u8,
    pub reasons: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/sars/{id}/extend",
    tag = "subject-access",
    params(("id" = String, Path, description = "the id")),
    request_body = ExtendBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "extended"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sar_extend(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(sar): Path<String>,
    ApiJson(b): ApiJson<ExtendBody>,
) -> Result<StatusCode, AppError> {
    let sar: MatterId = id(&sar)?;
    let on = date(&b.notice_sent, "notice_sent")?;
    state
        .service()
        .extend_sar_as(user.principal(), &sar, on, b.further_months, &b.reasons)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseBody {
    #[serde(default)]
    pub on: Option<String>,
    /// What the requester was asked to clarify.
    pub asked: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/sars/{id}/pause",
    tag = "subject-access",
    params(("id" = String, Path, description = "the id")),
    request_body = PauseBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "the clock is paused"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sar_pause(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(sar): Path<String>,
    ApiJson(b): ApiJson<PauseBody>,
) -> Result<StatusCode, AppError> {
    let sar: MatterId = id(&sar)?;
    let on = date(&b.on, "on")?;
    state
        .service()
        .pause_sar_as(user.principal(), &sar, on, &b.asked)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/sars/{id}/resume",
    tag = "subject-access",
    params(("id" = String, Path, description = "the id")),
    request_body = OnBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "the clock runs again"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sar_resume(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(sar): Path<String>,
    ApiJson(b): ApiJson<OnBody>,
) -> Result<StatusCode, AppError> {
    let sar: MatterId = id(&sar)?;
    let on = date(&b.on, "on")?;
    state
        .service()
        .resume_sar_as(user.principal(), &sar, on)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeBody {
    #[serde(default)]
    pub on: Option<String>,
    pub amount_pence: u64,
    /// manifestly-unfounded, manifestly-excessive or further-copies.
    pub grounds: String,
    pub note: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/sars/{id}/fee",
    tag = "subject-access",
    params(("id" = String, Path, description = "the id")),
    request_body = FeeBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "the fee is asked; the clock waits for payment"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sar_fee(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(sar): Path<String>,
    ApiJson(b): ApiJson<FeeBody>,
) -> Result<StatusCode, AppError> {
    let sar: MatterId = id(&sar)?;
    let on = date(&b.on, "on")?;
    let grounds = word::<FeeGrounds>(&b.grounds)?;
    state
        .service()
        .sar_fee_as(user.principal(), &sar, on, b.amount_pence, grounds, &b.note)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/sars/{id}/fee-paid",
    tag = "subject-access",
    params(("id" = String, Path, description = "the id")),
    request_body = OnBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "paid; the clock runs again"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sar_fee_paid(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(sar): Path<String>,
    ApiJson(b): ApiJson<OnBody>,
) -> Result<StatusCode, AppError> {
    let sar: MatterId = id(&sar)?;
    let on = date(&b.on, "on")?;
    state
        .service()
        .sar_fee_paid_as(user.principal(), &sar, on)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithheldBody {
    pub note_id: String,
    /// The appropriate health professional whose opinion it is.
    pub professional: String,
    /// YYYY-MM-DD.
    pub opinion_date: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondBody {
    #[serde(default)]
    pub on: Option<String>,
    /// The requester's `age` public key (age1...): the package is sealed
    /// to it.
    pub recipient: String,
    /// Other people on the record who consented to their information
    /// going to the requester.
    #[serde(default)]
    pub consenting_third_parties: Vec<String>,
    #[serde(default)]
    pub withheld: Vec<WithheldBody>,
}

#[utoipa::path(
    post,
    path = "/api/v1/sars/{id}/respond",
    tag = "subject-access",
    params(("id" = String, Path, description = "the id")),
    request_body = RespondBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the response package, sealed with age to the recipient", content_type = "application/octet-stream"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sar_respond(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(sar): Path<String>,
    ApiJson(b): ApiJson<RespondBody>,
) -> Result<Response, AppError> {
    let sar: MatterId = id(&sar)?;
    let input = RespondInput {
        on: date(&b.on, "on")?,
        consenting_third_parties: b
            .consenting_third_parties
            .iter()
            .map(|c| id::<ClientId>(c))
            .collect::<Result<_, _>>()?,
        withheld: b
            .withheld
            .into_iter()
            .map(|w| {
                Ok(Withheld {
                    note_id: id::<NoteId>(&w.note_id)?,
                    professional: w.professional,
                    opinion_date: w.opinion_date,
                })
            })
            .collect::<Result<_, AppError>>()?,
        to: DeliverTo::AgeRecipient(b.recipient),
    };
    let out = state
        .service()
        .respond_sar_as(user.principal(), &sar, input)
        .await?;
    Ok(sealed_file(out))
}

/// The sealed package as a download.
pub(crate) fn sealed_file(out: confidant_service::authorised_records::SarResponse) -> Response {
    let mut res = out.sealed.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", out.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseBody {
    #[serde(default)]
    pub on: Option<String>,
    /// manifestly-unfounded or manifestly-excessive.
    pub grounds: String,
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Letter {
    pub letter: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/sars/{id}/refuse",
    tag = "subject-access",
    params(("id" = String, Path, description = "the id")),
    request_body = RefuseBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "refused; the letter to send", body = Letter),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sar_refuse(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(sar): Path<String>,
    ApiJson(b): ApiJson<RefuseBody>,
) -> Result<Json<Letter>, AppError> {
    let sar: MatterId = id(&sar)?;
    let on = date(&b.on, "on")?;
    let grounds = word::<RefusalGrounds>(&b.grounds)?;
    let letter = state
        .service()
        .refuse_sar_as(user.principal(), &sar, on, grounds, &b.reason)
        .await?;
    Ok(Json(Letter { letter }))
}

// ------------------------------------------------------------ retention

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepBody {
    /// A built-in policy name.
    pub policy: String,
    /// YYYY-MM-DD (default today; a later date is a dry run only).
    #[serde(default)]
    pub by: Option<String>,
    /// Limit the sweep to these clients.
    #[serde(default)]
    pub only: Vec<String>,
    /// Destroy what is due (default: a dry run).
    #[serde(default)]
    pub apply: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/retention/sweep",
    tag = "retention",
    request_body = SweepBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "what was (or would be) destroyed, the clients skipped under a legal hold, and the certificates", body = super::Record),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn retention_sweep(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<SweepBody>,
) -> Result<Json<confidant_service::retention::SweepReport>, AppError> {
    policy_name(&state, &b.policy)?;
    let by = date(&b.by, "by")?;
    let only = b
        .only
        .iter()
        .map(|c| id::<ClientId>(c))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(
        state
            .service()
            .retention_sweep_as(user.principal(), &b.policy, by, &only, b.apply)
            .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/destruction-certificates",
    tag = "retention",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the signed destruction certificates of the client", body = super::RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn destruction_certificates(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<Vec<confidant_store::ShownCertificate>>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state
            .service()
            .destruction_certificates_as(user.principal(), &client)
            .await?,
    ))
}

// ------------------------------------------------------------ holds

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/holds/{hold}/release",
    tag = "holds",
    params(("id" = String, Path, description = "the client"), ("hold" = String, Path, description = "the hold")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "released (a complaint hold only by closing its complaint)"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn release_hold(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((client, hold)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let client: ClientId = id(&client)?;
    let hold: HoldId = id(&hold)?;
    state
        .service()
        .release_hold_as(user.principal(), &client, &hold)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------ complaints

#[utoipa::path(
    get,
    path = "/api/v1/complaints",
    tag = "complaints",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "every complaint, open ones first", body = super::RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn complaints(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<confidant_service::authorised_records::ComplaintRow>>, AppError> {
    Ok(Json(state.service().complaints_as(user.principal()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintBody {
    /// internal, professional-body, regulator or ico.
    pub route: String,
    /// The body complained to (for a professional body or regulator).
    #[serde(default)]
    pub to: Option<String>,
    pub summary: String,
    /// YYYY-MM-DD (default today).
    #[serde(default)]
    pub received: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ComplaintOpened {
    pub id: String,
    /// The legal hold placed with it.
    pub hold_id: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/complaints",
    tag = "complaints",
    params(("id" = String, Path, description = "the client")),
    request_body = ComplaintBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "recorded, with its legal hold", body = ComplaintOpened),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn open_complaint(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
    ApiJson(b): ApiJson<ComplaintBody>,
) -> Result<(StatusCode, Json<ComplaintOpened>), AppError> {
    let client: ClientId = id(&client)?;
    let route = word::<ComplaintRoute>(&b.route)?;
    let received = date(&b.received, "received")?;
    let (id, hold) = state
        .service()
        .open_complaint_as(user.principal(), &client, route, b.to, &b.summary, received)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ComplaintOpened {
            id: id.to_string(),
            hold_id: hold.to_string(),
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseComplaintBody {
    /// upheld, partly-upheld, not-upheld, resolved or withdrawn.
    pub outcome: String,
    pub note: String,
    #[serde(default)]
    pub on: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/complaints/{complaint}/close",
    tag = "complaints",
    params(("id" = String, Path, description = "the client"), ("complaint" = String, Path, description = "the complaint")),
    request_body = CloseComplaintBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "closed, and its hold released"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn close_complaint(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((client, complaint)): Path<(String, String)>,
    ApiJson(b): ApiJson<CloseComplaintBody>,
) -> Result<StatusCode, AppError> {
    let client: ClientId = id(&client)?;
    let complaint: PromiseId = id(&complaint)?;
    let outcome = word::<ComplaintOutcome>(&b.outcome)?;
    let on = date(&b.on, "on")?;
    state
        .service()
        .close_complaint_as(user.principal(), &client, &complaint, outcome, &b.note, on)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------ promises

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/promises",
    tag = "promises",
    params(("id" = String, Path, description = "the client")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "limits given, agreements and complaints", body = super::Record),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn promises(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<confidant_service::promises::PromisesView>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state
            .service()
            .promises_as(user.principal(), &client)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementBody {
    /// Everyone bound by it (at least two).
    pub parties: Vec<String>,
    pub terms: String,
    #[serde(default)]
    pub case_id: Option<String>,
    #[serde(default)]
    pub on: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/agreements",
    tag = "promises",
    params(("id" = String, Path, description = "the client")),
    request_body = AgreementBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "recorded", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn add_agreement(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
    ApiJson(b): ApiJson<AgreementBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let client: ClientId = id(&client)?;
    let case_id = b.case_id.as_deref().map(id).transpose()?;
    let on = date(&b.on, "on")?;
    let id = state
        .service()
        .record_agreement_as(user.principal(), &client, &b.parties, &b.terms, case_id, on)
        .await?;
    Ok(created(id))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsGivenBody {
    /// A built-in policy name: its statement was given.
    pub policy: String,
    /// in-person, written, video, phone or group-format.
    pub how: String,
    /// When (default now).
    #[serde(default)]
    pub at: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/limits-given",
    tag = "promises",
    params(("id" = String, Path, description = "the client")),
    request_body = LimitsGivenBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "recorded, with the statement version", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn limits_given(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
    ApiJson(b): ApiJson<LimitsGivenBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let client: ClientId = id(&client)?;
    policy_name(&state, &b.policy)?;
    let how = word::<HowGiven>(&b.how)?;
    let at = time(&b.at, "at")?;
    let id = state
        .service()
        .record_limits_given_as(user.principal(), &client, &b.policy, how, at)
        .await?;
    Ok(created(id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyQuery {
    pub policy: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/limits-missing",
    tag = "promises",
    params(("policy" = String, Query, description = "a built-in policy name")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "clients not given the current statement", body = super::RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn limits_missing(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    q: Result<Query<PolicyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<confidant_service::promises::LimitsMissing>>, AppError> {
    let q = query(q, "give `policy`")?;
    policy_name(&state, &q.policy)?;
    Ok(Json(
        state
            .service()
            .limits_missing_as(user.principal(), &q.policy)
            .await?,
    ))
}

// ------------------------------------------------------------ policy reviews

#[derive(Serialize, utoipa::ToSchema)]
pub struct Reviews {
    #[schema(value_type = Object)]
    pub status: confidant_service::promises::ReviewStatus,
    #[schema(value_type = Vec<Object>)]
    pub reviews: Vec<confidant_service::authorised_records::ReviewRow>,
}

#[utoipa::path(
    get,
    path = "/api/v1/policies/{name}/reviews",
    tag = "policy",
    params(("name" = String, Path, description = "a built-in policy name")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "where the review stands, and every recorded review", body = Reviews),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn policy_reviews(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(name): Path<String>,
) -> Result<Json<Reviews>, AppError> {
    policy_name(&state, &name)?;
    let status = state
        .service()
        .review_status_as(user.principal(), &name)
        .await?;
    let reviews = state
        .service()
        .policy_reviews_as(user.principal(), &name)
        .await?;
    Ok(Json(Reviews { status, reviews }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// Who approved it (e.g. the Trustees).
    pub approved_by: String,
    #[serde(default)]
    pub on: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/policies/{name}/reviews",
    tag = "policy",
    params(("name" = String, Path, description = "a built-in policy name")),
    request_body = ReviewBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "recorded, with the policy text hash", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn add_policy_review(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(name): Path<String>,
    ApiJson(b): ApiJson<ReviewBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    policy_name(&state, &name)?;
    let on = date(&b.on, "on")?;
    let id = state
        .service()
        .record_policy_review_as(user.principal(), &name, &b.approved_by, on)
        .await?;
    Ok(created(id))
}

// ------------------------------------------------------------ audit

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSearchQuery {
    #[serde(default)]
    pub record: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/search",
    tag = "audit",
    params(("record" = Option<String>, Query, description = "a record id"), ("user" = Option<String>, Query, description = "a user id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "who, when, what: ids and actions only, oldest first", body = super::RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn audit_search(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    q: Result<Query<AuditSearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<confidant_service::authorised_records::AuditRow>>, AppError> {
    let q = query(q, "give `record` or `user`")?;
    let q = match (q.record, q.user) {
        (Some(r), None) => AuditQuery::Record(r),
        (None, Some(u)) => AuditQuery::User(u),
        _ => {
            return Err(AppError::BadRequest(
                "give exactly one of `record` (a record id) or `user` (a user id)".into(),
            ));
        }
    };
    Ok(Json(
        state
            .service()
            .audit_search_as(user.principal(), &q)
            .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/access-log",
    tag = "audit",
    params(("id" = String, Path, description = "the client")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "who accessed this record: who, when, what", body = super::RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn access_log(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<Vec<confidant_service::authorised_records::AuditRow>>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state
            .service()
            .access_log_as(user.principal(), &client)
            .await?,
    ))
}
