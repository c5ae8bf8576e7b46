//! What the write use cases share: the etag check every change to an existing resource
//! starts with, how a contract's domain refusals name their subject, the checks of a
//! new or changed contract, and the revision that records a contract change.

use chrono::{DateTime, Utc};

use crate::domain::{Contract, DomainError};
use crate::names::Name;
use crate::store::StoreError;
use crate::store::records::{ContractRecord, Etagged, Revision};
use crate::store::state::{Prepared, State, Write};

/// The resource `name`, as `found`, if it exists and the caller's `etag` (if any) is its
/// current one: the first check of every change to an existing resource.
pub(crate) fn current<'a, T: Etagged>(
    found: Option<&'a T>,
    name: impl Fn() -> Name,
    etag: &Option<String>,
) -> Result<&'a T, StoreError> {
    let cur = found.ok_or_else(|| StoreError::NotFound(name()))?;
    match etag {
        Some(e) if !e.is_empty() && *e != cur.etag() => Err(StoreError::EtagMismatch {
            name: name(),
            current: cur.etag(),
        }),
        _ => Ok(cur),
    }
}

pub(crate) fn domain_to_store(account: &str, id: &str, e: DomainError) -> StoreError {
    match e {
        DomainError::ContactLimitReached { limit } => StoreError::QuotaExceeded {
            subject: Name::contract(account, id),
            limit,
        },
        DomainError::ContactAlreadyDesignated(email) => {
            StoreError::AlreadyExists(Name::contact(account, id, &email))
        }
        DomainError::ContactNotFound(email) => {
            StoreError::NotFound(Name::contact(account, id, &email))
        }
        DomainError::ContractTerminated => {
            StoreError::contract_terminated(Name::contract(account, id))
        }
        other => StoreError::Domain(other),
    }
}

/// A calendar reference must name a calendar that exists.
pub(crate) fn require_calendar(state: &State, id: Option<&str>) -> Result<(), StoreError> {
    match id {
        Some(id) if state.calendar(id).is_none() => Err(StoreError::NotFound(Name::calendar(id))),
        _ => Ok(()),
    }
}

/// Checks a new or changed contract: its own rules, its plan exists, and no other
/// contract of the account can be in force at the same time.
pub(crate) fn check_contract(state: &State, c: &Contract) -> Result<(), StoreError> {
    c.check()?;
    if state.plan(&c.plan_id).is_none() {
        return Err(StoreError::NotFound(Name::plan(&c.plan_id)));
    }
    if let Some(other) = state
        .contracts_of(&c.account_id)
        .find(|o| o.contract.overlaps(c))
    {
        return Err(StoreError::contract_overlap(
            Name::contract(&c.account_id, &c.id),
            Some(Name::contract(
                &other.contract.account_id,
                &other.contract.id,
            )),
        ));
    }
    Ok(())
}

/// A contract record to write with the revision that records it.
pub(crate) fn contract_write(
    principal: &str,
    now: DateTime<Utc>,
    action: &str,
    before: Option<Contract>,
    rec: ContractRecord,
) -> Prepared {
    let expected = before.as_ref().map(|b| b.version);
    let revision = Revision {
        version: rec.contract.version,
        principal: principal.to_owned(),
        at: now,
        action: action.to_owned(),
        before,
        after: rec.contract.clone(),
    };
    Prepared::Contract {
        write: Write {
            record: rec,
            expected,
        },
        revision,
    }
}

/// `c`, an edited copy of the stored contract `cur`, as its next version: the record to
/// write, with the revision recording `action` by `principal` (before: `cur`).
pub(crate) fn next_version(
    cur: &ContractRecord,
    mut c: Contract,
    principal: &str,
    now: DateTime<Utc>,
    action: &str,
) -> Prepared {
    c.version += 1;
    let rec = ContractRecord {
        contract: c,
        created_at: cur.created_at,
        updated_at: now,
    };
    contract_write(principal, now, action, Some(cur.contract.clone()), rec)
}
