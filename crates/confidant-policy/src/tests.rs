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
    let s = Situation::new(Event::Request(Request::new(
        Requester::Police,
        AsksFor::Notes,
    )));
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

const HEADER: &str = r#"
[policy]
name = "t"
title = "Test"
owner = "Test"
source_document = "t.txt"
extends = "uk-law"
last_review = "2026-01-01"
review_interval_months = 12

[[retention]]
record = "notes"
months = 12
source = "t.txt"

[[contact]]
role = "safeguarding-officer"
name = "SO"
"#;

fn policy(rules: &str) -> Result<Policy, PolicyError> {
    Policy::from_toml_str(&format!("{HEADER}\n{rules}"))
}

fn codes(p: &Policy) -> Vec<&'static str> {
    p.lint(today()).into_iter().map(|f| f.code).collect()
}

#[test]
fn clean_policy_has_no_findings() {
    let p = policy(
        r#"
[[rule]]
id = "a"
source = "t.txt: a"
outcome = "withhold"
when = { kind = "request", from = "family" }
"#,
    )
    .unwrap();
    assert!(codes(&p).is_empty(), "{:?}", p.lint(today()));
}

#[test]
fn shadowed_rule_is_unreachable() {
    let p = policy(
        r#"
[[rule]]
id = "broad"
priority = 300
source = "t.txt: broad"
outcome = "withhold"
when = { kind = "request" }

[[rule]]
id = "narrow"
priority = 200
source = "t.txt: narrow"
outcome = "disclose"
recipients = ["requester"]
when = { kind = "request", from = "police" }
"#,
    )
    .unwrap();
    let f = p.lint(today());
    assert!(
        f.iter()
            .any(|f| f.code == "unreachable-rule" && f.rule.as_deref() == Some("narrow")),
        "{f:?}"
    );
}

#[test]
fn overriding_a_legal_duty_is_unreachable() {
    let p = policy(
        r#"
[[rule]]
id = "hide-terror"
priority = 900
source = "t.txt: x"
outcome = "withhold"
when = { kind = "concern", about = "terrorism" }
"#,
    )
    .unwrap();
    let f = p.lint(today());
    assert!(
        f.iter()
            .any(|f| f.code == "unreachable-rule" && f.message.contains("legal duty")),
        "{f:?}"
    );
    // And the duty still decides.
    let d = p
        .decide(&Situation::new(Event::Concern(Concern::new(
            ConcernAbout::Terrorism,
        ))))
        .unwrap();
    assert_eq!(d.outcome, Outcome::Disclose);
}

#[test]
fn contradiction_at_same_priority_is_an_error() {
    let p = policy(
        r#"
[[rule]]
id = "a"
source = "t.txt: a"
outcome = "withhold"
when = { kind = "request", from = ["police", "gp"] }

[[rule]]
id = "b"
source = "t.txt: b"
outcome = "disclose"
recipients = ["requester"]
when = { kind = "request", asks_for = "notes" }
"#,
    )
    .unwrap();
    assert!(
        codes(&p).contains(&"contradiction"),
        "{:?}",
        p.lint(today())
    );
}

#[test]
fn narrower_rule_at_same_priority_is_not_a_contradiction_and_wins() {
    let p = policy(
        r#"
[[rule]]
id = "wide"
source = "t.txt: wide"
outcome = "withhold"
when = { kind = "request", from = ["police", "gp"] }

[[rule]]
id = "narrow"
source = "t.txt: narrow"
outcome = "seek-consent"
when = { kind = "request", from = "police" }
"#,
    )
    .unwrap();
    assert!(codes(&p).is_empty(), "{:?}", p.lint(today()));
    let d = p
        .decide(&Situation::new(Event::Request(Request::new(
            Requester::Police,
            AsksFor::Notes,
        ))))
        .unwrap();
    assert_eq!(d.outcome, Outcome::SeekConsent);
    assert_eq!(&*d.rules[0].id, "narrow");
}

#[test]
fn impossible_conditions_are_reported() {
    let p = policy(
        r#"
[[rule]]
id = "x"
source = "t.txt: x"
outcome = "withhold"
when = { from = "police", about = "suicide" }
"#,
    )
    .unwrap();
    assert!(codes(&p).contains(&"never-holds"), "{:?}", p.lint(today()));
}

#[test]
fn forbidding_a_duty_recipient_does_not_load() {
    let e = policy(
        r#"
[[rule]]
id = "no-999"
source = "t.txt: x"
forbid_recipients = ["emergency-services"]
when = { kind = "concern", about = "suicide" }
"#,
    )
    .unwrap_err();
    assert!(matches!(e, PolicyError::ForbidsLegalDuty { .. }), "{e}");
    // Forbidding where no duty applies is fine.
    policy(
        r#"
[[rule]]
id = "no-police"
source = "t.txt: x"
forbid_recipients = ["police"]
when = { kind = "concern", about = "child-protection", imminent = false }
"#,
    )
    .unwrap();
}

#[test]
fn only_the_baseline_declares_duties_and_duties_cannot_be_disabled() {
    let e = policy(
        r#"
[[rule]]
id = "d"
duty = true
source = "t.txt: x"
outcome = "withhold"
"#,
    )
    .unwrap_err();
    assert!(matches!(e, PolicyError::DutyOutsideBaseline(_)), "{e}");
    let e = Policy::from_toml_str(
        &HEADER.replace("[policy]", "disable = [\"law-court-order\"]\n[policy]"),
    )
    .unwrap_err();
    assert!(matches!(e, PolicyError::DisableDuty(_)), "{e}");
    let p = Policy::from_toml_str(
        &HEADER.replace("[policy]", "disable = [\"default-supervision\"]\n[policy]"),
    )
    .unwrap();
    assert!(p.rules.iter().all(|r| r.def.id != "default-supervision"));
}

#[test]
fn unknown_vocabulary_is_a_parse_error_naming_the_field() {
    let e = policy(
        r#"
[[rule]]
id = "x"
source = "t.txt: x"
outcome = "withold"
"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("withold"), "{e}");
    let e = policy(
        r#"
[[rule]]
id = "x"
source = "t.txt: x"
outcome = "withhold"
when = { from = "neighbour" }
"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("neighbour"), "{e}");
    let e = policy(
        r#"
[[rule]]
id = "x"
source = "t.txt: x"
outcome = "withhold"
whne = { from = "police" }
"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("whne"), "{e}");
}

#[test]
fn a_policy_must_extend_the_baseline() {
    let e = Policy::from_toml_str(&HEADER.replace("extends = \"uk-law\"", "")).unwrap_err();
    assert!(matches!(e, PolicyError::MustExtendBaseline(_)), "{e}");
}

#[test]
fn requester_only_in_request_rules() {
    let e = policy(
        r#"
[[rule]]
id = "x"
source = "t.txt: x"
outcome = "disclose"
recipients = ["requester"]
when = { about = "suicide" }
"#,
    )
    .unwrap_err();
    assert!(matches!(e, PolicyError::RequesterOutsideRequest(_)), "{e}");
}

#[test]
fn review_overdue_depends_on_today() {
    let p = Policy::builtin("handcrafted").unwrap();
    let on = |d: Date| p.lint(d).into_iter().any(|f| f.code == "overdue-review");
    assert!(!on(Date::new(2025, 8, 3).unwrap()));
    assert!(on(Date::new(2025, 8, 4).unwrap()));
    assert!(on(today()));
}

#[test]
fn explain_and_show_render_every_builtin() {
    for name in Policy::builtin_names() {
        let p = Policy::builtin(name).unwrap();
        let md = p.explain_markdown();
        assert!(md.contains("## What stays private"), "{name}");
        let html = p.explain_html();
        assert!(
            html.starts_with("<!DOCTYPE html>") && html.contains("</html>"),
            "{name}"
        );
        assert!(!html.contains(" - <"), "{name}");
        let show = p.show();
        for r in &p.rules {
            assert!(
                show.contains(&format!("`{}`", r.def.id)),
                "{name}: {}",
                r.def.id
            );
        }
    }
    let html = Policy::builtin("handcrafted").unwrap().explain_html();
    assert!(html.contains("Dan Northover") || html.contains("999"));
}

#[test]
fn decision_debug_and_errors_carry_no_client_text() {
    let e = Scenario::from_json_str(r#"{"name": "x", "policy": "ukcp", "situation": {"client": {"arrangement": "couple", "parties": [{"id": "Jane Doe"}, {"id": "Jane Doe"}]}, "event": {"kind": "use", "for": "research"}}}"#).unwrap_err();
    assert!(!e.to_string().contains("Jane"), "{e}");
}

#[test]
fn cedar_rendering_permits_only_disclosing_rules() {
    let p = Policy::builtin("ukcp").unwrap();
    let text = p.to_cedar_disclosure();
    assert!(text.contains("@id(\"law-terrorism\")"), "{text}");
    assert!(text.contains("context.about == \"terrorism\""), "{text}");
    assert!(!text.contains("@id(\"default-confidential\")"));
    // Every permit is for the disclose action.
    assert_eq!(
        text.matches("permit(").count(),
        text.matches("Action::\"disclose\"").count()
    );
    let ctx = cedar::cedar_context(&Situation::new(Event::Concern(Concern::new(
        ConcernAbout::Terrorism,
    ))));
    assert!(ctx.iter().any(|(k, v)| k == "about" && *v == "terrorism"));
    assert!(ctx.iter().any(|(k, v)| k == "from" && *v == "none"));
    assert!(
        ctx.iter()
            .any(|(k, v)| k == "consent_release_to_requester" && *v == "not-asked")
    );
}

#[test]
fn an_added_recipient_that_is_forbidden_is_reported() {
    let p = policy(
        r#"
[[rule]]
id = "tell-gp"
source = "t.txt: x"
recipients = ["gp"]
when = { kind = "concern", about = "suicide", decided = ["seek-consent", "escalate"] }

[[rule]]
id = "only-so"
priority = 300
source = "t.txt: y"
outcome = "escalate"
recipients = ["safeguarding-officer"]
forbid_recipients = ["gp"]
when = { kind = "concern", about = ["suicide", "self-harm"], imminent = false }
"#,
    )
    .unwrap();
    assert!(
        codes(&p).contains(&"recipient-forbidden"),
        "{:?}",
        p.lint(today())
    );
    // It still never reaches the decision.
    let d = p
        .decide(&Situation::new(Event::Concern(Concern::new(
            ConcernAbout::Suicide,
        ))))
        .unwrap();
    assert!(!d.has_recipient(Recipient::Gp), "{d:?}");
}

/// A policy whose additive rules mark the research consent state with a
/// recipient each, to observe how consents are folded.
fn consent_probe() -> Policy {
    let mut rules = String::new();
    for (state, marker) in [
        ("given-written", "gp"),
        ("given-verbal", "police"),
        ("given-application-form", "court"),
        ("partial", "supervisor"),
        ("refused", "line-manager"),
        ("withdrawn", "family-services"),
        ("not-asked", "mental-health-team"),
    ] {
        rules.push_str(&format!(
            "[[rule]]\nid = \"probe-{state}\"\nsource = \"t.txt\"\nrecipients = [\"{marker}\"]\nwhen = {{ kind = \"use\", consent = {{ research = \"{state}\" }} }}\n\n"
        ));
    }
    // The probe reads the consent state through marker recipients; the
    // baseline's designated person (supervisor) for a best-interests
    // escalation would blur the supervisor marker.
    Policy::from_toml_str(&format!(
        "disable = [\"default-designated-person-best-interests\"]\n{HEADER}\n{rules}"
    ))
    .unwrap()
}

fn probe(s: &Situation) -> Vec<Recipient> {
    let markers = [
        Recipient::Gp,
        Recipient::Police,
        Recipient::Court,
        Recipient::Supervisor,
        Recipient::LineManager,
        Recipient::FamilyServices,
        Recipient::MentalHealthTeam,
    ];
    consent_probe()
        .decide(s)
        .unwrap()
        .recipients
        .into_iter()
        .filter(|r| markers.contains(r))
        .collect()
}

fn research(form: &str, status: &str) -> confidant_core::situation::Consent {
    serde_json::from_str(&format!(
        r#"{{"purpose": "research", "form": "{form}", "status": "{status}"}}"#
    ))
    .unwrap()
}

fn research_use() -> Situation {
    Situation::new(Event::Use(confidant_core::situation::UseFor::Research))
}

#[test]
fn consents_fold_most_protective_then_strongest_form() {
    let mut s = research_use();
    assert_eq!(probe(&s), [Recipient::MentalHealthTeam]);
    s.consents = vec![research("verbal", "given"), research("written", "given")];
    assert_eq!(probe(&s), [Recipient::Gp]);
    s.consents.push(research("written", "refused"));
    assert_eq!(probe(&s), [Recipient::LineManager]);
    s.consents.push(research("verbal", "withdrawn"));
    assert_eq!(probe(&s), [Recipient::FamilyServices]);
    s.consents = vec![research("application-form", "given")];
    assert_eq!(probe(&s), [Recipient::Court]);
}

#[test]
fn consent_needs_capacity_but_a_refusal_stands() {
    let mut s = research_use();
    s.consents = vec![research("written", "given")];
    s.client.capacity = confidant_core::situation::Capacity::Lacks;
    assert_eq!(probe(&s), [Recipient::MentalHealthTeam]);
    s.client.capacity = confidant_core::situation::Capacity::Presumed;
    s.client.age = 15;
    assert_eq!(probe(&s), [Recipient::MentalHealthTeam]);
    s.client.capacity = confidant_core::situation::Capacity::Assessed;
    assert_eq!(probe(&s), [Recipient::Gp]);
    s.client.capacity = confidant_core::situation::Capacity::Lacks;
    s.consents = vec![research("written", "refused")];
    assert_eq!(probe(&s), [Recipient::LineManager]);
}

#[test]
fn joint_work_combines_the_parties() {
    use confidant_core::situation::{Arrangement, Party};
    let party = |id: &str, c: Vec<confidant_core::situation::Consent>| Party {
        id: id.into(),
        consents: c,
    };
    let mut s = research_use();
    s.client.arrangement = Arrangement::Couple;
    // Client-level consents apply to nobody in joint work.
    s.consents = vec![research("written", "given")];
    s.client.parties = vec![party("A", vec![]), party("B", vec![])];
    assert_eq!(probe(&s), [Recipient::MentalHealthTeam]);
    s.client.parties = vec![
        party("A", vec![research("written", "given")]),
        party("B", vec![research("verbal", "given")]),
    ];
    assert_eq!(
        probe(&s),
        [Recipient::Police],
        "all given: the weakest form"
    );
    s.client.parties[1].consents = vec![];
    assert_eq!(probe(&s), [Recipient::Supervisor], "some given: partial");
    s.client.parties = vec![
        party("A", vec![research("written", "refused")]),
        party("B", vec![research("written", "withdrawn")]),
    ];
    assert_eq!(probe(&s), [Recipient::FamilyServices]);
    s.client.parties = vec![
        party("A", vec![research("written", "refused")]),
        party("B", vec![]),
    ];
    assert_eq!(probe(&s), [Recipient::LineManager]);
}

// ------------------------------------------------------------ issue 7

fn concern(about: ConcernAbout) -> Situation {
    Situation::new(Event::Concern(Concern::new(about)))
}

#[test]
fn a_forbidden_obligation_is_removed_whoever_adds_it() {
    let p = policy(
        r#"
[[rule]]
id = "tell-everything"
source = "t.txt"
obligations = ["inform-client", "offer-support"]
when = { kind = "concern" }
"#,
    )
    .unwrap();
    let d = p.decide(&concern(ConcernAbout::Terrorism)).unwrap();
    assert_eq!(d.outcome, Outcome::Disclose);
    assert!(!d.has_obligation(Obligation::InformClient), "{d:?}");
    assert!(d.has_obligation(Obligation::OfferSupport));
    // Not forbidden elsewhere.
    let mut s = concern(ConcernAbout::HarmToOthers);
    if let Event::Concern(c) = &mut s.event {
        c.confirmed = true;
    }
    assert!(
        p.decide(&s)
            .unwrap()
            .has_obligation(Obligation::InformClient)
    );
    // Forbidden wherever telling the client is unsafe.
    if let Event::Concern(c) = &mut s.event {
        c.inform_client_unsafe = true;
    }
    assert!(
        !p.decide(&s)
            .unwrap()
            .has_obligation(Obligation::InformClient)
    );
}

#[test]
fn adding_back_a_forbidden_obligation_is_a_lint_error() {
    let p = policy(
        r#"
[[rule]]
id = "tell-on-terrorism"
source = "t.txt"
obligations = ["inform-client"]
when = { kind = "concern", about = ["terrorism", "suicide"], decided = ["disclose", "emergency"] }
"#,
    )
    .unwrap();
    assert!(
        codes(&p).contains(&"adds-forbidden-obligation"),
        "{:?}",
        p.lint(today())
    );
    // A rule that does not name the forbidden situation is trimmed at run
    // time, not reported.
    let p = policy(
        r#"
[[rule]]
id = "tell-on-suicide"
source = "t.txt"
obligations = ["inform-client"]
when = { kind = "concern", about = "suicide" }
"#,
    )
    .unwrap();
    assert!(!codes(&p).contains(&"adds-forbidden-obligation"));
}

#[test]
fn forbidding_an_obligation_a_duty_attaches_does_not_load() {
    let err = policy(
        r#"
[[rule]]
id = "no-records"
source = "t.txt"
forbid_obligations = ["document-decision"]
when = { kind = "request" }
"#,
    )
    .unwrap_err();
    assert!(
        matches!(err, PolicyError::ForbidsDutyObligation { ref obligation, .. } if *obligation == Obligation::DocumentDecision),
        "{err}"
    );
}

#[test]
fn nobody_who_cannot_consent_is_asked_to() {
    let p = policy(
        r#"
[[rule]]
id = "ask"
priority = 500
source = "t.txt"
outcome = "seek-consent"
when = { kind = "concern", about = "harm-to-others" }
"#,
    )
    .unwrap();
    let mut s = concern(ConcernAbout::HarmToOthers);
    assert_eq!(p.decide(&s).unwrap().outcome, Outcome::SeekConsent);
    s.client.capacity = confidant_core::situation::Capacity::Lacks;
    let d = p.decide(&s).unwrap();
    assert_eq!(d.outcome, Outcome::Escalate);
    assert!(d.has_obligation(Obligation::BestInterests));
    assert!(d.has_recipient(Recipient::Supervisor));
    assert_eq!(&*d.rules[0].id, "ask");
    assert!(
        d.rules
            .iter()
            .any(|r| &*r.id == "law-no-consent-from-who-cannot-give-it")
    );
    // A correcting rule outside the baseline is a duty outside it.
    let err = policy(
        r#"
[[rule]]
id = "fix"
duty = true
source = "t.txt"
outcome = "withhold"
when = { decided = "disclose" }
"#,
    )
    .unwrap_err();
    assert_eq!(err, PolicyError::DutyOutsideBaseline("fix".into()));
}

#[test]
fn statutory_compulsion_is_obeyed() {
    let p = Policy::builtin("wwdd-coaching").unwrap();
    let mut r = Request::new(Requester::StatutoryBody, AsksFor::Notes);
    r.compulsion = Some(confidant_core::situation::Compulsion::CoronerNotice);
    let d = p.decide(&Situation::new(Event::Request(r))).unwrap();
    assert_eq!(d.outcome, Outcome::Disclose);
    assert!(d.has_recipient(Recipient::StatutoryBody));
    assert!(d.has_obligation(Obligation::MakeRepresentations));
}

#[test]
fn source_document_errors_are_findings_not_edits() {
    let csrp = Policy::builtin("csrp").unwrap();
    let findings = csrp.lint(today());
    assert!(
        findings
            .iter()
            .any(|f| f.code == "source-document-error" && f.message.contains("Children Act 1998")),
        "{findings:?}"
    );
    assert!(csrp.show().contains("Children Act 1998"));
    let wwdd = Policy::builtin("wwdd-coaching").unwrap();
    assert!(
        wwdd.lint(today())
            .iter()
            .any(|f| f.code == "source-document-error"
                && f.message.contains("capacity to make good decisions")
                && f.severity == Severity::Warning)
    );
    assert!(wwdd.show().contains("capacity to make good decisions"));
    assert!(
        !codes(&policy("").unwrap()).contains(&"source-document-error"),
        "a clean policy has no such finding"
    );
}

#[test]
fn unhedged_promises_and_clause_references_are_reported() {
    let p = policy(
        r#"
[statement]
outset = "We explain the limits (Ground Rules 6)."

[[rule]]
id = "never"
priority = 200
source = "t.txt"
outcome = "withhold"
when = { kind = "request", from = "family" }
explain = "We will never tell anyone anything."
"#,
    )
    .unwrap();
    let c = codes(&p);
    assert!(c.contains(&"absolute-promise"), "{c:?}");
    assert!(c.contains(&"clause-reference"), "{c:?}");
    let p = policy(
        r#"
[[rule]]
id = "hedged"
priority = 200
source = "t.txt"
outcome = "withhold"
when = { kind = "request", from = "family" }
explain = "We will never tell your family anything unless the law requires it."
"#,
    )
    .unwrap();
    assert!(!codes(&p).contains(&"absolute-promise"));
}

#[test]
fn explain_labels_defaults_and_shows_commitments() {
    let ukcp = Policy::builtin("ukcp").unwrap().explain_markdown();
    assert!(
        ukcp.contains("By default, case records are kept for 6 years"),
        "{ukcp}"
    );
    let csrp = Policy::builtin("csrp").unwrap().explain_markdown();
    assert!(csrp.contains("security of the method of payment"), "{csrp}");
    let wwdd = Policy::builtin("wwdd-coaching").unwrap().explain_markdown();
    assert!(wwdd.contains("Stephanie Chivers"), "{wwdd}");
    assert!(wwdd.contains("including volunteers"), "{wwdd}");
    assert!(!wwdd.contains("will never tell anyone"), "{wwdd}");
    let iapt = Policy::builtin("iapt-training").unwrap().explain_markdown();
    assert!(!iapt.contains("Ground Rules"), "{iapt}");
    // IAPT never mentions adult social care: it is not listed as one of
    // the programme's own recipients.
    let own = iapt
        .split("## Who it may be shared with")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .unwrap_or("");
    assert!(!own.contains("adult social care"), "{own}");
    // The court-application conversation is a limit, not "what stays
    // private".
    let private = wwdd
        .split("## What stays private")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .unwrap_or("");
    assert!(!private.contains("A court can apply"), "{private}");
}

#[test]
fn format_v1_parental_responsibility_means_cares_for_children() {
    let p = Policy::builtin("wwdd-coaching").unwrap();
    let v1: Situation = serde_json::from_str(
        r#"{"client": {"parental_responsibility": true}, "event": {"kind": "concern", "about": "carer-substance-use", "confirmed": true}}"#,
    )
    .unwrap();
    assert!(v1.client.cares_for_children);
    assert!(!v1.client.parental_responsibility_held_elsewhere);
    let d = p.decide(&v1).unwrap();
    assert!(d.has_recipient(Recipient::Gp) && d.has_recipient(Recipient::FamilyServices));
    // The policy file's condition accepts the v1 spelling too.
    let p = policy(
        r#"
[[rule]]
id = "parents"
priority = 500
source = "t.txt"
outcome = "escalate"
when = { kind = "concern", parental_responsibility = true }
"#,
    )
    .unwrap();
    let mut s = concern(ConcernAbout::SelfHarm);
    assert_ne!(p.decide(&s).unwrap().outcome, Outcome::Escalate);
    s.client.cares_for_children = true;
    assert_eq!(p.decide(&s).unwrap().outcome, Outcome::Escalate);
}

#[test]
fn asking_consent_for_child_protection_is_a_lint_error() {
    let p = policy(
        r#"
[[rule]]
id = "talk-first"
priority = 200
source = "t.txt"
outcome = "seek-consent"
when = { kind = "concern", about = ["child-protection", "suicide"] }
"#,
    )
    .unwrap();
    assert!(
        codes(&p).contains(&"child-protection-consent"),
        "{:?}",
        p.lint(today())
    );
    let p = policy(
        r#"
[[rule]]
id = "carer-talk-first"
priority = 200
source = "t.txt"
outcome = "seek-consent"
when = { kind = "concern", about = "carer-substance-use", confirmed = false }
"#,
    )
    .unwrap();
    assert!(!codes(&p).contains(&"child-protection-consent"));
}
