//! Group commit for the audit entries of reads (issue 11).
//!
//! A read is checked and decrypted in a read-only transaction (many run at
//! once: SQLite WAL readers, a PostgreSQL snapshot), and its plaintext is
//! handed back only after its audit entry is durably committed. Readers
//! waiting at the same moment share one commit: each puts its entries in
//! the queue, and whoever takes the leader lock commits everything queued
//! (one transaction, one fsync, the one hash chain, the checkpoint and
//! manifest re-signed once), then answers every reader in the batch. Under
//! light load a batch is one read and its latency is one commit; under load
//! batches grow with the queue. No background task: a leader is one of the
//! readers, so the group lives inside [`crate::Store`].
//!
//! Never unaudited plaintext: a reader whose batch failed (or whose leader
//! was cancelled before answering) gets an error, not its data.

use crate::error::{Result, StoreError};
use confidant_audit::EntryDraft;
use tokio::sync::oneshot;

/// Most entries one group commit takes (the rest wait for the next).
const MAX_BATCH_ENTRIES: usize = 4096;

type Reply = oneshot::Sender<Result<()>>;

#[derive(Default)]
pub(crate) struct ReadGroup {
    queue: std::sync::Mutex<Vec<(Vec<EntryDraft>, Reply)>>,
    leader: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for ReadGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadGroup")
    }
}

impl ReadGroup {
    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<(Vec<EntryDraft>, Reply)>> {
        // A panic while holding this lock cannot leave the queue half
        // changed (push and drain only), so a poisoned lock is still sound.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Commits `drafts` durably, in a group with whatever else is queued;
    /// returns once they are on disk. `commit` appends a batch in one
    /// transaction (the store's `append_audit`).
    pub(crate) async fn commit<F, Fut>(&self, drafts: Vec<EntryDraft>, commit: F) -> Result<()>
    where
        F: Fn(Vec<EntryDraft>) -> Fut,
        Fut: std::future::Future<Output = Result<u64>>,
    {
        let (reply, mut wait) = oneshot::channel();
        self.queue().push((drafts, reply));
        loop {
            let guard = self.leader.lock().await;
            match wait.try_recv() {
                Ok(answer) => return answer,
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(StoreError::Database(
                        "the audit commit for this read was interrupted; nothing was shown".into(),
                    ));
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            // Leader: take a batch (ours is in it unless an earlier leader
            // hit the size cap; then go round again).
            let batch = {
                let mut q = self.queue();
                let mut n = 0usize;
                let mut take = 0usize;
                for (d, _) in q.iter() {
                    if take > 0 && n + d.len() > MAX_BATCH_ENTRIES {
                        break;
                    }
                    n += d.len();
                    take += 1;
                }
                q.drain(..take).collect::<Vec<_>>()
            };
            if batch.is_empty() {
                drop(guard);
                continue;
            }
            let mut all = Vec::new();
            let mut replies = Vec::with_capacity(batch.len());
            for (d, r) in batch {
                all.extend(d);
                replies.push(r);
            }
            let outcome = commit(all).await;
            match outcome {
                Ok(_) => {
                    for r in replies {
                        let _ = r.send(Ok(()));
                    }
                }
                Err(e) => {
                    for r in replies {
                        let _ = r.send(Err(same_error(&e)));
                    }
                }
            }
            drop(guard);
        }
    }
}

/// The error each reader of a failed batch gets: the same kind where it has
/// no payload to copy, else the same message.
fn same_error(e: &StoreError) -> StoreError {
    use StoreError as E;
    match e {
        E::UnknownClient => E::UnknownClient,
        E::NotInitialised => E::NotInitialised,
        E::Locked => E::Locked,
        E::ReadOnly => E::ReadOnly,
        E::DiskFull => E::DiskFull,
        E::AuditCheckpointInvalid => E::AuditCheckpointInvalid,
        E::AuditTampered => E::AuditTampered,
        E::AuditSigningKeyMismatch => E::AuditSigningKeyMismatch,
        E::KeyGenerationChanged => E::KeyGenerationChanged,
        E::KeyFileStale { generation } => E::KeyFileStale {
            generation: *generation,
        },
        E::ManifestInvalid => E::ManifestInvalid,
        E::UpgradePending => E::UpgradePending,
        E::AuditKeyRecordMissing => E::AuditKeyRecordMissing,
        E::RecordsFormatTampered => E::RecordsFormatTampered,
        E::WitnessRollback { have, published } => E::WitnessRollback {
            have: *have,
            published: *published,
        },
        E::Tampered { table, row } => E::Tampered {
            table,
            row: row.clone(),
        },
        E::Corrupt { what } => E::Corrupt { what },
        E::Witness(m) => E::Witness(m.clone()),
        E::AuditSigningKeyMissing(m) => E::AuditSigningKeyMissing(m.clone()),
        other => E::Database(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn d(i: i64) -> EntryDraft {
        EntryDraft {
            at_unix_micros: i,
            actor: "t".into(),
            action: confidant_audit::Action::ClientRead,
            record_ids: vec![],
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_reader_is_answered_after_its_entry_is_committed_and_batches_are_shared() {
        let group = Arc::new(ReadGroup::default());
        let committed = Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
        let commits = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..200 {
            let (g, c, n) = (group.clone(), committed.clone(), commits.clone());
            let seen = committed.clone();
            tasks.push(tokio::spawn(async move {
                g.commit(vec![d(i)], |batch| {
                    let (c, n) = (c.clone(), n.clone());
                    async move {
                        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                        n.fetch_add(1, Ordering::SeqCst);
                        c.lock()
                            .unwrap()
                            .extend(batch.iter().map(|e| e.at_unix_micros));
                        Ok(batch.len() as u64)
                    }
                })
                .await
                .unwrap();
                // Answered only once our entry is in the committed set.
                assert!(c_has(&seen, i));
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut all = committed.lock().unwrap().clone();
        all.sort_unstable();
        assert_eq!(all, (0..200).collect::<Vec<_>>(), "each entry exactly once");
        assert!(
            commits.load(Ordering::SeqCst) < 200,
            "readers shared commits"
        );
    }

    fn c_has(c: &Arc<std::sync::Mutex<Vec<i64>>>, i: i64) -> bool {
        c.lock().unwrap().contains(&i)
    }

    #[tokio::test]
    async fn a_failed_commit_fails_every_reader_in_it() {
        let group = ReadGroup::default();
        let err = group
            .commit(vec![d(1)], |_| async {
                Err(StoreError::AuditCheckpointInvalid)
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::AuditCheckpointInvalid));
    }
}
