//! The layer every request and response passes through: request id, the
//! early body-size check, the log line, and the security headers.

use crate::AppError;
use crate::ServerConfig;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// No inline script or style, nothing from elsewhere, no framing: the web
/// app (next issue) serves its scripts and styles as files from this origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; \
                   frame-ancestors 'none'";

/// Two years, as the HSTS preload list asks.
const HSTS: &str = "max-age=63072000; includeSubDomains";

pub(crate) async fn security_and_logging(
    State(config): State<ServerConfig>,
    mut req: Request,
    next: Next,
) -> Response {
    // A fresh id for every request: one sent by the client is replaced, so a
    // log never carries text the caller chose.
    forwarded_peer(&config, &mut req);
    let id = uuid::Uuid::now_v7().to_string();
    let id_value = HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID, id_value.clone());
    // The route template (`/api/v1/clients/{id}`), not the path: an unmatched
    // path is whatever the caller typed.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, %method, route = %route);
    let started = std::time::Instant::now();

    let too_large = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > config.body_limit as u64);
    let mut res = if too_large {
        AppError::PayloadTooLarge {
            limit: config.body_limit,
        }
        .into_response()
    } else {
        next.run(req).instrument(span.clone()).await
    };

    let h = res.headers_mut();
    h.insert(REQUEST_ID, id_value);
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    // Every response may show a record or a credential, and none is worth
    // caching, so none is stored by a browser or a proxy.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if config.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "served"
        );
    });
    res
}

/// Behind a trusted reverse proxy, the client's address is the last one
/// the proxy appended to `X-Forwarded-For`; from anyone else the header is
/// ignored (a client could write anything there).
fn forwarded_peer(config: &ServerConfig, req: &mut Request) {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        return;
    };
    if !config.trusted_proxies.contains(&peer.ip()) {
        return;
    }
    let forwarded = req
        .headers()
        .get_all(HeaderName::from_static("x-forwarded-for"))
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .next_back()
        .and_then(|a| a.parse::<std::net::IpAddr>().ok());
    if let Some(ip) = forwarded {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, peer.port())));
    }
}
