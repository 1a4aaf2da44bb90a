//! Pattern detectors: emails, URLs, handles, dates, postcodes, NI and NHS
//! numbers (with the mod-11 check), phone numbers in UK, US and
//! international forms, card/SSN/IBAN/IP and case or reference numbers.

use crate::tokens::Tok;
use crate::{Cand, EntityType as T};
use regex::Regex;
use std::sync::LazyLock;

struct Patterns {
    email: Regex,
    url: Regex,
    bare_domain: Regex,
    handle: Regex,
    slash_handle: Regex,
    iso_date: Regex,
    num_date: Regex,
    text_date_dm: Regex,
    text_date_md: Regex,
    weekday_num_date: Regex,
    month_year: Regex,
    postcode_uk: Regex,
    ni: Regex,
    iban: Regex,
    ip: Regex,
    digits: Regex,
    alnum_id: Regex,
    ref_cue: Regex,
    po_box: Regex,
    unit: Regex,
    military: Regex,
    us_state_zip: Regex,
    zip_cue: Regex,
    nl_postcode: Regex,
    time: Regex,
}

const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const WEEKDAY: &str = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?";

/// Compiles a constant pattern. The patterns are fixed strings exercised by
/// the unit tests, so a failure here is a programming error, never input.
#[allow(clippy::expect_used)]
fn re(s: &str) -> Regex {
    // ASCII word boundaries and digits keep every pattern on the fast lazy
    // DFA (Unicode \b makes it fall back on non-ASCII text); the letters
    // around them may still be any script.
    let s = s.replace(r"\b", r"(?-u:\b)").replace(r"\d", "[0-9]");
    Regex::new(&s).expect("constant pattern compiles")
}

static P: LazyLock<Patterns> = LazyLock::new(|| Patterns {
    email: re(r"(?i)[a-z0-9][a-z0-9._%+'\-]*@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}"),
    url: re(r#"(?i)\b(?:https?://|www\.)[^\s<>"'\)\]]+"#),
    bare_domain: re(
        r"(?i)\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|org|net|co\.uk|org\.uk|ac\.uk|gov\.uk|nhs\.uk|me\.uk|uk|io|info|biz|me|eu|ie|de|fr|es|it|nl|be|ch|se|dk|no|fi|pl|cz|hu|pt|br|ca|au|nz|us|co)\b(?:/[^\s<>\x22]*)?",
    ),
    handle: re(r"@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?"),
    // Reddit-style "u/name" handles.
    slash_handle: re(r"\bu/[A-Za-z0-9_\-]{3,20}\b"),
    iso_date: re(r"\b\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\b"),
    num_date: re(
        r"\b\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})\b|\b\d{1,2}/\d{4}\b|\b\d{4}/\d{1,2}/\d{1,2}\b",
    ),
    text_date_dm: re(&format!(
        r"(?i)\b(?:{WEEKDAY},?\s+)?(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{MONTH}\b\.?(?:,?\s+'?\d{{4}}\b|,?\s+'\d{{2}}\b)?"
    )),
    text_date_md: re(&format!(
        r"(?i)\b(?:{WEEKDAY},?\s+)?{MONTH}\.?\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"
    )),
    // "Tue 3/2", "Thurs 20/3", "Fri 7/2/25": a weekday makes a bare
    // day/month (otherwise a score like 3/10) a date.
    weekday_num_date: re(&format!(
        r"(?i)\b{WEEKDAY}\.?,?\s+\d{{1,2}}[/.]\d{{1,2}}(?:[/.](?:\d{{4}}|\d{{2}}))?\b"
    )),
    month_year: re(&format!(r"(?i)\b{MONTH}\.?,?\s+\d{{4}}\b")),
    // Upper case as usual, or all lower case with the inward code's letter
    // set (no C, I, K, M, O, V), which keeps ordinary words out.
    postcode_uk: re(
        r"\b(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR) ?[0-9][A-Z]{2}\b|\b[a-z]{1,2}[0-9][a-z0-9]? [0-9][abd-hjlnp-uw-z]{2}\b",
    ),
    ni: re(r"\b[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b"),
    iban: re(r"(?i)\b[a-z]{2}[0-9]{2}[a-z0-9]{11,30}\b"),
    ip: re(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"),
    // Digit groups joined by single spaces, dashes, dots or brackets, with
    // an optional international prefix and extension.
    digits: re(
        r"(?:\+\s?\d{1,3}[\s.\-]?(?:\(0\)\s?)?)?(?:\(\d{1,5}\)[\s.\-]?)?\d+(?:(?:[ .\-]|\s?\(\d+\)\s?)\d+)*(?:\s?(?:x|ext\.?)\s?\d{1,5})?",
    ),
    alnum_id: re(r"\b(?:[A-Za-z]{1,5}[\-/]?\d{4,}[A-Za-z]{0,2}|\d{4,}[A-Za-z]{1,3}\d*)\b"),
    ref_cue: re(
        r"(?i)\b(?:case|ref(?:erence)?|claim|account|acct|patient|hospital|member(?:ship)?|policy|crn|mrn|id|licen[cs]e|passport|badge|employee|student|customer|order|invoice|ticket|booking|file)\s*(?:no\.?|number|num|#|id)?\s*[:#]?\s*([A-Z0-9][A-Z0-9/\-]{3,}[0-9][A-Z0-9]*)\b",
    ),
    po_box: re(r"(?i)\bP\.?\s?O\.?\s?Box\s+\d+"),
    unit: re(
        r"\b(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Studio|Room|Floor|Bldg\.?|Building)\s+(?:#?\d+[A-Za-z]?|[A-Z])\b",
    ),
    military: re(
        r"\b(?i:PSC|CMR|Unit)\s+\d{3,5},?\s+(?i:Box)\s+\d{1,5}(?:\s+(?i:APO|FPO|DPO)\s+(?i:A[AEP])\s+\d{5})?|\b(?i:APO|FPO|DPO)\s+(?i:A[AEP])\s+\d{5}\b|\b(?i:USNS|USNV|USS|USCGC)\s+\p{L}+(?:\s+\p{Lu}\p{L}+)?",
    ),
    zip_cue: re(
        r"(?i)\b(?:zip|postal|post)\s?code\s*(?:is|:)?\s*([A-Z0-9][A-Z0-9 \-]{1,9}[A-Z0-9])\b",
    ),
    nl_postcode: re(r"\b\d{4} ?[A-Z]{2}\b"),
    us_state_zip: re(
        r"\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC)\s+\d{5}(?:-\d{4})?\b",
    ),
    time: re(r"(?i)\b\d{1,2}[:.]\d{2}\s?(?:am|pm)?\b|\b\d{1,2}\s?(?:am|pm)\b"),
});

/// NHS number check digit (modulus 11).
pub fn nhs_valid(digits: &[u8]) -> bool {
    if digits.len() != 10 {
        return false;
    }
    let sum: u32 = digits[..9]
        .iter()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * (10 - i as u32))
        .sum();
    let check = 11 - (sum % 11);
    let check = if check == 11 { 0 } else { check };
    check != 10 && check == u32::from(digits[9])
}

/// Luhn check for card numbers.
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.len() < 12 {
        return false;
    }
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(*d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

fn push(out: &mut Vec<Cand>, s: usize, e: usize, kind: T, prio: u8) {
    if s < e {
        out.push(Cand { s, e, kind, prio });
    }
}

fn prev_char(text: &str, i: usize) -> Option<char> {
    text.get(..i).and_then(|p| p.chars().next_back())
}

fn next_char(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|p| p.chars().next())
}

/// Runs every pattern detector over `text`.
/// Cheap facts about a text's tokens that tell which patterns can match
/// at all, so each regex scans only texts where it may find something.
#[derive(Default)]
struct Gates {
    /// A token with both letters and digits (postcodes, IDs, IBANs).
    mixed: bool,
    /// A two-letter capitals token next to a number (NI numbers with
    /// spaces, Dutch postcodes, US state + ZIP).
    pair_caps_number: bool,
    month: bool,
    ref_word: bool,
    tld: bool,
    /// Letters, then "-" or "/", then digits ("RX-364207").
    sep_id: bool,
    box_word: bool,
    military: bool,
    zip_word: bool,
}

fn gates(text: &str, toks: &[Tok<'_>]) -> Gates {
    let mut g = Gates::default();
    for (i, t) in toks.iter().enumerate() {
        let l = t.l();
        if t.has_digit {
            if !t.text.bytes().all(|b| b.is_ascii_digit()) {
                g.mixed = true;
            }
            continue;
        }
        if t.text.len() == 2 && t.allcaps {
            let near = |j: usize| toks.get(j).is_some_and(|n| n.has_digit);
            if near(i + 1) || i > 0 && near(i - 1) {
                g.pair_caps_number = true;
            }
        }
        if (3..=9).contains(&l.len()) && is_month_word(l) {
            g.month = true;
        }
        if t.is(crate::gazetteer::F_REF) {
            g.ref_word = true;
        }
        match l {
            "box" => g.box_word = true,
            "apo" | "fpo" | "dpo" | "usns" | "usnv" | "uss" | "uscgc" => g.military = true,
            "zip" | "postal" | "postcode" | "post" => g.zip_word = true,
            _ => {}
        }
        if t.text.len() <= 5
            && toks
                .get(i + 1)
                .is_some_and(|n| n.has_digit && matches!(text.get(t.e..n.s), Some("-" | "/")))
        {
            g.sep_id = true;
        }
        if l.len() <= 4 && text.get(..t.s).is_some_and(|b| b.ends_with('.')) && TLDS.contains(&l) {
            g.tld = true;
        }
    }
    g
}

pub(crate) const REF_WORDS: &[&str] = &[
    "case",
    "ref",
    "reference",
    "claim",
    "account",
    "acct",
    "patient",
    "hospital",
    "member",
    "membership",
    "policy",
    "crn",
    "mrn",
    "id",
    "licence",
    "license",
    "passport",
    "badge",
    "employee",
    "student",
    "customer",
    "order",
    "invoice",
    "ticket",
    "booking",
    "file",
];

const TLDS: &[&str] = &[
    "com", "org", "net", "uk", "io", "info", "biz", "me", "eu", "ie", "de", "fr", "es", "it", "nl",
    "be", "ch", "se", "dk", "no", "fi", "pl", "cz", "hu", "pt", "br", "ca", "au", "nz", "us", "co",
];

fn is_month_word(l: &str) -> bool {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    l.get(..3).is_some_and(|p| M.contains(&p))
}

pub(crate) fn detect(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let p = &*P;
    let has_digit = toks.iter().any(|t| t.has_digit);
    let has_at = text.contains('@');
    let g = gates(text, toks);

    if has_at {
        for m in p.email.find_iter(text) {
            push(out, m.start(), m.end(), T::Email, 95);
        }
        for m in p.handle.find_iter(text) {
            let before = prev_char(text, m.start());
            if before.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_') {
                continue;
            }
            push(out, m.start(), m.end(), T::Username, 90);
        }
    }
    if text.contains("u/") {
        for m in p.slash_handle.find_iter(text) {
            push(out, m.start(), m.end(), T::Username, 90);
        }
    }
    if text.contains("www.") || text.contains("://") {
        for m in p.url.find_iter(text) {
            let t = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
            push(out, m.start(), m.start() + t.len(), T::Url, 92);
        }
    }
    if g.tld {
        for m in p.bare_domain.find_iter(text) {
            // Not part of an email address.
            if prev_char(text, m.start()) == Some('@') || next_char(text, m.end()) == Some('@') {
                continue;
            }
            let t = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
            push(out, m.start(), m.start() + t.len(), T::Url, 91);
        }
    }
    if !has_digit {
        return;
    }
    // Every pattern below contains a digit and reaches at most a few tokens
    // from one, so it only scans windows around digit tokens.
    let wins = digit_windows(text, toks, 6);
    let find = |re: &Regex| -> Vec<(usize, usize, &str)> {
        let mut v = Vec::new();
        for &(ws, we) in &wins {
            let w = &text[ws..we];
            v.extend(
                re.find_iter(w)
                    .map(|m| (ws + m.start(), ws + m.end(), m.as_str())),
            );
        }
        v
    };
    if g.month {
        for (s, e, _) in find(&p.text_date_dm) {
            push(out, s, e, T::Date, 70);
        }
        for (s, e, m) in find(&p.text_date_md) {
            // "may 2" as a verb is rare; require a capitalised month unless
            // a year follows.
            if m.starts_with(char::is_lowercase) && !m.contains(',') {
                continue;
            }
            push(out, s, e, T::Date, 70);
        }
        for (s, e, m) in find(&p.month_year) {
            if m.starts_with(char::is_lowercase) {
                continue;
            }
            push(out, s, e, T::Date, 70);
        }
    }
    // "7.38/42" (a blood gas) has the shape of a date but no valid day
    // and month.
    for (s, e, m) in find(&p.num_date) {
        if plausible_numeric_date(m) {
            push(out, s, e, T::Date, 74);
        }
    }
    let mut run = |on: bool, re: &Regex, kind: T, prio: u8| {
        if on {
            for (s, e, _) in find(re) {
                push(out, s, e, kind, prio);
            }
        }
    };
    run(true, &p.iso_date, T::Date, 75);
    run(true, &p.weekday_num_date, T::Date, 76);
    run(g.mixed, &p.postcode_uk, T::Postcode, 80);
    run(g.mixed || g.pair_caps_number, &p.ni, T::NiNumber, 82);
    run(true, &p.ip, T::Id, 77);
    run(g.mixed || g.sep_id, &p.alnum_id, T::Id, 60);
    run(g.box_word, &p.po_box, T::Address, 65);
    run(g.box_word || g.military, &p.military, T::Address, 65);
    run(g.pair_caps_number, &p.nl_postcode, T::Postcode, 39);
    run(g.pair_caps_number, &p.us_state_zip, T::Address, 64);
    run(true, &p.unit, T::Address, 55);
    if g.mixed {
        for (s, e, m) in find(&p.iban) {
            if m.bytes().filter(u8::is_ascii_digit).count() >= 8 {
                push(out, s, e, T::Id, 78);
            }
        }
    }
    for (on, re, kind, prio) in [
        (g.ref_word, &p.ref_cue, T::Id, 76),
        (g.zip_word, &p.zip_cue, T::Postcode, 79),
    ] {
        if on {
            for &(ws, we) in &wins {
                for c in re.captures_iter(&text[ws..we]) {
                    if let Some(m) = c.get(1) {
                        push(out, ws + m.start(), ws + m.end(), kind, prio);
                    }
                }
            }
        }
    }
    // Times are not identifiers: remember them so digit runs skip them.
    let times: Vec<(usize, usize)> = find(&p.time).into_iter().map(|(s, e, _)| (s, e)).collect();
    for (s, e, m) in find(&p.digits) {
        // Must not be glued to letters or other digits (IDs, postcodes).
        if prev_char(text, s)
            .is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '£' || c == '$' || c == '€')
            || next_char(text, e).is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '%')
        {
            continue;
        }
        if times.iter().any(|&(a, b)| a <= s && e <= b) {
            continue;
        }
        let digits: Vec<u8> = m
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        classify_digits(m, s, e, &digits, out);
    }
}

/// Whether "d/m/y", "m/d/y", "y/m/d" or "m/yyyy" has a valid day and month.
fn plausible_numeric_date(m: &str) -> bool {
    let v: Vec<u32> = m
        .split(['/', '.', '-'])
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    match v.as_slice() {
        [y, a, b] if *y > 31 => (1..=12).contains(a) && (1..=31).contains(b),
        [a, b, _] => (1..=31).contains(a) && (1..=31).contains(b) && (*a <= 12 || *b <= 12),
        [a, _] => (1..=12).contains(a),
        _ => false,
    }
}

/// Byte windows around tokens with digits, `k` tokens either side
/// (including the separators before the first), merged when they overlap.
/// Window edges are token edges, so word boundaries match as in the text.
fn digit_windows(text: &str, toks: &[Tok<'_>], k: usize) -> Vec<(usize, usize)> {
    let n = toks.len();
    let mut wins: Vec<(usize, usize)> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if !t.has_digit {
            continue;
        }
        let a = i.saturating_sub(k);
        let b = (i + k).min(n - 1);
        let ws = if a == 0 { 0 } else { toks[a - 1].e };
        let we = if b + 1 < n { toks[b + 1].s } else { text.len() };
        match wins.last_mut() {
            Some(last) if ws <= last.1 => last.1 = last.1.max(we),
            _ => wins.push((ws, we)),
        }
    }
    wins
}

fn classify_digits(t: &str, s: usize, e: usize, d: &[u8], out: &mut Vec<Cand>) {
    let n = d.len();
    let plus = t.starts_with('+');
    let groups: Vec<usize> = t
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    if n == 10 && nhs_valid(d) && !plus && d[0] != 0
        || (n == 10 && groups == [3, 3, 4] && !t.contains('(') && nhs_valid(d))
    {
        push(out, s, e, T::NhsNumber, 85);
        return;
    }
    if groups == [3, 2, 4] && t.contains('-') {
        push(out, s, e, T::Id, 70); // US social security number shape
        return;
    }
    if (13..=19).contains(&n)
        && !plus
        && (luhn_valid(d) || groups.len() == 1 || groups.iter().all(|&g| g == 4))
    {
        push(out, s, e, T::Id, 70);
        return;
    }
    if (7..=15).contains(&n) {
        if n == 10
            && groups == [3, 3, 4]
            && d[0] != 0
            && !t.contains('(')
            && !plus
            && t.contains(' ')
        {
            // Likely an NHS number written without a valid check digit.
            push(out, s, e, T::NhsNumber, 62);
            return;
        }
        push(out, s, e, T::Phone, 68);
        return;
    }
    if n > 15 {
        push(out, s, e, T::Id, 60);
        return;
    }
    if groups.len() == 1 && n == 4 {
        let v = d.iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
        if (1900..=2099).contains(&v) {
            push(out, s, e, T::Date, 50);
        } else {
            push(out, s, e, T::Address, 40);
        }
        return;
    }
    if groups.len() == 1 && (5..=6).contains(&n) {
        push(out, s, e, T::Postcode, 40);
        return;
    }
    // A run of single digits ("5-4-3-2-1" grounding, "1 2 3 4 5" scales)
    // is a count, not a phone number.
    if groups.len() >= 2 && n >= 5 && groups.iter().any(|&g| g > 1) {
        push(out, s, e, T::Phone, 45);
    }
}

/// Year-only mentions ("in 1977"); kept separate so callers can weigh them.
/// Years ("1987", "the 1990s"): a token of four digits from 1900 to 2099,
/// with an optional "s" (the token-level form of the `year` regex, so a
/// text without digits costs nothing).
pub(crate) fn years(toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    for t in toks.iter().filter(|t| t.has_digit) {
        let b = t.text.as_bytes();
        let digits = match b {
            [a, b2, c, d] | [a, b2, c, d, b's'] => [*a, *b2, *c, *d],
            _ => continue,
        };
        if digits.iter().all(u8::is_ascii_digit) && matches!(&digits[..2], b"19" | b"20") {
            push(out, t.s, t.e, T::Date, 50);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(String, T)> {
        let mut v = Vec::new();
        let mut arena = String::new();
        let toks = crate::tokens::tokenize(text, &mut arena);
        detect(text, &toks, &mut v);
        v.iter()
            .map(|c| (text[c.s..c.e].to_string(), c.kind))
            .collect()
    }

    #[test]
    fn nhs_mod11() {
        assert!(nhs_valid(&[9, 4, 3, 4, 7, 6, 5, 9, 1, 9]));
        assert!(!nhs_valid(&[9, 4, 3, 4, 7, 6, 5, 9, 1, 8]));
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid(&[
            4, 5, 3, 9, 1, 4, 8, 8, 0, 3, 4, 3, 6, 4, 6, 7
        ]));
        assert!(!luhn_valid(&[
            4, 5, 3, 9, 1, 4, 8, 8, 0, 3, 4, 3, 6, 4, 6, 8
        ]));
    }

    #[test]
    fn uk_forms() {
        let f = found(
            "Call +44 (0)7700 900123 or 020-7946-0018; NI QQ 12 34 56 C; SW1A 1AA; 943 476 5919",
        );
        assert!(
            f.contains(&("+44 (0)7700 900123".into(), T::Phone)),
            "{f:?}"
        );
        assert!(f.contains(&("020-7946-0018".into(), T::Phone)), "{f:?}");
        assert!(f.contains(&("QQ 12 34 56 C".into(), T::NiNumber)), "{f:?}");
        assert!(f.contains(&("SW1A 1AA".into(), T::Postcode)), "{f:?}");
        assert!(f.contains(&("943 476 5919".into(), T::NhsNumber)), "{f:?}");
    }

    #[test]
    fn postcodes_in_any_case() {
        let f = found("lives at sw1a 1aa now, or IP1X7EQ; not 3rd floor");
        assert!(f.contains(&("sw1a 1aa".into(), T::Postcode)), "{f:?}");
        assert!(f.contains(&("IP1X7EQ".into(), T::Postcode)), "{f:?}");
        assert!(!f.iter().any(|(t, _)| t.contains("floor")), "{f:?}");
    }

    #[test]
    fn dates() {
        let f = found("on 02/03/2025, 2 March, March 2nd, 2.3.25 and the 2nd of Mar");
        for d in [
            "02/03/2025",
            "2 March",
            "March 2nd",
            "2.3.25",
            "the 2nd of Mar",
        ] {
            assert!(f.iter().any(|(t, k)| t == d && *k == T::Date), "{d}: {f:?}");
        }
    }

    #[test]
    fn weekday_short_dates_lettered_flats_and_slash_handles() {
        let f = found("seen Tue 3/2 and Fri 7/2/25; mood 3/10; Flat C; posts as u/quiet_22");
        for (d, k) in [
            ("Tue 3/2", T::Date),
            ("Fri 7/2/25", T::Date),
            ("Flat C", T::Address),
            ("u/quiet_22", T::Username),
        ] {
            assert!(f.iter().any(|(t, kk)| t == d && *kk == k), "{d}: {f:?}");
        }
        assert!(!f.iter().any(|(t, _)| t.contains("3/10")), "{f:?}");
    }

    #[test]
    fn times_and_scores_are_not_phones() {
        let f = found("PHQ-9 14, GAD-7 9, sertraline 50mg at 10:30am, grounding 5-4-3-2-1");
        assert!(f.is_empty(), "{f:?}");
    }
}
