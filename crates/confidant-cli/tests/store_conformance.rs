//! The store's conformance suite: the CLI contract (shared/CONTRACT.md,
//! "Store") and the store's guarantees, run against every backend: SQLite
//! always, PostgreSQL too when `CONFIDANT_TEST_DATABASE_URL` is set (each
//! test creates its own uniquely named database and drops it afterwards).
//!
//! Tests drive the real `confidant` binary; where a test must reach behind
//! the store's back (tampering with the audit log, reading raw bytes) it uses
//! the store's re-exported sqlx.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on setup failure

use confidant_store::sqlx::{self, Connection, Row};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_confidant");
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

fn rt() -> confidant_store::tokio::runtime::Runtime {
    confidant_store::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One store under test: a data directory, and for PostgreSQL a database
/// created for this test alone and dropped when the value is dropped.
struct Env {
    name: &'static str,
    data: PathBuf,
    db_url: Option<String>,
    admin_url: Option<String>,
    db_name: Option<String>,
}

impl Env {
    fn sqlite() -> Env {
        let data = std::env::temp_dir().join(unique("confidant-test"));
        Env {
            name: "sqlite",
            data,
            db_url: None,
            admin_url: None,
            db_name: None,
        }
    }

    fn postgres(admin_url: &str) -> Env {
        let db_name = unique("confidant_test");
        rt().block_on(async {
            let mut c = sqlx::PgConnection::connect(admin_url).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {db_name}"))
                .execute(&mut c)
                .await
                .unwrap();
        });
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        let data = std::env::temp_dir().join(unique("confidant-test-pg"));
        Env {
            name: "postgres",
            data,
            db_url: Some(format!("{base}/{db_name}")),
            admin_url: Some(admin_url.to_owned()),
            db_name: Some(db_name),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("CONFIDANT_DATA", &self.data)
            // The actor is authenticated: unset, it is the operator account.
            .env_remove("CONFIDANT_ACTOR")
            .env_remove("CONFIDANT_PASSPHRASE")
            .env_remove("CONFIDANT_DATABASE_URL");
        if let Some(url) = &self.db_url {
            c.env("CONFIDANT_DATABASE_URL", url);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).stdin(Stdio::null()).output().unwrap()
    }

    fn run_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs a command that must succeed; returns its trimmed stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "[{}] {args:?} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    fn init(&self) {
        self.ok(&["init"]);
    }

    fn sqlite_path(&self) -> PathBuf {
        self.data.join("confidant.db")
    }

    /// Runs statements directly against the database, behind the store's back.
    fn exec(&self, sql: &str) {
        rt().block_on(async {
            match &self.db_url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                }
                None => {
                    let mut c = sqlite_conn(&self.sqlite_path()).await;
                    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                }
            }
        });
    }

    /// The first column of every row of `sql`, as bytes.
    fn blobs(&self, sql: &str) -> Vec<Vec<u8>> {
        rt().block_on(async {
            match &self.db_url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                    rows.iter().map(|r| r.get::<Vec<u8>, _>(0)).collect()
                }
                None => {
                    let mut c = sqlite_conn(&self.sqlite_path()).await;
                    let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                    rows.iter().map(|r| r.get::<Vec<u8>, _>(0)).collect()
                }
            }
        })
    }

    /// The `n` column of a one-row query.
    fn count(&self, sql: &str) -> i64 {
        rt().block_on(async {
            match &self.db_url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    sqlx::query(sql).fetch_one(&mut c).await.unwrap().get("n")
                }
                None => {
                    let mut c = sqlite_conn(&self.sqlite_path()).await;
                    sqlx::query(sql).fetch_one(&mut c).await.unwrap().get("n")
                }
            }
        })
    }

    /// Row counts of every table plus the signed checkpoint: equal
    /// snapshots mean nothing was written.
    fn snapshot(&self) -> Vec<(String, i64, Vec<u8>)> {
        let tables = [
            "meta",
            "data_keys",
            "clients",
            "client_index",
            "practitioners",
            "practitioner_roles",
            "cases",
            "case_parties",
            "notes",
            "note_parties",
            "consents",
            "legal_holds",
            "audit_entries",
        ];
        let mut out = Vec::new();
        for t in tables {
            out.push((
                t.to_owned(),
                self.count(&format!("SELECT COUNT(*) AS n FROM {t}")),
                Vec::new(),
            ));
        }
        let head = self.blobs("SELECT head_hash FROM audit_state WHERE id = 1");
        out.push(("audit_state".into(), 0, head.concat()));
        out
    }
}

async fn sqlite_conn(path: &Path) -> sqlx::SqliteConnection {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(std::time::Duration::from_secs(5));
    match sqlx::SqliteConnection::connect_with(&opts).await {
        Ok(c) => c,
        // A read-only disk (see the full-disk test): read the file as is.
        Err(_) => {
            let ro = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .read_only(true)
                .immutable(true);
            sqlx::SqliteConnection::connect_with(&ro).await.unwrap()
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data);
        if let (Some(admin), Some(db)) = (&self.admin_url, &self.db_name) {
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

/// Every backend this run tests: SQLite, and PostgreSQL when configured.
fn backends() -> Vec<Env> {
    let mut v = vec![Env::sqlite()];
    if let Ok(url) = std::env::var("CONFIDANT_TEST_DATABASE_URL")
        && !url.trim().is_empty()
    {
        v.push(Env::postgres(&url));
    }
    v
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn add_client(env: &Env, name: &str) -> String {
    env.ok(&["client", "add", "--name", name])
}

// ---------------------------------------------------------------- the contract

#[test]
fn contract_end_to_end() {
    for env in backends() {
        env.init();
        let client = env.ok(&[
            "client",
            "add",
            "--name",
            "Olwen Pritchard",
            "--dob",
            "1984-02-29",
            "--email",
            "olwen@example.org",
            "--phone",
            "07700 900461",
            "--address",
            "3 Mill Lane, Llandeilo",
            "--postcode",
            "SA19 6AB",
            "--nhs-number",
            "943 476 5919",
        ]);
        assert!(
            client.starts_with("cl_"),
            "[{}] client id: {client}",
            env.name
        );

        let n1 = env.ok(&[
            "note",
            "add",
            &client,
            "--text",
            "First session: talked about the flood.",
        ]);
        assert!(n1.starts_with("note_"), "[{}] note id: {n1}", env.name);
        let out = env.run_stdin(&["note", "add", &client], "Second session,\nfrom stdin.\n");
        assert!(out.status.success(), "[{}] {}", env.name, stderr(&out));
        let n2 = stdout(&out).trim().to_owned();
        assert!(n2.starts_with("note_") && n2 != n1);

        let listed = env.ok(&["note", "list", &client]);
        assert!(
            listed.contains("First session: talked about the flood."),
            "[{}] {listed}",
            env.name
        );
        assert!(
            listed.contains("Second session,\nfrom stdin."),
            "[{}] {listed}",
            env.name
        );
        assert!(
            listed.find(&n1).unwrap() < listed.find(&n2).unwrap(),
            "oldest first"
        );

        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["note", "list", &client, "--json"])).unwrap();
        let notes = json.as_array().unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0]["id"], n1.as_str());
        assert_eq!(notes[0]["text"], "First session: talked about the flood.");
        assert_eq!(notes[1]["text"], "Second session,\nfrom stdin.");
        assert_eq!(notes[0]["client_id"], client.as_str());

        let consent = env.ok(&[
            "consent",
            "add",
            &client,
            "--purpose",
            "research",
            "--form",
            "written",
        ]);
        assert!(consent.starts_with("cons_"));
        let consent2 = env.ok(&[
            "consent",
            "add",
            &client,
            "--purpose",
            "share-progress",
            "--form",
            "verbal",
            "--status",
            "withdrawn",
        ]);
        assert!(consent2.starts_with("cons_") && consent2 != consent);
        let consents: serde_json::Value =
            serde_json::from_str(&env.ok(&["consent", "list", &client, "--json"])).unwrap();
        assert_eq!(consents[0]["purpose"], "research");
        assert_eq!(consents[1]["status"], "withdrawn");

        // Finding by name goes through the blind index, case-insensitively.
        assert_eq!(
            env.ok(&["client", "find", "--name", "olwen PRITCHARD"]),
            client
        );
        assert_eq!(env.ok(&["client", "find", "--name", "pritchard"]), client);
        assert_eq!(env.ok(&["client", "find", "--name", "Nobody"]), "");

        let shown: serde_json::Value =
            serde_json::from_str(&env.ok(&["client", "show", &client, "--json"])).unwrap();
        assert_eq!(shown["name"], "Olwen Pritchard");
        assert_eq!(shown["date_of_birth"], "1984-02-29");
        assert_eq!(shown["nhs_number"], "9434765919");
        assert_eq!(shown["postcode"], "SA19 6AB");

        let verify = env.run(&["audit", "verify"]);
        assert!(
            verify.status.success(),
            "[{}] {}",
            env.name,
            stdout(&verify)
        );
        let line = stdout(&verify);
        assert!(
            line.starts_with("ok ") && line.trim().ends_with(" entries"),
            "[{}] {line}",
            env.name
        );

        let cert: serde_json::Value = serde_json::from_str(&env.ok(&[
            "client",
            "destroy",
            &client,
            "--reason",
            "retention period ended",
        ]))
        .unwrap();
        assert_eq!(cert["client_id"], client.as_str());
        assert_eq!(cert["reason"], "retention period ended");
        assert!(
            cert["destroyed_by"]
                .as_str()
                .unwrap()
                .starts_with("operator:")
        );
        assert_eq!(cert["destroyed"]["notes"], 2);
        assert_eq!(cert["destroyed"]["consents"], 2);
        assert_eq!(cert["destroyed"]["data_keys"], 1);
        assert!(cert["destroyed_at"].as_str().unwrap().ends_with('Z'));
        let cert_text = cert.to_string();
        for secret in [
            "Olwen",
            "Pritchard",
            "flood",
            "olwen@",
            "9434765919",
            "SA19",
        ] {
            assert!(!cert_text.contains(secret), "certificate leaks {secret}");
        }

        let gone = env.run(&["note", "list", &client]);
        assert_eq!(
            gone.status.code(),
            Some(2),
            "[{}] reading a destroyed client",
            env.name
        );
        assert!(
            stderr(&gone).contains("unknown client id"),
            "{}",
            stderr(&gone)
        );

        let verify = env.run(&["audit", "verify"]);
        assert!(
            verify.status.success(),
            "[{}] after destruction: {}",
            env.name,
            stdout(&verify)
        );

        // The audit log names ids and actions, never content.
        let tail = env.ok(&["audit", "tail", "-n", "100"]);
        for secret in ["Olwen", "Pritchard", "flood", "stdin", "retention period"] {
            assert!(
                !tail.contains(secret),
                "[{}] audit leaks {secret}",
                env.name
            );
        }
        for action in [
            "init",
            "client.create",
            "note.write",
            "note.read",
            "consent.write",
            "client.destroy",
        ] {
            assert!(
                tail.contains(&format!("\"action\":\"{action}\"")),
                "[{}] no {action} entry",
                env.name
            );
        }
        assert!(tail.contains(&n1) && tail.contains(&client));
    }
}

#[test]
fn every_read_and_write_is_audited_with_the_actor() {
    for env in backends() {
        env.init();
        let c = add_client(&env, "Ifan Rhys");
        let before = env.snapshot();
        env.ok(&["note", "list", &c]);
        let after = env.snapshot();
        let count = |s: &Vec<(String, i64, Vec<u8>)>| {
            s.iter().find(|(t, _, _)| t == "audit_entries").unwrap().1
        };
        assert_eq!(
            count(&after),
            count(&before) + 1,
            "[{}] a read appends an entry",
            env.name
        );
        let tail = env.ok(&["audit", "tail", "-n", "1"]);
        let e: serde_json::Value = serde_json::from_str(&tail).unwrap();
        assert_eq!(e["action"], "note.read");
        assert!(e["actor"].as_str().unwrap().starts_with("operator:"));
        assert_eq!(e["record_ids"][0], c.as_str());
    }
}

#[test]
fn couple_notes_attributable_to_parties() {
    for env in backends() {
        env.init();
        let a = add_client(&env, "Partner A");
        let b = add_client(&env, "Partner B");
        let note = env.ok(&[
            "note",
            "add",
            &a,
            "--text",
            "Joint session.",
            "--party",
            &a,
            "--party",
            &b,
        ]);
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["note", "list", &a, "--json"])).unwrap();
        let mut parties: Vec<&str> = json[0]["parties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        parties.sort();
        let mut expected = vec![a.as_str(), b.as_str()];
        expected.sort();
        assert_eq!(parties, expected);
        assert_eq!(json[0]["id"], note.as_str());
        // Destroying a party of a couple needs a decision on the notes they
        // share: refused without one, naming the note, nothing changed.
        let before = env.snapshot();
        let out = env.run(&["client", "destroy", &b, "--reason", "request"]);
        assert_eq!(out.status.code(), Some(2), "[{}]", env.name);
        assert!(stderr(&out).contains(&note), "{}", stderr(&out));
        assert!(stderr(&out).contains("--shared-notes"), "{}", stderr(&out));
        assert_eq!(
            env.snapshot(),
            before,
            "[{}] refused destroy wrote",
            env.name
        );
        // keep-redacted: A keeps the joint note without B's attribution.
        let cert: serde_json::Value = serde_json::from_str(&env.ok(&[
            "client",
            "destroy",
            &b,
            "--reason",
            "request",
            "--shared-notes",
            "keep-redacted",
        ]))
        .unwrap();
        assert_eq!(cert["shared_notes"]["decision"], "keep-redacted");
        assert_eq!(
            cert["shared_notes"]["notes_naming"],
            serde_json::json!([note])
        );
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["note", "list", &a, "--json"])).unwrap();
        assert_eq!(json[0]["parties"], serde_json::json!([a]));
        assert_eq!(json[0]["text"], "Joint session.");
        assert!(env.run(&["store", "verify"]).status.success());
    }
}

#[test]
fn destroying_one_partner_keeps_joint_notes_redacted_for_the_other_or_destroys_them() {
    for env in backends() {
        env.init();
        let a = add_client(&env, "Angharad Price");
        let b = env.ok(&[
            "client",
            "add",
            "--name",
            "Bethan Morgan",
            "--email",
            "bethan.morgan@example.org",
        ]);
        let c = add_client(&env, "Cai Jenkins");
        // A joint note B owns, and one A owns: both name B.
        let owned_by_b = env.ok(&[
            "note",
            "add",
            &b,
            "--text",
            "Bethan Morgan and Angharad came together; Bethan (bethan.morgan@example.org) spoke first.",
            "--party",
            &a,
            "--party",
            &b,
        ]);
        let owned_by_a = env.ok(&[
            "note",
            "add",
            &a,
            "--text",
            "Angharad said Bethan Morgan would not come next week.",
            "--party",
            &a,
            "--party",
            &b,
        ]);
        let with_c = env.ok(&[
            "note",
            "add",
            &a,
            "--text",
            "Joint work with Cai.",
            "--party",
            &a,
            "--party",
            &c,
        ]);
        let cert: serde_json::Value = serde_json::from_str(&env.ok(&[
            "client",
            "destroy",
            &b,
            "--reason",
            "asked",
            "--shared-notes",
            "keep-redacted",
        ]))
        .unwrap();
        let shared = &cert["shared_notes"];
        assert_eq!(shared["decision"], "keep-redacted");
        assert_eq!(shared["joint_notes"], serde_json::json!([owned_by_b]));
        assert_eq!(shared["notes_naming"], serde_json::json!([owned_by_a]));
        // Both notes are A's now, and nothing of B survives in any note
        // the current keys open.
        let notes: serde_json::Value =
            serde_json::from_str(&env.ok(&["note", "list", &a, "--json"])).unwrap();
        let ids: Vec<&str> = notes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&owned_by_b.as_str()) && ids.contains(&owned_by_a.as_str()));
        for n in notes.as_array().unwrap() {
            let text = n["text"].as_str().unwrap();
            for secret in ["Bethan", "Morgan", "bethan.morgan@example.org"] {
                assert!(
                    !text.contains(secret),
                    "[{}] {secret} kept in {text}",
                    env.name
                );
            }
            assert!(!n["parties"].to_string().contains(&b));
        }
        assert!(
            notes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["text"].as_str().unwrap().contains("Angharad"))
        );
        let c_notes: serde_json::Value =
            serde_json::from_str(&env.ok(&["note", "list", &c, "--json"])).unwrap();
        assert!(!c_notes.to_string().contains("Bethan"));
        assert!(env.run(&["store", "verify"]).status.success());
        assert!(env.run(&["audit", "verify"]).status.success());
        // destroy: the joint note with C goes for everyone.
        let cert: serde_json::Value = serde_json::from_str(&env.ok(&[
            "client",
            "destroy",
            &c,
            "--reason",
            "asked",
            "--shared-notes",
            "destroy",
        ]))
        .unwrap();
        assert_eq!(cert["shared_notes"]["decision"], "destroy");
        assert_eq!(
            cert["shared_notes"]["notes_naming"],
            serde_json::json!([with_c])
        );
        let notes = env.ok(&["note", "list", &a, "--json"]);
        assert!(!notes.contains(&with_c) && !notes.contains("Joint work with Cai"));
        assert!(env.run(&["store", "verify"]).status.success());
        let bad = env.run(&[
            "client",
            "destroy",
            &a,
            "--reason",
            "x",
            "--shared-notes",
            "keep",
        ]);
        assert_eq!(bad.status.code(), Some(2));
    }
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_input_is_refused_with_exit_2_and_leaves_the_store_unchanged() {
    for env in backends() {
        env.init();
        let c = add_client(&env, "Mair Evans");
        env.ok(&["note", "add", &c, "--text", "kept"]);
        let hold = env.ok(&["hold", "add", &c, "--reason", "court-application"]);
        let unknown = "cl_0123456789abcdef0123456789abcdef";
        let before = env.snapshot();
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (
                vec!["note", "add", unknown, "--text", "x"],
                "unknown client id",
            ),
            (vec!["note", "list", unknown], "unknown client id"),
            (
                vec!["note", "add", "Mair Evans", "--text", "x"],
                "invalid client id",
            ),
            (vec!["note", "add", &c, "--text", "   "], "empty"),
            (
                vec![
                    "consent",
                    "add",
                    unknown,
                    "--purpose",
                    "research",
                    "--form",
                    "written",
                ],
                "unknown client id",
            ),
            (
                vec![
                    "consent",
                    "add",
                    &c,
                    "--purpose",
                    "gossip",
                    "--form",
                    "written",
                ],
                "consent purpose",
            ),
            (
                vec![
                    "consent",
                    "add",
                    &c,
                    "--purpose",
                    "research",
                    "--form",
                    "emailed",
                ],
                "consent form",
            ),
            (
                vec![
                    "consent",
                    "add",
                    &c,
                    "--purpose",
                    "research",
                    "--form",
                    "written",
                    "--status",
                    "maybe",
                ],
                "consent status",
            ),
            (
                vec![
                    "client",
                    "add",
                    "--name",
                    "Dai Jones",
                    "--dob",
                    "1985-02-29",
                ],
                "invalid date",
            ),
            (
                vec![
                    "client",
                    "add",
                    "--name",
                    "Dai Jones",
                    "--dob",
                    "29/02/1984",
                ],
                "invalid date",
            ),
            (
                vec![
                    "client",
                    "add",
                    "--name",
                    "Dai Jones",
                    "--nhs-number",
                    "943 476 5918",
                ],
                "invalid NHS number",
            ),
            (
                vec![
                    "client",
                    "add",
                    "--name",
                    "Dai Jones",
                    "--nhs-number",
                    "12345",
                ],
                "invalid NHS number",
            ),
            (vec!["client", "add", "--name", " "], "name"),
            (
                vec!["client", "destroy", unknown, "--reason", "x"],
                "unknown client id",
            ),
            (
                vec!["client", "destroy", &c, "--reason", "retention"],
                "legal hold",
            ),
            (
                vec!["hold", "add", unknown, "--reason", "complaint"],
                "unknown client id",
            ),
            (
                vec!["hold", "add", &c, "--reason", "whim"],
                "legal hold reason",
            ),
            (vec!["no-such-command"], ""),
        ];
        for (args, expect) in cases {
            let out = env.run(&args);
            assert_eq!(
                out.status.code(),
                Some(2),
                "[{}] {args:?}: {}",
                env.name,
                stderr(&out)
            );
            let err = stderr(&out);
            assert!(
                err.contains(expect),
                "[{}] {args:?}: stderr {err:?} lacks {expect:?}",
                env.name
            );
            for leak in ["Mair", "Dai", "29/02", "9434765918", "12345"] {
                assert!(
                    !err.contains(leak),
                    "[{}] {args:?}: error echoes input: {err}",
                    env.name
                );
            }
            assert_eq!(
                env.snapshot(),
                before,
                "[{}] {args:?} changed the store",
                env.name
            );
        }
        // A batch with one bad line writes nothing at all.
        let batch = env.data.join("bad.jsonl");
        std::fs::write(
            &batch,
            format!("{{\"text\":\"ok one\"}}\n{{\"text\":\"bad\",\"parties\":[\"{unknown}\"]}}\n"),
        )
        .unwrap();
        let out = env.run(&["note", "add", &c, "--batch", batch.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "[{}] {}",
            env.name,
            stderr(&out)
        );
        std::fs::write(&batch, "{\"text\":\"ok one\"}\nnot json at all\n").unwrap();
        let out = env.run(&["note", "add", &c, "--batch", batch.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
        assert_eq!(
            env.snapshot(),
            before,
            "[{}] a failed batch changed the store",
            env.name
        );

        // Once the hold is released the record can be destroyed.
        env.ok(&["hold", "release", &hold]);
        env.ok(&["client", "destroy", &c, "--reason", "retention"]);
        assert!(env.run(&["audit", "verify"]).status.success());
    }
}

#[test]
fn commands_before_init_and_double_init_are_refused() {
    for env in backends() {
        let out = env.run(&["note", "list", "cl_0123456789abcdef0123456789abcdef"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("confidant init"),
            "[{}] {}",
            env.name,
            stderr(&out)
        );
        env.init();
        let out = env.run(&["init"]);
        assert_eq!(out.status.code(), Some(2), "[{}] second init", env.name);
        assert!(env.run(&["audit", "verify"]).status.success());
    }
}

#[test]
fn wrong_passphrase_and_missing_key_file() {
    for env in backends() {
        let init = env
            .cmd(&["init"])
            .env("CONFIDANT_PASSPHRASE", "tangerine otter lamplight 42")
            .output()
            .unwrap();
        assert!(init.status.success(), "[{}] {}", env.name, stderr(&init));
        assert!(
            !std::fs::read(env.data.join("master.key"))
                .unwrap()
                .is_empty()
        );
        let c = env
            .cmd(&["client", "add", "--name", "Gwen"])
            .env("CONFIDANT_PASSPHRASE", "tangerine otter lamplight 42")
            .output()
            .unwrap();
        assert!(c.status.success(), "{}", stderr(&c));
        let before = env.snapshot();

        let wrong = env
            .cmd(&["client", "add", "--name", "Gwen"])
            .env("CONFIDANT_PASSPHRASE", "wrong horse")
            .output()
            .unwrap();
        assert_eq!(wrong.status.code(), Some(2));
        assert!(
            stderr(&wrong).contains("wrong passphrase"),
            "[{}] {}",
            env.name,
            stderr(&wrong)
        );
        assert!(!stderr(&wrong).contains("wrong horse"));

        let none = env.run(&["audit", "verify"]);
        assert_eq!(none.status.code(), Some(2), "[{}] no passphrase", env.name);
        assert!(
            stderr(&none).contains("CONFIDANT_PASSPHRASE"),
            "{}",
            stderr(&none)
        );

        std::fs::remove_file(env.data.join("master.key")).unwrap();
        let missing = env
            .cmd(&["audit", "verify"])
            .env("CONFIDANT_PASSPHRASE", "tangerine otter lamplight 42")
            .output()
            .unwrap();
        assert_eq!(missing.status.code(), Some(2));
        assert!(
            stderr(&missing).contains("key file"),
            "[{}] {}",
            env.name,
            stderr(&missing)
        );
        assert_eq!(env.snapshot(), before);
    }
}

#[test]
fn a_locked_sqlite_database_is_reported_and_left_unchanged() {
    let env = Env::sqlite();
    env.init();
    let c = add_client(&env, "Locked Out");
    let before = env.snapshot();
    rt().block_on(async {
        let mut holder = sqlite_conn(&env.sqlite_path()).await;
        sqlx::raw_sql("BEGIN EXCLUSIVE")
            .execute(&mut holder)
            .await
            .unwrap();
        let out = env.run(&["note", "add", &c, "--text", "while locked"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("locked"), "{}", stderr(&out));
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut holder)
            .await
            .unwrap();
    });
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_read_only_postgres_database_is_reported_and_left_unchanged() {
    let Ok(url) = std::env::var("CONFIDANT_TEST_DATABASE_URL") else {
        return;
    };
    let env = Env::postgres(&url);
    env.init();
    let c = add_client(&env, "Read Only");
    let before = env.snapshot();
    let db = env.db_name.clone().unwrap();
    env.exec(&format!(
        "ALTER DATABASE {db} SET default_transaction_read_only = on"
    ));
    let out = env.run(&["note", "add", &c, "--text", "cannot land"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    // From the maintenance database: sessions on the store's are read-only now.
    rt().block_on(async {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(&format!(
            "ALTER DATABASE {db} SET default_transaction_read_only = off"
        ))
        .execute(&mut c)
        .await
        .unwrap();
    });
    assert_eq!(env.snapshot(), before);
}

// ---------------------------------------------------------------- encryption

#[test]
fn nothing_identifying_is_stored_in_plaintext_and_moved_ciphertext_fails() {
    for env in backends() {
        env.init();
        let a = env.ok(&[
            "client",
            "add",
            "--name",
            "Bethan Morgan",
            "--email",
            "bethan@example.org",
            "--postcode",
            "CF10 1AA",
        ]);
        let b = add_client(&env, "Rhodri Price");
        env.ok(&[
            "note",
            "add",
            &a,
            "--text",
            "Bethan spoke about the allotment.",
        ]);
        env.ok(&["note", "add", &b, "--text", "Rhodri's note."]);
        let mut all = Vec::new();
        for sql in [
            "SELECT name_ct FROM clients",
            "SELECT email_ct FROM clients WHERE email_ct IS NOT NULL",
            "SELECT postcode_ct FROM clients WHERE postcode_ct IS NOT NULL",
            "SELECT text_ct FROM notes",
            "SELECT digest FROM client_index",
        ] {
            all.extend(env.blobs(sql).concat());
        }
        for secret in [
            "Bethan",
            "Morgan",
            "bethan@example.org",
            "CF10",
            "allotment",
            "Rhodri",
        ] {
            assert!(
                !contains(&all, secret.as_bytes()),
                "[{}] {secret} stored in plaintext",
                env.name
            );
        }
        if env.db_url.is_none() {
            let file = std::fs::read(env.sqlite_path()).unwrap();
            let wal = std::fs::read(env.data.join("confidant.db-wal")).unwrap_or_default();
            for secret in ["Bethan", "allotment", "Rhodri"] {
                assert!(!contains(&file, secret.as_bytes()) && !contains(&wal, secret.as_bytes()));
            }
        }
        // Moving A's note ciphertext onto B's note: the row's MAC (and the
        // AAD: row, client) no longer matches, so reading B's notes fails,
        // naming the row, rather than showing it.
        env.exec(&format!(
            "UPDATE notes SET text_ct = (SELECT text_ct FROM notes WHERE client_id = '{a}') WHERE client_id = '{b}'"
        ));
        let out = env.run(&["note", "list", &b]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "[{}] moved ciphertext opened",
            env.name
        );
        assert!(
            stderr(&out).contains("record tampered: notes note_"),
            "{}",
            stderr(&out)
        );
        assert!(!stdout(&out).contains("allotment"));
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------- audit tampering

/// A store with some history, and its clean entry count.
fn store_with_history(env: &Env) -> usize {
    env.init();
    let c = add_client(env, "Tamper Subject");
    for i in 0..4 {
        env.ok(&["note", "add", &c, "--text", &format!("note {i}")]);
    }
    env.ok(&["note", "list", &c]);
    let out = env.ok(&["audit", "verify"]);
    out.trim_start_matches("ok ")
        .trim_end_matches(" entries")
        .parse()
        .unwrap()
}

fn assert_tampered(env: &Env, what: &str, expect: &[&str]) {
    let out = env.run(&["audit", "verify"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "[{}] {what} not detected: {}",
        env.name,
        stdout(&out)
    );
    let msg = stdout(&out);
    for e in expect {
        assert!(
            msg.contains(e),
            "[{}] {what}: message {msg:?} does not say {e:?}",
            env.name
        );
    }
}

#[test]
fn audit_verify_detects_deletion() {
    for env in backends() {
        store_with_history(&env);
        env.exec("DELETE FROM audit_entries WHERE seq = 3");
        assert_tampered(&env, "deletion", &["entry 3", "missing"]);
    }
}

#[test]
fn audit_verify_detects_reordering() {
    for env in backends() {
        store_with_history(&env);
        // Swap the stored positions of entries 3 and 4.
        env.exec(
            "UPDATE audit_entries SET seq = 1000 WHERE seq = 3; \
             UPDATE audit_entries SET seq = 3 WHERE seq = 4; \
             UPDATE audit_entries SET seq = 4 WHERE seq = 1000;",
        );
        assert_tampered(&env, "reordering", &["entry 3"]);
    }
}

#[test]
fn audit_verify_detects_modification() {
    for env in backends() {
        store_with_history(&env);
        env.exec("UPDATE audit_entries SET actor = 'someone-else' WHERE seq = 4");
        assert_tampered(&env, "modification", &["entry 4", "modified"]);
    }
}

#[test]
fn audit_verify_detects_truncation() {
    for env in backends() {
        let n = store_with_history(&env);
        env.exec(&format!("DELETE FROM audit_entries WHERE seq > {}", n - 2));
        assert_tampered(&env, "truncation", &["truncated", &format!("{}", n - 2)]);
        // Forging the checkpoint to match needs the key: caught as invalid.
        env.exec(&format!(
            "UPDATE audit_state SET count = {} WHERE id = 1",
            n - 2
        ));
        assert_tampered(
            &env,
            "truncation with a rewritten checkpoint",
            &["checkpoint"],
        );
        // And the store refuses to write over a log it cannot vouch for.
        let before = env.snapshot();
        let out = env.run(&["client", "add", "--name", "Another"]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "[{}] wrote over a forged checkpoint",
            env.name
        );
        assert!(stderr(&out).contains("audit verify"), "{}", stderr(&out));
        assert_eq!(env.snapshot(), before);
    }
}

#[test]
fn writes_never_extend_a_truncated_log_as_if_it_were_whole() {
    for env in backends() {
        let n = store_with_history(&env);
        env.exec(&format!("DELETE FROM audit_entries WHERE seq = {n}"));
        // A later write continues from the signed checkpoint, not from the
        // table's end, so the gap stays visible.
        add_client(&env, "After Truncation");
        assert_tampered(
            &env,
            "truncation followed by a write",
            &[&format!("entry {n}")],
        );
    }
}

// ---------------------------------------------------------------- destruction

#[test]
fn destruction_leaves_no_note_text_or_key_bytes_in_the_sqlite_files() {
    let env = Env::sqlite();
    env.init();
    let keep = add_client(&env, "Keeper Client");
    env.ok(&["note", "add", &keep, "--text", "unrelated note that stays"]);
    let c = add_client(&env, "Doomed Client");
    let secret = "ZEBRA-CROSSING-7781 the client disclosed the river";
    for i in 0..50 {
        env.ok(&["note", "add", &c, "--text", &format!("{secret} #{i}")]);
    }
    let wrapped = env.blobs(&format!(
        "SELECT wrapped FROM data_keys WHERE owner_id = '{c}'"
    ));
    assert_eq!(wrapped.len(), 1);
    let sealed = env.blobs(&format!(
        "SELECT text_ct FROM notes WHERE client_id = '{c}'"
    ));
    let name_ct = env.blobs(&format!("SELECT name_ct FROM clients WHERE id = '{c}'"));
    assert_eq!(sealed.len(), 50);
    // Before destruction the sealed bytes are findable (the search works).
    let file = [
        std::fs::read(env.sqlite_path()).unwrap(),
        std::fs::read(env.data.join("confidant.db-wal")).unwrap_or_default(),
    ]
    .concat();
    assert!(
        contains(&file, &wrapped[0]),
        "search would not find the key even before destruction"
    );

    env.ok(&[
        "client",
        "destroy",
        &c,
        "--reason",
        "retention period ended",
    ]);

    let db = std::fs::read(env.sqlite_path()).unwrap();
    let wal = std::fs::read(env.data.join("confidant.db-wal")).unwrap_or_default();
    for (label, bytes) in [("database", &db), ("wal", &wal)] {
        assert!(!contains(bytes, secret.as_bytes()), "note text in {label}");
        assert!(!contains(bytes, &wrapped[0]), "wrapped key in {label}");
        assert!(
            !contains(bytes, &wrapped[0][1..29]),
            "part of the wrapped key in {label}"
        );
        for s in &sealed {
            assert!(
                !contains(bytes, &s[..40.min(s.len())]),
                "sealed note bytes in {label}"
            );
        }
        assert!(
            !contains(bytes, &name_ct[0][..29]),
            "sealed name in {label}"
        );
    }
    // The rest of the store is intact.
    assert!(
        env.ok(&["note", "list", &keep])
            .contains("unrelated note that stays")
    );
    assert!(env.run(&["audit", "verify"]).status.success());
}

#[test]
fn destruction_removes_every_row_on_every_backend() {
    for env in backends() {
        env.init();
        let c = add_client(&env, "Gone Entirely");
        env.ok(&["note", "add", &c, "--text", "a"]);
        env.ok(&[
            "consent",
            "add",
            &c,
            "--purpose",
            "training",
            "--form",
            "verbal",
        ]);
        let h = env.ok(&["hold", "add", &c, "--reason", "complaint"]);
        env.ok(&["hold", "release", &h]);
        env.ok(&["client", "destroy", &c, "--reason", "asked"]);
        for table in [
            "data_keys WHERE owner_id",
            "clients WHERE id",
            "notes WHERE client_id",
            "consents WHERE client_id",
            "legal_holds WHERE client_id",
            "client_index WHERE client_id",
            "client_digests WHERE client_id",
        ] {
            let n = env.count(&format!("SELECT COUNT(*) AS n FROM {table} = '{c}'"));
            assert_eq!(n, 0, "[{}] rows left in {table}", env.name);
        }
        // Links hold keyed digests, not client ids: the client's were the
        // only ones.
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM note_parties"), 0);
        assert!(env.run(&["audit", "verify"]).status.success());
        assert!(env.run(&["store", "verify"]).status.success());
    }
}

// ---------------------------------------------------------------- crashes

#[test]
fn killed_mid_batch_every_acknowledged_note_survives() {
    for env in backends() {
        env.init();
        let c = add_client(&env, "Crash Test");
        let batch = env.data.join("batch.jsonl");
        let mut f = std::fs::File::create(&batch).unwrap();
        for i in 0..200_000 {
            writeln!(
                f,
                "{{\"text\":\"crash test note number {i} with some body text\"}}"
            )
            .unwrap();
        }
        drop(f);
        let mut child = env
            .cmd(&[
                "note",
                "add",
                &c,
                "--batch",
                batch.to_str().unwrap(),
                "--chunk",
                "100",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut acked = Vec::new();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while acked.len() < 2_000 {
            match lines.next() {
                Some(Ok(l)) if l.len() == 37 => acked.push(l),
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        // SIGKILL mid-write: no chance to clean up.
        child.kill().unwrap();
        // Drain whatever was acknowledged before the kill landed.
        // A line cut short by the kill is not an acknowledgement.
        for l in lines.map_while(Result::ok) {
            if l.len() == 37 {
                acked.push(l);
            }
        }
        let _ = child.wait();
        assert!(acked.len() >= 2_000, "[{}] the writer died early", env.name);
        assert!(
            acked.len() < 200_000,
            "[{}] the batch finished before the kill; test proves nothing",
            env.name
        );

        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["note", "list", &c, "--json"])).unwrap();
        let stored: std::collections::HashSet<&str> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        for id in &acked {
            assert!(
                stored.contains(id.as_str()),
                "[{}] acknowledged note lost",
                env.name
            );
        }
        // Whole chunks only: what is stored is a multiple of the chunk size.
        assert_eq!(
            stored.len() % 100,
            0,
            "[{}] a partial chunk was stored",
            env.name
        );
        let verify = env.run(&["audit", "verify"]);
        assert!(
            verify.status.success(),
            "[{}] {}",
            env.name,
            stdout(&verify)
        );
        env.ok(&["note", "add", &c, "--text", "the store still takes writes"]);
    }
}

// ---------------------------------------------------------------- concurrency

#[test]
fn concurrent_writers_in_separate_processes_all_land_and_the_log_verifies() {
    for env in backends() {
        env.init();
        let c = add_client(&env, "Busy Client");
        let mut children = Vec::new();
        for p in 0..4 {
            let batch = env.data.join(format!("p{p}.jsonl"));
            let lines: String = (0..25)
                .map(|i| format!("{{\"text\":\"process {p} note {i}\"}}\n"))
                .collect();
            std::fs::write(&batch, lines).unwrap();
            // Small chunks so the processes interleave their transactions.
            children.push(
                env.cmd(&[
                    "note",
                    "add",
                    &c,
                    "--batch",
                    batch.to_str().unwrap(),
                    "--chunk",
                    "5",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
            );
        }
        let mut acked = 0;
        for ch in children {
            let out = ch.wait_with_output().unwrap();
            assert!(out.status.success(), "[{}] {}", env.name, stderr(&out));
            acked += stdout(&out).lines().count();
        }
        assert_eq!(acked, 100);
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["note", "list", &c, "--json"])).unwrap();
        assert_eq!(json.as_array().unwrap().len(), 100, "[{}]", env.name);
        let verify = env.ok(&["audit", "verify"]);
        // init + client + 100 notes + the list read.
        assert_eq!(verify, "ok 103 entries", "[{}]", env.name);
    }
}

// ---------------------------------------------------------------- full and read-only disks

/// A small tmpfs mounted for one test (needs root; tests skip without it),
/// unmounted on drop.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let path = std::env::temp_dir().join(unique("confidant-disk"));
        std::fs::create_dir_all(&path).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = std::fs::remove_dir(&path);
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(SmallDisk { path })
    }

    fn remount_read_only(&self) {
        let s = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(s.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

#[test]
fn a_full_disk_and_a_read_only_disk_are_reported_and_leave_the_store_unchanged() {
    // Big enough for an initialised store (its schema grew with migrations
    // 0005-0007: sealed metadata, accounts, promises), too small for the
    // 1.9 MB batch below.
    let Some(disk) = SmallDisk::mount("1200k") else {
        return;
    };
    let mut env = Env::sqlite();
    env.data = disk.path.join("data");
    env.init();
    let c = add_client(&env, "Full Disk");
    let before = env.snapshot();
    let batch = std::env::temp_dir().join(unique("confidant-full.jsonl"));
    let lines: String = (0..6000)
        .map(|i| format!("{{\"text\":\"{} {i}\"}}\n", "x".repeat(300)))
        .collect();
    std::fs::write(&batch, lines).unwrap();
    let out = env.run(&[
        "note",
        "add",
        &c,
        "--batch",
        batch.to_str().unwrap(),
        "--chunk",
        "6000",
    ]);
    let _ = std::fs::remove_file(&batch);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("disk is full"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "nothing may be acknowledged");
    assert_eq!(env.snapshot(), before);
    assert!(env.run(&["audit", "verify"]).status.success());

    disk.remount_read_only();
    let out = env.run(&["note", "add", &c, "--text", "cannot land"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    // Reading and verifying still work on a read-only disk.
    assert_eq!(env.ok(&["audit", "verify"]), "ok 2 entries");
    assert_eq!(env.snapshot(), before);
    // The Env must not try to delete files on the read-only mount.
    env.data = std::env::temp_dir().join(unique("confidant-gone"));
}
