//! Group commit for audit appends from many concurrent callers.
//!
//! A durable commit costs an fsync (0.2-3 ms on this machine class), so one
//! transaction per event caps a busy server at a few hundred events a
//! second. The committer is one task that takes every append waiting in its
//! queue, writes them all in one transaction (one fsync), and only then
//! answers each caller: an `Ok` still means "this entry is on disk". Under
//! light load a batch is a single entry and latency is one commit; under
//! heavy load batches grow and throughput follows.

use crate::backend::Store;
use crate::error::{Result, StoreError};
use crate::keys::draft;
use confidant_audit::{Action, EntryDraft};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most entries written in one group commit.
const MAX_BATCH: usize = 8192;

type Reply = oneshot::Sender<Result<()>>;

/// A cloneable handle; appends from any task are coalesced into shared
/// transactions. Dropping every handle stops the background task.
#[derive(Clone)]
pub struct AuditCommitter {
    tx: mpsc::Sender<(EntryDraft, Reply)>,
}

impl std::fmt::Debug for AuditCommitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditCommitter")
    }
}

impl AuditCommitter {
    /// Starts the committer on the current tokio runtime.
    pub fn start(store: Arc<Store>) -> AuditCommitter {
        let (tx, mut rx) = mpsc::channel::<(EntryDraft, Reply)>(MAX_BATCH * 2);
        tokio::spawn(async move {
            let mut batch: Vec<(EntryDraft, Reply)> = Vec::with_capacity(MAX_BATCH);
            while let Some(first) = rx.recv().await {
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (drafts, replies): (Vec<EntryDraft>, Vec<Reply>) = batch.drain(..).unzip();
                let outcome = store.append_audit(drafts).await;
                for reply in replies {
                    let r = match &outcome {
                        Ok(_) => Ok(()),
                        // StoreError is not Clone; each waiter gets the same
                        // message-level error.
                        Err(e) => Err(StoreError::Database(e.to_string())),
                    };
                    let _ = reply.send(r);
                }
            }
        });
        AuditCommitter { tx }
    }

    /// Appends one entry; returns once it is durably committed.
    pub async fn append(&self, entry: EntryDraft) -> Result<()> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send((entry, reply))
            .await
            .map_err(|_| StoreError::Database("the audit committer has stopped".into()))?;
        wait.await
            .map_err(|_| StoreError::Database("the audit committer has stopped".into()))?
    }

    /// Records one event now (see [`AuditCommitter::append`]).
    pub async fn record(&self, actor: &str, action: Action, record_ids: Vec<String>) -> Result<()> {
        self.append(draft(actor, action, record_ids)).await
    }
}
