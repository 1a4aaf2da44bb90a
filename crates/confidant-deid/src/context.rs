//! Identifiers that are found by what stands around them rather than by
//! their own shape or capitals: usernames in message exports, initials
//! next to the cues that introduce people ("discussed with JR", "seen by
//! G.W.", "Supervisor: K.T."), single-letter client designations ("J's
//! mum"), names in lower case after greetings ("thanks sunny x"),
//! preferred names and nicknames stated in the text ("prefers 'Ken'",
//! "Known as: 'Slates'") and then every later mention of them,
//! organisations after cues ("works at", "referred to", "attends") even
//! when made of ordinary words, abbreviations of local services ("taken to
//! RBH", "(EEAST)") and organisations written in lower case ("sheffield
//! college").

use crate::gazetteer::{
    F_CARE, F_CLINICAL, F_CUE, F_ENGLISH, F_FIRST, F_NAME, F_ORG_END, F_PLACE, F_STOP, F_SUR,
    F_TITLE, GAZ,
};
use crate::tokens::Tok;
use crate::{Cand, EntityType as T};

fn gap<'t>(text: &'t str, toks: &[Tok<'_>], i: usize) -> &'t str {
    if i == 0 || i >= toks.len() {
        return "";
    }
    text.get(toks[i - 1].e..toks[i].s).unwrap_or("")
}

fn push(out: &mut Vec<Cand>, toks: &[Tok<'_>], a: usize, b: usize, kind: T, prio: u8) {
    out.push(Cand {
        s: toks[a].s,
        e: toks[b].e,
        kind,
        prio,
    });
}

/// Words after which initials or a short form name a person.
const PERSON_CUES: &[&str] = &[
    "with",
    "w",
    "by",
    "signed",
    "cc",
    "supervisor",
    "supervisee",
    "practitioner",
    "counsellor",
    "therapist",
    "worker",
    "clinician",
    "from",
    "to",
    "and",
    "ask",
    "asked",
    "told",
    "emailed",
    "called",
    "rang",
    "phoned",
    "texted",
    "client",
    "referrer",
    "author",
    "recorded",
    "reviewed",
    "approved",
    "checked",
    "verified",
    "seen",
    "dsl",
    "manager",
    "lead",
    "discussed",
    "present",
    "attendees",
    "attending",
    "met",
    "meeting",
    "visited",
    "spoke",
    "cc'd",
    "including",
    "incl",
];

/// Role words that, in brackets after initials, say the initials are a
/// person's: "AB (social worker)", "CD (counsellor)", "EF (school nurse)".
fn role_word(l: &str) -> bool {
    matches!(
        l,
        "worker"
            | "counsellor"
            | "counselor"
            | "nurse"
            | "manager"
            | "officer"
            | "lead"
            | "therapist"
            | "psychologist"
            | "psychiatrist"
            | "gp"
            | "teacher"
            | "sw"
            | "supervisor"
            | "mentor"
            | "coordinator"
            | "advocate"
            | "consultant"
            | "practitioner"
            | "dsl"
            | "chair"
            | "keyworker"
            | "caseworker"
            | "head"
            | "headteacher"
            | "senco"
            | "idva"
            | "cpn"
            | "hv"
            | "mother"
            | "father"
            | "mum"
            | "dad"
            | "parent"
            | "carer"
            | "foster"
            | "partner"
            | "client"
            | "student"
            | "trainee"
            | "volunteer"
            | "director"
            | "solicitor"
            | "barrister"
            | "police"
            | "pc"
            | "dc"
            | "ds"
    )
}

/// Words before a letter that make it a label, not a person ("Part B",
/// "Appendix C (2)").
const DESIGNATOR: &[&str] = &[
    "part",
    "section",
    "type",
    "grade",
    "plan",
    "option",
    "appendix",
    "table",
    "figure",
    "class",
    "year",
    "block",
    "flat",
    "unit",
    "room",
    "ward",
    "bay",
    "bed",
    "level",
    "stage",
    "step",
    "phase",
    "page",
    "item",
    "form",
    "schedule",
    "annex",
    "group",
    "vitamin",
    "hepatitis",
    "hep",
];

/// Dotted forms that are not initials.
const NOT_INITIALS: &[&str] = &[
    "uk", "us", "usa", "nb", "ps", "eg", "ie", "am", "pm", "rip", "ba", "ma", "bsc", "msc", "dob",
    "aka", "asap", "etc", "vs", "co", "ad", "bc", "gp", "ok", "no", "mr", "dr",
];

/// Greetings and sign-offs after which a lower-case first name is a name
/// (a `match`, as it is asked of nearly every word).
fn greeting(l: &str) -> bool {
    matches!(
        l,
        "hi" | "hiya"
            | "hey"
            | "heya"
            | "hello"
            | "thanks"
            | "thx"
            | "cheers"
            | "ta"
            | "love"
            | "bye"
            | "dear"
            | "morning"
            | "evening"
            | "night"
            | "congrats"
            | "sorry"
            | "ok"
            | "okay"
            | "yes"
            | "yeah"
            | "no"
            | "x"
            | "xx"
            | "lol"
    )
}

/// Cues before an organisation ("works at", "referred to", "attends").
pub(crate) fn org_cue(toks: &[Tok<'_>], a: usize) -> bool {
    let p = |k: usize| a.checked_sub(k).map(|i| toks[i].l());
    let p1 = p(1);
    let p2 = p(2);
    let p1 = if p1 == Some("the") { p2 } else { p1 };
    let p2 = if toks
        .get(a.wrapping_sub(1))
        .is_some_and(|t| t.lower == "the")
    {
        p(3)
    } else {
        p2
    };
    // "works nights at Amazon", "works as a porter at Royal Stoke": a
    // work verb a few words before the preposition, in the same sentence.
    if matches!(p1, Some("at" | "for")) && far_work_cue(toks, a) {
        return true;
    }
    match p1 {
        Some(
            "attends" | "attended" | "attending" | "joined" | "joining" | "via" | "into" | "@",
        ) => true,
        Some("at" | "for" | "with" | "by" | "to" | "from" | "in" | "of") => matches!(
            p2,
            Some(
                "work"
                    | "works"
                    | "worked"
                    | "working"
                    | "job"
                    | "shifts"
                    | "shift"
                    | "employed"
                    | "volunteer"
                    | "volunteers"
                    | "volunteering"
                    | "volunteered"
                    | "referred"
                    | "referral"
                    | "refer"
                    | "signposted"
                    | "goes"
                    | "go"
                    | "going"
                    | "went"
                    | "started"
                    | "student"
                    | "studying"
                    | "placement"
                    | "member"
                    | "taken"
                    | "admitted"
                    | "transferred"
                    | "transfer"
                    | "admit"
                    | "discharge"
                    | "list"
                    | "listed"
                    | "discharged"
                    | "caseworker"
                    | "worker"
                    | "counsellor"
                    | "support"
                    | "supported"
                    | "sessions"
                    | "group"
                    | "choir"
                    | "church"
                    | "seen"
                    | "appointment"
                    | "now"
                    | "swimming"
                    | "coaching"
                    | "team"
                    | "lead"
                    | "manager"
                    | "nurse"
                    | "doctor"
                    | "consultant"
                    | "phd"
                    | "course"
                    | "apply"
                    | "applied"
                    | "contact"
                    | "called"
                    | "spoken"
                    | "spoke"
                    | "crew"
                    | "him"
                    | "her"
                    | "them"
                    | "letter"
                    | "email"
                    | "cafe"
                    | "café"
                    | "helpline"
                    | "living"
                    | "lives"
                    | "staying"
                    | "stays"
                    | "stayed"
                    | "physio"
                    | "psychiatrist"
                    | "psychologist"
                    | "therapist"
                    | "midwife"
                    | "dentist"
                    | "teacher"
                    | "porter"
                    | "cleaner"
                    | "cleans"
                    | "cleaning"
                    | "carer"
                    | "apprentice"
                    | "apprenticeship"
                    | "training"
                    | "trains"
                    | "studies"
                    | "study"
            )
        ),
        _ => false,
    }
}

/// A verb of working two to five words before the preposition at `a - 1`
/// (or `a - 2` after "the"), with no sentence break between.
fn far_work_cue(toks: &[Tok<'_>], a: usize) -> bool {
    let prep = if a >= 2 && toks[a - 1].lower == "the" {
        a - 2
    } else {
        a.saturating_sub(1)
    };
    for k in 2..=5 {
        let Some(j) = prep.checked_sub(k) else {
            break;
        };
        if toks[j + 1..=prep].iter().any(|t| t.sent_start) {
            break;
        }
        if matches!(
            toks[j].l(),
            "works"
                | "worked"
                | "working"
                | "employed"
                | "volunteers"
                | "volunteered"
                | "volunteering"
                | "apprentice"
                | "apprenticeship"
                | "placement"
                | "cleans"
                | "cleaner"
                | "porter"
                | "receptionist"
                | "job"
                | "shifts"
                | "studying"
                | "studies"
        ) {
            return true;
        }
    }
    false
}

/// Ordinary words that name no particular organisation ("Mental Health
/// Trust", "Adult Social Care", "the Crisis Team").
fn generic_word(l: &str) -> bool {
    matches!(
        l,
        "mental"
            | "health"
            | "social"
            | "care"
            | "services"
            | "service"
            | "crisis"
            | "community"
            | "local"
            | "national"
            | "adult"
            | "adults"
            | "children"
            | "child"
            | "childrens"
            | "family"
            | "families"
            | "youth"
            | "young"
            | "people"
            | "primary"
            | "secondary"
            | "home"
            | "treatment"
            | "support"
            | "early"
            | "help"
            | "the"
            | "public"
            | "general"
            | "education"
            | "housing"
            | "welfare"
            | "benefits"
            | "drug"
            | "alcohol"
            | "and"
            | "of"
            | "for"
            | "team"
            | "unit"
            | "ward"
            | "hospital"
            | "school"
            | "college"
            | "university"
            | "trust"
            | "council"
            | "centre"
            | "center"
            | "clinic"
            | "surgery"
            | "practice"
            | "counselling"
            | "therapies"
            | "therapy"
            | "project"
            | "hub"
            | "group"
            | "club"
            | "network"
            | "association"
            | "society"
            | "office"
            | "library"
            | "police"
            | "court"
            | "family court"
            | "talking"
            | "wellbeing"
            | "medical"
            | "practice's"
            | "local authority"
            | "authority"
            | "day"
            | "drop"
            | "in"
            | "job"
            | "jobcentre"
            | "foodbank"
            | "food"
            | "bank"
    )
}

/// A word that can be an initialism of a person: 2-3 capitals, not a
/// listed acronym or word.
fn initials_token(t: &Tok<'_>, strong: bool) -> bool {
    t.alpha
        && t.allcaps
        && (2..=3).contains(&t.nchars)
        && !t.is(F_CARE | F_STOP | F_TITLE)
        && !(t.nchars == 2 && t.is(F_ENGLISH))
        && (strong || !t.is(F_CLINICAL | F_ENGLISH))
        && !NOT_INITIALS.contains(&t.l())
}

const REPORT: &[&str] = &[
    "said",
    "says",
    "advised",
    "agreed",
    "suggested",
    "thinks",
    "felt",
    "noted",
    "asked",
    "told",
    "rang",
    "called",
    "wrote",
    "emailed",
    "reviewed",
    "signed",
    "recommended",
    "will",
    "to",
];

pub(crate) fn detect(text: &str, toks: &[Tok<'_>], upper: &[bool], out: &mut Vec<Cand>) {
    let n = toks.len();
    for i in 0..n {
        let t = &toks[i];
        let g = gap(text, toks, i);
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        let next = toks.get(i + 1);
        let gn = gap(text, toks, i + 1);

        // Usernames: "sunny_r92", "lew_carr" (snake case with letters).
        if !t.alpha
            && t.text.contains('_')
            && t.nchars >= 4
            && t.text.chars().any(char::is_alphabetic)
            && !t.text.starts_with('_')
            // Not a placeholder or field name of ordinary words
            // ("street_name"), unless one part is a first name.
            && (t.has_digit
                || t.lower.split('_').any(|p| {
                    !p.is_empty() && (GAZ.has(p, F_FIRST) || !GAZ.has(p, F_ENGLISH | F_CLINICAL))
                }))
        {
            push(out, toks, i, i, T::Username, 88);
            continue;
        }
        // A chat line "kyle92: ..." : letters and digits before a colon at
        // the start of a line.
        if t.has_digit
            && !t.alpha
            && t.text.chars().any(char::is_alphabetic)
            && t.text.starts_with(char::is_alphabetic)
            && t.nchars >= 4
            && gn.starts_with(':')
            && (i == 0 || g.contains('\n'))
        {
            push(out, toks, i, i, T::Username, 88);
            continue;
        }

        // Dotted initials: "G.W.", "K. T.", "A.R." (two or more).
        if t.nchars == 1 && t.cap && t.alpha && gn.starts_with('.') {
            let mut e = i;
            let mut letters = String::from(t.lower);
            while e + 1 < n
                && matches!(gap(text, toks, e + 1), "." | ". ")
                && toks[e + 1].nchars == 1
                && toks[e + 1].cap
                && toks[e + 1].alpha
            {
                e += 1;
                letters.push_str(toks[e].lower);
            }
            let dotted_end = text.get(toks[e].e..).is_some_and(|r| r.starts_with('.'));
            let before_ok = !g.ends_with('.') || i == 0;
            if e > i && dotted_end && before_ok && !NOT_INITIALS.contains(&letters.as_str()) {
                // "T.B. Smith" is a name with its surname; the run rules
                // take the surname, the initials are added here.
                push(out, toks, i, e, T::Name, 44);
                continue;
            }
        }

        // Initials as a short form next to a person cue: "discussed w/
        // JR", "seen by AJ", "Supervisor: K.T.", "JB advised", "MK (service
        // manager)", "(KT)", "- RH" as a sign-off.
        if t.allcaps && t.alpha && (2..=3).contains(&t.nchars) && !upper[i] {
            let p = prev.map(|p| p.l());
            let cue_gap = matches!(g, " " | ": " | ":" | "/ " | " (" | ", ");
            let strong = cue_gap && p.is_some_and(|w| PERSON_CUES.contains(&w))
                || g.ends_with("- ") && gn.is_empty()
                || g.ends_with("- ") && next.is_some_and(|x| x.sent_start);
            let after_role = gn == " ("
                && next.is_some_and(|x| {
                    x.is(F_CUE | F_CARE) || x.l() == "service" || x.l() == "client"
                })
                || gn.starts_with(' ')
                    && !gn.contains('\n')
                    && next.is_some_and(|x| REPORT.contains(&x.l()) && !x.sent_start);
            // A role in the brackets that follow: "AB (social worker,
            // Sefton Council)".
            let role = gn == " ("
                && toks[i + 1..]
                    .iter()
                    .take(3)
                    .take_while(|x| text.get(t.e..x.s).is_some_and(|g| !g.contains(')')))
                    .any(|x| role_word(x.l()));
            let strong = strong || role;
            let paren = g.ends_with('(') && gn.starts_with(')');
            if initials_token(t, strong) && (strong || after_role || paren) {
                push(out, toks, i, i, T::Name, 43);
                continue;
            }
        }
        // Lower-case initials after "discussed w": "discussed w tr".
        if !t.cap
            && t.alpha
            && t.nchars == 2
            && !t.is(F_ENGLISH | F_CARE | F_STOP)
            && matches!(g, " " | "/ ")
            && prev.is_some_and(|p| matches!(p.l(), "w" | "with"))
            && i >= 2
            && matches!(
                toks[i - 2].l(),
                "discussed" | "spoke" | "agreed" | "checked"
            )
        {
            push(out, toks, i, i, T::Name, 43);
            continue;
        }

        // A single capital as a client designation: "J's mum", "the
        // affair with \"R\"".
        if t.nchars == 1 && t.cap && t.alpha && t.text != "I" && !upper[i] {
            let poss = matches!(gn, "'" | "\u{2019}")
                && next.is_some_and(|x| x.lower == "s")
                && t.text != "A";
            let quoted = (g.ends_with('"') || g.ends_with('\u{201c}'))
                && (gn.starts_with('"') || gn.starts_with('\u{201d}'));
            // "J attends", "T has missed": a letter before a verb.
            let verb = gn == " "
                && t.text != "A"
                && next.is_some_and(|x| {
                    !x.cap
                        && x.alpha
                        && x.nchars >= 3
                        && (matches!(x.l(), "is" | "was" | "has" | "had")
                            || (x.l().ends_with('s') || x.l().ends_with("ed")) && !x.is(F_STOP))
                        && !matches!(x.l(), "and" | "or" | "as" | "is" | "its" | "this" | "was")
                        || matches!(x.l(), "has" | "had" | "is" | "was")
                });
            // "Client B (T)": the letter in brackets after a client label.
            let client = g == " (" && gn.starts_with(')') && i >= 2 && toks[i - 2].l() == "client";
            // "K (15) disclosed": a letter with an age in brackets.
            let aged = gn == " ("
                && t.text != "A"
                && next.is_some_and(|x| {
                    x.has_digit
                        && x.nchars <= 2
                        && x.text.bytes().all(|c| c.is_ascii_digit())
                        && text.get(x.e..).is_some_and(|r| r.starts_with(')'))
                })
                && prev.is_none_or(|p| !DESIGNATOR.contains(&p.l()));
            if poss || quoted || verb || client || aged {
                push(out, toks, i, i, T::Name, 42);
                continue;
            }
        }

        // Lower-case names after a greeting or before a kiss: "thanks
        // sunny x", "hi ada", "cheers bea".
        if !t.cap
            && t.alpha
            && t.nchars >= 2
            && matches!(g, " " | ", ")
            && prev.is_some_and(|p| greeting(p.l()))
            && t.is(F_FIRST)
            && !t.is(F_STOP | F_TITLE | F_CUE)
        {
            let ends = next.is_none()
                || gn.contains(['\n', ',', '.', '!', '?', ')', ':'])
                || next.is_some_and(|x| matches!(x.l(), "x" | "xx" | "xxx" | "its" | "it" | "lol"));
            if !t.is(F_ENGLISH | F_CLINICAL) || ends {
                push(out, toks, i, i, T::Name, 26);
                continue;
            }
        }
        // Lower-case names after a lower-case title or in brackets after a
        // relation: "mr hughes", "mum (karen)", "a lad called kai".
        if !t.cap && t.alpha && t.nchars >= 3 {
            let p = prev.map(|p| p.l());
            let title = matches!(g, " " | ". ")
                && p.is_some_and(|w| matches!(w, "mr" | "mrs" | "ms" | "miss" | "dr" | "mx"));
            let rel = g == " (" && prev.is_some_and(|p| p.is(F_CUE));
            if (title || rel)
                && !t.is(F_STOP | F_TITLE | F_CUE)
                && (t.is(F_NAME) || !t.is(F_ENGLISH))
            {
                push(out, toks, i, i, T::Name, 26);
                continue;
            }
        }

        // Abbreviations of local services after an organisation cue:
        // "taken to RBH", "referred by NWAS", "(EEAST)", "at UCL".
        if t.allcaps && t.alpha && (3..=6).contains(&t.nchars) && !upper[i] {
            let p = prev.map(|p| p.l());
            let cue = matches!(g, " " | " the ")
                && p.is_some_and(|w| {
                    matches!(
                        w,
                        "at" | "to"
                            | "from"
                            | "by"
                            | "into"
                            | "via"
                            | "with"
                            | "attends"
                            | "contact"
                    )
                });
            let paren = g.ends_with('(')
                && gn.starts_with(')')
                && i >= 2
                && (toks[i - 1].is(F_CLINICAL) || toks[i - 1].l() == "called");
            if (cue || paren)
                && !t.is(F_CARE | F_STOP | F_TITLE)
                && !(t.is(F_ENGLISH) && t.nchars <= 3)
                && !NOT_INITIALS.contains(&t.l())
            {
                push(out, toks, i, i, T::Organisation, 39);
                continue;
            }
        }
    }
    bracketed_organisations(text, toks, out);
    place_services(text, toks, out);
    lower_case_streets(text, toks, out);
    organisations(text, toks, upper, out);
    preferred_names(text, toks, out);
}

/// Streets in lower case or capitals without a house number: "the costa
/// on king st", "CVS ON CENTRE ST": a word and a street word after "on",
/// "off", "at", "in" or "near".
fn lower_case_streets(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let n = toks.len();
    for i in 2..n {
        let l = toks[i].l();
        if !matches!(
            l,
            "st" | "street"
                | "rd"
                | "road"
                | "lane"
                | "ln"
                | "ave"
                | "avenue"
                | "close"
                | "drive"
                | "terrace"
                | "crescent"
                | "grove"
                | "gardens"
        ) || !toks[i].allcaps && toks[i].cap
        {
            continue;
        }
        let w = &toks[i - 1];
        let p = toks[i - 2].l();
        if gap(text, toks, i) == " "
            && gap(text, toks, i - 1) == " "
            && matches!(p, "on" | "off" | "at" | "in" | "near")
            && w.alpha
            && w.nchars >= 3
            && (w.allcaps || !w.cap)
            && !w.is(F_STOP | F_TITLE | F_CUE)
            && !matches!(
                w.l(),
                "the"
                    | "this"
                    | "that"
                    | "our"
                    | "my"
                    | "his"
                    | "her"
                    | "their"
                    | "same"
                    | "main"
                    | "high"
                    | "wrong"
                    | "right"
                    | "busy"
                    | "long"
                    | "next"
            )
        {
            push(out, toks, i - 1, i, T::Address, 47);
        }
    }
}

/// A generic service named after its area ("Leeds CAMHS", "Bury CMHT",
/// "LEEDS IAPT"): the service kind is not an identifier, the place is.
fn place_services(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    for i in 1..toks.len() {
        let svc = &toks[i];
        if !(svc.allcaps && svc.alpha && (3..=6).contains(&svc.nchars)) || gap(text, toks, i) != " "
        {
            continue;
        }
        if !matches!(
            svc.l(),
            "camhs" | "cahms" | "cmht" | "crht" | "iapt" | "mash" | "mhst" | "amhp" | "ctr"
        ) {
            continue;
        }
        // The place: one word, or two ("Merthyr Tydfil CMHT").
        let mut a = i - 1;
        let ok1 = |t: &Tok<'_>| t.alpha && t.cap && t.nchars >= 3 && !t.is(F_STOP | F_TITLE);
        if !ok1(&toks[a]) {
            continue;
        }
        if a >= 1
            && gap(text, toks, a) == " "
            && ok1(&toks[a - 1])
            && GAZ
                .places
                .contains(&format!("{} {}", toks[a - 1].l(), toks[a].l()))
        {
            a -= 1;
        } else if !toks[a].is(F_PLACE)
            || toks[a].is(F_CARE)
            || toks[a].allcaps && toks[a].is(F_ENGLISH | F_CLINICAL)
        {
            continue;
        }
        push(out, toks, a, i - 1, T::Location, 41);
    }
}

/// "Landlord (Torus)", "uni (strathclyde)", "the school (st josephs)": a
/// short bracket after a word for an institution names it.
fn bracketed_organisations(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let n = toks.len();
    for i in 1..n {
        if gap(text, toks, i) != " (" {
            continue;
        }
        if !matches!(
            toks[i - 1].l(),
            "landlord"
                | "school"
                | "uni"
                | "university"
                | "college"
                | "employer"
                | "work"
                | "surgery"
                | "church"
                | "charity"
                | "housing"
                | "hospital"
                | "agency"
                | "nursery"
                | "club"
                | "gym"
                | "team"
                | "firm"
                | "company"
                | "job"
                | "provider"
                | "association"
                | "pharmacy"
                | "chemist"
                | "dentist"
                | "rehab"
                | "hospice"
                | "hostel"
                | "shelter"
        ) {
            continue;
        }
        let mut e = i;
        let place_prep = |t: &Tok<'_>| matches!(t.l(), "on" | "at" | "in" | "near" | "off");
        while e + 1 < n
            && e < i + 4
            && matches!(gap(text, toks, e + 1), " " | "'" | "\u{2019}")
            && !place_prep(&toks[e + 1])
        {
            e += 1;
        }
        // "pharmacy (CVS on Centre St)": the name before where it is.
        let before_where = e + 1 < n && gap(text, toks, e + 1) == " " && place_prep(&toks[e + 1]);
        if !before_where && !text.get(toks[e].e..).is_some_and(|r| r.starts_with(')')) {
            continue;
        }
        let named = (i..=e).any(|k| {
            let t = &toks[k];
            t.alpha && (t.cap || !t.is(F_ENGLISH | F_CLINICAL) || t.is(F_PLACE | F_SUR))
        });
        if named && !(i..=e).all(|k| toks[k].is(F_CARE) || generic_word(toks[k].l())) {
            push(out, toks, i, e, T::Organisation, 38);
        }
    }
}

/// Organisations named with ordinary words, found by a cue or by being
/// written in title case mid-sentence, and organisations in lower case.
fn organisations(text: &str, toks: &[Tok<'_>], upper: &[bool], out: &mut Vec<Cand>) {
    let n = toks.len();
    let mut i = 0;
    while i < n {
        let t = &toks[i];
        // "NHS Highland", "NHS Greater Glasgow and Clyde": a health board
        // named after its area.
        if t.lower == "nhs" && t.allcaps && !upper[i] && i + 1 < n && gap(text, toks, i + 1) == " "
        {
            let mut e = i;
            while e + 1 < n
                && matches!(gap(text, toks, e + 1), " " | " and " | " & ")
                && toks[e + 1].cap
                && toks[e + 1].alpha
                && !toks[e + 1].allcaps
                && !toks[e + 1].is(F_STOP | F_TITLE)
                && !generic_word(toks[e + 1].l())
            {
                e += 1;
            }
            if e > i && (i + 1..=e).any(|k| toks[k].is(F_PLACE) || !toks[k].is(F_ENGLISH)) {
                push(out, toks, i, e, T::Organisation, 39);
                i = e + 1;
                continue;
            }
        }
        // A capitalised run starting here (mixed-case text only).
        if t.cap && t.alpha && !upper[i] && !t.allcaps {
            let mut e = i;
            while e + 1 < n
                && matches!(
                    gap(text, toks, e + 1),
                    " " | "'" | "\u{2019}" | " & " | " of " | " and "
                )
                && !upper[e + 1]
                && (toks[e + 1].cap && toks[e + 1].alpha
                    || toks[e + 1].lower == "s"
                        && matches!(gap(text, toks, e + 1), "'" | "\u{2019}"))
            {
                e += 1;
            }
            let words = e + 1 - i;
            // "at the Priory", "from the Forum": a capitalised word after
            // "the" and a preposition, mid-sentence.
            let the_prep = words == 1
                && i >= 2
                && toks[i - 1].lower == "the"
                && !t.sent_start
                && matches!(
                    toks[i - 2].l(),
                    "at" | "to" | "from" | "in" | "into" | "with" | "via" | "attends"
                )
                && !t.is(F_STOP | F_TITLE | F_CLINICAL)
                && !GAZ.has(t.lower, F_CUE);
            let the_mid = t.lower == "the" && !t.sent_start && words >= 2;
            let cued = !t.sent_start && !t.is(F_TITLE) && org_cue(toks, i);
            let last = &toks[e];
            let suffix = last.is(F_ORG_END);
            let all_generic = || (i..=e).all(|k| generic_word(toks[k].l()) || toks[k].lower == "s");
            let names_person =
                || words <= 3 && (i..=e).all(|k| toks[k].is(F_NAME) && !toks[k].is(F_ENGLISH));
            // "The Listening Room", "The Hub Café" mid-sentence; "Reset
            // Coaching", "Kestrel Logistics" (an organisation word at the
            // end); "works at Barclays" (a cue).
            // "Derby Foodbank", "Swansea Crown Court": a place and a public
            // service; names.rs keeps the place only.
            let service = || {
                crate::names::SERVICE_SUFFIXES.iter().any(|s| {
                    if s.contains(' ') {
                        // A multi-word service word at the end ("Job Centre").
                        let k = s.split(' ').count();
                        e + 1 >= i + k
                            && s.split(' ')
                                .zip(&toks[e + 1 - k..=e])
                                .all(|(w, t)| w == t.lower)
                    } else {
                        (i..=e).any(|k| *s == toks[k].lower)
                    }
                })
            };
            let take = (the_mid
                || the_prep
                || suffix && words >= 2 && (cued || !t.sent_start || words >= 3)
                || cued
                    && (words >= 2
                        || t.nchars >= 2 && !t.is(F_ENGLISH | F_STOP | F_TITLE | F_CLINICAL)
                        // "works nights at Amazon", "a job at Boots": after
                        // a cue of employment even a capitalised word that
                        // is also an ordinary one.
                        || t.nchars >= 3
                            && !t.is(F_STOP | F_TITLE | F_CLINICAL | F_CUE)
                            && (crate::names::employer_cue(toks, i) || far_work_cue(toks, i))))
                && !all_generic()
                && !names_person()
                && !service();
            if take {
                let a = if t.lower == "the" { i + 1 } else { i };
                if a <= e {
                    push(out, toks, a, e, T::Organisation, 38);
                }
            }
            i = e + 1;
            continue;
        }
        // Lower case: "sheffield college", "cardiff and vale college", "st
        // josephs", "the costa on king st".
        if !t.cap && t.alpha && t.is(F_ORG_END) && i > 0 {
            let mut a = i;
            let mut named = false;
            while a > 0
                && a + 4 > i
                && matches!(gap(text, toks, a), " " | "'")
                && !toks[a - 1].cap
                && toks[a - 1].alpha
            {
                let w = &toks[a - 1];
                let l = w.l();
                if matches!(
                    l,
                    "at" | "to"
                        | "from"
                        | "the"
                        | "a"
                        | "in"
                        | "my"
                        | "his"
                        | "her"
                        | "their"
                        | "our"
                        | "your"
                        | "local"
                        | "new"
                        | "old"
                        | "said"
                        | "goes"
                        | "attends"
                ) {
                    break;
                }
                a -= 1;
                // ("son's football team": the "s" names nothing.)
                named |= w.nchars >= 3
                    && (w.is(F_PLACE | F_SUR | F_FIRST) && !w.is(F_ENGLISH)
                        || !w.is(F_ENGLISH | F_CLINICAL));
            }
            // "cardiff and vale college": "and" inside, never at the start.
            while a < i && matches!(toks[a].l(), "and" | "of") {
                a += 1;
            }
            // Made only of ordinary words ("skylark recovery service"), it
            // needs a cue before it ("goes to", "referred to", "works at")
            // and a word that is not generic.
            // Not "email to duty team", "her son's football team".
            let cued = || {
                !matches!(t.l(), "team" | "room" | "group" | "club")
                    && org_cue(toks, a)
                    && (a..i).any(|k| !generic_word(toks[k].l()))
                    && !toks[a].is(F_CLINICAL | F_CARE)
            };
            if a < i && (named || cued()) && !toks[a].is(F_STOP) {
                push(out, toks, a, i, T::Organisation, 37);
            }
        }
        // "at the costa", "attends st josephs": a lower-case word after a
        // cue that is a name or place and not an English word.
        if !t.cap
            && t.alpha
            && t.nchars >= 3
            && i > 0
            && matches!(
                toks[i - 1].l(),
                "at" | "for"
                    | "with"
                    | "by"
                    | "to"
                    | "from"
                    | "in"
                    | "of"
                    | "the"
                    | "attends"
                    | "attended"
                    | "attending"
                    | "joined"
                    | "joining"
                    | "via"
                    | "into"
            )
            && org_cue(toks, i)
            && !t.is(F_ENGLISH | F_CLINICAL | F_STOP | F_CARE | F_TITLE | F_CUE)
        {
            let mut e = i;
            while e + 1 < n
                && gap(text, toks, e + 1) == " "
                && !toks[e + 1].cap
                && toks[e + 1].alpha
                && !toks[e + 1].is(F_ENGLISH | F_STOP)
            {
                e += 1;
            }
            push(out, toks, i, e, T::Organisation, 37);
            i = e + 1;
            continue;
        }
        i += 1;
    }
}

/// "prefers 'Ken'", "known as Slates", "Preferred name: Shay", "goes by
/// Mo", "calls himself Slates": the stated name is a name here and at
/// every later (or earlier) mention in the same text.
fn preferred_names(text: &str, toks: &[Tok<'_>], out: &mut Vec<Cand>) {
    let n = toks.len();
    let mut stated: Vec<(String, bool)> = Vec::new();
    for i in 0..n {
        let l = toks[i].l();
        let at = match l {
            "prefers" | "preferred" | "aka" | "nickname" | "nicknamed" => {
                // "prefers to be called X", "preferred name: X"
                let mut j = i + 1;
                while j < n
                    && j < i + 5
                    && matches!(
                        toks[j].l(),
                        "to" | "be" | "called" | "known" | "as" | "name" | "is"
                    )
                {
                    j += 1;
                }
                Some(j)
            }
            "known" | "goes"
                if toks
                    .get(i + 1)
                    .is_some_and(|x| matches!(x.l(), "as" | "by")) =>
            {
                Some(i + 2)
            }
            "himself" | "herself" | "themselves" | "themself"
                if i > 0 && matches!(toks[i - 1].l(), "calls" | "call" | "called") =>
            {
                Some(i + 1)
            }
            _ => None,
        };
        let Some(j) = at else { continue };
        let Some(x) = toks.get(j) else { continue };
        let g = gap(text, toks, j);
        if g.contains('\n') || !x.alpha || x.nchars < 2 || x.is(F_STOP | F_TITLE) {
            continue;
        }
        let quoted = g.ends_with(['\'', '"', '\u{2018}', '\u{201c}']);
        let ok = quoted || x.cap || !x.is(F_ENGLISH);
        // Not "prefers the morning", "known as a"
        if !ok
            || matches!(
                x.l(),
                "the" | "a" | "an" | "to" | "not" | "being" | "her" | "his" | "their"
            )
        {
            continue;
        }
        stated.push((x.lower.to_string(), x.cap));
    }
    if stated.is_empty() {
        return;
    }
    for (i, t) in toks.iter().enumerate() {
        if let Some((_, cap)) = stated.iter().find(|(w, _)| w == t.lower) {
            // A stated name that is also a word only counts in the case it
            // was stated in ("Slates", not "slates" on a roof).
            if !cap || t.cap || !t.is(F_ENGLISH) {
                push(out, toks, i, i, T::Name, 46);
            }
        }
    }
}

/// Every later mention of a name found in the text: a word that was taken
/// as a name, is not an ordinary or clinical word, and now appears in
/// another case or without the cue that found it ("Kai" ... "kai").
pub(crate) fn propagate(toks: &[Tok<'_>], found: &[Cand], out: &mut Vec<Cand>) {
    let mut names: Vec<&str> = Vec::new();
    // Initials taken as a person's ("AB (social worker)"), matched again
    // in the same capitals ("Actions: AB to update").
    let mut initials: Vec<&str> = Vec::new();
    for c in found.iter().filter(|c| c.kind == T::Name) {
        let first = toks.partition_point(|t| t.s < c.s);
        if let Some(t) = toks.get(first) {
            if t.s == c.s
                && t.e == c.e
                && t.alpha
                && t.allcaps
                && (2..=3).contains(&t.nchars)
                && !t.is(F_CARE | F_STOP | F_TITLE)
                && !initials.contains(&t.text)
            {
                initials.push(t.text);
            }
        }
        for t in toks[first..].iter().take_while(|t| t.e <= c.e) {
            if t.alpha
                && t.nchars >= 3
                && !names.contains(&t.lower)
                && !t.is(F_ENGLISH | F_CLINICAL | F_STOP | F_TITLE | F_CUE)
            {
                names.push(t.lower);
            }
        }
    }
    if !initials.is_empty() {
        for (i, t) in toks.iter().enumerate() {
            if t.allcaps && initials.contains(&t.text) {
                push(out, toks, i, i, T::Name, 24);
            }
        }
    }
    if names.is_empty() {
        return;
    }
    // Candidates at a low priority: wherever anything else was found the
    // resolution in lib.rs keeps that instead.
    for (i, t) in toks.iter().enumerate() {
        // A few names per text: comparing lengths first beats hashing.
        if t.nchars >= 3
            && names
                .iter()
                .any(|n| n.len() == t.lower.len() && *n == t.lower)
        {
            push(out, toks, i, i, T::Name, 24);
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

    fn texts(text: &str) -> Vec<String> {
        found(text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn initials_next_to_person_cues() {
        let got = texts(
            "Discussed w/ JR in supervision. Supervisor: K.T. Seen by AJ at drop-in. JB advised caution. Referred to CBT via the GP.",
        );
        for want in ["JR", "K.T", "AJ", "JB"] {
            assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
        }
        for not in ["CBT", "GP"] {
            assert!(!got.iter().any(|g| g == not), "{not}: {got:?}");
        }
    }

    #[test]
    fn usernames_and_greetings() {
        let got = texts("sunny_r92: can we move it?\ncounsellor_bea: yes. thanks sunny x");
        for want in ["sunny_r92", "counsellor_bea", "sunny"] {
            assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
        }
    }

    #[test]
    fn preferred_names_hold_for_the_document() {
        let got = texts(
            "Known as: 'Slates'. Later Slates said the lads call him that. He prefers 'Ken'; Ken agreed.",
        );
        assert_eq!(got.iter().filter(|g| *g == "Slates").count(), 2, "{got:?}");
        assert_eq!(got.iter().filter(|g| *g == "Ken").count(), 2, "{got:?}");
    }

    #[test]
    fn organisations_by_cue_and_shape() {
        let got = texts(
            "He works at Kestrel Logistics and volunteers at The Listening Room. She attends Roots Youth Project. Ambulance called (EEAST) and took him to RBH. goes to sheffield college now.",
        );
        for want in [
            "Kestrel Logistics",
            "The Listening Room",
            "Roots Youth Project",
            "EEAST",
            "RBH",
            "sheffield college",
        ] {
            assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
        }
        let got = texts("Referred to the Mental Health Trust and Adult Social Care.");
        assert!(got.is_empty(), "{got:?}");
        // A generic service kind alone is not an identifier; named after
        // its area, the area is.
        let got = found("Seen in A&E, then CAMHS and the CMHT. Copy to Leeds CAMHS and Bury CMHT.");
        let want = vec![
            ("Leeds".to_string(), EntityType::Location),
            ("Bury".to_string(), EntityType::Location),
        ];
        assert_eq!(got, want);
        // Lower case after a cue, made of ordinary words; not a team.
        let got =
            texts("she goes to ember cic on mondays. email to duty team. her son's football team.");
        assert_eq!(got, ["ember cic"]);
    }

    #[test]
    fn initials_with_a_role_or_an_age_and_their_repeats() {
        let got = texts(
            "Present: AB (social worker, Sefton Council), CD (counsellor), EF (school nurse). Actions: AB to update the plan. Discussed TW's disclosure.",
        );
        assert_eq!(got.iter().filter(|g| *g == "AB").count(), 2, "{got:?}");
        for want in ["CD", "EF", "TW"] {
            assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
        }
        let got = texts("Case discussion: K (15) disclosed self-harm. See Part B (2) of the form.");
        assert!(got.iter().any(|g| g == "K"), "{got:?}");
        assert!(!got.iter().any(|g| g == "B"), "{got:?}");
    }

    #[test]
    fn employers_a_few_words_after_the_verb() {
        let got = texts(
            "Her mum works nights at Amazon in Coalville. He works as a porter at Royal Stoke. my shift at asda got changed. Eilidh works for NHS Highland.",
        );
        for want in ["Amazon", "Royal Stoke", "asda", "NHS Highland"] {
            assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
        }
        // Ordinary words after the cue are not employers.
        let got = texts("She works nights at weekends and works at home.");
        assert!(got.is_empty(), "{got:?}");
        // An organisation word alone names no organisation.
        let got = texts("Her son had a meeting at the Job Centre.");
        assert!(got.is_empty(), "{got:?}");
    }
}
