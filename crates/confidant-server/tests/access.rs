//! Access control through the JSON API, on SQLite and (with
//! CONFIDANT_TEST_DATABASE_URL) PostgreSQL: each role's session against
//! records it is and is not related to, break-glass and its review queue,
//! personal access tokens and their scopes, and bad input that must change
//! nothing. Every refusal says only "not allowed" and is audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use confidant_access::Role;
use confidant_core::record::Role as StaffRole;
use confidant_service::accounts::AccountSettings;
use serde_json::{Value, json};

struct People {
    alice: Session,
    bob: Session,
    admin: Session,
    officer: Session,
    records: Session,
    supervisor: Session,
}

async fn people(h: &Harness) -> People {
    let svc = h.state.service();
    let pa = svc
        .add_practitioner("test", "Alice Example", &[StaffRole::Practitioner])
        .await
        .unwrap();
    let pb = svc
        .add_practitioner("test", "Bob Example", &[StaffRole::Practitioner])
        .await
        .unwrap();
    let ps = svc
        .add_practitioner("test", "Sue Example", &[StaffRole::Supervisor])
        .await
        .unwrap();
    svc.add_supervision_unchecked("test", &ps, &pa)
        .await
        .unwrap();
    h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
    h.user_as("bob", &[Role::Practitioner], Some(pb)).await;
    h.user_as("sue", &[Role::Supervisor], Some(ps)).await;
    h.user("root", &[Role::Administrator]).await;
    h.user("sgo", &[Role::SafeguardingOfficer]).await;
    h.user("rm", &[Role::RecordsManager]).await;
    People {
        alice: h.sign_in_and_enrol("alice").await,
        bob: h.sign_in_and_enrol("bob").await,
        admin: h.sign_in_and_enrol("root").await,
        officer: h.sign_in_and_enrol("sgo").await,
        records: h.sign_in_and_enrol("rm").await,
        supervisor: h.sign_in_and_enrol("sue").await,
    }
}

async fn get(h: &Harness, s: &Session, path: &str) -> (StatusCode, Value) {
    let (st, _, b) = h.call(Method::GET, path, Some(&s.cookie), None, None).await;
    (st, b)
}

async fn post(h: &Harness, s: &Session, path: &str, body: Value) -> (StatusCode, Value) {
    let (st, _, b) = h
        .call(
            Method::POST,
            path,
            Some(&s.cookie),
            Some(&s.csrf),
            Some(body),
        )
        .await;
    (st, b)
}

fn not_allowed(r: (StatusCode, Value)) {
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    assert_eq!(r.1["detail"], "not allowed");
}

async fn new_client(h: &Harness, s: &Session) -> String {
    let (st, b) = post(
        h,
        s,
        "/api/v1/clients",
        json!({"name": "Carol Client", "date_of_birth": "1990-04-01"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

#[test]
fn each_role_sees_what_the_policy_gives_it_and_nothing_else() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = people(&h).await;
        let c = new_client(&h, &p.alice).await;
        let client = format!("/api/v1/clients/{c}");
        let notes = format!("{client}/notes");
        // The assigned practitioner: details, notes, consents.
        let (st, b) = get(&h, &p.alice, &client).await;
        assert_eq!(st, StatusCode::OK, "{b}");
        assert_eq!(b["name"], "Carol Client");
        let (st, _) = post(&h, &p.alice, &notes, json!({"text": "First session."})).await;
        assert_eq!(st, StatusCode::CREATED);
        let (st, b) = get(&h, &p.alice, &notes).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(b.as_array().unwrap().len(), 1);
        let (st, b) = get(&h, &p.alice, "/api/v1/clients").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(b.as_array().unwrap().len(), 1);
        // Everyone else: no details, no notes.
        let before = h.audit_count("access.refused").await;
        for s in [&p.bob, &p.admin, &p.officer, &p.records, &p.supervisor] {
            not_allowed(get(&h, s, &client).await);
            not_allowed(get(&h, s, &notes).await);
            not_allowed(post(&h, s, &notes, json!({"text": "x"})).await);
        }
        assert_eq!(h.audit_count("access.refused").await, before + 15);
        let (st, b) = get(&h, &p.bob, "/api/v1/clients").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(b, json!([]));
        // The records manager sees holds (metadata), not content.
        let (st, _) = get(&h, &p.records, &format!("{client}/holds")).await;
        assert_eq!(st, StatusCode::OK);
        let (st, b) = post(
            &h,
            &p.records,
            &format!("{client}/holds"),
            json!({"reason": "complaint"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        not_allowed(get(&h, &p.records, &format!("{client}/consents")).await);
        // Service-wide operations.
        let (st, b) = post(&h, &p.records, "/api/v1/audit/verify", json!({})).await;
        assert_eq!(st, StatusCode::OK, "{b}");
        assert_eq!(b["ok"], true);
        not_allowed(post(&h, &p.alice, "/api/v1/audit/verify", json!({})).await);
        let (st, _) = get(&h, &p.records, "/api/v1/retention/due?policy=ukcp").await;
        assert_eq!(st, StatusCode::OK);
        not_allowed(get(&h, &p.alice, "/api/v1/retention/due?policy=ukcp").await);
        // Accounts: the administrator only.
        let (st, _) = get(&h, &p.admin, "/api/v1/users").await;
        assert_eq!(st, StatusCode::OK);
        not_allowed(get(&h, &p.alice, "/api/v1/users").await);
        not_allowed(
            post(
                &h,
                &p.alice,
                "/api/v1/users",
                json!({"username": "eve", "password": PASSWORD, "roles": ["administrator"]}),
            )
            .await,
        );
        // Only a practitioner linked to a practitioner record registers clients.
        not_allowed(post(&h, &p.admin, "/api/v1/clients", json!({"name": "X"})).await);
    });
}

#[test]
fn unknown_and_forbidden_ids_answer_alike_and_bad_ids_are_named() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = people(&h).await;
        let unknown = "cl_0190a0b2000070008000000000000000";
        not_allowed(get(&h, &p.alice, &format!("/api/v1/clients/{unknown}")).await);
        not_allowed(
            get(
                &h,
                &p.alice,
                "/api/v1/matters/mat_0190a0b2000070008000000000000000",
            )
            .await,
        );
        let (st, b) = get(&h, &p.alice, "/api/v1/clients/Carol%20Client").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(
            b["detail"].as_str().unwrap().contains("invalid client id"),
            "{b}"
        );
        assert!(
            !b.to_string().contains("Carol"),
            "the input is not echoed: {b}"
        );
    });
}

#[test]
fn break_glass_opens_a_record_for_reading_for_a_while_and_is_reviewed() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = people(&h).await;
        let c = new_client(&h, &p.alice).await;
        let client = format!("/api/v1/clients/{c}");
        not_allowed(get(&h, &p.bob, &client).await);
        // A reason is required.
        let (st, _) = post(
            &h,
            &p.bob,
            &format!("{client}/break-glass"),
            json!({"reason": "x"}),
        )
        .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        // Only practitioners may break the glass.
        not_allowed(
            post(
                &h,
                &p.admin,
                &format!("{client}/break-glass"),
                json!({"reason": "out of hours emergency call"}),
            )
            .await,
        );
        let (st, g) = post(
            &h,
            &p.bob,
            &format!("{client}/break-glass"),
            json!({"reason": "out of hours emergency call"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{g}");
        assert!(h.audit_has("break_glass.grant").await);
        let (st, _) = get(&h, &p.bob, &client).await;
        assert_eq!(st, StatusCode::OK);
        let (st, _) = get(&h, &p.bob, &format!("{client}/notes")).await;
        assert_eq!(st, StatusCode::OK);
        // Reading only.
        not_allowed(post(&h, &p.bob, &format!("{client}/notes"), json!({"text": "x"})).await);
        // The review queue: safeguarding officer and records manager, not
        // the administrator or a practitioner.
        not_allowed(get(&h, &p.admin, "/api/v1/break-glass").await);
        not_allowed(get(&h, &p.bob, "/api/v1/break-glass").await);
        let (st, q) = get(&h, &p.records, "/api/v1/break-glass").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(q.as_array().unwrap().len(), 1);
        let (st, q) = get(&h, &p.officer, "/api/v1/break-glass").await;
        assert_eq!(st, StatusCode::OK);
        let grant = q[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(q[0]["reason"], "out of hours emergency call");
        let (st, _) = post(
            &h,
            &p.officer,
            &format!("/api/v1/break-glass/{grant}/review"),
            json!({}),
        )
        .await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (_, q) = get(&h, &p.officer, "/api/v1/break-glass").await;
        assert_eq!(q, json!([]));
    });
}

#[test]
fn a_grant_ends_when_its_time_is_up() {
    let settings = AccountSettings {
        break_glass_micros: 1,
        ..AccountSettings::default()
    };
    for_each_backend(settings, |h| async move {
        let p = people(&h).await;
        let c = new_client(&h, &p.alice).await;
        let client = format!("/api/v1/clients/{c}");
        let (st, _) = post(
            &h,
            &p.bob,
            &format!("{client}/break-glass"),
            json!({"reason": "out of hours emergency call"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED);
        not_allowed(get(&h, &p.bob, &client).await);
    });
}

#[test]
fn personal_access_tokens_are_scoped_and_revocable() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = people(&h).await;
        let c = new_client(&h, &p.alice).await;
        let notes = format!("/api/v1/clients/{c}/notes");
        let (st, t) = post(
            &h,
            &p.alice,
            "/api/v1/tokens",
            json!({"label": "reporting", "days": 30}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        let read = t["token"].as_str().unwrap().to_owned();
        assert!(read.starts_with("cfdpat_"));
        let (st, _, _) = h.call_bearer(Method::GET, &notes, &read).await;
        assert_eq!(st, StatusCode::OK);
        // Read scope: no writes.
        let (st, _, _) = h
            .call_bearer_body(Method::POST, &notes, &read, Some(json!({"text": "x"})))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // A token cannot mint tokens.
        let (st, _, _) = h
            .call_bearer_body(
                Method::POST,
                "/api/v1/tokens",
                &read,
                Some(json!({"label": "more"})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (_, t) = post(
            &h,
            &p.alice,
            "/api/v1/tokens",
            json!({"label": "sync", "scope": "write"}),
        )
        .await;
        let write = t["token"].as_str().unwrap().to_owned();
        // No CSRF needed with a bearer token.
        let (st, _, _) = h
            .call_bearer_body(
                Method::POST,
                &notes,
                &write,
                Some(json!({"text": "By token."})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        // The token is bound by the same policy as its user.
        let (st, _, _) = h.call_bearer(Method::GET, "/api/v1/users", &write).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Listed without secrets; revoked, refused.
        let (st, list) = get(&h, &p.alice, "/api/v1/tokens").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 2);
        assert!(!list.to_string().contains(&read));
        let id = t["id"].as_str().unwrap();
        let (st, _, _) = h
            .call(
                Method::DELETE,
                &format!("/api/v1/tokens/{id}"),
                Some(&p.alice.cookie),
                Some(&p.alice.csrf),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (st, _, _) = h.call_bearer(Method::GET, &notes, &write).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        // Bad input.
        let (st, _) = post(
            &h,
            &p.alice,
            "/api/v1/tokens",
            json!({"label": "x", "days": 100000}),
        )
        .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        let (st, _) = post(
            &h,
            &p.alice,
            "/api/v1/tokens",
            json!({"label": "x", "scope": "admin"}),
        )
        .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
    });
}

#[test]
fn bad_bodies_change_nothing() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = people(&h).await;
        let c = new_client(&h, &p.alice).await;
        let notes = format!("/api/v1/clients/{c}/notes");
        let before = h.audit_count("note.write").await;
        for body in [
            json!({"text": "x", "extra": 1}),
            json!({"text": 5}),
            json!({}),
        ] {
            let (st, b) = post(&h, &p.alice, &notes, body).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
        }
        let (st, _, b) = h
            .send(
                axum::http::Request::builder()
                    .method(Method::POST)
                    .uri(&notes)
                    .header("cookie", &p.alice.cookie)
                    .header("x-csrf-token", &p.alice.csrf)
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from("{\"text\": "))
                    .unwrap(),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(
            b["detail"].as_str().unwrap().contains("malformed JSON"),
            "{b}"
        );
        let (st, b) = post(
            &h,
            &p.alice,
            &format!("/api/v1/clients/{c}/consents"),
            json!({"purpose": "Carol", "form": "written", "status": "given"}),
        )
        .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(!b.to_string().contains("Carol"), "{b}");
        assert_eq!(h.audit_count("note.write").await, before);
        let (_, list) = get(&h, &p.alice, &notes).await;
        assert_eq!(list, json!([]));
    });
}
