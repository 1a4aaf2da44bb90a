//! Floors on the independently written held-out sets
//! (`tests/data/heldout-independent/`, see its README): written by someone
//! who never read the engine, not tuned on when added. The floors sit just
//! below the scores measured when they were added, so a change that
//! generalises worse fails here. They are far below issue 10's targets
//! (recall 0.98 hand-written, 0.99 synthetic, 0.95 upper-case clinical):
//! raise them as the engine improves, without tuning on these files.

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
    // Missed words are not printed: the set stays held out.
    s.finish(0)
}

fn floors(name: &str, r: &Report, recall: f64, precision: f64) {
    assert!(
        r.recall >= recall,
        "{name}: recall {:.4} < {recall}",
        r.recall
    );
    assert!(
        r.precision >= precision,
        "{name}: precision {:.4} < {precision}",
        r.precision
    );
}

#[test]
fn realistic_hand_written_documents() {
    let r = score(
        include_str!("data/heldout-independent/realistic.jsonl"),
        100,
    );
    // Measured when added: 0.8876 / 0.9496.
    floors("realistic", &r, 0.88, 0.945);
}

#[test]
fn upper_case_clinical_notes_without_known() {
    let r = score(
        include_str!("data/heldout-independent/clinical-upper.jsonl"),
        40,
    );
    // Measured when added: 0.7176 / 0.9422.
    floors("clinical-upper", &r, 0.71, 0.935);
}

#[test]
fn synthetic_notes_from_other_templates() {
    let r = score(include_str!("data/heldout-independent/synthetic.jsonl"), 60);
    // Measured when added: 0.9244 / 0.9687.
    floors("synthetic", &r, 0.92, 0.965);
}

// A third set (`tests/data/heldout-3/`, 130 realistic and 32 upper-case
// clinical documents, generator and conventions beside it), written on
// 2026-12-01 from a brief by someone who read neither the engine nor its
// data, while the engine was being changed by someone who never saw it.
// Scored only by the coordinator, before and after that change; not tuned on.

#[test]
fn third_set_realistic_documents() {
    let r = score(include_str!("data/heldout-3/realistic.jsonl"), 120);
    // Measured when added: 0.9326 / 0.9586 (before the change: 0.9320 / 0.9571).
    floors("heldout-3 realistic", &r, 0.93, 0.955);
}

#[test]
fn third_set_upper_case_clinical_notes() {
    let r = score(include_str!("data/heldout-3/clinical-upper.jsonl"), 30);
    // Measured when added: 0.8041 / 0.9580 (before the change: 0.7380 / 0.9419).
    floors("heldout-3 clinical-upper", &r, 0.80, 0.955);
}

// A fourth set (`tests/data/heldout-4/`, 115 hand-written documents and 35
// upper-case ones, marked-up sources, build script, validator and conventions
// beside it), written on 2026-12-01 (session 4) from a brief by someone who
// read neither the engine nor its data: each document written individually,
// not from a template grammar. Scored only by the coordinator, before and
// after that session's engine change; not tuned on.

#[test]
fn fourth_set_hand_written_documents() {
    let r = score(include_str!("data/heldout-4/handwritten.jsonl"), 110);
    // Measured when added: 0.9197 / 0.9559 (before the change: 0.9157 / 0.9553).
    floors("heldout-4 handwritten", &r, 0.915, 0.95);
}

#[test]
fn fourth_set_upper_case_documents() {
    let r = score(include_str!("data/heldout-4/upper.jsonl"), 30);
    // Measured when added: 0.7437 / 0.9356 (before the change: 0.7437 / 0.9398).
    floors("heldout-4 upper", &r, 0.74, 0.93);
}
