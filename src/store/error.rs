//! The store layer's error type: what can go wrong reading or changing stored resources.
//! The gRPC layer maps each variant to one status code in one place.

use thiserror::Error;

use crate::domain::DomainError;
use crate::names::Name;
use crate::reason::Reason;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// No resource with that name.
    #[error("{0} not found")]
    NotFound(Name),
    /// A resource with that name already exists.
    #[error("{0} already exists")]
    AlreadyExists(Name),
    /// The caller's etag does not match the stored one.
    #[error("etag mismatch for {name}: the resource changed (current etag {current})")]
    EtagMismatch {
        /// The resource.
        name: Name,
        /// Its current etag.
        current: String,
    },
    /// The change conflicts with the state of another resource.
    #[error("{message}")]
    FailedPrecondition {
        /// Which precondition, e.g. [`Reason::ContractOverlap`].
        reason: Reason,
        /// The resource the precondition is about.
        subject: Name,
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
        subject: Name,
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
    /// Another attempt with the same request id recorded its answer first (two
    /// attempts ran at once); that answer is the one to give.
    #[error("another attempt with this request_id answered first")]
    Replayed,
    /// An unexpected failure inside the store.
    #[error("internal store error: {0}")]
    Internal(String),
}

impl StoreError {
    /// Contract `contract`, being written, would be in force at the same time as `other`
    /// (when known: the database's exclusion constraint does not say which). The subject
    /// is the contract it conflicts with.
    pub fn contract_overlap(contract: Name, other: Option<Name>) -> StoreError {
        let message = match &other {
            Some(o) => format!("{contract} would be in force at the same time as {o}"),
            None => format!(
                "{contract} would be in force at the same time as another contract of the account"
            ),
        };
        StoreError::FailedPrecondition {
            reason: Reason::ContractOverlap,
            subject: other.unwrap_or(contract),
            message,
        }
    }

    /// Calendar `calendar` cannot be deleted: `account` (when known) uses it. The subject
    /// is the account.
    pub fn calendar_in_use(calendar: Name, account: Option<Name>) -> StoreError {
        let message = match &account {
            Some(a) => format!("{calendar} is used by {a}"),
            None => format!("{calendar} is used by an account"),
        };
        StoreError::FailedPrecondition {
            reason: Reason::CalendarInUse,
            subject: account.unwrap_or(calendar),
            message,
        }
    }

    /// Account `account` cannot be deleted: `contract` (when known) is not terminated.
    /// The subject is the contract.
    pub fn account_has_contracts(account: Name, contract: Option<Name>) -> StoreError {
        StoreError::FailedPrecondition {
            reason: Reason::AccountHasContracts,
            message: format!(
                "{account} still has a contract that is not terminated; terminate it first"
            ),
            subject: contract.unwrap_or(account),
        }
    }

    /// Contract `contract` is terminated and can no longer change.
    pub fn contract_terminated(contract: Name) -> StoreError {
        StoreError::FailedPrecondition {
            reason: Reason::ContractTerminated,
            message: format!("{contract} is terminated and can no longer change"),
            subject: contract,
        }
    }

    /// Whether the error is a conflict the snapshot's rules also check (a constraint the
    /// database enforced because the snapshot the write was prepared on was behind).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            StoreError::AlreadyExists(_)
                | StoreError::QuotaExceeded { .. }
                | StoreError::FailedPrecondition {
                    reason: Reason::ContractOverlap
                        | Reason::CalendarInUse
                        | Reason::AccountHasContracts,
                    ..
                }
        )
    }
}
