//! Subject access and retention end to end through the application layer,
//! on SQLite and (with CONFIDANT_TEST_DATABASE_URL) a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{A, d, refused, rt, targets, unique};

use confidant_core::record::{
    CaseKind, ClientFlags, HoldReason, NewClient, NewConsent, NewNote, Timestamp,
};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_crypto::MasterKey;
use confidant_service::Service;
use confidant_service::package::DeliverTo;
use confidant_service::retention::RetentionState;
use confidant_service::sar::{
    FeeGrounds, OnBehalf, OpenSar, RefusalGrounds, Respond, SarFilter, Withheld,
};
use confidant_store::Store;
use std::io::Read;

fn decrypt(path: &std::path::Path, pass: &str) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let dec = age::Decryptor::new(&bytes[..]).unwrap();
    let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(pass.to_owned()));
    let mut r = dec
        .decrypt(std::iter::once(&id as &dyn age::Identity))
        .unwrap();
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn sar_from_receipt_through_extension_to_a_complete_redacted_response() {
    rt().block_on(async {
        for t in targets("confidant-sar").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            let sam = s
                .add_client(
                    A,
                    &NewClient {
                        name: "Samira Quentin".into(),
                        email: Some("samira@example.org".into()),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            let partner = s
                .add_client(
                    A,
                    &NewClient {
                        name: "Horatio Blenkinsop".into(),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            let case = s
                .add_case(A, CaseKind::Couple, &[sam.clone(), partner.clone()])
                .await
                .unwrap();
            let mut n1 = NewNote::new(
                sam.clone(),
                "Samira Quentin said Horatio Blenkinsop shouted at her on Friday.",
            );
            n1.case_id = Some(case.clone());
            n1.parties = vec![sam.clone(), partner.clone()];
            let n1 = s.add_note(A, &n1).await.unwrap();
            let n2 = s
                .add_note(
                    A,
                    &NewNote::new(sam.clone(), "Individual session; low mood."),
                )
                .await
                .unwrap();
            s.add_consent(
                A,
                &NewConsent {
                    client_id: sam.clone(),
                    case_id: None,
                    purpose: ConsentPurpose::ReleaseToRequester,
                    form: ConsentForm::Written,
                    status: ConsentStatus::Given,
                    given_at: Some(Timestamp::from_date(d("2026-01-05"))),
                    withdrawn_at: None,
                    evidence: None,
                },
            )
            .await
            .unwrap();

            // Received 31 January 2026 by email from an unknown address:
            // identity to be checked first.
            let sar = svc
                .open_sar(
                    A,
                    &OpenSar {
                        client_id: sam.clone(),
                        received_at: Timestamp::parse("2026-01-31T10:00:00Z", "t").unwrap(),
                        identity_check: true,
                        on_behalf: None,
                        wording: Some("I want everything you've got on me".into()),
                        policy: "ukcp".into(),
                    },
                )
                .await
                .unwrap();
            let out = std::env::temp_dir().join(unique("sar-out"));
            std::fs::create_dir_all(&out).unwrap();
            let respond = |on: &str| Respond {
                on: Some(d(on)),
                consenting_third_parties: vec![],
                withheld: vec![],
                to: DeliverTo::Passphrase("correct horse battery".into()),
                out_dir: out.clone(),
            };
            // No response before identity is confirmed; nothing written.
            let steps = s.get_matter(A, &sar).await.unwrap().steps.len();
            refused(
                svc.respond_sar(A, &sar, &respond("2026-02-02")).await,
                "identity",
            );
            assert_eq!(s.get_matter(A, &sar).await.unwrap().steps.len(), steps);
            assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);

            svc.confirm_sar_identity(A, &sar, Some(d("2026-02-02")))
                .await
                .unwrap();
            let v = svc.show_sar(A, &sar).await.unwrap();
            // Clock from 2 February: due Monday 2 March.
            assert_eq!(v.clock.first_month_due.unwrap().to_string(), "2026-03-02");

            // An extension notified after the first month is refused.
            refused(
                svc.extend_sar(A, &sar, Some(d("2026-03-05")), 2, "many records")
                    .await,
                "within the first month",
            );
            refused(
                svc.extend_sar(A, &sar, Some(d("2026-02-10")), 2, " ").await,
                "reasons",
            );
            svc.extend_sar(
                A,
                &sar,
                Some(d("2026-02-10")),
                2,
                "records across three services",
            )
            .await
            .unwrap();
            let v = svc.show_sar(A, &sar).await.unwrap();
            // 2 May is a Saturday; the default calendar has no holidays.
            assert_eq!(v.clock.due.unwrap().to_string(), "2026-05-04");
            let listed = svc.list_sars(A, None, SarFilter::Due).await.unwrap();
            assert_eq!(listed.len(), 1);

            // The exemption needs a professional's opinion and its date.
            let mut bad = respond("2026-04-01");
            bad.withheld = vec![Withheld {
                note_id: n2.clone(),
                professional: "".into(),
                opinion_date: "2026-03-30".into(),
            }];
            refused(svc.respond_sar(A, &sar, &bad).await, "must not be empty");
            bad.withheld[0].professional = "Dr Ng, consultant psychiatrist".into();
            bad.withheld[0].opinion_date = "soon".into();
            refused(svc.respond_sar(A, &sar, &bad).await, "opinion");
            assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);

            let file = svc
                .respond_sar(A, &sar, &respond("2026-04-01"))
                .await
                .unwrap();
            let doc = decrypt(&file, "correct horse battery");
            let text = doc.to_string();
            assert!(
                !text.contains("Horatio"),
                "a third party's name is in the response"
            );
            assert!(!text.contains("Blenkinsop"));
            assert!(text.contains("Samira"));
            let notes = doc["notes"].as_array().unwrap();
            assert_eq!(notes.len(), 2);
            for id in [&n1, &n2] {
                assert!(text.contains(id.as_str()));
            }
            assert_eq!(doc["consents"].as_array().unwrap().len(), 1);
            assert!(!doc["decisions"].as_array().unwrap().is_empty());
            assert!(!doc["access_log"].as_array().unwrap().is_empty());
            assert!(doc["disclosures"].is_array());
            // Answered: closed, no second response.
            refused(
                svc.respond_sar(A, &sar, &respond("2026-04-02")).await,
                "already",
            );
            let v = svc.show_sar(A, &sar).await.unwrap();
            assert_eq!(v.outcome, "responded");
            // The access log names the reads of the record.
            let log = svc.access_log(A, &sam).await.unwrap();
            assert!(log.iter().any(|e| e.action.as_str() == "note.read"));
            assert!(
                log.iter()
                    .all(|e| e.record_ids.iter().any(|i| i == sam.as_str()))
            );
            let _ = std::fs::remove_dir_all(&out);

            // On someone's behalf, refused as manifestly excessive.
            let sar2 = svc
                .open_sar(
                    A,
                    &OpenSar {
                        client_id: sam.clone(),
                        received_at: Timestamp::parse("2026-04-03T09:00:00Z", "t").unwrap(),
                        identity_check: false,
                        on_behalf: Some(OnBehalf {
                            requester: "J. Solicitor LLP".into(),
                            authority: "written-authorisation".parse().unwrap(),
                            evidence: "signed authority dated 2026-04-01".into(),
                            child_view: None,
                            child_not_competent: None,
                        }),
                        wording: None,
                        policy: "ukcp".into(),
                    },
                )
                .await
                .unwrap();
            let letter = svc
                .refuse_sar(
                    A,
                    &sar2,
                    Some(d("2026-04-06")),
                    RefusalGrounds::ManifestlyExcessive,
                    "a repeat of the request answered on 1 April with nothing new since",
                )
                .await
                .unwrap();
            assert!(letter.contains("Information Commissioner"));
            assert!(letter.contains("judicial remedy"));
            assert_eq!(svc.show_sar(A, &sar2).await.unwrap().outcome, "refused");
            svc.close().await;
        }
    });
}

#[test]
fn sweep_destroys_what_is_due_and_skips_holds() {
    rt().block_on(async {
        for t in targets("confidant-sar").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            // Work ended: the uk-law default (six years after the end of the
            // work) has run by 2040; the work of `ongoing` has not ended.
            let mk = |name: &str| NewClient {
                name: name.into(),
                ..NewClient::default()
            };
            let due = s.add_client(A, &mk("Due Person")).await.unwrap();
            let held = s.add_client(A, &mk("Held Person")).await.unwrap();
            let ongoing = s.add_client(A, &mk("Ongoing Person")).await.unwrap();
            for c in [&due, &held] {
                s.set_client_flags(
                    A,
                    c,
                    ClientFlags {
                        work_ended: true,
                        ..ClientFlags::default()
                    },
                )
                .await
                .unwrap();
                s.add_note(A, &NewNote::new(c.clone(), "session"))
                    .await
                    .unwrap();
            }
            s.place_hold(A, &held, HoldReason::Complaint).await.unwrap();

            let by = Some(d("2040-01-01"));
            let rows = svc.retention_due(A, "handcrafted", by).await.unwrap();
            let of = |c: &confidant_core::ids::ClientId| {
                rows.iter().find(|r| &r.client_id == c).unwrap().clone()
            };
            assert_eq!(of(&due).state, RetentionState::Due);
            assert_eq!(of(&held).state, RetentionState::Due);
            assert!(of(&held).on_hold);
            assert_eq!(of(&ongoing).state, RetentionState::NotStarted);

            // Dry run by default: nothing destroyed.
            let dry = svc
                .retention_sweep(A, "handcrafted", by, &[], false)
                .await
                .unwrap();
            assert_eq!(dry.destroyed.len(), 1);
            assert_eq!(dry.held.len(), 1);
            s.get_client(A, &due).await.unwrap();

            // --apply only destroys what is due today, never later dates.
            refused(
                svc.retention_sweep(A, "handcrafted", by, &[], true).await,
                "dry run",
            );
            svc.close().await;
        }
    });
}

#[test]
fn a_sweep_that_would_destroy_a_held_client_is_refused() {
    rt().block_on(async {
        for t in targets("confidant-sar").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            let due = s
                .add_client(
                    A,
                    &NewClient {
                        name: "Due Now".into(),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            let held = s
                .add_client(
                    A,
                    &NewClient {
                        name: "Held Now".into(),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            s.place_hold(A, &held, HoldReason::Complaint).await.unwrap();
            // A policy whose period runs out on the day the record opens.
            let dir = std::env::temp_dir().join(unique("sweep-policy"));
            std::fs::create_dir_all(&dir).unwrap();
            let text = confidant_policy::Policy::builtin_text("wwdd-coaching")
                .unwrap()
                .replacen("months = 36", "months = 0", 1)
                .replacen(
                    "from = \"the last session\"",
                    "from = \"the record was opened\"",
                    1,
                );
            let path = dir.join("p.toml");
            std::fs::write(&path, text).unwrap();
            let p = path.to_str().unwrap();

            refused(
                svc.retention_sweep(A, p, None, &[held.clone(), due.clone()], true)
                    .await,
                "legal hold",
            );
            s.get_client(A, &due).await.unwrap();
            s.get_client(A, &held).await.unwrap();

            let report = svc.retention_sweep(A, p, None, &[], true).await.unwrap();
            assert_eq!(report.destroyed.len(), 1);
            assert_eq!(report.destroyed[0].client_id, due);
            assert_eq!(report.held.len(), 1);
            assert_eq!(report.certificates.len(), 1);
            let cert = serde_json::to_string(&report.certificates[0].certificate).unwrap();
            assert!(cert.contains("the record was opened"), "{cert}");
            assert!(s.get_client(A, &due).await.is_err());
            s.get_client(A, &held).await.unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            svc.close().await;
        }
    });
}

#[test]
fn requests_on_behalf_record_the_authority_and_the_childs_view() {
    rt().block_on(async {
        for t in targets("confidant-sar").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            let child = s
                .add_client(
                    A,
                    &NewClient {
                        name: "Pip Younger".into(),
                        date_of_birth: Some(d("2012-05-01")),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            let adult = s
                .add_client(
                    A,
                    &NewClient {
                        name: "Ada Older".into(),
                        date_of_birth: Some(d("1980-05-01")),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            let req = |client: &confidant_core::ids::ClientId, b: OnBehalf| OpenSar {
                client_id: client.clone(),
                received_at: Timestamp::parse("2026-03-02T10:00:00Z", "t").unwrap(),
                identity_check: true,
                on_behalf: Some(b),
                wording: None,
                policy: "wwdd-coaching".into(),
            };
            let parent = |view: Option<&str>, not: Option<&str>| OnBehalf {
                requester: "a parent".into(),
                authority: "parental-responsibility".parse().unwrap(),
                evidence: "birth certificate seen".into(),
                child_view: view.map(str::to_owned),
                child_not_competent: not.map(str::to_owned),
            };
            refused(
                svc.open_sar(A, &req(&child, parent(None, None))).await,
                "child's own view",
            );
            refused(
                svc.open_sar(A, &req(&child, parent(Some("happy"), Some("too young"))))
                    .await,
                "not both",
            );
            refused(
                svc.open_sar(A, &req(&adult, parent(Some("fine"), None)))
                    .await,
                "ends at 18",
            );
            let mut attorney = parent(Some("fine"), None);
            attorney.authority = "attorney".parse().unwrap();
            refused(
                svc.open_sar(A, &req(&adult, attorney.clone())).await,
                "parental responsibility",
            );
            // Nothing was opened by the refused requests.
            assert!(
                svc.list_sars(A, None, SarFilter::All)
                    .await
                    .unwrap()
                    .is_empty()
            );

            let sar = svc
                .open_sar(
                    A,
                    &req(
                        &child,
                        parent(
                            Some("agrees that the parent sees the session summaries"),
                            None,
                        ),
                    ),
                )
                .await
                .unwrap();
            let v = svc.show_sar(A, &sar).await.unwrap();
            let b = v.on_behalf.unwrap();
            assert_eq!(b.authority, "parental-responsibility".parse().unwrap());
            assert!(b.child_view.unwrap().contains("agrees"));
            attorney.child_view = None;
            svc.open_sar(A, &req(&adult, attorney)).await.unwrap();
            svc.close().await;
        }
    });
}

#[test]
fn the_serious_harm_exemption_needs_a_current_opinion_and_the_response_states_the_rights() {
    rt().block_on(async {
        for t in targets("confidant-sar").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            let c = s
                .add_client(
                    A,
                    &NewClient {
                        name: "Morwenna Tregear".into(),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            let kept = s
                .add_note(A, &NewNote::new(c.clone(), "Talked about the new job."))
                .await
                .unwrap();
            let harmful = s
                .add_note(
                    A,
                    &NewNote::new(
                        c.clone(),
                        "Formulation marmalade-seven for the psychiatrist.",
                    ),
                )
                .await
                .unwrap();
            let sar = svc
                .open_sar(
                    A,
                    &OpenSar {
                        client_id: c.clone(),
                        received_at: Timestamp::parse("2026-03-02T10:00:00Z", "t").unwrap(),
                        identity_check: false,
                        on_behalf: None,
                        wording: Some("copy of my file please".into()),
                        policy: "wwdd-coaching".into(),
                    },
                )
                .await
                .unwrap();
            let out = std::env::temp_dir().join(unique("sar-harm"));
            std::fs::create_dir_all(&out).unwrap();
            let respond = |opinion: &str| Respond {
                on: Some(d("2026-03-20")),
                consenting_third_parties: vec![],
                withheld: vec![Withheld {
                    note_id: harmful.clone(),
                    professional: "Dr Ng, consultant psychiatrist".into(),
                    opinion_date: opinion.into(),
                }],
                to: DeliverTo::Passphrase("correct horse battery".into()),
                out_dir: out.clone(),
            };
            // An opinion more than six months old does not count.
            refused(
                svc.respond_sar(A, &sar, &respond("2025-09-01")).await,
                "six months",
            );
            refused(
                svc.respond_sar(A, &sar, &respond("2026-03-21")).await,
                "after",
            );
            assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
            assert_eq!(svc.show_sar(A, &sar).await.unwrap().outcome, "open");

            let file = svc
                .respond_sar(A, &sar, &respond("2026-03-10"))
                .await
                .unwrap();
            let doc = decrypt(&file, "correct horse battery");
            let text = doc.to_string();
            assert!(
                !text.contains("marmalade"),
                "withheld text is in the response"
            );
            assert!(text.contains("new job"));
            assert!(text.contains(kept.as_str()) && text.contains(harmful.as_str()));
            assert_eq!(doc["withheld"][0]["note_id"], harmful.as_str());
            let rights = doc["your_rights"].as_str().unwrap();
            assert!(rights.contains("serious harm"), "{rights}");
            assert!(rights.contains("Information Commissioner"), "{rights}");
            assert!(rights.contains("judicial remedy"), "{rights}");
            assert_eq!(doc["fee"], serde_json::Value::Null);
            assert!(
                doc["subject_access_response"]["fee"]
                    .as_str()
                    .unwrap()
                    .contains("none")
            );
            let _ = std::fs::remove_dir_all(&out);
            svc.close().await;
        }
    });
}

#[test]
fn a_fee_needs_a_ground_pauses_the_clock_until_paid_and_the_response_states_it() {
    rt().block_on(async {
        for t in targets("confidant-sar").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            let c = s
                .add_client(
                    A,
                    &NewClient {
                        name: "Odile Farquharson".into(),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            let open = |at: &str| OpenSar {
                client_id: c.clone(),
                received_at: Timestamp::parse(at, "t").unwrap(),
                identity_check: false,
                on_behalf: None,
                wording: None,
                policy: "ukcp".into(),
            };
            let sar = svc
                .open_sar(A, &open("2026-03-02T10:00:00Z"))
                .await
                .unwrap();
            // The same request paused for clarification over the same days:
            // a fee stops the clock exactly as a clarification does.
            let twin = svc
                .open_sar(A, &open("2026-03-02T10:00:00Z"))
                .await
                .unwrap();
            let due_before = svc.show_sar(A, &sar).await.unwrap().clock.due.unwrap();
            let steps = || async { s.get_matter(A, &sar).await.unwrap().steps.len() };
            let n = steps().await;

            // No ground, no fee: refused, nothing written.
            refused("admin-costs".parse::<FeeGrounds>(), "manifestly-unfounded");
            refused(
                svc.sar_fee(
                    A,
                    &sar,
                    Some(d("2026-03-10")),
                    0,
                    FeeGrounds::ManifestlyExcessive,
                    "fourth request this month",
                )
                .await,
                "--amount-pence",
            );
            refused(
                svc.sar_fee(
                    A,
                    &sar,
                    Some(d("2026-03-10")),
                    2500,
                    FeeGrounds::ManifestlyExcessive,
                    "  ",
                )
                .await,
                "--note",
            );
            refused(
                svc.sar_fee_paid(A, &sar, Some(d("2026-03-10"))).await,
                "no fee",
            );
            assert_eq!(steps().await, n);
            assert!(svc.show_sar(A, &sar).await.unwrap().fees.is_empty());

            svc.sar_fee(
                A,
                &sar,
                Some(d("2026-03-10")),
                2500,
                FeeGrounds::ManifestlyExcessive,
                "fourth identical request this month",
            )
            .await
            .unwrap();
            svc.pause_sar(A, &twin, Some(d("2026-03-10")), "which years?")
                .await
                .unwrap();
            let v = svc.show_sar(A, &sar).await.unwrap();
            assert_eq!(v.fees.len(), 1);
            assert!(v.fees[0].paid_on.is_none());
            let n = steps().await;
            // Unpaid: a second fee, a clarification resume and a response
            // are all refused.
            refused(
                svc.sar_fee(
                    A,
                    &sar,
                    Some(d("2026-03-11")),
                    100,
                    FeeGrounds::FurtherCopies,
                    "a second copy",
                )
                .await,
                "not yet paid",
            );
            refused(
                svc.resume_sar(A, &sar, Some(d("2026-03-12"))).await,
                "fee-paid",
            );
            let out = std::env::temp_dir().join(unique("sar-fee-out"));
            std::fs::create_dir_all(&out).unwrap();
            let respond = Respond {
                on: Some(d("2026-03-25")),
                consenting_third_parties: vec![],
                withheld: vec![],
                to: DeliverTo::Passphrase("fee test pass".into()),
                out_dir: out.clone(),
            };
            assert!(svc.respond_sar(A, &sar, &respond).await.is_err());
            refused(
                svc.sar_fee_paid(A, &sar, Some(d("2026-03-09"))).await,
                "2026-03-10",
            );
            assert_eq!(steps().await, n);
            assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);

            svc.sar_fee_paid(A, &sar, Some(d("2026-03-20")))
                .await
                .unwrap();
            svc.resume_sar(A, &twin, Some(d("2026-03-20")))
                .await
                .unwrap();
            let v = svc.show_sar(A, &sar).await.unwrap();
            let due_after = v.clock.due.unwrap();
            assert!(due_after > due_before, "{due_after} !> {due_before}");
            assert_eq!(
                Some(due_after),
                svc.show_sar(A, &twin).await.unwrap().clock.due
            );
            assert_eq!(v.fees[0].paid_on.as_deref(), Some("2026-03-20"));
            refused(
                svc.sar_fee_paid(A, &sar, Some(d("2026-03-21"))).await,
                "no fee",
            );

            let file = svc.respond_sar(A, &sar, &respond).await.unwrap();
            let doc = decrypt(&file, "fee test pass");
            let fee = doc["subject_access_response"]["fee"].as_str().unwrap();
            assert!(fee.contains("£25.00"), "{fee}");
            assert!(fee.contains("manifestly excessive"), "{fee}");
            assert!(fee.contains("2026-03-20"), "{fee}");
            let _ = std::fs::remove_dir_all(&out);
            svc.close().await;
        }
    });
}
