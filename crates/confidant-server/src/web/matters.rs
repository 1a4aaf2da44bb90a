//! The matter flow: "Someone is asking / I'm worried / I want to use
//! this" in words, the policy's recommendation with its clauses quoted,
//! the obligations as a checklist, and the signed decision record. Every
//! rule (what the words mean, what the policy says, what a record needs)
//! is in the application layer; a refusal is shown next to its field.

use super::clients::{already_sent, client_id};
use super::{Chrome, FormErrors, PageUser, WebError, consume_nonce, fresh_nonce, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use confidant_core::decision::Outcome;
use confidant_core::ids::{ClientId, MatterId};
use confidant_service::caseload::{MatterInput, MatterPage, factors_from_lines, outcome_choices};
use confidant_service::situations::{SITUATIONS, SituationGroup};
use confidant_service::{
    ClientTold, Consulted, NewDecisionRecord, PractitionerFacts, ServiceError,
};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/clients/{id}/matters/new", get(new_matter_form))
        .route("/clients/{id}/matters", post(open_matter))
        .route("/matters/{id}", get(matter_page))
        .route("/matters/{id}/decide", post(decide))
        .route("/matters/{id}/record", post(record))
}

fn matter_id(s: &str) -> Result<MatterId, WebError> {
    s.parse().map_err(|_| WebError(AppError::NotFound))
}

struct Group {
    heading: &'static str,
    choices: Vec<(&'static str, &'static str)>,
}

fn groups() -> Vec<Group> {
    [
        SituationGroup::SomeoneIsAsking,
        SituationGroup::ImWorried,
        SituationGroup::IWantToUseThis,
    ]
    .into_iter()
    .map(|g| Group {
        heading: g.heading(),
        choices: SITUATIONS
            .iter()
            .filter(|s| s.group == g)
            .map(|s| (s.key, s.words))
            .collect(),
    })
    .collect()
}

#[derive(Deserialize, Default)]
struct NewMatterForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    situation: String,
    #[serde(default)]
    requester: String,
    #[serde(default)]
    court_order: Option<String>,
    #[serde(default)]
    authority_reference: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    summary: String,
}

struct NewMatterValues {
    situation: String,
    requester: String,
    court_order: bool,
    authority_reference: String,
    policy: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "matter_new.html")]
struct NewMatterPage {
    chrome: Chrome,
    errors: FormErrors,
    csrf_token: String,
    nonce: String,
    client_id: ClientId,
    client_name: String,
    groups: Vec<Group>,
    policies: Vec<&'static str>,
    form: NewMatterValues,
}

async fn new_matter_page(
    state: &AppState,
    user: &PageUser,
    id: ClientId,
    status: StatusCode,
    errors: FormErrors,
    form: NewMatterValues,
) -> Result<Response, WebError> {
    let r = state
        .service()
        .client_record(user.0.principal(), &id)
        .await?;
    Ok(render_status(
        status,
        &NewMatterPage {
            chrome: user.chrome(),
            errors,
            csrf_token: user.csrf().to_owned(),
            nonce: fresh_nonce(),
            client_id: id,
            client_name: r.name,
            groups: groups(),
            policies: confidant_service::builtin_policies(),
            form,
        },
    ))
}

async fn new_matter_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = client_id(&id)?;
    let form = NewMatterValues {
        situation: String::new(),
        requester: String::new(),
        court_order: false,
        authority_reference: String::new(),
        policy: String::new(),
        summary: String::new(),
    };
    new_matter_page(
        &state,
        &user,
        id,
        StatusCode::OK,
        FormErrors::default(),
        form,
    )
    .await
}

async fn open_matter(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    crate::web::form::WebForm(f): crate::web::form::WebForm<NewMatterForm>,
) -> Result<Response, WebError> {
    let id = client_id(&id)?;
    user.check_csrf(&state, &f.csrf_token).await?;
    let mut errors = FormErrors::default();
    if f.situation.is_empty() {
        errors.add("situation", "Choose what is happening");
    } else {
        if !consume_nonce(&state, &f.nonce).await? {
            return Ok(already_sent(&user, format!("/clients/{id}")));
        }
        let input = MatterInput {
            situation: &f.situation,
            policy: &f.policy,
            requester: Some(f.requester.clone()),
            court_order: f.court_order.is_some(),
            authority_reference: Some(f.authority_reference.clone()),
            summary: Some(f.summary.clone()),
        };
        match state
            .service()
            .open_matter_for(user.0.principal(), &id, &input)
            .await
        {
            Ok(m) => return Ok(Redirect::to(&format!("/matters/{m}")).into_response()),
            Err(ServiceError::Refused(m)) if m.contains("policy") => errors.add("policy", m),
            Err(ServiceError::Refused(m)) => errors.add("situation", m),
            Err(e) => return Err(e.into()),
        }
    }
    let form = NewMatterValues {
        situation: f.situation,
        requester: f.requester,
        court_order: f.court_order.is_some(),
        authority_reference: f.authority_reference,
        policy: f.policy,
        summary: f.summary,
    };
    new_matter_page(
        &state,
        &user,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        form,
    )
    .await
}

#[derive(Deserialize, Default)]
struct RecordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    differs_reason: String,
    #[serde(default)]
    consulted_role: String,
    #[serde(default)]
    consulted_name: String,
    #[serde(default)]
    consulted_anonymously: Option<String>,
    #[serde(default)]
    factors: String,
    #[serde(default)]
    why: String,
    #[serde(default)]
    told: String,
    #[serde(default)]
    told_how: String,
    #[serde(default)]
    why_not: String,
}

/// The record form as typed, shown again after an error.
struct RecordValues {
    outcome: String,
    differs_reason: String,
    consulted_role: String,
    consulted_name: String,
    consulted_anonymously: bool,
    factors: String,
    why: String,
    told: String,
    told_how: String,
    why_not: String,
}

impl RecordValues {
    fn from_form(f: &RecordForm) -> RecordValues {
        RecordValues {
            outcome: f.outcome.clone(),
            differs_reason: f.differs_reason.clone(),
            consulted_role: f.consulted_role.clone(),
            consulted_name: f.consulted_name.clone(),
            consulted_anonymously: f.consulted_anonymously.is_some(),
            factors: f.factors.clone(),
            why: f.why.clone(),
            told: f.told.clone(),
            told_how: f.told_how.clone(),
            why_not: f.why_not.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "matter.html")]
struct MatterTemplate {
    chrome: Chrome,
    v: MatterPage,
    notice: Option<&'static str>,
    errors: FormErrors,
    csrf_token: String,
    outcomes: Vec<(&'static str, &'static str)>,
    rf: RecordValues,
}

async fn show(
    state: &AppState,
    user: &PageUser,
    id: &MatterId,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: FormErrors,
    rf: Option<RecordValues>,
) -> Result<Response, WebError> {
    let v = state.service().matter_page(user.0.principal(), id).await?;
    // The form starts at the policy's recommendation.
    let rf = rf.unwrap_or_else(|| {
        let mut empty = RecordValues::from_form(&RecordForm::default());
        if let Some(r) = &v.recommendation {
            empty.outcome = r.outcome.clone();
        }
        empty
    });
    Ok(render_status(
        status,
        &MatterTemplate {
            chrome: user.chrome(),
            v,
            notice,
            errors,
            csrf_token: user.csrf().to_owned(),
            outcomes: outcome_choices(),
            rf,
        },
    ))
}

#[derive(Deserialize)]
struct Notice {
    #[serde(default)]
    done: Option<String>,
}

async fn matter_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Notice>,
) -> Result<Response, WebError> {
    let id = matter_id(&id)?;
    let notice = match q.done.as_deref() {
        Some("decided") => Some("The policy's recommendation is below."),
        Some("recorded") => Some("Your decision record is signed and kept with the matter."),
        Some("escalated") => {
            Some("The matter is escalated: only the safeguarding officer you chose sees it.")
        }
        _ => None,
    };
    show(
        &state,
        &user,
        &id,
        StatusCode::OK,
        notice,
        FormErrors::default(),
        None,
    )
    .await
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    imminent: Option<String>,
    #[serde(default)]
    confirmed: Option<String>,
    #[serde(default)]
    life_threatening: Option<String>,
}

async fn decide(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    crate::web::form::WebForm(f): crate::web::form::WebForm<DecideForm>,
) -> Result<Response, WebError> {
    let id = matter_id(&id)?;
    user.check_csrf(&state, &f.csrf_token).await?;
    let v = state.service().matter_page(user.0.principal(), &id).await?;
    // Facts only the practitioner knows belong to concerns; a request or a
    // use is decided on the record alone.
    let facts = if v.is_concern {
        PractitionerFacts {
            imminent: Some(f.imminent.is_some()),
            confirmed: Some(f.confirmed.is_some()),
            life_threatening: Some(f.life_threatening.is_some()),
            ..PractitionerFacts::default()
        }
    } else {
        PractitionerFacts::default()
    };
    match state
        .service()
        .decide_for(user.0.principal(), &id, facts)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/matters/{id}?done=decided")).into_response()),
        Err(ServiceError::Refused(m)) => {
            let mut errors = FormErrors::default();
            errors.add("decide", m);
            show(
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Which field a refusal of the decision record is about.
fn record_field(message: &str) -> &'static str {
    if message.contains("differs") {
        "differs_reason"
    } else if message.contains("consulted") {
        "consulted_role"
    } else if message.contains("factor") {
        "factors"
    } else if message.contains("not told") {
        "why_not"
    } else if message.contains("how the client was told") {
        "told_how"
    } else if message.contains("--why") {
        "why"
    } else {
        "outcome"
    }
}

async fn record(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    crate::web::form::WebForm(f): crate::web::form::WebForm<RecordForm>,
) -> Result<Response, WebError> {
    let id = matter_id(&id)?;
    user.check_csrf(&state, &f.csrf_token).await?;
    let mut errors = FormErrors::default();
    let outcome: Option<Outcome> = f.outcome.parse().ok();
    if outcome.is_none() {
        errors.add("outcome", "Choose your decision");
    }
    if f.why.trim().is_empty() {
        errors.add("why", "Say why you decided this");
    }
    let factors = factors_from_lines(&f.factors);
    if factors.is_empty() {
        errors.add(
            "factors",
            "Write at least one thing you took into consideration",
        );
    }
    let told = match f.told.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add("told_how", "Say whether you told the client");
            None
        }
    };
    if let (Some(outcome), Some(told), true) = (outcome, told, errors.is_empty()) {
        let mut consulted = Vec::new();
        if !f.consulted_role.trim().is_empty() {
            consulted.push(Consulted {
                name: Some(f.consulted_name.trim().to_owned()).filter(|n| !n.is_empty()),
                role: f.consulted_role.trim().to_owned(),
                anonymously: f.consulted_anonymously.is_some(),
            });
        }
        let r = NewDecisionRecord {
            outcome,
            differs_reason: Some(f.differs_reason.trim().to_owned()).filter(|s| !s.is_empty()),
            consulted,
            factors,
            why: f.why.trim().to_owned(),
            client_told: ClientTold {
                told,
                how: Some(f.told_how.trim().to_owned()).filter(|s| told && !s.is_empty()),
                when: None,
                why_not: Some(f.why_not.trim().to_owned()).filter(|s| !told && !s.is_empty()),
            },
        };
        match state
            .service()
            .record_for(user.0.principal(), &id, &r)
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!("/matters/{id}?done=recorded")).into_response());
            }
            Err(ServiceError::Refused(m)) if m.contains("already signed") => {
                // A second submission of the same form: the first one was
                // signed, and nothing is signed twice.
                return Ok(already_sent(&user, format!("/matters/{id}")));
            }
            Err(ServiceError::Refused(m)) => errors.add(record_field(&m), m),
            Err(e) => return Err(e.into()),
        }
    }
    let rf = RecordValues::from_form(&f);
    show(
        &state,
        &user,
        &id,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        errors,
        Some(rf),
    )
    .await
}
