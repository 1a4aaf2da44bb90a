//! A Cedar rendering of a policy's disclosure question ("does this
//! situation let information out?"), for comparison with other engines and
//! for organisations that already run Cedar. Text generation only: this
//! crate does not depend on Cedar.
//!
//! Cedar has no rule priorities (a `forbid` always beats a `permit`), so
//! the first-match order is rendered into the conditions: each decisive
//! rule whose outcome is `disclose` or `emergency` becomes one `permit`
//! that also requires that no earlier, overlapping, non-disclosing rule
//! holds. A request is then allowed exactly when the engine's outcome is a
//! disclosure. The situation becomes a flat context of strings, one per
//! dimension ([`cedar_context`]).

use crate::Policy;
use crate::engine::{
    self, ABOUT, AGE, ARRANGEMENT, ASKING_PARTY, ASKS_FOR, CAN_CONSENT, CAPACITY,
    CARES_FOR_CHILDREN, CLIENT_ROLE, COMPULSION, CONFIRMED, CONSENT0, COURT_ORDER, CRIME, DECIDED,
    FROM, IDENTITY_PROTECTED, IMMINENT, INFORM_UNSAFE, KIND, LIFE_THREATENING, NDIMS, ON_BEHALF_OF,
    ONGOING_RISK, PR_ELSEWHERE, PROTECTED, RELATIONSHIP, USE_FOR, full, overlaps, winning_order,
};
use crate::format::AgeBand;
use confidant_core::decision::Outcome;
use confidant_core::situation::{
    Arrangement, AsksFor, Authority, Capacity, ClientRole, Compulsion, ConcernAbout, Crime,
    EventKind, Relationship, Requester, Situation, UseFor,
};
use confidant_core::vocab::ConsentPurpose;
use std::fmt::Write as _;

const CONSENT_STATES: [&str; 7] = [
    "given-written",
    "given-verbal",
    "given-application-form",
    "partial",
    "refused",
    "withdrawn",
    "not-asked",
];
const BOOLS: [&str; 3] = ["false", "true", "none"];
const AGES: [AgeBand; 3] = [AgeBand::Under16, AgeBand::From16To17, AgeBand::Adult];

/// The context attribute name of a dimension.
pub fn dim_name(dim: usize) -> String {
    match dim {
        KIND => "kind".into(),
        FROM => "from".into(),
        COURT_ORDER => "court_order".into(),
        ASKS_FOR => "asks_for".into(),
        ABOUT => "about".into(),
        IMMINENT => "imminent".into(),
        CONFIRMED => "confirmed".into(),
        CRIME => "crime".into(),
        LIFE_THREATENING => "life_threatening".into(),
        ONGOING_RISK => "ongoing_risk".into(),
        USE_FOR => "use_for".into(),
        AGE => "age".into(),
        CAPACITY => "capacity".into(),
        CAN_CONSENT => "can_consent".into(),
        RELATIONSHIP => "relationship".into(),
        ARRANGEMENT => "arrangement".into(),
        PROTECTED => "protected".into(),
        CARES_FOR_CHILDREN => "cares_for_children".into(),
        COMPULSION => "compulsion".into(),
        ON_BEHALF_OF => "on_behalf_of".into(),
        ASKING_PARTY => "asking_party".into(),
        CLIENT_ROLE => "client_role".into(),
        INFORM_UNSAFE => "inform_client_unsafe".into(),
        PR_ELSEWHERE => "parental_responsibility_held_elsewhere".into(),
        IDENTITY_PROTECTED => "identity_protected".into(),
        DECIDED => "decided".into(),
        d => {
            let p = ConsentPurpose::ALL
                .get(d - CONSENT0)
                .map_or("unknown", |p| p.as_str());
            format!("consent_{}", p.replace('-', "_"))
        }
    }
}

fn nth<T: Copy>(
    all: &[T],
    i: usize,
    name: impl Fn(T) -> &'static str,
    rest: &'static str,
) -> &'static str {
    all.get(i).map_or(rest, |v| name(*v))
}

fn or_none_name<T: Copy>(all: &[T], i: usize, name: impl Fn(T) -> &'static str) -> &'static str {
    match all.get(i) {
        Some(v) => name(*v),
        None if i == all.len() => "none",
        None => "n/a",
    }
}

/// The text of value `i` of a dimension.
pub fn value_name(dim: usize, i: usize) -> &'static str {
    match dim {
        KIND => nth(EventKind::ALL, i, EventKind::as_str, "none"),
        FROM => nth(Requester::ALL, i, Requester::as_str, "none"),
        ASKS_FOR => nth(AsksFor::ALL, i, AsksFor::as_str, "none"),
        ABOUT => nth(ConcernAbout::ALL, i, ConcernAbout::as_str, "none"),
        CRIME => match Crime::ALL.get(i) {
            Some(c) => c.as_str(),
            None if i == Crime::ALL.len() => "unspecified",
            None => "none",
        },
        USE_FOR => nth(UseFor::ALL, i, UseFor::as_str, "none"),
        AGE => AGES.get(i).map_or("none", |a| a.as_str()),
        CAPACITY => nth(Capacity::ALL, i, Capacity::as_str, "none"),
        RELATIONSHIP => nth(Relationship::ALL, i, Relationship::as_str, "none"),
        ARRANGEMENT => nth(Arrangement::ALL, i, Arrangement::as_str, "none"),
        DECIDED => nth(Outcome::ALL, i, Outcome::as_str, "none"),
        COURT_ORDER | IMMINENT | CONFIRMED | LIFE_THREATENING | ONGOING_RISK | CAN_CONSENT
        | PROTECTED | CARES_FOR_CHILDREN | ASKING_PARTY | INFORM_UNSAFE | PR_ELSEWHERE
        | IDENTITY_PROTECTED => BOOLS.get(i).copied().unwrap_or("none"),
        // The values, then "none" (the event has none), then n/a.
        COMPULSION => or_none_name(Compulsion::ALL, i, Compulsion::as_str),
        ON_BEHALF_OF => or_none_name(Authority::ALL, i, Authority::as_str),
        CLIENT_ROLE => or_none_name(ClientRole::ALL, i, ClientRole::as_str),
        _ => CONSENT_STATES.get(i).copied().unwrap_or("none"),
    }
}

/// The situation as Cedar context attributes (every dimension but the
/// decided outcome), as (name, value) pairs of strings.
pub fn cedar_context(s: &Situation) -> Vec<(String, &'static str)> {
    let f = engine::facts(s);
    (0..NDIMS)
        .filter(|&d| d != DECIDED)
        .map(|d| (dim_name(d), value_name(d, usize::from(f.0[d]))))
        .collect()
}

fn condition(masks: &engine::Masks) -> String {
    let mut parts = Vec::new();
    for (d, &mask) in masks.iter().enumerate() {
        if d == DECIDED || mask == full(d) {
            continue;
        }
        let values: Vec<String> = (0..32)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| format!("\"{}\"", value_name(d, i)))
            .collect();
        let name = dim_name(d);
        match values.as_slice() {
            [] => parts.push("false".to_string()),
            [one] => parts.push(format!("context.{name} == {one}")),
            many => parts.push(format!("[{}].contains(context.{name})", many.join(", "))),
        }
    }
    if parts.is_empty() {
        "true".to_string()
    } else {
        parts.join(" && ")
    }
}

impl Policy {
    /// The disclosure question as Cedar policies: allowed exactly when this
    /// policy's outcome is `disclose` or `emergency`.
    pub fn to_cedar_disclosure(&self) -> String {
        let rules = self.compiled();
        let mut order: Vec<usize> = (0..rules.len())
            // Correcting duties only turn one non-disclosure into another
            // (seek-consent into escalate), so they never change the
            // disclosure question and are left out.
            .filter(|&i| rules[i].outcome.is_some() && !rules[i].corrects && rules[i].satisfiable())
            .collect();
        order.sort_by(|&a, &b| winning_order(&rules[a], &rules[b]).then(a.cmp(&b)));
        let mut out = format!(
            "// Generated from policy `{}`: allowed when the outcome is a disclosure.\n",
            self.name()
        );
        for (pos, &i) in order.iter().enumerate() {
            let r = &rules[i];
            if !r.outcome.is_some_and(Outcome::is_disclosure) {
                continue;
            }
            let mut cond = condition(&r.masks);
            for &j in &order[..pos] {
                let e = &rules[j];
                if !e.outcome.is_some_and(Outcome::is_disclosure) && overlaps(&e.masks, &r.masks) {
                    let _ = write!(cond, " && !({})", condition(&e.masks));
                }
            }
            let _ = writeln!(
                out,
                "@id(\"{}\")\npermit(principal, action == Action::\"disclose\", resource)\nwhen {{ {cond} }};\n",
                r.id
            );
        }
        out
    }
}
