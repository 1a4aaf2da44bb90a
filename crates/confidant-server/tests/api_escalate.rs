//! Escalating a Handcrafted safeguarding concern to the Safeguarding
//! Officer (handcrafted.txt, "How to decide what to pass on and to whom":
//! "only contact the Safeguarding Officer or their deputy"), through the
//! JSON API on SQLite and (with CONFIDANT_TEST_DATABASE_URL) PostgreSQL.
//! The cells: the officer sees the escalated matter; the officer does not
//! see a matter not escalated to them; another practitioner and the
//! administrator see neither; only the assigned practitioner may escalate,
//! and only to a user with the safeguarding-officer role.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use confidant_access::Role;
use confidant_core::record::Role as StaffRole;
use confidant_service::accounts::AccountSettings;
use serde_json::{Value, json};

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

fn created(r: (StatusCode, Value)) -> String {
    assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
    r.1["id"].as_str().unwrap().to_owned()
}

fn not_allowed(r: (StatusCode, Value)) {
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    assert_eq!(r.1["detail"], "not allowed");
}

#[test]
fn a_safeguarding_concern_reaches_only_the_safeguarding_officer() {
    for_each_backend(AccountSettings::default(), async |h: Harness| {
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
        let bob_id = h.user_as("bob", &[Role::Practitioner], Some(pb)).await;
        let so_id = h.user("dan", &[Role::SafeguardingOfficer]).await;
        let deputy_id = h.user("ruth", &[Role::SafeguardingOfficer]).await;
        let admin_id = h.user("root", &[Role::Administrator]).await;
        let alice = h.sign_in_and_enrol("alice").await;
        let bob = h.sign_in_and_enrol("bob").await;
        let so = h.sign_in_and_enrol("dan").await;
        let deputy = h.sign_in_and_enrol("ruth").await;
        let admin = h.sign_in_and_enrol("root").await;

        let c = created(
            post(
                &h,
                &alice,
                "/api/v1/clients",
                json!({"name": "Kit Ashdown", "date_of_birth": "1990-02-03"}),
            )
            .await,
        );
        let concern = json!({"client_id": c, "policy": "handcrafted",
                             "subject": {"kind": "concern", "about": "adult-safeguarding"}});
        let m = created(post(&h, &alice, "/api/v1/matters", concern.clone()).await);
        let other = created(post(&h, &alice, "/api/v1/matters", concern).await);
        let esc = format!("/api/v1/matters/{m}/escalations");

        // Before escalation nobody but Alice sees it.
        for s in [&so, &bob, &admin] {
            not_allowed(get(&h, s, &format!("/api/v1/matters/{m}")).await);
        }

        // Bad input, nothing written: not an id, an unknown field, a
        // recipient without the role (Bob, the administrator).
        let r = post(&h, &alice, &esc, json!({"to_user": "dan"})).await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        let r = post(
            &h,
            &alice,
            &esc,
            json!({"to_user": so_id.to_string(), "cc": "x"}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        for to in [&bob_id, &admin_id] {
            let r = post(&h, &alice, &esc, json!({"to_user": to.to_string()})).await;
            assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
            assert!(
                r.1["detail"]
                    .as_str()
                    .unwrap()
                    .contains("Safeguarding Officer"),
                "{}",
                r.1
            );
        }
        // Only the assigned practitioner escalates.
        for s in [&bob, &admin, &so] {
            not_allowed(post(&h, s, &esc, json!({"to_user": so_id.to_string()})).await);
        }
        let (_, list) = get(&h, &so, "/api/v1/escalations").await;
        assert_eq!(list, json!([]));

        created(post(&h, &alice, &esc, json!({"to_user": so_id.to_string()})).await);
        let r = post(&h, &alice, &esc, json!({"to_user": so_id.to_string()})).await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        assert!(
            r.1["detail"]
                .as_str()
                .unwrap()
                .contains("already escalated")
        );

        // The officer sees the escalated matter and has it waiting.
        let (st, v) = get(&h, &so, &format!("/api/v1/matters/{m}")).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["id"], m.as_str());
        let (st, list) = get(&h, &so, "/api/v1/escalations").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["matter_id"], m.as_str());
        assert!(!list.to_string().contains("Kit Ashdown"));
        // ... but not the matter not escalated to them, nor the client's
        // record, nor a decision on it.
        not_allowed(get(&h, &so, &format!("/api/v1/matters/{other}")).await);
        not_allowed(get(&h, &so, &format!("/api/v1/clients/{c}")).await);
        not_allowed(post(&h, &so, &format!("/api/v1/matters/{m}/assess"), json!({})).await);
        // The deputy it was not escalated to sees nothing yet.
        not_allowed(get(&h, &deputy, &format!("/api/v1/matters/{m}")).await);
        let (_, list) = get(&h, &deputy, "/api/v1/escalations").await;
        assert_eq!(list, json!([]));
        // Another practitioner and the administrator see neither matter.
        for s in [&bob, &admin] {
            not_allowed(get(&h, s, &format!("/api/v1/matters/{m}")).await);
            not_allowed(get(&h, s, &format!("/api/v1/matters/{other}")).await);
            let (_, list) = get(&h, s, "/api/v1/escalations").await;
            assert_eq!(list, json!([]));
        }
        // Escalated to the deputy as well, the deputy sees it too.
        created(post(&h, &alice, &esc, json!({"to_user": deputy_id.to_string()})).await);
        let (st, _) = get(&h, &deputy, &format!("/api/v1/matters/{m}")).await;
        assert_eq!(st, StatusCode::OK);
        // Alice still sees her own.
        let (st, _) = get(&h, &alice, &format!("/api/v1/matters/{other}")).await;
        assert_eq!(st, StatusCode::OK);
    });
}
