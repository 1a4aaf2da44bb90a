//! The compiled matcher and the decision procedure.
//!
//! A situation is reduced to a small vector of facts, one small integer per
//! dimension (event kind, requester, concern, age band, capacity, consent
//! state per purpose...). A rule's conditions are compiled to one bit mask
//! per dimension it constrains; a rule holds when every fact's bit is set in
//! its mask. Rules are sorted once, at load time, into the order in which
//! they win, and split by event kind, so a decision is a short scan with no
//! allocation until the answer is built.
//!
//! How rules combine:
//! 1. Decisive rules (those with an `outcome`) are ordered: legal duties
//!    first, then by `priority` (higher first), then by specificity (a rule
//!    whose conditions admit fewer situations first), then most protective
//!    of confidentiality first (withhold before seek-consent before escalate
//!    before disclose before emergency), then file order. The first that
//!    holds decides the outcome and contributes its obligations and
//!    recipients.
//! 2. Correcting duties (baseline duties with an `outcome` and a
//!    `when.decided` condition) that hold on the outcome decided replace
//!    it, in the same order (a client who cannot consent is never asked
//!    to; MCA 2005 s.4).
//! 3. Every additive rule (no `outcome`) that holds, including on the
//!    outcome just decided (`when.decided`), adds its obligations and
//!    recipients.
//! 4. Forbidden recipients and forbidden obligations of every contributing
//!    rule are removed. A rule may not forbid a recipient a legal duty
//!    names, or an obligation a legal duty attaches, where the two can
//!    apply together: that policy does not load.
//! 5. `requester` also names the one who asked (`police`, `solicitor`...).

use crate::PolicyError;
use crate::format::{AgeBand, ConsentCond, CrimeCond, OrNone, When};
use confidant_core::decision::{Decision, FiredRule, Obligation, Outcome, Recipient};
use confidant_core::situation::{
    ADULT_FROM_AGE, Arrangement, AsksFor, Authority, CAPACITY_PRESUMED_FROM_AGE, Capacity,
    ClientRole, Compulsion, ConcernAbout, Consent, Crime, Event, EventKind, Relationship,
    Requester, Situation, UseFor,
};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use std::sync::Arc;

pub(crate) const KIND: usize = 0;
pub(crate) const FROM: usize = 1;
pub(crate) const COURT_ORDER: usize = 2;
pub(crate) const ASKS_FOR: usize = 3;
pub(crate) const ABOUT: usize = 4;
pub(crate) const IMMINENT: usize = 5;
pub(crate) const CONFIRMED: usize = 6;
pub(crate) const CRIME: usize = 7;
pub(crate) const LIFE_THREATENING: usize = 8;
pub(crate) const ONGOING_RISK: usize = 9;
pub(crate) const USE_FOR: usize = 10;
pub(crate) const AGE: usize = 11;
pub(crate) const CAPACITY: usize = 12;
pub(crate) const CAN_CONSENT: usize = 13;
pub(crate) const RELATIONSHIP: usize = 14;
pub(crate) const ARRANGEMENT: usize = 15;
pub(crate) const PROTECTED: usize = 16;
pub(crate) const CARES_FOR_CHILDREN: usize = 17;
pub(crate) const COMPULSION: usize = 18;
pub(crate) const ON_BEHALF_OF: usize = 19;
pub(crate) const ASKING_PARTY: usize = 20;
pub(crate) const CLIENT_ROLE: usize = 21;
pub(crate) const INFORM_UNSAFE: usize = 22;
pub(crate) const PR_ELSEWHERE: usize = 23;
pub(crate) const IDENTITY_PROTECTED: usize = 24;
pub(crate) const CONSENT0: usize = 25;
pub(crate) const DECIDED: usize = CONSENT0 + N_PURPOSES;
pub(crate) const NDIMS: usize = DECIDED + 1;

const N_PURPOSES: usize = 7;

// Consent states as facts.
const C_GIVEN_WRITTEN: u8 = 0;
const C_GIVEN_VERBAL: u8 = 1;
const C_GIVEN_APPFORM: u8 = 2;
const C_PARTIAL: u8 = 3;
const C_REFUSED: u8 = 4;
const C_WITHDRAWN: u8 = 5;
const C_NOT_ASKED: u8 = 6;
const C_STATES: u32 = 7;

/// Event fields take one extra value, "does not apply", for events of the
/// other kinds; booleans of events are false=0, true=1, n/a=2.
pub(crate) const fn domain(dim: usize) -> u32 {
    match dim {
        KIND => 3,
        FROM => Requester::ALL.len() as u32 + 1,
        COURT_ORDER | IMMINENT | CONFIRMED | LIFE_THREATENING | ONGOING_RISK | ASKING_PARTY => 3,
        // The values, then "none", then n/a.
        COMPULSION => Compulsion::ALL.len() as u32 + 2,
        ON_BEHALF_OF => Authority::ALL.len() as u32 + 2,
        CLIENT_ROLE => ClientRole::ALL.len() as u32 + 2,
        ASKS_FOR => AsksFor::ALL.len() as u32 + 1,
        ABOUT => ConcernAbout::ALL.len() as u32 + 1,
        // Crimes, then "unspecified", then n/a.
        CRIME => Crime::ALL.len() as u32 + 2,
        USE_FOR => UseFor::ALL.len() as u32 + 1,
        AGE => 3,
        CAPACITY => Capacity::ALL.len() as u32,
        CAN_CONSENT | PROTECTED | CARES_FOR_CHILDREN | INFORM_UNSAFE | PR_ELSEWHERE
        | IDENTITY_PROTECTED => 2,
        RELATIONSHIP => Relationship::ALL.len() as u32,
        ARRANGEMENT => Arrangement::ALL.len() as u32,
        DECIDED => Outcome::ALL.len() as u32,
        _ => C_STATES,
    }
}

pub(crate) const fn full(dim: usize) -> u32 {
    (1u32 << domain(dim)) - 1
}

/// The "does not apply" value of an event dimension, if it has one.
pub(crate) const fn na(dim: usize) -> Option<u32> {
    match dim {
        FROM | COURT_ORDER | ASKS_FOR | ABOUT | IMMINENT | CONFIRMED | CRIME | LIFE_THREATENING
        | ONGOING_RISK | USE_FOR | COMPULSION | ON_BEHALF_OF | ASKING_PARTY | CLIENT_ROLE => {
            Some(domain(dim) - 1)
        }
        _ => None,
    }
}

/// The event kind a dimension belongs to.
pub(crate) const fn dim_kind(dim: usize) -> Option<EventKind> {
    match dim {
        FROM | COURT_ORDER | ASKS_FOR | COMPULSION | ON_BEHALF_OF | ASKING_PARTY => {
            Some(EventKind::Request)
        }
        ABOUT | IMMINENT | CONFIRMED | CRIME | LIFE_THREATENING | ONGOING_RISK | CLIENT_ROLE => {
            Some(EventKind::Concern)
        }
        USE_FOR => Some(EventKind::Use),
        _ => None,
    }
}

pub(crate) const CRIME_UNSPECIFIED: u32 = Crime::ALL.len() as u32;

/// The fact index of an optional value: the value, or "none" after them.
fn or_none<T: Copy>(v: Option<T>, all: &[T], index: impl Fn(T) -> u32) -> u32 {
    v.map_or(all.len() as u32, index)
}

fn or_none_mask<T: Copy>(
    values: &[OrNone<T>],
    dim: usize,
    all: &[T],
    index: impl Fn(T) -> u32,
) -> u32 {
    set_mask(values, dim, |v: OrNone<T>| or_none(v.0, all, &index))
}

pub(crate) fn purpose_index(p: ConsentPurpose) -> usize {
    p as usize
}

/// Per-dimension masks of a rule, every dimension present (unconstrained
/// dimensions hold their full mask), normalised so that conditions implied
/// by the event kind are explicit.
pub(crate) type Masks = [u32; NDIMS];

fn bits<T: Copy>(values: &[T], index: impl Fn(T) -> u32) -> u32 {
    values.iter().fold(0, |m, v| m | (1 << index(*v)))
}

fn bool_mask(b: Option<bool>, dim: usize) -> u32 {
    match b {
        None => full(dim),
        Some(b) => 1 << (b as u32),
    }
}

fn set_mask<T: Copy>(values: &[T], dim: usize, index: impl Fn(T) -> u32) -> u32 {
    if values.is_empty() {
        full(dim)
    } else {
        bits(values, index)
    }
}

fn consent_mask(states: &[ConsentCond]) -> u32 {
    states.iter().fold(0, |m, s| {
        m | match s {
            ConsentCond::Given => {
                (1 << C_GIVEN_WRITTEN) | (1 << C_GIVEN_VERBAL) | (1 << C_GIVEN_APPFORM)
            }
            ConsentCond::GivenWritten => 1 << C_GIVEN_WRITTEN,
            ConsentCond::GivenVerbal => 1 << C_GIVEN_VERBAL,
            ConsentCond::GivenApplicationForm => 1 << C_GIVEN_APPFORM,
            ConsentCond::Partial => 1 << C_PARTIAL,
            ConsentCond::Refused => 1 << C_REFUSED,
            ConsentCond::Withdrawn => 1 << C_WITHDRAWN,
            ConsentCond::NotAsked => 1 << C_NOT_ASKED,
        }
    })
}

/// Compiles conditions to normalised masks.
pub(crate) fn compile_when(w: &When) -> Masks {
    let mut m = compile_when_raw(w);
    normalise(&mut m);
    m
}

/// Compiles conditions to masks as written (not normalised): which
/// dimensions a rule's author constrained.
pub(crate) fn compile_when_raw(w: &When) -> Masks {
    let mut m = [0u32; NDIMS];
    m[KIND] = set_mask(&w.kind.0, KIND, |k: EventKind| k as u32);
    m[FROM] = set_mask(&w.from.0, FROM, |v: Requester| v as u32);
    m[COURT_ORDER] = bool_mask(w.court_order, COURT_ORDER);
    m[ASKS_FOR] = set_mask(&w.asks_for.0, ASKS_FOR, |v: AsksFor| v as u32);
    m[ABOUT] = set_mask(&w.about.0, ABOUT, |v: ConcernAbout| v as u32);
    m[IMMINENT] = bool_mask(w.imminent, IMMINENT);
    m[CONFIRMED] = bool_mask(w.confirmed, CONFIRMED);
    m[CRIME] = set_mask(&w.crime.0, CRIME, |v: CrimeCond| match v {
        CrimeCond::Crime(c) => c as u32,
        CrimeCond::Unspecified => CRIME_UNSPECIFIED,
    });
    m[LIFE_THREATENING] = bool_mask(w.life_threatening, LIFE_THREATENING);
    m[ONGOING_RISK] = bool_mask(w.ongoing_risk, ONGOING_RISK);
    m[USE_FOR] = set_mask(&w.for_.0, USE_FOR, |v: UseFor| v as u32);
    m[AGE] = set_mask(&w.age.0, AGE, |v: AgeBand| v as u32);
    m[CAPACITY] = set_mask(&w.capacity.0, CAPACITY, |v: Capacity| v as u32);
    m[CAN_CONSENT] = bool_mask(w.can_consent, CAN_CONSENT);
    m[RELATIONSHIP] = set_mask(&w.relationship.0, RELATIONSHIP, |v: Relationship| v as u32);
    m[ARRANGEMENT] = set_mask(&w.arrangement.0, ARRANGEMENT, |v: Arrangement| v as u32);
    m[PROTECTED] = bool_mask(w.protected, PROTECTED);
    m[CARES_FOR_CHILDREN] = bool_mask(w.cares_for_children, CARES_FOR_CHILDREN);
    m[COMPULSION] = or_none_mask(&w.compulsion.0, COMPULSION, Compulsion::ALL, |v| v as u32);
    m[ON_BEHALF_OF] = or_none_mask(&w.on_behalf_of.0, ON_BEHALF_OF, Authority::ALL, |v| {
        v as u32
    });
    m[ASKING_PARTY] = bool_mask(w.asking_party, ASKING_PARTY);
    m[CLIENT_ROLE] = or_none_mask(&w.client_role.0, CLIENT_ROLE, ClientRole::ALL, |v| v as u32);
    m[INFORM_UNSAFE] = bool_mask(w.inform_client_unsafe, INFORM_UNSAFE);
    m[PR_ELSEWHERE] = bool_mask(w.parental_responsibility_held_elsewhere, PR_ELSEWHERE);
    m[IDENTITY_PROTECTED] = bool_mask(w.identity_protected, IDENTITY_PROTECTED);
    for p in ConsentPurpose::ALL {
        m[CONSENT0 + purpose_index(*p)] = full(CONSENT0);
    }
    for (key, states) in &w.consent {
        m[CONSENT0 + purpose_index(key.0)] = consent_mask(&states.0);
    }
    m[DECIDED] = set_mask(&w.decided.0, DECIDED, |v: Outcome| v as u32);
    m
}

/// Makes the event kind implied by event fields explicit, and the fields of
/// kinds a rule cannot apply to "does not apply". After this, two rules'
/// masks can be compared dimension by dimension (subset, overlap).
pub(crate) fn normalise(m: &mut Masks) {
    // A crime named means a crime concern; no crime concern means no crime.
    if let Some(na_crime) = na(CRIME) {
        if m[CRIME] & (1 << na_crime) == 0 {
            m[ABOUT] &= 1 << (ConcernAbout::Crime as u32);
        }
        if m[ABOUT] & (1 << (ConcernAbout::Crime as u32)) == 0 {
            m[CRIME] &= 1 << na_crime;
        }
    }
    for _ in 0..2 {
        for kind in EventKind::ALL {
            let k = *kind as u32;
            if m[KIND] & (1 << k) == 0 {
                continue;
            }
            let feasible = (0..NDIMS).all(|d| match (dim_kind(d), na(d)) {
                // Fields of this kind need a real value; of other kinds, n/a.
                // (A crime concern may leave the crime unnamed, and other
                // concerns have none: n/a is a value of concerns there.)
                (Some(_), Some(_)) if d == CRIME => true,
                (Some(dk), Some(na_bit)) if dk == *kind => m[d] & !(1 << na_bit) != 0,
                (Some(_), Some(na_bit)) => m[d] & (1 << na_bit) != 0,
                _ => true,
            });
            if !feasible {
                m[KIND] &= !(1 << k);
            }
        }
        for d in 0..NDIMS {
            if let (Some(dk), Some(na_bit)) = (dim_kind(d), na(d)) {
                let kinds = m[KIND];
                let this = 1u32 << (dk as u32);
                if kinds & this == 0 {
                    m[d] &= 1 << na_bit;
                } else if kinds == this && d != CRIME {
                    m[d] &= !(1 << na_bit);
                }
            }
        }
    }
}

/// A rule ready to evaluate.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub id: Arc<str>,
    pub source: Arc<str>,
    pub duty: bool,
    pub priority: i32,
    pub outcome: Option<Outcome>,
    pub obligations: u32,
    pub recipients: u32,
    pub forbid: u32,
    pub forbid_obligations: u32,
    /// A legal duty with an outcome that looks at the outcome already
    /// decided and replaces it (a client who cannot consent is never asked
    /// to: MCA 2005 s.4).
    pub corrects: bool,
    pub masks: Masks,
    /// The constrained dimensions only, for fast matching.
    pub sparse: Vec<(u8, u32)>,
    pub specificity: f64,
}

impl CompiledRule {
    #[inline]
    pub fn holds(&self, facts: &Facts) -> bool {
        self.sparse
            .iter()
            .all(|&(d, mask)| mask & (1 << facts.0[d as usize]) != 0)
    }

    pub fn satisfiable(&self) -> bool {
        self.masks.iter().all(|m| *m != 0)
    }
}

pub(crate) fn sparse(m: &Masks) -> Vec<(u8, u32)> {
    (0..NDIMS)
        .filter(|&d| m[d] != full(d))
        .map(|d| (d as u8, m[d]))
        .collect()
}

/// How narrow a rule is: the share of each dimension's values it excludes,
/// summed. If A's conditions admit a strict subset of B's situations, A is
/// strictly more specific.
pub(crate) fn specificity(m: &Masks) -> f64 {
    (0..NDIMS)
        .map(|d| {
            let dom = f64::from(domain(d));
            (dom - f64::from(m[d].count_ones())) / dom
        })
        .sum()
}

pub(crate) fn is_superset(a: &Masks, b: &Masks) -> bool {
    a.iter().zip(b).all(|(x, y)| x & y == *y)
}

pub(crate) fn overlaps(a: &Masks, b: &Masks) -> bool {
    a.iter().zip(b).all(|(x, y)| x & y != 0)
}

pub(crate) fn obligation_bits(v: &[Obligation]) -> u32 {
    bits(v, |o: Obligation| o as u32)
}

pub(crate) fn recipient_bits(v: &[Recipient]) -> u32 {
    bits(v, |r: Recipient| r as u32)
}

/// Recipients a rule names, with `requester` widened to every requester the
/// rule's conditions admit.
pub(crate) fn effective_recipients(recipients: u32, m: &Masks) -> u32 {
    let mut out = recipients;
    if recipients & (1 << Recipient::Requester as u32) != 0 {
        for r in Requester::ALL {
            if m[FROM] & (1 << (*r as u32)) != 0 {
                out |= 1 << (Recipient::for_requester(*r) as u32);
            }
        }
    }
    out
}

/// The facts of one situation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts(pub [u8; NDIMS]);

fn form_rank(f: ConsentForm) -> u8 {
    // Strongest first: written, then on an application form, then verbal.
    match f {
        ConsentForm::Written => 0,
        ConsentForm::ApplicationForm => 1,
        ConsentForm::Verbal => 2,
    }
}

fn given_state(rank: u8) -> u8 {
    match rank {
        0 => C_GIVEN_WRITTEN,
        1 => C_GIVEN_APPFORM,
        _ => C_GIVEN_VERBAL,
    }
}

/// One person's consent state per purpose. A refusal or withdrawal outweighs
/// any consent given for the same purpose (most protective); of several
/// consents given, the strongest form counts.
fn person_states(consents: &[Consent]) -> [u8; N_PURPOSES] {
    let mut withdrawn = 0u8;
    let mut refused = 0u8;
    let mut best = [u8::MAX; N_PURPOSES];
    for c in consents {
        let p = purpose_index(c.purpose);
        match c.status {
            ConsentStatus::Withdrawn => withdrawn |= 1 << p,
            ConsentStatus::Refused => refused |= 1 << p,
            ConsentStatus::Given => best[p] = best[p].min(form_rank(c.form)),
            ConsentStatus::NotAsked => {}
        }
    }
    let mut out = [C_NOT_ASKED; N_PURPOSES];
    for (p, slot) in out.iter_mut().enumerate() {
        *slot = if withdrawn & (1 << p) != 0 {
            C_WITHDRAWN
        } else if refused & (1 << p) != 0 {
            C_REFUSED
        } else if best[p] != u8::MAX {
            given_state(best[p])
        } else {
            C_NOT_ASKED
        };
    }
    out
}

fn is_given(state: u8) -> bool {
    state <= C_GIVEN_APPFORM
}

fn given_rank(state: u8) -> u8 {
    match state {
        C_GIVEN_WRITTEN => 0,
        C_GIVEN_APPFORM => 1,
        _ => 2,
    }
}

pub(crate) fn facts(s: &Situation) -> Facts {
    let mut f = [0u8; NDIMS];
    f[KIND] = s.event.kind() as u8;
    f[FROM] = na(FROM).unwrap_or(0) as u8;
    f[COURT_ORDER] = 2;
    f[ASKS_FOR] = na(ASKS_FOR).unwrap_or(0) as u8;
    f[ABOUT] = na(ABOUT).unwrap_or(0) as u8;
    f[IMMINENT] = 2;
    f[CONFIRMED] = 2;
    f[CRIME] = na(CRIME).unwrap_or(0) as u8;
    f[LIFE_THREATENING] = 2;
    f[ONGOING_RISK] = 2;
    f[USE_FOR] = na(USE_FOR).unwrap_or(0) as u8;
    f[COMPULSION] = na(COMPULSION).unwrap_or(0) as u8;
    f[ON_BEHALF_OF] = na(ON_BEHALF_OF).unwrap_or(0) as u8;
    f[ASKING_PARTY] = 2;
    f[CLIENT_ROLE] = na(CLIENT_ROLE).unwrap_or(0) as u8;
    f[INFORM_UNSAFE] = 0;
    match &s.event {
        Event::Request(r) => {
            f[FROM] = r.from as u8;
            f[COURT_ORDER] = r.court_order as u8;
            f[ASKS_FOR] = r.asks_for as u8;
            f[COMPULSION] = or_none(r.compulsion, Compulsion::ALL, |v| v as u32) as u8;
            f[ON_BEHALF_OF] = or_none(r.on_behalf_of, Authority::ALL, |v| v as u32) as u8;
            f[ASKING_PARTY] = s.asking_party.is_some() as u8;
            f[INFORM_UNSAFE] = r.inform_client_unsafe as u8;
        }
        Event::Concern(c) => {
            f[ABOUT] = c.about as u8;
            f[IMMINENT] = c.imminent as u8;
            f[CONFIRMED] = c.confirmed as u8;
            if c.about == ConcernAbout::Crime {
                f[CRIME] = c.crime.map_or(CRIME_UNSPECIFIED as u8, |k| k as u8);
            }
            f[LIFE_THREATENING] = c.life_threatening as u8;
            f[ONGOING_RISK] = c.ongoing_risk as u8;
            f[CLIENT_ROLE] = or_none(c.client_role, ClientRole::ALL, |v| v as u32) as u8;
            f[INFORM_UNSAFE] = c.inform_client_unsafe as u8;
        }
        Event::Use(u) => f[USE_FOR] = *u as u8,
    }
    let client = &s.client;
    f[AGE] = if client.age < CAPACITY_PRESUMED_FROM_AGE {
        AgeBand::Under16 as u8
    } else if client.age < ADULT_FROM_AGE {
        AgeBand::From16To17 as u8
    } else {
        AgeBand::Adult as u8
    };
    f[CAPACITY] = client.capacity as u8;
    let can_consent = client.can_consent();
    f[CAN_CONSENT] = can_consent as u8;
    f[RELATIONSHIP] = client.relationship as u8;
    f[ARRANGEMENT] = client.arrangement as u8;
    f[PROTECTED] = client.protected as u8;
    f[CARES_FOR_CHILDREN] = client.cares_for_children as u8;
    f[PR_ELSEWHERE] = client.parental_responsibility_held_elsewhere as u8;
    f[IDENTITY_PROTECTED] = client.identity_protected as u8;

    let states = if client.is_joint() {
        // Joint work: the client-level consents apply to nobody.
        let mut all_given = [true; N_PURPOSES];
        let mut any_given = [false; N_PURPOSES];
        let mut weakest = [0u8; N_PURPOSES];
        let mut worst_other = [C_NOT_ASKED; N_PURPOSES];
        for party in &client.parties {
            let ps = person_states(&party.consents);
            for p in 0..N_PURPOSES {
                if is_given(ps[p]) {
                    any_given[p] = true;
                    weakest[p] = weakest[p].max(given_rank(ps[p]));
                } else {
                    all_given[p] = false;
                    // Withdrawn outweighs refused outweighs not asked.
                    if ps[p] == C_WITHDRAWN || (ps[p] == C_REFUSED && worst_other[p] != C_WITHDRAWN)
                    {
                        worst_other[p] = ps[p];
                    }
                }
            }
        }
        let mut out = [C_NOT_ASKED; N_PURPOSES];
        for p in 0..N_PURPOSES {
            out[p] = if client.parties.is_empty() {
                C_NOT_ASKED
            } else if all_given[p] {
                given_state(weakest[p])
            } else if any_given[p] {
                C_PARTIAL
            } else {
                worst_other[p]
            };
        }
        out
    } else {
        person_states(&s.consents)
    };
    for p in 0..N_PURPOSES {
        let mut st = states[p];
        // Consent from someone who cannot give it is no consent; their
        // refusal still stands (most protective).
        if !can_consent && (is_given(st) || st == C_PARTIAL) {
            st = C_NOT_ASKED;
        }
        f[CONSENT0 + p] = st;
    }
    f[DECIDED] = 0;
    Facts(f)
}

/// The compiled rule set of one policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleSet {
    pub rules: Vec<CompiledRule>,
    /// Per event kind: decisive rule indices in winning order.
    pub decisive: [Vec<u16>; 3],
    /// Per event kind: additive rule indices in file order.
    pub additive: [Vec<u16>; 3],
    /// Per event kind: correcting duties (outcome and `decided`), in
    /// winning order.
    pub corrections: [Vec<u16>; 3],
}

impl RuleSet {
    pub fn new(rules: Vec<CompiledRule>) -> Result<Self, PolicyError> {
        if rules.len() > usize::from(u16::MAX) {
            return Err(PolicyError::TooManyRules);
        }
        let mut order: Vec<usize> = (0..rules.len())
            .filter(|&i| rules[i].outcome.is_some())
            .collect();
        // Corrections are ordered like decisive rules, but run after the
        // decision.
        order.sort_by(|&a, &b| winning_order(&rules[a], &rules[b]).then(a.cmp(&b)));
        let mut set = RuleSet {
            rules,
            ..RuleSet::default()
        };
        for kind in EventKind::ALL {
            let k = *kind as usize;
            let admits = |r: &CompiledRule| r.masks[KIND] & (1 << k) != 0 && r.satisfiable();
            set.decisive[k] = order
                .iter()
                .filter(|&&i| admits(&set.rules[i]) && !set.rules[i].corrects)
                .map(|&i| i as u16)
                .collect();
            set.corrections[k] = order
                .iter()
                .filter(|&&i| admits(&set.rules[i]) && set.rules[i].corrects)
                .map(|&i| i as u16)
                .collect();
            set.additive[k] = (0..set.rules.len())
                .filter(|&i| set.rules[i].outcome.is_none() && admits(&set.rules[i]))
                .map(|i| i as u16)
                .collect();
        }
        Ok(set)
    }

    pub fn decide(&self, situation: &Situation) -> Result<Decision, PolicyError> {
        situation.validate().map_err(PolicyError::Situation)?;
        let mut facts = facts(situation);
        let kind = facts.0[KIND] as usize;
        let rules = &self.rules;
        let winner = self.decisive[kind]
            .iter()
            .map(|&i| &rules[usize::from(i)])
            .find(|r| r.holds(&facts))
            .ok_or(PolicyError::NoDecision)?;
        let mut outcome = winner.outcome.ok_or(PolicyError::NoDecision)?;
        facts.0[DECIDED] = outcome as u8;

        let mut obligations = winner.obligations;
        let mut recipients = winner.recipients;
        let mut forbid = winner.forbid;
        let mut forbid_obligations = winner.forbid_obligations;
        let mut fired = Vec::with_capacity(8);
        fired.push(winner);
        // A correcting duty that holds on the decided outcome replaces it;
        // each runs at most once, in winning order, and sees the outcome
        // the previous one left.
        for &i in &self.corrections[kind] {
            let r = &rules[usize::from(i)];
            if let Some(o) = r.outcome
                && r.holds(&facts)
            {
                outcome = o;
                facts.0[DECIDED] = o as u8;
                obligations |= r.obligations;
                recipients |= r.recipients;
                forbid |= r.forbid;
                forbid_obligations |= r.forbid_obligations;
                fired.push(r);
            }
        }
        for &i in &self.additive[kind] {
            let r = &rules[usize::from(i)];
            if r.holds(&facts) {
                obligations |= r.obligations;
                recipients |= r.recipients;
                forbid |= r.forbid;
                forbid_obligations |= r.forbid_obligations;
                fired.push(r);
            }
        }
        obligations &= !forbid_obligations;
        let requester = 1u32 << (Recipient::Requester as u32);
        if let Event::Request(req) = &situation.event {
            let asker = 1u32 << (Recipient::for_requester(req.from) as u32);
            if recipients & requester != 0 {
                recipients |= asker;
            }
            if forbid & requester != 0 {
                forbid |= asker;
            }
            if forbid & asker != 0 {
                forbid |= requester;
            }
        } else if recipients & requester != 0 {
            // Nobody asked: a rule naming the requester is a broken policy.
            return Err(PolicyError::RequesterWithoutRequest);
        }
        recipients &= !forbid;

        Ok(Decision {
            outcome,
            obligations: Obligation::ALL
                .iter()
                .filter(|o| obligations & (1 << (**o as u32)) != 0)
                .copied()
                .collect(),
            recipients: Recipient::ALL
                .iter()
                .filter(|r| recipients & (1 << (**r as u32)) != 0)
                .copied()
                .collect(),
            rules: fired
                .iter()
                .map(|r| FiredRule {
                    id: Arc::clone(&r.id),
                    source: Arc::clone(&r.source),
                })
                .collect(),
        })
    }
}

/// The order in which decisive rules win (see the module docs).
pub(crate) fn winning_order(a: &CompiledRule, b: &CompiledRule) -> std::cmp::Ordering {
    let rank = |r: &CompiledRule| r.outcome.map_or(u8::MAX, Outcome::disclosure_rank);
    b.duty
        .cmp(&a.duty)
        .then(b.priority.cmp(&a.priority))
        .then(b.specificity.total_cmp(&a.specificity))
        .then(rank(a).cmp(&rank(b)))
}
