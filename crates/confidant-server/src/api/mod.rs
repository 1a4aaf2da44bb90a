//! The JSON API under `/api/v1`. Handlers are thin: parse (unknown fields
//! refused), authenticate ([`crate::session::ApiUser`]: CSRF and token
//! scope on every state-changing request), call the application layer
//! (which asks the access policy and audits), map errors to problems.

pub mod accounts;
pub mod escalations;
pub mod matters;
pub mod records;
pub mod records_admin;
pub mod session;

use crate::AppError;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, schema::ArrayBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

/// A typed id from a path or body, refused as bad input (the message names
/// the kind of id expected, never the input).
pub(crate) fn id<T: std::str::FromStr<Err = confidant_core::ids::InvalidId>>(
    s: &str,
) -> Result<T, AppError> {
    s.parse()
        .map_err(|e: confidant_core::ids::InvalidId| AppError::BadRequest(e.to_string()))
}

/// An optional calendar date field (`YYYY-MM-DD`).
pub(crate) fn date(
    s: &Option<String>,
    field: &'static str,
) -> Result<Option<confidant_core::record::CivilDate>, AppError> {
    s.as_deref()
        .map(|d| {
            confidant_core::record::CivilDate::parse(d, field)
                .map_err(|e| AppError::BadRequest(e.to_string()))
        })
        .transpose()
}

/// An optional date or RFC 3339 time field.
pub(crate) fn time(
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

/// A record as the application layer shows it (a JSON object; its fields
/// are documented in docs/server-architecture.md and the service chapter).
pub struct Record;

impl PartialSchema for Record {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().build().into()
    }
}

impl ToSchema for Record {}

/// A list of records.
pub struct RecordList;

impl PartialSchema for RecordList {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(ObjectBuilder::new().build())
            .build()
            .into()
    }
}

impl ToSchema for RecordList {}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::session::SESSION_COOKIE,
                "the session cookie; state-changing requests also need the x-csrf-token header",
            ))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a personal access token (cfdpat_...)"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI 3.1 description of `/api/v1`, generated from the handlers'
/// annotations; served at `/api/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Confidant", description = "The Confidant JSON API. Errors are RFC 9457 problems."),
    modifiers(&Security),
    paths(
        session::setup, session::sign_in, session::enrol, session::confirm_enrolment,
        session::second_factor, session::me, session::sign_out, session::sign_out_everywhere,
        session::sessions, session::revoke_session,
        records::create_client, records::my_clients, records::show_client, records::assign,
        records::notes, records::add_note, records::consents, records::add_consent,
        records::withdraw_consent, records::holds, records::place_hold, records::open_matter,
        records::show_matter, records::client_matters, records::decide, records::client_sars,
        records::retention_due, records::verify_audit, records::break_glass,
        records::break_glass_queue, records::review_break_glass, records::create_token,
        records::list_tokens, records::revoke_token, records::create_user, records::list_users,
        matters::add_case, matters::show_case, matters::add_case_note, matters::add_case_consent,
        matters::open_case_matter, matters::assess, matters::record, matters::amend,
        matters::attest, matters::close, matters::build_package, matters::preview,
        matters::deliver, matters::disclosures,
        accounts::change_password, accounts::recovery_codes, accounts::disable_user,
        accounts::enable_user, accounts::reset_user, accounts::use_reset,
        escalations::escalate, escalations::waiting,
    )
)]
pub struct ApiDoc;

/// The OpenAPI document (no authentication: it describes, it holds no data).
pub async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.merge(records_admin::RecordsAdminDoc::openapi());
    axum::Json(doc)
}
