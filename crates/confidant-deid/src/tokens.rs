//! Tokenisation. A token is a maximal run of word characters (letters,
//! digits, underscore), as in shared/deid/README.md; all offsets here are
//! byte offsets into UTF-8 text, always on character boundaries.

/// Whether `c` is a word character (the scorer's definition).
#[inline]
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Byte ranges of the word tokens of `text`.
pub fn word_tokens(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut it = text.char_indices().peekable();
    std::iter::from_fn(move || {
        // Skip non-word characters.
        let start = loop {
            let (i, c) = it.next()?;
            if is_word_char(c) {
                break i;
            }
        };
        let mut end = text.len();
        while let Some(&(i, c)) = it.peek() {
            if is_word_char(c) {
                it.next();
            } else {
                end = i;
                break;
            }
        }
        Some((start, end))
    })
}

/// A token with the facts the detectors need about it.
#[derive(Clone)]
pub(crate) struct Tok<'a> {
    pub s: usize,
    pub e: usize,
    pub text: &'a str,
    pub lower: &'a str,
    /// Gazetteer flags of `lower` (`gazetteer::F_*`), looked up on first
    /// use (most lower-case words never need them). `UNKNOWN` until then.
    pub flags: std::cell::Cell<u16>,
    /// First character is upper case.
    pub cap: bool,
    /// Every letter is upper case, and there are at least two letters.
    pub allcaps: bool,
    /// Letters only.
    pub alpha: bool,
    pub has_digit: bool,
    /// Length in characters.
    pub nchars: usize,
    /// Starts a sentence (after . ! ? : ; a line break, a bullet or a quote).
    pub sent_start: bool,
}

/// Flags not looked up yet (no real word has every flag bit set).
const UNKNOWN: u16 = u16::MAX;

impl Tok<'_> {
    /// Whether any of the gazetteer flags `f` is set.
    #[inline]
    pub fn is(&self, f: u16) -> bool {
        use crate::gazetteer::{F_CARE, F_CLIN_DONE, F_CLINICAL, GAZ};
        let mut v = self.flags.get();
        if v == UNKNOWN {
            v = GAZ.flags_of(self.lower);
            self.flags.set(v);
        }
        // The clinical table is asked only when clinical flags are.
        if f & (F_CLINICAL | F_CARE) != 0 && v & F_CLIN_DONE == 0 {
            v |= F_CLIN_DONE | GAZ.clinical_of(self.lower);
            self.flags.set(v);
        }
        v & f != 0
    }

    /// The lower-case form.
    #[inline]
    pub fn l(&self) -> &str {
        self.lower
    }
}

/// Abbreviations whose full stop does not end a sentence.
fn is_abbrev(lower: &str) -> bool {
    matches!(
        lower,
        "mr" | "mrs"
            | "ms"
            | "dr"
            | "st"
            | "prof"
            | "rev"
            | "mx"
            | "e"
            | "g"
            | "i"
            | "etc"
            | "vs"
            | "no"
            | "apt"
            | "jr"
            | "sr"
            | "co"
            | "inc"
            | "ltd"
            | "p"
            | "o"
    )
}

/// Tokenises `text` into [`Tok`]s. Lower-case copies of capitalised tokens
/// are written into `arena` (one buffer per text, no per-token allocation).
pub(crate) fn tokenize<'a>(text: &'a str, arena: &'a mut String) -> Vec<Tok<'a>> {
    struct Raw {
        s: usize,
        e: usize,
        letters: usize,
        upper: usize,
        digits: usize,
        nchars: usize,
        lower: Option<(usize, usize)>,
    }
    arena.clear();
    // Lower-case copies are never longer than the text for ASCII; one
    // reservation avoids regrowing the buffer token by token.
    arena.reserve(text.len());
    let mut raws: Vec<Raw> = Vec::with_capacity(text.len() / 5);
    let spans: Vec<(usize, usize)> = if text.is_ascii() {
        // Byte-level split for ASCII text (same tokens as `word_tokens`).
        let b = text.as_bytes();
        let mut v = Vec::with_capacity(text.len() / 5);
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && !(b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if s < i {
                v.push((s, i));
            }
        }
        v
    } else {
        word_tokens(text).collect()
    };
    for (s, e) in spans {
        let t = &text[s..e];
        let (mut letters, mut upper, mut digits, mut nchars) = (0usize, 0usize, 0usize, 0usize);
        if t.is_ascii() {
            nchars = t.len();
            for b in t.bytes() {
                if b.is_ascii_alphabetic() {
                    letters += 1;
                    upper += usize::from(b.is_ascii_uppercase());
                } else if b.is_ascii_digit() {
                    digits += 1;
                }
            }
        } else {
            for c in t.chars() {
                nchars += 1;
                if c.is_alphabetic() {
                    letters += 1;
                    upper += usize::from(c.is_uppercase());
                } else if c.is_numeric() {
                    digits += 1;
                }
            }
        }
        let lower = (upper > 0).then(|| {
            let start = arena.len();
            if t.is_ascii() {
                arena.extend(t.bytes().map(|b| char::from(b.to_ascii_lowercase())));
            } else {
                arena.extend(t.chars().flat_map(char::to_lowercase));
            }
            (start, arena.len())
        });
        raws.push(Raw {
            s,
            e,
            letters,
            upper,
            digits,
            nchars,
            lower,
        });
    }
    let arena: &'a str = arena;
    let mut out: Vec<Tok<'a>> = Vec::with_capacity(raws.len());
    for r in raws {
        let t = &text[r.s..r.e];
        let lower = match r.lower {
            Some((a, b)) => arena.get(a..b).unwrap_or(t),
            None => t,
        };
        let cap = t.chars().next().is_some_and(char::is_uppercase);
        let flags = std::cell::Cell::new(if r.letters > 0 { UNKNOWN } else { 0 });
        let prev = out.last();
        let sent_start = match prev {
            None => true,
            Some(p) => {
                let gap = text.get(p.e..r.s).unwrap_or("");
                let g = gap.trim_end_matches([' ', '\t']);
                g.contains('\n')
                    || g.ends_with(['!', '?', ':', ';', '"', '(', '\u{201c}', '>', '*', '•'])
                    || (g.ends_with('.') && !is_abbrev(p.lower) && p.text.len() > 1)
                    || g.ends_with(" -")
                    || g.ends_with("- ")
                    || (g.ends_with('\'') && g.len() > 1 && g.starts_with(' '))
            }
        };
        out.push(Tok {
            s: r.s,
            e: r.e,
            text: t,
            lower,
            flags,
            cap,
            allcaps: r.letters >= 2 && r.upper == r.letters,
            alpha: r.letters > 0 && r.digits == 0 && r.letters == r.nchars,
            has_digit: r.digits > 0,
            nchars: r.nchars,
            sent_start,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_word_runs() {
        let t = "Tomasz's car, 07921 742180!";
        let v: Vec<&str> = word_tokens(t).map(|(a, b)| &t[a..b]).collect();
        assert_eq!(v, ["Tomasz", "s", "car", "07921", "742180"]);
    }

    #[test]
    fn ascii_and_unicode_paths_agree() {
        for t in [
            "Tomasz's car, 07921 742180!",
            "a_b  c--d",
            "",
            "  x",
            "Zoë met Łukasz",
            "end.",
        ] {
            let mut arena = String::new();
            let fast: Vec<(usize, usize)> =
                tokenize(t, &mut arena).iter().map(|k| (k.s, k.e)).collect();
            let slow: Vec<(usize, usize)> = word_tokens(t).collect();
            assert_eq!(fast, slow, "{t}");
        }
    }

    #[test]
    fn sentence_starts() {
        let mut arena = String::new();
        let toks = tokenize("Saw Dr. Piksa today. Grace came.\nHope", &mut arena);
        let starts: Vec<&str> = toks
            .iter()
            .filter(|t| t.sent_start)
            .map(|t| t.text)
            .collect();
        assert_eq!(starts, ["Saw", "Grace", "Hope"]);
    }
}
