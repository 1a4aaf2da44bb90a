//! The fixture the service's integration tests share: a fresh store on
//! SQLite and, when `CONFIDANT_TEST_DATABASE_URL` is set, on a PostgreSQL
//! database of its own (dropped with the `Target`), and small helpers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use confidant_core::record::CivilDate;
use confidant_service::ServiceError;
use confidant_store::StoreConfig;
use confidant_store::sqlx::{self, Connection};

pub const A: &str = "admin";
pub struct Target {
    pub cfg: StoreConfig,
    pub admin: Option<(String, String)>,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.cfg.data_dir);
        if let Some((admin, db)) = &self.admin {
            let (admin, db) = (admin.clone(), db.clone());
            std::thread::spawn(move || {
                rt().block_on(async {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                            .execute(&mut c)
                            .await;
                    }
                });
            })
            .join()
            .unwrap();
        }
    }
}

pub fn rt() -> confidant_store::tokio::runtime::Runtime {
    confidant_store::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn unique(p: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{p}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

/// A fresh SQLite store, and a fresh PostgreSQL database when
/// `CONFIDANT_TEST_DATABASE_URL` is set; `prefix` names their temporary
/// directories and database.
pub async fn targets(prefix: &str) -> Vec<Target> {
    let mut v = vec![Target {
        cfg: StoreConfig::new(std::env::temp_dir().join(unique(prefix)), None),
        admin: None,
    }];
    if let Ok(url) = std::env::var("CONFIDANT_TEST_DATABASE_URL") {
        let db = unique(&prefix.replace('-', "_"));
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&mut c)
            .await
            .unwrap();
        let base = url.rsplit_once('/').map(|(b, _)| b).unwrap().to_owned();
        v.push(Target {
            cfg: StoreConfig::new(
                std::env::temp_dir().join(unique(&format!("{prefix}-pg"))),
                Some(format!("{base}/{db}")),
            ),
            admin: Some((url, db)),
        });
    }
    v
}

pub fn d(s: &str) -> CivilDate {
    CivilDate::parse(s, "d").unwrap()
}

pub fn refused(r: Result<impl Sized, ServiceError>, needle: &str) {
    match r {
        Err(ServiceError::Refused(m)) => assert!(m.contains(needle), "{m}"),
        Err(e) => panic!("expected a refusal containing {needle:?}, got {e}"),
        Ok(_) => panic!("expected a refusal containing {needle:?}"),
    }
}
