//! Usernames in message exports, found by the layout of the export rather
//! than by the shape of the name: the sender of a WhatsApp line (`[12/03,
//! 21:14] jade m: ...`, `12/03/2025, 21:14 - Jade: ...`), Discord-style
//! tags (`name#1234`), and speakers of chat lines (`kez: ...` at the start
//! of two or more lines, or a handle-shaped speaker such as `toby.w99:`),
//! with every other mention of a speaker found in the same text.

use crate::gazetteer::{F_CARE, F_CLINICAL, F_CUE, F_ENGLISH, F_FIRST, F_STOP, F_TITLE, GAZ};
use crate::tokens::Tok;
use crate::{Cand, EntityType as T};

/// Priority of a sender: above names and organisations, below emails.
const PRIO: u8 = 87;

pub(crate) fn detect(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    if b.contains(&b'#') {
        discord_tags(text, out);
    }
    if !b.contains(&b':') {
        return;
    }
    let before = out.len();
    let mut speakers: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < b.len() {
        let end = memchr_nl(b, start);
        if let Some(line) = text.get(start..end) {
            if let Some((s, e)) = whatsapp_sender(line) {
                speakers.push((start + s, start + e));
            } else if let Some((s, e)) = speaker(line) {
                speakers.push((start + s, start + e));
            }
        }
        start = end + 1;
    }
    if speakers.is_empty() {
        return;
    }
    // A plain speaker (not a WhatsApp sender) counts when it is
    // handle-shaped or speaks on two lines or more.
    let mut names: Vec<&str> = Vec::new();
    for &(s, e) in &speakers {
        let Some(w) = text.get(s..e) else { continue };
        let shaped = w.contains(['_', '.']) || w.bytes().any(|c| c.is_ascii_digit());
        let ws = whatsapp_line(text, s);
        let repeated = speakers
            .iter()
            .filter(|&&(a, z)| text.get(a..z) == Some(w))
            .count()
            >= 2;
        if ws || shaped || repeated {
            out.push(Cand {
                s,
                e,
                kind: T::Username,
                prio: PRIO,
            });
            if !names.contains(&w) && !w.contains(' ') {
                names.push(w);
            }
        }
    }
    if names.is_empty() || out.len() == before {
        return;
    }
    // Other mentions of a one-word speaker ("thanks kez", "@toby.w99" is
    // a handle already).
    for t in toks {
        if t.nchars >= 3
            && names
                .iter()
                .any(|n| n.len() == t.text.len() && n.eq_ignore_ascii_case(t.text))
        {
            out.push(Cand {
                s: t.s,
                e: t.e,
                kind: T::Username,
                prio: 25,
            });
        }
    }
}

fn memchr_nl(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

/// Whether the line holding byte `at` is a WhatsApp export line.
fn whatsapp_line(text: &str, at: usize) -> bool {
    let s = text
        .get(..at)
        .and_then(|p| p.rfind('\n'))
        .map_or(0, |p| p + 1);
    text.get(s..).is_some_and(|l| whatsapp_sender(l).is_some())
}

/// Skips ASCII digits from `i`; returns the new index and how many.
fn digits(b: &[u8], i: usize) -> (usize, usize) {
    let mut j = i;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    (j, j - i)
}

/// The sender of a WhatsApp export line, as byte offsets in `line`:
/// `[12/03/2025, 21:14:05] Name: ...`, `[12/03, 21:14] name: ...`,
/// `12/03/2025, 21:14 - Name: ...` (also `9:14 pm`).
fn whatsapp_sender(line: &str) -> Option<(usize, usize)> {
    let b = line.as_bytes();
    let mut i = 0;
    let bracket = b.first() == Some(&b'[');
    if bracket {
        i = 1;
    }
    // Date: d/m(/y), with / . or -.
    let (j, n) = digits(b, i);
    if !(1..=4).contains(&n) {
        return None;
    }
    i = j;
    let mut parts = 1;
    while i < b.len() && matches!(b[i], b'/' | b'.' | b'-') && parts < 3 {
        let (j, n) = digits(b, i + 1);
        if !(1..=4).contains(&n) {
            return None;
        }
        i = j;
        parts += 1;
    }
    if parts < 2 {
        return None;
    }
    if b.get(i) == Some(&b',') {
        i += 1;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    // Time: h:mm(:ss)( am/pm).
    let (j, n) = digits(b, i);
    if !(1..=2).contains(&n) || b.get(j) != Some(&b':') {
        return None;
    }
    let (j, n) = digits(b, j + 1);
    if n != 2 {
        return None;
    }
    i = j;
    if b.get(i) == Some(&b':') {
        let (j, n) = digits(b, i + 1);
        if n != 2 {
            return None;
        }
        i = j;
    }
    let rest = line.get(i..)?;
    let rest_l = rest.trim_start_matches(' ');
    let ampm = ["am", "pm", "AM", "PM", "a.m.", "p.m."]
        .iter()
        .find(|p| rest_l.starts_with(**p))
        .map_or(0, |p| p.len());
    i += rest.len() - rest_l.len() + ampm;
    let rest = line.get(i..)?;
    let skip = if bracket {
        if !rest.starts_with("] ") {
            return None;
        }
        2
    } else if rest.starts_with(" - ") {
        3
    } else {
        return None;
    };
    let s = i + skip;
    let tail = line.get(s..)?;
    let colon = tail
        .find(": ")
        .or_else(|| tail.strip_suffix(':').map(str::len))?;
    let name = tail.get(..colon)?;
    if name.is_empty() || name.len() > 40 || !name.chars().any(crate::tokens::is_word_char) {
        return None;
    }
    let lead = name.len() - name.trim_start().len();
    let trimmed = name.trim();
    // Emoji and punctuation at the ends are not part of the span.
    let inner_s = trimmed.find(crate::tokens::is_word_char)?;
    let inner_e = trimmed
        .rfind(crate::tokens::is_word_char)
        .map(|p| p + trimmed[p..].chars().next().map_or(1, char::len_utf8))?;
    Some((s + lead + inner_s, s + lead + inner_e))
}

/// A chat speaker at the start of a line, `name: ...`: one word (letters,
/// digits, `.` and `_`) that is not a label of a form or a note ("Plan:",
/// "Client:", "Date:"), or a first name that is not a word.
fn speaker(line: &str) -> Option<(usize, usize)> {
    let colon = line.find(": ")?;
    let w = line.get(..colon)?;
    let lead = w.len() - w.trim_start_matches(['@', ' ']).len();
    let w = &w[lead..];
    if w.len() < 2
        || w.len() > 32
        || !w
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_'))
        || !w.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
        || w.ends_with('.')
    {
        return None;
    }
    let shaped = w.contains(['_', '.']) || w.bytes().any(|c| c.is_ascii_digit());
    if !shaped {
        let f = GAZ.flags_of(w) | GAZ.clinical_of(w);
        let vocab = f & (F_ENGLISH | F_CLINICAL | F_CARE | F_STOP | F_TITLE | F_CUE) != 0;
        if vocab && !(f & F_FIRST != 0 && f & (F_ENGLISH | F_CLINICAL | F_CARE) == 0) {
            return None;
        }
        // A capitalised speaker is judged as a name by the other layers.
        if w.bytes().next().is_some_and(|c| c.is_ascii_uppercase()) {
            return None;
        }
    }
    Some((lead, lead + w.len()))
}

/// `name#1234` (Discord-style tags): the name and its four digits.
fn discord_tags(text: &str, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    for (h, _) in text.match_indices('#') {
        let (j, n) = digits(b, h + 1);
        if n != 4
            || b.get(j)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            continue;
        }
        let mut s = h;
        while s > 0 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'_' | b'.')) {
            s -= 1;
        }
        while s < h && b[s] == b'.' {
            s += 1;
        }
        if h - s >= 2 && b[s..h].iter().any(u8::is_ascii_alphabetic) {
            out.push(Cand {
                s,
                e: j,
                kind: T::Username,
                prio: PRIO,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{EntityType, detect};

    fn found(text: &str) -> Vec<(String, EntityType)> {
        let chars: Vec<char> = text.chars().collect();
        detect(text, None)
            .into_iter()
            .map(|s| (chars[s.start..s.end].iter().collect(), s.kind))
            .collect()
    }

    #[test]
    fn whatsapp_senders_in_both_export_formats() {
        let got = found(
            "[12/03, 21:14] jade m: can we move it\n[12/03/2025, 21:15:02] Counsellor Bea: yes\n14/03/2025, 9:02 pm - Rob: ok",
        );
        for want in ["jade m", "Counsellor Bea", "Rob"] {
            assert!(
                got.contains(&(want.to_string(), EntityType::Username)),
                "{want}: {got:?}"
            );
        }
        assert!(!got.iter().any(|(t, _)| t.contains("21")), "{got:?}");
    }

    #[test]
    fn discord_tags_and_repeated_speakers() {
        let got =
            found("kez: hiya\nme: hi kez\nkez: can't sleep\nPlan: review. Seen by toby#0412.");
        let n = got
            .iter()
            .filter(|(t, k)| t == "kez" && *k == EntityType::Username)
            .count();
        assert_eq!(n, 3, "{got:?}");
        assert!(got.iter().any(|(t, _)| t == "toby#0412"), "{got:?}");
        assert!(
            !got.iter().any(|(t, _)| t == "Plan" || t == "me"),
            "{got:?}"
        );
    }

    #[test]
    fn form_labels_are_not_speakers() {
        let got = found("Date: today\nPlan: rest\nplan: more rest\nmood: low\nmood: better");
        assert!(got.is_empty(), "{got:?}");
    }
}
