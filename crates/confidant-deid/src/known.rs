//! Record-aware detection: every form of each identifier the record already
//! holds (`known`): name parts, nicknames, initials, dates of birth in any
//! format, phone and NHS numbers whatever their spacing, address parts and
//! postcodes with or without the space.

use crate::gazetteer::{F_ENGLISH, F_STOP, GAZ};
use crate::tokens::{Tok, word_tokens};
use crate::{Cand, EntityType as T, Known};
use rustc_hash::FxHashMap;

const PRIO: u8 = 100;

/// One form to look for, as a sequence of lower-case tokens.
struct Variant {
    toks: Vec<String>,
    kind: T,
    /// Only match where the first token is capitalised in the text (for
    /// forms that are also common words, and nicknames).
    need_cap: bool,
    /// Match the exact case of every token (initials).
    exact: Option<Vec<String>>,
}

#[derive(Default)]
struct Variants {
    list: Vec<Variant>,
    /// Known first names (lower case), matched through nickname groups.
    first_names: Vec<String>,
    /// Digit strings of phone-like numbers, with their type.
    numbers: Vec<(String, T)>,
}

fn lower_tokens(s: &str) -> Vec<String> {
    word_tokens(s)
        .map(|(a, b)| s[a..b].to_lowercase())
        .collect()
}

fn raw_tokens(s: &str) -> Vec<String> {
    word_tokens(s).map(|(a, b)| s[a..b].to_string()).collect()
}

fn is_english(w: &str) -> bool {
    GAZ.has(w, F_ENGLISH | F_STOP)
}

impl Variants {
    fn add(&mut self, toks: Vec<String>, kind: T, need_cap: bool) {
        if toks.is_empty() || toks.iter().all(|t| t.chars().count() < 2) {
            return;
        }
        // A single common word is only taken when capitalised.
        let need_cap = need_cap || (toks.len() == 1 && is_english(&toks[0]));
        self.list.push(Variant {
            toks,
            kind,
            need_cap,
            exact: None,
        });
    }

    fn add_name(&mut self, name: &str) {
        let parts = raw_tokens(name);
        if parts.is_empty() {
            return;
        }
        let lower: Vec<String> = parts.iter().map(|p| p.to_lowercase()).collect();
        self.add(lower.clone(), T::Name, false);
        for p in &lower {
            if p.chars().count() >= 2 {
                self.add(vec![p.clone()], T::Name, false);
            }
        }
        let first = &lower[0];
        let last = lower.last().filter(|_| lower.len() > 1);
        if let Some(last) = last {
            self.add(vec![first.clone(), last.clone()], T::Name, false);
        }
        // Nicknames and diminutives of the first name (and, for a known
        // nickname, the full forms).
        // (A nickname followed by the surname needs no variant of its own:
        // both parts match alone and adjacent name spans are joined.)
        // Nicknames are matched from the text side (a capitalised word
        // whose nickname group holds a known first name), so no variant is
        // expanded per nickname.
        if GAZ.nicknames.contains_key(first.as_str()) {
            self.first_names.push(first.clone());
        }
        // Initials, exact case: "TB", "T.B.", "T. Becker".
        if parts.len() >= 2 {
            let initials: Vec<String> = parts
                .iter()
                .filter_map(|p| p.chars().next())
                .filter(|c| c.is_uppercase())
                .map(|c| c.to_string())
                .collect();
            if initials.len() == parts.len() {
                let joined: String = initials.concat();
                self.list.push(Variant {
                    toks: vec![joined.to_lowercase()],
                    kind: T::Name,
                    need_cap: true,
                    exact: Some(vec![joined]),
                });
                self.list.push(Variant {
                    toks: initials.iter().map(|i| i.to_lowercase()).collect(),
                    kind: T::Name,
                    need_cap: true,
                    exact: Some(initials.clone()),
                });
                if let Some(last) = parts.last() {
                    let v = vec![initials[0].clone(), last.clone()];
                    self.list.push(Variant {
                        toks: v.iter().map(|x| x.to_lowercase()).collect(),
                        kind: T::Name,
                        need_cap: true,
                        exact: Some(v),
                    });
                }
            }
        }
    }

    /// A preferred name, nickname or username: every word of it is a name
    /// (a common word only when capitalised), and the whole form too.
    fn add_alias(&mut self, alias: &str) {
        let toks = lower_tokens(alias);
        if toks.len() > 1 {
            self.add(toks.clone(), T::Name, false);
        }
        for t in toks {
            self.add(vec![t], T::Name, false);
        }
    }

    /// An organisation's name or abbreviation, with and without a legal or
    /// generic ending ("Reset Coaching Ltd" is also written "Reset
    /// Coaching"); matched as a sequence, never word by word, since its
    /// words are often ordinary ones.
    fn add_org(&mut self, name: &str) {
        let mut toks = lower_tokens(name);
        if toks.first().is_some_and(|t| t == "the") && toks.len() > 1 {
            toks.remove(0);
        }
        if toks.is_empty() {
            return;
        }
        self.add(toks.clone(), T::Organisation, false);
        if toks.len() > 1
            && matches!(
                toks.last().map(String::as_str),
                Some("ltd" | "limited" | "plc" | "cic" | "llp" | "inc" | "trust" | "charity")
            )
        {
            toks.pop();
            self.add(toks, T::Organisation, false);
        }
    }

    fn add_dob(&mut self, dob: &str) {
        let nums: Vec<u32> = dob
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        let [_year, m, d] = match nums.as_slice() {
            [a, b, c] if *a > 31 => [*a, *b, *c],
            [a, b, c] if *c > 31 => [*c, *b, *a],
            _ => return,
        };
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return;
        }
        const MONTHS: [&str; 12] = [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ];
        let month = MONTHS[(m - 1) as usize];
        // Numeric forms (14/03/1987, 1987-03-14, 14.3.87) and textual forms
        // with a year are all found by the general date patterns; the
        // record adds the day-and-month forms that may stand alone
        // ("born on the 14th of March", "March 14th").
        let ds = [
            d.to_string(),
            format!("{d:02}"),
            format!("{d}{}", ordinal(d)),
        ];
        for dv in ds {
            self.add(vec![dv.clone(), month.to_string()], T::Date, false);
            self.add(
                vec![dv.clone(), "of".into(), month.to_string()],
                T::Date,
                false,
            );
            self.add(vec![month.to_string(), dv], T::Date, false);
        }
    }

    fn add_number(&mut self, s: &str, kind: T) {
        let d = normalise_number(s);
        if d.len() >= 6 {
            self.numbers.push((d, kind));
        }
    }

    fn add_address(&mut self, addr: &str) {
        let parts: Vec<&str> = addr
            .split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let n = parts.len();
        for (i, part) in parts.iter().enumerate() {
            let toks = lower_tokens(part);
            let has_digit = toks.iter().any(|t| t.chars().any(|c| c.is_ascii_digit()));
            let kind = if i + 1 == n && n > 1 && !has_digit {
                T::Location
            } else {
                T::Address
            };
            self.add(toks.clone(), kind, false);
            // "649 Barlow Road" is also written "Barlow Road".
            let rest: Vec<String> = toks
                .iter()
                .skip_while(|t| t.chars().any(|c| c.is_ascii_digit()) || is_unit_word(t))
                .cloned()
                .collect();
            if rest.len() >= 2 && rest.len() < toks.len() {
                self.add(rest, T::Address, false);
            }
        }
    }

    fn add_postcode(&mut self, pc: &str) {
        let toks = lower_tokens(pc);
        if toks.is_empty() {
            return;
        }
        let joined: String = toks.concat();
        if toks.len() > 1 {
            self.add(toks, T::Postcode, false);
        }
        if joined.len() >= 5 {
            // Split as outward + inward code too ("IP1X7EQ" -> "IP1X 7EQ").
            let (a, b) = joined.split_at(joined.len() - 3);
            self.add(vec![a.to_string(), b.to_string()], T::Postcode, false);
        }
        self.add(vec![joined], T::Postcode, false);
    }
}

fn is_unit_word(t: &str) -> bool {
    matches!(
        t,
        "flat" | "studio" | "apartment" | "apt" | "unit" | "suite" | "room" | "house"
    )
}

fn ordinal(d: u32) -> &'static str {
    match (d % 10, d % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// Digits of a phone-like number, with a UK +44 prefix turned into 0.
pub(crate) fn normalise_number(s: &str) -> String {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = d.strip_prefix("440") {
        if rest.len() >= 9 {
            return format!("0{rest}");
        }
    }
    if let Some(rest) = d.strip_prefix("44") {
        if rest.len() >= 9 && d.len() >= 11 {
            return format!("0{rest}");
        }
    }
    d
}

fn collect(known: &Known) -> Variants {
    let mut v = Variants::default();
    if let Some(c) = &known.client {
        if let Some(n) = &c.name {
            v.add_name(n);
        }
        if let Some(d) = &c.dob {
            v.add_dob(d);
        }
        if let Some(a) = &c.address {
            v.add_address(a);
        }
        if let Some(p) = &c.postcode {
            v.add_postcode(p);
        }
        if let Some(p) = &c.phone {
            v.add_number(p, T::Phone);
        }
        if let Some(n) = &c.nhs_number {
            v.add_number(n, T::NhsNumber);
        }
        if let Some(e) = &c.email {
            v.add(lower_tokens(e), T::Email, false);
            if let Some((local, _)) = e.split_once('@') {
                let t = lower_tokens(local);
                if t.len() > 1 {
                    v.add(t, T::Email, false);
                }
            }
        }
        for n in c.preferred_name.iter().chain(&c.aliases) {
            v.add_alias(n);
        }
        for (k, val) in &c.extra {
            add_extra(&mut v, k, val);
        }
    }
    // Parties, people named on the record, the service's staff and the
    // policy's contacts are all people whose names may appear in a note.
    for o in known
        .others
        .iter()
        .chain(&known.people)
        .chain(&known.staff)
        .chain(&known.contacts)
    {
        if let Some(n) = &o.name {
            v.add_name(n);
        }
        for n in &o.aliases {
            v.add_alias(n);
        }
        for (k, val) in &o.extra {
            add_extra(&mut v, k, val);
        }
    }
    for org in &known.organisations {
        for n in org.name.iter().chain(&org.aliases) {
            v.add_org(n);
        }
        for (k, val) in &org.extra {
            add_extra(&mut v, k, val);
        }
    }
    for (k, val) in &known.extra {
        add_extra(&mut v, k, val);
    }
    v
}

fn add_extra(v: &mut Variants, key: &str, val: &serde_json::Value) {
    let key = key.to_lowercase();
    let kind = if [
        "school",
        "employer",
        "gp",
        "surgery",
        "work",
        "org",
        "college",
        "university",
    ]
    .iter()
    .any(|k| key.contains(k))
    {
        T::Organisation
    } else if key.contains("name") {
        T::Name
    } else if key.contains("phone") || key.contains("mobile") {
        T::Phone
    } else if key.contains("email") {
        T::Email
    } else if key.contains("address") {
        T::Address
    } else if key.contains("postcode") {
        T::Postcode
    } else if key.contains("dob") || key.contains("birth") || key.contains("date") {
        T::Date
    } else {
        T::Id
    };
    match val {
        serde_json::Value::String(s) => match kind {
            T::Name => v.add_name(s),
            T::Phone => v.add_number(s, T::Phone),
            T::Address => v.add_address(s),
            T::Postcode => v.add_postcode(s),
            T::Date => v.add_dob(s),
            _ => v.add(lower_tokens(s), kind, false),
        },
        serde_json::Value::Array(items) => {
            for i in items {
                add_extra(v, &key, i);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, i) in map {
                add_extra(v, k, i);
            }
        }
        _ => {}
    }
}

/// Whether the text between two tokens may sit inside one identifier.
fn joinable(gap: &str) -> bool {
    !gap.is_empty()
        && gap.len() <= 3
        && !gap.contains('\n')
        && gap
            .chars()
            .all(|c| matches!(c, ' ' | ',' | '-' | '.' | '/' | '(' | ')' | '\'' | '\t'))
}

/// Finds every form of the known identifiers in `toks`.
pub(crate) fn detect(text: &str, toks: &[Tok<'_>], known: &Known, out: &mut Vec<Cand>) {
    let v = collect(known);
    let mut by_first: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, var) in v.list.iter().enumerate() {
        by_first.entry(var.toks[0].as_str()).or_default().push(i);
    }
    for i in 0..toks.len() {
        if let Some(cands) = by_first.get(toks[i].l()) {
            for &vi in cands {
                let var = &v.list[vi];
                if var.need_cap && !toks[i].cap && !toks[i].text.starts_with(char::is_numeric) {
                    continue;
                }
                let n = var.toks.len();
                if i + n > toks.len() {
                    continue;
                }
                let ok = (0..n).all(|k| {
                    let t = &toks[i + k];
                    t.lower == var.toks[k]
                        && var.exact.as_ref().is_none_or(|ex| t.text == ex[k])
                        && (k == 0 || joinable(&text[toks[i + k - 1].e..t.s]))
                });
                if ok {
                    out.push(Cand {
                        s: toks[i].s,
                        e: toks[i + n - 1].e,
                        kind: var.kind,
                        prio: PRIO,
                    });
                }
            }
        }
    }
    // Nicknames and diminutives ("Liz", "Lizzie" for Elizabeth; the full
    // form for a known nickname): capitalised, as they are common words.
    if !v.first_names.is_empty() {
        for t in toks.iter().filter(|t| t.cap && t.alpha) {
            if let Some(group) = GAZ.nicknames.get(t.l()) {
                if group.iter().any(|g| v.first_names.contains(g)) {
                    out.push(Cand {
                        s: t.s,
                        e: t.e,
                        kind: T::Name,
                        prio: PRIO,
                    });
                }
            }
        }
    }
    if v.numbers.is_empty() {
        return;
    }
    // Digit runs: consecutive digit tokens joined by separators. A +44
    // form is two digits longer than its 0 form.
    let min_len = v.numbers.iter().map(|(n, _)| n.len()).min().unwrap_or(0);
    let max_len = v.numbers.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 3;
    let mut i = 0;
    while i < toks.len() {
        if !toks[i].text.bytes().all(|b| b.is_ascii_digit()) {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        let mut j = i;
        while j < toks.len() && toks[j].text.bytes().all(|b| b.is_ascii_digit()) {
            if j > i && !joinable(&text[toks[j - 1].e..toks[j].s]) {
                break;
            }
            digits.push_str(toks[j].text);
            if digits.len() >= min_len {
                let norm = normalise_number(&digits);
                if let Some((_, kind)) = v.numbers.iter().find(|(n, _)| *n == norm) {
                    // Include a leading "+" of an international prefix.
                    let s = if text[..toks[i].s].ends_with('+') {
                        toks[i].s - 1
                    } else {
                        toks[i].s
                    };
                    out.push(Cand {
                        s,
                        e: toks[j].e,
                        kind: *kind,
                        prio: PRIO,
                    });
                }
            }
            if digits.len() > max_len {
                break;
            }
            j += 1;
        }
        i += 1;
    }
}
