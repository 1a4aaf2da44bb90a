//! Confidentiality policies as data, and the engine that executes them.
//!
//! A policy is a TOML file ([`format`]) that extends the `uk-law` baseline.
//! [`Policy::from_toml_str`] parses and compiles it; [`Policy::decide`]
//! answers a [`Situation`] with a [`Decision`]: outcome, obligations,
//! recipients, and the rules that produced it, each with the clause of the
//! source document it encodes. Anything the engine cannot evaluate is an
//! error, never a disclosure.
//!
//! Five built-in policies, one per source document, ship with the crate:
//! `iapt-training`, `wwdd-coaching`, `handcrafted`, `ukcp`, `csrp`
//! ([`Policy::builtin`]).
//!
//! How rules combine is described in [`engine`]'s module docs and in
//! `docs/policy-architecture.md`.

pub mod cedar;
pub mod date;
pub mod engine;
pub mod format;
pub mod lint;
pub mod render;
pub mod runner;
pub mod scenario;

use crate::engine::{
    CompiledRule, KIND, Masks, RuleSet, compile_when, effective_recipients, is_superset,
    obligation_bits, overlaps, recipient_bits, sparse, specificity,
};
use crate::format::{PolicyFile, RuleDef};
use confidant_core::decision::{Decision, Obligation, Recipient};
use confidant_core::situation::{EventKind, Situation, SituationError};
use std::sync::Arc;

pub use crate::date::Date;
pub use crate::lint::{Finding, Severity};
pub use crate::scenario::{Expect, Scenario, ScenarioError};

/// The name of the legal baseline every policy extends.
pub const BASELINE: &str = "uk-law";

const UK_LAW: &str = include_str!("../policies/uk-law.toml");

/// The built-in policies: name, TOML text.
const BUILTINS: &[(&str, &str)] = &[
    (
        "iapt-training",
        include_str!("../policies/iapt-training.toml"),
    ),
    (
        "wwdd-coaching",
        include_str!("../policies/wwdd-coaching.toml"),
    ),
    ("handcrafted", include_str!("../policies/handcrafted.toml")),
    ("ukcp", include_str!("../policies/ukcp.toml")),
    ("csrp", include_str!("../policies/csrp.toml")),
];

/// Errors from loading a policy or deciding with it. Messages name what to
/// fix and never carry client data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("invalid policy file: {0}")]
    Parse(String),
    #[error(
        "unknown built-in policy `{0}` (expected one of: iapt-training, wwdd-coaching, handcrafted, ukcp, csrp, uk-law)"
    )]
    UnknownBuiltin(String),
    #[error("policy `{0}` must extend `uk-law` (add `extends = \"uk-law\"` under [policy])")]
    MustExtendBaseline(String),
    #[error("rule `{0}` is defined twice")]
    DuplicateRule(String),
    #[error("rule `{0}` declares a legal duty; only the uk-law baseline may")]
    DutyOutsideBaseline(String),
    #[error("rule `{0}` has an empty `source`; cite the clause it encodes")]
    MissingSource(String),
    #[error(
        "rule `{0}` has an outcome and a `when.decided` condition; only rules without an outcome may look at the decided outcome"
    )]
    DecidedOnDecisiveRule(String),
    #[error(
        "rule `{0}` names `requester` but can apply to events that are not requests; add `kind = \"request\"` to its conditions"
    )]
    RequesterOutsideRequest(String),
    #[error(
        "rule `{rule}` forbids `{recipient}`, which the legal duty `{duty}` requires in situations both apply to"
    )]
    ForbidsLegalDuty {
        rule: String,
        recipient: Recipient,
        duty: String,
    },
    #[error(
        "rule `{rule}` forbids the obligation `{obligation}`, which the legal duty `{duty}` requires in situations both apply to"
    )]
    ForbidsDutyObligation {
        rule: String,
        obligation: Obligation,
        duty: String,
    },
    #[error("`disable` names `{0}`, which is not a rule of the uk-law baseline")]
    DisableUnknown(String),
    #[error("`disable` names `{0}`, a legal duty, which cannot be switched off")]
    DisableDuty(String),
    #[error("too many rules (at most 65535)")]
    TooManyRules,
    #[error("invalid situation: {0}")]
    Situation(SituationError),
    #[error("the policy gives no decision for this situation")]
    NoDecision,
    #[error("the policy names the requester for an event that is not a request")]
    RequesterWithoutRequest,
}

/// A rule as loaded, for rendering and linting.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub def: RuleDef,
    /// Whether it comes from the uk-law baseline.
    pub from_baseline: bool,
    pub(crate) masks: Masks,
}

/// A loaded, compiled policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The organisation's file.
    pub file: PolicyFile,
    /// The baseline's file (the same as `file` for `uk-law` itself).
    pub baseline: Arc<PolicyFile>,
    /// Every rule in effect: baseline rules not disabled, then the
    /// organisation's, in file order.
    pub rules: Vec<RuleInfo>,
    set: RuleSet,
}

fn parse_file(text: &str) -> Result<PolicyFile, PolicyError> {
    toml::from_str(text).map_err(|e| PolicyError::Parse(e.to_string().trim_end().to_string()))
}

impl Policy {
    /// Names of the built-in policies.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTINS.iter().map(|(n, _)| *n)
    }

    /// A built-in policy by name (`uk-law` gives the baseline alone).
    pub fn builtin(name: &str) -> Result<Policy, PolicyError> {
        if name == BASELINE {
            return Policy::baseline();
        }
        let (_, text) = BUILTINS
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| PolicyError::UnknownBuiltin(name.chars().take(60).collect()))?;
        Policy::from_toml_str(text)
    }

    /// The TOML text of a built-in policy.
    pub fn builtin_text(name: &str) -> Option<&'static str> {
        if name == BASELINE {
            return Some(UK_LAW);
        }
        BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// The uk-law baseline on its own.
    pub fn baseline() -> Result<Policy, PolicyError> {
        let file = parse_file(UK_LAW)?;
        let base = Arc::new(file.clone());
        Policy::compile(file, base, true)
    }

    /// Parses and compiles a policy that extends `uk-law`.
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyError> {
        let file = parse_file(text)?;
        if file.policy.name == BASELINE && file.policy.extends.is_none() {
            // The baseline's own text, loaded from a file.
            let base = Arc::new(file.clone());
            return Policy::compile(file, base, true);
        }
        if file.policy.extends.as_deref() != Some(BASELINE) {
            return Err(PolicyError::MustExtendBaseline(
                file.policy.name.chars().take(60).collect(),
            ));
        }
        let base = Arc::new(parse_file(UK_LAW)?);
        Policy::compile(file, base, false)
    }

    fn compile(
        file: PolicyFile,
        baseline: Arc<PolicyFile>,
        is_baseline: bool,
    ) -> Result<Policy, PolicyError> {
        let mut infos: Vec<RuleInfo> = Vec::new();
        if !is_baseline {
            for id in &file.disable {
                match baseline.rules.iter().find(|r| &r.id == id) {
                    None => return Err(PolicyError::DisableUnknown(id.clone())),
                    Some(r) if r.duty => return Err(PolicyError::DisableDuty(id.clone())),
                    Some(_) => {}
                }
            }
            for r in &baseline.rules {
                if !file.disable.contains(&r.id) {
                    infos.push(RuleInfo {
                        def: r.clone(),
                        from_baseline: true,
                        masks: compile_when(&r.when),
                    });
                }
            }
        }
        for r in &file.rules {
            if r.duty && !is_baseline {
                return Err(PolicyError::DutyOutsideBaseline(r.id.clone()));
            }
            infos.push(RuleInfo {
                def: r.clone(),
                from_baseline: is_baseline,
                masks: compile_when(&r.when),
            });
        }
        let request_only = 1u32 << (EventKind::Request as u32);
        for (i, info) in infos.iter().enumerate() {
            let r = &info.def;
            if infos[..i].iter().any(|o| o.def.id == r.id) {
                return Err(PolicyError::DuplicateRule(r.id.clone()));
            }
            if r.source.trim().is_empty() {
                return Err(PolicyError::MissingSource(r.id.clone()));
            }
            if r.outcome.is_some() && !r.when.decided.0.is_empty() && !r.duty {
                return Err(PolicyError::DecidedOnDecisiveRule(r.id.clone()));
            }
            if r.recipients.contains(&Recipient::Requester) && info.masks[KIND] & !request_only != 0
            {
                return Err(PolicyError::RequesterOutsideRequest(r.id.clone()));
            }
        }
        check_duties_not_forbidden(&infos)?;
        let compiled = infos
            .iter()
            .map(|info| {
                let r = &info.def;
                CompiledRule {
                    id: Arc::from(r.id.as_str()),
                    source: Arc::from(r.source.as_str()),
                    duty: r.duty,
                    priority: r.priority,
                    outcome: r.outcome,
                    obligations: obligation_bits(&r.obligations),
                    recipients: recipient_bits(&r.recipients),
                    forbid: recipient_bits(&r.forbid_recipients),
                    forbid_obligations: obligation_bits(&r.forbid_obligations),
                    corrects: r.outcome.is_some() && !r.when.decided.0.is_empty(),
                    masks: info.masks,
                    sparse: sparse(&info.masks),
                    specificity: specificity(&info.masks),
                }
            })
            .collect();
        let set = RuleSet::new(compiled)?;
        Ok(Policy {
            file,
            baseline,
            rules: infos,
            set,
        })
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.file.policy.name
    }

    /// Answers a situation. Fails closed: an error, never a disclosure, for
    /// anything that cannot be evaluated.
    pub fn decide(&self, situation: &Situation) -> Result<Decision, PolicyError> {
        self.set.decide(situation)
    }

    /// The recipients rule `id` forbids, if it is a rule of this policy.
    pub fn forbidden_by(&self, id: &str) -> Option<&[Recipient]> {
        self.rules
            .iter()
            .find(|r| r.def.id == id)
            .map(|r| r.def.forbid_recipients.as_slice())
    }

    pub(crate) fn compiled(&self) -> &[CompiledRule] {
        &self.set.rules
    }
}

/// A rule may not forbid a recipient that a legal duty names in situations
/// both can apply to: the law cannot be overridden by an organisation.
fn check_duties_not_forbidden(infos: &[RuleInfo]) -> Result<(), PolicyError> {
    for duty in infos.iter().filter(|r| r.def.duty) {
        let required = effective_recipients(recipient_bits(&duty.def.recipients), &duty.masks);
        for other in infos.iter().filter(|r| !r.def.forbid_recipients.is_empty()) {
            let forbidden =
                effective_recipients(recipient_bits(&other.def.forbid_recipients), &other.masks);
            let clash = required & forbidden;
            if clash != 0 && overlaps(&duty.masks, &other.masks) {
                let recipient = Recipient::ALL
                    .iter()
                    .copied()
                    .find(|r| clash & (1 << (*r as u32)) != 0)
                    .unwrap_or(Recipient::Requester);
                return Err(PolicyError::ForbidsLegalDuty {
                    rule: other.def.id.clone(),
                    recipient,
                    duty: duty.def.id.clone(),
                });
            }
        }
        // Nor may it strip an obligation a duty attaches (an organisation
        // adds to the law, never takes from it).
        let required = obligation_bits(&duty.def.obligations);
        for other in infos
            .iter()
            .filter(|r| !r.from_baseline && !r.def.forbid_obligations.is_empty())
        {
            let clash = required & obligation_bits(&other.def.forbid_obligations);
            if clash != 0 && overlaps(&duty.masks, &other.masks) {
                let obligation = Obligation::ALL
                    .iter()
                    .copied()
                    .find(|o| clash & (1 << (*o as u32)) != 0)
                    .unwrap_or(Obligation::DocumentDecision);
                return Err(PolicyError::ForbidsDutyObligation {
                    rule: other.def.id.clone(),
                    obligation,
                    duty: duty.def.id.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Whether rule `a`'s conditions cover every situation rule `b`'s do.
pub(crate) fn covers(a: &RuleInfo, b: &RuleInfo) -> bool {
    is_superset(&a.masks, &b.masks)
}

#[cfg(test)]
mod tests;
