//! Policies anyone may read: the list of built-in policies and each one's
//! client statement (the limits of confidentiality, printable for a new
//! client).

use super::{Chrome, WebError, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use confidant_service::Statement;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/policies", get(list))
        .route("/policies/{name}/statement", get(statement))
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    chrome: Chrome,
    names: Vec<&'static str>,
}

async fn list() -> Response {
    render(&PoliciesPage {
        chrome: Chrome::default(),
        names: confidant_service::builtin_policies(),
    })
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    chrome: Chrome,
    statement: Statement,
}

async fn statement(Path(name): Path<String>) -> Result<Response, WebError> {
    // Only built-in names: a path segment must never name a file to read.
    if !confidant_service::builtin_policies().contains(&name.as_str()) {
        return Err(WebError(crate::AppError::NotFound));
    }
    let statement = confidant_service::client_statement(&name)?;
    Ok(render(&StatementPage {
        chrome: Chrome::default(),
        statement,
    }))
}
