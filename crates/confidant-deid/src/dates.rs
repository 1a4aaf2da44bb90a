//! Short date forms that the regex patterns leave out because, without
//! context, they look like scores or fractions: day and month without a
//! year in either order ("14/2", "26/11", "5/16"), a weekday with a day
//! ("Fri 21st", "weds 5th", "mon 10th"), a bare ordinal day after a cue
//! ("on the 13th", "by the 1st"), and ranges ("12-14 March", "3rd to 5th").
//! Works on tokens, so it costs one pass and no regex.

use crate::tokens::Tok;
use crate::{Cand, EntityType as T};

const PRIO: u8 = 72;

/// Words after which a number pair or an ordinal is a date.
const DATE_CUES: &[&str] = &[
    "on",
    "from",
    "since",
    "until",
    "till",
    "til",
    "by",
    "before",
    "after",
    "next",
    "appt",
    "appointment",
    "review",
    "reviewed",
    "dna",
    "dnad",
    "rang",
    "called",
    "booked",
    "rebooked",
    "session",
    "sesh",
    "seen",
    "dated",
    "date",
    "due",
    "deadline",
    "c",
    "wc",
    "admitted",
    "discharged",
    "transferred",
    "the",
    "of",
    "to",
    "and",
    "sent",
    "received",
    "verified",
    "for",
    "between",
    "last",
    "cancelled",
    "moved",
    "closed",
    "letter",
    "email",
    "emailed",
    "phoned",
    "texted",
    "call",
    "visit",
    "visited",
    "born",
    "dob",
    "d",
    "acknowledged",
    "informed",
    "requested",
    "replied",
    "completed",
    "started",
    "ended",
    "finished",
    "attended",
    "held",
    "met",
    "contacted",
    "updated",
    "issued",
    "posted",
];

/// Words before a number pair that make it a score or a measure
/// ("pain 6/10", "power 4/5", "mood 3/10").
const MEASURE_WORDS: &[&str] = &[
    "pain",
    "score",
    "scored",
    "scoring",
    "scores",
    "rated",
    "rating",
    "rate",
    "strength",
    "power",
    "weakness",
    "mood",
    "anxiety",
    "sleep",
    "grade",
    "stage",
    "gcs",
    "motor",
    "out",
    "x",
    "bp",
    "ratio",
    "dilated",
    "sats",
    "peep",
    "level",
    "at",
    "about",
    "around",
    "approx",
    "wks",
    "weeks",
    "days",
    "hrs",
    "hours",
    "units",
    "fio2",
    "cpap",
    "attended",
    "completed",
    "mark",
    "marks",
    "got",
    "only",
];

/// Words that may follow a bare ordinal day ("on the 13th at 4", "the 1st
/// and ..."); any other lower-case word makes it an ordinal of something
/// else ("the 3rd session", "the 2nd time").
const AFTER_ORDINAL: &[&str] = &[
    "at",
    "in",
    "on",
    "and",
    "or",
    "to",
    "for",
    "when",
    "with",
    "but",
    "so",
    "as",
    "which",
    "because",
    "after",
    "before",
    "until",
    "i",
    "he",
    "she",
    "they",
    "we",
    "then",
    "about",
    "instead",
    "if",
    "is",
    "was",
    "will",
    "would",
    "could",
    "please",
    "x",
    "xx",
    "am",
    "pm",
    "morning",
    "afternoon",
    "evening",
    "night",
    "too",
    "ok",
    "lol",
    "thanks",
    "cheers",
    "still",
    "now",
    "it",
    "that",
    "this",
    "there",
    "rather",
    "not",
    "onwards",
    "onward",
    "is",
    "are",
    "all",
    "a",
    "an",
    "following",
    "latest",
    "already",
    "only",
    "yet",
    "again",
    "then",
];

fn weekday(l: &str) -> bool {
    matches!(
        l,
        "mon"
            | "monday"
            | "tue"
            | "tues"
            | "tuesday"
            | "wed"
            | "weds"
            | "wednesday"
            | "thu"
            | "thur"
            | "thurs"
            | "thursday"
            | "fri"
            | "friday"
            | "sat"
            | "saturday"
            | "sun"
            | "sunday"
    )
}

/// Day number of an ordinal token ("21st" -> 21), 1..=31.
fn ordinal_day(t: &str) -> Option<u32> {
    let n = t.len();
    if !(3..=4).contains(&n) || !t.is_ascii() {
        return None;
    }
    let (d, suf) = t.split_at(n - 2);
    let suf = suf.to_ascii_lowercase();
    if !matches!(suf.as_str(), "st" | "nd" | "rd" | "th") || !d.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let v: u32 = d.parse().ok()?;
    (1..=31).contains(&v).then_some(v)
}

fn small_number(t: &str) -> Option<u32> {
    if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn gap<'t>(text: &'t str, toks: &[Tok<'_>], i: usize) -> &'t str {
    if i == 0 || i >= toks.len() {
        return "";
    }
    text.get(toks[i - 1].e..toks[i].s).unwrap_or("")
}

/// The lower-case word before token `i` on the same line, skipping "the".
fn cue_before(text: &str, toks: &[Tok<'_>], i: usize) -> Option<usize> {
    let mut j = i.checked_sub(1)?;
    if gap(text, toks, i).contains('\n') {
        return None;
    }
    if toks[j].lower == "the" && j > 0 && !gap(text, toks, j).contains('\n') {
        j -= 1;
    }
    Some(j)
}

pub(crate) fn detect(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let n = toks.len();
    let mut i = 0;
    while i < n {
        let t = &toks[i];
        if !t.has_digit || t.nchars > 4 {
            i += 1;
            continue;
        }
        // Day and month: "14/2", "5/16", not "6/10" after "pain", not part
        // of "12/03/2025" (found elsewhere) or "7.38/42/98".
        if let (Some(a), true) = (small_number(t.text), i + 1 < n) {
            let b_tok = &toks[i + 1];
            let b = small_number(b_tok.text);
            let g = gap(text, toks, i + 1);
            if let (Some(b), "/") = (b, g) {
                let before = text.get(..t.s).and_then(|p| p.chars().next_back());
                let after = text.get(b_tok.e..).and_then(|p| p.chars().next());
                let after2 = text.get(b_tok.e..).and_then(|p| p.chars().nth(1));
                let glued = before
                    .is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '-'))
                    || after.is_some_and(|c| c.is_alphanumeric() || c == '%')
                    || matches!(after, Some('/' | '.' | '-'))
                        && after2.is_some_and(|c| c.is_ascii_digit());
                let valid =
                    (1..=31).contains(&a) && (1..=31).contains(&b) && ((a <= 12) || (b <= 12));
                if !glued && valid {
                    let prev = cue_before(text, toks, i).map(|j| toks[j].l());
                    let weekday_before = i > 0 && weekday(toks[i - 1].l());
                    let cued = weekday_before || prev.is_some_and(|w| DATE_CUES.contains(&w));
                    let measure = prev.is_some_and(|w| MEASURE_WORDS.contains(&w));
                    let next_measure = toks.get(i + 2).is_some_and(|x| {
                        matches!(
                            x.l(),
                            "weakness" | "strength" | "power" | "sessions" | "days" | "of"
                        ) && !gap(text, toks, i + 2).contains('\n')
                    });
                    // "14/10" is no score out of ten: only "N/10" with N up
                    // to 10 reads as one.
                    if cued && !measure || !measure && !next_measure && (b != 10 || a > 10) {
                        let s = if weekday_before && matches!(gap(text, toks, i), " " | ", ") {
                            toks[i - 1].s
                        } else {
                            t.s
                        };
                        out.push(Cand {
                            s,
                            e: b_tok.e,
                            kind: T::Date,
                            prio: PRIO,
                        });
                        i += 2;
                        continue;
                    }
                }
            }
        }
        if let Some(_d) = ordinal_day(t.text) {
            let wd = i > 0
                && weekday(toks[i - 1].l())
                && matches!(gap(text, toks, i), " " | ", " | " the ");
            // "mon the 10th": a weekday two words back.
            let wd2 = !wd
                && i > 1
                && toks[i - 1].lower == "the"
                && weekday(toks[i - 2].l())
                && gap(text, toks, i) == " "
                && gap(text, toks, i - 1) == " ";
            let prev = cue_before(text, toks, i).map(|j| toks[j].l());
            let cued = prev.is_some_and(|w| {
                matches!(
                    w,
                    "on" | "by"
                        | "from"
                        | "since"
                        | "until"
                        | "till"
                        | "til"
                        | "before"
                        | "after"
                        | "for"
                        | "the"
                        | "to"
                        | "and"
                        | "c"
                        | "wc"
                        | "next"
                        | "dated"
                        | "of"
                )
            }) || i > 0 && toks[i - 1].lower == "the";
            let next = toks.get(i + 1).filter(|x| {
                !x.sent_start
                    && !gap(text, toks, i + 1)
                        .contains(['\n', '.', ',', ';', ')', '(', '-', '!', '?', ':'])
            });
            let next_ok = next.is_none_or(|x| {
                x.cap
                    || x.has_digit
                    || !x.alpha
                    || AFTER_ORDINAL.contains(&x.l())
                    || weekday(x.l())
                    // "goals from the 2nd revisited", "the 9th turned up"
                    || x.l().ends_with("ed") && x.nchars > 4
            });
            if wd || wd2 {
                let s = if wd { toks[i - 1].s } else { toks[i - 2].s };
                out.push(Cand {
                    s,
                    e: t.e,
                    kind: T::Date,
                    prio: PRIO,
                });
            } else if cued && next_ok {
                out.push(Cand {
                    s: t.s,
                    e: t.e,
                    kind: T::Date,
                    prio: PRIO - 2,
                });
            }
        }
        i += 1;
    }
}

/// Extends date candidates over a range start before them: "12-14
/// March", "3rd to 5th June", "12th - 14th".
pub(crate) fn ranges(text: &str, toks: &[Tok<'_>], cands: &mut [Cand]) {
    for c in cands.iter_mut().filter(|c| c.kind == T::Date) {
        let Some(j) = toks.iter().position(|t| t.s == c.s) else {
            continue;
        };
        let first_ok = small_number(toks[j].text).is_some() || ordinal_day(toks[j].text).is_some();
        if !first_ok || j == 0 {
            continue;
        }
        let g = gap(text, toks, j);
        let (k, ok) = if matches!(g, "-" | " - " | "–" | " – ") {
            (j - 1, true)
        } else if g == " " && toks[j - 1].lower == "to" && j >= 2 && gap(text, toks, j - 1) == " " {
            (j - 2, true)
        } else {
            (j, false)
        };
        if ok
            && (small_number(toks[k].text).is_some_and(|v| (1..=31).contains(&v))
                || ordinal_day(toks[k].text).is_some())
            && !text
                .get(..toks[k].s)
                .and_then(|p| p.chars().next_back())
                .is_some_and(|ch| ch.is_alphanumeric() || matches!(ch, '/' | '.' | '-' | ':'))
        {
            c.s = toks[k].s;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{EntityType, detect};

    fn dates(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        detect(text, None)
            .into_iter()
            .filter(|s| s.kind == EntityType::Date)
            .map(|s| chars[s.start..s.end].iter().collect())
            .collect()
    }

    #[test]
    fn short_forms() {
        let got = dates(
            "next appt 14/2. rang on Fri 21st, again weds 5th; seen on the 13th and by the 1st. Review 26/11.",
        );
        for want in ["14/2", "Fri 21st", "weds 5th", "13th", "1st", "26/11"] {
            assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
        }
    }

    #[test]
    fn scores_and_ordinals_of_things_are_not_dates() {
        let got = dates(
            "Pain 6/10, power 4/5 in the left arm. This was the 3rd session and the 2nd time. ABG 7.38/42/98, BP 130/60, D5 1/2NS.",
        );
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn ranges_join() {
        let got = dates("Away 12-14 March, then from the 3rd to 5th June.");
        assert!(got.iter().any(|g| g == "12-14 March"), "{got:?}");
        assert!(got.iter().any(|g| g.starts_with("3rd")), "{got:?}");
    }

    #[test]
    fn day_and_october_is_a_date_a_score_out_of_ten_is_not() {
        let got = dates("Lead informed 14/10. Acknowledged 8/10. Mood 8/10 today, sleep 6/10.");
        assert_eq!(got, ["14/10", "8/10"], "{got:?}");
    }
}
