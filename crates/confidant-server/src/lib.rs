//! confidant-server: the HTTP face of the application layer. `app(state)`
//! builds the whole router, so tests drive it in process with
//! `tower::ServiceExt::oneshot` and `confidant serve` only binds a socket.
//!
//! Invariants kept here for every route, present and future (tested in
//! `tests/http.rs`):
//! - every response carries the security headers (`headers.rs`), including
//!   `Cache-Control: no-store`, and HSTS when served over TLS;
//! - every error is an RFC 9457 problem (`error.rs`) that never carries
//!   record content; unknown paths and methods too;
//! - every request gets a fresh request id, echoed in `x-request-id` and put
//!   on its log span; logs name the route template, never the query string
//!   or a body;
//! - a body over the limit is refused before it is read;
//! - nothing under `/api/` answers without authentication.
//!
//! The server calls `confidant-service`, never the store directly.

pub mod api;
pub mod error;
mod headers;
pub mod session;
pub mod tls;
pub mod web;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{any, delete, get, post};
use confidant_service::Service;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;

pub use error::{AppError, Problem};

/// Largest request body accepted (1 MiB): notes and decision records are
/// far smaller; anything larger is refused with 413 before it is read.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// How the server is reached, which decides the headers it sends.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Served over TLS, or behind a reverse proxy configured as trusted that
    /// terminates TLS: send HSTS (and, with accounts, `Secure` cookies).
    pub https: bool,
    pub body_limit: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed: a request from
    /// one of these addresses is treated as coming from the last address
    /// in that header (throttling and bounded refusal audits per address).
    /// From any other peer the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            https: false,
            body_limit: DEFAULT_BODY_LIMIT,
            trusted_proxies: Vec::new(),
        }
    }
}

/// What every handler shares. Holds no per-user state of its own: sessions
/// and everything else live in the store, so any replica serves any request.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    service: Service,
    config: ServerConfig,
}

impl AppState {
    pub fn new(service: Service, config: ServerConfig) -> AppState {
        AppState {
            inner: Arc::new(Inner { service, config }),
        }
    }

    pub fn service(&self) -> &Service {
        &self.inner.service
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }
}

/// The whole application: routes, then the layers every response passes
/// through (the last added runs first).
pub fn app(state: AppState) -> Router {
    let config = state.config().clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/v1/setup", post(api::session::setup))
        .route(
            "/api/v1/session",
            post(api::session::sign_in)
                .get(api::session::me)
                .delete(api::session::sign_out),
        )
        .route("/api/v1/session/enrol", post(api::session::enrol))
        .route(
            "/api/v1/session/enrol/confirm",
            post(api::session::confirm_enrolment),
        )
        .route("/api/v1/session/totp", post(api::session::second_factor))
        .route(
            "/api/v1/session/sign-out-everywhere",
            post(api::session::sign_out_everywhere),
        )
        .route("/api/v1/sessions", get(api::session::sessions))
        .route(
            "/api/v1/clients",
            get(api::records::my_clients).post(api::records::create_client),
        )
        .route("/api/v1/clients/{id}", get(api::records::show_client))
        .route(
            "/api/v1/clients/{id}/assignments",
            post(api::records::assign),
        )
        .route(
            "/api/v1/clients/{id}/notes",
            get(api::records::notes).post(api::records::add_note),
        )
        .route(
            "/api/v1/clients/{id}/consents",
            get(api::records::consents).post(api::records::add_consent),
        )
        .route(
            "/api/v1/clients/{id}/consents/{consent}/withdraw",
            post(api::records::withdraw_consent),
        )
        .route(
            "/api/v1/clients/{id}/holds",
            get(api::records::holds).post(api::records::place_hold),
        )
        .route(
            "/api/v1/clients/{id}/matters",
            get(api::records::client_matters),
        )
        .route("/api/v1/clients/{id}/sars", get(api::records::client_sars))
        .route(
            "/api/v1/clients/{id}/break-glass",
            post(api::records::break_glass),
        )
        .route("/api/v1/matters", post(api::records::open_matter))
        .route("/api/v1/matters/{id}", get(api::records::show_matter))
        .route("/api/v1/matters/{id}/decide", post(api::records::decide))
        .route("/api/v1/break-glass", get(api::records::break_glass_queue))
        .route(
            "/api/v1/break-glass/{id}/review",
            post(api::records::review_break_glass),
        )
        .route("/api/v1/retention/due", get(api::records::retention_due))
        .route("/api/v1/audit/verify", post(api::records::verify_audit))
        .route(
            "/api/v1/tokens",
            get(api::records::list_tokens).post(api::records::create_token),
        )
        .route("/api/v1/tokens/{id}", delete(api::records::revoke_token))
        .route(
            "/api/v1/users",
            get(api::records::list_users).post(api::records::create_user),
        )
        .route(
            "/api/v1/sessions/{id}",
            delete(api::session::revoke_session),
        )
        .route("/api", any(unauthenticated))
        .route("/api/", any(unauthenticated))
        .route("/api/{*rest}", any(unauthenticated))
        .merge(api::matters::routes())
        .merge(api::records_admin::router())
        .merge(api::accounts::routes())
        .merge(api::escalations::routes())
        .merge(web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(axum::middleware::from_fn_with_state(
            config,
            headers::security_and_logging,
        ))
        .with_state(state)
}

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

/// Liveness: the process answers. Touches nothing.
async fn healthz() -> axum::Json<Status> {
    axum::Json(Status { status: "ok" })
}

/// Readiness: the store answers, so a load balancer sends traffic here only
/// when requests can be served.
async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Status>, AppError> {
    match state.service().ready().await {
        Ok(()) => Ok(axum::Json(Status { status: "ready" })),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            Err(AppError::Unavailable)
        }
    }
}

/// Every `/api/` path until a credential has been checked. There is no way
/// around this handler: routes that need a user take the user as an
/// extractor, which answers this same problem when there is none.
async fn unauthenticated() -> AppError {
    AppError::Unauthenticated
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests
/// in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
