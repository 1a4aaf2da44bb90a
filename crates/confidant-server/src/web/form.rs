//! A form body for the pages: every rejection (wrong content type, a field
//! missing, repeated or of the wrong kind, a body over the limit) is the
//! server's one RFC 9457 problem, naming the kind of problem and never
//! echoing the input (axum's own `Form` rejection is text/plain and quotes
//! serde's message, which can carry the submitted value).

use crate::AppError;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

pub struct WebForm<T>(pub T);

impl<S, T> FromRequest<S> for WebForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(WebForm(v)),
            Err(r) => Err(rejection(r)),
        }
    }
}

fn rejection(r: FormRejection) -> AppError {
    match r {
        FormRejection::InvalidFormContentType(_) => AppError::BadRequest(
            "the form must be sent as application/x-www-form-urlencoded".into(),
        ),
        FormRejection::FailedToDeserializeForm(_)
        | FormRejection::FailedToDeserializeFormBody(_) => AppError::BadRequest(
            "the form does not fit this page: a field is missing, repeated or not of the right kind"
                .into(),
        ),
        FormRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge {
                limit: crate::DEFAULT_BODY_LIMIT,
            }
        }
        _ => AppError::BadRequest("the form could not be read".into()),
    }
}
