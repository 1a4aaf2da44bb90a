//! `confidant deidentify` and `confidant deid eval` end to end, as
//! shared/CONTRACT.md ("De-identification") and shared/deid/README.md
//! describe them.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_confidant"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn corpus(file: &str) -> Option<String> {
    let p = format!("{}/../../../shared/deid/{file}", env!("CARGO_MANIFEST_DIR"));
    if std::path::Path::new(&p).exists() {
        Some(p)
    } else {
        eprintln!("note: {p} not found; test skipped");
        None
    }
}

#[test]
fn jsonl_contract_one_line_per_input_line() {
    let input = concat!(
        r#"{"id": "a", "text": "Lizzie Rowe (dob 14/03/1987) rang on 07921 742180.", "known": {"client": {"name": "Elizabeth Rowe", "dob": "1987-03-14", "phone": "07921742180"}}}"#,
        "\n",
        r#"{"id": 7, "text": "Zoë met Dr Piksa at Wilson Surgery."}"#,
        "\n"
    );
    let out = run(&["deidentify", "--jsonl", "-"], input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[1]["id"], 7);
    let text0 = lines[0]["text"].as_str().unwrap();
    for gone in ["Lizzie", "Rowe", "1987", "07921"] {
        assert!(!text0.contains(gone), "{gone} left in {text0}");
    }
    // Spans are code point offsets into the input text.
    let src: Vec<char> = "Zoë met Dr Piksa at Wilson Surgery.".chars().collect();
    let spans = lines[1]["spans"].as_array().unwrap();
    let found: Vec<(String, String)> = spans
        .iter()
        .map(|s| {
            let (a, b) = (
                s["start"].as_u64().unwrap() as usize,
                s["end"].as_u64().unwrap() as usize,
            );
            (
                src[a..b].iter().collect(),
                s["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        found.contains(&("Piksa".into(), "NAME".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("Wilson Surgery".into(), "ORGANISATION".into())),
        "{found:?}"
    );
    assert_eq!(lines[1]["text"], "[NAME] met Dr [NAME] at [ORGANISATION].");
}

#[test]
fn plain_text_and_pseudonyms() {
    let out = run(
        &["deidentify"],
        "Mrs Donnelly called about Tomasz Becker. Tomasz is fine.\n",
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Mrs [NAME] called about [NAME]. [NAME] is fine.\n"
    );
    let out = run(
        &["deidentify", "--pseudonyms"],
        "Tomasz Becker called. Tomasz is fine; Becker too.\n",
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains("Tomasz") && !text.contains("Becker"),
        "{text}"
    );
    // The same person keeps the same invented name.
    let first = text.split(' ').next().unwrap();
    assert_eq!(text.matches(first).count(), 2, "{text}");
}

#[test]
fn bad_input_exits_2_without_echoing_the_line() {
    let out = run(
        &["deidentify", "--jsonl", "-"],
        "{\"id\": 1, \"text\": \"Secret Name\"\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line 1"), "{err}");
    assert!(!err.contains("Secret"), "{err}");
}

#[test]
fn eval_reports_and_floors() {
    let Some(gold) = corpus("therapy-notes-dev.jsonl") else {
        return;
    };
    let out = run(&["deid", "eval", &gold, "--json"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["recall"].as_f64().unwrap() >= 0.995, "{r}");
    assert!(r["precision"].as_f64().unwrap() >= 0.99, "{r}");
    assert!(r["per_type"]["NAME"]["recall"].as_f64().unwrap() >= 0.99);
    // A floor that is not met exits 1.
    let out = run(
        &["deid", "eval", &gold, "--no-known", "--min-recall", "1.01"],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("per-type recall") && text.contains("most missed words"),
        "{text}"
    );
}

#[test]
fn eval_scores_a_predicted_file() {
    let Some(gold) = corpus("presidio-synth-v2.jsonl") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("deid-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pred = dir.join("pred.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_confidant"))
        .args(["deidentify", "--jsonl", &gold])
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&pred, &out.stdout).unwrap();
    let out = run(
        &[
            "deid",
            "eval",
            &gold,
            "--predicted",
            pred.to_str().unwrap(),
            "--json",
        ],
        "",
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["recall"].as_f64().unwrap() >= 0.95, "{r}");
    assert!(r["precision"].as_f64().unwrap() >= 0.945, "{r}");
    // Empty predictions: recall 0.
    let empty = dir.join("empty.jsonl");
    let ids: String = std::fs::read_to_string(&gold)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{{\"id\":{},\"spans\":[]}}\n", v["id"])
        })
        .collect();
    std::fs::write(&empty, ids).unwrap();
    let out = run(
        &[
            "deid",
            "eval",
            &gold,
            "--predicted",
            empty.to_str().unwrap(),
            "--json",
        ],
        "",
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["recall"].as_f64().unwrap(), 0.0);
    std::fs::remove_dir_all(&dir).ok();
}
