//! Issue 8 (part B) attacks, each on SQLite and, when
//! `CONFIDANT_TEST_DATABASE_URL` is set, on a PostgreSQL database created
//! and dropped per test: a pre-destruction backup restored beside the
//! current keys, dead tuples and WAL, the blocked SQLite checkpoint, a
//! master.key holder re-signing the log without the signing key, a
//! replaced public key, rollback and replay against a published head, a
//! forged entry beyond the checkpoint, verify during concurrent writes,
//! the witness file, the authenticated actor, and the key-file defences.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_crypto::{KeyRing, MasterKey};
use confidant_store::sqlx::{self, Connection, Row};
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
    dbs: Vec<String>,
}

fn base_of(url: &str) -> &str {
    url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url)
}

impl Env {
    fn sqlite() -> Env {
        Env {
            name: "sqlite",
            data: std::env::temp_dir().join(unique("confidant-attack")),
            db_url: None,
            admin_url: None,
            dbs: Vec::new(),
        }
    }

    fn postgres(admin: &str) -> Env {
        let db = unique("confidant_attack");
        pg_admin(admin, &format!("CREATE DATABASE {db}"));
        Env {
            name: "postgres",
            data: std::env::temp_dir().join(unique("confidant-attack-pg")),
            db_url: Some(format!("{}/{db}", base_of(admin))),
            admin_url: Some(admin.to_owned()),
            dbs: vec![db],
        }
    }

    fn cmd_in(&self, data: &Path, db_url: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("CONFIDANT_DATA", data)
            .env_remove("CONFIDANT_ACTOR")
            .env_remove("CONFIDANT_PASSPHRASE")
            .env_remove("CONFIDANT_DATABASE_URL")
            .env_remove("CONFIDANT_AUDIT_WITNESS")
            .env_remove("CONFIDANT_AUDIT_SIGNING_KEY")
            .stdin(Stdio::null());
        if let Some(url) = db_url {
            c.env("CONFIDANT_DATABASE_URL", url);
        }
        c
    }

    fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_in(&self.data, self.db_url.as_deref(), args)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

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

    fn sqlite_path(&self) -> PathBuf {
        self.data.join("confidant.db")
    }

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

    /// A copy of the database as it is now (PostgreSQL: a database made
    /// from it as a template; SQLite: the files).
    fn backup(&mut self) -> Backup {
        match &self.admin_url {
            Some(admin) => {
                let copy = unique("confidant_backup");
                pg_admin(
                    admin,
                    &format!("CREATE DATABASE {copy} TEMPLATE {}", self.dbs[0]),
                );
                self.dbs.push(copy.clone());
                Backup::Postgres(format!("{}/{copy}", base_of(admin)))
            }
            None => {
                let dir = std::env::temp_dir().join(unique("confidant-backup"));
                std::fs::create_dir_all(&dir).unwrap();
                for suffix in ["", "-wal"] {
                    let from = PathBuf::from(format!("{}{suffix}", self.sqlite_path().display()));
                    if from.exists() {
                        std::fs::copy(&from, dir.join(format!("confidant.db{suffix}"))).unwrap();
                    }
                }
                Backup::Sqlite(dir)
            }
        }
    }

    /// Restores `backup` over the live database.
    fn restore(&mut self, backup: &Backup) {
        match (backup, &self.admin_url) {
            (Backup::Postgres(url), Some(admin)) => {
                let name = url.rsplit_once('/').unwrap().1.to_owned();
                let fresh = unique("confidant_restored");
                pg_admin(admin, &format!("CREATE DATABASE {fresh} TEMPLATE {name}"));
                self.dbs.push(fresh.clone());
                self.db_url = Some(format!("{}/{fresh}", base_of(admin)));
            }
            (Backup::Sqlite(dir), _) => {
                for suffix in ["-wal", "-shm"] {
                    let _ =
                        std::fs::remove_file(format!("{}{suffix}", self.sqlite_path().display()));
                }
                for suffix in ["", "-wal"] {
                    let from = dir.join(format!("confidant.db{suffix}"));
                    if from.exists() {
                        std::fs::copy(&from, format!("{}{suffix}", self.sqlite_path().display()))
                            .unwrap();
                    }
                }
            }
            _ => unreachable!(),
        }
    }

    fn master(&self) -> MasterKey {
        MasterKey::load(&self.data, None).unwrap()
    }
}

enum Backup {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Drop for Backup {
    fn drop(&mut self) {
        if let Backup::Sqlite(dir) = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn pg_admin(admin: &str, sql: &str) {
    rt().block_on(async {
        let mut c = sqlx::PgConnection::connect(admin).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    });
}

async fn sqlite_conn(path: &Path) -> sqlx::SqliteConnection {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(std::time::Duration::from_secs(5));
    sqlx::SqliteConnection::connect_with(&opts).await.unwrap()
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data);
        if let Some(admin) = &self.admin_url {
            for db in &self.dbs {
                pg_admin_quiet(admin, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
    }
}

fn pg_admin_quiet(admin: &str, sql: &str) {
    rt().block_on(async {
        if let Ok(mut c) = sqlx::PgConnection::connect(admin).await {
            let _ = sqlx::raw_sql(sql).execute(&mut c).await;
        }
    });
}

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

/// The signed head `audit verify` prints (on stderr).
fn head_of(env: &Env) -> String {
    let out = env.run(&["audit", "verify"]);
    assert!(out.status.success(), "[{}] {}", env.name, stdout(&out));
    stderr(&out)
        .lines()
        .find(|l| l.starts_with("head: confidant-audit-head"))
        .unwrap()
        .trim_start_matches("head: ")
        .to_owned()
}

// ------------------------------------------------------------ destruction

#[test]
fn a_backup_from_before_destruction_does_not_open_with_the_current_keys() {
    for mut env in backends() {
        env.ok(&["init"]);
        let a = env.ok(&["client", "add", "--name", "Carys Destroyed"]);
        env.ok(&[
            "note",
            "add",
            &a,
            "--text",
            "Carys said the word marmalade.",
        ]);
        let b = env.ok(&["client", "add", "--name", "Bryn Survivor"]);
        env.ok(&["note", "add", &b, "--text", "Bryn note."]);
        let wrapped_a = env.blobs(&format!(
            "SELECT wrapped FROM data_keys WHERE owner_id = '{a}'"
        ));
        let backup = env.backup();
        let out = env.ok(&[
            "client",
            "destroy",
            &a,
            "--reason",
            "retention period ended",
        ]);
        let cert: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(cert["key_generation_erased"], 1, "[{}]", env.name);
        assert_eq!(cert["key_generation_now"], 2);
        assert!(
            cert["storage"]["old_key_generation"]
                .as_str()
                .unwrap()
                .starts_with("erased"),
            "[{}] {cert}",
            env.name
        );
        assert!(
            cert["recovery_window"]
                .as_str()
                .unwrap()
                .contains("master.key")
        );
        // The survivor still opens in the live store.
        assert!(env.ok(&["note", "list", &b]).contains("Bryn note."));
        // The key file holds only the new generation: nothing that exists
        // opens the destroyed client's wrapped key.
        let ring = KeyRing::load(&env.data, &env.master()).unwrap().unwrap();
        assert_eq!(ring.generations(), vec![2]);
        assert!(ring.unwrap(&a, &wrapped_a[0]).is_err(), "[{}]", env.name);
        // The backup restored beside the current key files does not open.
        env.restore(&backup);
        let show = env.run(&["client", "show", &a]);
        assert!(!show.status.success(), "[{}] {}", env.name, stdout(&show));
        assert!(!stdout(&show).contains("Carys"));
        assert!(
            stderr(&show).contains("key generation"),
            "[{}] {}",
            env.name,
            stderr(&show)
        );
        let notes = env.run(&["note", "list", &a]);
        assert!(!stdout(&notes).contains("marmalade"));
    }
}

#[test]
fn dead_tuples_and_wal_hold_nothing_any_existing_key_opens() {
    for env in backends() {
        env.ok(&["init"]);
        let a = env.ok(&["client", "add", "--name", "Dafydd Gone"]);
        env.ok(&["note", "add", &a, "--text", "a private note"]);
        let wrapped = env.blobs(&format!(
            "SELECT wrapped FROM data_keys WHERE owner_id = '{a}'"
        ));
        let out = env.ok(&["client", "destroy", &a, "--reason", "asked"]);
        let cert: serde_json::Value = serde_json::from_str(&out).unwrap();
        if env.db_url.is_some() {
            assert!(
                cert["storage"]["postgres_vacuum"]
                    .as_str()
                    .unwrap()
                    .starts_with("vacuumed"),
                "{cert}"
            );
        }
        // Whatever copies remain on disk (dead tuples, WAL, old pages),
        // the wrapped key does not open under any generation that exists,
        // nor under the master key's own (version 1) wrap.
        let ring = KeyRing::load(&env.data, &env.master()).unwrap().unwrap();
        let err = ring.unwrap(&a, &wrapped[0]).unwrap_err();
        assert!(err.to_string().contains("generation 1"), "{err}");
        assert!(confidant_crypto::unwrap_data_key(&env.master(), &a, &wrapped[0]).is_err());
    }
}

#[test]
fn a_blocked_sqlite_checkpoint_is_reported_as_pending() {
    let env = Env::sqlite();
    env.ok(&["init"]);
    let a = env.ok(&["client", "add", "--name", "Elin Reader"]);
    env.ok(&["note", "add", &a, "--text", "note under a reader"]);
    let path = env.sqlite_path();
    let rt = rt();
    let mut reader = rt.block_on(sqlite_conn(&path));
    rt.block_on(async {
        sqlx::raw_sql("BEGIN").execute(&mut reader).await.unwrap();
        sqlx::query("SELECT COUNT(*) FROM audit_entries")
            .fetch_one(&mut reader)
            .await
            .unwrap();
    });
    let out = env.ok(&["client", "destroy", &a, "--reason", "retention"]);
    let cert: serde_json::Value = serde_json::from_str(&out).unwrap();
    let wal = cert["storage"]["sqlite_wal"].as_str().unwrap();
    assert!(wal.starts_with("pending"), "{wal}");
    assert!(!out.contains("checkpointed and truncated"));
    rt.block_on(async {
        sqlx::raw_sql("COMMIT").execute(&mut reader).await.unwrap();
    });
    // Without the reader the next destruction truncates.
    let b = env.ok(&["client", "add", "--name", "Ffion Later"]);
    let out = env.ok(&["client", "destroy", &b, "--reason", "retention"]);
    drop(reader);
    let cert: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        cert["storage"]["sqlite_wal"]
            .as_str()
            .unwrap()
            .starts_with("checkpointed"),
        "{cert}"
    );
}

#[test]
fn the_certificate_is_stored_signed_tied_to_its_audit_entry_and_keeps_its_reason() {
    for env in backends() {
        env.ok(&["init"]);
        let a = env.ok(&["client", "add", "--name", "Gwen Certified"]);
        let printed: serde_json::Value = serde_json::from_str(&env.ok(&[
            "client",
            "destroy",
            &a,
            "--reason",
            "client asked under Article 17",
        ]))
        .unwrap();
        let shown: serde_json::Value =
            serde_json::from_str(&env.ok(&["client", "certificate", &a])).unwrap();
        let c = &shown[0];
        assert_eq!(
            c["reason"], "client asked under Article 17",
            "[{}]",
            env.name
        );
        assert_eq!(c["signature_valid"], true);
        assert_eq!(c["audit_entry_matches"], true);
        assert_eq!(c["audit_seq"], printed["audit_seq"]);
        assert_eq!(c["signature"], printed["signature"]);
        // The reason is sealed: not in the table in plaintext.
        let sealed = env.blobs("SELECT sealed FROM destruction_certificates");
        assert!(!sealed[0].windows(7).any(|w| w == b"Article"));
        // A forged certificate row fails its signature.
        env.exec("UPDATE destruction_certificates SET audit_seq = audit_seq - 1");
        let out = env.run(&["client", "certificate", &a]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "a forged certificate is a failed check"
        );
        let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(shown[0]["signature_valid"], false);
        assert_eq!(shown[0]["audit_entry_matches"], false);
        assert!(String::from_utf8_lossy(&out.stderr).contains("does not verify"));
    }
}

// ------------------------------------------------------------ audit

#[test]
fn a_master_key_holder_without_the_signing_key_cannot_re_sign_the_log() {
    for env in backends() {
        env.ok(&["init"]);
        let c = env.ok(&["client", "add", "--name", "Huw Audited"]);
        env.ok(&["client", "show", &c]);
        env.ok(&["client", "show", &c]);
        // Truncate the last two entries and re-make the HMAC checkpoint
        // with master.key, as its holder can.
        let master = env.master();
        let last = env.blobs("SELECT hash FROM audit_entries ORDER BY seq DESC LIMIT 3");
        let n = rt().block_on(async {
            match &env.db_url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    sqlx::query("SELECT count FROM audit_state")
                        .fetch_one(&mut c)
                        .await
                        .unwrap()
                        .get::<i64, _>(0)
                }
                None => {
                    let mut c = sqlite_conn(&env.sqlite_path()).await;
                    sqlx::query("SELECT count FROM audit_state")
                        .fetch_one(&mut c)
                        .await
                        .unwrap()
                        .get::<i64, _>(0)
                }
            }
        });
        let head: [u8; 32] = last[2].clone().try_into().unwrap();
        let cp = confidant_audit::Checkpoint::sign(&master.audit_key(), (n - 2) as u64, head);
        env.exec(&format!(
            "DELETE FROM audit_entries WHERE seq > {}; UPDATE audit_state SET count = {}, head_hash = {}, mac = {}",
            n - 2,
            n - 2,
            lit(&env, &cp.head_hash),
            lit(&env, &cp.mac)
        ));
        let v = env.run(&["audit", "verify"]);
        assert_eq!(v.status.code(), Some(1), "[{}] {}", env.name, stdout(&v));
        assert!(
            stdout(&v).contains("Ed25519 signature does not verify"),
            "{}",
            stdout(&v)
        );
        // Writes refuse too.
        let w = env.run(&["client", "add", "--name", "After Forgery"]);
        assert!(!w.status.success());
        // Signing with a key of their own and recording its public half:
        // caught against the pinned/held key.
        let own = confidant_crypto::AuditSigningKey::generate();
        let sig = confidant_audit::SignedHead::sign(&own, cp.count, cp.head_hash).signature;
        env.exec(&format!(
            "UPDATE audit_state SET sig = {}; UPDATE meta SET v = {} WHERE k = 'audit_public_key'",
            lit(&env, &sig),
            lit(&env, own.verifying_key().as_bytes())
        ));
        let v = env.run(&["audit", "verify"]);
        assert_eq!(v.status.code(), Some(1), "[{}] {}", env.name, stdout(&v));
        assert!(stdout(&v).contains("not the trusted one"), "{}", stdout(&v));
    }
}

fn lit(env: &Env, bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match env.db_url {
        Some(_) => format!("'\\x{hex}'::bytea"),
        None => format!("X'{hex}'"),
    }
}

#[test]
fn rollback_and_replay_are_caught_against_a_published_head() {
    for mut env in backends() {
        let witness = env.data.with_extension("witness");
        env.ok(&["init"]);
        env.ok(&["client", "add", "--name", "Iolo Rolled"]);
        let old = env.backup();
        let old_head = head_of(&env);
        // More work, each head appended to the witness file (`client
        // find`: one audited write per command; `client show` also reads
        // the retention position and the promises, three heads).
        for _ in 0..3 {
            let out = env
                .cmd(&["client", "find", "--name", "Iolo"])
                .env("CONFIDANT_AUDIT_WITNESS", &witness)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let published = std::fs::read_to_string(&witness).unwrap();
        assert_eq!(published.lines().count(), 3, "[{}]", env.name);
        let ok = env.run(&["audit", "verify", "--since", witness.to_str().unwrap()]);
        assert!(ok.status.success(), "[{}] {}", env.name, stdout(&ok));
        let ok = env.run(&["audit", "verify", "--since", &old_head]);
        assert!(ok.status.success(), "{}", stdout(&ok));
        // Whole-database rollback: verifies on its own (a genuine old
        // state), but not against the published head.
        env.restore(&old);
        assert!(env.run(&["audit", "verify"]).status.success());
        let v = env.run(&["audit", "verify", "--since", witness.to_str().unwrap()]);
        assert_eq!(v.status.code(), Some(1), "[{}] {}", env.name, stdout(&v));
        assert!(stdout(&v).contains("rolled back"), "{}", stdout(&v));
        // A forged head (signed by another key) is refused as such.
        let forged = published
            .lines()
            .last()
            .unwrap()
            .replace("sig=0", "sig=1")
            .replace("sig=a", "sig=b");
        let forged = if forged == published.lines().last().unwrap() {
            forged.replace("count=", "count=9")
        } else {
            forged
        };
        let v = env.run(&["audit", "verify", "--since", &forged]);
        assert_eq!(v.status.code(), Some(1), "{}", stdout(&v));
        let _ = std::fs::remove_file(&witness);
    }
}

#[test]
fn a_forged_entry_beyond_the_checkpoint_is_reported_as_tampering_not_a_database_error() {
    for env in backends() {
        env.ok(&["init"]);
        env.ok(&["client", "add", "--name", "Jac Forged"]);
        let zero = lit(&env, &[0u8; 32]);
        env.exec(&format!(
            "INSERT INTO audit_entries (seq, at, actor, action, record_ids, prev_hash, hash) \
             SELECT count + 1, 0, 'mallory', 'init', '', {zero}, {zero} FROM audit_state"
        ));
        for _ in 0..2 {
            let w = env.run(&["client", "add", "--name", "Next Write"]);
            assert_eq!(w.status.code(), Some(2), "[{}]", env.name);
            let e = stderr(&w);
            assert!(e.contains("audit verify"), "[{}] {e}", env.name);
            assert!(!e.contains("database error"), "{e}");
        }
        let v = env.run(&["audit", "verify"]);
        assert_eq!(v.status.code(), Some(1));
        assert!(stdout(&v).contains("audit entr"), "{}", stdout(&v));
    }
}

#[test]
fn verify_during_concurrent_writes_never_cries_wolf() {
    for env in backends() {
        env.ok(&["init"]);
        let c = env.ok(&["client", "add", "--name", "Kai Concurrent"]);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let stop = stop.clone();
            let mut cmd = env.cmd(&["note", "add", &c, "--batch", "-", "--chunk", "1"]);
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) && n < 200 {
                    let mut child = cmd
                        .stdin(Stdio::piped())
                        .stdout(Stdio::null())
                        .spawn()
                        .unwrap();
                    use std::io::Write;
                    let lines: String = (0..20)
                        .map(|i| format!("{{\"text\":\"n{i}\"}}\n"))
                        .collect();
                    child
                        .stdin
                        .take()
                        .unwrap()
                        .write_all(lines.as_bytes())
                        .unwrap();
                    assert!(child.wait().unwrap().success());
                    n += 1;
                }
            })
        };
        for _ in 0..40 {
            let v = env.run(&["audit", "verify"]);
            assert!(v.status.success(), "[{}] {}", env.name, stdout(&v));
        }
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap();
        assert!(env.run(&["audit", "verify"]).status.success());
    }
}

#[test]
fn the_actor_is_authenticated_not_taken_from_the_environment() {
    for env in backends() {
        env.ok(&["init"]);
        let bad = env
            .cmd(&["client", "add", "--name", "Lowri"])
            .env("CONFIDANT_ACTOR", "dr-who")
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(2));
        assert!(stderr(&bad).contains("registered practitioner"));
        let unknown = env
            .cmd(&["client", "add", "--name", "Lowri"])
            .env("CONFIDANT_ACTOR", "prac_0193a1b2c3d4e5f60718293a4b5c6d7e")
            .output()
            .unwrap();
        assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
        let p = env.ok(&[
            "practitioner",
            "add",
            "--name",
            "Dr Mair Jones",
            "--role",
            "practitioner",
        ]);
        let good = env
            .cmd(&["client", "add", "--name", "Lowri"])
            .env("CONFIDANT_ACTOR", &p)
            .output()
            .unwrap();
        assert!(good.status.success(), "{}", stderr(&good));
        let tail = env.ok(&["audit", "tail", "-n", "1"]);
        let e: serde_json::Value = serde_json::from_str(&tail).unwrap();
        assert_eq!(e["actor"], p.as_str());
        let first: serde_json::Value = serde_json::from_str(
            env.ok(&["audit", "tail", "-n", "100"])
                .lines()
                .next()
                .unwrap(),
        )
        .unwrap();
        assert!(first["actor"].as_str().unwrap().starts_with("operator:"));
    }
}

// ------------------------------------------------------------ keys and the process

#[test]
fn key_file_and_directory_defences() {
    for env in backends() {
        env.ok(&["init"]);
        let key = env.data.join("master.key");
        // A symlinked key file is refused.
        let real = env.data.with_extension("real-key");
        std::fs::rename(&key, &real).unwrap();
        std::os::unix::fs::symlink(&real, &key).unwrap();
        let out = env.run(&["client", "add", "--name", "Mali"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
        std::fs::remove_file(&key).unwrap();
        std::fs::rename(&real, &key).unwrap();
        // A data directory writable by the group is refused.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&env.data, std::fs::Permissions::from_mode(0o770)).unwrap();
        let out = env.run(&["client", "add", "--name", "Mali"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("group or others"), "{}", stderr(&out));
        std::fs::set_permissions(&env.data, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(
            env.run(&["client", "add", "--name", "Mali"])
                .status
                .success()
        );
    }
}

#[test]
fn a_weak_or_empty_passphrase_refuses_init_and_leaves_nothing_behind() {
    for env in backends() {
        for weak in ["", "short", "Password123456!", "aaaaaaaaaaaaaaaa"] {
            let out = env
                .cmd(&["init"])
                .env("CONFIDANT_PASSPHRASE", weak)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "[{}] {weak:?}", env.name);
            assert!(
                !env.data.exists(),
                "[{}] {weak:?} left {:?}",
                env.name,
                std::fs::read_dir(&env.data).map(|d| d.count())
            );
        }
        // From a file descriptor: the passphrase on stdin, --passphrase-fd 0.
        let mut child = env
            .cmd(&["init", "--passphrase-fd", "0"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"violet harbour engine 77\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let file = std::fs::read(env.data.join("master.key")).unwrap();
        // Argon2id m = 64 MiB, t = 3 for a new store.
        assert_eq!(&file[9..17], &[0, 1, 0, 0, 0, 0, 0, 3]);
        let add = env
            .cmd(&["client", "add", "--name", "Nia", "--passphrase-fd", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut add = add;
        add.stdin
            .take()
            .unwrap()
            .write_all(b"violet harbour engine 77")
            .unwrap();
        let out = add.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

#[test]
fn an_init_that_fills_the_disk_leaves_nothing_behind() {
    // A tiny tmpfs (needs root; skipped otherwise): the key file fits, the
    // database does not.
    let mount = std::env::temp_dir().join(unique("confidant-tiny"));
    std::fs::create_dir_all(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=48k", "tmpfs"])
        .arg(&mount)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        let _ = std::fs::remove_dir(&mount);
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let mut env = Env::sqlite();
    env.data = mount.join("data");
    let out = env.run(&["init"]);
    let leftover: Vec<String> = std::fs::read_dir(&mount)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let _ = Command::new("umount").arg(&mount).status();
    let _ = std::fs::remove_dir(&mount);
    env.data = std::env::temp_dir().join(unique("confidant-gone"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("disk is full"), "{}", stderr(&out));
    assert!(leftover.is_empty(), "left behind: {leftover:?}");
}

#[test]
fn an_init_that_fails_late_leaves_no_key_file_and_no_tables() {
    for env in backends() {
        // The signing key cannot be written: init fails after the schema
        // and the master key were made, and must undo both.
        let out = env
            .cmd(&["init"])
            .env(
                "CONFIDANT_AUDIT_SIGNING_KEY",
                "/nonexistent-dir/audit-signing.key",
            )
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "[{}] {}",
            env.name,
            stderr(&out)
        );
        assert!(!env.data.join("master.key").exists(), "[{}]", env.name);
        assert!(!env.sqlite_path().exists());
        if let Some(url) = &env.db_url {
            let n: i64 = rt().block_on(async {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query("SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()")
                    .fetch_one(&mut c)
                    .await
                    .unwrap()
                    .get(0)
            });
            assert_eq!(n, 0, "tables left behind");
        }
        // And it can simply be run again.
        env.ok(&["init"]);
        env.ok(&["client", "add", "--name", "Second Try"]);
    }
}

#[test]
fn store_verify_names_the_table_and_row_of_a_deleted_note_and_a_forged_consent() {
    for env in backends() {
        env.ok(&["init"]);
        let c = env.ok(&["client", "add", "--name", "Nia Verified"]);
        let n = env.ok(&["note", "add", &c, "--text", "Session about the allotment."]);
        let consent = env.ok(&[
            "consent",
            "add",
            &c,
            "--purpose",
            "research",
            "--form",
            "written",
        ]);
        let ok = env.run(&["store", "verify"]);
        assert!(ok.status.success(), "[{}] {}", env.name, stderr(&ok));
        assert!(stdout(&ok).starts_with("ok 1 clients"), "{}", stdout(&ok));
        // A consent's sealed facts replaced by random bytes: named by row.
        env.exec(&format!(
            "UPDATE consents SET meta_ct = {} WHERE id = '{consent}'",
            lit(&env, &[7u8; 60])
        ));
        let v = env.run(&["store", "verify"]);
        assert_eq!(v.status.code(), Some(1), "[{}]", env.name);
        assert_eq!(
            stdout(&v).lines().next().unwrap_or(""),
            format!(
                "tampered: record tampered: consents {consent}: the stored row does not match its MAC \
                 or the client's digest; run `confidant store verify` and restore from a backup"
            )
        );
        env.exec(&format!("DELETE FROM consents WHERE id = '{consent}'"));
        // The note deleted: the client's digest no longer matches.
        env.exec(&format!("DELETE FROM note_parties WHERE note_id = '{n}'"));
        env.exec(&format!("DELETE FROM notes WHERE id = '{n}'"));
        let v = env.run(&["store", "verify", "--json"]);
        assert_eq!(v.status.code(), Some(1), "[{}]", env.name);
        let j: serde_json::Value = serde_json::from_str(&stdout(&v)).unwrap();
        assert_eq!(j["ok"], false);
        assert!(
            j["problem"]
                .as_str()
                .unwrap()
                .starts_with(&format!("record tampered: client_digests {c}")),
            "{j}"
        );
        assert!(!stdout(&v).contains("allotment") && !stderr(&v).contains("Nia"));
        // Reads of that client refuse too (exit 2, the row named).
        let r = env.run(&["note", "list", &c]);
        assert_eq!(r.status.code(), Some(2));
        assert!(stderr(&r).contains(&format!("record tampered: client_digests {c}")));
    }
}
