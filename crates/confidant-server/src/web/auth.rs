//! Sign-in pages. The accounts, sessions and CSRF themselves live in
//! `crate::session` and the application layer; these handlers only show
//! the forms and pass what was typed on.

use super::{Chrome, FormErrors, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/sign-in", get(sign_in_form))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    errors: FormErrors,
    /// What was typed, shown again after an error (never the password).
    username: String,
}

async fn sign_in_form() -> Response {
    render(&SignInPage {
        chrome: Chrome::default(),
        errors: FormErrors::default(),
        username: String::new(),
    })
}
