//! Text without case signal. In a line written all in capitals (nursing
//! notes, headings, shouted messages) every word is "capitalised", so the
//! capitalised-run rules of `names.rs` would take drug names, doses,
//! abbreviations and anatomy for names. Such lines are found here and
//! judged by vocabulary, cues and position instead: a word that is only
//! ordinary English or clinical vocabulary is never an identifier; a word
//! in a name list is a name after a person cue (a title, a relation,
//! "seen by"), or on its own when it is in no vocabulary list; places need
//! a place preposition; organisations need an organisation word at the end.

use crate::gazetteer::{
    F_CLINICAL, F_CUE, F_ENGLISH, F_FIRST, F_NAME, F_ORG_END, F_PLACE, F_STOP, F_TITLE, GAZ,
};
use crate::tokens::Tok;
use crate::{Cand, EntityType as T};

/// Per token: whether it lies in an upper-case region (a line, or the
/// whole text, whose words are written in capitals). A line counts when
/// at least three of its words of two or more letters are all capitals
/// and they are at least three quarters of such words; a short line
/// counts when the text as a whole is upper case.
pub(crate) fn upper_regions(text: &str, toks: &[Tok<'_>]) -> Vec<bool> {
    let mut mask = vec![false; toks.len()];
    let (mut doc_upper, mut doc_words) = (0usize, 0usize);
    let mut lines: Vec<(usize, usize, usize, usize)> = Vec::new(); // start, end, upper, words
    let mut start = 0;
    let (mut up, mut words) = (0usize, 0usize);
    for i in 0..toks.len() {
        if i > start
            && text
                .get(toks[i - 1].e..toks[i].s)
                .is_some_and(|g| g.contains('\n'))
        {
            lines.push((start, i, up, words));
            start = i;
            up = 0;
            words = 0;
        }
        let t = &toks[i];
        if t.alpha && t.nchars >= 2 {
            words += 1;
            up += usize::from(t.allcaps);
        }
    }
    if start < toks.len() {
        lines.push((start, toks.len(), up, words));
    }
    for &(_, _, u, w) in &lines {
        doc_upper += u;
        doc_words += w;
    }
    let doc = doc_words >= 6 && doc_upper * 5 >= doc_words * 4;
    for (s, e, u, w) in lines {
        let line = u >= 3 && u * 4 >= w * 3;
        let short = doc && u * 2 >= w && u >= 1;
        if line || short {
            for m in mask.iter_mut().take(e).skip(s) {
                *m = true;
            }
        }
    }
    mask
}

/// Words that open a person's name in capitals ("SEEN BY", "PER", a
/// relation or title): the strength of the cue decides what may follow.
fn person_cue(l: &str) -> Option<bool> {
    if GAZ.titles.contains(l) || GAZ.name_cues.contains(l) {
        return Some(true);
    }
    match l {
        "mom" | "mommy" | "hcp" | "poa" | "chaplain" | "called" | "named" | "niece" | "nephew"
        | "granddaughter" | "grandson" | "girlfriend" | "boyfriend" | "fiance" | "companion"
        | "stepdaughter" | "stepson" | "sitter" | "rn" | "np" | "pa" | "md" | "sw" | "rrt"
        | "licsw" | "pcp" | "attending" | "resident" | "fellow" | "intern" | "nok" | "name"
        | "hca" | "sn" | "ssn" | "staff" | "spouse" | "carer" | "caregiver" | "visitor" => {
            Some(true)
        }
        "by" | "with" | "for" | "per" | "and" | "to" | "from" | "cc" | "dw" | "d" | "pt"
        | "pts" | "patient" | "informed" | "told" | "contacted" | "updated" | "visited" => {
            Some(false)
        }
        _ => None,
    }
}

/// A word of ordinary or clinical vocabulary (never a name on its own),
/// inflected forms included ("REORIENTED", "AMBULATING", "TEARFUL").
pub(crate) fn vocabulary(t: &Tok<'_>) -> bool {
    const V: u16 = F_ENGLISH | F_CLINICAL | F_STOP | F_TITLE | F_CUE;
    if t.is(V) {
        return true;
    }
    let l = t.l();
    for suf in ["ed", "d", "ing", "ly", "s", "es", "ness", "ful", "ment"] {
        if let Some(stem) = l.strip_suffix(suf) {
            if stem.len() >= 3 && (GAZ.has(stem, V) || GAZ.has_joined(stem, "e", V)) {
                // "re" and "dis" prefixes: "REORIENTED" -> "orient".
                return true;
            }
            if let Some(s2) = stem.strip_prefix("re").filter(|s| s.len() >= 4) {
                if GAZ.has(s2, V) {
                    return true;
                }
            }
        }
    }
    false
}

fn gap<'t>(text: &'t str, toks: &[Tok<'_>], i: usize) -> &'t str {
    if i == 0 || i >= toks.len() {
        return "";
    }
    text.get(toks[i - 1].e..toks[i].s).unwrap_or("")
}

fn name_gap(g: &str) -> bool {
    matches!(
        g,
        " " | ". " | ", " | " (" | ": " | ":" | " - " | "/" | " '"
    )
}

/// A word that can be part of a name in capitals: in a name list and not
/// vocabulary, or (after a cue) in no list at all.
fn name_part(t: &Tok<'_>, after_cue: bool) -> bool {
    if !t.alpha || t.nchars < 2 {
        return false;
    }
    let namey = t.is(F_NAME);
    let vocab = vocabulary(t);
    if namey && !vocab {
        return true;
    }
    if after_cue {
        // "WIFE FRANK", "DR ROSE": a name that is also a word, after a
        // strong cue; an unknown word after a cue ("DR OKAFOR").
        return namey && !t.is(F_CLINICAL | F_STOP | F_TITLE) || !vocab && t.nchars >= 3;
    }
    false
}

/// A house number in capitals: digits with at most one letter ("14",
/// "14A"), not an ordinal, a dose or a measure.
fn house_number(t: &Tok<'_>) -> bool {
    t.has_digit
        && t.nchars <= 5
        && t.text.starts_with(|c: char| c.is_ascii_digit())
        && t.text.chars().filter(char::is_ascii_alphabetic).count() <= 1
        && !t.text.ends_with(['X', 'x'])
}

/// Street addresses in capitals ("LIVES AT 14 MILL ROAD", "FLAT 3, 22
/// HAREWOOD AVENUE", "ADDR: 7 CHAPEL WALK"): a house number, one to three
/// words and a street word. Capitals carry no signal, so the street word
/// is what tells an address from "2 UNITS PRBC"; ordinary words are
/// allowed before it ("MILL", "STATION").
pub(crate) fn addresses(text: &str, toks: &[Tok<'_>], upper: &[bool], out: &mut Vec<Cand>) {
    use crate::gazetteer::{F_STREET_STRONG, F_STREET_WEAK};
    let n = toks.len();
    for i in 0..n {
        if !upper[i]
            || !house_number(&toks[i])
            || i > 0 && !matches!(gap(text, toks, i), " " | ", " | ": " | "\n" | ",")
        {
            continue;
        }
        let mut j = i + 1;
        let mut end = None;
        while j < n && j <= i + 4 && gap(text, toks, j) == " " && toks[j].alpha {
            let w = &toks[j];
            let words = j - i - 1;
            // A weaker street word ("HILL", "PARK", "GREEN") needs words
            // before it that are not clinical ("2 LARGE BORE" is a cannula).
            let unknown = || (i + 1..j).all(|k| !toks[k].is(F_CLINICAL));
            if words >= 1
                && (w.is(F_STREET_STRONG) && !(w.lower == "st" && j + 1 < n && toks[j + 1].alpha)
                    || w.is(F_STREET_WEAK) && w.nchars >= 4 && !w.is(F_CLINICAL) && unknown())
            {
                end = Some(j);
                // "14 MILL ROAD WEST": one more street word.
                if toks.get(j + 1).is_some_and(|x| {
                    x.alpha && matches!(x.l(), "north" | "south" | "east" | "west")
                }) && gap(text, toks, j + 1) == " "
                {
                    end = Some(j + 1);
                }
                break;
            }
            if w.is(F_STOP) && !w.is(F_NAME | F_PLACE)
                || w.nchars == 1
                || matches!(
                    w.l(),
                    "from" | "to" | "at" | "in" | "with" | "of" | "on" | "and" | "for" | "by" | "x"
                )
            {
                break;
            }
            j += 1;
        }
        let Some(e) = end else { continue };
        // "FLAT 3, 22 ...", "APT 4B 22 ...": the unit before the number.
        let mut a = i;
        if i >= 2
            && matches!(gap(text, toks, i), " " | ", ")
            && house_number(&toks[i - 1])
            && matches!(
                toks[i - 2].l(),
                "flat" | "apt" | "apartment" | "unit" | "studio" | "room"
            )
            && gap(text, toks, i - 1) == " "
        {
            a = i - 2;
        }
        out.push(Cand {
            s: toks[a].s,
            e: toks[e].e,
            kind: T::Address,
            prio: 48,
        });
        // "14 MILL ROAD, GATESHEAD": the town after the street.
        let p = e + 1;
        if p < n && upper[p] && matches!(gap(text, toks, p), ", " | " ") && toks[p].alpha {
            let mut q = p;
            while q + 1 < n
                && q < p + 2
                && gap(text, toks, q + 1) == " "
                && toks[q + 1].alpha
                && GAZ.places.contains(
                    &(p..=q + 1)
                        .map(|x| toks[x].l())
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            {
                q += 1;
            }
            if q > p || toks[p].is(F_PLACE) && !toks[p].is(F_CLINICAL | F_STOP) {
                out.push(Cand {
                    s: toks[p].s,
                    e: toks[q].e,
                    kind: T::Location,
                    prio: 35,
                });
            }
        }
    }
}

pub(crate) fn detect(text: &str, toks: &[Tok<'_>], upper: &[bool], out: &mut Vec<Cand>) {
    addresses(text, toks, upper, out);
    let n = toks.len();
    let mut i = 0;
    while i < n {
        if !upper[i] || !toks[i].alpha {
            i += 1;
            continue;
        }
        let t = &toks[i];
        let cue = i
            .checked_sub(1)
            .filter(|_| name_gap(gap(text, toks, i)) && !gap(text, toks, i).contains('\n'))
            .and_then(|p| person_cue(toks[p].l()))
            // "SEEN BY ROSE", "DISCUSSED WITH GRACE": a verb of meeting
            // someone makes "BY"/"WITH" a strong cue.
            .map(|strong| {
                strong
                    || i >= 2
                        && matches!(toks[i - 1].l(), "by" | "with")
                        && gap(text, toks, i - 1) == " "
                        && matches!(
                            toks[i - 2].l(),
                            "seen"
                                | "reviewed"
                                | "discussed"
                                | "spoke"
                                | "signed"
                                | "examined"
                                | "assessed"
                                | "visited"
                                | "accompanied"
                                | "escorted"
                                | "met"
                        )
            });
        // "J. WALSH": an initial and a surname.
        let initial = t.nchars == 1
            && t.text != "I"
            && i + 1 < n
            && matches!(gap(text, toks, i + 1), ". " | " ")
            && upper.get(i + 1) == Some(&true)
            && name_part(&toks[i + 1], true)
            && !toks[i + 1].is(F_ENGLISH | F_CLINICAL);
        // "PT KERYS", "PATIENT: ...", "NOK: ...": a word in no vocabulary
        // list after a patient or next-of-kin label is a name.
        let patient = i > 0
            && cue.is_some()
            && matches!(gap(text, toks, i), " " | ": " | ":")
            && matches!(toks[i - 1].l(), "pt" | "pts" | "patient" | "nok" | "name")
            && t.nchars >= 3
            && !vocabulary(t)
            && !t.is(F_PLACE | crate::gazetteer::F_ORG_END);
        // "DAUGHTER LEWIS": after a relation a listed name counts even
        // when a medical list holds it too (eponyms, antigens).
        let relation = cue == Some(true)
            && GAZ.name_cues.contains(toks[i - 1].l())
            && t.is(F_NAME)
            && t.nchars >= 3
            && !t.is(F_STOP | F_TITLE | crate::gazetteer::F_CARE);
        let strong_cue = cue == Some(true);
        // After a title ("DR HUANG") a listed name counts even when a
        // medical word list also holds it (eponyms, surnames in terms).
        let titled = i > 0
            && GAZ.titles.contains(toks[i - 1].l())
            && matches!(gap(text, toks, i), " " | ". ")
            && t.is(F_NAME)
            && t.nchars >= 2;
        let take = initial
            || titled
            || patient
            || relation
            || name_part(t, strong_cue)
                && (cue.is_some() || t.nchars >= 4 && (!t.is(F_PLACE) || t.is(F_FIRST)))
                && !(cue == Some(false) && t.is(F_ENGLISH | F_CLINICAL));
        if take {
            let a = i;
            let mut e = i;
            while e + 1 < n
                && e < a + 3
                && upper[e + 1]
                && matches!(gap(text, toks, e + 1), " " | "'" | "-" | ". ")
                && (name_part(&toks[e + 1], true) && !vocabulary(&toks[e + 1])
                    || toks[e + 1].nchars == 1 && gap(text, toks, e + 2) == ". "
                    // "O'CONNELL", "D'SOUZA"
                    || matches!(toks[e + 1].text, "O" | "D")
                        && matches!(gap(text, toks, e + 2), "'" | "\u{2019}")
                        && toks.get(e + 2).is_some_and(|x| x.alpha && x.nchars >= 3))
            {
                e += 1;
            }
            out.push(Cand {
                s: toks[a].s,
                e: toks[e].e,
                kind: T::Name,
                prio: 34,
            });
            i = e + 1;
            continue;
        }
        // Places after a place preposition: "FROM FLORIDA", "IN DORCHESTER".
        let prep = i > 0
            && matches!(toks[i - 1].l(), "in" | "from" | "to" | "at" | "near" | "of")
            && gap(text, toks, i) == " ";
        if prep {
            // Multi-word places ("MERTHYR TYDFIL", "NEW BEDFORD").
            let mut took = None;
            if t.is(crate::gazetteer::F_PLACE_START) {
                for k in (1..GAZ.place_max_words.min(4)).rev() {
                    let e = i + k;
                    if e >= n || !upper[e] || !(i + 1..=e).all(|x| gap(text, toks, x) == " ") {
                        continue;
                    }
                    let phrase = (i..=e).map(|x| toks[x].l()).collect::<Vec<_>>().join(" ");
                    if GAZ.places.contains(&phrase) {
                        took = Some(e);
                        break;
                    }
                }
            }
            if let Some(e) = took {
                out.push(Cand {
                    s: t.s,
                    e: toks[e].e,
                    kind: T::Location,
                    prio: 34,
                });
                i = e + 1;
                continue;
            }
        }
        // "LIVES IN READING", "MOVED TO BATH": after a cue of where someone
        // lives a place counts even when it is also an ordinary word.
        let home = prep
            && i >= 2
            && matches!(
                toks[i - 2].l(),
                "lives"
                    | "living"
                    | "lived"
                    | "moved"
                    | "resident"
                    | "based"
                    | "born"
                    | "home"
                    | "relocated"
                    | "originally"
                    | "visiting"
            );
        if prep
            && t.is(F_PLACE)
            && t.nchars >= 4
            && (!vocabulary(t) || home && !t.is(F_CLINICAL | F_STOP))
        {
            out.push(Cand {
                s: t.s,
                e: t.e,
                kind: T::Location,
                prio: 34,
            });
            i += 1;
            continue;
        }
        // After an organisation cue ("WORK AT KESTREL LOGISTICS", "REFERRED
        // TO CHANGE GROW LIVE"): the words up to the end of the phrase,
        // when they end in an organisation word or hold a word that is in
        // no vocabulary list.
        if i > 0 && t.nchars >= 2 && gap(text, toks, i) == " " && crate::context::org_cue(toks, i) {
            let mut e = i;
            while e + 1 < n
                && e < i + 5
                && upper[e + 1]
                && toks[e + 1].alpha
                && matches!(gap(text, toks, e + 1), " " | "'" | "\u{2019}" | " & ")
                && !matches!(
                    toks[e + 1].l(),
                    "and" | "on" | "at" | "for" | "in" | "to" | "with" | "since" | "until" | "next"
                )
            {
                e += 1;
            }
            // "TO CHILDRENS HOSPITAL IF WORSENS": the name ends at its
            // organisation word.
            if let Some(last) = (i + 1..=e).rev().find(|&k| toks[k].is(F_ORG_END)) {
                e = last;
            }
            let ends_org = toks[e].is(F_ORG_END) && e > i;
            let named = (i..=e).any(|k| !vocabulary(&toks[k]) || toks[k].is(F_NAME | F_PLACE));
            if (ends_org || named) && !toks[i].is(F_STOP | F_TITLE) && !toks[i].is(F_CLINICAL) {
                // "SENT TO HEBREW REHAB AND YOUVILLE": a second name in
                // no vocabulary list after "AND" or a comma.
                if e + 2 < n
                    && upper[e + 2]
                    && (toks[e + 1].lower == "and" && gap(text, toks, e + 1) == " "
                        || toks[e + 1].lower == "or" && gap(text, toks, e + 1) == " ")
                    && gap(text, toks, e + 2) == " "
                    && toks[e + 2].alpha
                    && toks[e + 2].nchars >= 4
                    && !vocabulary(&toks[e + 2])
                    && !toks[e + 2].is(F_NAME)
                {
                    out.push(Cand {
                        s: toks[e + 2].s,
                        e: toks[e + 2].e,
                        kind: T::Organisation,
                        prio: 36,
                    });
                }
                // "WORKS AT THE BEACON ROOM": "THE" stays outside.
                let a = if toks[i].lower == "the" && i < e {
                    i + 1
                } else {
                    i
                };
                out.push(Cand {
                    s: toks[a].s,
                    e: toks[e].e,
                    kind: T::Organisation,
                    prio: 36,
                });
                i = e + 1;
                continue;
            }
        }
        // Organisations: words ending in an organisation word
        // ("MERCY HOSPITAL", "HARBORSIDE HEALTH CENTER"), with a word
        // that is not vocabulary or is a name or place before the suffix.
        if t.is(F_ORG_END) && i > 0 {
            let k = org_suffix_len(toks, i);
            if k > 0 && i + 1 > k {
                let mut a = i + 1 - k;
                let mut named = false;
                while a > 0
                    && a + 3 > i + 1 - k
                    && upper[a - 1]
                    && gap(text, toks, a) == " "
                    && toks[a - 1].alpha
                    && !matches!(
                        toks[a - 1].l(),
                        "from"
                            | "to"
                            | "at"
                            | "in"
                            | "the"
                            | "a"
                            | "an"
                            | "of"
                            | "with"
                            | "and"
                            | "for"
                            | "by"
                            | "on"
                            | "via"
                            | "into"
                            | "per"
                            | "pt"
                            | "home"
                    )
                    && (!toks[a - 1].is(F_CLINICAL)
                        || toks[a - 1].nchars >= 5
                        || toks[a - 1].lower == "st")
                {
                    a -= 1;
                    let w = &toks[a];
                    named |= !vocabulary(w) || w.is(F_NAME | F_PLACE);
                }
                if a < i + 1 - k && named {
                    out.push(Cand {
                        s: toks[a].s,
                        e: t.e,
                        kind: T::Organisation,
                        prio: 36,
                    });
                }
            }
        }
        i += 1;
    }
}

/// Length of the organisation suffix that ends at token `b`.
fn org_suffix_len(toks: &[Tok<'_>], b: usize) -> usize {
    GAZ.org_suffix_at(|x| b.checked_sub(x).map(|i| toks[i].lower), b + 1)
}

/// In capitals (nursing notes) bare numbers are times ("0700-1900",
/// "GIVEN AT 2100"), doses, volumes and ranges of vital signs ("TV
/// 450-500"); the shape rules that take a lone 4-digit number for a house
/// number or year, 5-6 digits for a ZIP code or a short digit run for a
/// phone do not hold there. Such weak candidates are dropped unless a cue
/// says what the number is ("PAGER 4-7721", "SINCE 2019").
pub(crate) fn drop_clinical_numbers(
    text: &str,
    toks: &[Tok<'_>],
    upper: &[bool],
    cands: &mut Vec<Cand>,
) {
    cands.retain(|c| {
        let Some(i) = toks.iter().position(|t| t.s == c.s) else {
            return true;
        };
        if !upper[i] {
            return true;
        }
        let Some(body) = text.get(c.s..c.e) else {
            return true;
        };
        // "GIVEN 1315 IN ED": a time and a word, not a Dutch postcode.
        if c.kind == T::Postcode && c.prio <= 40 {
            return false;
        }
        if !body
            .chars()
            .all(|ch| ch.is_ascii_digit() || matches!(ch, '-' | '/' | '.' | ' ' | ':'))
        {
            return true;
        }
        let digits = body.chars().filter(char::is_ascii_digit).count();
        let prev = i.checked_sub(1).map(|p| toks[p].l());
        let phone_cue = prev.is_some_and(|w| {
            matches!(
                w,
                "pager"
                    | "phone"
                    | "tel"
                    | "ph"
                    | "number"
                    | "no"
                    | "cell"
                    | "mobile"
                    | "contact"
                    | "at"
                    | "beeper"
                    | "ext"
                    | "x"
            )
        });
        let year_cue = prev.is_some_and(|w| {
            matches!(
                w,
                "in" | "since" | "of" | "year" | "born" | "dob" | "during"
            )
        });
        match c.kind {
            T::Phone => digits > 8 || phone_cue,
            T::Date if digits == 4 && c.prio <= 50 => year_cue,
            T::Address | T::Postcode if c.prio <= 40 => false,
            _ => true,
        }
    });
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
    fn clinical_capitals_are_not_names() {
        let got = found(
            "NEURO: A+OX3, MAE. CV: HR 80S NSR. ON HEPARIN GTT, LOPRESSOR 25 BID, LIPITOR. RESP: LS CLEAR, 2L NC. PLAN: CONT ABX, OOB TO CHAIR.",
        );
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn addresses_patients_and_relations_in_capitals() {
        let got = found(
            "PT KERYS CASTELLANO ADMITTED VIA A&E. NOK: DAUGHTER LEWIS. LIVES AT FLAT 3, 22 MILL ROAD, LEEDS.\n2 LARGE BORE PIVS. GIVEN 2 UNITS PRBC. PT ALERT, PT WILL CONT ON 2L NC.",
        );
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        for want in ["KERYS CASTELLANO", "LEWIS", "FLAT 3, 22 MILL ROAD", "LEEDS"] {
            assert!(texts.contains(&want), "{want}: {texts:?}");
        }
        for not in ["A", "BORE", "UNITS", "ALERT", "WILL"] {
            assert!(
                !texts.iter().any(|t| t.split(' ').any(|w| w == not)),
                "{not}: {texts:?}"
            );
        }
    }

    #[test]
    fn organisations_and_meetings_in_capitals() {
        let got = found(
            "SEEN BY ROSE ON WARD ROUND. WILL TRANSFER TO CHILDRENS HOSPITAL IF WORSENS. REFERRAL SENT TO HEBREW REHAB. PHARMACY (CVS ON CENTRE ST) CLOSED. TPA GIVEN 1315 IN ED.",
        );
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        for want in [
            "ROSE",
            "CHILDRENS HOSPITAL",
            "HEBREW REHAB",
            "CVS",
            "CENTRE ST",
        ] {
            assert!(texts.contains(&want), "{want}: {texts:?}");
        }
        assert!(!texts.iter().any(|t| t.contains("1315")), "{texts:?}");
    }

    #[test]
    fn names_after_cues_in_capitals() {
        let got = found(
            "SOCIAL: WIFE MARY IN TO VISIT, UPDATED BY DR CHEN. SON ROBERT CALLED. TRANSFERRED FROM MERCY HOSPITAL IN SPRINGFIELD.",
        );
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        for want in ["MARY", "CHEN", "ROBERT", "MERCY HOSPITAL", "SPRINGFIELD"] {
            assert!(texts.contains(&want), "{want}: {texts:?}");
        }
    }
}
