//! Regression floors on the shared development corpora (token-level
//! scorer of shared/deid/README.md). The floors sit a little below what the
//! engine achieves; a change that loses recall or precision fails here.

#![allow(clippy::unwrap_used)]

use confidant_deid::Known;
use confidant_deid::eval::{GoldSpan, Report, Scorer};
use serde::Deserialize;

#[derive(Deserialize)]
struct Line {
    text: String,
    #[serde(default)]
    known: Option<Known>,
    #[serde(default)]
    spans: Vec<GoldSpan>,
}

fn score(file: &str, use_known: bool) -> Option<Report> {
    let path = format!("{}/../../../shared/deid/{file}", env!("CARGO_MANIFEST_DIR"));
    let Ok(data) = std::fs::read_to_string(&path) else {
        eprintln!("note: {path} not found; corpus floor skipped");
        return None;
    };
    let mut s = Scorer::new();
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let l: Line = serde_json::from_str(line).unwrap();
        let known = if use_known { l.known.as_ref() } else { None };
        let pred: Vec<(usize, usize)> = confidant_deid::detect(&l.text, known)
            .into_iter()
            .map(|s| (s.start, s.end))
            .collect();
        s.add(&l.text, &l.spans, &pred);
    }
    Some(s.finish(10))
}

#[test]
fn therapy_notes_with_known() {
    let Some(r) = score("therapy-notes-dev.jsonl", true) else {
        return;
    };
    assert!(
        r.recall >= 0.995,
        "recall {:.4}; most missed {:?}",
        r.recall,
        r.most_missed
    );
    assert!(
        r.precision >= 0.99,
        "precision {:.4}; over-redacted {:?}",
        r.precision,
        r.most_over_redacted
    );
}

#[test]
fn therapy_notes_without_known() {
    let Some(r) = score("therapy-notes-dev.jsonl", false) else {
        return;
    };
    assert!(
        r.recall >= 0.99,
        "recall {:.4}; most missed {:?}",
        r.recall,
        r.most_missed
    );
    assert!(r.precision >= 0.99, "precision {:.4}", r.precision);
}

#[test]
fn presidio_synth() {
    let Some(r) = score("presidio-synth-v2.jsonl", false) else {
        return;
    };
    assert!(
        r.recall >= 0.95,
        "recall {:.4}; most missed {:?}",
        r.recall,
        r.most_missed
    );
    assert!(
        r.precision >= 0.945,
        "precision {:.4}; over-redacted {:?}",
        r.precision,
        r.most_over_redacted
    );
}
