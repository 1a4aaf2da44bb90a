//! The harness shared by the router tests that need a store with accounts:
//! one fresh store per backend (SQLite always; PostgreSQL when
//! CONFIDANT_TEST_DATABASE_URL is set, in a database of its own that is
//! dropped afterwards), and helpers that drive sign-in through the router.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use confidant_access::Role;
use confidant_core::ids::UserId;
use confidant_crypto::MasterKey;
use confidant_server::{AppState, ServerConfig, app};
use confidant_service::Service;
use confidant_service::accounts::{AccountSettings, NewAccount};
use confidant_store::sqlx::{self, Connection};
use confidant_store::{Store, StoreConfig};
use http_body_util::BodyExt;
use serde_json::Value;
use std::future::Future;
use tower::ServiceExt;
use zeroize::Zeroizing;

pub const PASSWORD: &str = "a long and unremarkable passphrase 42";

pub struct Target {
    pub cfg: StoreConfig,
    admin: Option<(String, String)>,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.cfg.data_dir);
        if let Some((admin, db)) = &self.admin {
            let (admin, db) = (admin.clone(), db.clone());
            std::thread::spawn(move || {
                rt().block_on(async {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                            .execute(&mut c)
                            .await;
                    }
                });
            })
            .join()
            .unwrap();
        }
    }
}

pub fn rt() -> confidant_store::tokio::runtime::Runtime {
    confidant_store::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn unique(p: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{p}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

async fn targets() -> Vec<Target> {
    let mut v = vec![Target {
        cfg: StoreConfig::new(std::env::temp_dir().join(unique("confidant-srv")), None),
        admin: None,
    }];
    if let Ok(url) = std::env::var("CONFIDANT_TEST_DATABASE_URL") {
        let db = unique("confidant_srv");
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&mut c)
            .await
            .unwrap();
        let base = url.rsplit_once('/').map(|(b, _)| b).unwrap().to_owned();
        v.push(Target {
            cfg: StoreConfig::new(
                std::env::temp_dir().join(unique("confidant-srv-pg")),
                Some(format!("{base}/{db}")),
            ),
            admin: Some((url, db)),
        });
    }
    v
}

pub struct Harness {
    pub state: AppState,
    pub target: Target,
}

/// Runs `f` once on each backend, each with a fresh store.
pub fn for_each_backend<F, Fut>(settings: AccountSettings, f: F)
where
    F: Fn(Harness) -> Fut,
    Fut: Future<Output = ()>,
{
    let rt = rt();
    let ts = rt.block_on(targets());
    for target in ts {
        rt.block_on(async {
            let store = Store::init_with_key(&target.cfg, MasterKey::generate(), "test")
                .await
                .unwrap();
            let service = Service::new(store).with_account_settings(settings.clone());
            let state = AppState::new(service, ServerConfig::default());
            f(Harness {
                state: state.clone(),
                target,
            })
            .await;
            state.service().close().await;
        });
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub fn cookie_of(h: &HeaderMap) -> String {
    let set = h[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

pub fn secret_of(enrolment: &Value) -> Vec<u8> {
    base32::decode(
        base32::Alphabet::Rfc4648 { padding: false },
        enrolment["secret"].as_str().unwrap(),
    )
    .unwrap()
}

/// The TOTP code `offset` seconds from now.
pub fn code(secret: &[u8], offset: i64) -> Zeroizing<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    confidant_auth::totp::TotpSecret::from_bytes(secret)
        .unwrap()
        .code_at(u64::try_from(now + offset).unwrap())
}

impl Harness {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        if let Some(t) = csrf {
            b = b.header("x-csrf-token", t);
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(&v).unwrap()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    pub async fn call_bearer(
        &self,
        method: Method,
        path: &str,
        token: &str,
    ) -> (StatusCode, HeaderMap, Value) {
        self.call_bearer_body(method, path, token, None).await
    }

    pub async fn call_bearer_body(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(&v).unwrap()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let res = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, headers, v)
    }

    pub async fn user(&self, name: &str, roles: &[Role]) -> UserId {
        self.user_as(name, roles, None).await
    }

    pub async fn user_as(
        &self,
        name: &str,
        roles: &[Role],
        practitioner: Option<confidant_core::ids::PractitionerId>,
    ) -> UserId {
        self.state
            .service()
            .create_account_unchecked(
                "test",
                NewAccount {
                    username: name.into(),
                    password: Zeroizing::new(PASSWORD.into()),
                    roles: roles.to_vec(),
                    practitioner_id: practitioner,
                },
            )
            .await
            .unwrap()
    }

    /// Username and password: the password-stage cookie and CSRF token.
    pub async fn password_step(&self, name: &str) -> (String, String) {
        let (s, h, body) = self
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                None,
                Some(serde_json::json!({"username": name, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        (
            cookie_of(&h),
            body["csrf_token"].as_str().unwrap().to_owned(),
        )
    }

    /// First sign-in with enrolment: the session, the TOTP secret and the
    /// recovery codes.
    pub async fn enrol(&self, name: &str) -> (Session, Vec<u8>, Vec<String>) {
        let (s, secret, codes, _) = self.enrol_with_code(name).await;
        (s, secret, codes)
    }

    /// [`Harness::enrol`], also returning the TOTP code that confirmed it.
    pub async fn enrol_with_code(&self, name: &str) -> (Session, Vec<u8>, Vec<String>, String) {
        let (cookie, csrf) = self.password_step(name).await;
        let (s, _, e) = self
            .call(
                Method::POST,
                "/api/v1/session/enrol",
                Some(&cookie),
                Some(&csrf),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
        let secret = secret_of(&e);
        let c = code(&secret, 0);
        let (s, h, done) = self
            .call(
                Method::POST,
                "/api/v1/session/enrol/confirm",
                Some(&cookie),
                Some(&csrf),
                Some(serde_json::json!({"code": c.as_str()})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{done}");
        let codes = done["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        (
            Session {
                cookie: cookie_of(&h),
                csrf: done["csrf_token"].as_str().unwrap().to_owned(),
            },
            secret,
            codes,
            c.to_string(),
        )
    }

    pub async fn sign_in_and_enrol(&self, name: &str) -> Session {
        self.enrol(name).await.0
    }

    /// A later sign-in with the code `offset` seconds from now.
    pub async fn totp_step(&self, name: &str, secret: &[u8], offset: i64) -> Session {
        let (cookie, csrf) = self.password_step(name).await;
        let c = code(secret, offset);
        let (s, h, body) = self
            .call(
                Method::POST,
                "/api/v1/session/totp",
                Some(&cookie),
                Some(&csrf),
                Some(serde_json::json!({"code": c.as_str()})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        Session {
            cookie: cookie_of(&h),
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn me(&self, s: &Session) -> Value {
        let (status, _, body) = self
            .call(Method::GET, "/api/v1/session", Some(&s.cookie), None, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn audit_count(&self, action: &str) -> usize {
        self.state
            .service()
            .store()
            .audit_tail(100_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action.as_str() == action)
            .count()
    }

    pub async fn audit_has(&self, action: &str) -> bool {
        self.audit_count(action).await > 0
    }
}
