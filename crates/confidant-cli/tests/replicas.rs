//! Replicas on PostgreSQL (issue 11, "Where users outgrow one machine"):
//! three `confidant serve` processes (the real binary) on one fresh
//! PostgreSQL database. A session made through one replica works on the
//! others; concurrent signed-in note writes go through all three; one
//! replica is killed (SIGKILL) mid-write; then every acknowledged write is
//! there, the other replicas kept serving, and `confidant audit verify`
//! passes on the one chain all three wrote. A page form submitted twice,
//! to two replicas, creates one note.
//!
//! Needs CONFIDANT_TEST_DATABASE_URL (skipped, saying so, without it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_store::sqlx::{self, Connection};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "a long and unremarkable passphrase 42";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Db {
    admin: String,
    name: String,
    dir: std::path::PathBuf,
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let rt = confidant_store::tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            if let Ok(mut c) = sqlx::PgConnection::connect(&self.admin).await {
                let _ = sqlx::query(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&mut c)
                .await;
            }
        });
    }
}

/// One HTTP/1.1 exchange: (status, headers, body), or the I/O error (a
/// killed replica).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let kind = if body.starts_with('{') || body.is_empty() {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    req.push_str(&format!(
        "Content-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    if out.len() < 12 {
        return Err(std::io::Error::other("no HTTP answer"));
    }
    let status = out[9..12].parse().map_err(std::io::Error::other)?;
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    Ok((status, head.to_owned(), body.to_owned()))
}

fn json_field(body: &str, field: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {body}"))
        .to_owned()
}

fn cookie(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("set-cookie")
                .then(|| v.trim().split(';').next().unwrap_or("").to_owned())
        })
        .expect("a session cookie")
}

fn totp(secret_b32: &str, offset: i64) -> String {
    let bytes = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret_b32).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    confidant_auth::totp::TotpSecret::from_bytes(&bytes)
        .unwrap()
        .code_at(u64::try_from(now + offset).unwrap())
        .to_string()
}

#[test]
fn three_replicas_on_one_postgres_survive_one_killed_mid_write() {
    let Ok(admin) = std::env::var("CONFIDANT_TEST_DATABASE_URL") else {
        eprintln!("skipped: set CONFIDANT_TEST_DATABASE_URL to run the replica test");
        return;
    };
    let name = format!("confidant_replicas_{}", std::process::id());
    let rt = confidant_store::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut c)
            .await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .unwrap();
    });
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("CONFIDANT_TEST_DATABASE_URL has no database name"),
    };
    let dir = std::env::temp_dir().join(format!("confidant-replicas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db {
        admin,
        name,
        dir: dir.clone(),
    };
    let data = dir.join("data");
    let data_s = data.to_str().unwrap().to_owned();
    let bin = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_confidant"));
        c.args(["--data", &data_s])
            .env("CONFIDANT_DATABASE_URL", &url);
        c
    };
    let out = bin().arg("init").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .args([
            "practitioner",
            "add",
            "--name",
            "Pat Example",
            "--role",
            "practitioner",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let practitioner = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let mut add = bin()
        .args([
            "user",
            "add",
            "pat",
            "--role",
            "practitioner",
            "--practitioner",
            &practitioner,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());

    // Three replicas.
    let mut servers = Vec::new();
    let mut addrs = Vec::new();
    for _ in 0..3 {
        let mut child = bin()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines.next().expect("serve exited early").unwrap();
            if let Some((_, rest)) = line.split_once("listening on http://") {
                break rest.split('/').next().unwrap().to_owned();
            }
        };
        // Keep reading its output so the pipe never fills.
        std::thread::spawn(move || for _ in lines {});
        servers.push(Some(Server(child)));
        addrs.push(addr);
    }

    // Sign in through replica 0 (password, then TOTP enrolment) ...
    let login = format!(r#"{{"username":"pat","password":"{PASSWORD}"}}"#);
    let (s, head, body) = http(&addrs[0], "POST", "/api/v1/session", &[], &login).unwrap();
    assert_eq!(s, 200, "{body}");
    let pending = cookie(&head);
    let csrf = json_field(&body, "csrf_token");
    // ... the enrolment on replica 1, its confirmation on replica 2.
    let h = [
        ("Cookie", pending.as_str()),
        ("x-csrf-token", csrf.as_str()),
    ];
    let (s, _, body) = http(&addrs[1], "POST", "/api/v1/session/enrol", &h, "").unwrap();
    assert_eq!(s, 200, "{body}");
    let secret = json_field(&body, "secret");
    let confirm = format!(r#"{{"code":"{}"}}"#, totp(&secret, 0));
    let (s, head, body) = http(
        &addrs[2],
        "POST",
        "/api/v1/session/enrol/confirm",
        &h,
        &confirm,
    )
    .unwrap();
    assert_eq!(s, 200, "{body}");
    let session = cookie(&head);
    let csrf = json_field(&body, "csrf_token");
    for a in &addrs {
        let (s, _, body) = http(a, "GET", "/api/v1/session", &[("Cookie", &session)], "").unwrap();
        assert_eq!(
            s, 200,
            "a session made on one replica works on every one: {body}"
        );
    }
    let auth: Arc<[(String, String); 2]> = Arc::new([
        ("Cookie".into(), session.clone()),
        ("x-csrf-token".into(), csrf.clone()),
    ]);
    let (s, _, body) = http(
        &addrs[1],
        "POST",
        "/api/v1/clients",
        &[("Cookie", &session), ("x-csrf-token", &csrf)],
        r#"{"name":"Alex Example"}"#,
    )
    .unwrap();
    assert_eq!(s, 201, "{body}");
    let client = json_field(&body, "id");

    // Concurrent writes through all three; replica 0 is killed mid-write.
    let acked = Arc::new(Mutex::new(Vec::<(usize, String, bool)>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let addrs = Arc::new(addrs);
    let mut writers = Vec::new();
    for t in 0..3usize {
        let (acked, count, killed, addrs, auth, client) = (
            acked.clone(),
            count.clone(),
            killed.clone(),
            addrs.clone(),
            auth.clone(),
            client.clone(),
        );
        writers.push(std::thread::spawn(move || {
            for i in 0..15usize {
                let r = (t + i) % 3;
                let body = format!(r#"{{"text":"Session note {t}-{i}: routine review."}}"#);
                let after_kill = killed.load(Ordering::SeqCst);
                let h = [
                    (auth[0].0.as_str(), auth[0].1.as_str()),
                    (auth[1].0.as_str(), auth[1].1.as_str()),
                ];
                let path = format!("/api/v1/clients/{client}/notes");
                if let Ok((201, _, b)) = http(&addrs[r], "POST", &path, &h, &body) {
                    acked
                        .lock()
                        .unwrap()
                        .push((r, json_field(&b, "id"), after_kill));
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    while count.load(Ordering::SeqCst) < 9 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let mut victim = servers[0].take().unwrap();
    victim.0.kill().unwrap(); // SIGKILL
    let _ = victim.0.wait();
    killed.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.iter().any(|(r, _, after)| *after && *r != 0),
        "the other replicas kept serving after the kill"
    );
    // Replica 0 is gone ...
    assert!(http(&addrs[0], "GET", "/healthz", &[], "").is_err());
    // ... and every acknowledged write is there, whichever replica took it.
    let (s, _, body) = http(
        &addrs[2],
        "GET",
        &format!("/api/v1/clients/{client}/notes"),
        &[("Cookie", &session)],
        "",
    )
    .unwrap();
    assert_eq!(s, 200, "{body}");
    for (_, id, _) in &acked {
        assert!(
            body.contains(id.as_str()),
            "acknowledged note {id} is missing"
        );
    }
    // A form sent twice, to two replicas: one note (nonces are in the
    // database, not in a process).
    let count_notes = || {
        let (s, _, body) = http(
            &addrs[1],
            "GET",
            &format!("/api/v1/clients/{client}/notes"),
            &[("Cookie", &session)],
            "",
        )
        .unwrap();
        assert_eq!(s, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    let before = count_notes();
    let form = format!(
        "csrf_token={csrf}&nonce={:032x}&text=Written+once%2C+sent+twice.",
        std::process::id()
    );
    let h = [("Cookie", session.as_str())];
    let path = format!("/clients/{client}/notes");
    let (first, _, _) = http(&addrs[1], "POST", &path, &h, &form).unwrap();
    let (second, _, _) = http(&addrs[2], "POST", &path, &h, &form).unwrap();
    assert_eq!(first, 303, "the first submission is saved and redirects");
    assert_eq!(second, 409, "the second submission creates nothing");
    assert_eq!(count_notes(), before + 1);
    drop(servers);
    let out = bin().args(["audit", "verify"]).output().unwrap();
    assert!(
        out.status.success(),
        "audit verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok "));
    drop(db);
}
