//! "What needs me now": the home page.

use super::{Chrome, PageUser, WebError, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use confidant_core::ids::GrantId;
use confidant_service::caseload::Home;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/clients", get(|| async { Redirect::to("/") }))
        .route("/break-glass/{id}/review", post(review_grant))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    home: Home,
    records: confidant_service::authorised_records::RecordsHome,
    csrf_token: String,
}

async fn home(State(state): State<AppState>, user: PageUser) -> Result<Response, WebError> {
    let home = state.service().home(user.0.principal()).await?;
    let records = state
        .service()
        .records_home(user.0.principal(), state.service().records_policy())
        .await?;
    Ok(render(&HomePage {
        chrome: user.chrome(),
        csrf_token: user.csrf().to_owned(),
        home,
        records,
    }))
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn review_grant(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    crate::web::form::WebForm(form): crate::web::form::WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    let id: GrantId = id
        .parse()
        .map_err(|_| WebError(crate::AppError::NotFound))?;
    state
        .service()
        .review_break_glass(user.0.principal(), &id)
        .await?;
    Ok(Redirect::to("/").into_response())
}
