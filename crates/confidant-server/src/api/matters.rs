//! `/api/v1` for the matter flows: couple and group cases with their
//! parties, notes attributed to parties, the decision record (sign, amend,
//! attest), closing a matter, and disclosure packages (build, preview with
//! every removed identifier by kind and position, deliver as sealed `age`
//! files to a recipient's key or as a recorded verbal disclosure). Each
//! handler parses (unknown fields refused), takes the user from
//! [`ApiUser`], and calls the authorised operation in
//! `confidant-service/src/authorised_matters.rs`, which asks the access
//! policy first and audits.

use super::ApiJson;
use super::id;
use super::records::Created;
use crate::session::ApiUser;
use crate::{AppError, AppState};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use confidant_core::decision::{Obligation, Outcome, Recipient};
use confidant_core::ids::{CaseId, ClientId, MatterId, PackageId};
use confidant_core::record::{CaseKind, NewConsent};
use confidant_service::matter::{ChecklistItem, DecideInput, OpenMatter};
use confidant_service::{
    BuildPackage, ClientTold, Consulted, DeliverTo, MatterSubject, NewDecisionRecord,
    PractitionerFacts, Selection, VerbalRecord,
};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The routes, merged into `app(state)`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases", post(add_case))
        .route("/api/v1/cases/{id}", get(show_case))
        .route("/api/v1/cases/{id}/notes", post(add_case_note))
        .route("/api/v1/cases/{id}/consents", post(add_case_consent))
        .route("/api/v1/cases/{id}/matters", post(open_case_matter))
        .route("/api/v1/matters/{id}/assess", post(assess))
        .route("/api/v1/matters/{id}/record", post(record))
        .route("/api/v1/matters/{id}/amendments", post(amend))
        .route("/api/v1/matters/{id}/attestations", post(attest))
        .route("/api/v1/matters/{id}/close", post(close))
        .route("/api/v1/matters/{id}/packages", post(build_package))
        .route("/api/v1/packages/{id}", get(preview))
        .route("/api/v1/packages/{id}/deliver", post(deliver))
        .route("/api/v1/clients/{id}/disclosures", get(disclosures))
}

fn ids<T: FromStr<Err = confidant_core::ids::InvalidId>>(v: &[String]) -> Result<Vec<T>, AppError> {
    v.iter().map(|s| id(s)).collect()
}

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

fn time(
    s: &Option<String>,
    field: &'static str,
) -> Result<Option<confidant_core::record::Timestamp>, AppError> {
    s.as_deref()
        .map(|t| {
            confidant_service::parse_time(t).ok_or_else(|| {
                AppError::BadRequest(format!("`{field}` is not a date or RFC 3339 time"))
            })
        })
        .transpose()
}

fn created(id: impl ToString) -> (StatusCode, Json<Created>) {
    (StatusCode::CREATED, Json(Created { id: id.to_string() }))
}

// ------------------------------------------------------------ cases

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseBody {
    /// `individual`, `couple` or `group`.
    pub kind: String,
    /// The parties' client ids (a couple: two).
    pub parties: Vec<String>,
}

fn case_kind(s: &str) -> Result<CaseKind, AppError> {
    match s {
        "individual" => Ok(CaseKind::Individual),
        "couple" => Ok(CaseKind::Couple),
        "group" => Ok(CaseKind::Group),
        _ => Err(AppError::BadRequest(
            "unknown `kind` (expected one of: individual, couple, group)".into(),
        )),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/cases",
    tag = "cases",
    request_body = NewCaseBody,
    responses(
        (status = 201, description = "the case is added", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn add_case(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<NewCaseBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let kind = case_kind(&b.kind)?;
    let parties: Vec<ClientId> = ids(&b.parties)?;
    let c = state
        .service()
        .add_case_as(user.principal(), kind, &parties)
        .await?;
    Ok(created(c))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: String,
    pub kind: String,
    pub parties: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    tag = "cases",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 200, description = "the case and its parties", body = CaseView),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn show_case(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(case): Path<String>,
) -> Result<Json<CaseView>, AppError> {
    let case: CaseId = id(&case)?;
    let c = state.service().case_as(user.principal(), &case).await?;
    Ok(Json(CaseView {
        id: c.id.to_string(),
        kind: c.kind.as_str().to_owned(),
        parties: c.parties.iter().map(ToString::to_string).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseNoteBody {
    /// The party whose record holds the note.
    pub client_id: String,
    pub text: String,
    /// The parties the note is about (CSRP 9: a note about a party who has
    /// not consented is never released). None: the client's own.
    #[serde(default)]
    pub parties: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/notes",
    tag = "cases",
    params(("id" = String, Path, description = "the id")),
    request_body = CaseNoteBody,
    responses(
        (status = 201, description = "written", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn add_case_note(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(case): Path<String>,
    ApiJson(b): ApiJson<CaseNoteBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let case: CaseId = id(&case)?;
    let client: ClientId = id(&b.client_id)?;
    let parties: Vec<ClientId> = ids(&b.parties)?;
    let n = state
        .service()
        .add_case_note_as(user.principal(), &case, &client, &parties, &b.text)
        .await?;
    Ok(created(n))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseConsentBody {
    /// The party giving (or refusing) consent.
    pub client_id: String,
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
    path = "/api/v1/cases/{id}/consents",
    tag = "cases",
    params(("id" = String, Path, description = "the id")),
    request_body = CaseConsentBody,
    responses(
        (status = 201, description = "recorded", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn add_case_consent(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(case): Path<String>,
    ApiJson(b): ApiJson<CaseConsentBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let case: CaseId = id(&case)?;
    let c = NewConsent {
        client_id: id(&b.client_id)?,
        case_id: Some(case),
        purpose: word(&b.purpose, "purpose")?,
        form: word(&b.form, "form")?,
        status: word(&b.status, "status")?,
        given_at: time(&b.given_at, "given_at")?,
        withdrawn_at: None,
        evidence: b.evidence,
    };
    let id = state
        .service()
        .add_case_consent_as(user.principal(), &c)
        .await?;
    Ok(created(id))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseMatterBody {
    /// The party the matter is raised on.
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
    path = "/api/v1/cases/{id}/matters",
    tag = "cases",
    params(("id" = String, Path, description = "the id")),
    request_body = CaseMatterBody,
    responses(
        (status = 201, description = "opened", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn open_case_matter(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(case): Path<String>,
    ApiJson(b): ApiJson<CaseMatterBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let case: CaseId = id(&case)?;
    if confidant_policy::Policy::builtin_text(&b.policy).is_none() {
        return Err(AppError::BadRequest(
            "unknown policy: give a built-in policy name".into(),
        ));
    }
    let m = OpenMatter {
        client_id: id(&b.client_id)?,
        case_id: Some(case),
        policy: b.policy,
        subject: b.subject,
        arrived_at: None,
        summary: b.summary,
    };
    let id = state
        .service()
        .open_case_matter_as(user.principal(), &m)
        .await?;
    Ok(created(id))
}

// ------------------------------------------------------------ decisions

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AssessBody {
    /// The decision date, YYYY-MM-DD (default today).
    #[serde(default)]
    pub on: Option<String>,
    #[serde(default)]
    pub imminent: Option<bool>,
    #[serde(default)]
    pub confirmed: Option<bool>,
    #[serde(default)]
    pub life_threatening: Option<bool>,
    #[serde(default)]
    pub ongoing_risk: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/assess",
    tag = "matters",
    params(("id" = String, Path, description = "the id")),
    request_body = AssessBody,
    responses(
        (status = 200, description = "the policy's recommendation on these facts", body = super::Record),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn assess(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(matter): Path<String>,
    ApiJson(b): ApiJson<AssessBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let matter: MatterId = id(&matter)?;
    let on =
        b.on.as_deref()
            .map(|d| {
                confidant_core::record::CivilDate::parse(d, "on")
                    .map_err(|e| AppError::BadRequest(e.to_string()))
            })
            .transpose()?;
    let input = DecideInput {
        on,
        facts: PractitionerFacts {
            imminent: b.imminent,
            confirmed: b.confirmed,
            life_threatening: b.life_threatening,
            ongoing_risk: b.ongoing_risk,
            ..PractitionerFacts::default()
        },
        capacity: None,
    };
    Ok(Json(
        state
            .service()
            .decide_with_as(user.principal(), &matter, &input)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultedBody {
    #[serde(default)]
    pub name: Option<String>,
    pub role: String,
    #[serde(default)]
    pub anonymously: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientToldBody {
    pub told: bool,
    #[serde(default)]
    pub how: Option<String>,
    #[serde(default)]
    pub why_not: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// The decision (an outcome word).
    pub outcome: String,
    /// Why, when it differs from the recommendation.
    #[serde(default)]
    pub differs_reason: Option<String>,
    #[serde(default)]
    pub consulted: Vec<ConsultedBody>,
    pub factors: Vec<String>,
    pub why: String,
    pub client_told: ClientToldBody,
}

#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/record",
    tag = "matters",
    params(("id" = String, Path, description = "the id")),
    request_body = RecordBody,
    responses(
        (status = 201, description = "the decision record is signed", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn record(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(matter): Path<String>,
    ApiJson(b): ApiJson<RecordBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let matter: MatterId = id(&matter)?;
    let outcome: Outcome = word(&b.outcome, "outcome")?;
    let r = NewDecisionRecord {
        outcome,
        differs_reason: b.differs_reason,
        consulted: b
            .consulted
            .into_iter()
            .map(|c| Consulted {
                name: c.name,
                role: c.role,
                anonymously: c.anonymously,
            })
            .collect(),
        factors: b.factors,
        why: b.why,
        client_told: ClientTold {
            told: b.client_told.told,
            how: b.client_told.how,
            when: None,
            why_not: b.client_told.why_not,
        },
    };
    let rid = state
        .service()
        .record_as(user.principal(), &matter, &r)
        .await?;
    Ok(created(rid))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendBody {
    /// The decision record's field being corrected.
    pub field: String,
    pub correction: String,
    pub reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/amendments",
    tag = "matters",
    params(("id" = String, Path, description = "the id")),
    request_body = AmendBody,
    responses(
        (status = 201, description = "the amendment is signed; the original stays", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn amend(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(matter): Path<String>,
    ApiJson(b): ApiJson<AmendBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let matter: MatterId = id(&matter)?;
    let a = state
        .service()
        .amend_as(
            user.principal(),
            &matter,
            &b.field,
            &b.correction,
            &b.reason,
        )
        .await?;
    Ok(created(a))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestBody {
    /// An obligation on the matter's checklist.
    pub obligation: String,
    /// How it was met.
    pub note: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/attestations",
    tag = "matters",
    params(("id" = String, Path, description = "the id")),
    request_body = AttestBody,
    responses(
        (status = 201, description = "attested", body = Created),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn attest(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(matter): Path<String>,
    ApiJson(b): ApiJson<AttestBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let matter: MatterId = id(&matter)?;
    let o: Obligation = word(&b.obligation, "obligation")?;
    let a = state
        .service()
        .attest_as(user.principal(), &matter, o, &b.note)
        .await?;
    Ok(created(a))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObligationNote {
    pub obligation: String,
    pub note: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// Obligations attested as the matter closes.
    #[serde(default)]
    pub attest: Vec<ObligationNote>,
    /// Obligations not met, each with the reason.
    #[serde(default)]
    pub unmet: Vec<ObligationNote>,
}

fn obligation_notes(v: Vec<ObligationNote>) -> Result<Vec<(Obligation, String)>, AppError> {
    v.into_iter()
        .map(|o| Ok((word(&o.obligation, "obligation")?, o.note)))
        .collect()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Closed {
    /// The final checklist: each obligation and how it stands.
    #[schema(value_type = Vec<Object>)]
    pub checklist: Vec<ChecklistItem>,
}

#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/close",
    tag = "matters",
    params(("id" = String, Path, description = "the id")),
    request_body = CloseBody,
    responses(
        (status = 200, description = "closed, with the final checklist", body = Closed),
        (status = 400, description = "bad input, or an obligation is outstanding; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn close(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(matter): Path<String>,
    ApiJson(b): ApiJson<CloseBody>,
) -> Result<Json<Closed>, AppError> {
    let matter: MatterId = id(&matter)?;
    let attest = obligation_notes(b.attest)?;
    let unmet = obligation_notes(b.unmet)?;
    let checklist = state
        .service()
        .close_matter_as(user.principal(), &matter, &attest, &unmet)
        .await?;
    Ok(Json(Closed { checklist }))
}

// ------------------------------------------------------------ packages

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerbalBody {
    /// What was said.
    pub said: String,
    pub to_whom: String,
    /// When (default now).
    #[serde(default)]
    pub at: Option<String>,
    /// Telephone, in person...
    pub means: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildBody {
    /// A recipient the signed decision allows.
    pub recipient: String,
    #[serde(default)]
    pub recipient_name: Option<String>,
    /// Each item selected explicitly: `{"note": id, "reason": ...}`,
    /// `{"note": id, "extract": [start, end], "reason": ...}` or
    /// `{"field": "date-of-birth", "reason": ...}`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Selection>,
    /// A verbal disclosure instead of a file.
    #[serde(default)]
    pub verbal: Option<VerbalBody>,
}

#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/packages",
    tag = "packages",
    params(("id" = String, Path, description = "the id")),
    request_body = BuildBody,
    responses(
        (status = 201, description = "built (not yet delivered)", body = Created),
        (status = 400, description = "bad input, or the decision does not allow it; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn build_package(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(matter): Path<String>,
    ApiJson(b): ApiJson<BuildBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let matter: MatterId = id(&matter)?;
    let recipient: Recipient = word(&b.recipient, "recipient")?;
    let verbal = match b.verbal {
        Some(v) => Some(VerbalRecord {
            said: v.said,
            to_whom: v.to_whom,
            at: time(&v.at, "at")?.unwrap_or(confidant_core::record::Timestamp(
                confidant_store::now_micros(),
            )),
            means: v.means,
        }),
        None => None,
    };
    let p = state
        .service()
        .build_package_as(
            user.principal(),
            &matter,
            &BuildPackage {
                recipient,
                recipient_name: b.recipient_name,
                items: b.items,
                verbal,
            },
        )
        .await?;
    Ok(created(p))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RemovedView {
    /// Which selected note (0-based).
    pub item: usize,
    /// `[start, end)` in Unicode code points of the item as selected.
    pub start: usize,
    pub end: usize,
    /// What kind of identifier (name, phone, address...).
    pub kind: String,
    /// The removed text, for the practitioner reviewing it.
    pub text: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PreviewView {
    pub package_id: String,
    pub matter_id: String,
    /// `identifiable`, `deidentified` or `verbal`.
    pub mode: String,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub delivered: bool,
    /// Every identifier removed, by kind and position.
    pub removed: Vec<RemovedView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/packages/{id}",
    tag = "packages",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 200, description = "the package for review: every removed identifier", body = PreviewView),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn preview(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(package): Path<String>,
) -> Result<Json<PreviewView>, AppError> {
    let package: PackageId = id(&package)?;
    let p = state
        .service()
        .package_preview_as(user.principal(), &package)
        .await?;
    Ok(Json(PreviewView {
        package_id: p.package_id,
        matter_id: p.matter_id,
        mode: p.mode,
        recipient: p.recipient,
        recipient_name: p.recipient_name,
        delivered: p.delivered,
        removed: p
            .removed
            .into_iter()
            .map(|r| RemovedView {
                item: r.item,
                start: r.start,
                end: r.end,
                kind: r.kind,
                text: r.text,
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverBody {
    /// The recipient's `age` public key (`age1...`) for a file package.
    #[serde(default)]
    pub recipient_key: Option<String>,
    /// Deliver a verbal package (record what was said).
    #[serde(default)]
    pub verbal: bool,
    /// The removed identifiers were reviewed (needed for a de-identified
    /// package).
    #[serde(default)]
    pub reviewed: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SealedFile {
    pub name: String,
    /// The `age` file, base64 (RFC 4648, padded).
    pub age_base64: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveredView {
    pub package_id: String,
    pub disclosure_id: String,
    pub manifest_sha256: String,
    /// The sealed files (none for a verbal disclosure); kept nowhere else.
    pub files: Vec<SealedFile>,
}

/// RFC 4648 base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(char::from(A[(n >> 18) as usize & 63]));
        out.push(char::from(A[(n >> 12) as usize & 63]));
        out.push(if c.len() > 1 {
            char::from(A[(n >> 6) as usize & 63])
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            char::from(A[n as usize & 63])
        } else {
            '='
        });
    }
    out
}

#[utoipa::path(
    post,
    path = "/api/v1/packages/{id}/deliver",
    tag = "packages",
    params(("id" = String, Path, description = "the id")),
    request_body = DeliverBody,
    responses(
        (status = 200, description = "delivered and entered in the accounting of disclosures", body = DeliveredView),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn deliver(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(package): Path<String>,
    ApiJson(b): ApiJson<DeliverBody>,
) -> Result<Json<DeliveredView>, AppError> {
    let package: PackageId = id(&package)?;
    let to = match (b.recipient_key, b.verbal) {
        (Some(k), false) => DeliverTo::AgeRecipient(k),
        (None, true) => DeliverTo::Verbal,
        _ => {
            return Err(AppError::BadRequest(
                "give either `recipient_key` (an age public key) or `verbal: true`".into(),
            ));
        }
    };
    let d = state
        .service()
        .deliver_package_as(user.principal(), &package, &to, b.reviewed)
        .await?;
    Ok(Json(DeliveredView {
        package_id: d.delivered.package_id,
        disclosure_id: d.delivered.disclosure_id,
        manifest_sha256: d.delivered.manifest_sha256,
        files: d
            .files
            .into_iter()
            .map(|(name, bytes)| SealedFile {
                name,
                age_base64: base64(&bytes),
            })
            .collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/disclosures",
    tag = "packages",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 200, description = "the client's accounting of disclosures, oldest first", body = super::RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn disclosures(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(client): Path<String>,
) -> Result<Json<Vec<serde_json::Value>>, AppError> {
    let client: ClientId = id(&client)?;
    Ok(Json(
        state
            .service()
            .disclosures_as(user.principal(), &client)
            .await?,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(plain.as_bytes()), enc);
        }
    }
}
