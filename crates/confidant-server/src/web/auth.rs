//! Sign-in pages: password, then the authenticator (enrolled at first
//! sign-in), then the recovery codes once; sign-out. The accounts,
//! sessions, throttling and CSRF live in the application layer and
//! `crate::session`; these handlers show the forms and pass what was typed
//! on. A password is never shown again; the username is.

use super::{Chrome, FormErrors, PageUser, WebError, render, render_status};
use crate::AppState;
use crate::api::session::Peer;
use crate::session::{OptionalUser, now, session_clear_cookie, session_cookie, session_set_cookie};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use confidant_service::ServiceError;
use confidant_service::accounts::{IssuedSession, PendingSignIn};
use serde::Deserialize;
use zeroize::Zeroizing;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-in/enrol", post(confirm_enrolment))
        .route("/sign-in/code", get(code_form).post(code))
        .route("/sign-out", post(sign_out))
        .route("/setup", get(setup_form).post(setup))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    errors: FormErrors,
    /// What was typed, shown again after an error (never the password).
    username: String,
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    errors: FormErrors,
    csrf_token: String,
    secret: String,
    otpauth_uri: String,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct CodePage {
    chrome: Chrome,
    errors: FormErrors,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    chrome: Chrome,
    codes: Vec<String>,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage {
    chrome: Chrome,
}

async fn sign_in_form(OptionalUser(user): OptionalUser) -> Response {
    if user.is_some() {
        return Redirect::to("/").into_response();
    }
    render(&SignInPage {
        chrome: Chrome::default(),
        errors: FormErrors::default(),
        username: String::new(),
    })
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn with_cookie(issued: &IssuedSession, mut res: Response) -> Response {
    match session_set_cookie(&issued.secret, issued.max_age_seconds) {
        Ok(c) => {
            res.headers_mut().insert(header::SET_COOKIE, c);
            res
        }
        Err(e) => WebError(e).into_response(),
    }
}

async fn sign_in(
    State(state): State<AppState>,
    Peer(peer): Peer,
    crate::web::form::WebForm(form): crate::web::form::WebForm<SignInForm>,
) -> Result<Response, WebError> {
    let mut errors = FormErrors::default();
    if form.username.trim().is_empty() {
        errors.add("username", "Enter your username");
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    if errors.is_empty() {
        match state
            .service()
            .sign_in_password(&form.username, Zeroizing::new(form.password), peer, now())
            .await
        {
            Ok(issued) => return after_password(&state, issued).await,
            Err(ServiceError::SignInRefused(_)) => {
                errors.add("password", "The username or password is not right");
            }
            Err(ServiceError::Throttled(wait)) => errors.add(
                "password",
                format!("Too many attempts: wait {wait} seconds, then try again"),
            ),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &SignInPage {
            chrome: Chrome::default(),
            errors,
            username: form.username,
        },
    ))
}

/// The password was right: the authenticator's code next, or (first
/// sign-in) its enrolment, shown in this same answer.
async fn after_password(state: &AppState, issued: IssuedSession) -> Result<Response, WebError> {
    if issued.next != "enrol" {
        return Ok(with_cookie(
            &issued,
            Redirect::to("/sign-in/code").into_response(),
        ));
    }
    let pending = state
        .service()
        .pending_sign_in(&issued.secret, now())
        .await?;
    let e = state.service().begin_enrolment(&pending).await?;
    let page = render(&EnrolPage {
        chrome: Chrome::default(),
        errors: FormErrors::default(),
        csrf_token: pending.csrf_token.clone(),
        secret: e.secret_base32.to_string(),
        otpauth_uri: e.otpauth_uri.to_string(),
    });
    Ok(with_cookie(&issued, page))
}

/// The password-stage session of this browser, with the form's CSRF token
/// checked; none (or expired) sends the user back to the password.
async fn pending(
    state: &AppState,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Result<PendingSignIn, Response>, WebError> {
    let Some(cookie) = session_cookie(headers) else {
        return Ok(Err(Redirect::to("/sign-in").into_response()));
    };
    match state.service().pending_sign_in(cookie, now()).await {
        Ok(p) => {
            if let Some(presented) = csrf
                && !p.csrf_ok(Some(presented))
            {
                return Err(WebError(crate::AppError::Csrf));
            }
            Ok(Ok(p))
        }
        Err(ServiceError::Unauthenticated) => Ok(Err(Redirect::to("/sign-in").into_response())),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct EnrolForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    otpauth_uri: String,
}

async fn confirm_enrolment(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::web::form::WebForm(form): crate::web::form::WebForm<EnrolForm>,
) -> Result<Response, WebError> {
    let p = match pending(&state, &headers, Some(&form.csrf_token)).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let mut errors = FormErrors::default();
    let code = form.code.trim();
    if code.is_empty() {
        errors.add("code", "Enter the 6-digit code from your authenticator app");
    } else {
        match state.service().confirm_enrolment(&p, code, now()).await {
            Ok((issued, codes)) => {
                let page = render(&RecoveryCodesPage {
                    chrome: Chrome::default(),
                    codes: codes.iter().map(|c| c.to_string()).collect(),
                });
                return Ok(with_cookie(&issued, page));
            }
            Err(ServiceError::SignInRefused(_)) => errors.add(
                "code",
                "That code is not right: check the key was typed correctly and try the newest code",
            ),
            Err(e) => return Err(e.into()),
        }
    }
    // The secret shown is the one this page showed (the one stored as
    // pending is what the code is checked against).
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &EnrolPage {
            chrome: Chrome::default(),
            errors,
            csrf_token: p.csrf_token.clone(),
            secret: form.secret,
            otpauth_uri: form.otpauth_uri,
        },
    ))
}

async fn code_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let p = match pending(&state, &headers, None).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    Ok(render(&CodePage {
        chrome: Chrome::default(),
        errors: FormErrors::default(),
        csrf_token: p.csrf_token.clone(),
    }))
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
}

async fn code(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::web::form::WebForm(form): crate::web::form::WebForm<CodeForm>,
) -> Result<Response, WebError> {
    let p = match pending(&state, &headers, Some(&form.csrf_token)).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let code = Some(form.code.trim()).filter(|c| !c.is_empty());
    let recovery = Some(form.recovery_code.trim()).filter(|c| !c.is_empty());
    let mut errors = FormErrors::default();
    if code.is_none() && recovery.is_none() {
        errors.add("code", "Enter the 6-digit code from your authenticator app");
    } else {
        match state
            .service()
            .verify_second_factor(&p, code, recovery, now())
            .await
        {
            Ok(issued) => {
                return Ok(with_cookie(&issued, Redirect::to("/").into_response()));
            }
            Err(ServiceError::SignInRefused(m)) if m.contains("already") => {
                errors.add("code", "That code was used already: wait for the next one")
            }
            Err(ServiceError::SignInRefused(_)) => {
                errors.add("code", "That code is not right: try the newest code");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &CodePage {
            chrome: Chrome::default(),
            errors,
            csrf_token: p.csrf_token.clone(),
        },
    ))
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn sign_out(
    State(state): State<AppState>,
    user: PageUser,
    crate::web::form::WebForm(form): crate::web::form::WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&state, &form.csrf_token).await?;
    state.service().sign_out(user.0.principal()).await?;
    let mut res = render(&SignedOutPage {
        chrome: Chrome::default(),
    });
    res.headers_mut()
        .insert(header::SET_COOKIE, session_clear_cookie());
    // The browser forgets whatever it kept of this origin's pages.
    res.headers_mut().insert(
        axum::http::HeaderName::from_static("clear-site-data"),
        axum::http::HeaderValue::from_static("\"cache\""),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    errors: FormErrors,
    token: String,
    username: String,
    done: bool,
}

#[derive(Deserialize)]
struct SetupQuery {
    #[serde(default)]
    token: String,
}

/// The one-time link `confidant serve` prints while there is no account.
async fn setup_form(axum::extract::Query(q): axum::extract::Query<SetupQuery>) -> Response {
    render(&SetupPage {
        chrome: Chrome::default(),
        errors: FormErrors::default(),
        token: q.token,
        username: String::new(),
        done: false,
    })
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn setup(
    State(state): State<AppState>,
    crate::web::form::WebForm(form): crate::web::form::WebForm<SetupForm>,
) -> Result<Response, WebError> {
    let mut errors = FormErrors::default();
    if form.username.trim().is_empty() {
        errors.add("username", "Choose a username");
    }
    if form.password.is_empty() {
        errors.add("password", "Choose a password");
    }
    if errors.is_empty() {
        match state
            .service()
            .create_first_administrator(
                &form.token,
                &form.username,
                Zeroizing::new(form.password),
            )
            .await
        {
            Ok(_) => {
                return Ok(render(&SetupPage {
                    chrome: Chrome::default(),
                    errors,
                    token: String::new(),
                    username: String::new(),
                    done: true,
                }));
            }
            Err(ServiceError::SignInRefused(_)) => errors.add(
                "username",
                "This setup link is unknown, already used or expired: restart `confidant serve` for a new one",
            ),
            Err(ServiceError::Refused(m)) if m.contains("username") => errors.add("username", m),
            Err(ServiceError::Refused(m)) => errors.add("password", m),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &SetupPage {
            chrome: Chrome::default(),
            errors,
            token: form.token,
            username: form.username,
            done: false,
        },
    ))
}
