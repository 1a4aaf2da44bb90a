//! A complaint and its legal hold are written together or not at all, on
//! both backends (PostgreSQL with CONFIDANT_TEST_DATABASE_URL): opening
//! places the hold and records the complaint in one store transaction, and
//! closing records the outcome and releases the hold in one transaction.
//! Each test makes the second half fail and shows the first half was
//! rolled back with it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{A, rt, targets};

use confidant_core::record::NewClient;
use confidant_crypto::MasterKey;
use confidant_service::Service;
use confidant_service::promises::{ComplaintOutcome, ComplaintRoute};
use confidant_store::{NewPromise, PromiseKind, Store};

async fn setup(t: &common::Target) -> (Service, confidant_core::ids::ClientId) {
    let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
        .await
        .unwrap();
    let svc = Service::new(store);
    let c = svc
        .store()
        .add_client(
            A,
            &NewClient {
                name: "Complaining Client".into(),
                ..NewClient::default()
            },
        )
        .await
        .unwrap();
    (svc, c)
}

async fn count(svc: &Service, action: &str) -> usize {
    svc.store()
        .audit_tail(10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action.as_str() == action)
        .count()
}

#[test]
fn a_complaint_that_cannot_be_recorded_places_no_hold() {
    rt().block_on(async {
        for t in targets("confidant-ctx").await {
            let (svc, c) = setup(&t).await;
            // A body the store cannot record (not an object): the hold
            // placed in the same transaction goes with it.
            let bad = NewPromise {
                client_id: c.clone(),
                kind: PromiseKind::ComplaintOpened,
                ref_id: None,
                body: serde_json::json!("not an object"),
            };
            assert!(svc.store().open_complaint(A, &bad).await.is_err());
            assert!(svc.list_holds(A, &c).await.unwrap().is_empty());
            assert_eq!(count(&svc, "legal_hold.set").await, 0);
            assert!(svc.promises(A, &c).await.unwrap().complaints.is_empty());

            // The service's own opening: both, with the hold's id in the
            // complaint.
            let (complaint, hold) = svc
                .open_complaint(A, &c, ComplaintRoute::Internal, None, "late reply", None)
                .await
                .unwrap();
            let v = svc.promises(A, &c).await.unwrap();
            assert_eq!(v.complaints.len(), 1);
            assert_eq!(v.complaints[0].id, complaint);
            assert_eq!(v.complaints[0].complaint.hold_id, hold);
            let holds = svc.list_holds(A, &c).await.unwrap();
            assert_eq!(holds.len(), 1);
            assert_eq!(holds[0].id, hold);
            assert_eq!(count(&svc, "legal_hold.set").await, 1);
            svc.close().await;
        }
    });
}

#[test]
fn a_closing_whose_release_fails_is_not_recorded() {
    rt().block_on(async {
        for t in targets("confidant-ctx").await {
            let (svc, c) = setup(&t).await;
            let (complaint, hold) = svc
                .open_complaint(A, &c, ComplaintRoute::Internal, None, "late reply", None)
                .await
                .unwrap();
            // Released underneath (as a store operation, not the service's
            // refusal): the closing's release then fails, and the closing
            // is rolled back with it.
            svc.store().release_hold(A, &hold).await.unwrap();
            let closing = NewPromise {
                client_id: c.clone(),
                kind: PromiseKind::ComplaintClosed,
                ref_id: Some(complaint.to_string()),
                body: serde_json::json!({
                    "complaint_id": complaint, "outcome": "resolved", "note": "apology",
                    "closed_on": "2026-01-01", "hold_id": hold,
                }),
            };
            assert!(
                svc.store()
                    .close_complaint(A, &closing, Some(&hold))
                    .await
                    .is_err()
            );
            let v = svc.promises(A, &c).await.unwrap();
            assert!(
                v.complaints[0].closed.is_none(),
                "the closing was rolled back"
            );

            // The service closes it (the hold no longer stands, so only the
            // closing is written), once.
            svc.close_complaint(
                A,
                &c,
                &complaint,
                ComplaintOutcome::Resolved,
                "apology",
                None,
            )
            .await
            .unwrap();
            let v = svc.promises(A, &c).await.unwrap();
            assert!(v.complaints[0].closed.is_some());
            assert!(
                svc.close_complaint(A, &c, &complaint, ComplaintOutcome::Resolved, "again", None)
                    .await
                    .is_err()
            );
            svc.close().await;
        }
    });
}
