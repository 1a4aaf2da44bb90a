//! What the service promised, through the command line (SQLite; the
//! application layer's tests in confidant-service run both backends):
//! `policy check` reads the last review recorded in the store, `client
//! show` shows the destruction due date and the promises, complaints hold
//! the record.

// Test code: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

struct Env {
    data: PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

impl Env {
    fn new(name: &str) -> Env {
        let data = std::env::temp_dir().join(format!(
            "confidant-promises-cli-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&data);
        let env = Env { data };
        let o = env.run(&["init"]);
        assert!(o.status.success(), "{}", stderr(&o));
        env
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_confidant"))
            .args(args)
            .env("CONFIDANT_DATA", &self.data)
            .env_remove("CONFIDANT_DATABASE_URL")
            .env_remove("CONFIDANT_ACTOR")
            .env_remove("CONFIDANT_POLICY")
            .env("CONFIDANT_TIME_ZONE", "Europe/London")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o).trim().to_owned()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn policy_check_reads_the_last_recorded_review() {
    let env = Env::new("review");
    let check = |today: &str| env.run(&["policy", "check", "handcrafted", "--today", today]);
    let o = check("2026-06-01");
    assert!(stdout(&o).contains("no-recorded-review"), "{}", stdout(&o));

    env.ok(&[
        "policy",
        "review",
        "handcrafted",
        "--approved-by",
        "the Trustees",
        "--on",
        "2026-01-10",
    ]);
    let o = check("2026-06-01");
    let out = stdout(&o);
    assert!(!out.contains("overdue-review"), "{out}");
    assert!(!out.contains("no-recorded-review"), "{out}");
    // Twelve months on, overdue: a warning naming the approver.
    let o = check("2027-01-11");
    let out = stdout(&o);
    assert!(out.contains("warning[overdue-review]"), "{out}");
    assert!(out.contains("the Trustees"), "{out}");
    let strict = env.run(&[
        "policy",
        "check",
        "handcrafted",
        "--today",
        "2027-01-11",
        "--strict",
    ]);
    assert_eq!(strict.status.code(), Some(1));
    // A future review date is refused (exit 2), nothing recorded.
    let bad = env.run(&[
        "policy",
        "review",
        "handcrafted",
        "--approved-by",
        "the Trustees",
        "--on",
        "2999-01-01",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stdout(&check("2027-01-11")).contains("overdue-review"));
}

#[test]
fn client_show_has_the_due_date_limits_agreements_and_complaints() {
    let env = Env::new("show");
    let c = env.ok(&["client", "add", "--name", "Wren Calloway"]);
    let show = env.ok(&["client", "show", &c, "--policy", "wwdd-coaching"]);
    assert!(show.contains("destruction due: "), "{show}");
    assert!(show.contains("36 months after the last session"), "{show}");
    assert!(show.contains("not recorded as explained"), "{show}");
    let show = env.ok(&["client", "show", &c, "--policy", "ukcp"]);
    assert!(show.contains("(default)"), "{show}");

    assert_eq!(
        env.ok(&["client", "limits-missing", "--policy", "wwdd-coaching"]),
        format!("{c}  never")
    );
    env.ok(&[
        "client",
        "limits-given",
        &c,
        "--how",
        "video",
        "--policy",
        "wwdd-coaching",
    ]);
    assert_eq!(
        env.ok(&["client", "limits-missing", "--policy", "wwdd-coaching"]),
        ""
    );
    let bad = env.run(&["client", "limits-given", &c, "--how", "telepathy"]);
    assert_eq!(bad.status.code(), Some(2));

    env.ok(&[
        "client",
        "agreement",
        &c,
        "--party",
        "the member",
        "--party",
        "tutor",
        "--terms",
        "what is said in tutorials stays there",
    ]);
    let complaint = env.ok(&[
        "complaint",
        "open",
        &c,
        "--route",
        "professional-body",
        "--to",
        "RSPH",
        "--summary",
        "disclosure without consent",
    ]);
    let holds = env.ok(&["hold", "list", &c]);
    assert!(holds.contains("complaint"), "{holds}");
    // Released only by closing the complaint: `hold release` exits 2
    // naming the complaint, and the hold stands.
    let listed: serde_json::Value = serde_json::from_str(&holds).unwrap();
    let hold = listed[0]["id"].as_str().unwrap().to_owned();
    let o = env.run(&["hold", "release", &hold]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&complaint), "{}", stderr(&o));
    let after: serde_json::Value = serde_json::from_str(&env.ok(&["hold", "list", &c])).unwrap();
    assert!(after[0]["released_at"].is_null(), "{after}");
    let show = env.ok(&["client", "show", &c, "--policy", "wwdd-coaching"]);
    assert!(
        show.contains("limits of confidentiality explained"),
        "{show}"
    );
    assert!(show.contains("confidentiality agreement"), "{show}");
    assert!(show.contains("open (record held)"), "{show}");
    assert!(show.contains("legal hold: standing"), "{show}");
    env.ok(&[
        "complaint",
        "close",
        &c,
        &complaint,
        "--outcome",
        "resolved",
        "--note",
        "apology given",
    ]);
    let show = env.ok(&["client", "show", &c, "--policy", "wwdd-coaching"]);
    assert!(show.contains("Resolved"), "{show}");
    assert!(!show.contains("legal hold: standing"), "{show}");
    let listed = env.ok(&["complaint", "list", &c]);
    assert!(listed.contains(&complaint), "{listed}");
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["client", "show", &c, "--json"])).unwrap();
    assert_eq!(json["name"], "Wren Calloway");
    // uk-law by default: six years after the end of the work, which goes on.
    assert_eq!(json["retention"]["state"], "not-started");
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["client", "show", &c, "--json", "--policy", "ukcp"]))
            .unwrap();
    assert_eq!(json["retention"]["default_rule"], true);
}
