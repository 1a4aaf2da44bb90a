//! Who is asking: the session cookie and bearer-token extractors, the CSRF
//! check, and the cookie itself. Handlers (JSON API and HTML pages alike)
//! take [`CurrentUser`] or [`OptionalUser`] as an argument; there is no
//! other way to learn who a request is from.
//!
//! - The session cookie is `__Host-confidant-session` (`HttpOnly`,
//!   `SameSite=Strict`, `Path=/`, and always `Secure`: browsers accept a
//!   `__Host-` cookie only with `Secure`, which they also allow on
//!   `http://localhost` and loopback addresses, so the plain
//!   `confidant serve` on 127.0.0.1 keeps a browser signed in; anywhere
//!   else, serve over TLS or behind a trusted TLS proxy.
//! - A personal access token comes as `Authorization: Bearer cfdpat_...`
//!   and needs no CSRF token (a browser never sends one by itself).
//! - Every state-changing request authenticated by the cookie must carry
//!   the session's CSRF token: header `x-csrf-token` (the JSON API checks it
//!   in [`ApiUser`]), or form field `csrf_token` (an HTML form handler calls
//!   [`check_csrf`] with the field's value). The token is derived from the
//!   session's secret, so it changes whenever the session id is rotated
//!   (sign-in, second factor) and a token from an ended session is refused.

use crate::{AppError, AppState};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use confidant_access::Role;
use confidant_core::ids::{PractitionerId, UserId};
use confidant_core::record::Timestamp;
use confidant_service::ServiceError;
use confidant_service::accounts::{Presented, Principal};
use std::net::{IpAddr, SocketAddr};

pub use confidant_service::accounts::Credential;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "__Host-confidant-session";
/// The header a state-changing JSON request carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field an HTML form carries its CSRF token in.
pub const CSRF_FORM_FIELD: &str = "csrf_token";

/// The signed-in user making the request: a full session (password and
/// second factor accepted, not expired, not revoked) or a current personal
/// access token. As an extractor it rejects every other request with a 401
/// problem (forged, expired and revoked credentials are audited by the
/// application layer).
///
/// It does **not** check CSRF: a handler that changes state must call
/// [`check_csrf`] (HTML forms, with the `csrf_token` field) or take
/// [`ApiUser`] instead (JSON, header `x-csrf-token`).
#[derive(Clone)]
pub struct CurrentUser {
    pub user_id: UserId,
    /// The roles of confidant-access the account holds.
    pub roles: Vec<Role>,
    /// The practitioner record the user acts as, if linked.
    pub practitioner_id: Option<PractitionerId>,
    /// How the request was authenticated: the session (with its CSRF token,
    /// for pages to put in their forms) or a token.
    pub session: Credential,
    principal: Principal,
}

impl std::fmt::Debug for CurrentUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentUser")
            .field("user_id", &self.user_id)
            .field("roles", &self.roles)
            .field("practitioner_id", &self.practitioner_id)
            .field("session", &self.session)
            .finish()
    }
}

impl CurrentUser {
    /// What the application layer's use cases take as the acting user.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The session's CSRF token, for a page to put in its forms (`None`
    /// for a token-authenticated request, which needs none).
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.session {
            Credential::Session { csrf_token, .. } => Some(csrf_token),
            Credential::Token { .. } => None,
        }
    }

    fn from_principal(principal: Principal) -> CurrentUser {
        CurrentUser {
            user_id: principal.user_id.clone(),
            roles: principal.roles.clone(),
            practitioner_id: principal.practitioner_id.clone(),
            session: principal.credential.clone(),
            principal,
        }
    }
}

/// The signed-in user if there is one; `None` for a request with no
/// credential or one that does not authenticate (which is still audited).
/// Never rejects: for pages that show a sign-in form to strangers.
#[derive(Debug, Clone)]
pub struct OptionalUser(pub Option<CurrentUser>);

/// Checks the CSRF token a cookie-authenticated, state-changing request
/// presented (`presented`: the `x-csrf-token` header or the `csrf_token`
/// form field). Token-authenticated requests pass. A refusal is audited and
/// answered 403.
pub async fn check_csrf(
    state: &AppState,
    user: &CurrentUser,
    presented: Option<&str>,
) -> Result<(), AppError> {
    if user.principal.csrf_ok(presented) {
        return Ok(());
    }
    state.service().record_csrf_refusal(&user.principal).await?;
    Err(AppError::Csrf)
}

/// The CSRF token in a request's `x-csrf-token` header, if any.
pub fn csrf_from_headers(headers: &HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

/// The session cookie's value in a request, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    for value in headers.get_all(header::COOKIE) {
        let Ok(v) = value.to_str() else { continue };
        for pair in v.split(';') {
            // Present even when empty: an empty or malformed session cookie
            // is a credential that fails, never one to ignore.
            let (name, val) = pair.trim().split_once('=').unwrap_or((pair.trim(), ""));
            if name == SESSION_COOKIE {
                return Some(val);
            }
        }
    }
    None
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The credential a request presents: a bearer token wins over a cookie.
///
/// A request that carries both is refused: which of two credentials acts is
/// not for the caller to leave ambiguous (and an invalid one must never be
/// masked by a valid one).
pub(crate) fn presented(headers: &HeaderMap) -> Result<Option<Presented<'_>>, AppError> {
    match (bearer(headers), session_cookie(headers)) {
        (Some(_), Some(_)) => Err(AppError::SignInRefused(
            "give either the session cookie or a bearer token, not both".into(),
        )),
        (Some(t), None) => Ok(Some(Presented::Bearer(t))),
        (None, Some(c)) => Ok(Some(Presented::SessionCookie(c))),
        (None, None) => Ok(None),
    }
}

/// The client's address (when served on a socket; absent in in-process
/// tests): the peer's, or behind a trusted proxy (`--trusted-proxy`) the one
/// that proxy appended to `X-Forwarded-For` (rewritten by `headers.rs`).
pub(crate) fn peer_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// A `Set-Cookie` value for a session secret.
pub fn session_set_cookie(secret: &str, max_age_seconds: i64) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}; Secure"
    ))
    .map_err(|_| AppError::Internal("session cookie".into()))
}

/// A `Set-Cookie` value that removes the session cookie.
pub fn session_clear_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-confidant-session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure",
    )
}

pub(crate) fn now() -> Timestamp {
    Timestamp(confidant_store::now_micros())
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let Some(p) = presented(&parts.headers)? else {
        return Ok(None);
    };
    match state
        .service()
        .authenticate_from(p, peer_address(parts), now())
        .await
    {
        Ok(principal) => Ok(Some(CurrentUser::from_principal(principal))),
        Err(ServiceError::Unauthenticated) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        authenticate(parts, state)
            .await?
            .ok_or(AppError::Unauthenticated)
    }
}

impl FromRequestParts<AppState> for OptionalUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(OptionalUser(authenticate(parts, state).await?))
    }
}

/// [`CurrentUser`] for the JSON API: on a state-changing method (anything
/// but GET, HEAD, OPTIONS) it also checks the `x-csrf-token` header of a
/// cookie session, and the `write` scope of a token.
#[derive(Debug, Clone)]
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            if !user.principal.may_write() {
                state.service().record_csrf_refusal(&user.principal).await?;
                return Err(AppError::ReadOnlyToken);
            }
            check_csrf(state, &user, csrf_from_headers(&parts.headers)).await?;
        }
        Ok(ApiUser(user))
    }
}
