//! The `Store` methods for retention and the access log (operations in
//! `../retention.rs`, compiled per backend).

use super::{Db, Store, pg_ops, pg_retention, sqlite_ops, sqlite_retention};
use crate::error::Result;
use crate::retention_model::{AccessEntry, ClientActivity};
use confidant_audit::Action;
use confidant_core::ids::ClientId;

impl Store {
    /// Every client's id, creation time, `work_ended` flag, last note and
    /// count of standing holds, oldest client first. Ids and times only;
    /// the listing is audited as one `client.search` entry naming no one
    /// (a sweep's own entries name each client it destroys).
    pub async fn client_activity(&self, actor: &str) -> Result<Vec<ClientActivity>> {
        let out = match &self.db {
            Db::Sqlite(p) => sqlite_ops::client_activity(p, &self.keys).await?,
            Db::Postgres(p) => pg_ops::client_activity(p, &self.keys).await?,
        };
        self.record_event(actor, Action::ClientSearch, Vec::new())
            .await?;
        Ok(out)
    }

    /// Who did what to the client's record, from the audit log, oldest
    /// first. Reading it is itself audited (and so appears in the next
    /// read).
    pub async fn access_log(&self, actor: &str, client: &ClientId) -> Result<Vec<AccessEntry>> {
        let out = match &self.db {
            Db::Sqlite(p) => sqlite_retention::access_log(p, client).await?,
            Db::Postgres(p) => pg_retention::access_log(p, client).await?,
        };
        self.record_event(actor, Action::AccessLogRead, vec![client.to_string()])
            .await?;
        Ok(out)
    }

    /// Audit search: the newest `limit` entries naming the record `id`
    /// (`by_record`) or written by the user `id` (otherwise), oldest first.
    /// Ids, times and actions only. The search is itself audited
    /// (`audit.search`, naming the id searched for).
    pub async fn audit_search(
        &self,
        actor: &str,
        id: &str,
        by_record: bool,
        limit: u32,
    ) -> Result<Vec<AccessEntry>> {
        let limit = i64::from(limit);
        let out = match (&self.db, by_record) {
            (Db::Sqlite(p), true) => sqlite_retention::audit_by_record(p, id, limit).await?,
            (Db::Sqlite(p), false) => sqlite_retention::audit_by_actor(p, id, limit).await?,
            (Db::Postgres(p), true) => pg_retention::audit_by_record(p, id, limit).await?,
            (Db::Postgres(p), false) => pg_retention::audit_by_actor(p, id, limit).await?,
        };
        self.record_event(actor, Action::AuditSearch, vec![id.to_string()])
            .await?;
        Ok(out)
    }
}
