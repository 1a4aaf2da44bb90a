//! Whether the application layer can serve requests, for the server's
//! readiness probe.

use crate::{Result, Service};

impl Service {
    /// Ready when the store answers a read. Reads the newest audit entry's
    /// metadata (ids and hashes, no record content) and writes nothing, so a
    /// probe neither touches records nor grows the audit log.
    pub async fn ready(&self) -> Result<()> {
        self.store.audit_tail(1).await?;
        Ok(())
    }
}
