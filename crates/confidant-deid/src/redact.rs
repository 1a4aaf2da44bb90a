//! Redaction: type tags (`[NAME]`) or consistent pseudonyms per document.

use crate::{Cand, EntityType, Span};
use rustc_hash::FxHashMap;

/// How identifiers are replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// `[NAME]`, `[DATE]`, ...
    #[default]
    Tags,
    /// Invented names, places and organisations, the same for the same
    /// person (or place) throughout one document, so a reader can follow
    /// the story; numbered tags (`[PHONE-1]`) for everything else.
    Pseudonyms,
}

const FIRSTS: &[&str] = &[
    "Alex", "Sam", "Jordan", "Robin", "Casey", "Morgan", "Jamie", "Charlie", "Taylor", "Riley",
    "Avery", "Quinn", "Rowan", "Sasha", "Kit", "Ellis", "Frankie", "Hayden", "Jesse", "Lee",
];
const LASTS: &[&str] = &[
    "Ashdown",
    "Brookfield",
    "Carrow",
    "Dunmore",
    "Elstead",
    "Fenwick",
    "Garland",
    "Hollins",
    "Ingram",
    "Jessop",
    "Kendrick",
    "Lockwood",
    "Marlow",
    "Northcott",
    "Oakley",
    "Pemberton",
    "Quarry",
    "Radley",
    "Stanway",
    "Thornbury",
];
const TOWNS: &[&str] = &[
    "Northam",
    "Easterby",
    "Westfield",
    "Southwold Parva",
    "Millbrook",
    "Riverton",
    "Hillcrest",
    "Oakford",
    "Brackenham",
    "Stonebridge",
];

/// Redacts `text` at `spans` (code point offsets, as from [`crate::detect`]).
pub fn redact(text: &str, spans: &[Span], mode: Mode) -> String {
    // Convert char offsets to byte offsets.
    let mut idx: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    idx.push(text.len());
    let mut cands: Vec<Cand> = spans
        .iter()
        .filter(|s| s.start < s.end && s.end < idx.len())
        .map(|s| Cand {
            s: idx[s.start],
            e: idx[s.end],
            kind: s.kind,
            prio: 0,
        })
        .collect();
    cands.sort_by_key(|c| (c.s, c.e));
    // Drop overlaps (keep the first).
    let mut kept: Vec<Cand> = Vec::with_capacity(cands.len());
    for c in cands {
        if kept.last().is_none_or(|l| c.s >= l.e) {
            kept.push(c);
        }
    }
    redact_bytes(text, &kept, mode)
}

#[derive(Default)]
struct Pseudo {
    /// token -> (person index, seen as surname)
    people: FxHashMap<String, (usize, bool)>,
    n_people: usize,
    places: FxHashMap<String, usize>,
    orgs: FxHashMap<String, usize>,
    other: FxHashMap<(EntityType, String), usize>,
    other_count: FxHashMap<EntityType, usize>,
}

impl Pseudo {
    fn name(&mut self, original: &str, after_title: bool) -> String {
        let toks: Vec<String> = crate::word_tokens(original)
            .map(|(a, b)| original[a..b].to_lowercase())
            .filter(|t| t.chars().count() > 1)
            .collect();
        let person = toks
            .iter()
            .find_map(|t| self.people.get(t).map(|p| p.0))
            .unwrap_or_else(|| {
                self.n_people += 1;
                self.n_people - 1
            });
        let n = toks.len();
        for (i, t) in toks.iter().enumerate() {
            let is_last = (n > 1 || after_title) && i + 1 == n;
            let e = self.people.entry(t.clone()).or_insert((person, is_last));
            e.1 |= is_last;
        }
        let first = FIRSTS[person % FIRSTS.len()];
        let last = LASTS[(person + person / LASTS.len()) % LASTS.len()];
        if n >= 2 {
            format!("{first} {last}")
        } else if toks
            .first()
            .and_then(|t| self.people.get(t))
            .is_some_and(|p| p.1)
        {
            last.to_string()
        } else {
            first.to_string()
        }
    }

    fn indexed(map: &mut FxHashMap<String, usize>, key: String) -> usize {
        let n = map.len();
        *map.entry(key).or_insert(n)
    }

    fn replace(&mut self, kind: EntityType, original: &str, after_title: bool) -> String {
        let key = crate::gazetteer::normalise_phrase(original);
        match kind {
            EntityType::Name => self.name(original, after_title),
            EntityType::Location => {
                let i = Self::indexed(&mut self.places, key);
                TOWNS[i % TOWNS.len()].to_string()
            }
            EntityType::Organisation => {
                let i = Self::indexed(&mut self.orgs, key);
                format!("Organisation {}", letter_label(i))
            }
            _ => {
                let next = self.other_count.get(&kind).copied().unwrap_or(0);
                let i = *self.other.entry((kind, key)).or_insert_with(|| next);
                if i == next {
                    self.other_count.insert(kind, next + 1);
                }
                format!("[{}-{}]", kind.as_str(), i + 1)
            }
        }
    }
}

fn letter_label(i: usize) -> String {
    let mut s = String::new();
    let mut n = i;
    loop {
        s.insert(0, char::from(b'A' + (n % 26) as u8));
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    s
}

/// Whether `before` ends with an honorific ("Mrs ", "Dr. "): the name
/// after it is a surname.
fn after_title(before: &str) -> bool {
    let t = before.trim_end_matches([' ', '.']);
    let word: String = t
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    before.len() > t.len()
        && crate::gazetteer::GAZ
            .titles
            .contains(word.to_lowercase().as_str())
}

pub(crate) fn redact_bytes(text: &str, spans: &[Cand], mode: Mode) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut pseudo = Pseudo::default();
    for c in spans {
        if c.s < pos || c.e > text.len() {
            continue;
        }
        out.push_str(&text[pos..c.s]);
        match mode {
            Mode::Tags => {
                out.push('[');
                out.push_str(c.kind.as_str());
                out.push(']');
            }
            Mode::Pseudonyms => {
                let after_title = after_title(&text[..c.s]);
                out.push_str(&pseudo.replace(c.kind, &text[c.s..c.e], after_title));
            }
        }
        pos = c.e;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deidentify;

    #[test]
    fn pseudonyms_are_consistent() {
        let t = "Tomasz Becker came. Later Tomasz said Becker was tired. Ruth Nowak phoned.";
        let out = deidentify(t, None, Mode::Pseudonyms).text;
        assert!(
            out.starts_with("Alex Ashdown came. Later Alex said Ashdown was tired."),
            "{out}"
        );
        assert!(out.contains("Sam Brookfield phoned"), "{out}");
    }

    #[test]
    fn labels() {
        assert_eq!(letter_label(0), "A");
        assert_eq!(letter_label(25), "Z");
        assert_eq!(letter_label(26), "AA");
    }
}
