//! `policy check`: what a policy that loads can still get wrong.
//!
//! Errors (the check fails):
//! - a rule whose conditions can never hold;
//! - a decisive rule of the organisation that can never win, because a
//!   single rule ordered before it covers every situation it covers
//!   (including a legal duty: an organisation cannot override the law);
//! - two decisive rules at the same priority that can both hold, give
//!   different outcomes, and neither is narrower than the other.
//!
//! Warnings (reported; the check fails on them only when asked to be
//! strict):
//! - a recipient one rule names and another forbids where both apply;
//! - no retention period of the organisation's own (the baseline's default
//!   applies);
//! - no safeguarding officer in the contacts directory;
//! - no review date or interval, or a review that is overdue on `today`;
//! - a known error of law quoted from the source document
//!   (`source-document-error`).
//!
//! Also errors: an organisation's rule that adds an obligation a legal
//! duty forbids in situations the rule names itself
//! (`adds-forbidden-obligation`); an organisation's decisive rule that
//! withholds or only asks consent where a child may be at risk of abuse
//! (`child-protection-consent`).
//!
//! Vocabulary is checked when the file is parsed: an unknown value is a
//! parse error naming the field.

use crate::engine::{
    ABOUT, CRIME, DECIDED, KIND, NDIMS, compile_when, compile_when_raw, full, overlaps,
    winning_order,
};
use crate::format::{ContactRole, When};
use crate::{Date, Policy, covers};
use confidant_core::decision::{Obligation, Outcome};
use confidant_core::situation::{ConcernAbout, Crime};
use std::fmt;

/// Known errors of statute or law in source documents: the words as a
/// document has them, and what is wrong with them.
const KNOWN_SOURCE_ERRORS: &[(&str, &str)] = &[
    (
        "Children Act 1998",
        "there is no Children Act 1998; the Act on children's welfare and protection in England and Wales is the Children Act 1989 (with the Children Act 2004)",
    ),
    (
        "capacity to make good decisions",
        "capacity is the ability to make this decision at this time, not to make a good one: a person is not treated as unable to decide merely because the decision is unwise (Mental Capacity Act 2005 s.1(4))",
    ),
    (
        "Drug Trafficking Act 1994",
        "the Drug Trafficking Act 1994's money-laundering and confiscation provisions were repealed and replaced by the Proceeds of Crime Act 2002; outside the regulated sector neither creates a duty for a therapist to report",
    ),
];

/// An unconditional promise in client-facing text, if any: a word like
/// "never" with no limit ("unless", "except", the law, safety) beside it.
fn absolute_promise(text: &str) -> Option<&'static str> {
    let t = text.to_lowercase();
    let hedged = [
        "unless", "except", "the law", "safe", "required", "requires",
    ]
    .iter()
    .any(|h| t.contains(h));
    if hedged {
        return None;
    }
    [
        "never",
        "no one",
        "nobody",
        "under no circumstances",
        "always",
    ]
    .into_iter()
    .find(|w| t.contains(w))
}

/// A clause reference in client-facing text, if any.
fn clause_reference(text: &str) -> Option<String> {
    let markers = [
        "(ground rules",
        ".txt",
        "(section ",
        "(clause ",
        "(para ",
        "(art. ",
    ];
    let t = text.to_lowercase();
    markers.iter().find_map(|m| {
        t.find(m).map(|i| {
            text.get(i..)
                .unwrap_or("")
                .chars()
                .take_while(|c| *c != ')')
                .take(40)
                .collect::<String>()
                + if m.starts_with('(') { ")" } else { "" }
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// A short stable code (`unreachable-rule`, `overdue-review`...).
    pub code: &'static str,
    pub rule: Option<String>,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match &self.rule {
            Some(r) => write!(f, "{sev}[{}]: rule `{r}`: {}", self.code, self.message),
            None => write!(f, "{sev}[{}]: {}", self.code, self.message),
        }
    }
}

fn finding(severity: Severity, code: &'static str, rule: Option<&str>, message: String) -> Finding {
    Finding {
        severity,
        code,
        rule: rule.map(str::to_string),
        message,
    }
}

impl Policy {
    /// Lints the policy as of `today` (a parameter, so checks are
    /// reproducible).
    pub fn lint(&self, today: Date) -> Vec<Finding> {
        let mut out = Vec::new();
        let compiled = self.compiled();
        let is_baseline = self.file.policy.extends.is_none();

        for (info, c) in self.rules.iter().zip(compiled) {
            if !c.satisfiable() {
                out.push(finding(
                    Severity::Error,
                    "never-holds",
                    Some(&info.def.id),
                    "its conditions can never all hold (an event field of one kind with another kind, or a crime without `about = \"crime\"`)".into(),
                ));
            }
        }

        // Unreachable: an organisation's decisive rule covered by a rule
        // that wins before it.
        for (i, (info, c)) in self.rules.iter().zip(compiled).enumerate() {
            let own = !info.from_baseline || is_baseline;
            if c.outcome.is_none() || c.corrects || !own || !c.satisfiable() {
                continue;
            }
            let shadow = self
                .rules
                .iter()
                .zip(compiled)
                .enumerate()
                .find(|(j, (oi, oc))| {
                    *j != i
                        && oc.outcome.is_some()
                        && !oc.corrects
                        && oc.satisfiable()
                        && winning_order(oc, c).then(j.cmp(&i)).is_lt()
                        && covers(oi, info)
                });
            if let Some((_, (oi, oc))) = shadow {
                let why = if oc.duty && !c.duty {
                    "it tries to override a legal duty"
                } else {
                    "it is ordered before it"
                };
                out.push(finding(
                    Severity::Error,
                    "unreachable-rule",
                    Some(&info.def.id),
                    format!(
                        "can never decide: rule `{}` covers every situation it does and {why}",
                        oi.def.id
                    ),
                ));
            }
        }

        // Contradictions at the same priority.
        for (i, (a, ac)) in self.rules.iter().zip(compiled).enumerate() {
            for (b, bc) in self.rules.iter().zip(compiled).skip(i + 1) {
                let (Some(ao), Some(bo)) = (ac.outcome, bc.outcome) else {
                    continue;
                };
                if ao == bo
                    || ac.duty != bc.duty
                    || ac.priority != bc.priority
                    || ac.corrects
                    || bc.corrects
                {
                    continue;
                }
                if a.from_baseline && b.from_baseline && !is_baseline {
                    continue;
                }
                if overlaps(&a.masks, &b.masks) && !covers(a, b) && !covers(b, a) {
                    out.push(finding(
                        Severity::Error,
                        "contradiction",
                        Some(&a.def.id),
                        format!(
                            "contradicts rule `{}`: both have priority {} and can hold together, one says {ao}, the other {bo}, and neither is narrower; give one a higher priority or narrow its conditions",
                            b.def.id, ac.priority
                        ),
                    ));
                }
            }
        }

        // A recipient one rule names and another forbids where both apply:
        // the forbid wins (most protective), which the author may not mean.
        for a in &self.rules {
            for b in &self.rules {
                // Two decisive rules never contribute together: only the
                // winner does.
                let both_decisive = a.def.outcome.is_some() && b.def.outcome.is_some();
                if std::ptr::eq(a, b)
                    || both_decisive
                    || (a.from_baseline && b.from_baseline && !is_baseline)
                {
                    continue;
                }
                let clash: Vec<&str> = a
                    .def
                    .recipients
                    .iter()
                    .filter(|r| b.def.forbid_recipients.contains(r))
                    .map(|r| r.as_str())
                    .collect();
                // An additive rule only fires on the outcomes it names.
                let decided_ok = |additive: &crate::RuleInfo, decisive: &crate::RuleInfo| {
                    decisive.def.outcome.is_none_or(|o| {
                        additive.masks[crate::engine::DECIDED] & (1 << (o as u32)) != 0
                    })
                };
                if !clash.is_empty()
                    && overlaps(&a.masks, &b.masks)
                    && decided_ok(a, b)
                    && decided_ok(b, a)
                {
                    out.push(finding(
                        Severity::Warning,
                        "recipient-forbidden",
                        Some(&a.def.id),
                        format!(
                            "names {} but rule `{}` forbids it in situations both can apply to; there the recipient is dropped",
                            clash.join(", "),
                            b.def.id
                        ),
                    ));
                }
            }
        }

        // An organisation's rule that adds an obligation a legal duty
        // forbids, in situations it names itself (every condition of the
        // duty is one the rule also states): it tries to put back what the
        // law takes out (e.g. telling the client of a terrorism report,
        // Terrorism Act 2000 s.39). The engine removes it anyway; the
        // author must be told.
        for (a, ac) in self.rules.iter().zip(compiled) {
            if a.from_baseline && !is_baseline {
                continue;
            }
            for (b, bc) in self.rules.iter().zip(compiled) {
                if !b.def.duty || bc.forbid_obligations == 0 || std::ptr::eq(a, b) {
                    continue;
                }
                let clash = ac.obligations & bc.forbid_obligations;
                let decided_ok = ac
                    .outcome
                    .is_none_or(|o| b.masks[DECIDED] & (1 << (o as u32)) != 0);
                // Explicit: every condition the duty states (other than the
                // event kind, which the overlap test covers) the rule states
                // too, as written.
                let (braw, araw) = (compile_when_raw(&b.def.when), compile_when_raw(&a.def.when));
                let explicit = (0..NDIMS)
                    .filter(|&d| d != KIND && d != DECIDED && braw[d] != full(d))
                    .all(|d| araw[d] != full(d));
                if clash != 0 && decided_ok && explicit && overlaps(&a.masks, &b.masks) {
                    let names: Vec<&str> = Obligation::ALL
                        .iter()
                        .filter(|o| clash & (1 << (**o as u32)) != 0)
                        .map(|o| o.as_str())
                        .collect();
                    out.push(finding(
                        Severity::Error,
                        "adds-forbidden-obligation",
                        Some(&a.def.id),
                        format!(
                            "adds {} where the legal duty `{}` forbids it; no organisation rule can add it back (narrow the rule's conditions or drop the obligation)",
                            names.join(", "),
                            b.def.id
                        ),
                    ));
                }
            }
        }

        // Child protection is not a consent question (Working Together to
        // Safeguard Children 2023; DfE 'Information sharing' 2024): an
        // organisation's decisive rule that names a child protection
        // concern or child abuse and withholds, or only asks consent.
        let child_protection = [
            When {
                about: crate::format::Set(vec![ConcernAbout::ChildProtection]),
                ..When::default()
            },
            When {
                about: crate::format::Set(vec![ConcernAbout::Crime]),
                crime: crate::format::Set(vec![crate::format::CrimeCond::Crime(Crime::ChildAbuse)]),
                ..When::default()
            },
        ]
        .map(|w| compile_when(&w));
        let cp_bit = 1u32 << (ConcernAbout::ChildProtection as u32);
        let abuse_bit = 1u32 << (Crime::ChildAbuse as u32);
        for (a, ac) in self.rules.iter().zip(compiled) {
            if a.from_baseline || ac.corrects {
                continue;
            }
            let raw = compile_when_raw(&a.def.when);
            let names_it = (raw[ABOUT] != full(ABOUT) && raw[ABOUT] & cp_bit != 0)
                || (raw[CRIME] != full(CRIME) && raw[CRIME] & abuse_bit != 0);
            let asks = matches!(ac.outcome, Some(Outcome::Withhold | Outcome::SeekConsent));
            if asks && names_it && child_protection.iter().any(|m| overlaps(&a.masks, m)) {
                out.push(finding(
                    Severity::Error,
                    "child-protection-consent",
                    Some(&a.def.id),
                    format!(
                        "{} where a child may be at risk of abuse; a child protection concern goes to children's services (or the designated safeguarding lead) whether or not consent is given (Working Together to Safeguard Children 2023): narrow its conditions",
                        if ac.outcome == Some(Outcome::Withhold) { "withholds" } else { "asks consent" }
                    ),
                ));
            }
        }

        // Errors in the source document itself, quoted in rules or the
        // statement: kept as the document says them, reported for the owner.
        for (quote, problem) in KNOWN_SOURCE_ERRORS.iter().filter(|_| !is_baseline) {
            let q = quote.to_lowercase();
            let in_rules = self.rules.iter().filter(|r| !r.from_baseline).find(|r| {
                r.def.source.to_lowercase().contains(&q)
                    || r.def
                        .explain
                        .as_deref()
                        .is_some_and(|e| e.to_lowercase().contains(&q))
            });
            let st = &self.file.statement;
            let in_statement = [st.intro.as_deref(), st.outset.as_deref()]
                .into_iter()
                .flatten()
                .any(|t| t.to_lowercase().contains(&q));
            if in_rules.is_some() || in_statement {
                out.push(finding(
                    Severity::Warning,
                    "source-document-error",
                    in_rules.map(|r| r.def.id.as_str()),
                    format!(
                        "the source document says '{quote}': {problem}; the policy keeps the document's words, the owner should correct the document"
                    ),
                ));
            }
        }

        // The client statement: no promise a duty can override, no clause
        // references in place of plain words.
        let st = &self.file.statement;
        let texts = self
            .rules
            .iter()
            .filter(|r| !r.from_baseline || is_baseline)
            .filter_map(|r| {
                r.def
                    .explain
                    .as_deref()
                    .map(|t| (Some(r.def.id.as_str()), t))
            })
            .chain(
                [st.intro.as_deref(), st.outset.as_deref()]
                    .into_iter()
                    .flatten()
                    .chain(self.file.communication.iter().map(|c| c.text.as_str()))
                    .map(|t| (None, t)),
            );
        for (rule, text) in texts {
            if let Some(word) = absolute_promise(text) {
                out.push(finding(
                    Severity::Warning,
                    "absolute-promise",
                    rule,
                    format!(
                        "the client statement says '{word}' without naming its limits; a legal duty (a court order, terrorism, a risk to life) can override it: add 'unless the law requires it' or similar"
                    ),
                ));
            }
            if let Some(reference) = clause_reference(text) {
                out.push(finding(
                    Severity::Warning,
                    "clause-reference",
                    rule,
                    format!(
                        "the client statement cites '{reference}'; say it in plain words (the clause belongs in `source`)"
                    ),
                ));
            }
        }

        if !is_baseline {
            if self.file.retention.is_empty() {
                let fallback = self
                    .baseline
                    .retention
                    .first()
                    .map(|r| format!("the uk-law default applies ({} months)", r.months))
                    .unwrap_or_else(|| "no default applies".into());
                out.push(finding(
                    Severity::Warning,
                    "no-retention",
                    None,
                    format!("the policy sets no retention period of its own; {fallback}"),
                ));
            }
            let has_so = self.file.contacts.iter().any(|c| {
                matches!(
                    c.role,
                    ContactRole::SafeguardingOfficer | ContactRole::DeputySafeguardingOfficer
                )
            });
            if !has_so {
                out.push(finding(
                    Severity::Warning,
                    "no-safeguarding-contact",
                    None,
                    "the contacts directory names no safeguarding officer or deputy".into(),
                ));
            }
        }

        let meta = &self.file.policy;
        match (&meta.last_review, meta.review_interval_months) {
            (None, _) => out.push(finding(
                Severity::Warning,
                "no-review-date",
                None,
                "the policy records no last review date".into(),
            )),
            (Some(d), interval) => match Date::parse_lenient(d) {
                Err(e) => out.push(finding(
                    Severity::Error,
                    "bad-review-date",
                    None,
                    format!("last_review: {e}"),
                )),
                Ok(last) => match interval {
                    None => out.push(finding(
                        Severity::Warning,
                        "no-review-interval",
                        None,
                        format!("last reviewed {last}, but the policy sets no review interval"),
                    )),
                    Some(months) => {
                        let due = last.add_months(months);
                        if due < today {
                            out.push(finding(
                                Severity::Warning,
                                "overdue-review",
                                None,
                                format!(
                                    "review overdue: last reviewed {last}, due every {months} months, so by {due}; today is {today}"
                                ),
                            ));
                        }
                    }
                },
            },
        }
        out
    }
}
