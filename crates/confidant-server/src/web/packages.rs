//! The package builder and delivery: under a matter's signed decision,
//! pick what is needed (each item with its reason) for a recipient the
//! decision allows, or record a verbal disclosure; preview the package
//! with every removed identifier highlighted and listed; then deliver it,
//! after a confirmation that names what will happen: the sealed `age` file
//! downloads, or the verbal disclosure is recorded. A de-identified
//! package (supervision and teaching material) is the same flow with
//! consistent pseudonyms. Every rule is in confidant-service
//! (`authorised_matters.rs`, `package.rs`); refusals are shown next to the
//! field they are about, keeping what was typed.

use super::clients::already_sent;
use super::{Chrome, FormErrors, PageUser, WebError, consume_nonce, fresh_nonce, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use confidant_core::decision::Recipient;
use confidant_core::ids::{MatterId, NoteId, PackageId};
use confidant_core::record::Timestamp;
use confidant_service::authorised_matters::{PackageOptions, PackagePreview};
use confidant_service::{BuildPackage, DeliverTo, Selection, ServiceError, VerbalRecord};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/matters/{id}/package",
            get(builder_page).post(build_package),
        )
        .route("/packages/{id}", get(preview_page))
        .route("/packages/{id}/deliver", post(deliver))
}

fn matter_id(s: &str) -> Result<MatterId, WebError> {
    s.parse().map_err(|_| WebError(AppError::NotFound))
}

fn package_id(s: &str) -> Result<PackageId, WebError> {
    s.parse().map_err(|_| WebError(AppError::NotFound))
}

/// A note as the builder offers it.
struct NoteChoice {
    id: String,
    text: String,
    blocked: Option<String>,
    checked: bool,
    reason: String,
}

/// What was typed into the builder, kept after an error.
#[derive(Default)]
struct BuilderValues {
    recipient: String,
    recipient_name: String,
    chosen: Vec<(String, String)>,
    said: String,
    to_whom: String,
    means: String,
}

#[derive(Template)]
#[template(path = "package_new.html")]
struct BuilderTemplate {
    chrome: Chrome,
    errors: FormErrors,
    csrf_token: String,
    nonce: String,
    matter_id: String,
    unavailable: Option<String>,
    heading: &'static str,
    deidentify: bool,
    verbal_only: bool,
    recipients: Vec<(&'static str, &'static str)>,
    notes: Vec<NoteChoice>,
    form: BuilderValues,
}

fn recipient_words(r: Recipient) -> &'static str {
    match r {
        Recipient::EmergencyServices => "Emergency services (999)",
        Recipient::Gp => "The client's GP",
        Recipient::Supervisor => "Your supervisor",
        Recipient::TeachingGroup => "A teaching or training group",
        Recipient::SafeguardingOfficer => "The Safeguarding Officer",
        Recipient::Solicitor => "A solicitor",
        Recipient::Police => "The police",
        Recipient::Court => "The court",
        Recipient::Requester => "Whoever asked",
        other => other.as_str(),
    }
}

async fn builder(
    state: &AppState,
    user: &PageUser,
    id: &MatterId,
    status: StatusCode,
    errors: FormErrors,
    form: BuilderValues,
) -> Result<Response, WebError> {
    let o: PackageOptions = state
        .service()
        .package_options_as(user.0.principal(), id)
        .await?;
    let notes = o
        .notes
        .into_iter()
        .map(|n| {
            let id = n.note_id.to_string();
            let chosen = form.chosen.iter().find(|(c, _)| *c == id);
            NoteChoice {
                checked: chosen.is_some(),
                reason: chosen.map(|(_, r)| r.clone()).unwrap_or_default(),
                id,
                text: n.text,
                blocked: n.blocked,
            }
        })
        .collect();
    Ok(render_status(
        status,
        &BuilderTemplate {
            chrome: user.chrome(),
            errors,
            csrf_token: user.csrf().to_owned(),
            nonce: fresh_nonce(),
            matter_id: id.to_string(),
            unavailable: o.unavailable,
            heading: if o.deidentify {
                "Supervision and teaching material"
            } else {
                "Build the disclosure package"
            },
            deidentify: o.deidentify,
            verbal_only: o.verbal_only,
            recipients: o
                .recipients
                .iter()
                .map(|r| (r.as_str(), recipient_words(*r)))
                .collect(),
            notes,
            form,
        },
    ))
}

async fn builder_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = matter_id(&id)?;
    builder(
        &state,
        &user,
        &id,
        StatusCode::OK,
        FormErrors::default(),
        BuilderValues::default(),
    )
    .await
}

/// Which field a refusal of the build is about.
fn build_field(message: &str) -> &'static str {
    if message.contains("recipient") || message.contains("disclosure to") {
        "recipient"
    } else if message.contains("--said") {
        "said"
    } else if message.contains("--to-whom") {
        "to_whom"
    } else if message.contains("--means") {
        "means"
    } else {
        "notes"
    }
}

async fn build_package(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = matter_id(&id)?;
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    user.check_csrf(&state, &field("csrf_token")).await?;
    let mut form = BuilderValues {
        recipient: field("recipient"),
        recipient_name: field("recipient_name"),
        chosen: Vec::new(),
        said: field("said"),
        to_whom: field("to_whom"),
        means: field("means"),
    };
    for (k, v) in &pairs {
        if k == "note" {
            let reason = field(&format!("reason-{v}"));
            form.chosen.push((v.clone(), reason));
        }
    }
    let mut errors = FormErrors::default();
    let recipient: Option<Recipient> = form.recipient.parse().ok();
    if recipient.is_none() {
        errors.add("recipient", "Choose who receives it");
    }
    let verbal = !form.said.trim().is_empty()
        || !form.to_whom.trim().is_empty()
        || !form.means.trim().is_empty();
    let mut items = Vec::new();
    for (note, reason) in &form.chosen {
        let Ok(n) = note.parse::<NoteId>() else {
            errors.add("notes", "A chosen note is not on this record");
            continue;
        };
        if reason.trim().is_empty() {
            errors.add(
                "notes",
                "Say why each chosen note is needed (the reason beside it)",
            );
        }
        items.push(Selection {
            note: Some(n),
            field: None,
            extract: None,
            reason: reason.trim().to_owned(),
        });
    }
    if !verbal && items.is_empty() && errors.is_empty() {
        errors.add(
            "notes",
            "Choose at least one note, or record what was said instead",
        );
    }
    if let (Some(recipient), true) = (recipient, errors.is_empty()) {
        if !consume_nonce(&state, &field("nonce")).await? {
            return Ok(already_sent(&user, format!("/matters/{id}")));
        }
        let b = BuildPackage {
            recipient,
            recipient_name: Some(form.recipient_name.trim().to_owned()).filter(|s| !s.is_empty()),
            items: if verbal { Vec::new() } else { items },
            verbal: verbal.then(|| VerbalRecord {
                said: form.said.trim().to_owned(),
                to_whom: form.to_whom.trim().to_owned(),
                at: Timestamp(confidant_store::now_micros()),
                means: form.means.trim().to_owned(),
            }),
        };
        match state
            .service()
            .build_package_as(user.0.principal(), &id, &b)
            .await
        {
            Ok(p) => return Ok(Redirect::to(&format!("/packages/{p}")).into_response()),
            Err(ServiceError::Refused(m)) => errors.add(build_field(&m), m),
            Err(e) => return Err(e.into()),
        }
    }
    builder(
        &state,
        &user,
        &id,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        form,
    )
    .await
}

/// A piece of a previewed item: plain text, or a removed identifier.
struct Piece {
    text: String,
    removed: Option<String>,
}

struct PreviewItem {
    number: usize,
    pieces: Vec<Piece>,
}

struct RemovedRow {
    item: usize,
    start: usize,
    end: usize,
    kind: String,
    text: String,
}

#[derive(Template)]
#[template(path = "package.html")]
struct PreviewTemplate {
    chrome: Chrome,
    errors: FormErrors,
    notice: Option<&'static str>,
    csrf_token: String,
    nonce: String,
    p: PackagePreview,
    recipient_words: String,
    items: Vec<PreviewItem>,
    removed: Vec<RemovedRow>,
    is_verbal: bool,
    recipient_key: String,
}

fn pieces(text: &str, spans: &[(usize, usize, String)]) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<&(usize, usize, String)> = spans.iter().collect();
    spans.sort_by_key(|s| s.0);
    let mut out = Vec::new();
    let mut at = 0usize;
    for (s, e, kind) in spans {
        let (s, e) = ((*s).min(chars.len()), (*e).min(chars.len()));
        if s < at || e <= s {
            continue;
        }
        if s > at {
            out.push(Piece {
                text: chars[at..s].iter().collect(),
                removed: None,
            });
        }
        out.push(Piece {
            text: chars[s..e].iter().collect(),
            removed: Some(kind.clone()),
        });
        at = e;
    }
    if at < chars.len() {
        out.push(Piece {
            text: chars[at..].iter().collect(),
            removed: None,
        });
    }
    out
}

async fn preview(
    state: &AppState,
    user: &PageUser,
    id: &PackageId,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: FormErrors,
    recipient_key: String,
) -> Result<Response, WebError> {
    let p = state
        .service()
        .package_preview_as(user.0.principal(), id)
        .await?;
    let items = p
        .originals
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let spans: Vec<(usize, usize, String)> = p
                .removed
                .iter()
                .filter(|r| r.item == i)
                .map(|r| (r.start, r.end, r.kind.to_lowercase().replace('_', " ")))
                .collect();
            PreviewItem {
                number: i + 1,
                pieces: pieces(text, &spans),
            }
        })
        .collect();
    let removed = p
        .removed
        .iter()
        .map(|r| RemovedRow {
            item: r.item + 1,
            start: r.start,
            end: r.end,
            kind: r.kind.to_lowercase().replace('_', " "),
            text: r.text.clone(),
        })
        .collect();
    let recipient_words = p
        .recipient
        .parse::<Recipient>()
        .map(|r| recipient_words(r).to_owned())
        .unwrap_or_else(|_| p.recipient.clone());
    Ok(render_status(
        status,
        &PreviewTemplate {
            chrome: user.chrome(),
            errors,
            notice,
            csrf_token: user.csrf().to_owned(),
            nonce: fresh_nonce(),
            is_verbal: p.mode == "verbal",
            recipient_words,
            items,
            removed,
            p,
            recipient_key,
        },
    ))
}

#[derive(Deserialize)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn preview_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let id = package_id(&id)?;
    let notice = match q.done.as_deref() {
        Some("delivered") => {
            Some("The disclosure is recorded in the client's accounting of disclosures.")
        }
        _ => None,
    };
    preview(
        &state,
        &user,
        &id,
        StatusCode::OK,
        notice,
        FormErrors::default(),
        String::new(),
    )
    .await
}

#[derive(Deserialize, Default)]
struct DeliverForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    recipient_key: String,
    #[serde(default)]
    confirm: Option<String>,
}

async fn deliver(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<DeliverForm>,
) -> Result<Response, WebError> {
    let id = package_id(&id)?;
    user.check_csrf(&state, &f.csrf_token).await?;
    let p = state
        .service()
        .package_preview_as(user.0.principal(), &id)
        .await?;
    let verbal = p.mode == "verbal";
    let mut errors = FormErrors::default();
    if f.confirm.is_none() {
        errors.add(
            "confirm",
            "Tick the box to confirm you have checked what will leave, and to whom",
        );
    }
    if !verbal && f.recipient_key.trim().is_empty() {
        errors.add(
            "recipient_key",
            "Give the recipient's age public key (it starts age1)",
        );
    }
    if errors.is_empty() {
        if !consume_nonce(&state, &f.nonce).await? {
            return Ok(already_sent(&user, format!("/packages/{id}")));
        }
        let to = if verbal {
            DeliverTo::Verbal
        } else {
            DeliverTo::AgeRecipient(f.recipient_key.trim().to_owned())
        };
        match state
            .service()
            .deliver_package_as(user.0.principal(), &id, &to, true)
            .await
        {
            Ok(d) if verbal => {
                let _ = d;
                return Ok(Redirect::to(&format!("/packages/{id}?done=delivered")).into_response());
            }
            Ok(d) => {
                let Some((name, bytes)) =
                    d.files.into_iter().find(|(n, _)| n.ends_with(".html.age"))
                else {
                    return Err(WebError(AppError::Internal("package file".into())));
                };
                let mut res = bytes.into_response();
                let h = res.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                    h.insert(header::CONTENT_DISPOSITION, v);
                }
                return Ok(res);
            }
            Err(ServiceError::Refused(m)) if m.contains("already delivered") => {
                return Ok(already_sent(&user, format!("/packages/{id}")));
            }
            Err(ServiceError::Refused(m)) if m.contains("age") || m.contains("key") => {
                errors.add("recipient_key", m)
            }
            Err(ServiceError::Refused(m)) => errors.add("confirm", m),
            Err(e) => return Err(e.into()),
        }
    }
    preview(
        &state,
        &user,
        &id,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        errors,
        f.recipient_key,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn pieces_mark_each_removed_span_and_keep_the_rest() {
        let p = pieces(
            "Alex said Jordan Reeve shouted.",
            &[(10, 22, "name".into())],
        );
        let texts: Vec<(&str, bool)> = p
            .iter()
            .map(|x| (x.text.as_str(), x.removed.is_some()))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("Alex said ", false),
                ("Jordan Reeve", true),
                (" shouted.", false)
            ]
        );
        // Overlapping or out-of-range spans never panic or duplicate text.
        let p = pieces("abc", &[(1, 9, "x".into()), (0, 2, "y".into())]);
        let joined: String = p.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(joined, "abc");
    }
}
