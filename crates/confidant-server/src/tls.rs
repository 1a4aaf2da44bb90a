//! TLS built in: `confidant serve --tls-cert FILE --tls-key FILE` serves
//! the same router over rustls (ring provider; TLS 1.2 and 1.3; HTTP/1.1).
//! A plain-HTTP request to the TLS port fails its handshake and is
//! dropped. Certificates and keys are PEM files; a missing, unreadable,
//! empty or mismatched file is refused at start-up with the file named.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// Why the TLS files cannot be used. Names the file, never its contents.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS {what} file {path}: {reason}")]
    Unreadable {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("the TLS {what} file {path} holds no PEM {what}")]
    Empty { what: &'static str, path: String },
    #[error("the TLS key does not match the certificate, or is not usable: {0}")]
    Mismatch(String),
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Unreadable {
        what,
        path: path.display().to_string(),
        reason: e.kind().to_string(),
    })
}

/// Loads a PEM certificate chain and private key into a server config.
pub fn load_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cert_pem = read(cert, "certificate")?;
    let key_pem = read(key, "key")?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        return Err(TlsError::Empty {
            what: "certificate",
            path: cert.display().to_string(),
        });
    }
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::Empty {
        what: "key",
        path: key.display().to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| TlsError::Mismatch(e.to_string()))?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` over TLS on `listener` until `shutdown` resolves (then
/// stops accepting; connections in flight finish on their own tasks).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            // A client that does not speak TLS (plain HTTP) fails here and
            // gets nothing but the TLS alert.
            let stream = match tokio::time::timeout(
                std::time::Duration::from_secs(10),
                acceptor.accept(tcp),
            )
            .await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::info!(error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let app = app.layer(axum::Extension(ConnectInfo(peer)));
            let service = TowerToHyperService::new(app);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
}
