//! The independent attacker's findings against main at b9aa29e
//! (/work/attack), each as a test that failed before its fix, on SQLite and
//! (with CONFIDANT_TEST_DATABASE_URL) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use common::*;
use confidant_access::Role;
use confidant_core::ids::PractitionerId;
use confidant_core::record::Role as StaffRole;
use confidant_core::record::Timestamp;
use confidant_server::app;
use confidant_service::ServiceError;
use confidant_service::accounts::{AccountSettings, NewAccount};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zeroize::Zeroizing;

async fn practitioner(h: &Harness, name: &str) -> PractitionerId {
    h.state
        .service()
        .add_practitioner("test", name, &[StaffRole::Practitioner])
        .await
        .unwrap()
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

async fn get(h: &Harness, s: &Session, path: &str) -> StatusCode {
    h.call(Method::GET, path, Some(&s.cookie), None, None)
        .await
        .0
}

/// Any response, its body as bytes (HTML pages are not JSON).
async fn raw(h: &Harness, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = app(h.state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

async fn client_of(h: &Harness, s: &Session) -> String {
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

fn account(name: &str, roles: &[Role], p: Option<PractitionerId>) -> NewAccount {
    NewAccount {
        username: name.into(),
        password: Zeroizing::new(PASSWORD.into()),
        roles: roles.to_vec(),
        practitioner_id: p,
    }
}

fn now() -> Timestamp {
    Timestamp(confidant_store::now_micros())
}

fn secs(t: Timestamp, s: i64) -> Timestamp {
    Timestamp(t.unix_micros() + s * 1_000_000)
}

// ------------------------------------------------ 1: a second account on a practitioner record

#[test]
fn an_administrator_cannot_link_a_second_account_to_a_practitioners_record() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let pa = practitioner(&h, "Alice Example").await;
        h.user_as("alice", &[Role::Practitioner], Some(pa.clone()))
            .await;
        h.user("root", &[Role::Administrator]).await;
        let alice = h.sign_in_and_enrol("alice").await;
        let admin = h.sign_in_and_enrol("root").await;
        client_of(&h, &alice).await;
        let (st, b) = post(
            &h,
            &admin,
            "/api/v1/users",
            json!({"username": "shadow", "password": PASSWORD,
                   "roles": ["practitioner"], "practitioner_id": pa.to_string()}),
        )
        .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
        assert!(
            b["detail"].as_str().unwrap().contains("already linked"),
            "{b}"
        );
        assert!(h.state.service().user_id_of("shadow").await.is_err());
    });
}

#[test]
fn parallel_links_to_one_practitioner_record_make_one_account() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let p = practitioner(&h, "Pat Example").await;
        let mut tasks = Vec::new();
        for i in 0..4 {
            let state = h.state.clone();
            let p = p.clone();
            tasks.push(confidant_store::tokio::spawn(async move {
                state
                    .service()
                    .create_account_unchecked(
                        "test",
                        account(&format!("pat{i}"), &[Role::Practitioner], Some(p)),
                    )
                    .await
                    .is_ok()
            }));
        }
        let mut made = 0;
        for t in tasks {
            made += usize::from(t.await.unwrap());
        }
        assert_eq!(made, 1);
    });
}

// ------------------------------------------------ 2: who allocates caseload

#[test]
fn an_administrator_cannot_assign_caseload_and_a_service_manager_can() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let pa = practitioner(&h, "Alice Example").await;
        let pb = practitioner(&h, "Bob Example").await;
        h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
        h.user_as("bob", &[Role::Practitioner], Some(pb.clone()))
            .await;
        h.user("root", &[Role::Administrator]).await;
        h.user("boss", &[Role::ServiceManager]).await;
        let alice = h.sign_in_and_enrol("alice").await;
        let bob = h.sign_in_and_enrol("bob").await;
        let admin = h.sign_in_and_enrol("root").await;
        let boss = h.sign_in_and_enrol("boss").await;
        let c = client_of(&h, &alice).await;
        let assign = format!("/api/v1/clients/{c}/assignments");
        let body = json!({"practitioner_id": pb.to_string()});
        let (st, _) = post(&h, &admin, &assign, body.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        assert_eq!(
            get(&h, &bob, &format!("/api/v1/clients/{c}")).await,
            StatusCode::FORBIDDEN
        );
        let (st, b) = post(&h, &boss, &assign, body).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
        assert_eq!(
            get(&h, &bob, &format!("/api/v1/clients/{c}")).await,
            StatusCode::OK
        );
    });
}

// ------------------------------------------------ 3: self-review of break-glass

#[test]
fn the_holder_of_a_break_glass_grant_cannot_review_it() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let pa = practitioner(&h, "Alice Example").await;
        let pd = practitioner(&h, "Dee Example").await;
        h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
        let dual = h
            .user_as(
                "dual",
                &[Role::Practitioner, Role::SafeguardingOfficer],
                Some(pd),
            )
            .await;
        h.user("sgo", &[Role::SafeguardingOfficer]).await;
        let alice = h.sign_in_and_enrol("alice").await;
        let d = h.sign_in_and_enrol("dual").await;
        let officer = h.sign_in_and_enrol("sgo").await;
        let c = client_of(&h, &alice).await;
        let bg = format!("/api/v1/clients/{c}/break-glass");
        let (st, g) = post(&h, &d, &bg, json!({"reason": "client at risk tonight"})).await;
        assert_eq!(st, StatusCode::CREATED, "{g}");
        let gid = g["id"].as_str().unwrap().to_owned();
        let review = format!("/api/v1/break-glass/{gid}/review");
        let (st, b) = post(&h, &d, &review, json!({})).await;
        assert_ne!(st, StatusCode::NO_CONTENT, "{b}");
        // The store refuses it too.
        let id = gid.parse().unwrap();
        assert!(
            !h.state
                .service()
                .store()
                .review_grant(dual.as_str(), &id)
                .await
                .unwrap()
        );
        let (st, b) = post(&h, &officer, &review, json!({})).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    });
}

// ------------------------------------------------ 4: HTML matter pages authorise first

#[test]
fn html_matter_pages_refuse_before_reading_and_unknown_looks_forbidden() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let pa = practitioner(&h, "Alice Example").await;
        let pb = practitioner(&h, "Bob Example").await;
        h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
        h.user_as("bob", &[Role::Practitioner], Some(pb)).await;
        let alice = h.sign_in_and_enrol("alice").await;
        let bob = h.sign_in_and_enrol("bob").await;
        let c = client_of(&h, &alice).await;
        let (st, m) = post(
            &h,
            &alice,
            "/api/v1/matters",
            json!({"client_id": c, "policy": "ukcp",
                   "subject": {"kind": "concern", "about": "suicide"}}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{m}");
        let mid = m["id"].as_str().unwrap().to_owned();
        let reads = h.audit_count("matter.read").await;
        let page = |path: String| {
            Request::builder()
                .uri(path)
                .header(header::COOKIE, &bob.cookie)
                .body(Body::empty())
                .unwrap()
        };
        let (forbidden, _, _) = raw(&h, page(format!("/matters/{mid}"))).await;
        let (unknown, _, _) = raw(&h, page(format!("/matters/mat_{}", "0".repeat(32)))).await;
        assert_eq!(forbidden, StatusCode::FORBIDDEN);
        assert_eq!(unknown, forbidden);
        let form = Request::builder()
            .method(Method::POST)
            .uri(format!("/matters/{mid}/decide"))
            .header(header::COOKIE, &bob.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf_token={}", bob.csrf)))
            .unwrap();
        let (st, _, _) = raw(&h, form).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        assert_eq!(h.audit_count("matter.read").await, reads);
    });
}

// ------------------------------------------------ 5, 6, 9: sign-in throttles

#[test]
fn parallel_wrong_passwords_are_counted_before_any_is_checked() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let t = now();
        // One account first: sixteen first connections at once to a
        // just-created SQLite store fail with SQLITE_CANTOPEN (a pool
        // warm-up matter, seen with or without this fix; see the report).
        h.user("someone", &[Role::Practitioner]).await;
        let mut tasks = Vec::new();
        for i in 0..16 {
            let state = h.state.clone();
            tasks.push(confidant_store::tokio::spawn(async move {
                state
                    .service()
                    .sign_in_password(
                        "victim",
                        Zeroizing::new(format!("guess number {i}")),
                        None,
                        t,
                    )
                    .await
            }));
        }
        let mut checked = 0;
        let mut throttled = 0;
        for task in tasks {
            match task.await.unwrap() {
                Err(ServiceError::SignInRefused(_)) => checked += 1,
                Err(ServiceError::Throttled(_)) => throttled += 1,
                other => panic!("{:?}", other.map(|_| ())),
            }
        }
        assert_eq!(checked, 3, "{throttled} throttled");
        assert_eq!(throttled, 13);
    });
}

#[test]
fn parallel_wrong_codes_are_counted_before_any_is_checked() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("alice", &[Role::Practitioner]).await;
        let (_, secret, _) = h.enrol("alice").await;
        let (cookie, _) = h.password_step("alice").await;
        let cookie = cookie.split_once('=').unwrap().1.to_owned();
        let pending = h
            .state
            .service()
            .pending_sign_in(&cookie, now())
            .await
            .unwrap();
        let good = code(&secret, 0);
        let wrong = format!("{:06}", (good.parse::<u32>().unwrap() + 1) % 1_000_000);
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let state = h.state.clone();
            let pending = pending.clone();
            let wrong = wrong.clone();
            tasks.push(confidant_store::tokio::spawn(async move {
                state
                    .service()
                    .verify_second_factor(&pending, Some(&wrong), None, now())
                    .await
            }));
        }
        let mut checked = 0;
        for task in tasks {
            match task.await.unwrap() {
                Err(ServiceError::SignInRefused(_)) => checked += 1,
                Err(ServiceError::Throttled(_)) => {}
                other => panic!("{:?}", other.map(|_| ())),
            }
        }
        assert!(checked <= 3, "{checked} of 16 parallel codes were checked");
    });
}

#[test]
fn failures_from_one_address_do_not_lock_out_another_account_there() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("records", &[Role::RecordsManager]).await;
        let svc = h.state.service();
        let office = Some("192.0.2.7".parse().unwrap());
        let t = now();
        for i in 0..20 {
            let r = svc
                .sign_in_password(
                    &format!("someone{i}"),
                    Zeroizing::new("not the password".into()),
                    office,
                    t,
                )
                .await;
            assert!(matches!(r, Err(ServiceError::SignInRefused(_))));
        }
        let ok = svc
            .sign_in_password("records", Zeroizing::new(PASSWORD.into()), office, t)
            .await;
        assert!(ok.is_ok(), "{:?}", ok.map(|_| ()));
    });
}

#[test]
fn a_successful_sign_in_clears_the_names_throttle() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("manager", &[Role::ServiceManager]).await;
        let svc = h.state.service();
        let addr = Some("198.51.100.9".parse().unwrap());
        let t = now();
        for _ in 0..3 {
            let r = svc
                .sign_in_password("manager", Zeroizing::new("typo".into()), addr, t)
                .await;
            assert!(matches!(r, Err(ServiceError::SignInRefused(_))));
        }
        let t = secs(t, 3);
        let ok = svc
            .sign_in_password("manager", Zeroizing::new(PASSWORD.into()), addr, t)
            .await;
        assert!(ok.is_ok());
        let r = svc
            .sign_in_password("manager", Zeroizing::new("typo".into()), addr, t)
            .await;
        assert!(matches!(r, Err(ServiceError::SignInRefused(_))));
        let ok = svc
            .sign_in_password("manager", Zeroizing::new(PASSWORD.into()), addr, t)
            .await;
        assert!(ok.is_ok(), "{:?}", ok.map(|_| ()));
    });
}

// ------------------------------------------------ 10: sign out everywhere

#[test]
fn signing_out_everywhere_revokes_personal_access_tokens() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("alice", &[Role::Practitioner]).await;
        let alice = h.sign_in_and_enrol("alice").await;
        let (st, t) = post(
            &h,
            &alice,
            "/api/v1/tokens",
            json!({"label": "sync", "scope": "write"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        let token = t["token"].as_str().unwrap().to_owned();
        let (st, _, _) = h.call_bearer(Method::GET, "/api/v1/session", &token).await;
        assert_eq!(st, StatusCode::OK);
        let (st, b) = post(&h, &alice, "/api/v1/session/sign-out-everywhere", json!({})).await;
        assert_eq!(st, StatusCode::OK, "{b}");
        let (st, _, _) = h.call_bearer(Method::GET, "/api/v1/session", &token).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    });
}

// ------------------------------------------------ 11, 12: break-glass input

#[test]
fn break_glass_on_an_unknown_client_is_refused_like_a_forbidden_one_and_audited() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let pb = practitioner(&h, "Bob Example").await;
        h.user_as("bob", &[Role::Practitioner], Some(pb)).await;
        let bob = h.sign_in_and_enrol("bob").await;
        let before = h.audit_count("access.refused").await;
        let (st, b) = post(
            &h,
            &bob,
            &format!("/api/v1/clients/cl_{}/break-glass", "0".repeat(32)),
            json!({"reason": "probing an unknown id"}),
        )
        .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
        assert_eq!(b["detail"], "not allowed");
        assert_eq!(h.audit_count("access.refused").await, before + 1);
    });
}

#[test]
fn a_break_glass_reason_of_invisible_characters_is_refused() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let pa = practitioner(&h, "Alice Example").await;
        let pb = practitioner(&h, "Bob Example").await;
        h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
        h.user_as("bob", &[Role::Practitioner], Some(pb)).await;
        let alice = h.sign_in_and_enrol("alice").await;
        let bob = h.sign_in_and_enrol("bob").await;
        let c = client_of(&h, &alice).await;
        let bg = format!("/api/v1/clients/{c}/break-glass");
        for reason in [
            "\u{200b}".repeat(12),
            format!("ab{}", "\u{2060}\u{feff}".repeat(8)),
        ] {
            let (st, b) = post(&h, &bob, &bg, json!({ "reason": reason })).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
        }
        assert!(!h.audit_has("break_glass.grant").await);
        let (st, b) = post(&h, &bob, &bg, json!({"reason": "client at risk tonight"})).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
    });
}

// ------------------------------------------------ 14: HTML form rejections

#[test]
fn html_form_rejections_are_problems_that_do_not_echo_the_input() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let pa = practitioner(&h, "Alice Example").await;
        h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
        let alice = h.sign_in_and_enrol("alice").await;
        let c = client_of(&h, &alice).await;
        let mark = "MARK<script>7f3a";
        for (ctype, body) in [
            (
                "application/x-www-form-urlencoded",
                format!("csrf_token={}&text=a&text={mark}", alice.csrf),
            ),
            ("application/json", format!("{{\"text\":\"{mark}\"}}")),
        ] {
            let req = Request::builder()
                .method(Method::POST)
                .uri(format!("/clients/{c}/notes"))
                .header(header::COOKIE, &alice.cookie)
                .header(header::CONTENT_TYPE, ctype)
                .body(Body::from(body))
                .unwrap();
            let (st, headers, bytes) = raw(&h, req).await;
            assert!(st.is_client_error(), "{st}");
            assert_eq!(
                headers[header::CONTENT_TYPE].to_str().unwrap(),
                "application/problem+json"
            );
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(v["status"], st.as_u16());
            assert!(!String::from_utf8_lossy(&bytes).contains("MARK"));
        }
    });
}
