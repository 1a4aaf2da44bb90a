//! Floors on the project's own development sets (issue 10), written in the
//! styles the shared corpus lacks: `dev-realistic` (hand-written session
//! notes terse and long, lower and upper case, letters, emails, WhatsApp
//! and Instagram exports, safeguarding and supervision records, couples
//! work, a court report, a SAR letter, a CSV export), `dev-synth-templates`
//! (generated from templates unlike the shared corpus, with `known`) and
//! `dev-clinical-upper` (upper-case nursing notes full of drug names and
//! abbreviations, no `known`). All people and details are invented; the
//! sources with their marks are in `tests/data/src/`. These are dev data
//! (the engine was tuned on them); the floors sit a little below what the
//! engine reaches, so a change that generalises worse fails here.

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

fn score(data: &str, min_docs: usize) -> Report {
    let mut s = Scorer::new();
    let mut n = 0;
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let l: Line = serde_json::from_str(line).unwrap();
        let pred: Vec<(usize, usize)> = confidant_deid::detect(&l.text, l.known.as_ref())
            .into_iter()
            .map(|s| (s.start, s.end))
            .collect();
        s.add(&l.text, &l.spans, &pred);
        n += 1;
    }
    assert!(n >= min_docs, "set has {n} documents");
    s.finish(10)
}

fn floors(r: &Report, recall: f64, precision: f64) {
    assert!(
        r.recall >= recall,
        "recall {:.4}; most missed {:?}",
        r.recall,
        r.most_missed
    );
    assert!(
        r.precision >= precision,
        "precision {:.4}; over-redacted {:?}",
        r.precision,
        r.most_over_redacted
    );
}

#[test]
fn realistic_hand_written() {
    let r = score(include_str!("data/dev-realistic.jsonl"), 60);
    floors(&r, 0.95, 0.96);
}

#[test]
fn synthetic_other_templates() {
    let r = score(include_str!("data/dev-synth-templates.jsonl"), 60);
    floors(&r, 0.985, 0.99);
}

#[test]
fn upper_case_clinical_without_known() {
    let r = score(include_str!("data/dev-clinical-upper.jsonl"), 30);
    floors(&r, 0.90, 0.95);
}

/// `own-heldout` was written after most of the engine work of issue 10 and
/// is scored, not tuned on: only its totals and per-type recall were read.
#[test]
fn own_held_out() {
    let r = score(include_str!("data/own-heldout.jsonl"), 30);
    floors(&r, 0.94, 0.95);
}
