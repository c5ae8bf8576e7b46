//! How the Postgres store speaks SQL errors and rows: database errors mapped to store
//! errors (constraint names to the same refusals, and wording, the snapshot's rules
//! give; here and nowhere else), the outcome of a conditional write, and how a few
//! domain values are stored.

use chrono::Weekday;
use sqlx::postgres::PgQueryResult;

use crate::domain::{ContractState, OpenInterval};
use crate::names::Name;
use crate::store::StoreError;

/// Maps a database error met writing resource `subject` to a store error. Constraint
/// names map to the same client errors (and the same wording) the snapshot's rules give,
/// here and nowhere else; what the constraint cannot say (which other contract overlaps,
/// the contact limit) is left out or filled in by the store.
pub(super) fn db_error(e: sqlx::Error, subject: &Name) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let constraint = db.constraint().unwrap_or_default();
        match (db.code().as_deref(), constraint) {
            (Some("23505"), _) => return StoreError::AlreadyExists(subject.clone()),
            (Some("23P01"), _) => return StoreError::contract_overlap(subject.clone(), None),
            (Some("P0001"), "designated_contacts_limit") => {
                return StoreError::QuotaExceeded {
                    subject: subject.clone(),
                    limit: 0,
                };
            }
            (Some("23503"), c) if c.starts_with("accounts_calendar_id") => {
                return StoreError::calendar_in_use(subject.clone(), None);
            }
            (Some("23503"), c) if c.starts_with("contracts_account_id") => {
                return StoreError::account_has_contracts(subject.clone(), None);
            }
            (Some("23503"), _) => return StoreError::NotFound(subject.clone()),
            _ => {}
        }
    }
    db_failure(e, &subject.to_string())
}

/// Maps a database error met doing `what` (not about one resource) to a store error.
pub(super) fn db_failure(e: sqlx::Error, what: &str) -> StoreError {
    match &e {
        // query_canceled: the write timeout (statement_timeout) ran out.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
            StoreError::WriteTimedOut {
                subject: what.to_owned(),
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Internal(format!("{what}: {e}")),
    }
}

pub(super) fn internal(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("{what}: {e}"))
}

/// A write refused because the snapshot it was prepared against is behind.
#[derive(Debug)]
pub(super) enum WriteError {
    /// The row changed since the snapshot read it: catch up and prepare again.
    Stale,
    /// Any other failure.
    Failed(StoreError),
}

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        WriteError::Failed(e)
    }
}

/// A conditional write's outcome: touching no row means the row changed since the
/// snapshot the write was prepared against read it.
pub(super) fn touched(done: PgQueryResult) -> Result<(), WriteError> {
    if done.rows_affected() == 0 {
        Err(WriteError::Stale)
    } else {
        Ok(())
    }
}

pub(super) fn state_key(s: ContractState) -> &'static str {
    match s {
        ContractState::Active => "active",
        ContractState::Suspended => "suspended",
        ContractState::Terminated => "terminated",
    }
}

/// Weekly hours as stored: seven lists, Monday first.
pub(super) type WeeklyRow = Vec<Vec<OpenInterval>>;

pub(super) const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];
