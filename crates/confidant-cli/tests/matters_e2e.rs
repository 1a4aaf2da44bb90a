//! End to end: a realistic matter per built-in policy, from the request or
//! concern arriving to the matter closing, through the real `confidant`
//! binary, on SQLite and (when `CONFIDANT_TEST_DATABASE_URL` is set) on
//! PostgreSQL. Packages are decrypted with the real `age` command-line tool
//! (Debian package `age`; `.ci/run` installs it).
//!
//! Also: the bad input the issue lists (each refused with exit 2 and
//! nothing written) and a crash in the middle of building or delivering a
//! package (no half-recorded disclosure).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on setup failure

use confidant_store::sqlx::{self, Connection};
use serde_json::Value;
use sha2::Digest;
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

struct Env {
    name: &'static str,
    data: PathBuf,
    db_url: Option<String>,
    admin_url: Option<String>,
    db_name: Option<String>,
}

impl Env {
    fn sqlite() -> Env {
        Env {
            name: "sqlite",
            data: std::env::temp_dir().join(unique("confidant-matters")),
            db_url: None,
            admin_url: None,
            db_name: None,
        }
    }

    fn postgres(admin_url: &str) -> Env {
        let db_name = unique("confidant_matters");
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
        Env {
            name: "postgres",
            data: std::env::temp_dir().join(unique("confidant-matters-pg")),
            db_url: Some(format!("{base}/{db_name}")),
            admin_url: Some(admin_url.to_owned()),
            db_name: Some(db_name),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("CONFIDANT_DATA", &self.data)
            .env_remove("CONFIDANT_ACTOR")
            .env_remove("CONFIDANT_PASSPHRASE")
            .env_remove("CONFIDANT_DATABASE_URL")
            .env_remove("CONFIDANT_POLICY")
            .env_remove("CONFIDANT_FAULT");
        if let Some(url) = &self.db_url {
            c.env("CONFIDANT_DATABASE_URL", url);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).stdin(Stdio::null()).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "[{}] {args:?} failed: {}",
            self.name,
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap().trim().to_owned()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        serde_json::from_str(&self.ok(&a)).unwrap()
    }

    /// Runs a command that must be refused as bad input (exit 2) without
    /// writing anything (the audit log, which every write extends, keeps
    /// its length); returns the message.
    fn refused(&self, args: &[&str], expect: &str) -> String {
        let before = self.audit_count();
        let o = self.run(args);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(
            o.status.code(),
            Some(2),
            "[{}] {args:?} should be refused: {err}",
            self.name
        );
        assert!(
            err.to_lowercase().contains(&expect.to_lowercase()),
            "[{}] {args:?}: message should name `{expect}`: {err}",
            self.name
        );
        self.assert_only_reads_since(before, args);
        err
    }

    /// Every audit entry after the first `before` records a read (a refused
    /// command may have read the record to decide; it changed nothing).
    fn assert_only_reads_since(&self, before: u64, what: &[&str]) {
        const READS: &[&str] = &[
            "client.read",
            "case.read",
            "note.read",
            "consent.read",
            "matter.read",
            "matter.list",
            "disclosure.list",
            "legal_hold.list",
        ];
        let after = self.audit_count();
        if after == before {
            return;
        }
        let n = (after - before).to_string();
        let tail = self.ok(&["audit", "tail", "-n", &n]);
        for line in tail.lines() {
            let e: Value = serde_json::from_str(line).unwrap();
            let action = e["action"].as_str().unwrap();
            assert!(
                READS.contains(&action),
                "[{}] {what:?} wrote something ({action})",
                self.name
            );
        }
    }

    fn audit_count(&self) -> u64 {
        let out = self.ok(&["audit", "verify"]);
        out.strip_prefix("ok ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("[{}] audit verify: {out}", self.name))
    }

    fn init(&self) {
        self.ok(&["init"]);
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data);
        if let (Some(admin), Some(db)) = (&self.admin_url, &self.db_name) {
            let admin = admin.clone();
            let db = db.clone();
            rt().block_on(async move {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                }
            });
        }
    }
}

fn backends() -> Vec<Env> {
    let mut v = vec![Env::sqlite()];
    if let Ok(url) = std::env::var("CONFIDANT_TEST_DATABASE_URL") {
        v.push(Env::postgres(&url));
    }
    v
}

/// An age identity made with the real `age-keygen`: (key file, public key).
fn age_identity(dir: &Path) -> (PathBuf, String) {
    let key = dir.join("recipient-key.txt");
    let o = Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .expect("age-keygen is needed (Debian package `age`)");
    assert!(o.status.success());
    let o = Command::new("age-keygen")
        .arg("-y")
        .arg(&key)
        .output()
        .unwrap();
    (key, String::from_utf8(o.stdout).unwrap().trim().to_owned())
}

/// Decrypts with the real `age` tool.
fn age_decrypt(key: &Path, file: &Path) -> Vec<u8> {
    let o = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(key)
        .arg(file)
        .output()
        .expect("age is needed (Debian package `age`)");
    assert!(
        o.status.success(),
        "age -d failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn out_dir(env: &Env) -> PathBuf {
    let d = env.data.join(unique("out"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Closes a matter, attesting whatever the checklist leaves for a person
/// to attest (as a practitioner would, with a note each).
fn close_attesting(env: &Env, matter: &str) -> Value {
    let show = env.json(&["matter", "show", matter]);
    let mut args = vec!["matter".to_owned(), "close".to_owned(), matter.to_owned()];
    for item in show["checklist"].as_array().unwrap() {
        if item["status"] == "unmet" {
            args.push("--attest".into());
            args.push(format!(
                "{}=done in session, noted",
                item["obligation"].as_str().unwrap()
            ));
        }
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let closed = env.json(&a);
    assert_eq!(closed["status"], "closed");
    closed
}

fn steps(env: &Env, matter: &str) -> usize {
    env.json(&["matter", "show", matter])["steps"]
        .as_array()
        .unwrap()
        .len()
}

fn disclosures(env: &Env, client: &str) -> Vec<Value> {
    env.json(&["client", "disclosures", client])
        .as_array()
        .unwrap()
        .clone()
}

/// Delivers a package to an age key and returns (html, manifest bytes).
fn deliver_and_decrypt(env: &Env, pkg: &str, extra: &[&str]) -> (String, Vec<u8>) {
    let dir = out_dir(env);
    let (key, public) = age_identity(&dir);
    let mut args = vec![
        "package",
        "deliver",
        pkg,
        "--out",
        dir.to_str().unwrap(),
        "--recipient-key",
        &public,
    ];
    args.extend_from_slice(extra);
    let d = env.json(&args);
    let files: Vec<PathBuf> = d["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| PathBuf::from(f.as_str().unwrap()))
        .collect();
    assert_eq!(files.len(), 2);
    let html = String::from_utf8(age_decrypt(&key, &files[0])).unwrap();
    let manifest = age_decrypt(&key, &files[1]);
    let hash = hex(&sha2::Sha256::digest(&manifest));
    assert_eq!(d["manifest_sha256"], Value::from(hash));
    (html, manifest)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn ukcp_police_without_a_court_order_refused_and_documented() {
    for env in backends() {
        env.init();
        let c = env.ok(&[
            "client",
            "add",
            "--name",
            "Sam Okafor",
            "--dob",
            "1990-04-02",
        ]);
        env.ok(&[
            "note",
            "add",
            &c,
            "--text",
            "Sam spoke about an argument with a neighbour.",
        ]);
        let m = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "ukcp",
            "--request",
            "police",
            "--asks-for",
            "notes",
            "--requester",
            "DC Rowe, Leeds CID",
            "--arrived-at",
            "2026-11-20T10:15:00Z",
        ]);
        let rec = env.json(&["matter", "decide", &m]);
        assert_eq!(rec["decision"]["outcome"], "seek-consent", "[{}]", env.name);
        assert_eq!(rec["policy"], "ukcp");
        assert_eq!(rec["policy_sha256"].as_str().unwrap().len(), 64);
        assert!(!rec["decision"]["rules"].as_array().unwrap().is_empty());
        // Each fact says where it came from.
        let prov = rec["provenance"].as_array().unwrap();
        let age = prov.iter().find(|p| p["fact"] == "age").unwrap();
        assert_eq!(age["source"], "record");
        let co = prov.iter().find(|p| p["fact"] == "court_order").unwrap();
        assert_eq!(co["value"], false);
        // The client was asked and refused: the practitioner refuses the police.
        let common = [
            "--consulted",
            "clinical-supervisor=Dr Ann Lee",
            "--factor",
            "no court order or production order",
            "--factor",
            "the client refused consent when asked",
            "--why",
            "no legal obligation to disclose and no consent",
            "--told-how",
            "discussed in session on 2026-11-21",
        ];
        let mut no_reason = vec!["matter", "record", &m, "--outcome", "withhold"];
        no_reason.extend_from_slice(&common);
        env.refused(&no_reason, "differs from the recommendation");
        let mut with_reason = no_reason.clone();
        with_reason.extend_from_slice(&["--differs-reason", "consent was sought and refused"]);
        let record_id = env.ok(&with_reason);
        assert!(record_id.starts_with("mev_"));
        // Refused: nothing can be disclosed under a withhold record.
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "police",
                "--field",
                "name=identify",
            ],
            "discloses nothing",
        );
        let shown = env.json(&["matter", "show", &m]);
        assert_eq!(shown["decision_record"]["body"]["outcome"], "withhold");
        assert_eq!(
            shown["decision_record"]["body"]["recommended"],
            "seek-consent"
        );
        assert_eq!(
            shown["decision_record"]["body"]["consulted"][0]["name"],
            "Dr Ann Lee"
        );
        assert_eq!(
            shown["decision_record"]["signature"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
        let closed = close_attesting(&env, &m);
        let dd = closed["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["obligation"] == "document-decision")
            .unwrap();
        assert_eq!(dd["status"], "met-by-system");
        assert!(disclosures(&env, &c).is_empty());
        // Closed is closed.
        env.refused(
            &[
                "matter",
                "amend",
                &m,
                "--field",
                "why",
                "--correction",
                "x",
                "--reason",
                "y",
            ],
            "closed",
        );
        // The path is in the audit log, ids only.
        let tail = env.ok(&["audit", "tail", "-n", "200"]);
        for action in [
            "matter.open",
            "matter.decide",
            "matter.record",
            "matter.close",
        ] {
            assert!(tail.contains(action), "[{}] {action} not audited", env.name);
        }
        assert!(!tail.contains("Rowe") && !tail.contains("Okafor"));
    }
}

#[test]
fn ukcp_court_order_minimum_necessary_package_client_told() {
    for env in backends() {
        env.init();
        let c = env.ok(&[
            "client",
            "add",
            "--name",
            "Sam Okafor",
            "--dob",
            "1990-04-02",
            "--address",
            "12 Mill Lane, Leeds",
            "--postcode",
            "LS6 2AB",
        ]);
        let wanted = env.ok(&[
            "note",
            "add",
            &c,
            "--text",
            "Sam described the night of 3 March. His brother Daniel Price drove him home.",
        ]);
        env.ok(&[
            "note",
            "add",
            &c,
            "--text",
            "Sam talked about his childhood and his sister Grace.",
        ]);
        let m = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "ukcp",
            "--request",
            "court",
            "--asks-for",
            "notes",
            "--court-order",
            "--authority-reference",
            "T20267781",
            "--requester",
            "Leeds Crown Court",
        ]);
        let rec = env.json(&["matter", "decide", &m]);
        assert_eq!(rec["decision"]["outcome"], "disclose", "[{}]", env.name);
        env.ok(&[
            "matter",
            "record",
            &m,
            "--outcome",
            "disclose",
            "--consulted",
            "solicitor=Ms K. Shah (indemnity insurer)",
            "--factor",
            "court order T20267781 names the session of 3 March",
            "--why",
            "compelled by the order; only the named session",
            "--told-how",
            "letter and phone call",
            "--told-at",
            "2026-11-22T09:00:00Z",
        ]);
        // Nothing by default; only a recipient the decision names.
        env.refused(
            &["package", "build", &m, "--to", "court"],
            "nothing is selected",
        );
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "police",
                "--note",
                &format!("{wanted}=x"),
            ],
            "does not allow disclosure to police",
        );
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "court",
                "--note",
                &format!("{wanted}= "),
            ],
            "KEY=VALUE",
        );
        let built = env.json(&[
            "package",
            "build",
            &m,
            "--to",
            "court",
            "--recipient-name",
            "Leeds Crown Court",
            "--note",
            &format!("{wanted}=the session the order names"),
            "--field",
            "name=to identify the client to the court",
        ]);
        let pkg = built["package_id"].as_str().unwrap().to_owned();
        // The practitioner sees what was removed (a third party).
        let removed = built["removed"].as_array().unwrap();
        assert!(
            removed.iter().any(|r| r["original"] == "Daniel Price"),
            "{removed:?}"
        );
        let (html, manifest) = deliver_and_decrypt(&env, &pkg, &[]);
        assert!(html.contains("the night of 3 March"), "{html}");
        assert!(
            html.contains("Sam Okafor"),
            "the selected client detail is included"
        );
        assert!(
            !html.contains("Daniel"),
            "third parties are redacted: {html}"
        );
        assert!(!html.contains("childhood"), "unselected notes never leave");
        assert!(!html.contains("Mill Lane"));
        let manifest: Value = serde_json::from_slice(&manifest).unwrap();
        assert_eq!(manifest["recipient"], "court");
        assert_eq!(
            manifest["items"][0]["reason"],
            "the session the order names"
        );
        assert_eq!(manifest["mode"], "identifiable");
        // The accounting of disclosures has it, under the decision record.
        let ds = disclosures(&env, &c);
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0]["package_id"], Value::from(pkg.clone()));
        assert_eq!(ds[0]["what"]["recipient"], "court");
        let record_id = env.json(&["matter", "show", &m])["decision_record"]["id"].clone();
        assert_eq!(ds[0]["decision_record_id"], record_id);
        // Delivered once only.
        let dir = out_dir(&env);
        let (_, public) = age_identity(&dir);
        env.refused(
            &[
                "package",
                "deliver",
                &pkg,
                "--out",
                dir.to_str().unwrap(),
                "--recipient-key",
                &public,
            ],
            "already delivered",
        );
        let closed = close_attesting(&env, &m);
        let items = closed["checklist"].as_array().unwrap();
        let find = |o: &str| items.iter().find(|i| i["obligation"] == o).cloned();
        assert_eq!(
            find("minimum-necessary").unwrap()["status"],
            "met-by-system"
        );
        if let Some(ic) = find("inform-client") {
            assert_eq!(ic["status"], "met-by-system");
        }

        // Sam then asks for everything: the response holds every note,
        // the decision and the disclosure to the court (recipients are
        // part of the right of access), and no third party's name.
        let sar = env.ok(&["sar", "open", &c, "--wording", "everything you hold on me"]);
        let sar = sar.lines().next().unwrap().to_owned();
        // No fee by default: a fee without one of its grounds is refused
        // and writes nothing.
        let n = steps(&env, &sar);
        let o = env.run(&["sar", "fee", &sar, "--amount-pence", "1000", "--note", "x"]);
        assert_eq!(o.status.code(), Some(2), "[{}]", env.name);
        env.refused(
            &[
                "sar",
                "fee",
                &sar,
                "--amount-pence",
                "1000",
                "--reason",
                "admin-costs",
                "--note",
                "photocopying",
            ],
            "manifestly-unfounded",
        );
        assert_eq!(steps(&env, &sar), n, "[{}]", env.name);
        let dir = out_dir(&env);
        let (key, public) = age_identity(&dir);
        let file = env.ok(&[
            "sar",
            "respond",
            &sar,
            "--out",
            dir.to_str().unwrap(),
            "--recipient-key",
            &public,
        ]);
        let doc: Value =
            serde_json::from_slice(&age_decrypt(&key, Path::new(file.trim()))).unwrap();
        let text = doc.to_string();
        assert!(text.contains(&wanted), "[{}]", env.name);
        assert_eq!(doc["notes"].as_array().unwrap().len(), 2);
        assert!(text.contains("childhood"));
        let ds = doc["disclosures"].as_array().unwrap();
        assert_eq!(ds.len(), 1, "[{}]", env.name);
        assert_eq!(ds[0]["package"], Value::from(pkg.clone()));
        assert_eq!(ds[0]["what_to_whom"]["recipient"], "court");
        assert!(
            doc["decisions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d.to_string().contains(&m)),
            "the decision on the court's request is in the response"
        );
        // Not in the notes, nor in the decisions (the package's removed
        // spans with their originals are not carried into the response).
        assert!(
            !text.contains("Daniel"),
            "a third party is named: [{}]",
            env.name
        );
        assert!(
            !text.contains("Grace"),
            "a third party is named: [{}]",
            env.name
        );
        assert!(!doc["access_log"].as_array().unwrap().is_empty());
    }
}

#[test]
fn csrp_couple_one_partner_consents_only_their_material() {
    for env in backends() {
        env.init();
        let a = env.ok(&[
            "client",
            "add",
            "--name",
            "Alex Morgan",
            "--dob",
            "1985-01-10",
        ]);
        let b = env.ok(&[
            "client",
            "add",
            "--name",
            "Jordan Reeve",
            "--dob",
            "1987-06-30",
        ]);
        let case = env.ok(&[
            "case", "add", "--kind", "couple", "--party", &a, "--party", &b,
        ]);
        env.ok(&[
            "consent",
            "add",
            &a,
            "--purpose",
            "release-to-requester",
            "--form",
            "written",
            "--case",
            &case,
            "--given-at",
            "2026-11-01",
            "--evidence",
            "signed form in file 7",
        ]);
        env.ok(&[
            "consent",
            "add",
            &b,
            "--purpose",
            "release-to-requester",
            "--form",
            "written",
            "--status",
            "refused",
            "--case",
            &case,
        ]);
        let own = env.ok(&[
            "note",
            "add",
            &a,
            "--case",
            &case,
            "--text",
            "Alex said that Jordan Reeve had been shouting at home.",
        ]);
        let joint = env.ok(&[
            "note",
            "add",
            &a,
            "--case",
            &case,
            "--party",
            &a,
            "--party",
            &b,
            "--text",
            "Joint session: both partners discussed the finances.",
        ]);
        let partners = env.ok(&[
            "note",
            "add",
            &b,
            "--case",
            &case,
            "--text",
            "Jordan spoke alone about work.",
        ]);
        let m = env.ok(&[
            "matter",
            "open",
            &a,
            "--case",
            &case,
            "--policy",
            "csrp",
            "--request",
            "solicitor",
            "--asks-for",
            "notes",
            "--requester",
            "Hart & Co solicitors for Alex",
        ]);
        let rec = env.json(&["matter", "decide", &m]);
        assert_eq!(
            rec["decision"]["outcome"], "disclose",
            "[{}] {rec}",
            env.name
        );
        assert!(
            rec["decision"]["obligations"]
                .as_array()
                .unwrap()
                .contains(&Value::from("consenting-party-only"))
        );
        assert_eq!(rec["situation"]["client"]["arrangement"], "couple");
        let parties = rec["parties"].as_array().unwrap();
        assert_eq!(parties.len(), 2);
        assert!(
            parties
                .iter()
                .any(|p| p["client_id"] == a.as_str() && p["consenting"] == true)
        );
        assert!(
            parties
                .iter()
                .any(|p| p["client_id"] == b.as_str() && p["consenting"] == false)
        );
        env.ok(&[
            "matter",
            "record",
            &m,
            "--outcome",
            "disclose",
            "--consulted",
            "clinical-lead=R. Iqbal",
            "--factor",
            "Alex's written consent",
            "--factor",
            "Jordan refused consent",
            "--why",
            "CSRP 9: release the consenting client's material only",
            "--told-how",
            "told Alex by phone",
        ]);
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "solicitor",
                "--note",
                &format!("{joint}=joint"),
            ],
            "has not consented",
        );
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "solicitor",
                "--note",
                &format!("{partners}=x"),
            ],
            "has not consented",
        );
        let built = env.json(&[
            "package",
            "build",
            &m,
            "--to",
            "solicitor",
            "--note",
            &format!("{own}=Alex's own account"),
        ]);
        let pkg = built["package_id"].as_str().unwrap().to_owned();
        let (html, _) = deliver_and_decrypt(&env, &pkg, &[]);
        assert!(html.contains("shouting at home"), "{html}");
        assert!(
            !html.contains("Jordan") && !html.contains("Reeve"),
            "the other partner is de-identified: {html}"
        );
        assert!(!html.contains("finances") && !html.contains("alone about work"));
        assert_eq!(disclosures(&env, &a).len(), 1);
        assert!(disclosures(&env, &b).is_empty());
        close_attesting(&env, &m);
    }
}

#[test]
fn wwdd_suicide_risk_confirmed_emergency_recorded() {
    for env in backends() {
        env.init();
        let c = env.ok(&[
            "client",
            "add",
            "--name",
            "Robin Hale",
            "--dob",
            "1979-09-09",
            "--phone",
            "07700 900461",
        ]);
        env.ok(&[
            "note",
            "add",
            &c,
            "--text",
            "Robin said tonight they have pills saved and a plan.",
        ]);
        let m = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "wwdd-coaching",
            "--concern",
            "suicide",
            "--summary",
            "disclosed a plan in the session at 18:00",
        ]);
        // A fact that belongs to another kind of matter is refused.
        env.refused(&["matter", "decide", &m, "--crime", "theft"], "crime");
        let rec = env.json(&["matter", "decide", &m, "--imminent", "--confirmed"]);
        assert_eq!(rec["decision"]["outcome"], "emergency", "[{}]", env.name);
        let prov = rec["provenance"].as_array().unwrap();
        let imminent = prov.iter().find(|p| p["fact"] == "imminent").unwrap();
        assert_eq!(imminent["source"], "practitioner");
        assert_eq!(imminent["value"], true);
        env.ok(&[
            "matter",
            "record",
            &m,
            "--outcome",
            "emergency",
            "--factor",
            "a plan and the means, tonight",
            "--factor",
            "the client would not agree to a safety plan",
            "--why",
            "risk to life: call 999 now",
            "--told-how",
            "told Robin in the session that I was calling an ambulance",
        ]);
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "police",
                "--verbal",
                "--said",
                "x",
                "--to-whom",
                "y",
                "--means",
                "phone",
            ],
            "does not allow disclosure to police",
        );
        let pkg = env.json(&[
            "package",
            "build",
            &m,
            "--to",
            "emergency-services",
            "--verbal",
            "--said",
            "name, address, the plan and the means",
            "--to-whom",
            "ambulance control, 999",
            "--means",
            "telephone",
            "--at",
            "2026-11-20T18:07:00Z",
        ])["package_id"]
            .as_str()
            .unwrap()
            .to_owned();
        env.ok(&["package", "deliver", &pkg, "--verbal"]);
        let ds = disclosures(&env, &c);
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0]["what"]["means"], "telephone");
        assert_eq!(ds[0]["what"]["recipient"], "emergency-services");
        let closed = close_attesting(&env, &m);
        assert!(
            closed["checklist"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["obligation"] == "offer-support" && i["status"] == "attested")
        );
    }
}

#[test]
fn wwdd_supervision_deidentified_no_name_reaches_the_supervisor() {
    for env in backends() {
        env.init();
        let c = env.ok(&[
            "client",
            "add",
            "--name",
            "Priya Natarajan",
            "--dob",
            "1992-02-14",
            "--address",
            "4 Oak Street, Bristol",
            "--postcode",
            "BS3 4QT",
            "--email",
            "priya.n@example.org",
        ]);
        let n1 = env.ok(&[
            "note", "add", &c, "--text",
            "Priya Natarajan talked about her manager, Tom Hughes, at Avon Logistics. Priya feels stuck.",
        ]);
        let n2 = env.ok(&[
            "note", "add", &c, "--text",
            "Priya said Tom Hughes emailed her at priya.n@example.org on Sunday. She lives at 4 Oak Street, BS3 4QT.",
        ]);
        let m = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "wwdd-coaching",
            "--use",
            "supervision",
        ]);
        let rec = env.json(&["matter", "decide", &m]);
        assert_eq!(rec["decision"]["outcome"], "disclose");
        assert!(
            rec["decision"]["obligations"]
                .as_array()
                .unwrap()
                .contains(&Value::from("deidentify"))
        );
        env.ok(&[
            "matter",
            "record",
            &m,
            "--outcome",
            "disclose",
            "--factor",
            "supervision is part of the service agreement",
            "--why",
            "to get support with a stuck coaching relationship",
            "--not-told-because",
            "covered by the coaching agreement; nothing identifying leaves",
        ]);
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "supervisor",
                "--field",
                "name=x",
            ],
            "de-identified package cannot include",
        );
        let built = env.json(&[
            "package",
            "build",
            &m,
            "--to",
            "supervisor",
            "--note",
            &format!("{n1}=the manager relationship"),
            "--note",
            &format!("{n2}=the contact at the weekend"),
        ]);
        let pkg = built["package_id"].as_str().unwrap().to_owned();
        let removed: Vec<String> = built["removed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["original"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            removed.iter().any(|r| r.contains("Tom Hughes")),
            "{removed:?}"
        );
        // Release only after review.
        let dir = out_dir(&env);
        let (_, public) = age_identity(&dir);
        env.refused(
            &[
                "package",
                "deliver",
                &pkg,
                "--out",
                dir.to_str().unwrap(),
                "--recipient-key",
                &public,
            ],
            "--reviewed",
        );
        let (html, manifest) = deliver_and_decrypt(&env, &pkg, &["--reviewed"]);
        let manifest = String::from_utf8(manifest).unwrap();
        for name in [
            "Priya",
            "Natarajan",
            "Tom",
            "Hughes",
            "Oak Street",
            "BS3",
            "example.org",
            &c,
        ] {
            assert!(
                !html.contains(name),
                "[{}] {name} reached the supervisor: {html}",
                env.name
            );
            assert!(
                !manifest.contains(name),
                "[{}] {name} in the manifest",
                env.name
            );
        }
        assert!(html.contains("feels stuck"));
        let ds = disclosures(&env, &c);
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0]["what"]["mode"], "deidentified");
        close_attesting(&env, &m);
    }
}

#[test]
fn handcrafted_verbal_only_no_file() {
    for env in backends() {
        env.init();
        let c = env.ok(&[
            "client",
            "add",
            "--name",
            "Lee Carter",
            "--dob",
            "1968-03-03",
        ]);
        let n = env.ok(&[
            "note",
            "add",
            &c,
            "--text",
            "Lee described killing a man in 1994.",
        ]);
        // Handcrafted asks consent first ("in the first instance encourage
        // them ... or get their consent"); the breach follows a refusal of a
        // confirmed risk.
        env.ok(&[
            "consent",
            "add",
            &c,
            "--purpose",
            "release-to-requester",
            "--form",
            "verbal",
            "--status",
            "refused",
        ]);
        let m = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "handcrafted",
            "--concern",
            "crime",
        ]);
        let rec = env.json(&["matter", "decide", &m, "--crime", "murder", "--confirmed"]);
        assert_eq!(rec["decision"]["outcome"], "disclose", "[{}]", env.name);
        assert!(
            rec["decision"]["obligations"]
                .as_array()
                .unwrap()
                .contains(&Value::from("verbal-only"))
        );
        env.ok(&[
            "matter",
            "record",
            &m,
            "--outcome",
            "disclose",
            "--consulted-anonymously",
            "line-manager",
            "--factor",
            "disclosure of a murder",
            "--factor",
            "Handcrafted: police, verbally, need to know",
            "--why",
            "a serious crime must be reported",
            "--not-told-because",
            "telling Lee first could tip him off",
        ]);
        let shown = env.json(&["matter", "show", &m]);
        let consulted = &shown["decision_record"]["body"]["consulted"][0];
        assert_eq!(consulted["anonymously"], true);
        assert!(consulted.get("name").is_none());
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "police",
                "--note",
                &format!("{n}=the disclosure"),
            ],
            "verbal only",
        );
        let pkg = env.json(&[
            "package",
            "build",
            &m,
            "--to",
            "police",
            "--verbal",
            "--said",
            "a client disclosed a killing in 1994; name and date of birth given",
            "--to-whom",
            "DS Patel, West Yorkshire Police",
            "--means",
            "telephone",
        ])["package_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let dir = out_dir(&env);
        env.refused(
            &[
                "package",
                "deliver",
                &pkg,
                "--out",
                dir.to_str().unwrap(),
                "--recipient-key",
                "age1qqqq",
            ],
            "verbal only",
        );
        env.ok(&["package", "deliver", &pkg, "--verbal"]);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "no file is produced"
        );
        let ds = disclosures(&env, &c);
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0]["what"]["mode"], "verbal");
        assert!(ds[0]["what"]["files"].as_array().unwrap().is_empty());
        let closed = close_attesting(&env, &m);
        let vo = closed["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["obligation"] == "verbal-only")
            .unwrap()
            .clone();
        assert_eq!(vo["status"], "met-by-system");
    }
}

#[test]
fn iapt_progress_follows_consent_and_its_withdrawal() {
    for env in backends() {
        env.init();
        let c = env.ok(&[
            "client",
            "add",
            "--name",
            "Casey Brook",
            "--dob",
            "1996-07-21",
        ]);
        let consent = env.ok(&[
            "consent",
            "add",
            &c,
            "--purpose",
            "share-progress",
            "--form",
            "application-form",
            "--given-at",
            "2026-09-01",
        ]);
        let n = env.ok(&[
            "note",
            "add",
            &c,
            "--text",
            "Casey passed the second case study with a merit.",
        ]);
        let m = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "iapt-training",
            "--request",
            "clinical-lead",
            "--asks-for",
            "progress",
        ]);
        let rec = env.json(&["matter", "decide", &m]);
        assert_eq!(rec["decision"]["outcome"], "disclose", "[{}]", env.name);
        assert_eq!(rec["situation"]["consents"][0]["status"], "given");
        env.ok(&[
            "matter",
            "record",
            &m,
            "--outcome",
            "disclose",
            "--factor",
            "consent on the application form",
            "--why",
            "routine progress sharing",
            "--told-how",
            "the programme handbook",
        ]);
        let pkg = env.json(&[
            "package",
            "build",
            &m,
            "--to",
            "clinical-lead",
            "--note",
            &format!("{n}=marks"),
        ])["package_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (html, _) = deliver_and_decrypt(&env, &pkg, &[]);
        assert!(html.contains("merit"));
        close_attesting(&env, &m);
        // The trainee withdraws consent: the next request is withheld, and
        // a decision dated before the withdrawal still sees it given.
        env.ok(&["consent", "withdraw", &consent, "--at", "2026-11-10"]);
        let m2 = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "iapt-training",
            "--request",
            "clinical-lead",
            "--asks-for",
            "progress",
        ]);
        let rec = env.json(&["matter", "decide", &m2]);
        assert_eq!(rec["decision"]["outcome"], "withhold");
        assert_eq!(rec["situation"]["consents"][0]["status"], "withdrawn");
        let rec = env.json(&["matter", "decide", &m2, "--on", "2026-10-01"]);
        assert_eq!(rec["decision"]["outcome"], "disclose");
        // The latest recommendation stands until the record is signed.
        let rec = env.json(&["matter", "decide", &m2]);
        assert_eq!(rec["decision"]["outcome"], "withhold");
        env.ok(&[
            "matter",
            "record",
            &m2,
            "--outcome",
            "withhold",
            "--factor",
            "consent withdrawn on 2026-11-10",
            "--why",
            "no basis to share",
            "--told-how",
            "email",
        ]);
        close_attesting(&env, &m2);
        assert_eq!(disclosures(&env, &c).len(), 1);
        // IAPT supervision is de-identified too.
        let m3 = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "iapt-training",
            "--use",
            "supervision",
        ]);
        let rec = env.json(&["matter", "decide", &m3]);
        assert!(
            rec["decision"]["obligations"]
                .as_array()
                .unwrap()
                .contains(&Value::from("deidentify"))
        );
    }
}

#[test]
fn bad_input_is_refused_and_writes_nothing() {
    for env in backends() {
        env.init();
        let c = env.ok(&[
            "client",
            "add",
            "--name",
            "Jamie Fox",
            "--dob",
            "1990-01-01",
            "--address",
            "22 Canal Road, Leeds",
            "--postcode",
            "LS12 3PL",
            "--protected",
        ]);
        let n = env.ok(&[
            "note",
            "add",
            &c,
            "--text",
            "Jamie now lives at 22 Canal Road in Leeds, LS12 3PL, away from her ex-partner.",
        ]);
        let unknown = "cl_0123456789abcdef0123456789abcdef";
        env.refused(
            &[
                "matter",
                "open",
                unknown,
                "--policy",
                "ukcp",
                "--concern",
                "suicide",
            ],
            "unknown client",
        );
        env.refused(
            &[
                "matter",
                "open",
                &c,
                "--policy",
                "nope",
                "--concern",
                "suicide",
            ],
            "unknown policy",
        );
        env.refused(
            &["matter", "open", &c, "--policy", "ukcp"],
            "exactly one of",
        );
        env.refused(
            &[
                "matter",
                "open",
                &c,
                "--policy",
                "ukcp",
                "--request",
                "court",
                "--asks-for",
                "notes",
                "--court-order",
            ],
            "reference",
        );
        let m = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "ukcp",
            "--request",
            "court",
            "--asks-for",
            "notes",
            "--court-order",
            "--authority-reference",
            "F-9/2026",
        ]);
        env.refused(
            &[
                "matter",
                "record",
                &m,
                "--outcome",
                "disclose",
                "--factor",
                "f",
                "--why",
                "w",
                "--told-how",
                "h",
            ],
            "run `matter decide` first",
        );
        let rec = env.json(&["matter", "decide", &m]);
        assert_eq!(rec["situation"]["client"]["protected"], true);
        // A decision record without reasons.
        env.refused(
            &[
                "matter",
                "record",
                &m,
                "--outcome",
                "disclose",
                "--why",
                " ",
                "--factor",
                "f",
                "--told-how",
                "h",
            ],
            "--why",
        );
        env.refused(
            &[
                "matter",
                "record",
                &m,
                "--outcome",
                "disclose",
                "--why",
                "w",
                "--told-how",
                "h",
            ],
            "factors",
        );
        env.refused(
            &[
                "matter",
                "record",
                &m,
                "--outcome",
                "disclose",
                "--why",
                "w",
                "--factor",
                "f",
            ],
            "why the client was not told",
        );
        env.refused(
            &[
                "matter",
                "record",
                &m,
                "--outcome",
                "maybe",
                "--why",
                "w",
                "--factor",
                "f",
                "--told-how",
                "h",
            ],
            "outcome",
        );
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "court",
                "--note",
                &format!("{n}=x"),
            ],
            "no signed decision record",
        );
        env.ok(&[
            "matter",
            "record",
            &m,
            "--outcome",
            "disclose",
            "--factor",
            "family court order",
            "--why",
            "compelled",
            "--told-how",
            "in person",
        ]);
        let before = env.json(&["matter", "show", &m])["decision_record"].clone();
        // An amendment that tries to change the signed record in place.
        env.refused(
            &[
                "matter",
                "record",
                &m,
                "--outcome",
                "withhold",
                "--factor",
                "f",
                "--why",
                "w",
                "--told-how",
                "h",
                "--differs-reason",
                "r",
            ],
            "cannot be changed in place",
        );
        env.refused(
            &[
                "matter",
                "amend",
                &m,
                "--field",
                "outcome",
                "--correction",
                " ",
                "--reason",
                "r",
            ],
            "--correction",
        );
        env.refused(
            &[
                "matter",
                "amend",
                &m,
                "--field",
                "colour",
                "--correction",
                "c",
                "--reason",
                "r",
            ],
            "unknown field",
        );
        env.ok(&[
            "matter",
            "amend",
            &m,
            "--field",
            "factors",
            "--correction",
            "also considered: the order is from the family court",
            "--reason",
            "omitted at first",
        ]);
        let after = env.json(&["matter", "show", &m]);
        assert_eq!(
            after["decision_record"], before,
            "the signed record is unchanged"
        );
        assert_eq!(after["amendments"].as_array().unwrap().len(), 1);
        // A protected client's whereabouts never leave.
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "court",
                "--field",
                "address=for the order",
            ],
            "protected person",
        );
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "court",
                "--field",
                "postcode=for the order",
            ],
            "protected person",
        );
        env.refused(
            &[
                "package",
                "build",
                &m,
                "--to",
                "court",
                "--note",
                "note_0123456789abcdef0123456789abcdef=x",
            ],
            "not in this matter's record",
        );
        let built = env.json(&[
            "package",
            "build",
            &m,
            "--to",
            "court",
            "--note",
            &format!("{n}=the order"),
        ]);
        let html = built["html"].as_str().unwrap();
        for place in ["Canal Road", "LS12", "Leeds"] {
            assert!(
                !html.contains(place),
                "{place} left in a protected person's package: {html}"
            );
        }
        env.refused(
            &["matter", "close", &m, "--attest", "no-fee=x"],
            "not an obligation on this matter",
        );
        env.refused(&["matter", "close", &m], "unmet obligations");
        env.refused(
            &["matter", "close", &m, "--unmet", "minimum-necessary"],
            "KEY=VALUE",
        );
    }
}

#[test]
fn a_crash_mid_build_or_delivery_leaves_no_half_recorded_disclosure() {
    for env in backends() {
        env.init();
        let c = env.ok(&[
            "client",
            "add",
            "--name",
            "Kit Ellis",
            "--dob",
            "1980-05-05",
        ]);
        let n = env.ok(&[
            "note",
            "add",
            &c,
            "--text",
            "Kit described the assault on 2 May.",
        ]);
        let m = env.ok(&[
            "matter",
            "open",
            &c,
            "--policy",
            "ukcp",
            "--request",
            "court",
            "--asks-for",
            "notes",
            "--court-order",
            "--authority-reference",
            "S-1",
        ]);
        env.ok(&["matter", "decide", &m]);
        env.ok(&[
            "matter",
            "record",
            &m,
            "--outcome",
            "disclose",
            "--factor",
            "order",
            "--why",
            "compelled",
            "--told-how",
            "phone",
        ]);
        let crash = |args: &[&str], kind: &str| {
            let before = env.audit_count();
            let o = env
                .cmd(args)
                .env("CONFIDANT_FAULT", format!("abort-before-commit:{kind}"))
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(!o.status.success(), "[{}] the fault did not fire", env.name);
            assert_eq!(o.status.code(), None, "killed by a signal, as a crash");
            env.assert_only_reads_since(before, args);
        };
        let n_steps = steps(&env, &m);
        let build = [
            "package",
            "build",
            &m,
            "--to",
            "court",
            "--note",
            &format!("{n}=the order"),
        ];
        crash(&build, "package-built");
        assert_eq!(steps(&env, &m), n_steps, "no half-built package");
        let pkg = env.json(&build)["package_id"].as_str().unwrap().to_owned();
        let dir = out_dir(&env);
        let (key, public) = age_identity(&dir);
        let deliver = [
            "package",
            "deliver",
            &pkg,
            "--out",
            dir.to_str().unwrap(),
            "--recipient-key",
            &public,
        ];
        crash(&deliver, "package-delivered");
        assert!(
            disclosures(&env, &c).is_empty(),
            "[{}] no half-recorded disclosure",
            env.name
        );
        let shown = env.json(&["package", "show", &pkg]);
        assert_eq!(shown["delivered"], false);
        let finals: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".age"))
            .collect();
        assert!(
            finals.is_empty(),
            "no file under its final name: {finals:?}"
        );
        // Delivering again works and is recorded once.
        let d = env.json(&deliver);
        let html = age_decrypt(&key, Path::new(d["files"][0].as_str().unwrap()));
        assert!(String::from_utf8(html).unwrap().contains("assault"));
        assert_eq!(disclosures(&env, &c).len(), 1);
    }
}

#[test]
fn the_record_around_a_matter_and_its_listings_are_audited() {
    for env in backends() {
        env.init();
        let p = env.ok(&[
            "practitioner",
            "add",
            "--name",
            "Pat Quinn",
            "--role",
            "practitioner",
            "--role",
            "supervisor",
        ]);
        let shown = env.json(&["practitioner", "show", &p]);
        assert_eq!(
            shown["roles"],
            serde_json::json!(["practitioner", "supervisor"])
        );
        env.refused(
            &["practitioner", "add", "--name", "X", "--role", "boss"],
            "role",
        );
        let c = env.ok(&[
            "client",
            "add",
            "--name",
            "Riley Stone",
            "--dob",
            "2012-05-01",
        ]);
        let flags = env.json(&[
            "client",
            "flags",
            &c,
            "--work-ended",
            "true",
            "--capacity-concern",
            "true",
        ]);
        assert_eq!(flags["work_ended"], true);
        assert_eq!(flags["protected"], false);
        env.refused(&["client", "flags", &c], "no flag to change");
        let case = env.json(&["case", "add", "--kind", "individual", "--party", &c])["case_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(env.json(&["case", "show", &case])["kind"], "individual");
        env.refused(
            &["case", "add", "--kind", "couple", "--party", &c],
            "parties",
        );
        env.refused(
            &[
                "case", "add", "--kind", "couple", "--party", &c, "--party", &c,
            ],
            "named twice",
        );
        env.ok(&[
            "note",
            "add",
            &c,
            "--case",
            &case,
            "--author",
            &p,
            "--text",
            "Riley came with her mum.",
        ]);
        env.ok(&["hold", "add", &c, "--reason", "complaint"]);
        let m = env.ok(&[
            "matter",
            "open",
            &c,
            "--case",
            &case,
            "--policy",
            "handcrafted",
            "--concern",
            "self-harm",
        ]);
        // A capacity concern on the record needs an assessment for this decision.
        env.refused(&["matter", "decide", &m, "--on", "2026-11-30"], "capacity");
        let rec = env.json(&[
            "matter",
            "decide",
            &m,
            "--on",
            "2026-11-30",
            "--capacity",
            "assessed",
            "--assessed-by",
            "Pat Quinn",
            "--assessed-at",
            "2026-11-30T10:00:00Z",
        ]);
        assert_eq!(rec["situation"]["client"]["age"], 14);
        assert_eq!(rec["situation"]["client"]["relationship"], "ended");
        assert_eq!(rec["situation"]["client"]["capacity"], "assessed");
        let cap = rec["provenance"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["fact"] == "capacity")
            .unwrap()
            .clone();
        assert_eq!(cap["source"], "matter");
        let listed = env.json(&["matter", "list", &c]);
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["status"], "decided");
        env.ok(&["hold", "list", &c]);
        env.json(&["client", "disclosures", &c]);
        let tail = env.ok(&["audit", "tail", "-n", "20"]);
        for action in [
            "practitioner.read",
            "matter.list",
            "legal_hold.list",
            "disclosure.list",
        ] {
            assert!(
                tail.contains(action),
                "[{}] {action} not audited: {tail}",
                env.name
            );
        }
        assert!(!tail.contains("Riley") && !tail.contains("Pat Quinn"));
    }
}
