//! Storage: the [`Store`] trait every backend implements, the in-memory [`State`] the hot
//! path reads, and the backends (`memory`; Postgres comes later behind the same trait).
//!
//! Reads never wait on a backend: every store keeps a [`Snapshot`] of the whole state in
//! memory and answers checks and deadlines from it. Writes go through [`Store::apply`] as a
//! [`Change`], so every backend validates them the same way.

mod case_record;
pub mod cases;
pub mod error;
pub mod memory;
pub mod meta;
pub mod postgres;
pub mod records;
pub mod request_ids;
pub mod state;

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use records::Revision;
use request_ids::{Answer, Recorded, Render, RequestKey};
use uuid::Uuid;

pub use error::StoreError;
pub use records::{Applied, Change};
pub use state::{Prepared, State};

/// What a write is, decided against the state it is checked against and the instant:
/// the records to write, or why it is refused. Made by `app` (the only place write rules
/// live); a store may call it more than once (the Postgres store decides again against
/// a fresher snapshot when a row changed under it).
pub type Decide<'a> =
    &'a (dyn Fn(&State, DateTime<Utc>) -> Result<Prepared, StoreError> + Send + Sync);

/// The in-memory state shared by a store and the request handlers.
#[derive(Debug)]
pub struct Snapshot {
    /// The state, behind a lock that readers hold only for the length of a computation.
    state: RwLock<State>,
}

impl Snapshot {
    /// A snapshot holding `state`.
    pub fn new(state: State) -> Snapshot {
        Snapshot {
            state: RwLock::new(state),
        }
    }

    /// Read access; hold it only while computing, never across an await.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access, for the store that owns this snapshot.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// A place where plans, calendars, accounts and contracts are kept.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// The in-memory view every read is answered from.
    fn snapshot(&self) -> &Snapshot;

    /// Writes what `decide` decides against the current state; nothing is written when
    /// it refuses.
    async fn apply(&self, decide: Decide<'_>) -> Result<Applied, StoreError>;

    /// The first answer recorded under request id `id` within
    /// [`request_ids::RETENTION`], if any.
    async fn recall(&self, id: &Uuid) -> Result<Option<Recorded>, StoreError>;

    /// Like [`Store::apply`], and records under `key`, with the write (in the same
    /// transaction), the answer `render` makes of what it applied; returns that answer.
    /// [`StoreError::Replayed`] when `key` is already recorded (a concurrent attempt
    /// with the same id answered first): nothing is written, recall its answer.
    async fn apply_once(
        &self,
        decide: Decide<'_>,
        key: &RequestKey,
        render: Render<'_>,
    ) -> Result<Vec<u8>, StoreError>;

    /// Records an error as the first answer to `key`, unless one is recorded already.
    async fn remember(&self, key: &RequestKey, answer: Answer) -> Result<(), StoreError>;

    /// A short name for logs and health: `memory` or `postgres`.
    fn kind(&self) -> &'static str;

    /// A token at least as new as every write this store acknowledged and everything in
    /// its snapshot; a read that passes it back is answered from a snapshot that fresh.
    fn consistency_token(&self) -> u64;

    /// Waits until the snapshot reflects `token`, reading through to the source of truth
    /// if the change does not arrive in time.
    async fn wait_for(&self, token: u64) -> Result<(), StoreError>;

    /// The longest a write through this store may take, from the caller's first look at
    /// the store to its answer: the write fails UNAVAILABLE past it. `None`: no bound
    /// (the memory store never waits).
    fn write_timeout(&self) -> Option<Duration> {
        None
    }

    /// How long ago the snapshot was last confirmed current.
    fn snapshot_age(&self) -> Duration {
        Duration::ZERO
    }

    /// Whether writes can currently succeed; changes as the backend comes and goes.
    fn writable(&self) -> watch::Receiver<bool>;

    /// A tracked case, from the snapshot or, when the snapshot does not hold it (a
    /// resolved case in the Postgres store), read through to the source of truth.
    async fn read_case(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<Option<cases::CaseRecord>, StoreError> {
        Ok(self.snapshot().read().case(account_id, id).cloned())
    }

    /// Up to `limit` resolved cases of `account` (every account when `None`) after the
    /// case `after` names (account id, case id), in name order; their outlooks are not
    /// worked out.
    async fn resolved_cases(
        &self,
        account: Option<&str>,
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<cases::CaseRecord>, StoreError> {
        let state = self.snapshot().read();
        Ok(state
            .cases()
            .resolved_after(account, after)
            .take(limit)
            .cloned()
            .collect())
    }

    /// A contract's revisions, oldest first.
    async fn revisions(&self, account_id: &str, id: &str) -> Result<Vec<Revision>, StoreError> {
        Ok(self.snapshot().read().revisions(account_id, id).to_vec())
    }
}
