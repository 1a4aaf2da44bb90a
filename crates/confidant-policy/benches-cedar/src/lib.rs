//! Shared set-up for the benchmarks: a deterministic set of situations
//! covering every event and circumstance, and their Cedar requests.

use cedar_policy::{Context, EntityUid, PolicySet, Request, RestrictedExpression};
use confidant_core::situation::{
    Arrangement, AsksFor, Capacity, ClientCircumstances, Concern, ConcernAbout, Consent, Crime,
    Event, Party, Relationship, Request as Req, Requester, Situation, UseFor,
};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_policy::Policy;
use confidant_policy::cedar::cedar_context;
use std::str::FromStr;

/// xorshift64*: deterministic, dependency-free.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn pick<T: Copy>(&mut self, all: &[T]) -> T {
        all[(self.next() % all.len() as u64) as usize]
    }
    pub fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

fn consents(rng: &mut Rng, n: u64) -> Vec<Consent> {
    (0..rng.next() % n)
        .map(|_| Consent {
            purpose: rng.pick(ConsentPurpose::ALL),
            form: rng.pick(ConsentForm::ALL),
            status: rng.pick(ConsentStatus::ALL),
        })
        .collect()
}

/// `n` varied situations (about a third of each event kind).
pub fn situations(n: usize, seed: u64) -> Vec<Situation> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let event = match rng.next() % 3 {
                0 => Event::Request(Req {
                    from: rng.pick(Requester::ALL),
                    court_order: rng.next() % 4 == 0,
                    asks_for: rng.pick(AsksFor::ALL),
                    compulsion: None,
                    on_behalf_of: None,
                    inform_client_unsafe: false,
                }),
                1 => {
                    let about = rng.pick(ConcernAbout::ALL);
                    Event::Concern(Concern {
                        about,
                        imminent: rng.next() % 5 == 0,
                        confirmed: rng.bool(),
                        crime: (about == ConcernAbout::Crime).then(|| rng.pick(Crime::ALL)),
                        life_threatening: rng.bool(),
                        ongoing_risk: rng.bool(),
                        client_role: None,
                        inform_client_unsafe: false,
                    })
                }
                _ => Event::Use(rng.pick(UseFor::ALL)),
            };
            let arrangement = rng.pick(Arrangement::ALL);
            let joint = matches!(arrangement, Arrangement::Couple | Arrangement::Group);
            let parties = if joint {
                (0..2)
                    .map(|i| Party {
                        id: format!("P{i}"),
                        consents: consents(&mut rng, 3),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Situation {
                client: ClientCircumstances {
                    age: [30, 15, 17, 45][(rng.next() % 4) as usize],
                    capacity: if rng.next() % 6 == 0 {
                        rng.pick(Capacity::ALL)
                    } else {
                        Capacity::Presumed
                    },
                    relationship: rng.pick(Relationship::ALL),
                    arrangement,
                    protected: rng.next() % 8 == 0,
                    cares_for_children: rng.bool(),
                    parental_responsibility_held_elsewhere: false,
                    identity_protected: false,
                    parties,
                },
                consents: consents(&mut rng, 4),
                event,
                asking_party: None,
            }
        })
        .collect()
}

/// The Cedar policy set and one request per situation.
pub fn cedar_setup(policy: &Policy, sits: &[Situation]) -> (PolicySet, Vec<Request>) {
    let text = policy.to_cedar_disclosure();
    let set = PolicySet::from_str(&text)
        .unwrap_or_else(|e| panic!("cedar rendering of {}: {e:?}", policy.name()));
    let principal = EntityUid::from_str(r#"Practitioner::"p""#).unwrap();
    let action = EntityUid::from_str(r#"Action::"disclose""#).unwrap();
    let resource = EntityUid::from_str(r#"Record::"r""#).unwrap();
    let requests = sits
        .iter()
        .map(|s| {
            let ctx = Context::from_pairs(
                cedar_context(s)
                    .into_iter()
                    .map(|(k, v)| (k, RestrictedExpression::new_string(v.to_string()))),
            )
            .unwrap();
            Request::new(
                principal.clone(),
                action.clone(),
                resource.clone(),
                ctx,
                None,
            )
            .unwrap()
        })
        .collect();
    (set, requests)
}
