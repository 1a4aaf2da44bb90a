//! `confidant access`: validating a service's access policy and asking it.

// Test code: a panic is a test failure.
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn confidant(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_confidant"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_default_policy_checks_and_an_edited_one_is_validated() {
    let (code, out, _) = confidant(&["access", "check"]);
    assert_eq!(code, 0, "{out}");
    let dir = tempfile_dir();
    let good = dir.join("good.cedar");
    std::fs::write(&good, confidant_access_default()).unwrap();
    assert_eq!(confidant(&["access", "check", good.to_str().unwrap()]).0, 0);
    // A typo in an attribute name would otherwise never match, silently.
    let bad = dir.join("bad.cedar");
    std::fs::write(
        &bad,
        r#"permit (principal, action == Action::"view-notes", resource) when { principal in resource.asigned };"#,
    )
    .unwrap();
    let (code, out, _) = confidant(&["access", "check", bad.to_str().unwrap(), "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], false);
    let (code, _, err) = confidant(&[
        "access",
        "check",
        dir.join("missing.cedar").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn asking_the_policy() {
    let (code, out, _) = confidant(&[
        "access",
        "ask",
        "view-client-details",
        "--role",
        "supervisor",
        "--supervises",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "not allowed");
    let (_, out, _) = confidant(&[
        "access",
        "ask",
        "view-notes",
        "--role",
        "practitioner",
        "--break-glass",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["allowed"], true);
    assert_eq!(v["policies"][0], "practitioner-break-glass");
    let (code, _, err) = confidant(&["access", "ask", "view-notes", "--role", "superuser"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown role (expected one of: practitioner"),
        "{err}"
    );
    assert!(
        !err.contains("superuser"),
        "the bad value is not echoed: {err}"
    );
}

fn confidant_access_default() -> String {
    let (_, out, _) = confidant(&["access", "show"]);
    out
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("confidant-access-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
