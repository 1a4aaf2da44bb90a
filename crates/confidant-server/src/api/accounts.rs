//! Account management under `/api/v1`: my password and recovery codes
//! (`/account/...`), an administrator's disable / enable / reset of another
//! account (`/users/{id}/...`), and using a reset link (`/password-reset`,
//! the one unauthenticated step besides sign-in). Rules in
//! `confidant-service/src/account_admin.rs`.

use super::ApiJson;
use crate::session::{ApiUser, now};
use crate::{AppError, AppState};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use confidant_core::ids::UserId;
use confidant_service::accounts::UserView;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The routes, merged into `app(state)`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/account/password", post(change_password))
        .route("/api/v1/account/recovery-codes", post(recovery_codes))
        .route("/api/v1/users/{id}/disable", post(disable_user))
        .route("/api/v1/users/{id}/enable", post(enable_user))
        .route("/api/v1/users/{id}/reset", post(reset_user))
        .route("/api/v1/password-reset", post(use_reset))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    /// A fresh code from the authenticator.
    pub code: String,
    pub new_password: String,
}

/// Changes my password (current password and a fresh TOTP code first);
/// every other session of mine ends.
#[utoipa::path(
    post,
    path = "/api/v1/account/password",
    tag = "account",
    request_body = ChangePassword,
    responses(
        (status = 204, description = "changed; my other sessions ended"),
        (status = 400, description = "bad input (the new password breaks a rule); nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in, or the current password or code is not right", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed (a token cannot), CSRF token missing or wrong", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many failed attempts", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn change_password(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<ChangePassword>,
) -> Result<StatusCode, AppError> {
    state
        .service()
        .change_password(
            user.principal(),
            Zeroizing::new(req.current_password),
            &req.code,
            Zeroizing::new(req.new_password),
            now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreshCode {
    /// A fresh code from the authenticator.
    pub code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecoveryCodesOut {
    /// Shown once; the earlier codes no longer work.
    pub recovery_codes: Vec<String>,
}

/// New recovery codes for me (a fresh TOTP code first).
#[utoipa::path(
    post,
    path = "/api/v1/account/recovery-codes",
    tag = "account",
    request_body = FreshCode,
    responses(
        (status = 200, description = "the new codes, shown once", body = RecoveryCodesOut),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in, or the code is not right", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed (a token cannot), CSRF token missing or wrong", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many failed attempts", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn recovery_codes(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<FreshCode>,
) -> Result<Json<RecoveryCodesOut>, AppError> {
    let codes = state
        .service()
        .regenerate_recovery_codes(user.principal(), &req.code, now())
        .await?;
    Ok(Json(RecoveryCodesOut {
        recovery_codes: codes.iter().map(|c| c.as_str().to_owned()).collect(),
    }))
}

fn user_id(id: &str) -> Result<UserId, AppError> {
    id.parse()
        .map_err(|e: confidant_core::ids::InvalidId| AppError::BadRequest(e.to_string()))
}

/// An account as the administrator sees it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserOut {
    pub id: String,
    pub username: String,
    pub roles: Vec<String>,
    pub practitioner_id: Option<String>,
    pub mfa_enrolled: bool,
    pub disabled: bool,
    pub created_at: String,
}

impl From<UserView> for UserOut {
    fn from(u: UserView) -> UserOut {
        UserOut {
            id: u.id.to_string(),
            username: u.username,
            roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            practitioner_id: u.practitioner_id.map(|p| p.to_string()),
            mfa_enrolled: u.mfa_enrolled,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

async fn set_disabled(
    state: &AppState,
    user: &crate::session::CurrentUser,
    id: &str,
    disabled: bool,
) -> Result<Json<UserOut>, AppError> {
    let id = user_id(id)?;
    let view = state
        .service()
        .set_account_disabled(user.principal(), &id, disabled)
        .await?;
    Ok(Json(view.into()))
}

/// Disables an account: its sessions and tokens stop at once
/// (administrators only, not their own).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/disable",
    tag = "users",
    params(("id" = String, Path, description = "the user's id")),
    responses(
        (status = 200, description = "disabled", body = UserOut),
        (status = 400, description = "bad input (a bad id, or your own account); nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such user, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn disable_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, AppError> {
    set_disabled(&state, &user, &id, true).await
}

/// Enables a disabled account (administrators only).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/enable",
    tag = "users",
    params(("id" = String, Path, description = "the user's id")),
    responses(
        (status = 200, description = "enabled", body = UserOut),
        (status = 400, description = "bad input (a bad id, or your own account); nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such user, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn enable_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, AppError> {
    set_disabled(&state, &user, &id, false).await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ResetOut {
    /// The one-time secret, shown once: give the user `/reset?token=...`.
    pub token: String,
    /// The page to give the user, relative to this server.
    pub link: String,
    pub expires_at: String,
}

/// Issues a one-time password reset link for another account
/// (administrators only); the user sets a new password and enrols the
/// authenticator again.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/reset",
    tag = "users",
    params(("id" = String, Path, description = "the user's id")),
    responses(
        (status = 201, description = "issued; shown once", body = ResetOut),
        (status = 400, description = "bad input (a bad id, your own account, or a disabled one); nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such user, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn reset_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ResetOut>), AppError> {
    let id = user_id(&id)?;
    let issued = state
        .service()
        .issue_password_reset(user.principal(), &id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ResetOut {
            link: format!("/reset?token={}", issued.secret.as_str()),
            token: issued.secret.as_str().to_owned(),
            expires_at: issued.expires_at.to_string(),
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UseReset {
    pub token: String,
    pub new_password: String,
}

/// Uses a one-time reset link: sets a new password; the authenticator is
/// enrolled again at the next sign-in.
#[utoipa::path(
    post,
    path = "/api/v1/password-reset",
    tag = "account",
    request_body = UseReset,
    responses(
        (status = 204, description = "the new password is set; sign in and enrol the authenticator"),
        (status = 400, description = "bad input (the new password breaks a rule); nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "the link is unknown, used or expired", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn use_reset(
    State(state): State<AppState>,
    super::session::Peer(peer): super::session::Peer,
    ApiJson(req): ApiJson<UseReset>,
) -> Result<StatusCode, AppError> {
    state
        .service()
        .complete_password_reset(&req.token, Zeroizing::new(req.new_password), peer, now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
