//! Unit tests of loading, compiling and combining rules. Scenario files
//! test what each policy decides; these test the machinery.

use super::*;
use confidant_core::decision::{Obligation, Outcome};
use confidant_core::situation::{AsksFor, Concern, ConcernAbout, Event, Request, Requester};

fn today() -> Date {
    Date::new(2026, 11, 23).unwrap()
}

#[test]
fn every_builtin_loads() {
    for name in Policy::builtin_names() {
        let p = Policy::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.name(), name);
    }
    Policy::builtin("uk-law").unwrap();
}

#[test]
fn builtins_lint_without_errors() {
    for name in Policy::builtin_names().chain(["uk-law"]) {
        let p = Policy::builtin(name).unwrap();
        let errors: Vec<String> = p
            .lint(today())
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn police_without_order_is_seek_consent_under_ukcp() {
    let p = Policy::builtin("ukcp").unwrap();
    let s = Situation::new(Event::Request(Request {
        from: Requester::Police,
        court_order: false,
        asks_for: AsksFor::Notes,
    }));
    let d = p.decide(&s).unwrap();
    assert_eq!(d.outcome, Outcome::SeekConsent);
    assert!(d.has_obligation(Obligation::DocumentDecision));
    assert!(
        d.rules
            .iter()
            .any(|r| r.source.contains("ukcp-guidance.txt"))
    );
}

#[test]
fn terrorism_is_a_duty_everywhere() {
    for name in Policy::builtin_names() {
        let p = Policy::builtin(name).unwrap();
        let d = p
            .decide(&Situation::new(Event::Concern(Concern::new(
                ConcernAbout::Terrorism,
            ))))
            .unwrap();
        assert_eq!(d.outcome, Outcome::Disclose, "{name}");
        assert!(d.has_recipient(Recipient::Police), "{name}");
    }
}
