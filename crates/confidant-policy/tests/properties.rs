//! Property tests over every built-in policy and arbitrary situations:
//! - a decision never lists a recipient that a rule it fired forbids;
//! - adding a court order to a request never turns "disclose" into
//!   anything else;
//! - withdrawing a consent never widens disclosure (no new recipient, and
//!   no disclosure where there was none);
//! - every built-in gives a decision for every well-formed situation.

// Test code: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_core::decision::{Decision, Outcome, Recipient};
use confidant_core::situation::{
    Arrangement, AsksFor, Capacity, ClientCircumstances, Concern, ConcernAbout, Consent, Crime,
    Event, Party, Relationship, Request, Requester, Situation, UseFor,
};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_policy::Policy;
use proptest::prelude::*;
use proptest::sample::select;
use std::sync::OnceLock;

fn policies() -> &'static Vec<Policy> {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        Policy::builtin_names()
            .chain(["uk-law"])
            .map(|n| Policy::builtin(n).unwrap())
            .collect()
    })
}

fn consent() -> impl Strategy<Value = Consent> {
    (
        select(ConsentPurpose::ALL),
        select(ConsentForm::ALL),
        select(ConsentStatus::ALL),
    )
        .prop_map(|(purpose, form, status)| Consent {
            purpose,
            form,
            status,
        })
}

fn request() -> impl Strategy<Value = Request> {
    (select(Requester::ALL), any::<bool>(), select(AsksFor::ALL)).prop_map(
        |(from, court_order, asks_for)| Request {
            from,
            court_order,
            asks_for,
        },
    )
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        request().prop_map(Event::Request),
        (
            select(ConcernAbout::ALL),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(select(Crime::ALL)),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                |(about, imminent, confirmed, crime, life_threatening, ongoing_risk)| {
                    Event::Concern(Concern {
                        about,
                        imminent,
                        confirmed,
                        crime: if about == ConcernAbout::Crime {
                            crime
                        } else {
                            None
                        },
                        life_threatening,
                        ongoing_risk,
                    })
                }
            ),
        select(UseFor::ALL).prop_map(Event::Use),
    ]
}

fn situation_with(event: impl Strategy<Value = Event>) -> impl Strategy<Value = Situation> {
    (
        prop_oneof![Just(30u32), 0u32..=100],
        select(Capacity::ALL),
        select(Relationship::ALL),
        select(Arrangement::ALL),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(consent(), 0..5),
        proptest::collection::vec(proptest::collection::vec(consent(), 0..4), 0..3),
        event,
    )
        .prop_map(
            |(
                age,
                capacity,
                relationship,
                arrangement,
                protected,
                parental,
                consents,
                parties,
                event,
            )| {
                let joint = matches!(arrangement, Arrangement::Couple | Arrangement::Group);
                let parties = if joint {
                    parties
                        .into_iter()
                        .enumerate()
                        .map(|(i, consents)| Party {
                            id: format!("P{i}"),
                            consents,
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                Situation {
                    client: ClientCircumstances {
                        age,
                        capacity,
                        relationship,
                        arrangement,
                        protected,
                        parental_responsibility: parental,
                        parties,
                    },
                    consents,
                    event,
                }
            },
        )
}

fn situation() -> impl Strategy<Value = Situation> {
    situation_with(event())
}

/// The people inside the practitioner's circle of confidence: the
/// service's designated people and clinical supervision. Handing a
/// decision to them (escalate) keeps the information inside the service.
fn is_internal(r: Recipient) -> bool {
    matches!(
        r,
        Recipient::SafeguardingOfficer
            | Recipient::ProgrammeLead
            | Recipient::LineManager
            | Recipient::Supervisor
    )
}

/// Whether `after` lets information out that `before` did not: a
/// disclosure where there was none, or a recipient outside the service
/// that was not there before.
fn widens(before: &Decision, after: &Decision) -> bool {
    (after.outcome.is_disclosure() && !before.outcome.is_disclosure())
        || after
            .recipients
            .iter()
            .any(|r| !is_internal(*r) && !before.recipients.contains(r))
}

fn decide(p: &Policy, s: &Situation) -> Decision {
    p.decide(s)
        .unwrap_or_else(|e| panic!("{}: {e} for {s:?}", p.name()))
}

/// The situations reachable by withdrawing one consent that was given:
/// in place, or by recording a withdrawal alongside it.
fn withdrawals(s: &Situation) -> Vec<Situation> {
    let mut out = Vec::new();
    let mut push = |f: &dyn Fn(&mut Situation) -> bool| {
        let mut t = s.clone();
        if f(&mut t) {
            out.push(t);
        }
    };
    for i in 0..s.consents.len() {
        push(&|t| {
            let c = &mut t.consents[i];
            if c.status == ConsentStatus::Given {
                c.status = ConsentStatus::Withdrawn;
                true
            } else {
                false
            }
        });
        push(&|t| {
            let c = t.consents[i];
            if c.status == ConsentStatus::Given {
                t.consents.push(Consent {
                    status: ConsentStatus::Withdrawn,
                    ..c
                });
                true
            } else {
                false
            }
        });
    }
    for p in 0..s.client.parties.len() {
        for i in 0..s.client.parties[p].consents.len() {
            push(&|t| {
                let c = &mut t.client.parties[p].consents[i];
                if c.status == ConsentStatus::Given {
                    c.status = ConsentStatus::Withdrawn;
                    true
                } else {
                    false
                }
            });
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_lists_a_forbidden_recipient(s in situation()) {
        for p in policies() {
            let d = decide(p, &s);
            for fired in &d.rules {
                let forbidden = p.forbidden_by(&fired.id).unwrap_or(&[]);
                for r in forbidden {
                    prop_assert!(!d.recipients.contains(r), "{}: rule {} forbids {r} but got {:?}", p.name(), fired.id, d.recipients);
                    if *r == Recipient::Requester && let Event::Request(req) = &s.event {
                        let asker = Recipient::for_requester(req.from);
                        prop_assert!(!d.recipients.contains(&asker), "{}: rule {} forbids the requester", p.name(), fired.id);
                    }
                }
            }
        }
    }

    #[test]
    fn a_court_order_never_turns_disclose_into_something_else(
        s in situation_with(request().prop_map(|mut r| { r.court_order = false; Event::Request(r) }))
    ) {
        let mut ordered = s.clone();
        if let Event::Request(r) = &mut ordered.event {
            r.court_order = true;
        }
        for p in policies() {
            let before = decide(p, &s);
            let after = decide(p, &ordered);
            if before.outcome == Outcome::Disclose {
                prop_assert_eq!(after.outcome, Outcome::Disclose, "{}", p.name());
            }
            // And the order itself is always obeyed.
            prop_assert_eq!(after.outcome, Outcome::Disclose, "{}", p.name());
        }
    }

    #[test]
    fn withdrawing_a_consent_never_widens_disclosure(s in situation()) {
        for t in withdrawals(&s) {
            for p in policies() {
                let before = decide(p, &s);
                let after = decide(p, &t);
                prop_assert!(!widens(&before, &after),
                    "{}: {} {:?} -> {} {:?} ({:?} -> {:?})", p.name(), before.outcome, before.recipients,
                    after.outcome, after.recipients,
                    before.rules.first().map(|r| r.id.to_string()), after.rules.first().map(|r| r.id.to_string()));
            }
        }
    }

    #[test]
    fn decisions_are_deterministic_and_explained(s in situation()) {
        for p in policies() {
            let a = decide(p, &s);
            let b = decide(p, &s);
            prop_assert_eq!(&a, &b);
            prop_assert!(!a.rules.is_empty());
            prop_assert!(a.rules.iter().all(|r| !r.source.is_empty()));
            // An imminent risk to life is always an emergency.
            if let Event::Concern(c) = &s.event && c.imminent {
                prop_assert_eq!(a.outcome, Outcome::Emergency, "{}", p.name());
                prop_assert!(a.recipients.contains(&Recipient::EmergencyServices));
            }
        }
    }
}

/// The withdrawal check above can fail: a policy that discloses on a
/// withdrawn consent is caught.
#[test]
fn withdrawal_check_catches_a_widening_policy() {
    let bad = Policy::from_toml_str(
        r#"
[policy]
name = "bad"
title = "Bad"
owner = "Test"
source_document = "bad.txt"
extends = "uk-law"

[[rule]]
id = "disclose-on-withdrawal"
priority = 500
source = "bad.txt"
outcome = "disclose"
recipients = ["requester"]
when = { kind = "request", court_order = false, consent = { release-to-requester = "withdrawn" } }

[[rule]]
id = "withhold-on-consent"
priority = 500
source = "bad.txt"
outcome = "withhold"
when = { kind = "request", court_order = false, consent = { release-to-requester = "given" } }
"#,
    )
    .unwrap();
    let mut s = Situation::new(Event::Request(Request {
        from: Requester::Family,
        court_order: false,
        asks_for: AsksFor::Notes,
    }));
    s.consents.push(Consent {
        purpose: ConsentPurpose::ReleaseToRequester,
        form: ConsentForm::Written,
        status: ConsentStatus::Given,
    });
    let before = decide(&bad, &s);
    let widened = withdrawals(&s)
        .iter()
        .any(|t| widens(&before, &decide(&bad, t)));
    assert!(widened);
}
