//! A retention sweep interrupted half way leaves every client either whole
//! (the record opens, the audit log verifies) or destroyed (a signed
//! certificate, no row left), never between: killed by the fault hook right
//! after the N-th destruction, and by SIGKILL from outside at whatever
//! point it has reached. On SQLite, and on PostgreSQL when
//! `CONFIDANT_TEST_DATABASE_URL` is set (a database created and dropped
//! per run).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_store::sqlx::{self, Connection, Row};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_confidant");
const CLIENTS: usize = 16;

fn rt() -> confidant_store::tokio::runtime::Runtime {
    confidant_store::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn unique(p: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    format!(
        "{p}_{}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

struct Env {
    name: &'static str,
    data: PathBuf,
    db_url: Option<String>,
    admin: Option<(String, String)>,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data);
        if let Some((admin, db)) = &self.admin {
            rt().block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                }
            });
        }
    }
}

fn backends() -> Vec<Env> {
    let mut v = vec![Env {
        name: "sqlite",
        data: std::env::temp_dir().join(unique("confidant-sweep-crash")),
        db_url: None,
        admin: None,
    }];
    if let Ok(url) = std::env::var("CONFIDANT_TEST_DATABASE_URL")
        && !url.trim().is_empty()
    {
        let db = unique("confidant_sweep_crash");
        rt().block_on(async {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {db}"))
                .execute(&mut c)
                .await
                .unwrap();
        });
        let base = url.rsplit_once('/').map(|(b, _)| b).unwrap().to_owned();
        v.push(Env {
            name: "postgres",
            data: std::env::temp_dir().join(unique("confidant-sweep-crash-pg")),
            db_url: Some(format!("{base}/{db}")),
            admin: Some((url, db)),
        });
    }
    v
}

impl Env {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("CONFIDANT_DATA", &self.data)
            .env_remove("CONFIDANT_ACTOR")
            .env_remove("CONFIDANT_PASSPHRASE")
            .env_remove("CONFIDANT_DATABASE_URL")
            .env_remove("CONFIDANT_AUDIT_WITNESS")
            .env_remove("CONFIDANT_FAULT")
            .env_remove("CONFIDANT_POLICY")
            .stdin(Stdio::null());
        if let Some(url) = &self.db_url {
            c.env("CONFIDANT_DATABASE_URL", url);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "[{}] {args:?}: {}",
            self.name,
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    }

    /// Rows of `table` naming `id` in `column`, read directly.
    fn count(&self, sql: &str, id: &str) -> i64 {
        rt().block_on(async {
            match &self.db_url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    sqlx::query(sql)
                        .bind(id)
                        .fetch_one(&mut c)
                        .await
                        .unwrap()
                        .get::<i64, _>(0)
                }
                None => {
                    let opts = sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(self.data.join("confidant.db"))
                        .busy_timeout(std::time::Duration::from_secs(10));
                    let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
                    sqlx::query(sql)
                        .bind(id)
                        .fetch_one(&mut c)
                        .await
                        .unwrap()
                        .get::<i64, _>(0)
                }
            }
        })
    }

    fn clients_left(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM clients WHERE id <> $1", "")
    }

    /// Every client is whole or destroyed, never between. Returns how many
    /// were destroyed.
    fn check_whole_or_destroyed(&self, ids: &[String]) -> usize {
        let mut destroyed = 0;
        for id in ids {
            let show = self.run(&["client", "show", id, "--json"]);
            let notes = self.run(&["note", "list", id]);
            let cert = self.run(&["client", "certificate", id]);
            let certs: Vec<serde_json::Value> = if cert.status.success() {
                serde_json::from_slice(&cert.stdout).unwrap_or_default()
            } else {
                Vec::new()
            };
            let rows: i64 = [
                "SELECT COUNT(*) FROM data_keys WHERE owner_id = $1",
                "SELECT COUNT(*) FROM clients WHERE id = $1",
                "SELECT COUNT(*) FROM notes WHERE client_id = $1",
                "SELECT COUNT(*) FROM consents WHERE client_id = $1",
                "SELECT COUNT(*) FROM promises WHERE client_id = $1",
            ]
            .iter()
            .map(|q| self.count(q, id))
            .sum();
            if show.status.success() {
                assert!(
                    notes.status.success(),
                    "[{}] whole but notes fail",
                    self.name
                );
                assert!(
                    String::from_utf8_lossy(&notes.stdout).contains("session of"),
                    "[{}] a whole client lost a note",
                    self.name
                );
                assert!(certs.is_empty(), "[{}] whole and certified", self.name);
                assert_eq!(rows, 5, "[{}] a whole client is missing rows", self.name);
            } else {
                destroyed += 1;
                assert_eq!(
                    certs.len(),
                    1,
                    "[{}] neither whole nor certified",
                    self.name
                );
                assert_eq!(certs[0]["signature_valid"], true);
                assert_eq!(certs[0]["audit_entry_matches"], true);
                let text = certs[0].to_string();
                assert!(text.contains("retention"), "[{}] {text}", self.name);
                assert_eq!(rows, 0, "[{}] a destroyed client left rows", self.name);
                assert!(!notes.status.success() || notes.stdout.is_empty());
            }
        }
        let verify = self.run(&["audit", "verify"]);
        assert!(
            verify.status.success(),
            "[{}] {}",
            self.name,
            String::from_utf8_lossy(&verify.stdout)
        );
        destroyed
    }
}

#[test]
fn an_interrupted_sweep_leaves_every_client_whole_or_destroyed() {
    for env in backends() {
        env.ok(&["init"]);
        // A policy whose period runs out the day the record opens.
        std::fs::create_dir_all(&env.data).unwrap();
        let policy = env.data.with_extension("policy.toml");
        let text = confidant_policy::Policy::builtin_text("wwdd-coaching")
            .unwrap()
            .replacen("months = 36", "months = 0", 1)
            .replacen(
                "from = \"the last session\"",
                "from = \"the record was opened\"",
                1,
            );
        std::fs::write(&policy, text).unwrap();
        let policy = policy.to_str().unwrap().to_owned();
        let mut ids = Vec::new();
        for i in 0..CLIENTS {
            let id = env.ok(&["client", "add", "--name", &format!("Sweep Person{i}")]);
            env.ok(&["note", "add", &id, "--text", &format!("session of {i}")]);
            env.ok(&[
                "consent",
                "add",
                &id,
                "--purpose",
                "supervision-identifiable",
                "--form",
                "verbal",
                "--status",
                "given",
            ]);
            env.ok(&[
                "client",
                "limits-given",
                &id,
                "--how",
                "in-person",
                "--policy",
                &policy,
            ]);
            ids.push(id);
        }
        let held = ids[CLIENTS - 1].clone();
        env.ok(&["hold", "add", &held, "--reason", "complaint"]);
        let sweep = ["retention", "sweep", "--apply", "--policy", &policy];

        // 1. Aborted right after the 5th destruction has committed.
        let out = env
            .cmd(&sweep)
            .env("CONFIDANT_FAULT", "abort-after-destructions:5")
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "[{}] the sweep was not interrupted",
            env.name
        );
        assert_eq!(env.check_whole_or_destroyed(&ids), 5, "[{}]", env.name);

        // 2. SIGKILL from outside once it has destroyed at least one more:
        // wherever it was (between clients or inside a destruction's
        // transaction), each client is whole or destroyed.
        let before = env.clients_left();
        let mut child = env
            .cmd(&sweep)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        loop {
            if child.try_wait().unwrap().is_some() || env.clients_left() < before {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let _ = child.kill();
        let _ = child.wait();
        let after_kill = env.check_whole_or_destroyed(&ids);
        assert!(after_kill > 5, "[{}]", env.name);

        // 3. A sweep run again finishes the work; the held client stays.
        env.ok(&sweep);
        assert_eq!(
            env.check_whole_or_destroyed(&ids),
            CLIENTS - 1,
            "[{}]",
            env.name
        );
        env.ok(&["client", "show", &held]);
    }
}
