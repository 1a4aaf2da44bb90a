//! `confidant consent export --fhir`: a stored client's consents as a FHIR
//! R4 Bundle, read through the audited store path.

// Test code: a panic is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn confidant(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confidant"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("CONFIDANT_PASSPHRASE")
        .env_remove("CONFIDANT_DATABASE_URL")
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_stored_clients_consents_export_as_a_fhir_bundle() {
    let dir = std::env::temp_dir().join(format!("confidant-fhir-cli-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let data = dir.join("data");
    ok(confidant(&data, &["init"]));
    let client = ok(confidant(
        &data,
        &["client", "add", "--name", "Robin Example"],
    ));
    let other = ok(confidant(&data, &["client", "add", "--name", "Sam Other"]));
    ok(confidant(
        &data,
        &[
            "consent",
            "add",
            &client,
            "--purpose",
            "research",
            "--form",
            "written",
        ],
    ));
    ok(confidant(
        &data,
        &[
            "consent",
            "add",
            &client,
            "--purpose",
            "publication",
            "--form",
            "verbal",
            "--status",
            "refused",
        ],
    ));
    ok(confidant(
        &data,
        &[
            "consent",
            "add",
            &other,
            "--purpose",
            "training",
            "--form",
            "written",
        ],
    ));
    let out = ok(confidant(
        &data,
        &["consent", "export", "--fhir", &client, "--policy", "csrp"],
    ));
    let bundle: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "only this client's consents");
    let statuses: Vec<&str> = entries
        .iter()
        .map(|e| e["resource"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["active", "rejected"]);
    assert!(!out.contains("Robin"));
    assert_eq!(
        entries[0]["resource"]["policy"][0]["uri"],
        "urn:confidant:policy:csrp"
    );
    if let Some(python) = std::env::var_os("CONFIDANT_FHIR_PYTHON") {
        let file = dir.join("bundle.json");
        std::fs::write(&file, &out).unwrap();
        let v = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../confidant-fhir/tests/validate_fhir.py"
            ))
            .arg(&file)
            .output()
            .unwrap();
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    }
    // No format chosen, or an unknown policy: exit 2, nothing printed.
    let out = confidant(&data, &["consent", "export", &client]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let out = confidant(
        &data,
        &["consent", "export", "--fhir", &client, "--policy", "nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    // The export read the record, so the log has grown and still verifies.
    assert!(ok(confidant(&data, &["audit", "verify"])).starts_with("ok "));
    std::fs::remove_dir_all(&dir).ok();
}
