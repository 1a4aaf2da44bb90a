//! The one error type of the HTTP layer, answered as RFC 9457
//! `application/problem+json`. A problem never carries record content: the
//! detail is either a fixed sentence written here or a service refusal,
//! whose messages the application layer keeps free of names and note text.
//! JSON parse errors are re-worded because serde's own messages echo the
//! offending value (`invalid type: string "Jane Doe"`), which may be a name.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confidant_service::ServiceError;
use confidant_store::StoreError;
use serde::Serialize;

/// Everything a handler can answer other than success.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input; nothing was changed. The message names the problem.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No valid session or token.
    #[error("not authenticated")]
    Unauthenticated,
    /// A sign-in step was refused (the message never says whether the
    /// account exists).
    #[error("sign-in refused")]
    SignInRefused(String),
    /// Too many failed sign-ins: retry after this many seconds.
    #[error("too many attempts")]
    TooManyAttempts { retry_after: i64 },
    /// A state-changing request authenticated by the session cookie came
    /// without the session's CSRF token (or with another one), or a
    /// read-only token tried to change something.
    #[error("CSRF token missing or wrong")]
    Csrf,
    #[error("read-only token")]
    ReadOnlyToken,
    /// Refused by the access policy. Says only that: which rule refused, or
    /// whether the record exists, is not the caller's to know.
    #[error("not allowed")]
    NotAllowed,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The store cannot be reached (readiness) or is busy.
    #[error("service unavailable")]
    Unavailable,
    /// Anything else. Logged by kind; the caller learns only the request id.
    #[error("internal error")]
    Internal(String),
}

/// The RFC 9457 body. `type` is `about:blank` for the plain HTTP meanings
/// (RFC 9457 section 4.2.1), so `title` is the status phrase.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated | AppError::SignInRefused(_) => StatusCode::UNAUTHORIZED,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Csrf | AppError::ReadOnlyToken => StatusCode::FORBIDDEN,
            AppError::NotAllowed => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            AppError::BadRequest(m) => Some(m.clone()),
            AppError::Unauthenticated => {
                Some("sign in, or give a personal access token, to use this endpoint".into())
            }
            AppError::NotAllowed => Some("not allowed".into()),
            AppError::SignInRefused(m) => Some(m.clone()),
            AppError::TooManyAttempts { retry_after } => Some(format!(
                "too many failed attempts: try again in {retry_after} seconds"
            )),
            AppError::Csrf => Some(
                "this request needs the session's CSRF token (header `x-csrf-token`, or form field `csrf_token`)"
                    .into(),
            ),
            AppError::ReadOnlyToken => {
                Some("this personal access token has only the `read` scope".into())
            }
            AppError::PayloadTooLarge { limit } => Some(format!(
                "the request body is larger than the limit of {limit} bytes"
            )),
            AppError::UnsupportedMediaType => {
                Some("the request body must be JSON (Content-Type: application/json)".into())
            }
            _ => None,
        };
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(kind) = &self {
            // The kind is an error's Display, which the store and service
            // keep to ids and fixed words; never a record's content.
            tracing::error!(error = %kind, "request failed");
        }
        let status = self.status();
        let mut res = (status, Json(self.problem())).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let AppError::TooManyAttempts { retry_after } = &self
            && let Ok(v) = HeaderValue::from_str(&retry_after.max(&1).to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if matches!(self, AppError::Unauthenticated) {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"confidant\""),
            );
        }
        res
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> AppError {
        match r {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::JsonSyntaxError(e) => AppError::BadRequest(describe_json(
                "malformed JSON",
                std::error::Error::source(&e),
            )),
            JsonRejection::JsonDataError(e) => AppError::BadRequest(describe_json(
                "the JSON does not fit this endpoint",
                std::error::Error::source(&e),
            )),
            JsonRejection::BytesRejection(e) => {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge {
                        limit: crate::DEFAULT_BODY_LIMIT,
                    }
                } else {
                    AppError::BadRequest("the request body could not be read".into())
                }
            }
            _ => AppError::BadRequest("the request body could not be read".into()),
        }
    }
}

/// A JSON error as a sentence without the input's values: the kind of
/// problem, the schema's own field name where serde gives one, and where.
fn describe_json(lead: &str, source: Option<&(dyn std::error::Error + 'static)>) -> String {
    // axum wraps serde_json's error in serde_path_to_error; walk to the
    // innermost serde_json::Error for line and column.
    let mut cur = source;
    let mut inner: Option<&serde_json::Error> = None;
    let mut path: Option<String> = None;
    while let Some(e) = cur {
        if let Some(p) = e.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>() {
            inner = Some(p.inner());
            path = Some(p.path().to_string());
            break;
        }
        if let Some(j) = e.downcast_ref::<serde_json::Error>() {
            inner = Some(j);
            break;
        }
        cur = e.source();
    }
    let Some(j) = inner else {
        return lead.to_owned();
    };
    let msg = j.to_string();
    let what = if msg.starts_with("unknown field") {
        "an unknown field".to_owned()
    } else if let Some(rest) = msg.strip_prefix("missing field `") {
        // The name is the endpoint's own field, not the caller's data.
        match rest.split('`').next() {
            Some(name) if is_identifier(name) => format!("missing field `{name}`"),
            _ => "a missing field".to_owned(),
        }
    } else if msg.starts_with("invalid type") {
        "a value of the wrong type".to_owned()
    } else if msg.starts_with("invalid value") || msg.starts_with("unknown variant") {
        "a value that is not allowed".to_owned()
    } else if msg.starts_with("invalid length") {
        "a list or text of the wrong length".to_owned()
    } else if j.is_eof() {
        "the body ends too early".to_owned()
    } else if j.is_syntax() {
        "a syntax error".to_owned()
    } else {
        "a value that is not allowed".to_owned()
    };
    // The path is the endpoint's field names and list indexes; shown only
    // when it is made of nothing else (a map's keys would be the caller's).
    let at = match path {
        Some(p)
            if p != "."
                && p.split('.').all(|seg| {
                    is_identifier(
                        seg.trim_end_matches(|c: char| c == ']' || c == '[' || c.is_ascii_digit()),
                    )
                }) =>
        {
            format!(" (at `{p}`)")
        }
        _ => String::new(),
    };
    format!(
        "{lead}: {what}{at} at line {} column {}",
        j.line(),
        j.column()
    )
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> AppError {
        match e {
            ServiceError::Refused(m) => AppError::BadRequest(m),
            ServiceError::Field(f) => AppError::BadRequest(f.to_string()),
            ServiceError::Unknown(u) => AppError::BadRequest(u.to_string()),
            ServiceError::Store(s) => s.into(),
            ServiceError::Unauthenticated => AppError::Unauthenticated,
            ServiceError::SignInRefused(m) => AppError::SignInRefused(m),
            ServiceError::Throttled(retry_after) => AppError::TooManyAttempts { retry_after },
            ServiceError::NotAllowed => AppError::NotAllowed,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::UnknownClient | StoreError::UnknownRecord { .. } => AppError::NotFound,
            StoreError::InvalidId(_) => AppError::BadRequest(e.to_string()),
            StoreError::InvalidField(_) | StoreError::UnknownValue(_) | StoreError::LegalHold => {
                AppError::BadRequest(e.to_string())
            }
            StoreError::Locked => AppError::Unavailable,
            other => AppError::Internal(other.to_string()),
        }
    }
}
