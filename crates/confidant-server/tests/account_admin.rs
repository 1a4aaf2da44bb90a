//! Account management and the known holes, through the router, on SQLite
//! and (with CONFIDANT_TEST_DATABASE_URL) PostgreSQL: changing a password
//! (current password and a fresh TOTP code; other sessions end),
//! regenerating recovery codes, an administrator disabling, enabling and
//! resetting accounts (one-time, expiring links; TOTP enrolled again), a
//! personal access token refused until its account has enrolled TOTP, and
//! unauthenticated refusals audited without growing the log without bound.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use confidant_access::Role;
use confidant_core::record::Timestamp;
use confidant_service::accounts::AccountSettings;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "another quite ordinary passphrase 77";

fn now() -> Timestamp {
    Timestamp(confidant_store::now_micros())
}

impl Harness {
    async fn post(&self, s: &Session, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (st, _, b) = self
            .call(Method::POST, path, Some(&s.cookie), Some(&s.csrf), body)
            .await;
        (st, b)
    }

    async fn get_status(&self, s: &Session) -> StatusCode {
        self.call(Method::GET, "/api/v1/session", Some(&s.cookie), None, None)
            .await
            .0
    }

    /// A full session from a recovery code (uses no TOTP step).
    async fn recovery_session(&self, name: &str, password: &str, rc: &str) -> Session {
        let (s, h, body) = self
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                None,
                Some(json!({"username": name, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let cookie = cookie_of(&h);
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let (s, h, body) = self
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"recovery_code": rc})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        Session {
            cookie: cookie_of(&h),
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    async fn password_status(&self, name: &str, password: &str) -> (StatusCode, Value) {
        let (s, _, body) = self
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                None,
                Some(json!({"username": name, "password": password})),
            )
            .await;
        (s, body)
    }
}

#[test]
fn changing_a_password_needs_the_current_one_and_a_fresh_code_and_ends_other_sessions() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (a, secret, codes, used) = h.enrol_with_code("pat").await;
        let b = h.recovery_session("pat", PASSWORD, &codes[0]).await;
        let path = "/api/v1/account/password";
        let fresh = code(&secret, 30);
        // Wrong current password: refused, audited, nothing changed.
        let before = h.audit_count("sign_in.fail").await;
        let (s, body) = h
            .post(&a, path, Some(json!({"current_password": "not my password at all", "code": fresh.as_str(), "new_password": NEW_PASSWORD})))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(h.audit_count("sign_in.fail").await, before + 1);
        // A weak new password: a clear problem, nothing changed.
        let (s, body) = h
            .post(&a, path, Some(json!({"current_password": PASSWORD, "code": fresh.as_str(), "new_password": "password1"})))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        // The code that signed in cannot be used again.
        let (s, body) = h
            .post(&a, path, Some(json!({"current_password": PASSWORD, "code": used, "new_password": NEW_PASSWORD})))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        // Without the CSRF token: refused.
        let (s, _, _) = h
            .call(Method::POST, path, Some(&a.cookie), None, Some(json!({"current_password": PASSWORD, "code": fresh.as_str(), "new_password": NEW_PASSWORD})))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(h.get_status(&b).await, StatusCode::OK);
        assert!(!h.audit_has("password.change").await);
        // Right: changed; this session stays, the other one ends.
        let (s, body) = h
            .post(&a, path, Some(json!({"current_password": PASSWORD, "code": fresh.as_str(), "new_password": NEW_PASSWORD})))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(h.get_status(&a).await, StatusCode::OK);
        assert_eq!(h.get_status(&b).await, StatusCode::UNAUTHORIZED);
        assert!(h.audit_has("password.change").await);
        // The same fresh code cannot change it again.
        let (s, _) = h
            .post(&a, path, Some(json!({"current_password": NEW_PASSWORD, "code": fresh.as_str(), "new_password": PASSWORD})))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(
            h.password_status("pat", PASSWORD).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            h.password_status("pat", NEW_PASSWORD).await.0,
            StatusCode::OK
        );
    });
}

#[test]
fn recovery_codes_are_regenerated_with_a_fresh_code_and_the_old_ones_stop() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (a, secret, old, used) = h.enrol_with_code("pat").await;
        let path = "/api/v1/account/recovery-codes";
        let (s, _) = h.post(&a, path, Some(json!({"code": used}))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = h
            .post(&a, path, Some(json!({"code": "12345", "extra": 1})))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let before = h.audit_count("mfa.change").await;
        let (s, body) = h
            .post(&a, path, Some(json!({"code": code(&secret, 30).as_str()})))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(h.audit_count("mfa.change").await, before + 1);
        let new: Vec<String> = body["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert!(!new.is_empty());
        assert!(new.iter().all(|c| !old.contains(c)));
        // An old code no longer signs in; a new one does.
        let (cookie, csrf) = h.password_step("pat").await;
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"recovery_code": old[1]})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        h.recovery_session("pat", PASSWORD, &new[0]).await;
    });
}

#[test]
fn an_administrator_disables_and_enables_accounts_and_their_sessions_and_tokens_stop_at_once() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let admin_id = h.user("root", &[Role::Administrator]).await;
        let pat_id = h.user("pat", &[Role::Practitioner]).await;
        let admin = h.sign_in_and_enrol("root").await;
        let pat = h.sign_in_and_enrol("pat").await;
        let (_, token) = h
            .state
            .service()
            .create_token_unchecked("test", &pat_id, "script", false, 30, now())
            .await
            .unwrap();
        assert_eq!(
            h.call_bearer(Method::GET, "/api/v1/session", &token)
                .await
                .0,
            StatusCode::OK
        );
        // Only administrators manage accounts.
        let (s, _) = h
            .post(&pat, &format!("/api/v1/users/{admin_id}/disable"), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Not their own account; a bad or unknown id is named.
        let (s, _) = h
            .post(&admin, &format!("/api/v1/users/{admin_id}/disable"), None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = h.post(&admin, "/api/v1/users/nonsense/disable", None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let unknown = confidant_core::ids::UserId::from_bytes([7; 16]);
        let (s, _) = h
            .post(&admin, &format!("/api/v1/users/{unknown}/disable"), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Disabled: the session and the token stop, sign-in is refused.
        let (s, body) = h
            .post(&admin, &format!("/api/v1/users/{pat_id}/disable"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["disabled"], true);
        assert_eq!(body["username"], "pat");
        assert!(h.audit_has("account.disable").await);
        assert_eq!(h.get_status(&pat).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            h.call_bearer(Method::GET, "/api/v1/session", &token)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            h.password_status("pat", PASSWORD).await.0,
            StatusCode::UNAUTHORIZED
        );
        // The list shows the state.
        let (s, _, list) = h
            .call(
                Method::GET,
                "/api/v1/users",
                Some(&admin.cookie),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == pat_id.to_string())
            .unwrap();
        assert_eq!(row["disabled"], true);
        // Enabled again: sign-in works; the old session and token stay ended.
        let (s, body) = h
            .post(&admin, &format!("/api/v1/users/{pat_id}/enable"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["disabled"], false);
        assert!(h.audit_has("account.enable").await);
        assert_eq!(h.password_status("pat", PASSWORD).await.0, StatusCode::OK);
        assert_eq!(h.get_status(&pat).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            h.call_bearer(Method::GET, "/api/v1/session", &token)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    });
}

#[test]
fn a_reset_link_is_single_use_and_the_user_enrols_totp_again() {
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("root", &[Role::Administrator]).await;
        let pat_id = h.user("pat", &[Role::Practitioner]).await;
        let admin = h.sign_in_and_enrol("root").await;
        let pat = h.sign_in_and_enrol("pat").await;
        let (s, _) = h
            .post(&pat, &format!("/api/v1/users/{pat_id}/reset"), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, first) = h
            .post(&admin, &format!("/api/v1/users/{pat_id}/reset"), None)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{first}");
        let (s, issued) = h
            .post(&admin, &format!("/api/v1/users/{pat_id}/reset"), None)
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert!(h.audit_has("password_reset.issue").await);
        let token = issued["token"].as_str().unwrap();
        assert!(issued["link"].as_str().unwrap().ends_with(token));
        let use_it = |t: String, p: &'static str| {
            let h = &h;
            async move {
                let (s, _, b) = h
                    .call(
                        Method::POST,
                        "/api/v1/password-reset",
                        None,
                        None,
                        Some(json!({"token": t, "new_password": p})),
                    )
                    .await;
                (s, b)
            }
        };
        // Only the newest link works; issuing it changed nothing yet.
        assert_eq!(
            use_it(first["token"].as_str().unwrap().into(), NEW_PASSWORD)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(h.get_status(&pat).await, StatusCode::OK);
        // A weak password: refused, the link still usable.
        assert_eq!(
            use_it(token.into(), "password1").await.0,
            StatusCode::BAD_REQUEST
        );
        let (s, body) = use_it(token.into(), NEW_PASSWORD).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
        assert!(h.audit_has("password_reset.use").await);
        // Single use; the old session has ended; TOTP is enrolled again.
        assert_eq!(
            use_it(token.into(), PASSWORD).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(h.get_status(&pat).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            h.password_status("pat", PASSWORD).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (s, body) = h.password_status("pat", NEW_PASSWORD).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["next"], "enrol");
    });
}

#[test]
fn a_reset_link_expires() {
    let settings = AccountSettings {
        reset_link_micros: 1,
        ..AccountSettings::default()
    };
    for_each_backend(settings, |h| async move {
        h.user("root", &[Role::Administrator]).await;
        let pat_id = h.user("pat", &[Role::Practitioner]).await;
        let admin = h.sign_in_and_enrol("root").await;
        let (s, issued) = h
            .post(&admin, &format!("/api/v1/users/{pat_id}/reset"), None)
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/password-reset",
                None,
                None,
                Some(json!({"token": issued["token"], "new_password": NEW_PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(h.password_status("pat", PASSWORD).await.0, StatusCode::OK);
    });
}

#[test]
fn a_token_made_before_totp_enrolment_works_only_after_it() {
    for_each_backend(AccountSettings::default(), |h| async move {
        let id = h.user("pat", &[Role::Practitioner]).await;
        let (_, token) = h
            .state
            .service()
            .create_token_unchecked("operator", &id, "script", false, 30, now())
            .await
            .unwrap();
        let before = h.audit_count("sign_in.fail").await;
        assert_eq!(
            h.call_bearer(Method::GET, "/api/v1/session", &token)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(h.audit_count("sign_in.fail").await, before + 1);
        h.sign_in_and_enrol("pat").await;
        assert_eq!(
            h.call_bearer(Method::GET, "/api/v1/session", &token)
                .await
                .0,
            StatusCode::OK
        );
    });
}

#[test]
fn unauthenticated_refusals_are_audited_but_not_without_bound() {
    // The default window (a minute): many refusals, one entry per kind.
    for_each_backend(AccountSettings::default(), |h| async move {
        let before = h.audit_count("sign_in.fail").await;
        for i in 0..25 {
            let forged = format!("__Host-confidant-session={i:064x}");
            assert_eq!(
                h.call(Method::GET, "/api/v1/session", Some(&forged), None, None)
                    .await
                    .0,
                StatusCode::UNAUTHORIZED
            );
        }
        for i in 0..4 {
            assert_eq!(
                h.password_status(&format!("nobody{i}"), PASSWORD).await.0,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(h.audit_count("sign_in.fail").await, before + 2);
    });
    // A short window: when the next one opens, the count of the last one
    // is audited, then a full entry.
    let settings = AccountSettings {
        refusal_audit_window_micros: 2_000_000,
        ..AccountSettings::default()
    };
    for_each_backend(settings, |h| async move {
        let before = h.audit_count("sign_in.fail").await;
        for i in 0..25 {
            let forged = format!("__Host-confidant-session={i:064x}");
            assert_eq!(
                h.call(Method::GET, "/api/v1/session", Some(&forged), None, None)
                    .await
                    .0,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(h.audit_count("sign_in.fail").await, before + 1);
        std::thread::sleep(std::time::Duration::from_millis(3100));
        let forged = "__Host-confidant-session=ff";
        assert_eq!(
            h.call(Method::GET, "/api/v1/session", Some(forged), None, None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(h.audit_count("sign_in.fail").await, before + 2);
        let tail = h.state.service().store().audit_tail(100).await.unwrap();
        let summary = tail
            .iter()
            .find(|e| e.action.as_str() == "sign_in.refusals_coalesced")
            .expect("a summary entry");
        assert!(
            summary.record_ids.contains(&"count:24".to_owned()),
            "{:?}",
            summary.record_ids
        );
        assert!(
            h.state
                .service()
                .store()
                .verify_audit()
                .await
                .unwrap()
                .is_ok()
        );
    });
}

#[test]
fn expired_sessions_reused_csrf_tokens_and_replayed_codes_are_refused_and_audited() {
    let settings = AccountSettings {
        idle_timeout_micros: 1,
        ..AccountSettings::default()
    };
    for_each_backend(settings, |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (expired, _, _, used) = h.enrol_with_code("pat").await;
        let before = h.audit_count("sign_in.fail").await;
        assert_eq!(h.get_status(&expired).await, StatusCode::UNAUTHORIZED);
        assert_eq!(h.audit_count("sign_in.fail").await, before + 1);
        // A replayed code at the second step.
        let (cookie, csrf) = h.password_step("pat").await;
        let before = h.audit_count("sign_in.fail").await;
        let (s, _, _) = h
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(json!({"code": used})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(h.audit_count("sign_in.fail").await, before + 1);
    });
    for_each_backend(AccountSettings::default(), |h| async move {
        h.user("pat", &[Role::Practitioner]).await;
        let (old, secret, _) = h.enrol("pat").await;
        let (s, _) = h
            .post(&old, "/api/v1/session/sign-out-everywhere", None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let new = h.totp_step("pat", &secret, 30).await;
        // The ended session's CSRF token with the new session: refused.
        let before = h.audit_count("access.refused").await;
        let reused = Session {
            cookie: new.cookie.clone(),
            csrf: old.csrf.clone(),
        };
        let (s, _) = h
            .post(&reused, "/api/v1/session/sign-out-everywhere", None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(h.audit_count("access.refused").await, before + 1);
        assert_eq!(h.get_status(&new).await, StatusCode::OK);
    });
}
