//! `/api/v1/setup` and `/api/v1/session...`: the first administrator,
//! sign-in (password, then TOTP; enrolment at first sign-in), sign-out,
//! sign-out everywhere, my sessions.

use super::{ApiJson, RecordList};
use crate::session::{
    ApiUser, csrf_from_headers, now, session_clear_cookie, session_cookie, session_set_cookie,
};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use confidant_access::Role;
use confidant_core::ids::{PractitionerId, SessionId, UserId};
use confidant_service::accounts::{IssuedSession, PendingSignIn, SessionView};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use zeroize::Zeroizing;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub token: String,
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: String,
}

/// Creates the first administrator with the one-time setup link's token.
#[utoipa::path(
    post,
    path = "/api/v1/setup",
    tag = "setup",
    request_body = SetupRequest,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 201, description = "the first administrator was created", body = Created),
        (status = 401, description = "the setup link is unknown, used or expired", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn setup(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SetupRequest>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let id = state
        .service()
        .create_first_administrator(&req.token, &req.username, Zeroizing::new(req.password))
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.to_string() })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignInStep {
    /// `totp`: give a code next; `enrol`: enrol an authenticator first;
    /// `done`: signed in.
    pub next: &'static str,
    /// The CSRF token to send (header `x-csrf-token`) with the next steps.
    pub csrf_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

fn with_cookie(issued: IssuedSession, body: SignInStep) -> Result<Response, AppError> {
    let cookie = session_set_cookie(&issued.secret, issued.max_age_seconds)?;
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

/// The client's address, for throttling per address: the peer's, or
/// behind a trusted proxy the one the proxy forwarded
/// (`crate::session::peer_address`).
pub struct Peer(pub Option<IpAddr>);

impl FromRequestParts<AppState> for Peer {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        Ok(Peer(crate::session::peer_address(parts)))
    }
}

/// Step one: username and password. Sets a new session cookie (a
/// password-stage session: it can only give the second factor).
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    request_body = SignInRequest,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "password accepted; the second factor is due (sets the session cookie)", body = SignInStep),
        (status = 401, description = "wrong username or password", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many failed attempts", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn sign_in(
    State(state): State<AppState>,
    Peer(peer): Peer,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Response, AppError> {
    let issued = state
        .service()
        .sign_in_password(&req.username, Zeroizing::new(req.password), peer, now())
        .await?;
    let body = SignInStep {
        next: issued.next,
        csrf_token: issued.csrf_token.clone(),
        recovery_codes: None,
    };
    with_cookie(issued, body)
}

/// A password-stage session (second factor due), with its CSRF token
/// checked.
pub struct Pending(pub PendingSignIn);

impl FromRequestParts<AppState> for Pending {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(cookie) = session_cookie(&parts.headers) else {
            return Err(AppError::Unauthenticated);
        };
        let pending = state.service().pending_sign_in(cookie, now()).await?;
        if !pending.csrf_ok(csrf_from_headers(&parts.headers)) {
            return Err(AppError::Csrf);
        }
        Ok(Pending(pending))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EnrolmentShown {
    /// The TOTP secret in base32, shown this once.
    pub secret: String,
    pub otpauth_uri: String,
}

/// First sign-in: a new authenticator secret, shown once.
#[utoipa::path(
    post,
    path = "/api/v1/session/enrol",
    tag = "session",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "a new authenticator secret, shown once", body = EnrolmentShown),
        (status = 401, description = "no password-stage session", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "CSRF token missing or wrong", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn enrol(
    State(state): State<AppState>,
    Pending(p): Pending,
) -> Result<Json<EnrolmentShown>, AppError> {
    let e = state.service().begin_enrolment(&p).await?;
    Ok(Json(EnrolmentShown {
        secret: e.secret_base32.to_string(),
        otpauth_uri: e.otpauth_uri.to_string(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub recovery_code: Option<String>,
}

/// Confirms enrolment with a code: signed in (new session id), and the
/// recovery codes, shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/session/enrol/confirm",
    tag = "session",
    request_body = CodeRequest,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "signed in; recovery codes shown once", body = SignInStep),
        (status = 401, description = "wrong code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn confirm_enrolment(
    State(state): State<AppState>,
    Pending(p): Pending,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<Response, AppError> {
    let Some(code) = req.code.as_deref() else {
        return Err(AppError::BadRequest("missing field `code`".into()));
    };
    let (issued, codes) = state.service().confirm_enrolment(&p, code, now()).await?;
    let body = SignInStep {
        next: issued.next,
        csrf_token: issued.csrf_token.clone(),
        recovery_codes: Some(codes.iter().map(|c| c.to_string()).collect()),
    };
    with_cookie(issued, body)
}

/// Step two: a TOTP code (or a recovery code). Signed in, new session id.
#[utoipa::path(
    post,
    path = "/api/v1/session/totp",
    tag = "session",
    request_body = CodeRequest,
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the body is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "signed in (new session id)", body = SignInStep),
        (status = 401, description = "wrong or replayed code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many failed attempts", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn second_factor(
    State(state): State<AppState>,
    Pending(p): Pending,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<Response, AppError> {
    let issued = state
        .service()
        .verify_second_factor(&p, req.code.as_deref(), req.recovery_code.as_deref(), now())
        .await?;
    let body = SignInStep {
        next: issued.next,
        csrf_token: issued.csrf_token.clone(),
        recovery_codes: None,
    };
    with_cookie(issued, body)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    #[schema(value_type = String)]
    pub user_id: UserId,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    #[schema(value_type = Option<String>)]
    pub practitioner_id: Option<PractitionerId>,
    /// The CSRF token of this session (absent for a token).
    pub csrf_token: Option<String>,
}

/// Who I am (and this session's CSRF token).
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "session",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "who is signed in", body = Me),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn me(ApiUser(user): ApiUser) -> Json<Me> {
    Json(Me {
        csrf_token: user.csrf_token().map(str::to_owned),
        user_id: user.user_id,
        roles: user.roles,
        practitioner_id: user.practitioner_id,
    })
}

/// Signs out of this session and clears the cookie.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "signed out"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sign_out(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Response, AppError> {
    state.service().sign_out(user.principal()).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_clear_cookie());
    Ok(res)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Revoked {
    pub revoked: u64,
}

/// Ends every session of mine, this one included.
#[utoipa::path(
    post,
    path = "/api/v1/session/sign-out-everywhere",
    tag = "session",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "every session ended", body = Revoked),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Response, AppError> {
    let n = state
        .service()
        .sign_out_everywhere(user.principal())
        .await?;
    let mut res = Json(Revoked { revoked: n }).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_clear_cookie());
    Ok(res)
}

/// My current sessions.
#[utoipa::path(
    get,
    path = "/api/v1/sessions",
    tag = "session",
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "my current sessions", body = RecordList),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn sessions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<SessionView>>, AppError> {
    Ok(Json(
        state.service().my_sessions(user.principal(), now()).await?,
    ))
}

/// Ends one of my sessions.
#[utoipa::path(
    delete,
    path = "/api/v1/sessions/{id}",
    tag = "session",
    params(("id" = String, Path, description = "the id")),
    responses(
        (status = 404, description = "no such record, or the path is not known", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 204, description = "ended"),
        (status = 404, description = "no such session of mine", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 400, description = "bad input; nothing changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not allowed, CSRF token missing or wrong, or a read-only token", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = [])),
)]
pub async fn revoke_session(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, AppError> {
    let id: SessionId = id
        .parse()
        .map_err(|e: confidant_core::ids::InvalidId| AppError::BadRequest(e.to_string()))?;
    let n = state
        .service()
        .revoke_my_session(user.principal(), &id)
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
