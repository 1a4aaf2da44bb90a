//! Scenario files (`shared/scenarios/FORMAT.md` v1): a situation, the
//! policy to put it to, and the decision that policy must give.

use confidant_core::decision::{Decision, Obligation, Outcome};
use confidant_core::situation::Situation;
use serde::Deserialize;

/// One scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// A built-in policy name, or a path to a policy file.
    pub policy: String,
    /// The clause the scenario tests.
    #[serde(default)]
    pub source: String,
    pub situation: Situation,
    #[serde(default)]
    pub expect: Option<Expect>,
}

/// What the decision must contain. Recipients are open in FORMAT v1, so
/// they are kept as text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub obligations: Vec<Obligation>,
    #[serde(default)]
    pub recipients: Vec<String>,
    #[serde(default)]
    pub not_recipients: Vec<String>,
    /// Extension of FORMAT v1: obligations that must be absent (e.g.
    /// `inform-client` where telling the client would tip them off).
    #[serde(default)]
    pub not_obligations: Vec<Obligation>,
}

/// A scenario file that cannot be used, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() || path == "." { String::new() } else { format!("field `{path}`: ") })]
pub struct ScenarioError {
    /// The JSON path of the field at fault (`situation.event.from`), or
    /// empty when the file is not JSON at all.
    pub path: String,
    pub message: String,
}

impl Scenario {
    /// Parses and checks a scenario.
    pub fn from_json_str(text: &str) -> Result<Scenario, ScenarioError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario =
            serde_path_to_error::deserialize(de).map_err(|e| ScenarioError {
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        scenario.situation.validate().map_err(|e| ScenarioError {
            path: "situation".to_string(),
            message: e.to_string(),
        })?;
        if let Some(expect) = &scenario.expect {
            for (field, list) in [
                ("recipients", &expect.recipients),
                ("not_recipients", &expect.not_recipients),
            ] {
                if list.iter().any(|r| !is_vocabulary_word(r)) {
                    return Err(ScenarioError {
                        path: format!("expect.{field}"),
                        message: "recipients are lowercase words joined by hyphens".to_string(),
                    });
                }
            }
        }
        Ok(scenario)
    }

    /// What is wrong with `decision` against this scenario's expectations
    /// (empty when it meets them, or when there are none).
    pub fn mismatches(&self, decision: &Decision) -> Vec<String> {
        let Some(expect) = &self.expect else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(outcome) = expect.outcome
            && outcome != decision.outcome
        {
            out.push(format!(
                "expected outcome {outcome}, got {}",
                decision.outcome
            ));
        }
        for o in &expect.obligations {
            if !decision.obligations.contains(o) {
                out.push(format!("missing obligation {o}"));
            }
        }
        for o in &expect.not_obligations {
            if decision.obligations.contains(o) {
                out.push(format!("unexpected obligation {o}"));
            }
        }
        let has = |name: &str| decision.recipients.iter().any(|r| r.as_str() == name);
        for r in &expect.recipients {
            if !has(r) {
                out.push(format!("missing recipient {r}"));
            }
        }
        for r in &expect.not_recipients {
            if has(r) {
                out.push(format!("unexpected recipient {r}"));
            }
        }
        out
    }
}

fn is_vocabulary_word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use confidant_core::decision::Recipient;

    const OK: &str = r#"{
        "name": "n", "policy": "ukcp", "source": "s",
        "situation": {"client": {}, "consents": [], "event": {"kind": "request", "from": "police", "court_order": false, "asks_for": "notes"}},
        "expect": {"outcome": "seek-consent", "obligations": ["document-decision"], "not_recipients": ["police"], "not_obligations": ["inform-client"]}
    }"#;

    #[test]
    fn parses_a_format_v1_scenario() {
        let s = Scenario::from_json_str(OK).unwrap();
        assert_eq!(s.policy, "ukcp");
        assert_eq!(s.expect.unwrap().outcome, Some(Outcome::SeekConsent));
    }

    #[test]
    fn errors_name_the_field() {
        let bad = OK.replace("\"police\", \"court_order\"", "\"polise\", \"court_order\"");
        let e = Scenario::from_json_str(&bad).unwrap_err();
        assert_eq!(e.path, "situation.event.from", "{e}");
        assert!(e.to_string().contains("polise"), "{e}");

        let bad = OK.replace("\"source\": \"s\"", "\"sauce\": \"s\"");
        let e = Scenario::from_json_str(&bad).unwrap_err();
        assert!(e.to_string().contains("sauce"), "{e}");

        let bad = OK.replace("\"obligations\"", "\"obligation\"");
        let e = Scenario::from_json_str(&bad).unwrap_err();
        assert!(e.to_string().contains("obligation"), "{e}");

        let bad = OK.replace("document-decision", "document-it");
        let e = Scenario::from_json_str(&bad).unwrap_err();
        assert_eq!(e.path, "expect.obligations[0]", "{e}");

        let e = Scenario::from_json_str("{").unwrap_err();
        assert!(!e.message.is_empty());
    }

    #[test]
    fn mismatches_report_each_expectation() {
        let s = Scenario::from_json_str(OK).unwrap();
        let d = Decision {
            outcome: Outcome::Disclose,
            obligations: vec![Obligation::InformClient],
            recipients: vec![Recipient::Police],
            rules: vec![],
        };
        let m = s.mismatches(&d);
        assert_eq!(m.len(), 4, "{m:?}");
        assert!(
            m.iter().any(|x| x == "unexpected obligation inform-client"),
            "{m:?}"
        );
        let d = Decision {
            outcome: Outcome::SeekConsent,
            obligations: vec![Obligation::DocumentDecision, Obligation::MinimumNecessary],
            recipients: vec![],
            rules: vec![],
        };
        assert!(s.mismatches(&d).is_empty());
    }
}
