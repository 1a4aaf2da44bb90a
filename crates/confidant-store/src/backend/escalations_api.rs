//! The `Store` methods for matters escalated to a safeguarding officer
//! (operations in `../escalations.rs`, compiled per backend).

use super::{Db, Store, pg_escalations, sqlite_escalations};
use crate::error::Result;
use crate::matter_model::StoredEscalation;
use confidant_core::ids::{EscalationId, MatterId, UserId};

macro_rules! dispatch_escalations {
    ($self:ident . $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$self.db {
            Db::Sqlite(pool) => sqlite_escalations::$f(pool, &$self.keys, $($arg),*).await,
            Db::Postgres(pool) => pg_escalations::$f(pool, &$self.keys, $($arg),*).await,
        }
    };
}

impl Store {
    /// Escalates an open matter to a user (the application layer checks
    /// that they hold the safeguarding-officer role). Ids only, MAC'd
    /// under the audit key; audited `matter.escalate`.
    pub async fn add_escalation(
        &self,
        actor: &str,
        matter: &MatterId,
        to_user: &UserId,
    ) -> Result<EscalationId> {
        let out = dispatch_escalations!(self.add_escalation(actor, matter, to_user));
        if out.is_ok() {
            self.publish_head().await;
        }
        out
    }

    /// The users a matter is escalated to, each row's MAC checked (for the
    /// access check; not audited: the check's outcome is).
    pub async fn escalated_to(&self, matter: &MatterId) -> Result<Vec<UserId>> {
        dispatch_escalations!(self.escalated_to(matter))
    }

    /// The escalations to `user` on matters still open, oldest first
    /// (audited `escalation.list`).
    pub async fn escalations_to(
        &self,
        actor: &str,
        user: &UserId,
    ) -> Result<Vec<StoredEscalation>> {
        let out = dispatch_escalations!(self.escalations_to(actor, user));
        if out.is_ok() {
            self.publish_head().await;
        }
        out
    }
}
