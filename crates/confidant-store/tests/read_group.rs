//! Issue 11: reads checked in a read-only snapshot and audited by a group
//! commit. Every concurrent read is audited exactly once in the one chain,
//! which verifies; a read whose audit commit fails returns no plaintext;
//! `add_clients` registers a batch in one transaction or nothing. On SQLite
//! and, when `CONFIDANT_TEST_DATABASE_URL` is set, on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{count, sql, targets, tokio_rt};

use confidant_core::record::{NewClient, NewNote};
use confidant_crypto::MasterKey;
use confidant_store::{Store, StoreError};
use std::sync::Arc;

fn client(name: &str) -> NewClient {
    NewClient {
        name: name.into(),
        ..NewClient::default()
    }
}

#[test]
fn concurrent_reads_are_each_audited_once_in_one_verifying_chain() {
    tokio_rt().block_on(async {
        for t in targets("confidant-readgroup").await {
            let store = Arc::new(
                Store::init_with_key(&t.cfg, MasterKey::generate(), "admin")
                    .await
                    .unwrap(),
            );
            let ids = store
                .add_clients(
                    "admin",
                    &(0..8)
                        .map(|i| client(&format!("Reader Client{i}")))
                        .collect::<Vec<_>>(),
                )
                .await
                .unwrap();
            store
                .add_note("admin", &NewNote::new(ids[0].clone(), "A note."))
                .await
                .unwrap();
            let before = count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await;
            let mut tasks = Vec::new();
            for i in 0..64usize {
                let (s, id) = (store.clone(), ids[i % ids.len()].clone());
                tasks.push(confidant_store::tokio::spawn(async move {
                    let c = s.get_client(&format!("reader{i}"), &id).await.unwrap();
                    assert_eq!(c.id, id);
                    if i % 8 == 0 {
                        assert_eq!(
                            s.list_notes(&format!("reader{i}"), &id)
                                .await
                                .unwrap()
                                .len(),
                            1
                        );
                    }
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
            // 64 client reads and 8 note reads, each exactly once.
            assert_eq!(
                count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await - before,
                72
            );
            assert_eq!(
                count(
                    &t.cfg,
                    "SELECT COUNT(DISTINCT actor) FROM audit_entries WHERE action = 'client.read'"
                )
                .await,
                64
            );
            assert!(store.verify_audit().await.unwrap().is_ok());
            assert_eq!(store.verify_store("admin").await.unwrap().clients, 8);
            Arc::try_unwrap(store).unwrap().close().await;
        }
    });
}

#[test]
fn a_read_whose_audit_entry_cannot_be_committed_returns_nothing() {
    tokio_rt().block_on(async {
        for t in targets("confidant-readgroup").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), "admin")
                .await
                .unwrap();
            let a = store
                .add_client("admin", &client("Ann Other"))
                .await
                .unwrap();
            let entries = count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await;
            // A forged checkpoint: the rows still read and check, but the
            // read's entry cannot be appended, so the read must fail.
            sql(&t.cfg, &["UPDATE audit_state SET mac = head_hash"]).await;
            let err = store.get_client("admin", &a).await.unwrap_err();
            assert!(matches!(err, StoreError::AuditCheckpointInvalid), "{err}");
            assert!(store.list_notes("admin", &a).await.is_err());
            assert!(store.list_consents("admin", &a).await.is_err());
            assert_eq!(
                count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await,
                entries
            );
            store.close().await;
        }
    });
}

#[test]
fn add_clients_registers_a_batch_in_one_transaction_or_nothing() {
    tokio_rt().block_on(async {
        for t in targets("confidant-readgroup").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), "admin")
                .await
                .unwrap();
            let ids = store
                .add_clients(
                    "admin",
                    &[client("Bo One"), client("Cy Two"), client("Di Three")],
                )
                .await
                .unwrap();
            assert_eq!(ids.len(), 3);
            assert_eq!(
                store.get_client("admin", &ids[1]).await.unwrap().name,
                "Cy Two"
            );
            assert_eq!(
                count(
                    &t.cfg,
                    "SELECT COUNT(*) FROM audit_entries WHERE action = 'client.create'"
                )
                .await,
                3
            );
            assert_eq!(store.verify_store("admin").await.unwrap().clients, 3);
            // One bad client refuses the whole batch, nothing written.
            let entries = count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await;
            assert!(
                store
                    .add_clients("admin", &[client("Ed Four"), client("  ")])
                    .await
                    .is_err()
            );
            assert_eq!(count(&t.cfg, "SELECT COUNT(*) FROM clients").await, 3);
            assert_eq!(
                count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await,
                entries
            );
            store.close().await;
        }
    });
}
