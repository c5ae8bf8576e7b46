//! The store layer's error type: what can go wrong reading or changing stored resources.
//! The gRPC layer maps each variant to one status code in one place.

use thiserror::Error;

use crate::domain::DomainError;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// No resource with that name.
    #[error("{0} not found")]
    NotFound(String),
    /// A resource with that name already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The caller's etag does not match the stored one.
    #[error("etag mismatch for {name}: the resource changed (current etag {current})")]
    EtagMismatch {
        /// The resource.
        name: String,
        /// Its current etag.
        current: String,
    },
    /// The change conflicts with the state of another resource.
    #[error("{message}")]
    FailedPrecondition {
        /// A stable reason code, e.g. `CONTRACT_OVERLAP`.
        reason: &'static str,
        /// The resource the precondition is about.
        subject: String,
        /// What is wrong, in words.
        message: String,
    },
    /// A contract update's override sub-fields clash with the stored overrides they were
    /// merged into (a benefit both added and removed, say).
    #[error("contract.overrides: {0}")]
    InvalidOverrides(DomainError),
    /// Adding a designated contact would exceed the contract's limit.
    #[error("{subject}: designated contact limit of {limit} reached")]
    QuotaExceeded {
        /// The contract.
        subject: String,
        /// Its limit.
        limit: u32,
    },
    /// The change breaks a domain rule.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The store cannot be reached right now.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A write ran past the store's write timeout (the database was busy, or a lock was
    /// held elsewhere) and the database cancelled it: nothing was written. The store is
    /// still reachable.
    #[error(
        "{subject}: the write did not finish within the store's write timeout (the database is busy or a lock is held elsewhere); nothing was written"
    )]
    WriteTimedOut {
        /// What was being written.
        subject: String,
    },
    /// An unexpected failure inside the store.
    #[error("internal store error: {0}")]
    Internal(String),
}
