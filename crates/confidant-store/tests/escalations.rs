//! Matters escalated to a safeguarding officer (migration 0010), on SQLite
//! and, when `CONFIDANT_TEST_DATABASE_URL` is set, on PostgreSQL: the rows
//! decide who may see a matter, so a forged or edited row must be refused,
//! never trusted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{count, sql, targets, tokio_rt};

use confidant_core::ids::{MatterId, UserId};
use confidant_core::record::NewClient;
use confidant_crypto::MasterKey;
use confidant_store::{NewMatter, Store, StoreError};

#[test]
fn escalations_are_recorded_listed_and_checked() {
    tokio_rt().block_on(async {
        for t in targets("confidant-esc").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), "admin")
                .await
                .unwrap();
            let c = store
                .add_client(
                    "admin",
                    &NewClient {
                        name: "Sam".into(),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            let open = |body| NewMatter {
                client_id: c.clone(),
                case_id: None,
                body,
            };
            let m1 = store
                .open_matter("prac", &open(serde_json::json!({"k": 1})))
                .await
                .unwrap();
            let m2 = store
                .open_matter("prac", &open(serde_json::json!({"k": 2})))
                .await
                .unwrap();
            let so = UserId::from_bytes([1; 16]);
            let deputy = UserId::from_bytes([2; 16]);

            assert!(store.escalated_to(&m1).await.unwrap().is_empty());
            store.add_escalation("prac", &m1, &so).await.unwrap();
            store.add_escalation("prac", &m1, &deputy).await.unwrap();
            assert_eq!(
                store.escalated_to(&m1).await.unwrap(),
                vec![so.clone(), deputy.clone()]
            );
            assert!(store.escalated_to(&m2).await.unwrap().is_empty());

            // Once per person; an unknown matter is refused, nothing written.
            assert!(matches!(
                store.add_escalation("prac", &m1, &so).await,
                Err(StoreError::AlreadyRecorded { .. })
            ));
            let unknown = MatterId::from_bytes([9; 16]);
            assert!(matches!(
                store.add_escalation("prac", &unknown, &so).await,
                Err(StoreError::UnknownRecord { .. })
            ));
            assert_eq!(count(&t.cfg, "SELECT COUNT(*) FROM escalations").await, 2);

            let mine = store.escalations_to("so", &so).await.unwrap();
            assert_eq!(mine.len(), 1);
            assert_eq!(mine[0].matter_id, m1);
            assert_eq!(mine[0].client_id, c);
            assert_eq!(mine[0].actor, "prac");
            assert!(
                store
                    .escalations_to("x", &UserId::from_bytes([3; 16]))
                    .await
                    .unwrap()
                    .is_empty()
            );

            // Append-only.
            let upd = format!("UPDATE escalations SET to_user = 'user_{}'", "3".repeat(32));
            let refused = match &t.cfg.database_url {
                None => {
                    use confidant_store::sqlx::Connection;
                    let opts = confidant_store::sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(t.cfg.sqlite_path());
                    let mut c = confidant_store::sqlx::SqliteConnection::connect_with(&opts)
                        .await
                        .unwrap();
                    confidant_store::sqlx::query(&upd)
                        .execute(&mut c)
                        .await
                        .is_err()
                }
                Some(url) => {
                    use confidant_store::sqlx::Connection;
                    let mut c = confidant_store::sqlx::PgConnection::connect(url)
                        .await
                        .unwrap();
                    confidant_store::sqlx::query(&upd)
                        .execute(&mut c)
                        .await
                        .is_err()
                }
            };
            assert!(refused, "an escalation row was updated");

            // A row forged by someone with the database (pointing m2 at
            // another user, with a made-up MAC) is refused on read.
            let forged = format!(
                "INSERT INTO escalations (id, matter_id, client_id, to_user, at, actor, mac) \
                 VALUES ('esc_{}', '{}', '{}', 'user_{}', 1, 'prac', {})",
                "a".repeat(32),
                m2,
                c,
                "04".repeat(16),
                if t.cfg.database_url.is_some() {
                    format!("'\\x{}'", "00".repeat(32))
                } else {
                    format!("X'{}'", "00".repeat(32))
                }
            );
            sql(&t.cfg, &[&forged]).await;
            assert!(matches!(
                store.escalated_to(&m2).await,
                Err(StoreError::Corrupt { .. })
            ));
            assert!(matches!(
                store
                    .escalations_to("x", &UserId::from_bytes([4; 16]))
                    .await,
                Err(StoreError::Corrupt { .. })
            ));
            // The genuine rows still read.
            assert_eq!(store.escalated_to(&m1).await.unwrap().len(), 2);
        }
    });
}
