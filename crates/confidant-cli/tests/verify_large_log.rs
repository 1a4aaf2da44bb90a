//! `audit verify` on a log large enough that the SQLite store checks it in
//! packed chunks and in two halves in parallel (a fast path that may only
//! ever say "intact"). Every kind of tampering, placed in the first half, at
//! the join between the halves, in the second half and at the end, must
//! still be reported, naming the entry, exactly as the row-by-row check
//! reports it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on setup failure

use confidant_store::sqlx::{self, Connection};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_confidant");

/// Notes in the base store: one audit entry each, well over two chunks.
const NOTES: usize = 10_000;

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "confidant-verify-{tag}-{}-{nanos}",
        std::process::id()
    ))
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(data: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("CONFIDANT_DATA", data)
        .env_remove("CONFIDANT_ACTOR")
        .env_remove("CONFIDANT_PASSPHRASE")
        .env_remove("CONFIDANT_DATABASE_URL")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn ok(data: &Path, args: &[&str], stdin: Option<&[u8]>) -> String {
    let out = run(data, args, stdin);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A store with `NOTES` notes; returns it and its entry count.
fn base_store() -> (Dir, u64) {
    let dir = Dir(temp_dir("base"));
    ok(&dir.0, &["init"], None);
    let client = ok(&dir.0, &["client", "add", "--name", "Large Log"], None);
    let mut batch = String::new();
    for i in 0..NOTES {
        batch.push_str(&format!("{{\"text\": \"session {i}\"}}\n"));
    }
    ok(
        &dir.0,
        &["note", "add", &client, "--batch", "-", "--chunk", "2500"],
        Some(batch.as_bytes()),
    );
    let verdict = ok(&dir.0, &["audit", "verify"], None);
    let n = verdict
        .strip_prefix("ok ")
        .and_then(|s| s.strip_suffix(" entries"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(n > NOTES as u64, "{verdict}");
    (dir, n)
}

/// A copy of the base store with `sql` run against it behind its back.
fn tampered_copy(base: &Path, tag: &str, sql: &str) -> Dir {
    let dir = Dir(temp_dir(tag));
    std::fs::create_dir_all(&dir.0).unwrap();
    for f in std::fs::read_dir(base).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.0.join(f.file_name())).unwrap();
    }
    let db = dir.0.join("confidant.db");
    confidant_store::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&db)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
            let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            c.close().await.unwrap();
        });
    dir
}

#[test]
fn tampering_anywhere_in_a_large_log_is_reported_where_it_is() {
    let (base, n) = base_store();
    // Where the store splits the log (see ops.rs, verify_audit_packed):
    // the second half starts at entry `mid`.
    let mid = n / 2 + 1;
    let cases: Vec<(String, String, Vec<String>)> = vec![
        (
            "modified in the first half".into(),
            "UPDATE audit_entries SET actor = 'someone-else' WHERE seq = 1234".into(),
            vec!["entry 1234 ".into(), "modified".into()],
        ),
        (
            "modified, last entry of the first half".into(),
            format!(
                "UPDATE audit_entries SET actor = 'someone-else' WHERE seq = {}",
                mid - 1
            ),
            vec![format!("entry {} ", mid - 1), "modified".into()],
        ),
        (
            "modified, first entry of the second half".into(),
            format!("UPDATE audit_entries SET at = at + 1 WHERE seq = {mid}"),
            vec![format!("entry {mid} "), "modified".into()],
        ),
        (
            "prev_hash at the join replaced".into(),
            format!(
                "UPDATE audit_entries SET prev_hash = (SELECT hash FROM audit_entries WHERE seq = {}) WHERE seq = {mid}",
                mid - 2
            ),
            vec![format!("entry {mid} "), "modified".into()],
        ),
        (
            "deleted, last entry of the first half".into(),
            format!("DELETE FROM audit_entries WHERE seq = {}", mid - 1),
            vec![format!("entry {} ", mid - 1), "missing".into()],
        ),
        (
            "deleted, first entry of the second half".into(),
            format!("DELETE FROM audit_entries WHERE seq = {mid}"),
            vec![format!("entry {mid} "), "missing".into()],
        ),
        (
            "reordered in the second half".into(),
            format!(
                "UPDATE audit_entries SET seq = -1 WHERE seq = {a}; \
                 UPDATE audit_entries SET seq = {a} WHERE seq = {b}; \
                 UPDATE audit_entries SET seq = {b} WHERE seq = -1;",
                a = mid + 10,
                b = mid + 11
            ),
            vec![format!("entry {} ", mid + 10)],
        ),
        (
            "truncated".into(),
            format!("DELETE FROM audit_entries WHERE seq > {}", n - 2),
            vec!["truncated".into(), format!("ends at entry {}", n - 2)],
        ),
        (
            "hash cut short".into(),
            format!(
                "UPDATE audit_entries SET hash = substr(hash, 1, 31) WHERE seq = {}",
                mid + 3
            ),
            vec![format!("entry {} ", mid + 3), "malformed".into()],
        ),
        (
            "a field holding the packing separator".into(),
            "UPDATE audit_entries SET actor = actor || char(31) || 'x' WHERE seq = 77".into(),
            vec!["entry 77 ".into(), "modified".into()],
        ),
        (
            "an entry moved to the first half's end from the second".into(),
            format!(
                "DELETE FROM audit_entries WHERE seq = {a}; \
                 UPDATE audit_entries SET seq = {a} WHERE seq = {b};",
                a = mid - 1,
                b = mid + 1
            ),
            vec![format!("entry {} ", mid - 1)],
        ),
    ];
    for (what, sql, expect) in cases {
        let dir = tampered_copy(&base.0, "case", &sql);
        let out = run(&dir.0, &["audit", "verify"], None);
        let msg = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(1), "{what}: not detected: {msg}");
        for e in &expect {
            assert!(
                msg.contains(e.as_str()),
                "{what}: {msg:?} does not say {e:?}"
            );
        }
    }
}

#[test]
fn a_value_of_the_wrong_type_is_never_accepted() {
    let (base, n) = base_store();
    let mid = n / 2 + 1;
    // SQLite keeps whatever type it is given; a time that is not an
    // integer must not pass as one.
    let dir = tampered_copy(
        &base.0,
        "type",
        &format!(
            "UPDATE audit_entries SET at = 'x' || at WHERE seq = {}",
            mid + 7
        ),
    );
    let out = run(&dir.0, &["audit", "verify"], None);
    assert_ne!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
