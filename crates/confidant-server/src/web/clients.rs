//! A client's record: adding a client, the record page, writing notes,
//! recording and withdrawing consents. Thin: parse the form, call the
//! application layer (which asks the access policy), render.

use super::{
    Chrome, FormErrors, PageUser, WebError, consume_nonce, fresh_nonce, render, render_status,
};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use confidant_core::ids::{ClientId, ConsentId};
use confidant_core::record::{CivilDate, NewClient};
use confidant_service::ServiceError;
use confidant_service::caseload::{ClientRecord, ConsentInput, consent_choices};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/clients/new", get(new_client_form))
        .route("/clients", post(add_client))
        .route("/clients/{id}", get(client_page))
        .route("/clients/{id}/notes", post(write_note))
        .route("/clients/{id}/break-glass", post(break_glass))
        .route("/clients/{id}/consents", post(record_consent))
        .route(
            "/clients/{id}/consents/{consent}/withdraw",
            post(withdraw_consent),
        )
}

pub(super) fn client_id(s: &str) -> Result<ClientId, WebError> {
    s.parse().map_err(|_| WebError(AppError::NotFound))
}

#[derive(Template)]
#[template(path = "already_sent.html")]
pub(super) struct AlreadySent {
    pub chrome: Chrome,
    pub back: String,
}

pub(super) fn already_sent(user: &PageUser, back: String) -> Response {
    render_status(
        StatusCode::CONFLICT,
        &AlreadySent {
            chrome: user.chrome(),
            back,
        },
    )
}

#[derive(Deserialize, Default)]
struct NewClientForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

#[derive(Template)]
#[template(path = "client_new.html")]
struct NewClientPage {
    chrome: Chrome,
    errors: FormErrors,
    csrf_token: String,
    nonce: String,
    form: NewClientForm,
}

async fn new_client_form(user: PageUser) -> Response {
    render(&NewClientPage {
        chrome: user.chrome(),
        errors: FormErrors::default(),
        csrf_token: user.csrf().to_owned(),
        nonce: fresh_nonce(),
        form: NewClientForm::default(),
    })
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

async fn add_client(
    State(state): State<AppState>,
    user: PageUser,
    crate::web::form::WebForm(form): crate::web::form::WebForm<NewClientForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let mut errors = FormErrors::default();
    if form.name.trim().is_empty() {
        errors.add("name", "Enter the client's name");
    }
    let dob = match opt(&form.date_of_birth) {
        None => None,
        Some(d) => match CivilDate::parse(&d, "date of birth") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.add(
                    "date_of_birth",
                    "Enter the date of birth as year-month-day, for example 1990-04-02",
                );
                None
            }
        },
    };
    if errors.is_empty() {
        if !consume_nonce(&state, &form.nonce).await? {
            return Ok(already_sent(&user, "/".into()));
        }
        let client = NewClient {
            name: form.name.trim().to_owned(),
            date_of_birth: dob,
            email: opt(&form.email),
            phone: opt(&form.phone),
            ..NewClient::default()
        };
        match state
            .service()
            .add_my_client(user.0.principal(), &client)
            .await
        {
            Ok(id) => return Ok(Redirect::to(&format!("/clients/{id}")).into_response()),
            Err(ServiceError::Refused(m)) => errors.add("name", m),
            Err(e) => return Err(e.into()),
        }
    }
    let page = NewClientPage {
        chrome: user.chrome(),
        errors,
        csrf_token: user.csrf().to_owned(),
        nonce: fresh_nonce(),
        form,
    };
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(Default)]
struct ConsentFormValues {
    purpose: String,
    status: String,
    form: String,
    evidence: String,
}

#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage {
    chrome: Chrome,
    r: ClientRecord,
    notice: Option<&'static str>,
    errors: FormErrors,
    csrf_token: String,
    nonce: String,
    note_text: String,
    /// A kept note offered back (its id, sent with the form).
    draft_id: String,
    consent_form: ConsentFormValues,
    purposes: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    forms: Vec<(&'static str, &'static str)>,
}

/// How the record page is shown: after a plain visit, or again after a
/// form with errors (the typed values kept).
struct Again {
    status: StatusCode,
    notice: Option<&'static str>,
    errors: FormErrors,
    note_text: String,
    consent_form: ConsentFormValues,
}

async fn show(
    state: &AppState,
    user: &PageUser,
    id: &ClientId,
    again: Again,
) -> Result<Response, WebError> {
    let Again {
        status,
        notice,
        errors,
        note_text,
        consent_form,
    } = again;
    let r = match state.service().client_record(user.0.principal(), id).await {
        Ok(r) => r,
        // Not assigned: a practitioner may still open it in an emergency,
        // giving a reason (the application layer decides who may).
        Err(ServiceError::NotAllowed)
            if user
                .0
                .principal()
                .roles
                .contains(&confidant_access::Role::Practitioner) =>
        {
            return Ok(not_assigned(user, id, FormErrors::default(), String::new()));
        }
        Err(e) => return Err(e.into()),
    };
    let (purposes, statuses, forms) = consent_choices();
    let (note_text, draft_id, notice) =
        super::drafts::offer(state, user, id, note_text, notice).await?;
    Ok(render_status(
        status,
        &ClientPage {
            chrome: user.chrome(),
            r,
            notice,
            errors,
            csrf_token: user.csrf().to_owned(),
            nonce: fresh_nonce(),
            note_text,
            draft_id,
            consent_form,
            purposes,
            statuses,
            forms,
        },
    ))
}

#[derive(Deserialize)]
struct Notice {
    #[serde(default)]
    saved: Option<String>,
}

async fn client_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Notice>,
) -> Result<Response, WebError> {
    let id = client_id(&id)?;
    let notice = match q.saved.as_deref() {
        Some("note") => Some("The note is saved."),
        Some("consent") => Some("The consent is recorded."),
        Some("withdrawn") => Some("The consent is withdrawn."),
        _ => None,
    };
    show(
        &state,
        &user,
        &id,
        Again {
            status: StatusCode::OK,
            notice,
            errors: FormErrors::default(),
            note_text: String::new(),
            consent_form: ConsentFormValues::default(),
        },
    )
    .await
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    text: String,
    /// The kept note this form was filled from, if any.
    #[serde(default)]
    draft_id: String,
}

async fn write_note(
    State(state): State<AppState>,
    crate::session::OptionalUser(user): crate::session::OptionalUser,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    crate::web::form::WebForm(form): crate::web::form::WebForm<NoteForm>,
) -> Result<Response, WebError> {
    let id = client_id(&id)?;
    let Some(user) = user.map(PageUser) else {
        // The session ended while the note was being written: keep it,
        // sealed, for the same user to take back after signing in.
        return super::drafts::keep_note(&state, &headers, &id, &form.csrf_token, &form.text).await;
    };
    user.check_csrf(&state, &form.csrf_token).await?;
    let mut errors = FormErrors::default();
    if form.text.trim().is_empty() {
        errors.add("text", "Write the note before saving it");
    } else {
        if !consume_nonce(&state, &form.nonce).await? {
            return Ok(already_sent(&user, format!("/clients/{id}")));
        }
        match state
            .service()
            .write_note(user.0.principal(), &id, &form.text)
            .await
        {
            Ok(_) => {
                super::drafts::taken_back(&state, &user, &form.draft_id).await?;
                return Ok(Redirect::to(&format!("/clients/{id}?saved=note")).into_response());
            }
            Err(ServiceError::Refused(m)) => errors.add("text", m),
            Err(e) => return Err(e.into()),
        }
    }
    show(
        &state,
        &user,
        &id,
        Again {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: None,
            errors,
            note_text: form.text,
            consent_form: ConsentFormValues::default(),
        },
    )
    .await
}

#[derive(Deserialize)]
struct ConsentForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    evidence: String,
}

async fn record_consent(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    crate::web::form::WebForm(f): crate::web::form::WebForm<ConsentForm>,
) -> Result<Response, WebError> {
    let id = client_id(&id)?;
    user.check_csrf(&state, &f.csrf_token).await?;
    let mut errors = FormErrors::default();
    if f.purpose.is_empty() {
        errors.add("purpose", "Choose what the consent is for");
    } else {
        if !consume_nonce(&state, &f.nonce).await? {
            return Ok(already_sent(&user, format!("/clients/{id}")));
        }
        let input = ConsentInput {
            purpose: &f.purpose,
            status: &f.status,
            form: &f.form,
            evidence: Some(f.evidence.as_str()),
        };
        match state
            .service()
            .record_consent(user.0.principal(), &id, &input)
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!("/clients/{id}?saved=consent")).into_response());
            }
            Err(ServiceError::Unknown(u)) => {
                let field = match u.to_string() {
                    m if m.contains("purpose") => "purpose",
                    m if m.contains("form") => "form",
                    _ => "status",
                };
                errors.add(field, "Choose one of the answers listed");
            }
            Err(ServiceError::Refused(m)) => errors.add("status", m),
            Err(e) => return Err(e.into()),
        }
    }
    let values = ConsentFormValues {
        purpose: f.purpose,
        status: f.status,
        form: f.form,
        evidence: f.evidence,
    };
    show(
        &state,
        &user,
        &id,
        Again {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: None,
            errors,
            note_text: String::new(),
            consent_form: values,
        },
    )
    .await
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn withdraw_consent(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, consent)): Path<(String, String)>,
    crate::web::form::WebForm(form): crate::web::form::WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    let id = client_id(&id)?;
    let consent: ConsentId = consent.parse().map_err(|_| WebError(AppError::NotFound))?;
    user.check_csrf(&state, &form.csrf_token).await?;
    state
        .service()
        .withdraw_my_clients_consent(user.0.principal(), &id, &consent)
        .await?;
    Ok(Redirect::to(&format!("/clients/{id}?saved=withdrawn")).into_response())
}

#[derive(Template)]
#[template(path = "not_assigned.html")]
struct NotAssignedPage {
    chrome: Chrome,
    errors: FormErrors,
    csrf_token: String,
    client_id: ClientId,
    reason: String,
}

fn not_assigned(user: &PageUser, id: &ClientId, errors: FormErrors, reason: String) -> Response {
    render_status(
        StatusCode::FORBIDDEN,
        &NotAssignedPage {
            chrome: user.chrome(),
            errors,
            csrf_token: user.csrf().to_owned(),
            client_id: id.clone(),
            reason,
        },
    )
}

#[derive(Deserialize)]
struct BreakGlassForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

async fn break_glass(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    crate::web::form::WebForm(f): crate::web::form::WebForm<BreakGlassForm>,
) -> Result<Response, WebError> {
    let id = client_id(&id)?;
    user.check_csrf(&state, &f.csrf_token).await?;
    match state
        .service()
        .break_glass(user.0.principal(), &id, &f.reason)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/clients/{id}")).into_response()),
        Err(ServiceError::Refused(m)) => {
            let mut errors = FormErrors::default();
            errors.add("reason", m);
            Ok(not_assigned(&user, &id, errors, f.reason))
        }
        Err(e) => Err(e.into()),
    }
}
