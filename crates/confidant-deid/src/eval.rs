//! The token-level scorer of shared/deid/README.md, as pure functions.
//!
//! A token is a maximal run of word characters. Recall is the share of
//! identifier tokens (tokens inside a non-optional gold span) that some
//! predicted span touches; precision is the share of touched tokens that
//! lie inside a gold span (optional ones included: optional text neither
//! counts as missed nor as over-redacted). Per-type recall groups
//! identifier tokens by the type of their gold span.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A labelled span from a gold file.
#[derive(Clone, Deserialize, Serialize)]
pub struct GoldSpan {
    pub start: usize,
    pub end: usize,
    /// The type as written in the gold file (may be one this engine does
    /// not produce, such as `TITLE`).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub optional: bool,
}

impl std::fmt::Debug for GoldSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GoldSpan({}..{} {}{})",
            self.start,
            self.end,
            self.kind,
            if self.optional { " optional" } else { "" }
        )
    }
}

/// Recall for one type.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TypeScore {
    /// Identifier tokens of this type.
    pub tokens: usize,
    /// Of those, tokens some predicted span touched.
    pub found: usize,
    pub recall: f64,
}

/// A scoring report over any number of documents.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub documents: usize,
    /// Tokens inside non-optional gold spans.
    pub identifier_tokens: usize,
    /// Identifier tokens touched by a predicted span.
    pub found_tokens: usize,
    /// Tokens touched by a predicted span.
    pub touched_tokens: usize,
    /// Touched tokens inside some gold span.
    pub touched_in_gold: usize,
    pub recall: f64,
    pub precision: f64,
    pub per_type: BTreeMap<String, TypeScore>,
    /// Most often missed identifier words, most first.
    pub most_missed: Vec<(String, usize)>,
    /// Most often over-redacted words, most first.
    pub most_over_redacted: Vec<(String, usize)>,
}

/// Accumulates documents, then produces a [`Report`].
#[derive(Default)]
pub struct Scorer {
    report: Report,
    missed: HashMap<String, usize>,
    over: HashMap<String, usize>,
}

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scorer")
            .field("documents", &self.report.documents)
            .finish_non_exhaustive()
    }
}

/// Token ranges of `text` in code point offsets.
pub fn char_tokens(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut n = 0;
    for (i, c) in text.chars().enumerate() {
        n = i + 1;
        if crate::is_word_char(c) {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push((s, i));
        }
    }
    if let Some(s) = start {
        out.push((s, n));
    }
    out
}

impl Scorer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one document: its text, gold spans and predicted spans
    /// (code point offsets, half-open; out-of-range parts are ignored).
    pub fn add(&mut self, text: &str, gold: &[GoldSpan], predicted: &[(usize, usize)]) {
        let chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        // Per character: non-optional gold type index + 1 (0 = none), any
        // gold, predicted.
        let mut gold_type: Vec<u32> = vec![0; n];
        let mut any_gold = vec![false; n];
        let mut pred = vec![false; n];
        let mut types: Vec<&str> = Vec::new();
        for g in gold {
            let (s, e) = (g.start.min(n), g.end.min(n));
            for i in s..e {
                any_gold[i] = true;
                if !g.optional && gold_type[i] == 0 {
                    let ti = types.iter().position(|t| *t == g.kind).unwrap_or_else(|| {
                        types.push(&g.kind);
                        types.len() - 1
                    });
                    gold_type[i] = ti as u32 + 1;
                }
            }
        }
        for &(s, e) in predicted {
            for p in pred.iter_mut().take(e.min(n)).skip(s.min(n)) {
                *p = true;
            }
        }
        let r = &mut self.report;
        r.documents += 1;
        for (s, e) in char_tokens(text) {
            let ty = (s..e).map(|i| gold_type[i]).find(|&t| t != 0);
            let in_gold = (s..e).any(|i| any_gold[i]);
            let touched = (s..e).any(|i| pred[i]);
            if let Some(t) = ty {
                r.identifier_tokens += 1;
                let entry = r
                    .per_type
                    .entry(types[(t - 1) as usize].to_string())
                    .or_default();
                entry.tokens += 1;
                if touched {
                    r.found_tokens += 1;
                    entry.found += 1;
                } else {
                    *self.missed.entry(chars[s..e].iter().collect()).or_default() += 1;
                }
            }
            if touched {
                r.touched_tokens += 1;
                if in_gold {
                    r.touched_in_gold += 1;
                } else {
                    *self.over.entry(chars[s..e].iter().collect()).or_default() += 1;
                }
            }
        }
    }

    /// Finishes the report, listing up to `top` most-missed and most
    /// over-redacted words.
    pub fn finish(mut self, top: usize) -> Report {
        let r = &mut self.report;
        r.recall = ratio(r.found_tokens, r.identifier_tokens);
        r.precision = ratio(r.touched_in_gold, r.touched_tokens);
        for t in r.per_type.values_mut() {
            t.recall = ratio(t.found, t.tokens);
        }
        r.most_missed = top_n(self.missed, top);
        r.most_over_redacted = top_n(self.over, top);
        self.report
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn top_n(m: HashMap<String, usize>, n: usize) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(start: usize, end: usize, kind: &str, optional: bool) -> GoldSpan {
        GoldSpan {
            start,
            end,
            kind: kind.into(),
            optional,
        }
    }

    #[test]
    fn token_level_recall_and_precision() {
        // "Saw Jodie MacGill in July at home"
        let text = "Saw Jodie MacGill in July at home";
        let gold = [g(4, 17, "NAME", false), g(21, 25, "DATE", true)];
        let mut s = Scorer::new();
        // Touches "Jodie" only, plus optional "July", plus "home".
        s.add(text, &gold, &[(4, 9), (21, 25), (29, 33)]);
        let r = s.finish(10);
        assert_eq!(r.identifier_tokens, 2);
        assert_eq!(r.found_tokens, 1);
        assert!((r.recall - 0.5).abs() < 1e-9);
        assert_eq!(r.touched_tokens, 3);
        assert_eq!(r.touched_in_gold, 2);
        assert!((r.precision - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.most_missed, vec![("MacGill".to_string(), 1)]);
        assert_eq!(r.most_over_redacted, vec![("home".to_string(), 1)]);
        assert_eq!(r.per_type["NAME"].tokens, 2);
    }

    #[test]
    fn partial_touch_counts() {
        let text = "ring 07921 742180";
        let gold = [g(5, 17, "PHONE", false)];
        let mut s = Scorer::new();
        s.add(text, &gold, &[(7, 8)]);
        let r = s.finish(5);
        assert_eq!(r.found_tokens, 1);
        assert_eq!(r.identifier_tokens, 2);
    }

    #[test]
    fn empty_is_perfect() {
        let r = Scorer::new().finish(3);
        assert_eq!(r.recall, 1.0);
        assert_eq!(r.precision, 1.0);
    }
}
