//! Names, places, organisations and street addresses from capitalisation,
//! gazetteers and context cues.
//!
//! The text is cut into runs of capitalised words ("Jodie MacGill",
//! "Nixon Primary School", "Anne Common"). Each run is judged in order:
//! organisation shape (ends in an organisation word), street address (ends
//! in a street word after a house number, or a strong street word), a
//! title or cue before it ("Mr", "my sister", "called"), place gazetteer,
//! then name gazetteers and the unknown-proper-noun rule. Words that are
//! also common English words (Grace, Hope, May, Will, Bath) need context:
//! capitalised mid-sentence, a cue before, a name next to them, or a
//! reporting verb after them at the start of a sentence.

use crate::gazetteer::{
    F_CLINICAL, F_CUE, F_ENGLISH, F_FIRST, F_NAME, F_ORG_END, F_PLACE, F_PLACE_START, F_STOP,
    F_STREET_STRONG, F_STREET_WEAK, F_SUR, F_TITLE, GAZ,
};
use crate::tokens::Tok;
use crate::{Cand, EntityType as T};

const PARTICLES: &[&str] = &[
    "van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le", "bin", "ibn",
    "al", "el", "dos", "das", "ter", "ten", "y", "ap", "binti", "bint",
];

/// Verbs after which a sentence-initial ambiguous word is a name
/// ("Will said", "Grace has").
const REPORT_VERBS: &[&str] = &[
    "said",
    "says",
    "told",
    "tells",
    "reported",
    "reports",
    "described",
    "describes",
    "mentioned",
    "explained",
    "has",
    "had",
    "feels",
    "felt",
    "wants",
    "wanted",
    "called",
    "texted",
    "phoned",
    "rang",
    "asked",
    "came",
    "went",
    "lives",
    "lived",
    "works",
    "worked",
    "thinks",
    "thought",
    "agreed",
    "attended",
    "arrived",
    "seems",
    "stayed",
    "visited",
    "moved",
    "left",
    "shouted",
    "cried",
    "disclosed",
    "denied",
    "admitted",
    "stated",
    "shared",
    "expressed",
    "became",
    "started",
    "stopped",
    "refused",
    "missed",
    "cancelled",
    "did",
    "does",
    "and",
    "who",
    "hasn't",
    "doesn't",
    "didn't",
    "wasn't",
];

/// Words before a place ("moved to Bath", "lives in Reading").
const PLACE_PREPS: &[&str] = &[
    "in", "to", "from", "near", "at", "around", "visiting", "visit", "outside", "towards", "via",
    "into",
];

/// Public services named after their town ("Derby Foodbank"): the town
/// is the identifier, the service word is kept.
pub(crate) const SERVICE_SUFFIXES: &[&str] = &[
    "foodbank",
    "food bank",
    "jobcentre",
    "job centre",
    "council",
    "city council",
    "borough council",
    "county council",
    "library",
    "police",
    "crown court",
    "magistrates court",
    "county court",
    "family court",
    "sheriff court",
    "register office",
];

const UNIT_WORDS: &[&str] = &[
    "flat",
    "studio",
    "apartment",
    "apt",
    "unit",
    "suite",
    "room",
    "house",
    "floor",
    "block",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// In a name gazetteer and not a common word.
    Name,
    /// In a name gazetteer and also a common word (Grace, Will, Bath).
    AmbiguousName,
    /// Not in any word list: an unknown proper noun.
    Unknown,
    /// A common word or a listed non-identifier.
    Common,
}

fn classify(t: &Tok<'_>) -> Class {
    if t.is(F_STOP | F_TITLE) {
        return Class::Common;
    }
    // Clinical and care vocabulary that is in no name list is never a name
    // ("Sertraline", "Supervisee"); medical word lists hold many surnames
    // (eponyms), so a listed name keeps its class.
    let common = t.is(F_ENGLISH);
    if !t.is(F_NAME) && t.is(F_CLINICAL) {
        return Class::Common;
    }
    if t.is(F_NAME) {
        return if common {
            Class::AmbiguousName
        } else {
            Class::Name
        };
    }
    if common || t.text.len() < 2 {
        return Class::Common;
    }
    Class::Unknown
}

/// Whether a token may start or continue a capitalised run.
fn cap_word(t: &Tok<'_>) -> bool {
    if !t.cap || !t.alpha {
        return false;
    }
    if t.allcaps {
        // Acronyms (CBT, PHQ) are not names; upper-case place or name
        // lines in addresses ("LONDON") are.
        return t.is(F_PLACE | F_NAME) && !t.is(F_STOP) && t.text.len() >= 3
            || (t.nchars >= 6 && !t.is(F_ENGLISH | F_STOP));
    }
    true
}

fn gap<'t>(text: &'t str, toks: &[Tok<'_>], i: usize) -> &'t str {
    // Text between token i-1 and token i.
    if i == 0 || i >= toks.len() {
        return "";
    }
    text.get(toks[i - 1].e..toks[i].s).unwrap_or("")
}

fn is_initial(t: &Tok<'_>) -> bool {
    t.nchars == 1 && t.cap
}

fn non_latin(t: &Tok<'_>) -> bool {
    !t.text.is_ascii()
        && t.text.chars().any(|c| {
            let u = c as u32;
            (0x0370..=0x03FF).contains(&u) // Greek
            || (0x0400..=0x04FF).contains(&u) // Cyrillic
            || (0x0600..=0x06FF).contains(&u) // Arabic
            || (0x0900..=0x0DFF).contains(&u) // Indic scripts
            || (0x3040..=0x30FF).contains(&u) // Kana
            || (0x4E00..=0x9FFF).contains(&u) // CJK
            || (0xAC00..=0xD7AF).contains(&u) // Hangul
        })
}

/// Builds runs of capitalised words: inclusive token index ranges. Words in
/// upper-case regions (`upper`) carry no case signal and are left to
/// `caseless.rs`.
fn runs(text: &str, toks: &[Tok<'_>], upper: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if upper[i] || !(cap_word(&toks[i]) || (is_initial(&toks[i]) && i + 1 < toks.len())) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut j = i + 1;
        while j < toks.len() {
            let g = gap(text, toks, j);
            let prev = &toks[j - 1];
            let glue = matches!(g, " " | "-" | "'" | "\u{2019}")
                || (g == ". " && is_initial(prev))
                || (g == "." && is_initial(prev));
            // "St Mary's Primary School": a possessive inside an
            // organisation name continues the run.
            if matches!(g, "'" | "\u{2019}")
                && toks[j].lower == "s"
                && j + 1 < toks.len()
                && gap(text, toks, j + 1) == " "
                && (j + 1..(j + 5).min(toks.len())).any(|k| toks[k].is(F_ORG_END) && toks[k].cap)
                && (j + 1..(j + 5).min(toks.len()))
                    .take_while(|&k| toks[k].cap)
                    .any(|k| toks[k].is(F_ORG_END))
            {
                end = j;
                j += 1;
                continue;
            }
            if !glue || upper[j] {
                break;
            }
            let t = &toks[j];
            if cap_word(t)
                || (is_initial(t) && g == " ")
                || (g == " " && t.allcaps && is_org_word(t.lower))
                // "Belfast HSC Trust": an acronym inside an organisation
                // name, when a capitalised organisation suffix follows.
                || (g == " "
                    && t.allcaps
                    && t.alpha
                    && j + 1 < toks.len()
                    && gap(text, toks, j + 1) == " "
                    && toks[j + 1].cap
                    && toks[j + 1].is(F_ORG_END))
                || (g == " " && matches!(t.text, "II" | "III" | "IV" | "Jr" | "Snr" | "Jnr" | "Sr"))
            {
                end = j;
                j += 1;
            } else if g == " "
                && PARTICLES.contains(&t.l())
                && j + 1 < toks.len()
                && gap(text, toks, j + 1) == " "
                && cap_word(&toks[j + 1])
            {
                end = j + 1;
                j += 2;
            } else {
                break;
            }
        }
        // A lone initial is not a run.
        if !(start == end && is_initial(&toks[start])) {
            out.push((start, end));
        }
        i = end + 1;
    }
    out
}

fn is_org_word(l: &str) -> bool {
    GAZ.org_by_last
        .get(l)
        .is_some_and(|v| v.iter().any(|suf| suf.len() == 1))
}

fn push(out: &mut Vec<Cand>, toks: &[Tok<'_>], a: usize, b: usize, kind: T, prio: u8) {
    out.push(Cand {
        s: toks[a].s,
        e: toks[b].e,
        kind,
        prio,
    });
}

/// Organisation suffix length (in tokens) at the end of run a..=b.
fn org_suffix_len(toks: &[Tok<'_>], a: usize, b: usize) -> usize {
    if !toks[b].is(F_ORG_END) {
        return 0;
    }
    GAZ.org_suffix_at(|x| b.checked_sub(x).map(|i| toks[i].lower), b + 1 - a)
}

fn is_house_number(t: &Tok<'_>) -> bool {
    t.has_digit
        && t.nchars <= 6
        && t.text.starts_with(|c: char| c.is_ascii_digit())
        && t.text.chars().filter(char::is_ascii_alphabetic).count() <= 2
}

/// Extends an address start leftwards over "Flat 62n, 98" prefixes.
fn address_start(text: &str, toks: &[Tok<'_>], a: usize) -> Option<usize> {
    if a == 0 {
        return None;
    }
    let n = a - 1;
    let g = gap(text, toks, a);
    if !(is_house_number(&toks[n]) && matches!(g, " " | ", ")) {
        return None;
    }
    let mut start = n;
    if n >= 1 && UNIT_WORDS.contains(&toks[n - 1].l()) && gap(text, toks, n) == " " {
        start = n - 1;
    } else if g == ", " {
        // "98h, Anne Common" without a unit word before the number is too
        // weak ("in 2019, Anne Common..."): require the unit word.
        return None;
    }
    Some(start)
}

/// Runs the detector.
pub(crate) fn detect(text: &str, toks: &[Tok<'_>], upper: &[bool], out: &mut Vec<Cand>) {
    // Non-Latin script words inside English text are names or places.
    let mut i = 0;
    while i < toks.len() {
        if non_latin(&toks[i]) && toks[i].nchars >= 2 {
            let a = i;
            while i + 1 < toks.len() && non_latin(&toks[i + 1]) && gap(text, toks, i + 1) == " " {
                i += 1;
            }
            push(out, toks, a, i, T::Name, 25);
        }
        i += 1;
    }

    for (a0, b) in runs(text, toks, upper) {
        judge_run(text, toks, a0, b, out);
    }
    // A lone initial used as a name: "J. said", "K told me".
    for i in 0..toks.len().saturating_sub(1) {
        let nx = &toks[i + 1];
        if is_initial(&toks[i])
            && !upper[i]
            && toks[i].text != "I"
            && matches!(gap(text, toks, i + 1), " " | ". ")
            && REPORT_VERBS.contains(&nx.l())
            && !matches!(nx.l(), "and" | "who")
        {
            push(out, toks, i, i, T::Name, 22);
        }
    }
    lists(text, toks, out);
    hyphenated(text, toks, out);
    street_numbers(text, toks, upper, out);
    corners(text, toks, out);
    lower_case_names(text, toks, out);
}

/// Whether no token has a capital letter (a token's lower-case form is
/// borrowed from the text exactly when it has none).
fn no_capitals(toks: &[Tok<'_>]) -> bool {
    toks.iter()
        .all(|t| std::ptr::eq(t.lower.as_ptr(), t.text.as_ptr()))
}

/// Lower-case words that go inside street addresses ("ul.", "rue des").
const ADDRESS_PARTICLES: &[&str] = &[
    "ul", "u", "al", "tér", "utca", "út", "rue", "de", "des", "du", "del", "della", "da", "do",
    "dos", "das", "di", "la", "le", "les", "van", "von", "der", "den", "d", "st", "str", "via",
    "vicolo", "calle", "avenida", "rua", "och", "y", "e", "am", "an", "im", "auf",
];

fn same_line(g: &str) -> bool {
    !g.contains('\n') && g.len() <= 3
}

/// House-number addresses: "5366 Pivovarská 276", "770 26 rue des
/// Lieutenants Thomazo", "333 Golfskálinn 78", "Hansinegata 120".
fn street_numbers(text: &str, toks: &[Tok<'_>], upper: &[bool], out: &mut Vec<Cand>) {
    let n = toks.len();
    let no_caps = no_capitals(toks);
    // In a text without capitals, a word not in the dictionary stands in
    // for a capitalised one.
    let cap_word =
        |t: &Tok<'_>| cap_word(t) || (no_caps && t.alpha && t.nchars >= 3 && !t.is(F_ENGLISH));
    let classify = |t: &Tok<'_>| {
        if no_caps && !t.is(F_ENGLISH) {
            Class::Unknown
        } else {
            classify(t)
        }
    };
    let mut i = 0;
    while i < n {
        // Not an ordinal ("3rd Feb", "21st Century").
        let lead = is_house_number(&toks[i])
            && !["st", "nd", "rd", "th"]
                .iter()
                .any(|o| toks[i].l().ends_with(o));
        let wordy = |t: &Tok<'_>| {
            (cap_word(t) && !t.is(F_STOP) && !is_month_prefix(t.l()))
                || ADDRESS_PARTICLES.contains(&t.l())
        };
        // In capitals only a house number opens an address ("LASIX 40" is
        // a dose).
        if !(lead
            || !upper[i] && cap_word(&toks[i]) && matches!(classify(&toks[i]), Class::Unknown))
        {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i + 1;
        // A second number ("770 26 rue ...").
        if lead && j < n && is_house_number(&toks[j]) && gap(text, toks, j) == " " {
            j += 1;
        }
        let mut caps = usize::from(!lead);
        let mut unknown = usize::from(!lead);
        let mut last_word = if lead { None } else { Some(i) };
        while j < n
            && (gap(text, toks, j) == " "
                || matches!(gap(text, toks, j), ". " | "' " | "'")
                    && ADDRESS_PARTICLES.contains(&toks[j - 1].l()))
            && wordy(&toks[j])
        {
            if cap_word(&toks[j]) {
                caps += 1;
                if matches!(classify(&toks[j]), Class::Unknown | Class::Name) {
                    unknown += 1;
                }
            }
            last_word = Some(j);
            j += 1;
        }
        let Some(lw) = last_word else {
            i += 1;
            continue;
        };
        let trailing = j < n
            && matches!(gap(text, toks, j), " " | ". ")
            && is_house_number(&toks[j])
            && toks[j].text.len() <= 5
            && !text
                .get(toks[j].e..)
                .is_some_and(|r| r.starts_with([':', '%']) || r.starts_with(" years"));
        let suffix = toks[lw].is(F_STREET_STRONG) || toks[lw].is(F_STREET_WEAK);
        let ok = caps >= 1
            && unknown >= 1
            && (!upper[start] || suffix)
            && if lead {
                // "12 Cheapside, Reading": a short number and one unknown
                // word before a comma and a known place.
                let place_after = matches!(gap(text, toks, lw + 1), ", " | ",")
                    && toks
                        .get(lw + 1)
                        .is_some_and(|p| p.cap && p.is(F_PLACE) && !p.is(F_STOP));
                trailing || suffix || toks[start].text.len() >= 3 || place_after
            } else {
                trailing
            };
        if ok {
            let end = if trailing { j } else { lw };
            push(out, toks, start, end, T::Address, 48);
            i = end + 1;
        } else {
            i += 1;
        }
    }
}

/// Multi-line address blocks: after a street address, the following short
/// lines or comma-separated parts made of place words, region codes and
/// postal codes ("\nArtilleros\n, CO\n Uruguay 64677") belong to it.
pub(crate) fn extend_addresses(
    text: &str,
    toks: &[Tok<'_>],
    upper: &[bool],
    cands: &mut Vec<Cand>,
) {
    let mut extra = Vec::new();
    for c in cands.iter().filter(|c| c.kind == T::Address) {
        // First token after the address.
        let Some(mut j) = toks.iter().position(|t| t.s >= c.e) else {
            continue;
        };
        let mut end = c.e;
        let mut steps = 0;
        while j < toks.len() && steps < 12 {
            let g = text
                .get(if j == 0 { 0 } else { toks[j - 1].e.max(end) }..toks[j].s)
                .unwrap_or("");
            if g.len() > 8
                || !g
                    .chars()
                    .all(|ch| ch.is_whitespace() || ch == ',' || ch == '>' || ch == '.')
            {
                break;
            }
            let t = &toks[j];
            let ok = t.cap
                || t.text.bytes().all(|b| b.is_ascii_digit()) && t.text.len() <= 6
                || t.allcaps && t.text.len() <= 3
                || (t.lower == "nan")
                || ADDRESS_PARTICLES.contains(&t.l())
                || UNIT_WORDS.contains(&t.l());
            if !ok || t.is(F_STOP) && !t.allcaps {
                break;
            }
            // A form label ("POSTCODE:", "Mobile:") ends the block, and in
            // upper-case text, where capitals say nothing, so does an
            // ordinary word that is no place.
            if text.get(t.e..).is_some_and(|r| r.starts_with(':'))
                || upper.get(j) == Some(&true)
                    && t.alpha
                    && t.is(F_ENGLISH | crate::gazetteer::F_CLINICAL)
                    && !t.is(F_PLACE)
            {
                break;
            }
            // Stop at the start of an ordinary sentence, also on the next
            // line ("...MILL ROAD, LEEDS.\n2 LARGE BORE PIVS"), unless the
            // stop ends an abbreviation ("Apt.\n", "Rd.\n").
            let abbrev = j > 0 && toks[j - 1].text.bytes().all(|b| b.is_ascii_digit())
                || j > 0
                    && toks[j - 1].alpha
                    && toks[j - 1].nchars <= 4
                    && toks[j - 1].cap
                    && !toks[j - 1].allcaps;
            // In capitals every word looks like a place word: never past
            // a full stop there.
            if g.contains('.') && (!g.contains('\n') || !abbrev || t.allcaps) {
                break;
            }
            end = t.e;
            j += 1;
            steps += 1;
        }
        if end > c.e {
            extra.push(Cand {
                s: c.e,
                e: end,
                kind: T::Address,
                prio: 33,
            });
        }
    }
    cands.extend(extra);
}

/// "the corner of 74 Sikelianou Street and Ten Pas Pass".
fn corners(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let n = toks.len();
    for i in 0..n.saturating_sub(2) {
        if !(toks[i].lower == "corner" && toks[i + 1].lower == "of") {
            continue;
        }
        let start = if i > 0 && toks[i - 1].lower == "the" {
            i - 1
        } else {
            i
        };
        let mut j = i + 2;
        let mut last = None;
        let mut seen_and = false;
        while j < n
            && same_line(gap(text, toks, j))
            && !gap(text, toks, j).contains([',', '?', '!'])
        {
            let t = &toks[j];
            if t.lower == "and" && !seen_and && last.is_some() {
                seen_and = true;
            } else if t.cap
                || t.has_digit
                || ADDRESS_PARTICLES.contains(&t.l())
                || t.is(F_STREET_WEAK)
            {
                last = Some(j);
            } else {
                break;
            }
            j += 1;
        }
        if let (Some(l), true) = (last, seen_and) {
            push(out, toks, start, l, T::Address, 47);
        }
    }
}

/// Names written in lower case: a whole text without capitals ("they had
/// 6: leonti, terrence, pamela") is judged word by word against the
/// gazetteers; in ordinary text only unambiguous first names count.
fn lower_case_names(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let no_caps = no_capitals(toks) && text.len() >= 12;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.cap || !t.alpha {
            i += 1;
            continue;
        }
        // In ordinary text a lower-case first name counts after a
        // relationship cue ("his brother tom"), or when it is not a common
        // word and starts a sentence or comes before a reporting verb
        // ("jamie mentioned"). Position is checked before any flag lookup.
        let cue_before = i > 0 && gap(text, toks, i) == " " && toks[i - 1].is(F_CUE);
        let verb_after = toks.get(i + 1).is_some_and(|nx| {
            !nx.sent_start && REPORT_VERBS.contains(&nx.l()) && !matches!(nx.l(), "and" | "who")
        });
        if !no_caps && (!(cue_before || t.sent_start || verb_after) || !t.is(F_FIRST)) {
            i += 1;
            continue;
        }
        let n = t.nchars;
        let name_like = |t: &Tok<'_>| {
            let l = t.l();
            !t.cap
                && t.alpha
                && !t.is(F_ENGLISH | F_STOP | F_TITLE)
                && !ADDRESS_PARTICLES.contains(&l)
                && !PARTICLES.contains(&l)
        };
        let take = if no_caps {
            // (An inflected ordinary word, "messaged", is no name.)
            name_like(t)
                && (n >= 3 && t.is(F_NAME | F_PLACE) || n >= 5 && !crate::caseless::vocabulary(t))
        } else {
            // Position first (cheap), gazetteer flags only then.
            (cue_before || t.sent_start || verb_after)
                && n >= 3
                && !t.is(F_STOP | F_TITLE | F_CUE)
                // "holly said": a first name that is also a word, at the
                // start of a sentence and before a reporting verb.
                && (cue_before || !t.is(F_ENGLISH) || t.sent_start && verb_after)
        };
        if take {
            let a = i;
            while i + 1 < toks.len()
                && gap(text, toks, i + 1) == " "
                && name_like(&toks[i + 1])
                && (toks[i + 1].is(F_NAME) || no_caps && toks[i + 1].nchars >= 4)
            {
                i += 1;
            }
            push(out, toks, a, i, T::Name, 20);
        }
        i += 1;
    }
}

fn prev_lower<'a>(toks: &'a [Tok<'_>], a: usize) -> Option<&'a str> {
    a.checked_sub(1).map(|p| toks[p].l())
}

fn service_run(toks: &[Tok<'_>], a: usize, b: usize, k: usize) -> bool {
    SERVICE_SUFFIXES.contains(&join_lower(toks, b + 1 - k, b).as_str())
        && GAZ.is_place(&join_lower(toks, a, b - k))
}

/// Words after which a capitalised run names an employer ("works at",
/// "employed by").
pub(crate) fn employer_cue(toks: &[Tok<'_>], a: usize) -> bool {
    if a < 2 {
        return false;
    }
    let (v, p) = (toks[a - 2].l(), toks[a - 1].l());
    matches!(
        v,
        "work"
            | "works"
            | "worked"
            | "working"
            | "employed"
            | "volunteers"
            | "volunteer"
            | "volunteering"
    ) && matches!(p, "at" | "for" | "by" | "with")
}

fn judge_run(text: &str, toks: &[Tok<'_>], a0: usize, b: usize, out: &mut Vec<Cand>) {
    // An organisation keeps its leading common words ("Amazon Web
    // Services"), but not "The" or a title.
    let mut o = a0;
    while o < b && (toks[o].lower == "the" || toks[o].is(F_TITLE)) {
        o += 1;
    }
    let k = org_suffix_len(toks, o, b);
    let service = k > 0 && SERVICE_SUFFIXES.contains(&join_lower(toks, b + 1 - k, b).as_str());
    // Generic phrases made of common words only ("National Insurance",
    // "Mental Health Trust") are not organisations that identify anyone,
    // unless a legal form says so ("Standard Ltd").
    let legal = k > 0
        && matches!(
            toks[b].l(),
            "ltd" | "limited" | "plc" | "inc" | "llc" | "llp" | "corp" | "corporation" | "co"
        );
    let named = (o..=b.saturating_sub(k))
        .any(|i| !matches!(classify(&toks[i]), Class::Common) || toks[i].is(F_PLACE | F_NAME));
    if (k > 0 && b + 1 - o > k && !service && (named || legal)) || employer_cue(toks, o) {
        push(out, toks, o, b, T::Organisation, 40);
        return;
    }
    // Drop sentence-initial common words and "The" from the front.
    let mut a = a0;
    let mut title_before = false;
    while a < b
        && matches!(classify(&toks[a]), Class::Common)
        && (toks[a].sent_start || toks[a].lower == "the" || toks[a].is(F_TITLE))
    {
        title_before |= toks[a].is(F_TITLE);
        a += 1;
    }
    // A multi-word place may start with a common word ("United Kingdom",
    // "South Africa"), even at the start of a line.
    if a > a0 && toks[a0].is(F_PLACE_START) {
        let maxw = GAZ.place_max_words.min(b + 1 - a0);
        for w in (2..=maxw).rev() {
            if GAZ.places.contains(&join_lower(toks, a0, a0 + w - 1)) {
                push(out, toks, a0, a0 + w - 1, T::Location, 35);
                if a0 + w > b {
                    return;
                }
                a = a.max(a0 + w);
                break;
            }
        }
    }
    let len = b + 1 - a;
    let before = prev_lower(toks, a);
    let before_gap = gap(text, toks, a);

    // Organisation: "Nixon Primary School", "Clarke Group", "Derby Foodbank".
    let k = org_suffix_len(toks, a, b);
    if k > 0
        && len > k
        && (service_run(toks, a, b, k)
            || (a..=b - k).any(|i| {
                !matches!(classify(&toks[i]), Class::Common) || toks[i].is(F_PLACE | F_NAME)
            }))
    {
        // "Derby Foodbank", "Leeds Jobcentre": a place plus a service word;
        // the place is the identifier.
        let prefix = join_lower(toks, a, b - k);
        let service = SERVICE_SUFFIXES.contains(&join_lower(toks, b + 1 - k, b).as_str());
        if service && GAZ.is_place(&prefix) {
            push(out, toks, a, b - k, T::Location, 40);
        } else {
            push(out, toks, a, b, T::Organisation, 40);
        }
        return;
    }
    // Street address: "[Flat 7,] 649 Barlow Road", "Zoe Crescent".
    let last = toks[b].l();
    if len >= 2 && (GAZ.street_strong.contains(last) || GAZ.street_weak.contains(last)) {
        if let Some(s) = address_start(text, toks, a) {
            push(out, toks, s, b, T::Address, 50);
            return;
        }
        // "on Bury Old Road": after a street preposition the words before
        // the street word may be ordinary ones.
        let street_prep = matches!(
            before,
            Some("on" | "off" | "along" | "near" | "down" | "up")
        ) && before_gap == " ";
        if GAZ.street_strong.contains(last)
            && (!matches!(classify(&toks[b - 1]), Class::Common) || street_prep)
        {
            push(out, toks, a, b, T::Address, 50);
            return;
        }
    }
    // "Puruntie 82", "Via Franscini 71": street word(s) then a number.
    if b + 1 < toks.len()
        && gap(text, toks, b + 1) == " "
        && is_house_number(&toks[b + 1])
        && (GAZ
            .street_strong
            .iter()
            .any(|s| last.ends_with(s.as_str()) && last.len() > s.len() + 2)
            || toks[a].is(F_STREET_STRONG))
    {
        push(out, toks, a, b + 1, T::Address, 50);
        return;
    }
    // A title or a relationship cue before: the run is a name.
    // (Token flags, not set lookups: the same lists, one cached lookup.)
    let cued = title_before
        || a.checked_sub(1).map(|p| &toks[p]).is_some_and(|w| {
            (w.is(F_TITLE) && matches!(before_gap, " " | ". "))
                || (w.is(F_CUE) && matches!(before_gap, " " | ", "))
        });
    if cued {
        let mut e = a;
        while e < b && e < a + 3 {
            e += 1;
        }
        if !matches!(classify(&toks[a]), Class::Common) || toks[a].cap {
            push(out, toks, a, e, T::Name, 45);
            return;
        }
    }
    // A run that is only an organisation word ("the Job Centre", "at the
    // Primary School") names no particular one, and is no person either.
    if k > 0 && k == len {
        return;
    }
    // Places, longest match first within the run.
    // Most runs are short: stack buffers, a heap one only for long runs.
    let mut covered_buf = [false; 16];
    let mut covered_heap = Vec::new();
    let covered: &mut [bool] = if len <= covered_buf.len() {
        &mut covered_buf[..len]
    } else {
        covered_heap.resize(len, false);
        &mut covered_heap
    };
    let mut x = a;
    while x <= b {
        let mut matched = 0;
        if toks[x].is(F_PLACE_START) {
            let maxw = GAZ.place_max_words.min(b + 1 - x);
            for w in (2..=maxw).rev() {
                if GAZ.places.contains(&join_lower(toks, x, x + w - 1)) {
                    matched = w;
                    break;
                }
            }
        }
        if matched == 0 && toks[x].is(F_PLACE) {
            matched = 1;
        }
        if matched > 0 {
            let single = matched == 1;
            let t = &toks[x];
            let cls = classify(t);
            let prep = prev_lower(toks, x).is_some_and(|w| PLACE_PREPS.contains(&w));
            let ok = if single {
                match cls {
                    Class::Common => {
                        // "Bath", "Reading", "Deal": only mid-sentence after
                        // a place preposition, or in an address line.
                        !t.sent_start && !t.is(F_STOP) && (prep || len == 1 && t.allcaps)
                    }
                    Class::AmbiguousName => !t.sent_start || prep,
                    _ => true,
                }
            } else {
                true
            };
            if ok {
                let kind = if single && matches!(cls, Class::Name) && !prep && len > 1 {
                    T::Name
                } else {
                    T::Location
                };
                push(out, toks, x, x + matched - 1, kind, 35);
                for c in covered.iter_mut().skip(x - a).take(matched) {
                    *c = true;
                }
            }
            x += matched;
        } else {
            x += 1;
        }
    }
    // Names.
    let mut classes_buf = [Class::Common; 16];
    let mut classes_heap = Vec::new();
    let classes: &mut [Class] = if len <= classes_buf.len() {
        &mut classes_buf[..len]
    } else {
        classes_heap.resize(len, Class::Common);
        &mut classes_heap
    };
    for (c, i) in classes.iter_mut().zip(a..=b) {
        *c = classify(&toks[i]);
    }
    let classes: &[Class] = classes;
    let covered: &[bool] = covered;
    let strong = |c: Class| matches!(c, Class::Name | Class::Unknown);
    let any_strong = classes
        .iter()
        .enumerate()
        .any(|(i, c)| strong(*c) && !covered[i]);
    if len >= 2 && any_strong {
        // Span from the first to the last name-like word.
        let is_namey = |i: usize| {
            !covered[i]
                && (strong(classes[i])
                    || matches!(classes[i], Class::AmbiguousName)
                    || is_initial(&toks[a + i]))
        };
        // Capitalised words next to a name in the same run belong to it
        // ("Moira Pagan", "Port Paien", "Ella H. Snider"), unless they are
        // listed non-identifiers (months, relations) or already a place.
        let plain = |i: usize| {
            !covered[i]
                && (!toks[a + i].is(F_STOP)
                    || i == 0 && toks[a].is(F_FIRST) && !toks[a].is(F_TITLE))
        };
        let first = (0..len).find(|&i| is_namey(i));
        let lastn = (0..len).rev().find(|&i| is_namey(i));
        let first = first.map(|f| (0..f).rev().take_while(|&i| plain(i)).last().unwrap_or(f));
        let lastn = lastn.map(|l| (l + 1..len).take_while(|&i| plain(i)).last().unwrap_or(l));
        if let (Some(f), Some(l)) = (first, lastn) {
            push(out, toks, a + f, a + l, T::Name, 30);
        }
        return;
    }
    if len >= 2 {
        // All words ambiguous or common: a name if two name words stand
        // together ("Will Turner"), mid-sentence.
        let amb: Vec<usize> = (0..len)
            .filter(|&i| matches!(classes[i], Class::AmbiguousName) && !covered[i])
            .collect();
        if amb.len() >= 2 && !toks[a].sent_start {
            push(out, toks, a + amb[0], a + amb[amb.len() - 1], T::Name, 30);
            return;
        }
        // Otherwise judge the words one by one below.
    }
    for i in 0..len {
        if covered[i] {
            continue;
        }
        let t = &toks[a + i];
        let take = match classes[i] {
            Class::Name => true,
            Class::Unknown => t.nchars >= 2,
            Class::AmbiguousName => {
                let next = toks.get(a + i + 1).map(|n| n.l());
                let cue = (a + i)
                    .checked_sub(1)
                    .is_some_and(|p| toks[p].is(F_CUE | F_TITLE));
                let month = is_month_word(t.lower)
                    && (prev_lower(toks, a + i).is_some_and(|w| {
                        matches!(
                            w,
                            "in" | "of"
                                | "since"
                                | "until"
                                | "by"
                                | "last"
                                | "next"
                                | "early"
                                | "late"
                                | "mid"
                                | "end"
                                | "from"
                                | "during"
                                | "before"
                                | "after"
                        )
                    }) || next.is_some_and(|n| n.chars().all(|c| c.is_ascii_digit())));
                // After a modal reading ("Will", "May") only an inflected
                // verb can follow a name: "Will moved", "May has".
                let same_sentence = toks.get(a + i + 1).is_some_and(|n| !n.sent_start);
                let verb_after = same_sentence
                    && next.is_some_and(|n| {
                        REPORT_VERBS.contains(&n)
                            && !(is_modal(t.lower) && matches!(n, "and" | "who"))
                    });
                // "Grace, her sister, ...": a relationship in apposition.
                let apposition = toks.get(a + i + 2).is_some_and(|n2| {
                    gap(text, toks, a + i + 1) == ", "
                        && matches!(
                            toks[a + i + 1].l(),
                            "her" | "his" | "my" | "their" | "our" | "your"
                        )
                        && n2.is(F_CUE)
                });
                // Inside a run of common capitalised words ("Hot Cross Bun",
                // "Love Island") a word that is only a surname is not taken.
                let among_common = len >= 2 && !t.is(F_FIRST) && !cue;
                !month && !among_common && (cue || !t.sent_start || verb_after || apposition)
            }
            // A listed non-identifier that is also a first name ("Christian")
            // is a name when a reporting verb follows it.
            Class::Common => {
                t.is(F_FIRST)
                    && !t.is(F_TITLE)
                    && toks.get(a + i + 1).is_some_and(|n| {
                        !n.sent_start
                            && REPORT_VERBS.contains(&n.l())
                            && !matches!(n.l(), "and" | "who")
                    })
            }
        };
        if take {
            push(out, toks, a + i, a + i, T::Name, 30);
        }
    }
}

fn is_month_word(l: &str) -> bool {
    matches!(
        l,
        "may" | "june" | "july" | "august" | "april" | "march" | "january"
    )
}

/// A month name or its abbreviation ("Feb", "Sept").
fn is_month_prefix(l: &str) -> bool {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    l.len() <= 9 && l.get(..3).is_some_and(|p| M.contains(&p))
}

fn is_modal(l: &str) -> bool {
    matches!(l, "will" | "may" | "can" | "must" | "shall")
}

fn join_lower(toks: &[Tok<'_>], a: usize, b: usize) -> String {
    let mut s = String::new();
    for t in &toks[a..=b] {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(t.lower);
    }
    s
}

/// "Graham, Newton and Goddard", "Woods and Sons": firms named as lists.
fn lists(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let is_word = |t: &Tok<'_>| t.cap && t.alpha && !t.allcaps;
    // A surname part: "Newton", "O'Neill", "Smith-Jones"; returns its last
    // token.
    let part = |i: usize| -> Option<usize> {
        let t = toks.get(i)?;
        if !is_word(t) {
            return None;
        }
        let mut end = i;
        if matches!(t.text, "O" | "D") && matches!(gap(text, toks, i + 1), "'" | "\u{2019}") {
            end = i + 1;
            if !toks.get(end).is_some_and(&is_word) {
                return None;
            }
        } else if !t.is(F_SUR) {
            return None;
        }
        while toks.get(end + 1).is_some_and(|n| is_word(n) && n.is(F_SUR))
            && gap(text, toks, end + 1) == "-"
        {
            end += 1;
        }
        Some(end)
    };
    let mut i = 0;
    while i < toks.len() {
        let Some(mut j) = part(i) else {
            i += 1;
            continue;
        };
        let mut parts = 1;
        let mut end = None;
        while j + 1 < toks.len() {
            let g = gap(text, toks, j + 1);
            if g == ", " {
                if let Some(e) = part(j + 1) {
                    parts += 1;
                    j = e;
                    continue;
                }
            }
            if g == " "
                && toks[j + 1].l() == "and"
                && j + 2 < toks.len()
                && gap(text, toks, j + 2) == " "
            {
                let firm_word = matches!(toks[j + 2].l(), "sons" | "co" | "partners" | "daughters");
                let last = if firm_word { Some(j + 2) } else { part(j + 2) };
                if let Some(e) = last {
                    parts += 1;
                    if parts >= 3 || firm_word {
                        end = Some(e);
                    }
                }
            }
            break;
        }
        if let Some(e) = end {
            push(out, toks, i, e, T::Organisation, 41);
            i = e + 1;
        } else {
            i = j + 1;
        }
    }
}

/// Double-barrelled names ("Barker-Campbell", "White-Smith"): capitalised
/// words joined by hyphens, each in a name list, are one name even when
/// the parts are also common words.
fn hyphenated(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let mut i = 0;
    while i < toks.len() {
        let ok = |t: &Tok<'_>| t.cap && t.alpha && !t.allcaps && t.is(F_NAME);
        if !ok(&toks[i]) {
            i += 1;
            continue;
        }
        let mut e = i;
        while e + 1 < toks.len() && gap(text, toks, e + 1) == "-" && ok(&toks[e + 1]) {
            e += 1;
        }
        if e > i {
            push(out, toks, i, e, T::Name, 31);
        }
        i = e + 1;
    }
}
