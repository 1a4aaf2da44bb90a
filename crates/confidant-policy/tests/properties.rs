//! Property tests over every built-in policy and arbitrary situations:
//! - a decision never lists a recipient that a rule it fired forbids;
//! - adding a court order to a request never turns "disclose" into
//!   anything else;
//! - withdrawing a consent never widens disclosure (no new recipient, and
//!   no disclosure where there was none);
//! - every built-in gives a decision for every well-formed situation;
//! - no decision for a terrorism concern, or where telling the client is
//!   unsafe, carries `inform-client` (Terrorism Act 2000 s.39);
//! - no decision for a client who cannot consent is `seek-consent`;
//! - every decision that discloses without consent carries
//!   `document-decision`.

// Test code: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_core::decision::{Decision, Obligation, Outcome, Recipient};
use confidant_core::situation::{
    Arrangement, AsksFor, Authority, Capacity, ClientCircumstances, ClientRole, Compulsion,
    Concern, ConcernAbout, Consent, Crime, Event, Party, PartyLabel, Relationship, Request,
    Requester, Situation, UseFor,
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
    (
        select(Requester::ALL),
        any::<bool>(),
        select(AsksFor::ALL),
        proptest::option::of(select(Compulsion::ALL)),
        proptest::option::of(select(Authority::ALL)),
        any::<bool>(),
    )
        .prop_map(
            |(from, court_order, asks_for, compulsion, on_behalf_of, inform_client_unsafe)| {
                Request {
                    from,
                    court_order,
                    asks_for,
                    compulsion,
                    on_behalf_of,
                    inform_client_unsafe,
                }
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
            proptest::option::of(select(ClientRole::ALL)),
            any::<bool>(),
        )
            .prop_map(
                |(
                    about,
                    imminent,
                    confirmed,
                    crime,
                    life_threatening,
                    ongoing_risk,
                    client_role,
                    inform_client_unsafe,
                )| {
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
                        client_role,
                        inform_client_unsafe,
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
        (any::<bool>(), any::<bool>(), any::<bool>()),
        proptest::collection::vec(consent(), 0..5),
        proptest::collection::vec(proptest::collection::vec(consent(), 0..4), 0..3),
        event,
        any::<bool>(),
    )
        .prop_map(
            |(
                age,
                capacity,
                relationship,
                arrangement,
                protected,
                (cares_for_children, held_elsewhere, identity_protected),
                consents,
                parties,
                event,
                party_asks,
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
                let asking_party =
                    (party_asks && !parties.is_empty() && matches!(event, Event::Request(_)))
                        .then(|| PartyLabel(parties[0].id.clone()));
                Situation {
                    client: ClientCircumstances {
                        age,
                        capacity,
                        relationship,
                        arrangement,
                        protected,
                        cares_for_children,
                        parental_responsibility_held_elsewhere: held_elsewhere,
                        identity_protected,
                        parties,
                    },
                    consents,
                    event,
                    asking_party,
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

/// Whether a decision lets identifiable information out without the
/// client's consent for it: a disclosure or emergency that is not
/// de-identified, not the client's own access to their data, and not
/// covered by a consent given for the purpose.
fn discloses_without_consent(s: &Situation, d: &Decision) -> bool {
    if !d.outcome.is_disclosure() || d.has_obligation(Obligation::Deidentify) {
        return false;
    }
    if d.recipients.iter().all(|r| *r == Recipient::Client) && !d.recipients.is_empty() {
        return false;
    }
    let consents: Vec<Consent> = if s.client.is_joint() {
        s.client
            .parties
            .iter()
            .flat_map(|p| p.consents.clone())
            .collect()
    } else {
        s.consents.clone()
    };
    let given = |purpose: ConsentPurpose| {
        s.client.can_consent()
            && consents
                .iter()
                .any(|c| c.purpose == purpose && c.status == ConsentStatus::Given)
            && !consents.iter().any(|c| {
                c.purpose == purpose
                    && matches!(c.status, ConsentStatus::Refused | ConsentStatus::Withdrawn)
            })
    };
    let purposes: &[ConsentPurpose] = match &s.event {
        Event::Request(r) if r.asks_for == AsksFor::Progress => &[
            ConsentPurpose::ReleaseToRequester,
            ConsentPurpose::ShareProgress,
        ],
        Event::Request(_) => &[ConsentPurpose::ReleaseToRequester],
        Event::Concern(_) => &[
            ConsentPurpose::ReleaseToRequester,
            ConsentPurpose::ContactGpOnRisk,
        ],
        Event::Use(UseFor::Research) => &[ConsentPurpose::Research],
        Event::Use(UseFor::Publication) => &[ConsentPurpose::Publication],
        Event::Use(UseFor::Training | UseFor::GroupSharing) => &[ConsentPurpose::Training],
        Event::Use(UseFor::Supervision) => &[ConsentPurpose::SupervisionIdentifiable],
        Event::Use(UseFor::ProgressSharing) => &[ConsentPurpose::ShareProgress],
        Event::Use(_) => &[],
    };
    !purposes.iter().any(|p| given(*p))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn terrorism_and_unsafe_telling_never_inform_the_client(s in situation()) {
        let unsafe_to_tell = match &s.event {
            Event::Concern(c) => c.inform_client_unsafe
                || matches!(c.about, ConcernAbout::Terrorism | ConcernAbout::TerroristProperty),
            Event::Request(r) => r.inform_client_unsafe,
            Event::Use(_) => false,
        };
        if unsafe_to_tell {
            for p in policies() {
                let d = decide(p, &s);
                prop_assert!(!d.has_obligation(Obligation::InformClient),
                    "{}: inform-client on {:?} via {:?}", p.name(), s.event,
                    d.rules.iter().map(|r| r.id.to_string()).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn nobody_who_cannot_consent_is_asked_to(s in situation()) {
        if !s.client.can_consent() {
            for p in policies() {
                let d = decide(p, &s);
                prop_assert_ne!(d.outcome, Outcome::SeekConsent, "{}: {:?} via {:?}", p.name(), s.event,
                    d.rules.iter().map(|r| r.id.to_string()).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn every_disclosure_without_consent_is_documented(s in situation()) {
        for p in policies() {
            let d = decide(p, &s);
            if discloses_without_consent(&s, &d) {
                prop_assert!(d.has_obligation(Obligation::DocumentDecision),
                    "{}: {} {:?} without document-decision on {:?} via {:?}", p.name(), d.outcome, d.recipients, s.event,
                    d.rules.iter().map(|r| r.id.to_string()).collect::<Vec<_>>());
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
    let mut s = Situation::new(Event::Request(Request::new(
        Requester::Family,
        AsksFor::Notes,
    )));
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
