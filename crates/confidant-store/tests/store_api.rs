//! Library-level checks of the parts of the record model the CLI does not
//! expose yet (cases, practitioners, consent withdrawal, flags, group
//! commit), on SQLite and, when `CONFIDANT_TEST_DATABASE_URL` is set, on a
//! fresh PostgreSQL database dropped afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{targets, tokio_rt};

use confidant_core::record::{
    CaseKind, ClientFlags, NewClient, NewConsent, NewNote, Role, Timestamp,
};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_crypto::MasterKey;
use confidant_store::{Action, AuditCommitter, Store, StoreError};
use std::sync::Arc;

fn client(name: &str) -> NewClient {
    NewClient {
        name: name.into(),
        ..NewClient::default()
    }
}

#[test]
fn cases_practitioners_consents_and_flags() {
    tokio_rt().block_on(async {
        for t in targets("confidant-api").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), "admin")
                .await
                .unwrap();
            let a = store.add_client("admin", &client("Ann")).await.unwrap();
            let b = store.add_client("admin", &client("Bob")).await.unwrap();
            let p = store
                .add_practitioner("admin", "Dr Carys", &[Role::Practitioner, Role::Supervisor])
                .await
                .unwrap();
            let got = store.get_practitioner(&p).await.unwrap();
            assert_eq!(got.name, "Dr Carys");
            assert_eq!(got.roles, vec![Role::Practitioner, Role::Supervisor]);

            let case = store
                .add_case("admin", CaseKind::Couple, &[a.clone(), b.clone()])
                .await
                .unwrap();
            assert!(matches!(
                store
                    .add_case("admin", CaseKind::Couple, std::slice::from_ref(&a))
                    .await,
                Err(StoreError::InvalidField(_))
            ));
            let c = store.get_case("admin", &case).await.unwrap();
            assert_eq!(c.kind, CaseKind::Couple);
            assert_eq!(c.parties.len(), 2);

            let mut n = NewNote::new(a.clone(), "joint");
            n.case_id = Some(case.clone());
            n.author = Some(p.clone());
            n.parties = vec![a.clone(), b.clone()];
            store.add_note("admin", &n).await.unwrap();
            let notes = store.list_notes("admin", &a).await.unwrap();
            assert_eq!(notes[0].case_id.as_ref(), Some(&case));
            assert_eq!(notes[0].author.as_ref(), Some(&p));

            let consent = store
                .add_consent(
                    "admin",
                    &NewConsent {
                        client_id: b.clone(),
                        case_id: Some(case.clone()),
                        purpose: ConsentPurpose::ReleaseToRequester,
                        form: ConsentForm::Written,
                        status: ConsentStatus::Given,
                        given_at: Some(Timestamp(1_700_000_000_000_000)),
                        withdrawn_at: None,
                        evidence: Some("signed form in the blue folder".into()),
                    },
                )
                .await
                .unwrap();
            store
                .withdraw_consent("admin", &consent, Timestamp(1_800_000_000_000_000))
                .await
                .unwrap();
            let cs = store.list_consents("admin", &b).await.unwrap();
            assert_eq!(cs[0].status, ConsentStatus::Withdrawn);
            assert_eq!(cs[0].given_at, Some(Timestamp(1_700_000_000_000_000)));
            assert_eq!(cs[0].withdrawn_at, Some(Timestamp(1_800_000_000_000_000)));
            assert_eq!(
                cs[0].evidence.as_deref(),
                Some("signed form in the blue folder")
            );

            let flags = ClientFlags {
                protected: true,
                work_ended: true,
                ..ClientFlags::default()
            };
            store.set_client_flags("admin", &a, flags).await.unwrap();
            assert_eq!(store.get_client("admin", &a).await.unwrap().flags, flags);

            assert_eq!(
                store.verify_audit().await.unwrap(),
                Ok(store.audit_tail(1).await.unwrap()[0].seq)
            );
            store.close().await;
        }
    });
}

#[test]
fn group_commit_coalesces_concurrent_appends_into_a_valid_chain() {
    tokio_rt().block_on(async {
        for t in targets("confidant-api").await {
            let store = Arc::new(
                Store::init_with_key(&t.cfg, MasterKey::generate(), "admin")
                    .await
                    .unwrap(),
            );
            let committer = AuditCommitter::start(store.clone());
            let mut tasks = Vec::new();
            for task in 0..32 {
                let c = committer.clone();
                tasks.push(confidant_store::tokio::spawn(async move {
                    for i in 0..50 {
                        c.record(
                            &format!("user-{task}"),
                            Action::Decision,
                            vec![format!("d-{task}-{i}")],
                        )
                        .await
                        .unwrap();
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            // init + 32 * 50 appends, every one acknowledged and chained.
            assert_eq!(store.verify_audit().await.unwrap(), Ok(1 + 32 * 50));
            store.close().await;
        }
    });
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    use confidant_core::record::{CivilDate, FieldError, validate_notes};
    tokio_rt().block_on(async {
        for t in targets("confidant-api").await {
            let cfg = t.cfg.clone().with_max_note_bytes(Some(64));
            let store = Store::init_with_key(&cfg, MasterKey::generate(), "admin")
                .await
                .unwrap();
            let a = store.add_client("admin", &client("Ann")).await.unwrap();
            let head = store.verify_audit().await.unwrap().unwrap();
            fn refused<T>(r: Result<T, StoreError>) -> FieldError {
                match r {
                    Err(StoreError::InvalidField(e)) => e,
                    Err(other) => panic!("expected a field error, got {other}"),
                    Ok(_) => panic!("expected a field error, got success"),
                }
            }
            // Names that are empty once invisible characters are removed.
            for name in ["\u{200B}\u{200D}", " \u{202E}\u{2066} ", "\u{FEFF}\t"] {
                let e = refused(store.add_client("admin", &client(name)).await);
                assert_eq!(e, FieldError::Empty { field: "name" });
            }
            // Dates of birth in the future or before 1900.
            let today = CivilDate::today_utc();
            for dob in [
                CivilDate::from_days_since_epoch(today.days_since_epoch() + 1),
                CivilDate::new(1899, 12, 31).unwrap(),
            ] {
                let mut c = client("Bea");
                c.date_of_birth = Some(dob);
                assert!(matches!(
                    refused(store.add_client("admin", &c).await),
                    FieldError::OutOfRange {
                        field: "date of birth",
                        ..
                    }
                ));
            }
            // The placeholder NHS number never parses.
            assert!(
                "0000000000"
                    .parse::<confidant_core::record::NhsNumber>()
                    .is_err()
            );
            // Consents whose dates contradict their status.
            let mut given_but_withdrawn = NewConsent {
                client_id: a.clone(),
                case_id: None,
                purpose: ConsentPurpose::Research,
                form: ConsentForm::Written,
                status: ConsentStatus::Given,
                given_at: Some(Timestamp(2_000)),
                withdrawn_at: Some(Timestamp(3_000)),
                evidence: None,
            };
            assert!(matches!(
                refused(store.add_consent("admin", &given_but_withdrawn).await),
                FieldError::Inconsistent { .. }
            ));
            given_but_withdrawn.status = ConsentStatus::Withdrawn;
            given_but_withdrawn.withdrawn_at = Some(Timestamp(1_000));
            assert!(matches!(
                refused(store.add_consent("admin", &given_but_withdrawn).await),
                FieldError::Inconsistent { .. }
            ));
            // A note over the configured cap; a batch with one bad note
            // is refused whole, before its first chunk.
            let long = NewNote::new(a.clone(), "x".repeat(65));
            assert!(matches!(
                refused(store.add_note("admin", &long).await),
                FieldError::TooLong { max: 64, .. }
            ));
            let batch = vec![
                NewNote::new(a.clone(), "fine"),
                NewNote::new(a.clone(), "\u{200B}"),
                NewNote::new(a.clone(), "fine too"),
            ];
            assert!(matches!(
                validate_notes(&batch, 64),
                Err(FieldError::InBatch { index: 2, .. })
            ));
            assert!(store.check_notes(&batch).await.is_err());
            let mut unknown = batch.clone();
            unknown[1] = NewNote::new(
                "cl_0000000000000000000000000000beef".parse().unwrap(),
                "fine",
            );
            assert!(matches!(
                store.check_notes(&unknown).await,
                Err(StoreError::UnknownClient)
            ));
            assert!(store.add_notes("admin", &batch).await.is_err());
            // Nothing was written: no note, no consent, no new entry.
            assert_eq!(store.count_notes(&a).await.unwrap(), 0);
            assert_eq!(store.verify_audit().await.unwrap().unwrap(), head);
            // Withdrawn before it was given: refused, consent unchanged.
            given_but_withdrawn.withdrawn_at = None;
            given_but_withdrawn.status = ConsentStatus::Given;
            let id = store
                .add_consent("admin", &given_but_withdrawn)
                .await
                .unwrap();
            assert!(matches!(
                refused(store.withdraw_consent("admin", &id, Timestamp(1_000)).await),
                FieldError::Inconsistent { .. }
            ));
            let cs = store.list_consents("admin", &a).await.unwrap();
            assert_eq!(cs[0].status, ConsentStatus::Given);
            store.close().await;
        }
    });
}
