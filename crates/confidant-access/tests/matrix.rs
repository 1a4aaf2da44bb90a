//! Every role x every operation x every way a user can be related to a
//! record, checked against the answer the source policies give. The
//! expected answers below are written from the documents' words (quoted
//! beside each), not from the Cedar text: the test is that the Cedar policy
//! says what the documents say. Target: no unauthorised cell and no wrongly
//! refused one.

use confidant_access::{AccessPolicy, ClientFacts, Operation, ResourceKind, Role, Subject, Target};

/// How the asking user stands to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    /// Assigned to the client or one of their cases.
    Assigned,
    /// Supervises the assigned practitioner.
    Supervises,
    /// Leads the programme the client is a trainee on.
    LeadsProgramme,
    /// Not assigned, but holds an active break-glass grant.
    BreakGlass,
    /// The matter was escalated to them.
    EscalatedTo,
    /// No relation at all.
    Unrelated,
}

const RELATIONS: &[Relation] = &[
    Relation::Assigned,
    Relation::Supervises,
    Relation::LeadsProgramme,
    Relation::BreakGlass,
    Relation::EscalatedTo,
    Relation::Unrelated,
];

fn is_clinical_content(op: Operation) -> bool {
    use Operation::*;
    matches!(
        op,
        ViewClientDetails
            | ViewNotes
            | WriteNote
            | ViewConsents
            | RecordConsent
            | ViewMatters
            | OpenMatter
            | BuildPackage
            | DeliverPackage
            | RespondSar
            | RecordPromise
            | ViewEscalatedMatter
            | RecordEscalationDecision
    )
}

/// The documents' answer for a user holding exactly one role.
fn expected(role: Role, op: Operation, rel: Relation) -> bool {
    use Operation::*;
    use Relation::*;
    match op.resource_kind() {
        ResourceKind::Service => match op {
            // "an administrator manages accounts"
            ManageUsers => role == Role::Administrator,
            // The audit log holds ids only; those who answer for the
            // service and its records check and search it.
            VerifyAudit | SearchAudit => matches!(
                role,
                Role::Administrator | Role::RecordsManager | Role::ServiceManager
            ),
            // "the records manager runs retention"
            RunRetention => role == Role::RecordsManager,
            // break-glass "lands in a review queue that the safeguarding
            // officer or records manager must close"
            ReviewBreakGlass => {
                matches!(role, Role::SafeguardingOfficer | Role::RecordsManager)
            }
            // IAPT: "clinical lead/service manager": allocating caseload is
            // clinical management, not account administration ("an
            // administrator manages accounts and sees no clinical content").
            AssignCaseload => role == Role::ServiceManager,
            // Policy reviews and complaints are the service's management.
            ManagePolicy | ManageComplaints => role == Role::ServiceManager,
            ViewPolicy => true,
            _ => false,
        },
        ResourceKind::Matter => match role {
            // Handcrafted: "only the Safeguarding Officer or deputy"
            Role::SafeguardingOfficer => rel == EscalatedTo,
            // The practitioner who works with the client sees the matters on
            // the record.
            Role::Practitioner => op == ViewEscalatedMatter && rel == Assigned,
            _ => false,
        },
        ResourceKind::Client => match role {
            // "a practitioner sees the clients and cases assigned to them";
            // releasing holds and destroying records are the records
            // manager's.
            Role::Practitioner => match rel {
                Assigned => !matches!(op, ReleaseHold | DestroyRecord),
                // "any practitioner may open a record they are not assigned
                // to when they give a reason": opening is reading.
                BreakGlass => {
                    matches!(
                        op,
                        ViewClientDetails | ViewNotes | ViewConsents | ViewMatters
                    )
                }
                _ => false,
            },
            // WWDD: "a supervisor sees only de-identified material of their
            // supervisees' cases, never a name"
            Role::Supervisor => rel == Supervises && op == ViewDeidentifiedNotes,
            // IAPT: "a programme lead sees programme members' progress and
            // not their personal material"
            Role::ProgrammeLead => rel == LeadsProgramme && op == ViewProgress,
            // "the records manager runs retention and sees no note text":
            // the SAR's dates and steps and the promises record, yes;
            // building the response (which reads the notes), no.
            Role::RecordsManager => matches!(
                op,
                ViewDisclosures
                    | ViewAccessLog
                    | TrackSar
                    | ManageSar
                    | ViewPromises
                    | ViewRetention
                    | PlaceHold
                    | ReleaseHold
                    | DestroyRecord
            ),
            // The service manager tracks deadlines, holds and disclosures,
            // never clinical content.
            Role::ServiceManager => matches!(
                op,
                TrackSar
                    | ManageSar
                    | ViewPromises
                    | ViewRetention
                    | ViewDisclosures
                    | ViewAccessLog
                    | PlaceHold
                    | ReleaseHold
            ),
            // "an administrator ... sees no clinical content at all"
            Role::Administrator => false,
            Role::SafeguardingOfficer => false,
        },
    }
}

const USER: &str = "user-under-test";

fn client_facts(rel: Relation) -> ClientFacts {
    let mut facts = ClientFacts {
        client: "client-1".into(),
        assigned: vec!["someone-else".into()],
        supervisors: vec!["another-supervisor".into()],
        programme_leads: vec![],
        programme_member: rel == Relation::LeadsProgramme,
    };
    match rel {
        Relation::Assigned => facts.assigned.push(USER.into()),
        Relation::Supervises => facts.supervisors.push(USER.into()),
        Relation::LeadsProgramme => facts.programme_leads.push(USER.into()),
        _ => {}
    }
    facts
}

fn target(op: Operation, rel: Relation) -> Target {
    match op.resource_kind() {
        ResourceKind::Client => Target::Client {
            facts: client_facts(rel),
            break_glass: rel == Relation::BreakGlass,
        },
        ResourceKind::Matter => Target::Matter {
            matter: "matter-1".into(),
            client: client_facts(rel),
            escalated_to: if rel == Relation::EscalatedTo {
                vec![USER.into()]
            } else {
                vec!["another-officer".into()]
            },
        },
        ResourceKind::Service => Target::Service,
    }
}

#[test]
fn every_cell_of_the_matrix_matches_the_documents() {
    let policy = AccessPolicy::default_policy().unwrap();
    let mut unauthorised = Vec::new();
    let mut wrongly_refused = Vec::new();
    let mut cells = 0;
    for role in Role::ALL {
        let subject = Subject {
            user: USER.into(),
            roles: vec![*role],
        };
        for op in Operation::ALL {
            for rel in RELATIONS {
                cells += 1;
                let got = policy.check(&subject, *op, &target(*op, *rel));
                assert_eq!(got.error, None, "{role} {op} {rel:?}");
                let want = expected(*role, *op, *rel);
                match (got.allowed, want) {
                    (true, false) => unauthorised.push(format!("{role} {op} {rel:?}")),
                    (false, true) => wrongly_refused.push(format!("{role} {op} {rel:?}")),
                    _ => {}
                }
            }
        }
    }
    assert_eq!(
        cells,
        Role::ALL.len() * Operation::ALL.len() * RELATIONS.len()
    );
    assert!(
        unauthorised.is_empty() && wrongly_refused.is_empty(),
        "{cells} cells; unauthorised: {unauthorised:#?}; wrongly refused: {wrongly_refused:#?}"
    );
}

#[test]
fn a_user_without_roles_may_only_read_the_policy() {
    let policy = AccessPolicy::default_policy().unwrap();
    let subject = Subject {
        user: USER.into(),
        roles: vec![],
    };
    for op in Operation::ALL {
        for rel in RELATIONS {
            let got = policy.check(&subject, *op, &target(*op, *rel));
            assert_eq!(got.allowed, *op == Operation::ViewPolicy, "{op} {rel:?}");
        }
    }
}

#[test]
fn an_administrator_who_also_practises_still_sees_no_clinical_content() {
    let policy = AccessPolicy::default_policy().unwrap();
    let subject = Subject {
        user: USER.into(),
        roles: vec![Role::Practitioner, Role::Administrator],
    };
    for op in Operation::ALL {
        if !is_clinical_content(*op) {
            continue;
        }
        for rel in RELATIONS {
            let got = policy.check(&subject, *op, &target(*op, *rel));
            assert!(!got.allowed, "{op} {rel:?}");
        }
    }
    // ...but keeps the practitioner's non-clinical rights on their clients.
    let got = policy.check(
        &subject,
        Operation::ViewRetention,
        &target(Operation::ViewRetention, Relation::Assigned),
    );
    assert!(got.allowed);
}

#[test]
fn an_administrator_who_is_also_a_service_manager_allocates_no_caseload() {
    // "An administrator manages accounts and sees no clinical content at
    // all, whatever other role the account has": giving a client's record
    // to a practitioner of their choosing would be a way round that.
    let policy = AccessPolicy::default_policy().unwrap();
    let manager = Subject {
        user: USER.into(),
        roles: vec![Role::ServiceManager],
    };
    let both = Subject {
        user: USER.into(),
        roles: vec![Role::ServiceManager, Role::Administrator],
    };
    let op = Operation::AssignCaseload;
    assert!(policy.check(&manager, op, &Target::Service).allowed);
    assert!(!policy.check(&both, op, &Target::Service).allowed);
}

#[test]
fn a_programme_lead_who_also_practises_never_reads_their_trainees_personal_material() {
    let policy = AccessPolicy::default_policy().unwrap();
    let subject = Subject {
        user: USER.into(),
        roles: vec![Role::Practitioner, Role::ProgrammeLead],
    };
    // The lead is both assigned and the trainee's programme lead.
    let mut facts = client_facts(Relation::LeadsProgramme);
    facts.assigned.push(USER.into());
    let target = Target::Client {
        facts,
        break_glass: false,
    };
    assert!(
        !policy
            .check(&subject, Operation::ViewNotes, &target)
            .allowed
    );
    assert!(
        policy
            .check(&subject, Operation::ViewProgress, &target)
            .allowed
    );
}

#[test]
fn a_records_manager_assigned_as_practitioner_works_with_their_own_client() {
    let policy = AccessPolicy::default_policy().unwrap();
    let subject = Subject {
        user: USER.into(),
        roles: vec![Role::Practitioner, Role::RecordsManager],
    };
    let assigned = target(Operation::ViewNotes, Relation::Assigned);
    assert!(
        policy
            .check(&subject, Operation::ViewNotes, &assigned)
            .allowed
    );
    let unrelated = target(Operation::ViewNotes, Relation::Unrelated);
    assert!(
        !policy
            .check(&subject, Operation::ViewNotes, &unrelated)
            .allowed
    );
}

#[test]
fn a_refusal_names_no_policy_and_an_allowance_names_the_one_that_allowed_it() {
    let policy = AccessPolicy::default_policy().unwrap();
    let subject = Subject {
        user: USER.into(),
        roles: vec![Role::Supervisor],
    };
    let got = policy.check(
        &subject,
        Operation::ViewDeidentifiedNotes,
        &target(Operation::ViewDeidentifiedNotes, Relation::Supervises),
    );
    assert!(got.allowed);
    assert_eq!(got.policies, vec!["supervisor-deidentified".to_string()]);
    let got = policy.check(
        &subject,
        Operation::ViewClientDetails,
        &target(Operation::ViewClientDetails, Relation::Supervises),
    );
    assert!(!got.allowed);
    assert!(got.policies.is_empty());
}
