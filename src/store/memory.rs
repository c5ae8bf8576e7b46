//! The embedded store: the whole state in memory, lost on exit. `entitlements serve`
//! uses it when no database is configured, seeded with the built-in catalog (and an
//! optional seed file).

use chrono::Utc;

use super::{Applied, Change, Snapshot, State, Store, StoreError};

/// A store that keeps everything in this process's memory.
#[derive(Debug)]
pub struct MemoryStore {
    /// The state; writes take its write lock for the length of one change.
    snapshot: Snapshot,
}

impl MemoryStore {
    /// A store holding the built-in plans and nothing else.
    pub fn new() -> MemoryStore {
        MemoryStore {
            snapshot: Snapshot::new(State::with_builtin_plans(Utc::now())),
        }
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

    async fn apply(&self, change: Change, principal: &str) -> Result<Applied, StoreError> {
        self.snapshot.write().apply(change, principal, Utc::now())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}
