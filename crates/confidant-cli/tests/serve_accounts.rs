//! `confidant serve` on a fresh data directory prints the one-time setup
//! link, which creates the first administrator once; `confidant user add
//! --password-stdin` and `confidant token create` give a working personal
//! access token without a browser (what `.ci/run` relies on).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

const PASSWORD: &str = "a long and unremarkable passphrase 42";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_confidant"))
}

/// A minimal HTTP/1.1 exchange: (status, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn setup_link_then_accounts_and_tokens_from_the_command_line() {
    let dir = TempDir(
        std::env::temp_dir().join(format!("confidant-serve-accounts-{}", std::process::id())),
    );
    let _ = std::fs::remove_dir_all(&dir.0);
    let data = dir.0.join("data");
    let mut child = bin()
        .args([
            "--data",
            data.to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("CONFIDANT_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut token = None;
    let addr;
    loop {
        let line = lines.next().expect("serve exited early").unwrap();
        if let Some((_, t)) = line.split_once("/setup?token=") {
            token = Some(t.trim().to_owned());
        }
        if let Some(rest) = line.split_once("listening on http://") {
            addr = rest.1.split('/').next().unwrap().to_owned();
            break;
        }
    }
    let token = token.expect("a setup link is printed while there is no account");
    let body = format!(r#"{{"token":"{token}","username":"root","password":"{PASSWORD}"}}"#);
    let (status, b) = http(&addr, "POST", "/api/v1/setup", &[], &body);
    assert_eq!(status, 201, "{b}");
    let body2 = body.replace("\"root\"", "\"root2\"");
    let (status, _) = http(&addr, "POST", "/api/v1/setup", &[], &body2);
    assert_eq!(status, 401, "the link is single use");

    let data_s = data.to_str().unwrap();
    let mut add = bin()
        .args([
            "--data",
            data_s,
            "user",
            "add",
            "ci",
            "--role",
            "records-manager",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("user_"));
    // A weak password is refused with the rule, exit 2.
    let mut weak = bin()
        .args([
            "--data",
            data_s,
            "user",
            "add",
            "weak",
            "--role",
            "practitioner",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    weak.stdin.take().unwrap().write_all(b"password\n").unwrap();
    let out = weak.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least"));

    let out = bin()
        .args([
            "--data", data_s, "token", "create", "ci", "--scope", "write", "--days", "1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let pat = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let auth = format!("Bearer {pat}");
    // Refused until the account has enrolled an authenticator ...
    let (status, _) = http(
        &addr,
        "GET",
        "/api/v1/session",
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(status, 401);
    // ... which the operator may do from the command line (once).
    let out = bin()
        .args(["--data", data_s, "user", "enrol", "ci"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8(out.stdout).unwrap().trim().is_empty());
    let again = bin()
        .args(["--data", data_s, "user", "enrol", "ci"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let (status, b) = http(
        &addr,
        "GET",
        "/api/v1/session",
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(status, 200, "{b}");
    assert!(b.contains("records-manager"), "{b}");
    let (status, _) = http(&addr, "GET", "/api/v1/session", &[], "");
    assert_eq!(status, 401);
    drop(server);
}

/// Starts `confidant demo` on `dir`, returns the server, its address and
/// what it printed before listening.
fn start_demo(dir: &std::path::Path) -> (Server, String, Vec<String>) {
    let mut child = bin()
        .args([
            "demo",
            "--demo-data",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("CONFIDANT_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    loop {
        let line = lines.next().expect("demo exited early").unwrap();
        if let Some(rest) = line.split_once("listening on http://") {
            let addr = rest.1.split('/').next().unwrap().to_owned();
            return (server, addr, printed);
        }
        printed.push(line);
    }
}

#[test]
fn demo_seeds_a_fictional_organisation_once_and_serves_it() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("confidant-demo-test-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    let (server, addr, printed) = start_demo(&dir.0);
    let accounts: Vec<&String> = printed
        .iter()
        .filter(|l| l.contains(" password demo-"))
        .collect();
    assert_eq!(accounts.len(), 8, "{printed:?}");
    for role in [
        "practitioner",
        "supervisor",
        "safeguarding-officer",
        "programme-lead",
        "records-manager",
        "service-manager",
        "administrator",
    ] {
        assert!(
            accounts.iter().any(|l| l.contains(role)),
            "{role}: {printed:?}"
        );
    }
    assert!(accounts.iter().all(|l| l.contains("TOTP ")));
    drop(server);
    // The operator's token for the demo practitioner sees their caseload.
    let out = bin()
        .args([
            "--data",
            dir.0.to_str().unwrap(),
            "token",
            "create",
            "ada",
            "--days",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pat = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (server, addr2, printed) = start_demo(&dir.0);
    assert!(
        printed.iter().any(|l| l.contains("already seeded")),
        "{printed:?}"
    );
    let _ = addr;
    let auth = format!("Bearer {pat}");
    let (status, body) = http(
        &addr2,
        "GET",
        "/api/v1/clients",
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.matches("\"id\":\"cl_").count(), 3, "{body}");
    drop(server);
}
