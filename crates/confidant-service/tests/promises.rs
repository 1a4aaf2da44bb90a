//! What the service promised and did, on the record, through the
//! application layer, on SQLite and (with CONFIDANT_TEST_DATABASE_URL) a
//! real PostgreSQL: limits explained, confidentiality agreements,
//! complaints that hold the record, policy reviews, and the retention due
//! date on the record view.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{A, d, refused, rt, targets, unique};

use confidant_core::record::{HoldReason, NewClient, Timestamp};
use confidant_crypto::MasterKey;
use confidant_service::promises::{ComplaintOutcome, ComplaintRoute, HowGiven, statement_sha256};
use confidant_service::retention::RetentionState;
use confidant_service::{Service, load_policy};
use confidant_store::Store;
use confidant_store::sqlx::{self, Connection};

async fn new_client(s: &Store, name: &str) -> confidant_core::ids::ClientId {
    s.add_client(
        A,
        &NewClient {
            name: name.into(),
            ..NewClient::default()
        },
    )
    .await
    .unwrap()
}

/// A copy of `base` whose retention period runs out the day the record
/// opens, so a sweep applied today has something due.
fn due_today_policy(base: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(unique("prm-policy"));
    std::fs::create_dir_all(&dir).unwrap();
    let text = confidant_policy::Policy::builtin_text(base)
        .unwrap()
        .replacen("months = 36", "months = 0", 1)
        .replacen(
            "from = \"the last session\"",
            "from = \"the record was opened\"",
            1,
        );
    let path = dir.join("p.toml");
    std::fs::write(&path, text).unwrap();
    let p = path.to_str().unwrap().to_owned();
    (dir, p)
}

#[test]
fn limits_given_are_recorded_with_the_statement_hash_and_missing_ones_listed() {
    rt().block_on(async {
        for t in targets("confidant-prm").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            let told = new_client(s, "Told Person").await;
            let untold = new_client(s, "Untold Person").await;
            let group = new_client(s, "Group Member").await;

            // Bad input first: a date in the future, an unknown policy.
            let before = svc.promises(A, &told).await.unwrap().limits_given.len();
            refused(
                svc.record_limits_given(
                    A,
                    &told,
                    "wwdd-coaching",
                    HowGiven::InPerson,
                    Some(Timestamp::parse("2999-01-01T00:00:00Z", "t").unwrap()),
                )
                .await,
                "future",
            );
            assert!(
                svc.record_limits_given(A, &told, "no-such-policy", HowGiven::InPerson, None)
                    .await
                    .is_err()
            );
            assert_eq!(
                svc.promises(A, &told).await.unwrap().limits_given.len(),
                before
            );

            // The free consultation: explained in person.
            svc.record_limits_given(
                A,
                &told,
                "wwdd-coaching",
                HowGiven::InPerson,
                Some(Timestamp::parse("2026-03-01T23:30:00Z", "t").unwrap()),
            )
            .await
            .unwrap();
            // CSRP 7: discussed with the group's potential participants.
            svc.record_limits_given(A, &group, "csrp", HowGiven::GroupFormat, None)
                .await
                .unwrap();

            let v = svc.promises(A, &told).await.unwrap();
            assert_eq!(v.limits_given.len(), 1);
            let l = &v.limits_given[0].body;
            let wwdd = load_policy("wwdd-coaching").unwrap();
            // The hash is of the statement `policy explain` renders.
            assert_eq!(l.statement_sha256, statement_sha256(&wwdd.policy));
            assert_eq!(l.policy_sha256, wwdd.sha256);
            assert_eq!(l.how, HowGiven::InPerson);
            // 23:30 UTC on 1 March is 1 March in London (GMT).
            assert_eq!(l.given_on, "2026-03-01");

            let missing = svc.limits_missing(A, "wwdd-coaching").await.unwrap();
            let ids: Vec<_> = missing.iter().map(|m| m.client_id.clone()).collect();
            assert!(ids.contains(&untold));
            assert!(ids.contains(&group), "given another policy's statement");
            assert!(!ids.contains(&told));
            assert_eq!(
                missing
                    .iter()
                    .find(|m| m.client_id == untold)
                    .unwrap()
                    .state,
                "never"
            );
            assert_eq!(
                missing.iter().find(|m| m.client_id == group).unwrap().state,
                "earlier-version"
            );
            // Under CSRP only the group member has had it.
            let csrp = svc.limits_missing(A, "csrp").await.unwrap();
            assert!(csrp.iter().all(|m| m.client_id != group));
            assert!(csrp.iter().any(|m| m.client_id == told));

            // Every step is audited.
            let log = svc.access_log(A, &told).await.unwrap();
            assert!(log.iter().any(|e| e.action.as_str() == "promise.record"));
            svc.close().await;
        }
    });
}

#[test]
fn a_confidentiality_agreement_is_sealed_and_shown_on_the_members_record() {
    rt().block_on(async {
        for t in targets("confidant-prm").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            let member = new_client(s, "Programme Member").await;
            let parties = vec![
                "the member".to_owned(),
                "programme supervisor Quillon Ashgrove".to_owned(),
            ];
            let terms = "Personal matters raised in tutorials stay within the tutorial group";
            refused(
                svc.record_agreement(A, &member, &parties[..1], terms, None, None)
                    .await,
                "two parties",
            );
            refused(
                svc.record_agreement(A, &member, &parties, "  ", None, None)
                    .await,
                "--terms",
            );
            assert!(
                svc.promises(A, &member)
                    .await
                    .unwrap()
                    .agreements
                    .is_empty()
            );
            svc.record_agreement(A, &member, &parties, terms, None, Some(d("2026-02-01")))
                .await
                .unwrap();
            let rec = svc
                .client_promises_record(A, &member, "iapt-training")
                .await
                .unwrap();
            assert_eq!(rec.promises.agreements.len(), 1);
            assert_eq!(rec.promises.agreements[0].body.parties, parties);
            assert_eq!(rec.promises.agreements[0].body.terms, terms);
            assert_eq!(rec.promises.agreements[0].body.agreed_on, "2026-02-01");

            // Sealed: the terms and the supervisor's name are not in the
            // database file in plaintext.
            if t.admin.is_none() {
                svc.close().await;
                let dir = &t.cfg.data_dir;
                let mut all = Vec::new();
                for e in std::fs::read_dir(dir).unwrap() {
                    let p = e.unwrap().path();
                    if p.to_string_lossy().contains("confidant.db") {
                        all.extend(std::fs::read(&p).unwrap());
                    }
                }
                let hay = String::from_utf8_lossy(&all);
                assert!(!hay.contains("Quillon"));
                assert!(!hay.contains("tutorial group"));
            } else {
                svc.close().await;
            }
        }
    });
}

#[test]
fn a_complaint_holds_the_record_until_it_is_closed() {
    rt().block_on(async {
        for t in targets("confidant-prm").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            let c = new_client(s, "Complaining Client").await;
            let (_dir, p) = due_today_policy("wwdd-coaching");

            // A route to a professional body names the body.
            refused(
                svc.open_complaint(
                    A,
                    &c,
                    ComplaintRoute::ProfessionalBody,
                    None,
                    "notes shared",
                    None,
                )
                .await,
                "--to",
            );
            assert!(svc.list_holds(A, &c).await.unwrap().is_empty());

            // WWDD: to the Directors first.
            let (complaint, hold) = svc
                .open_complaint(
                    A,
                    &c,
                    ComplaintRoute::Internal,
                    Some("the Directors".into()),
                    "feels a session was discussed outside supervision",
                    Some(d("2026-03-02")),
                )
                .await
                .unwrap();
            let holds = svc.list_holds(A, &c).await.unwrap();
            assert_eq!(holds.len(), 1);
            assert_eq!(holds[0].id, hold);
            assert!(holds[0].released_at.is_none());

            // Due under the policy, but held: the sweep will not destroy it.
            let rec = svc.client_promises_record(A, &c, &p).await.unwrap();
            assert_eq!(rec.retention.state, RetentionState::Due);
            assert!(rec.retention.on_hold);
            assert_eq!(rec.promises.complaints.len(), 1);
            assert!(rec.promises.complaints[0].closed.is_none());
            refused(
                svc.retention_sweep(A, &p, None, std::slice::from_ref(&c), true)
                    .await,
                "legal hold",
            );
            let report = svc.retention_sweep(A, &p, None, &[], true).await.unwrap();
            assert!(report.destroyed.is_empty());
            assert_eq!(report.held.len(), 1);
            s.get_client(A, &c).await.unwrap();

            // Closing: the note is needed, the date not before receipt.
            refused(
                svc.close_complaint(A, &c, &complaint, ComplaintOutcome::NotUpheld, " ", None)
                    .await,
                "--note",
            );
            refused(
                svc.close_complaint(
                    A,
                    &c,
                    &complaint,
                    ComplaintOutcome::NotUpheld,
                    "reviewed the supervision log",
                    Some(d("2026-03-01")),
                )
                .await,
                "before the complaint",
            );
            assert!(
                svc.list_holds(A, &c).await.unwrap()[0]
                    .released_at
                    .is_none()
            );
            // While the complaint is open its hold is not released by hand
            // (`hold release`): the refusal names the complaint, and the
            // hold stands.
            refused(svc.release_hold(A, &hold).await, complaint.as_str());
            assert!(
                svc.list_holds(A, &c).await.unwrap()[0]
                    .released_at
                    .is_none()
            );
            // A hold id that is not in the store is an error, not a release.
            assert!(
                svc.release_hold(A, &"hold_00000000000000000000000000000000".parse().unwrap())
                    .await
                    .is_err()
            );
            // Another hold on the same client (not a complaint's) is
            // released by hand as before.
            let other = svc
                .store()
                .place_hold(A, &c, HoldReason::Investigation)
                .await
                .unwrap();
            svc.release_hold(A, &other).await.unwrap();
            assert!(
                svc.list_holds(A, &c)
                    .await
                    .unwrap()
                    .iter()
                    .any(|h| h.id == other && h.released_at.is_some())
            );
            svc.close_complaint(
                A,
                &c,
                &complaint,
                ComplaintOutcome::NotUpheld,
                "reviewed the supervision log with the client",
                Some(d("2026-03-20")),
            )
            .await
            .unwrap();
            assert!(
                svc.list_holds(A, &c).await.unwrap()[0]
                    .released_at
                    .is_some()
            );
            let v = svc.promises(A, &c).await.unwrap();
            let closed = v.complaints[0].closed.as_ref().unwrap();
            assert_eq!(closed.outcome, ComplaintOutcome::NotUpheld);
            assert_eq!(closed.hold_id, hold);
            refused(
                svc.close_complaint(A, &c, &complaint, ComplaintOutcome::Upheld, "again", None)
                    .await,
                "already closed",
            );
            // Closed: the complaint's hold is released, so a hand release
            // finds no standing hold.
            assert!(svc.release_hold(A, &hold).await.is_err());
            // The release is a recorded step in the audit log.
            let log = svc.access_log(A, &c).await.unwrap();
            assert!(log.iter().any(|e| e.action.as_str() == "legal_hold.set"));
            assert!(log.iter().any(|e| e.action.as_str() == "promise.record"));

            // Released: the sweep now destroys it, promises and all.
            let report = svc.retention_sweep(A, &p, None, &[], true).await.unwrap();
            assert_eq!(report.destroyed.len(), 1);
            assert!(s.get_client(A, &c).await.is_err());
            assert!(svc.promises(A, &c).await.is_err());
            svc.close().await;
            let left: i64 = match &t.admin {
                None => {
                    let url = format!("sqlite://{}", t.cfg.sqlite_path().display());
                    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                    sqlx::query_scalar("SELECT COUNT(*) FROM promises WHERE client_id = $1")
                        .bind(c.as_str())
                        .fetch_one(&mut conn)
                        .await
                        .unwrap()
                }
                Some(_) => {
                    let url = t.cfg.database_url.clone().unwrap();
                    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                    sqlx::query_scalar("SELECT COUNT(*) FROM promises WHERE client_id = $1")
                        .bind(c.as_str())
                        .fetch_one(&mut conn)
                        .await
                        .unwrap()
                }
            };
            assert_eq!(left, 0, "promises survive the destruction");
        }
    });
}

#[test]
fn a_policy_review_is_recorded_and_read_back_with_its_hash() {
    rt().block_on(async {
        for t in targets("confidant-prm").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let none = svc
                .review_status(A, "handcrafted", Some(d("2026-06-01")))
                .await
                .unwrap();
            assert!(none.last_reviewed.is_none());
            assert!(none.overdue, "no recorded review counts as overdue");

            refused(
                svc.record_policy_review(A, "handcrafted", " ", None).await,
                "--approved-by",
            );
            refused(
                svc.record_policy_review(A, "handcrafted", "the Trustees", Some(d("2999-01-01")))
                    .await,
                "future",
            );
            svc.record_policy_review(A, "handcrafted", "the Trustees", Some(d("2025-05-01")))
                .await
                .unwrap();
            svc.record_policy_review(A, "handcrafted", "the Trustees", Some(d("2026-02-28")))
                .await
                .unwrap();
            let s = svc
                .review_status(A, "handcrafted", Some(d("2027-02-28")))
                .await
                .unwrap();
            assert_eq!(s.last_reviewed.as_deref(), Some("2026-02-28"));
            assert_eq!(s.approved_by.as_deref(), Some("the Trustees"));
            assert!(s.same_text);
            assert_eq!(s.due.as_deref(), Some("2027-02-28"));
            assert!(!s.overdue);
            let late = svc
                .review_status(A, "handcrafted", Some(d("2027-03-01")))
                .await
                .unwrap();
            assert!(late.overdue);
            // Another policy's reviews do not count.
            assert!(
                svc.review_status(A, "ukcp", Some(d("2026-03-01")))
                    .await
                    .unwrap()
                    .last_reviewed
                    .is_none()
            );
            svc.close().await;
            // A review edited in SQL no longer verifies.
            let sql = "UPDATE policy_reviews SET approved_by = 'nobody'";
            let edited = match &t.admin {
                None => {
                    let url = format!("sqlite://{}", t.cfg.sqlite_path().display());
                    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                    sqlx::query(sql).execute(&mut conn).await.is_ok()
                }
                Some(_) => {
                    let url = t.cfg.database_url.clone().unwrap();
                    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                    sqlx::query(sql).execute(&mut conn).await.is_ok()
                }
            };
            assert!(!edited, "policy reviews are append-only");
        }
    });
}

#[test]
fn the_record_shows_its_destruction_due_date_and_a_default_rule_as_default() {
    rt().block_on(async {
        for t in targets("confidant-prm").await {
            let store = Store::init_with_key(&t.cfg, MasterKey::generate(), A)
                .await
                .unwrap();
            let svc = Service::new(store);
            let s = svc.store();
            let c = new_client(s, "Recorded Person").await;
            s.add_note(
                A,
                &confidant_core::record::NewNote::new(c.clone(), "session"),
            )
            .await
            .unwrap();
            let today = svc.local_today().unwrap();
            // WWDD: three years after the last session (today).
            let rec = svc
                .client_promises_record(A, &c, "wwdd-coaching")
                .await
                .unwrap();
            let due = confidant_core::calendar::add_months(today, 36).unwrap();
            assert_eq!(rec.retention.due.as_deref(), Some(due.to_string().as_str()));
            assert!(!rec.retention.default_rule);
            let rule = rec.retention.rule.clone().unwrap();
            assert!(rule.contains("36 months after the last session"), "{rule}");
            assert_eq!(
                rec.retention.event.as_deref(),
                Some(format!("the last session, {today}").as_str())
            );
            assert_eq!(rec.client.name, "Recorded Person");
            // A policy with no period of its own: the baseline's, labelled.
            let p = load_policy("ukcp").unwrap();
            assert!(p.policy.file.retention.is_empty());
            let rec = svc.client_promises_record(A, &c, "ukcp").await.unwrap();
            assert!(rec.retention.default_rule);
            assert_eq!(rec.retention.state, RetentionState::NotStarted);
            let json = serde_json::to_value(&rec).unwrap();
            assert_eq!(json["name"], "Recorded Person");
            assert_eq!(json["retention"]["default_rule"], true);
            svc.close().await;
        }
    });
}
