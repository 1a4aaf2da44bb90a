//! Known-answer test for the stored format. `fixtures/store-v1.json` is a
//! store written by schema v1 under a fixed master key (every table's rows,
//! byte strings in hex). The test loads those rows into a fresh database of
//! each backend and reads them back through the current code: a change to the
//! schema, the sealing (associated data), the key wrapping, the blind index or
//! the audit entry encoding that would strand existing data fails here.
//!
//! Regenerate only for a deliberate, migrated format change:
//! `cargo test -p confidant-store --test stored_format -- --ignored write_fixture`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_core::record::{CivilDate, NewClient, NewConsent, NewNote};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_crypto::MasterKey;
use confidant_store::sqlx::{self, Column, Connection, Row, ValueRef};
use confidant_store::{Store, StoreConfig};
use serde_json::{Map, Value};

const KEY: [u8; 32] = [0x42; 32];
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-v1.json");
const TABLES: &[&str] = &[
    "meta",
    "data_keys",
    "clients",
    "client_index",
    "practitioners",
    "practitioner_roles",
    "cases",
    "case_parties",
    "notes",
    "note_parties",
    "consents",
    "legal_holds",
    "audit_entries",
    "audit_state",
];

fn is_blob(col: &str) -> bool {
    col.ends_with("_ct")
        || matches!(
            col,
            "wrapped" | "digest" | "v" | "prev_hash" | "hash" | "head_hash" | "mac"
        )
}

fn is_int(table: &str, col: &str) -> bool {
    matches!(
        col,
        "seq"
            | "created_at"
            | "at"
            | "count"
            | "writes"
            | "protected"
            | "capacity_concern"
            | "parental_responsibility"
            | "work_ended"
            | "shared"
            | "recorded_at"
            | "given_at"
            | "withdrawn_at"
            | "placed_at"
            | "released_at"
    ) || (table == "audit_state" && col == "id")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn rt() -> confidant_store::tokio::runtime::Runtime {
    confidant_store::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn tmp(p: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::env::temp_dir().join(format!("{p}-{}-{nanos}", std::process::id()))
}

#[test]
#[ignore = "writes the fixture; run only for a deliberate format change"]
fn write_fixture() {
    rt().block_on(async {
        let dir = tmp("confidant-fixture");
        let cfg = StoreConfig::new(&dir, None);
        let store = Store::init_with_key(&cfg, MasterKey::from_bytes(KEY), "fixture")
            .await
            .unwrap();
        let c = store
            .add_client(
                "fixture",
                &NewClient {
                    name: "Heledd Fixture".into(),
                    date_of_birth: CivilDate::new(1990, 6, 15),
                    email: Some("heledd@example.org".into()),
                    postcode: Some("LL57 2DG".into()),
                    nhs_number: "9434765919".parse().ok(),
                    ..NewClient::default()
                },
            )
            .await
            .unwrap();
        store
            .add_note("fixture", &NewNote::new(c.clone(), "First fixture note."))
            .await
            .unwrap();
        store
            .add_note(
                "fixture",
                &NewNote::new(c.clone(), "Second fixture note, with ünïcode."),
            )
            .await
            .unwrap();
        store
            .add_consent(
                "fixture",
                &NewConsent {
                    client_id: c.clone(),
                    case_id: None,
                    purpose: ConsentPurpose::Training,
                    form: ConsentForm::Written,
                    status: ConsentStatus::Given,
                    given_at: None,
                    withdrawn_at: None,
                    evidence: Some("form 12".into()),
                },
            )
            .await
            .unwrap();
        store.close().await;
        let mut conn = sqlx::SqliteConnection::connect_with(
            &sqlx::sqlite::SqliteConnectOptions::new().filename(cfg.sqlite_path()),
        )
        .await
        .unwrap();
        let mut out = Map::new();
        for t in TABLES {
            let rows = sqlx::query(&format!("SELECT * FROM {t} ORDER BY 1"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
            let mut list = Vec::new();
            for r in rows {
                let mut obj = Map::new();
                for (i, col) in r.columns().iter().enumerate() {
                    let name = col.name();
                    let raw = r.try_get_raw(i).unwrap();
                    let v = if raw.is_null() {
                        Value::Null
                    } else if is_blob(name) {
                        Value::String(hex(&r.get::<Vec<u8>, _>(i)))
                    } else if is_int(t, name) {
                        Value::from(r.get::<i64, _>(i))
                    } else {
                        Value::String(r.get::<String, _>(i))
                    };
                    obj.insert(name.to_owned(), v);
                }
                list.push(Value::Object(obj));
            }
            out.insert((*t).to_owned(), Value::Array(list));
        }
        out.insert("client_id".into(), Value::String(c.to_string()));
        std::fs::create_dir_all(std::path::Path::new(FIXTURE).parent().unwrap()).unwrap();
        std::fs::write(
            FIXTURE,
            serde_json::to_string_pretty(&Value::Object(out)).unwrap(),
        )
        .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// Replaces every row of a fresh store with the fixture's rows.
macro_rules! load_rows {
    ($conn:expr, $db:ty, $fixture:expr) => {{
        for t in TABLES.iter().rev() {
            sqlx::query::<$db>(&format!("DELETE FROM {t}"))
                .execute(&mut *$conn)
                .await
                .unwrap();
        }
        for t in TABLES {
            for row in $fixture[*t].as_array().unwrap() {
                let obj = row.as_object().unwrap();
                let cols: Vec<&String> = obj.keys().collect();
                let params: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "INSERT INTO {t} ({}) VALUES ({})",
                    cols.iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    params.join(", ")
                );
                let mut q = sqlx::query::<$db>(&sql);
                for c in &cols {
                    let v = &obj[c.as_str()];
                    q = if is_blob(c) {
                        q.bind(v.as_str().map(unhex))
                    } else if is_int(t, c) {
                        q.bind(v.as_i64())
                    } else {
                        q.bind(v.as_str().map(str::to_owned))
                    };
                }
                q.execute(&mut *$conn).await.unwrap();
            }
        }
    }};
}

/// The migrations of schema 4 (before 0005 sealed the metadata), read from
/// the migration files as they are.
async fn schema_4(backend: &str) -> sqlx::migrate::Migrator {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut m = sqlx::migrate::Migrator::new(dir).await.unwrap();
    m.migrations = m
        .migrations
        .iter()
        .filter(|m| m.version < 5)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    m
}

/// Schema 4's plaintext metadata, as an SQL fixture over the v1 rows.
fn schema_4_metadata(client: &str) -> Vec<String> {
    vec![
        "UPDATE clients SET protected = 1, work_ended = 1".to_owned(),
        "UPDATE consents SET status = 'withdrawn', given_at = 1700000000000000, \
         withdrawn_at = 1710000000000000"
            .to_owned(),
        format!(
            "INSERT INTO legal_holds (id, client_id, reason, placed_at, placed_by) VALUES \
             ('hold_01a209acb2f170cea67dff2532137802', '{client}', 'complaint', 1720000000000000, 'fixture')"
        ),
        "INSERT INTO cases (id, kind, created_at) VALUES \
         ('case_01a209acb2f170cea67dff2532137801', 'individual', 1720000000000000)"
            .to_owned(),
        format!(
            "INSERT INTO case_parties (case_id, client_id) VALUES \
             ('case_01a209acb2f170cea67dff2532137801', '{client}')"
        ),
    ]
}

/// What is left in schema 4's plaintext columns after the upgrade, and the
/// first note's and the case's links.
macro_rules! schema_4_leftovers {
    ($conn:expr, $db:ty) => {{
        let flags: (i64, i64, i64, i64) = sqlx::query_as::<$db, _>(
            "SELECT protected, capacity_concern, parental_responsibility, work_ended FROM clients",
        )
        .fetch_one(&mut *$conn)
        .await
        .unwrap();
        let consent: (String, String, String, i64, bool, bool) = sqlx::query_as::<$db, _>(
            "SELECT purpose, form, status, recorded_at, given_at IS NULL, withdrawn_at IS NULL FROM consents",
        )
        .fetch_one(&mut *$conn)
        .await
        .unwrap();
        let hold: (String, String, i64, bool) = sqlx::query_as::<$db, _>(
            "SELECT reason, placed_by, placed_at, released_at IS NULL FROM legal_holds",
        )
        .fetch_one(&mut *$conn)
        .await
        .unwrap();
        let note_links: Vec<(String, String)> = sqlx::query_as::<$db, _>(
            "SELECT note_id, party FROM note_parties WHERE note_id = 'note_01a209acb2f4768d9d778a8a8fefcdab'",
        )
        .fetch_all(&mut *$conn)
        .await
        .unwrap();
        let case_links: Vec<(String, String)> =
            sqlx::query_as::<$db, _>("SELECT case_id, party FROM case_parties")
                .fetch_all(&mut *$conn)
                .await
                .unwrap();
        (
            format!("{}|{}|{}|{}", flags.0, flags.1, flags.2, flags.3),
            format!(
                "{}|{}|{}|{}|{}|{}",
                consent.0, consent.1, consent.2, consent.3, consent.4, consent.5
            ),
            format!("{}|{}|{}|{}", hold.0, hold.1, hold.2, hold.3),
            note_links
                .into_iter()
                .map(|(n, p)| format!("{n}:{p}"))
                .collect::<Vec<_>>(),
            case_links
                .into_iter()
                .map(|(n, p)| format!("{n}:{p}"))
                .collect::<Vec<_>>(),
        )
    }};
}

#[test]
fn a_v1_store_still_opens_decrypts_and_verifies() {
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let fixture = fixture.as_object().unwrap().clone();
    let client: confidant_core::ids::ClientId =
        fixture["client_id"].as_str().unwrap().parse().unwrap();
    let mut targets: Vec<(StoreConfig, Option<(String, String)>)> =
        vec![(StoreConfig::new(tmp("confidant-kat"), None), None)];
    rt().block_on(async {
        if let Ok(url) = std::env::var("CONFIDANT_TEST_DATABASE_URL") {
            let db = format!("confidant_kat_{}", std::process::id());
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .execute(&mut c)
                .await
                .unwrap();
            sqlx::query(&format!("CREATE DATABASE {db}"))
                .execute(&mut c)
                .await
                .unwrap();
            let base = url.rsplit_once('/').unwrap().0.to_owned();
            targets.push((
                StoreConfig::new(tmp("confidant-kat-pg"), Some(format!("{base}/{db}"))),
                Some((url, db)),
            ));
        }
        for (cfg, admin) in &targets {
            // The key file for the fixture's master key (written by a
            // scratch store; generation 0, the v1 wrap, is always there).
            let scratch = StoreConfig::new(tmp("confidant-kat-keys"), None);
            Store::init_with_key(&scratch, MasterKey::from_bytes(KEY), "kat")
                .await
                .unwrap()
                .close()
                .await;
            std::fs::create_dir_all(&cfg.data_dir).unwrap();
            std::fs::copy(
                confidant_crypto::key_file_path(&scratch.data_dir),
                confidant_crypto::key_file_path(&cfg.data_dir),
            )
            .unwrap();
            let _ = std::fs::remove_dir_all(&scratch.data_dir);
            // An old-format store: the schema as migrations 1-4 leave it,
            // the fixture's rows, and the plaintext metadata schema 4 kept
            // (flags, a withdrawn consent, a hold, a case and its link).
            match &cfg.database_url {
                None => {
                    let mut c = sqlx::SqliteConnection::connect_with(
                        &sqlx::sqlite::SqliteConnectOptions::new()
                            .filename(cfg.sqlite_path())
                            .create_if_missing(true),
                    )
                    .await
                    .unwrap();
                    schema_4("sqlite").await.run(&mut c).await.unwrap();
                    load_rows!(&mut c, sqlx::Sqlite, fixture);
                    for sql in schema_4_metadata(client.as_str()) {
                        sqlx::query(&sql).execute(&mut c).await.unwrap();
                    }
                }
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    schema_4("postgres").await.run(&mut c).await.unwrap();
                    load_rows!(&mut c, sqlx::Postgres, fixture);
                    for sql in schema_4_metadata(client.as_str()) {
                        sqlx::query(&sql).execute(&mut c).await.unwrap();
                    }
                }
            }
            let store = Store::open(cfg, MasterKey::from_bytes(KEY)).await.unwrap();
            // Opening a v1 store upgrades it: the unsigned checkpoint is
            // checked (HMAC, chain) and signed with the Ed25519 audit key,
            // recorded by one `key.rotate` entry appended to the old chain;
            // then the records are sealed and authenticated (schema 5), one
            // `store.upgrade` entry.
            let entries = fixture["audit_entries"].as_array().unwrap().len() as u64;
            assert_eq!(
                store.verify_audit().await.unwrap(),
                Ok(entries + 2),
                "audit encoding changed"
            );
            let tail = store.audit_tail(2).await.unwrap();
            assert_eq!(tail[0].action.as_str(), "key.rotate");
            assert_eq!(tail[0].record_ids, vec!["audit-signing-key".to_owned()]);
            assert_eq!(tail[1].action.as_str(), "store.upgrade");
            // The old plaintext columns are blank, the links keyed digests
            // (pinned: HMAC under HKDF(master, "confidant/v3/links"), bound
            // to the row; recomputed independently with Python's hmac).
            let blank = match &cfg.database_url {
                None => {
                    let mut c = sqlx::SqliteConnection::connect_with(
                        &sqlx::sqlite::SqliteConnectOptions::new().filename(cfg.sqlite_path()),
                    )
                    .await
                    .unwrap();
                    schema_4_leftovers!(&mut c, sqlx::Sqlite)
                }
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    schema_4_leftovers!(&mut c, sqlx::Postgres)
                }
            };
            assert_eq!(
                blank,
                (
                    "0|0|0|0".to_owned(),
                    "|||0|true|true".to_owned(),
                    "||0|true".to_owned(),
                    vec![
                        "note_01a209acb2f4768d9d778a8a8fefcdab:7ea9effd16b5ff9995bdd60d5864eee7c1f32b971ecc829a4afddaff0f50be07".to_owned(),
                    ],
                    vec![
                        "case_01a209acb2f170cea67dff2532137801:289c2e235470f5fd0da2a0a29179afeaa4eb2fd6be033cd44bd462127ff6d9e6".to_owned(),
                    ],
                )
            );
            // ... and every fact reads back as it was, authenticated.
            let summary = store.verify_store("kat").await.unwrap();
            assert_eq!(summary.clients, 1);
            let c = store.get_client("kat", &client).await.unwrap();
            assert!(c.flags.protected && c.flags.work_ended);
            assert!(!c.flags.capacity_concern && !c.flags.parental_responsibility_held_elsewhere);
            let consents = store.list_consents("kat", &client).await.unwrap();
            assert_eq!(consents[0].status.as_str(), "withdrawn");
            assert_eq!(consents[0].purpose.as_str(), "training");
            assert_eq!(consents[0].given_at.map(|t| t.0), Some(1_700_000_000_000_000));
            assert_eq!(consents[0].withdrawn_at.map(|t| t.0), Some(1_710_000_000_000_000));
            let holds = store.list_holds(&client).await.unwrap();
            assert_eq!(holds.len(), 1);
            assert_eq!(holds[0].reason.as_str(), "complaint");
            assert_eq!(holds[0].placed_by, "fixture");
            assert_eq!(holds[0].placed_at.0, 1_720_000_000_000_000);
            assert_eq!(holds[0].released_at, None);
            let case = store
                .get_case("kat", &"case_01a209acb2f170cea67dff2532137801".parse().unwrap())
                .await
                .unwrap();
            assert_eq!(case.parties, vec![client.clone()]);
            store.release_hold("kat", &holds[0].id).await.unwrap();
            assert!(store.has_signing_key());
            let head = store
                .verify_audit_against(store.audit_public_key(), None)
                .await
                .unwrap()
                .unwrap();
            // key.rotate, store.upgrade, and the five audited calls above.
            assert_eq!(head.count, entries + 7);
            assert!(head.signed.as_ref().is_some_and(|h| h.verify()));
            let c = store.get_client("kat", &client).await.unwrap();
            assert_eq!(c.name, "Heledd Fixture");
            assert_eq!(
                c.date_of_birth.map(|d| d.to_string()).as_deref(),
                Some("1990-06-15")
            );
            assert_eq!(c.email.as_deref(), Some("heledd@example.org"));
            assert_eq!(c.postcode.as_deref(), Some("LL57 2DG"));
            assert_eq!(
                c.nhs_number.as_ref().map(|n| n.as_str()),
                Some("9434765919")
            );
            let notes = store.list_notes("kat", &client).await.unwrap();
            let texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
            assert_eq!(
                texts,
                vec!["First fixture note.", "Second fixture note, with ünïcode."]
            );
            let consents = store.list_consents("kat", &client).await.unwrap();
            assert_eq!(consents[0].evidence.as_deref(), Some("form 12"));
            assert_eq!(
                store
                    .find_clients_by_name("kat", "HELEDD fixture")
                    .await
                    .unwrap(),
                vec![client.clone()]
            );
            assert_eq!(notes[0].parties, vec![client.clone()]);
            // The reads above were appended to the old chain and still verify.
            assert!(store.verify_audit().await.unwrap().is_ok());
            // The v1 data key (wrapped under the master key itself) opens,
            // and destroying the client moves the store to a rotated KEK;
            // the certificate says the v1 wrap could not be erased.
            let report = store
                .destroy_client("kat", &client, "format upgrade test")
                .await
                .unwrap();
            assert_eq!(report.certificate["key_generation_erased"], 0);
            assert!(
                report.certificate["recovery_window"]
                    .as_str()
                    .unwrap()
                    .contains("master key itself")
            );
            assert!(store.verify_audit().await.unwrap().is_ok());
            store.close().await;
            let _ = std::fs::remove_dir_all(&cfg.data_dir);
            if let Some((url, db)) = admin {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        }
    });
}
