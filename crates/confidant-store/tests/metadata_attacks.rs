//! Issue 8 part A, the attacks on the store's metadata: SQL edits of
//! consents, flags, holds and links, a deleted note, a whole client deleted
//! with the manifest restored, and a client's earlier rows replayed. Each
//! must end in a clear error naming the table and row (or failed
//! verification), never in a forged fact being read. On SQLite and, when
//! `CONFIDANT_TEST_DATABASE_URL` is set, on a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{Target, count, sql, targets, tokio_rt};

use confidant_core::ids::ClientId;
use confidant_core::record::{
    CaseKind, ClientFlags, HoldReason, NewClient, NewConsent, NewNote, Timestamp,
};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_crypto::MasterKey;
use confidant_store::{Store, StoreError};

fn named(err: StoreError, table: &str, row: &str) {
    let text = err.to_string();
    assert!(
        matches!(&err, StoreError::Tampered { table: t, row: r } if *t == table && r == row),
        "expected tampering in {table} {row}, got: {text}"
    );
    assert!(
        text.starts_with(&format!("record tampered: {table} {row}")),
        "{text}"
    );
}

fn client(name: &str) -> NewClient {
    NewClient {
        name: name.into(),
        ..NewClient::default()
    }
}

fn consent(c: &ClientId, status: ConsentStatus) -> NewConsent {
    NewConsent {
        client_id: c.clone(),
        case_id: None,
        purpose: ConsentPurpose::Research,
        form: ConsentForm::Written,
        status,
        given_at: Some(Timestamp(1_700_000_000_000_000)),
        withdrawn_at: None,
        evidence: None,
    }
}

async fn fresh(t: &Target) -> Store {
    Store::init_with_key(&t.cfg, MasterKey::generate(), "admin")
        .await
        .unwrap()
}

/// Reopens the store (as the next command would) after an SQL edit.
async fn reopen(t: &Target, store: Store, key: MasterKey) -> Store {
    store.close().await;
    Store::open(&t.cfg, key).await.unwrap()
}

fn master(t: &Target) -> MasterKey {
    confidant_store::load_master_key(&t.cfg.data_dir, None).unwrap()
}

#[test]
fn a_withdrawn_consent_cannot_be_turned_back_into_a_given_one() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            let a = store.add_client("admin", &client("Ann Other")).await.unwrap();
            let given = store
                .add_consent("admin", &consent(&a, ConsentStatus::Given))
                .await
                .unwrap();
            let other = store
                .add_consent("admin", &consent(&a, ConsentStatus::Given))
                .await
                .unwrap();
            // The old plaintext columns no longer say anything.
            sql(&t.cfg, &["CREATE TABLE before_withdrawal AS SELECT * FROM consents"]).await;
            store
                .withdraw_consent("admin", &given, Timestamp(1_710_000_000_000_000))
                .await
                .unwrap();
            let listed = store.list_consents("admin", &a).await.unwrap();
            assert_eq!(listed[0].status, ConsentStatus::Withdrawn);
            // 1. Editing the schema-4 columns changes nothing that is read.
            sql(&t.cfg, &["UPDATE consents SET status = 'given', withdrawn_at = NULL"]).await;
            let listed = store.list_consents("admin", &a).await.unwrap();
            assert_eq!(listed[0].status, ConsentStatus::Withdrawn);
            // 2. Copying the still-given consent's sealed facts over it.
            sql(
                &t.cfg,
                &[&format!(
                    "UPDATE consents SET meta_ct = (SELECT meta_ct FROM consents WHERE id = '{other}') \
                     WHERE id = '{given}'"
                )],
            )
            .await;
            named(store.list_consents("admin", &a).await.unwrap_err(), "consents", given.as_str());
            // 3. Restoring the row as it was before the withdrawal (its own
            // MAC then matches): the client's digest does not.
            sql(
                &t.cfg,
                &[
                    &format!("DELETE FROM consents WHERE id = '{given}'"),
                    &format!("INSERT INTO consents SELECT * FROM before_withdrawal WHERE id = '{given}'"),
                ],
            )
            .await;
            named(store.list_consents("admin", &a).await.unwrap_err(), "client_digests", a.as_str());
            named(store.verify_store("admin").await.unwrap_err(), "client_digests", a.as_str());
            // A write on that client refuses rather than re-sign over it.
            let err = store
                .add_consent("admin", &consent(&a, ConsentStatus::Given))
                .await
                .unwrap_err();
            named(err, "client_digests", a.as_str());
            store.close().await;
        }
    });
}

#[test]
fn clearing_a_flag_or_moving_flags_between_clients_is_detected() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            let a = store
                .add_client("admin", &client("Ann Other"))
                .await
                .unwrap();
            let b = store
                .add_client("admin", &client("Bea Other"))
                .await
                .unwrap();
            sql(&t.cfg, &["CREATE TABLE unflagged AS SELECT * FROM clients"]).await;
            let flags = ClientFlags {
                protected: true,
                capacity_concern: true,
                ..ClientFlags::default()
            };
            store.set_client_flags("admin", &a, flags).await.unwrap();
            assert_eq!(store.get_client("admin", &a).await.unwrap().flags, flags);
            // The plaintext column is not what is read.
            sql(&t.cfg, &["UPDATE clients SET protected = 0"]).await;
            assert!(store.get_client("admin", &a).await.unwrap().flags.protected);
            // B's sealed (unset) flags copied onto A: bound to B's row.
            sql(&t.cfg, &["CREATE TABLE flagged AS SELECT * FROM clients"]).await;
            sql(
                &t.cfg,
                &[&format!(
                    "UPDATE clients SET meta_ct = (SELECT meta_ct FROM clients WHERE id = '{b}') \
                     WHERE id = '{a}'"
                )],
            )
            .await;
            named(
                store.get_client("admin", &a).await.unwrap_err(),
                "clients",
                a.as_str(),
            );
            // A's own row from before the flags were set: its digest says no.
            sql(
                &t.cfg,
                &[
                    &format!("DELETE FROM clients WHERE id = '{a}'"),
                    &format!("INSERT INTO clients SELECT * FROM unflagged WHERE id = '{a}'"),
                ],
            )
            .await;
            named(
                store.get_client("admin", &a).await.unwrap_err(),
                "client_digests",
                a.as_str(),
            );
            let err = store
                .set_client_flags("admin", &a, ClientFlags::default())
                .await
                .unwrap_err();
            named(err, "client_digests", a.as_str());
            // Put back, everything reads and verifies again.
            sql(
                &t.cfg,
                &[
                    &format!("DELETE FROM clients WHERE id = '{a}'"),
                    &format!("INSERT INTO clients SELECT * FROM flagged WHERE id = '{a}'"),
                ],
            )
            .await;
            assert_eq!(store.get_client("admin", &a).await.unwrap().flags, flags);
            assert!(store.verify_store("admin").await.is_ok());
            store.close().await;
        }
    });
}

#[test]
fn a_legal_hold_cannot_be_released_or_deleted_in_sql() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            let a = store
                .add_client("admin", &client("Ann Other"))
                .await
                .unwrap();
            let hold = store
                .place_hold("admin", &a, HoldReason::CourtApplication)
                .await
                .unwrap();
            // Setting the schema-4 column: the hold still stands.
            sql(
                &t.cfg,
                &["UPDATE legal_holds SET released_at = 1, reason = 'other'"],
            )
            .await;
            let holds = store.list_holds(&a).await.unwrap();
            assert_eq!(holds[0].released_at, None);
            assert_eq!(holds[0].reason, HoldReason::CourtApplication);
            assert!(matches!(
                store.destroy_client("admin", &a, "test").await,
                Err(StoreError::LegalHold)
            ));
            // Who placed it is sealed too: a forged row fails its MAC.
            sql(&t.cfg, &["UPDATE legal_holds SET mac = NULL"]).await;
            named(
                store.list_holds(&a).await.unwrap_err(),
                "legal_holds",
                hold.as_str(),
            );
            // Deleting the hold: the client's digest notices, and the
            // destruction the deletion was meant to allow refuses.
            sql(
                &t.cfg,
                &[&format!("DELETE FROM legal_holds WHERE id = '{hold}'")],
            )
            .await;
            named(
                store.list_holds(&a).await.unwrap_err(),
                "client_digests",
                a.as_str(),
            );
            let err = store.destroy_client("admin", &a, "test").await.unwrap_err();
            named(err, "client_digests", a.as_str());
            assert!(store.get_client("admin", &a).await.is_err());
            store.close().await;
        }
    });
}

#[test]
fn links_cannot_be_added_removed_or_read_in_sql() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            let a = store.add_client("admin", &client("Ann Other")).await.unwrap();
            let b = store.add_client("admin", &client("Bea Other")).await.unwrap();
            let c = store.add_client("admin", &client("Cai Other")).await.unwrap();
            let couple = store
                .add_case("admin", CaseKind::Couple, &[a.clone(), b.clone()])
                .await
                .unwrap();
            let solo = store
                .add_case("admin", CaseKind::Individual, std::slice::from_ref(&c))
                .await
                .unwrap();
            let mut joint = NewNote::new(a.clone(), "Joint session.");
            joint.parties = vec![a.clone(), b.clone()];
            joint.case_id = Some(couple.clone());
            let note = store.add_note("admin", &joint).await.unwrap();
            // Nothing in the link tables names a client, and no two rows
            // share a digest (the same person in two rows is unlinkable).
            for id in [&a, &b, &c] {
                let q = format!(
                    "SELECT (SELECT COUNT(*) FROM case_parties WHERE party LIKE '%{id}%') + \
                     (SELECT COUNT(*) FROM note_parties WHERE party LIKE '%{id}%')"
                );
                assert_eq!(count(&t.cfg, &q).await, 0);
            }
            assert_eq!(
                count(
                    &t.cfg,
                    "SELECT COUNT(*) - COUNT(DISTINCT party) FROM \
                     (SELECT party FROM case_parties UNION ALL SELECT party FROM note_parties) l"
                )
                .await,
                0
            );
            assert_eq!(store.get_case("admin", &couple).await.unwrap().parties.len(), 2);
            // Removing B from the joint note.
            sql(&t.cfg, &["CREATE TABLE np AS SELECT * FROM note_parties"]).await;
            sql(
                &t.cfg,
                &[&format!(
                    "DELETE FROM note_parties WHERE note_id = '{note}' AND party = \
                     (SELECT MAX(party) FROM note_parties WHERE note_id = '{note}')"
                )],
            )
            .await;
            named(store.list_notes("admin", &a).await.unwrap_err(), "note_parties", note.as_str());
            sql(&t.cfg, &["DELETE FROM note_parties", "INSERT INTO note_parties SELECT * FROM np"]).await;
            assert_eq!(store.list_notes("admin", &a).await.unwrap()[0].parties.len(), 2);
            sql(&t.cfg, &["CREATE TABLE cp AS SELECT * FROM case_parties"]).await;
            // Adding C to the couple (their link digest from the solo case).
            sql(
                &t.cfg,
                &[&format!(
                    "INSERT INTO case_parties (case_id, party) SELECT '{couple}', party FROM case_parties \
                     WHERE case_id = '{solo}'"
                )],
            )
            .await;
            named(store.get_case("admin", &couple).await.unwrap_err(), "case_parties", couple.as_str());
            // Removing B from the couple.
            sql(
                &t.cfg,
                &[
                    &format!("DELETE FROM case_parties WHERE case_id = '{couple}'"),
                    &format!("INSERT INTO case_parties SELECT * FROM cp WHERE case_id = '{couple}'"),
                    &format!(
                        "DELETE FROM case_parties WHERE case_id = '{couple}' AND party = \
                         (SELECT MAX(party) FROM cp WHERE case_id = '{couple}')"
                    ),
                ],
            )
            .await;
            named(store.get_case("admin", &couple).await.unwrap_err(), "case_parties", couple.as_str());
            assert!(store.verify_store("admin").await.is_err());
            store.close().await;
        }
    });
}

#[test]
fn a_deleted_note_is_detected_on_read_and_by_store_verify() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            let a = store
                .add_client("admin", &client("Ann Other"))
                .await
                .unwrap();
            let first = store
                .add_note("admin", &NewNote::new(a.clone(), "One."))
                .await
                .unwrap();
            store
                .add_note("admin", &NewNote::new(a.clone(), "Two."))
                .await
                .unwrap();
            assert_eq!(store.verify_store("admin").await.unwrap().clients, 1);
            sql(
                &t.cfg,
                &[
                    &format!("DELETE FROM note_parties WHERE note_id = '{first}'"),
                    &format!("DELETE FROM notes WHERE id = '{first}'"),
                ],
            )
            .await;
            named(
                store.list_notes("admin", &a).await.unwrap_err(),
                "client_digests",
                a.as_str(),
            );
            named(
                store.verify_store("admin").await.unwrap_err(),
                "client_digests",
                a.as_str(),
            );
            // The next note for that client refuses instead of hiding it.
            let err = store
                .add_note("admin", &NewNote::new(a.clone(), "Three."))
                .await
                .unwrap_err();
            named(err, "client_digests", a.as_str());
            let key = master(&t);
            let store = reopen(&t, store, key).await;
            named(
                store.list_notes("admin", &a).await.unwrap_err(),
                "client_digests",
                a.as_str(),
            );
            store.close().await;
        }
    });
}

#[test]
fn a_whole_client_deleted_with_the_manifest_restored_fails_verification() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            let keep = store.add_client("admin", &client("Kit Other")).await.unwrap();
            sql(&t.cfg, &["CREATE TABLE state_before AS SELECT manifest, manifest_sig FROM audit_state"]).await;
            let gone = store.add_client("admin", &client("Gwen Other")).await.unwrap();
            store.add_note("admin", &NewNote::new(gone.clone(), "Hers.")).await.unwrap();
            assert!(store.verify_store("admin").await.is_ok());
            // Every row of the client, its digest, and the manifest as it
            // was before the client existed.
            sql(
                &t.cfg,
                &[
                    &format!("DELETE FROM note_parties WHERE note_id IN (SELECT id FROM notes WHERE client_id = '{gone}')"),
                    &format!("DELETE FROM notes WHERE client_id = '{gone}'"),
                    &format!("DELETE FROM client_index WHERE client_id = '{gone}'"),
                    &format!("DELETE FROM clients WHERE id = '{gone}'"),
                    &format!("DELETE FROM data_keys WHERE owner_id = '{gone}'"),
                    &format!("DELETE FROM client_digests WHERE client_id = '{gone}'"),
                    "UPDATE audit_state SET manifest = (SELECT manifest FROM state_before), \
                     manifest_sig = (SELECT manifest_sig FROM state_before)",
                ],
            )
            .await;
            let err = store.verify_store("admin").await.unwrap_err();
            assert!(matches!(err, StoreError::ManifestInvalid), "{err}");
            assert!(err.to_string().starts_with("record tampered: store manifest"));
            // Every write refuses (it would sign the forged manifest).
            let err = store.add_client("admin", &client("New Other")).await.unwrap_err();
            assert!(matches!(err, StoreError::ManifestInvalid), "{err}");
            // A restored manifest carries a signature over an older head:
            // every operation, reads included, refuses (`lock_chain`).
            assert!(matches!(
                store.get_client("admin", &keep).await,
                Err(StoreError::ManifestInvalid)
            ));
            store.close().await;
        }
    });
}

#[test]
fn a_client_deleted_without_touching_the_manifest_fails_verification() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            store
                .add_client("admin", &client("Kit Other"))
                .await
                .unwrap();
            let gone = store
                .add_client("admin", &client("Gwen Other"))
                .await
                .unwrap();
            sql(
                &t.cfg,
                &[
                    &format!("DELETE FROM clients WHERE id = '{gone}'"),
                    &format!("DELETE FROM client_digests WHERE client_id = '{gone}'"),
                ],
            )
            .await;
            assert!(matches!(
                store.verify_store("admin").await.unwrap_err(),
                StoreError::ManifestInvalid
            ));
            store.close().await;
        }
    });
}

#[test]
fn a_replayed_earlier_state_of_a_client_fails_verification() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            let a = store
                .add_client("admin", &client("Ann Other"))
                .await
                .unwrap();
            store
                .add_note("admin", &NewNote::new(a.clone(), "Early."))
                .await
                .unwrap();
            // The client's whole state at this point, digest included.
            sql(
                &t.cfg,
                &[
                    "CREATE TABLE old_notes AS SELECT * FROM notes",
                    "CREATE TABLE old_links AS SELECT * FROM note_parties",
                    "CREATE TABLE old_digests AS SELECT * FROM client_digests",
                ],
            )
            .await;
            store
                .add_note(
                    "admin",
                    &NewNote::new(a.clone(), "A later note the replay would hide."),
                )
                .await
                .unwrap();
            sql(
                &t.cfg,
                &[
                    "DELETE FROM note_parties",
                    "DELETE FROM notes",
                    "DELETE FROM client_digests",
                    "INSERT INTO notes SELECT * FROM old_notes",
                    "INSERT INTO note_parties SELECT * FROM old_links",
                    "INSERT INTO client_digests SELECT * FROM old_digests",
                ],
            )
            .await;
            // Consistent with itself (a read of that client alone passes),
            // but not with the manifest signed with the audit head.
            assert_eq!(store.list_notes("admin", &a).await.unwrap().len(), 1);
            let err = store.verify_store("admin").await.unwrap_err();
            assert!(matches!(err, StoreError::ManifestInvalid), "{err}");
            let err = store
                .add_note("admin", &NewNote::new(a.clone(), "Next."))
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::ManifestInvalid), "{err}");
            store.close().await;
        }
    });
}

#[test]
fn ciphertext_lengths_reveal_only_the_size_bucket() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            let mut ids = Vec::new();
            for (name, email) in [
                ("Al Bo", "a@b.cy"),
                ("Bartholomew Fitzwilliam", "bartholomew.fitz@example.org"),
            ] {
                let mut c = client(name);
                c.email = Some(email.into());
                ids.push(store.add_client("admin", &c).await.unwrap());
            }
            for col in ["name_ct", "email_ct", "meta_ct"] {
                let q = format!("SELECT COUNT(DISTINCT length({col})) FROM clients");
                assert_eq!(count(&t.cfg, &q).await, 1, "{col} lengths differ");
            }
            for (id, name) in ids.iter().zip(["Al Bo", "Bartholomew Fitzwilliam"]) {
                assert_eq!(store.get_client("admin", id).await.unwrap().name, name);
            }
            // Consents of any purpose and status seal to one length.
            store
                .add_consent("admin", &consent(&ids[0], ConsentStatus::Given))
                .await
                .unwrap();
            let mut other = consent(&ids[0], ConsentStatus::NotAsked);
            other.purpose = ConsentPurpose::ReleaseToRequester;
            other.given_at = None;
            store.add_consent("admin", &other).await.unwrap();
            assert_eq!(
                count(
                    &t.cfg,
                    "SELECT COUNT(DISTINCT length(meta_ct)) FROM consents"
                )
                .await,
                1
            );
            store.close().await;
        }
    });
}

#[test]
fn the_name_index_finds_people_without_linking_those_who_share_a_name_part() {
    tokio_rt().block_on(async {
        for t in targets("confidant-meta").await {
            let store = fresh(&t).await;
            let a = store.add_client("admin", &client("Rhian Pritchard")).await.unwrap();
            let b = store.add_client("admin", &client("Rhian Lloyd")).await.unwrap();
            let c = store.add_client("admin", &client("Owain Lloyd")).await.unwrap();
            let find = |q: &'static str| {
                let store = &store;
                async move { store.find_clients_by_name("admin", q).await.unwrap() }
            };
            let mut both = vec![a.clone(), b.clone()];
            both.sort();
            assert_eq!(find("RHIAN").await, both);
            assert_eq!(find("rhian  pritchard").await, vec![a.clone()]);
            let mut lloyds = vec![b.clone(), c.clone()];
            lloyds.sort();
            assert_eq!(find("Lloyd").await, lloyds);
            assert!(find("Pritch").await.is_empty());
            // Stored: one-byte buckets, each client's deduplicated; no row
            // holds a full digest, so equal rows say only "same bucket"
            // (1 in 256 for any two unrelated name parts).
            assert_eq!(
                count(
                    &t.cfg,
                    "SELECT COUNT(*) FROM client_index WHERE kind <> 'name-b8' OR length(digest) <> 1"
                )
                .await,
                0
            );
            store.close().await;
        }
    });
}
