//! The router in process: every response's headers, problem responses for
//! every error, the body limit, request ids, health and readiness, and that
//! nothing under /api/ answers without authentication.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use confidant_crypto::MasterKey;
use confidant_server::{AppState, ServerConfig, app};
use confidant_service::Service;
use confidant_store::{Store, StoreConfig};
use http_body_util::BodyExt;
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

async fn fixture(config: ServerConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig::new(dir.path().join("data"), None);
    let store = Store::init_with_key(&cfg, MasterKey::generate(), "test")
        .await
        .unwrap();
    Fixture {
        _dir: dir,
        state: AppState::new(Service::new(store), config),
    }
}

fn router(f: &Fixture) -> Router {
    app(f.state.clone())
}

async fn send(r: Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let res = r.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

fn get(path: &str) -> Request<Body> {
    Request::builder().uri(path).body(Body::empty()).unwrap()
}

fn assert_security_headers(h: &axum::http::HeaderMap, https: bool) {
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(
        h.contains_key(header::STRICT_TRANSPORT_SECURITY),
        https,
        "HSTS exactly when served over TLS"
    );
    let id = h["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "request id {id}");
}

fn assert_problem(status: StatusCode, h: &axum::http::HeaderMap, body: &[u8], want: StatusCode) {
    assert_eq!(status, want);
    assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["status"], want.as_u16());
    assert_eq!(v["type"], "about:blank");
    assert_eq!(v["title"], want.canonical_reason().unwrap());
}

#[tokio::test]
async fn health_and_readiness() {
    let f = fixture(ServerConfig::default()).await;
    let (s, h, b) = send(router(&f), get("/healthz")).await;
    assert_eq!(s, StatusCode::OK);
    assert_security_headers(&h, false);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&b).unwrap()["status"],
        "ok"
    );
    let (s, h, b) = send(router(&f), get("/readyz")).await;
    assert_eq!(s, StatusCode::OK);
    assert_security_headers(&h, false);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&b).unwrap()["status"],
        "ready"
    );
}

#[tokio::test]
async fn not_ready_when_the_store_is_closed() {
    let f = fixture(ServerConfig::default()).await;
    f.state.service().close().await;
    let (s, h, b) = send(router(&f), get("/readyz")).await;
    assert_problem(s, &h, &b, StatusCode::SERVICE_UNAVAILABLE);
    assert_security_headers(&h, false);
    // Liveness does not depend on the store.
    let (s, _, _) = send(router(&f), get("/healthz")).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn hsts_only_over_tls() {
    let f = fixture(ServerConfig {
        https: true,
        ..ServerConfig::default()
    })
    .await;
    let (_, h, _) = send(router(&f), get("/healthz")).await;
    assert_security_headers(&h, true);
    let hsts = h[header::STRICT_TRANSPORT_SECURITY].to_str().unwrap();
    assert!(hsts.starts_with("max-age=63072000"), "{hsts}");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_problems() {
    let f = fixture(ServerConfig::default()).await;
    let (s, h, b) = send(router(&f), get("/no-such-page")).await;
    assert_problem(s, &h, &b, StatusCode::NOT_FOUND);
    assert_security_headers(&h, false);
    let req = Request::builder()
        .method(Method::DELETE)
        .uri("/healthz")
        .body(Body::empty())
        .unwrap();
    let (s, h, b) = send(router(&f), req).await;
    assert_problem(s, &h, &b, StatusCode::METHOD_NOT_ALLOWED);
    assert_security_headers(&h, false);
}

#[tokio::test]
async fn nothing_under_api_without_authentication() {
    let f = fixture(ServerConfig::default()).await;
    for (method, path) in [
        (Method::GET, "/api/v1/clients"),
        (Method::POST, "/api/v1/clients"),
        (
            Method::GET,
            "/api/v1/clients/cli_0190a0b2-0000-7000-8000-000000000000",
        ),
        (Method::DELETE, "/api/v1/anything/at/all"),
        (Method::GET, "/api/"),
        (Method::PUT, "/api/v1/notes"),
    ] {
        let req = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (s, h, b) = send(router(&f), req).await;
        assert_problem(s, &h, &b, StatusCode::UNAUTHORIZED);
        assert_security_headers(&h, false);
    }
}

#[tokio::test]
async fn oversized_bodies_refused_before_reading() {
    let f = fixture(ServerConfig {
        body_limit: 1000,
        ..ServerConfig::default()
    })
    .await;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/clients")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "1001")
        .body(Body::from(vec![b' '; 1001]))
        .unwrap();
    let (s, h, b) = send(router(&f), req).await;
    assert_problem(s, &h, &b, StatusCode::PAYLOAD_TOO_LARGE);
    assert_security_headers(&h, false);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert!(v["detail"].as_str().unwrap().contains("1000 bytes"));
}

#[tokio::test]
async fn a_client_chosen_request_id_is_replaced() {
    let f = fixture(ServerConfig::default()).await;
    let req = Request::builder()
        .uri("/healthz")
        .header("x-request-id", "Jane Doe")
        .body(Body::empty())
        .unwrap();
    let (_, h, _) = send(router(&f), req).await;
    let id = h["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    // And each request gets its own.
    let (_, h2, _) = send(router(&f), get("/healthz")).await;
    assert_ne!(h["x-request-id"], h2["x-request-id"]);
}

/// JSON rejections are re-worded: serde's messages would echo the value.
#[test]
fn json_errors_never_echo_the_value() {
    use axum::extract::FromRequest;
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body1 {
        age: u32,
        name: String,
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for (body, want) in [
        (r#"{"age": "Jane Doe", "name": "x"}"#, "wrong type"),
        (r#"{"age": 3, "name": "x", "Jane Doe": 1}"#, "unknown field"),
        (r#"{"age": 3}"#, "missing field `name`"),
        (r#"{"age": 3, "name": "Jane Doe"#, "ends too early"),
        (r#"{"age": 3, "name": Jane Doe}"#, "syntax"),
    ] {
        let req = Request::builder()
            .method(Method::POST)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let rejection = rt
            .block_on(axum::Json::<Body1>::from_request(req, &()))
            .unwrap_err();
        let err = confidant_server::AppError::from(rejection);
        let detail = err.problem().detail.unwrap();
        assert!(detail.contains(want), "{body} -> {detail}");
        assert!(!detail.contains("Jane"), "{body} -> {detail}");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }
    let req = Request::builder()
        .method(Method::POST)
        .body(Body::from("{}"))
        .unwrap();
    let rejection = rt
        .block_on(axum::Json::<Body1>::from_request(req, &()))
        .unwrap_err();
    assert_eq!(
        confidant_server::AppError::from(rejection).status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn pages_are_html_with_the_security_headers_and_the_stylesheet_is_css() {
    let f = fixture(ServerConfig::default()).await;
    let (status, h, body) = send(router(&f), get("/static/app.css")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_security_headers(&h, false);
    assert!(String::from_utf8(body).unwrap().contains("@media print"));
    for path in ["/sign-in", "/policies", "/policies/ukcp/statement"] {
        let (status, h, body) = send(router(&f), get(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            h[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_security_headers(&h, false);
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/app.css\">"));
        assert!(!html.contains("<script"), "{path}: no script");
        assert!(!html.contains("style="), "{path}: no inline style");
    }
    // A path segment never names a policy file to read.
    let (status, h, _) = send(router(&f), get("/policies/..%2FCargo.toml/statement")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_routes_the_router_serves() {
    let f = fixture(ServerConfig::default()).await;
    let (status, h, body) = send(router(&f), get("/api/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_security_headers(&h, false);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 25, "{}", paths.len());
    // Every documented operation is routed (never 404/405), and answers
    // a stranger with 401 unless it is a sign-in step.
    // The sign-in steps, and using a one-time password reset link.
    let public = ["/api/v1/setup", "/api/v1/session", "/api/v1/password-reset"];
    for (path, item) in paths {
        let concrete = path
            .replace("{id}", "cl_0190a0b2000070008000000000000000")
            .replace("{consent}", "cons_0190a0b2000070008000000000000000");
        for (method, _) in item.as_object().unwrap() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let req = Request::builder()
                .method(m.clone())
                .uri(&concrete)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap();
            let (status, _, _) = send(router(&f), req).await;
            assert_ne!(status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            let sign_in_step = public.contains(&path.as_str()) && m == Method::POST
                || path.starts_with("/api/v1/session/enrol")
                || path == "/api/v1/session/totp";
            if !sign_in_step {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
            }
        }
    }
}
