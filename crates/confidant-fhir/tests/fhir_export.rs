// Test code: a panic is a test failure.
#![allow(clippy::unwrap_used)]

//! The FHIR export, checked by our own expectations and by an independent
//! FHIR R4 implementation (Python `fhir.resources` 6.1, FHIR 4.0.1) when one
//! is available: `.ci/run` creates it and sets `CONFIDANT_FHIR_PYTHON`; under
//! `CI` its absence is a failure, not a skip.

use confidant_core::ids::{ClientId, ConsentId};
use confidant_core::record::{Consent, Timestamp};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_fhir::consent_bundle;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s, "t").unwrap()
}

/// One consent of every purpose, form and status.
fn every_kind_of_consent(client: &ClientId) -> Vec<Consent> {
    let mut out = Vec::new();
    let mut n: u8 = 0;
    for purpose in ConsentPurpose::ALL {
        for status in ConsentStatus::ALL {
            let form = ConsentForm::ALL[usize::from(n) % ConsentForm::ALL.len()];
            n += 1;
            let given = matches!(status, ConsentStatus::Given | ConsentStatus::Withdrawn);
            out.push(Consent {
                id: ConsentId::from_bytes([n; 16]),
                client_id: client.clone(),
                case_id: None,
                purpose: *purpose,
                form,
                status: *status,
                recorded_at: ts("2026-11-02T10:00:00Z"),
                given_at: given.then(|| ts("2026-11-02T10:00:00Z")),
                withdrawn_at: (*status == ConsentStatus::Withdrawn)
                    .then(|| ts("2026-11-20T09:30:00Z")),
                evidence: Some("signed form in the paper file of Alex Example".into()),
            });
        }
    }
    out
}

#[test]
fn statuses_provisions_and_purposes_are_mapped() {
    let client = ClientId::from_bytes([7; 16]);
    let consents = every_kind_of_consent(&client);
    let bundle = consent_bundle(&client, &consents, "ukcp", ts("2026-12-01T09:00:00Z"));
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), consents.len());
    for (entry, consent) in entries.iter().zip(&consents) {
        let r = &entry["resource"];
        assert_eq!(r["resourceType"], "Consent");
        let id = r["id"].as_str().unwrap();
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        );
        assert!(entry["fullUrl"].as_str().unwrap().starts_with("urn:uuid:"));
        let (status, provision) = match consent.status {
            ConsentStatus::Given => ("active", Some("permit")),
            ConsentStatus::Refused => ("rejected", Some("deny")),
            ConsentStatus::Withdrawn => ("inactive", Some("permit")),
            ConsentStatus::NotAsked => ("draft", None),
        };
        assert_eq!(r["status"], status);
        assert_eq!(r["provision"]["type"].as_str(), provision);
        if consent.status == ConsentStatus::Withdrawn {
            assert_eq!(
                r["provision"]["period"]["end"],
                "2026-11-20T09:30:00.000000Z"
            );
        }
        let research = consent.purpose == ConsentPurpose::Research;
        assert_eq!(
            r["scope"]["coding"][0]["code"],
            if research {
                "research"
            } else {
                "patient-privacy"
            }
        );
        assert_eq!(r["extension"][0]["valueCode"], consent.form.as_str());
        assert_eq!(r["patient"]["identifier"]["value"], client.to_string());
    }
    // The evidence is free text that may name other people: never exported.
    assert!(!bundle.to_string().contains("Alex Example"));
}

#[test]
fn research_consent_carries_the_standard_purpose_code() {
    let client = ClientId::from_bytes([7; 16]);
    let consents: Vec<Consent> = every_kind_of_consent(&client)
        .into_iter()
        .filter(|c| c.purpose == ConsentPurpose::Research && c.status == ConsentStatus::Given)
        .collect();
    let bundle = consent_bundle(&client, &consents, "csrp", ts("2026-12-01T09:00:00Z"));
    let purposes = &bundle["entry"][0]["resource"]["provision"]["purpose"];
    let codes: Vec<&str> = purposes
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["research", "HRESCH"]);
}

#[test]
fn another_clients_consents_are_not_exported() {
    let client = ClientId::from_bytes([7; 16]);
    let other = ClientId::from_bytes([8; 16]);
    let consents = every_kind_of_consent(&other);
    let bundle = consent_bundle(&client, &consents, "ukcp", ts("2026-12-01T09:00:00Z"));
    assert_eq!(bundle["entry"].as_array().unwrap().len(), 0);
}

#[test]
fn an_independent_fhir_r4_implementation_accepts_the_bundle() {
    let Some(python) = std::env::var_os("CONFIDANT_FHIR_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CONFIDANT_FHIR_PYTHON must be set under CI (.ci/run creates the venv)"
        );
        eprintln!("skipped: set CONFIDANT_FHIR_PYTHON to a python with fhir.resources 6.1");
        return;
    };
    let client = ClientId::from_bytes([7; 16]);
    let bundle = consent_bundle(
        &client,
        &every_kind_of_consent(&client),
        "handcrafted",
        ts("2026-12-01T09:00:00Z"),
    );
    let dir = std::env::temp_dir().join(format!("confidant-fhir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bundle.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&bundle).unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/validate_fhir.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = format!("ok {}", bundle["entry"].as_array().unwrap().len());
    assert_eq!(stdout.trim(), expected);
    // A broken resource is rejected, so the check is not a rubber stamp.
    let mut broken = bundle.clone();
    broken["entry"][0]["resource"]["status"] = serde_json::json!("approved");
    std::fs::write(&file, serde_json::to_vec(&broken).unwrap()).unwrap();
    let out = std::process::Command::new(std::env::var_os("CONFIDANT_FHIR_PYTHON").unwrap())
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let mut broken = bundle;
    broken["entry"][0]["resource"]
        .as_object_mut()
        .unwrap()
        .remove("scope");
    std::fs::write(&file, serde_json::to_vec(&broken).unwrap()).unwrap();
    let out = std::process::Command::new(std::env::var_os("CONFIDANT_FHIR_PYTHON").unwrap())
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    std::fs::remove_dir_all(&dir).ok();
}
