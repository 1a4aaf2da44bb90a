//! Key rotation across two open stores (two processes sharing a data
//! directory), a stale process writing after another's destruction, and
//! the witness, on SQLite and, when `CONFIDANT_TEST_DATABASE_URL` is set,
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{targets, tokio_rt};

use confidant_core::record::{NewClient, NewNote};
use confidant_crypto::{KeyRing, MasterKey};
use confidant_store::Store;
use std::sync::Arc;

fn client(name: &str) -> NewClient {
    NewClient {
        name: name.into(),
        ..NewClient::default()
    }
}

#[test]
fn two_stores_destroying_concurrently_never_strand_a_survivor() {
    tokio_rt().block_on(async {
        for t in targets("confidant-api").await {
            let master = MasterKey::generate();
            let a = Store::init_with_key(&t.cfg, master.clone(), "admin")
                .await
                .unwrap();
            // A second "process" on the same data directory and database.
            let b = Store::open(&t.cfg, master.clone()).await.unwrap();
            let mut ids = Vec::new();
            for i in 0..8 {
                let id = a
                    .add_client("admin", &client(&format!("Client {i}")))
                    .await
                    .unwrap();
                a.add_note("admin", &NewNote::new(id.clone(), format!("note {i}")))
                    .await
                    .unwrap();
                ids.push(id);
            }
            let (a, b) = (Arc::new(a), Arc::new(b));
            let mut tasks = Vec::new();
            for (i, id) in ids.iter().take(4).enumerate() {
                let s = if i % 2 == 0 { a.clone() } else { b.clone() };
                let id = id.clone();
                tasks.push(confidant_store::tokio::spawn(async move {
                    s.destroy_client("admin", &id, "retention")
                        .await
                        .map(|_| ())
                }));
            }
            // Meanwhile the other store keeps adding clients (wrapping new
            // keys, possibly under a generation just retired).
            let mut late = Vec::new();
            for i in 0..4 {
                let s = if i % 2 == 0 { b.clone() } else { a.clone() };
                late.push(
                    s.add_client("admin", &client(&format!("Late {i}")))
                        .await
                        .unwrap(),
                );
            }
            for t in tasks {
                t.await.unwrap().unwrap();
            }
            a.close().await;
            b.close().await;
            // A fresh process: every survivor opens, the destroyed do not,
            // and the key file holds one generation, the database's.
            let fresh = Store::open(&t.cfg, master.clone()).await.unwrap();
            for (i, id) in ids.iter().enumerate() {
                let got = fresh.get_client("admin", id).await;
                assert_eq!(got.is_ok(), i >= 4, "client {i}: {got:?}");
            }
            for id in &late {
                fresh.get_client("admin", id).await.unwrap();
            }
            let ring = KeyRing::load(&t.cfg.data_dir, &master).unwrap().unwrap();
            assert_eq!(
                ring.generations(),
                vec![5],
                "four rotations after generation 1"
            );
            assert!(fresh.verify_audit().await.unwrap().is_ok());
            fresh.close().await;
        }
    });
}

#[test]
fn a_crash_between_commit_and_key_file_rewrite_is_finished_at_the_next_open() {
    tokio_rt().block_on(async {
        for t in targets("confidant-api").await {
            let master = MasterKey::generate();
            let store = Store::init_with_key(&t.cfg, master.clone(), "admin")
                .await
                .unwrap();
            let keep = store.add_client("admin", &client("Keep")).await.unwrap();
            let gone = store.add_client("admin", &client("Gone")).await.unwrap();
            let path = t.cfg.data_dir.join("master.key");
            let before = std::fs::read(&path).unwrap();
            store.destroy_client("admin", &gone, "asked").await.unwrap();
            store.close().await;
            let after = KeyRing::load(&t.cfg.data_dir, &master).unwrap().unwrap();
            assert_eq!(after.generations(), vec![2]);
            // A key file older than the database (only generation 1) is
            // refused by name, never used to wrap new keys.
            std::fs::write(&path, &before).unwrap();
            let err = Store::open(&t.cfg, master.clone()).await.unwrap_err();
            assert!(err.to_string().contains("key generation 2"), "{err}");
            // The crash window: the database committed generation 2, the key
            // file still holds 1 and 2. Everything opens, and the open
            // erases the dead generation 1, completing the destruction.
            let old = KeyRing::load(&t.cfg.data_dir, &master).unwrap().unwrap();
            let mut both = old.keeping_from(&after, 2);
            assert_eq!(both.generations(), vec![1, 2]);
            both.write(&t.cfg.data_dir).unwrap();
            let store = Store::open(&t.cfg, master.clone()).await.unwrap();
            store.get_client("admin", &keep).await.unwrap();
            let on_disk = KeyRing::load(&t.cfg.data_dir, &master).unwrap().unwrap();
            assert_eq!(on_disk.generations(), vec![2]);
            store.close().await;
        }
    });
}

#[test]
fn every_committed_head_reaches_the_witness_file() {
    tokio_rt().block_on(async {
        for t in targets("confidant-api").await {
            let witness = t.cfg.data_dir.with_extension("heads");
            let cfg = t.cfg.clone().with_audit_witness(Some(witness.clone()));
            let store = Store::init_with_key(&cfg, MasterKey::generate(), "admin")
                .await
                .unwrap();
            let c = store
                .add_client("admin", &client("Witnessed"))
                .await
                .unwrap();
            store.get_client("admin", &c).await.unwrap();
            let text = std::fs::read_to_string(&witness).unwrap();
            let heads: Vec<confidant_store::SignedHead> =
                text.lines().map(|l| l.parse().unwrap()).collect();
            assert_eq!(
                heads.iter().map(|h| h.count).collect::<Vec<_>>(),
                vec![1, 2, 3]
            );
            assert!(
                heads
                    .iter()
                    .all(|h| h.verify_with(&store.audit_public_key().unwrap()))
            );
            let last = confidant_store::read_published_head(witness.to_str().unwrap()).unwrap();
            let verdict = store.verify_audit_against(None, Some(&last)).await.unwrap();
            assert_eq!(verdict.unwrap().count, 3);
            assert!(store.take_witness_error().is_none());
            store.close().await;
            let _ = std::fs::remove_file(&witness);
        }
    });
}

/// Not a test: prints what a destruction costs with many surviving keys to
/// re-wrap (figures in docs/store-benchmarks.md). Run with
/// `cargo test --release -p confidant-store --test rotation -- --ignored --nocapture`.
#[test]
#[ignore = "measurement, prints figures"]
fn measure_destruction_with_many_survivors() {
    tokio_rt().block_on(async {
        for t in targets("confidant-api").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), "admin")
                .await
                .unwrap();
            let mut last = None;
            for i in 0..2000 {
                last = Some(
                    store
                        .add_client("admin", &client(&format!("Client {i}")))
                        .await
                        .unwrap(),
                );
            }
            let id = last.unwrap();
            let start = std::time::Instant::now();
            store.destroy_client("admin", &id, "measure").await.unwrap();
            println!(
                "{}: destroy with 1999 surviving keys re-wrapped: {:.3} s",
                if t.cfg.database_url.is_some() {
                    "postgres"
                } else {
                    "sqlite"
                },
                start.elapsed().as_secs_f64()
            );
            store.close().await;
        }
    });
}
