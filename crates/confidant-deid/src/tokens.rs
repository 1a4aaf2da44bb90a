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
    pub lower: std::borrow::Cow<'a, str>,
    /// Gazetteer flags of `lower` (`gazetteer::F_*`), 0 when unlisted.
    pub flags: u16,
    /// First character is upper case.
    pub cap: bool,
    /// Every letter is upper case, and there are at least two letters.
    pub allcaps: bool,
    /// Letters only.
    pub alpha: bool,
    pub has_digit: bool,
    /// Starts a sentence (after . ! ? : ; a line break, a bullet or a quote).
    pub sent_start: bool,
}

impl Tok<'_> {
    /// Whether any of the gazetteer flags `f` is set.
    #[inline]
    pub fn is(&self, f: u16) -> bool {
        self.flags & f != 0
    }

    /// The lower-case form.
    #[inline]
    pub fn l(&self) -> &str {
        &self.lower
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

/// Tokenises `text` into [`Tok`]s.
pub(crate) fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let mut out: Vec<Tok<'_>> = Vec::with_capacity(text.len() / 5);
    for (s, e) in word_tokens(text) {
        let t = &text[s..e];
        let mut letters = 0usize;
        let mut upper = 0usize;
        let mut digits = 0usize;
        for c in t.chars() {
            if c.is_alphabetic() {
                letters += 1;
                if c.is_uppercase() {
                    upper += 1;
                }
            } else if c.is_numeric() {
                digits += 1;
            }
        }
        let cap = t.chars().next().is_some_and(char::is_uppercase);
        let lower: std::borrow::Cow<'_, str> = if upper > 0 {
            std::borrow::Cow::Owned(t.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(t)
        };
        let flags = if letters > 0 {
            crate::gazetteer::GAZ.flags_of(t)
        } else {
            0
        };
        let prev = out.last();
        let gap = text.get(prev.map_or(0, |p| p.e)..s).unwrap_or("");
        let sent_start = match prev {
            None => true,
            Some(p) => {
                let g = gap.trim_end_matches([' ', '\t']);
                g.contains('\n')
                    || g.ends_with(['!', '?', ':', ';', '"', '(', '\u{201c}', '>', '*', '•'])
                    || (g.ends_with('.') && !is_abbrev(&p.lower) && p.text.len() > 1)
                    || g.ends_with(" -")
                    || g.ends_with("- ")
                    || (g.ends_with('\'') && g.len() > 1 && g.starts_with(' '))
            }
        };
        out.push(Tok {
            s,
            e,
            text: t,
            lower,
            flags,
            cap,
            allcaps: letters >= 2 && upper == letters,
            alpha: letters > 0 && digits == 0 && letters == t.chars().count(),
            has_digit: digits > 0,
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
    fn sentence_starts() {
        let toks = tokenize("Saw Dr. Piksa today. Grace came.\nHope");
        let starts: Vec<&str> = toks
            .iter()
            .filter(|t| t.sent_start)
            .map(|t| t.text)
            .collect();
        assert_eq!(starts, ["Saw", "Grace", "Hope"]);
    }
}
