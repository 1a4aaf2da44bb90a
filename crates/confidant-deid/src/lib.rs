//! confidant-deid: record-aware de-identification of therapy case notes.
//!
//! A pure library: text (and optionally what the record already knows) in,
//! identifier spans and redacted text out; no I/O. See
//! docs/deid-architecture.md for the design.
//!
//! ```
//! use confidant_deid::{deidentify, Known, Mode};
//! let out = deidentify("Saw Mrs Donnelly on 02/03/2025.", None, Mode::Tags);
//! assert_eq!(out.text, "Saw Mrs [NAME] on [DATE].");
//! ```

mod caseless;
mod chat;
mod context;
mod dates;
pub mod eval;
mod gazetteer;
mod known;
pub(crate) mod names;
mod patterns;
mod redact;
mod tokens;
mod types;

pub use gazetteer::warm_up;
pub use patterns::{luhn_valid, nhs_valid};
pub use redact::{Mode, redact};
pub use tokens::{is_word_char, word_tokens};
pub use types::{EntityType, Known, KnownOrg, KnownOther, KnownPerson, Span};

/// A candidate span in byte offsets, with a priority for overlaps.
#[derive(Clone, Copy)]
pub(crate) struct Cand {
    pub s: usize,
    pub e: usize,
    pub kind: EntityType,
    pub prio: u8,
}

/// The result of [`deidentify`]. Holds note text, so `Debug` is by hand.
#[derive(Clone)]
pub struct Deidentified {
    /// The redacted text.
    pub text: String,
    /// The identifiers found, in code point offsets into the input.
    pub spans: Vec<Span>,
}

impl std::fmt::Debug for Deidentified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deidentified")
            .field("spans", &self.spans)
            .finish_non_exhaustive()
    }
}

/// Finds identifiers in `text`: spans in Unicode code point offsets,
/// half-open, sorted and non-overlapping.
pub fn detect(text: &str, known: Option<&Known>) -> Vec<Span> {
    let merged = detect_bytes(text, known);
    to_char_spans(text, &merged)
}

/// Detection in byte offsets (sorted, non-overlapping, on char boundaries).
pub(crate) fn detect_bytes(text: &str, known: Option<&Known>) -> Vec<Cand> {
    let mut arena = String::new();
    let toks = tokens::tokenize(text, &mut arena);
    let mut cands: Vec<Cand> = Vec::with_capacity(16);
    if let Some(k) = known {
        known::detect(text, &toks, k, &mut cands);
    }
    patterns::detect(text, &toks, &mut cands);
    patterns::years(&toks, &mut cands);
    dates::detect(text, &toks, &mut cands);
    let upper = caseless::upper_regions(text, &toks);
    names::detect(text, &toks, &upper, &mut cands);
    if upper.iter().any(|&u| u) {
        caseless::detect(text, &toks, &upper, &mut cands);
        caseless::drop_clinical_numbers(text, &toks, &upper, &mut cands);
    }
    context::detect(text, &toks, &upper, &mut cands);
    chat::detect(text, &toks, &mut cands);
    names::extend_addresses(text, &toks, &upper, &mut cands);
    dates::ranges(text, &toks, &mut cands);
    if cands.iter().any(|c| c.kind == EntityType::Name) {
        let mut more = Vec::new();
        context::propagate(&toks, &cands, &mut more);
        cands.extend(more);
    }
    merge(text, cands)
}

/// Resolves overlapping candidates by priority: higher-priority spans are
/// kept whole, and a lower-priority candidate keeps only the parts no
/// higher one covers (so an address block keeps its postcode typed as a
/// postcode). Address parts joined by " and " are then joined.
fn merge(text: &str, mut c: Vec<Cand>) -> Vec<Cand> {
    c.retain(|x| {
        x.s < x.e && x.e <= text.len() && text.is_char_boundary(x.s) && text.is_char_boundary(x.e)
    });
    c.sort_by(|a, b| {
        b.prio
            .cmp(&a.prio)
            .then((b.e - b.s).cmp(&(a.e - a.s)))
            .then(a.s.cmp(&b.s))
    });
    let mut kept: Vec<Cand> = Vec::with_capacity(c.len());
    let mut pieces: Vec<(usize, usize)> = Vec::with_capacity(4);
    let mut next: Vec<(usize, usize)> = Vec::with_capacity(4);
    for x in c {
        // Subtract every kept span from x (two reused buffers: this runs
        // for every candidate, and most overlap nothing).
        pieces.clear();
        pieces.push((x.s, x.e));
        for k in &kept {
            if k.e <= x.s || x.e <= k.s {
                continue;
            }
            next.clear();
            for &(s, e) in &pieces {
                if k.e <= s || e <= k.s {
                    next.push((s, e));
                    continue;
                }
                if s < k.s {
                    next.push((s, k.s));
                }
                if k.e < e {
                    next.push((k.e, e));
                }
            }
            std::mem::swap(&mut pieces, &mut next);
            if pieces.is_empty() {
                break;
            }
        }
        for &(s, e) in &pieces {
            let piece = &text[s..e];
            let lead = piece.len() - piece.trim_start_matches(is_edge).len();
            let trail = piece.len() - piece.trim_end_matches(is_edge).len();
            let (s2, e2) = (s + lead, e - trail);
            if s2 < e2 && text[s2..e2].chars().any(tokens::is_word_char) {
                kept.push(Cand {
                    s: s2,
                    e: e2,
                    kind: x.kind,
                    prio: x.prio,
                });
            }
        }
    }
    kept.sort_by_key(|k| k.s);
    let mut out: Vec<Cand> = Vec::with_capacity(kept.len());
    for x in kept {
        if let Some(last) = out.last_mut() {
            // "Cinzia and Hammarvägen 15": parts of one address joined by "and".
            if (last.kind == EntityType::Address || x.kind == EntityType::Address)
                && text.get(last.e..x.s) == Some(" and ")
                && last.kind != EntityType::Name
                && x.kind != EntityType::Name
                || (last.kind == EntityType::Address && x.kind == EntityType::Name
                    || last.kind == EntityType::Name && x.kind == EntityType::Address)
                    && text.get(last.e..x.s) == Some(" and ")
            {
                last.e = x.e;
                last.kind = EntityType::Address;
                continue;
            }
        }
        if let Some(last) = out.last_mut() {
            // "Studio 98h, Anne Common": adjacent address parts are one span.
            let g = text.get(last.e..x.s).unwrap_or("x");
            if last.kind == x.kind
                && (matches!(g, " " | "-")
                    || last.kind == EntityType::Address && matches!(g, ", " | ","))
            {
                last.e = x.e;
                continue;
            }
        }
        out.push(x);
    }
    out
}

fn is_edge(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '-' | '/' | '>' | '.')
}

/// Converts sorted byte spans to code point spans.
fn to_char_spans(text: &str, spans: &[Cand]) -> Vec<Span> {
    if text.is_ascii() {
        return spans
            .iter()
            .map(|c| Span {
                start: c.s,
                end: c.e,
                kind: c.kind,
            })
            .collect();
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut chars = 0usize;
    let mut byte = 0usize;
    let mut advance = |target: usize| {
        // Count chars from `byte` up to `target` (targets are non-decreasing).
        if let Some(s) = text.get(byte..target) {
            chars += s.chars().count();
            byte = target;
        }
        chars
    };
    for c in spans {
        let s = advance(c.s);
        let e = advance(c.e);
        out.push(Span {
            start: s,
            end: e,
            kind: c.kind,
        });
    }
    out
}

/// Detects and redacts in one call.
pub fn deidentify(text: &str, known: Option<&Known>, mode: Mode) -> Deidentified {
    let bytes = detect_bytes(text, known);
    let redacted = redact::redact_bytes(text, &bytes, mode);
    Deidentified {
        text: redacted,
        spans: to_char_spans(text, &bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, known: Option<&Known>) -> Vec<(String, EntityType)> {
        let chars: Vec<char> = text.chars().collect();
        detect(text, known)
            .into_iter()
            .map(|s| (chars[s.start..s.end].iter().collect(), s.kind))
            .collect()
    }

    #[test]
    fn char_offsets_with_non_ascii() {
        let t = "Zoë met Łukasz Wójcik in Kraków.";
        let spans = detect(t, None);
        let chars: Vec<char> = t.chars().collect();
        let got: Vec<String> = spans
            .iter()
            .map(|s| chars[s.start..s.end].iter().collect())
            .collect();
        assert!(got.contains(&"Łukasz Wójcik".to_string()), "{got:?}");
    }

    #[test]
    fn ambiguous_words_by_context() {
        let got = words(
            "Hope is important. She may go. My sister Grace came with Will.",
            None,
        );
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert!(texts.contains(&"Grace"), "{texts:?}");
        assert!(texts.contains(&"Will"), "{texts:?}");
        assert!(!texts.contains(&"Hope"), "{texts:?}");
        assert!(!texts.contains(&"may"), "{texts:?}");
    }

    #[test]
    fn clinical_terms_are_kept() {
        let got = words(
            "PHQ-9 14, GAD-7 9. Sertraline 50mg at 10:30. Agreed CBT homework.",
            None,
        );
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn organisations_and_addresses() {
        let got = words(
            "She attends Nixon Primary School and lives at 649 Barlow Road, Ipswich IG5 1JU.",
            None,
        );
        assert!(
            got.contains(&("Nixon Primary School".into(), EntityType::Organisation)),
            "{got:?}"
        );
        assert!(
            got.contains(&("649 Barlow Road".into(), EntityType::Address)),
            "{got:?}"
        );
        assert!(got.iter().any(|(t, _)| t == "Ipswich"), "{got:?}");
        assert!(
            got.contains(&("IG5 1JU".into(), EntityType::Postcode)),
            "{got:?}"
        );
    }

    #[test]
    fn known_forms() {
        let known: Known = serde_json::from_str(
            r#"{"client":{"name":"Elizabeth Rowe","dob":"1987-03-14","phone":"07921742180","postcode":"IP1X 7EQ"}}"#,
        )
        .unwrap();
        let t = "lizzie said elizabeth's dob is 14 March 1987; call 07921 742 180; IP1X7EQ";
        let got = words(t, Some(&known));
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        for want in ["elizabeth", "14 March 1987", "07921 742 180", "IP1X7EQ"] {
            assert!(texts.contains(&want), "{want}: {texts:?}");
        }
        // Nicknames must be capitalised to count (they are common words).
        let got = words("Then Lizzie rang.", Some(&known));
        assert!(got.iter().any(|(t, _)| t == "Lizzie"), "{got:?}");
    }

    #[test]
    fn record_and_service_known() {
        let known: Known = serde_json::from_str(
            r#"{"client":{"name":"Kenneth Adeyemi","preferred_name":"Slates"},
                "staff":["Beatrice Lowe",{"name":"Kwabena Thorne","role":"counsellor","aliases":["KT"]}],
                "contacts":[{"name":"Ffion Lloyd","role":"data protection lead"}],
                "people":[{"name":"Dr Olusegun Abara","role":"gp"}],
                "organisations":[{"name":"Reset Coaching Ltd","kind":"employer"},{"name":"Royal Berkshire Hospital","aliases":["RBH"]}]}"#,
        )
        .unwrap();
        let t = "Slates came in; Beatrice and KT discussed it with Ffion. Dr Abara wrote from RBH about work at Reset Coaching.";
        let got = words(t, Some(&known));
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        for want in [
            "Slates",
            "Beatrice",
            "KT",
            "Ffion",
            "Abara",
            "RBH",
            "Reset Coaching",
        ] {
            assert!(texts.iter().any(|x| x.contains(want)), "{want}: {texts:?}");
        }
        // The shared JSONL format still reads, and Debug shows no names.
        let old: Known =
            serde_json::from_str(r#"{"client":{"name":"A B"},"others":[{"name":"C","role":"x"}]}"#)
                .unwrap();
        assert!(old.staff.is_empty() && old.organisations.is_empty());
        let dbg = format!("{known:?} {:?}", known.organisations);
        assert!(!dbg.contains("Reset") && !dbg.contains("Lowe"), "{dbg}");
    }
}
