//! The `Store` methods for matters, steps and the accounting of
//! disclosures (operations in `../matters.rs`, compiled per backend).

use super::{Db, Store, pg_matters, sqlite_matters};
use crate::error::Result;
use crate::matter_model::{AppendedStep, Disclosure, NewMatter, NewStep, StoredMatter};
use confidant_core::ids::{ClientId, MatterId};

macro_rules! dispatch_matters {
    ($self:ident . $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$self.db {
            Db::Sqlite(pool) => sqlite_matters::$f(pool, &$self.keys, $($arg),*).await,
            Db::Postgres(pool) => pg_matters::$f(pool, &$self.keys, $($arg),*).await,
        }
    };
}

impl Store {
    /// Opens a matter on a client (and, if given, a case the client is a
    /// party to); the body is sealed under the client's key.
    pub async fn open_matter(&self, actor: &str, new: &NewMatter) -> Result<MatterId> {
        dispatch_matters!(self.open_matter(actor, new))
    }

    /// A matter and all its steps, each step's signature checked (audited).
    pub async fn get_matter(&self, actor: &str, id: &MatterId) -> Result<StoredMatter> {
        dispatch_matters!(self.get_matter(actor, id))
    }

    /// The client's matters, oldest first (audited like a read).
    pub async fn list_matters(&self, actor: &str, client: &ClientId) -> Result<Vec<StoredMatter>> {
        dispatch_matters!(self.list_matters(actor, client))
    }

    /// Appends a step to an open matter, provided it still has exactly
    /// `expect_steps` steps (else `StoreError::MatterChanged`, nothing
    /// written). A delivery step writes its disclosure row in the same
    /// transaction.
    pub async fn append_matter_step(
        &self,
        actor: &str,
        matter: &MatterId,
        expect_steps: usize,
        step: &NewStep,
    ) -> Result<AppendedStep> {
        dispatch_matters!(self.append_step(actor, matter, expect_steps, step))
    }

    /// The client's accounting of disclosures, oldest first (audited).
    pub async fn list_disclosures(
        &self,
        actor: &str,
        client: &ClientId,
    ) -> Result<Vec<Disclosure>> {
        dispatch_matters!(self.list_disclosures(actor, client))
    }

    /// The matter a step (a package) belongs to; ids only, not audited.
    pub async fn matter_of_step(&self, step: &str) -> Result<MatterId> {
        dispatch_matters!(self.matter_of_step(step))
    }
}
