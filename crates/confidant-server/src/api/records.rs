//! `/api/v1` over the record and the application layer's operations. Each
//! handler parses (unknown fields refused, ids checked), takes the user
//! from [`ApiUser`] (CSRF and token scope checked on writes), and calls the
//! authorised operation in `confidant-service` (`authorised.rs`,
//! `accounts.rs`), which asks the access policy and audits. Unknown ids and
//! ids the user may not see answer alike where the policy decides on the
//! record's facts ("not allowed").

use super::{ApiJson, Record, RecordList};
use super::{date, id, time};
use crate::session::ApiUser;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use confidant_access::Role;
use confidant_core::ids::{ClientId, ConsentId, GrantId, MatterId, PractitionerId, TokenId};
use confidant_core::record::{
    Client, ClientFlags, Consent, HoldReason, LegalHold, NewClient, NewConsent, NhsNumber, Note,
};
use confidant_service::MatterSubject;
use confidant_service::accounts::{GrantView, NewAccount, TokenView, UserView};
use confidant_service::matter::{MatterView, OpenMatter};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use zeroize::Zeroizing;

/// A closed-vocabulary word, refused without echoing the input.
fn word<T: FromStr<Err = confidant_core::vocab::UnknownValue>>(
    s: &str,
    field: &'static str,
) -> Result<T, AppError> {
    s.parse().map_err(|e: confidant_core::vocab::UnknownValue| {
        AppError::BadRequest(format!(
            "unknown `{field}` (expected one of: {})",
            e.expected
        ))
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: String,
}

fn created(id: impl ToString) -> (StatusCode, Json<Created>) {
    (StatusCode::CREATED, Json(Created { id: id.to_string() }))
}

// ------------------------------------------------------------ clients

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientBody {
    pub name: String,
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub nhs_number: Option<String>,
    #[serde(default)]
    pub protected: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients",
    tag = "clients",
    request_body = NewClientBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "registered, and assigned to me", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn create_client(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<NewClientBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let new = NewClient {
        name: b.name,
        date_of_birth: date(&b.date_of_birth, "date_of_birth")?,
        email: b.email,
        phone: b.phone,
        address: b.address,
        postcode: b.postcode,
        nhs_number: b
            .nhs_number
            .as_deref()
            .map(NhsNumber::from_str)
            .transpose()
            .map_err(|e| AppError::BadRequest(e.to_string()))?,
        flags: ClientFlags {
            protected: b.protected,
            ..ClientFlags::default()
        },
    };
    let id = state
        .service()
        .create_client_as(user.principal(), &new)
        .await?;
    Ok(created(id))
}

#[utoipa::path(
    get,
    path = "/api/v1/clients",
    tag = "clients",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the clients assigned to me", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn my_clients(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<Client>>, AppError> {
    Ok(Json(state.service().my_clients_as(user.principal()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}",
    tag = "clients",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the client", body = Record),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn show_client(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<Client>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state.service().client_as(user.principal(), &client).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub practitioner_id: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/assignments",
    tag = "clients",
    params(("id" = String, Path, description = "the id")),
    request_body = AssignBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "assigned"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn assign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<StatusCode, AppError> {
    let client: ClientId = id(&client)?;
    let p: PractitionerId = id(&b.practitioner_id)?;
    state
        .service()
        .assign_client(user.principal(), &client, &p)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------ notes

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/notes",
    tag = "notes",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the client's notes", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn notes(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<Vec<Note>>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state.service().notes_as(user.principal(), &client).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub text: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/notes",
    tag = "notes",
    params(("id" = String, Path, description = "the id")),
    request_body = NoteBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "written", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn add_note(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let client: ClientId = id(&client)?;
    let n = state
        .service()
        .add_note_as(user.principal(), &client, &b.text)
        .await?;
    Ok(created(n))
}

// ------------------------------------------------------------ consents

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/consents",
    tag = "consents",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the client's consents", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn consents(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<Vec<Consent>>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state
            .service()
            .consents_as(user.principal(), &client)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    pub purpose: String,
    pub form: String,
    pub status: String,
    #[serde(default)]
    pub given_at: Option<String>,
    #[serde(default)]
    pub evidence: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/consents",
    tag = "consents",
    params(("id" = String, Path, description = "the id")),
    request_body = ConsentBody,
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
pub async fn add_consent(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
    ApiJson(b): ApiJson<ConsentBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let client: ClientId = id(&client)?;
    let c = NewConsent {
        client_id: client,
        case_id: None,
        purpose: word(&b.purpose, "purpose")?,
        form: word(&b.form, "form")?,
        status: word(&b.status, "status")?,
        given_at: time(&b.given_at, "given_at")?,
        withdrawn_at: None,
        evidence: b.evidence,
    };
    let id = state.service().add_consent_as(user.principal(), &c).await?;
    Ok(created(id))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    #[serde(default)]
    pub at: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/consents/{consent}/withdraw",
    tag = "consents",
    params(("id" = String, Path, description = "the id"), ("consent" = String, Path, description = "the id")),
    request_body = WithdrawBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "withdrawn"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn withdraw_consent(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((client, consent)): Path<(String, String)>,
    ApiJson(b): ApiJson<WithdrawBody>,
) -> Result<StatusCode, AppError> {
    let client: ClientId = id(&client)?;
    let consent: ConsentId = id(&consent)?;
    let at = time(&b.at, "at")?.unwrap_or(crate::session::now());
    state
        .service()
        .withdraw_consent_as(user.principal(), &client, &consent, at)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------ holds

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/holds",
    tag = "holds",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "legal holds", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn holds(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<Vec<LegalHold>>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state.service().holds_as(user.principal(), &client).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// court-application, complaint, investigation or other.
    #[schema(value_type = String)]
    pub reason: HoldReason,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/holds",
    tag = "holds",
    params(("id" = String, Path, description = "the id")),
    request_body = HoldBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "placed", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn place_hold(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
    ApiJson(b): ApiJson<HoldBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let client: ClientId = id(&client)?;
    let h = state
        .service()
        .place_hold_as(user.principal(), &client, b.reason)
        .await?;
    Ok(created(h))
}

// ------------------------------------------------------------ matters

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenMatterBody {
    pub client_id: String,
    /// A built-in policy name.
    pub policy: String,
    /// What the matter is about (`kind` and its fields).
    #[schema(value_type = Object)]
    pub subject: MatterSubject,
    #[serde(default)]
    pub summary: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/matters",
    tag = "matters",
    request_body = OpenMatterBody,
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
pub async fn open_matter(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<OpenMatterBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    // Only built-in policies: a file path from the network is not read.
    if confidant_policy::Policy::builtin_text(&b.policy).is_none() {
        return Err(AppError::BadRequest(
            "unknown policy: give a built-in policy name".into(),
        ));
    }
    let m = OpenMatter {
        client_id: id(&b.client_id)?,
        case_id: None,
        policy: b.policy,
        subject: b.subject,
        arrived_at: None,
        summary: b.summary,
    };
    let id = state.service().open_matter_as(user.principal(), &m).await?;
    Ok(created(id))
}

#[utoipa::path(
    get,
    path = "/api/v1/matters/{id}",
    tag = "matters",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the matter", body = Record),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn show_matter(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(matter): Path<String>,
) -> Result<Json<MatterView>, AppError> {
    let matter: MatterId = id(&matter)?;
    Ok(Json(
        state.service().matter_as(user.principal(), &matter).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/matters",
    tag = "matters",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the client's matters", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn client_matters(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<Vec<MatterView>>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state
            .service()
            .matters_as(user.principal(), &client)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    #[serde(default)]
    pub on: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/decide",
    tag = "matters",
    params(("id" = String, Path, description = "the id")),
    request_body = DecideBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the policy's recommendation", body = Record),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn decide(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(matter): Path<String>,
    ApiJson(b): ApiJson<DecideBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let matter: MatterId = id(&matter)?;
    let on = date(&b.on, "on")?;
    Ok(Json(
        state
            .service()
            .decide_as(user.principal(), &matter, on)
            .await?,
    ))
}

// ------------------------------------------------------------ SARs, retention, audit

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/sars",
    tag = "sars",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the client's subject access requests", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn client_sars(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<Vec<confidant_service::sar::SarView>>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state.service().sars_as(user.principal(), &client).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionQuery {
    pub policy: String,
    #[serde(default)]
    pub by: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/retention/due",
    tag = "retention",
    params(("policy" = String, Query, description = "a built-in policy name"), ("by" = Option<String>, Query, description = "YYYY-MM-DD (default today)")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "every client's retention position", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn retention_due(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    q: Result<Query<RetentionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<confidant_service::retention::ClientRetention>>, AppError> {
    let Query(q) = q.map_err(|_| {
        AppError::BadRequest(
            "the query string does not fit this endpoint (give `policy`, and `by` as YYYY-MM-DD)"
                .into(),
        )
    })?;
    if confidant_policy::Policy::builtin_text(&q.policy).is_none() {
        return Err(AppError::BadRequest(
            "unknown policy: give a built-in policy name".into(),
        ));
    }
    let by = date(&q.by, "by")?;
    Ok(Json(
        state
            .service()
            .retention_due_as(user.principal(), &q.policy, by)
            .await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditVerified {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/audit/verify",
    tag = "audit",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "the audit log verified, or where it breaks", body = AuditVerified),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn verify_audit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<AuditVerified>, AppError> {
    Ok(Json(
        match state.service().verify_audit_as(user.principal()).await? {
            Ok(n) => AuditVerified {
                ok: true,
                entries: Some(n),
                problem: None,
            },
            Err(p) => AuditVerified {
                ok: false,
                entries: None,
                problem: Some(p),
            },
        },
    ))
}

// ------------------------------------------------------------ break-glass

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassBody {
    pub reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients/{id}/break-glass",
    tag = "break-glass",
    params(("id" = String, Path, description = "the id")),
    request_body = BreakGlassBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "the grant", body = Record),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn break_glass(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
    ApiJson(b): ApiJson<BreakGlassBody>,
) -> Result<(StatusCode, Json<GrantView>), AppError> {
    let client: ClientId = id(&client)?;
    let g = state
        .service()
        .break_glass(user.principal(), &client, &b.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(g)))
}

#[utoipa::path(
    get,
    path = "/api/v1/break-glass",
    tag = "break-glass",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "grants waiting for review", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn break_glass_queue(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<GrantView>>, AppError> {
    Ok(Json(
        state.service().break_glass_queue(user.principal()).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/break-glass/{id}/review",
    tag = "break-glass",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "reviewed"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn review_break_glass(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(grant): Path<String>,
) -> Result<StatusCode, AppError> {
    let grant: GrantId = id(&grant)?;
    state
        .service()
        .review_break_glass(user.principal(), &grant)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------ tokens

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    pub label: String,
    /// `read` (default) or `write` (read and write).
    #[serde(default)]
    pub scope: Option<String>,
    /// Days until it expires (default 90).
    #[serde(default)]
    pub days: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenCreated {
    #[schema(value_type = String)]
    pub id: TokenId,
    /// The token, shown this once.
    pub token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "tokens",
    request_body = TokenBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "the token, shown once", body = TokenCreated),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn create_token(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<TokenBody>,
) -> Result<(StatusCode, Json<TokenCreated>), AppError> {
    let write = match b.scope.as_deref() {
        None | Some("read") => false,
        Some("write") => true,
        Some(_) => {
            return Err(AppError::BadRequest(
                "unknown `scope` (expected one of: read, write)".into(),
            ));
        }
    };
    let (id, secret) = state
        .service()
        .create_token(user.principal(), &b.label, write, b.days.unwrap_or(90))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            id,
            token: secret.to_string(),
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "tokens",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "my tokens (no secrets)", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<TokenView>>, AppError> {
    Ok(Json(state.service().list_tokens(user.principal()).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "tokens",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "revoked"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(token): Path<String>,
) -> Result<StatusCode, AppError> {
    let token: TokenId = id(&token)?;
    state
        .service()
        .revoke_token(user.principal(), &token)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------ users

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub username: String,
    pub password: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub practitioner_id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    request_body = UserBody,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "created (TOTP enrolment due at first sign-in)", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn create_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<UserBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let roles = b
        .roles
        .iter()
        .map(|r| Role::from_str(r).map_err(|e| AppError::BadRequest(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let practitioner_id = b
        .practitioner_id
        .as_deref()
        .map(id::<PractitionerId>)
        .transpose()?;
    let new = NewAccount {
        username: b.username,
        password: Zeroizing::new(b.password),
        roles,
        practitioner_id,
    };
    let id = state
        .service()
        .create_account(user.principal(), new)
        .await?;
    Ok(created(id))
}

#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "every account", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn list_users(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<UserView>>, AppError> {
    Ok(Json(state.service().list_accounts(user.principal()).await?))
}
