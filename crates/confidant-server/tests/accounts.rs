//! Accounts and sign-in through the router, in process, on SQLite and (with
//! CONFIDANT_TEST_DATABASE_URL) a real PostgreSQL: the first administrator's
//! setup link, password then TOTP (enrolment at first sign-in), no user
//! enumeration, throttling, replayed TOTP codes, expired / forged / revoked
//! sessions, CSRF, session rotation, tokens, sign-out everywhere. Every
//! refusal must also leave an audit entry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode, header};
use common::*;
use confidant_access::Role;
use confidant_service::accounts::AccountSettings;
use serde_json::json;

#[test]
fn first_administrator_via_a_single_use_setup_link() {
    for_each_backend(AccountSettings::default(), |h| async move {
        assert!(h.state.service().setup_needed().await.unwrap());
        let token = h.state.service().create_setup_link("test").await.unwrap();
        // A wrong token creates nothing.
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/setup",
                None,
                None,
                Some(json!({
                    "token": "0".repeat(64), "username": "root", "password": PASSWORD
                })),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(h.state.service().setup_needed().await.unwrap());
        // A weak password is refused, and the link is not used up.
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/setup",
                None,
                None,
                Some(json!({
                    "token": token.as_str(), "username": "root", "password": "password"
                })),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/setup",
                None,
                None,
                Some(json!({
                    "token": token.as_str(), "username": "root", "password": PASSWORD
                })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert!(!h.state.service().setup_needed().await.unwrap());
        // Single use.
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/setup",
                None,
                None,
                Some(json!({
                    "token": token.as_str(), "username": "root2", "password": PASSWORD
                })),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // No second link once an administrator exists.
        assert!(h.state.service().create_setup_link("test").await.is_err());
        // The administrator signs in and must enrol TOTP first.
        let s = h.sign_in_and_enrol("root").await;
        let me = h.me(&s).await;
        assert_eq!(me["roles"], json!(["administrator"]));
    });
}

#[test]
fn password_alone_opens_nothing_and_enrolment_is_required_first() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (s, headers, body) = h
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                None,
                Some(json!({
                    "username": "pat", "password": PASSWORD
                })),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["next"], "enrol");
        let cookie = cookie_of(&headers);
        let set = headers[header::SET_COOKIE].to_str().unwrap();
        assert!(set.starts_with("__Host-confidant-session="), "{set}");
        // `Secure` even without TLS: browsers drop a `__Host-` cookie
        // without it (and allow it on http://localhost).
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
            assert!(set.contains(attr), "{set}");
        }
        // The password-stage session is not a signed-in user.
        let (s, _, _) = h
            .call(Method::GET, "/api/v1/session", Some(&cookie), None, None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _, _) = h
            .call(Method::GET, "/api/v1/sessions", Some(&cookie), None, None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // A second-factor step without its CSRF token is refused.
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/enrol",
                Some(&cookie),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A code before enrolment is refused.
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"code": "123456"})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        // Enrolment shows the secret once, then a wrong code is refused.
        let (s, _, e) = h
            .call(
                Method::POST,
                "/api/v1/session/enrol",
                Some(&cookie),
                Some(&csrf),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            e["otpauth_uri"]
                .as_str()
                .unwrap()
                .starts_with("otpauth://totp/")
        );
        let secret = secret_of(&e);
        let right = code(&secret, 0);
        let wrong = if right.as_str() == "000000" {
            "111111"
        } else {
            "000000"
        };
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/enrol/confirm",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"code": wrong})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, headers, done) = h
            .call(
                Method::POST,
                "/api/v1/session/enrol/confirm",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"code": right.as_str()})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{done}");
        assert_eq!(done["recovery_codes"].as_array().unwrap().len(), 10);
        let full = cookie_of(&headers);
        // Rotated: the id changed after the second factor, and the
        // password-stage cookie no longer works for anything.
        assert_ne!(full, cookie);
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/enrol/confirm",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"code": right.as_str()})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let session = Session {
            cookie: full,
            csrf: done["csrf_token"].as_str().unwrap().to_owned(),
        };
        assert_ne!(
            session.csrf, csrf,
            "the CSRF token rotates with the session"
        );
        let me = h.me(&session).await;
        assert_eq!(me["roles"], json!(["practitioner"]));
        assert!(h.audit_has("mfa.change").await);
        assert!(h.audit_has("mfa.verify").await);
    });
}

#[test]
fn unknown_users_get_the_same_answer_as_wrong_passwords() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (s1, _, b1) = h
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                None,
                Some(json!({"username": "pat", "password": "wrong wrong wrong wrong"})),
            )
            .await;
        let (s2, _, b2) = h
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                None,
                Some(json!({"username": "nobody-here", "password": "wrong wrong wrong wrong"})),
            )
            .await;
        assert_eq!(s1, StatusCode::UNAUTHORIZED);
        assert_eq!((s1, b1), (s2, b2));
        assert!(h.audit_has("sign_in.fail").await);
    });
}

#[test]
fn repeated_failures_are_throttled_for_known_and_unknown_names_alike() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        for name in ["pat", "nobody-here"] {
            for _ in 0..confidant_auth::throttle::FREE_FAILURES {
                let (s, _, _) = h
                    .call(
                        Method::POST,
                        "/api/v1/session",
                        None,
                        None,
                        Some(json!({"username": name, "password": "wrong wrong wrong wrong"})),
                    )
                    .await;
                assert_eq!(s, StatusCode::UNAUTHORIZED);
            }
            // Now even the right password waits: refused unchecked.
            let (s, headers, body) = h
                .call(
                    Method::POST,
                    "/api/v1/session",
                    None,
                    None,
                    Some(json!({"username": name, "password": PASSWORD})),
                )
                .await;
            assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
            assert!(headers.contains_key(header::RETRY_AFTER));
        }
        assert!(h.audit_has("sign_in.throttled").await);
    });
}

#[test]
fn a_replayed_totp_code_is_refused() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (_, secret, _, used) = h.enrol_with_code("pat").await;
        // The code that confirmed enrolment cannot sign in again.
        let (cookie, csrf) = h.password_step("pat").await;
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"code": used})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        // The next step's code works once, and only once.
        let next = code(&secret, 30);
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"code": next.as_str()})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (cookie, csrf) = h.password_step("pat").await;
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"code": next.as_str()})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("already been used"),
            "{body}"
        );
    });
}

#[test]
fn a_recovery_code_signs_in_once() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (_, _, codes) = h.enrol("pat").await;
        let rc = codes[0].clone();
        let (cookie, csrf) = h.password_step("pat").await;
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"recovery_code": rc})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (cookie, csrf) = h.password_step("pat").await;
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"recovery_code": rc})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(h.audit_has("mfa.recovery_use").await);
    });
}

#[test]
fn forged_sessions_are_refused_and_audited() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let before = h.audit_count("sign_in.fail").await;
        let forged = format!("{}={}", "__Host-confidant-session", "ab".repeat(32));
        let (s, _, body) = h
            .call(Method::GET, "/api/v1/session", Some(&forged), None, None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(body["status"], 401);
        let (s, _, _) = h
            .call_bearer(
                Method::GET,
                "/api/v1/session",
                "cfdpat_0000000000000000000000000000000000000000000000000000000000000000",
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(h.audit_count("sign_in.fail").await, before + 2);
    });
}

#[test]
fn an_idle_session_expires() {
    let settings = AccountSettings {
        idle_timeout_micros: 1,
        ..AccountSettings::default()
    };
    for_each_backend(settings, |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (s, _, _) = h.enrol("pat").await;
        let (status, _, _) = h
            .call(Method::GET, "/api/v1/session", Some(&s.cookie), None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    });
}

#[test]
fn csrf_is_required_and_a_token_from_an_ended_session_is_refused() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (first, secret, _) = h.enrol("pat").await;
        // Without the header, and with a made-up one: refused, audited.
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/sign-out-everywhere",
                Some(&first.cookie),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/sign-out-everywhere",
                Some(&first.cookie),
                Some("nope"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(h.audit_has("access.refused").await);
        // Sign out, sign in again: the old CSRF token does not work with
        // the new session.
        let (s, headers, _) = h
            .call(
                Method::DELETE,
                "/api/v1/session",
                Some(&first.cookie),
                Some(&first.csrf),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert!(
            headers[header::SET_COOKIE]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        let (s, _, _) = h
            .call(
                Method::GET,
                "/api/v1/session",
                Some(&first.cookie),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "signed out");
        let second = h.totp_step("pat", &secret, 30).await;
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/sign-out-everywhere",
                Some(&second.cookie),
                Some(&first.csrf),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/session/sign-out-everywhere",
                Some(&second.cookie),
                Some(&second.csrf),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(h.audit_has("session.revoke").await);
    });
}

#[test]
fn sign_out_everywhere_ends_every_session_and_sessions_are_listed() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (a, secret, _) = h.enrol("pat").await;
        let b = h.totp_step("pat", &secret, 30).await;
        let (s, _, list) = h
            .call(Method::GET, "/api/v1/sessions", Some(&a.cookie), None, None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let list = list.as_array().unwrap().clone();
        assert_eq!(list.len(), 2, "{list:?}");
        assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/session/sign-out-everywhere",
                Some(&b.cookie),
                Some(&b.csrf),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["revoked"], 2);
        for c in [&a.cookie, &b.cookie] {
            let (s, _, _) = h
                .call(Method::GET, "/api/v1/session", Some(c), None, None)
                .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
    });
}

#[test]
fn sign_in_bodies_are_checked() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                None,
                Some(json!({"username": "a", "password": "b", "remember": true})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(
            body["detail"].as_str().unwrap().contains("unknown field"),
            "{body}"
        );
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                None,
                Some(json!({"username": 5, "password": "b"})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    });
}

#[test]
fn wrong_enrolment_codes_are_throttled_too() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (cookie, csrf) = h.password_step("pat").await;
        let (_, _, e) = h
            .call(
                Method::POST,
                "/api/v1/session/enrol",
                Some(&cookie),
                Some(&csrf),
                None,
            )
            .await;
        let secret = secret_of(&e);
        let right = code(&secret, 0);
        let wrong = if right.as_str() == "000000" {
            "111111"
        } else {
            "000000"
        };
        for _ in 0..confidant_auth::throttle::FREE_FAILURES {
            let (s, _, _) = h
                .call(
                    Method::POST,
                    "/api/v1/session/enrol/confirm",
                    Some(&cookie),
                    Some(&csrf),
                    Some(json!({"code": wrong})),
                )
                .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        let (s, _, body) = h
            .call(
                Method::POST,
                "/api/v1/session/enrol/confirm",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"code": right.as_str()})),
            )
            .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    });
}
