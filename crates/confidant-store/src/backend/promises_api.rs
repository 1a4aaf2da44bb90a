//! The `Store` methods for what the service promised and did (operations
//! in `../promises.rs`, compiled per backend).

use super::{Db, Store, pg_promises, sqlite_promises};
use crate::error::Result;
use crate::promise_model::{LimitsGivenRow, NewPromise, NewReview, StoredPromise, StoredReview};
use confidant_core::ids::{ClientId, HoldId, PromiseId, ReviewId};

macro_rules! dispatch_promises {
    ($self:ident . $f:ident ( $($arg:expr),* $(,)? )) => {{
        let out = match &$self.db {
            Db::Sqlite(pool) => sqlite_promises::$f(pool, &$self.keys, $($arg),*).await,
            Db::Postgres(pool) => pg_promises::$f(pool, &$self.keys, $($arg),*).await,
        };
        if out.is_ok() {
            $self.publish_head().await;
        }
        out
    }};
}

impl Store {
    /// Records a promise or step on a client, its body sealed under the
    /// client's data key (audited `promise.record`).
    pub async fn add_promise(&self, actor: &str, new: &NewPromise) -> Result<PromiseId> {
        dispatch_promises!(self.add_promise(actor, new))
    }

    /// Places a complaint hold and records the complaint naming it (its
    /// body's `hold_id`), in one transaction: a crash leaves both or
    /// neither. Returns the complaint's and the hold's ids.
    pub async fn open_complaint(
        &self,
        actor: &str,
        new: &NewPromise,
    ) -> Result<(PromiseId, HoldId)> {
        dispatch_promises!(self.open_complaint(actor, new))
    }

    /// Records a complaint's closing and releases `hold` (if given), in one
    /// transaction.
    pub async fn close_complaint(
        &self,
        actor: &str,
        new: &NewPromise,
        hold: Option<&HoldId>,
    ) -> Result<PromiseId> {
        dispatch_promises!(self.close_complaint(actor, new, hold))
    }

    /// The client's recorded promises, oldest first (audited).
    pub async fn list_promises(
        &self,
        actor: &str,
        client: &ClientId,
    ) -> Result<Vec<StoredPromise>> {
        dispatch_promises!(self.list_promises(actor, client))
    }

    /// Every client and the statement hashes they were recorded as given
    /// (ids and hashes only; audited as one listing).
    pub async fn limits_given(&self, actor: &str) -> Result<Vec<LimitsGivenRow>> {
        dispatch_promises!(self.limits_given(actor))
    }

    /// Records a review of a policy (signed with the audit key; audited).
    pub async fn add_policy_review(&self, actor: &str, new: &NewReview) -> Result<ReviewId> {
        dispatch_promises!(self.add_review(actor, new))
    }

    /// The recorded reviews of a policy, oldest first, signatures checked
    /// (audited).
    pub async fn policy_reviews(
        &self,
        actor: &str,
        policy_name: &str,
    ) -> Result<Vec<StoredReview>> {
        dispatch_promises!(self.reviews(actor, policy_name))
    }
}
