//! Storage: the [`Store`] trait every backend implements, the in-memory [`State`] the hot
//! path reads, and the backends (`memory`; Postgres comes later behind the same trait).
//!
//! Reads never wait on a backend: every store keeps a [`Snapshot`] of the whole state in
//! memory and answers checks and deadlines from it. Writes go through [`Store::apply`] as a
//! [`Change`], so every backend validates them the same way.

pub mod error;
pub mod memory;
pub mod records;
pub mod seed;
pub mod state;

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use error::StoreError;
pub use records::{Applied, Change};
pub use state::State;

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

    /// Checks and applies a change on behalf of `principal`; nothing is written on error.
    async fn apply(&self, change: Change, principal: &str) -> Result<Applied, StoreError>;

    /// A short name for logs and health: `memory` or `postgres`.
    fn kind(&self) -> &'static str;
}
