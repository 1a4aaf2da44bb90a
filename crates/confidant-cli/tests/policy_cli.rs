//! The policy commands, run as a user runs them: `confidant decide`,
//! `confidant policy test|check|explain|show`. Runs every shared scenario
//! (../shared/scenarios, beside the repository) and the repository's own.

// Test code: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_confidant"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run confidant")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn shared_scenarios() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/scenarios"
    ));
    if p.is_dir() {
        Some(p)
    } else {
        println!("note: {} is absent; shared scenarios skipped", p.display());
        None
    }
}

fn repo_scenarios() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "confidant-policy-cli-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_all_pass(dir: &Path) {
    let o = run(&["policy", "test", dir.to_str().unwrap()]);
    let out = stdout(&o);
    let last = out.lines().last().unwrap_or_default().to_string();
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    let files = count_json(dir);
    assert_eq!(passed, files, "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("PASS ")).count(),
        files
    );
}

fn count_json(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            n += count_json(&p);
        } else if p.extension().is_some_and(|x| x == "json") {
            n += 1;
        }
    }
    n
}

#[test]
fn every_shared_scenario_passes() {
    if let Some(dir) = shared_scenarios() {
        assert_all_pass(&dir);
    }
}

#[test]
fn every_repository_scenario_passes() {
    let dir = repo_scenarios();
    assert_all_pass(&dir);
    // At least ten scenarios of our own per built-in policy.
    for name in [
        "iapt-training",
        "wwdd-coaching",
        "handcrafted",
        "ukcp",
        "csrp",
    ] {
        let n = count_json(&dir.join(name));
        assert!(n >= 10, "{name}: only {n} scenarios");
    }
}

#[test]
fn repository_scenarios_cite_their_clause() {
    let dir = repo_scenarios();
    for sub in std::fs::read_dir(&dir).unwrap() {
        let sub = sub.unwrap().path();
        for f in std::fs::read_dir(&sub).unwrap() {
            let f = f.unwrap().path();
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let source = v["source"].as_str().unwrap_or_default();
            assert!(
                source.contains(".txt") || source.starts_with("uk-law"),
                "{}: {source}",
                f.display()
            );
            assert!(v["expect"].is_object(), "{}", f.display());
        }
    }
}

#[test]
fn decide_prints_one_json_decision_with_sources() {
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(dir) = shared_scenarios() {
        files.extend(
            std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "json")),
        );
    }
    files.push(repo_scenarios().join("ukcp/police-with-consent.json"));
    for f in files {
        let o = run(&["decide", f.to_str().unwrap()]);
        assert!(o.status.success(), "{}: {}", f.display(), stderr(&o));
        let out = stdout(&o);
        assert_eq!(out.trim().lines().count(), 1, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["outcome"].is_string());
        assert!(v["obligations"].is_array());
        assert!(v["recipients"].is_array());
        let rules = v["rules"].as_array().unwrap();
        assert!(!rules.is_empty());
        for r in rules {
            assert!(r["id"].as_str().is_some_and(|s| !s.is_empty()));
            assert!(r["source"].as_str().is_some_and(|s| !s.is_empty()));
        }
    }
}

#[test]
fn decide_answers_the_shared_court_order_example() {
    let dir = tmp("court");
    let f = dir.join("court.json");
    std::fs::write(
        &f,
        r#"{"name": "court", "policy": "ukcp", "situation": {"client": {}, "consents": [], "event": {"kind": "request", "from": "court", "court_order": true, "asks_for": "notes"}}}"#,
    )
    .unwrap();
    let o = run(&["decide", f.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["outcome"], "disclose");
    assert!(
        v["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "court")
    );
    assert!(
        v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["source"].as_str().unwrap().contains("ukcp-guidance.txt"))
    );
}

#[test]
fn malformed_scenario_names_file_and_field_and_exits_2() {
    let dir = tmp("malformed");
    let f = dir.join("bad.json");
    std::fs::write(
        &f,
        r#"{"name": "x", "policy": "ukcp", "situation": {"client": {}, "consents": [], "event": {"kind": "request", "from": "neighbour", "court_order": false, "asks_for": "notes"}}}"#,
    )
    .unwrap();
    for args in [
        vec!["decide", f.to_str().unwrap()],
        vec!["policy", "test", dir.to_str().unwrap()],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains("bad.json"), "{err}");
        assert!(err.contains("situation.event.from"), "{err}");
    }
    std::fs::write(&f, r#"{"name": "x", "policy": "ukcp", "situaton": {}}"#).unwrap();
    let o = run(&["decide", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("situaton"), "{}", stderr(&o));
    std::fs::write(&f, r#"{"name": "x", "policy": "no-such-policy", "situation": {"event": {"kind": "use", "for": "research"}}}"#).unwrap();
    let o = run(&["decide", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("policy"), "{}", stderr(&o));
}

#[test]
fn failing_expectation_exits_1_with_the_reason() {
    let dir = tmp("failing");
    std::fs::write(
        dir.join("wrong.json"),
        r#"{"name": "wrong on purpose", "policy": "ukcp", "situation": {"event": {"kind": "request", "from": "police", "court_order": false, "asks_for": "notes"}}, "expect": {"outcome": "disclose"}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("right.json"),
        r#"{"name": "right", "policy": "ukcp", "situation": {"event": {"kind": "request", "from": "police", "court_order": false, "asks_for": "notes"}}, "expect": {"outcome": "seek-consent"}}"#,
    )
    .unwrap();
    let o = run(&["policy", "test", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL") && out.contains("expected outcome disclose, got seek-consent"),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some("1 passed, 1 failed"));
}

#[test]
fn scenario_may_name_a_policy_file() {
    let dir = tmp("policyfile");
    std::fs::write(
        dir.join("mine.toml"),
        r#"
[policy]
name = "mine"
title = "Mine"
owner = "Me"
source_document = "mine.txt"
extends = "uk-law"

[[rule]]
id = "family-never"
priority = 200
source = "mine.txt: family are never told"
outcome = "withhold"
when = { kind = "request", from = "family" }
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("s.json"),
        r#"{"name": "family with consent", "policy": "mine.toml", "situation": {"consents": [{"purpose": "release-to-requester", "form": "written", "status": "given"}], "event": {"kind": "request", "from": "family", "court_order": false, "asks_for": "notes"}}, "expect": {"outcome": "withhold"}}"#,
    )
    .unwrap();
    let o = run(&["policy", "test", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn check_reports_handcrafted_overdue_review() {
    let o = run(&["policy", "check", "handcrafted", "--today", "2026-11-23"]);
    let out = stdout(&o);
    assert!(
        out.contains("overdue-review") && out.contains("2024-08-03"),
        "{out}"
    );
    // An overdue review is a warning: the policy still works.
    assert_eq!(o.status.code(), Some(0), "{out}");
    let o = run(&[
        "policy",
        "check",
        "handcrafted",
        "--today",
        "2026-11-23",
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["policy", "check", "handcrafted", "--today", "2025-01-01"]);
    assert!(!stdout(&o).contains("overdue-review"));
}

#[test]
fn check_passes_every_builtin_without_errors() {
    for name in [
        "iapt-training",
        "wwdd-coaching",
        "handcrafted",
        "ukcp",
        "csrp",
        "uk-law",
    ] {
        let o = run(&["policy", "check", name, "--today", "2026-11-23"]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stdout(&o));
        assert!(!stdout(&o).contains("error["), "{name}: {}", stdout(&o));
    }
    let o = run(&["policy", "check", "ukcp", "--today", "2026-11-23"]);
    assert!(stdout(&o).contains("no-retention"));
    assert!(stdout(&o).contains("no-safeguarding-contact"));
}

#[test]
fn check_fails_a_broken_policy_file() {
    let dir = tmp("check");
    let f = dir.join("p.toml");
    let header = "[policy]\nname = \"p\"\ntitle = \"P\"\nowner = \"O\"\nsource_document = \"p.txt\"\nextends = \"uk-law\"\n";
    std::fs::write(
        &f,
        format!("{header}\n[[rule]]\nid = \"a\"\nsource = \"p.txt\"\noutcome = \"withold\"\n"),
    )
    .unwrap();
    let o = run(&["policy", "check", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("withold"), "{}", stdout(&o));
    std::fs::write(
        &f,
        format!(
            "{header}\n[[rule]]\nid = \"a\"\nsource = \"p.txt\"\noutcome = \"withhold\"\nwhen = {{ kind = \"request\", from = [\"police\", \"gp\"] }}\n\n[[rule]]\nid = \"b\"\nsource = \"p.txt\"\noutcome = \"seek-consent\"\nwhen = {{ kind = \"request\", asks_for = \"notes\" }}\n"
        ),
    )
    .unwrap();
    let o = run(&["policy", "check", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("contradiction"), "{}", stdout(&o));
    let o = run(&["policy", "check", "no-such-policy"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn explain_and_show() {
    let o = run(&["policy", "explain", "handcrafted"]);
    assert!(o.status.success());
    let md = stdout(&o);
    assert!(md.starts_with("# "), "{md}");
    assert!(md.contains("Safeguarding Officer"), "{md}");
    let o = run(&["policy", "explain", "wwdd-coaching", "--format", "html"]);
    assert!(o.status.success());
    let html = stdout(&o);
    assert!(html.contains("<html") && html.contains("3 years"), "{html}");
    assert!(html.contains("INLPTA"), "{html}");
    let o = run(&["policy", "show", "csrp"]);
    assert!(o.status.success());
    let show = stdout(&o);
    assert!(
        show.contains("csrp-one-partner-consents") && show.contains("Legal duties"),
        "{show}"
    );
    let o = run(&["policy", "explain", "nope"]);
    assert_eq!(o.status.code(), Some(2));
}
