//! A note being written when the session ends is not lost: the form's
//! submission is kept sealed for the same user (rules in
//! `confidant-service/src/account_admin.rs`), and offered back in the note
//! form of the client's page after they sign in again; saving it removes
//! the kept copy.

use super::{PageUser, WebError};
use crate::session::{now, session_cookie};
use crate::{AppError, AppState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use confidant_core::ids::ClientId;

/// The note form arrived without a working session.
pub(super) async fn keep_note(
    state: &AppState,
    headers: &HeaderMap,
    client: &ClientId,
    csrf_token: &str,
    text: &str,
) -> Result<Response, WebError> {
    let Some(cookie) = session_cookie(headers) else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let kept = state
        .service()
        .keep_note_after_session_end(cookie, csrf_token, client, text, now())
        .await?;
    if !kept {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    Err(WebError(AppError::SignInRefused(
        "Your session ended, so the note was not saved yet. It has been kept, encrypted, for you alone: sign in again and open this client's page to save it."
            .into(),
    )))
}

/// What the note form shows: what was typed (after an error), or else the
/// oldest note kept for this user and client, with a notice.
pub(super) async fn offer(
    state: &AppState,
    user: &PageUser,
    client: &ClientId,
    typed: String,
    notice: Option<&'static str>,
) -> Result<(String, String, Option<&'static str>), WebError> {
    if !typed.is_empty() {
        return Ok((typed, String::new(), notice));
    }
    let drafts = match state
        .service()
        .my_note_drafts(user.0.principal(), client)
        .await
    {
        Ok(d) => d,
        Err(confidant_service::ServiceError::NotAllowed) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    match drafts.into_iter().next() {
        Some(d) => Ok((
            d.text.as_str().to_owned(),
            d.id,
            Some(
                "A note you were writing when your session ended was kept. It is in the note form below: check it and save it.",
            ),
        )),
        None => Ok((typed, String::new(), notice)),
    }
}

/// After the note is saved, the kept copy it came from goes.
pub(super) async fn taken_back(
    state: &AppState,
    user: &PageUser,
    draft_id: &str,
) -> Result<(), WebError> {
    if draft_id.is_empty() {
        return Ok(());
    }
    match state
        .service()
        .discard_note_draft(user.0.principal(), draft_id)
        .await
    {
        Ok(()) | Err(confidant_service::ServiceError::Store(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
