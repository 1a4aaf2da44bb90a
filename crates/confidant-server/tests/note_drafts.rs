//! Faults (issue 13): a note submitted after the session ended (idle
//! timeout) is kept sealed for its author and offered back on the client
//! page after signing in again, to that author only; a forged CSRF token
//! or a signed-out session keeps nothing. Through the router, both
//! backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use confidant_access::Role;
use confidant_core::record::Role as StaffRole;
use confidant_service::accounts::AccountSettings;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

const NOTE: &str = "Discussed the plan for the coming weeks in some detail.";

async fn post_form(h: &Harness, cookie: &str, path: &str, form: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    page(h, req).await
}

async fn get_page(h: &Harness, cookie: &str, path: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .uri(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    page(h, req).await
}

async fn page(h: &Harness, req: Request<Body>) -> (StatusCode, String) {
    let res = confidant_server::app(h.state.clone())
        .oneshot(req)
        .await
        .unwrap();
    let s = res.status();
    let b = res.into_body().collect().await.unwrap().to_bytes();
    (s, String::from_utf8_lossy(&b).into_owned())
}

fn form(csrf: &str, text: &str) -> String {
    let nonce = uuid_like();
    format!(
        "csrf_token={csrf}&nonce={nonce}&text={}",
        text.replace(' ', "+")
    )
}

fn uuid_like() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    format!(
        "{:032x}",
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + (std::process::id() as u64) * 1_000_000
    )
}

#[test]
fn a_note_sent_after_the_session_ended_is_kept_for_its_author_only() {
    let settings = AccountSettings {
        idle_timeout_micros: 4_000_000,
        ..AccountSettings::default()
    };
    for_each_backend(settings, |h| async move {
        let svc = h.state.service();
        let pa = svc
            .add_practitioner("test", "Alice Example", &[StaffRole::Practitioner])
            .await
            .unwrap();
        let pb = svc
            .add_practitioner("test", "Bob Example", &[StaffRole::Practitioner])
            .await
            .unwrap();
        h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
        h.user_as("bob", &[Role::Practitioner], Some(pb.clone()))
            .await;
        let (bob, bob_secret, _) = h.enrol("bob").await;
        let (alice, secret, _) = h.enrol("alice").await;
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/clients",
                Some(&alice.cookie),
                Some(&alice.csrf),
                Some(json!({"name": "Casey Example"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let client = body["id"].as_str().unwrap().to_owned();
        svc.assign_client_unchecked("test", &client.parse().unwrap(), &pb)
            .await
            .unwrap();
        let path = format!("/clients/{client}/notes");
        // Bob's session also ends; his forged token keeps nothing.
        std::thread::sleep(std::time::Duration::from_millis(4500));
        let (s, _) = post_form(
            &h,
            &bob.cookie,
            &path,
            &form(&"0".repeat(64), "Not kept because the token is wrong."),
        )
        .await;
        assert!(s.is_redirection(), "{s}");
        // Alice's note after her session ended: kept, and she is told.
        let before = h.audit_count("note.draft").await;
        let (s, body) = post_form(&h, &alice.cookie, &path, &form(&alice.csrf, NOTE)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("has been kept"), "{body}");
        assert_eq!(h.audit_count("note.draft").await, before + 1);
        let (_, _, notes) = {
            let again = h.totp_step("alice", &secret, 30).await;
            let r = h
                .call(
                    Method::GET,
                    &format!("/api/v1/clients/{client}/notes"),
                    Some(&again.cookie),
                    None,
                    None,
                )
                .await;
            // Not saved as a note yet.
            assert!(!r.2.to_string().contains("coming weeks"));
            // Offered back on the client page, to Alice.
            let (s, html) = get_page(&h, &again.cookie, &format!("/clients/{client}")).await;
            assert_eq!(s, StatusCode::OK);
            assert!(html.contains(NOTE), "the kept note is offered back");
            assert!(html.contains("name=\"draft_id\""));
            let draft_id = html
                .split("name=\"draft_id\" value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned();
            // Bob, on the same client, is not offered Alice's note.
            let bob_again = h.totp_step("bob", &bob_secret, 30).await;
            let (s, html) = get_page(&h, &bob_again.cookie, &format!("/clients/{client}")).await;
            assert_eq!(s, StatusCode::OK);
            assert!(!html.contains(NOTE));
            // Alice saves it: a note, and the kept copy is gone.
            let f = format!("{}&draft_id={draft_id}", form(&again.csrf, NOTE));
            let (s, _) = post_form(&h, &again.cookie, &path, &f).await;
            assert!(s.is_redirection(), "{s}");
            let (_, html) = get_page(&h, &again.cookie, &format!("/clients/{client}")).await;
            assert!(!html.contains("name=\"draft_id\""));
            h.call(
                Method::GET,
                &format!("/api/v1/clients/{client}/notes"),
                Some(&again.cookie),
                None,
                None,
            )
            .await
        };
        assert!(notes.to_string().contains("coming weeks"));
    });
}

#[test]
fn a_signed_out_session_keeps_nothing() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let svc = h.state.service();
        let pa = svc
            .add_practitioner("test", "Alice Example", &[StaffRole::Practitioner])
            .await
            .unwrap();
        h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
        let alice = h.sign_in_and_enrol("alice").await;
        let (_, _, body) = h
            .call(
                Method::POST,
                "/api/v1/clients",
                Some(&alice.cookie),
                Some(&alice.csrf),
                Some(json!({"name": "Casey Example"})),
            )
            .await;
        let client = body["id"].as_str().unwrap().to_owned();
        let (s, _, _) = h
            .call(
                Method::DELETE,
                "/api/v1/session",
                Some(&alice.cookie),
                Some(&alice.csrf),
                None,
            )
            .await;
        assert!(s.is_success(), "{s}");
        let before = h.audit_count("note.draft").await;
        let (s, _) = post_form(
            &h,
            &alice.cookie,
            &format!("/clients/{client}/notes"),
            &form(&alice.csrf, NOTE),
        )
        .await;
        assert!(s.is_redirection(), "{s}");
        assert_eq!(h.audit_count("note.draft").await, before);
    });
}
