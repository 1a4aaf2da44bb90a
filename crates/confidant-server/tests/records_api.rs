//! The records API on SQLite and (with CONFIDANT_TEST_DATABASE_URL)
//! PostgreSQL: a subject access request answered before its deadline with
//! third parties redacted (the sealed package opened and read), a fee that
//! holds the response back, a complaint that holds a record until it is
//! closed, a sweep that skips the held client, audit search by record and
//! by user, the promises record and policy reviews; each with the roles
//! that may and may not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use confidant_access::Role;
use confidant_core::record::{CaseKind, NewClient, NewNote, Role as StaffRole};
use confidant_server::app;
use confidant_service::accounts::AccountSettings;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::io::Read;
use tower::ServiceExt;

struct People {
    alice: Session,
    records: Session,
    manager: Session,
    admin: Session,
    alice_id: String,
}

async fn people(h: &Harness) -> People {
    let svc = h.state.service();
    let pa = svc
        .add_practitioner("test", "Alice Example", &[StaffRole::Practitioner])
        .await
        .unwrap();
    let alice_id = h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
    h.user("rm", &[Role::RecordsManager]).await;
    h.user("sm", &[Role::ServiceManager]).await;
    h.user("root", &[Role::Administrator]).await;
    People {
        alice: h.sign_in_and_enrol("alice").await,
        records: h.sign_in_and_enrol("rm").await,
        manager: h.sign_in_and_enrol("sm").await,
        admin: h.sign_in_and_enrol("root").await,
        alice_id: alice_id.to_string(),
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

/// A POST whose answer may be a file: the status and the raw bytes.
async fn post_raw(h: &Harness, s: &Session, path: &str, body: Value) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap();
    let res = app(h.state.clone()).oneshot(req).await.unwrap();
    let st = res.status();
    (
        st,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

fn not_allowed(r: (StatusCode, Value)) {
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    assert_eq!(r.1["detail"], "not allowed");
}

fn bad(r: (StatusCode, Value), needle: &str) {
    assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
    let d = r.1["detail"].as_str().unwrap_or_default();
    assert!(d.contains(needle), "{d}");
}

async fn new_client(h: &Harness, s: &Session, name: &str) -> String {
    let (st, b) = post(h, s, "/api/v1/clients", json!({ "name": name })).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

fn open_package(sealed: &[u8], identity: &age::x25519::Identity) -> Value {
    let d = age::Decryptor::new(sealed).unwrap();
    let mut r = d
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .unwrap();
    let mut plain = Vec::new();
    r.read_to_end(&mut plain).unwrap();
    serde_json::from_slice(&plain).unwrap()
}

#[test]
fn a_sar_is_answered_before_its_deadline_with_third_parties_redacted() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = people(&h).await;
        let c = new_client(&h, &p.alice, "Carol Client").await;
        // A couple case: the partner is another person on the record, named
        // in the shared note.
        let svc = h.state.service();
        let carol: confidant_core::ids::ClientId = c.parse().unwrap();
        let dan = svc
            .store()
            .add_client(
                "test",
                &NewClient {
                    name: "Daniel Partner".into(),
                    ..NewClient::default()
                },
            )
            .await
            .unwrap();
        let case = svc
            .add_case("test", CaseKind::Couple, &[carol.clone(), dan.clone()])
            .await
            .unwrap();
        svc.store()
            .add_note(
                "test",
                &NewNote {
                    client_id: carol.clone(),
                    case_id: Some(case),
                    author: None,
                    parties: vec![carol.clone(), dan.clone()],
                    text: "Carol Client said Daniel Partner shouted at the session.".into(),
                },
            )
            .await
            .unwrap();

        let (st, b) = post(
            &h,
            &p.alice,
            "/api/v1/sars",
            json!({"client_id": c, "policy": "ukcp", "identity_check": true,
                   "wording": "I want everything you have on me"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        let sar = b["id"].as_str().unwrap().to_owned();
        let at = |s: &str| format!("/api/v1/sars/{sar}/{s}");
        let identity = age::x25519::Identity::generate();
        let respond = json!({"recipient": identity.to_public().to_string()});

        // Nobody answers before identity is confirmed; the administrator
        // sees nothing of it; the records manager runs its steps but never
        // builds the response (it reads every note).
        let (st, _) = post_raw(&h, &p.alice, &at("respond"), respond.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        not_allowed(get(&h, &p.admin, &format!("/api/v1/sars/{sar}")).await);
        not_allowed(post(&h, &p.admin, &at("identity-confirmed"), json!({})).await);
        let (st, b) = post(&h, &p.records, &at("identity-confirmed"), json!({})).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
        let (st, _) = post_raw(&h, &p.records, &at("respond"), respond.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // A fee asked and not yet paid holds the response back: refused,
        // nothing written.
        let (st, b) = post(
            &h,
            &p.manager,
            &at("fee"),
            json!({"amount_pence": 1000, "grounds": "further-copies", "note": "second copy"}),
        )
        .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
        let steps_before = h.audit_count("sar.step").await;
        let (st, body) = post_raw(&h, &p.alice, &at("respond"), respond.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        let problem: Value = serde_json::from_slice(&body).unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains("fee"),
            "{problem}"
        );
        assert_eq!(h.audit_count("sar.step").await, steps_before);
        let (_, v) = get(&h, &p.alice, &format!("/api/v1/sars/{sar}")).await;
        assert_eq!(v["outcome"], "open");
        let (st, _) = post(&h, &p.manager, &at("fee-paid"), json!({})).await;
        assert_eq!(st, StatusCode::NO_CONTENT);

        // Open and due: listed, with its days left.
        let (st, list) = get(&h, &p.records, "/api/v1/sars?filter=due").await;
        assert_eq!(st, StatusCode::OK, "{list}");
        let row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == sar.as_str())
            .unwrap()
            .clone();
        assert_eq!(row["clock"]["overdue"], false);
        assert!(row["clock"]["days_left"].as_i64().unwrap() > 0, "{row}");
        bad(
            get(&h, &p.records, "/api/v1/sars?filter=soon").await,
            "filter",
        );

        // The practitioner answers: a sealed package with every note, and
        // no third party's name.
        let (st, sealed) = post_raw(&h, &p.alice, &at("respond"), respond.clone()).await;
        assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&sealed));
        let pkg = open_package(&sealed, &identity);
        let text = pkg.to_string();
        assert!(!text.contains("Daniel"), "a third party is named");
        assert!(!text.contains("Partner"), "a third party is named");
        let notes = pkg["notes"].as_array().unwrap();
        assert_eq!(notes.len(), 1);
        assert!(notes[0]["text"].as_str().unwrap().contains("shouted"));
        assert!(pkg["access_log"].as_array().is_some_and(|a| !a.is_empty()));
        assert!(
            pkg["your_rights"]
                .as_str()
                .unwrap()
                .contains("Information Commissioner")
        );

        let (_, v) = get(&h, &p.alice, &format!("/api/v1/sars/{sar}")).await;
        assert_eq!(v["outcome"], "responded");
        assert_eq!(v["clock"]["overdue"], false);
        // Answered once: a second response is refused.
        let (st, _) = post_raw(&h, &p.alice, &at("respond"), respond).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
    });
}

#[test]
fn a_complaint_holds_the_record_until_it_is_closed() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = people(&h).await;
        let c = new_client(&h, &p.alice, "Carol Client").await;
        let complaints = format!("/api/v1/clients/{c}/complaints");
        // Only the service manager records complaints.
        not_allowed(
            post(
                &h,
                &p.alice,
                &complaints,
                json!({"route": "internal", "summary": "late"}),
            )
            .await,
        );
        bad(
            post(
                &h,
                &p.manager,
                &complaints,
                json!({"route": "professional-body", "summary": "late"}),
            )
            .await,
            "professional body",
        );
        let (st, b) = post(
            &h,
            &p.manager,
            &complaints,
            json!({"route": "professional-body", "to": "RSPH", "summary": "notes shared"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        let complaint = b["id"].as_str().unwrap().to_owned();
        let hold = b["hold_id"].as_str().unwrap().to_owned();

        let (st, holds) = get(&h, &p.records, &format!("/api/v1/clients/{c}/holds")).await;
        assert_eq!(st, StatusCode::OK);
        let standing = |holds: &Value| {
            holds
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == hold.as_str() && x["released_at"].is_null())
        };
        assert!(standing(&holds), "{holds}");
        let (_, rec) = get(&h, &p.records, &format!("/api/v1/clients/{c}/promises")).await;
        assert_eq!(rec["complaints"][0]["hold_id"], hold.as_str());

        // The hold is released only by closing the complaint.
        bad(
            post(
                &h,
                &p.records,
                &format!("/api/v1/clients/{c}/holds/{hold}/release"),
                json!({}),
            )
            .await,
            "closing the complaint",
        );
        let (_, holds) = get(&h, &p.records, &format!("/api/v1/clients/{c}/holds")).await;
        assert!(standing(&holds));

        // A sweep run now skips the held client and lists it.
        let sweep = json!({"policy": "wwdd-coaching", "by": "2100-01-01"});
        not_allowed(post(&h, &p.alice, "/api/v1/retention/sweep", sweep.clone()).await);
        let (st, r) = post(&h, &p.records, "/api/v1/retention/sweep", sweep).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["applied"], false);
        assert!(
            r["held"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["client_id"] == c.as_str())
        );
        assert!(
            !r["destroyed"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["client_id"] == c.as_str())
        );

        let close = format!("{complaints}/{complaint}/close");
        bad(
            post(
                &h,
                &p.manager,
                &close,
                json!({"outcome": "ignored", "note": "x"}),
            )
            .await,
            "outcome",
        );
        let (st, b) = post(
            &h,
            &p.manager,
            &close,
            json!({"outcome": "resolved", "note": "apology given"}),
        )
        .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
        let (_, holds) = get(&h, &p.records, &format!("/api/v1/clients/{c}/holds")).await;
        assert!(!standing(&holds), "{holds}");
        let (st, all) = get(&h, &p.manager, "/api/v1/complaints").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(
            all[0]["outcome"]
                .as_str()
                .or(all[0]["closed"]["outcome"].as_str()),
            Some("resolved")
        );
        bad(
            post(
                &h,
                &p.manager,
                &close,
                json!({"outcome": "resolved", "note": "again"}),
            )
            .await,
            "already closed",
        );
    });
}

#[test]
fn audit_search_finds_the_accesses_to_a_record_with_ids_only() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = people(&h).await;
        let c = new_client(&h, &p.alice, "Carol Client").await;
        let (st, _) = get(&h, &p.alice, &format!("/api/v1/clients/{c}")).await;
        assert_eq!(st, StatusCode::OK);

        not_allowed(get(&h, &p.alice, &format!("/api/v1/audit/search?record={c}")).await);
        for s in [&p.records, &p.admin] {
            let (st, rows) = get(&h, s, &format!("/api/v1/audit/search?record={c}")).await;
            assert_eq!(st, StatusCode::OK, "{rows}");
            let rows = rows.as_array().unwrap();
            assert!(
                rows.iter()
                    .any(|r| r["who"] == p.alice_id.as_str() && r["what"] == "client.read"),
                "{rows:?}"
            );
            assert!(!serde_json::to_string(rows).unwrap().contains("Carol"));
        }
        let (st, rows) = get(
            &h,
            &p.records,
            &format!("/api/v1/audit/search?user={}", p.alice_id),
        )
        .await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .all(|r| r["who"] == p.alice_id.as_str())
        );
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .any(|r| r["what"] == "client.create")
        );
        bad(
            get(&h, &p.records, "/api/v1/audit/search").await,
            "exactly one",
        );
        bad(
            get(
                &h,
                &p.records,
                &format!("/api/v1/audit/search?record={c}&user=x"),
            )
            .await,
            "exactly one",
        );
        // The search itself is on the record.
        assert!(h.audit_has("audit.search").await);

        // A client's access log: the records manager and the practitioner,
        // not the administrator.
        let log = format!("/api/v1/clients/{c}/access-log");
        let (st, rows) = get(&h, &p.records, &log).await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .any(|r| r["what"] == "client.read")
        );
        not_allowed(get(&h, &p.admin, &log).await);
        let (st, _) = get(&h, &p.alice, &format!("/api/v1/clients/{c}/disclosures")).await;
        assert_eq!(st, StatusCode::OK);
    });
}

#[test]
fn promises_and_policy_reviews_are_recorded_by_those_whose_job_it_is() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = people(&h).await;
        let c = new_client(&h, &p.alice, "Carol Client").await;
        let missing = "/api/v1/limits-missing?policy=wwdd-coaching";
        let (st, m) = get(&h, &p.alice, missing).await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            m.as_array()
                .unwrap()
                .iter()
                .any(|x| x["client_id"] == c.as_str())
        );
        let given = format!("/api/v1/clients/{c}/limits-given");
        not_allowed(
            post(
                &h,
                &p.records,
                &given,
                json!({"policy": "wwdd-coaching", "how": "written"}),
            )
            .await,
        );
        bad(
            post(
                &h,
                &p.alice,
                &given,
                json!({"policy": "wwdd-coaching", "how": "telepathy"}),
            )
            .await,
            "in-person",
        );
        let (st, _) = post(
            &h,
            &p.alice,
            &given,
            json!({"policy": "wwdd-coaching", "how": "in-person"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED);
        let (_, m) = get(&h, &p.manager, missing).await;
        assert!(
            !m.as_array()
                .unwrap()
                .iter()
                .any(|x| x["client_id"] == c.as_str())
        );

        let agreements = format!("/api/v1/clients/{c}/agreements");
        bad(
            post(
                &h,
                &p.alice,
                &agreements,
                json!({"parties": ["Carol"], "terms": "t"}),
            )
            .await,
            "two parties",
        );
        let (st, _) = post(
            &h,
            &p.alice,
            &agreements,
            json!({"parties": ["Carol", "Programme staff"], "terms": "Marks only go to the lead."}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED);
        let (st, rec) = get(&h, &p.records, &format!("/api/v1/clients/{c}/promises")).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(rec["agreements"].as_array().unwrap().len(), 1);
        assert_eq!(rec["limits_given"].as_array().unwrap().len(), 1);
        not_allowed(get(&h, &p.admin, &format!("/api/v1/clients/{c}/promises")).await);

        let reviews = "/api/v1/policies/handcrafted/reviews";
        let (st, r) = get(&h, &p.alice, reviews).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(r["status"]["overdue"], true);
        not_allowed(post(&h, &p.alice, reviews, json!({"approved_by": "Trustees"})).await);
        let (st, _) = post(
            &h,
            &p.manager,
            reviews,
            json!({"approved_by": "The Trustees"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED);
        let (_, r) = get(&h, &p.alice, reviews).await;
        assert_eq!(r["status"]["overdue"], false);
        assert_eq!(r["reviews"][0]["approved_by"], "The Trustees");
        bad(
            get(&h, &p.alice, "/api/v1/policies/no-such/reviews").await,
            "unknown policy",
        );
    });
}
