//! The store's "old format" and "unsigned" states are decided from
//! authenticated state, never from a marker SQL access can delete, and a
//! rolled-back database is refused against the audit witness: deleting
//! `meta.records_format` never re-seals plaintext columns, deleting the
//! recorded public key never gets a replay re-signed, a process without
//! the signing key commits nothing, and a write after a rollback neither
//! commits nor extends the witness. On SQLite and, when
//! `CONFIDANT_TEST_DATABASE_URL` is set, on a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{Target, count, sql, targets, tokio_rt};

use confidant_audit::VerifyError;
use confidant_core::ids::ClientId;
use confidant_core::record::{ClientFlags, HoldReason, NewClient, NewConsent, Timestamp};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_crypto::MasterKey;
use confidant_store::{Store, StoreError};

fn client(name: &str) -> NewClient {
    NewClient {
        name: name.into(),
        ..NewClient::default()
    }
}

fn consent(c: &ClientId) -> NewConsent {
    NewConsent {
        client_id: c.clone(),
        case_id: None,
        purpose: ConsentPurpose::Research,
        form: ConsentForm::Written,
        status: ConsentStatus::Given,
        given_at: Some(Timestamp(1_700_000_000_000_000)),
        withdrawn_at: None,
        evidence: None,
    }
}

fn master(t: &Target) -> MasterKey {
    confidant_store::load_master_key(&t.cfg.data_dir, None).unwrap()
}

fn protected() -> ClientFlags {
    ClientFlags {
        protected: true,
        capacity_concern: true,
        ..ClientFlags::default()
    }
}

#[test]
fn deleting_the_records_format_marker_never_reseals_the_plaintext_columns() {
    tokio_rt().block_on(async {
        for t in targets("confidant-down").await {
            let key = MasterKey::generate();
            let store = Store::init_with_key(&t.cfg, key.clone(), "admin").await.unwrap();
            let a = store.add_client("admin", &client("Ann Other")).await.unwrap();
            store.set_client_flags("admin", &a, protected()).await.unwrap();
            let c = store.add_consent("admin", &consent(&a)).await.unwrap();
            store
                .withdraw_consent("admin", &c, Timestamp(1_710_000_000_000_000))
                .await
                .unwrap();
            let hold = store
                .place_hold("admin", &a, HoldReason::Complaint)
                .await
                .unwrap();
            store.close().await;
            let entries = count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await;
            // SQL only: drop the marker, write the wanted facts into the
            // old plaintext columns the schema-4 upgrade reads.
            sql(
                &t.cfg,
                &[
                    "CREATE TABLE marker_copy AS SELECT * FROM meta WHERE k = 'records_format'",
                    "DELETE FROM meta WHERE k = 'records_format'",
                    &format!("UPDATE clients SET protected = 0, capacity_concern = 0 WHERE id = '{a}'"),
                    &format!(
                        "UPDATE consents SET purpose = 'research', form = 'written', status = 'given', \
                         recorded_at = 1, given_at = 1, withdrawn_at = NULL WHERE id = '{c}'"
                    ),
                    &format!(
                        "UPDATE legal_holds SET reason = 'complaint', placed_at = 1, placed_by = 'x', \
                         released_at = 2 WHERE id = '{hold}'"
                    ),
                ],
            )
            .await;
            // The next open upgrades nothing and signs nothing; every
            // operation names the tampering.
            let store = Store::open(&t.cfg, key.clone()).await.unwrap();
            for err in [
                store.get_client("admin", &a).await.unwrap_err(),
                store.list_consents("admin", &a).await.unwrap_err(),
                store.add_client("admin", &client("Bea Other")).await.unwrap_err(),
                store.verify_store("admin").await.unwrap_err(),
            ] {
                assert!(matches!(err, StoreError::RecordsFormatTampered), "{err}");
                assert!(err.to_string().contains("meta.records_format"), "{err}");
            }
            store.close().await;
            assert_eq!(count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await, entries);
            assert_eq!(count(&t.cfg, "SELECT COUNT(*) FROM meta WHERE k = 'records_format'").await, 0);
            // Restoring the marker shows the sealed facts were never replaced.
            sql(&t.cfg, &["INSERT INTO meta SELECT * FROM marker_copy", "DROP TABLE marker_copy"]).await;
            let store = Store::open(&t.cfg, key).await.unwrap();
            let shown = store.get_client("admin", &a).await.unwrap();
            assert!(shown.flags.protected && shown.flags.capacity_concern);
            let listed = store.list_consents("admin", &a).await.unwrap();
            assert_eq!(listed[0].status, ConsentStatus::Withdrawn);
            let holds = store.list_holds(&a).await.unwrap();
            assert_eq!(holds[0].released_at, None);
            store.verify_store("admin").await.unwrap();
            store.close().await;
        }
    });
}

#[test]
fn a_deleted_public_key_record_is_tampering_never_a_signing_upgrade() {
    tokio_rt().block_on(async {
        for t in targets("confidant-down").await {
            let key = MasterKey::generate();
            let store = Store::init_with_key(&t.cfg, key.clone(), "admin")
                .await
                .unwrap();
            let a = store
                .add_client("admin", &client("Ann Other"))
                .await
                .unwrap();
            let c = store.add_consent("admin", &consent(&a)).await.unwrap();
            store
                .withdraw_consent("admin", &c, Timestamp(1_710_000_000_000_000))
                .await
                .unwrap();
            store.close().await;
            let entries = count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await;
            sql(
                &t.cfg,
                &[
                    "UPDATE audit_state SET sig = NULL, manifest_sig = NULL",
                    "DELETE FROM meta WHERE k = 'audit_public_key'",
                ],
            )
            .await;
            // The signing key is beside the store: no upgrade, no re-signing.
            assert!(t.cfg.signing_key_path().exists());
            let store = Store::open(&t.cfg, key).await.unwrap();
            for err in [
                store.list_consents("admin", &a).await.unwrap_err(),
                store
                    .add_client("admin", &client("Bea Other"))
                    .await
                    .unwrap_err(),
                store.verify_store("admin").await.unwrap_err(),
            ] {
                assert!(matches!(err, StoreError::AuditKeyRecordMissing), "{err}");
                let text = err.to_string();
                assert!(
                    text.contains("meta.audit_public_key") && text.contains("audit verify"),
                    "{text}"
                );
            }
            assert_eq!(
                store.verify_audit_against(None, None).await.unwrap(),
                Err(VerifyError::PublicKeyMissing)
            );
            store.close().await;
            assert_eq!(
                count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await,
                entries
            );
            assert_eq!(
                count(&t.cfg, "SELECT COUNT(*) FROM audit_state WHERE sig IS NULL").await,
                1
            );
            assert_eq!(
                count(
                    &t.cfg,
                    "SELECT COUNT(*) FROM meta WHERE k = 'audit_public_key'"
                )
                .await,
                0
            );
        }
    });
}

#[test]
fn a_process_without_the_signing_key_commits_nothing() {
    tokio_rt().block_on(async {
        for t in targets("confidant-down").await {
            let key = MasterKey::generate();
            let store = Store::init_with_key(&t.cfg, key.clone(), "admin")
                .await
                .unwrap();
            let a = store
                .add_client("admin", &client("Ann Other"))
                .await
                .unwrap();
            let hold = store
                .place_hold("admin", &a, HoldReason::CourtApplication)
                .await
                .unwrap();
            store.close().await;
            // Someone with the master key (and the database) but not the
            // signing key; with the key record deleted too.
            let signing = t.cfg.signing_key_path();
            let aside = t.cfg.data_dir.join("signing-aside");
            std::fs::rename(&signing, &aside).unwrap();
            let entries = count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await;
            for drop_record in [false, true] {
                if drop_record {
                    sql(&t.cfg, &["DELETE FROM meta WHERE k = 'audit_public_key'"]).await;
                }
                let store = Store::open(&t.cfg, master(&t)).await.unwrap();
                assert!(!store.has_signing_key());
                let err = store.release_hold("admin", &hold).await.unwrap_err();
                assert!(
                    matches!(err, StoreError::AuditSigningKeyMissing(_)),
                    "{err}"
                );
                let err = store
                    .add_client("admin", &client("Bea Other"))
                    .await
                    .unwrap_err();
                assert!(
                    matches!(err, StoreError::AuditSigningKeyMissing(_)),
                    "{err}"
                );
                store.close().await;
                // No key of its own was made to "upgrade" with.
                assert!(!signing.exists());
                assert_eq!(
                    count(&t.cfg, "SELECT COUNT(*) FROM audit_entries").await,
                    entries
                );
                assert_eq!(
                    count(&t.cfg, "SELECT COUNT(*) FROM audit_state WHERE sig IS NULL").await,
                    0
                );
            }
            // With the real key back the hold is still standing, and the
            // missing record is reported, never re-signed.
            std::fs::rename(&aside, &signing).unwrap();
            let store = Store::open(&t.cfg, key).await.unwrap();
            let err = store
                .add_client("admin", &client("Bea Other"))
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::AuditKeyRecordMissing), "{err}");
            assert_eq!(store.list_holds(&a).await.unwrap()[0].released_at, None);
            store.close().await;
        }
    });
}

#[test]
fn after_a_rollback_nothing_is_written_and_the_witness_is_left_alone() {
    tokio_rt().block_on(async {
        for t in targets("confidant-down").await {
            let witness = t.cfg.data_dir.with_extension("witness");
            let cfg = t.cfg.clone().with_audit_witness(Some(witness.clone()));
            let key = MasterKey::generate();
            let store = Store::init_with_key(&cfg, key.clone(), "admin").await.unwrap();
            let a = store.add_client("admin", &client("Ann Other")).await.unwrap();
            // The state to roll back to: the checkpoint and the log so far.
            sql(
                &t.cfg,
                &[
                    "CREATE TABLE old_state AS SELECT * FROM audit_state",
                    "CREATE TABLE old_seq AS SELECT MAX(seq) AS m FROM audit_entries",
                ],
            )
            .await;
            // Audited reads: only the log moves on, and the witness with it.
            store.get_client("admin", &a).await.unwrap();
            store.get_client("admin", &a).await.unwrap();
            assert!(store.take_witness_error().is_none());
            store.close().await;
            let published = std::fs::read(&witness).unwrap();
            let last = confidant_store::read_published_head(witness.to_str().unwrap()).unwrap();
            sql(
                &t.cfg,
                &[
                    "DELETE FROM audit_state",
                    "INSERT INTO audit_state SELECT * FROM old_state",
                    "DELETE FROM audit_entries WHERE seq > (SELECT m FROM old_seq)",
                ],
            )
            .await;
            let store = Store::open(&cfg, key).await.unwrap();
            for err in [
                store.get_client("admin", &a).await.unwrap_err(),
                store.add_client("admin", &client("Bea Other")).await.unwrap_err(),
            ] {
                assert!(
                    matches!(err, StoreError::WitnessRollback { published, .. } if published == last.count),
                    "{err}"
                );
                assert!(err.to_string().contains("rolled back"), "{err}");
            }
            store.close().await;
            // Nothing committed, nothing appended to the witness, and the
            // rollback still shows against it.
            assert_eq!(std::fs::read(&witness).unwrap(), published);
            let store = Store::open(&cfg, master(&t)).await.unwrap();
            assert!(matches!(
                store.verify_audit_against(None, Some(&last)).await.unwrap(),
                Err(VerifyError::RolledBack { .. })
            ));
            store.close().await;
            let _ = std::fs::remove_file(&witness);
        }
    });
}
