//! `/api/v1` for escalating a matter to the safeguarding officer
//! (Handcrafted: "only contact the Safeguarding Officer or their deputy")
//! and the officer's list of escalations waiting for them. The handlers
//! parse and call `confidant-service/src/escalation.rs`, which asks the
//! access policy and audits.

use super::ApiJson;
use super::records::Created;
use crate::session::ApiUser;
use crate::{AppError, AppState};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use confidant_core::ids::{MatterId, UserId};
use serde::Deserialize;

/// The routes, merged into `app(state)`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/matters/{id}/escalations", post(escalate))
        .route("/api/v1/escalations", get(waiting))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    /// The user id of the Safeguarding Officer or a deputy (a user with
    /// the `safeguarding-officer` role).
    pub to_user: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/escalations",
    tag = "matters",
    params(("id" = String, Path, description = "the id")),
    request_body = EscalateBody,
    responses(
        (status = 201, description = "the matter is escalated to that safeguarding officer", body = Created),
        (status = 400, description = "bad input (the user is not a safeguarding officer, the matter is closed or already escalated to them); nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn escalate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(matter): Path<String>,
    ApiJson(b): ApiJson<EscalateBody>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let matter: MatterId = matter
        .parse()
        .map_err(|e: confidant_core::ids::InvalidId| AppError::BadRequest(e.to_string()))?;
    let to: UserId = b
        .to_user
        .parse()
        .map_err(|_| AppError::BadRequest("`to_user` is not a user id".into()))?;
    let id = state
        .service()
        .escalate_matter_as(user.principal(), &matter, &to)
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.to_string() })))
}

#[utoipa::path(
    get,
    path = "/api/v1/escalations",
    tag = "matters",
    responses(
        (status = 200, description = "the open matters escalated to me (empty unless I am a safeguarding officer)", body = super::RecordList),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn waiting(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<confidant_service::escalation::EscalationSummary>>, AppError> {
    Ok(Json(
        state
            .service()
            .escalations_waiting_as(user.principal())
            .await?,
    ))
}
