//! The embedded store: the whole state in memory, lost on exit. `entitlements serve`
//! uses it when no database is configured, seeded with the built-in catalog (and an
//! optional seed file).

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use tokio::sync::watch;

use super::request_ids::{Answer, Ledger, Recorded, Render, RequestKey};
use super::{Applied, Decide, Snapshot, State, Store, StoreError};

/// A store that keeps everything in this process's memory.
#[derive(Debug)]
pub struct MemoryStore {
    /// The state; writes take its write lock for the length of one change.
    snapshot: Snapshot,
    /// Number of changes applied: the consistency token.
    changes: AtomicU64,
    /// Always writable.
    writable: watch::Sender<bool>,
    /// The first answers to requests that carried a request id.
    request_ids: Ledger,
}

impl MemoryStore {
    /// A store holding the built-in plans and nothing else.
    pub fn new() -> MemoryStore {
        MemoryStore {
            snapshot: Snapshot::new(State::with_builtin_plans(Utc::now())),
            changes: AtomicU64::new(0),
            writable: watch::channel(true).0,
            request_ids: Ledger::default(),
        }
    }
}

impl MemoryStore {
    /// Decides and commits one write under the snapshot's write lock.
    fn commit(&self, decide: Decide<'_>) -> Result<Applied, StoreError> {
        let mut state = self.snapshot.write();
        let prepared = decide(&state, Utc::now())?;
        let applied = state.commit(prepared);
        self.changes.fetch_add(1, Ordering::SeqCst);
        Ok(applied)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    async fn apply(&self, decide: Decide<'_>) -> Result<Applied, StoreError> {
        self.commit(decide)
    }

    async fn recall(&self, id: &uuid::Uuid) -> Result<Option<Recorded>, StoreError> {
        Ok(self.request_ids.recall(id))
    }

    async fn apply_once(
        &self,
        decide: Decide<'_>,
        key: &RequestKey,
        render: Render<'_>,
    ) -> Result<Vec<u8>, StoreError> {
        self.request_ids
            .once(key, || {
                render(self.commit(decide)?).map_err(StoreError::Internal)
            })
            .unwrap_or(Err(StoreError::Replayed))
    }

    async fn remember(&self, key: &RequestKey, answer: Answer) -> Result<(), StoreError> {
        self.request_ids.remember(key, answer);
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }

    fn consistency_token(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    async fn wait_for(&self, token: u64) -> Result<(), StoreError> {
        // Every write is in the snapshot once acknowledged; a token from the future was
        // not issued by this process.
        if token <= self.consistency_token() {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "consistency token {token} was not issued by this server"
            )))
        }
    }

    fn writable(&self) -> watch::Receiver<bool> {
        self.writable.subscribe()
    }
}
