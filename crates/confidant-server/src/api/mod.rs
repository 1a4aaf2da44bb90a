//! The JSON API under `/api/v1`. Handlers are thin: parse (unknown fields
//! refused), authenticate ([`crate::session::ApiUser`]: CSRF and token
//! scope on every state-changing request), call the application layer
//! (which asks the access policy and audits), map errors to problems.

pub mod session;

use crate::AppError;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// A JSON body; every rejection is a problem that names the problem and
/// never echoes the input.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}
