//! The practitioner's web app: server-rendered HTML pages over the
//! application layer. One module per area, each handler thin: parse the
//! form or path, call `confidant-service`, render an `askama` template from
//! `templates/`. No domain rule lives here.
//!
//! Pages work without JavaScript; the one stylesheet is served from this
//! origin (`/static/app.css`), as the CSP in `headers.rs` requires (no
//! inline style or script). Every response already carries
//! `Cache-Control: no-store`, so the back button after sign-out shows
//! nothing of a record.

mod auth;
mod clients;
mod drafts;
mod escalations;
mod form;
mod home;
mod matters;
mod packages;
mod policy;
mod records;

use crate::session::{CurrentUser, OptionalUser};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

/// The stylesheet, compiled in so the binary is the whole app.
const STYLESHEET: &str = include_str!("../../static/app.css");

/// The pages' routes, merged into `app(state)`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(stylesheet))
        .merge(auth::routes())
        .merge(home::routes())
        .merge(clients::routes())
        .merge(matters::routes())
        .merge(packages::routes())
        .merge(escalations::routes())
        .merge(policy::routes())
        .merge(records::routes())
}

async fn stylesheet() -> Response {
    let mut res = STYLESHEET.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    res
}

/// A signed-in user on a page: `CurrentUser` from `crate::session`, whose
/// absence sends the browser to the sign-in page instead of answering a
/// 401 problem.
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match OptionalUser::from_request_parts(parts, state).await {
            Ok(OptionalUser(Some(u))) => Ok(PageUser(u)),
            Ok(OptionalUser(None)) => Err(Redirect::to("/sign-in").into_response()),
            Err(e) => Err(WebError(e).into_response()),
        }
    }
}

impl PageUser {
    pub fn chrome(&self) -> Chrome {
        let p = self.0.principal();
        let roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
        Chrome {
            user: Some(ChromeUser {
                label: roles.join(", "),
                csrf_token: self.csrf().to_owned(),
            }),
        }
    }

    pub fn csrf(&self) -> &str {
        self.0.csrf_token().unwrap_or("")
    }

    /// Checks the form's CSRF token (refusal audited, 403).
    pub async fn check_csrf(&self, state: &AppState, presented: &str) -> Result<(), WebError> {
        crate::session::check_csrf(state, &self.0, Some(presented))
            .await
            .map_err(WebError)
    }
}

/// Per-form nonces, so a form sent twice (a double click, a reload after
/// the answer) does not create two records: each form carries a fresh
/// nonce, and a nonce is consumed by the first submission that uses it.
/// Consumed in the store (`form_nonces`, migration 0009), so a double
/// submission that reaches two replicas is caught too.
pub fn fresh_nonce() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// True the first time `nonce` is used, on any replica; false for a
/// replay, or a value that is not a nonce this app hands out.
pub async fn consume_nonce(state: &AppState, nonce: &str) -> Result<bool, WebError> {
    Ok(state.service().consume_form_nonce(nonce).await?)
}

/// What the layout shows around every page: who is signed in (their
/// label and the CSRF token for the sign-out form), or nobody.
#[derive(Debug, Default, Clone)]
pub struct Chrome {
    pub user: Option<ChromeUser>,
}

#[derive(Debug, Clone)]
pub struct ChromeUser {
    pub label: String,
    pub csrf_token: String,
}

/// One form error, shown in the summary at the top (linking to the field)
/// and again next to the field. Messages are fixed sentences: they never
/// repeat what was typed.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct FormErrors(Vec<FieldError>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }
}

/// Renders a page, 200.
pub(crate) fn render<T: Template>(page: &T) -> Response {
    render_status(StatusCode::OK, page)
}

/// Renders a page with `status` (422 for a form with errors).
pub(crate) fn render_status<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            WebError(AppError::Internal("template".into())).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    message: String,
}

/// An error on a page: the same statuses as the API's problems, shown as
/// a page with the problem's fixed sentence (never record content).
#[derive(Debug)]
pub struct WebError(pub AppError);

impl<E: Into<AppError>> From<E> for WebError {
    fn from(e: E) -> WebError {
        WebError(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let AppError::Internal(kind) = &self.0 {
            tracing::error!(error = %kind, "page failed");
        }
        let status = self.0.status();
        let heading = match status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::UNAUTHORIZED => "Please sign in",
            StatusCode::BAD_REQUEST => "Something is not right",
            _ => "Sorry, something went wrong",
        };
        let message = match status {
            StatusCode::NOT_FOUND => "There is nothing at this address.".to_owned(),
            StatusCode::INTERNAL_SERVER_ERROR => {
                "Nothing was changed. Try again, and tell your administrator if it happens again."
                    .to_owned()
            }
            _ => self
                .0
                .problem()
                .detail
                .unwrap_or_else(|| "Nothing was changed.".to_owned()),
        };
        let page = ErrorPage {
            chrome: Chrome::default(),
            heading,
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        }
    }
}
