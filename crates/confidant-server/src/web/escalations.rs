//! Escalating a safeguarding concern to the Safeguarding Officer or a
//! deputy (handcrafted.txt, "How to decide what to pass on and to whom").
//! The page offers only users holding the safeguarding-officer role; the
//! rules (who may escalate, to whom) are confidant-service's
//! (`escalation.rs`). A refusal is shown next to the field.

use super::{Chrome, FormErrors, PageUser, WebError, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use confidant_core::ids::{MatterId, UserId};
use confidant_service::ServiceError;
use confidant_service::escalation::OfficerChoice;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/matters/{id}/escalate", get(escalate_page).post(escalate))
}

fn matter_id(s: &str) -> Result<MatterId, WebError> {
    s.parse().map_err(|_| WebError(AppError::NotFound))
}

#[derive(Template)]
#[template(path = "escalate.html")]
struct EscalatePage {
    chrome: Chrome,
    matter_id: String,
    officers: Vec<OfficerChoice>,
    chosen: String,
    errors: FormErrors,
    csrf_token: String,
}

async fn show(
    state: &AppState,
    user: &PageUser,
    id: &MatterId,
    status: StatusCode,
    chosen: String,
    errors: FormErrors,
) -> Result<Response, WebError> {
    let officers = state
        .service()
        .escalation_choices_as(user.0.principal(), id)
        .await?;
    Ok(render_status(
        status,
        &EscalatePage {
            chrome: user.chrome(),
            matter_id: id.to_string(),
            officers,
            chosen,
            errors,
            csrf_token: user.csrf().to_owned(),
        },
    ))
}

async fn escalate_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = matter_id(&id)?;
    show(
        &state,
        &user,
        &id,
        StatusCode::OK,
        String::new(),
        FormErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
struct EscalateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    to_user: String,
}

async fn escalate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<EscalateForm>,
) -> Result<Response, WebError> {
    let id = matter_id(&id)?;
    user.check_csrf(&state, &f.csrf_token).await?;
    let mut errors = FormErrors::default();
    let Ok(to) = f.to_user.parse::<UserId>() else {
        errors.add("to_user", "Choose the Safeguarding Officer or a deputy");
        return show(
            &state,
            &user,
            &id,
            StatusCode::BAD_REQUEST,
            f.to_user,
            errors,
        )
        .await;
    };
    match state
        .service()
        .escalate_matter_as(user.0.principal(), &id, &to)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/matters/{id}?done=escalated")).into_response()),
        Err(ServiceError::Refused(m)) => {
            errors.add("to_user", m);
            show(
                &state,
                &user,
                &id,
                StatusCode::BAD_REQUEST,
                f.to_user,
                errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
